/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SPEC values of kinglet-ctl's --storage and --device options, parsed into
 * grpc.Storage / grpc.Device, and the OCI spec entries a device needs. Pure
 * functions (no I/O): unit-tested in tests/unit/test_ctl_spec.c and fuzzed by
 * tests/fuzz/fuzz_ctl_spec.c.
 *
 * A SPEC is comma-separated items, each KEY=VALUE (a bare KEY for flags such
 * as `shared`). A value is split from its key at the first '=', so it may hold
 * more '=' ("option=mode=1777"). A backslash escapes the next character when it
 * is ',' or '\' ("option=lowerdir=/a:/b\,upperdir=/c" is one option); any other
 * backslash, and a backslash at the end, is refused.
 *
 *   storage: driver=NAME (required), source=S, fstype=T, mount=PATH (required),
 *            option=O (repeatable), driver-option=O (repeatable),
 *            fs-group=GID[:always|:on-root-mismatch], shared
 *   device:  type=NAME (required), id=ID, vm-path=PATH, container-path=PATH
 *            (absolute), option=O (repeatable)
 */
#ifndef KINGLET_SPEC_STORAGE_H
#define KINGLET_SPEC_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "agent.pb-c.h"
#include "status.h"

#define CTL_SPEC_MAX_LEN 4096   /* bytes of one SPEC */
#define CTL_SPEC_MAX_REPEAT 64  /* option= (or driver-option=) items in one SPEC */
#define CTL_MAX_STORAGES 64     /* --storage options of one command */
#define CTL_MAX_DEVICES 64      /* --device options of one command */
#define CTL_PCI_PATH_MAX 16     /* slots in a PCI path */

/*
 * Parse one SPEC. On success *ret is a malloc'ed message that
 * protobuf_c_message_free_unpacked(msg, NULL) frees. On failure *ret is
 * untouched and *e holds INVALID_ARGUMENT with a message naming the bad part
 * (not prefixed with the option's name); -EINVAL (-E2BIG for a SPEC or a
 * repeat count over its bound, -ENOMEM).
 */
int ctl_storage_parse(const char *text, Grpc__Storage **ret, struct rpc_error *e);
int ctl_device_parse(const char *text, Grpc__Device **ret, struct rpc_error *e);

/*
 * A PCI path as Kata writes it, "02/00": slots in hex (1 or 2 digits, at most
 * 0x1f), bridge first, separated by '/'. Functions are not expressible (Kata's
 * AddSwapRequest.PCIPath holds slots; the agent takes function 0). Fills up to
 * `max` slots; -EINVAL (or -E2BIG for more than `max`) with *ret_n untouched.
 */
int ctl_pci_path_parse(const char *text, uint32_t *slots, size_t max, size_t *ret_n);

/*
 * The OCI device node type for a device type: 'b' for the block kinds (blk,
 * blk-ccw, mmioblk, scsi, nvdimm), 'c' for the VFIO kinds; 0 when unknown.
 */
char ctl_device_node_type(const char *device_type);

/*
 * What ctl_spec_add_devices refuses, checked alone (for a usage error before
 * any spec is built): two devices with the same container_path, or an unknown
 * type with a container_path. 0 or -EINVAL with *e set.
 */
int ctl_devices_check(Grpc__Device *const *devices, size_t n, struct rpc_error *e);

/*
 * For each device with a container_path, adds to `spec` a linux.devices entry
 * (that path, type b/c from ctl_device_node_type, major/minor 0, mode 0660,
 * uid/gid 0) and a linux.resources.devices rule (allow, same type, major/minor
 * 0, "rwm"). The agent resolves the guest device and replaces 0:0 in both with
 * its real numbers. A path the spec already lists is left as the spec has it
 * (a bundle that describes its devices keeps its own entry and rules). What
 * ctl_devices_check refuses is refused first, with the spec unchanged;
 * -ENOMEM may leave some entries added (the spec is then freed, not sent).
 */
int ctl_spec_add_devices(Grpc__Spec *spec, Grpc__Device *const *devices, size_t n, struct rpc_error *e);

#endif
