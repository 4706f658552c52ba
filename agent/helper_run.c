/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helper programs run from the loop (see helper_run.h). A run owns three
 * pipes (our ends non-blocking, the child's blocking, as programs expect)
 * and one timer: the timeout while the program runs, then the drain deadline
 * once it has exited, so a grandchild that inherited stdout cannot hold the
 * reply forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "fds.h"
#include "helper_run.h"
#include "list.h"
#include "util.h"

/* Read at most this much per readiness event, so one chatty helper cannot starve the loop. */
#define HELPER_READ_CHUNK (64u << 10)

struct helper_pipe {
        struct helper *h;
        int fd; /* our read end; -1 after EOF */
        struct loop_watch watch;
        struct buf data;
        size_t max;
        bool truncated;
};

struct helper {
        struct list_head link;
        struct loop *loop;
        pid_t pid;
        bool exited, timed_out;
        int wait_status;
        int in_fd; /* our write end of stdin; -1 once everything is written (or the child closed it) */
        struct loop_watch in_watch;
        const uint8_t *input;
        size_t input_len, input_off;
        struct helper_pipe out, err;
        struct loop_timer timer;
        helper_done_fn done;
        void *data;
};

/* The runs in progress, for the SIGCHLD reaper. */
static struct list_head running = LIST_HEAD_INIT(running);
static size_t n_running;

const char *helper_path(void)
{
        const char *p = getenv(HELPER_PATH_ENV);
        return p && *p ? p : HELPER_DEFAULT_PATH;
}

int helper_find(const char *name, char *ret, size_t size)
{
        const char *dirs = helper_path();
        if (!*name || strchr(name, '/'))
                return -EINVAL;
        while (*dirs) {
                size_t n = strcspn(dirs, ":");
                char path[512];
                struct stat st;
                if (n > 0 && snprintf(path, sizeof path, "%.*s/%s", (int)n, dirs, name) < (int)sizeof path &&
                    stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0) {
                        if (strlen(path) >= size)
                                return -ENAMETOOLONG;
                        memcpy(ret, path, strlen(path) + 1);
                        return 0;
                }
                dirs += n + (dirs[n] == ':');
        }
        return -ENOENT;
}

const char *helper_describe_exit(const struct helper_result *res, char *buf, size_t size)
{
        if (res->timed_out)
                snprintf(buf, size, "did not finish in time and was killed");
        else if (WIFEXITED(res->wait_status))
                snprintf(buf, size, "exit status %d", WEXITSTATUS(res->wait_status));
        else
                snprintf(buf, size, "killed by signal %d", WTERMSIG(res->wait_status));
        return buf;
}

const char *helper_stderr_tail(const struct helper_result *res, char *buf, size_t size)
{
        const char *s = res->err.data ? res->err.data : "";
        size_t len = res->err.len;
        while (len > 0 && strchr(" \t\r\n", s[len - 1]))
                len--;
        if (len == 0) {
                snprintf(buf, size, "(no output)");
                return buf;
        }
        size_t o = 0, from = 0;
        if (len > size - 1) {
                from = len - (size - 4);
                memcpy(buf, "...", 3);
                o = 3;
        }
        for (size_t i = from; i < len && o + 2 < size; i++) {
                if (s[i] == '\n') {
                        buf[o++] = ';';
                        buf[o++] = ' ';
                } else
                        buf[o++] = s[i] == '\0' ? ' ' : s[i];
        }
        buf[o] = '\0';
        return buf;
}

static void pipe_close(struct helper *h, struct helper_pipe *p)
{
        if (p->fd < 0)
                return;
        loop_watch_remove(h->loop, &p->watch);
        close_and_reset(&p->fd);
}

static void stdin_close(struct helper *h)
{
        if (h->in_fd < 0)
                return;
        loop_watch_remove(h->loop, &h->in_watch);
        close_and_reset(&h->in_fd);
}

static void release(struct helper *h)
{
        if (list_linked(&h->link))
                n_running--;
        list_del(&h->link);
        loop_timer_disarm(h->loop, &h->timer);
        stdin_close(h);
        pipe_close(h, &h->out);
        pipe_close(h, &h->err);
        buf_free(&h->out.data);
        buf_free(&h->err.data);
        free(h);
}

static void output_take(struct helper_pipe *p, struct helper_output *o)
{
        /* Room for the NUL was kept by the bound (max + 1). */
        if (buf_len(&p->data) > 0 && buf_append(&p->data, "", 1, p->max + 1) == 0) {
                o->data = (char *)buf_head(&p->data);
                o->len = buf_len(&p->data) - 1;
        }
        o->truncated = p->truncated;
}

static void finish(struct helper *h)
{
        struct helper_result res = { .wait_status = h->wait_status, .timed_out = h->timed_out };
        output_take(&h->out, &res.out);
        output_take(&h->err, &res.err);
        h->done(h->data, &res);
        release(h);
}

static void maybe_finish(struct helper *h)
{
        if (h->exited && h->out.fd < 0 && h->err.fd < 0)
                finish(h);
}

static void on_output(struct loop_watch *w, uint32_t events)
{
        struct helper_pipe *p = w->data;
        struct helper *h = p->h;
        char chunk[4096];
        size_t total = 0;
        (void)events;

        while (total < HELPER_READ_CHUNK) {
                ssize_t n = read(p->fd, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) { /* EOF, or an error that ends the stream the same way */
                        pipe_close(h, p);
                        maybe_finish(h);
                        return;
                }
                total += (size_t)n;
                size_t keep = MIN((size_t)n, p->max - MIN(p->max, buf_len(&p->data)));
                if (keep < (size_t)n)
                        p->truncated = true;
                if (keep > 0 && buf_append(&p->data, chunk, keep, p->max + 1) < 0)
                        p->truncated = true;
        }
}

static void on_stdin(struct loop_watch *w, uint32_t events)
{
        struct helper *h = w->data;
        (void)events;
        while (h->input_off < h->input_len) {
                ssize_t n = write(h->in_fd, h->input + h->input_off, h->input_len - h->input_off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n < 0) /* EPIPE: the program stopped reading; its exit status will tell */
                        break;
                h->input_off += (size_t)n;
        }
        stdin_close(h); /* the program sees EOF */
}

static void on_timer(struct loop_timer *t)
{
        struct helper *h = t->data;
        if (h->exited) { /* the drain deadline: whatever still holds the pipes is not the helper */
                finish(h);
                return;
        }
        /* The exit comes through the reaper, which then finishes the run. */
        h->timed_out = true;
        kill(h->pid, SIGKILL);
}

bool helper_child_exited(pid_t pid, int wait_status)
{
        struct list_head *pos, *tmp;
        list_for_each_safe(pos, tmp, &running) {
                struct helper *h = list_entry(pos, struct helper, link);
                if (h->pid != pid || h->exited)
                        continue;
                h->exited = true;
                h->wait_status = wait_status;
                stdin_close(h);
                (void)loop_timer_arm(h->loop, &h->timer, now_ns() + HELPER_DRAIN_NS, on_timer, h);
                maybe_finish(h);
                return true;
        }
        return false;
}

static _Noreturn void exec_helper(const struct helper_spec *spec, int in, int out, int err)
{
        /* The standard directories, even when KINGLET_HELPER_PATH found the program elsewhere. */
        char *const env[] = { (char *)"PATH=" HELPER_DEFAULT_PATH, (char *)"LC_ALL=C", NULL };

        const int from[] = { in, out, err };
        child_signals_default();
        /*
         * dup2 clears close-on-exec on the copies; everything else closes at
         * exec. A pipe end that already is 0, 1 or 2 (an agent started without
         * them) only needs the flag cleared.
         */
        for (int target = 0; target < 3; target++)
                if (from[target] == target ? fcntl(target, F_SETFD, 0) < 0 : dup2(from[target], target) < 0)
                        _exit(126);
        /*
         * Least privilege (docs/security.md): nothing of the agent's beyond
         * 0-2 even if a descriptor missed O_CLOEXEC, and no exec may gain
         * privileges (root helpers keep theirs; a set-id program gains none).
         */
        if (fds_close_except(NULL, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(126);
        execve(spec->path, (char *const *)spec->argv, env);
        _exit(127);
}

static int pipe_open(struct helper *h, struct helper_pipe *p, size_t max, int *ret_child_end)
{
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        p->h = h;
        p->fd = fds[0];
        p->max = max;
        *ret_child_end = fds[1];
        return fd_set_nonblock(p->fd, true);
}

int helper_start(struct loop *loop, const struct helper_spec *spec, helper_done_fn done, void *data,
                 struct helper **ret)
{
        _cleanup_close_ int child_in = -1, child_out = -1, child_err = -1;
        if (n_running >= HELPER_MAX_RUNNING)
                return -EAGAIN;
        struct helper *h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        list_init(&h->link);
        h->loop = loop;
        h->done = done;
        h->data = data;
        h->in_fd = h->out.fd = h->err.fd = -1;
        h->input = spec->input;
        h->input_len = spec->input_len;

        int r = pipe_open(h, &h->out, spec->out_max, &child_out);
        if (r == 0)
                r = pipe_open(h, &h->err, spec->err_max, &child_err);
        if (r == 0 && spec->input) {
                int fds[2];
                if (pipe2(fds, O_CLOEXEC) < 0)
                        r = -errno;
                else {
                        child_in = fds[0];
                        h->in_fd = fds[1];
                        r = fd_set_nonblock(h->in_fd, true);
                }
        } else if (r == 0 && (child_in = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
                r = -errno;
        if (r == 0)
                r = loop_watch_add(loop, &h->out.watch, h->out.fd, EPOLLIN, on_output, &h->out);
        if (r == 0)
                r = loop_watch_add(loop, &h->err.watch, h->err.fd, EPOLLIN, on_output, &h->err);
        if (r == 0 && h->in_fd >= 0)
                r = loop_watch_add(loop, &h->in_watch, h->in_fd, EPOLLOUT, on_stdin, h);
        if (r == 0)
                r = loop_timer_arm(loop, &h->timer,
                                   now_ns() + (spec->timeout_ns ? spec->timeout_ns : HELPER_DEFAULT_TIMEOUT_NS),
                                   on_timer, h);
        if (r == 0) {
                h->pid = fork();
                if (h->pid == 0)
                        exec_helper(spec, child_in, child_out, child_err);
                if (h->pid < 0)
                        r = -errno;
        }
        if (r < 0) {
                release(h);
                return r;
        }
        list_add_tail(&h->link, &running);
        n_running++;
        *ret = h;
        return 0;
}

void helper_cancel(struct helper *h)
{
        if (!h)
                return;
        if (!h->exited)
                kill(h->pid, SIGKILL); /* reaped by the reaper, which no longer finds it here */
        release(h);
}
