/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One debug console connection: a shell on a fresh pty, and the bytes
 * relayed between the socket and the pty master by the loop. A direction
 * reads only while its buffer is empty, so a slow reader on one side stops
 * the other side's reads instead of growing memory.
 */
#include "debug_console_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

static void update_events(struct session *s)
{
        (void)loop_watch_modify(s->dc->loop, &s->sock_watch,
                                (s->to_pty_len ? 0 : EPOLLIN) | (s->to_sock_len ? EPOLLOUT : 0));
        (void)loop_watch_modify(s->dc->loop, &s->master_watch,
                                (s->to_sock_len ? 0 : EPOLLIN) | (s->to_pty_len ? EPOLLOUT : 0));
}

/* Writes what buf holds to fd; -errno when fd is gone, else 0 (the rest stays for EPOLLOUT). */
static int drain(int fd, bool is_sock, char *buf, size_t *len)
{
        while (*len > 0) {
                ssize_t n = is_sock ? send(fd, buf, *len, MSG_NOSIGNAL | MSG_DONTWAIT) : write(fd, buf, *len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0)
                        return n < 0 ? -errno : -EPIPE;
                memmove(buf, buf + n, *len - (size_t)n);
                *len -= (size_t)n;
        }
        return 0;
}

/* Reads into an empty buf; -errno (or -EPIPE at end of file) when fd is done. */
static int fill(int fd, char *buf, size_t *len)
{
        ssize_t n = read(fd, buf, SESSION_BUFFER);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n == 0)
                return -EPIPE;
        *len = (size_t)n;
        return 0;
}

/* The shell's last words, best effort: what the pty still holds goes to the socket, then the end. */
static void finish(struct session *s)
{
        if (s->to_sock_len == 0)
                (void)fill(s->master, s->to_sock, &s->to_sock_len);
        (void)drain(s->sock, true, s->to_sock, &s->to_sock_len);
        session_end(s);
}

static void on_sock(struct loop_watch *w, uint32_t events)
{
        struct session *s = w->data;
        int r = 0;
        if ((events & EPOLLIN) && s->to_pty_len == 0) {
                r = fill(s->sock, s->to_pty, &s->to_pty_len);
                if (r == 0)
                        r = drain(s->master, false, s->to_pty, &s->to_pty_len);
        }
        if (r == 0 && (events & EPOLLOUT))
                r = drain(s->sock, true, s->to_sock, &s->to_sock_len);
        if (r < 0 || (events & (EPOLLHUP | EPOLLERR))) {
                session_end(s); /* the peer left: the shell gets SIGHUP */
                return;
        }
        update_events(s);
}

static void on_master(struct loop_watch *w, uint32_t events)
{
        struct session *s = w->data;
        int r = 0;
        if ((events & EPOLLIN) && s->to_sock_len == 0) {
                r = fill(s->master, s->to_sock, &s->to_sock_len);
                if (r == 0)
                        r = drain(s->sock, true, s->to_sock, &s->to_sock_len);
                if (r < 0 && r != -EIO && r != -EPIPE) {
                        session_end(s); /* the socket failed */
                        return;
                }
        }
        if (r == 0 && (events & EPOLLOUT))
                r = drain(s->master, false, s->to_pty, &s->to_pty_len);
        if (r < 0 || (events & (EPOLLHUP | EPOLLERR))) {
                finish(s); /* every holder of the pty closed it: the shell is gone */
                return;
        }
        update_events(s);
}

static void on_shell_exit(struct loop_watch *w, uint32_t events)
{
        (void)events;
        finish(w->data);
}

static int open_pty(int *ret_master, int *ret_slave)
{
        char name[64];
        _cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return -errno;
        if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof name) != 0)
                return -errno ? -errno : -EIO;
        int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return -errno;
        int r = fd_set_nonblock(master, true);
        if (r < 0) {
                close(slave);
                return r;
        }
        *ret_master = TAKE_FD(master);
        *ret_slave = slave;
        return 0;
}

int session_start(struct debug_console *dc, int sock)
{
        struct session *s = calloc(1, sizeof *s);
        int slave = -1, r;
        if (!s)
                return -ENOMEM;
        s->dc = dc;
        s->sock = sock;
        s->master = s->pidfd = -1;
        r = open_pty(&s->master, &slave);
        if (r == 0) {
                r = debug_console_spawn(slave, false, &s->pid, &s->pidfd);
                close(slave);
        }
        if (r == 0)
                r = loop_watch_add(dc->loop, &s->sock_watch, sock, EPOLLIN, on_sock, s);
        if (r == 0)
                r = loop_watch_add(dc->loop, &s->master_watch, s->master, EPOLLIN, on_master, s);
        if (r == 0)
                r = loop_watch_add(dc->loop, &s->pid_watch, s->pidfd, EPOLLIN, on_shell_exit, s);
        list_add_tail(&s->link, &dc->sessions);
        dc->n_sessions++;
        if (r < 0) {
                s->sock = -1; /* the caller closes it */
                session_end(s);
        }
        return r;
}

void session_end(struct session *s)
{
        struct loop *l = s->dc->loop;
        if (s->sock_watch.added)
                loop_watch_remove(l, &s->sock_watch);
        if (s->master_watch.added)
                loop_watch_remove(l, &s->master_watch);
        if (s->pid_watch.added)
                loop_watch_remove(l, &s->pid_watch);
        if (s->pidfd >= 0)
                (void)syscall(SYS_pidfd_send_signal, s->pidfd, SIGHUP, NULL, 0);
        close_and_reset(&s->pidfd);
        close_and_reset(&s->master);
        close_and_reset(&s->sock);
        list_del(&s->link);
        s->dc->n_sessions--;
        free(s);
}
