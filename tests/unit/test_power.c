/* SPDX-License-Identifier: Apache-2.0 */
/* The power-off sequence with reboot(2) replaced: log, sync, power off, halt, hang, in that order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "log.h"
#include "power.h"

static char steps[8][32];
static size_t n_steps;
static int reboot_errno; /* 0: the fake reboot "returns" without error */

static void step(const char *s)
{
        if (n_steps < 8)
                snprintf(steps[n_steps], sizeof steps[0], "%s", s);
        n_steps++;
}

static void fake_sync(void)
{
        step("sync");
}

static int fake_reboot(int cmd)
{
        step(cmd == (int)RB_POWER_OFF ? "power-off" : cmd == (int)RB_HALT_SYSTEM ? "halt" : "other");
        if (reboot_errno) {
                errno = reboot_errno;
                return -1;
        }
        return 0;
}

static void fake_hang(void)
{
        step("hang");
}

static const struct power_ops fake = { fake_sync, fake_reboot, fake_hang };

static char logged[4096];

static void capture_log(const char *line, size_t len, void *data)
{
        (void)data;
        size_t have = strlen(logged);
        if (have + len < sizeof logged) {
                memcpy(logged + have, line, len);
                logged[have + len] = '\0';
        }
        step("log");
}

static int setup(void **state)
{
        (void)state;
        n_steps = 0;
        logged[0] = '\0';
        reboot_errno = 0;
        log_setup("kinglet-agent", LOG_LEVEL_INFO, LOG_SINK_STDERR);
        log_set_tee(capture_log, NULL);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        log_set_tee(NULL, NULL);
        return 0;
}

static void test_sequence(void **state)
{
        (void)state;
        power_off_with(&fake, LOG_LEVEL_ERROR, "cannot listen on bogus://x");
        /* In a VM the power-off does not return; when it does, halt, then hang: never exit. */
        assert_int_equal(n_steps, 5);
        assert_string_equal(steps[0], "log");
        assert_string_equal(steps[1], "sync");
        assert_string_equal(steps[2], "power-off");
        assert_string_equal(steps[3], "halt");
        assert_string_equal(steps[4], "hang");
        /* The console line h6's VM tests match. */
        assert_non_null(strstr(logged, "level=error source=kinglet-agent msg=\"powering off\" "
                                       "reason=\"cannot listen on bogus://x\"\n"));
}

static void test_failures_are_logged(void **state)
{
        (void)state;
        reboot_errno = EPERM;
        power_off_with(&fake, LOG_LEVEL_INFO, "sandbox destroyed");
        assert_non_null(strstr(logged, "level=info source=kinglet-agent msg=\"powering off\" reason=\"sandbox destroyed\""));
        assert_non_null(strstr(logged, "msg=\"power-off failed, halting\" error=\"Operation not permitted\""));
        assert_non_null(strstr(logged, "msg=\"halt failed; waiting for the VMM to stop the VM\""));
        assert_string_equal(steps[n_steps - 1], "hang");
        /* sync comes before any attempt. */
        size_t sync_at = 0, off_at = 0;
        for (size_t i = 0; i < n_steps && i < 8; i++) {
                if (strcmp(steps[i], "sync") == 0)
                        sync_at = i;
                if (strcmp(steps[i], "power-off") == 0)
                        off_at = i;
        }
        assert_true(sync_at < off_at);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_sequence, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failures_are_logged, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
