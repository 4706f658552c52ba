/* SPDX-License-Identifier: Apache-2.0 */
/* The PID-1 mount table and early_mounts_run, with mount(2) replaced by a recorder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_mounts.h"
#include "early_mounts.h"

static char calls[32][300];
static size_t n_calls;
static const char *fail_fstype; /* the mount of this type fails with fail_errno */
static int fail_errno;

static int record_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
                        const void *data)
{
        (void)flags;
        snprintf(calls[n_calls++ % 32], sizeof calls[0], "%s %s %s %s", fstype, source, target,
                 data ? (const char *)data : "-");
        if (fail_fstype && strcmp(fstype, fail_fstype) == 0) {
                errno = fail_errno;
                return -1;
        }
        return 0;
}

static char root[64];

static int setup(void **state)
{
        (void)state;
        snprintf(root, sizeof root, "/tmp/kinglet-early-XXXXXX");
        assert_non_null(mkdtemp(root));
        n_calls = 0;
        fail_fstype = NULL;
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

/* What pid1 mounts with cgroup v2, in its order: /proc, the table, cgroup2. */
static size_t run_v2_sequence(const char *r, struct early_mount_failure *f, size_t max)
{
        size_t failed = early_mounts_run(&early_mount_proc, 1, r, record_mount, f, max);
        failed += early_mounts_run(early_mount_table, early_mount_count, r, record_mount, f + failed, max - failed);
        return failed + early_mounts_run(&cgroup2_mount, 1, r, record_mount, f + failed, max - failed);
}

static void test_table_order_and_mount_points(void **state)
{
        (void)state;
        struct early_mount_failure f[4];
        assert_int_equal(run_v2_sequence(root, f, 4), 0);
        assert_int_equal(n_calls, early_mount_count + 2);
        /* proc first (the command line is there), cgroup2 last (on /sys). */
        char want[300];
        snprintf(want, sizeof want, "proc proc %s/proc -", root);
        assert_string_equal(calls[0], want);
        snprintf(want, sizeof want, "cgroup2 cgroup2 %s/sys/fs/cgroup nsdelegate", root);
        assert_string_equal(calls[early_mount_count + 1], want);
        /* devpts is a private instance whose ptmx everyone may open: /dev/ptmx links to it. */
        bool devpts = false;
        for (size_t i = 0; i < n_calls; i++)
                devpts = devpts || (strstr(calls[i], "devpts devpts") && strstr(calls[i], "newinstance,ptmxmode=0666"));
        assert_true(devpts);
        for (size_t i = 0; i < early_mount_count; i++) {
                char path[300];
                struct stat st;
                snprintf(path, sizeof path, "%s%s", root, early_mount_table[i].target);
                assert_int_equal(stat(path, &st), 0);
                assert_true(S_ISDIR(st.st_mode));
                for (size_t k = 0; k < i; k++) /* no entry mounts over a later one's parent */
                        assert_false(strncmp(early_mount_table[k].target, early_mount_table[i].target,
                                             strlen(early_mount_table[i].target)) == 0 &&
                                     strlen(early_mount_table[k].target) > strlen(early_mount_table[i].target));
        }
}

/* A second start (or the kernel's devtmpfs on a disk root): mount points already mounted are left alone. */
static void test_idempotent_on_mount_points(void **state)
{
        (void)state;
        struct early_mount_failure f[4];
        n_calls = 0;
        /* / is a mount point of its own (another device than its parent would be): run on the real /proc. */
        assert_int_equal(early_mounts_run(&early_mount_proc, 1, "", record_mount, f, 4), 0);
        assert_int_equal(n_calls, 0);
}

static void test_busy_is_done_and_failures_are_reported(void **state)
{
        (void)state;
        struct early_mount_failure f[4];
        fail_fstype = "devpts";
        fail_errno = EBUSY;
        assert_int_equal(run_v2_sequence(root, f, 4), 0);
        n_calls = 0;
        fail_fstype = "cgroup2";
        fail_errno = ENODEV; /* a kernel without cgroup2 */
        assert_int_equal(run_v2_sequence(root, f, 4), 1);
        assert_string_equal(f[0].m->target, "/sys/fs/cgroup");
        assert_int_equal(f[0].error, -ENODEV);
        n_calls = 0;
        fail_fstype = "sysfs";
        fail_errno = EPERM;
        assert_int_equal(run_v2_sequence(root, f, 4), 1);
        assert_int_equal(n_calls, early_mount_count + 2); /* one failure does not stop the rest */
}

static void test_failures_beyond_max_are_counted(void **state)
{
        (void)state;
        static const struct early_mount two[] = {
                { "a", "/a", "cgroup2", 0, NULL, 0755 },
                { "b", "/b", "cgroup2", 0, NULL, 0755 },
        };
        struct early_mount_failure f[1];
        fail_fstype = "cgroup2";
        fail_errno = EPERM;
        assert_int_equal(early_mounts_run(two, 2, root, record_mount, f, 1), 2);
        assert_string_equal(f[0].m->target, "/a");
}

static void test_long_root(void **state)
{
        (void)state;
        char long_root[300];
        memset(long_root, 'x', sizeof long_root - 1);
        long_root[0] = '/';
        long_root[sizeof long_root - 1] = '\0';
        struct early_mount_failure f[8];
        assert_int_equal(run_v2_sequence(long_root, f, 8), early_mount_count + 2);
        assert_int_equal(f[0].error, -ENAMETOOLONG);
        assert_int_equal(n_calls, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_table_order_and_mount_points, setup, teardown),
                cmocka_unit_test_setup_teardown(test_idempotent_on_mount_points, setup, teardown),
                cmocka_unit_test_setup_teardown(test_busy_is_done_and_failures_are_reported, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failures_beyond_max_are_counted, setup, teardown),
                cmocka_unit_test_setup_teardown(test_long_root, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
