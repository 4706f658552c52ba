/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup v2 has no devices.allow file: device access is decided by a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the group. This module
 * translates the OCI device rules into such a program (our own small
 * instruction emitter; no clang, no libbpf) and attaches it.
 */
#ifndef KINGLET_DEVICES_BPF_H
#define KINGLET_DEVICES_BPF_H

#include <linux/bpf.h>
#include <stddef.h>

#include "oci.pb-c.h"
#include "status.h"

/* At most this many rules: the program stays far below the verifier's limits. */
#define DEVICES_BPF_MAX_RULES 256

struct devices_bpf_prog {
        struct bpf_insn *insns;
        size_t n_insns;
};

/*
 * Builds the program for rules applied in order, the last matching rule
 * winning, as OCI (and runc/crun) define it; the default when nothing matches
 * is deny. A rule: allow, type "a"/"b"/"c" (empty = "a"), major/minor (-1 =
 * any; Kata's protobuf has no presence, so a negative value is "any"; above
 * UINT32_MAX is refused), access a subset of "rwm" (empty = "rwm").
 * The winner is found per access kind: for each of m, r, w that a request asks
 * for, the last rule matching the device and naming that kind decides, and
 * the request passes only if every kind it asks for is allowed (so "allow rwm,
 * deny w" refuses an O_RDWR open). -EINVAL with *e on a bad rule; *ret is
 * written only on success and released with devices_bpf_free().
 */
int devices_bpf_build(const Grpc__LinuxDeviceCgroup *const *rules, size_t n_rules,
                      struct devices_bpf_prog *ret, struct rpc_error *e);
void devices_bpf_free(struct devices_bpf_prog *p);

/*
 * Loads the program and attaches it to the cgroup directory `cgroup_fd` with
 * BPF_F_ALLOW_MULTI, then detaches `old_prog_fd` (>= 0; it stays the caller's
 * to close). The group is never without a program: during the swap both are
 * attached and an access needs both to allow it. If the old one cannot be
 * detached, the new one is detached again and the old rules stay in force.
 * Returns the new program fd in *ret_prog_fd (close-on-exec).
 * The verifier log is included in *e when loading fails.
 */
int devices_bpf_attach(const struct devices_bpf_prog *p, int cgroup_fd, int old_prog_fd,
                       int *ret_prog_fd, struct rpc_error *e);

#endif
