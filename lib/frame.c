/* SPDX-License-Identifier: Apache-2.0 */
#include "frame.h"

#include <errno.h>
#include <string.h>

static void put_be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void ttrpc_header_pack(const struct ttrpc_header *h, uint8_t out[TTRPC_HEADER_LEN])
{
        put_be32(out, h->length);
        put_be32(out + 4, h->stream_id);
        out[8] = h->type;
        out[9] = h->flags;
}

void ttrpc_header_unpack(const uint8_t in[TTRPC_HEADER_LEN], struct ttrpc_header *h)
{
        h->length = get_be32(in);
        h->stream_id = get_be32(in + 4);
        h->type = in[8];
        h->flags = in[9];
}

enum frame_status frame_decode(struct frame_decoder *d, struct buf *in, struct frame *ret,
                               size_t *ret_need)
{
        if (d->skip > 0) {
                size_t n = buf_len(in) < d->skip ? buf_len(in) : d->skip;
                buf_consume(in, n);
                d->skip -= (uint32_t)n;
                if (d->skip > 0) {
                        *ret_need = 0;
                        return FRAME_NEED_MORE;
                }
        }

        size_t avail = buf_len(in);
        if (avail < TTRPC_HEADER_LEN) {
                *ret_need = TTRPC_HEADER_LEN;
                return FRAME_NEED_MORE;
        }

        ttrpc_header_unpack(buf_head(in), &ret->header);
        uint32_t len = ret->header.length;
        if (len > TTRPC_LENGTH_SANE_MAX) {
                ret->payload = NULL;
                return FRAME_INSANE;
        }
        if (len > TTRPC_MESSAGE_MAX) {
                buf_consume(in, TTRPC_HEADER_LEN);
                d->skip = len;
                ret->payload = NULL;
                /* Drop whatever part of the payload is already here. */
                size_t n = buf_len(in) < d->skip ? buf_len(in) : d->skip;
                buf_consume(in, n);
                d->skip -= (uint32_t)n;
                return FRAME_OVERSIZED;
        }
        if (avail - TTRPC_HEADER_LEN < len) {
                *ret_need = TTRPC_HEADER_LEN + len;
                return FRAME_NEED_MORE;
        }
        ret->payload = buf_head(in) + TTRPC_HEADER_LEN;
        buf_consume(in, TTRPC_HEADER_LEN + len);
        return FRAME_READY;
}

int frame_append(struct buf *out, uint32_t stream_id, uint8_t type, uint8_t flags,
                 const void *payload, size_t len, size_t max_cap)
{
        if (len > TTRPC_MESSAGE_MAX)
                return -EMSGSIZE;
        int r = buf_reserve(out, TTRPC_HEADER_LEN + len, max_cap);
        if (r < 0)
                return r;
        struct ttrpc_header h = {
                .length = (uint32_t)len, .stream_id = stream_id, .type = type, .flags = flags,
        };
        ttrpc_header_pack(&h, buf_tail(out));
        if (len)
                memcpy(buf_tail(out) + TTRPC_HEADER_LEN, payload, len);
        buf_commit(out, TTRPC_HEADER_LEN + len);
        return 0;
}
