/* SPDX-License-Identifier: Apache-2.0 */
/*
 * open_in_root (child_rootfs.c): mount targets made inside a container's
 * root, never outside it, including through symlinks whose targets are
 * missing (an image's /etc/resolv.conf → ../run/systemd/resolve/…).
 * Every test runs twice: with openat2, and with openat2 answering ENOSYS
 * (Linux < 5.6, valgrind 3.19), where child_rootfs.c walks the path by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

static char root[64], outside[64];
static int root_fd = -1;
static bool openat2_missing;

/* Linked with -Wl,--wrap=syscall (tests/tests.mk). */
long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);
long __wrap_syscall(long nr, ...)
{
        va_list ap;
        long a[6];
        if (nr == SYS_openat2 && openat2_missing) {
                errno = ENOSYS;
                return -1;
        }
        va_start(ap, nr);
        for (int i = 0; i < 6; i++)
                a[i] = va_arg(ap, long);
        va_end(ap);
        return __real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

static int setup(void **state)
{
        (void)state;
        snprintf(root, sizeof root, "/tmp/kinglet-root-XXXXXX");
        snprintf(outside, sizeof outside, "/tmp/kinglet-outside-XXXXXX");
        assert_non_null(mkdtemp(root));
        assert_non_null(mkdtemp(outside));
        root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(root_fd >= 0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        close(root_fd);
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        nftw(outside, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

static void put_link(const char *target, const char *rel)
{
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", root, rel);
        assert_int_equal(symlink(target, path), 0);
}

static void put_dir(const char *rel)
{
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", root, rel);
        assert_int_equal(mkdir(path, 0755), 0);
}

/* The fd names root/<rel>, and that is a file (or a directory). */
static void expect_at(int fd, const char *rel, bool dir)
{
        char link[64], got[PATH_MAX], want[PATH_MAX];
        assert_true(fd >= 0);
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, got, sizeof got - 1);
        assert_true(n > 0);
        got[n] = '\0';
        snprintf(want, sizeof want, "%s/%s", root, rel);
        assert_string_equal(got, want);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        assert_true(dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
        close(fd);
}

static void test_plain_paths(void **state)
{
        (void)state;
        expect_at(open_in_root(root_fd, "/a/b/file", CREATE_FILE), "a/b/file", false);
        expect_at(open_in_root(root_fd, "a/b/file", CREATE_NONE), "a/b/file", false);
        expect_at(open_in_root(root_fd, "//c//d/", CREATE_DIR), "c/d", true);
        assert_int_equal(open_in_root(root_fd, "/missing", CREATE_NONE), -ENOENT);
        /* A file where a directory is needed. */
        assert_int_equal(open_in_root(root_fd, "/a/b/file/x", CREATE_FILE), -ENOTDIR);
}

static void test_dangling_links_are_followed_inside(void **state)
{
        (void)state;
        put_dir("etc");
        put_link("../run/systemd/resolve/stub-resolv.conf", "etc/resolv.conf");
        expect_at(open_in_root(root_fd, "/etc/resolv.conf", CREATE_FILE), "run/systemd/resolve/stub-resolv.conf",
                  false);
        /* Now the link resolves: the same answer without creating anything. */
        expect_at(open_in_root(root_fd, "/etc/resolv.conf", CREATE_NONE), "run/systemd/resolve/stub-resolv.conf",
                  false);

        /* An absolute target is the root's, not the host's. */
        put_link("/var/lib/hostname-file", "etc/hostname");
        expect_at(open_in_root(root_fd, "/etc/hostname", CREATE_FILE), "var/lib/hostname-file", false);

        /* Climbing out stops at the root. */
        char escape[PATH_MAX];
        snprintf(escape, sizeof escape, "../../../../..%s/escaped", outside);
        put_link(escape, "etc/hosts");
        char rel[PATH_MAX];
        snprintf(rel, sizeof rel, "%s/escaped", outside + 1);
        expect_at(open_in_root(root_fd, "/etc/hosts", CREATE_FILE), rel, false);
        char host_side[PATH_MAX];
        snprintf(host_side, sizeof host_side, "%s/escaped", outside);
        assert_int_equal(access(host_side, F_OK), -1);

        /* A dangling directory link in the middle of the path. */
        put_link("real-dir", "linked-dir");
        expect_at(open_in_root(root_fd, "/linked-dir/sub", CREATE_DIR), "real-dir/sub", true);
}

static void test_link_loops_end(void **state)
{
        (void)state;
        put_link("self", "self");
        assert_int_equal(open_in_root(root_fd, "/self", CREATE_FILE), -ELOOP);
        /* A chain of dangling links, each to the next: followed at most 8 deep. */
        char name[16], target[16];
        for (int i = 0; i < 10; i++) {
                snprintf(name, sizeof name, "l%d", i);
                snprintf(target, sizeof target, "l%d", i + 1);
                put_link(target, name);
        }
        assert_int_equal(open_in_root(root_fd, "/l0", CREATE_FILE), -ELOOP);
        assert_int_equal(open_in_root(root_fd, "/l3", CREATE_FILE) >= 0, 1);
}

/* Existing links: ".." and absolute targets stay inside; a /proc magic link is only text inside the root. */
static void test_existing_links_stay_inside(void **state)
{
        (void)state;
        char escape[PATH_MAX];
        put_dir("real");
        put_dir("real/sub");
        snprintf(escape, sizeof escape, "../../../../..%s", outside);
        put_link(escape, "out");
        assert_int_equal(open_in_root(root_fd, "/out", CREATE_NONE), -ENOENT);
        put_link("/real", "abs");
        expect_at(open_in_root(root_fd, "/abs/sub/../sub", CREATE_NONE), "real/sub", true);
        put_link("../../..", "up");
        expect_at(open_in_root(root_fd, "/up/real/../../../real", CREATE_NONE), "real", true);
        put_link("/proc/self/cwd", "magic");
        assert_int_equal(open_in_root(root_fd, "/magic", CREATE_NONE), -ENOENT);
}

static int without_openat2(void **state)
{
        (void)state;
        openat2_missing = true;
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_plain_paths, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dangling_links_are_followed_inside, setup, teardown),
                cmocka_unit_test_setup_teardown(test_link_loops_end, setup, teardown),
                cmocka_unit_test_setup_teardown(test_existing_links_stay_inside, setup, teardown),
        };
        int failed = cmocka_run_group_tests_name("with openat2", tests, NULL, NULL);
        return failed + cmocka_run_group_tests_name("openat2 missing", tests, without_openat2, NULL);
}
