/* SPDX-License-Identifier: Apache-2.0 */
/* The PID-1 steps that can run under a temporary root, and the pure choices behind the others. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pid1.h"

static char root[64];

static int setup(void **state)
{
        (void)state;
        char path[128];
        snprintf(root, sizeof root, "/tmp/kinglet-pid1-XXXXXX");
        assert_non_null(mkdtemp(root));
        snprintf(path, sizeof path, "%s/dev", root);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof path, "%s/dev/pts", root);
        assert_int_equal(mkdir(path, 0755), 0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

static void make_pts_ptmx(mode_t mode)
{
        char path[128];
        snprintf(path, sizeof path, "%s/dev/pts/ptmx", root);
        int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(chmod(path, mode), 0);
}

static bool ptmx_is_link(void)
{
        char path[128], target[32];
        snprintf(path, sizeof path, "%s/dev/ptmx", root);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        return strcmp(target, "pts/ptmx") == 0;
}

static void make_char_ptmx(void)
{
        char path[128];
        snprintf(path, sizeof path, "%s/dev/ptmx", root);
        if (mknod(path, S_IFCHR | 0666, makedev(5, 2)) < 0)
                skip(); /* not root, or /tmp mounted nodev-less tricks */
}

static void test_ptmx_missing_becomes_link(void **state)
{
        (void)state;
        make_pts_ptmx(0666);
        assert_int_equal(pid1_link_ptmx(root), 1);
        assert_true(ptmx_is_link());
        assert_int_equal(pid1_link_ptmx(root), 0); /* idempotent */
        assert_true(ptmx_is_link());
}

static void test_ptmx_node_replaced_with_newinstance(void **state)
{
        (void)state;
        make_pts_ptmx(0666);
        make_char_ptmx();
        assert_int_equal(pid1_link_ptmx(root), 1);
        assert_true(ptmx_is_link());
}

/* A devpts without ptmxmode=0666 (not ours): the node stays, or ptys would be root-only. */
static void test_ptmx_node_kept_without_newinstance(void **state)
{
        (void)state;
        make_pts_ptmx(0000);
        make_char_ptmx();
        assert_int_equal(pid1_link_ptmx(root), 0);
        assert_false(ptmx_is_link());
}

static void test_dev_fd_links(void **state)
{
        (void)state;
        char path[128], target[64];
        assert_int_equal(pid1_link_dev_fds(root), 0);
        assert_int_equal(pid1_link_dev_fds(root), 0); /* existing links are fine */
        snprintf(path, sizeof path, "%s/dev/stderr", root);
        ssize_t n = readlink(path, target, sizeof target - 1);
        assert_true(n > 0);
        target[n] = '\0';
        assert_string_equal(target, "/proc/self/fd/2");
        snprintf(path, sizeof path, "%s/dev/fd", root);
        n = readlink(path, target, sizeof target - 1);
        assert_true(n > 0);
        target[n] = '\0';
        assert_string_equal(target, "/proc/self/fd");
}

static void test_hostname_choice(void **state)
{
        (void)state;
        char buf[65];
        assert_null(pid1_hostname_choice("pod-1", NULL, buf, sizeof buf)); /* someone named it: keep */
        assert_string_equal(pid1_hostname_choice("(none)", NULL, buf, sizeof buf), "kinglet");
        assert_string_equal(pid1_hostname_choice("", NULL, buf, sizeof buf), "kinglet");
        assert_string_equal(pid1_hostname_choice("(none)", "guest-7\n", buf, sizeof buf), "guest-7");
        assert_string_equal(pid1_hostname_choice("(none)", "  spaced  \n", buf, sizeof buf), "spaced");
        assert_string_equal(pid1_hostname_choice("(none)", "bad_name!\n", buf, sizeof buf), "kinglet");
        assert_string_equal(pid1_hostname_choice("(none)", "\n", buf, sizeof buf), "kinglet");
        char long_name[100];
        memset(long_name, 'a', 70);
        long_name[70] = '\0';
        assert_string_equal(pid1_hostname_choice("(none)", long_name, buf, sizeof buf), "kinglet");
}

static void test_nofile_limit(void **state)
{
        (void)state;
        assert_int_equal(pid1_nofile_limit("1048576\n"), 1048576);
        assert_int_equal(pid1_nofile_limit("1073741816\n"), 1073741816);
        assert_int_equal(pid1_nofile_limit(NULL), PID1_NOFILE_FALLBACK);
        assert_int_equal(pid1_nofile_limit("junk"), PID1_NOFILE_FALLBACK);
        assert_int_equal(pid1_nofile_limit("12"), PID1_NOFILE_FALLBACK); /* lower than any sane limit */
        assert_int_equal(pid1_nofile_limit(""), PID1_NOFILE_FALLBACK);
}

static void test_cgroup_choice(void **state)
{
        (void)state;
        struct kernel_params kp;
        kernel_params_parse("quiet", &kp, NULL, NULL);
        assert_false(pid1_wants_cgroup_v1(&kp)); /* v2 unless asked */
        kernel_params_parse("systemd.unified_cgroup_hierarchy=0", &kp, NULL, NULL);
        assert_true(pid1_wants_cgroup_v1(&kp));
        kernel_params_parse("agent.unified_cgroup_hierarchy=false", &kp, NULL, NULL);
        assert_true(pid1_wants_cgroup_v1(&kp));
        kernel_params_parse("systemd.unified_cgroup_hierarchy=1", &kp, NULL, NULL);
        assert_false(pid1_wants_cgroup_v1(&kp));
        kernel_params_parse("systemd.unified_cgroup_hierarchy=0 systemd.unified_cgroup_hierarchy", &kp, NULL, NULL);
        assert_false(pid1_wants_cgroup_v1(&kp)); /* the last one counts */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_ptmx_missing_becomes_link, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ptmx_node_replaced_with_newinstance, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ptmx_node_kept_without_newinstance, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dev_fd_links, setup, teardown),
                cmocka_unit_test(test_hostname_choice),
                cmocka_unit_test(test_nofile_limit),
                cmocka_unit_test(test_cgroup_choice),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
