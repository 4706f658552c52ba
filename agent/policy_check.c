/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy evaluator. For an RPC: its own `allow|deny rpc` rule, else
 * `default`, else allow. An allowed ExecProcess then meets the exec rule of
 * its container (else the `*` one; none: any command), an allowed CopyFile
 * the copyfile prefixes (none: any path). The debug console: its own rule,
 * else `default`, else allow. A refusal names the rule that decided.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.pb-c.h"
#include "policy_internal.h"
#include "util.h"

/* "deny rpc CopyFile": the rule as written, blanks and comments aside. */
static const char *rule_text(const struct policy_rule *r, char *buf, size_t size)
{
        size_t len = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < r->n_words && len + 1 < size; i++) {
                int n = snprintf(buf + len, size - len, "%s%s", i ? " " : "", r->word[i]);
                if (n < 0)
                        break;
                len += (size_t)n;
        }
        if (len >= size && size > 4)
                memcpy(buf + size - 4, "...", 4);
        return buf;
}

static int denied(struct rpc_error *e, const struct policy_rule *r, const char *what)
{
        char text[256];
        return rpc_error_set(e, GRPC_PERMISSION_DENIED, -EPERM, "%s: denied by policy line %u: `%s`", what, r->line,
                             rule_text(r, text, sizeof text));
}

int policy_check_rpc(const struct policy *p, const char *method, struct rpc_error *e)
{
        if (!p)
                return 0;
        const struct policy_rule *decides = p->default_rule;
        for (size_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].kind == RULE_RPC && streq(p->rules[i].word[2], method)) {
                        decides = &p->rules[i];
                        break;
                }
        return !decides || decides->allow ? 0 : denied(e, decides, method);
}

int policy_check_exec(const struct policy *p, const char *container_id, const char *argv0, struct rpc_error *e)
{
        const struct policy_rule *own = NULL, *any = NULL;
        char what[512];

        if (!p)
                return 0;
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct policy_rule *r = &p->rules[i];
                if (r->kind != RULE_EXEC)
                        continue;
                if (streq(r->word[1], container_id))
                        own = r;
                else if (streq(r->word[1], "*"))
                        any = r;
        }
        const struct policy_rule *r = own ? own : any;
        if (!r)
                return 0;
        for (size_t i = 2; argv0 && i < r->n_words; i++)
                if (!streq(r->word[i], "none") && streq(r->word[i], argv0))
                        return 0;
        snprintf(what, sizeof what, "ExecProcess of `%.200s` in container `%.200s`", argv0 ? argv0 : "(no args)",
                 container_id);
        return denied(e, r, what);
}

/* Component-wise: "/a/b" is below "/a" and "/a/b", not below "/a/bc". */
static bool below(const char *path, const char *prefix)
{
        size_t n = strlen(prefix);
        if (streq(prefix, "/"))
                return true;
        return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int policy_check_copy_file(const struct policy *p, const char *path, struct rpc_error *e)
{
        const struct policy_rule *first = NULL;
        char norm[POLICY_MAX_PATH + 1], what[600];

        if (!p)
                return 0;
        bool ok = policy_normalize_path(path, norm, sizeof norm) == 0;
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct policy_rule *r = &p->rules[i];
                if (r->kind != RULE_COPYFILE)
                        continue;
                first = first ? first : r;
                for (size_t w = 1; ok && w < r->n_words; w++)
                        if (below(norm, r->word[w]))
                                return 0;
        }
        if (!first)
                return 0;
        if (ok)
                snprintf(what, sizeof what, "CopyFile `%.200s` (`%.200s`) is below no copyfile prefix", path, norm);
        else
                snprintf(what, sizeof what, "CopyFile `%.200s` is not an absolute path of at most %d bytes", path,
                         POLICY_MAX_PATH);
        return denied(e, first, what);
}

int policy_check_debug_console(const struct policy *p, struct rpc_error *e)
{
        if (!p)
                return 0;
        const struct policy_rule *decides = p->debug_console_rule ? p->debug_console_rule : p->default_rule;
        return !decides || decides->allow ? 0 : denied(e, decides, "debug console");
}

int policy_check_request(const struct policy *p, const char *method, const ProtobufCMessage *request,
                         struct rpc_error *e)
{
        int r = policy_check_rpc(p, method, e);
        if (r < 0 || !p || !request)
                return r;
        if (request->descriptor == &grpc__exec_process_request__descriptor) {
                const Grpc__ExecProcessRequest *req = (const Grpc__ExecProcessRequest *)request;
                const char *argv0 = req->process && req->process->n_args > 0 ? req->process->args[0] : NULL;
                return policy_check_exec(p, req->container_id ? req->container_id : "", argv0, e);
        }
        if (request->descriptor == &grpc__copy_file_request__descriptor) {
                const Grpc__CopyFileRequest *req = (const Grpc__CopyFileRequest *)request;
                return policy_check_copy_file(p, req->path ? req->path : "", e);
        }
        return 0;
}
