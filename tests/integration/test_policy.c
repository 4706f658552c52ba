/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent policy against the real agent, one test per rule kind: rpc
 * allow/deny and `default deny`, exec allow-lists per container and `*`
 * (in real busybox containers), copyfile prefixes (with `..` and
 * look-alike prefixes), the debug console (through the hidden
 * --test-debug-console-addr flag), a policy that locks SetPolicy, an invalid
 * policy that leaves the current one in place, and agent.policy_file read at
 * start (through --kernel-cmdline FILE), where a bad file stops the agent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "agent_proc.h"
#include "container_run.h"
#include "health.pb-c.h"
#include "util.h"

#define expect_in(haystack, needle)                                                    \
        do {                                                                           \
                if (!strstr((haystack), (needle)))                                     \
                        fail_msg("expected `%s` in:\n%s", (needle), (haystack));       \
        } while (0)

/* One request on a fresh connection; returns the gRPC code, the message in msg. */
static int call(const struct agent_proc *a, const char *service, const char *method, const ProtobufCMessage *req,
                char *msg, size_t msg_size)
{
        struct ttrpc_client *c = agent_connect(a);
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        assert_non_null(c);
        assert_int_equal(ttrpc_client_call(c, service, method, req, NULL, 0, &st, NULL, &e), 0);
        snprintf(msg, msg_size, "%s", st.message);
        int code = st.code;
        ttrpc_reply_clear(&st);
        ttrpc_client_free(c);
        return code;
}

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static int set_policy(const struct agent_proc *a, const char *text, char *msg, size_t msg_size)
{
        Grpc__SetPolicyRequest req = GRPC__SET_POLICY_REQUEST__INIT;
        req.policy = (char *)text;
        return call(a, "grpc.AgentService", "SetPolicy", &req.base, msg, msg_size);
}

static int check(const struct agent_proc *a, char *msg, size_t msg_size)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        return call(a, "grpc.Health", "Check", &req.base, msg, msg_size);
}

static int guest_details(const struct agent_proc *a, char *msg, size_t msg_size)
{
        Grpc__GuestDetailsRequest req = GRPC__GUEST_DETAILS_REQUEST__INIT;
        return call(a, "grpc.AgentService", "GetGuestDetails", &req.base, msg, msg_size);
}

static void test_rpc_rules(void **state)
{
        struct agent_proc *a = *state;
        char msg[512];

        /* No policy: Kata's default allow-all. */
        assert_int_equal(guest_details(a, msg, sizeof msg), GRPC_OK);
        assert_int_equal(set_policy(a, "# kinglet policy v1\ndeny rpc GetGuestDetails\nallow rpc Check\n", msg,
                                    sizeof msg),
                         GRPC_OK);
        assert_int_equal(guest_details(a, msg, sizeof msg), GRPC_PERMISSION_DENIED);
        expect_in(msg, "denied by policy line 2: `deny rpc GetGuestDetails`");
        assert_int_equal(check(a, msg, sizeof msg), GRPC_OK);
        assert_true(agent_log_contains(a, "denied by policy line 2"));

        /* default deny: only what is allowed by name gets through. */
        assert_int_equal(set_policy(a, "default deny\nallow rpc SetPolicy\nallow rpc Version\n", msg, sizeof msg),
                         GRPC_OK);
        assert_int_equal(check(a, msg, sizeof msg), GRPC_PERMISSION_DENIED);
        expect_in(msg, "denied by policy line 1: `default deny`");
        Grpc__CheckRequest creq = GRPC__CHECK_REQUEST__INIT;
        assert_int_equal(call(a, "grpc.Health", "Version", &creq.base, msg, sizeof msg), GRPC_OK);
        assert_int_equal(guest_details(a, msg, sizeof msg), GRPC_PERMISSION_DENIED);

        /* An empty policy is the default again. */
        assert_int_equal(set_policy(a, "", msg, sizeof msg), GRPC_OK);
        assert_int_equal(check(a, msg, sizeof msg), GRPC_OK);
        assert_int_equal(guest_details(a, msg, sizeof msg), GRPC_OK);
}

static void test_invalid_policy_keeps_current(void **state)
{
        struct agent_proc *a = *state;
        char msg[512];
        assert_int_equal(set_policy(a, "deny rpc GetGuestDetails\n", msg, sizeof msg), GRPC_OK);
        assert_int_equal(set_policy(a, "default allow\n\nexec c1 /bin/sh\nexec c1 /bin/ls\n", msg, sizeof msg),
                         GRPC_INVALID_ARGUMENT);
        expect_in(msg, "the current one stays: policy line 4: container `c1` has an exec rule on line 3 already");
        assert_int_equal(set_policy(a, "allow rpc CopyFile\nallowrpc Check\n", msg, sizeof msg),
                         GRPC_INVALID_ARGUMENT);
        expect_in(msg, "policy line 2: unknown keyword `allowrpc`");
        assert_int_equal(guest_details(a, msg, sizeof msg), GRPC_PERMISSION_DENIED);
        expect_in(msg, "policy line 1: `deny rpc GetGuestDetails`");
}

/* kinglet-ctl set-policy FILE|-: the text reaches the agent as it is; refusals exit with the gRPC code. */
static void test_ctl_set_policy(void **state)
{
        struct agent_proc *a = *state;
        char path[128], out[1024], msg[512];
        snprintf(path, sizeof path, "%s/policy", a->dir);
        write_text(path, "# from ctl\ndeny rpc GetGuestDetails\n");
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "set-policy", path, NULL }, out, sizeof out), 0);
        expect_in(out, "policy set (");
        assert_int_equal(guest_details(a, msg, sizeof msg), GRPC_PERMISSION_DENIED);
        expect_in(msg, "denied by policy line 2: `deny rpc GetGuestDetails`");
        write_text(path, "deny rpc GetGuestDetails\ndeny rpc GetGuestDetails\n");
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "--json", "set-policy", path, NULL }, out,
                                 sizeof out),
                         GRPC_INVALID_ARGUMENT);
        expect_in(out, "policy line 2: GetGuestDetails has a rule on line 1 already");
        write_text(path, "");
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "--json", "set-policy", path, NULL }, out,
                                 sizeof out),
                         0);
        expect_in(out, "{\"bytes\":0}");
        assert_int_equal(guest_details(a, msg, sizeof msg), GRPC_OK);
        unlink(path);
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "set-policy", path, NULL }, out, sizeof out),
                         66);
}

static void test_set_policy_locks_itself(void **state)
{
        struct agent_proc *a = *state;
        char msg[512];
        assert_int_equal(set_policy(a, "deny rpc SetPolicy\ndeny rpc GetGuestDetails\n", msg, sizeof msg), GRPC_OK);
        assert_int_equal(set_policy(a, "", msg, sizeof msg), GRPC_PERMISSION_DENIED);
        expect_in(msg, "SetPolicy: denied by policy line 1: `deny rpc SetPolicy`");
        assert_int_equal(guest_details(a, msg, sizeof msg), GRPC_PERMISSION_DENIED);
        assert_int_equal(check(a, msg, sizeof msg), GRPC_OK);
}

static void copy_file(const struct agent_proc *a, const char *path, int want, const char *needle)
{
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
        char msg[512];
        req.path = (char *)path;
        req.file_mode = S_IFREG | 0644;
        req.file_size = 3;
        req.data.data = (uint8_t *)"hi\n";
        req.data.len = 3;
        req.uid = -1;
        req.gid = -1;
        int code = call(a, "grpc.AgentService", "CopyFile", &req.base, msg, sizeof msg);
        if (code != want)
                fail_msg("CopyFile %s: expected %s, got %s: %s", path, grpc_code_name(want), grpc_code_name(code), msg);
        if (needle)
                expect_in(msg, needle);
}

static bool agent_has_file(const struct agent_proc *a, const char *path)
{
        char buf[300];
        snprintf(buf, sizeof buf, "/proc/%d/root%s", (int)a->pid, path);
        return access(buf, F_OK) == 0;
}

static void test_copyfile_prefixes(void **state)
{
        struct agent_proc *a = *state;
        char msg[512];
        assert_int_equal(set_policy(a, "copyfile /run/kata-containers/shared/\ncopyfile /run/kata-containers/sb\n",
                                    msg, sizeof msg),
                         GRPC_OK);
        copy_file(a, "/run/kata-containers/shared/f", GRPC_OK, NULL);
        assert_true(agent_has_file(a, "/run/kata-containers/shared/f"));
        copy_file(a, "/run/kata-containers/sb/d/g", GRPC_OK, NULL);
        assert_true(agent_has_file(a, "/run/kata-containers/sb/d/g"));
        /* A look-alike prefix: prefixes match whole components. */
        copy_file(a, "/run/kata-containers/shared-evil/f", GRPC_PERMISSION_DENIED,
                  "denied by policy line 1: `copyfile /run/kata-containers/shared`");
        assert_false(agent_has_file(a, "/run/kata-containers/shared-evil/f"));
        /* `..` is resolved before matching: climbing out of a prefix is out of it. */
        copy_file(a, "/run/kata-containers/shared/../other/f", GRPC_PERMISSION_DENIED,
                  "(`/run/kata-containers/other/f`) is below no copyfile prefix");
        assert_false(agent_has_file(a, "/run/kata-containers/other/f"));
        copy_file(a, "/run/kata-containers/shared/../../../etc/passwd", GRPC_PERMISSION_DENIED, "(`/etc/passwd`)");
        copy_file(a, "/run/kata-containers/other/f", GRPC_PERMISSION_DENIED, "below no copyfile prefix");
        /* `..` that stays inside a prefix passes the policy; the handler still refuses `..` itself. */
        copy_file(a, "/run/kata-containers/shared/x/../f2", GRPC_PERMISSION_DENIED, "contains a `..` component");
        assert_false(agent_has_file(a, "/run/kata-containers/shared/f2"));
}

/* A container running `sleep`; exec allow-lists are checked against Process.Args[0]. */
static void start_sleeper(struct ctr_env *env, const char *id)
{
        struct test_spec ts;
        struct rpc_error e = { 0 };
        const char *argv[] = { "sleep", "1000", NULL };
        test_spec_init(&ts, env->rootfs, argv);
        if (agent_create_container(&env->client, id, &ts.spec, NULL, &e) < 0 ||
            agent_start_container(&env->client, id, &e) < 0)
                fail_msg("cannot start %s: %s", id, e.msg);
}

static int exec_in(struct ctr_env *env, const char *id, const char *exec_id, const char *argv0, const char *arg,
                   char **out, struct rpc_error *e)
{
        Grpc__Process p = GRPC__PROCESS__INIT;
        char *args[] = { (char *)argv0, (char *)arg };
        char *envv[] = { (char *)"PATH=/bin" };
        p.args = args;
        p.n_args = 2;
        p.env = envv;
        p.n_env = 1;
        p.cwd = (char *)"/";
        int r = agent_exec_process(&env->client, id, exec_id, &p, NULL, e);
        if (r < 0)
                return r;
        int status;
        assert_int_equal(ctr_read_all(&env->client, id, exec_id, false, out, NULL), 0);
        assert_int_equal(agent_wait_process(&env->client, id, exec_id, &status, e), 0);
        return status;
}

static void stop_container(struct ctr_env *env, const char *id)
{
        struct rpc_error e = { 0 };
        int status;
        assert_int_equal(agent_signal_process(&env->client, id, "", SIGKILL, &e), 0);
        assert_int_equal(agent_wait_process(&env->client, id, id, &status, &e), 0);
        assert_int_equal(agent_remove_container(&env->client, id, 10, &e), 0);
}

static void test_exec_rules(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        char msg[512], *out = NULL;
        start_sleeper(env, "c1");
        start_sleeper(env, "c2");
        start_sleeper(env, "c3");
        assert_int_equal(set_policy(&env->agent, "exec c1 /bin/echo\nexec * /bin/true\nexec c3 none\n", msg,
                                    sizeof msg),
                         GRPC_OK);

        /* c1's own list. */
        assert_int_equal(exec_in(env, "c1", "e1", "/bin/echo", "allowed", &out, &e), 0);
        assert_string_equal(out, "allowed\n");
        free(out);
        assert_int_equal(exec_in(env, "c1", "e2", "/bin/sh", "-c", &out, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_PERMISSION_DENIED);
        expect_in(e.msg, "ExecProcess of `/bin/sh` in container `c1`: denied by policy line 1: `exec c1 /bin/echo`");
        /* Exact strings: `echo` is not `/bin/echo`, and the own line replaces `*`. */
        assert_int_equal(exec_in(env, "c1", "e3", "echo", "x", &out, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_PERMISSION_DENIED);
        assert_int_equal(exec_in(env, "c1", "e4", "/bin/true", "x", &out, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_PERMISSION_DENIED);

        /* `*` for containers without a line of their own. */
        assert_int_equal(exec_in(env, "c2", "e1", "/bin/true", "x", &out, &e), 0);
        free(out);
        assert_int_equal(exec_in(env, "c2", "e2", "/bin/echo", "x", &out, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_PERMISSION_DENIED);
        expect_in(e.msg, "denied by policy line 2: `exec * /bin/true`");

        /* none: nothing may run in c3. */
        assert_int_equal(exec_in(env, "c3", "e1", "/bin/true", "x", &out, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_PERMISSION_DENIED);
        expect_in(e.msg, "line 3: `exec c3 none`");

        /* Without exec rules anything may run again. */
        assert_int_equal(set_policy(&env->agent, "", msg, sizeof msg), GRPC_OK);
        assert_int_equal(exec_in(env, "c3", "e2", "/bin/echo", "free", &out, &e), 0);
        assert_string_equal(out, "free\n");
        free(out);
        stop_container(env, "c1");
        stop_container(env, "c2");
        stop_container(env, "c3");
}

static int connect_unix(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        for (int i = 0; i < 100; i++) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                assert_true(fd >= 0);
                if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
                        return fd;
                close(fd);
                usleep(20 * 1000);
        }
        fail_msg("cannot connect to %s", path);
        return -1;
}

/* Reads until needle shows up (true) or EOF / timeout (false); out holds what came. */
static bool read_until(int fd, const char *needle, char *out, size_t size, int timeout_ms)
{
        size_t len = 0;
        uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000;
        out[0] = '\0';
        while (now_ns() < deadline && len < size - 1) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 50) <= 0)
                        continue;
                ssize_t n = read(fd, out + len, size - 1 - len);
                if (n <= 0)
                        return false;
                len += (size_t)n;
                out[len] = '\0';
                if (strstr(out, needle))
                        return true;
        }
        return false;
}

static void test_debug_console(void **state)
{
        (void)state;
        struct agent_proc a;
        char dc_sock[108], dc_addr[200], msg[512], out[4096];
        if (!agent_can_run())
                skip();
        snprintf(dc_sock, sizeof dc_sock, "/tmp/kinglet-policy-dc-%d.sock", (int)getpid());
        snprintf(dc_addr, sizeof dc_addr, "unix://%s", dc_sock);
        const char *args[] = { "--test-debug-console-addr", dc_addr, NULL };
        struct agent_opts o = { .args = args };
        assert_int_equal(agent_start(&a, &o), 0);

        assert_int_equal(set_policy(&a, "# no shells\ndebug_console deny\n", msg, sizeof msg), GRPC_OK);
        int s = connect_unix(dc_sock);
        assert_true(read_until(s, "denied by policy line 2: `debug_console deny`", out, sizeof out, 3000));
        const char cmd[] = "echo hi-$((6*7))\n";
        (void)!send(s, cmd, sizeof cmd - 1, MSG_NOSIGNAL); /* the agent may have closed it already */
        assert_false(read_until(s, "hi-42", out, sizeof out, 1000)); /* closed: no shell behind it */
        close(s);
        /* Logged before the reply is sent; still, give a loaded machine a moment. */
        for (int i = 0; i < 100 && !agent_log_contains(&a, "debug console: refused"); i++)
                usleep(20 * 1000);
        if (!agent_log_contains(&a, "debug console: refused")) {
                agent_dump_log(&a);
                fail_msg("the refusal is not in the log");
        }

        /* default deny reaches the console too; its own rule wins over default. */
        assert_int_equal(set_policy(&a, "default deny\nallow rpc SetPolicy\n", msg, sizeof msg), GRPC_OK);
        s = connect_unix(dc_sock);
        assert_true(read_until(s, "denied by policy line 1: `default deny`", out, sizeof out, 3000));
        close(s);
        assert_int_equal(set_policy(&a, "default deny\nallow rpc SetPolicy\ndebug_console allow\n", msg, sizeof msg),
                         GRPC_OK);
        s = connect_unix(dc_sock);
        assert_int_equal(write(s, cmd, sizeof cmd - 1), (ssize_t)sizeof cmd - 1);
        assert_true(read_until(s, "hi-42", out, sizeof out, 5000));
        close(s);
        assert_int_equal(set_policy(&a, "", msg, sizeof msg), GRPC_OK);
        assert_int_equal(agent_stop(&a), 0);
        unlink(dc_sock);
}

static void test_policy_file_at_start(void **state)
{
        (void)state;
        char dir[] = "/tmp/kinglet-policy-XXXXXX", cmdline[64], policy[64], msg[512], out[8192];
        if (!agent_can_run())
                skip();
        assert_non_null(mkdtemp(dir));
        snprintf(cmdline, sizeof cmdline, "%s/cmdline", dir);
        snprintf(policy, sizeof policy, "%s/policy", dir);
        char line[200];
        snprintf(line, sizeof line, "console=hvc0 agent.policy_file=%s quiet\n", policy);
        write_text(cmdline, line);
        write_text(policy, "# kinglet policy v1\ndeny rpc GetGuestDetails\n");

        struct agent_proc a;
        const char *args[] = { "--kernel-cmdline", cmdline, NULL };
        struct agent_opts o = { .args = args };
        assert_int_equal(agent_start(&a, &o), 0);
        assert_int_equal(guest_details(&a, msg, sizeof msg), GRPC_PERMISSION_DENIED);
        expect_in(msg, "denied by policy line 2: `deny rpc GetGuestDetails`");
        assert_int_equal(check(&a, msg, sizeof msg), GRPC_OK);
        assert_int_equal(agent_stop(&a), 0);

        /* A policy that cannot be used stops the agent at start, saying where. */
        write_text(policy, "default allow\nallow rpc NoSuchRpc\n");
        char sock[120], addr[140];
        snprintf(sock, sizeof sock, "%s/agent.sock", dir);
        snprintf(addr, sizeof addr, "unix://%s", sock);
        const char *bad_args[] = { "--kernel-cmdline", cmdline, "--server-addr", addr, NULL };
        assert_int_equal(run_agent_until_exit(bad_args, out, sizeof out), 64);
        expect_in(out, "policy line 2: `NoSuchRpc` is not an RPC");
        expect_in(out, "agent.policy_file");
        assert_int_equal(unlink(policy), 0);
        assert_int_equal(run_agent_until_exit(bad_args, out, sizeof out), 64);
        expect_in(out, "cannot read");
        unlink(cmdline);
        unlink(sock);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_rpc_rules, agent_test_setup, agent_test_teardown),
                cmocka_unit_test_setup_teardown(test_invalid_policy_keeps_current, agent_test_setup,
                                                agent_test_teardown),
                cmocka_unit_test_setup_teardown(test_set_policy_locks_itself, agent_test_setup, agent_test_teardown),
                cmocka_unit_test_setup_teardown(test_ctl_set_policy, agent_test_setup, agent_test_teardown),
                cmocka_unit_test_setup_teardown(test_copyfile_prefixes, agent_test_setup, agent_test_teardown),
                cmocka_unit_test_setup_teardown(test_exec_rules, ctr_setup, ctr_teardown),
                cmocka_unit_test(test_debug_console),
                cmocka_unit_test(test_policy_file_at_start),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
