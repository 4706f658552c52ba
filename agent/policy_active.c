/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's current policy: set at start from agent.policy_file, replaced
 * by SetPolicy, consulted by the ttrpc guard before every handler and by the
 * debug console before a shell starts. One per process, as the agent is; no
 * policy at all means Kata's default: everything is allowed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "cleanup.h"
#include "log.h"
#include "policy.h"
#include "rpc.h"
#include "util.h"

static struct policy *active;

const struct policy *policy_active(void)
{
        return active;
}

void policy_activate(struct policy *p)
{
        policy_free(active);
        active = p;
}

int policy_guard(const struct ttrpc_call *call, const ProtobufCMessage *request, void *userdata,
                 struct rpc_error *e)
{
        (void)userdata;
        return policy_check_request(active, ttrpc_call_method(call), request, e);
}

int policy_active_check_debug_console(struct rpc_error *e)
{
        return policy_check_debug_console(active, e);
}

/* Reads a whole regular file of at most POLICY_MAX_SIZE bytes. */
static int read_policy_file(const char *path, char **ret_text, size_t *ret_len, struct rpc_error *e)
{
        struct stat st;
        uint8_t *text;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0)
                return rpc_error_set(e, grpc_code_from_errno(-errno), -errno, "cannot read %s: %s", path,
                                     strerror(errno));
        if (!S_ISREG(st.st_mode))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s is not a regular file", path);
        int r = read_all_bounded(fd, POLICY_MAX_SIZE, &text, ret_len);
        if (r == -EFBIG)
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, r, "%s is over the %u-byte limit", path,
                                     (unsigned)POLICY_MAX_SIZE);
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot read %s: %s", path, strerror(-r));
        *ret_text = (char *)text;
        return 0;
}

int policy_load_file(const char *path, struct rpc_error *e)
{
        _cleanup_free_ char *text = NULL;
        struct policy *p;
        size_t len = 0;
        int r = read_policy_file(path, &text, &len, e);
        if (r < 0)
                return r;
        r = policy_parse(text, len, &p, e);
        if (r < 0) {
                rpc_error_prefix(e, "%s", path);
                return r;
        }
        policy_activate(p);
        return 0;
}

RPC_HANDLER(rpc_set_policy)
{
        const Grpc__SetPolicyRequest *req = (const Grpc__SetPolicyRequest *)request;
        struct rpc_error e = { 0 };
        struct policy *p;
        (void)userdata;

        int r = rpc_reject_nul_strings(call, request);
        if (r >= 0)
                return r;
        const char *text = req->policy ? req->policy : "";
        r = policy_parse(text, strlen(text), &p, &e);
        if (r < 0) {
                rpc_error_prefix(&e, "policy refused, the current one stays");
                return ttrpc_call_fail_error(call, r, &e);
        }
        log_info("policy replaced by SetPolicy: %zu rule%s", policy_n_rules(p), policy_n_rules(p) == 1 ? "" : "s");
        policy_activate(p);
        return ttrpc_call_reply(call, NULL);
}
