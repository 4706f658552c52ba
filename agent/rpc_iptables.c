/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GetIPTables / SetIPTables: the guest image's iptables-save and
 * iptables-restore (ip6tables-* for IPv6), run as helpers. The call parks
 * until the program exits; the rules go in through stdin and come out of
 * stdout without the loop ever waiting on a pipe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "helper_run.h"
#include "rpc.h"

/* A reply frame is at most 4 MiB; the envelope around the rules needs a few bytes of it. */
#define IPTABLES_OUTPUT_MAX ((4u << 20) - 4096)
#define IPTABLES_STDERR_MAX 4096u
#define IPTABLES_TIMEOUT_NS (30 * NSEC_PER_SEC)
/* iptables-restore's wait for the xtables lock, as Kata passes it. */
#define IPTABLES_LOCK_WAIT "5"

struct iptables_call {
        struct ttrpc_call *call;
        struct helper *helper;
        const char *tool;
        bool restore;
};

static void iptables_done(void *data, const struct helper_result *res)
{
        struct iptables_call *ic = data;
        char how[64], err[400];

        if (res->timed_out)
                (void)ttrpc_call_fail(ic->call, GRPC_DEADLINE_EXCEEDED, "%s did not finish within %llu s: %s",
                                      ic->tool, (unsigned long long)(IPTABLES_TIMEOUT_NS / NSEC_PER_SEC),
                                      helper_stderr_tail(res, err, sizeof err));
        else if (!WIFEXITED(res->wait_status) || WEXITSTATUS(res->wait_status) != 0)
                /* A restore that fails is almost always the rules text ("line 3 failed"). */
                (void)ttrpc_call_fail(ic->call, ic->restore ? GRPC_INVALID_ARGUMENT : GRPC_INTERNAL,
                                      "%s failed (%s): %s", ic->tool, helper_describe_exit(res, how, sizeof how),
                                      helper_stderr_tail(res, err, sizeof err));
        else if (res->out.truncated)
                (void)ttrpc_call_fail(ic->call, GRPC_RESOURCE_EXHAUSTED,
                                      "%s wrote more than %u bytes, over the reply limit", ic->tool,
                                      IPTABLES_OUTPUT_MAX);
        else {
                /* GetIPTablesResponse and SetIPTablesResponse are the same message: bytes data = 1. */
                Grpc__GetIPTablesResponse get = GRPC__GET_IPTABLES_RESPONSE__INIT;
                Grpc__SetIPTablesResponse set = GRPC__SET_IPTABLES_RESPONSE__INIT;
                ProtobufCBinaryData out = { .len = res->out.len, .data = (uint8_t *)res->out.data };
                get.data = set.data = out;
                (void)ttrpc_call_reply(ic->call, ic->restore ? &set.base : &get.base);
        }
        free(ic);
}

static void iptables_cancel(struct ttrpc_call *call, void *data, int reason)
{
        struct iptables_call *ic = data;
        (void)call;
        (void)reason;
        helper_cancel(ic->helper);
        free(ic);
}

static int iptables_run(struct ttrpc_call *call, const char *tool, bool restore, const ProtobufCBinaryData *input)
{
        char path[512];
        int r = helper_find(tool, path, sizeof path);
        if (r == -ENOENT)
                return ttrpc_call_fail(call, GRPC_UNIMPLEMENTED,
                                       "%s is not in this guest image (searched %s): %s needs the image to "
                                       "include iptables",
                                       tool, helper_path(), ttrpc_call_method(call));
        if (r < 0)
                return ttrpc_call_fail(call, GRPC_INTERNAL, "cannot look for %s: %s", tool, strerror(-r));

        struct iptables_call *ic = calloc(1, sizeof *ic);
        if (!ic)
                return -ENOMEM;
        ic->call = call;
        ic->tool = tool;
        ic->restore = restore;
        const char *save_argv[] = { path, NULL };
        const char *restore_argv[] = { path, "--wait", IPTABLES_LOCK_WAIT, NULL };
        struct helper_spec spec = {
                .path = path,
                .argv = restore ? restore_argv : save_argv,
                /* The request's bytes live as long as the call, which outlives the helper. */
                .input = restore ? (input->data ? (const void *)input->data : "") : NULL,
                .input_len = restore ? input->len : 0,
                .out_max = IPTABLES_OUTPUT_MAX,
                .err_max = IPTABLES_STDERR_MAX,
                .timeout_ns = IPTABLES_TIMEOUT_NS,
        };
        r = helper_start(ttrpc_call_loop(call), &spec, iptables_done, ic, &ic->helper);
        if (r < 0) {
                free(ic);
                if (r == -EAGAIN)
                        return ttrpc_call_fail(call, GRPC_UNAVAILABLE,
                                               "%d helper programs are already running; try again later",
                                               HELPER_MAX_RUNNING);
                return ttrpc_call_fail(call, grpc_code_from_errno(r), "cannot run %s: %s", path, strerror(-r));
        }
        return ttrpc_call_park(call, iptables_cancel, ic);
}

RPC_HANDLER(rpc_get_iptables)
{
        const Grpc__GetIPTablesRequest *req = (const Grpc__GetIPTablesRequest *)request;
        (void)userdata;
        return iptables_run(call, req->is_ipv6 ? "ip6tables-save" : "iptables-save", false, NULL);
}

RPC_HANDLER(rpc_set_iptables)
{
        const Grpc__SetIPTablesRequest *req = (const Grpc__SetIPTablesRequest *)request;
        (void)userdata;
        return iptables_run(call, req->is_ipv6 ? "ip6tables-restore" : "iptables-restore", true, &req->data);
}
