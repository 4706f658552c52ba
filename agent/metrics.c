/* SPDX-License-Identifier: Apache-2.0 */
/* GetMetrics: reading /proc into a sample, and the sample as Prometheus text. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "metrics.h"
#include "util.h"

/* Kata's item names for the meminfo lines it reports (a subset: what a density question needs). */
const struct metrics_meminfo_key metrics_meminfo_keys[] = {
        { "MemTotal", "mem_total" },         { "MemFree", "mem_free" },
        { "MemAvailable", "mem_available" }, { "Buffers", "buffers" },
        { "Cached", "cached" },              { "SwapCached", "swap_cached" },
        { "Active", "active" },              { "Inactive", "inactive" },
        { "Active(anon)", "active_anon" },   { "Inactive(anon)", "inactive_anon" },
        { "Active(file)", "active_file" },   { "Inactive(file)", "inactive_file" },
        { "Unevictable", "unevictable" },    { "Mlocked", "mlocked" },
        { "SwapTotal", "swap_total" },       { "SwapFree", "swap_free" },
        { "Dirty", "dirty" },                { "Writeback", "writeback" },
        { "AnonPages", "anon_pages" },       { "Mapped", "mapped" },
        { "Shmem", "shmem" },                { "Slab", "slab" },
        { "SReclaimable", "s_reclaimable" }, { "SUnreclaim", "s_unreclaim" },
        { "KernelStack", "kernel_stack" },   { "PageTables", "page_tables" },
        { "CommitLimit", "commit_limit" },   { "Committed_AS", "committed_as" },
        { "HugePages_Total", "hugepages_total" }, { "HugePages_Free", "hugepages_free" },
        { "Hugepagesize", "hugepagesize" },
};
const size_t metrics_n_meminfo_keys = ARRAY_SIZE(metrics_meminfo_keys);
_Static_assert(ARRAY_SIZE(metrics_meminfo_keys) <= METRICS_MEMINFO_MAX, "meminfo table too long");

/* "  123 kB" -> 125952; "  5" -> 5. -EINVAL for anything else. */
static int parse_meminfo_value(const char *s, uint64_t *ret)
{
        char num[24];
        uint64_t v;
        s += strspn(s, " \t");
        size_t n = strspn(s, "0123456789");
        if (n == 0 || n >= sizeof num)
                return -EINVAL;
        memcpy(num, s, n);
        num[n] = '\0';
        if (parse_u64(num, 10, &v) < 0)
                return -EINVAL;
        const char *unit = s + n + strspn(s + n, " \t");
        bool kib = startswith(unit, "kB") != NULL;
        if (!kib && *unit && *unit != '\n')
                return -EINVAL;
        if (kib && v > UINT64_MAX / 1024)
                return -ERANGE;
        *ret = kib ? v * 1024 : v;
        return 0;
}

void metrics_parse_meminfo(const char *text, struct metrics_sample *s)
{
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                const char *colon = strchr(line, ':');
                const char *eol = strchr(line, '\n');
                if (!colon || (eol && colon > eol))
                        continue;
                for (size_t i = 0; i < metrics_n_meminfo_keys; i++) {
                        const char *key = metrics_meminfo_keys[i].key;
                        if ((size_t)(colon - line) == strlen(key) && strncmp(line, key, strlen(key)) == 0 &&
                            parse_meminfo_value(colon + 1, &s->meminfo[i]) == 0)
                                s->have_meminfo[i] = true;
                }
        }
}

int metrics_parse_loadavg(const char *text, struct metrics_sample *s)
{
        double l1, l5, l15;
        unsigned long long running, total;
        if (sscanf(text, "%lf %lf %lf %llu/%llu", &l1, &l5, &l15, &running, &total) != 5 ||
            !(l1 >= 0 && l5 >= 0 && l15 >= 0 && l1 < 1e9 && l5 < 1e9 && l15 < 1e9))
                return -EINVAL;
        s->load1 = l1;
        s->load5 = l5;
        s->load15 = l15;
        s->tasks_running = running;
        s->tasks_total = total;
        s->have_load = true;
        return 0;
}

/* The value of "Key:\t 123 kB" in status text, in bytes (or the bare number). */
static int status_value(const char *text, const char *key, uint64_t *ret)
{
        size_t n = strlen(key);
        for (const char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (strncmp(line, key, n) == 0 && line[n] == ':')
                        return parse_meminfo_value(line + n + 1, ret);
        return -ENOENT;
}

int metrics_parse_status(const char *text, struct metrics_sample *s)
{
        uint64_t rss, vm = 0, threads = 0;
        if (status_value(text, "VmRSS", &rss) < 0)
                return -EINVAL;
        (void)status_value(text, "VmSize", &vm);
        (void)status_value(text, "Threads", &threads);
        s->rss_bytes = rss;
        s->vm_bytes = vm;
        s->threads = threads;
        s->have_status = true;
        return 0;
}

static int read_proc(const char *root, const char *rel, char *buf, size_t size)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", root, rel);
        return read_small_file(path, buf, size, NULL);
}

void metrics_collect(const char *proc_root, struct metrics_sample *s)
{
        char path[512];
        _cleanup_free_ char *buf = malloc(16384);
        if (!buf)
                return;
        if (read_proc(proc_root, "self/status", buf, 16384) == 0)
                (void)metrics_parse_status(buf, s);
        if (read_proc(proc_root, "loadavg", buf, 16384) == 0)
                (void)metrics_parse_loadavg(buf, s);
        if (read_proc(proc_root, "meminfo", buf, 16384) == 0)
                metrics_parse_meminfo(buf, s);
        double up;
        if (read_proc(proc_root, "uptime", buf, 16384) == 0 && sscanf(buf, "%lf", &up) == 1 && up >= 0) {
                s->uptime_seconds = up;
                s->have_uptime = true;
        }
        snprintf(path, sizeof path, "%s/self/fd", proc_root);
        _cleanup_closedir_ DIR *d = opendir(path);
        if (d) {
                uint64_t n = 0;
                char self[16];
                struct dirent *de;
                /* Not counting the descriptor reading the directory. */
                snprintf(self, sizeof self, "%d", dirfd(d));
                while ((de = readdir(d)))
                        n += de->d_name[0] != '.' && !streq(de->d_name, self);
                s->open_fds = n;
                s->have_fds = true;
        }
}

/* --- text --- */

struct out {
        char *buf;
        size_t size, len;
        bool full;
};

static void _printf_(2, 3) emit(struct out *o, const char *fmt, ...)
{
        va_list ap;
        if (o->full)
                return;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= o->size - o->len) {
                o->full = true;
                return;
        }
        o->len += (size_t)n;
}

static void family(struct out *o, const char *name, const char *type, const char *help)
{
        emit(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge_u64(struct out *o, const char *name, const char *help, uint64_t v)
{
        family(o, name, "gauge", help);
        emit(o, "%s %llu\n", name, (unsigned long long)v);
}

int metrics_format(const struct metrics_sample *s, char *buf, size_t size, size_t *ret_len)
{
        struct out o = { .buf = buf, .size = size };
        if (size == 0)
                return -ENOBUFS;
        buf[0] = '\0';
        family(&o, "kata_agent_scrape_count", "counter", "Metrics scrape count");
        emit(&o, "kata_agent_scrape_count %llu\n", (unsigned long long)s->scrape_count);
        if (s->have_status) {
                gauge_u64(&o, "kata_agent_total_rss", "Agent process resident set size in bytes", s->rss_bytes);
                gauge_u64(&o, "kata_agent_total_vm", "Agent process virtual memory size in bytes", s->vm_bytes);
                gauge_u64(&o, "kata_agent_threads", "Agent process threads", s->threads);
        }
        if (s->have_fds)
                gauge_u64(&o, "kata_agent_open_fds", "Agent process open file descriptors", s->open_fds);
        gauge_u64(&o, "kata_agent_containers", "Containers the agent tracks", s->containers);
        gauge_u64(&o, "kata_agent_processes", "Processes (init and exec'd) in the agent's containers",
                  s->processes);
        if (s->have_load) {
                family(&o, "kata_guest_load", "gauge", "Guest system load.");
                emit(&o, "kata_guest_load{item=\"load1\"} %.2f\n", s->load1);
                emit(&o, "kata_guest_load{item=\"load5\"} %.2f\n", s->load5);
                emit(&o, "kata_guest_load{item=\"load15\"} %.2f\n", s->load15);
                family(&o, "kata_guest_tasks", "gauge", "Guest runnable (cur) and total (max) tasks.");
                emit(&o, "kata_guest_tasks{item=\"cur\"} %llu\n", (unsigned long long)s->tasks_running);
                emit(&o, "kata_guest_tasks{item=\"max\"} %llu\n", (unsigned long long)s->tasks_total);
        }
        bool any_meminfo = false;
        for (size_t i = 0; i < metrics_n_meminfo_keys; i++)
                any_meminfo |= s->have_meminfo[i];
        if (any_meminfo)
                family(&o, "kata_guest_meminfo", "gauge",
                       "Statistics about memory usage in the system (bytes; HugePages_* are counts).");
        for (size_t i = 0; i < metrics_n_meminfo_keys; i++)
                if (s->have_meminfo[i])
                        emit(&o, "kata_guest_meminfo{item=\"%s\"} %llu\n", metrics_meminfo_keys[i].item,
                             (unsigned long long)s->meminfo[i]);
        if (s->have_uptime) {
                family(&o, "kata_guest_uptime_seconds", "gauge", "Guest uptime in seconds");
                emit(&o, "kata_guest_uptime_seconds %.2f\n", s->uptime_seconds);
        }
        if (o.full) {
                buf[0] = '\0';
                return -ENOBUFS;
        }
        *ret_len = o.len;
        return 0;
}
