/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup v1 plan from /proc/cgroups texts, and its mounts and links under a temporary root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_mounts.h"

/* A 5.10 guest booted with systemd.unified_cgroup_hierarchy=0: nothing mounted yet. */
static const char fresh_boot[] = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                                 "cpuset\t0\t1\t1\n"
                                 "cpu\t0\t1\t1\n"
                                 "cpuacct\t0\t1\t1\n"
                                 "blkio\t0\t1\t1\n"
                                 "memory\t0\t1\t1\n"
                                 "devices\t0\t1\t1\n"
                                 "freezer\t0\t1\t1\n"
                                 "net_cls\t0\t1\t1\n"
                                 "perf_event\t0\t1\t1\n"
                                 "net_prio\t0\t1\t1\n"
                                 "hugetlb\t0\t1\t1\n"
                                 "pids\t0\t1\t1\n"
                                 "rdma\t0\t1\t0\n";

static void assert_plan(const struct cgroup_v1_plan *p, const char *const *want, size_t n)
{
        assert_int_equal(p->n, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(p->hierarchy[i], want[i]);
}

static void test_fresh_boot_pairs_like_systemd(void **state)
{
        (void)state;
        struct cgroup_v1_plan p;
        static const char *const want[] = { "cpuset", "cpu,cpuacct", "blkio", "memory", "devices", "freezer",
                                            "net_cls,net_prio", "perf_event", "hugetlb", "pids" };
        cgroup_v1_plan_parse(fresh_boot, sizeof fresh_boot - 1, &p);
        assert_plan(&p, want, sizeof want / sizeof *want); /* rdma is disabled: left out */
}

/* A second start, or a kernel that tied controllers: the hierarchy column decides. */
static void test_hierarchy_column_groups(void **state)
{
        (void)state;
        static const char text[] = "#subsys_name hierarchy num_cgroups enabled\n"
                                   "cpuset 3 1 1\n"
                                   "cpu 5 4 1\n"
                                   "cpuacct 5 4 1\n"
                                   "memory 0 1 1\n"
                                   "net_cls 7 1 1\n"
                                   "net_prio 8 1 1\n"
                                   "pids 3 1 1\n";
        struct cgroup_v1_plan p;
        static const char *const want[] = { "cpuset,pids", "cpu,cpuacct", "memory", "net_cls", "net_prio" };
        cgroup_v1_plan_parse(text, sizeof text - 1, &p);
        assert_plan(&p, want, 5);
}

/* Only one of a pair enabled: it is mounted alone (cgroup_disable=cpuacct). */
static void test_half_pair(void **state)
{
        (void)state;
        static const char text[] = "cpu 0 1 1\ncpuacct 0 1 0\nnet_prio 0 1 1\n";
        struct cgroup_v1_plan p;
        static const char *const want[] = { "cpu", "net_prio" };
        cgroup_v1_plan_parse(text, sizeof text - 1, &p);
        assert_plan(&p, want, 2);
}

static void test_malformed_lines_skipped(void **state)
{
        (void)state;
        static const char text[] = "\n"
                                   "cpu\n"                                /* too few columns */
                                   "Memory 0 1 1\n"                       /* not a kernel name */
                                   "pids x 1 1\n"                         /* hierarchy not a number */
                                   "pids 0 1 yes\n"                       /* enabled not a number */
                                   "a_name_longer_than_thirty_one_bytes 0 1 1\n"
                                   "devices 99999999999 1 1\n"            /* out of range */
                                   "memory 0 1 1 extra columns\n"          /* newer kernels may add some */
                                   "memory 0 1 1\n"                       /* duplicate */
                                   "freezer 0 1 1";                       /* no final newline */
        struct cgroup_v1_plan p;
        static const char *const want[] = { "memory", "freezer" };
        cgroup_v1_plan_parse(text, sizeof text - 1, &p);
        assert_plan(&p, want, 2);
}

static void test_bounded(void **state)
{
        (void)state;
        /* More controllers than the plan holds, and a length that stops mid-text. */
        char text[4096] = "";
        for (int i = 0; i < 60; i++) {
                char line[64];
                snprintf(line, sizeof line, "c%d 0 1 1\n", i);
                strcat(text, line);
        }
        struct cgroup_v1_plan p;
        cgroup_v1_plan_parse(text, strlen(text), &p);
        assert_int_equal(p.n, CGROUP_V1_MAX_CONTROLLERS);
        cgroup_v1_plan_parse(text, 9, &p); /* "c0 0 1 1\n" */
        assert_int_equal(p.n, 1);
        assert_string_equal(p.hierarchy[0], "c0");
        cgroup_v1_plan_parse("", 0, &p);
        assert_int_equal(p.n, 0);
}

static void test_links(void **state)
{
        (void)state;
        char names[4][CGROUP_V1_CONTROLLER_NAME_MAX + 1];
        assert_int_equal(cgroup_v1_links("memory", names, 4), 0);
        assert_int_equal(cgroup_v1_links("cpu,cpuacct", names, 4), 2);
        assert_string_equal(names[0], "cpu");
        assert_string_equal(names[1], "cpuacct");
        assert_int_equal(cgroup_v1_links("a,b,c,d,e", names, 4), 4);
}

static char calls[40][300];
static size_t n_calls;

static int record_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
                        const void *data)
{
        (void)flags;
        snprintf(calls[n_calls++ % 40], sizeof calls[0], "%s %s %s %s", fstype, source, target,
                 data ? (const char *)data : "-");
        return 0;
}

static void test_mount_layout(void **state)
{
        (void)state;
        char root[] = "/tmp/kinglet-cgv1-XXXXXX", path[PATH_MAX], link[64], want[400];
        assert_non_null(mkdtemp(root));
        struct cgroup_v1_plan p;
        struct early_mount_failure f[4];
        cgroup_v1_plan_parse(fresh_boot, sizeof fresh_boot - 1, &p);
        n_calls = 0;
        assert_int_equal(cgroup_v1_mount(&p, root, record_mount, f, 4), 0);
        assert_int_equal(n_calls, 1 + p.n);
        snprintf(want, sizeof want, "tmpfs tmpfs %s/sys/fs/cgroup mode=0755", root);
        assert_string_equal(calls[0], want);
        snprintf(want, sizeof want, "cgroup cgroup %s/sys/fs/cgroup/cpu,cpuacct cpu,cpuacct", root);
        assert_string_equal(calls[2], want);
        /* The links systemd makes, which agent/cgroup.c also finds controllers by. */
        static const char *const links[][2] = {
                { "cpu", "cpu,cpuacct" }, { "cpuacct", "cpu,cpuacct" },
                { "net_cls", "net_cls,net_prio" }, { "net_prio", "net_cls,net_prio" },
        };
        for (size_t i = 0; i < 4; i++) {
                snprintf(path, sizeof path, "%s/sys/fs/cgroup/%s", root, links[i][0]);
                ssize_t n = readlink(path, link, sizeof link - 1);
                assert_true(n > 0);
                link[n] = '\0';
                assert_string_equal(link, links[i][1]);
        }
        snprintf(path, sizeof path, "%s/sys/fs/cgroup/memory", root);
        struct stat st;
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        /* Again (a second start): the links exist, nothing fails. */
        assert_int_equal(cgroup_v1_mount(&p, root, record_mount, f, 4), 0);
        snprintf(path, sizeof path, "rm -rf '%s'", root);
        assert_int_equal(system(path), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fresh_boot_pairs_like_systemd),
                cmocka_unit_test(test_hierarchy_column_groups),
                cmocka_unit_test(test_half_pair),
                cmocka_unit_test(test_malformed_lines_skipped),
                cmocka_unit_test(test_bounded),
                cmocka_unit_test(test_links),
                cmocka_unit_test(test_mount_layout),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
