/* SPDX-License-Identifier: Apache-2.0 */
#include "fds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define KEEP_MAX 64

static bool kept(int fd, const int *keep, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (keep[i] == fd)
                        return true;
        return false;
}

/* Before Linux 5.11 (no close_range): walk the descriptor table. */
static int walk(const int *keep, size_t n, bool cloexec_only)
{
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return -errno;
        int self = dirfd(d);
        for (struct dirent *de; (de = readdir(d));) {
                uint32_t fd;
                if (parse_u32(de->d_name, 10, &fd) < 0 || fd < 3 || (int)fd == self || kept((int)fd, keep, n))
                        continue;
                if (cloexec_only)
                        (void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
                else
                        (void)close((int)fd); /* /proc/self/fd lists by number: closing as we go is safe */
        }
        closedir(d);
        return 0;
}

static int cmp_int(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;
        return (x > y) - (x < y);
}

int fds_close_except(const int *keep, size_t n)
{
        int sorted[KEEP_MAX];
        size_t k = 0;
        if (n > KEEP_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++)
                if (keep[i] >= 3)
                        sorted[k++] = keep[i];
        qsort(sorted, k, sizeof *sorted, cmp_int);
        unsigned int from = 3;
        for (size_t i = 0; i <= k; i++) {
                unsigned int to = i < k ? (unsigned int)sorted[i] : ~0U;
                if (i < k && to < from)
                        continue; /* a duplicate */
                if (to > from && syscall(SYS_close_range, from, i < k ? to - 1 : to, 0) < 0)
                        return errno == ENOSYS || errno == EINVAL ? walk(sorted, k, false) : -errno;
                if (i < k)
                        from = to + 1;
        }
        return 0;
}

int fds_cloexec_all(void)
{
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
                return 0;
        return errno == ENOSYS || errno == EINVAL ? walk(NULL, 0, true) : -errno;
}

void child_signals_default(void)
{
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)signal(sig, SIG_DFL);
}
