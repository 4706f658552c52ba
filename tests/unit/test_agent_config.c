/* SPDX-License-Identifier: Apache-2.0 */
/* agent_config_load: what the kernel command line keys become in struct agent_config. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static int load(const char *cmdline, const char *extra_flag, const char *extra_value, struct agent_config *c)
{
        char path[] = "/tmp/kinglet-agentcfg-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, cmdline, strlen(cmdline)), (ssize_t)strlen(cmdline));
        close(fd);
        char *argv[] = { "kinglet-agent", "--kernel-cmdline", path, (char *)extra_flag, (char *)extra_value, NULL };
        int argc = extra_flag ? 5 : 3;
        unsetenv("KATA_AGENT_SERVER_ADDR");
        unsetenv("KATA_AGENT_LOG_LEVEL");
        int r = agent_config_load(argc, argv, c);
        unlink(path);
        return r;
}

static void test_defaults(void **state)
{
        (void)state;
        struct agent_config c;
        assert_int_equal(load("console=ttyS0", NULL, NULL, &c), CONFIG_OK);
        assert_int_equal(c.hotplug_timeout_ms, 3000);
        assert_string_equal(c.log_addr, "");
        assert_string_equal(c.debug_console_addr, "");
        assert_false(c.debug_console);
        assert_int_equal(c.log_level, LOG_LEVEL_INFO);
        assert_string_equal(c.server_addrs[0], "vsock://-1:1024");
}

static void test_kernel_keys(void **state)
{
        (void)state;
        struct agent_config c;
        assert_int_equal(load("agent.hotplug_timeout=10 agent.log_vport=1025 agent.debug_console "
                              "agent.debug_console_vport=1026 agent.trace",
                              NULL, NULL, &c),
                         CONFIG_OK);
        assert_int_equal(c.hotplug_timeout_ms, 10000);
        assert_string_equal(c.log_addr, "vsock://-1:1025");
        assert_string_equal(c.debug_console_addr, "vsock://-1:1026");
        assert_true(c.debug_console);
}

static void test_hotplug_timeout_bounds(void **state)
{
        (void)state;
        struct agent_config c;
        assert_int_equal(load("agent.hotplug_timeout=0", NULL, NULL, &c), CONFIG_OK);
        assert_int_equal(c.hotplug_timeout_ms, HOTPLUG_TIMEOUT_DEFAULT_S * 1000);
        assert_int_equal(load("agent.hotplug_timeout=4000000", NULL, NULL, &c), CONFIG_OK);
        assert_int_equal(c.hotplug_timeout_ms, HOTPLUG_TIMEOUT_MAX_S * 1000);
        assert_int_equal(load("agent.hotplug_timeout=soon", NULL, NULL, &c), CONFIG_OK);
        assert_int_equal(c.hotplug_timeout_ms, 3000);
}

/* agent.devmode: debug logging, below an explicit level. */
static void test_devmode(void **state)
{
        (void)state;
        struct agent_config c;
        assert_int_equal(load("agent.devmode", NULL, NULL, &c), CONFIG_OK);
        assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
        assert_string_equal(c.log_level_source, "agent.devmode");
        assert_int_equal(load("agent.devmode agent.log=warn", NULL, NULL, &c), CONFIG_OK);
        assert_int_equal(c.log_level, LOG_LEVEL_WARN);
        assert_int_equal(load("agent.devmode", "--log-level", "error", &c), CONFIG_OK);
        assert_int_equal(c.log_level, LOG_LEVEL_ERROR);
}

/* A bad agent.server_addr is an error (as PID 1: logged, then power-off). */
static void test_bad_server_addr(void **state)
{
        (void)state;
        struct agent_config c;
        assert_true(load("agent.server_addr=bogus://x", NULL, NULL, &c) < 0);
        assert_true(load("agent.server_addr=hvsock:///vm.sock:1024", NULL, NULL, &c) < 0);
        assert_int_equal(load("agent.server_addr=unix:///run/x.sock", NULL, NULL, &c), CONFIG_OK);
        assert_string_equal(c.server_addr_source, "agent.server_addr");
}

/* The hidden test flags replace the vsock port with another address. */
static void test_test_addresses(void **state)
{
        (void)state;
        struct agent_config c;
        assert_int_equal(load("agent.log_vport=1025", "--test-log-addr", "unix:///tmp/log.sock", &c), CONFIG_OK);
        assert_string_equal(c.log_addr, "unix:///tmp/log.sock");
        assert_int_equal(load("", "--test-debug-console-addr", "unix://@dc", &c), CONFIG_OK);
        assert_string_equal(c.debug_console_addr, "unix://@dc");
        assert_true(load("", "--test-log-addr", "nonsense", &c) < 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_kernel_keys),
                cmocka_unit_test(test_hotplug_timeout_bounds),
                cmocka_unit_test(test_devmode),
                cmocka_unit_test(test_bad_server_addr),
                cmocka_unit_test(test_test_addresses),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
