/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GetOOMEvent: a long poll for the next container that saw an OOM kill.
 * Events nobody asked for yet wait in a bounded queue (the oldest is dropped
 * when it is full, with a warning: the runtime polls continuously, so a full
 * queue means nobody is listening).
 */
#include <stdio.h>
#include <string.h>

#include "agent.pb-c.h"
#include "containers.h"
#include "log.h"
#include "parked.h"
#include "rpc.h"

static int reply_oom(struct ttrpc_call *call, const char *id)
{
        Grpc__OOMEvent ev = GRPC__OOMEVENT__INIT;
        ev.container_id = (char *)id;
        return ttrpc_call_reply(call, &ev.base);
}

void agent_oom_event(struct agent *a, const char *container_id)
{
        struct ttrpc_call *call = parked_take(&a->oom_waiters, NULL);
        if (call) {
                (void)reply_oom(call, container_id);
                return;
        }
        if (a->oom_count == OOM_QUEUE_MAX) {
                log_warn("OOM event queue full: dropping the event of container %s", a->oom_queue[a->oom_head]);
                a->oom_head = (a->oom_head + 1) % OOM_QUEUE_MAX;
                a->oom_count--;
        }
        size_t tail = (a->oom_head + a->oom_count) % OOM_QUEUE_MAX;
        snprintf(a->oom_queue[tail], sizeof a->oom_queue[tail], "%s", container_id);
        a->oom_count++;
}

RPC_HANDLER(rpc_get_oom_event)
{
        struct agent *a = userdata;
        (void)request;
        if (a->oom_count) {
                char id[sizeof a->oom_queue[0]];
                memcpy(id, a->oom_queue[a->oom_head], sizeof id);
                a->oom_head = (a->oom_head + 1) % OOM_QUEUE_MAX;
                a->oom_count--;
                return reply_oom(call, id);
        }
        return parked_add(&a->oom_waiters, call, 0);
}
