/* SPDX-License-Identifier: Apache-2.0 */
#include "log_vport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "cleanup.h"
#include "log.h"
#include "transport.h"
#include "util.h"

struct log_vport {
        struct loop *loop;
        int listen_fd;
        struct loop_watch listen_watch;
        int peer_fd;
        struct loop_watch peer_watch;
        char pending[LOG_VPORT_BUFFER]; /* the part of the stream the peer has not taken yet */
        size_t pending_len;
        uint64_t dropped_since_note; /* lines dropped since the peer last caught up */
        uint64_t dropped_total;
};

static void drop_peer(struct log_vport *lv)
{
        if (lv->peer_fd < 0)
                return;
        loop_watch_remove(lv->loop, &lv->peer_watch);
        close_and_reset(&lv->peer_fd);
        lv->pending_len = 0;
        lv->dropped_since_note = 0;
}

static void update_events(struct log_vport *lv)
{
        if (lv->peer_fd >= 0)
                (void)loop_watch_modify(lv->loop, &lv->peer_watch, EPOLLIN | (lv->pending_len ? EPOLLOUT : 0));
}

/* Sends what is pending; false when the peer is gone. */
static bool flush(struct log_vport *lv)
{
        while (lv->pending_len > 0) {
                ssize_t n = send(lv->peer_fd, lv->pending, lv->pending_len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return true;
                if (n <= 0)
                        return false;
                memmove(lv->pending, lv->pending + n, lv->pending_len - (size_t)n);
                lv->pending_len -= (size_t)n;
        }
        return true;
}

static bool append(struct log_vport *lv, const char *line, size_t len)
{
        if (len > sizeof lv->pending - lv->pending_len)
                return false;
        memcpy(lv->pending + lv->pending_len, line, len);
        lv->pending_len += len;
        return true;
}

/* Once the peer has caught up: say how much it missed, in the log's own format. */
static void note_dropped(struct log_vport *lv)
{
        char line[LOG_LINE_MAX + 1];
        if (lv->dropped_since_note == 0 || lv->pending_len > 0)
                return;
        const struct log_field f = LF_INT("dropped", lv->dropped_since_note);
        size_t len = log_format_line(line, sizeof line - 1, LOG_LEVEL_WARN, &f, 1,
                                     "log lines dropped: the log_vport peer did not keep up");
        line[len++] = '\n';
        if (append(lv, line, len))
                lv->dropped_since_note = 0;
}

static void tee_line(const char *line, size_t len, void *data)
{
        struct log_vport *lv = data;
        if (lv->peer_fd < 0)
                return;
        bool was_idle = lv->pending_len == 0;
        if (!append(lv, line, len)) {
                lv->dropped_since_note++;
                lv->dropped_total++;
                return;
        }
        if (!was_idle)
                return; /* EPOLLOUT is armed already */
        if (!flush(lv)) {
                drop_peer(lv);
                return;
        }
        if (lv->pending_len > 0)
                update_events(lv);
}

static void on_peer(struct loop_watch *w, uint32_t events)
{
        struct log_vport *lv = w->data;
        if (events & EPOLLIN) {
                char sink[512];
                ssize_t n = recv(lv->peer_fd, sink, sizeof sink, MSG_DONTWAIT); /* the peer has nothing to say */
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                        drop_peer(lv);
                        return;
                }
        }
        if (events & (EPOLLHUP | EPOLLERR)) {
                drop_peer(lv);
                return;
        }
        if ((events & EPOLLOUT) && !flush(lv)) {
                drop_peer(lv);
                return;
        }
        note_dropped(lv);
        if (!flush(lv)) {
                drop_peer(lv);
                return;
        }
        update_events(lv);
}

static void on_accept(struct loop_watch *w, uint32_t events)
{
        struct log_vport *lv = w->data;
        char peer[64];
        (void)events;
        int fd = transport_accept(lv->listen_fd, peer, sizeof peer);
        if (fd < 0)
                return;
        drop_peer(lv); /* one reader: the newest */
        if (loop_watch_add(lv->loop, &lv->peer_watch, fd, EPOLLIN, on_peer, lv) < 0) {
                close(fd);
                return;
        }
        lv->peer_fd = fd;
        log_info("log reader connected from %s", peer);
}

int log_vport_start(struct loop *loop, const char *addr, struct log_vport **ret)
{
        struct address a;
        struct rpc_error e = { 0 };
        int fd, r;

        r = address_parse(addr, &a, &e);
        if (r >= 0)
                r = transport_listen(&a, &fd, &e);
        if (r < 0)
                return log_error_errno(r, "log channel %s: %s", addr, e.msg);
        struct log_vport *lv = calloc(1, sizeof *lv);
        if (!lv) {
                close(fd);
                return -ENOMEM;
        }
        lv->loop = loop;
        lv->listen_fd = fd;
        lv->peer_fd = -1;
        r = loop_watch_add(loop, &lv->listen_watch, fd, EPOLLIN, on_accept, lv);
        if (r < 0) {
                close(fd);
                free(lv);
                return log_error_errno(r, "log channel %s: cannot watch it", addr);
        }
        log_set_tee(tee_line, lv);
        log_info("log lines are also served on %s", addr);
        *ret = lv;
        return 0;
}

void log_vport_free(struct log_vport *lv)
{
        if (!lv)
                return;
        log_set_tee(NULL, NULL);
        drop_peer(lv);
        loop_watch_remove(lv->loop, &lv->listen_watch);
        close(lv->listen_fd);
        free(lv);
}

uint64_t log_vport_dropped(const struct log_vport *lv)
{
        return lv->dropped_total;
}
