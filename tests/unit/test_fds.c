/* SPDX-License-Identifier: Apache-2.0 */
/* fds_close_except and fds_cloexec_all: what a cloned child of the agent keeps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fds.h"

static bool is_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

/* Runs fn in a child (the test process must keep its descriptors); true when it exits 0. */
static bool in_child(int (*fn)(const int *fds), const int *fds)
{
        pid_t pid = fork();
        if (pid == 0)
                _exit(fn(fds));
        int status;
        return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int close_keeping_two(const int *fds)
{
        /* fds: 6 descriptors; keep fds[1] and fds[4] (given twice, and out of order). */
        int keep[] = { fds[4], -1, fds[1], fds[4], 1 };
        if (fds_close_except(keep, 5) < 0)
                return 10;
        for (int i = 0; i < 6; i++)
                if (is_open(fds[i]) != (i == 1 || i == 4))
                        return 20 + i;
        return is_open(0) && is_open(1) && is_open(2) ? 0 : 30;
}

static int close_all(const int *fds)
{
        if (fds_close_except(NULL, 0) < 0)
                return 10;
        for (int i = 0; i < 6; i++)
                if (is_open(fds[i]))
                        return 20 + i;
        return 0;
}

static int mark_all(const int *fds)
{
        if (fds_cloexec_all() < 0)
                return 10;
        for (int i = 0; i < 6; i++)
                if (!(fcntl(fds[i], F_GETFD) & FD_CLOEXEC))
                        return 20 + i;
        return fcntl(0, F_GETFD) & FD_CLOEXEC ? 30 : 0; /* stdio stays inheritable */
}

static void open_six(int *fds)
{
        for (int i = 0; i < 3; i++)
                assert_int_equal(pipe(fds + 2 * i), 0); /* without O_CLOEXEC on purpose */
}

static void close_six(const int *fds)
{
        for (int i = 0; i < 6; i++)
                close(fds[i]);
}

static void test_close_except(void **state)
{
        (void)state;
        int fds[6];
        open_six(fds);
        assert_true(in_child(close_keeping_two, fds));
        assert_true(in_child(close_all, fds));
        close_six(fds);
}

static void test_cloexec_all(void **state)
{
        (void)state;
        int fds[6];
        open_six(fds);
        assert_true(in_child(mark_all, fds));
        close_six(fds);
}

static void test_too_many_kept(void **state)
{
        (void)state;
        int keep[65] = { 0 };
        assert_int_equal(fds_close_except(keep, 65), -E2BIG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_close_except),
                cmocka_unit_test(test_cloexec_all),
                cmocka_unit_test(test_too_many_kept),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
