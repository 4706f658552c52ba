/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy parser (the format: policy.h and docs/security.md). Strict:
 * an unknown keyword, a bad value, a second rule for the same thing or a
 * bound passed refuses the whole text, naming the line. Because no two rules
 * may speak about the same thing, the order of the lines does not matter.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "cleanup.h"
#include "health.pb-c.h"
#include "kinglet.pb-c.h"
#include "policy_internal.h"
#include "util.h"

static int fail(struct rpc_error *e, int code, int err, unsigned line, const char *fmt, ...) _printf_(5, 6);
static int fail(struct rpc_error *e, int code, int err, unsigned line, const char *fmt, ...)
{
        char msg[RPC_ERROR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return rpc_error_set(e, code, err, "policy line %u: %s", line, msg);
}

#define INVALID(e, line, ...) fail(e, GRPC_INVALID_ARGUMENT, -EINVAL, line, __VA_ARGS__)
#define TOO_BIG(e, line, ...) fail(e, GRPC_RESOURCE_EXHAUSTED, -E2BIG, line, __VA_ARGS__)

bool policy_method_known(const char *name)
{
        static const ProtobufCServiceDescriptor *const services[] = {
                &grpc__agent_service__descriptor,
                &grpc__health__descriptor,
                &kinglet__containers__descriptor,
                &kinglet__debug__descriptor,
        };
        for (size_t i = 0; i < ARRAY_SIZE(services); i++)
                if (protobuf_c_service_descriptor_get_method_by_name(services[i], name))
                        return true;
        return false;
}

int policy_normalize_path(const char *path, char *buf, size_t size)
{
        size_t len = 0;

        if (path[0] != '/')
                return -EINVAL;
        if (size < 2)
                return -ENAMETOOLONG;
        for (const char *p = path; *p;) {
                p += strspn(p, "/");
                size_t n = strcspn(p, "/");
                if (n == 0 || (n == 1 && p[0] == '.')) {
                        p += n;
                        continue;
                }
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (len > 0)
                                len--; /* back to the slash before the last component */
                        while (len > 0 && buf[len] != '/')
                                len--;
                        p += n;
                        continue;
                }
                if (len + 1 + n + 1 > size)
                        return -ENAMETOOLONG;
                buf[len++] = '/';
                memcpy(buf + len, p, n);
                len += n;
                p += n;
        }
        if (len == 0)
                buf[len++] = '/';
        buf[len] = '\0';
        return 0;
}

static void rule_clear(struct policy_rule *r)
{
        free(r->word);
        free(r->buf);
}

struct policy *policy_free(struct policy *p)
{
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_rules; i++)
                rule_clear(&p->rules[i]);
        free(p->rules);
        free(p);
        return NULL;
}

size_t policy_n_rules(const struct policy *p)
{
        return p ? p->n_rules : 0;
}

/* Splits one line into words at blanks, up to a word starting with '#'. */
static int split_line(const char *s, size_t n, unsigned line, struct policy_rule *r, struct rpc_error *e)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)s[i];
                if (ch == '\0')
                        return INVALID(e, line, "holds a NUL byte");
                if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                        return INVALID(e, line, "holds the control character %#04x", ch);
        }
        _cleanup_free_ char *buf = malloc(n + 1);
        _cleanup_free_ char **word = calloc(n / 2 + 1, sizeof *word);
        size_t n_words = 0;
        if (!buf || !word)
                return -ENOMEM;
        memcpy(buf, s, n);
        buf[n] = '\0';
        for (char *p = buf; *p;) {
                p += strspn(p, " \t");
                if (!*p || *p == '#')
                        break;
                word[n_words++] = p;
                p += strcspn(p, " \t");
                if (*p)
                        *p++ = '\0';
        }
        *r = (struct policy_rule){ .line = line, .n_words = n_words, .word = TAKE_PTR(word), .buf = TAKE_PTR(buf) };
        return 0;
}

static int parse_verdict(const char *word, bool *ret)
{
        if (streq(word, "allow"))
                *ret = true;
        else if (streq(word, "deny"))
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

/* A rule of `kind` whose word[at] is `value` (NULL: any), other than r; else NULL. */
static const struct policy_rule *find_rule(const struct policy *p, enum policy_kind kind, size_t at,
                                           const char *value)
{
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct policy_rule *o = &p->rules[i];
                if (o->kind == kind && (!value || (at < o->n_words && streq(o->word[at], value))))
                        return o;
        }
        return NULL;
}

static int parse_single(struct policy *p, struct policy_rule *r, enum policy_kind kind, struct rpc_error *e)
{
        const char *what = r->word[0];
        if (r->n_words != 2 || parse_verdict(r->word[1], &r->allow) < 0)
                return INVALID(e, r->line, "`%s` takes `allow` or `deny`", what);
        const struct policy_rule *o = find_rule(p, kind, 0, NULL);
        if (o)
                return INVALID(e, r->line, "`%s` is set on line %u already", what, o->line);
        r->kind = kind;
        return 0;
}

static int parse_rpc(struct policy *p, struct policy_rule *r, struct rpc_error *e)
{
        (void)parse_verdict(r->word[0], &r->allow);
        if (r->n_words != 3 || !streq(r->word[1], "rpc"))
                return INVALID(e, r->line, "`%s` takes `rpc NAME`", r->word[0]);
        if (!policy_method_known(r->word[2]))
                return INVALID(e, r->line,
                               "`%.200s` is not an RPC of grpc.AgentService, grpc.Health, kinglet.Containers or "
                               "kinglet.Debug (names are case-sensitive, without the service)",
                               r->word[2]);
        const struct policy_rule *o = find_rule(p, RULE_RPC, 2, r->word[2]);
        if (o)
                return INVALID(e, r->line, "%s has a rule on line %u already: one rule per RPC", r->word[2],
                               o->line);
        r->kind = RULE_RPC;
        return 0;
}

static int parse_exec(struct policy *p, struct policy_rule *r, struct rpc_error *e)
{
        if (r->n_words < 3)
                return INVALID(e, r->line, "`exec` takes a container id (or `*`) and the commands it may run "
                                           "(or `none`)");
        const char *id = r->word[1];
        if (strlen(id) > POLICY_MAX_CONTAINER_ID)
                return TOO_BIG(e, r->line, "container id longer than %d bytes", POLICY_MAX_CONTAINER_ID);
        if (r->n_words - 2 > POLICY_MAX_EXEC_COMMANDS)
                return TOO_BIG(e, r->line, "%zu commands; at most %d on one exec line", r->n_words - 2,
                               POLICY_MAX_EXEC_COMMANDS);
        const struct policy_rule *o = find_rule(p, RULE_EXEC, 1, id);
        if (o)
                return INVALID(e, r->line, "container `%.200s` has an exec rule on line %u already", id, o->line);
        for (size_t i = 2; i < r->n_words; i++) {
                const char *cmd = r->word[i];
                if (streq(cmd, "none") && r->n_words != 3)
                        return INVALID(e, r->line, "`none` stands alone: no command may run");
                if (streq(cmd, "*"))
                        return INVALID(e, r->line, "`*` is not a command: leave out the exec rule to allow any");
                for (size_t j = 2; j < i; j++)
                        if (streq(r->word[j], cmd))
                                return INVALID(e, r->line, "command `%.200s` is listed twice", cmd);
        }
        r->kind = RULE_EXEC;
        return 0;
}

static size_t count_prefixes(const struct policy *p)
{
        size_t n = 0;
        for (size_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].kind == RULE_COPYFILE)
                        n += p->rules[i].n_words - 1;
        return n;
}

static int parse_copyfile(struct policy *p, struct policy_rule *r, struct rpc_error *e)
{
        char norm[POLICY_MAX_PATH + 1];

        if (r->n_words < 2)
                return INVALID(e, r->line, "`copyfile` takes one or more absolute path prefixes");
        if (count_prefixes(p) + r->n_words - 1 > POLICY_MAX_COPYFILE_PREFIXES)
                return TOO_BIG(e, r->line, "more than %d copyfile prefixes", POLICY_MAX_COPYFILE_PREFIXES);
        for (size_t i = 1; i < r->n_words; i++) {
                char *prefix = r->word[i];
                size_t len = strlen(prefix);
                int k = policy_normalize_path(prefix, norm, sizeof norm);
                if (k == -ENAMETOOLONG)
                        return TOO_BIG(e, r->line, "prefix longer than %d bytes", POLICY_MAX_PATH);
                if (len > 1 && prefix[len - 1] == '/')
                        prefix[--len] = '\0'; /* "/a/b/" and "/a/b" are one prefix */
                if (k < 0 || !streq(norm, prefix))
                        return INVALID(e, r->line,
                                       "`%.200s` is not an absolute path written plainly (no `.`, `..` or `//`)",
                                       prefix);
                const struct policy_rule *o = NULL;
                for (size_t j = 0; j < p->n_rules && !o; j++)
                        for (size_t w = 1; p->rules[j].kind == RULE_COPYFILE && w < p->rules[j].n_words; w++)
                                if (streq(p->rules[j].word[w], prefix))
                                        o = &p->rules[j];
                for (size_t w = 1; w < i && !o; w++)
                        if (streq(r->word[w], prefix))
                                o = r;
                if (o)
                        return INVALID(e, r->line, "prefix `%.200s` is listed on line %u already", prefix, o->line);
        }
        r->kind = RULE_COPYFILE;
        return 0;
}

static int parse_rule(struct policy *p, struct policy_rule *r, struct rpc_error *e)
{
        const char *kw = r->word[0];
        if (streq(kw, "default"))
                return parse_single(p, r, RULE_DEFAULT, e);
        if (streq(kw, "debug_console"))
                return parse_single(p, r, RULE_DEBUG_CONSOLE, e);
        if (streq(kw, "allow") || streq(kw, "deny"))
                return parse_rpc(p, r, e);
        if (streq(kw, "exec"))
                return parse_exec(p, r, e);
        if (streq(kw, "copyfile"))
                return parse_copyfile(p, r, e);
        return INVALID(e, r->line,
                       "unknown keyword `%.100s` (default, allow, deny, exec, copyfile or debug_console)", kw);
}

static int add_line(struct policy *p, const char *s, size_t n, unsigned line, struct rpc_error *e)
{
        struct policy_rule r = { 0 };
        int k = split_line(s, n, line, &r, e);
        if (k < 0)
                return k;
        if (r.n_words == 0) {
                rule_clear(&r);
                return 0;
        }
        if (p->n_rules == POLICY_MAX_RULES) {
                rule_clear(&r);
                return TOO_BIG(e, line, "more than %d rules", POLICY_MAX_RULES);
        }
        k = parse_rule(p, &r, e);
        if (k < 0) {
                rule_clear(&r);
                return k;
        }
        struct policy_rule *rules = realloc(p->rules, (p->n_rules + 1) * sizeof *rules);
        if (!rules) {
                rule_clear(&r);
                return -ENOMEM;
        }
        p->rules = rules;
        p->rules[p->n_rules++] = r;
        return 0;
}

int policy_parse(const char *text, size_t len, struct policy **ret, struct rpc_error *e)
{
        if (len > POLICY_MAX_SIZE)
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -E2BIG, "policy of %zu bytes is over the %u-byte limit",
                                     len, POLICY_MAX_SIZE);
        _cleanup_(policy_freep) struct policy *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        unsigned line = 1;
        for (size_t at = 0; at < len; line++) {
                const char *nl = memchr(text + at, '\n', len - at);
                size_t n = nl ? (size_t)(nl - (text + at)) : len - at, next = at + n + (nl ? 1 : 0);
                if (n > 0 && text[at + n - 1] == '\r')
                        n--; /* CRLF line ends */
                if (n > POLICY_MAX_LINE)
                        return TOO_BIG(e, line, "longer than %d bytes", POLICY_MAX_LINE);
                int r = add_line(p, text + at, n, line, e);
                if (r < 0)
                        return r;
                at = next;
        }
        /* Pointers into p->rules only now that the array has stopped moving. */
        for (size_t i = 0; i < p->n_rules; i++) {
                if (p->rules[i].kind == RULE_DEFAULT)
                        p->default_rule = &p->rules[i];
                if (p->rules[i].kind == RULE_DEBUG_CONSOLE)
                        p->debug_console_rule = &p->rules[i];
        }
        *ret = TAKE_PTR(p);
        return 0;
}
