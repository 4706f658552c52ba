/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the agent's children inherit (docs/security.md, "The agent's own
 * hardening"): a container's process, an exec, an OCI hook and a helper
 * program each start with descriptors 0, 1 and 2 only, however many the
 * agent holds (listeners, connections, epoll, pipes of other processes).
 * Each runs `ls /proc/self/fd` as the program itself, so the listing is
 * 0 1 2 and ls's own directory descriptor: exactly four entries. Hooks and
 * helpers also run with no_new_privs.
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
#include <sys/stat.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "container_run.h"
#include "util.h"

/* The descriptor numbers in an `ls /proc/self/fd` listing must be 0 1 2 and one more (ls's own). */
static void expect_only_std_fds(const char *who, const char *listing)
{
        int seen[4], n = 0;
        char *copy = strdup(listing), *save = NULL;
        assert_non_null(copy);
        for (char *tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
                if (n == 4)
                        fail_msg("%s has more descriptors than 0, 1, 2 (and ls's own):\n%s", who, listing);
                seen[n++] = atoi(tok);
        }
        free(copy);
        if (n != 4 || seen[0] != 0 || seen[1] != 1 || seen[2] != 2)
                fail_msg("%s: expected `0 1 2 <ls's own>`, got:\n%s", who, listing);
}

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "re");
        if (!f)
                fail_msg("%s: %s", path, strerror(errno));
        char *buf = calloc(1, 4096);
        size_t n = fread(buf, 1, 4095, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

/* A /bin/sh script that records its exec'd ls's descriptors and its own no_new_privs in <dir>/<name>.*. */
static void write_recorder(const char *path, const char *dir, const char *name)
{
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fprintf(f,
                "#!/bin/sh\n"
                "cat > /dev/null\n"
                "grep NoNewPrivs /proc/$$/status > %s/%s.nnp\n"
                "exec ls /proc/self/fd > %s/%s.fds\n",
                dir, name, dir, name);
        fclose(f);
        assert_int_equal(chmod(path, 0755), 0);
}

static void test_container_and_exec_get_only_stdio(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        struct test_spec ts;
        char *out = NULL;
        int status;

        const char *ls[] = { "ls", "/proc/self/fd", NULL };
        test_spec_init(&ts, env->rootfs, ls);
        assert_int_equal(ctr_run(env, "fdinit", &ts, &out, NULL, &status, &e), 0);
        assert_int_equal(status, 0);
        expect_only_std_fds("a container's process", out);
        free(out);

        /* An exec into a running container, started while the agent holds that container's pipes too. */
        const char *sleeper[] = { "sleep", "1000", NULL };
        test_spec_init(&ts, env->rootfs, sleeper);
        if (agent_create_container(&env->client, "fdexec", &ts.spec, NULL, &e) < 0 ||
            agent_start_container(&env->client, "fdexec", &e) < 0)
                fail_msg("cannot start the container: %s", e.msg);
        Grpc__Process p = GRPC__PROCESS__INIT;
        char *args[] = { (char *)"ls", (char *)"/proc/self/fd" };
        char *envv[] = { (char *)"PATH=/bin" };
        p.args = args;
        p.n_args = 2;
        p.env = envv;
        p.n_env = 1;
        p.cwd = (char *)"/";
        assert_int_equal(agent_exec_process(&env->client, "fdexec", "ls", &p, NULL, &e), 0);
        assert_int_equal(ctr_read_all(&env->client, "fdexec", "ls", false, &out, NULL), 0);
        assert_int_equal(agent_wait_process(&env->client, "fdexec", "ls", &status, &e), 0);
        assert_int_equal(status, 0);
        expect_only_std_fds("an exec", out);
        free(out);
        assert_int_equal(agent_signal_process(&env->client, "fdexec", "fdexec", 9, &e), 0);
        assert_int_equal(agent_wait_process(&env->client, "fdexec", "fdexec", &status, &e), 0);
        assert_int_equal(agent_remove_container(&env->client, "fdexec", 10, &e), 0);
}

static void test_hook_gets_only_stdio_and_no_new_privs(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        char script[256], path[256];
        snprintf(script, sizeof script, "%s/record-hook", env->agent.dir);
        write_recorder(script, env->agent.dir, "hook");

        struct test_spec ts;
        const char *argv[] = { "true", NULL };
        test_spec_init(&ts, env->rootfs, argv);
        Grpc__Hooks hooks = GRPC__HOOKS__INIT;
        Grpc__Hook h = GRPC__HOOK__INIT, *hs[] = { &h };
        h.path = script;
        hooks.prestart = hs;
        hooks.n_prestart = 1;
        ts.spec.hooks = &hooks;
        assert_int_equal(agent_create_container(&env->client, "fdhook", &ts.spec, NULL, &e), 0);
        assert_int_equal(agent_remove_container(&env->client, "fdhook", 10, &e), 0);

        snprintf(path, sizeof path, "%s/hook.fds", env->agent.dir);
        char *fds = slurp(path);
        expect_only_std_fds("an OCI hook", fds);
        free(fds);
        snprintf(path, sizeof path, "%s/hook.nnp", env->agent.dir);
        char *nnp = slurp(path);
        if (!strstr(nnp, "NoNewPrivs:\t1"))
                fail_msg("the hook ran without no_new_privs: %s", nnp);
        free(nnp);
}

/* iptables-restore as the agent finds it through KINGLET_HELPER_PATH: a recorder. */
static void test_helper_gets_only_stdio_and_no_new_privs(void **state)
{
        (void)state;
        if (!agent_can_run())
                skip();
        char dir[] = "/tmp/kinglet-fds-XXXXXX", tool[128], env_path[160], path[200];
        assert_non_null(mkdtemp(dir));
        snprintf(tool, sizeof tool, "%s/iptables-restore", dir);
        write_recorder(tool, dir, "helper");
        snprintf(env_path, sizeof env_path, "KINGLET_HELPER_PATH=%s", dir);
        const char *const env[] = { env_path, NULL };
        struct agent_opts o = { .env = env };
        struct agent_proc a;
        if (agent_start(&a, &o) < 0) {
                agent_dump_log(&a);
                fail_msg("agent did not start");
        }
        struct ttrpc_client *c = agent_connect(&a);
        assert_non_null(c);
        Grpc__SetIPTablesRequest req = GRPC__SET_IPTABLES_REQUEST__INIT;
        req.data.data = (uint8_t *)"*filter\nCOMMIT\n";
        req.data.len = strlen((const char *)req.data.data);
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", "SetIPTables", &req.base,
                                           &grpc__set_iptables_response__descriptor, 0, &st, NULL, &e),
                         0);
        int code = st.code;
        ttrpc_reply_clear(&st);
        ttrpc_client_free(c);
        assert_int_equal(agent_stop(&a), 0);

        snprintf(path, sizeof path, "%s/helper.fds", dir);
        char *fds = slurp(path);
        expect_only_std_fds("a helper program", fds);
        free(fds);
        snprintf(path, sizeof path, "%s/helper.nnp", dir);
        char *nnp = slurp(path);
        if (!strstr(nnp, "NoNewPrivs:\t1"))
                fail_msg("the helper ran without no_new_privs: %s", nnp);
        free(nnp);
        assert_int_equal(code, GRPC_OK);
        static const char *const made[] = { "iptables-restore", "helper.fds", "helper.nnp" };
        for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
                snprintf(path, sizeof path, "%s/%s", dir, made[i]);
                (void)unlink(path);
        }
        (void)rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_container_and_exec_get_only_stdio, ctr_setup, ctr_teardown),
                cmocka_unit_test_setup_teardown(test_hook_gets_only_stdio_and_no_new_privs, ctr_setup,
                                                ctr_teardown),
                cmocka_unit_test(test_helper_gets_only_stdio_and_no_new_privs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
