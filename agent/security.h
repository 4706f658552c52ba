/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process security from the OCI spec: capabilities, rlimits and seccomp.
 *
 * Parsing and compiling happen in the agent before the container process is
 * created (errors become INVALID_ARGUMENT for the RPC); applying happens in
 * the child, just before execve, with no allocation and no logging.
 */
#ifndef KINGLET_SECURITY_H
#define KINGLET_SECURITY_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "oci.pb-c.h"
#include "status.h"

/* --- capabilities --- */

struct caps {
        /* bit n = capability n (CAP_LAST_CAP of the running kernel bounds them) */
        uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* Capabilities this agent knows by name: 0 (CAP_CHOWN) .. 40 (CAP_CHECKPOINT_RESTORE). */
#define CAPS_KNOWN 41

/* "CAP_SYS_ADMIN" (also without the CAP_ prefix, any case) -> 21; -EINVAL if unknown. */
int cap_from_name(const char *name, int *ret);
/* 21 -> "CAP_SYS_ADMIN"; NULL outside 0..CAPS_KNOWN-1. */
const char *cap_to_name(int cap);
/*
 * Fills *ret from the five lists (c == NULL: all empty); an unknown name fails
 * with a message naming it and its set, and so does an effective cap that is
 * not permitted (capset() would refuse it later with a bare EPERM).
 */
int caps_parse(const Grpc__LinuxCapabilities *c, struct caps *ret, struct rpc_error *e);

/*
 * In the child. caps_prepare() keeps the permitted caps across a uid change
 * (PR_SET_KEEPCAPS): call it before setuid(), and caps_apply() after.
 * caps_apply() raises effective to the current permitted set (setuid emptied
 * it; dropping needs CAP_SETPCAP), drops everything outside the bounding set
 * up to the running kernel's last cap (found by probing PR_CAPBSET_READ, no
 * /proc), then capset()s effective/permitted/inheritable and raises the
 * ambient ones. Caps the kernel does not know are left out; an ambient cap
 * that is not both permitted and inheritable is left out too, as runc does
 * (the kernel would refuse it). Returns -errno.
 */
int caps_prepare(void);
int caps_apply(const struct caps *c);

/* --- rlimits --- */

struct rlimit_set {
        int resource; /* RLIMIT_* */
        struct rlimit limit;
};
#define RLIMITS_MAX 16

/* "RLIMIT_NOFILE" (also without the RLIMIT_ prefix, any case) -> RLIMIT_NOFILE; -EINVAL if unknown. */
int rlimit_from_name(const char *name, int *ret);
/* RLIMIT_NOFILE -> "RLIMIT_NOFILE"; NULL if unknown. */
const char *rlimit_to_name(int resource);
/*
 * Parses the spec's rlimits (soft <= hard checked) into ret[RLIMITS_MAX]; a
 * type given twice keeps its last value (the order runtimes apply them in),
 * so there are at most RLIMITS_MAX entries. *ret_n entries.
 */
int rlimits_parse(Grpc__POSIXRlimit *const *r, size_t n, struct rlimit_set *ret, size_t *ret_n,
                  struct rpc_error *e);
/* In the child: setrlimit each (raw prlimit64: musl's setrlimit takes locks). */
int rlimits_apply(const struct rlimit_set *r, size_t n);

/* --- seccomp --- */

struct seccomp_prog {
        struct sock_filter *filter; /* malloc'd, compiled with libseccomp */
        unsigned short len;
        unsigned int flags; /* SECCOMP_FILTER_FLAG_* from the spec's flags */
};

/*
 * Compiles the spec's filter (default action, architectures — "SCMP_ARCH_X86_64"
 * etc., the native one always included — syscalls by name with actions
 * SCMP_ACT_ALLOW/ERRNO(errnoret, default EPERM)/KILL/KILL_PROCESS/KILL_THREAD/
 * TRAP/TRACE/LOG/NOTIFY(refused: no listener), argument conditions with ops
 * SCMP_CMP_NE/LT/LE/EQ/GE/GT/MASKED_EQ, flags SECCOMP_FILTER_FLAG_LOG/
 * SPEC_ALLOW/TSYNC) into BPF. A syscall name unknown to this architecture is
 * skipped (as runc does: profiles list syscalls of every arch); an unknown action,
 * op, arch or flag is INVALID_ARGUMENT naming it. s == NULL gives an empty program.
 *
 * Details, as runc reads a profile: an empty default action with no syscalls
 * means no filter; TRACE takes errnoret as its data too (default EPERM);
 * errnoret above 4095 (ERRNO) or 0xffff (TRACE) is refused; a rule whose action
 * equals the default is left out (libseccomp refuses those); the conditions of
 * one entry must all hold, except when an argument index repeats in the entry —
 * libseccomp cannot compare one argument twice in a rule, and runc and crun then
 * add one rule per condition ("any of them"), so this does too. The flags are
 * not in the BPF: they go to seccomp(2) from seccomp_install(). A program over
 * BPF_MAXINSNS instructions is INVALID_ARGUMENT (-E2BIG).
 */
int seccomp_compile(const Grpc__LinuxSeccomp *s, struct seccomp_prog *ret, struct rpc_error *e);
/* Frees the filter and zeroes *p (NULL is fine). */
void seccomp_prog_free(struct seccomp_prog *p);
/*
 * In the child: installs the program (raw seccomp(SECCOMP_SET_MODE_FILTER) with
 * the flags; no libseccomp); no-op when empty. Needs PR_SET_NO_NEW_PRIVS or
 * CAP_SYS_ADMIN (EACCES otherwise); every syscall the child makes afterwards
 * goes through the filter.
 */
int seccomp_install(const struct seccomp_prog *p);

#endif
