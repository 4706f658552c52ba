/* SPDX-License-Identifier: Apache-2.0 */
#include "parked.h"

#include <errno.h>
#include <stdlib.h>

static void parked_cancel(struct ttrpc_call *call, void *data, int reason)
{
        struct parked_call *p = data;
        (void)call;
        (void)reason;
        list_del(&p->link);
        free(p);
}

int parked_add_data(struct list_head *queue, struct ttrpc_call *call, const uint8_t *data, size_t len)
{
        struct parked_call *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->call = call;
        p->want = len;
        p->data = data;
        list_add_tail(&p->link, queue);
        return ttrpc_call_park(call, parked_cancel, p);
}

int parked_add(struct list_head *queue, struct ttrpc_call *call, size_t want)
{
        return parked_add_data(queue, call, NULL, want);
}

struct parked_call *parked_peek(struct list_head *queue)
{
        return list_empty(queue) ? NULL : list_entry(queue->next, struct parked_call, link);
}

struct ttrpc_call *parked_take(struct list_head *queue, size_t *ret_want)
{
        if (list_empty(queue))
                return NULL;
        struct parked_call *p = list_entry(queue->next, struct parked_call, link);
        struct ttrpc_call *call = p->call;
        if (ret_want)
                *ret_want = p->want;
        list_del(&p->link);
        free(p);
        return call;
}

void parked_fail_all(struct list_head *queue, int code, const char *message)
{
        struct ttrpc_call *call;
        while ((call = parked_take(queue, NULL)))
                (void)ttrpc_call_fail(call, code, "%s", message);
}
