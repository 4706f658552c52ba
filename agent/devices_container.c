/* SPDX-License-Identifier: Apache-2.0 */
#include "devices_container.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "hotplug.h"
#include "util.h"

/* The guest node of one device (the wait saw it, so it resolves now). */
static int guest_node(const Grpc__Device *d, char *node, size_t size, struct rpc_error *e)
{
        _cleanup_free_ struct hotplug_needs *needs = calloc(1, sizeof *needs);
        if (!needs)
                return -ENOMEM;
        int r = hotplug_need_device(needs, d, e);
        if (r < 0)
                return r;
        if (needs->n == 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "device `%.64s` names no guest device",
                                     d->id ? d->id : "");
        /* vfio-pci with several functions: they share the IOMMU group, so the first names the node. */
        r = hotplug_resolve(&needs->v[0], node, size, e);
        if (r == -ENOENT || r == -ENOMEDIUM)
                return rpc_error_set(e, GRPC_NOT_FOUND, r, "%s device `%.64s` is not there", needs->v[0].what,
                                     needs->v[0].source);
        return r;
}

static Grpc__LinuxDevice *spec_device(Grpc__Spec *spec, const char *path)
{
        for (size_t i = 0; spec->linux && i < spec->linux->n_devices; i++)
                if (spec->linux->devices[i]->path && streq(spec->linux->devices[i]->path, path))
                        return spec->linux->devices[i];
        return NULL;
}

/* Resource rules written for the host's numbers now name the guest's (as Kata's agent does). */
static void follow_rules(Grpc__Spec *spec, const char *type, int64_t old_major, int64_t old_minor, int64_t major,
                         int64_t minor)
{
        Grpc__LinuxResources *res = spec->linux->resources;
        for (size_t i = 0; res && i < res->n_devices; i++) {
                Grpc__LinuxDeviceCgroup *rule = res->devices[i];
                if (rule->type && streq(rule->type, type) && rule->major == old_major && rule->minor == old_minor) {
                        rule->major = major;
                        rule->minor = minor;
                }
        }
}

static bool has_node(const Grpc__Device *d)
{
        return !d->type || (!streq(d->type, "vfio-pci-gk") && !streq(d->type, "vfio-gk"));
}

int devices_container_check(const Grpc__Spec *spec, Grpc__Device *const *devices, size_t n, struct rpc_error *e)
{
        if (n > HOTPLUG_DEVICES_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "%zu devices; at most %d", n,
                                     HOTPLUG_DEVICES_MAX);
        for (size_t i = 0; i < n; i++) {
                const Grpc__Device *d = devices[i];
                int r = hotplug_device_type_check(d, e);
                if (r < 0)
                        return r;
                if (!d->container_path || d->container_path[0] != '/')
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "device `%.64s` needs an absolute container_path, not `%.200s`",
                                             d->id ? d->id : "", d->container_path ? d->container_path : "");
                for (size_t k = 0; k < i; k++)
                        if (devices[k]->container_path && streq(devices[k]->container_path, d->container_path))
                                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                                     "two devices for container path `%.200s`", d->container_path);
                const Grpc__LinuxDevice *sd = spec_device((Grpc__Spec *)spec, d->container_path);
                if (has_node(d) && !sd)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -ENOENT,
                                             "device `%.64s`: the OCI spec has no linux.devices entry at `%.200s`",
                                             d->id ? d->id : "", d->container_path);
                /* The spec's type string belongs to the decoded request: rewritten in place, never replaced. */
                if (has_node(d) && (!sd->type || !*sd->type))
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "spec device `%.200s` has no type",
                                             d->container_path);
        }
        return 0;
}

static int apply_one(Grpc__Spec *spec, const Grpc__Device *d, struct rpc_error *e)
{
        char node[256];
        struct stat st;
        int r = guest_node(d, node, sizeof node, e);
        if (r < 0)
                return r;
        if (!node[0])
                return 0; /* vfio-pci-gk: a guest driver owns it; there is no node to pass in */
        Grpc__LinuxDevice *sd = spec_device(spec, d->container_path);
        if (stat(node, &st) < 0 || (!S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode)))
                return rpc_error_set(e, GRPC_FAILED_PRECONDITION, -ENODEV, "device `%.64s`: `%s` is not a device node",
                                     d->id ? d->id : "", node);
        const char *type = S_ISBLK(st.st_mode) ? "b" : "c";
        char old_type[2] = { sd->type[0], '\0' };
        int64_t old_major = sd->major, old_minor = sd->minor;
        sd->type[0] = type[0];
        sd->type[1] = '\0';
        sd->major = major(st.st_rdev);
        sd->minor = minor(st.st_rdev);
        follow_rules(spec, old_type, old_major, old_minor, sd->major, sd->minor);
        return 0;
}

int devices_container_apply(Grpc__Spec *spec, Grpc__Device *const *devices, size_t n, struct rpc_error *e)
{
        int r = devices_container_check(spec, devices, n, e);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = apply_one(spec, devices[i], e);
        return r;
}
