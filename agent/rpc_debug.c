/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kinglet.Debug/Sleep: a parked request answered by a timer. It exercises
 * the same machinery as WaitProcess or ReadStdout (park, answer later,
 * deadline, cancellation when the client goes away) without containers.
 */
#include <errno.h>
#include <stdlib.h>

#include "kinglet.pb-c.h"
#include "rpc.h"
#include "util.h"

/* An hour is far beyond any test; more is a client mistake. */
#define DEBUG_SLEEP_MAX_MS (3600u * 1000u)

struct sleeper {
        struct loop_timer timer;
        struct ttrpc_call *call;
        struct loop *loop;
        ProtobufCBinaryData echo; /* points into the request, which lives as long as the call */
};

static void sleeper_on_timer(struct loop_timer *t)
{
        struct sleeper *s = t->data;
        Kinglet__SleepResponse resp = KINGLET__SLEEP_RESPONSE__INIT;

        resp.echo = s->echo;
        (void)ttrpc_call_reply(s->call, &resp.base);
        free(s);
}

static void sleeper_cancel(struct ttrpc_call *call, void *data, int reason)
{
        struct sleeper *s = data;
        (void)call;
        (void)reason;
        loop_timer_disarm(s->loop, &s->timer);
        free(s);
}

RPC_HANDLER(rpc_debug_sleep)
{
        const Kinglet__SleepRequest *req = (const Kinglet__SleepRequest *)request;

        if (req->milliseconds > DEBUG_SLEEP_MAX_MS)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT,
                                       "sleep of %llu ms is over the %u ms limit",
                                       (unsigned long long)req->milliseconds, DEBUG_SLEEP_MAX_MS);
        if (req->milliseconds == 0) {
                Kinglet__SleepResponse resp = KINGLET__SLEEP_RESPONSE__INIT;
                resp.echo = req->echo;
                return ttrpc_call_reply(call, &resp.base);
        }
        struct sleeper *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->call = call;
        s->loop = ttrpc_call_loop(call);
        s->echo = req->echo;
        int r = loop_timer_arm(s->loop, &s->timer, now_ns() + req->milliseconds * NSEC_PER_MSEC,
                               sleeper_on_timer, s);
        if (r < 0) {
                free(s);
                return r;
        }
        return ttrpc_call_park(call, sleeper_cancel, s);
}
