/* SPDX-License-Identifier: Apache-2.0 */
/* Intrusive circular doubly-linked list. */
#ifndef KINGLET_LIST_H
#define KINGLET_LIST_H

#include <stdbool.h>

#include "macro.h"

struct list_head {
        struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_head *h)
{
        h->next = h->prev = h;
}

static inline bool list_empty(const struct list_head *h)
{
        return h->next == h;
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
        n->prev = h->prev;
        n->next = h;
        h->prev->next = n;
        h->prev = n;
}

/* Unlink and re-initialise, so a second list_del() is harmless. */
static inline void list_del(struct list_head *n)
{
        n->prev->next = n->next;
        n->next->prev = n->prev;
        list_init(n);
}

static inline bool list_linked(const struct list_head *n)
{
        return n->next != n;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)

#define list_for_each_safe(pos, tmp, head) \
        for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)

#endif
