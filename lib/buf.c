/* SPDX-License-Identifier: Apache-2.0 */
#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN_CAP 4096

int buf_reserve(struct buf *b, size_t extra, size_t max_cap)
{
        size_t used = buf_len(b);

        if (extra > max_cap || used > max_cap - extra)
                return -ENOBUFS;
        if (buf_room(b) >= extra)
                return 0;
        /* Slide unconsumed bytes to the front before growing. */
        if (b->start > 0) {
                memmove(b->data, b->data + b->start, used);
                b->start = 0;
                b->end = used;
                if (buf_room(b) >= extra)
                        return 0;
        }
        size_t want = b->cap ? b->cap : BUF_MIN_CAP;
        while (want < used + extra)
                want = want > max_cap / 2 ? max_cap : want * 2;
        if (want > max_cap)
                want = max_cap;
        uint8_t *p = realloc(b->data, want);
        if (!p)
                return -ENOMEM;
        b->data = p;
        b->cap = want;
        return 0;
}

void buf_commit(struct buf *b, size_t n)
{
        b->end += n;
}

void buf_consume(struct buf *b, size_t n)
{
        b->start += n;
        if (b->start >= b->end)
                b->start = b->end = 0;
}

int buf_append(struct buf *b, const void *p, size_t n, size_t max_cap)
{
        int r = buf_reserve(b, n, max_cap);
        if (r < 0)
                return r;
        if (n)
                memcpy(buf_tail(b), p, n);
        buf_commit(b, n);
        return 0;
}

void buf_trim(struct buf *b, size_t keep)
{
        if (buf_len(b) == 0 && b->cap > keep)
                buf_free(b);
}

void buf_free(struct buf *b)
{
        free(b->data);
        *b = (struct buf){ 0 };
}
