/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container's root filesystem, set up by the child in its new mount
 * namespace: the spec's mounts, default and spec devices, pivot_root (or
 * MS_MOVE + chroot where / is an initramfs), then masked and read-only paths.
 *
 * Every mount target is resolved with openat2(RESOLVE_IN_ROOT) and mounted
 * through /proc/self/fd/N: a symlink in the image cannot send a mount outside
 * the container's root.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "child.h"
#include "macro.h"
#include "status.h"
#include "util.h"

#define FD_PATH_MAX 32

static int sys_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
        struct open_how how = { .flags = (uint64_t)flags, .resolve = resolve };
        return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* Symlinks followed in one lookup by resolve_by_hand(), as the kernel's limit, before ELOOP. */
#define WALK_LINKS_MAX 40

/* Replaces *cur (closing it) with fd; returns fd, or -errno when fd < 0. */
static int walk_step(int *cur, int fd)
{
        if (fd < 0)
                return -errno;
        close(*cur);
        *cur = fd;
        return fd;
}

/*
 * RESOLVE_IN_ROOT by hand where openat2 is missing (Linux < 5.6, or the agent
 * run under valgrind 3.19, which does not know the syscall): each component
 * is opened O_NOFOLLOW from the one before; a symlink's text is spliced into
 * the rest of the path, an absolute one starting again at the root, and ".."
 * at the root stays there. A /proc magic link is treated as its text too,
 * never jumped through. Only O_PATH lookups (all this file makes).
 */
static int resolve_by_hand(int root_fd, const char *rel, int flags)
{
        char path[4096], next[4096], target[4096];
        struct stat root_st, st;
        int links = 0;
        if (fstat(root_fd, &root_st) < 0)
                return -errno;
        if (snprintf(path, sizeof path, "%s", rel) >= (int)sizeof path)
                return -ENAMETOOLONG;
        int cur = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return -errno;
        for (char *p = path;;) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                char *end = strchrnul(p, '/');
                char saved = *end;
                *end = '\0';
                int r = 0;
                if (streq(p, "..")) {
                        if (fstat(cur, &st) < 0)
                                r = -errno;
                        else if (st.st_dev != root_st.st_dev || st.st_ino != root_st.st_ino)
                                r = walk_step(&cur, openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
                } else if (!streq(p, ".")) {
                        int fd = openat(cur, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISLNK(st.st_mode)) {
                                r = walk_step(&cur, fd);
                        } else {
                                ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
                                close(fd);
                                *end = saved;
                                if (n < 0)
                                        r = -errno;
                                else if (++links > WALK_LINKS_MAX)
                                        r = -ELOOP;
                                else {
                                        target[n] = '\0';
                                        if (snprintf(next, sizeof next, "%s/%s", target, end) >= (int)sizeof next)
                                                r = -ENAMETOOLONG;
                                        else if (target[0] == '/')
                                                r = walk_step(&cur, openat(root_fd, ".",
                                                                           O_PATH | O_DIRECTORY | O_CLOEXEC));
                                }
                                if (r < 0) {
                                        close(cur);
                                        return r;
                                }
                                memcpy(path, next, sizeof path);
                                p = path;
                                continue;
                        }
                }
                if (r < 0) {
                        close(cur);
                        return r;
                }
                *end = saved;
                p = end;
        }
        if ((flags & O_DIRECTORY) && (fstat(cur, &st) < 0 || !S_ISDIR(st.st_mode))) {
                close(cur);
                return -ENOTDIR;
        }
        return cur;
}

static int resolve(int root_fd, const char *rel, int flags)
{
        int fd = sys_openat2(root_fd, *rel ? rel : ".", flags | O_CLOEXEC,
                             RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd < 0 && errno == ENOSYS)
                return resolve_by_hand(root_fd, rel, flags);
        return fd < 0 ? -errno : fd;
}

/* Symlinks to missing targets followed while making a mount target, before ELOOP. */
#define DANGLING_LINKS_MAX 8

static int open_in_root_depth(int root_fd, const char *path, enum create_kind create, int depth);

/*
 * `name` in `parent` (at prefix[0..dir_len)) is a symlink whose target is
 * missing, as images often have (/etc/resolv.conf → ../run/systemd/resolve/…):
 * make the target instead, inside the root, as runc does. The link's text is
 * joined with the rest of the path and walked again; RESOLVE_IN_ROOT keeps
 * every ".." and absolute target inside the root.
 */
static int follow_dangling(int root_fd, int parent, const char *name, const char *prefix, size_t dir_len,
                           const char *rest, enum create_kind create, int depth)
{
        char target[4096], path[4096];
        ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
        if (n < 0)
                return -ENOENT; /* not a symlink: simply missing */
        target[n] = '\0';
        if (depth >= DANGLING_LINKS_MAX)
                return -ELOOP;
        int len = target[0] == '/' ? snprintf(path, sizeof path, "%s%s%s", target, *rest ? "/" : "", rest)
                                   : snprintf(path, sizeof path, "%.*s%s%s%s%s", (int)dir_len, prefix,
                                              dir_len ? "/" : "", target, *rest ? "/" : "", rest);
        if (len < 0 || (size_t)len >= sizeof path)
                return -ENAMETOOLONG;
        return open_in_root_depth(root_fd, path, create, depth + 1);
}

int open_in_root(int root_fd, const char *path, enum create_kind create)
{
        return open_in_root_depth(root_fd, path, create, 0);
}

static int open_in_root_depth(int root_fd, const char *path, enum create_kind create, int depth)
{
        const char *rel = path;
        while (*rel == '/')
                rel++;
        int fd = resolve(root_fd, rel, O_PATH);
        if (fd >= 0 || fd != -ENOENT || create == CREATE_NONE)
                return fd;

        /* Walk down, making what is missing; each prefix is resolved afresh inside the root. */
        char prefix[4096];
        size_t plen = 0;
        int parent = resolve(root_fd, "", O_PATH | O_DIRECTORY);
        for (const char *c = rel; parent >= 0 && *c;) {
                const char *end = strchrnul(c, '/');
                const char *next = end;
                while (*next == '/')
                        next++;
                bool last = *next == '\0';
                size_t n = (size_t)(end - c);
                char name[256];
                if (n >= sizeof name || plen + n + 2 > sizeof prefix) {
                        close(parent);
                        return -ENAMETOOLONG;
                }
                size_t dir_len = plen;
                if (plen)
                        prefix[plen++] = '/';
                memcpy(prefix + plen, c, n);
                plen += n;
                prefix[plen] = '\0';
                memcpy(name, c, n);
                name[n] = '\0';

                int flags = O_PATH | (last ? 0 : O_DIRECTORY);
                int child = resolve(root_fd, prefix, flags);
                if (child == -ENOENT) {
                        int r;
                        if (last && create == CREATE_FILE) {
                                r = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                                if (r >= 0)
                                        close(r);
                        } else
                                r = mkdirat(parent, name, 0755);
                        if (r < 0 && errno != EEXIST && errno != ELOOP) {
                                int err = -errno;
                                close(parent);
                                return err;
                        }
                        child = resolve(root_fd, prefix, flags);
                        if (child == -ENOENT) {
                                /* Still missing although the name is there: a dangling symlink. */
                                child = follow_dangling(root_fd, parent, name, prefix, dir_len, next, create, depth);
                                close(parent);
                                return child;
                        }
                }
                close(parent);
                parent = child;
                c = next;
        }
        return parent;
}

static void fd_path(char buf[FD_PATH_MAX], int fd)
{
        snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

/* Re-resolves `target` so the path now reaches the mount just made on it. */
static int mount_again(int root_fd, const char *target, unsigned long flags, const char *data)
{
        char p[FD_PATH_MAX];
        int fd = open_in_root(root_fd, target, CREATE_NONE);
        if (fd < 0)
                return fd;
        fd_path(p, fd);
        int r = mount(NULL, p, NULL, flags, data) < 0 ? -errno : 0;
        close(fd);
        return r;
}

/*
 * "cgroup" mounts. v2: the cgroup2 filesystem (inside a cgroup namespace it
 * shows the container's group as its root). v1: a tmpfs holding one directory
 * per hierarchy, each the hierarchy itself inside a cgroup namespace, or else a
 * bind of the container's own group, so the host's tree stays out of sight.
 */
static int mount_cgroup(const struct plan *p, int root_fd, const char *target, const char *target_path,
                        unsigned long flags)
{
        if (p->cgroup_v2 || !p->cgroup_env)
                return mount("cgroup2", target_path, "cgroup2", flags, NULL) < 0 ? -errno : 0;
        if (mount("tmpfs", target_path, "tmpfs", flags & ~MS_RDONLY, "mode=755") < 0)
                return -errno;
        const struct cgroup_env *env = p->cgroup_env;
        for (size_t i = 0; i < env->n_v1; i++) {
                const char *dir = strrchr(env->v1[i].mount, '/');
                dir = dir ? dir + 1 : env->v1[i].mount;
                bool seen = false;
                for (size_t k = 0; k < i; k++)
                        seen = seen || strcmp(env->v1[k].mount, env->v1[i].mount) == 0;
                if (seen)
                        continue; /* co-mounted controllers share one hierarchy */
                char path[512], src[1024], fdp[FD_PATH_MAX];
                snprintf(path, sizeof path, "%s/%s", target, dir);
                int fd = open_in_root(root_fd, path, CREATE_DIR);
                if (fd < 0)
                        return fd;
                fd_path(fdp, fd);
                int r;
                if (p->ns[NS_CGROUP].present)
                        r = mount("cgroup", fdp, "cgroup", flags, dir);
                else {
                        snprintf(src, sizeof src, "%s%s", env->v1[i].mount, p->cgroup_rel ? p->cgroup_rel : "");
                        r = mount(src, fdp, NULL, MS_BIND, NULL);
                }
                int e = errno;
                close(fd);
                if (r < 0 && e != ENOENT)
                        return -e;
                if (r == 0 && (flags & MS_RDONLY))
                        (void)mount_again(root_fd, path, MS_REMOUNT | MS_BIND | MS_RDONLY | (flags & ~MS_REC), NULL);
        }
        return 0;
}

static int do_mount(const struct plan *p, int root_fd, const struct mount_plan *m, struct sync_msg *err)
{
        char target[FD_PATH_MAX];
        enum create_kind kind = CREATE_DIR;
        struct stat st;

        if (m->bind && stat(m->source, &st) == 0 && !S_ISDIR(st.st_mode))
                kind = CREATE_FILE;
        int fd = open_in_root(root_fd, m->target, kind);
        if (fd < 0)
                return child_fail(err, -fd, GRPC_INVALID_ARGUMENT,
                                  "cannot create mount point `%s`: %s", m->target, strerror(-fd));
        fd_path(target, fd);
        int r;
        if (m->bind)
                r = mount(m->source, target, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0 ? -errno : 0;
        else if (m->is_cgroup)
                r = mount_cgroup(p, root_fd, m->target, target, m->flags);
        else
                r = mount(m->source ? m->source : m->fstype, target, m->fstype, m->flags,
                          m->data[0] ? m->data : NULL) < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
                return child_fail(err, -r, r == -ENOENT ? GRPC_NOT_FOUND : GRPC_INVALID_ARGUMENT,
                                  "cannot mount %s `%s` on `%s`: %s", m->bind ? "bind" : m->fstype,
                                  m->source ? m->source : "", m->target, strerror(-r));
        if (m->remount_after_bind) {
                r = mount_again(root_fd, m->target, MS_REMOUNT | MS_BIND | (m->flags & ~MS_REC), NULL);
                if (r < 0)
                        return child_fail(err, -r, GRPC_INTERNAL, "cannot apply options to bind mount `%s`: %s",
                                          m->target, strerror(-r));
        }
        if (m->is_cgroup && !p->cgroup_v2 && p->cgroup_env && (m->flags & MS_RDONLY)) {
                /* The tmpfs holding the hierarchies becomes read-only last. */
                r = mount_again(root_fd, m->target, MS_REMOUNT | MS_RDONLY | (m->flags & ~MS_REC), NULL);
                if (r < 0)
                        return child_fail(err, -r, GRPC_INTERNAL, "cannot remount `%s`: %s", m->target,
                                          strerror(-r));
        }
        if (m->propagation) {
                r = mount_again(root_fd, m->target, m->propagation, NULL);
                if (r < 0)
                        return child_fail(err, -r, GRPC_INTERNAL, "cannot set propagation of `%s`: %s",
                                          m->target, strerror(-r));
        }
        return 0;
}

/* The devices every container gets, as runc gives them. */
static const struct {
        const char *name;
        unsigned major, minor;
} default_devices[] = {
        { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 },
        { "tty", 5, 0 },
};

static const struct {
        const char *name, *target;
} default_links[] = {
        { "fd", "/proc/self/fd" },        { "stdin", "/proc/self/fd/0" },
        { "stdout", "/proc/self/fd/1" },  { "stderr", "/proc/self/fd/2" },
        { "ptmx", "pts/ptmx" },
};

/* mknod, or (in a user namespace, where mknod is refused) a bind mount of the agent's node. */
static int make_device(int dir_fd, const char *name, mode_t mode, dev_t dev, uid_t uid, gid_t gid,
                       const char *host_path)
{
        if (mknodat(dir_fd, name, mode, dev) == 0 || errno == EEXIST) {
                (void)fchownat(dir_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
                (void)fchmodat(dir_fd, name, mode & 07777, 0);
                return 0;
        }
        if (errno != EPERM || !host_path)
                return -errno;
        int fd = openat(dir_fd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        char target[FD_PATH_MAX];
        fd_path(target, fd);
        int r = mount(host_path, target, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
        close(fd);
        return r;
}

static int setup_devices(const struct plan *p, int root_fd, struct sync_msg *err)
{
        int dev = open_in_root(root_fd, "/dev", CREATE_DIR);
        if (dev < 0)
                return child_fail(err, -dev, GRPC_INTERNAL, "cannot open /dev: %s", strerror(-dev));
        for (size_t i = 0; p->default_devices && i < ARRAY_SIZE(default_devices); i++) {
                char host[32];
                snprintf(host, sizeof host, "/dev/%s", default_devices[i].name);
                int r = make_device(dev, default_devices[i].name, S_IFCHR | 0666,
                                    makedev(default_devices[i].major, default_devices[i].minor), 0, 0, host);
                if (r < 0) {
                        close(dev);
                        return child_fail(err, -r, GRPC_INTERNAL, "cannot create /dev/%s: %s",
                                          default_devices[i].name, strerror(-r));
                }
        }
        for (size_t i = 0; p->default_devices && i < ARRAY_SIZE(default_links); i++)
                if (symlinkat(default_links[i].target, dev, default_links[i].name) < 0 && errno != EEXIST) {
                        int r = errno;
                        close(dev);
                        return child_fail(err, r, GRPC_INTERNAL, "cannot link /dev/%s: %s",
                                          default_links[i].name, strerror(r));
                }
        (void)mkdirat(dev, "shm", 01777);
        (void)mkdirat(dev, "pts", 0755);
        close(dev);

        for (size_t i = 0; i < p->n_devices; i++) {
                const struct device_plan *d = &p->devices[i];
                char parent[256];
                const char *slash = strrchr(d->path, '/');
                size_t n = (size_t)(slash - d->path);
                memcpy(parent, d->path, n);
                parent[n] = '\0';
                int dir = open_in_root(root_fd, n ? parent : "/", CREATE_DIR);
                int r = dir < 0 ? dir : make_device(dir, slash + 1, d->mode, d->dev, d->uid, d->gid, d->path);
                if (dir >= 0)
                        close(dir);
                if (r < 0)
                        return child_fail(err, -r, GRPC_INTERNAL, "cannot create device `%s`: %s",
                                          d->path, strerror(-r));
        }
        return 0;
}

int child_setup_rootfs(const struct plan *p, struct sync_msg *err)
{
        /* Nothing done here may propagate back to the agent's namespace. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return child_fail(err, errno, GRPC_INTERNAL, "cannot make / a slave mount: %s", strerror(errno));
        if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return child_fail(err, errno, GRPC_INTERNAL, "cannot bind the root `%s`: %s", p->rootfs,
                                  strerror(errno));
        int root_fd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return child_fail(err, errno, GRPC_NOT_FOUND, "cannot open the root `%s`: %s", p->rootfs,
                                  strerror(errno));
        int r = 0;
        for (size_t i = 0; r == 0 && i < p->n_mounts; i++)
                r = do_mount(p, root_fd, &p->mounts[i], err);
        if (r == 0)
                r = setup_devices(p, root_fd, err);
        close(root_fd);
        if (r < 0)
                return r;

        for (size_t i = 0; i < p->n_sysctls; i++) {
                int fd = open(p->sysctls[i].path, O_WRONLY | O_CLOEXEC);
                ssize_t n = fd < 0 ? -1 : write(fd, p->sysctls[i].value, strlen(p->sysctls[i].value));
                int e = errno;
                if (fd >= 0)
                        close(fd);
                if (n < 0)
                        return child_fail(err, e, GRPC_INVALID_ARGUMENT, "cannot set sysctl %s: %s",
                                          p->sysctls[i].path + 10, strerror(e));
        }

        /* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only the new. */
        if (chdir(p->rootfs) < 0)
                return child_fail(err, errno, GRPC_INTERNAL, "chdir to the root: %s", strerror(errno));
        if (syscall(SYS_pivot_root, ".", ".") == 0) {
                if (umount2(".", MNT_DETACH) < 0)
                        return child_fail(err, errno, GRPC_INTERNAL, "cannot detach the old root: %s",
                                          strerror(errno));
        } else if (errno == EINVAL) {
                /* An initramfs root cannot be pivoted away from: move the new root over it. */
                if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
                        return child_fail(err, errno, GRPC_INTERNAL, "cannot move to the new root: %s",
                                          strerror(errno));
        } else
                return child_fail(err, errno, GRPC_INTERNAL, "pivot_root: %s", strerror(errno));
        if (chdir("/") < 0)
                return child_fail(err, errno, GRPC_INTERNAL, "chdir /: %s", strerror(errno));
        if (mount(NULL, "/", NULL, p->rootfs_propagation, NULL) < 0)
                return child_fail(err, errno, GRPC_INTERNAL, "cannot set root propagation: %s", strerror(errno));
        return 0;
}

static int remount_readonly(const char *path)
{
        struct statvfs sv;
        if (statvfs(path, &sv) < 0)
                return -errno;
        /* A bind remount resets the per-mount flags it does not name: keep the current ones. */
        unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
        if (sv.f_flag & ST_NOSUID)
                flags |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV)
                flags |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC)
                flags |= MS_NOEXEC;
        return mount(NULL, path, NULL, flags, NULL) < 0 ? -errno : 0;
}

int child_finish_rootfs(const struct plan *p, struct sync_msg *err)
{
        /* After pivot: paths are the container's, inside its own /proc and /sys. */
        for (size_t i = 0; i < p->n_masked; i++) {
                struct stat st;
                if (stat(p->masked[i], &st) < 0)
                        continue; /* nothing to hide */
                int r = S_ISDIR(st.st_mode)
                                ? mount("tmpfs", p->masked[i], "tmpfs", MS_RDONLY, "size=0,mode=0555")
                                : mount("/dev/null", p->masked[i], NULL, MS_BIND, NULL);
                if (r < 0)
                        return child_fail(err, errno, GRPC_INTERNAL, "cannot mask `%s`: %s", p->masked[i],
                                          strerror(errno));
        }
        for (size_t i = 0; i < p->n_readonly; i++) {
                if (access(p->readonly[i], F_OK) < 0)
                        continue;
                int r = mount(p->readonly[i], p->readonly[i], NULL, MS_BIND | MS_REC, NULL) < 0 ? -errno : 0;
                if (r == 0)
                        r = remount_readonly(p->readonly[i]);
                if (r < 0)
                        return child_fail(err, -r, GRPC_INTERNAL, "cannot make `%s` read-only: %s",
                                          p->readonly[i], strerror(-r));
        }
        if (p->root_readonly) {
                int r = remount_readonly("/");
                if (r < 0)
                        return child_fail(err, -r, GRPC_INTERNAL, "cannot make the root read-only: %s",
                                          strerror(-r));
        }
        return 0;
}
