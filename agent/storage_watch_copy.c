/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watchable-bind's copy: measure the source, and bring the target in line
 * with it. Everything is relative to directory descriptors opened with
 * O_NOFOLLOW, so links inside the source are copied as links, never followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "storage_internal.h"
#include "storage_watch.h"
#include "util.h"

#define REMOVE_MAX_DEPTH 32 /* what a container wrote into the copy is removed down to this depth */

struct sync_ctx {
        int ifd;
        struct watch_tally *t;
        char path[4096]; /* the source directory being synced, for inotify_add_watch */
};

static int tally_add(struct watch_tally *t, const struct stat *st)
{
        t->entries++;
        if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode))
                t->bytes += (uint64_t)st->st_size;
        return t->entries > WATCH_MAX_ENTRIES || t->bytes > WATCH_MAX_BYTES ? -E2BIG : 0;
}

static int open_dir_at(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* A DIR stream of its own for fd (fd stays the caller's). */
static DIR *dir_of(int fd)
{
        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return NULL;
        DIR *d = fdopendir(dfd);
        if (!d)
                close(dfd);
        return d;
}

static bool skip_name(const char *n)
{
        return streq(n, ".") || streq(n, "..") || streq(n, WATCH_TMP_NAME);
}

static int measure_dir(int fd, struct watch_tally *t)
{
        _cleanup_closedir_ DIR *d = dir_of(fd);
        struct dirent *de;
        int r = 0;
        if (!d)
                return -errno;
        while (r == 0 && (de = readdir(d))) {
                struct stat st;
                if (skip_name(de->d_name))
                        continue;
                if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = errno == ENOENT ? 0 : -errno;
                        continue;
                }
                if ((r = tally_add(t, &st)) == 0 && S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub = open_dir_at(fd, de->d_name);
                        r = sub < 0 ? sub : measure_dir(sub, t);
                }
        }
        return r;
}

int watch_measure(const char *source, struct watch_tally *t)
{
        struct stat st;
        struct watch_tally n = { 0 };
        _cleanup_close_ int fd = open(source, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        int r = tally_add(&n, &st);
        if (r == 0 && S_ISDIR(st.st_mode))
                r = measure_dir(fd, &n);
        if (r == 0)
                *t = n;
        return r;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
        return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
               a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && (a->st_mode & 07777) == (b->st_mode & 07777) &&
               a->st_uid == b->st_uid && a->st_gid == b->st_gid;
}

static int copy_data(int in, int out)
{
        char buf[16384];
        uint64_t total = 0;
        for (;;) {
                ssize_t n = read(in, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                if ((total += (uint64_t)n) > WATCH_MAX_BYTES)
                        return -EFBIG;
                int r = write_all(out, buf, (size_t)n);
                if (r < 0)
                        return r;
        }
}

/* Owner first: chown clears set-id bits, which the mode then restores. */
static int copy_attrs(int out, const struct stat *st)
{
        struct timespec times[2] = { st->st_atim, st->st_mtim };
        if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0 || futimens(out, times) < 0)
                return -errno;
        return 0;
}

static int copy_file(int src, int dst, const char *name)
{
        struct stat st;
        _cleanup_close_ int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (in < 0 || fstat(in, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        (void)unlinkat(dst, WATCH_TMP_NAME, 0);
        _cleanup_close_ int out = openat(dst, WATCH_TMP_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return -errno;
        int r = copy_data(in, out);
        if (r == 0)
                r = copy_attrs(out, &st);
        if (r == 0 && renameat(dst, WATCH_TMP_NAME, dst, name) < 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(dst, WATCH_TMP_NAME, 0);
        return r;
}

static int copy_link(int src, int dst, const char *name, const struct stat *st)
{
        char want[4096], have[4096];
        ssize_t n = readlinkat(src, name, want, sizeof want - 1);
        if (n < 0)
                return errno == ENOENT ? 0 : -errno;
        want[n] = '\0';
        ssize_t h = readlinkat(dst, name, have, sizeof have - 1);
        if (h == n && memcmp(want, have, (size_t)n) == 0)
                return 0;
        (void)unlinkat(dst, WATCH_TMP_NAME, 0);
        if (symlinkat(want, dst, WATCH_TMP_NAME) < 0)
                return -errno;
        if (fchownat(dst, WATCH_TMP_NAME, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
            renameat(dst, WATCH_TMP_NAME, dst, name) < 0) {
                int r = -errno;
                (void)unlinkat(dst, WATCH_TMP_NAME, 0);
                return r;
        }
        return 0;
}

static int remove_tree(int dirfd, const char *name, int depth)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        if (depth > REMOVE_MAX_DEPTH)
                return -ELOOP;
        _cleanup_close_ int fd = open_dir_at(dirfd, name);
        if (fd < 0)
                return fd;
        _cleanup_closedir_ DIR *d = dir_of(fd);
        struct dirent *de;
        int r = d ? 0 : -errno;
        while (r == 0 && d && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = remove_tree(fd, de->d_name, depth + 1);
        if (r == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                r = -errno;
        return r;
}

static int add_watch(const struct sync_ctx *c)
{
        return c->ifd >= 0 && inotify_add_watch(c->ifd, c->path, WATCH_EVENTS) < 0 ? -errno : 0;
}

static int sync_dir(struct sync_ctx *c, int src, int dst);

static int sync_subdir(struct sync_ctx *c, int src, int dst, const char *name, const struct stat *st)
{
        size_t len = strlen(c->path);
        if (len + 1 + strlen(name) >= sizeof c->path)
                return -ENAMETOOLONG;
        _cleanup_close_ int s = open_dir_at(src, name);
        _cleanup_close_ int d = open_dir_at(dst, name);
        if (s < 0 || d < 0)
                return s < 0 ? s : d;
        if (fchown(d, st->st_uid, st->st_gid) < 0 || fchmod(d, st->st_mode & 07777) < 0)
                return -errno;
        snprintf(c->path + len, sizeof c->path - len, "/%s", name);
        int r = add_watch(c);
        if (r == 0)
                r = sync_dir(c, s, d);
        c->path[len] = '\0';
        return r;
}

static int sync_entry(struct sync_ctx *c, int src, int dst, const char *name)
{
        struct stat ss, ds;
        if (fstatat(src, name, &ss, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        int r = tally_add(c->t, &ss);
        if (r < 0)
                return r;
        bool have = fstatat(dst, name, &ds, AT_SYMLINK_NOFOLLOW) == 0;
        if (have && (ds.st_mode & S_IFMT) != (ss.st_mode & S_IFMT)) {
                if ((r = remove_tree(dst, name, 0)) < 0)
                        return r;
                have = false;
        }
        switch (ss.st_mode & S_IFMT) {
        case S_IFDIR:
                if (!have && mkdirat(dst, name, 0700) < 0)
                        return -errno;
                return sync_subdir(c, src, dst, name, &ss);
        case S_IFREG:
                return have && same_file(&ss, &ds) ? 0 : copy_file(src, dst, name);
        case S_IFLNK:
                return copy_link(src, dst, name, &ss);
        default:
                return 0; /* fifos, sockets, devices are not copied */
        }
}

static int sync_dir(struct sync_ctx *c, int src, int dst)
{
        _cleanup_closedir_ DIR *sd = dir_of(src);
        _cleanup_closedir_ DIR *dd = dir_of(dst);
        struct dirent *de;
        struct stat st;
        int r = sd && dd ? 0 : -errno;
        while (r == 0 && (de = readdir(sd)))
                if (!skip_name(de->d_name))
                        r = sync_entry(c, src, dst, de->d_name);
        /* Then what is no longer in the source. */
        while (r == 0 && (de = readdir(dd)))
                if (!skip_name(de->d_name) && fstatat(src, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
                    errno == ENOENT)
                        r = remove_tree(dst, de->d_name, 0);
        return r;
}

/* One file, in place: the target may be bind-mounted into containers. */
static int sync_file(const char *source, const char *target, int ifd, struct watch_tally *t)
{
        struct stat ss, ds;
        char parent[4096];
        _cleanup_close_ int in = open(source, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (in < 0 || fstat(in, &ss) < 0)
                return -errno;
        int r = tally_add(t, &ss);
        if (r < 0)
                return r;
        snprintf(parent, sizeof parent, "%s", source);
        char *slash = strrchr(parent, '/');
        if (slash)
                *(slash == parent ? slash + 1 : slash) = '\0';
        if (ifd >= 0 && slash && inotify_add_watch(ifd, parent, WATCH_EVENTS) < 0)
                return -errno;
        if (lstat(target, &ds) == 0 && same_file(&ss, &ds))
                return 0;
        _cleanup_close_ int out = open(target, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
        if (out < 0)
                return -errno;
        r = copy_data(in, out);
        return r < 0 ? r : copy_attrs(out, &ss);
}

int watch_sync(const char *source, bool is_file, const char *target, int ifd, struct watch_tally *t)
{
        struct stat st;
        struct sync_ctx c = { .ifd = ifd, .t = t };
        memset(t, 0, sizeof *t);
        if (is_file)
                return sync_file(source, target, ifd, t);
        if (strlen(source) >= sizeof c.path)
                return -ENAMETOOLONG;
        snprintf(c.path, sizeof c.path, "%s", source);
        _cleanup_close_ int src = open(source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int dst = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (src < 0 || dst < 0 || fstat(src, &st) < 0)
                return -errno;
        int r = tally_add(t, &st);
        if (r == 0 && (fchown(dst, st.st_uid, st.st_gid) < 0 || fchmod(dst, st.st_mode & 07777) < 0))
                r = -errno;
        if (r == 0)
                r = add_watch(&c);
        return r < 0 ? r : sync_dir(&c, src, dst);
}
