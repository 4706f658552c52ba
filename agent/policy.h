/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent policy: a small line-based rules format (docs/security.md,
 * "Policy") saying which RPCs the host may call, which commands ExecProcess
 * may start in each container, where CopyFile may write and whether the
 * debug console may start. Kinglet's own format, not Kata's Rego.
 *
 *   default allow|deny
 *   allow rpc NAME  |  deny rpc NAME
 *   exec CONTAINER|* none|COMMAND...
 *   copyfile PREFIX...
 *   debug_console allow|deny
 *
 * policy.c parses and evaluates (pure: no I/O, no globals); policy_active.c
 * holds the agent's current policy, checks every request against it before
 * its handler runs, and serves SetPolicy.
 */
#ifndef KINGLET_POLICY_H
#define KINGLET_POLICY_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

#include "status.h"
#include "ttrpc.h"

/* Bounds: beyond them the policy is refused with RESOURCE_EXHAUSTED. */
#define POLICY_MAX_SIZE (64u << 10)      /* bytes of policy text */
#define POLICY_MAX_LINE 4096             /* bytes per line */
#define POLICY_MAX_RULES 512             /* lines that are not blank or comments */
#define POLICY_MAX_EXEC_COMMANDS 64      /* commands on one exec line */
#define POLICY_MAX_COPYFILE_PREFIXES 64  /* copyfile prefixes in all */
#define POLICY_MAX_CONTAINER_ID 256      /* bytes of a container id in an exec rule */
#define POLICY_MAX_PATH 4096             /* bytes of a command or prefix (PATH_MAX) */

struct policy;

/*
 * Parses `len` bytes of policy text. On error returns -EINVAL (grammar:
 * INVALID_ARGUMENT) or -E2BIG (a bound: RESOURCE_EXHAUSTED) with *e saying
 * which line and why; -ENOMEM. *ret is written only on success.
 */
int policy_parse(const char *text, size_t len, struct policy **ret, struct rpc_error *e);
struct policy *policy_free(struct policy *p);
static inline void policy_freep(struct policy **p)
{
        policy_free(*p);
}
#define _cleanup_policy_ __attribute__((cleanup(policy_freep)))

/* Rules the policy holds (lines that are not blank or comments). */
size_t policy_n_rules(const struct policy *p);

/*
 * Checks: 0 when allowed, else -EPERM with *e (PERMISSION_DENIED) naming the
 * deciding rule: "denied by policy line 3: `deny rpc CopyFile`". A NULL
 * policy allows everything (Kata's default allow-all policy).
 */
int policy_check_rpc(const struct policy *p, const char *method, struct rpc_error *e);
/* argv0 is Process.Args[0] (NULL when there are none). */
int policy_check_exec(const struct policy *p, const char *container_id, const char *argv0, struct rpc_error *e);
int policy_check_copy_file(const struct policy *p, const char *path, struct rpc_error *e);
int policy_check_debug_console(const struct policy *p, struct rpc_error *e);
/* The RPC rule, then ExecProcess's command or CopyFile's path: all a request is checked for. */
int policy_check_request(const struct policy *p, const char *method, const ProtobufCMessage *request,
                         struct rpc_error *e);

/* True when `name` is a method of a service the agent serves (the names `rpc` rules take). */
bool policy_method_known(const char *name);

/*
 * Lexically normalised absolute path (no "//", ".", ".."; ".." above "/"
 * stays at "/") into buf; -EINVAL when not absolute, -ENAMETOOLONG.
 */
int policy_normalize_path(const char *path, char *buf, size_t size);

/* --- policy_active.c: the agent's current policy --- */

/* NULL when none was set: everything is allowed. */
const struct policy *policy_active(void);
/* Installs p (may be NULL: allow everything), freeing the previous one. */
void policy_activate(struct policy *p);
/* Reads and installs a policy file (agent.policy_file); -errno with *e on failure, the current policy kept. */
int policy_load_file(const char *path, struct rpc_error *e);
/* The ttrpc guard of every service: the current policy's verdict on a request. */
int policy_guard(const struct ttrpc_call *call, const ProtobufCMessage *request, void *userdata,
                 struct rpc_error *e);
/* The debug console asks before a shell starts. */
int policy_active_check_debug_console(struct rpc_error *e);
/* grpc.AgentService/SetPolicy. */
int rpc_set_policy(struct ttrpc_call *call, const ProtobufCMessage *request, void *userdata);

#endif
