/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kinglet-soak: the leak soak (bench/README.md, "Soak"). Starts the agent in a
 * private mount namespace (a tmpfs on /run, as ct-bench ns-exec does) and runs
 *
 *   1. N container cycles: CreateContainer (64 MiB memory and 64 pids limits,
 *      so cgroup files are written), StartContainer of `sh -c 'echo soak'`,
 *      ReadStdout to EOF, WaitProcess, RemoveContainer;
 *   2. M exec cycles in one long-lived container: ExecProcess of
 *      `echo soak` (a new exec id each time), ReadStdout and ReadStderr to EOF
 *      (what lets the agent forget the exec at once, as a Kata runtime does),
 *      WaitProcess; then that container is removed.
 *
 * The agent's footprint (soak.h) is taken after W warm-up cycles of each
 * phase (so one-time allocations are not counted), halfway and at the end,
 * and once more after both phases; each is printed as a markdown table with
 * growth, growth per cycle in each half (a leak grows in both halves alike,
 * allocator slack does not) and PASS/FAIL against the targets.
 *
 *   kinglet-soak --agent PATH [--containers N] [--execs M] [--warmup W]
 *                [--work DIR] [--tag T] [--strict]
 *
 * Exit status: 0 (a missed target is a result: FAIL rows; with --strict, 3),
 * 1 when the agent or a container failed, 2 on bad usage. Needs root; without
 * it prints "Skipped" and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_client.h"
#include "rootfs.h"
#include "test_spec.h"
#include "ttrpc_client.h"
#include "util.h"

#include "ct_bench.h"
#include "soak.h"

#define SOCKET_WAIT_NS (10 * NSEC_PER_SEC)
#define MAX_CYCLES 1000000u

struct soak {
        const char *agent_path, *tag;
        char work[256], sock[300], addr[320], rootfs[300], log[300];
        bool own_work; /* made here, so removed at the end */
        unsigned containers, execs, warmup;
        pid_t agent;
        struct agent_client client;
        char live[ID_MAX]; /* the container in flight, removed on failure */
        struct test_spec spec, proc;
        char cgroup_path[ID_MAX + 1];
};

static struct soak g_soak; /* one run per process; die() cleans up after it */

/* The agent removes the container left in flight when it is stopped. */
static void stop_agent(void)
{
        struct soak *s = &g_soak;
        if (s->client.ttrpc && s->live[0]) {
                struct rpc_error e = { 0 };
                (void)agent_remove_container(&s->client, s->live, REMOVE_TIMEOUT_S, &e);
                s->live[0] = '\0';
        }
        ttrpc_client_free(s->client.ttrpc);
        s->client.ttrpc = NULL;
        if (s->agent > 0) {
                kill(s->agent, SIGTERM);
                while (waitpid(s->agent, NULL, 0) < 0 && errno == EINTR)
                        ;
                s->agent = 0;
        }
}

_Noreturn void die(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("kinglet-soak: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        if (g_soak.log[0])
                fprintf(stderr, "kinglet-soak: the agent's log: %s\n", g_soak.log);
        stop_agent();
        exit(1);
}

static _Noreturn void fail_rpc(const char *what, const char *id, const struct rpc_error *e)
{
        die("%s %s: %s: %s", what, id, grpc_code_name(e->code), e->msg);
}

static void start_agent(struct soak *s)
{
        struct rpc_error e = { 0 };
        pid_t pid = fork();
        if (pid < 0)
                die("fork: %s", strerror(errno));
        if (pid == 0) {
                int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                        _exit(126);
                enter_private_mount_ns();
                execl(s->agent_path, s->agent_path, "--server-addr", s->addr, "--log-level", "error", (char *)NULL);
                _exit(127);
        }
        s->agent = pid;
        /* Polling the client side is fine here: this is the benchmark, not the agent. */
        for (uint64_t end = now_ns() + SOCKET_WAIT_NS; access(s->sock, F_OK) < 0;) {
                struct timespec ms10 = { .tv_nsec = 10 * 1000 * 1000 };
                if (waitpid(pid, NULL, WNOHANG) == pid) {
                        s->agent = 0;
                        die("the agent (%s) exited before listening on %s", s->agent_path, s->sock);
                }
                if (now_ns() > end)
                        die("the agent did not create %s within 10 s", s->sock);
                nanosleep(&ms10, NULL);
        }
        if (ttrpc_client_connect(s->addr, CONNECT_TIMEOUT_NS, &s->client.ttrpc, &e) < 0)
                die("cannot connect to %s: %s", s->addr, e.msg);
        s->client.timeout_ns = RPC_TIMEOUT_NS;
}

/* Reads one stream of exec_id to EOF; its bytes (truncated) in out. */
static void read_to_eof(struct soak *s, const char *id, const char *exec_id, bool err, char *out, size_t size)
{
        struct rpc_error e = { 0 };
        size_t len = 0;
        for (;;) {
                uint8_t *data = NULL;
                size_t n = 0;
                if (agent_read_stream(&s->client, id, exec_id, err, 65536, &data, &n, &e) < 0)
                        fail_rpc(err ? "ReadStderr" : "ReadStdout", id, &e);
                size_t k = MIN(n, size - 1 - len);
                memcpy(out + len, data, k);
                len += k;
                free(data);
                if (n == 0)
                        break;
        }
        out[len] = '\0';
}

static void wait_ok(struct soak *s, const char *id, const char *exec_id)
{
        struct rpc_error e = { 0 };
        int status = -1;
        if (agent_wait_process(&s->client, id, exec_id, &status, &e) < 0)
                fail_rpc("WaitProcess", id, &e);
        if (status != 0)
                die("%s/%s exited with status %d", id, exec_id, status);
}

static void create_start(struct soak *s, const char *id)
{
        struct rpc_error e = { 0 };
        snprintf(s->cgroup_path, sizeof s->cgroup_path, "/%s", id);
        if (agent_create_container(&s->client, id, &s->spec.spec, NULL, &e) < 0)
                fail_rpc("CreateContainer", id, &e);
        snprintf(s->live, sizeof s->live, "%s", id);
        if (agent_start_container(&s->client, id, &e) < 0)
                fail_rpc("StartContainer", id, &e);
}

static void remove_ct(struct soak *s, const char *id)
{
        struct rpc_error e = { 0 };
        if (agent_remove_container(&s->client, id, REMOVE_TIMEOUT_S, &e) < 0)
                fail_rpc("RemoveContainer", id, &e);
        s->live[0] = '\0';
}

static void container_cycle(struct soak *s, unsigned i)
{
        char id[ID_MAX], out[64];
        snprintf(id, sizeof id, "%s-ct-%u", s->tag, i);
        create_start(s, id);
        read_to_eof(s, id, id, false, out, sizeof out);
        if (!streq(out, "soak\n"))
                die("container cycle %u: stdout was `%s`, expected `soak\\n`", i, out);
        wait_ok(s, id, id);
        remove_ct(s, id);
}

static void exec_cycle(struct soak *s, unsigned i)
{
        struct rpc_error e = { 0 };
        char exec_id[32], out[64], err[256];
        snprintf(exec_id, sizeof exec_id, "x%u", i);
        if (agent_exec_process(&s->client, s->live, exec_id, &s->proc.process, NULL, &e) < 0)
                fail_rpc("ExecProcess", s->live, &e);
        read_to_eof(s, s->live, exec_id, false, out, sizeof out);
        read_to_eof(s, s->live, exec_id, true, err, sizeof err);
        if (!streq(out, "soak\n") || err[0])
                die("exec cycle %u: stdout `%s` (expected `soak\\n`), stderr `%s`", i, out, err);
        wait_ok(s, s->live, exec_id);
}

/* Warm-up, then n cycles with snapshots before, halfway and after: snaps[3]. */
static void run_phase(struct soak *s, const char *name, void (*cycle)(struct soak *, unsigned), unsigned n,
                      struct snap *snaps)
{
        unsigned half = n / 2;
        for (unsigned i = 0; i < s->warmup; i++)
                cycle(s, i);
        snaps[0] = soak_snap(s->agent, s->tag, 0);
        uint64_t t0 = now_ns();
        for (unsigned i = 0; i < n; i++) {
                if (i == half)
                        snaps[1] = soak_snap(s->agent, s->tag, i);
                cycle(s, s->warmup + i);
        }
        double secs = (double)(now_ns() - t0) / 1e9;
        snaps[2] = soak_snap(s->agent, s->tag, n);
        fprintf(stderr, "kinglet-soak: %u %s in %.1f s (%.0f per second)\n", n, name, secs, n / secs);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path) < 0 ? -1 : 0;
}

static unsigned parse_cycles(const char *opt, const char *v, unsigned min)
{
        uint32_t u;
        if (parse_u32(v, 10, &u) < 0 || u < min || u > MAX_CYCLES) {
                fprintf(stderr, "kinglet-soak: %s: a number from %u to %u\n", opt, min, MAX_CYCLES);
                exit(2);
        }
        return u;
}

static void usage(FILE *out)
{
        fputs("Usage: kinglet-soak --agent PATH [--containers N] [--execs M] [--warmup W]\n"
              "                    [--work DIR] [--tag T] [--strict]\n"
              "N container create/start/read/wait/remove cycles (1000), then M exec/read/wait\n"
              "cycles in one container (10000), after W warm-up cycles each (20); the agent's\n"
              "RSS, heap, fds, mounts, cgroups, bundles, threads, processes and zombies before,\n"
              "halfway and after, as markdown tables with PASS/FAIL. --work: a directory for\n"
              "the socket, log and rootfs (default a new one in /tmp, removed at the end).\n"
              "--strict: exit 3 when a target is missed.\n",
              out);
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "agent", required_argument, NULL, 'a' }, { "containers", required_argument, NULL, 'c' },
                { "execs", required_argument, NULL, 'x' }, { "warmup", required_argument, NULL, 'w' },
                { "work", required_argument, NULL, 'd' },  { "tag", required_argument, NULL, 't' },
                { "strict", no_argument, NULL, 's' },      { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const echo_sh[] = { "sh", "-c", "echo soak", NULL };
        static const char *const echo[] = { "echo", "soak", NULL };
        static const char *const sleeper[] = { "sleep", "1000000", NULL };
        static char tag[32];
        struct soak *s = &g_soak;
        bool strict = false;
        int o;

        s->containers = 1000, s->execs = 10000, s->warmup = 20;
        snprintf(tag, sizeof tag, "soak%d", (int)getpid());
        s->tag = tag;
        while ((o = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (o) {
                case 'a':
                        s->agent_path = optarg;
                        break;
                case 'c':
                        s->containers = parse_cycles("--containers", optarg, 0);
                        break;
                case 'x':
                        s->execs = parse_cycles("--execs", optarg, 0);
                        break;
                case 'w':
                        s->warmup = parse_cycles("--warmup", optarg, 1);
                        break;
                case 'd':
                        snprintf(s->work, sizeof s->work, "%s", optarg);
                        break;
                case 't':
                        s->tag = optarg;
                        break;
                case 's':
                        strict = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (!s->agent_path || optind < argc || strlen(s->tag) > 40) {
                usage(stderr);
                return 2;
        }
        if (strlen(s->work) > 80) {
                fprintf(stderr, "kinglet-soak: --work: at most 80 bytes (the socket's path must fit sun_path)\n");
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        signal(SIGPIPE, SIG_IGN);
        if (geteuid() != 0) {
                printf("Soak: skipped (needs root: namespaces, cgroups)\n");
                return 0;
        }
        if (!test_rootfs_available())
                die("%s is missing (busybox-static; `make deps` installs it)", BUSYBOX_PATH);
        if (!s->work[0]) {
                snprintf(s->work, sizeof s->work, "/tmp/kinglet-soak.XXXXXX");
                if (!mkdtemp(s->work))
                        die("mkdtemp: %s", strerror(errno));
                s->own_work = true;
        } else if (mkdir(s->work, 0755) < 0 && errno != EEXIST) {
                die("cannot create %s: %s", s->work, strerror(errno));
        }
        snprintf(s->sock, sizeof s->sock, "%.200s/agent.sock", s->work);
        snprintf(s->addr, sizeof s->addr, "unix://%.250s", s->sock);
        snprintf(s->log, sizeof s->log, "%.200s/agent.log", s->work);
        snprintf(s->rootfs, sizeof s->rootfs, "%.200s/rootfs", s->work);
        (void)unlink(s->sock);
        if ((mkdir(s->rootfs, 0755) < 0 && errno != EEXIST) || test_rootfs_busybox(s->rootfs) < 0)
                die("cannot build the busybox rootfs in %s", s->rootfs);

        start_agent(s);
        struct snap ct[3], ex[3], end[2];
        uint64_t t0 = now_ns();
        test_spec_init(&s->spec, s->rootfs, echo_sh);
        s->spec.linux.cgroupspath = s->cgroup_path;
        test_spec_set_memory(&s->spec, 64 << 20);
        test_spec_set_pids(&s->spec, 64);
        if (s->containers)
                run_phase(s, "container cycles", container_cycle, s->containers, ct);
        else
                ct[0] = soak_snap(s->agent, s->tag, 0);
        end[0] = ct[0];
        if (s->execs) {
                char id[ID_MAX];
                test_spec_init(&s->spec, s->rootfs, sleeper);
                s->spec.linux.cgroupspath = s->cgroup_path;
                test_spec_set_memory(&s->spec, 64 << 20);
                test_spec_set_pids(&s->spec, 64);
                test_spec_init(&s->proc, s->rootfs, echo); /* only its process is used */
                snprintf(id, sizeof id, "%s-exec", s->tag);
                create_start(s, id);
                run_phase(s, "exec cycles", exec_cycle, s->execs, ex);
                remove_ct(s, id);
        }
        end[1] = soak_snap(s->agent, s->tag, s->containers + s->execs);
        double secs = (double)(now_ns() - t0) / 1e9;

        int failed = 0;
        char title[256];
        printf("## Soak: kinglet-agent, %u container cycles and %u exec cycles (%.0f s)\n", s->containers,
               s->execs, secs);
        if (s->containers) {
                snprintf(title, sizeof title,
                         "Container cycles (create, start `sh -c 'echo soak'`, read stdout to EOF, wait, remove), "
                         "after %u warm-up cycles:",
                         s->warmup);
                failed += soak_table(stdout, title, ct, 3);
        }
        if (s->execs) {
                snprintf(title, sizeof title,
                         "Exec cycles in one container (exec `echo soak`, read stdout and stderr to EOF, wait), "
                         "after %u warm-up cycles:",
                         s->warmup);
                failed += soak_table(stdout, title, ex, 3);
        }
        failed += soak_table(stdout, "Overall: before the first phase, and after both (exec container removed):",
                             end, 2);
        printf("\nPer cycle: growth over each window (before → halfway, halfway → after) divided by its cycles."
               "\n%s\n", failed ? "Result: FAIL (a target was missed; see the FAIL rows)" : "Result: PASS");
        stop_agent();
        if (s->own_work)
                (void)nftw(s->work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return failed && strict ? 3 : 0;
}
