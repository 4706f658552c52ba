/* SPDX-License-Identifier: Apache-2.0 */
/* ct-bench's parts: numbers (ct_numbers.c), the agent's footprint from /proc (ct_proc.c), the commands (ct_bench.c). */
#ifndef KINGLET_CT_BENCH_H
#define KINGLET_CT_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "macro.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CONNECT_TIMEOUT_NS (5 * NSEC_PER_SEC)
/* No RPC here takes long: an answer later than this means the agent is stuck. */
#define RPC_TIMEOUT_NS (30 * NSEC_PER_SEC)
#define REMOVE_TIMEOUT_S 10
#define CGROUP_ROOT "/sys/fs/cgroup"
#define MAX_RUNS 1000000u
#define MAX_COLUMNS 8
#define ID_MAX 96

struct options {
        const char *addr;
        const char *rootfs;
        const char *tag;
        const char *samples;
        const char *columns;
        unsigned runs;
        unsigned warmup;
        unsigned count;
        pid_t agent_pid;
};

/* Samples: rows of up to MAX_COLUMNS values (ns). */
struct samples {
        uint64_t *v; /* row-major, ncol per row */
        size_t n, cap;
        unsigned ncol;
};

struct footprint {
        long rss_kib, hwm_kib;
        int fds, mounts, children, threads, cgroups, bundles;
};

/* Says why, removes the containers this run made, exits 1. */
_Noreturn void die(const char *fmt, ...) _printf_(1, 2);

int cmp_u64(const void *a, const void *b);
double pct_us(const uint64_t *sorted, size_t n, unsigned pct);
void samples_add(struct samples *s, const uint64_t *row);
void samples_save(const struct samples *s, const char *path);
void samples_print(const struct samples *s, const char *const *names);

int count_dirs(const char *path, const char *prefix);
int count_fds(pid_t pid);
int count_lines(const char *path);
int count_cgroups(const char *tag);
long status_kib(pid_t pid, const char *field);
uint64_t agent_cpu_ns(pid_t pid);
uint64_t children_cpu_ns(void);
struct footprint footprint(pid_t pid, const char *tag);
void footprint_print(const char *suffix, const struct footprint *fp);
/* Dies when it cannot: unshare the mount namespace, tmpfs on /run (see ct_proc.c). */
void enter_private_mount_ns(void);

#endif
