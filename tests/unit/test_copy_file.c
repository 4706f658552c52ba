/* SPDX-License-Identifier: Apache-2.0 */
/* CopyFile: path confinement and the chunked write, against a temporary base directory. */
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
#include <unistd.h>

#include "copy_file.h"
#include "path_confine.h"

struct fixture {
        char base[64];    /* plays /run/kata-containers */
        char outside[64]; /* somewhere a symlink could point to */
        int base_fd;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);
        snprintf(f->base, sizeof f->base, "/tmp/kinglet-cf-XXXXXX");
        snprintf(f->outside, sizeof f->outside, "/tmp/kinglet-out-XXXXXX");
        assert_non_null(mkdtemp(f->base));
        assert_non_null(mkdtemp(f->outside));
        f->base_fd = open(f->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(f->base_fd >= 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        close(f->base_fd);
        nftw(f->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        nftw(f->outside, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static char *in_base(struct fixture *f, const char *rel)
{
        static char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", f->base, rel);
        return path;
}

static int copy(struct fixture *f, const char *rel, uint32_t mode, int64_t size, int64_t offset,
                const char *data, struct rpc_error *e)
{
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
        req.path = in_base(f, rel);
        req.file_mode = mode;
        req.dir_mode = 0750;
        req.file_size = size;
        req.offset = offset;
        req.uid = -1;
        req.gid = -1;
        req.data.data = (uint8_t *)data;
        req.data.len = data ? strlen(data) : 0;
        memset(e, 0, sizeof *e);
        return copy_file_apply(f->base_fd, f->base, &req, e);
}

static void assert_file(const char *path, const char *content, mode_t mode)
{
        char buf[256] = { 0 };
        struct stat st;
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, mode);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(read(fd, buf, sizeof buf - 1), (ssize_t)strlen(content));
        close(fd);
        assert_string_equal(buf, content);
}

static void test_check_accepts_paths_below_base(void **state)
{
        const char *rel;
        struct rpc_error e = { 0 };
        (void)state;
        assert_int_equal(confine_check("/run/kata-containers/a/b.txt", "/run/kata-containers", &rel, &e), 0);
        assert_string_equal(rel, "a/b.txt");
        assert_int_equal(confine_check("/run/kata-containers//x", "/run/kata-containers", &rel, &e), 0);
        assert_string_equal(rel, "x");
}

static void test_check_rejects(void **state)
{
        static const struct {
                const char *path;
                int err;
                int code;
                const char *says;
        } cases[] = {
                { "", -EINVAL, GRPC_INVALID_ARGUMENT, "empty" },
                { "relative/x", -EINVAL, GRPC_INVALID_ARGUMENT, "not absolute" },
                { "/etc/passwd", -EPERM, GRPC_PERMISSION_DENIED, "outside" },
                { "/run/kata-containersX/a", -EPERM, GRPC_PERMISSION_DENIED, "outside" },
                { "/run/kata-containers", -EPERM, GRPC_PERMISSION_DENIED, "outside" },
                { "/run/kata-containers/", -EINVAL, GRPC_INVALID_ARGUMENT, "itself" },
                { "/run/kata-containers/../etc/passwd", -EPERM, GRPC_PERMISSION_DENIED, "`..`" },
                { "/run/kata-containers/a/../../etc", -EPERM, GRPC_PERMISSION_DENIED, "`..`" },
                { "/run/kata-containers/a/./b", -EPERM, GRPC_PERMISSION_DENIED, "`.`" },
                { "/run/kata-containers/a/", -EINVAL, GRPC_INVALID_ARGUMENT, "ends with" },
        };
        (void)state;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                const char *rel = "untouched";
                struct rpc_error e = { 0 };
                int r = confine_check(cases[i].path, "/run/kata-containers", &rel, &e);
                if (r != cases[i].err || e.code != cases[i].code || !strstr(e.msg, cases[i].says))
                        fail_msg("`%s`: got %d %s `%s`", cases[i].path, r, grpc_code_name(e.code), e.msg);
                assert_string_equal(rel, "untouched");
        }
}

static void test_check_bounds(void **state)
{
        char path[PATH_MAX + 16];
        const char *rel;
        struct rpc_error e = { 0 };
        (void)state;
        int n = snprintf(path, sizeof path, "/run/kata-containers/");
        memset(path + n, 'a', NAME_MAX + 1);
        path[n + NAME_MAX + 1] = '\0';
        assert_int_equal(confine_check(path, "/run/kata-containers", &rel, &e), -ENAMETOOLONG);
        memset(path + n, 'a', sizeof path - (size_t)n - 1);
        for (size_t i = (size_t)n + 100; i < sizeof path - 1; i += 100)
                path[i] = '/';
        path[sizeof path - 1] = '\0';
        assert_int_equal(confine_check(path, "/run/kata-containers", &rel, &e), -ENAMETOOLONG);
        assert_non_null(strstr(e.msg, "longer than"));
}

static void test_chunked_regular_file(void **state)
{
        struct fixture *f = *state;
        struct rpc_error e;
        assert_int_equal(copy(f, "d1/d2/file.txt", S_IFREG | 0640, 11, 0, "hello ", &e), 0);
        /* Not there until the last chunk lands. */
        assert_int_equal(access(in_base(f, "d1/d2/file.txt"), F_OK), -1);
        assert_int_equal(copy(f, "d1/d2/file.txt", S_IFREG | 0640, 11, 6, "world", &e), 0);
        assert_file(in_base(f, "d1/d2/file.txt"), "hello world", 0640);
        struct stat st;
        assert_int_equal(stat(in_base(f, "d1/d2"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0750);
        /* No part file is left behind. */
        assert_int_equal(rmdir(in_base(f, "d1/d2")), -1);
        assert_int_equal(unlink(in_base(f, "d1/d2/file.txt")), 0);
        assert_int_equal(rmdir(in_base(f, "d1/d2")), 0);
}

static void test_empty_file_and_overwrite(void **state)
{
        struct fixture *f = *state;
        struct rpc_error e;
        assert_int_equal(copy(f, "empty", 0644, 0, 0, NULL, &e), 0);
        assert_file(in_base(f, "empty"), "", 0644);
        assert_int_equal(copy(f, "empty", 0600, 3, 0, "new", &e), 0);
        assert_file(in_base(f, "empty"), "new", 0600);
}

static void test_restart_discards_stale_part(void **state)
{
        struct fixture *f = *state;
        struct rpc_error e;
        /* An interrupted transfer of a longer file... */
        assert_int_equal(copy(f, "r", 0644, 100, 0, "0123456789", &e), 0);
        /* ...is forgotten when a new one starts at offset 0. */
        assert_int_equal(copy(f, "r", 0644, 4, 0, "abcd", &e), 0);
        assert_file(in_base(f, "r"), "abcd", 0644);
}

static void test_chunk_past_declared_size(void **state)
{
        struct fixture *f = *state;
        struct rpc_error e;
        assert_int_equal(copy(f, "big", 0644, 3, 0, "abcd", &e), -ERANGE);
        assert_int_equal(e.code, GRPC_OUT_OF_RANGE);
        assert_int_equal(copy(f, "big", 0644, 4, 2, "abc", &e), -ERANGE);
        assert_int_equal(copy(f, "neg", 0644, -1, 0, NULL, &e), -EINVAL);
        assert_int_equal(copy(f, "huge", 0644, (1LL << 30) + 1, 0, "x", &e), -EFBIG);
        assert_int_equal(e.code, GRPC_RESOURCE_EXHAUSTED);
}

static void test_directory_and_symlink(void **state)
{
        struct fixture *f = *state;
        struct rpc_error e;
        char target[64] = { 0 };
        struct stat st;
        assert_int_equal(copy(f, "cm/..data_2026", S_IFDIR | 0711, 0, 0, NULL, &e), 0);
        assert_int_equal(stat(in_base(f, "cm/..data_2026"), &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0711);
        /* Again: idempotent, and the mode follows the request. */
        assert_int_equal(copy(f, "cm/..data_2026", S_IFDIR | 0755, 0, 0, NULL, &e), 0);
        assert_int_equal(stat(in_base(f, "cm/..data_2026"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_int_equal(copy(f, "cm/..data", S_IFLNK | 0777, 14, 0, "..data_2026", &e), 0);
        assert_int_equal(readlink(in_base(f, "cm/..data"), target, sizeof target - 1), 11);
        assert_string_equal(target, "..data_2026");
        /* Replacing a link is atomic and allowed (configmap refresh). */
        assert_int_equal(copy(f, "cm/..data", S_IFLNK | 0777, 5, 0, "other", &e), 0);
        memset(target, 0, sizeof target);
        assert_int_equal(readlink(in_base(f, "cm/..data"), target, sizeof target - 1), 5);
        assert_int_equal(copy(f, "cm/bad", S_IFLNK | 0777, 0, 0, NULL, &e), -EINVAL);
        /* A directory request over a file fails clearly. */
        assert_int_equal(copy(f, "plain", 0644, 1, 0, "x", &e), 0);
        assert_int_equal(copy(f, "plain", S_IFDIR | 0755, 0, 0, NULL, &e), -EEXIST);
        assert_non_null(strstr(e.msg, "not a directory"));
        assert_int_equal(copy(f, "fifo", S_IFIFO | 0644, 0, 0, NULL, &e), -EINVAL);
}

static void test_symlink_on_the_way_is_refused(void **state)
{
        struct fixture *f = *state;
        struct rpc_error e;
        char link[PATH_MAX], victim[PATH_MAX];
        /* A link planted inside the base that points outside it... */
        snprintf(link, sizeof link, "%s/escape", f->base);
        assert_int_equal(symlink(f->outside, link), 0);
        assert_int_equal(copy(f, "escape/pwned", 0644, 1, 0, "x", &e), -ELOOP);
        assert_int_equal(e.code, GRPC_PERMISSION_DENIED);
        assert_non_null(strstr(e.msg, "symbolic link"));
        snprintf(victim, sizeof victim, "%s/pwned", f->outside);
        assert_int_equal(access(victim, F_OK), -1);
        /* ...even deeper down, and even when it points back inside. */
        assert_int_equal(mkdir(in_base(f, "a"), 0755), 0);
        assert_int_equal(symlink(f->base, in_base(f, "a/loop")), 0);
        assert_int_equal(copy(f, "a/loop/x", 0644, 1, 0, "x", &e), -ELOOP);
        /* A file where a directory is needed. */
        assert_int_equal(copy(f, "file", 0644, 1, 0, "x", &e), 0);
        assert_int_equal(copy(f, "file/x", 0644, 1, 0, "x", &e), -ENOTDIR);
}

static void test_target_symlink_is_replaced_not_followed(void **state)
{
        struct fixture *f = *state;
        struct rpc_error e;
        char victim[PATH_MAX];
        snprintf(victim, sizeof victim, "%s/victim", f->outside);
        int fd = open(victim, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "safe", 4), 4);
        close(fd);
        assert_int_equal(symlink(victim, in_base(f, "t")), 0);
        assert_int_equal(copy(f, "t", 0644, 3, 0, "new", &e), 0);
        assert_file(in_base(f, "t"), "new", 0644); /* the link itself was replaced */
        assert_file(victim, "safe", 0644);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check_accepts_paths_below_base),
                cmocka_unit_test(test_check_rejects),
                cmocka_unit_test(test_check_bounds),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(test_chunked_regular_file),
                T(test_empty_file_and_overwrite),
                T(test_restart_discards_stale_part),
                T(test_chunk_past_declared_size),
                T(test_directory_and_symlink),
                T(test_symlink_on_the_way_is_refused),
                T(test_target_symlink_is_replaced_not_followed),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
