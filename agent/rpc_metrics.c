/* SPDX-License-Identifier: Apache-2.0 */
/* GetMetrics: the agent's and the guest's numbers as Prometheus text (metrics.c). */
#include <errno.h>
#include <stdlib.h>

#include "agent.pb-c.h"
#include "cleanup.h"
#include "container.h"
#include "metrics.h"
#include "rpc.h"

static uint64_t scrape_count;

RPC_HANDLER(rpc_get_metrics)
{
        struct agent *a = userdata;
        struct metrics_sample s = { .scrape_count = ++scrape_count, .containers = a->n_containers };
        struct list_head *pos, *tmp;
        size_t len;
        (void)request;

        list_for_each_safe(pos, tmp, &a->containers)
                s.processes += list_entry(pos, struct container, link)->n_processes;
        metrics_collect("/proc", &s);

        _cleanup_free_ char *text = malloc(METRICS_TEXT_MAX);
        if (!text)
                return -ENOMEM;
        int r = metrics_format(&s, text, METRICS_TEXT_MAX, &len);
        if (r < 0)
                return ttrpc_call_fail(call, GRPC_INTERNAL, "the metrics text is over its %u-byte bound",
                                       METRICS_TEXT_MAX);
        Grpc__Metrics resp = GRPC__METRICS__INIT;
        resp.metrics = text;
        return ttrpc_call_reply(call, &resp.base);
}
