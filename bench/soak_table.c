/* SPDX-License-Identifier: Apache-2.0 */
/* kinglet-soak: the agent's footprint from /proc and the cgroup tree, and the result tables. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#include "ct_bench.h"
#include "soak.h"

/* Long enough for a timer armed "now" in the agent's loop and a SIGCHLD to be handled. */
#define SETTLE_NS (200 * 1000 * 1000)
#define MAX_DEPTH 16

enum target { AT_MOST_SLACK, SAME, ZERO };

static const struct {
        const char *name;
        enum target target;
        bool kib;
} metrics[M_COUNT] = {
        [M_RSS] = { "RSS (VmRSS)", AT_MOST_SLACK, true },
        [M_ANON] = { "heap (smaps_rollup Anonymous)", AT_MOST_SLACK, true },
        [M_FDS] = { "open fds (/proc/PID/fd)", SAME, false },
        [M_MOUNTS] = { "mounts (agent's mountinfo)", SAME, false },
        [M_CGROUPS] = { "cgroups (the soak's groups and below, all hierarchies)", SAME, false },
        [M_BUNDLES] = { "bundles (/run/kata-containers)", SAME, false },
        [M_THREADS] = { "threads", SAME, false },
        [M_PROCS] = { "processes under the agent (any state)", SAME, false },
        [M_ZOMBIES] = { "zombies under the agent", ZERO, false },
};

/* "Field:   123 kB" of a /proc file, in KiB; -1 when absent. */
static long proc_kib(const char *path, const char *field)
{
        char line[256];
        size_t flen = strlen(field);
        long v = -1;
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof line, f))
                if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
                        v = strtol(line + flen + 1, NULL, 10);
                        break;
                }
        if (f)
                fclose(f);
        return v;
}

/* Directories at and below path (path itself included). */
static long count_tree(const char *path, int depth)
{
        DIR *d = opendir(path);
        struct dirent *de;
        long n = 1;
        char sub[1024];
        if (!d)
                return 0;
        while (depth < MAX_DEPTH && (de = readdir(d)))
                if (de->d_type == DT_DIR && !streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        snprintf(sub, sizeof sub, "%.700s/%.255s", path, de->d_name);
                        n += count_tree(sub, depth + 1);
                }
        closedir(d);
        return n;
}

/* Every "<tag>-*" group and what is below it, in each hierarchy (symlinked co-mounts skipped). */
static long count_tag_cgroups(const char *tag)
{
        char prefix[128], path[1024];
        snprintf(prefix, sizeof prefix, "%s-", tag);
        DIR *root = opendir(CGROUP_ROOT);
        struct dirent *h, *g;
        long n = 0;
        if (!root)
                return 0;
        bool v2 = access(CGROUP_ROOT "/cgroup.procs", F_OK) == 0;
        while ((h = readdir(root))) {
                if (h->d_name[0] == '.' || h->d_type != DT_DIR)
                        continue;
                if (v2) { /* the root itself is the hierarchy: h is a group */
                        if (startswith(h->d_name, prefix)) {
                                snprintf(path, sizeof path, "%s/%.255s", CGROUP_ROOT, h->d_name);
                                n += count_tree(path, 0);
                        }
                        continue;
                }
                snprintf(path, sizeof path, "%s/%.255s", CGROUP_ROOT, h->d_name);
                DIR *d = opendir(path);
                while (d && (g = readdir(d)))
                        if (g->d_type == DT_DIR && startswith(g->d_name, prefix)) {
                                char sub[1024];
                                snprintf(sub, sizeof sub, "%.700s/%.255s", path, g->d_name);
                                n += count_tree(sub, 0);
                        }
                if (d)
                        closedir(d);
        }
        closedir(root);
        return n;
}

/* Adds pid's descendants (children of every thread, recursively) to *procs and the zombies to *zombies. */
static void count_descendants(pid_t pid, int depth, long *procs, long *zombies)
{
        char path[96], buf[4096], stat[512];
        DIR *tasks;
        struct dirent *t;
        snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
        if (depth >= MAX_DEPTH || !(tasks = opendir(path)))
                return;
        while ((t = readdir(tasks))) {
                if (t->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof path, "/proc/%d/task/%.16s/children", (int)pid, t->d_name);
                if (read_small_file(path, buf, sizeof buf, NULL) < 0)
                        continue;
                for (char *save = NULL, *c = strtok_r(buf, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
                        pid_t child = (pid_t)strtol(c, NULL, 10);
                        (*procs)++;
                        snprintf(path, sizeof path, "/proc/%d/stat", (int)child);
                        const char *p = read_small_file(path, stat, sizeof stat, NULL) == 0 ? strrchr(stat, ')')
                                                                                              : NULL;
                        if (p && p[1] == ' ' && p[2] == 'Z')
                                (*zombies)++;
                        count_descendants(child, depth + 1, procs, zombies);
                }
        }
        closedir(tasks);
}

struct snap soak_snap(pid_t agent, const char *tag, unsigned cycles)
{
        struct snap s = { .cycles = cycles };
        char path[96];
        struct timespec settle = { .tv_nsec = SETTLE_NS };
        nanosleep(&settle, NULL);
        if (kill(agent, 0) < 0)
                die("the agent (pid %d) is gone", (int)agent);
        snprintf(path, sizeof path, "/proc/%d/status", (int)agent);
        s.v[M_RSS] = proc_kib(path, "VmRSS");
        s.v[M_THREADS] = proc_kib(path, "Threads");
        snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)agent);
        s.v[M_ANON] = proc_kib(path, "Anonymous");
        s.v[M_FDS] = count_fds(agent);
        snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)agent);
        s.v[M_MOUNTS] = count_lines(path);
        s.v[M_CGROUPS] = count_tag_cgroups(tag);
        snprintf(path, sizeof path, "/proc/%d/root/run/kata-containers", (int)agent);
        s.v[M_BUNDLES] = count_dirs(path, NULL);
        count_descendants(agent, 0, &s.v[M_PROCS], &s.v[M_ZOMBIES]);
        return s;
}

static bool met(int m, long before, long after)
{
        switch (metrics[m].target) {
        case AT_MOST_SLACK:
                return after - before <= SOAK_RSS_SLACK_KIB;
        case SAME:
                return after == before;
        case ZERO:
                return after == 0;
        }
        return false;
}

int soak_table(FILE *out, const char *title, const struct snap *s, size_t n)
{
        int failed = 0;
        fprintf(out, "\n%s\n\n| Metric | before |", title);
        for (size_t k = 1; k < n; k++)
                fprintf(out, " after %u |", s[k].cycles);
        fputs(" growth | per cycle, each window | target | result |\n|---|---|", out);
        for (size_t k = 1; k < n; k++)
                fputs("---|", out);
        fputs("---|---|---|---|\n", out);
        for (int m = 0; m < M_COUNT; m++) {
                const char *unit = metrics[m].kib ? " KiB" : "";
                long growth = s[n - 1].v[m] - s[0].v[m];
                fprintf(out, "| %s |", metrics[m].name);
                for (size_t k = 0; k < n; k++)
                        fprintf(out, " %ld%s |", s[k].v[m], unit);
                fprintf(out, " %+ld%s |", growth, unit);
                for (size_t k = 1; k < n; k++) {
                        unsigned c = s[k].cycles - s[k - 1].cycles;
                        long d = s[k].v[m] - s[k - 1].v[m];
                        if (metrics[m].kib && c > 0)
                                fprintf(out, "%s%+.1f B", k > 1 ? " / " : " ", (double)d * 1024.0 / c);
                        else
                                fprintf(out, "%s%+ld", k > 1 ? " / " : " ", d);
                }
                bool ok = met(m, s[0].v[m], s[n - 1].v[m]);
                failed += !ok;
                if (metrics[m].target == AT_MOST_SLACK)
                        fprintf(out, " | growth ≤ %d KiB", SOAK_RSS_SLACK_KIB);
                else
                        fputs(metrics[m].target == ZERO ? " | 0" : " | = before", out);
                fprintf(out, " | %s |\n", ok ? "PASS" : "FAIL");
        }
        return failed;
}
