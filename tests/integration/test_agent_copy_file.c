/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CopyFile end to end: kinglet-ctl sends files, directories and symlinks to
 * the real agent, and the result is read back through /proc/<agent>/root,
 * i.e. inside the agent's own mount namespace (its /run is a private tmpfs).
 */
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

#include "agent_proc.h"

/* Path of a guest file as seen from here. */
static const char *guest(const struct agent_proc *a, const char *path)
{
        static char buf[PATH_MAX];
        snprintf(buf, sizeof buf, "/proc/%d/root%s", (int)a->pid, path);
        return buf;
}

static void write_local(const char *path, const uint8_t *data, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        close(fd);
}

static void test_large_file_in_chunks(void **state)
{
        struct agent_proc *a = *state;
        enum { SIZE = 3 * 1024 * 1024 + 12345 };
        char local[160], out[1024];
        uint8_t *data = malloc(SIZE), *back = malloc(SIZE);
        struct stat st;

        for (size_t i = 0; i < SIZE; i++)
                data[i] = (uint8_t)(i * 2654435761u >> 13);
        snprintf(local, sizeof local, "%s/big.bin", a->dir);
        write_local(local, data, SIZE);
        const char *argv[] = { "--addr", a->addr, "copy-file", "--chunk-size", "1048576", "--mode", "0640",
                               "--uid", "1000", "--gid", "1001", local,
                               "/run/kata-containers/shared/containers/c1/big.bin", NULL };
        assert_int_equal(run_ctl(argv, out, sizeof out), 0);
        assert_non_null(strstr(out, "in 4 requests"));

        const char *path = guest(a, "/run/kata-containers/shared/containers/c1/big.bin");
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, SIZE);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(st.st_uid, 1000);
        assert_int_equal(st.st_gid, 1001);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        size_t got = 0;
        ssize_t n;
        while (got < SIZE && (n = read(fd, back + got, SIZE - got)) > 0)
                got += (size_t)n;
        close(fd);
        assert_int_equal(got, SIZE);
        assert_memory_equal(data, back, SIZE);
        /* Directories made on the way get --dir-mode's default and the owner. */
        assert_int_equal(stat(guest(a, "/run/kata-containers/shared/containers/c1"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0750);
        assert_int_equal(st.st_uid, 1000);
        free(data);
        free(back);
}

static void test_directory_symlink_and_empty_file(void **state)
{
        struct agent_proc *a = *state;
        char local[160], link[160], out[1024], target[64] = { 0 };
        struct stat st;

        snprintf(local, sizeof local, "%s/d", a->dir);
        assert_int_equal(mkdir(local, 0711), 0);
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "copy-file", local,
                                                   "/run/kata-containers/cm/..2026_11_26", NULL }, out, sizeof out), 0);
        assert_int_equal(stat(guest(a, "/run/kata-containers/cm/..2026_11_26"), &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0711);

        snprintf(link, sizeof link, "%s/l", a->dir);
        assert_int_equal(symlink("..2026_11_26", link), 0);
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "copy-file", link,
                                                   "/run/kata-containers/cm/..data", NULL }, out, sizeof out), 0);
        assert_int_equal(readlink(guest(a, "/run/kata-containers/cm/..data"), target, sizeof target - 1), 12);
        assert_string_equal(target, "..2026_11_26");

        snprintf(local, sizeof local, "%s/empty", a->dir);
        write_local(local, NULL, 0);
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "copy-file", local,
                                                   "/run/kata-containers/cm/empty", NULL }, out, sizeof out), 0);
        assert_int_equal(stat(guest(a, "/run/kata-containers/cm/empty"), &st), 0);
        assert_int_equal(st.st_size, 0);
}

static void test_escapes_are_refused(void **state)
{
        struct agent_proc *a = *state;
        char local[160], outside[160], link[160], out[1024], victim[200];

        snprintf(local, sizeof local, "%s/f", a->dir);
        write_local(local, (const uint8_t *)"x", 1);
        snprintf(outside, sizeof outside, "%s/outside", a->dir);
        assert_int_equal(mkdir(outside, 0755), 0);

        /* Through a symlink the client itself planted with CopyFile. */
        snprintf(link, sizeof link, "%s/esc", a->dir);
        assert_int_equal(symlink(outside, link), 0);
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "copy-file", link,
                                                   "/run/kata-containers/esc", NULL }, out, sizeof out), 0);
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "copy-file", local,
                                                   "/run/kata-containers/esc/pwned", NULL }, out, sizeof out),
                         GRPC_PERMISSION_DENIED);
        snprintf(victim, sizeof victim, "%s/pwned", outside);
        assert_int_equal(access(victim, F_OK), -1);

        static const char *const bad[] = {
                "/etc/kinglet-pwned",
                "/run/kata-containers/../kinglet-pwned",
                "/run/kata-containers-evil/x",
                "relative/path",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                int code = run_ctl((const char *[]){ "--addr", a->addr, "copy-file", local, bad[i], NULL },
                                   out, sizeof out);
                if (code != GRPC_PERMISSION_DENIED && code != GRPC_INVALID_ARGUMENT)
                        fail_msg("%s: exit code %d", bad[i], code);
        }
        assert_int_equal(access(guest(a, "/etc/kinglet-pwned"), F_OK), -1);
        assert_int_equal(access(guest(a, "/run/kinglet-pwned"), F_OK), -1);
}

static void test_ctl_copy_file_usage(void **state)
{
        struct agent_proc *a = *state;
        char out[1024];
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "copy-file", "/nonexistent",
                                                   "/run/kata-containers/x", NULL }, out, sizeof out), 66);
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "copy-file", "only-one", NULL },
                                 out, sizeof out), 64);
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "copy-file", "--mode", "999", "a", "b", NULL },
                                 out, sizeof out), 64);
        assert_int_equal(run_ctl((const char *[]){ "copy-file", "--help", NULL }, out, sizeof out), 0);
        assert_non_null(strstr(out, "--chunk-size"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, agent_test_setup, agent_test_teardown)
                T(test_large_file_in_chunks),
                T(test_directory_symlink_and_empty_file),
                T(test_escapes_are_refused),
                T(test_ctl_copy_file_usage),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
