/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rpc's seam between the agent's handlers and the machine, linked with
 * -Wl,--wrap=NAME for each call below (LDEXTRA_fuzz_rpc in tests/tests.mk):
 * every reference to NAME in the linked objects calls __wrap_NAME, which
 * refuses or lets it through to __real_NAME. See fuzz_rpc.h for the rules.
 *
 * The handlers then run their real code up to the first refused call and
 * must turn that failure into a proper reply and clean up after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include "fuzz_rpc.h"

static struct {
        bool armed;
        bool verbose;
        bool no_route_netlink;
        bool own_uts; /* in a UTS namespace of our own: the hostname is ours to change */
        char base[PATH_MAX];
        size_t base_len;
        unsigned long refusals;
        char artifacts[PATH_MAX]; /* libFuzzer's artifact prefix: its crash files pass */
} seam;

void seam_arm(const char *base)
{
        if (!realpath(base, seam.base))
                abort();
        seam.base_len = strlen(seam.base);
        seam.verbose = getenv("KINGLET_FUZZ_LOG") != NULL;
        seam.armed = true;
}

void seam_allow_artifacts(const char *prefix)
{
        snprintf(seam.artifacts, sizeof seam.artifacts, "%s", prefix);
}

void seam_disarm(void)
{
        seam.armed = false;
}

void seam_refuse_route_netlink(void)
{
        seam.no_route_netlink = true;
}

void seam_own_uts(void)
{
        seam.own_uts = true;
}

unsigned long seam_refusals(void)
{
        return seam.refusals;
}

static int refuse(int err, const char *call, const char *what)
{
        seam.refusals++;
        if (seam.verbose)
                fprintf(stderr, "seam: refused %s(%.200s)\n", call, what ? what : "");
        errno = err;
        return -1;
}

static bool below_base(const char *resolved)
{
        return strncmp(resolved, seam.base, seam.base_len) == 0 &&
               (resolved[seam.base_len] == '\0' || resolved[seam.base_len] == '/');
}

/* The directory `dirfd` stands for, as an absolute path. */
static bool dir_of(int dirfd, char *out, size_t size)
{
        if (dirfd == AT_FDCWD)
                return getcwd(out, size) != NULL;
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
        ssize_t n = readlink(link, out, size - 1);
        if (n <= 0)
                return false;
        out[n] = '\0';
        return out[0] == '/';
}

/*
 * Whether dirfd/path ends up below the base: its parent directory resolved,
 * and with `follow`, the name itself when it exists (a symlink planted in the
 * base may point anywhere). A dangling symlink followed would create its
 * target: refused.
 */
static bool path_allowed(int dirfd, const char *path, bool follow)
{
        char full[PATH_MAX * 2], parent[PATH_MAX * 2], resolved[PATH_MAX];
        if (!path)
                return false;
        if (path[0] == '/') {
                snprintf(full, sizeof full, "%s", path);
        } else {
                char dir[PATH_MAX];
                if (!dir_of(dirfd, dir, sizeof dir))
                        return false;
                snprintf(full, sizeof full, "%s/%s", dir, path[0] ? path : ".");
        }
        if (strcmp(full, seam.base) == 0)
                return true; /* the base itself (the agent makes sure it exists) */
        snprintf(parent, sizeof parent, "%s", full);
        size_t len = strlen(parent);
        while (len > 1 && parent[len - 1] == '/')
                parent[--len] = '\0';
        char *slash = strrchr(parent, '/');
        if (slash == parent)
                slash[1] = '\0';
        else if (slash)
                *slash = '\0';
        if (!realpath(parent, resolved) || !below_base(resolved))
                return false;
        if (!follow)
                return true;
        if (realpath(full, resolved))
                return below_base(resolved);
        /* Not there (yet): fine unless it is a dangling symlink. */
        char target[8];
        return readlink(full, target, sizeof target) < 0;
}

static bool fd_allowed(int fd)
{
        char dir[PATH_MAX];
        return dir_of(fd, dir, sizeof dir) && below_base(dir);
}

/* Devices the agent may open: the harmless ones. */
static bool device_allowed(const char *path)
{
        static const char *const ok[] = {"/dev/null", "/dev/zero", "/dev/urandom", "/dev/ptmx",
                                         NULL};
        if (!path || strncmp(path, "/dev/", 5) != 0)
                return true;
        for (size_t i = 0; ok[i]; i++)
                if (strcmp(path, ok[i]) == 0)
                        return true;
        return strncmp(path, "/dev/pts/", 9) == 0;
}

static bool open_allowed(int dirfd, const char *path, int flags)
{
        bool writes = (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) ||
                      (flags & O_TMPFILE) == O_TMPFILE;
        if (!device_allowed(path))
                return false;
        if (!writes || (path && strncmp(path, "/dev/", 5) == 0))
                return true; /* reading, or one of the harmless devices */
        return path_allowed(dirfd, path, !(flags & O_NOFOLLOW));
}

/* --- paths --- */

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
        va_list ap;
        va_start(ap, flags);
        mode_t mode =
                (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
        va_end(ap);
        if (seam.armed && !open_allowed(AT_FDCWD, path, flags))
                return refuse(EACCES, "open", path);
        return __real_open(path, flags, mode);
}

int __real_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
        va_list ap;
        va_start(ap, flags);
        mode_t mode =
                (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
        va_end(ap);
        if (seam.armed && !open_allowed(dirfd, path, flags))
                return refuse(EACCES, "openat", path);
        return __real_openat(dirfd, path, flags, mode);
}

FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode)
{
        bool writes = mode && strpbrk(mode, "wa+");
        bool artifact = path && seam.artifacts[0] &&
                        strncmp(path, seam.artifacts, strlen(seam.artifacts)) == 0;
        if (seam.armed && !artifact &&
            (!device_allowed(path) || (writes && !path_allowed(AT_FDCWD, path, true)))) {
                refuse(EACCES, "fopen", path);
                return NULL;
        }
        return __real_fopen(path, mode);
}

/* Calls that change the path they name (at the end, or at a new name). */
#define AT_PATH_CALL(name, follow, params, dirfd, path, args)                                      \
        int __real_##name params;                                                                  \
        int __wrap_##name params;                                                                  \
        int __wrap_##name params                                                                   \
        {                                                                                          \
                if (seam.armed && !path_allowed(dirfd, path, follow))                              \
                        return refuse(EACCES, #name, path);                                        \
                return __real_##name args;                                                         \
        }

AT_PATH_CALL(mkdir, false, (const char *p, mode_t m), AT_FDCWD, p, (p, m))
AT_PATH_CALL(mkdirat, false, (int d, const char *p, mode_t m), d, p, (d, p, m))
AT_PATH_CALL(unlink, false, (const char *p), AT_FDCWD, p, (p))
AT_PATH_CALL(unlinkat, false, (int d, const char *p, int f), d, p, (d, p, f))
AT_PATH_CALL(rmdir, false, (const char *p), AT_FDCWD, p, (p))
AT_PATH_CALL(symlink, false, (const char *t, const char *p), AT_FDCWD, p, (t, p))
AT_PATH_CALL(symlinkat, false, (const char *t, int d, const char *p), d, p, (t, d, p))
AT_PATH_CALL(chmod, true, (const char *p, mode_t m), AT_FDCWD, p, (p, m))
AT_PATH_CALL(fchmodat, !(f & AT_SYMLINK_NOFOLLOW), (int d, const char *p, mode_t m, int f), d, p,
             (d, p, m, f))
AT_PATH_CALL(chown, true, (const char *p, uid_t u, gid_t g), AT_FDCWD, p, (p, u, g))
AT_PATH_CALL(lchown, false, (const char *p, uid_t u, gid_t g), AT_FDCWD, p, (p, u, g))
AT_PATH_CALL(fchownat, !(f & AT_SYMLINK_NOFOLLOW), (int d, const char *p, uid_t u, gid_t g, int f),
             d, p, (d, p, u, g, f))
AT_PATH_CALL(truncate, true, (const char *p, off_t n), AT_FDCWD, p, (p, n))

/* Both ends of a rename or a link must be below the base. */
#define TWO_PATH_CALL(name, params, d1, p1, d2, p2, args)                                          \
        int __real_##name params;                                                                  \
        int __wrap_##name params;                                                                  \
        int __wrap_##name params                                                                   \
        {                                                                                          \
                if (seam.armed && (!path_allowed(d1, p1, false) || !path_allowed(d2, p2, false)))  \
                        return refuse(EACCES, #name, p2);                                          \
                return __real_##name args;                                                         \
        }

TWO_PATH_CALL(rename, (const char *a, const char *b), AT_FDCWD, a, AT_FDCWD, b, (a, b))
TWO_PATH_CALL(renameat, (int da, const char *a, int db, const char *b), da, a, db, b,
              (da, a, db, b))
TWO_PATH_CALL(renameat2, (int da, const char *a, int db, const char *b, unsigned f), da, a, db, b,
              (da, a, db, b, f))
TWO_PATH_CALL(link, (const char *a, const char *b), AT_FDCWD, a, AT_FDCWD, b, (a, b))
TWO_PATH_CALL(linkat, (int da, const char *a, int db, const char *b, int f), da, a, db, b,
              (da, a, db, b, f))

/* Calls on a descriptor: the file must be below the base. */
#define FD_CALL(name, params, fd, args)                                                            \
        int __real_##name params;                                                                  \
        int __wrap_##name params;                                                                  \
        int __wrap_##name params                                                                   \
        {                                                                                          \
                if (seam.armed && !fd_allowed(fd))                                                 \
                        return refuse(EACCES, #name, NULL);                                        \
                return __real_##name args;                                                         \
        }

FD_CALL(fchmod, (int fd, mode_t m), fd, (fd, m))
FD_CALL(fchown, (int fd, uid_t u, gid_t g), fd, (fd, u, g))

/* --- the machine: refused outright while armed --- */
#define REFUSED_CALL(ret, name, params, args)                                                      \
        ret __real_##name params;                                                                  \
        ret __wrap_##name params;                                                                  \
        ret __wrap_##name params                                                                   \
        {                                                                                          \
                if (seam.armed)                                                                    \
                        return refuse(EPERM, #name, NULL);                                         \
                return __real_##name args;                                                         \
        }

REFUSED_CALL(int, mount,
             (const char *s, const char *t, const char *f, unsigned long fl, const void *d),
             (s, t, f, fl, d))
REFUSED_CALL(int, umount, (const char *t), (t))
REFUSED_CALL(int, umount2, (const char *t, int f), (t, f))
REFUSED_CALL(int, chroot, (const char *p), (p))
REFUSED_CALL(pid_t, fork, (void), ())
REFUSED_CALL(int, execve, (const char *p, char *const a[], char *const e[]), (p, a, e))
REFUSED_CALL(int, execv, (const char *p, char *const a[]), (p, a))
REFUSED_CALL(int, kill, (pid_t p, int s), (p, s))
REFUSED_CALL(int, reboot, (int c), (c))
REFUSED_CALL(int, swapon, (const char *p, int f), (p, f))
REFUSED_CALL(int, swapoff, (const char *p), (p))
REFUSED_CALL(int, mknod, (const char *p, mode_t m, dev_t d), (p, m, d))
REFUSED_CALL(int, mknodat, (int fd, const char *p, mode_t m, dev_t d), (fd, p, m, d))
REFUSED_CALL(int, unshare, (int f), (f))
REFUSED_CALL(int, setns, (int fd, int t), (fd, t))
REFUSED_CALL(int, settimeofday, (const struct timeval *tv, const void *tz), (tv, tz))
REFUSED_CALL(int, setrlimit, (int r, const struct rlimit *l), (r, l))
REFUSED_CALL(int, chdir, (const char *p), (p))
REFUSED_CALL(int, fchdir, (int fd), (fd))
REFUSED_CALL(int, setgroups, (size_t n, const gid_t *g), (n, g))
REFUSED_CALL(int, setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s))
REFUSED_CALL(int, setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s))
REFUSED_CALL(pid_t, setsid, (void), ())

/* Only questions: PR_GET_SECCOMP, PR_CAPBSET_READ, PR_GET_*. */
int __real_prctl(int op, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int __wrap_prctl(int op, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int __wrap_prctl(int op, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
        bool question = op == PR_GET_SECCOMP || op == PR_CAPBSET_READ || op == PR_GET_DUMPABLE ||
                        op == PR_GET_NO_NEW_PRIVS || op == PR_GET_CHILD_SUBREAPER ||
                        op == PR_GET_KEEPCAPS;
        if (seam.armed && !question)
                return refuse(EPERM, "prctl", NULL);
        return __real_prctl(op, a2, a3, a4, a5);
}

/* Raw system calls: those that only read or open go through; the rest fail. */
long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);
long __wrap_syscall(long nr, ...)
{
        /*
         * Five arguments at most (statx has the most of those let through):
         * they come in registers, while a sixth va_arg would read the
         * caller's stack past what it passed.
         */
        va_list ap;
        long a[5];
        va_start(ap, nr);
        for (int i = 0; i < 5; i++)
                a[i] = va_arg(ap, long);
        va_end(ap);
        if (seam.armed) {
                switch (nr) {
                case SYS_statx:
                case SYS_capget:
                case SYS_gettid:
                case SYS_getrandom:
                case SYS_pidfd_open:
                        break;
                case SYS_openat2:
                        if (!open_allowed((int)a[0], (const char *)a[1],
                                          (int)*(const unsigned long long *)a[2]))
                                return refuse(EACCES, "openat2", (const char *)a[1]);
                        break;
                default: {
                        char what[32];
                        snprintf(what, sizeof what, "nr %ld", nr);
                        return refuse(EPERM, "syscall", what);
                }
                }
        }
        return __real_syscall(nr, a[0], a[1], a[2], a[3], a[4]);
}

/* Route netlink changes the machine's network unless we have a namespace of our own. */
int __real_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol)
{
        if (seam.armed && seam.no_route_netlink && domain == AF_NETLINK &&
            protocol == NETLINK_ROUTE)
                return refuse(EPERM, "socket", "AF_NETLINK, NETLINK_ROUTE");
        return __real_socket(domain, type, protocol);
}

int __real_sethostname(const char *name, size_t len);
int __wrap_sethostname(const char *name, size_t len);
int __wrap_sethostname(const char *name, size_t len)
{
        if (seam.armed && !seam.own_uts)
                return refuse(EPERM, "sethostname", NULL);
        return __real_sethostname(name, len);
}
