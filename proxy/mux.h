/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The proxy's routing table: every request forwarded upstream gets a fresh
 * odd stream ID on the one agent connection; the table maps that ID back to
 * the client and the stream ID the client chose. Pure data, no I/O.
 */
#ifndef KINGLET_PROXY_MUX_H
#define KINGLET_PROXY_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Requests in flight over the agent connection: the agent's own per-connection limit. */
#define MUX_INFLIGHT_MAX 1024u
/*
 * Last upstream stream ID handed out: ttrpc IDs are 31-bit in practice (Go
 * and Rust clients use int32 arithmetic). Past it the proxy reconnects and
 * numbers from 1 again.
 */
#define MUX_STREAM_ID_LIMIT 0x7fffffffu

struct mux_route {
        uint32_t up_id;         /* 0 = free slot */
        uint32_t client_stream; /* the ID the client used */
        void *client;           /* NULL once the client is gone: the reply is dropped */
};

struct mux {
        struct mux_route *slots; /* open addressing, linear probing; cap is a power of two */
        size_t cap;
        size_t n;
        size_t max;
        uint32_t next_id;  /* next upstream ID to hand out (odd) */
        uint32_t id_limit; /* last usable upstream ID */
};

void mux_init(struct mux *m, size_t max_inflight, uint32_t id_limit);
void mux_free(struct mux *m);

/*
 * Checks a client's request stream ID as the agent does: odd, and greater
 * than the last it accepted on that connection. On success *last is
 * updated; otherwise the message for an INVALID_ARGUMENT reply is written to
 * msg and -EINVAL returned.
 */
int mux_check_client_stream(uint32_t *last, uint32_t stream_id, char *msg, size_t size);

/*
 * Records a request of `client` on its stream `client_stream`; *ret_up_id is
 * the ID to forward it with. -EBUSY when MUX_INFLIGHT_MAX requests are in
 * flight, -ERANGE when the upstream's IDs are used up (reconnect, then
 * mux_reset), -ENOMEM.
 */
int mux_add(struct mux *m, void *client, uint32_t client_stream, uint32_t *ret_up_id);

/* Finds the route of a reply and removes it (-ENOENT: not ours). route.client may be NULL. */
int mux_take(struct mux *m, uint32_t up_id, struct mux_route *ret);

/* The client is gone: its pending replies will be dropped. Returns how many it had. */
size_t mux_drop_client(struct mux *m, void *client);

/* True when no more upstream IDs can be handed out. */
bool mux_exhausted(const struct mux *m);

static inline size_t mux_inflight(const struct mux *m)
{
        return m->n;
}

/*
 * The upstream connection ended: calls fn on every route still in flight
 * (to fail them), empties the table and numbers from 1 again.
 */
typedef void (*mux_route_fn)(const struct mux_route *r, void *data);
void mux_reset(struct mux *m, mux_route_fn fn, void *data);

#endif
