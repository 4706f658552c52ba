/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for what kinglet-proxy parses from its peers: a client's
 * first bytes (the hybrid vsock CONNECT detector), then its ttrpc frames
 * through the router (stream ID checks, refusals, rewriting into the agent
 * queue); and the same bytes as the agent's side (replies routed back).
 *
 * The last byte picks where the client stream is cut in two (to exercise
 * partial frames across reads) and whether the agent is "down".
 *
 * Invariants checked (a violation traps): every frame queued for the agent
 * is a whole frame with an odd, strictly increasing stream ID and the
 * client's payload; every refusal is a whole Response frame; every reply
 * delivered goes to a client that has a request with that ID in flight.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proxy/handshake.h"
#include "../../proxy/mux.h"
#include "../../proxy/route.h"
#include "frame.h"
#include "log.h"

static int client_a;

/* Whole frames of `type`; with `last`, odd IDs increasing from *last. */
static void check_frames(struct buf *b, uint8_t type, uint32_t *last)
{
        while (buf_len(b) > 0) {
                struct ttrpc_header h;
                if (buf_len(b) < TTRPC_HEADER_LEN)
                        __builtin_trap();
                ttrpc_header_unpack(buf_head(b), &h);
                if (h.type != type || buf_len(b) < TTRPC_HEADER_LEN + h.length)
                        __builtin_trap();
                if (last && (!(h.stream_id & 1) || h.stream_id <= *last))
                        __builtin_trap();
                if (last)
                        *last = h.stream_id;
                buf_consume(b, TTRPC_HEADER_LEN + h.length);
        }
}

static void deliver(void *client, uint32_t client_stream, const struct frame *f, int code,
                    const char *message, void *data)
{
        if (client != &client_a || !(client_stream & 1))
                __builtin_trap();
}

static void feed_client(struct route_upstream *up, struct route_client *rc, struct buf *in,
                        struct buf *replies, bool *ttrpc, uint32_t *last_up)
{
        if (!*ttrpc) {
                uint32_t port;
                size_t used;
                switch (handshake_detect(buf_head(in), buf_len(in), &port, &used)) {
                case HANDSHAKE_NEED_MORE:
                        return;
                case HANDSHAKE_BAD:
                        buf_consume(in, buf_len(in));
                        return;
                case HANDSHAKE_CONNECT:
                        if (used == 0 || used > buf_len(in) || used > HANDSHAKE_LINE_MAX)
                                __builtin_trap();
                        buf_consume(in, used);
                        break;
                case HANDSHAKE_TTRPC:
                        break;
                }
                *ttrpc = true;
        }
        enum route_result r = route_client_input(up, rc, in, replies);
        if (r == ROUTE_CLOSE)
                buf_consume(in, buf_len(in));
        check_frames(replies, TTRPC_TYPE_RESPONSE, NULL);
        check_frames(up->out, TTRPC_TYPE_REQUEST, last_up);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static bool quiet;
        if (!quiet) {
                log_set_level(LOG_LEVEL_ERROR);
                quiet = true;
        }
        if (size == 0)
                return 0;
        uint8_t ctl = data[size - 1];
        size--;
        size_t cut = size ? (size * (ctl & 0x7f)) / 127 : 0;

        struct mux m;
        struct buf up_out = { 0 }, in = { 0 }, replies = { 0 }, agent = { 0 };
        mux_init(&m, 16, 64);
        struct route_upstream up = { .mux = &m, .out = &up_out, .connected = !(ctl & 0x80), .down_why = "down" };
        struct route_client rc = { .key = &client_a };
        bool ttrpc = false;
        uint32_t last_up = 0;

        /* The client's stream in two reads; the agent queue must hold only well-formed requests. */
        if (buf_append(&in, data, cut, ROUTE_IN_MAX) == 0)
                feed_client(&up, &rc, &in, &replies, &ttrpc, &last_up);
        if (buf_append(&in, data + cut, size - cut, ROUTE_IN_MAX + cut) == 0)
                feed_client(&up, &rc, &in, &replies, &ttrpc, &last_up);

        /* The same bytes as the agent's replies to what is in flight. */
        struct frame_decoder d = { 0 };
        if (buf_append(&agent, data, size, SIZE_MAX / 2) == 0)
                (void)route_upstream_input(&m, &d, &agent, deliver, NULL);
        if (mux_inflight(&m) > 16)
                __builtin_trap();

        mux_free(&m);
        buf_free(&up_out);
        buf_free(&in);
        buf_free(&replies);
        buf_free(&agent);
        return 0;
}
