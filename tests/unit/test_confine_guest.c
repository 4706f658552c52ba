/* SPDX-License-Identifier: Apache-2.0 */
/* confine_open_guest: a guest path a request names, opened with no `.`, `..` or symbolic link on the way. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path_confine.h"

static char dir[] = "/tmp/kinglet-confine-XXXXXX";
static char real[64], link_abs[64], link_rel[64];

static int setup(void **state)
{
        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(real, sizeof real, "%s/real", dir);
        assert_int_equal(mkdir(real, 0700), 0);
        snprintf(link_abs, sizeof link_abs, "%s/abs", dir);
        assert_int_equal(symlink(real, link_abs), 0);
        snprintf(link_rel, sizeof link_rel, "%s/rel", dir);
        assert_int_equal(symlink("real", link_rel), 0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        (void)unlink(link_abs);
        (void)unlink(link_rel);
        (void)rmdir(real);
        (void)rmdir(dir);
        return 0;
}

static void expect_refused(const char *path, int code, int err, const char *needle)
{
        struct rpc_error e = { 0 };
        int r = confine_open_guest("volume_guest_path", path, 64, O_PATH, &e);
        if (r >= 0)
                fail_msg("`%s` was opened", path ? path : "(null)");
        assert_int_equal(r, err);
        assert_int_equal(e.code, code);
        if (!strstr(e.msg, needle))
                fail_msg("`%s`: expected `%s` in `%s`", path ? path : "(null)", needle, e.msg);
}

static void test_lexical_refusals(void **state)
{
        (void)state;
        char long_path[80];
        memset(long_path, 'a', sizeof long_path - 1);
        long_path[0] = '/';
        long_path[sizeof long_path - 1] = '\0';
        expect_refused(NULL, GRPC_INVALID_ARGUMENT, -EINVAL, "absolute path of at most 63 bytes");
        expect_refused("", GRPC_INVALID_ARGUMENT, -EINVAL, "absolute");
        expect_refused("tmp/x", GRPC_INVALID_ARGUMENT, -EINVAL, "absolute");
        expect_refused(long_path, GRPC_INVALID_ARGUMENT, -EINVAL, "at most 63 bytes");
        expect_refused("/tmp/../etc", GRPC_PERMISSION_DENIED, -EPERM, "a `..` component");
        expect_refused("/tmp/./x", GRPC_PERMISSION_DENIED, -EPERM, "a `.` component");
        expect_refused("/tmp/..", GRPC_PERMISSION_DENIED, -EPERM, "a `..` component");
}

static void test_links_refused_real_path_opened(void **state)
{
        (void)state;
        char through[80];
        expect_refused(link_abs, GRPC_PERMISSION_DENIED, -ELOOP, "symbolic link");
        expect_refused(link_rel, GRPC_PERMISSION_DENIED, -ELOOP, "symbolic link");
        snprintf(through, sizeof through, "%s/.", link_rel);
        expect_refused(through, GRPC_PERMISSION_DENIED, -EPERM, "a `.` component");

        struct rpc_error e = { 0 };
        struct stat a, b;
        int fd = confine_open_guest("volume_guest_path", real, 64, O_PATH, &e);
        assert_true(fd >= 0);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_int_equal(fstat(fd, &a), 0);
        assert_int_equal(stat(real, &b), 0);
        assert_int_equal(a.st_ino, b.st_ino);
        close(fd);
        /* Repeated and trailing slashes are not components. */
        char slashes[80];
        snprintf(slashes, sizeof slashes, "%s//real/", dir);
        fd = confine_open_guest("volume_guest_path", slashes, 64, O_PATH, &e);
        assert_true(fd >= 0);
        close(fd);
        expect_refused("/nonexistent/kinglet", GRPC_NOT_FOUND, -ENOENT, "/nonexistent/kinglet");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lexical_refusals),
                cmocka_unit_test(test_links_refused_real_path_opened),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
