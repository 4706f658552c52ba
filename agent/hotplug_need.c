/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a request needs from hotplug (hotplug.h): the kinds of device, the
 * syntax of their sources, and where each one is found once present.
 */
#include "hotplug.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "device_lookup.h"
#include "pci_path.h"
#include "util.h"

static bool dev_path_ok(const char *s)
{
        const char *rest = startswith(s, "/dev/");
        return rest && *rest && !strstr(s, "/../") && !startswith(rest, "../") && strcmp(rest, "..") != 0;
}

int hotplug_need_add(struct hotplug_needs *needs, enum hotplug_kind kind, const char *what, const char *source,
                     struct rpc_error *e)
{
        struct pci_path pp;
        uint32_t target, lun;
        if (!source)
                source = "";
        if (strlen(source) >= HOTPLUG_SOURCE_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -ENAMETOOLONG, "%s source `%.64s…` is longer than %d bytes",
                                     what, source, HOTPLUG_SOURCE_MAX - 1);
        switch (kind) {
        case HOTPLUG_BLK_PCI:
        case HOTPLUG_VFIO:
        case HOTPLUG_PCI:
        case HOTPLUG_NET_PCI:
                if (pci_path_parse(source, &pp) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "%s: `%.64s` is not a PCI path (two hex digits per bus level, slot at "
                                             "most 1f, e.g. 02/00; at most %d levels)",
                                             what, source, PCI_PATH_MAX_DEPTH);
                break;
        case HOTPLUG_BLK_NODE:
                if (!dev_path_ok(source))
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "%s: `%.64s` is not a device path under /dev", what, source);
                break;
        case HOTPLUG_SCSI:
                if (scsi_addr_parse(source, &target, &lun) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "scsi: `%.64s` is not a SCSI address TARGET:LUN (decimal, each at most %u)",
                                             source, SCSI_ID_MAX);
                break;
        }
        for (size_t i = 0; i < needs->n; i++)
                if (needs->v[i].kind == kind && streq(needs->v[i].source, source))
                        return 0; /* a storage on a device the request also passes in */
        if (needs->n >= HOTPLUG_NEEDS_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "more than %d devices and storages",
                                     HOTPLUG_NEEDS_MAX);
        struct hotplug_need *n = &needs->v[needs->n++];
        memset(n, 0, sizeof *n);
        n->kind = kind;
        snprintf(n->what, sizeof n->what, "%s", what);
        memcpy(n->source, source, strlen(source) + 1);
        return 0;
}

int hotplug_need_storage(struct hotplug_needs *needs, const Grpc__Storage *s, struct rpc_error *e)
{
        static const struct {
                const char *driver;
                enum hotplug_kind kind;
        } map[] = {
                { "blk", HOTPLUG_BLK_PCI },
                { "mmioblk", HOTPLUG_BLK_NODE },
                { "scsi", HOTPLUG_SCSI },
                { "nvdimm", HOTPLUG_BLK_NODE },
        };
        for (size_t i = 0; s->driver && i < ARRAY_SIZE(map); i++)
                if (streq(s->driver, map[i].driver))
                        return hotplug_need_add(needs, map[i].kind, map[i].driver, s->source, e);
        return 0;
}

int hotplug_device_type_check(const Grpc__Device *d, struct rpc_error *e)
{
        static const char *const types[] = { "blk",  "mmioblk",     "scsi",   "nvdimm",
                                              "vfio-pci", "vfio", "vfio-pci-gk", "vfio-gk" };
        for (size_t i = 0; i < ARRAY_SIZE(types); i++)
                if (d->type && streq(d->type, types[i]))
                        return 0;
        return rpc_error_set(e, GRPC_UNIMPLEMENTED, -EOPNOTSUPP,
                             "device `%.64s`: type `%.32s` is not supported here (blk, mmioblk, scsi, nvdimm, "
                             "vfio-pci, vfio-pci-gk)",
                             d->id ? d->id : "", d->type ? d->type : "");
}

int hotplug_need_device(struct hotplug_needs *needs, const Grpc__Device *d, struct rpc_error *e)
{
        const char *type = d->type ? d->type : "";
        int tr = hotplug_device_type_check(d, e);
        if (tr < 0)
                return tr;
        const char *vm_path = d->vm_path && *d->vm_path ? d->vm_path : d->id;
        if (streq(type, "blk"))
                return hotplug_need_add(needs, HOTPLUG_BLK_PCI, type, d->id, e);
        if (streq(type, "mmioblk") || streq(type, "nvdimm"))
                return hotplug_need_add(needs, HOTPLUG_BLK_NODE, type, vm_path, e);
        if (streq(type, "scsi"))
                return hotplug_need_add(needs, HOTPLUG_SCSI, type, d->id, e);
        /* Kata 3.0 called them vfio and vfio-gk. */
        bool vfio = streq(type, "vfio-pci") || streq(type, "vfio");
        enum hotplug_kind kind = vfio ? HOTPLUG_VFIO : HOTPLUG_PCI;
        if (d->n_options > HOTPLUG_DEVICES_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "device `%.64s` has more than %d options",
                                     d->id ? d->id : "", HOTPLUG_DEVICES_MAX);
        if (d->n_options == 0) /* no HOST=PCIPATH options: the id is the guest PCI path */
                return hotplug_need_add(needs, kind, type, d->id, e);
        for (size_t i = 0; i < d->n_options; i++) {
                const char *eq = strchr(d->options[i], '=');
                if (!eq)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "%s option `%.64s` is not HOST_BDF=GUEST_PCI_PATH", type, d->options[i]);
                int r = hotplug_need_add(needs, kind, type, eq + 1, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Kata's agent asks every SCSI host to scan for the disk, in case it announced nothing itself. */
static void scsi_rescan(uint32_t target, uint32_t lun)
{
        char line[32], path[PATH_MAX];
        _cleanup_closedir_ DIR *d = opendir(HOTPLUG_SYSFS "/class/scsi_host");
        struct dirent *de;
        snprintf(line, sizeof line, "0 %u %u", target, lun);
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.' &&
                    (size_t)snprintf(path, sizeof path, HOTPLUG_SYSFS "/class/scsi_host/%s/scan", de->d_name) <
                            sizeof path)
                        (void)write_string_file(path, line);
}

/* Hands the PCI device to vfio-pci (driver_override, unbind, probe), as driverctl would. */
static void bind_vfio_pci(const char *dir, const char *bdf)
{
        char path[PATH_MAX + 32], link[PATH_MAX];
        snprintf(path, sizeof path, "%s/driver_override", dir);
        (void)write_string_file(path, "vfio-pci");
        snprintf(path, sizeof path, "%s/driver", dir);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n > 0) {
                link[n] = '\0';
                const char *base = strrchr(link, '/');
                if (streq(base ? base + 1 : link, "vfio-pci"))
                        return;
                snprintf(path, sizeof path, "%s/driver/unbind", dir);
                (void)write_string_file(path, bdf);
        }
        (void)write_string_file(HOTPLUG_SYSFS "/bus/pci/drivers_probe", bdf);
}

static int resolve_vfio(struct hotplug_need *n, const char *dir, const char *bdf, char *path, size_t size,
                        struct rpc_error *e)
{
        uint32_t group;
        struct stat st;
        int r = pci_iommu_group(dir, &group);
        if (r < 0)
                return rpc_error_set(e, GRPC_FAILED_PRECONDITION, r == -ENOENT ? -ENODEV : r,
                                     "%s device at PCI path `%s` (%s) has no IOMMU group: VFIO in the guest needs "
                                     "a virtual IOMMU",
                                     n->what, n->source, bdf);
        snprintf(path, size, "/dev/vfio/%u", group);
        if (stat(path, &st) == 0 && S_ISCHR(st.st_mode))
                return 0;
        if (!n->nudged) {
                n->nudged = true;
                bind_vfio_pci(dir, bdf);
        }
        return -ENOENT;
}

int hotplug_resolve(struct hotplug_need *n, char *node, size_t size, struct rpc_error *e)
{
        char dir[PATH_MAX], bdf[48], name[64], path[PATH_MAX];
        struct pci_path pp;
        uint32_t target, lun;
        int r = 0;

        switch (n->kind) {
        case HOTPLUG_BLK_NODE:
                snprintf(path, sizeof path, "%s", n->source);
                break;
        case HOTPLUG_SCSI:
                if (scsi_addr_parse(n->source, &target, &lun) < 0)
                        return -EINVAL; /* checked when added */
                r = scsi_block_name(HOTPLUG_SYSFS, target, lun, name, sizeof name);
                if (r == -ENOENT && !n->nudged) {
                        n->nudged = true;
                        scsi_rescan(target, lun);
                }
                if (r < 0)
                        return r == -ENOENT ? r : rpc_error_set(e, GRPC_INTERNAL, r, "looking for scsi `%s`: %s",
                                                                n->source, strerror(-r));
                snprintf(path, sizeof path, "/dev/%s", name);
                break;
        default:
                if (pci_path_parse(n->source, &pp) < 0)
                        return -EINVAL; /* checked when added */
                r = pci_path_to_sysfs(HOTPLUG_SYSFS, &pp, dir, sizeof dir, bdf, sizeof bdf);
                if (r == -ENODEV)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, r,
                                             "%s: PCI path `%s` goes through a device that is not a bridge", n->what,
                                             n->source);
                if (r < 0)
                        return r == -ENOENT ? r : rpc_error_set(e, GRPC_INTERNAL, r, "PCI path `%s`: %s", n->source,
                                                                strerror(-r));
                if (n->kind == HOTPLUG_PCI) {
                        if (size)
                                node[0] = '\0';
                        return 0;
                }
                if (n->kind == HOTPLUG_NET_PCI) {
                        r = net_name_under(dir, name, sizeof name);
                        if (r < 0)
                                return r == -ENOENT ? r : rpc_error_set(e, GRPC_INTERNAL, r, "PCI path `%s`: %s",
                                                                        n->source, strerror(-r));
                        snprintf(path, sizeof path, "%s", name);
                        goto found;
                }
                if (n->kind == HOTPLUG_VFIO) {
                        r = resolve_vfio(n, dir, bdf, path, sizeof path, e);
                        if (r < 0)
                                return r;
                        goto found;
                }
                r = block_name_under(dir, name, sizeof name);
                if (r < 0)
                        return r == -ENOENT ? r : rpc_error_set(e, GRPC_INTERNAL, r, "PCI path `%s`: %s", n->source,
                                                                strerror(-r));
                snprintf(path, sizeof path, "/dev/%s", name);
                break;
        }
        r = block_node_ready(HOTPLUG_SYSFS, path);
        if (r == -ENOTBLK)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, r, "%s: `%s` is not a block device", n->what, path);
        if (r < 0 && r != -ENOENT && r != -ENOMEDIUM)
                return rpc_error_set(e, GRPC_INTERNAL, r, "%s: cannot look at `%s`: %s", n->what, path, strerror(-r));
        if (r < 0)
                return r;
found:
        if (strlen(path) >= size)
                return rpc_error_set(e, GRPC_INTERNAL, -ENAMETOOLONG, "device path `%.64s` is too long", path);
        memcpy(node, path, strlen(path) + 1);
        return 0;
}
