/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Storage drivers that need no block device: ephemeral (tmpfs, hugetlbfs),
 * local (a directory), bind, virtio-fs, 9p and overlayfs. Each checks the
 * request, builds its options (storage_opts.c), mounts, then applies
 * fs_group; a failure after the mount unmounts again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "storage_internal.h"
#include "util.h"

#define HUGEPAGES_SYSFS "/sys/kernel/mm/hugepages"

static const char *nonempty(const char *s, const char *fallback)
{
        return s && *s ? s : fallback;
}

/* The storage's fstype must be `want` (or empty, meaning it). */
static int check_fstype(const Grpc__Storage *s, const char *want, struct rpc_error *e)
{
        if (!s->fstype || !*s->fstype || streq(s->fstype, want))
                return 0;
        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s storage must have fstype `%s`, not `%.64s`",
                             s->driver, want, s->fstype);
}

/* fs_group after the mount; a failure takes the mount down again. */
static int finish(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        int r = storage_apply_fs_group(s, s->mount_point, e);
        if (r < 0 && m->mounted) {
                (void)storage_sys_umount(s->mount_point, MNT_DETACH);
                m->mounted = false;
        }
        return r;
}

/*
 * Kata's fsgid= option: the root's group; with `set_mode`, then `mode` plus
 * setgid so that new files inherit the group.
 */
static int apply_fsgid(const char *path, const struct storage_opts *o, bool set_mode, mode_t mode,
                       struct rpc_error *e)
{
        int r = 0;
        if (!o->has_fsgid)
                return 0;
        if (chown(path, (uid_t)-1, o->fsgid) < 0 || (set_mode && chmod(path, (mode & 07777) | S_ISGID) < 0))
                r = -errno;
        return r < 0 ? rpc_error_set(e, grpc_code_from_errno(r), r, "cannot give `%.200s` the group %u: %s", path,
                                     (unsigned)o->fsgid, strerror(-r))
                     : 0;
}

/* Writes the number of huge pages and checks the kernel found them all. */
static int allocate_hugepages(const struct storage_opts *o, struct rpc_error *e)
{
        uint64_t page_kib, pages, got;
        char path[128], num[32];
        int r = storage_opts_hugepages(o, &page_kib, &pages, e);
        if (r < 0)
                return r;
        snprintf(path, sizeof path, HUGEPAGES_SYSFS "/hugepages-%llukB/nr_hugepages", (unsigned long long)page_kib);
        snprintf(num, sizeof num, "%llu", (unsigned long long)pages);
        if ((r = write_string_file(path, num)) < 0 || (r = read_small_file(path, num, sizeof num, NULL)) < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot reserve %s huge pages of %llu KiB in %s: %s",
                                     num, (unsigned long long)page_kib, path, strerror(-r));
        if (parse_u64(strstrip_trailing(num), 10, &got) < 0 || got != pages)
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM,
                                     "only %s of %llu huge pages of %llu KiB could be reserved", num,
                                     (unsigned long long)pages, (unsigned long long)page_kib);
        return 0;
}

int storage_mount_ephemeral(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        struct storage_opts o;
        const char *fstype = nonempty(s->fstype, "tmpfs");
        int r = storage_opts_parse(s->options, s->n_options, &o, e);
        if (r < 0)
                return r;
        if (streq(fstype, "hugetlbfs"))
                r = allocate_hugepages(&o, e);
        else if (!streq(fstype, "tmpfs"))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "ephemeral storage must be tmpfs or hugetlbfs, not `%.32s`", fstype);
        if (r == 0)
                r = storage_mount_fs(s, m, nonempty(s->source, fstype), fstype, &o, e);
        if (r == 0 && o.has_fsgid) {
                struct stat st;
                r = stat(s->mount_point, &st) < 0
                            ? rpc_error_set(e, GRPC_INTERNAL, -errno, "cannot stat `%.200s`", s->mount_point)
                            : apply_fsgid(s->mount_point, &o, true, st.st_mode, e);
                if (r < 0) {
                        (void)storage_sys_umount(s->mount_point, MNT_DETACH);
                        m->mounted = false;
                        return r;
                }
        }
        return r < 0 ? r : finish(s, m, e);
}

int storage_remount_ephemeral(const Grpc__Storage *s, struct rpc_error *e)
{
        struct storage_opts o;
        int r = storage_opts_parse(s->options, s->n_options, &o, e);
        if (r < 0 || s->n_options == 0)
                return r;
        const char *fstype = nonempty(s->fstype, "tmpfs");
        r = storage_sys_mount(nonempty(s->source, fstype), s->mount_point, fstype, MS_REMOUNT | o.flags,
                              o.data[0] ? o.data : NULL);
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot remount `%.200s` with `%.200s`: %s",
                                     s->mount_point, o.data, strerror(-r));
        return 0;
}

int storage_mount_local(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        struct storage_opts o;
        int r = storage_opts_parse(s->options, s->n_options, &o, e);
        if (r < 0)
                return r;
        /* As Kata: the mode only when the options name one (mkdir's 0777 is subject to the umask). */
        if ((r = storage_mkdir_p(s->mount_point, o.has_mode ? o.mode : 0777)) == 0 && o.has_mode &&
            chmod(s->mount_point, o.mode) < 0)
                r = -errno;
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot create local storage `%.200s`: %s",
                                     s->mount_point, strerror(-r));
        if ((r = apply_fsgid(s->mount_point, &o, o.has_mode, o.mode, e)) < 0)
                return r;
        m->mounted = false;
        return finish(s, m, e);
}

/* The mount target for a bind: a directory, or an (empty) file for a file. */
int storage_make_target(const char *path, bool dir)
{
        char parent[512];
        if (dir)
                return storage_mkdir_p(path, 0755);
        snprintf(parent, sizeof parent, "%s", path);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
                *slash = '\0';
                int r = storage_mkdir_p(parent, 0755);
                if (r < 0)
                        return r;
        }
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        return fd < 0 && errno != EISDIR ? -errno : 0;
}

int storage_mount_bind(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        struct storage_opts o;
        struct stat st;
        int r = storage_opts_parse(s->options, s->n_options, &o, e);
        if (r < 0)
                return r;
        if (!s->source || !*s->source || stat(s->source, &st) < 0)
                return rpc_error_set(e, GRPC_NOT_FOUND, -ENOENT, "bind storage source `%.200s` does not exist",
                                     nonempty(s->source, ""));
        unsigned long extra = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        r = storage_make_target(s->mount_point, S_ISDIR(st.st_mode));
        if (r == 0)
                r = storage_sys_mount(s->source, s->mount_point, NULL, MS_BIND | MS_REC, NULL);
        if (r == 0 && extra &&
            (r = storage_sys_mount(NULL, s->mount_point, NULL, MS_REMOUNT | MS_BIND | extra, NULL)) < 0)
                (void)storage_sys_umount(s->mount_point, MNT_DETACH);
        if (r == 0 && o.propagation &&
            (r = storage_sys_mount(NULL, s->mount_point, NULL, o.propagation, NULL)) < 0)
                (void)storage_sys_umount(s->mount_point, MNT_DETACH);
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot bind `%.200s` at `%.200s`: %s", s->source,
                                     s->mount_point, strerror(-r));
        m->mounted = true;
        return 0;
}

/* virtio-fs and 9p name the host's share by its tag in `source`. */
static int check_tag(const Grpc__Storage *s, struct rpc_error *e)
{
        if (s->source && *s->source)
                return 0;
        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s storage at `%.200s` needs the share's tag as "
                             "its source", s->driver, s->mount_point);
}

int storage_mount_virtiofs(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        struct storage_opts o;
        int r = check_fstype(s, "virtiofs", e);
        if (r == 0)
                r = check_tag(s, e);
        if (r == 0)
                r = storage_opts_parse(s->options, s->n_options, &o, e);
        if (r == 0)
                r = storage_opts_virtiofs(&o, e);
        if (r == 0)
                r = storage_mount_fs(s, m, s->source, "virtiofs", &o, e);
        return r < 0 ? r : finish(s, m, e);
}

int storage_mount_9p(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        struct storage_opts o;
        int r = check_fstype(s, "9p", e);
        if (r == 0)
                r = check_tag(s, e);
        if (r == 0)
                r = storage_opts_parse(s->options, s->n_options, &o, e);
        if (r == 0)
                r = storage_opts_9p(&o, e);
        if (r == 0)
                r = storage_mount_fs(s, m, s->source, "9p", &o, e);
        return r < 0 ? r : finish(s, m, e);
}

/* Copies the value of an overlay option (a path) into buf; -ENOENT when absent. */
static int overlay_dir(const struct storage_opts *o, const char *key, char *buf, size_t size)
{
        size_t len;
        const char *v = storage_opts_get(o, key, &len);
        if (!v)
                return -ENOENT;
        if (len == 0 || len >= size)
                return -EINVAL;
        memcpy(buf, v, len);
        buf[len] = '\0';
        return 0;
}

/*
 * upperdir and workdir: given together, or made by Kata's overlay-rw
 * convention beside the mount point (<dir>/rootfs → <dir>/upper, <dir>/work).
 * Either way they are created when missing.
 */
static int overlay_rw_dirs(const Grpc__Storage *s, struct storage_opts *o, struct rpc_error *e)
{
        char upper[512], work[512], base[512];
        int ru = overlay_dir(o, "upperdir", upper, sizeof upper), rw = overlay_dir(o, "workdir", work, sizeof work);
        if (o->overlay_rw) {
                if (ru != -ENOENT || rw != -ENOENT)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "overlay storage at `%.200s`: "
                                             "io.katacontainers.fs-opt.overlay-rw makes upperdir and workdir itself; "
                                             "do not give them", s->mount_point);
                snprintf(base, sizeof base, "%s", s->mount_point);
                char *slash = strrchr(base, '/');
                *(slash == base ? slash + 1 : slash) = '\0';
                snprintf(upper, sizeof upper, "%.400s/upper", streq(base, "/") ? "" : base);
                snprintf(work, sizeof work, "%.400s/work", streq(base, "/") ? "" : base);
                int r = storage_opts_default(o, "upperdir", upper, e);
                if (r == 0)
                        r = storage_opts_default(o, "workdir", work, e);
                if (r < 0)
                        return r;
        } else if (ru == -ENOENT && rw == -ENOENT) {
                return 0; /* read-only overlay of lower layers */
        } else if (ru < 0 || rw < 0) {
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "overlay storage at `%.200s` needs both "
                                     "upperdir and workdir (absolute paths under 512 bytes), or neither",
                                     s->mount_point);
        }
        int r = storage_mkdir_p(upper, 0755);
        if (r == 0)
                r = storage_mkdir_p(work, 0755);
        return r < 0 ? rpc_error_set(e, grpc_code_from_errno(r), r, "cannot create overlay upperdir `%.200s` or "
                                     "workdir `%.200s`: %s", upper, work, strerror(-r))
                     : 0;
}

int storage_mount_overlay(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        struct storage_opts o;
        int r = check_fstype(s, "overlay", e);
        if (r == 0)
                r = storage_opts_parse(s->options, s->n_options, &o, e);
        if (r < 0)
                return r;
        if (!storage_opts_get(&o, "lowerdir", NULL))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "overlay storage at `%.200s` needs a "
                                     "lowerdir= option", s->mount_point);
        if ((r = overlay_rw_dirs(s, &o, e)) < 0)
                return r;
        if ((r = storage_mount_fs(s, m, nonempty(s->source, "overlay"), "overlay", &o, e)) < 0)
                return r;
        return finish(s, m, e);
}
