/* SPDX-License-Identifier: Apache-2.0 */
/* watchable-bind's copy (agent/storage_watch_copy.c) between two temporary directories. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage_internal.h"
#include "storage_watch.h"
#include "util.h"

static char base[64], src[96], dst[96];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static int setup(void **state)
{
        (void)state;
        snprintf(base, sizeof base, "/tmp/kinglet-watch-XXXXXX");
        assert_non_null(mkdtemp(base));
        snprintf(src, sizeof src, "%s/src", base);
        snprintf(dst, sizeof dst, "%s/dst", base);
        assert_int_equal(mkdir(src, 0750), 0);
        assert_int_equal(mkdir(dst, 0700), 0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

static void put(const char *dir, const char *rel, const char *text)
{
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void expect(const char *dir, const char *rel, const char *text)
{
        char path[256], buf[256];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        if (read_small_file(path, buf, sizeof buf, NULL) < 0)
                fail_msg("%s cannot be read", path);
        assert_string_equal(buf, text);
}

static ino_t inode(const char *dir, const char *rel)
{
        char path[256];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        return lstat(path, &st) == 0 ? st.st_ino : 0;
}

static void sync_ok(struct watch_tally *t)
{
        int r = watch_sync(src, false, dst, -1, t);
        if (r < 0)
                fail_msg("watch_sync: %s", strerror(-r));
}

static void test_copy_update_remove(void **state)
{
        (void)state;
        struct watch_tally t;
        char path[256], link[64];
        put(src, "a", "one");
        snprintf(path, sizeof path, "%s/sub", src);
        assert_int_equal(mkdir(path, 0755), 0);
        put(src, "sub/b", "two");
        snprintf(path, sizeof path, "%s/..data", src);
        assert_int_equal(symlink("sub", path), 0);
        sync_ok(&t);
        assert_int_equal(t.entries, 5); /* root, a, sub, sub/b, ..data */
        expect(dst, "a", "one");
        expect(dst, "sub/b", "two");
        snprintf(path, sizeof path, "%s/..data", dst);
        ssize_t n = readlink(path, link, sizeof link - 1);
        assert_int_equal(n, 3); /* copied as a link, not followed */
        struct stat st;
        snprintf(path, sizeof path, "%s", dst);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0750); /* the root takes the source's mode */

        /* Unchanged files are left alone; a changed one is replaced (a new inode: rename). */
        ino_t a = inode(dst, "a"), b = inode(dst, "sub/b");
        put(src, "a", "one, changed");
        sync_ok(&t);
        expect(dst, "a", "one, changed");
        assert_int_not_equal(inode(dst, "a"), a);
        assert_int_equal(inode(dst, "sub/b"), b);

        /* Gone from the source: gone from the copy; strays written into the copy go too. */
        snprintf(path, sizeof path, "%s/sub/b", src);
        assert_int_equal(unlink(path), 0);
        put(dst, "stray", "x");
        sync_ok(&t);
        assert_int_equal(inode(dst, "sub/b"), 0);
        assert_int_equal(inode(dst, "stray"), 0);
        assert_int_equal(inode(dst, WATCH_TMP_NAME), 0);

        /* A file that became a directory. */
        snprintf(path, sizeof path, "%s/a", src);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(mkdir(path, 0700), 0);
        put(src, "a/c", "three");
        sync_ok(&t);
        expect(dst, "a/c", "three");
}

static void test_limits(void **state)
{
        (void)state;
        struct watch_tally t = { 0 };
        char name[32];
        for (int i = 0; i < WATCH_MAX_ENTRIES - 1; i++) { /* with the root: exactly the limit */
                snprintf(name, sizeof name, "f%d", i);
                put(src, name, "x");
        }
        assert_int_equal(watch_measure(src, &t), 0);
        assert_int_equal(t.entries, WATCH_MAX_ENTRIES);
        sync_ok(&t);
        put(src, "one-too-many", "x");
        t.entries = 99;
        assert_int_equal(watch_measure(src, &t), -E2BIG);
        assert_int_equal(t.entries, 99); /* untouched */
        assert_int_equal(watch_sync(src, false, dst, -1, &t), -E2BIG);
}

static void test_size_limit(void **state)
{
        (void)state;
        struct watch_tally t;
        char path[256];
        snprintf(path, sizeof path, "%s/big", src);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, WATCH_MAX_BYTES), 0);
        close(fd);
        assert_int_equal(watch_measure(src, &t), 0);
        assert_int_equal(t.bytes, WATCH_MAX_BYTES);
        put(src, "more", "x");
        assert_int_equal(watch_measure(src, &t), -E2BIG);
}

static void test_single_file_in_place(void **state)
{
        (void)state;
        struct watch_tally t;
        char from[256], to[256];
        snprintf(from, sizeof from, "%s/cfg", src);
        snprintf(to, sizeof to, "%s/cfg", dst);
        put(src, "cfg", "v1");
        put(dst, "cfg", "");
        ino_t ino = inode(dst, "cfg");
        assert_int_equal(watch_sync(from, true, to, -1, &t), 0);
        expect(dst, "cfg", "v1");
        put(src, "cfg", "version 2");
        assert_int_equal(watch_sync(from, true, to, -1, &t), 0);
        expect(dst, "cfg", "version 2");
        assert_int_equal(inode(dst, "cfg"), ino); /* bind mounts of it keep seeing it */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(test_copy_update_remove),
                T(test_limits),
                T(test_size_limit),
                T(test_single_file_in_place),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
