/* SPDX-License-Identifier: Apache-2.0 */
#include "mux.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Slots allocated at first use; doubled while more than half full. */
#define MUX_CAP_MIN 64u

void mux_init(struct mux *m, size_t max_inflight, uint32_t id_limit)
{
        *m = (struct mux){ .max = max_inflight, .next_id = 1, .id_limit = id_limit };
}

void mux_free(struct mux *m)
{
        free(m->slots);
        m->slots = NULL;
        m->cap = m->n = 0;
}

int mux_check_client_stream(uint32_t *last, uint32_t stream_id, char *msg, size_t size)
{
        /* The agent's words (lib/ttrpc_call.c), so a client sees no difference. */
        if ((stream_id & 1) == 0) {
                snprintf(msg, size,
                         "stream ID %" PRIu32 " is even: client-initiated streams must use odd IDs",
                         stream_id);
                return -EINVAL;
        }
        if (stream_id <= *last) {
                snprintf(msg, size,
                         "stream ID %" PRIu32 " cannot be reused: IDs must increase (last was %" PRIu32 ")",
                         stream_id, *last);
                return -EINVAL;
        }
        *last = stream_id;
        return 0;
}

/* Upstream IDs are consecutive odd numbers: id/2 spreads them over the slots. */
static size_t slot_of(const struct mux *m, uint32_t up_id)
{
        return (size_t)(up_id >> 1) & (m->cap - 1);
}

static int grow(struct mux *m)
{
        size_t cap = m->cap ? m->cap * 2 : MUX_CAP_MIN;
        struct mux_route *slots = calloc(cap, sizeof *slots);
        if (!slots)
                return -ENOMEM;
        struct mux_route *old = m->slots;
        size_t old_cap = m->cap;
        m->slots = slots;
        m->cap = cap;
        for (size_t i = 0; i < old_cap; i++) {
                if (!old[i].up_id)
                        continue;
                size_t j = slot_of(m, old[i].up_id);
                while (slots[j].up_id)
                        j = (j + 1) & (cap - 1);
                slots[j] = old[i];
        }
        free(old);
        return 0;
}

bool mux_exhausted(const struct mux *m)
{
        return m->next_id > m->id_limit || m->next_id == 0;
}

int mux_add(struct mux *m, void *client, uint32_t client_stream, uint32_t *ret_up_id)
{
        if (m->n >= m->max)
                return -EBUSY;
        if (mux_exhausted(m))
                return -ERANGE;
        if ((m->n + 1) * 2 > m->cap) {
                int r = grow(m);
                if (r < 0)
                        return r;
        }
        uint32_t id = m->next_id;
        size_t j = slot_of(m, id);
        while (m->slots[j].up_id)
                j = (j + 1) & (m->cap - 1);
        m->slots[j] = (struct mux_route){ .up_id = id, .client_stream = client_stream, .client = client };
        m->n++;
        m->next_id = id + 2; /* wraps to 1 past UINT32_MAX; id_limit stops us long before */
        *ret_up_id = id;
        return 0;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void remove_slot(struct mux *m, size_t i)
{
        size_t mask = m->cap - 1;
        size_t j = i;
        for (;;) {
                j = (j + 1) & mask;
                if (!m->slots[j].up_id)
                        break;
                size_t home = slot_of(m, m->slots[j].up_id);
                /* Move j back to i unless its home lies cyclically in (i, j]. */
                bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
                if (stays)
                        continue;
                m->slots[i] = m->slots[j];
                i = j;
        }
        m->slots[i] = (struct mux_route){ 0 };
        m->n--;
}

int mux_take(struct mux *m, uint32_t up_id, struct mux_route *ret)
{
        if (!m->cap || !up_id)
                return -ENOENT;
        for (size_t j = slot_of(m, up_id);; j = (j + 1) & (m->cap - 1)) {
                if (!m->slots[j].up_id)
                        return -ENOENT;
                if (m->slots[j].up_id == up_id) {
                        *ret = m->slots[j];
                        remove_slot(m, j);
                        return 0;
                }
        }
}

size_t mux_drop_client(struct mux *m, void *client)
{
        size_t n = 0;
        for (size_t i = 0; i < m->cap; i++)
                if (m->slots[i].up_id && m->slots[i].client == client) {
                        m->slots[i].client = NULL;
                        n++;
                }
        return n;
}

void mux_reset(struct mux *m, mux_route_fn fn, void *data)
{
        for (size_t i = 0; i < m->cap; i++) {
                if (!m->slots[i].up_id)
                        continue;
                struct mux_route r = m->slots[i];
                m->slots[i] = (struct mux_route){ 0 };
                if (fn)
                        fn(&r, data);
        }
        m->n = 0;
        m->next_id = 1;
}
