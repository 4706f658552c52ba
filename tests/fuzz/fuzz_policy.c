/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the policy parser and evaluator (agent/policy.c,
 * policy_check.c): any text. A refusal must say which line and leave the
 * output alone; an accepted policy must answer every kind of check, with a
 * refusal that names a policy line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static void check_verdict(int r, const struct rpc_error *e)
{
        if (r == 0)
                return;
        if (r != -EPERM || e->code != GRPC_PERMISSION_DENIED || !strstr(e->msg, "denied by policy line "))
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct policy *p = (struct policy *)0x1;
        struct rpc_error e = { 0 };
        int r = policy_parse((const char *)data, size, &p, &e);
        if (r < 0) {
                if (p != (struct policy *)0x1 || (r != -ENOMEM && !strstr(e.msg, "policy")))
                        __builtin_trap();
                if (r == -EINVAL && e.code != GRPC_INVALID_ARGUMENT)
                        __builtin_trap();
                if (r == -E2BIG && e.code != GRPC_RESOURCE_EXHAUSTED)
                        __builtin_trap();
                return 0;
        }
        if (policy_n_rules(p) > POLICY_MAX_RULES)
                __builtin_trap();
        static const char *const methods[] = { "CopyFile", "ExecProcess", "SetPolicy", "Check", "List" };
        static const char *const ids[] = { "c1", "*", "", "none" };
        static const char *const cmds[] = { "/bin/sh", "sh", "none", "*", NULL };
        static const char *const paths[] = { "/", "/run/kata-containers/shared/f", "/a/../../b", "rel", "" };
        for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
                e.code = GRPC_OK;
                check_verdict(policy_check_rpc(p, methods[i], &e), &e);
        }
        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
                for (size_t j = 0; j < sizeof cmds / sizeof cmds[0]; j++) {
                        e.code = GRPC_OK;
                        check_verdict(policy_check_exec(p, ids[i], cmds[j], &e), &e);
                }
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
                e.code = GRPC_OK;
                check_verdict(policy_check_copy_file(p, paths[i], &e), &e);
        }
        e.code = GRPC_OK;
        check_verdict(policy_check_debug_console(p, &e), &e);
        policy_free(p);
        return 0;
}
