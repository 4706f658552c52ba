/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GetMetrics' numbers and their Prometheus text. Collecting reads a /proc
 * tree (tests point it at a fixture); formatting is a pure function of the
 * sample, so a test can parse the text back and compare.
 *
 * Names follow Kata's agent where it has the metric (kata_agent_total_rss,
 * kata_guest_load{item="load1"}, kata_guest_meminfo{item="mem_total"} in
 * bytes, ...); the ones Kata lacks use the same prefixes.
 */
#ifndef KINGLET_METRICS_H
#define KINGLET_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The text is a few KiB; this bounds it whatever the sample holds. */
#define METRICS_TEXT_MAX (64u << 10)

/* One /proc/meminfo line GetMetrics reports: its key and Kata's item name. */
struct metrics_meminfo_key {
        const char *key;  /* "MemTotal" */
        const char *item; /* "mem_total" */
};
extern const struct metrics_meminfo_key metrics_meminfo_keys[];
extern const size_t metrics_n_meminfo_keys;
#define METRICS_MEMINFO_MAX 40

struct metrics_sample {
        uint64_t scrape_count;
        uint64_t containers, processes;
        bool have_status; /* /proc/self/status */
        uint64_t rss_bytes, vm_bytes, threads;
        bool have_fds;
        uint64_t open_fds;
        bool have_load; /* /proc/loadavg */
        double load1, load5, load15;
        uint64_t tasks_running, tasks_total;
        bool have_uptime;
        double uptime_seconds;
        /* Parallel to metrics_meminfo_keys; values in bytes ("kB" lines scaled). */
        bool have_meminfo[METRICS_MEMINFO_MAX];
        uint64_t meminfo[METRICS_MEMINFO_MAX];
};

/*
 * Fills the /proc parts of *s from proc_root ("/proc"); counters the caller
 * owns (scrape_count, containers, processes) are left as they are. A file
 * that is missing or unreadable leaves its have_* false: metrics are best effort.
 */
void metrics_collect(const char *proc_root, struct metrics_sample *s);

/* Parses meminfo text into s (pure; for metrics_collect and the fuzzer). */
void metrics_parse_meminfo(const char *text, struct metrics_sample *s);
/* Parses "0.12 0.34 0.56 2/345 6789" (pure); -EINVAL when malformed, s untouched. */
int metrics_parse_loadavg(const char *text, struct metrics_sample *s);
/* Parses VmRSS/VmSize/Threads out of /proc/<pid>/status text (pure); -EINVAL without VmRSS. */
int metrics_parse_status(const char *text, struct metrics_sample *s);

/*
 * Writes the exposition text (# HELP, # TYPE, samples) into buf, NUL-terminated;
 * *ret_len its length. Pure. -ENOBUFS when it does not fit.
 */
int metrics_format(const struct metrics_sample *s, char *buf, size_t size, size_t *ret_len);

#endif
