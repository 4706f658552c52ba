/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finding hotplugged devices in sysfs: the block device under a virtio
 * device, a SCSI disk by target and LUN, a PCI device's IOMMU group, and
 * whether a block node is ready to use. Pure over the sysfs root passed in
 * (tests build a fake tree). Each returns -ENOENT while the device is not
 * there yet, so the hotplug wait can tell "later" from "never".
 */
#ifndef KINGLET_DEVICE_LOOKUP_H
#define KINGLET_DEVICE_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#define SCSI_ID_MAX 65535u

/* The block device under a PCI device's directory: <dir>/virtioN/block/<name> (or <dir>/block/<name>). */
/* The network interface of a PCI device (DEVDIR/net/NAME or DEVDIR/virtioN/net/NAME). */
int net_name_under(const char *devdir, char *name, size_t size);
int block_name_under(const char *devdir, char *name, size_t size);

/* Kata's SCSI address "TARGET:LUN" (decimal, each ≤ SCSI_ID_MAX). -EINVAL. */
int scsi_addr_parse(const char *s, uint32_t *ret_target, uint32_t *ret_lun);
/* The disk at channel 0, that target and LUN, on any SCSI host: <sysfs>/bus/scsi/devices/H:0:T:L/block/<name>. */
int scsi_block_name(const char *sysfs_root, uint32_t target, uint32_t lun, char *name, size_t size);

/* The IOMMU group number of the PCI device at devdir (its iommu_group link). -ENOENT without one. */
int pci_iommu_group(const char *devdir, uint32_t *ret);

/*
 * 0 when `node` is a block device with a non-zero size (read from
 * <sysfs>/dev/block/MAJ:MIN/size, so the device is not opened); -ENOENT when
 * there is no node yet, -ENOMEDIUM while its size is 0 (a loop device with
 * no file behind it), -ENOTBLK when it is something else.
 */
int block_node_ready(const char *sysfs_root, const char *node);

#endif
