/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every configurable limit on the real agent, started with small values on
 * its kernel command line: the request beyond each one is answered
 * RESOURCE_EXHAUSTED with a message naming the key and its value (the stdio
 * buffer instead holds the writer back and loses nothing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container_run.h"
#include "health.pb-c.h"
#include "kinglet.pb-c.h"
#include "rootfs.h"
#include "ttrpc_client.h"
#include "util.h"

static const char limits_cmdline[] =
        "quiet agent.max_connections=4 agent.max_requests_per_connection=2 agent.max_containers=2 "
        "agent.max_execs_per_container=1 agent.stdio_buffer_bytes=4096 agent.copy_file_max_bytes=4096 "
        "agent.spec_max_env=16 agent.spec_max_args=3 agent.spec_max_mounts=8 agent.spec_max_string_bytes=256\n";

struct limits_env {
        struct ctr_env ctr; /* first: container_run's helpers take it */
        char cmdline_dir[64];
};

static int setup(void **state)
{
        if (!agent_can_run() || !test_rootfs_available())
                skip();
        struct limits_env *env = calloc(1, sizeof *env);
        assert_non_null(env);
        char path[128];
        snprintf(env->cmdline_dir, sizeof env->cmdline_dir, "/tmp/kinglet-limits-XXXXXX");
        assert_non_null(mkdtemp(env->cmdline_dir));
        snprintf(path, sizeof path, "%s/cmdline", env->cmdline_dir);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(limits_cmdline, f);
        fclose(f);

        const char *args[] = { "--kernel-cmdline", path, "--debug-service", NULL };
        struct agent_opts opts = { .args = args };
        if (agent_start(&env->ctr.agent, &opts) < 0) {
                agent_dump_log(&env->ctr.agent);
                fail_msg("agent did not start");
        }
        snprintf(env->ctr.rootfs, sizeof env->ctr.rootfs, "%s/rootfs", env->ctr.agent.dir);
        assert_int_equal(mkdir(env->ctr.rootfs, 0755), 0);
        assert_int_equal(test_rootfs_busybox(env->ctr.rootfs), 0);
        env->ctr.client.ttrpc = agent_connect(&env->ctr.agent);
        assert_non_null(env->ctr.client.ttrpc);
        *state = env;
        return 0;
}

static int teardown(void **state)
{
        struct limits_env *env = *state;
        char path[128];
        snprintf(path, sizeof path, "%s/cmdline", env->cmdline_dir);
        unlink(path);
        rmdir(env->cmdline_dir);
        ttrpc_client_free(env->ctr.client.ttrpc);
        int status = agent_stop(&env->ctr.agent);
        free(env);
        assert_int_equal(status, 0);
        return 0;
}

#define expect_exhausted(e, needle)                                                                     \
        do {                                                                                            \
                if ((e).code != GRPC_RESOURCE_EXHAUSTED || !strstr((e).msg, (needle)))                   \
                        fail_msg("expected RESOURCE_EXHAUSTED with `%s`, got %s: %s", (needle),          \
                                 grpc_code_name((e).code), (e).msg);                                     \
        } while (0)

static void spec_sh(struct limits_env *env, struct test_spec *ts, const char *cmd)
{
        const char *argv[] = { "sh", "-c", cmd, NULL };
        test_spec_init(ts, env->ctr.rootfs, argv);
}

static void remove_now(struct limits_env *env, const char *id)
{
        struct rpc_error e = { 0 };
        (void)agent_signal_process(&env->ctr.client, id, id, SIGKILL, &e);
        if (agent_remove_container(&env->ctr.client, id, 10, &e) < 0)
                fail_msg("remove %s: %s", id, e.msg);
}

static void test_max_connections(void **state)
{
        struct limits_env *env = *state;
        struct ttrpc_client *extra[3];
        /* The fixture's client is the first of four. */
        for (size_t i = 0; i < 3; i++) {
                extra[i] = agent_connect(&env->ctr.agent);
                assert_int_equal(agent_check(extra[i]), GRPC_OK);
        }
        /* The fifth is told why on its first request, then closed. */
        struct ttrpc_client *over = agent_connect(&env->ctr.agent);
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        struct ttrpc_reply st = { 0 };
        struct rpc_error e = { 0 };
        assert_int_equal(ttrpc_client_call(over, "grpc.Health", "Check", &req.base, NULL, 0, &st, NULL, &e), 0);
        assert_int_equal(st.code, GRPC_RESOURCE_EXHAUSTED);
        assert_string_equal(st.message, "4 connections already open (agent.max_connections=4): closing this one");
        ttrpc_reply_clear(&st);
        assert_int_equal(ttrpc_client_recv(over, 5000, &st), -ECONNRESET);
        ttrpc_client_free(over);
        assert_true(agent_log_contains(&env->ctr.agent, "connections already open (agent.max_connections=4)"));

        /* A few silent ones beyond the limit are held for their answer; past those, closed unanswered. */
        struct ttrpc_client *silent[4];
        for (size_t i = 0; i < 4; i++)
                silent[i] = agent_connect(&env->ctr.agent);
        over = agent_connect(&env->ctr.agent);
        /* -ECONNRESET, or -EPIPE when the close came before the request went out. */
        assert_true(ttrpc_client_call(over, "grpc.Health", "Check", &req.base, NULL, 0, &st, NULL, &e) < 0);
        ttrpc_client_free(over);
        for (size_t i = 0; i < 4; i++)
                ttrpc_client_free(silent[i]);

        /* One closed makes room again (once the agent has seen it go). */
        ttrpc_client_free(extra[0]);
        int code = GRPC_UNAVAILABLE;
        for (int tries = 0; tries < 50 && code != GRPC_OK; tries++) {
                usleep(20000);
                struct ttrpc_client *again = agent_connect(&env->ctr.agent);
                code = agent_check(again);
                ttrpc_client_free(again);
        }
        assert_int_equal(code, GRPC_OK);
        ttrpc_client_free(extra[1]);
        ttrpc_client_free(extra[2]);
}

static void test_max_requests_per_connection(void **state)
{
        struct limits_env *env = *state;
        struct ttrpc_client *c = agent_connect(&env->ctr.agent);
        assert_non_null(c);
        Kinglet__SleepRequest req = KINGLET__SLEEP_REQUEST__INIT;
        req.milliseconds = 1000;
        uint32_t ids[3];
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(ttrpc_client_send(c, "kinglet.Debug", "Sleep", &req.base, 0, &ids[i]), 0);
        /* The two sleeping are in flight; the third is refused at once. */
        struct ttrpc_reply reply = { 0 };
        assert_int_equal(ttrpc_client_recv(c, 500, &reply), 0);
        assert_int_equal(reply.stream_id, ids[2]);
        assert_int_equal(reply.code, GRPC_RESOURCE_EXHAUSTED);
        if (!strstr(reply.message, "(agent.max_requests_per_connection=2)"))
                fail_msg("message: %s", reply.message);
        ttrpc_reply_clear(&reply);
        /* The others still finish. */
        for (size_t i = 0; i < 2; i++) {
                assert_int_equal(ttrpc_client_recv(c, 3000, &reply), 0);
                assert_int_equal(reply.code, GRPC_OK);
                ttrpc_reply_clear(&reply);
        }
        ttrpc_client_free(c);
}

static void test_max_containers(void **state)
{
        struct limits_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        spec_sh(env, &ts, "sleep 30");
        /* Created and never started: each still counts. */
        if (agent_create_container(&env->ctr.client, "lim-a", &ts.spec, NULL, &e) < 0 ||
            agent_create_container(&env->ctr.client, "lim-b", &ts.spec, NULL, &e) < 0)
                fail_msg("create: %s", e.msg);
        assert_int_equal(agent_create_container(&env->ctr.client, "lim-c", &ts.spec, NULL, &e), -EPROTO);
        expect_exhausted(e, "2 containers already exist (agent.max_containers=2)");
        remove_now(env, "lim-a");
        /* Room again. */
        if (agent_create_container(&env->ctr.client, "lim-c", &ts.spec, NULL, &e) < 0)
                fail_msg("create after remove: %s", e.msg);
        remove_now(env, "lim-b");
        remove_now(env, "lim-c");
}

static void test_max_execs_per_container(void **state)
{
        struct limits_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        spec_sh(env, &ts, "sleep 30");
        if (agent_create_container(&env->ctr.client, "lim-x", &ts.spec, NULL, &e) < 0 ||
            agent_start_container(&env->ctr.client, "lim-x", &e) < 0)
                fail_msg("run: %s", e.msg);
        if (agent_exec_process(&env->ctr.client, "lim-x", "e1", &ts.process, NULL, &e) < 0)
                fail_msg("first exec: %s", e.msg);
        assert_int_equal(agent_exec_process(&env->ctr.client, "lim-x", "e2", &ts.process, NULL, &e), -EPROTO);
        expect_exhausted(e, "container `lim-x` already runs 1 exec'd processes (agent.max_execs_per_container=1)");
        remove_now(env, "lim-x");
}

/* Output beyond the buffer waits in the child's pipe: the writer blocks, and every byte arrives. */
static void test_stdio_buffer_back_pressure(void **state)
{
        struct limits_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        /*
         * 100000 bytes: more than the pipe (64 KiB) and the agent's 4 KiB
         * together, less than the pipe and the 64 KiB default buffer.
         */
        spec_sh(env, &ts, "head -c 100000 /dev/zero | tr '\\0' x; echo done >&2");
        if (agent_create_container(&env->ctr.client, "lim-io", &ts.spec, NULL, &e) < 0 ||
            agent_start_container(&env->ctr.client, "lim-io", &e) < 0)
                fail_msg("run: %s", e.msg);

        /* While nobody reads stdout the writer is held: stderr stays silent. */
        uint8_t *data = NULL;
        size_t n = 0;
        env->ctr.client.timeout_ns = 700 * NSEC_PER_MSEC;
        assert_int_equal(agent_read_stream(&env->ctr.client, "lim-io", "lim-io", true, 64, &data, &n, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_DEADLINE_EXCEEDED);
        env->ctr.client.timeout_ns = 0;

        char *out = NULL, *err = NULL;
        size_t out_len = 0;
        assert_int_equal(ctr_read_all(&env->ctr.client, "lim-io", "lim-io", false, &out, &out_len), 0);
        assert_int_equal(out_len, 100000);
        assert_int_equal(strspn(out, "x"), 100000);
        assert_int_equal(ctr_read_all(&env->ctr.client, "lim-io", "lim-io", true, &err, NULL), 0);
        assert_string_equal(err, "done\n");
        int status = -1;
        assert_int_equal(agent_wait_process(&env->ctr.client, "lim-io", "lim-io", &status, &e), 0);
        assert_int_equal(status, 0);
        free(out);
        free(err);
        remove_now(env, "lim-io");
}

static int copy_file(struct limits_env *env, const char *path, size_t size, struct rpc_error *e)
{
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
        static uint8_t data[8192];
        req.path = (char *)path;
        req.file_mode = 0644;
        req.file_size = (int64_t)size;
        req.data.data = data;
        req.data.len = size;
        return agent_call(&env->ctr.client, "CopyFile", &req.base, NULL, NULL, e);
}

static void test_copy_file_max_bytes(void **state)
{
        struct limits_env *env = *state;
        struct rpc_error e = { 0 };
        if (copy_file(env, "/run/kata-containers/lim-fits", 4096, &e) < 0)
                fail_msg("4096 bytes: %s", e.msg);
        assert_int_equal(copy_file(env, "/run/kata-containers/lim-big", 4097, &e), -EPROTO);
        expect_exhausted(e, "file of 4097 bytes is over the CopyFile limit (agent.copy_file_max_bytes=4096)");
}

/* CreateContainer with this spec is refused with `needle`, and no container is left behind. */
static void expect_spec_refused(struct limits_env *env, const struct test_spec *ts, const char *needle)
{
        struct rpc_error e = { 0 };
        assert_int_equal(agent_create_container(&env->ctr.client, "lim-spec", &ts->spec, NULL, &e), -EPROTO);
        expect_exhausted(e, needle);
        assert_int_equal(agent_remove_container(&env->ctr.client, "lim-spec", 1, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
}

static void test_spec_max_env(void **state)
{
        struct limits_env *env = *state;
        struct test_spec ts;
        static char entries[16][16];
        spec_sh(env, &ts, "true"); /* PATH= is the first entry */
        for (size_t i = 0; i < 15; i++) {
                snprintf(entries[i], sizeof entries[i], "V%zu=1", i);
                test_spec_add_env(&ts, entries[i]);
        }
        int status = -1;
        char *out = NULL;
        struct rpc_error e = { 0 };
        if (ctr_run(&env->ctr, "lim-env16", &ts, &out, NULL, &status, &e) < 0) /* 16: fits */
                fail_msg("16 entries: %s", e.msg);
        free(out);
        test_spec_add_env(&ts, "ONE_TOO_MANY=1");
        expect_spec_refused(env, &ts, "process.env has 17 entries, more than agent.spec_max_env=16");
}

static void test_spec_max_args(void **state)
{
        struct limits_env *env = *state;
        struct test_spec ts;
        spec_sh(env, &ts, "true");
        ts.args[3] = (char *)"extra";
        ts.process.n_args = 4;
        expect_spec_refused(env, &ts, "process.args has 4 entries, more than agent.spec_max_args=3");

        /* ExecProcess goes through the same check. */
        struct rpc_error e = { 0 };
        struct test_spec run;
        spec_sh(env, &run, "sleep 30");
        if (agent_create_container(&env->ctr.client, "lim-ea", &run.spec, NULL, &e) < 0 ||
            agent_start_container(&env->ctr.client, "lim-ea", &e) < 0)
                fail_msg("run: %s", e.msg);
        assert_int_equal(agent_exec_process(&env->ctr.client, "lim-ea", "e1", &ts.process, NULL, &e), -EPROTO);
        expect_exhausted(e, "process.args has 4 entries, more than agent.spec_max_args=3");
        remove_now(env, "lim-ea");
}

static void test_spec_max_mounts(void **state)
{
        struct limits_env *env = *state;
        struct test_spec ts;
        static const char *const opts[] = { "nosuid", NULL };
        spec_sh(env, &ts, "true"); /* six mounts by default */
        test_spec_add_mount(&ts, "/t1", "tmpfs", "tmpfs", opts);
        test_spec_add_mount(&ts, "/t2", "tmpfs", "tmpfs", opts);
        test_spec_add_mount(&ts, "/t3", "tmpfs", "tmpfs", opts);
        assert_int_equal(ts.spec.n_mounts, 9);
        expect_spec_refused(env, &ts, "spec.mounts has 9 entries, more than agent.spec_max_mounts=8");
}

static void test_spec_max_string_bytes(void **state)
{
        struct limits_env *env = *state;
        struct test_spec ts;
        static char long_env[300];
        memset(long_env, 'v', sizeof long_env - 1);
        memcpy(long_env, "LONG=", 5);
        spec_sh(env, &ts, "true");
        test_spec_add_env(&ts, long_env);
        expect_spec_refused(env, &ts, "process.env[1] (`LONG=vvv");
        expect_spec_refused(env, &ts, "is longer than agent.spec_max_string_bytes=256 bytes");

        static char long_dest[280];
        static const char *const opts[] = { "nosuid", NULL };
        memset(long_dest, 'd', sizeof long_dest - 1);
        long_dest[0] = '/';
        spec_sh(env, &ts, "true");
        test_spec_add_mount(&ts, long_dest, "tmpfs", "tmpfs", opts);
        expect_spec_refused(env, &ts, "mount destination (`/ddd");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_max_connections),
                T(test_max_requests_per_connection),
                T(test_max_containers),
                T(test_max_execs_per_container),
                T(test_stdio_buffer_back_pressure),
                T(test_copy_file_max_bytes),
                T(test_spec_max_env),
                T(test_spec_max_args),
                T(test_spec_max_mounts),
                T(test_spec_max_string_bytes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
