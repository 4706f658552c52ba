/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy format (agent/policy.c): every rule kind, every refusal with
 * its line, the bounds, the evaluation order (own rule, then default, then
 * allow), path normalisation; and the guard in front of the handlers,
 * through an in-memory server with the agent's services (SetPolicy, a
 * denied RPC, a policy that locks itself).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agent.pb-c.h"
#include "policy.h"
#include "server_fixture.h"

static struct policy *parse_ok(const char *text)
{
        struct policy *p = NULL;
        struct rpc_error e = { 0 };
        int r = policy_parse(text, strlen(text), &p, &e);
        if (r < 0)
                fail_msg("policy refused: %s", e.msg);
        return p;
}

/* Parses text that must be refused with `err`, `code` and a message containing `needle`. */
static void parse_bad(const char *text, size_t len, int err, int code, const char *needle)
{
        struct policy *p = (struct policy *)0x1;
        struct rpc_error e = { 0 };
        assert_int_equal(policy_parse(text, len, &p, &e), err);
        assert_ptr_equal(p, (struct policy *)0x1); /* untouched on failure */
        assert_int_equal(e.code, code);
        if (!strstr(e.msg, needle))
                fail_msg("`%s` not in `%s`", needle, e.msg);
}

#define BAD(text, needle) parse_bad(text, strlen(text), -EINVAL, GRPC_INVALID_ARGUMENT, needle)

static void test_grammar_accepts(void **state)
{
        (void)state;
        struct policy *p = parse_ok("# kinglet policy v1\n"
                                    "\n"
                                    "default allow   # comment after a rule\n"
                                    "  deny\trpc CopyFile\r\n"
                                    "allow rpc Check\n"
                                    "exec c1 /bin/sh /usr/bin/env\n"
                                    "exec * none\n"
                                    "copyfile /run/kata-containers/shared/ /run/kata-containers/x\n"
                                    "copyfile /run/kata-containers/y\n"
                                    "debug_console deny\n"
                                    "allow rpc Sleep\n"
                                    "deny rpc List");
        assert_int_equal(policy_n_rules(p), 10);
        policy_free(p);
        /* Empty and comment-only policies are valid: they allow everything. */
        p = parse_ok("");
        assert_int_equal(policy_n_rules(p), 0);
        assert_int_equal(policy_check_rpc(p, "CopyFile", NULL), 0);
        policy_free(p);
        p = parse_ok("# nothing\n\n   \n");
        assert_int_equal(policy_n_rules(p), 0);
        policy_free(p);
}

static void test_grammar_refusals(void **state)
{
        (void)state;
        BAD("default allow\nfrobnicate rpc X\n", "policy line 2: unknown keyword `frobnicate`");
        BAD("default maybe", "policy line 1: `default` takes `allow` or `deny`");
        BAD("default", "`default` takes `allow` or `deny`");
        BAD("default allow deny", "`default` takes `allow` or `deny`");
        BAD("default allow\n\ndefault deny", "policy line 3: `default` is set on line 1 already");
        BAD("debug_console yes", "`debug_console` takes `allow` or `deny`");
        BAD("debug_console allow\ndebug_console allow", "policy line 2: `debug_console` is set on line 1");
        BAD("allow CopyFile", "`allow` takes `rpc NAME`");
        BAD("deny rpc", "`deny` takes `rpc NAME`");
        BAD("deny rpc CopyFile extra", "`deny` takes `rpc NAME`");
        BAD("deny rpc copyfile", "`copyfile` is not an RPC");
        BAD("deny rpc grpc.AgentService/CopyFile", "is not an RPC");
        BAD("deny rpc *", "`*` is not an RPC");
        /* Conflicting and repeated rules both: one rule per RPC, so order never matters. */
        BAD("deny rpc CopyFile\nallow rpc CopyFile", "policy line 2: CopyFile has a rule on line 1 already");
        BAD("deny rpc CopyFile\ndeny rpc CopyFile", "policy line 2: CopyFile has a rule on line 1 already");
        BAD("exec c1", "`exec` takes a container id");
        BAD("exec", "`exec` takes a container id");
        BAD("exec c1 /bin/sh\nexec c1 /bin/ls", "policy line 2: container `c1` has an exec rule on line 1");
        BAD("exec * /bin/sh\nexec * none", "container `*` has an exec rule on line 1");
        BAD("exec c1 none /bin/sh", "`none` stands alone");
        BAD("exec c1 /bin/sh none", "`none` stands alone");
        BAD("exec c1 *", "`*` is not a command");
        BAD("exec c1 /bin/sh /bin/sh", "command `/bin/sh` is listed twice");
        BAD("copyfile", "`copyfile` takes one or more absolute path prefixes");
        BAD("copyfile run/kata", "`run/kata` is not an absolute path written plainly");
        BAD("copyfile /run/../etc", "`/run/../etc` is not an absolute path");
        BAD("copyfile /run/./kata", "is not an absolute path");
        BAD("copyfile /run//kata", "is not an absolute path");
        BAD("copyfile /run/a\ncopyfile /run/b /run/a/", "policy line 2: prefix `/run/a` is listed on line 1");
        BAD("copyfile /run/a /run/a", "prefix `/run/a` is listed on line 1");
        BAD("default allow\nexec c1 /bin/sh\x01", "policy line 2: holds the control character 0x01");
        parse_bad("default allow\n\0", 15, -EINVAL, GRPC_INVALID_ARGUMENT, "policy line 2: holds a NUL byte");
}

static void test_bounds(void **state)
{
        (void)state;
        size_t big = POLICY_MAX_SIZE + 1;
        char *text = malloc(big + 1);
        assert_non_null(text);
        memset(text, '\n', big);
        text[big] = '\0';
        parse_bad(text, big, -E2BIG, GRPC_RESOURCE_EXHAUSTED, "over the 65536-byte limit");
        /* Exactly at the limit is fine. */
        struct policy *p = NULL;
        assert_int_equal(policy_parse(text, POLICY_MAX_SIZE, &p, NULL), 0);
        policy_free(p);

        memset(text, 'x', POLICY_MAX_LINE + 1);
        memcpy(text, "#", 1);
        parse_bad(text, POLICY_MAX_LINE + 1, -E2BIG, GRPC_RESOURCE_EXHAUSTED, "policy line 1: longer than 4096");

        /* Rules: 512 are fine, the 513th is refused. */
        size_t len = 0;
        for (int i = 0; i <= POLICY_MAX_RULES; i++)
                len += (size_t)sprintf(text + len, "exec c%d /bin/sh\n", i);
        parse_bad(text, len, -E2BIG, GRPC_RESOURCE_EXHAUSTED, "policy line 513: more than 512 rules");
        assert_int_equal(policy_parse(text, len - strlen("exec c512 /bin/sh\n"), &p, NULL), 0);
        policy_free(p);

        len = (size_t)sprintf(text, "exec c1");
        for (int i = 0; i <= POLICY_MAX_EXEC_COMMANDS; i++)
                len += (size_t)sprintf(text + len, " /bin/c%d", i);
        parse_bad(text, len, -E2BIG, GRPC_RESOURCE_EXHAUSTED, "65 commands; at most 64 on one exec line");

        len = 0;
        for (int i = 0; i <= POLICY_MAX_COPYFILE_PREFIXES; i++)
                len += (size_t)sprintf(text + len, "copyfile /p%d\n", i);
        parse_bad(text, len, -E2BIG, GRPC_RESOURCE_EXHAUSTED, "policy line 65: more than 64 copyfile prefixes");

        len = (size_t)sprintf(text, "exec ");
        memset(text + len, 'c', POLICY_MAX_CONTAINER_ID + 1);
        len += POLICY_MAX_CONTAINER_ID + 1;
        len += (size_t)sprintf(text + len, " /bin/sh");
        parse_bad(text, len, -E2BIG, GRPC_RESOURCE_EXHAUSTED, "container id longer than 256 bytes");
        free(text);
}

static void expect_denied(int r, const struct rpc_error *e, const char *needle)
{
        assert_int_equal(r, -EPERM);
        assert_int_equal(e->code, GRPC_PERMISSION_DENIED);
        if (!strstr(e->msg, needle))
                fail_msg("`%s` not in `%s`", needle, e->msg);
}

static void test_rpc_rules(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        /* No policy at all: Kata's default allow-all. */
        assert_int_equal(policy_check_rpc(NULL, "CopyFile", &e), 0);

        struct policy *p = parse_ok("# a\n# b\ndeny rpc CopyFile\nallow rpc ReadStdout\n");
        expect_denied(policy_check_rpc(p, "CopyFile", &e), &e, "CopyFile: denied by policy line 3: `deny rpc CopyFile`");
        assert_int_equal(policy_check_rpc(p, "ReadStdout", &e), 0);
        assert_int_equal(policy_check_rpc(p, "ExecProcess", &e), 0); /* no default line: allow */
        policy_free(p);

        /* The RPC's own rule wins over default, wherever the lines are. */
        p = parse_ok("allow rpc Check\ndefault deny\n");
        assert_int_equal(policy_check_rpc(p, "Check", &e), 0);
        expect_denied(policy_check_rpc(p, "CreateContainer", &e), &e, "denied by policy line 2: `default deny`");
        /* default deny covers the debug console too, unless it has its own rule. */
        expect_denied(policy_check_debug_console(p, &e), &e, "debug console: denied by policy line 2: `default deny`");
        policy_free(p);
        p = parse_ok("default deny\ndebug_console allow\n");
        assert_int_equal(policy_check_debug_console(p, &e), 0);
        policy_free(p);
        p = parse_ok("debug_console   deny  # no shells\n");
        expect_denied(policy_check_debug_console(p, &e), &e, "denied by policy line 1: `debug_console deny`");
        assert_int_equal(policy_check_rpc(p, "CopyFile", &e), 0);
        policy_free(p);
}

static void test_exec_rules(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        struct policy *p = parse_ok("exec c1 /bin/sh /usr/bin/env\nexec * /bin/true\nexec locked none\n");
        assert_int_equal(policy_check_exec(p, "c1", "/bin/sh", &e), 0);
        assert_int_equal(policy_check_exec(p, "c1", "/usr/bin/env", &e), 0);
        /* The container's own line replaces `*`, exact strings, no PATH search. */
        expect_denied(policy_check_exec(p, "c1", "/bin/true", &e), &e,
                      "ExecProcess of `/bin/true` in container `c1`: denied by policy line 1: "
                      "`exec c1 /bin/sh /usr/bin/env`");
        expect_denied(policy_check_exec(p, "c1", "sh", &e), &e, "line 1");
        expect_denied(policy_check_exec(p, "c1", "/bin/sh/", &e), &e, "line 1");
        expect_denied(policy_check_exec(p, "c1", NULL, &e), &e, "ExecProcess of `(no args)`");
        assert_int_equal(policy_check_exec(p, "other", "/bin/true", &e), 0);
        expect_denied(policy_check_exec(p, "other", "/bin/sh", &e), &e, "denied by policy line 2: `exec * /bin/true`");
        expect_denied(policy_check_exec(p, "locked", "/bin/true", &e), &e, "line 3: `exec locked none`");
        expect_denied(policy_check_exec(p, "locked", "none", &e), &e, "line 3");
        policy_free(p);
        /* No exec rule: any command. */
        p = parse_ok("exec c1 /bin/sh\n");
        assert_int_equal(policy_check_exec(p, "c2", "/anything", &e), 0);
        policy_free(p);
}

static void test_copyfile_rules(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        struct policy *p = parse_ok("copyfile /run/kata-containers/shared/\ncopyfile /run/kata-containers/x /y\n");
        assert_int_equal(policy_check_copy_file(p, "/run/kata-containers/shared", &e), 0);
        assert_int_equal(policy_check_copy_file(p, "/run/kata-containers/shared/a/b", &e), 0);
        assert_int_equal(policy_check_copy_file(p, "//run/./kata-containers//shared/a", &e), 0);
        assert_int_equal(policy_check_copy_file(p, "/run/kata-containers/x/../shared/f", &e), 0);
        assert_int_equal(policy_check_copy_file(p, "/y/z", &e), 0);
        /* Component-wise: shared-evil is not below shared. */
        expect_denied(policy_check_copy_file(p, "/run/kata-containers/shared-evil/f", &e), &e,
                      "denied by policy line 1: `copyfile /run/kata-containers/shared`");
        /* `..` cannot climb out of a prefix: the normalised path is what is matched. */
        expect_denied(policy_check_copy_file(p, "/run/kata-containers/shared/../../../etc/passwd", &e), &e,
                      "(`/etc/passwd`) is below no copyfile prefix");
        expect_denied(policy_check_copy_file(p, "/run/kata-containers/shared/..", &e), &e, "below no copyfile");
        expect_denied(policy_check_copy_file(p, "run/kata-containers/shared/f", &e), &e, "not an absolute path");
        expect_denied(policy_check_copy_file(p, "", &e), &e, "not an absolute path");
        policy_free(p);
        p = parse_ok("copyfile /\n");
        assert_int_equal(policy_check_copy_file(p, "/anything/at/all", &e), 0);
        policy_free(p);
}

static void test_normalize(void **state)
{
        (void)state;
        static const char *const cases[][2] = {
                { "/", "/" },         { "//", "/" },           { "/a/b/", "/a/b" },  { "/a/./b", "/a/b" },
                { "/a/../b", "/b" },  { "/../..", "/" },       { "/a/b/..", "/a" },  { "/a/..b", "/a/..b" },
                { "/a/.../b", "/a/.../b" }, { "/ab/../c/./d//", "/c/d" },
        };
        char buf[64];
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                assert_int_equal(policy_normalize_path(cases[i][0], buf, sizeof buf), 0);
                assert_string_equal(buf, cases[i][1]);
        }
        assert_int_equal(policy_normalize_path("a/b", buf, sizeof buf), -EINVAL);
        assert_int_equal(policy_normalize_path("/abcdef", buf, 4), -ENAMETOOLONG);
}

static void test_method_names(void **state)
{
        (void)state;
        assert_true(policy_method_known("CopyFile"));
        assert_true(policy_method_known("SetPolicy"));
        assert_true(policy_method_known("Check"));
        assert_true(policy_method_known("List"));
        assert_false(policy_method_known("copyfile"));
        assert_false(policy_method_known(""));
}

/* --- through the server: the guard in front of every handler --- */

struct fixture {
        struct server_fixture *s;
        struct agent agent;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);
        f->s = server_fixture_new();
        f->agent.loop = f->s->loop;
        f->agent.server = f->s->server;
        f->agent.container_base = "/nonexistent-kinglet-policy-test";
        assert_int_equal(agent_register_services(&f->agent), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        policy_activate(NULL);
        server_fixture_free(f->s);
        free(f);
        return 0;
}

static int set_policy(struct fixture *f, uint32_t stream, const char *text, struct ttrpc_reply *r)
{
        Grpc__SetPolicyRequest req = GRPC__SET_POLICY_REQUEST__INIT;
        req.policy = (char *)text;
        fixture_send(f->s, stream, "grpc.AgentService", "SetPolicy", &req.base, 0);
        assert_int_equal(test_next_reply(&f->s->conn->out, r), 0);
        return r->code;
}

static void test_guard(void **state)
{
        struct fixture *f = *state;
        struct ttrpc_reply r;
        Grpc__CopyFileRequest cf = GRPC__COPY_FILE_REQUEST__INIT;
        cf.path = (char *)"/etc/x";

        assert_int_equal(set_policy(f, 1, "# v1\ndeny rpc Check\n", &r), GRPC_OK);
        ttrpc_reply_clear(&r);
        fixture_send(f->s, 3, "grpc.Health", "Check", NULL, 0);
        fixture_expect(f->s, 3, GRPC_PERMISSION_DENIED, &r);
        assert_non_null(strstr(r.message, "denied by policy line 2: `deny rpc Check`"));
        ttrpc_reply_clear(&r);
        fixture_send(f->s, 5, "grpc.Health", "Version", NULL, 0);
        fixture_expect(f->s, 5, GRPC_OK, NULL);

        /* An invalid policy is refused with its line; the current one stays. */
        assert_int_equal(set_policy(f, 7, "default allow\nallow rpc Nope\n", &r), GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(r.message, "the current one stays: policy line 2: `Nope` is not an RPC"));
        ttrpc_reply_clear(&r);
        fixture_send(f->s, 9, "grpc.Health", "Check", NULL, 0);
        fixture_expect(f->s, 9, GRPC_PERMISSION_DENIED, NULL);

        /* The CopyFile path is checked before the handler (which would refuse it too, differently). */
        assert_int_equal(set_policy(f, 11, "copyfile /run/kata-containers/shared\n", &r), GRPC_OK);
        ttrpc_reply_clear(&r);
        fixture_send(f->s, 13, "grpc.AgentService", "CopyFile", &cf.base, 0);
        fixture_expect(f->s, 13, GRPC_PERMISSION_DENIED, &r);
        assert_non_null(strstr(r.message, "CopyFile `/etc/x` (`/etc/x`) is below no copyfile prefix: denied by "
                                          "policy line 1"));
        ttrpc_reply_clear(&r);
        fixture_send(f->s, 15, "grpc.Health", "Check", NULL, 0);
        fixture_expect(f->s, 15, GRPC_OK, NULL);

        /* A policy that denies SetPolicy locks itself: by its own rule or by `default deny`. */
        assert_int_equal(set_policy(f, 17, "deny rpc SetPolicy\n", &r), GRPC_OK);
        ttrpc_reply_clear(&r);
        assert_int_equal(set_policy(f, 19, "", &r), GRPC_PERMISSION_DENIED);
        assert_non_null(strstr(r.message, "denied by policy line 1: `deny rpc SetPolicy`"));
        ttrpc_reply_clear(&r);
        policy_activate(parse_ok("default deny\nallow rpc Check\n"));
        assert_int_equal(set_policy(f, 21, "", &r), GRPC_PERMISSION_DENIED);
        assert_non_null(strstr(r.message, "`default deny`"));
        ttrpc_reply_clear(&r);
        fixture_send(f->s, 23, "grpc.Health", "Check", NULL, 0);
        fixture_expect(f->s, 23, GRPC_OK, NULL);
        /* The guard runs for the kinglet services too. */
        fixture_send(f->s, 25, "kinglet.Containers", "List", NULL, 0);
        fixture_expect(f->s, 25, GRPC_PERMISSION_DENIED, NULL);
}

static void test_set_policy_empty_allows_all(void **state)
{
        struct fixture *f = *state;
        struct ttrpc_reply r;
        assert_int_equal(set_policy(f, 1, "default deny\nallow rpc SetPolicy\n", &r), GRPC_OK);
        ttrpc_reply_clear(&r);
        fixture_send(f->s, 3, "grpc.Health", "Check", NULL, 0);
        fixture_expect(f->s, 3, GRPC_PERMISSION_DENIED, NULL);
        assert_int_equal(set_policy(f, 5, "", &r), GRPC_OK);
        ttrpc_reply_clear(&r);
        fixture_send(f->s, 7, "grpc.Health", "Check", NULL, 0);
        fixture_expect(f->s, 7, GRPC_OK, NULL);
        /* Over the size bound: RESOURCE_EXHAUSTED, saying the limit. */
        char *big = malloc(POLICY_MAX_SIZE + 2);
        memset(big, '\n', POLICY_MAX_SIZE + 1);
        big[POLICY_MAX_SIZE + 1] = '\0';
        assert_int_equal(set_policy(f, 9, big, &r), GRPC_RESOURCE_EXHAUSTED);
        assert_non_null(strstr(r.message, "65536-byte limit"));
        ttrpc_reply_clear(&r);
        free(big);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_grammar_accepts),
                cmocka_unit_test(test_grammar_refusals),
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_rpc_rules),
                cmocka_unit_test(test_exec_rules),
                cmocka_unit_test(test_copyfile_rules),
                cmocka_unit_test(test_normalize),
                cmocka_unit_test(test_method_names),
                cmocka_unit_test_setup_teardown(test_guard, setup, teardown),
                cmocka_unit_test_setup_teardown(test_set_policy_empty_allows_all, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
