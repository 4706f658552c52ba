/* SPDX-License-Identifier: Apache-2.0 */
/* agent_limits: keys parsed, defaults kept, values out of range clamped, spec checks answered RESOURCE_EXHAUSTED. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_limits.h"
#include "cmdline.h"
#include "config_file.h"
#include "container.h"
#include "plan.h"
#include "status.h"
#include "ttrpc.h"

static struct agent_limits from_cmdline(const char *cmdline)
{
        struct kernel_params kp;
        struct agent_limits l;
        kernel_params_parse(cmdline, &kp, NULL, NULL);
        agent_limits_from_params(&kp, &l);
        return l;
}

static void test_defaults_are_the_old_constants(void **state)
{
        (void)state;
        struct agent_limits l = from_cmdline("console=ttyS0");
        assert_int_equal(l.max_connections, TTRPC_DEFAULT_MAX_CONNECTIONS);
        assert_int_equal(l.max_requests_per_connection, TTRPC_DEFAULT_MAX_CALLS_PER_CONN);
        assert_int_equal(l.max_containers, MAX_CONTAINERS);
        assert_int_equal(l.max_execs_per_container, MAX_PROCESSES_PER_CONTAINER);
        assert_int_equal(l.stdio_buffer_bytes, STDIO_BUFFER_DEFAULT);
        assert_int_equal(l.copy_file_max_bytes, 1u << 30);
        assert_int_equal(l.spec_max_env, PLAN_MAX_ENV);
        assert_int_equal(l.spec_max_args, PLAN_MAX_ARGS);
        assert_int_equal(l.spec_max_mounts, PLAN_MAX_MOUNTS);
        assert_int_equal(l.spec_max_string_bytes, 128u << 10);

        struct agent_limits d;
        agent_limits_default(&d);
        assert_memory_equal(&d, &l, sizeof d);
}

static void test_every_key_parses(void **state)
{
        (void)state;
        struct agent_limits l = from_cmdline(
                "agent.max_connections=3 agent.max_requests_per_connection=5 agent.max_containers=7 "
                "agent.max_execs_per_container=2 agent.stdio_buffer_bytes=8192 agent.copy_file_max_bytes=65536 "
                "agent.spec_max_env=20 agent.spec_max_args=4 agent.spec_max_mounts=6 agent.spec_max_string_bytes=300");
        assert_int_equal(l.max_connections, 3);
        assert_int_equal(l.max_requests_per_connection, 5);
        assert_int_equal(l.max_containers, 7);
        assert_int_equal(l.max_execs_per_container, 2);
        assert_int_equal(l.stdio_buffer_bytes, 8192);
        assert_int_equal(l.copy_file_max_bytes, 65536);
        assert_int_equal(l.spec_max_env, 20);
        assert_int_equal(l.spec_max_args, 4);
        assert_int_equal(l.spec_max_mounts, 6);
        assert_int_equal(l.spec_max_string_bytes, 300);
}

static void test_out_of_range_is_clamped(void **state)
{
        (void)state;
        struct agent_limits l = from_cmdline("agent.max_connections=0 agent.max_containers=4000000000 "
                                             "agent.stdio_buffer_bytes=1 agent.stdio_buffer_bytes=99999999 "
                                             "agent.spec_max_string_bytes=10 agent.spec_max_mounts=100000 "
                                             "agent.max_execs_per_container=0");
        assert_int_equal(l.max_connections, 1);
        assert_int_equal(l.max_containers, 65536);
        assert_int_equal(l.stdio_buffer_bytes, STDIO_BUFFER_MAX); /* the last one counts, cut to 16 MiB */
        assert_int_equal(l.spec_max_string_bytes, 256);
        assert_int_equal(l.spec_max_mounts, 1024);
        assert_int_equal(l.max_execs_per_container, 0); /* allowed: no exec at all */

        /* Every key's default is inside its own range. */
        uint32_t def, min, max;
        size_t i = 0;
        for (const char *key; (key = agent_limit_key(i, &def, &min, &max)); i++) {
                assert_true(min <= def);
                assert_true(def <= max);
                assert_non_null(strstr(key, "agent."));
        }
        assert_int_equal(i, 10);
}

static void test_bad_value_keeps_default(void **state)
{
        (void)state;
        struct agent_limits l = from_cmdline("agent.max_containers=lots agent.spec_max_args=-1");
        assert_int_equal(l.max_containers, MAX_CONTAINERS);
        assert_int_equal(l.spec_max_args, PLAN_MAX_ARGS);
}

static void test_container_pipe_size_is_kata_spelling(void **state)
{
        (void)state;
        assert_int_equal(from_cmdline("agent.container_pipe_size=131072").stdio_buffer_bytes, 131072);
        assert_int_equal(from_cmdline("agent.container_pipe_size=1").stdio_buffer_bytes, 4096);
        /* Ours wins, whichever comes first. */
        assert_int_equal(from_cmdline("agent.stdio_buffer_bytes=8192 agent.container_pipe_size=131072")
                                 .stdio_buffer_bytes,
                         8192);
}

static void test_config_file_keys(void **state)
{
        (void)state;
        const char text[] = "max_containers = 9\nagent.spec_max_env = 33\ncopy_file_max_bytes=5000\n";
        struct kernel_params kp = { 0 };
        struct agent_limits l;
        config_file_parse(text, strlen(text), "test.conf", &kp, NULL, NULL);
        agent_limits_from_params(&kp, &l);
        assert_int_equal(l.max_containers, 9);
        assert_int_equal(l.spec_max_env, 33);
        assert_int_equal(l.copy_file_max_bytes, 5000);
}

static void test_spec_checks(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        struct agent_limits l;
        agent_limits_default(&l);
        l.spec_max_string_bytes = 256;
        agent_limits_set(&l);

        assert_int_equal(limits_check_count("process.env", 20, 20, LIMIT_KEY_ENV, &e), 0);
        assert_int_equal(limits_check_count("process.env", 21, 20, LIMIT_KEY_ENV, &e), -E2BIG);
        assert_int_equal(e.code, GRPC_RESOURCE_EXHAUSTED);
        assert_string_equal(e.msg, "process.env has 21 entries, more than agent.spec_max_env=20");

        char long_arg[300];
        memset(long_arg, 'a', sizeof long_arg - 1);
        long_arg[sizeof long_arg - 1] = '\0';
        char *argv[] = { "sh", long_arg };
        memset(&e, 0, sizeof e);
        assert_int_equal(limits_check_strings("process.args", argv, 1, &e), 0);
        assert_int_equal(limits_check_string("process.cwd", NULL, &e), 0);
        assert_int_equal(limits_check_strings("process.args", argv, 2, &e), -E2BIG);
        assert_int_equal(e.code, GRPC_RESOURCE_EXHAUSTED);
        assert_non_null(strstr(e.msg, "process.args[1]"));
        assert_non_null(strstr(e.msg, "agent.spec_max_string_bytes=256"));

        agent_limits_default(&l);
        agent_limits_set(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults_are_the_old_constants),
                cmocka_unit_test(test_every_key_parses),
                cmocka_unit_test(test_out_of_range_is_clamped),
                cmocka_unit_test(test_bad_value_keeps_default),
                cmocka_unit_test(test_container_pipe_size_is_kata_spelling),
                cmocka_unit_test(test_config_file_keys),
                cmocka_unit_test(test_spec_checks),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
