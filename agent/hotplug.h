/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Waiting for hotplugged devices without blocking the loop.
 *
 * A handler that needs devices (CreateSandbox and CreateContainer for their
 * storages and devices, AddSwap) first lists what it needs, then calls
 * hotplug_wait(). When everything is present it returns at once with *ready
 * set and the handler carries on. Otherwise the call is parked: every batch
 * of kernel uevents (one NETLINK_KOBJECT_UEVENT socket in the loop) re-checks
 * the parked calls, and once a call's devices are all present the SAME
 * handler is invoked again with the same call and request (which live as long
 * as the call) — it re-checks everything and this time finds the devices.
 * After agent.hotplug_timeout (config.hotplug_timeout_ms) the call is answered DEADLINE_EXCEEDED
 * naming the first device still missing. The request's own timeout or the
 * peer going away drops the waiter.
 *
 * A block device counts as present when its node exists and its size is not
 * zero: a loop device with no file behind it is not ready; its "change"
 * uevent makes it so.
 */
#ifndef KINGLET_HOTPLUG_H
#define KINGLET_HOTPLUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.pb-c.h"
#include "loop.h"
#include "status.h"
#include "ttrpc.h"

#define HOTPLUG_SYSFS "/sys"
/* 64 storages and 64 devices per request. */
#define HOTPLUG_NEEDS_MAX 128
#define HOTPLUG_DEVICES_MAX 64
/* Calls parked waiting for devices at any one time. */
#define HOTPLUG_WAITERS_MAX 64
#define HOTPLUG_SOURCE_MAX 128

enum hotplug_kind {
        HOTPLUG_BLK_PCI,  /* virtio-blk by PCI path → /dev/vdX */
        HOTPLUG_BLK_NODE, /* a block node named directly: mmioblk /dev/vdX, nvdimm /dev/pmemN */
        HOTPLUG_SCSI,     /* "TARGET:LUN" → /dev/sdX */
        HOTPLUG_VFIO,     /* PCI path → its IOMMU group's /dev/vfio/N (bound to vfio-pci) */
        HOTPLUG_PCI,      /* PCI path, the device only (vfio-pci-gk: a guest driver owns it) */
        HOTPLUG_NET_PCI,  /* virtio-net (any NIC) by PCI path → its interface name */
};

struct hotplug_need {
        enum hotplug_kind kind;
        char what[24];                    /* driver or device type as sent, for messages */
        char source[HOTPLUG_SOURCE_MAX];  /* PCI path, node path or SCSI address */
        bool nudged;                      /* SCSI rescan or vfio-pci bind requested once */
};

struct hotplug_needs {
        size_t n;
        struct hotplug_need v[HOTPLUG_NEEDS_MAX];
};

/* Checks the source's syntax and appends it. INVALID_ARGUMENT in e. */
int hotplug_need_add(struct hotplug_needs *needs, enum hotplug_kind kind, const char *what, const char *source,
                     struct rpc_error *e);
/* What a storage needs: nothing for drivers without a device (0 either way). */
int hotplug_need_storage(struct hotplug_needs *needs, const Grpc__Storage *s, struct rpc_error *e);
/* What a CreateContainer device needs; an unknown type is UNIMPLEMENTED. */
/* UNIMPLEMENTED naming the type unless the device's type has a handler here. */
int hotplug_device_type_check(const Grpc__Device *d, struct rpc_error *e);
int hotplug_need_device(struct hotplug_needs *needs, const Grpc__Device *d, struct rpc_error *e);

/*
 * Where the device is now: 0 and its node (/dev/vdb, /dev/vfio/3; "" for
 * HOTPLUG_PCI; the interface name, eth0, for HOTPLUG_NET_PCI). -ENOENT or -ENOMEDIUM while it is not there or not ready;
 * anything else is an error described in e.
 */
int hotplug_resolve(struct hotplug_need *n, char *node, size_t size, struct rpc_error *e);

struct hotplug;

/* The registry, with no socket yet. -ENOMEM. */
int hotplug_new(struct loop *loop, uint32_t timeout_ms, struct hotplug **ret);
/*
 * Opens the uevent socket and watches it. On failure (-errno) waits still
 * work, but only look again at their deadline: the caller logs that.
 */
int hotplug_listen(struct hotplug *h);
/* Parked calls must be gone (the server cancels them first). */
struct hotplug *hotplug_free(struct hotplug *h);

/*
 * See the top. Returns what the handler returns when *ready is false (the
 * call is parked or already answered); when *ready is true, returns 0 and
 * the handler goes on. `h` may be NULL (no registry): a missing device is
 * then answered UNAVAILABLE.
 */
int hotplug_wait(struct hotplug *h, struct hotplug_needs *needs, struct ttrpc_call *call,
                 const ProtobufCMessage *request, void *userdata, ttrpc_handler_fn handler, bool *ready);

/* The needs of these storages and devices, then hotplug_wait (for CreateSandbox / CreateContainer). */
int hotplug_wait_request(struct hotplug *h, Grpc__Storage *const *storages, size_t n_storages,
                         Grpc__Device *const *devices, size_t n_devices, struct ttrpc_call *call,
                         const ProtobufCMessage *request, void *userdata, ttrpc_handler_fn handler, bool *ready);

#endif
