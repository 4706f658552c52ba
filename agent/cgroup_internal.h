/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the cgroup_*.c files: file access below a group, the hierarchy
 * walk, and the per-version apply and stats entry points.
 */
#ifndef KINGLET_CGROUP_INTERNAL_H
#define KINGLET_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

/* A mount (< CGROUP_PATH_MAX) + a group path (< CGROUP_PATH_MAX) + a file name. */
#define CG_FULL_MAX (2 * CGROUP_PATH_MAX + 128)

/* How many hierarchies to walk: 1 on v2, env->n_v1 on v1. */
size_t cg_hier_count(const struct cgroup_env *env);
/* Hierarchy i's root directory, or NULL when i repeats an earlier mount (co-mounted names). */
const char *cg_hier_base(const struct cgroup_env *env, size_t i);
/* The v1 mount holding `controller`, or NULL. */
const char *cg_v1_mount(const struct cgroup_env *env, const char *controller);

/* buf = a + b [+ "/" + c]; -ENAMETOOLONG when it does not fit. */
int cg_join(char *buf, size_t size, const char *a, const char *b, const char *c);
/*
 * The group's directory for `controller`: on v1 in that controller's
 * hierarchy (-EOPNOTSUPP when it is not mounted), on v2 the one directory.
 */
int cg_dir(const struct cgroup *cg, const char *controller, char *buf, size_t size);

/* One write() of value, the file truncated first (O_TRUNC is a no-op on cgroupfs). */
int cg_write(const char *dir, const char *file, const char *value);
/*
 * The same appending: for files that take one rule per write (devices.allow,
 * io.max, ...), so a fake tree keeps every line the kernel would have read.
 */
int cg_append(const char *dir, const char *file, const char *value);
/* Reads a small file, trailing whitespace stripped. */
int cg_read(const char *dir, const char *file, char *buf, size_t size);
/* A file holding one number; "max" reads as UINT64_MAX. */
int cg_read_u64(const char *dir, const char *file, uint64_t *ret);
/* The number after `key ` on one of text's lines ("oom_kill 3"). -ENOENT without it. */
int cg_keyed_u64(const char *text, const char *key, uint64_t *ret);

/*
 * Write or append, recording a failure in *e with the OCI field that asked
 * for it: a missing file is UNIMPLEMENTED (the kernel lacks the knob or the
 * controller), anything else mapped from the errno.
 */
int cg_set(const char *dir, const char *file, const char *value, const char *field,
           struct rpc_error *e);
int cg_set_line(const char *dir, const char *file, const char *value, const char *field,
                struct rpc_error *e);
/* The error cg_set records for a write that returned r. */
int cg_set_failed(int r, const char *dir, const char *file, const char *value, const char *field,
                  struct rpc_error *e);
/* "field: the kernel has no `controller` controller" (UNIMPLEMENTED, -EOPNOTSUPP). */
int cg_no_controller(struct rpc_error *e, const char *controller, const char *field);
/* "field is not supported on cgroup vN" (UNIMPLEMENTED, -EOPNOTSUPP). */
int cg_unsupported(struct rpc_error *e, const char *field, const char *why);

/* Checks shared by both versions (cgroup_resources.c). */
bool cg_memory_requested(const Grpc__LinuxMemory *m);
bool cg_blockio_requested(const Grpc__LinuxBlockIO *b);
int cg_check_common(const Grpc__LinuxResources *r, struct rpc_error *e);
/* "<maj>:<min>" of a weight or throttle device, checked to be >= 0. */
int cg_devnum(int64_t major, int64_t minor, const char *field, char *buf, size_t size,
              struct rpc_error *e);

int cg_apply_v1(struct cgroup *cg, const Grpc__LinuxResources *r, struct rpc_error *e);
int cg_apply_v2(struct cgroup *cg, const Grpc__LinuxResources *r, struct rpc_error *e);

/* Stats: s comes fully allocated (cgroup_stats.c); buf is scratch for file contents. */
int cg_stats_v1(const struct cgroup *cg, Grpc__CgroupStats *s, char *buf, size_t size);
int cg_stats_v2(const struct cgroup *cg, Grpc__CgroupStats *s, char *buf, size_t size);

/*
 * Parsers of the kernel's stats files (the fuzz_kernel_text harness calls them
 * directly). Lines they cannot read are skipped; only -ENOMEM fails them.
 */
/* Bounds on what a file can make us allocate. */
#define MEMORY_STAT_MAX 256
#define BLKIO_ENTRIES_MAX 4096
/* memory.stat's "key value" lines appended to m->stats. */
int cg_stats_memory_map(Grpc__MemoryStats *m, const char *text);
/* v1 blkio.* lines "8:0 Read 4096", "8:0 4096" (no op) or "Total 4096" (skipped), appended. */
int cg_stats_blkio_v1_parse(const char *text, Grpc__BlkioStatsEntry ***arr, size_t *n);
/* v2 io.stat lines "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...": cut up in place (strtok). */
int cg_stats_io_v2_parse(char *text, Grpc__BlkioStats *b);
/* v1 cpuacct.usage_percpu ("123 456 ..."), cut up in place, into u->percpu_usage. */
int cg_stats_percpu_v1(char *text, Grpc__CpuUsage *u);
int cg_stats_blkio_add(Grpc__BlkioStatsEntry ***arr, size_t *n, uint64_t major, uint64_t minor,
                       const char *op, uint64_t value);
Grpc__HugetlbStats *cg_stats_hugetlb_add(Grpc__CgroupStats *s, const char *size);
void cg_stats_pids(const char *dir, Grpc__PidsStats *p);
int cg_stats_hugetlb(const char *dir, bool v2, Grpc__CgroupStats *s, char *buf, size_t size);
/* Page size part of "hugetlb.<size>.<suffix>", or false when name is not such a file. */
bool cg_hugetlb_file_size(const char *name, const char *suffix, char *ret, size_t size);

#endif
