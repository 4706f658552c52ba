/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte queue: bytes are appended at the tail and consumed from the
 * head. Every growth is checked against a caller-given maximum, so a peer can
 * never make us allocate more than the protocol allows.
 */
#ifndef KINGLET_BUF_H
#define KINGLET_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
        uint8_t *data;
        size_t start; /* first unconsumed byte */
        size_t end;   /* one past the last byte */
        size_t cap;
};

static inline size_t buf_len(const struct buf *b)
{
        return b->end - b->start;
}

static inline uint8_t *buf_head(const struct buf *b)
{
        return b->data + b->start;
}

static inline uint8_t *buf_tail(const struct buf *b)
{
        return b->data + b->end;
}

static inline size_t buf_room(const struct buf *b)
{
        return b->cap - b->end;
}

/* Make room for `extra` bytes after the tail; -ENOBUFS past max_cap, -ENOMEM. */
int buf_reserve(struct buf *b, size_t extra, size_t max_cap);
/* Mark n bytes written at the tail as part of the buffer. */
void buf_commit(struct buf *b, size_t n);
/* Drop n bytes from the head. */
void buf_consume(struct buf *b, size_t n);
int buf_append(struct buf *b, const void *p, size_t n, size_t max_cap);
/* Give memory back when the buffer is empty and bigger than keep bytes. */
void buf_trim(struct buf *b, size_t keep);
void buf_free(struct buf *b);

#endif
