/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Frame routing between the clients and the agent, on buffers only (the
 * event handling lives in downstream.c and upstream.c; the fuzzer and the
 * unit tests drive this directly).
 *
 * Client → agent: each Request is checked like the agent checks it (odd,
 * increasing stream IDs; 4 MiB), given a fresh upstream stream ID from the
 * mux and copied to the upstream queue with only the ID rewritten. Refusals
 * are answered at once into the client's reply queue.
 *
 * Agent → client: each Response's upstream ID is looked up, rewritten back
 * to the client's ID and handed to a delivery callback.
 */
#ifndef KINGLET_PROXY_ROUTE_H
#define KINGLET_PROXY_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "frame.h"
#include "mux.h"

/* Client input is left unread while its replies pile up above this... */
#define ROUTE_REPLY_HIGH (1u << 20)
/* ...and the client is dropped if they reach this (it stopped reading long ago). */
#define ROUTE_REPLY_MAX (64u << 20)
/* No client input is routed while the agent connection's queue is above this. */
#define ROUTE_UP_HIGH (1u << 20)
/* The upstream queue's bound: the high mark plus one maximal frame. */
#define ROUTE_UP_MAX (ROUTE_UP_HIGH + TTRPC_HEADER_LEN + TTRPC_MESSAGE_MAX)
/* A partial frame buffered per connection is at most one maximal frame. */
#define ROUTE_IN_MAX (TTRPC_HEADER_LEN + TTRPC_MESSAGE_MAX)

struct route_upstream {
        struct mux *mux;
        struct buf *out;     /* the agent connection's write queue */
        bool connected;      /* false: requests are answered UNAVAILABLE */
        const char *down_why; /* said in that UNAVAILABLE */
};

/* The routing state of one client connection. */
struct route_client {
        void *key; /* what the mux records for this client */
        uint32_t last_stream_id;
        size_t inflight; /* forwarded, not yet answered (the deliverer counts down) */
        struct frame_decoder decoder;
};

enum route_result {
        ROUTE_MORE = 0,        /* every whole frame was routed; the rest is a partial frame */
        ROUTE_PAUSE_REPLIES,   /* stopped: the client's replies are above ROUTE_REPLY_HIGH */
        ROUTE_PAUSE_UPSTREAM,  /* stopped: the upstream queue is above ROUTE_UP_HIGH */
        ROUTE_CLOSE,           /* the stream is out of sync or the reply queue is full: close */
};

/* Routes the whole frames at the head of `in`; refusals go to `replies`. */
enum route_result route_client_input(struct route_upstream *up, struct route_client *rc,
                                     struct buf *in, struct buf *replies);

/*
 * Hands one reply to its client: `f` (its header's stream ID already the
 * client's) or, when f is NULL, a status (code, message) to send instead.
 */
typedef void (*route_deliver_fn)(void *client, uint32_t client_stream, const struct frame *f,
                                 int code, const char *message, void *data);

/*
 * Routes the whole frames at the head of the agent's `in`. Replies for a
 * client that is gone, or for no request of ours, are dropped. -EPROTO when
 * the agent's stream is out of sync (reconnect).
 */
int route_upstream_input(struct mux *m, struct frame_decoder *d, struct buf *in,
                         route_deliver_fn deliver, void *data);

#endif
