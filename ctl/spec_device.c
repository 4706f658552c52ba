/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a --device needs in the OCI spec besides CreateContainerRequest.devices:
 * the node (linux.devices) and a cgroup rule letting the container use it.
 * The numbers are 0:0 placeholders: only the agent knows which guest device
 * the id or vm_path turned into, and it rewrites both entries (as Kata's agent
 * does with the host numbers the runtime put there).
 */
#include "spec_storage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define DEVICE_FILE_MODE 0660

char ctl_device_node_type(const char *device_type)
{
        static const struct {
                const char *type;
                char node;
        } types[] = {
                { "blk", 'b' },      { "blk-ccw", 'b' },     { "mmioblk", 'b' },     { "scsi", 'b' },
                { "nvdimm", 'b' },   { "vfio-pci", 'c' },    { "vfio-pci-gk", 'c' }, { "vfio-ap", 'c' },
                { "vfio-ap-cold", 'c' }, { "vfio", 'c' },    { "vfio-gk", 'c' },
        };
        for (size_t i = 0; device_type && i < ARRAY_SIZE(types); i++)
                if (streq(device_type, types[i].type))
                        return types[i].node;
        return 0;
}

/* Appends a malloc'ed element to a protobuf repeated field of pointers; 0 or -ENOMEM. */
#define PUSH(arr, n, item)                                                         \
        ({                                                                         \
                __typeof__(arr) _grown = realloc((arr), ((n) + 1) * sizeof *_grown); \
                if (_grown) {                                                      \
                        _grown[(n)++] = (item);                                    \
                        (arr) = _grown;                                            \
                }                                                                  \
                _grown ? 0 : -ENOMEM;                                              \
        })

static int add_node(Grpc__Linux *l, const char *path, char node)
{
        Grpc__LinuxDevice *d = malloc(sizeof *d);
        char *path_copy = strdup(path), *type = strndup(&node, 1);
        if (!d || !path_copy || !type || PUSH(l->devices, l->n_devices, d) < 0) {
                free(d);
                free(path_copy);
                free(type);
                return -ENOMEM;
        }
        grpc__linux_device__init(d);
        d->path = path_copy;
        d->type = type;
        d->filemode = DEVICE_FILE_MODE;
        return 0;
}

static int add_rule(Grpc__LinuxResources *res, char node)
{
        Grpc__LinuxDeviceCgroup *rule = malloc(sizeof *rule);
        char *type = strndup(&node, 1), *access = strdup("rwm");
        if (!rule || !type || !access || PUSH(res->devices, res->n_devices, rule) < 0) {
                free(rule);
                free(type);
                free(access);
                return -ENOMEM;
        }
        grpc__linux_device_cgroup__init(rule);
        rule->allow = true;
        rule->type = type;
        rule->access = access;
        return 0;
}

static bool spec_lists_path(const Grpc__Linux *l, const char *path)
{
        for (size_t i = 0; i < l->n_devices; i++)
                if (l->devices[i]->path && streq(l->devices[i]->path, path))
                        return true;
        return false;
}

static int ensure_linux(Grpc__Spec *spec)
{
        if (!spec->linux) {
                spec->linux = malloc(sizeof *spec->linux);
                if (!spec->linux)
                        return -ENOMEM;
                grpc__linux__init(spec->linux);
        }
        if (!spec->linux->resources) {
                spec->linux->resources = malloc(sizeof *spec->linux->resources);
                if (!spec->linux->resources)
                        return -ENOMEM;
                grpc__linux_resources__init(spec->linux->resources);
        }
        return 0;
}

int ctl_devices_check(Grpc__Device *const *devices, size_t n, struct rpc_error *e)
{
        for (size_t i = 0; i < n; i++) {
                const char *path = devices[i]->container_path;
                if (!path || !*path)
                        continue;
                if (!ctl_device_node_type(devices[i]->type))
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "device type `%.32s` with container-path `%.200s`: not known to be a "
                                             "block or character device (block: blk, blk-ccw, mmioblk, scsi, "
                                             "nvdimm; character: vfio-pci, vfio-pci-gk, vfio-ap, vfio-ap-cold)",
                                             devices[i]->type, path);
                for (size_t j = 0; j < i; j++)
                        if (devices[j]->container_path && streq(devices[j]->container_path, path))
                                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                                     "two devices with container-path `%.200s`", path);
        }
        return 0;
}

int ctl_spec_add_devices(Grpc__Spec *spec, Grpc__Device *const *devices, size_t n, struct rpc_error *e)
{
        /* Everything is checked before the spec changes. */
        int r = ctl_devices_check(devices, n, e);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                const char *path = devices[i]->container_path;
                if (!path || !*path)
                        continue;
                char node = ctl_device_node_type(devices[i]->type);
                if (ensure_linux(spec) < 0)
                        return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory");
                if (spec_lists_path(spec->linux, path))
                        continue;
                if (add_node(spec->linux, path, node) < 0 || add_rule(spec->linux->resources, node) < 0)
                        return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory");
        }
        return 0;
}
