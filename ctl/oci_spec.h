/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI runtime specs for kinglet-ctl: read an OCI bundle's config.json into the
 * Kata protobuf form (grpc.Spec), or build a default spec for a root
 * filesystem directory, as `runc spec` would. The result is sent in
 * CreateContainerRequest.OCI.
 */
#ifndef KINGLET_OCI_SPEC_H
#define KINGLET_OCI_SPEC_H

#include <stdbool.h>

#include "oci.pb-c.h"
#include "status.h"

/* config.json is read whole; bigger files are refused. */
#define OCI_CONFIG_MAX (1u << 20)

/*
 * Parses an OCI runtime-spec config.json (runtime-spec 1.0–1.2 fields that
 * oci.proto carries: ociVersion, process (terminal, consoleSize, user, args, env,
 * cwd, capabilities, rlimits, noNewPrivileges, apparmorProfile, oomScoreAdj,
 * selinuxLabel), root, hostname, mounts, hooks, annotations, linux (uidMappings,
 * gidMappings, sysctl, resources — all of oci.proto's LinuxResources —,
 * cgroupsPath, namespaces, devices, seccomp, rootfsPropagation, maskedPaths,
 * readonlyPaths, mountLabel, intelRdt)). Unknown members are ignored (the spec
 * allows extensions) and null reads as absent, as in Go; members of the wrong
 * JSON type are INVALID_ARGUMENT naming their path ("linux.resources.memory.limit:
 * expected a number"). A relative root.path is resolved against bundle_dir
 * (lexically, as Go's filepath.Join; kept as is when bundle_dir is NULL).
 * Integers out of range of their runtime-spec Go type are refused (-EINVAL;
 * -ERANGE for a literal beyond 64 bits), and so is text over OCI_CONFIG_MAX
 * (-EFBIG). An absent linux.resources.devices[].major/minor becomes -1 (any).
 * *ret is allocated with malloc throughout, so
 * protobuf_c_message_free_unpacked(&spec->base, NULL) frees it.
 */
int oci_spec_from_json(const char *json, size_t len, const char *bundle_dir, Grpc__Spec **ret,
                       struct rpc_error *e);
/*
 * Reads <bundle_dir>/config.json and parses it. A relative bundle_dir is taken
 * from the current directory, as runc does, so root.path comes out absolute.
 * Errors are prefixed with the file's path; a missing file is NOT_FOUND.
 */
int oci_spec_load_bundle(const char *bundle_dir, Grpc__Spec **ret, struct rpc_error *e);

/*
 * A default spec like `runc spec` produces (same mounts, default capabilities,
 * masked and readonly paths, namespaces pid/ipc/uts/mount/network, RLIMIT_NOFILE
 * 1024, PATH and TERM env, hostname "runc", a deny-all device cgroup rule) with
 * root.path = rootfs and process.args = args (runc's "sh" when n_args is 0).
 * runc adds a cgroup namespace on cgroup2 hosts only; the guest's layout is not
 * known here, so there is none.
 */
int oci_spec_default(const char *rootfs, char *const *args, size_t n_args, bool terminal,
                     Grpc__Spec **ret, struct rpc_error *e);

#endif
