/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The child's path from clone to execve (see child.h for the conversation).
 * Order matters and follows runc: namespaces, root filesystem, terminal, then
 * at START: oom score and rlimits while still privileged, session and stdio,
 * no_new_privs, the uid/gid switch keeping capabilities, the final capability
 * sets, seccomp last (before the privilege drop when no_new_privs is off, since
 * installing a filter then needs CAP_SYS_ADMIN), cwd, umask, exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "child.h"
#include "fds.h"
#include "status.h"
#include "util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int child_fail(struct sync_msg *err, int errnum, int code, const char *fmt, ...)
{
        va_list ap;
        err->type = SYNC_ERROR;
        err->err = errnum;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
        return -errnum;
}

static _Noreturn void die(int sync_fd, const struct sync_msg *err, int status)
{
        (void)!send(sync_fd, err, sizeof *err, MSG_NOSIGNAL);
        _exit(status);
}

static int send_msg(int sync_fd, uint32_t type, int fd_to_pass)
{
        struct sync_msg m = { .type = type };
        struct iovec iov = { .iov_base = &m, .iov_len = sizeof m };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (fd_to_pass >= 0) {
                memset(&control, 0, sizeof control);
                msg.msg_control = control.buf;
                msg.msg_controllen = sizeof control.buf;
                struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd_to_pass, sizeof(int));
        }
        return sendmsg(sync_fd, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int wait_for(int sync_fd, uint32_t type)
{
        struct sync_msg m;
        for (;;) {
                ssize_t n = recv(sync_fd, &m, sizeof m, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n != (ssize_t)sizeof m)
                        return -EPIPE; /* the agent gave up on us */
                return m.type == type ? 0 : -EPROTO;
        }
}

static int join_namespaces(const struct plan *p, struct sync_msg *err)
{
        /* The user namespace first: the others may be owned by it. PID was joined by the parent. */
        static const enum ns_type order[] = { NS_USER, NS_MNT, NS_NET, NS_IPC, NS_UTS, NS_CGROUP };
        for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
                const struct ns_plan *n = &p->ns[order[i]];
                if (n->join && n->fd >= 0 && setns(n->fd, ns_clone_flags[order[i]]) < 0)
                        return child_fail(err, errno, GRPC_INTERNAL, "cannot join the %s namespace: %s",
                                          ns_type_names[order[i]], strerror(errno));
        }
        /*
         * In a user namespace we still carry the agent's ids (host root), which
         * the namespace does not map: become its root, as the maps now allow.
         */
        if (p->ns[NS_USER].present && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                return child_fail(err, errno, GRPC_INVALID_ARGUMENT,
                                  "cannot become root in the user namespace (are uid 0 and gid 0 mapped?): %s",
                                  strerror(errno));
        /* Created only now, after the agent moved us into our group: that group becomes its root. */
        if (p->ns[NS_CGROUP].present && !p->ns[NS_CGROUP].join && unshare(CLONE_NEWCGROUP) < 0)
                return child_fail(err, errno, GRPC_INTERNAL, "cannot create a cgroup namespace: %s", strerror(errno));
        return 0;
}

/* Opens a pty in the container's devpts, hands the master to the agent, returns the slave. */
static int open_terminal(const struct plan *p, int sync_fd, struct sync_msg *err)
{
        int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return child_fail(err, errno, GRPC_FAILED_PRECONDITION,
                                  "a terminal was asked for but /dev/ptmx cannot be opened in the container: %s",
                                  strerror(errno));
        int unlock = 0;
        int slave = -1;
        if (ioctl(master, TIOCSPTLCK, &unlock) == 0)
                slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
        if (slave < 0) {
                int e = errno;
                close(master);
                return child_fail(err, e, GRPC_INTERNAL, "cannot open the terminal's other end: %s", strerror(e));
        }
        if (p->console_rows && p->console_cols) {
                struct winsize ws = { .ws_row = p->console_rows, .ws_col = p->console_cols };
                (void)ioctl(slave, TIOCSWINSZ, &ws);
        }
        int r = send_msg(sync_fd, SYNC_PTY, master);
        close(master);
        if (r < 0) {
                close(slave);
                return child_fail(err, -r, GRPC_INTERNAL, "cannot pass the terminal to the agent: %s", strerror(-r));
        }
        return slave;
}

static int setup_stdio(const struct plan *p, int tty, struct sync_msg *err)
{
        if (setsid() < 0)
                return child_fail(err, errno, GRPC_INTERNAL, "setsid: %s", strerror(errno));
        if (tty >= 0) {
                if (ioctl(tty, TIOCSCTTY, 0) < 0)
                        return child_fail(err, errno, GRPC_INTERNAL, "cannot take the terminal: %s", strerror(errno));
                for (int fd = 0; fd < 3; fd++)
                        if (dup2(tty, fd) < 0)
                                return child_fail(err, errno, GRPC_INTERNAL, "dup2: %s", strerror(errno));
                if (tty > 2)
                        close(tty);
                return 0;
        }
        const int from[3] = { p->stdin_fd, p->stdout_fd, p->stderr_fd };
        for (int fd = 0; fd < 3; fd++)
                if (from[fd] >= 0 && dup2(from[fd], fd) < 0)
                        return child_fail(err, errno, GRPC_INTERNAL, "dup2: %s", strerror(errno));
        return 0;
}

static int set_user(const struct plan *p, struct sync_msg *err)
{
        if (setgroups(p->n_groups, p->groups) < 0 && !(errno == EPERM && p->n_groups == 0))
                return child_fail(err, errno, GRPC_INVALID_ARGUMENT, "setgroups: %s", strerror(errno));
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                return child_fail(err, errno, GRPC_INVALID_ARGUMENT, "cannot switch to gid %u: %s", p->gid,
                                  strerror(errno));
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                return child_fail(err, errno, GRPC_INVALID_ARGUMENT, "cannot switch to uid %u: %s", p->uid,
                                  strerror(errno));
        return 0;
}

static int setup_process(const struct plan *p, int tty, struct sync_msg *err)
{
        if (p->set_oom_score_adj) {
                int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, p->oom_score_adj, strlen(p->oom_score_adj)) < 0) {
                        int e = errno;
                        if (fd >= 0)
                                close(fd);
                        return child_fail(err, e, GRPC_INTERNAL, "cannot set oom_score_adj: %s", strerror(e));
                }
                close(fd);
        }
        if (rlimits_apply(p->rlimits, p->n_rlimits) < 0)
                return child_fail(err, errno, GRPC_INVALID_ARGUMENT, "cannot apply rlimits: %s", strerror(errno));
        int r = setup_stdio(p, tty, err);
        /* spawn.c closed what the child did not need; whatever is left must not outlive the exec. */
        if (r == 0 && (r = fds_cloexec_all()) < 0)
                r = child_fail(err, -r, GRPC_INTERNAL, "cannot mark descriptors close-on-exec: %s", strerror(-r));
        if (r < 0)
                return r;
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return child_fail(err, errno, GRPC_INTERNAL, "cannot set no_new_privs: %s", strerror(errno));
        if (!p->no_new_privileges && p->seccomp && (r = seccomp_install(p->seccomp)) < 0)
                return child_fail(err, -r, GRPC_INVALID_ARGUMENT, "cannot install the seccomp filter: %s",
                                  strerror(-r));
        if (p->has_caps && (r = caps_prepare()) < 0)
                return child_fail(err, -r, GRPC_INTERNAL, "cannot keep capabilities: %s", strerror(-r));
        r = set_user(p, err);
        if (r < 0)
                return r;
        if (p->has_caps && (r = caps_apply(&p->caps)) < 0)
                return child_fail(err, -r, GRPC_INTERNAL, "cannot set capabilities: %s", strerror(-r));
        if (p->no_new_privileges && p->seccomp && (r = seccomp_install(p->seccomp)) < 0)
                return child_fail(err, -r, GRPC_INVALID_ARGUMENT, "cannot install the seccomp filter: %s",
                                  strerror(-r));
        if (chdir(p->cwd) < 0)
                return child_fail(err, errno, GRPC_INVALID_ARGUMENT, "cannot change to cwd `%s`: %s", p->cwd,
                                  strerror(errno));
        umask(p->umask);
        return 0;
}

/* execvpe over the container's PATH, with the shell's 127/126 split. Returns only on failure. */
static int exec_process(const struct plan *p, struct sync_msg *err)
{
        const char *file = p->argv[0];
        if (strchr(file, '/')) {
                execve(file, p->argv, p->envp);
                int e = errno;
                child_fail(err, e, e == ENOENT ? GRPC_NOT_FOUND : GRPC_PERMISSION_DENIED,
                           "cannot execute `%s`: %s", file, strerror(e));
                return e == ENOENT ? CHILD_EXIT_NOT_FOUND : CHILD_EXIT_CANNOT_EXEC;
        }
        int seen_eacces = 0;
        for (const char *dir = p->path_env; ; ) {
                const char *end = strchrnul(dir, ':');
                char path[PATH_MAX];
                int n = snprintf(path, sizeof path, "%.*s%s%s", (int)(end - dir), dir, end > dir ? "/" : "", file);
                if (n > 0 && (size_t)n < sizeof path) {
                        execve(path, p->argv, p->envp);
                        if (errno == EACCES)
                                seen_eacces = EACCES;
                        else if (errno != ENOENT && errno != ENOTDIR) {
                                int e = errno;
                                child_fail(err, e, GRPC_PERMISSION_DENIED, "cannot execute `%s`: %s", path, strerror(e));
                                return CHILD_EXIT_CANNOT_EXEC;
                        }
                }
                if (!*end)
                        break;
                dir = end + 1;
        }
        if (seen_eacces) {
                child_fail(err, EACCES, GRPC_PERMISSION_DENIED, "cannot execute `%s`: permission denied", file);
                return CHILD_EXIT_CANNOT_EXEC;
        }
        child_fail(err, ENOENT, GRPC_NOT_FOUND, "executable `%s` not found in $PATH (%s)", file, p->path_env);
        return CHILD_EXIT_NOT_FOUND;
}

_Noreturn void child_main(const struct plan *p, int sync_fd, bool hold)
{
        struct sync_msg err = { 0 };
        int tty = -1;

        child_signals_default();
        /* Die with the agent rather than linger half set up (cleared again before exec). */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (wait_for(sync_fd, SYNC_GO) < 0)
                _exit(CHILD_EXIT_SETUP);
        if (join_namespaces(p, &err) < 0)
                die(sync_fd, &err, CHILD_EXIT_SETUP);
        if (p->setup_rootfs) {
                if (child_setup_rootfs(p, &err) < 0)
                        die(sync_fd, &err, CHILD_EXIT_SETUP);
                if (p->hostname && sethostname(p->hostname, strlen(p->hostname)) < 0) {
                        child_fail(&err, errno, GRPC_INTERNAL, "sethostname: %s", strerror(errno));
                        die(sync_fd, &err, CHILD_EXIT_SETUP);
                }
                if (child_finish_rootfs(p, &err) < 0)
                        die(sync_fd, &err, CHILD_EXIT_SETUP);
        } else if (p->root_fd >= 0 && (fchdir(p->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)) {
                child_fail(&err, errno, GRPC_INTERNAL, "cannot enter the container's root: %s", strerror(errno));
                die(sync_fd, &err, CHILD_EXIT_SETUP);
        }
        if (p->terminal && (tty = open_terminal(p, sync_fd, &err)) < 0)
                die(sync_fd, &err, CHILD_EXIT_SETUP);
        if (hold) {
                if (send_msg(sync_fd, SYNC_READY, -1) < 0 || wait_for(sync_fd, SYNC_START) < 0)
                        _exit(CHILD_EXIT_SETUP);
        }
        if (setup_process(p, tty, &err) < 0)
                die(sync_fd, &err, CHILD_EXIT_SETUP);
        (void)prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        int status = exec_process(p, &err);
        die(sync_fd, &err, status);
}
