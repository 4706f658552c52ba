/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Storage drivers for block devices: blk (virtio-blk by PCI path), mmioblk
 * (/dev/vdX), scsi ("TARGET:LUN"), nvdimm (/dev/pmemN, with dax when it can).
 * The RPC handlers wait for the devices first (hotplug.h), so by the time a
 * driver runs its device is there; each mounts it at mount_point with the
 * storage's fstype and options.
 */
#ifndef KINGLET_STORAGE_BLOCK_H
#define KINGLET_STORAGE_BLOCK_H

#include "storage_internal.h"

int storage_mount_blk(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
int storage_mount_mmioblk(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
int storage_mount_scsi(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
int storage_mount_nvdimm(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);

#endif
