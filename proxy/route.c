/* SPDX-License-Identifier: Apache-2.0 */
#include "route.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "status.h"
#include "ttrpc_client.h"

/* A refusal from the proxy itself, in the agent's words where the agent has them. */
static bool refuse(struct buf *replies, uint32_t stream_id, int code, const char *fmt, ...)
        _printf_(4, 5);
static bool refuse(struct buf *replies, uint32_t stream_id, int code, const char *fmt, ...)
{
        char msg[RPC_ERROR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        log_debug("refusing stream %" PRIu32 ": %s: %s", stream_id, grpc_code_name(code), msg);
        return ttrpc_status_frame_append(replies, stream_id, code, msg, ROUTE_REPLY_MAX) == 0;
}

static bool forward_request(struct route_upstream *up, struct route_client *rc,
                            const struct frame *f, struct buf *replies)
{
        const struct ttrpc_header *h = &f->header;
        char msg[RPC_ERROR_MSG_MAX];

        if (mux_check_client_stream(&rc->last_stream_id, h->stream_id, msg, sizeof msg) < 0)
                return refuse(replies, h->stream_id, GRPC_INVALID_ARGUMENT, "%s", msg);
        if (!up->connected)
                return refuse(replies, h->stream_id, GRPC_UNAVAILABLE, "%s", up->down_why);
        uint32_t up_id;
        int r = mux_add(up->mux, rc->key, h->stream_id, &up_id);
        if (r == -EBUSY)
                return refuse(replies, h->stream_id, GRPC_RESOURCE_EXHAUSTED,
                              "too many requests in flight through the proxy (limit %zu)",
                              up->mux->max);
        if (r == -ERANGE)
                return refuse(replies, h->stream_id, GRPC_UNAVAILABLE,
                              "the proxy used up the stream IDs of its agent connection and is "
                              "reconnecting: retry");
        if (r < 0)
                return refuse(replies, h->stream_id, GRPC_RESOURCE_EXHAUSTED, "proxy out of memory");
        r = frame_append(up->out, up_id, h->type, h->flags, f->payload, h->length, ROUTE_UP_MAX);
        if (r < 0) {
                struct mux_route gone;
                (void)mux_take(up->mux, up_id, &gone);
                return refuse(replies, h->stream_id, GRPC_RESOURCE_EXHAUSTED,
                              "proxy cannot queue the request: %s",
                              r == -ENOMEM ? "out of memory" : "queue full");
        }
        rc->inflight++;
        return true;
}

static bool route_frame(struct route_upstream *up, struct route_client *rc, const struct frame *f,
                        struct buf *replies)
{
        const struct ttrpc_header *h = &f->header;

        if (h->type == TTRPC_TYPE_REQUEST)
                return forward_request(up, rc, f, replies);
        if (h->type == TTRPC_TYPE_DATA) {
                /*
                 * A bare close-send adds nothing to a unary call (the agent
                 * ignores it too); any other data frame is refused as the agent
                 * refuses it, without a round trip.
                 */
                if (h->length == 0 && (h->flags & (TTRPC_FLAG_REMOTE_CLOSED | TTRPC_FLAG_NO_DATA)) ==
                                              (TTRPC_FLAG_REMOTE_CLOSED | TTRPC_FLAG_NO_DATA))
                        return true;
                return refuse(replies, h->stream_id, GRPC_INVALID_ARGUMENT,
                              "data frame on stream %" PRIu32 ": no streaming RPC is active "
                              "(this server serves unary methods only)",
                              h->stream_id);
        }
        /* Responses from a client and unknown types: ignored, as the agent does. */
        return true;
}

enum route_result route_client_input(struct route_upstream *up, struct route_client *rc,
                                     struct buf *in, struct buf *replies)
{
        for (;;) {
                if (buf_len(replies) > ROUTE_REPLY_HIGH)
                        return ROUTE_PAUSE_REPLIES;
                if (up->connected && buf_len(up->out) > ROUTE_UP_HIGH)
                        return ROUTE_PAUSE_UPSTREAM;

                struct frame f;
                size_t need = 0;
                bool ok = true;
                switch (frame_decode(&rc->decoder, in, &f, &need)) {
                case FRAME_NEED_MORE:
                        return ROUTE_MORE;
                case FRAME_READY:
                        ok = route_frame(up, rc, &f, replies);
                        break;
                case FRAME_OVERSIZED:
                        /* Refused without forwarding; the agent would count the ID as used. */
                        if (f.header.type == TTRPC_TYPE_REQUEST && (f.header.stream_id & 1) &&
                            f.header.stream_id > rc->last_stream_id)
                                rc->last_stream_id = f.header.stream_id;
                        ok = refuse(replies, f.header.stream_id, GRPC_RESOURCE_EXHAUSTED,
                                    "message length %" PRIu32 " exceeds maximum message size of %u",
                                    f.header.length, TTRPC_MESSAGE_MAX);
                        break;
                case FRAME_INSANE:
                        (void)refuse(replies, f.header.stream_id, GRPC_RESOURCE_EXHAUSTED,
                                     "frame header declares %" PRIu32 " bytes (maximum %u): stream "
                                     "out of sync, closing",
                                     f.header.length, TTRPC_MESSAGE_MAX);
                        buf_consume(in, buf_len(in));
                        return ROUTE_CLOSE;
                }
                if (!ok)
                        return ROUTE_CLOSE;
        }
}

int route_upstream_input(struct mux *m, struct frame_decoder *d, struct buf *in,
                         route_deliver_fn deliver, void *data)
{
        for (;;) {
                struct frame f;
                struct mux_route route;
                size_t need = 0;

                switch (frame_decode(d, in, &f, &need)) {
                case FRAME_NEED_MORE:
                        return 0;
                case FRAME_INSANE:
                        return -EPROTO;
                case FRAME_OVERSIZED:
                        /* The agent never sends these; the client must still get an answer. */
                        if (f.header.type == TTRPC_TYPE_RESPONSE &&
                            mux_take(m, f.header.stream_id, &route) == 0 && route.client)
                                deliver(route.client, route.client_stream, NULL, GRPC_RESOURCE_EXHAUSTED,
                                        "the agent's reply exceeds the maximum message size", data);
                        break;
                case FRAME_READY:
                        /* Every method is unary: a Response ends its stream. Other frames have no client here. */
                        if (f.header.type != TTRPC_TYPE_RESPONSE ||
                            mux_take(m, f.header.stream_id, &route) < 0) {
                                log_debug("dropping agent frame of type %u on stream %" PRIu32
                                          ": no request of ours",
                                          f.header.type, f.header.stream_id);
                                break;
                        }
                        if (!route.client)
                                break; /* its client has gone */
                        f.header.stream_id = route.client_stream;
                        deliver(route.client, route.client_stream, &f, 0, NULL, data);
                        break;
                }
        }
}
