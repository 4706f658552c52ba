/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The storage driver table and what every storage goes through: checks of
 * the request, the registry (one mount per mount point, shared by
 * reference), and the owners' reference lists.
 */
#include "storage.h"
#include "storage_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan.h"
#include "util.h"

/* An owner's reference to a registry entry. */
struct storage_ref {
        struct list_head link;
        struct mounted_storage *m;
};

static int sys_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
                     const char *data)
{
        return mount(source, target, fstype, flags, data) < 0 ? -errno : 0;
}

static int sys_umount(const char *target, int flags)
{
        return umount2(target, flags) < 0 ? -errno : 0;
}

static const struct storage_sys_ops real_sys = { sys_mount, sys_umount };
const struct storage_sys_ops *storage_sys = &real_sys;

int storage_sys_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
                      const char *data)
{
        return storage_sys->mount(source, target, fstype, flags, data);
}

int storage_sys_umount(const char *target, int flags)
{
        return storage_sys->umount(target, flags);
}

int storage_mkdir_p(const char *path, mode_t mode)
{
        char buf[512];
        size_t n = strlen(path);
        if (n >= sizeof buf)
                return -ENAMETOOLONG;
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *p = '/';
                }
        return mkdir(buf, mode) < 0 && errno != EEXIST ? -errno : 0;
}

int storage_options(const Grpc__Storage *s, struct mount_plan *mp, struct rpc_error *e)
{
        memset(mp, 0, sizeof *mp);
        mp->target = s->mount_point;
        return plan_mount_options(mp, s->options, s->n_options, e);
}

int storage_mount_fs(const Grpc__Storage *s, struct mounted_storage *m, const char *source, const char *fstype,
                     const struct storage_opts *o, struct rpc_error *e)
{
        int r = storage_mkdir_p(s->mount_point, 0755);
        if (r == 0)
                r = storage_sys_mount(source, s->mount_point, fstype, o->flags, o->data[0] ? o->data : NULL);
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot mount %s `%.200s` at `%.200s` (options `%.200s`): %s",
                                     fstype, source, s->mount_point, o->data, strerror(-r));
        if (o->propagation && (r = storage_sys_mount(NULL, s->mount_point, NULL, o->propagation, NULL)) < 0) {
                (void)storage_sys_umount(s->mount_point, MNT_DETACH);
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot set the propagation of `%.200s`: %s",
                                     s->mount_point, strerror(-r));
        }
        m->mounted = true;
        return 0;
}

/* Block devices: storage_block.c (the RPC handlers wait for the devices first, hotplug.h). */
int storage_mount_blk(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
int storage_mount_mmioblk(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
int storage_mount_scsi(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
int storage_mount_nvdimm(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);

/* A new driver goes in both lists (test_storage_registry checks they agree). */
static const struct storage_handler handlers[] = {
        { "ephemeral", storage_mount_ephemeral },
        { "local", storage_mount_local },
        { "bind", storage_mount_bind },
        { "virtio-fs", storage_mount_virtiofs },
        { "9p", storage_mount_9p },
        { "overlayfs", storage_mount_overlay },
        { "watchable-bind", storage_mount_watchable },
        { "blk", storage_mount_blk },
        { "mmioblk", storage_mount_mmioblk },
        { "scsi", storage_mount_scsi },
        { "nvdimm", storage_mount_nvdimm },
};

const char *const storage_drivers[] = {
        "ephemeral", "local", "bind", "virtio-fs", "9p", "overlayfs", "watchable-bind",
        "blk",       "mmioblk", "scsi", "nvdimm",  NULL,
};

const struct storage_handler *storage_handler_find(const char *driver)
{
        for (size_t i = 0; driver && i < ARRAY_SIZE(handlers); i++)
                if (streq(driver, handlers[i].driver))
                        return &handlers[i];
        return NULL;
}

/* True when some component of the path is "..". */
static bool has_dotdot(const char *path)
{
        for (const char *c = path; *c;) {
                size_t len = strcspn(c, "/");
                if (len == 2 && c[0] == '.' && c[1] == '.')
                        return true;
                c += len;
                c += strspn(c, "/");
        }
        return false;
}

static const char *str_or_empty(const char *s)
{
        return s ? s : "";
}

static int check_request(const Grpc__Storage *s, struct rpc_error *e)
{
        const char *mp = s->mount_point;
        if (!mp || mp[0] != '/' || has_dotdot(mp) || strlen(mp) >= sizeof((struct mounted_storage *)0)->mount_point)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "storage mount point `%.200s` must be an "
                                     "absolute path without .., shorter than %zu bytes", str_or_empty(mp),
                                     sizeof((struct mounted_storage *)0)->mount_point);
        if (strlen(str_or_empty(s->source)) >= sizeof((struct mounted_storage *)0)->source)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "storage source `%.64s…` is longer than %zu bytes",
                                     s->source, sizeof((struct mounted_storage *)0)->source - 1);
        if (strlen(str_or_empty(s->fstype)) >= sizeof((struct mounted_storage *)0)->fstype)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "storage fstype `%.64s…` is longer than %zu bytes",
                                     s->fstype, sizeof((struct mounted_storage *)0)->fstype - 1);
        return 0;
}

/* A second user of a mount point must ask for the same storage. */
static int check_same(const struct mounted_storage *m, const Grpc__Storage *s, struct rpc_error *e)
{
        if (streq(m->driver, s->driver) && streq(m->source, str_or_empty(s->source)) &&
            streq(m->fstype, str_or_empty(s->fstype)))
                return 0;
        return rpc_error_set(e, GRPC_FAILED_PRECONDITION, -EBUSY,
                             "mount point `%.200s` already holds storage `%s` from `%.200s` (fstype `%s`); "
                             "this request asks for `%.64s` from `%.200s` (fstype `%.64s`)",
                             m->mount_point, m->driver, m->source, m->fstype, s->driver, str_or_empty(s->source),
                             str_or_empty(s->fstype));
}

static void take_ref(struct mounted_storage *m, const Grpc__Storage *s)
{
        m->refs++;
        if (s->shared && !m->pinned) {
                m->pinned = true;
                m->refs++;
        }
}

int storage_mount(const Grpc__Storage *s, struct list_head *list, struct rpc_error *e)
{
        const struct storage_handler *h = storage_handler_find(s->driver);
        if (!h)
                return rpc_error_set(e, GRPC_UNIMPLEMENTED, -EOPNOTSUPP, "storage driver `%.64s` is not supported here",
                                     str_or_empty(s->driver));
        int r = check_request(s, e);
        if (r < 0)
                return r;
        struct storage_ref *ref = calloc(1, sizeof *ref);
        if (!ref)
                return -ENOMEM;

        struct mounted_storage *m = storage_registry_find(s->mount_point);
        if (m) {
                if ((r = check_same(m, s, e)) < 0) {
                        free(ref);
                        return r;
                }
                take_ref(m, s);
        } else {
                if (storage_registry_count() >= STORAGE_REGISTRY_MAX) {
                        free(ref);
                        return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOSPC,
                                             "%d storages are mounted already (the limit); cannot add `%.200s`",
                                             STORAGE_REGISTRY_MAX, s->mount_point);
                }
                if (!(m = calloc(1, sizeof *m))) {
                        free(ref);
                        return -ENOMEM;
                }
                snprintf(m->mount_point, sizeof m->mount_point, "%s", s->mount_point);
                snprintf(m->driver, sizeof m->driver, "%s", s->driver);
                snprintf(m->source, sizeof m->source, "%s", str_or_empty(s->source));
                snprintf(m->fstype, sizeof m->fstype, "%s", str_or_empty(s->fstype));
                if ((r = h->mount(s, m, e)) < 0) {
                        free(m);
                        free(ref);
                        return r;
                }
                storage_registry_add(m);
                take_ref(m, s);
        }
        ref->m = m;
        list_add_tail(&ref->link, list);
        return 0;
}

void storage_unmount_all(struct list_head *list)
{
        while (!list_empty(list)) {
                struct storage_ref *ref = list_entry(list->prev, struct storage_ref, link);
                list_del(&ref->link);
                storage_registry_put(ref->m);
                free(ref);
        }
}
