/* SPDX-License-Identifier: Apache-2.0 */
/* OCI hooks on the real agent: guest hooks from guest_hook_path, spec hooks, failures. */
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

#include "container_run.h"
#include "util.h"

#define expect_in(out, needle)                                                           \
        do {                                                                             \
                if (!strstr((out), (needle)))                                            \
                        fail_msg("expected `%s` in:\n%s", (needle), (out));                 \
        } while (0)

/* A hook script that appends "<stage> <state JSON>" to <dir>/log. */
static void write_hook(const char *dir, const char *stage, const char *name, const char *body)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, stage);
        (void)mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/%s/%s", dir, stage, name);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fprintf(f, "#!/bin/sh\n%s\n", body);
        fclose(f);
        assert_int_equal(chmod(path, 0755), 0);
}

static char *read_log(const char *dir)
{
        char path[512];
        static char buf[8192];
        snprintf(path, sizeof path, "%s/log", dir);
        if (read_small_file(path, buf, sizeof buf, NULL) < 0)
                buf[0] = '\0';
        return buf;
}

static void test_guest_hooks_run_at_each_stage(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        char hooks[256], cmd[1024];
        int status;
        snprintf(hooks, sizeof hooks, "%s/hooks", env->agent.dir);
        assert_int_equal(mkdir(hooks, 0755), 0);
        static const char *const stages[] = { "prestart", "poststart", "poststop" };
        for (size_t i = 0; i < 3; i++) {
                snprintf(cmd, sizeof cmd, "{ echo %s; cat; echo; } >> %s/log", stages[i], hooks);
                write_hook(hooks, stages[i], "10-record", cmd);
        }
        /* What a GPU hook does: read the spec from <bundle>/config.json, the bundle taken from the state. */
        snprintf(cmd, sizeof cmd,
                 "b=$(sed -n 's/.*\"bundle\":\"\\([^\"]*\\)\".*/\\1/p') && cp \"$b/config.json\" %s/config.json && "
                 "stat -c %%a \"$b/config.json\" > %s/config.mode",
                 hooks, hooks);
        write_hook(hooks, "prestart", "20-read-config", cmd);
        Grpc__CreateSandboxRequest sb = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        sb.guest_hook_path = hooks;
        assert_int_equal(agent_call(&env->client, "CreateSandbox", &sb.base, NULL, NULL, &e), 0);

        struct test_spec ts;
        const char *argv[] = { "sh", "-c", "exit 0", NULL };
        test_spec_init(&ts, env->rootfs, argv);
        assert_int_equal(agent_create_container(&env->client, "hk", &ts.spec, NULL, &e), 0);
        char *log = read_log(hooks);
        expect_in(log, "prestart\n{\"ociVersion\":\"1.0.2\",\"id\":\"hk\",\"status\":\"created\",\"pid\":");
        expect_in(log, "\"bundle\":\"/run/kata-containers/hk\"}");
        assert_null(strstr(log, "poststart"));
        char path[300], config[8192], root[300];
        snprintf(path, sizeof path, "%s/config.json", hooks);
        assert_int_equal(read_small_file(path, config, sizeof config, NULL), 0);
        expect_in(config, "{\"ociVersion\":\"1.0.2\",\"process\":{");
        expect_in(config, "\"args\":[\"sh\",\"-c\",\"exit 0\"]");
        snprintf(root, sizeof root, "\"root\":{\"path\":\"%s\"", env->rootfs);
        expect_in(config, root);
        snprintf(path, sizeof path, "%s/config.mode", hooks);
        assert_int_equal(read_small_file(path, config, sizeof config, NULL), 0);
        assert_string_equal(config, "600\n");
        assert_int_equal(agent_start_container(&env->client, "hk", &e), 0);
        expect_in(read_log(hooks), "poststart\n{\"ociVersion\":\"1.0.2\",\"id\":\"hk\",\"status\":\"running\"");
        assert_int_equal(agent_wait_process(&env->client, "hk", "hk", &status, &e), 0);
        assert_null(strstr(read_log(hooks), "poststop"));
        assert_int_equal(agent_remove_container(&env->client, "hk", 10, &e), 0);
        expect_in(read_log(hooks), "poststop\n{\"ociVersion\":\"1.0.2\",\"id\":\"hk\",\"status\":\"stopped\"");
        /* The bundle goes with the container, config.json and all. */
        snprintf(path, sizeof path, "/proc/%d/root/run/kata-containers/hk", (int)env->agent.pid);
        assert_int_equal(access(path, F_OK), -1);
}

static void test_failing_prestart_hook_fails_create(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        char script[256], bundle[256];
        snprintf(script, sizeof script, "%s/fail-hook", env->agent.dir);
        FILE *f = fopen(script, "we");
        fputs("#!/bin/sh\nexit 3\n", f);
        fclose(f);
        assert_int_equal(chmod(script, 0755), 0);

        struct test_spec ts;
        const char *argv[] = { "true", NULL };
        test_spec_init(&ts, env->rootfs, argv);
        Grpc__Hooks hooks = GRPC__HOOKS__INIT;
        Grpc__Hook h = GRPC__HOOK__INIT, *hs[] = { &h };
        h.path = script;
        hooks.prestart = hs;
        hooks.n_prestart = 1;
        ts.spec.hooks = &hooks;
        assert_int_equal(agent_create_container(&env->client, "hookfail", &ts.spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_FAILED_PRECONDITION);
        expect_in(e.msg, "fail-hook");
        expect_in(e.msg, "exit status 3");
        snprintf(bundle, sizeof bundle, "/proc/%d/root/run/kata-containers/hookfail", (int)env->agent.pid);
        assert_int_equal(access(bundle, F_OK), -1);
        /* A hook that hangs is killed at its timeout, and says so. */
        f = fopen(script, "we");
        fputs("#!/bin/sh\nsleep 100\n", f);
        fclose(f);
        h.timeout = 1;
        assert_int_equal(agent_create_container(&env->client, "hookslow", &ts.spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_DEADLINE_EXCEEDED);
        expect_in(e.msg, "within 1 s");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ctr_setup, ctr_teardown)
                T(test_guest_hooks_run_at_each_stage),
                T(test_failing_prestart_hook_fails_create),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
