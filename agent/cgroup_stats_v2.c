/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup_stats from v2 files, converted to the v1-shaped message Kata uses. */
#include "cgroup_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define NSEC_PER_USEC 1000ULL

static void cpu_v2(const char *dir, Grpc__CpuStats *c, char *buf, size_t size)
{
        uint64_t v;

        /* cpu.stat is there even without the cpu controller (usage only). */
        if (cg_read(dir, "cpu.stat", buf, size) < 0)
                return;
        if (cg_keyed_u64(buf, "usage_usec", &v) == 0)
                c->cpu_usage->total_usage = v * NSEC_PER_USEC;
        if (cg_keyed_u64(buf, "user_usec", &v) == 0)
                c->cpu_usage->usage_in_usermode = v * NSEC_PER_USEC;
        if (cg_keyed_u64(buf, "system_usec", &v) == 0)
                c->cpu_usage->usage_in_kernelmode = v * NSEC_PER_USEC;
        if (cg_keyed_u64(buf, "nr_periods", &v) == 0)
                c->throttling_data->periods = v;
        if (cg_keyed_u64(buf, "nr_throttled", &v) == 0)
                c->throttling_data->throttled_periods = v;
        if (cg_keyed_u64(buf, "throttled_usec", &v) == 0)
                c->throttling_data->throttled_time = v * NSEC_PER_USEC;
}

/* <prefix>.current, .peak (5.19+), .max, and failcnt from <prefix>.events' `event` count. */
static void memory_data_v2(const char *dir, const char *prefix, const char *event,
                           Grpc__MemoryData *d, char *buf, size_t size)
{
        char file[64];
        uint64_t v;

        snprintf(file, sizeof file, "%s.current", prefix);
        if (cg_read_u64(dir, file, &v) == 0)
                d->usage = v;
        snprintf(file, sizeof file, "%s.peak", prefix);
        if (cg_read_u64(dir, file, &v) == 0)
                d->max_usage = v;
        snprintf(file, sizeof file, "%s.max", prefix);
        if (cg_read_u64(dir, file, &v) == 0)
                d->limit = v;
        snprintf(file, sizeof file, "%s.events", prefix);
        if (cg_read(dir, file, buf, size) == 0 && cg_keyed_u64(buf, event, &v) == 0)
                d->failcnt = v;
}

static int memory_v2(const char *dir, Grpc__MemoryStats *m, char *buf, size_t size)
{
        uint64_t v, slab;

        memory_data_v2(dir, "memory", "max", m->usage, buf, size);
        memory_data_v2(dir, "memory.swap", "fail", m->swap_usage, buf, size);
        m->use_hierarchy = true; /* v2 always counts descendants */
        if (cg_read(dir, "memory.stat", buf, size) < 0)
                return 0;
        if (cg_keyed_u64(buf, "file", &v) == 0)
                m->cache = v;
        /* "kernel" (5.18+) sums what older kernels list as the stack and slab. */
        if (cg_keyed_u64(buf, "kernel", &v) == 0)
                m->kernel_usage->usage = v;
        else if (cg_keyed_u64(buf, "kernel_stack", &v) == 0 && cg_keyed_u64(buf, "slab", &slab) == 0)
                m->kernel_usage->usage = v + slab;
        return cg_stats_memory_map(m, buf);
}

int cg_stats_io_v2_parse(char *text, Grpc__BlkioStats *b)
{
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char *tsave = NULL, *dev = strtok_r(line, " ", &tsave);
                char *colon = dev ? strchr(dev, ':') : NULL;
                uint64_t major, minor;
                int r = 0;

                if (!colon)
                        continue;
                *colon = '\0';
                if (parse_u64(dev, 10, &major) < 0 || parse_u64(colon + 1, 10, &minor) < 0)
                        continue;
                for (char *kv = strtok_r(NULL, " ", &tsave); kv && r == 0; kv = strtok_r(NULL, " ", &tsave)) {
                        char *eq = strchr(kv, '=');
                        uint64_t v;
                        if (!eq)
                                continue;
                        *eq = '\0';
                        if (parse_u64(eq + 1, 10, &v) < 0)
                                continue;
                        if (streq(kv, "rbytes"))
                                r = cg_stats_blkio_add(&b->io_service_bytes_recursive,
                                                       &b->n_io_service_bytes_recursive, major, minor,
                                                       "Read", v);
                        else if (streq(kv, "wbytes"))
                                r = cg_stats_blkio_add(&b->io_service_bytes_recursive,
                                                       &b->n_io_service_bytes_recursive, major, minor,
                                                       "Write", v);
                        else if (streq(kv, "rios"))
                                r = cg_stats_blkio_add(&b->io_serviced_recursive,
                                                       &b->n_io_serviced_recursive, major, minor, "Read", v);
                        else if (streq(kv, "wios"))
                                r = cg_stats_blkio_add(&b->io_serviced_recursive,
                                                       &b->n_io_serviced_recursive, major, minor, "Write", v);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int io_v2(const char *dir, Grpc__BlkioStats *b, char *buf, size_t size)
{
        if (cg_read(dir, "io.stat", buf, size) < 0)
                return 0;
        return cg_stats_io_v2_parse(buf, b);
}

int cg_stats_v2(const struct cgroup *cg, Grpc__CgroupStats *s, char *buf, size_t size)
{
        char dir[CG_FULL_MAX];
        int r;

        if (cg_dir(cg, NULL, dir, sizeof dir) < 0)
                return -ENAMETOOLONG;
        cpu_v2(dir, s->cpu_stats, buf, size);
        if ((r = memory_v2(dir, s->memory_stats, buf, size)) < 0)
                return r;
        cg_stats_pids(dir, s->pids_stats);
        if ((r = io_v2(dir, s->blkio_stats, buf, size)) < 0)
                return r;
        return cg_stats_hugetlb(dir, true, s, buf, size);
}
