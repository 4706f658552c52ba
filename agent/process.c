/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One process of a container: the sync socket while it is being set up,
 * its exit, signals and WaitProcess.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "child.h"
#include "cleanup.h"
#include "containers.h"
#include "log.h"
#include "parked.h"
#include "process.h"
#include "util.h"
#include "spawn.h"

struct process *process_new(struct container *c, const char *exec_id, bool is_init, bool terminal)
{
        struct process *p = calloc(1, sizeof *p);
        if (!p)
                return NULL;
        p->container = c;
        snprintf(p->exec_id, sizeof p->exec_id, "%s", exec_id);
        p->is_init = is_init;
        p->terminal = terminal;
        p->pid = -1;
        p->pidfd = -1;
        p->sync_fd = -1;
        p->stdin_fd = -1;
        p->pty_master = -1;
        p->stdio_cap = c->agent->stdio_cap;
        list_init(&p->stdin_writers);
        list_init(&p->waiters);
        stdio_out_init(&p->out, p);
        stdio_out_init(&p->err, p);
        return p;
}

static void sync_close(struct process *p)
{
        if (p->sync_fd < 0)
                return;
        loop_watch_remove(p->container->agent->loop, &p->sync_watch);
        close_and_reset(&p->sync_fd);
}

void process_free(struct process *p)
{
        if (!p)
                return;
        sync_close(p);
        if (p->pending) {
                (void)ttrpc_call_fail(p->pending, GRPC_ABORTED, "process `%s` is gone", p->exec_id);
                p->pending = NULL;
        }
        parked_fail_all(&p->waiters, GRPC_NOT_FOUND, "the process was removed before it exited");
        stdio_free(p); /* may ask for a reap (parked readers get EOF): disarmed just below */
        loop_timer_disarm(p->container->agent->loop, &p->reap_timer);
        close_and_reset(&p->pidfd);
        free(p);
}

/* A PTY message carries the master end of the container's terminal. */
static int receive_pty(struct process *p, struct msghdr *msg)
{
        struct cmsghdr *c = CMSG_FIRSTHDR(msg);
        int fd;
        if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                return -EBADMSG;
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        if (p->pty_master >= 0) {
                close(fd);
                return -EBADMSG;
        }
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        p->pty_master = fd;
        p->stdin_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return stdio_out_attach(&p->out, fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

static void on_sync(struct loop_watch *w, uint32_t events)
{
        struct process *p = w->data;
        struct sync_msg m;
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
        struct iovec iov = { .iov_base = &m, .iov_len = sizeof m };
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf,
        };
        (void)events;

        ssize_t n = recvmsg(p->sync_fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                /* Closed: by exec (close-on-exec) unless an error came first, or the child died. */
                sync_close(p);
                enum spawn_phase was = p->phase;
                p->phase = SPAWN_DONE;
                if (p->spawn_error.code)
                        return; /* already reported as PROCESS_SPAWN_FAILED */
                if (was == SPAWN_EXECING || (was == SPAWN_SETUP && !p->is_init)) {
                        container_process_event(p, PROCESS_EXECED);
                        return;
                }
                rpc_error_set(&p->spawn_error, GRPC_INTERNAL, -EPIPE,
                              "the container process died while being set up");
                container_process_event(p, PROCESS_SPAWN_FAILED);
                return;
        }
        if (n != (ssize_t)sizeof m) {
                rpc_error_set(&p->spawn_error, GRPC_INTERNAL, -EBADMSG, "garbled message from the container process");
                kill(p->pid, SIGKILL);
                sync_close(p);
                container_process_event(p, PROCESS_SPAWN_FAILED);
                return;
        }
        switch (m.type) {
        case SYNC_PTY:
                if (receive_pty(p, &msg) < 0) {
                        rpc_error_set(&p->spawn_error, GRPC_INTERNAL, -EBADMSG, "bad terminal from the container process");
                        kill(p->pid, SIGKILL);
                        container_process_event(p, PROCESS_SPAWN_FAILED);
                }
                return;
        case SYNC_READY:
                p->phase = SPAWN_HELD;
                container_process_event(p, PROCESS_READY);
                return;
        case SYNC_ERROR:
                m.text[sizeof m.text - 1] = '\0';
                rpc_error_set(&p->spawn_error, m.code ? m.code : GRPC_INTERNAL, -m.err, "%s", m.text);
                p->spawn_errno = m.err;
                container_process_event(p, PROCESS_SPAWN_FAILED);
                return;
        default:
                return;
        }
}

int process_attach(struct process *p, pid_t pid, int pidfd, int sync_fd, int stdin_w, int stdout_r,
                   int stderr_r)
{
        struct loop *l = p->container->agent->loop;
        p->pid = pid;
        p->pidfd = pidfd;
        p->sync_fd = sync_fd;
        p->phase = SPAWN_SETUP;
        p->stdin_fd = stdin_w;
        int r = loop_watch_add(l, &p->sync_watch, sync_fd, EPOLLIN, on_sync, p);
        if (r == 0 && stdout_r >= 0)
                r = stdio_out_attach(&p->out, stdout_r);
        if (r == 0 && stderr_r >= 0)
                r = stdio_out_attach(&p->err, stderr_r);
        return r;
}

int process_start(struct process *p)
{
        if (p->phase != SPAWN_HELD)
                return -EALREADY;
        int r = sync_send(p->sync_fd, SYNC_START);
        if (r == 0)
                p->phase = SPAWN_EXECING;
        return r;
}

static int encode_status(int wait_status)
{
        if (WIFEXITED(wait_status))
                return WEXITSTATUS(wait_status);
        if (WIFSIGNALED(wait_status))
                return 128 + WTERMSIG(wait_status);
        return 255;
}

void process_on_exit(struct process *p, int wait_status)
{
        struct ttrpc_call *call;

        /*
         * The exit can be seen before the child's last messages (SIGCHLD and the
         * socket are separate events). The child is gone, so whatever it said is
         * queued: read it all first, or a failed exec would look like success.
         */
        while (p->sync_fd >= 0) {
                int before = p->sync_fd;
                enum spawn_phase phase = p->phase;
                on_sync(&p->sync_watch, EPOLLIN);
                if (p->sync_fd == before && p->phase == phase && !p->spawn_error.code)
                        break; /* nothing more to read (cannot happen once the peer is dead) */
                if (p->spawn_error.code)
                        break; /* the error is known; its EOF changes nothing */
        }
        p->exited = true;
        p->exit_status = encode_status(wait_status);
        close_and_reset(&p->pidfd);
        log_debug("container %s process %s (pid %d) exited with %d", p->container->id, p->exec_id, (int)p->pid,
                  p->exit_status);
        while ((call = parked_take(&p->waiters, NULL))) {
                Grpc__WaitProcessResponse resp = GRPC__WAIT_PROCESS_RESPONSE__INIT;
                resp.status = p->exit_status;
                (void)ttrpc_call_reply(call, &resp.base);
                p->waited = true;
        }
        stdio_start_drain(p);
        container_reap_soon(p);
        container_process_event(p, PROCESS_EXITED);
}

bool process_catches(const struct process *p, int sig)
{
        char path[64], line[128];
        snprintf(path, sizeof path, "/proc/%d/status", (int)p->pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof line, f)) {
                uint64_t mask;
                const char *v = startswith(line, "SigCgt:");
                if (!v)
                        continue;
                strstrip_trailing(line);
                if (parse_u64(v + strspn(v, " \t"), 16, &mask) < 0)
                        break;
                return mask & (UINT64_C(1) << (sig - 1));
        }
        return true; /* unknown: leave the signal as it was asked for */
}

int process_signal(struct process *p, int sig)
{
        if (p->exited)
                return 0; /* racing with its exit is not an error */
        if (p->pid <= 0)
                return 0; /* never started: kill(0) would hit the agent's own process group */
        if (p->pidfd >= 0 && syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0) == 0)
                return 0;
        if (p->pidfd >= 0 && errno != ENOSYS)
                return errno == ESRCH ? 0 : -errno;
        /* No pidfd: the pid is still ours (we have not reaped it), so it cannot have been reused. */
        return kill(p->pid, sig) < 0 && errno != ESRCH ? -errno : 0;
}

int process_wait(struct process *p, struct ttrpc_call *call)
{
        if (p->exited) {
                Grpc__WaitProcessResponse resp = GRPC__WAIT_PROCESS_RESPONSE__INIT;
                resp.status = p->exit_status;
                return ttrpc_call_reply(call, &resp.base);
        }
        return parked_add(&p->waiters, call, 0);
}
