/* SPDX-License-Identifier: Apache-2.0 */
#include "storage_block.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "hotplug.h"
#include "util.h"

/* The storage's device node now (the handler waited for it). */
static int storage_device(const Grpc__Storage *s, char *node, size_t size, struct rpc_error *e)
{
        _cleanup_free_ struct hotplug_needs *needs = calloc(1, sizeof *needs);
        if (!needs)
                return -ENOMEM;
        int r = hotplug_need_storage(needs, s, e);
        if (r < 0)
                return r;
        if (needs->n != 1)
                return rpc_error_set(e, GRPC_INTERNAL, -EINVAL, "storage driver `%.32s` has no device", s->driver);
        r = hotplug_resolve(&needs->v[0], node, size, e);
        if (r == -ENOENT || r == -ENOMEDIUM)
                return rpc_error_set(e, GRPC_NOT_FOUND, r, "%s storage: device `%.128s` is %s", s->driver, s->source,
                                     r == -ENOENT ? "not there" : "empty (size 0)");
        return r;
}

/* nvdimm: DAX when the filesystem can do it and the device offers it (<sysfs>/dev/block/M:m/queue/dax). */
static int maybe_add_dax(const char *node, const char *fstype, struct storage_opts *o, struct rpc_error *e)
{
        struct stat st;
        char path[PATH_MAX], text[8];
        size_t len;
        if ((!streq(fstype, "ext4") && !streq(fstype, "xfs")) || stat(node, &st) < 0 || !S_ISBLK(st.st_mode))
                return 0;
        snprintf(path, sizeof path, HOTPLUG_SYSFS "/dev/block/%u:%u/queue/dax", major(st.st_rdev), minor(st.st_rdev));
        if (read_small_file(path, text, sizeof text, &len) < 0 || text[0] != '1')
                return 0;
        return storage_opts_default(o, "dax", NULL, e); /* a `dax=...` the runtime sent wins */
}

static int mount_device(const Grpc__Storage *s, struct mounted_storage *m, bool dax, struct rpc_error *e)
{
        char node[256];
        struct storage_opts o;
        if (!s->fstype || !*s->fstype)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "%s storage `%.128s` needs an fstype (e.g. ext4)", s->driver, s->source);
        int r = storage_opts_parse(s->options, s->n_options, &o, e);
        if (r == 0)
                r = storage_device(s, node, sizeof node, e);
        if (r == 0 && dax)
                r = maybe_add_dax(node, s->fstype, &o, e);
        if (r == 0)
                r = storage_mount_fs(s, m, node, s->fstype, &o, e);
        if (r == 0 && (r = storage_apply_fs_group(s, s->mount_point, e)) < 0) {
                (void)storage_sys_umount(s->mount_point, MNT_DETACH);
                m->mounted = false;
        }
        if (r < 0)
                rpc_error_prefix(e, "%s storage `%.128s`", s->driver, s->source);
        return r;
}

int storage_mount_blk(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        return mount_device(s, m, false, e);
}

int storage_mount_mmioblk(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        return mount_device(s, m, false, e);
}

int storage_mount_scsi(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        return mount_device(s, m, false, e);
}

int storage_mount_nvdimm(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        return mount_device(s, m, true, e);
}
