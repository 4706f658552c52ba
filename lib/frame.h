/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc framing (containerd/ttrpc PROTOCOL.md):
 *
 *   0        4        8    9    10
 *   +--------+--------+----+----+------------------+
 *   | length | stream |type|flag| payload (length) |
 *   +--------+--------+----+----+------------------+
 *   big-endian u32 length of the payload (header excluded), u32 stream ID.
 *
 * Payloads over 4 MiB are refused. Lengths of 16 MiB or more cannot be
 * produced by a conforming peer (the first byte is reserved and zero), so
 * such a header means the byte stream is out of sync.
 */
#ifndef KINGLET_FRAME_H
#define KINGLET_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TTRPC_HEADER_LEN 10u
#define TTRPC_MESSAGE_MAX (4u << 20)
#define TTRPC_LENGTH_SANE_MAX ((1u << 24) - 1)

enum ttrpc_type {
        TTRPC_TYPE_REQUEST = 1,
        TTRPC_TYPE_RESPONSE = 2,
        TTRPC_TYPE_DATA = 3,
};

enum ttrpc_flag {
        TTRPC_FLAG_REMOTE_CLOSED = 0x01,
        TTRPC_FLAG_REMOTE_OPEN = 0x02,
        TTRPC_FLAG_NO_DATA = 0x04,
};

struct ttrpc_header {
        uint32_t length;
        uint32_t stream_id;
        uint8_t type;
        uint8_t flags;
};

void ttrpc_header_pack(const struct ttrpc_header *h, uint8_t out[TTRPC_HEADER_LEN]);
void ttrpc_header_unpack(const uint8_t in[TTRPC_HEADER_LEN], struct ttrpc_header *h);

enum frame_status {
        FRAME_NEED_MORE = 0, /* not a whole frame yet; *ret_need says how many bytes in total */
        FRAME_READY,         /* header + payload available */
        FRAME_OVERSIZED,     /* sane header, payload > 4 MiB: it will be skipped */
        FRAME_INSANE,        /* header cannot come from a conforming peer */
};

struct frame {
        struct ttrpc_header header;
        const uint8_t *payload; /* valid until the input buffer is next written */
};

struct frame_decoder {
        uint32_t skip; /* payload bytes of an oversized frame still to drop */
};

/*
 * Takes the next frame off the head of `in`. A READY or OVERSIZED frame is
 * consumed; an INSANE one is left in place (the connection is finished).
 * On NEED_MORE, *ret_need is the number of buffered bytes the next frame
 * needs, so the caller can size its buffer.
 */
enum frame_status frame_decode(struct frame_decoder *d, struct buf *in, struct frame *ret,
                               size_t *ret_need);

/* Append a frame header + payload to `out`; -ENOBUFS past max_cap, -EMSGSIZE over 4 MiB. */
int frame_append(struct buf *out, uint32_t stream_id, uint8_t type, uint8_t flags,
                 const void *payload, size_t len, size_t max_cap);

#endif
