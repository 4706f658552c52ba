/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup_apply on v2: one directory, OCI's v1-shaped values converted. */
#include "cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices_bpf.h"
#include "util.h"

/* What v2 has no knob for; refused before anything is written. */
static int check_v2(const Grpc__LinuxResources *r, struct rpc_error *e)
{
        const Grpc__LinuxMemory *m = r->memory;
        const Grpc__LinuxCPU *c = r->cpu;
        const Grpc__LinuxBlockIO *b = r->blockio;

        if (m && m->disableoomkiller)
                return cg_unsupported(e, "memory.disableOOMKiller",
                                      "cgroup v2 cannot turn the OOM killer off for a group");
        if (m && m->swappiness)
                return cg_unsupported(e, "memory.swappiness", "cgroup v2 has no per-group swappiness");
        if (m && (m->kernel || m->kerneltcp))
                return cg_unsupported(e, m->kernel ? "memory.kernel" : "memory.kernelTCP",
                                      "cgroup v2 has no separate kernel memory limit");
        if (m && m->swap > 0 && m->limit == 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "memory.swap needs memory.limit on cgroup v2 (swap.max = swap - limit)");
        if (c && (c->realtimeruntime || c->realtimeperiod))
                return cg_unsupported(e, "cpu.realtimeRuntime/realtimePeriod",
                                      "cgroup v2 has no real-time group scheduling");
        if (c && c->shares && (c->shares < 2 || c->shares > 262144))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "cpu.shares: %" PRIu64 " is not in 2..262144", c->shares);
        if (b && b->leafweight)
                return cg_unsupported(e, "blockIO.leafWeight", "cgroup v2 has no leaf weights");
        for (size_t i = 0; b && i < b->n_weightdevice; i++)
                if (b->weightdevice[i]->leafweight)
                        return cg_unsupported(e, "blockIO.weightDevice.leafWeight",
                                              "cgroup v2 has no leaf weights");
        if (b && b->weight && (b->weight < 10 || b->weight > 1000))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "blockIO.weight: %" PRIu32 " is not in 10..1000", b->weight);
        for (size_t i = 0; b && i < b->n_weightdevice; i++) {
                uint32_t w = b->weightdevice[i]->weight;
                if (w && (w < 10 || w > 1000))
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "blockIO.weightDevice: %" PRIu32 " is not in 10..1000", w);
        }
        if (r->network && (r->network->classid || r->network->n_priorities))
                return cg_unsupported(e, "network", "cgroup v2 has no net_cls or net_prio controller");
        return 0;
}

static void fmt_limit(char *buf, size_t size, int64_t v)
{
        if (v < 0)
                snprintf(buf, size, "max");
        else
                snprintf(buf, size, "%" PRId64, v);
}

static int memory_v2(const char *dir, const Grpc__LinuxMemory *m, struct rpc_error *e)
{
        char v[32];
        int r;

        if (!m)
                return 0;
        fmt_limit(v, sizeof v, m->limit);
        if (m->limit && (r = cg_set(dir, "memory.max", v, "memory.limit", e)) < 0)
                return r;
        fmt_limit(v, sizeof v, m->reservation);
        if (m->reservation && (r = cg_set(dir, "memory.low", v, "memory.reservation", e)) < 0)
                return r;
        if (m->swap) {
                /* OCI's swap is memory+swap; memory.swap.max counts swap alone. */
                if (m->swap < 0 || m->limit < 0)
                        fmt_limit(v, sizeof v, -1);
                else
                        fmt_limit(v, sizeof v, m->swap - m->limit);
                if ((r = cg_set(dir, "memory.swap.max", v, "memory.swap", e)) < 0)
                        return r;
        }
        return 0;
}

/* cpu.max is "<quota> <period>"; a period alone keeps the quota in force. */
static int cpu_max(const char *dir, const Grpc__LinuxCPU *c, struct rpc_error *e)
{
        char v[96], cur[64];

        if (c->quota) {
                fmt_limit(cur, sizeof cur, c->quota);
        } else {
                int r = cg_read(dir, "cpu.max", cur, sizeof cur);
                if (r < 0)
                        return rpc_error_set(e, r == -ENOENT ? GRPC_UNIMPLEMENTED : grpc_code_from_errno(r),
                                             r == -ENOENT ? -EOPNOTSUPP : r,
                                             "cpu.period: cannot read cpu.max: %s", strerror(-r));
                cur[strcspn(cur, " ")] = '\0';
        }
        if (c->period)
                snprintf(v, sizeof v, "%s %" PRIu64, cur, c->period);
        else
                snprintf(v, sizeof v, "%s", cur);
        return cg_set(dir, "cpu.max", v, c->quota ? "cpu.quota" : "cpu.period", e);
}

static int cpu_v2(const char *dir, const Grpc__LinuxCPU *c, struct rpc_error *e)
{
        char v[32];
        int r;

        if (!c)
                return 0;
        if (c->shares) {
                /* Maps 2..262144 (v1 shares) onto 1..10000 (v2 weight). */
                snprintf(v, sizeof v, "%" PRIu64, 1 + ((c->shares - 2) * 9999) / 262142);
                if ((r = cg_set(dir, "cpu.weight", v, "cpu.shares", e)) < 0)
                        return r;
        }
        if ((c->quota || c->period) && (r = cpu_max(dir, c, e)) < 0)
                return r;
        if (c->cpus && c->cpus[0] && (r = cg_set(dir, "cpuset.cpus", c->cpus, "cpu.cpus", e)) < 0)
                return r;
        if (c->mems && c->mems[0] && (r = cg_set(dir, "cpuset.mems", c->mems, "cpu.mems", e)) < 0)
                return r;
        return 0;
}

/*
 * BFQ's io.bfq.weight takes v1's 10..1000 as they are; io.weight (iocost)
 * spans 1..10000. BFQ first, as it is the one that acts when it is the
 * device's scheduler.
 */
static int io_weight(const char *dir, const char *dev, uint32_t w, const char *field,
                     struct rpc_error *e)
{
        char v[96];

        snprintf(v, sizeof v, "%s %" PRIu32 "\n", dev ? dev : "default", w);
        int r = dev ? cg_append(dir, "io.bfq.weight", v) : cg_write(dir, "io.bfq.weight", v);
        if (r != -ENOENT)
                return r < 0 ? cg_set_failed(r, dir, "io.bfq.weight", v, field, e) : 0;
        snprintf(v, sizeof v, "%s %" PRIu32 "\n", dev ? dev : "default", 1 + (w - 10) * 9999 / 990);
        return dev ? cg_set_line(dir, "io.weight", v, field, e) : cg_set(dir, "io.weight", v, field, e);
}

struct io_max_line {
        char dev[48];
        char text[200];
};

static void io_max_add(struct io_max_line *lines, size_t *n, const char *dev, const char *key,
                       uint64_t rate)
{
        size_t i;
        for (i = 0; i < *n && !streq(lines[i].dev, dev); i++)
                ;
        if (i == *n) {
                snprintf(lines[i].dev, sizeof lines[i].dev, "%s", dev);
                snprintf(lines[i].text, sizeof lines[i].text, "%s", dev);
                (*n)++;
        }
        size_t len = strlen(lines[i].text);
        /* A v1 rate of 0 removes the limit; io.max spells that "max". */
        if (rate)
                snprintf(lines[i].text + len, sizeof lines[i].text - len, " %s=%" PRIu64, key, rate);
        else
                snprintf(lines[i].text + len, sizeof lines[i].text - len, " %s=max", key);
}

/* io.max takes one device per write, with any of rbps/wbps/riops/wiops on its line. */
static int io_max(const char *dir, const Grpc__LinuxBlockIO *b, struct rpc_error *e)
{
        struct {
                Grpc__LinuxThrottleDevice **t;
                size_t n;
                const char *key;
        } lists[] = {
                {b->throttlereadbpsdevice, b->n_throttlereadbpsdevice, "rbps"},
                {b->throttlewritebpsdevice, b->n_throttlewritebpsdevice, "wbps"},
                {b->throttlereadiopsdevice, b->n_throttlereadiopsdevice, "riops"},
                {b->throttlewriteiopsdevice, b->n_throttlewriteiopsdevice, "wiops"},
        };
        size_t total = 0, n = 0;
        char dev[48];
        int r;

        for (size_t k = 0; k < ARRAY_SIZE(lists); k++)
                total += lists[k].n;
        if (total == 0)
                return 0;
        _cleanup_free_ struct io_max_line *lines = calloc(total, sizeof *lines);
        if (!lines)
                return -ENOMEM;
        for (size_t k = 0; k < ARRAY_SIZE(lists); k++)
                for (size_t i = 0; i < lists[k].n; i++) {
                        const Grpc__LinuxThrottleDevice *t = lists[k].t[i];
                        if ((r = cg_devnum(t->major, t->minor, "blockIO.throttle", dev, sizeof dev, e)) < 0)
                                return r;
                        io_max_add(lines, &n, dev, lists[k].key, t->rate);
                }
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(lines[i].text);
                snprintf(lines[i].text + len, sizeof lines[i].text - len, "\n");
                if ((r = cg_set_line(dir, "io.max", lines[i].text, "blockIO.throttle", e)) < 0)
                        return r;
        }
        return 0;
}

static int io_v2(const char *dir, const Grpc__LinuxBlockIO *b, struct rpc_error *e)
{
        char dev[48];
        int r;

        if (!cg_blockio_requested(b))
                return 0;
        if (b->weight && (r = io_weight(dir, NULL, b->weight, "blockIO.weight", e)) < 0)
                return r;
        for (size_t i = 0; i < b->n_weightdevice; i++) {
                const Grpc__LinuxWeightDevice *w = b->weightdevice[i];
                if (!w->weight)
                        continue;
                if ((r = cg_devnum(w->major, w->minor, "blockIO.weightDevice", dev, sizeof dev, e)) < 0 ||
                    (r = io_weight(dir, dev, w->weight, "blockIO.weightDevice", e)) < 0)
                        return r;
        }
        return io_max(dir, b, e);
}

static int hugetlb_v2(const char *dir, Grpc__LinuxHugepageLimit *const *h, size_t n,
                      struct rpc_error *e)
{
        char file[64], v[32];

        for (size_t i = 0; i < n; i++) {
                snprintf(file, sizeof file, "hugetlb.%s.max", h[i]->pagesize);
                snprintf(v, sizeof v, "%" PRIu64, h[i]->limit);
                int r = cg_set(dir, file, v, "hugepageLimits", e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The new program goes in before the old one leaves, so the group is never unguarded. */
static int devices_v2(struct cgroup *cg, const char *dir, const struct devices_bpf_prog *prog,
                      struct rpc_error *e)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int new_fd = -1;

        if (fd < 0)
                return rpc_error_set(e, grpc_code_from_errno(errno), -errno,
                                     "devices: cannot open cgroup `%.200s`: %s", dir, strerror(errno));
        int r = devices_bpf_attach(prog, fd, cg->device_prog_fd, &new_fd, e);
        if (r < 0)
                return r;
        close_and_reset(&cg->device_prog_fd);
        cg->device_prog_fd = new_fd;
        return 0;
}

int cg_apply_v2(struct cgroup *cg, const Grpc__LinuxResources *r, struct rpc_error *e)
{
        struct devices_bpf_prog prog = {0};
        char dir[CG_FULL_MAX];
        int ret;

        if ((ret = check_v2(r, e)) < 0)
                return ret;
        if ((ret = cg_dir(cg, NULL, dir, sizeof dir)) < 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, ret, "cgroup path `%.200s` is too long",
                                     cg->path);
        /* Built first: a rule the builder refuses stops the request before any write. */
        if (r->n_devices > 0 &&
            (ret = devices_bpf_build((const Grpc__LinuxDeviceCgroup *const *)r->devices, r->n_devices,
                                     &prog, e)) < 0)
                return ret;

        if ((ret = memory_v2(dir, r->memory, e)) < 0 || (ret = cpu_v2(dir, r->cpu, e)) < 0)
                goto out;
        if (r->pids) {
                char v[32];
                fmt_limit(v, sizeof v, r->pids->limit > 0 ? r->pids->limit : -1);
                if ((ret = cg_set(dir, "pids.max", v, "pids.limit", e)) < 0)
                        goto out;
        }
        if ((ret = io_v2(dir, r->blockio, e)) < 0 ||
            (ret = hugetlb_v2(dir, r->hugepagelimits, r->n_hugepagelimits, e)) < 0)
                goto out;
        if (r->n_devices > 0)
                ret = devices_v2(cg, dir, &prog, e);
out:
        devices_bpf_free(&prog);
        return ret;
}
