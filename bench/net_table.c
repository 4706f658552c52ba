/* SPDX-License-Identifier: Apache-2.0 */
/* net-bench: the markdown table and its notes, from the pooled samples of each row and side. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ct_bench.h"
#include "net_bench.h"

/* The 1-minute load average: the machine's other work, which moves every number here. */
double nb_loadavg(void)
{
        double v = -1;
        FILE *f = fopen("/proc/loadavg", "re");
        if (f) {
                if (fscanf(f, "%lf", &v) != 1)
                        v = -1;
                fclose(f);
        }
        return v;
}

static void put_time(const struct row *row, double us)
{
        if (row->ms)
                printf(" %.2f ms |", us / 1000.0);
        else if (us >= 10000)
                printf(" %.1f ms |", us / 1000.0);
        else
                printf(" %.0f µs |", us);
}

static double cell_stat(struct cell *c, int what) /* 50, 95: percentile; -1: CPU per op; µs */
{
        if (c->s.n == 0)
                return 0;
        if (what < 0)
                return (double)c->cpu_ns / (double)c->s.n / 1000.0;
        qsort(c->s.v, c->s.n, sizeof *c->s.v, cmp_u64);
        return pct_us(c->s.v, c->s.n, (unsigned)what);
}

static void print_row(struct row *row, const char *stat_name, int what)
{
        double v[SIDES] = { 0 };
        printf("| %s, %s |", row->what, stat_name);
        for (int s = 0; s < SIDES; s++) {
                struct cell *c = &row->cell[s];
                if (c->state == CELL_MEASURED) {
                        v[s] = cell_stat(c, what);
                        put_time(row, v[s]);
                } else {
                        printf(" %s |", c->state == CELL_UNIMPLEMENTED ? "UNIMPLEMENTED" : "-");
                }
        }
        double best = 0;
        for (int s = SIDE_PROCS; s < SIDES; s++)
                if (v[s] > 0 && (best == 0 || v[s] < best))
                        best = v[s];
        if (v[SIDE_AGENT] > 0 && best > 0)
                printf(" %.2f |\n", v[SIDE_AGENT] / best);
        else
                printf(" - |\n");
}

void nb_print_table(const struct nb *nb, struct row *rows, size_t nrows, const struct row *list, double load0)
{
        char date[32];
        time_t t = time(NULL);
        strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&t));
        printf("\n## Networking: kinglet-agent next to iproute2 (%s)\n\n", date);
        printf("| Operation | kinglet-agent (ttrpc) | `ip`, a process per command | `ip -batch`, one process "
               "| kinglet / fastest `ip` |\n|---|---|---|---|---|\n");
        for (size_t i = 0; i < nrows; i++) {
                print_row(&rows[i], "median", 50);
                print_row(&rows[i], "p95", 95);
                print_row(&rows[i], "CPU per operation", -1);
        }
        printf("| ListRoutes reply / `ip` output, 1,000 routes |");
        if (list->cell[SIDE_AGENT].state == CELL_MEASURED)
                printf(" %zu bytes protobuf (%zu routes) |", nb->list_reply_bytes, nb->list_routes);
        else
                printf(" %s |", list->cell[SIDE_AGENT].state == CELL_UNIMPLEMENTED ? "UNIMPLEMENTED" : "-");
        printf(" %zu bytes text (%zu lines) | - | - |\n\n", nb->ip_show_bytes, nb->ip_show_lines);
        printf("Runs per side: %zu (rows with 10 routes and ListRoutes), %zu (rows with 1,000-route updates), "
               "all rounds pooled; p95 by nearest rank.\n",
               rows[0].cell[SIDE_PROCS].s.n, rows[nrows - 1].cell[SIDE_BATCH].s.n);
        printf("Load average (1 min) at the start and the end: %.2f, %.2f, on %ld CPUs (above the CPU count,\n"
               "processes waited for a CPU: `ip`'s start-up, many processes, suffers most).\n",
               load0, nb_loadavg(), sysconf(_SC_NPROCESSORS_ONLN));
        fputs("\nNotes:\n"
              "- Both sides work on the same veth link kb0 in one network namespace, in turns. The peer is\n"
              "  iproute2 doing what an agent that shells out would run: `ip link show` (to find the MAC),\n"
              "  `ip link set dev kb0 mtu 1400 up`, `ip addr replace` x2, `ip route replace` x10 as 14\n"
              "  processes, or the same lines in one `ip -batch FILE`. It does less than the agent: it\n"
              "  removes no stale address or route and reads nothing back, where the agent answers with\n"
              "  the interface and the whole table. Replacing 1,000 routes is one `ip -batch` of 1,000\n"
              "  `route del` + 1,000 `route replace`; `ip route show` + `ip -6 route show` are two processes\n"
              "  (one cannot list both families), their output read through a pipe.\n"
              "- What the agent saves is the fork/exec and start-up of `ip` per command (or per batch) and the\n"
              "  text in between: it talks netlink itself, in its own process.\n"
              "- kinglet: client wall time of the ttrpc round trips over a unix socket, encoding and\n"
              "  decoding included; its CPU is the agent's (/proc/PID/stat, 10 ms ticks). `ip`: wall time\n"
              "  from spawning to reaping; CPU of the reaped processes (getrusage).\n"
              "- Kata's own agent (Rust, rtnetlink) cannot be run here: not measured here.\n",
              stdout);
}
