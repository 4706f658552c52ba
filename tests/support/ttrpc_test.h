/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by tests: build raw ttrpc frames, read replies back. */
#ifndef KINGLET_TTRPC_TEST_H
#define KINGLET_TTRPC_TEST_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ttrpc_client.h"

/* A whole Request frame (header + envelope) appended to `out`. */
void test_frame_request(struct buf *out, uint32_t stream_id, uint8_t flags, const char *service,
                        const char *method, const ProtobufCMessage *payload, int64_t timeout_nano);
/* Same, with a raw inner payload. */
void test_frame_request_raw(struct buf *out, uint32_t stream_id, const char *service,
                            const char *method, const void *payload, size_t len,
                            int64_t timeout_nano);
/* A frame with an arbitrary header and body. */
void test_frame_raw(struct buf *out, uint32_t length, uint32_t stream_id, uint8_t type,
                    uint8_t flags, const void *body, size_t body_len);

/*
 * Takes the next Response frame off `in` (a server's output queue). Returns 0,
 * or -ENOENT when no whole frame is left. Aborts the test on a malformed frame.
 */
int test_next_reply(struct buf *in, struct ttrpc_reply *ret);

#endif
