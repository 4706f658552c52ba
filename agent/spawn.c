/* SPDX-License-Identifier: Apache-2.0 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "cleanup.h"
#include "fds.h"
#include "util.h"

static int own_pidns_fd = -1;

int spawn_init(void)
{
        if (own_pidns_fd >= 0)
                return 0;
        own_pidns_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        return own_pidns_fd < 0 ? -errno : 0;
}

void spawn_fini(void)
{
        close_and_reset(&own_pidns_fd);
}

int sync_send(int sync_fd, uint32_t type)
{
        struct sync_msg m = { .type = type };
        return send(sync_fd, &m, sizeof m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int write_map(pid_t pid, const char *file, const struct idmap_plan *m)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* The kernel takes the whole map in one write or not at all. */
        return write(fd, m->text, m->len) == (ssize_t)m->len ? 0 : -errno;
}

static void kill_and_reap(pid_t pid)
{
        kill(pid, SIGKILL);
        (void)waitpid(pid, NULL, 0); /* it dies at once: SIGKILL in its first instructions */
}

int spawn_child(const struct spawn_request *req, pid_t *ret_pid, int *ret_pidfd, int *ret_sync_fd,
                struct rpc_error *e)
{
        const struct plan *p = req->plan;
        int sv[2];
        unsigned long flags = SIGCHLD;

        for (int i = 0; i < NS_COUNT; i++)
                if (p->ns[i].present && !p->ns[i].join && i != NS_CGROUP)
                        flags |= (unsigned long)ns_clone_flags[i];
        int pidns = req->pidns_fd >= 0 ? req->pidns_fd : (p->ns[NS_PID].join ? p->ns[NS_PID].fd : -1);
        if (pidns >= 0)
                flags &= ~(unsigned long)CLONE_NEWPID;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -errno, "socketpair: %s", strerror(errno));

        /* setns(PID) only changes where our next child lives: go there, clone, come back. */
        if (pidns >= 0 && setns(pidns, CLONE_NEWPID) < 0) {
                int r = -errno;
                close(sv[0]);
                close(sv[1]);
                return rpc_error_set(e, GRPC_INTERNAL, r, "cannot enter the PID namespace: %s", strerror(-r));
        }
        pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
        int clone_errno = errno;
        if (pid == 0) {
                /* Only what the plan names, and the sync socket (see fds.h). */
                int keep[NS_COUNT + 5], n = 0;
                keep[n++] = sv[1];
                keep[n++] = p->root_fd;
                keep[n++] = p->stdin_fd;
                keep[n++] = p->stdout_fd;
                keep[n++] = p->stderr_fd;
                for (int i = 0; i < NS_COUNT; i++)
                        keep[n++] = p->ns[i].fd;
                if (fds_close_except(keep, (size_t)n) < 0)
                        _exit(CHILD_EXIT_SETUP); /* seen as a setup failure: the socket says nothing */
                child_main(p, sv[1], req->hold);
        }
        if (pidns >= 0 && own_pidns_fd >= 0)
                (void)setns(own_pidns_fd, CLONE_NEWPID);
        close(sv[1]);
        if (pid < 0) {
                close(sv[0]);
                return rpc_error_set(e, grpc_code_from_errno(-clone_errno), -clone_errno,
                                     "cannot create the container process: %s", strerror(clone_errno));
        }

        int r = 0;
        if (flags & CLONE_NEWUSER) {
                r = write_map(pid, "uid_map", &p->uid_map);
                if (r == 0)
                        r = write_map(pid, "gid_map", &p->gid_map);
                if (r < 0)
                        rpc_error_set(e, GRPC_INVALID_ARGUMENT, r, "cannot write the user namespace's id maps: %s",
                                      strerror(-r));
        }
        if (r == 0 && req->cgroup)
                r = cgroup_add_pid(req->cgroup, pid, e);
        if (r == 0 && (r = sync_send(sv[0], SYNC_GO)) < 0)
                rpc_error_set(e, GRPC_INTERNAL, r, "cannot start the container process: %s", strerror(-r));
        if (r < 0) {
                close(sv[0]);
                kill_and_reap(pid);
                return r;
        }
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        *ret_pid = pid;
        *ret_pidfd = pidfd; /* -1 before Linux 5.3: signals then go by pid */
        *ret_sync_fd = sv[0];
        return 0;
}
