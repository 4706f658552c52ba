/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup_stats from v1 files; what a kernel lacks stays zero. */
#include "cgroup_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int cg_stats_percpu_v1(char *text, Grpc__CpuUsage *u)
{
        size_t n = 0;
        for (char *p = text; *p;) {
                p += strspn(p, " \n");
                if (!*p)
                        break;
                n++;
                p += strcspn(p, " \n");
        }
        if (n == 0)
                return 0;
        uint64_t *percpu = calloc(n, sizeof *percpu);
        if (!percpu)
                return -ENOMEM;
        size_t i = 0;
        for (char *save = NULL, *t = strtok_r(text, " \n", &save); t && i < n;
             t = strtok_r(NULL, " \n", &save))
                if (parse_u64(t, 10, &percpu[i]) == 0)
                        i++;
        u->percpu_usage = percpu;
        u->n_percpu_usage = i;
        return 0;
}

static int cpuacct_v1(const char *dir, Grpc__CpuUsage *u, char *buf, size_t size)
{
        uint64_t v, user, sys;

        if (cg_read_u64(dir, "cpuacct.usage", &v) == 0)
                u->total_usage = v;
        if (cg_read(dir, "cpuacct.usage_percpu", buf, size) == 0 && cg_stats_percpu_v1(buf, u) < 0)
                return -ENOMEM;
        /* Nanoseconds where the kernel has them (4.16+), else cpuacct.stat's clock ticks. */
        if (cg_read_u64(dir, "cpuacct.usage_user", &user) == 0 &&
            cg_read_u64(dir, "cpuacct.usage_sys", &sys) == 0) {
                u->usage_in_usermode = user;
                u->usage_in_kernelmode = sys;
        } else if (cg_read(dir, "cpuacct.stat", buf, size) == 0) {
                long hz = sysconf(_SC_CLK_TCK);
                uint64_t ns_per_tick = hz > 0 ? NSEC_PER_SEC / (uint64_t)hz : NSEC_PER_SEC / 100;
                if (cg_keyed_u64(buf, "user", &v) == 0)
                        u->usage_in_usermode = v * ns_per_tick;
                if (cg_keyed_u64(buf, "system", &v) == 0)
                        u->usage_in_kernelmode = v * ns_per_tick;
        }
        return 0;
}

static void throttling_v1(const char *dir, Grpc__ThrottlingData *t, char *buf, size_t size)
{
        uint64_t v;

        if (cg_read(dir, "cpu.stat", buf, size) < 0)
                return;
        if (cg_keyed_u64(buf, "nr_periods", &v) == 0)
                t->periods = v;
        if (cg_keyed_u64(buf, "nr_throttled", &v) == 0)
                t->throttled_periods = v;
        if (cg_keyed_u64(buf, "throttled_time", &v) == 0)
                t->throttled_time = v;
}

/* <prefix>usage_in_bytes, max_usage_in_bytes, failcnt, limit_in_bytes. */
static void memory_data_v1(const char *dir, const char *prefix, Grpc__MemoryData *d)
{
        static const char *const names[] = {"usage_in_bytes", "max_usage_in_bytes", "failcnt",
                                            "limit_in_bytes"};
        uint64_t *fields[] = {&d->usage, &d->max_usage, &d->failcnt, &d->limit};
        char file[64];
        uint64_t v;

        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                snprintf(file, sizeof file, "%s%s", prefix, names[i]);
                if (cg_read_u64(dir, file, &v) == 0)
                        *fields[i] = v;
        }
}

static int memory_v1(const char *dir, Grpc__MemoryStats *m, char *buf, size_t size)
{
        uint64_t v;

        memory_data_v1(dir, "memory.", m->usage);
        memory_data_v1(dir, "memory.memsw.", m->swap_usage);
        memory_data_v1(dir, "memory.kmem.", m->kernel_usage);
        if (cg_read_u64(dir, "memory.use_hierarchy", &v) == 0)
                m->use_hierarchy = v != 0;
        if (cg_read(dir, "memory.stat", buf, size) < 0)
                return 0;
        if (cg_keyed_u64(buf, "cache", &v) == 0)
                m->cache = v;
        return cg_stats_memory_map(m, buf);
}

int cg_stats_blkio_v1_parse(const char *text, Grpc__BlkioStatsEntry ***arr, size_t *n)
{
        char line[256];

        for (const char *p = text; *p;) {
                const char *start = p, *eol = strchrnul(p, '\n');
                size_t len = (size_t)(eol - start);
                p = *eol ? eol + 1 : eol;
                if (len == 0 || len >= sizeof line)
                        continue;
                memcpy(line, start, len);
                line[len] = '\0';

                char *save = NULL, *dev = strtok_r(line, " ", &save);
                char *a = strtok_r(NULL, " ", &save), *b = strtok_r(NULL, " ", &save);
                char *colon = dev ? strchr(dev, ':') : NULL;
                uint64_t major, minor, value;
                if (!colon || !a)
                        continue;
                *colon = '\0';
                if (parse_u64(dev, 10, &major) < 0 || parse_u64(colon + 1, 10, &minor) < 0 ||
                    parse_u64(b ? b : a, 10, &value) < 0)
                        continue;
                int r = cg_stats_blkio_add(arr, n, major, minor, b ? a : "", value);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int blkio_v1(const char *dir, Grpc__BlkioStats *b, char *buf, size_t size)
{
        /* CFQ's files, else (blk-mq kernels) the throttling layer's, which count every request. */
        const struct {
                const char *file, *fallback;
                Grpc__BlkioStatsEntry ***arr;
                size_t *n;
        } kinds[] = {
                {"blkio.io_service_bytes_recursive", "blkio.throttle.io_service_bytes_recursive",
                 &b->io_service_bytes_recursive, &b->n_io_service_bytes_recursive},
                {"blkio.io_serviced_recursive", "blkio.throttle.io_serviced_recursive",
                 &b->io_serviced_recursive, &b->n_io_serviced_recursive},
                {"blkio.io_queued_recursive", NULL, &b->io_queued_recursive, &b->n_io_queued_recursive},
                {"blkio.io_service_time_recursive", NULL, &b->io_service_time_recursive,
                 &b->n_io_service_time_recursive},
                {"blkio.io_wait_time_recursive", NULL, &b->io_wait_time_recursive,
                 &b->n_io_wait_time_recursive},
                {"blkio.io_merged_recursive", NULL, &b->io_merged_recursive, &b->n_io_merged_recursive},
                {"blkio.time_recursive", NULL, &b->io_time_recursive, &b->n_io_time_recursive},
                {"blkio.sectors_recursive", NULL, &b->sectors_recursive, &b->n_sectors_recursive},
        };

        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                int r = 0;
                if (cg_read(dir, kinds[i].file, buf, size) == 0)
                        r = cg_stats_blkio_v1_parse(buf, kinds[i].arr, kinds[i].n);
                if (r == 0 && *kinds[i].n == 0 && kinds[i].fallback &&
                    cg_read(dir, kinds[i].fallback, buf, size) == 0)
                        r = cg_stats_blkio_v1_parse(buf, kinds[i].arr, kinds[i].n);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cg_stats_v1(const struct cgroup *cg, Grpc__CgroupStats *s, char *buf, size_t size)
{
        char dir[CG_FULL_MAX];
        int r;

        if (cg_dir(cg, "cpuacct", dir, sizeof dir) == 0 &&
            (r = cpuacct_v1(dir, s->cpu_stats->cpu_usage, buf, size)) < 0)
                return r;
        if (cg_dir(cg, "cpu", dir, sizeof dir) == 0)
                throttling_v1(dir, s->cpu_stats->throttling_data, buf, size);
        if (cg_dir(cg, "memory", dir, sizeof dir) == 0 &&
            (r = memory_v1(dir, s->memory_stats, buf, size)) < 0)
                return r;
        if (cg_dir(cg, "pids", dir, sizeof dir) == 0)
                cg_stats_pids(dir, s->pids_stats);
        if (cg_dir(cg, "blkio", dir, sizeof dir) == 0 && (r = blkio_v1(dir, s->blkio_stats, buf, size)) < 0)
                return r;
        if (cg_dir(cg, "hugetlb", dir, sizeof dir) == 0 &&
            (r = cg_stats_hugetlb(dir, false, s, buf, size)) < 0)
                return r;
        return 0;
}
