/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Control groups for containers, v1 and v2 behind one interface.
 *
 * The hierarchy is detected once (cgroup_env_detect): pure cgroup2 at the
 * root is v2; anything else with v1 controllers mounted (including hybrid
 * systems that also have cgroup2 at <root>/unified) is v1, one directory per
 * controller (<root>/memory, <root>/cpu,cpuacct, ...), as the kernel mounts
 * them. Tests point `root` at a fake tree of plain files.
 *
 * Values follow Kata's protobuf mapping of the OCI spec: a zero scalar means
 * "not set" (proto3 has no presence), except where noted below.
 * Everything returns 0 or -errno, with *e filled on failure; nothing logs.
 */
#ifndef KINGLET_CGROUP_H
#define KINGLET_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent.pb-c.h"
#include "oci.pb-c.h"
#include "status.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_PATH_MAX 512
#define CGROUP_V1_MAX_CONTROLLERS 16

enum cgroup_version { CGROUP_V1 = 1, CGROUP_V2 = 2 };

struct cgroup_v1_controller {
        char name[32];  /* "memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "hugetlb", "devices", "freezer", ... */
        char mount[CGROUP_PATH_MAX]; /* directory where this controller's hierarchy is mounted */
};

struct cgroup_env {
        enum cgroup_version version;
        char root[CGROUP_PATH_MAX]; /* normally /sys/fs/cgroup */
        /* v1: controllers found under root (co-mounted ones share a mount, e.g. cpu,cpuacct) */
        struct cgroup_v1_controller v1[CGROUP_V1_MAX_CONTROLLERS];
        size_t n_v1;
};

/*
 * Detects the layout under root (CGROUP_ROOT in production). v2 when root is
 * a cgroup2 mount (statfs CGROUP2_SUPER_MAGIC) or, for fake trees, when
 * root/cgroup.controllers exists; v1 otherwise, controllers from the
 * subdirectories of root that hold a "cgroup.procs" file (for a mount named
 * "cpu,cpuacct" both names map to it; symlinks like "cpu -> cpu,cpuacct"
 * are followed, and `mount` is always the resolved directory). Only kernel
 * controller names count: named hierarchies such as name=systemd's
 * "systemd" directory and the hybrid cgroup2 at root/unified are skipped.
 * -ENOENT when neither is found.
 */
int cgroup_env_detect(const char *root, struct cgroup_env *ret, struct rpc_error *e);

struct cgroup {
        const struct cgroup_env *env;
        /*
         * Path relative to each hierarchy root, starting with '/': the OCI
         * cgroupsPath when given (absolute in every hierarchy; a relative one is
         * taken below "/kata"), else "/kata/<container id>". Validated: no "..",
         * at most CGROUP_PATH_MAX bytes. systemd's "slice:prefix:name" form is
         * accepted and mapped to "/<slice>/<prefix>-<name>.scope", the slice
         * expanded as systemd nests it ("a-b.slice" -> "/a.slice/a-b.slice";
         * an empty slice is "system.slice").
         */
        char path[CGROUP_PATH_MAX];
        /* v2 device program attached by cgroup_apply (fd, or -1). */
        int device_prog_fd;
        /* OOM tracking (cgroup_oom_*). */
        int oom_fd;
        uint64_t oom_kills_seen;
        /*
         * Per hierarchy (index into env->v1, 0 on v2): how many leading
         * components of path existed before cgroup_create; the deeper ones
         * are the ones it made, and the only ones cgroup_destroy removes.
         */
        uint16_t n_existed[CGROUP_V1_MAX_CONTROLLERS];
};

/* Resolves the path (see above) without touching the filesystem. */
int cgroup_resolve_path(const char *cgroups_path, const char *container_id, char *ret,
                        size_t size, struct rpc_error *e);

/*
 * Creates the group in every hierarchy (mkdir -p, existing is fine). On v2,
 * enables the needed controllers in cgroup.subtree_control of each ancestor
 * (those listed in the root's cgroup.controllers; a controller that cannot be
 * enabled is not an error). On v1 cpuset, copies cpuset.cpus/mems from the
 * parent when empty, or tasks cannot join. On failure nothing is left behind
 * (no directory; a controller enabled in an ancestor stays enabled). path
 * must be in the form cgroup_resolve_path makes. env must outlive the group.
 * *ret is malloc'd (free with cgroup_free, which does not remove anything but
 * closes the device program and OOM descriptors; returns NULL).
 */
int cgroup_create(const struct cgroup_env *env, const char *path, struct cgroup **ret,
                  struct rpc_error *e);
struct cgroup *cgroup_free(struct cgroup *cg);

/*
 * Writes the limits in r (NULL: nothing). Mapping:
 *   memory: limit (-1 = unlimited), reservation (v1 memory.soft_limit_in_bytes, v2
 *     memory.low), swap (v1 memsw = limit+swap as OCI, the two written in the order
 *     the kernel accepts; v2 memory.swap.max = swap - limit, which needs a limit
 *     unless swap is -1), kernel/kernel_tcp (v1 memory.kmem[.tcp].limit_in_bytes;
 *     v2: UNIMPLEMENTED), swappiness (v1 only, 0..100; 0 is a real value here only
 *     if limit or other memory fields are set — Kata sends 0 for unset; v2:
 *     UNIMPLEMENTED when non-zero), disable_oom_killer (v1 memory.oom_control; v2
 *     unsupported: -EOPNOTSUPP with a clear message only if it is requested);
 *   cpu: shares (v2 weight = 1 + (shares-2)*9999/262142, shares 2..262144), quota/
 *     period (v1 cpu.cfs_*_us; v2 cpu.max, quota -1 = "max", a period alone keeps
 *     the current quota), cpus/mems (cpuset), realtime runtime/period (v1 only);
 *   pids: limit (<= 0 = "max");
 *   blockio: weight, leaf weight (v1), weight_device, throttle read/write bps/iops
 *     per major:minor (v1 blkio.*, falling back to blkio.bfq.weight[_device] when
 *     the kernel has no CFQ; v2 io.bfq.weight with the v1 value when BFQ is there,
 *     else io.weight "default N" with N = 1 + (weight-10)*9999/990; io.max, one line
 *     per device, rate 0 = "max");
 *   hugepage limits: per page size ("2MB" -> hugetlb.2MB.limit_in_bytes, v2 hugetlb.2MB.max);
 *   devices: v1 devices.deny/devices.allow lines in order (type "a" with partial
 *     access becomes a "b" and a "c" line, since the kernel reads "a" as
 *     everything); v2 via devices_bpf_build()/devices_bpf_attach() (devices_bpf.h),
 *     the program replaced each time;
 *   network: class id (v1 net_cls.classid), priorities (v1 net_prio.ifpriomap);
 *     v2: UNIMPLEMENTED.
 * Everything is checked before the first write, so a refused request changes
 * nothing; a write the kernel refuses can leave the earlier ones in place.
 * Unknown or unsupported settings fail with INVALID_ARGUMENT / UNIMPLEMENTED and
 * a message naming the field; a controller missing from the kernel fails only if
 * that controller's settings are requested (UNIMPLEMENTED, -EOPNOTSUPP).
 */
int cgroup_apply(struct cgroup *cg, const Grpc__LinuxResources *r, struct rpc_error *e);

/* Moves pid into the group (every hierarchy on v1). */
int cgroup_add_pid(struct cgroup *cg, pid_t pid, struct rpc_error *e);

/*
 * Freezes or thaws. v2: cgroup.freeze; v1: freezer.state FROZEN/THAWED. Does not
 * wait for FREEZING to become FROZEN (never sleeps); *ret_state (may be NULL)
 * says what the kernel reports right after the write (v2: "frozen" in
 * cgroup.events). No freezer: UNIMPLEMENTED, -EOPNOTSUPP.
 */
enum cgroup_freezer_state { CGROUP_THAWED, CGROUP_FREEZING, CGROUP_FROZEN };
int cgroup_freeze(struct cgroup *cg, bool frozen, enum cgroup_freezer_state *ret_state,
                  struct rpc_error *e);

/*
 * Fills a freshly allocated Grpc__CgroupStats (free it with
 * protobuf_c_message_free_unpacked(&s->base, NULL): every pointer inside must
 * come from malloc) from v1 or v2 files: cpu usage total/percpu/kernel/user and
 * throttling; memory usage/max/failcnt/limit, swap, kernel, cache, use_hierarchy,
 * the full memory.stat map; pids current/limit; blkio recursive stats (v2 from
 * io.stat: rbytes/wbytes -> io_service_bytes_recursive "Read"/"Write",
 * rios/wios -> io_serviced_recursive); hugetlb usage/max/failcnt per size.
 * Files that a kernel lacks are skipped, not errors; every sub-message is
 * there (zeros when nothing was read). Units: nanoseconds for cpu (v2's usec
 * and v1's cpuacct.stat ticks converted), bytes for memory. An unlimited
 * memory limit is UINT64_MAX, an unlimited pids limit 0 (as Kata reports it).
 * v1 swap_usage is memsw (memory + swap); v2's is swap alone (memory.swap.*),
 * and its failcnt is memory.events "max". -ENOENT when the group is gone.
 */
int cgroup_stats(struct cgroup *cg, Grpc__CgroupStats **ret, struct rpc_error *e);

/* Pids in the group (all hierarchies' union on v1 = the pids/memory one). malloc'd array. */
int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n, struct rpc_error *e);

/*
 * Sends sig to every process in the group (v2 with SIGKILL: cgroup.kill when
 * present). Otherwise cgroup.procs is read again until it shows no pid not yet
 * signalled (bounded; freeze first to stop a fork race). Never signals pid <= 1
 * or the caller itself.
 */
int cgroup_kill_all(struct cgroup *cg, int sig, struct rpc_error *e);

/*
 * Removes the group's directories (deepest first; only those cgroup_create
 * made, not shared ancestors that still hold other groups). -EBUSY
 * (FAILED_PRECONDITION) while processes remain, checked in every hierarchy
 * before anything is removed: the caller kills and waits first. Calling it
 * again after success, or after a group vanished, is fine.
 */
int cgroup_destroy(struct cgroup *cg, struct rpc_error *e);

/*
 * OOM notification. cgroup_oom_watch returns a pollable fd (stored in cg too):
 * v1: an eventfd registered with memory.oom_control through cgroup.event_control;
 * v2: an inotify fd watching memory.events (IN_MODIFY). When it is readable the
 * caller calls cgroup_oom_check, which drains the fd and sets *ret_oom when
 * memory.events' oom_kill (v2) or an eventfd count (v1) grew since the last check.
 * v1 also reads memory.oom_control: the eventfd fires when the group is removed
 * too, so with an "oom_kill" line (kernel >= 4.13) an OOM is that count growing
 * or "under_oom 1" (OOM killer disabled); without it, the eventfd count while
 * the group still exists. Watching again replaces the previous fd.
 * cgroup_oom_check: -EBADF without a watch.
 */
int cgroup_oom_watch(struct cgroup *cg, int *ret_fd, struct rpc_error *e);
int cgroup_oom_check(struct cgroup *cg, bool *ret_oom);

#endif
