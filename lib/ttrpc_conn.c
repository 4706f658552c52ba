/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One ttrpc connection: non-blocking reads (into the server's shared buffer;
 * only a partial frame is kept per connection, bounded at one maximal
 * frame), frame decoding, and a bounded output queue flushed once per loop
 * iteration (so every reply produced by one batch of events leaves in one
 * write).
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
#include "ttrpc_internal.h"
#include "google/rpc/status.pb-c.h"

/* Largest input we ever buffer: one maximal frame. */
#define CONN_IN_MAX (TTRPC_HEADER_LEN + TTRPC_MESSAGE_MAX)
/* Least read into a connection's own buffer; also what its output queue keeps when empty. */
#define CONN_READ_CHUNK (16u << 10)
/* Bytes read per readiness event before yielding to other connections. */
#define CONN_READ_BUDGET (256u << 10)
/* Replies up to this size are packed on the stack. */
#define CONN_STACK_PAYLOAD 1024

static uint32_t conn_wanted_events(const struct ttrpc_conn *c)
{
        /*
         * Edge-triggered (serial) channels always ask for everything: the
         * write-ready edge is how we learn that the host opened its end.
         * Pausing them means ignoring the edges and reading on resume.
         */
        if (c->edge_triggered)
                return EPOLLIN | EPOLLOUT | EPOLLET;
        uint32_t ev = 0;
        if (!c->read_paused && !c->closing)
                ev |= EPOLLIN;
        if (buf_len(&c->out) > 0)
                ev |= EPOLLOUT;
        return ev;
}

static void conn_update_events(struct ttrpc_conn *c)
{
        if (c->fd < 0 || !c->watch.added)
                return;
        int r = loop_watch_modify(c->server->loop, &c->watch, conn_wanted_events(c));
        if (r < 0)
                conn_kill(c, "epoll_ctl failed");
}

int conn_new(struct ttrpc_server *s, int fd, const char *peer, bool edge_triggered,
             struct ttrpc_conn **ret)
{
        struct ttrpc_conn *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->server = s;
        c->fd = fd;
        c->id = ++s->next_conn_id;
        c->edge_triggered = edge_triggered;
        snprintf(c->peer, sizeof c->peer, "%s", peer);
        list_init(&c->calls);
        list_init(&c->dirty_link);
        if (fd >= 0) {
                int r = loop_watch_add(s->loop, &c->watch, fd, conn_wanted_events(c), conn_on_event, c);
                if (r < 0) {
                        free(c);
                        return r;
                }
        }
        list_add_tail(&c->link, &s->conns);
        s->n_conns++;
        *ret = c;
        return 0;
}

void conn_free(struct ttrpc_conn *c)
{
        struct ttrpc_server *s = c->server;

        call_cancel_all(c, s->freeing ? -ESHUTDOWN : -ECONNRESET);
        if (c->fd >= 0) {
                loop_watch_remove(s->loop, &c->watch);
                close_and_reset(&c->fd);
        }
        list_del(&c->dirty_link);
        list_del(&c->link);
        s->n_conns--;
        if (c->over_limit)
                s->n_over_limit--;
        buf_free(&c->in);
        buf_free(&c->out);
        void (*on_closed)(void *) = c->on_closed;
        void *data = c->on_closed_data;
        free(c);
        if (on_closed && !s->freeing)
                on_closed(data);
}

void conn_mark_dirty(struct ttrpc_conn *c)
{
        if (!list_linked(&c->dirty_link))
                list_add_tail(&c->dirty_link, &c->server->dirty);
}

void conn_kill(struct ttrpc_conn *c, const char *why)
{
        if (c->dead)
                return;
        log_debug("closing connection %" PRIu64 " (%s): %s", c->id, c->peer, why);
        c->dead = true;
        call_cancel_all(c, -ECONNRESET);
        if (c->fd >= 0 && c->watch.added)
                loop_watch_remove(c->server->loop, &c->watch);
        conn_mark_dirty(c);
}

void conn_doom(struct ttrpc_conn *c, const char *why)
{
        if (c->doomed || c->dead)
                return;
        log_info("closing connection %" PRIu64 " (%s): %s", c->id, c->peer, why);
        c->doomed = true;
        conn_mark_dirty(c);
}

void conn_shutdown(struct ttrpc_conn *c, const char *why)
{
        if (c->closing || c->dead)
                return;
        log_debug("closing connection %" PRIu64 " (%s) after flushing replies: %s", c->id, c->peer, why);
        c->closing = true;
        call_cancel_all(c, -ECONNRESET);
        conn_update_events(c);
        conn_mark_dirty(c);
}

static int queue_frame_packed(struct ttrpc_conn *c, uint32_t stream_id,
                              const ProtobufCMessage *envelope)
{
        size_t len = protobuf_c_message_get_packed_size(envelope);
        if (len > TTRPC_MESSAGE_MAX)
                return -EMSGSIZE;
        int r = buf_reserve(&c->out, TTRPC_HEADER_LEN + len, c->server->limits.out_max);
        if (r < 0)
                return r;
        struct ttrpc_header h = {
                .length = (uint32_t)len, .stream_id = stream_id, .type = TTRPC_TYPE_RESPONSE,
        };
        ttrpc_header_pack(&h, buf_tail(&c->out));
        protobuf_c_message_pack(envelope, buf_tail(&c->out) + TTRPC_HEADER_LEN);
        buf_commit(&c->out, TTRPC_HEADER_LEN + len);
        conn_mark_dirty(c);
        return 0;
}

int conn_queue_response(struct ttrpc_conn *c, uint32_t stream_id, int code, const char *message,
                        const ProtobufCMessage *payload)
{
        Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
        Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
        uint8_t stack[CONN_STACK_PAYLOAD];
        _cleanup_free_ uint8_t *heap = NULL;

        if (c->dead || c->doomed)
                return -ECONNRESET;
        status.code = code;
        status.message = (char *)(message ? message : "");
        resp.status = &status;
        if (code == GRPC_OK && payload) {
                size_t n = protobuf_c_message_get_packed_size(payload);
                if (n > TTRPC_MESSAGE_MAX)
                        return -EMSGSIZE;
                uint8_t *p = stack;
                if (n > sizeof stack) {
                        heap = malloc(n);
                        if (!heap)
                                return -ENOMEM;
                        p = heap;
                }
                protobuf_c_message_pack(payload, p);
                resp.payload.data = p;
                resp.payload.len = n;
        }
        int r = queue_frame_packed(c, stream_id, &resp.base);
        if (r == -ENOBUFS) {
                /* The peer stopped reading long ago; holding more would be unbounded. */
                conn_doom(c, "reply queue over its limit: peer is not reading");
        }
        return r;
}

int conn_queue_status(struct ttrpc_conn *c, uint32_t stream_id, int code, const char *fmt, ...)
{
        char msg[RPC_ERROR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        /* Refused before a call existed: this is the one place that logs it. */
        if (log_enabled(LOG_LEVEL_INFO) && log_ratelimit_ok(&c->server->failure_log))
                log_emit(LOG_LEVEL_INFO,
                         LOG_FIELDS(LF_INT("conn", c->id), LF_STR("peer", c->peer),
                                    LF_INT("stream", stream_id), LF_STR("code", grpc_code_name(code)),
                                    LF_STR("error", msg)),
                         "request refused");
        return conn_queue_response(c, stream_id, code, msg, NULL);
}

static bool conn_has_call(const struct ttrpc_conn *c, uint32_t stream_id)
{
        const struct list_head *pos;
        for (pos = c->calls.next; pos != &c->calls; pos = pos->next)
                if (list_entry(pos, const struct ttrpc_call, link)->stream_id == stream_id)
                        return true;
        return false;
}

/* Frames other than requests: ignored or refused like containerd's server does. */
static void conn_handle_other(struct ttrpc_conn *c, const struct frame *f)
{
        const struct ttrpc_header *h = &f->header;

        if (h->type == TTRPC_TYPE_DATA) {
                /*
                 * A bare close-send for a request still in flight says nothing
                 * new about a unary call; answering it would put a second
                 * response on that stream.
                 */
                bool close_only = h->length == 0 &&
                                  (h->flags & (TTRPC_FLAG_REMOTE_CLOSED | TTRPC_FLAG_NO_DATA)) ==
                                          (TTRPC_FLAG_REMOTE_CLOSED | TTRPC_FLAG_NO_DATA);
                if (close_only && conn_has_call(c, h->stream_id))
                        return;
                c->server->stats.protocol_errors++;
                (void)conn_queue_status(c, h->stream_id, GRPC_INVALID_ARGUMENT,
                                        "data frame on stream %" PRIu32 ": no streaming RPC is active "
                                        "(this server serves unary methods only)",
                                        h->stream_id);
                return;
        }
        /* Responses from a client and unknown types: ignore, for forward compatibility. */
        log_debug("connection %" PRIu64 ": ignoring frame of type %u on stream %" PRIu32, c->id,
                  h->type, h->stream_id);
}

/* Dispatch every whole frame at the head of `in` (the connection's buffer or the shared one). */
static void conn_process(struct ttrpc_conn *c, struct buf *in)
{
        while (!c->dead && !c->doomed && !c->closing && !c->read_paused) {
                struct frame f;
                size_t need = 0;

                switch (frame_decode(&c->decoder, in, &f, &need)) {
                case FRAME_NEED_MORE:
                        return;
                case FRAME_READY:
                        if (f.header.type == TTRPC_TYPE_REQUEST)
                                call_dispatch(c, &f);
                        else
                                conn_handle_other(c, &f);
                        break;
                case FRAME_OVERSIZED:
                        c->server->stats.protocol_errors++;
                        if (f.header.type == TTRPC_TYPE_REQUEST && (f.header.stream_id & 1) &&
                            f.header.stream_id > c->last_stream_id)
                                c->last_stream_id = f.header.stream_id;
                        (void)conn_queue_status(c, f.header.stream_id, GRPC_RESOURCE_EXHAUSTED,
                                                "message length %" PRIu32
                                                " exceeds maximum message size of %u",
                                                f.header.length, TTRPC_MESSAGE_MAX);
                        break;
                case FRAME_INSANE:
                        c->server->stats.protocol_errors++;
                        log_info("connection %" PRIu64 " (%s): frame header out of sync, closing",
                                 c->id, c->peer);
                        (void)conn_queue_status(c, f.header.stream_id, GRPC_RESOURCE_EXHAUSTED,
                                                "frame header declares %" PRIu32
                                                " bytes (maximum %u): stream out of sync, closing",
                                                f.header.length, TTRPC_MESSAGE_MAX);
                        buf_consume(in, buf_len(in));
                        conn_shutdown(c, "insane frame header");
                        return;
                }
                /* Back-pressure: stop taking requests while replies pile up. */
                if (buf_len(&c->out) > c->server->limits.out_high_water && !c->read_paused) {
                        c->read_paused = true;
                        conn_update_events(c);
                }
        }
}

void conn_feed(struct ttrpc_conn *c, const void *data, size_t len)
{
        const uint8_t *p = data;
        while (len > 0 && !c->dead && !c->closing) {
                size_t room = CONN_IN_MAX - buf_len(&c->in);
                size_t n = MIN(len, room);
                if (n == 0 || buf_append(&c->in, p, n, CONN_IN_MAX) < 0) {
                        conn_kill(c, "out of memory for input");
                        return;
                }
                p += n;
                len -= n;
                conn_process(c, &c->in);
        }
}

/*
 * What to do when read() says the peer is done sending. A socket peer may
 * only have shut down its write side: answer what it already asked, then
 * close. A serial port reads 0 when the host closed it: start over.
 */
static void conn_on_eof(struct ttrpc_conn *c)
{
        if (c->edge_triggered)
                conn_kill(c, "host closed the serial port");
        else
                conn_shutdown(c, "peer closed its sending side");
}

/*
 * Returns the bytes read (> 0), 0 when nothing more is to be read now, or
 * -1 when the connection ended (it has been killed or shut down).
 */
static ssize_t conn_read(struct ttrpc_conn *c, void *buf, size_t size)
{
        for (;;) {
                ssize_t n = read(c->fd, buf, size);
                if (n > 0) {
                        c->seen_peer = true;
                        return n;
                }
                if (n == 0) {
                        conn_on_eof(c);
                        return -1;
                }
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN)
                        return 0;
                conn_kill(c, strerror(errno));
                return -1;
        }
}

/*
 * Nothing buffered: read into the server's shared buffer and decode there, so
 * an idle or lightly used connection holds no input memory. Only the tail of
 * an incomplete frame is copied into the connection's own buffer.
 */
static ssize_t conn_read_shared(struct ttrpc_conn *c)
{
        struct ttrpc_server *s = c->server;

        if (!s->scratch) {
                s->scratch = malloc(SERVER_SCRATCH_SIZE);
                if (!s->scratch) {
                        conn_kill(c, "out of memory for input");
                        return -1;
                }
        }
        ssize_t n = conn_read(c, s->scratch, SERVER_SCRATCH_SIZE);
        if (n <= 0)
                return n;
        struct buf view = { .data = s->scratch, .end = (size_t)n, .cap = SERVER_SCRATCH_SIZE };
        conn_process(c, &view);
        if (buf_len(&view) > 0 && !c->dead && !c->closing &&
            buf_append(&c->in, buf_head(&view), buf_len(&view), CONN_IN_MAX) < 0) {
                conn_kill(c, "out of memory for input");
                return -1;
        }
        return n;
}

/* A partial frame is buffered: read the rest of it (at least a chunk) into the connection's buffer. */
static ssize_t conn_read_own(struct ttrpc_conn *c)
{
        size_t want = CONN_READ_CHUNK;
        if (buf_len(&c->in) >= TTRPC_HEADER_LEN && c->decoder.skip == 0) {
                struct ttrpc_header h;
                ttrpc_header_unpack(buf_head(&c->in), &h);
                if (h.length <= TTRPC_MESSAGE_MAX && TTRPC_HEADER_LEN + h.length > buf_len(&c->in))
                        want = MAX(want, TTRPC_HEADER_LEN + h.length - buf_len(&c->in));
        }
        if (buf_reserve(&c->in, want, CONN_IN_MAX) < 0) {
                conn_kill(c, "cannot grow input buffer");
                return -1;
        }
        ssize_t n = conn_read(c, buf_tail(&c->in), buf_room(&c->in));
        if (n <= 0)
                return n;
        buf_commit(&c->in, (size_t)n);
        conn_process(c, &c->in);
        return n;
}

static void conn_on_readable(struct ttrpc_conn *c)
{
        size_t budget = c->edge_triggered ? SIZE_MAX : CONN_READ_BUDGET;

        while (!c->dead && !c->closing && !c->read_paused && budget > 0) {
                bool shared = buf_len(&c->in) == 0;
                size_t asked = shared ? SERVER_SCRATCH_SIZE : buf_room(&c->in);
                ssize_t n = shared ? conn_read_shared(c) : conn_read_own(c);
                if (n <= 0)
                        break;
                budget = budget > (size_t)n ? budget - (size_t)n : 0;
                /*
                 * A short read drained the socket: level-triggered epoll will say
                 * when more arrives, so skip the read that would only say EAGAIN.
                 * Edge-triggered channels must read until EAGAIN.
                 */
                if (!c->edge_triggered && (size_t)n < asked)
                        break;
        }
        /* A large frame's buffer is not kept around once it has been handled. */
        buf_trim(&c->in, 0);
}

void conn_flush(struct ttrpc_conn *c)
{
        while (!c->dead && buf_len(&c->out) > 0 && c->fd >= 0) {
                ssize_t n;
                if (c->not_socket)
                        n = write(c->fd, buf_head(&c->out), buf_len(&c->out));
                else
                        n = send(c->fd, buf_head(&c->out), buf_len(&c->out), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == ENOTSOCK) {
                        c->not_socket = true;
                        continue;
                }
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        conn_kill(c, strerror(errno));
                        return;
                }
                buf_consume(&c->out, (size_t)n);
        }
        if (c->fd < 0 && !c->dead) /* detached (fuzzing): output is inspected by the owner */
                return;
        if (c->dead)
                return;
        buf_trim(&c->out, CONN_READ_CHUNK);
        if (c->closing && buf_len(&c->out) == 0) {
                conn_kill(c, "shutdown complete");
                return;
        }
        bool resume = c->read_paused && buf_len(&c->out) < c->server->limits.out_low_water;
        if (resume)
                c->read_paused = false;
        conn_update_events(c);
        if (resume) {
                /* Requests already buffered, and (edge-triggered) bytes the kernel won't re-announce. */
                conn_process(c, &c->in);
                if (c->edge_triggered)
                        conn_on_readable(c);
        }
}

void conn_on_event(struct loop_watch *w, uint32_t events)
{
        struct ttrpc_conn *c = w->data;
        bool hup = events & (EPOLLHUP | EPOLLERR);

        if (c->edge_triggered && !c->seen_peer) {
                if (!hup)
                        c->seen_peer = true; /* the host side opened the port */
                else if (!(events & EPOLLIN))
                        return; /* HUP while nobody is at the other end: wait for them */
        }
        if ((events & EPOLLIN) && !c->read_paused)
                conn_on_readable(c);
        if (c->dead)
                return;
        if (hup) {
                /* Take what the peer sent before hanging up, then close. */
                if (!(events & EPOLLIN) && !c->read_paused)
                        conn_on_readable(c);
                conn_kill(c, "peer hung up");
                return;
        }
        if (events & EPOLLOUT)
                conn_flush(c);
}
