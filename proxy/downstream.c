/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The proxy's listening socket and its clients: accept, the hybrid vsock
 * handshake, reading requests (routed by route.c), writing replies, and
 * back-pressure in both directions.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "handshake.h"
#include "log.h"
#include "proxy.h"
#include "transport.h"
#include "ttrpc_client.h"

/* Firecracker answers CONNECT with a host-side port number; ours count from here. */
#define HVSOCK_LOCAL_PORT_BASE 1073741824ull

static uint32_t client_events(const struct client *c)
{
        uint32_t ev = 0;
        bool reading = !c->paused_replies && !c->paused_upstream && !c->read_done && !c->closing &&
                       !c->proxy->stopping;
        if (reading)
                ev |= EPOLLIN;
        if (buf_len(&c->out) > 0)
                ev |= EPOLLOUT;
        return ev;
}

static void client_free(struct client *c)
{
        struct proxy *p = c->proxy;
        size_t dropped = mux_drop_client(&p->up.mux, c);
        if (dropped)
                log_debug("client %" PRIu64 " gone: %zu replies will be dropped", c->id, dropped);
        loop_watch_remove(p->loop, &c->watch);
        close_and_reset(&c->fd);
        list_del(&c->link);
        list_del(&c->dirty_link);
        p->n_clients--;
        buf_free(&c->in);
        buf_free(&c->out);
        free(c);
}

void client_mark_dirty(struct client *c)
{
        if (!list_linked(&c->dirty_link))
                list_add_tail(&c->dirty_link, &c->proxy->dirty);
}

static void client_update(struct client *c)
{
        if (loop_watch_modify(c->proxy->loop, &c->watch, client_events(c)) < 0) {
                c->closing = true;
                buf_free(&c->out);
                client_mark_dirty(c);
        }
}

/* The first bytes decide: a hybrid vsock CONNECT line, or ttrpc straight away. */
static bool client_first_bytes(struct client *c, struct buf *in)
{
        uint32_t port = 0;
        size_t used = 0;
        switch (handshake_detect(buf_head(in), buf_len(in), &port, &used)) {
        case HANDSHAKE_NEED_MORE:
                return false;
        case HANDSHAKE_TTRPC:
                break;
        case HANDSHAKE_BAD:
                log_info("client %" PRIu64 ": malformed hybrid vsock CONNECT line, closing", c->id);
                buf_consume(in, buf_len(in));
                c->closing = true;
                return false;
        case HANDSHAKE_CONNECT: {
                char ok[48];
                int n = snprintf(ok, sizeof ok, "OK %llu\n", HVSOCK_LOCAL_PORT_BASE + c->id);
                buf_consume(in, used);
                if (buf_append(&c->out, ok, (size_t)n, ROUTE_REPLY_MAX) < 0) {
                        c->closing = true;
                        return false;
                }
                log_debug("client %" PRIu64 ": hybrid vsock CONNECT %" PRIu32, c->id, port);
                break;
        }
        }
        c->phase = CLIENT_TTRPC;
        return true;
}

/* Route what `in` holds; sets the pause and close flags from the outcome. */
static void client_process(struct client *c, struct buf *in)
{
        struct upstream *u = &c->proxy->up;

        if (c->closing)
                return;
        if (c->phase == CLIENT_FIRST_BYTES && !client_first_bytes(c, in))
                goto out;
        switch (route_client_input(&u->route, &c->rc, in, &c->out)) {
        case ROUTE_MORE:
                break;
        case ROUTE_PAUSE_REPLIES:
                c->paused_replies = true;
                break;
        case ROUTE_PAUSE_UPSTREAM:
                c->paused_upstream = true;
                u->clients_paused = true;
                break;
        case ROUTE_CLOSE:
                c->closing = true;
                break;
        }
out:
        if (buf_len(&u->out) > 0)
                upstream_flush(u);
        client_mark_dirty(c);
}

static bool client_read_once(struct client *c, bool *drained)
{
        struct proxy *p = c->proxy;
        bool shared = buf_len(&c->in) == 0;
        size_t want = PROXY_SCRATCH_SIZE;

        if (!shared && buf_reserve(&c->in, want, ROUTE_IN_MAX) < 0 &&
            buf_reserve(&c->in, 1, ROUTE_IN_MAX) < 0) {
                c->closing = true;
                return false;
        }
        uint8_t *dst = shared ? p->scratch : buf_tail(&c->in);
        size_t size = shared ? PROXY_SCRATCH_SIZE : buf_room(&c->in);
        ssize_t n = proxy_read(c->fd, dst, size);
        if (n == 0)
                return false;
        if (n < 0) {
                c->read_done = true;
                return false;
        }
        *drained = (size_t)n < size;
        if (!shared) {
                buf_commit(&c->in, (size_t)n);
                client_process(c, &c->in);
                return true;
        }
        /* An idle client holds no input memory: only a partial frame is copied. */
        struct buf view = { .data = p->scratch, .end = (size_t)n, .cap = PROXY_SCRATCH_SIZE };
        client_process(c, &view);
        if (buf_len(&view) > 0 && !c->closing &&
            buf_append(&c->in, buf_head(&view), buf_len(&view), ROUTE_IN_MAX) < 0)
                c->closing = true;
        return true;
}

static void client_on_event(struct loop_watch *w, uint32_t events)
{
        struct client *c = w->data;

        if (events & EPOLLOUT)
                client_mark_dirty(c);
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                size_t budget = PROXY_READ_BUDGET;
                bool drained = false;
                while (!c->closing && !c->read_done && !c->paused_replies && !c->paused_upstream &&
                       !drained && budget >= PROXY_SCRATCH_SIZE) {
                        if (!client_read_once(c, &drained))
                                break;
                        budget -= PROXY_SCRATCH_SIZE;
                }
        }
        /*
         * HUP: the peer closed entirely (killed, or done): nobody will read
         * the replies, so drop them now. EOF without HUP is a half-close:
         * answer what it asked (downstream_flush_all), then close.
         */
        if (events & (EPOLLHUP | EPOLLERR)) {
                c->closing = true;
                buf_free(&c->out);
        }
        client_update(c);
        client_mark_dirty(c);
}

void client_resume(struct client *c)
{
        c->paused_replies = false;
        c->paused_upstream = false;
        if (buf_len(&c->in) > 0)
                client_process(c, &c->in);
        client_update(c);
}

static void client_flush(struct client *c)
{
        while (buf_len(&c->out) > 0) {
                ssize_t n = send(c->fd, buf_head(&c->out), buf_len(&c->out), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n <= 0) {
                        /* Gone: its remaining replies have nowhere to go. */
                        buf_free(&c->out);
                        c->closing = true;
                        break;
                }
                buf_consume(&c->out, (size_t)n);
        }
        buf_trim(&c->out, 0);
        if (buf_len(&c->in) == 0)
                buf_trim(&c->in, 0);
}

void downstream_flush_all(struct proxy *p)
{
        struct list_head *pos, *tmp;
        list_for_each_safe(pos, tmp, &p->dirty) {
                struct client *c = list_entry(pos, struct client, dirty_link);
                list_del(&c->dirty_link);
                client_flush(c);
                if (buf_len(&c->out) > ROUTE_REPLY_MAX) {
                        log_info("client %" PRIu64 ": %zu bytes of replies unread, disconnecting",
                                 c->id, buf_len(&c->out));
                        buf_free(&c->out);
                        c->closing = true;
                }
                bool answered = c->read_done && c->rc.inflight == 0;
                if ((c->closing || answered) && buf_len(&c->out) == 0) {
                        client_free(c);
                        continue;
                }
                if (c->paused_replies && buf_len(&c->out) < PROXY_REPLY_LOW)
                        client_resume(c);
                else
                        client_update(c);
        }
}

void downstream_deliver(void *client, uint32_t client_stream, const struct frame *f, int code,
                        const char *message, void *data)
{
        struct client *c = client;
        int r;

        if (c->rc.inflight)
                c->rc.inflight--;
        if (c->closing)
                return;
        if (f)
                r = frame_append(&c->out, client_stream, f->header.type, f->header.flags, f->payload,
                                 f->header.length, ROUTE_REPLY_MAX + ROUTE_IN_MAX);
        else
                r = ttrpc_status_frame_append(&c->out, client_stream, code, message,
                                              ROUTE_REPLY_MAX + ROUTE_IN_MAX);
        if (r < 0) {
                log_info("client %" PRIu64 ": cannot queue a reply (%s), disconnecting", c->id,
                         strerror(-r));
                buf_free(&c->out);
                c->closing = true;
        }
        client_mark_dirty(c);
}

/* Returns false when there is nothing more to accept now. */
static bool accept_one(struct proxy *p)
{
        char peer[64];
        _cleanup_close_ int fd = transport_accept(p->listen_fd, peer, sizeof peer);
        if (fd < 0) {
                if (fd != -EAGAIN && log_ratelimit_ok(&p->refuse_log))
                        log_warn_errno(fd, "accept failed");
                return false;
        }
        if (p->n_clients >= PROXY_CLIENTS_MAX) {
                /* Accepted and closed at once, as the agent does: the client sees why quickly. */
                if (log_ratelimit_ok(&p->refuse_log))
                        log_warn("refusing client %s: %d clients already connected", peer,
                                 PROXY_CLIENTS_MAX);
                return true;
        }
        struct client *c = calloc(1, sizeof *c);
        if (!c)
                return true;
        c->proxy = p;
        c->id = ++p->next_client_id;
        c->rc.key = c;
        list_init(&c->dirty_link);
        if (loop_watch_add(p->loop, &c->watch, fd, EPOLLIN, client_on_event, c) < 0) {
                free(c);
                return true;
        }
        c->fd = TAKE_FD(fd);
        list_add_tail(&c->link, &p->clients);
        p->n_clients++;
        log_debug("client %" PRIu64 " connected (%s)", c->id, peer);
        return true;
}

static void listener_on_event(struct loop_watch *w, uint32_t events)
{
        struct proxy *p = w->data;
        /* A bounded batch, so a connection storm does not starve the others. */
        for (int i = 0; i < 32 && p->listen_fd >= 0; i++)
                if (!accept_one(p))
                        break;
}

int downstream_listen(struct proxy *p, struct rpc_error *e)
{
        p->scratch = malloc(PROXY_SCRATCH_SIZE);
        if (!p->scratch)
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory");
        int r = transport_listen(&p->listen_addr, &p->listen_fd, e);
        if (r < 0)
                return r;
        r = loop_watch_add(p->loop, &p->listen_watch, p->listen_fd, EPOLLIN, listener_on_event, p);
        if (r < 0)
                return rpc_error_set(e, GRPC_INTERNAL, r, "epoll: %s", strerror(-r));
        return 0;
}

void downstream_stop_listening(struct proxy *p)
{
        if (p->listen_fd < 0)
                return;
        loop_watch_remove(p->loop, &p->listen_watch);
        close_and_reset(&p->listen_fd);
        if (!p->listen_addr.abstract)
                (void)unlink(p->listen_addr.path);
}

bool downstream_idle(const struct proxy *p)
{
        const struct list_head *pos;
        for (pos = p->clients.next; pos != &p->clients; pos = pos->next) {
                const struct client *c = list_entry(pos, const struct client, link);
                if (!c->closing && (c->rc.inflight > 0 || buf_len(&c->out) > 0))
                        return false;
        }
        return true;
}

void downstream_close_all(struct proxy *p)
{
        struct list_head *pos, *tmp;
        list_for_each_safe(pos, tmp, &p->clients)
                client_free(list_entry(pos, struct client, link));
        free(p->scratch);
        p->scratch = NULL;
}
