/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one connection to the agent: connecting with backoff, writing the
 * queued requests, reading replies (routed by route.c), failing what is in
 * flight when it drops, and starting afresh when its stream IDs run out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "proxy.h"
#include "transport.h"
#include "util.h"

/* Test hook: a small last stream ID makes the wrap-around reconnect testable. */
#define STREAM_ID_LIMIT_ENV "KINGLET_PROXY_STREAM_ID_LIMIT"

static void set_down_why(struct upstream *u, const char *fmt, ...) _printf_(2, 3);
static void set_down_why(struct upstream *u, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(u->down_why, sizeof u->down_why, fmt, ap);
        va_end(ap);
}

void upstream_init(struct upstream *u, struct proxy *p, const struct address *a)
{
        uint32_t limit = MUX_STREAM_ID_LIMIT;
        const char *env = getenv(STREAM_ID_LIMIT_ENV);
        uint32_t v;
        if (env && parse_u32(env, 10, &v) == 0 && v >= 1 && v <= MUX_STREAM_ID_LIMIT)
                limit = v;

        *u = (struct upstream){ .proxy = p, .addr = *a, .fd = -1 };
        (void)address_format(a, u->addr_text, sizeof u->addr_text);
        mux_init(&u->mux, MUX_INFLIGHT_MAX, limit);
        u->route = (struct route_upstream){ .mux = &u->mux, .out = &u->out, .down_why = u->down_why };
        set_down_why(u, "the proxy is still connecting to the agent at %s", u->addr_text);
}

static void upstream_watch(struct upstream *u)
{
        uint32_t ev = EPOLLIN | (buf_len(&u->out) ? EPOLLOUT : 0);
        if (u->watch.events != ev)
                (void)loop_watch_modify(u->proxy->loop, &u->watch, ev);
}

static void retry_fire(struct loop_timer *t);

static void schedule_retry(struct upstream *u, uint64_t delay_ns)
{
        (void)loop_timer_arm(u->proxy->loop, &u->retry_timer, now_ns() + delay_ns, retry_fire, u);
}

struct fail_ctx {
        char msg[RPC_ERROR_MSG_MAX];
};

static void fail_route(const struct mux_route *r, void *data)
{
        struct fail_ctx *f = data;
        if (r->client)
                downstream_deliver(r->client, r->client_stream, NULL, GRPC_UNAVAILABLE, f->msg, NULL);
}

/* Drop the connection: what is in flight fails UNAVAILABLE; reconnect after delay_ns. */
static void upstream_drop(struct upstream *u, const char *why, uint64_t delay_ns)
{
        struct fail_ctx f;

        if (u->fd < 0)
                return;
        log_warn("agent connection to %s lost (%s): %zu requests in flight fail", u->addr_text, why,
                 mux_inflight(&u->mux));
        loop_watch_remove(u->proxy->loop, &u->watch);
        close_and_reset(&u->fd);
        buf_free(&u->in);
        buf_free(&u->out);
        u->decoder = (struct frame_decoder){ 0 };
        u->route.connected = false;
        loop_timer_disarm(u->proxy->loop, &u->wrap_timer);
        snprintf(f.msg, sizeof f.msg, "the agent connection was lost (%s)", why);
        mux_reset(&u->mux, fail_route, &f);
        set_down_why(u, "the agent connection is down (%s); the proxy is reconnecting to %s", why,
                     u->addr_text);
        schedule_retry(u, delay_ns);
}

static void upstream_on_event(struct loop_watch *w, uint32_t events);

static void upstream_try(struct upstream *u)
{
        struct rpc_error e = { 0 };
        int fd = -1;

        if (u->proxy->stopping)
                return;
        int r = transport_connect(&u->addr, PROXY_CONNECT_TIMEOUT_NS, &fd, &e);
        if (r >= 0)
                r = fd_set_nonblock(fd, true);
        if (r >= 0)
                r = loop_watch_add(u->proxy->loop, &u->watch, fd, EPOLLIN, upstream_on_event, u);
        if (r < 0) {
                if (fd >= 0)
                        close(fd);
                const char *msg = e.code ? e.msg : strerror(-r);
                /* Said once at warn; the retries that follow only at debug. */
                if (u->failures++ == 0)
                        log_warn("cannot reach the agent at %s: %s; retrying with backoff", u->addr_text, msg);
                else
                        log_debug("still cannot reach the agent at %s: %s", u->addr_text, msg);
                set_down_why(u, "the agent at %s is not reachable (%s); the proxy keeps retrying",
                             u->addr_text, msg);
                schedule_retry(u, proxy_backoff_next(&u->backoff_ns));
                return;
        }
        u->fd = fd;
        u->route.connected = true;
        u->backoff_ns = 0;
        u->failures = 0;
        log_info("connected to the agent at %s", u->addr_text);
}

static void retry_fire(struct loop_timer *t)
{
        upstream_try(t->data);
}

void upstream_start(struct upstream *u)
{
        upstream_try(u);
}

void upstream_flush(struct upstream *u)
{
        if (u->fd < 0)
                return;
        while (buf_len(&u->out) > 0) {
                ssize_t n = send(u->fd, buf_head(&u->out), buf_len(&u->out), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n <= 0) {
                        upstream_drop(u, n < 0 ? strerror(errno) : "write failed", PROXY_BACKOFF_MIN_NS);
                        return;
                }
                buf_consume(&u->out, (size_t)n);
        }
        upstream_watch(u);
}

static void upstream_read(struct upstream *u)
{
        for (size_t budget = PROXY_READ_BUDGET; budget > 0 && u->fd >= 0;) {
                /*
                 * Room for PROXY_SCRATCH_SIZE in all, not on top of what is
                 * buffered: a partial frame left over must not double the
                 * buffer past malloc's mmap threshold (then trimmed, then
                 * mapped again: an mmap/munmap pair per request).
                 */
                size_t want = buf_len(&u->in) < PROXY_SCRATCH_SIZE ? PROXY_SCRATCH_SIZE - buf_len(&u->in)
                                                                    : TTRPC_HEADER_LEN;
                if (buf_len(&u->in) >= TTRPC_HEADER_LEN && u->decoder.skip == 0) {
                        struct ttrpc_header h;
                        ttrpc_header_unpack(buf_head(&u->in), &h);
                        if (h.length <= TTRPC_MESSAGE_MAX && TTRPC_HEADER_LEN + h.length > buf_len(&u->in))
                                want = MAX(want, TTRPC_HEADER_LEN + h.length - buf_len(&u->in));
                }
                if (buf_reserve(&u->in, MIN(want, ROUTE_IN_MAX - buf_len(&u->in)), ROUTE_IN_MAX) < 0) {
                        upstream_drop(u, "out of memory for replies", PROXY_BACKOFF_MIN_NS);
                        return;
                }
                size_t room = buf_room(&u->in);
                ssize_t n = proxy_read(u->fd, buf_tail(&u->in), room);
                if (n == 0)
                        break;
                if (n < 0) {
                        upstream_drop(u, n == -1 ? "the agent closed the connection" : strerror((int)-n),
                                      PROXY_BACKOFF_MIN_NS);
                        return;
                }
                buf_commit(&u->in, (size_t)n);
                if (route_upstream_input(&u->mux, &u->decoder, &u->in, downstream_deliver, NULL) < 0) {
                        upstream_drop(u, "the agent's byte stream is out of sync", PROXY_BACKOFF_MIN_NS);
                        return;
                }
                budget = budget > (size_t)n ? budget - (size_t)n : 0;
                if ((size_t)n < room)
                        break;
        }
        if (u->fd >= 0)
                buf_trim(&u->in, PROXY_SCRATCH_SIZE);
}

static void upstream_on_event(struct loop_watch *w, uint32_t events)
{
        struct upstream *u = w->data;
        if (events & EPOLLOUT)
                upstream_flush(u);
        if (u->fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                upstream_read(u);
}

static void wrap_fire(struct loop_timer *t)
{
        upstream_drop(t->data, "stream IDs used up and requests still unanswered", 0);
}

void upstream_after(struct upstream *u)
{
        struct proxy *p = u->proxy;

        if (u->clients_paused && buf_len(&u->out) < PROXY_UP_LOW) {
                u->clients_paused = false;
                struct list_head *pos, *tmp;
                list_for_each_safe(pos, tmp, &p->clients) {
                        struct client *c = list_entry(pos, struct client, link);
                        if (c->paused_upstream)
                                client_resume(c);
                }
        }
        /*
         * The agent requires increasing IDs per connection, so once they run
         * out a fresh connection starts again at 1 (on a serial channel the
         * agent takes stream 1 as a new client). Wait for the replies first.
         */
        if (u->fd >= 0 && mux_exhausted(&u->mux)) {
                if (mux_inflight(&u->mux) == 0) {
                        /* At once, so the next request finds the new connection. */
                        log_info("stream IDs of the agent connection used up: reconnecting");
                        upstream_drop(u, "stream IDs used up", 0);
                        loop_timer_disarm(p->loop, &u->retry_timer);
                        upstream_try(u);
                } else if (!loop_timer_armed(&u->wrap_timer)) {
                        (void)loop_timer_arm(p->loop, &u->wrap_timer, now_ns() + PROXY_WRAP_GRACE_NS,
                                             wrap_fire, u);
                }
        }
}

void upstream_close(struct upstream *u)
{
        loop_timer_disarm(u->proxy->loop, &u->retry_timer);
        loop_timer_disarm(u->proxy->loop, &u->wrap_timer);
        if (u->fd >= 0) {
                loop_watch_remove(u->proxy->loop, &u->watch);
                close_and_reset(&u->fd);
        }
        buf_free(&u->in);
        buf_free(&u->out);
        mux_free(&u->mux);
}
