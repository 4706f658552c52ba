/* SPDX-License-Identifier: Apache-2.0 */
/* kinglet-ctl: shared state and helpers for the subcommands (one file per group). */
#ifndef KINGLET_CTL_H
#define KINGLET_CTL_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent.pb-c.h"
#include "json.h"
#include "status.h"
#include "ttrpc_client.h"

/*
 * Exit codes: 0 success; 1..16 the gRPC status code of a failed RPC (a
 * connection that cannot be made is UNAVAILABLE, 14; no reply in time is
 * DEADLINE_EXCEEDED, 4); 64 usage error; 66 a local file cannot be read.
 */
#define CTL_EXIT_USAGE 64
#define CTL_EXIT_NOINPUT 66

struct ctl {
        const char *addr;
        uint64_t timeout_ns;
        bool json;
        struct ttrpc_client *client;
        struct json out;
};

struct ctl_command {
        const char *name;
        const char *summary;
        const char *usage; /* options and arguments, shown by `COMMAND --help` */
        int (*run)(struct ctl *ctl, int argc, char **argv);
};

/* Command tables of each group. */
extern const struct ctl_command ctl_health_commands[];
extern const struct ctl_command ctl_guest_commands[];
extern const struct ctl_command ctl_copy_file_commands[];
extern const struct ctl_command ctl_raw_commands[];
extern const struct ctl_command ctl_container_commands[];
extern const struct ctl_command ctl_manage_commands[];
extern const struct ctl_command ctl_sandbox_commands[];
extern const struct ctl_command ctl_hotplug_commands[];
extern const struct ctl_command ctl_volume_commands[];
extern const struct ctl_command ctl_iptables_commands[];
extern const struct ctl_command ctl_network_commands[];
extern const struct ctl_command ctl_policy_commands[];

/*
 * Calls service/method; on success *ret_response holds the decoded reply
 * (free with protobuf_c_message_free_unpacked). On failure prints the error
 * (text on stderr; also a JSON object on stdout with --json) and returns the
 * exit code to use, which is > 0.
 */
int ctl_call(struct ctl *ctl, const char *service, const char *method,
             const ProtobufCMessage *request, const ProtobufCMessageDescriptor *response_type,
             ProtobufCMessage **ret_response);

/* Connects on first use; returns 0 or the exit code to use (after printing why). */
int ctl_connect(struct ctl *ctl);
/* Prints an RPC failure on stderr (and as JSON on stdout with --json). */
void ctl_report_error(struct ctl *ctl, int code, const char *message);

/* Prints a usage error for `command` and returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * --storage / --device SPEC (ctl/spec_storage.h) parsed onto the end of an
 * array of CTL_MAX_STORAGES / CTL_MAX_DEVICES; 0, or CTL_EXIT_USAGE after
 * saying why. The caller frees the messages.
 */
int ctl_add_storage(const char *cmd, const char *spec, Grpc__Storage **storages, size_t *n);
int ctl_add_device(const char *cmd, const char *spec, Grpc__Device **devices, size_t *n);

/* Help text of SPEC, shared by create-sandbox, run and create. */
#define CTL_STORAGE_SPEC_HELP                                                                              \
        "Storage SPEC, comma-separated KEY=VALUE items:\n"                                                  \
        "  driver=NAME      storage handler: blk, mmioblk, scsi, nvdimm, virtio-fs, 9p, ephemeral,\n"      \
        "                   local, overlayfs, bind, watchable-bind, ...                 (required)\n"      \
        "  source=S         PCI path (02/00), /dev/vdb, SCSI id:lun, /dev/pmem0, share tag or path\n"      \
        "  fstype=T         filesystem type: ext4, xfs, virtiofs, 9p, tmpfs, ...\n"                        \
        "  mount=PATH       mount point in the guest                                    (required)\n"      \
        "  option=O         mount option, repeatable: ro, dax, mode=1777, size=64m, ...\n"                 \
        "  driver-option=O  handler option, repeatable\n"                                                  \
        "  fs-group=GID[:always|:on-root-mismatch]   group ownership policy of the files\n"               \
        "  shared           reference-counted, kept until its last user goes\n"                            \
        "  e.g. driver=blk,source=02/00,fstype=ext4,mount=/run/kata-containers/sandbox/storage/rootfs,option=ro\n"
#define CTL_DEVICE_SPEC_HELP                                                                               \
        "Device SPEC, comma-separated KEY=VALUE items:\n"                                                   \
        "  type=NAME        blk, mmioblk, scsi, nvdimm, vfio-pci, vfio-pci-gk, ...      (required)\n"      \
        "  id=ID            PCI path (02/00), SCSI id:lun, or VFIO device id\n"                            \
        "  vm-path=PATH     device path in the guest, e.g. /dev/vdb\n"                                     \
        "  container-path=PATH   where the container sees it (absolute)\n"                                 \
        "  option=O         repeatable\n"                                                                  \
        "  e.g. type=blk,id=02/00,container-path=/dev/xda\n"                                               \
        "  With container-path, the OCI spec also gets a linux.devices entry for that path (type b for\n"   \
        "  block kinds, c for VFIO, major:minor 0:0, mode 0660) and a cgroup rule allowing b|c 0:0 rwm;\n"  \
        "  the agent puts in the real numbers. A path config.json already lists is left as it is.\n"
#define CTL_SPEC_SYNTAX_HELP                                                                               \
        "A value may contain '='; write a comma inside a value as \\, and a backslash as \\\\.\n"        \
        "At most 4096 bytes per SPEC, 64 option= items per SPEC, 64 --storage and 64 --device.\n"

const struct ctl_command *ctl_find_command(const char *name);
void ctl_print_command_help(const struct ctl_command *cmd);

#endif
