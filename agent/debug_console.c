/* SPDX-License-Identifier: Apache-2.0 */
/* The console shell and the listener; debug_console_session.c relays a connection's pty. */
#include "debug_console.h"
#include "debug_console_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addr.h"
#include "cleanup.h"
#include "fds.h"
#include "log.h"
#include "policy.h"
#include "transport.h"
#include "util.h"

int debug_console_find_shell(const char **ret_path, const char **ret_argv0)
{
        static const char *const shells[][2] = {
                { "/bin/sh", "sh" },
                { "/usr/bin/sh", "sh" },
                { "/bin/busybox", "sh" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(shells); i++)
                if (access(shells[i][0], X_OK) == 0) {
                        *ret_path = shells[i][0];
                        *ret_argv0 = shells[i][1];
                        return 0;
                }
        return -ENOENT;
}

int debug_console_spawn(int tty_fd, bool steal, pid_t *ret_pid, int *ret_pidfd)
{
        const char *path, *argv0;
        int r = debug_console_find_shell(&path, &argv0);
        if (r < 0)
                return r;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char *argv[] = { (char *)argv0, NULL };
                child_signals_default();
                if (setsid() < 0 || ioctl(tty_fd, TIOCSCTTY, steal ? 1 : 0) < 0)
                        _exit(126);
                if (dup2(tty_fd, STDIN_FILENO) < 0 || dup2(tty_fd, STDOUT_FILENO) < 0 ||
                    dup2(tty_fd, STDERR_FILENO) < 0)
                        _exit(126);
                (void)fds_close_except(NULL, 0);
                if (!getenv("TERM"))
                        (void)setenv("TERM", "vt220", 1);
                execv(path, argv);
                _exit(127);
        }
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                r = -errno;
                kill(pid, SIGKILL); /* reaped as an orphan would be */
                return r;
        }
        *ret_pid = pid;
        *ret_pidfd = pidfd; /* pidfds are close-on-exec from birth */
        return 0;
}

static void console_spawn(struct debug_console *dc);

static void console_respawn_timer(struct loop_timer *t)
{
        console_spawn(t->data);
}

static void console_exited(struct loop_watch *w, uint32_t events)
{
        struct debug_console *dc = w->data;
        (void)events;
        loop_watch_remove(dc->loop, &dc->console_watch);
        close_and_reset(&dc->console_pidfd);
        dc->console_pid = 0;
        /* A shell that dies at once (none installed, a broken console) must not spin the loop. */
        uint64_t lived = now_ns() - dc->console_started_ns;
        if (lived >= NSEC_PER_SEC) {
                dc->respawn_delay_s = 0;
                console_spawn(dc);
                return;
        }
        dc->respawn_delay_s = dc->respawn_delay_s ? MIN(dc->respawn_delay_s * 2, DEBUG_CONSOLE_RESPAWN_MAX_S) : 1;
        log_warn("the debug console shell exited at once; starting it again in %u s", dc->respawn_delay_s);
        (void)loop_timer_arm(dc->loop, &dc->respawn, now_ns() + dc->respawn_delay_s * NSEC_PER_SEC,
                             console_respawn_timer, dc);
}

static void console_spawn(struct debug_console *dc)
{
        struct rpc_error e = { 0 };
        if (policy_active_check_debug_console(&e) < 0) {
                log_warn("debug console on %s not started: %s", dc->console_path, e.msg);
                return;
        }
        _cleanup_close_ int fd = open(dc->console_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        int r = fd < 0 ? -errno : 0;
        dc->console_started_ns = now_ns();
        if (r == 0)
                r = debug_console_spawn(fd, true, &dc->console_pid, &dc->console_pidfd);
        if (r == 0)
                r = loop_watch_add(dc->loop, &dc->console_watch, dc->console_pidfd, EPOLLIN, console_exited, dc);
        if (r < 0) {
                log_error_errno(r, "cannot start the debug console on %s", dc->console_path);
                close_and_reset(&dc->console_pidfd);
                return;
        }
        log_info("debug console: shell (pid %d) on %s", (int)dc->console_pid, dc->console_path);
}

static void on_accept(struct loop_watch *w, uint32_t events)
{
        struct debug_console *dc = w->data;
        char peer[64];
        (void)events;
        int fd = transport_accept(dc->listen_fd, peer, sizeof peer);
        if (fd < 0)
                return;
        struct rpc_error e = { 0 };
        if (policy_active_check_debug_console(&e) < 0) {
                char msg[RPC_ERROR_MSG_MAX + 32];
                int n = snprintf(msg, sizeof msg, "kinglet-agent: %s\r\n", e.msg);
                log_info("debug console: refused %s: %s", peer, e.msg);
                (void)!send(fd, msg, (size_t)MIN(n, (int)sizeof msg - 1), MSG_NOSIGNAL | MSG_DONTWAIT);
                close(fd);
                return;
        }
        if (dc->n_sessions >= DEBUG_CONSOLE_MAX_SESSIONS) {
                static const char msg[] = "kinglet-agent: too many debug console sessions (at most 4)\r\n";
                (void)!send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
                close(fd);
                log_warn("debug console: refused %s, %d sessions are open", peer, DEBUG_CONSOLE_MAX_SESSIONS);
                return;
        }
        int r = session_start(dc, fd);
        if (r < 0) {
                close(fd);
                log_error_errno(r, "debug console: cannot start a shell for %s", peer);
                return;
        }
        log_info("debug console: shell for %s", peer);
}

static int listen_on(struct debug_console *dc, const char *addr)
{
        struct address a;
        struct rpc_error e = { 0 };
        int r = address_parse(addr, &a, &e);
        if (r >= 0)
                r = transport_listen(&a, &dc->listen_fd, &e);
        if (r < 0)
                return log_error_errno(r, "debug console %s: %s", addr, e.msg);
        r = loop_watch_add(dc->loop, &dc->listen_watch, dc->listen_fd, EPOLLIN, on_accept, dc);
        if (r < 0) {
                close_and_reset(&dc->listen_fd);
                return log_error_errno(r, "debug console %s: cannot watch it", addr);
        }
        log_info("debug console: listening on %s", addr);
        return 0;
}

int debug_console_start(struct loop *loop, bool on_console, const char *console_path, const char *addr,
                        struct debug_console **ret)
{
        struct debug_console *dc = calloc(1, sizeof *dc);
        if (!dc)
                return -ENOMEM;
        dc->loop = loop;
        dc->listen_fd = -1;
        dc->console_pidfd = -1;
        snprintf(dc->console_path, sizeof dc->console_path, "%s", console_path);
        list_init(&dc->sessions);
        if (addr && *addr) {
                int r = listen_on(dc, addr);
                if (r < 0) {
                        free(dc);
                        return r;
                }
        }
        if (on_console)
                console_spawn(dc);
        *ret = dc;
        return 0;
}

void debug_console_free(struct debug_console *dc)
{
        if (!dc)
                return;
        while (!list_empty(&dc->sessions))
                session_end(list_entry(dc->sessions.next, struct session, link));
        if (dc->listen_fd >= 0) {
                loop_watch_remove(dc->loop, &dc->listen_watch);
                close_and_reset(&dc->listen_fd);
        }
        loop_timer_disarm(dc->loop, &dc->respawn);
        if (dc->console_pidfd >= 0) {
                loop_watch_remove(dc->loop, &dc->console_watch);
                close_and_reset(&dc->console_pidfd);
        }
        if (dc->console_pid > 0)
                kill(dc->console_pid, SIGHUP);
        free(dc);
}
