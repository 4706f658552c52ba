/* SPDX-License-Identifier: Apache-2.0 */
/* kinglet-soak's parts: the agent's footprint and the tables (soak_table.c), the cycles (soak.c). */
#ifndef KINGLET_SOAK_H
#define KINGLET_SOAK_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* What is measured of the agent; soak_table.c's metric table describes each. */
enum soak_metric {
        M_RSS,     /* VmRSS, KiB */
        M_ANON,    /* Anonymous of smaps_rollup: heap, stack, written .data/.bss (not file pages), KiB */
        M_FDS,     /* entries of /proc/PID/fd */
        M_MOUNTS,  /* lines of /proc/PID/mountinfo: the agent's mount namespace */
        M_CGROUPS, /* directories in and below "<tag>-*" groups, every hierarchy */
        M_BUNDLES, /* directories in the agent's /run/kata-containers */
        M_THREADS, /* Threads: of /proc/PID/status */
        M_PROCS,   /* the agent's descendants, any state (it is a subreaper: nothing escapes) */
        M_ZOMBIES, /* of those, in state Z */
        M_COUNT
};

/* Memory may grow this much over a phase (the target); the rest must come back. */
#define SOAK_RSS_SLACK_KIB 64

struct snap {
        long v[M_COUNT];
        unsigned cycles; /* measured cycles done when it was taken */
};

/* Settles briefly (timers armed for "now" fire), then reads everything; dies when the agent is gone. */
struct snap soak_snap(pid_t agent, const char *tag, unsigned cycles);

/*
 * A markdown table of snapshots s[0..n-1] (before, ..., after), growth and
 * per-cycle growth of each window, target and PASS/FAIL; returns the FAILs.
 */
int soak_table(FILE *out, const char *title, const struct snap *s, size_t n);

#endif
