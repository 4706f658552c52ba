/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup_apply on v1: one hierarchy per controller, one file per knob. */
#include "cgroup_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* The group's directory in each hierarchy a request needs; "" when not needed. */
struct v1_dirs {
        char memory[CG_FULL_MAX], cpu[CG_FULL_MAX], cpuset[CG_FULL_MAX], pids[CG_FULL_MAX];
        char blkio[CG_FULL_MAX], hugetlb[CG_FULL_MAX], devices[CG_FULL_MAX];
        char net_cls[CG_FULL_MAX], net_prio[CG_FULL_MAX];
};

static int need(const struct cgroup *cg, bool wanted, const char *controller, const char *field,
                char *dir, struct rpc_error *e)
{
        dir[0] = '\0';
        if (!wanted)
                return 0;
        int r = cg_dir(cg, controller, dir, CG_FULL_MAX);
        if (r == -EOPNOTSUPP)
                return cg_no_controller(e, controller, field);
        if (r < 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, r, "cgroup path `%.200s` is too long",
                                     cg->path);
        return 0;
}

/* Every controller the request names must be there before anything is written. */
static int find_dirs(const struct cgroup *cg, const Grpc__LinuxResources *r, struct v1_dirs *d,
                     struct rpc_error *e)
{
        const Grpc__LinuxCPU *c = r->cpu;
        bool cpu = c && (c->shares || c->quota || c->period || c->realtimeruntime || c->realtimeperiod);
        bool cpuset = c && ((c->cpus && c->cpus[0]) || (c->mems && c->mems[0]));
        int ret;

        if ((ret = need(cg, cg_memory_requested(r->memory), "memory", "memory", d->memory, e)) < 0 ||
            (ret = need(cg, cpu, "cpu", "cpu", d->cpu, e)) < 0 ||
            (ret = need(cg, cpuset, "cpuset", "cpu.cpus/mems", d->cpuset, e)) < 0 ||
            (ret = need(cg, r->pids, "pids", "pids", d->pids, e)) < 0 ||
            (ret = need(cg, cg_blockio_requested(r->blockio), "blkio", "blockIO", d->blkio, e)) < 0 ||
            (ret = need(cg, r->n_hugepagelimits > 0, "hugetlb", "hugepageLimits", d->hugetlb, e)) < 0 ||
            (ret = need(cg, r->n_devices > 0, "devices", "devices", d->devices, e)) < 0 ||
            (ret = need(cg, r->network && r->network->classid, "net_cls", "network.classID",
                        d->net_cls, e)) < 0 ||
            (ret = need(cg, r->network && r->network->n_priorities, "net_prio", "network.priorities",
                        d->net_prio, e)) < 0)
                return ret;
        return 0;
}

static int set_i64(const char *dir, const char *file, int64_t v, const char *field,
                   struct rpc_error *e)
{
        char s[32];
        snprintf(s, sizeof s, "%" PRId64, v);
        return cg_set(dir, file, s, field, e);
}

static int set_u64(const char *dir, const char *file, uint64_t v, const char *field,
                   struct rpc_error *e)
{
        char s[32];
        snprintf(s, sizeof s, "%" PRIu64, v);
        return cg_set(dir, file, s, field, e);
}

/*
 * The kernel keeps memsw >= limit after every write, so when the new limit
 * is above the current memsw, memsw goes first.
 */
static int memory_limits(const char *dir, const Grpc__LinuxMemory *m, struct rpc_error *e)
{
        int64_t swap = m->swap;
        bool swap_first = false;
        uint64_t cur;
        int r;

        /* Unlimited memory with a limited memsw left from before would be refused. */
        if (m->limit == -1 && swap == 0 && cg_read_u64(dir, "memory.memsw.limit_in_bytes", &cur) == 0)
                swap = -1;
        if (m->limit && swap)
                swap_first = m->limit == -1 ||
                             (cg_read_u64(dir, "memory.memsw.limit_in_bytes", &cur) == 0 &&
                              (uint64_t)m->limit > cur);
        if (swap_first && (r = set_i64(dir, "memory.memsw.limit_in_bytes", swap, "memory.swap", e)) < 0)
                return r;
        if (m->limit && (r = set_i64(dir, "memory.limit_in_bytes", m->limit, "memory.limit", e)) < 0)
                return r;
        if (!swap_first && swap &&
            (r = set_i64(dir, "memory.memsw.limit_in_bytes", swap, "memory.swap", e)) < 0)
                return r;
        return 0;
}

static int memory_v1(const char *dir, const Grpc__LinuxMemory *m, struct rpc_error *e)
{
        int r;

        if (!cg_memory_requested(m))
                return 0;
        if ((r = memory_limits(dir, m, e)) < 0)
                return r;
        if (m->reservation &&
            (r = set_i64(dir, "memory.soft_limit_in_bytes", m->reservation, "memory.reservation", e)) < 0)
                return r;
        if (m->kernel &&
            (r = set_i64(dir, "memory.kmem.limit_in_bytes", m->kernel, "memory.kernel", e)) < 0)
                return r;
        if (m->kerneltcp && (r = set_i64(dir, "memory.kmem.tcp.limit_in_bytes", m->kerneltcp,
                                         "memory.kernelTCP", e)) < 0)
                return r;
        /*
         * The Kata API cannot tell an unset swappiness from 0 (proto3, no
         * presence), and a Kata runtime sends 0 for unset: the group keeps its
         * parent's value, as runc does when the spec has none.
         */
        if (m->swappiness && (r = set_u64(dir, "memory.swappiness", m->swappiness, "memory.swappiness", e)) < 0)
                return r;
        if (m->disableoomkiller &&
            (r = cg_set(dir, "memory.oom_control", "1", "memory.disableOOMKiller", e)) < 0)
                return r;
        return 0;
}

static int cpu_v1(const struct v1_dirs *d, const Grpc__LinuxCPU *c, struct rpc_error *e)
{
        uint64_t cur;
        int r;

        if (!c)
                return 0;
        if (c->shares && (r = set_u64(d->cpu, "cpu.shares", c->shares, "cpu.shares", e)) < 0)
                return r;
        if (c->period && (r = set_u64(d->cpu, "cpu.cfs_period_us", c->period, "cpu.period", e)) < 0)
                return r;
        if (c->quota && (r = set_i64(d->cpu, "cpu.cfs_quota_us", c->quota, "cpu.quota", e)) < 0)
                return r;
        /* runtime <= period at every step: a period below the current runtime goes second. */
        bool runtime_first = c->realtimeperiod && c->realtimeruntime > 0 &&
                             cg_read_u64(d->cpu, "cpu.rt_runtime_us", &cur) == 0 &&
                             cur != UINT64_MAX && c->realtimeperiod < cur;
        if (runtime_first && (r = set_i64(d->cpu, "cpu.rt_runtime_us", c->realtimeruntime,
                                          "cpu.realtimeRuntime", e)) < 0)
                return r;
        if (c->realtimeperiod && (r = set_u64(d->cpu, "cpu.rt_period_us", c->realtimeperiod,
                                              "cpu.realtimePeriod", e)) < 0)
                return r;
        if (!runtime_first && c->realtimeruntime &&
            (r = set_i64(d->cpu, "cpu.rt_runtime_us", c->realtimeruntime, "cpu.realtimeRuntime", e)) < 0)
                return r;
        if (c->cpus && c->cpus[0] && (r = cg_set(d->cpuset, "cpuset.cpus", c->cpus, "cpu.cpus", e)) < 0)
                return r;
        if (c->mems && c->mems[0] && (r = cg_set(d->cpuset, "cpuset.mems", c->mems, "cpu.mems", e)) < 0)
                return r;
        return 0;
}

/* CFQ's blkio.weight is gone from blk-mq kernels; BFQ's takes the same 10..1000 values. */
static int set_weight(const char *dir, const char *file, const char *bfq_file, const char *value,
                      bool line, const char *field, struct rpc_error *e)
{
        int r = line ? cg_append(dir, file, value) : cg_write(dir, file, value);
        if (r == -ENOENT)
                return line ? cg_set_line(dir, bfq_file, value, field, e)
                            : cg_set(dir, bfq_file, value, field, e);
        return r < 0 ? cg_set_failed(r, dir, file, value, field, e) : 0;
}

static int throttle_v1(const char *dir, const char *file, Grpc__LinuxThrottleDevice *const *t,
                       size_t n, const char *field, struct rpc_error *e)
{
        char num[48], line[80];

        for (size_t i = 0; i < n; i++) {
                int r = cg_devnum(t[i]->major, t[i]->minor, field, num, sizeof num, e);
                if (r < 0)
                        return r;
                snprintf(line, sizeof line, "%s %" PRIu64 "\n", num, t[i]->rate);
                if ((r = cg_set_line(dir, file, line, field, e)) < 0)
                        return r;
        }
        return 0;
}

static int blkio_v1(const char *dir, const Grpc__LinuxBlockIO *b, struct rpc_error *e)
{
        char v[96], num[48];
        int r;

        if (!cg_blockio_requested(b))
                return 0;
        snprintf(v, sizeof v, "%" PRIu32, b->weight);
        if (b->weight && (r = set_weight(dir, "blkio.weight", "blkio.bfq.weight", v, false,
                                         "blockIO.weight", e)) < 0)
                return r;
        snprintf(v, sizeof v, "%" PRIu32, b->leafweight);
        if (b->leafweight && (r = cg_set(dir, "blkio.leaf_weight", v, "blockIO.leafWeight", e)) < 0)
                return r;
        for (size_t i = 0; i < b->n_weightdevice; i++) {
                const Grpc__LinuxWeightDevice *w = b->weightdevice[i];
                if ((r = cg_devnum(w->major, w->minor, "blockIO.weightDevice", num, sizeof num, e)) < 0)
                        return r;
                snprintf(v, sizeof v, "%s %" PRIu32 "\n", num, w->weight);
                if (w->weight && (r = set_weight(dir, "blkio.weight_device", "blkio.bfq.weight_device",
                                                 v, true, "blockIO.weightDevice", e)) < 0)
                        return r;
                snprintf(v, sizeof v, "%s %" PRIu32 "\n", num, w->leafweight);
                if (w->leafweight && (r = cg_set_line(dir, "blkio.leaf_weight_device", v,
                                                      "blockIO.weightDevice.leafWeight", e)) < 0)
                        return r;
        }
        if ((r = throttle_v1(dir, "blkio.throttle.read_bps_device", b->throttlereadbpsdevice,
                             b->n_throttlereadbpsdevice, "blockIO.throttleReadBpsDevice", e)) < 0 ||
            (r = throttle_v1(dir, "blkio.throttle.write_bps_device", b->throttlewritebpsdevice,
                             b->n_throttlewritebpsdevice, "blockIO.throttleWriteBpsDevice", e)) < 0 ||
            (r = throttle_v1(dir, "blkio.throttle.read_iops_device", b->throttlereadiopsdevice,
                             b->n_throttlereadiopsdevice, "blockIO.throttleReadIOPSDevice", e)) < 0 ||
            (r = throttle_v1(dir, "blkio.throttle.write_iops_device", b->throttlewriteiopsdevice,
                             b->n_throttlewriteiopsdevice, "blockIO.throttleWriteIOPSDevice", e)) < 0)
                return r;
        return 0;
}

static void devnum_or_any(int64_t v, char *buf, size_t size)
{
        if (v < 0)
                snprintf(buf, size, "*");
        else
                snprintf(buf, size, "%" PRId64, v);
}

/* One rule per write, in order: the kernel's list is the result of the sequence. */
static int devices_v1(const char *dir, Grpc__LinuxDeviceCgroup *const *rules, size_t n,
                      struct rpc_error *e)
{
        char major[24], minor[24], line[96];
        int r;

        for (size_t i = 0; i < n; i++) {
                const Grpc__LinuxDeviceCgroup *d = rules[i];
                const char *file = d->allow ? "devices.allow" : "devices.deny";
                const char *type = d->type && d->type[0] ? d->type : "a";
                const char *access = d->access && d->access[0] ? d->access : "rwm";

                devnum_or_any(d->major, major, sizeof major);
                devnum_or_any(d->minor, minor, sizeof minor);
                /* The kernel reads "a" as all devices and all access: narrower needs b and c. */
                if (type[0] == 'a' && strlen(access) < 3) {
                        snprintf(line, sizeof line, "b *:* %s\n", access);
                        if ((r = cg_set_line(dir, file, line, "devices", e)) < 0)
                                return r;
                        snprintf(line, sizeof line, "c *:* %s\n", access);
                } else if (type[0] == 'a') {
                        snprintf(line, sizeof line, "a *:* rwm\n");
                } else {
                        snprintf(line, sizeof line, "%s %s:%s %s\n", type, major, minor, access);
                }
                if ((r = cg_set_line(dir, file, line, "devices", e)) < 0)
                        return r;
        }
        return 0;
}

static int hugetlb_v1(const char *dir, Grpc__LinuxHugepageLimit *const *h, size_t n,
                      struct rpc_error *e)
{
        char file[64];

        for (size_t i = 0; i < n; i++) {
                snprintf(file, sizeof file, "hugetlb.%s.limit_in_bytes", h[i]->pagesize);
                int r = set_u64(dir, file, h[i]->limit, "hugepageLimits", e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int network_v1(const struct v1_dirs *d, const Grpc__LinuxNetwork *n, struct rpc_error *e)
{
        char line[64];
        int r;

        if (!n)
                return 0;
        if (n->classid && (r = set_u64(d->net_cls, "net_cls.classid", n->classid, "network.classID", e)) < 0)
                return r;
        for (size_t i = 0; i < n->n_priorities; i++) {
                snprintf(line, sizeof line, "%s %" PRIu32 "\n", n->priorities[i]->name,
                         n->priorities[i]->priority);
                if ((r = cg_set_line(d->net_prio, "net_prio.ifpriomap", line, "network.priorities", e)) < 0)
                        return r;
        }
        return 0;
}

int cg_apply_v1(struct cgroup *cg, const Grpc__LinuxResources *r, struct rpc_error *e)
{
        struct v1_dirs d;
        int ret;

        if ((ret = find_dirs(cg, r, &d, e)) < 0)
                return ret;
        if ((ret = memory_v1(d.memory, r->memory, e)) < 0 || (ret = cpu_v1(&d, r->cpu, e)) < 0)
                return ret;
        if (r->pids) {
                char v[32];
                if (r->pids->limit > 0)
                        snprintf(v, sizeof v, "%" PRId64, r->pids->limit);
                else
                        snprintf(v, sizeof v, "max");
                if ((ret = cg_set(d.pids, "pids.max", v, "pids.limit", e)) < 0)
                        return ret;
        }
        if ((ret = blkio_v1(d.blkio, r->blockio, e)) < 0 ||
            (ret = hugetlb_v1(d.hugetlb, r->hugepagelimits, r->n_hugepagelimits, e)) < 0 ||
            (ret = devices_v1(d.devices, r->devices, r->n_devices, e)) < 0 ||
            (ret = network_v1(&d, r->network, e)) < 0)
                return ret;
        return 0;
}
