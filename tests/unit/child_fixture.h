/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running test code in a forked child that reports back through a pipe, for the
 * process security tests (test_security.c, test_seccomp.c). Each uses a subset.
 */
#ifndef KINGLET_TEST_CHILD_FIXTURE_H
#define KINGLET_TEST_CHILD_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "security.h"
#include "util.h"

#define UNPRIV_UID 1000

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

/* --- running code in a child ------------------------------------------------------ */

/*
 * Forks; the child runs fn with the write end of a pipe and exits with its
 * return value. The parent collects what the child wrote (up to size bytes)
 * and returns the raw wait status. The child never touches cmocka.
 */
static int run_child(int (*fn)(int fd, const void *arg), const void *arg, void *buf, size_t size,
                     size_t *ret_len)
{
        int p[2];
        size_t len = 0;
        int status;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(p[0]);
                /*
                 * Straight to the kernel: ASan's _exit() runs the leak checker,
                 * whose syscalls a deny-by-default filter refuses.
                 */
                syscall(SYS_exit_group, fn(p[1], arg));
                _exit(127);
        }
        close(p[1]);
        for (;;) {
                ssize_t n = read(p[0], (char *)buf + len, size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                assert_true(n >= 0);
                if (n == 0)
                        break;
                len += (size_t)n;
                assert_true(len < size);
        }
        close(p[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (ret_len)
                *ret_len = len;
        return status;
}

static void assert_exited_ok(int status)
{
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* The hex value after `field` in a /proc/<pid>/status text. */
static uint64_t status_field(const char *text, const char *field)
{
        char key[32];
        snprintf(key, sizeof key, "\n%s:", field);
        const char *p = strstr(text, key);
        assert_non_null(p);
        return strtoull(p + strlen(key), NULL, 16);
}

static int read_status(char *buf, size_t size)
{
        int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, size - 1 - len);
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = 0;
        close(fd);
        return 0;
}

static int become_unprivileged(void)
{
        if (setgroups(0, NULL) < 0 || setresgid(UNPRIV_UID, UNPRIV_UID, UNPRIV_UID) < 0 ||
            setresuid(UNPRIV_UID, UNPRIV_UID, UNPRIV_UID) < 0)
                return -errno;
        return 0;
}

#pragma GCC diagnostic pop

#endif
