/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net-bench: the guest network RPCs of the real agent next to iproute2 doing
 * the same work, in one network namespace this program makes for the run.
 *
 *   net-bench [--runs N] [--big-runs N] [--rounds R] [--warmup W] [--agent PATH]
 *
 * Rows (each side: median, p95 and CPU per operation, all runs pooled):
 *   1. UpdateInterface (by MAC: MTU, up, one IPv4 and one IPv6 address) +
 *      UpdateRoutes of 10 routes, repeated (the same request each time);
 *   2. ListRoutes with 1,000 routes in the main table, and the reply's size;
 *   3. UpdateRoutes of 1,000 routes replacing 1,000 others (sets A and B in turn);
 *   4. UpdateRoutes of the 1,000 routes already there.
 * The peer is `ip`: one process per command, and one `ip -batch` process.
 *
 * The namespaces (network, mount with a tmpfs on /run, UTS) are made by this
 * process before it starts the agent, so the agent acts on the benchmark's
 * links only, and everything goes away when the run ends. The link is a veth
 * pair kb0/kb1 (this kernel has no dummy driver), addresses from 192.0.2.0/24,
 * 198.51.100.0/24 and 2001:db8::/32 only.
 *
 * Each round runs every side in turn (the order rotating), W unmeasured
 * operations first. An agent whose network RPCs answer UNIMPLEMENTED gets
 * "UNIMPLEMENTED" in its cells; the peer rows are measured regardless.
 * Exit status: 0, 1 when something failed, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ct_bench.h"
#include "net_bench.h"
#include "util.h"

static pid_t g_agent_pid;
static char g_agent_log[96];

/* The agent's log (in our private /run), to stderr when a run fails. */
static void dump_agent_log(void)
{
        char line[1024];
        FILE *f = g_agent_log[0] ? fopen(g_agent_log, "re") : NULL;
        if (!f)
                return;
        fprintf(stderr, "---- agent log (--log-level error) ----\n");
        while (fgets(line, sizeof line, f))
                fputs(line, stderr);
        fprintf(stderr, "---- end of agent log ----\n");
        fclose(f);
}

_Noreturn void die(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("net-bench: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        if (g_agent_pid > 0)
                kill(g_agent_pid, SIGKILL);
        dump_agent_log();
        exit(1);
}

static void usage(FILE *out)
{
        fputs("Usage: net-bench [--runs N] [--big-runs N] [--rounds R] [--warmup W] [--agent PATH]\n"
              "\n"
              "--runs N      measured operations per side, rows 1-2 (default 200)\n"
              "--big-runs N  measured operations per side, rows 3-4 (1,000 routes; default 100)\n"
              "--rounds R    interleaved rounds the runs are split into (default 4)\n"
              "--warmup W    unmeasured operations per side and round (default 5)\n"
              "--agent PATH  the agent (default $KINGLET_AGENT, else build/kinglet-agent)\n",
              out);
}

/* --- the namespace and the agent --- */

static void make_namespace(struct nb *nb)
{
        if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS) < 0)
                die("unshare(NEWNET|NEWNS|NEWUTS): %s", strerror(errno));
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                die("making / private: %s", strerror(errno));
        if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                die("tmpfs on /run: %s", strerror(errno));
        snprintf(nb->dir, sizeof nb->dir, "/run/net-bench");
        if (mkdir(nb->dir, 0700) < 0)
                die("mkdir %s: %s", nb->dir, strerror(errno));
        static const char *const lo_up[] = { "link", "set", "lo", "up", NULL };
        static const char *const add[] = { "link", "add", NB_LINK, "address", NB_MAC, "type", "veth",
                                           "peer", "name", NB_PEER_LINK, NULL };
        static const char *const peer_up[] = { "link", "set", NB_PEER_LINK, "up", NULL };
        nb_ip(nb, lo_up);
        nb_ip(nb, add);
        nb_ip(nb, peer_up);
}

static void start_agent(struct nb *nb, const char *agent)
{
        char addr[128], sock[96];
        const char *log = g_agent_log;
        snprintf(sock, sizeof sock, "%s/agent.sock", nb->dir);
        snprintf(addr, sizeof addr, "unix://%s", sock);
        snprintf(g_agent_log, sizeof g_agent_log, "%s/agent.log", nb->dir);
        if (access(agent, X_OK) < 0)
                die("cannot run the agent %s: %s (build it, or set KINGLET_AGENT)", agent, strerror(errno));
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                die("fork: %s", strerror(errno));
        if (pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                        _exit(126);
                execl(agent, agent, "--server-addr", addr, "--log-level", "error", (char *)NULL);
                _exit(127);
        }
        g_agent_pid = nb->agent_pid = pid;
        struct rpc_error e = { 0 };
        for (int i = 0; i < 500; i++) { /* 5 s: the agent is up in milliseconds */
                int status;
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        g_agent_pid = 0;
                        die("the agent exited at start (status 0x%x)", status);
                }
                if (access(sock, F_OK) == 0 &&
                    ttrpc_client_connect(addr, CONNECT_TIMEOUT_NS, &nb->client.ttrpc, &e) == 0) {
                        nb->client.timeout_ns = RPC_TIMEOUT_NS;
                        return;
                }
                usleep(10 * 1000);
        }
        die("the agent did not listen on %s within 5 s", sock);
}

static void stop_agent(struct nb *nb)
{
        int status;
        ttrpc_client_free(nb->client.ttrpc);
        nb->client.ttrpc = NULL;
        kill(nb->agent_pid, SIGTERM);
        for (int i = 0; waitpid(nb->agent_pid, &status, WNOHANG) != nb->agent_pid; i++) {
                if (i == 500) { /* 5 s */
                        kill(nb->agent_pid, SIGKILL);
                        waitpid(nb->agent_pid, &status, 0);
                        break;
                }
                usleep(10 * 1000);
        }
        g_agent_pid = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "net-bench: the agent ended with status 0x%x after SIGTERM\n", status);
                dump_agent_log();
        }
}

/* --- the harness --- */

static uint64_t side_cpu_ns(const struct nb *nb, int side)
{
        return side == SIDE_AGENT ? agent_cpu_ns(nb->agent_pid) : children_cpu_ns();
}

static void run_side(struct nb *nb, struct row *row, int side, unsigned warmup, unsigned runs)
{
        struct cell *c = &row->cell[side];
        if (!row->op[side] || c->state == CELL_UNIMPLEMENTED)
                return;
        for (unsigned i = 0; i < warmup; i++)
                if (row->op[side](nb) == -ENOSYS) {
                        c->state = CELL_UNIMPLEMENTED;
                        return;
                }
        uint64_t cpu0 = side_cpu_ns(nb, side);
        for (unsigned i = 0; i < runs; i++) {
                uint64_t t0 = now_ns();
                if (row->op[side](nb) == -ENOSYS) {
                        c->state = CELL_UNIMPLEMENTED;
                        return;
                }
                uint64_t t = now_ns() - t0;
                samples_add(&c->s, &t);
        }
        c->cpu_ns += side_cpu_ns(nb, side) - cpu0;
        c->state = CELL_MEASURED;
}

static void run_row(struct nb *nb, struct row *row, unsigned runs, unsigned rounds, unsigned warmup)
{
        for (int s = 0; s < SIDES; s++)
                row->cell[s].s.ncol = 1;
        for (unsigned r = 0; r < rounds; r++) {
                unsigned n = runs / rounds + (r + 1 == rounds ? runs % rounds : 0);
                for (int k = 0; k < SIDES; k++)
                        run_side(nb, row, (int)((r + (unsigned)k) % SIDES), warmup, n);
        }
}

static unsigned parse_count(const char *opt, const char *s, unsigned min)
{
        uint32_t v;
        if (parse_u32(s, 10, &v) < 0 || v < min || v > MAX_RUNS) {
                fprintf(stderr, "net-bench: %s: a number from %u to %u\n", opt, min, MAX_RUNS);
                exit(2);
        }
        return v;
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "runs", required_argument, NULL, 'n' },   { "big-runs", required_argument, NULL, 'b' },
                { "rounds", required_argument, NULL, 'r' }, { "warmup", required_argument, NULL, 'w' },
                { "agent", required_argument, NULL, 'a' },  { "help", no_argument, NULL, 'h' },
                {},
        };
        unsigned runs = 200, big_runs = 100, rounds = 4, warmup = 5;
        const char *agent = getenv("KINGLET_AGENT");
        static struct nb nb;
        int o;

        if (!agent || !*agent)
                agent = "build/kinglet-agent";
        while ((o = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (o) {
                case 'n':
                        runs = parse_count("--runs", optarg, 1);
                        break;
                case 'b':
                        big_runs = parse_count("--big-runs", optarg, 1);
                        break;
                case 'r':
                        rounds = parse_count("--rounds", optarg, 1);
                        break;
                case 'w':
                        warmup = parse_count("--warmup", optarg, 0);
                        break;
                case 'a':
                        agent = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                usage(stderr);
                return 2;
        }
        if (geteuid() != 0) {
                printf("\n## Networking\n\nSkipped: net-bench needs root (network namespaces).\n");
                return 0;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        signal(SIGPIPE, SIG_IGN);
        nb.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nb.null_fd < 0)
                die("/dev/null: %s", strerror(errno));
        double load0 = nb_loadavg();
        nb_routes_init(&nb);
        make_namespace(&nb);
        nb_peer_files(&nb);
        start_agent(&nb, agent);

        struct row rows[] = {
                { .what = "UpdateInterface + UpdateRoutes (10 routes)",
                  .op = { nb_agent_update_all, nb_peer_update_procs, nb_peer_update_batch } },
                { .what = "ListRoutes, 1,000 routes", .ms = true, .op = { nb_agent_list, nb_peer_list_procs, NULL } },
                { .what = "UpdateRoutes, 1,000 routes replacing 1,000 others", .ms = true, .big = true,
                  .op = { nb_agent_swap, NULL, nb_peer_swap_batch } },
                { .what = "UpdateRoutes, the same 1,000 routes again", .ms = true, .big = true,
                  .op = { nb_agent_reapply, NULL, nb_peer_reapply_batch } },
        };
        size_t nrows = sizeof rows / sizeof rows[0];
        /* Row 1 first: it sets the addresses the gateways of the other rows need. */
        run_row(&nb, &rows[0], runs, rounds, warmup);
        if (nb_agent_install(&nb, 0) == -ENOSYS)
                nb_peer_install(&nb, 0);
        for (size_t i = 1; i < nrows; i++)
                run_row(&nb, &rows[i], rows[i].big ? big_runs : runs, rounds, warmup);
        stop_agent(&nb);
        nb_print_table(&nb, rows, nrows, &rows[1], load0);
        return 0;
}
