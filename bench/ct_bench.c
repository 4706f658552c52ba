/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ct-bench: container benchmarks against a running kinglet-agent, and the
 * small tools bench/ct_peers.sh needs to time crun and runc the same way.
 *
 *   ct-bench lifecycle --addr A --rootfs R --runs N [--warmup W] [--tag T] [--samples F]
 *                      [--agent-pid P]
 *   ct-bench exec      --addr A --rootfs R --runs N [--warmup W] [--tag T] [--samples F]
 *                      [--agent-pid P]
 *   ct-bench density   --addr A --rootfs R --count N --agent-pid P [--tag T]
 *   ct-bench soak      --addr A --rootfs R --cycles N --agent-pid P [--tag T]
 *   ct-bench time-cmd  --runs N [--warmup W] [--samples F] -- COMMAND [ARG...]
 *   ct-bench stats     [--columns NAME,NAME...] FILE...
 *   ct-bench probe     --addr A --rootfs R [--tag T] -- COMMAND [ARG...]
 *   ct-bench rootfs    DIR
 *   ct-bench ns-exec   COMMAND [ARG...]
 *
 * Every measuring subcommand prints one line of key=value pairs on stdout.
 * cpu_us is the CPU time (user + system) per measured run of everything
 * doing the work: for the agent (with --agent-pid) the agent and the
 * container processes it reaped; for time-cmd the command and whatever it
 * reaped (crun and the container). The client's own CPU is in neither.
 * Times are wall-clock (CLOCK_MONOTONIC) per operation, from the client side:
 * for the agent, the ttrpc round trips of each RPC; for time-cmd, spawning the
 * command, its whole run and reaping it. --samples appends every measured
 * operation to a file, one line per operation ("total part part..." in ns),
 * so rounds run at different times can be pooled by `stats`.
 *
 * Containers get ids "<tag>-<kind>-<n>" and the cgroupsPath "/<id>" (one level,
 * like the peers' "/<tag>-<runtime>-..."): whatever is left behind after a
 * failure is easy to find, and the cgroup count in the soak cannot include
 * other users' groups. The spec is tests/support/test_spec.c's default (runc
 * spec: pid, ipc, uts and mount namespaces, the usual mounts, masked and
 * read-only paths, three capabilities, RLIMIT_NOFILE, no_new_privileges).
 *
 * Exit status: 0, 1 when the agent or a command failed (containers this run
 * made are removed first), 2 on bad usage.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_client.h"
#include "rootfs.h"
#include "test_spec.h"
#include "ttrpc_client.h"
#include "util.h"

#include "ct_bench.h"


static const char *prog_cmd = "ct-bench";

static void remove_live(void);

_Noreturn void die(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "ct-bench %s: ", prog_cmd);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        remove_live();
        exit(1);
}

static void usage(FILE *out)
{
        fputs("Usage:\n"
              "  ct-bench lifecycle --addr A --rootfs R --runs N [--warmup W] [--tag T] [--samples F]\n"
              "                     [--agent-pid P]\n"
              "  ct-bench exec      --addr A --rootfs R --runs N [--warmup W] [--tag T] [--samples F]\n"
              "                     [--agent-pid P]\n"
              "  ct-bench density   --addr A --rootfs R --count N --agent-pid P [--tag T]\n"
              "  ct-bench soak      --addr A --rootfs R --cycles N --agent-pid P [--tag T]\n"
              "  ct-bench time-cmd  --runs N [--warmup W] [--samples F] -- COMMAND [ARG...]\n"
              "  ct-bench stats     [--columns NAME,NAME...] FILE...\n"
              "  ct-bench probe     --addr A --rootfs R [--tag T] -- COMMAND [ARG...]\n"
              "  ct-bench rootfs    DIR\n"
              "  ct-bench ns-exec   COMMAND [ARG...]\n"
              "\n"
              "lifecycle: create+start+wait+remove of /bin/true, timed per cycle.\n"
              "exec:      ExecProcess+WaitProcess of /bin/true in a running container.\n"
              "density:   agent RSS with 0 and with N sleeping containers.\n"
              "soak:      N create/start/read/wait/remove cycles; the agent's fds, RSS,\n"
              "           mounts, cgroups, children and bundles before and after.\n"
              "time-cmd:  runs a command N times (stdin and stdout /dev/null), timing each.\n"
              "stats:     median and p99 of sample files written with --samples.\n"
              "probe:     runs COMMAND in the benchmark's spec and prints its stdout.\n"
              "rootfs:    builds the busybox rootfs (tests/support/rootfs.c) in DIR.\n"
              "ns-exec:   runs a command in a private mount namespace with a tmpfs on\n"
              "           /run (and on a hybrid host's /sys/fs/cgroup/unified).\n"
              "\n"
              "--warmup W     untimed runs first (default 3)\n"
              "--agent-pid P  lifecycle, exec: also the agent's CPU per run (cpu_us: agent\n"
              "               and reaped container processes); exec: its fds before/after\n"
              "--tag T        prefix of container ids and cgroups (default ctbench<pid>)\n"
              "--samples F    append every measured time to F, for `stats`\n",
              out);
}

/* --- containers through the agent --- */

struct bench {
        const struct options *opt;
        struct agent_client client;
        /* Containers this run created and has not removed yet, removed on failure. */
        char (*live)[ID_MAX];
        size_t n_live, cap_live;
        struct test_spec spec;
        char cgroup_path[ID_MAX + 1];
};

static struct bench *g_bench; /* for cleanup on failure */

static void live_add(struct bench *b, const char *id)
{
        if (b->n_live == b->cap_live) {
                size_t cap = b->cap_live ? 2 * b->cap_live : 16;
                char(*grown)[ID_MAX] = realloc(b->live, cap * sizeof *b->live);
                if (!grown)
                        die("out of memory");
                b->live = grown;
                b->cap_live = cap;
        }
        snprintf(b->live[b->n_live++], ID_MAX, "%s", id);
}

static void live_del(struct bench *b, const char *id)
{
        for (size_t i = 0; i < b->n_live; i++)
                if (streq(b->live[i], id)) {
                        memmove(&b->live[i], &b->live[i + 1], (b->n_live - i - 1) * sizeof *b->live);
                        b->n_live--;
                        return;
                }
}

/* Removes what is left; called on the way out of a failed run. */
static void remove_live(void)
{
        struct bench *b = g_bench;
        struct rpc_error e = { 0 };
        g_bench = NULL; /* once */
        if (!b || !b->client.ttrpc)
                return;
        while (b->n_live > 0) {
                const char *id = b->live[b->n_live - 1];
                if (agent_remove_container(&b->client, id, REMOVE_TIMEOUT_S, &e) < 0)
                        fprintf(stderr, "ct-bench: cleanup: cannot remove %s: %s\n", id, e.msg);
                b->n_live--;
        }
}

static _Noreturn void fail_rpc(const char *what, const char *id, const struct rpc_error *e)
{
        fprintf(stderr, "ct-bench %s: %s %s: %s: %s\n", prog_cmd, what, id, grpc_code_name(e->code), e->msg);
        remove_live();
        exit(1);
}

static void bench_connect(struct bench *b, const struct options *opt)
{
        struct rpc_error e = { 0 };
        b->opt = opt;
        if (ttrpc_client_connect(opt->addr, CONNECT_TIMEOUT_NS, &b->client.ttrpc, &e) < 0)
                die("cannot connect to %s: %s", opt->addr, e.msg);
        b->client.timeout_ns = RPC_TIMEOUT_NS;
        g_bench = b;
}

static void bench_close(struct bench *b)
{
        ttrpc_client_free(b->client.ttrpc);
        b->client.ttrpc = NULL;
        free(b->live);
        b->live = NULL;
        g_bench = NULL;
}

/* The default spec running argv, in its own cgroup "/<id>" (set per container by create()). */
static void spec_init(struct bench *b, const char *const *argv)
{
        test_spec_init(&b->spec, b->opt->rootfs, argv);
        b->spec.linux.cgroupspath = b->cgroup_path;
}

static void make_id(const struct bench *b, char *id, const char *kind, unsigned n)
{
        snprintf(id, ID_MAX, "%s-%s-%u", b->opt->tag, kind, n);
}

static void create(struct bench *b, const char *id)
{
        struct rpc_error e = { 0 };
        snprintf(b->cgroup_path, sizeof b->cgroup_path, "/%s", id);
        if (agent_create_container(&b->client, id, &b->spec.spec, NULL, &e) < 0)
                fail_rpc("CreateContainer", id, &e);
        live_add(b, id);
}

static void start(struct bench *b, const char *id)
{
        struct rpc_error e = { 0 };
        if (agent_start_container(&b->client, id, &e) < 0)
                fail_rpc("StartContainer", id, &e);
}

static void wait_ok(struct bench *b, const char *id, const char *exec_id)
{
        struct rpc_error e = { 0 };
        int status = -1;
        if (agent_wait_process(&b->client, id, exec_id, &status, &e) < 0)
                fail_rpc("WaitProcess", id, &e);
        if (status != 0) {
                fprintf(stderr, "ct-bench %s: %s/%s exited with status %d\n", prog_cmd, id, exec_id, status);
                remove_live();
                exit(1);
        }
}

static void remove_ct(struct bench *b, const char *id)
{
        struct rpc_error e = { 0 };
        if (agent_remove_container(&b->client, id, REMOVE_TIMEOUT_S, &e) < 0)
                fail_rpc("RemoveContainer", id, &e);
        live_del(b, id);
}

/* Reads a stream to EOF, into out (truncated, NUL-terminated). */
static void read_all(struct bench *b, const char *id, char *out, size_t size)
{
        struct rpc_error e = { 0 };
        size_t len = 0;
        for (;;) {
                uint8_t *data = NULL;
                size_t n = 0;
                if (agent_read_stream(&b->client, id, id, false, 65536, &data, &n, &e) < 0)
                        fail_rpc("ReadStdout", id, &e);
                if (n > 0 && len + 1 < size) {
                        size_t k = MIN(n, size - 1 - len);
                        memcpy(out + len, data, k);
                        len += k;
                }
                free(data);
                if (n == 0)
                        break;
        }
        out[len] = '\0';
}

/* --- subcommands --- */

static void need(const char *what, bool ok)
{
        if (!ok) {
                fprintf(stderr, "ct-bench %s: %s is required\n", prog_cmd, what);
                usage(stderr);
                exit(2);
        }
}

static int cmd_lifecycle(const struct options *opt)
{
        static const char *const argv[] = { "/bin/true", NULL };
        static const char *const names[] = { "total", "create", "start", "wait", "remove" };
        static struct bench b;
        struct samples s = { .ncol = 5 };
        char id[ID_MAX];

        need("--addr", opt->addr);
        need("--rootfs", opt->rootfs);
        need("--runs", opt->runs > 0);
        bench_connect(&b, opt);
        spec_init(&b, argv);
        uint64_t cpu0 = 0;
        for (unsigned i = 0; i < opt->warmup + opt->runs; i++) {
                uint64_t t[5];
                if (i == opt->warmup && opt->agent_pid > 0)
                        cpu0 = agent_cpu_ns(opt->agent_pid);
                make_id(&b, id, "lc", i);
                t[0] = now_ns();
                create(&b, id);
                t[1] = now_ns();
                start(&b, id);
                t[2] = now_ns();
                wait_ok(&b, id, id);
                t[3] = now_ns();
                remove_ct(&b, id);
                t[4] = now_ns();
                if (i < opt->warmup)
                        continue;
                uint64_t row[5] = { t[4] - t[0], t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3] };
                samples_add(&s, row);
        }
        uint64_t cpu = opt->agent_pid > 0 ? agent_cpu_ns(opt->agent_pid) - cpu0 : 0;
        bench_close(&b);
        samples_save(&s, opt->samples);
        samples_print(&s, names);
        if (opt->agent_pid > 0)
                printf(" cpu_us=%.0f", (double)cpu / opt->runs / 1000.0);
        putchar('\n');
        free(s.v);
        return 0;
}

static int cmd_exec(const struct options *opt)
{
        static const char *const sleeper[] = { "sleep", "1000000", NULL };
        static const char *const truth[] = { "/bin/true", NULL };
        static const char *const names[] = { "total", "exec", "wait" };
        static struct bench b;
        static struct test_spec proc; /* only its process is used */
        struct samples s = { .ncol = 3 };
        struct footprint before = { 0 }, after = { 0 };
        char id[ID_MAX], exec_id[32];
        struct rpc_error e = { 0 };

        need("--addr", opt->addr);
        need("--rootfs", opt->rootfs);
        need("--runs", opt->runs > 0);
        bench_connect(&b, opt);
        spec_init(&b, sleeper);
        /* The same process spec as the container's, running /bin/true: what crun/runc get as process.json. */
        test_spec_init(&proc, opt->rootfs, truth);
        make_id(&b, id, "ex", (unsigned)getpid());
        create(&b, id);
        start(&b, id);
        uint64_t cpu0 = 0;
        for (unsigned i = 0; i < opt->warmup + opt->runs; i++) {
                if (i == opt->warmup && opt->agent_pid > 0) {
                        before = footprint(opt->agent_pid, opt->tag);
                        cpu0 = agent_cpu_ns(opt->agent_pid);
                }
                snprintf(exec_id, sizeof exec_id, "x%u", i);
                uint64_t t0 = now_ns();
                if (agent_exec_process(&b.client, id, exec_id, &proc.process, NULL, &e) < 0)
                        fail_rpc("ExecProcess", id, &e);
                uint64_t t1 = now_ns();
                wait_ok(&b, id, exec_id);
                uint64_t t2 = now_ns();
                if (i < opt->warmup)
                        continue;
                uint64_t row[3] = { t2 - t0, t1 - t0, t2 - t1 };
                samples_add(&s, row);
        }
        uint64_t cpu = 0;
        if (opt->agent_pid > 0) {
                cpu = agent_cpu_ns(opt->agent_pid) - cpu0;
                after = footprint(opt->agent_pid, opt->tag);
        }
        remove_ct(&b, id);
        bench_close(&b);
        samples_save(&s, opt->samples);
        samples_print(&s, names);
        if (opt->agent_pid > 0)
                printf(" cpu_us=%.0f fds_before=%d fds_after=%d children_before=%d children_after=%d "
                       "rss_kib_before=%ld rss_kib_after=%ld",
                       (double)cpu / opt->runs / 1000.0, before.fds, after.fds, before.children, after.children,
                       before.rss_kib, after.rss_kib);
        putchar('\n');
        free(s.v);
        return 0;
}

/*
 * The agent's RSS with no container, then with `count` sleeping ones. One
 * container is made and removed first, so that what any first container
 * allocates for good (loop slots, buffers) is in the baseline, not in the
 * per-container figure.
 */
static int cmd_density(const struct options *opt)
{
        static const char *const sleeper[] = { "sleep", "1000000", NULL };
        static struct bench b;
        char id[ID_MAX];

        need("--addr", opt->addr);
        need("--rootfs", opt->rootfs);
        need("--count", opt->count > 0);
        need("--agent-pid", opt->agent_pid > 0);
        bench_connect(&b, opt);
        spec_init(&b, sleeper);
        for (unsigned i = 0; i < 2; i++) {
                make_id(&b, id, "dw", i);
                create(&b, id);
                start(&b, id);
                remove_ct(&b, id);
        }
        struct footprint zero = footprint(opt->agent_pid, opt->tag);
        uint64_t t0 = now_ns();
        for (unsigned i = 0; i < opt->count; i++) {
                make_id(&b, id, "dn", i);
                create(&b, id);
                start(&b, id);
        }
        uint64_t t1 = now_ns();
        struct footprint full = footprint(opt->agent_pid, opt->tag);
        for (unsigned i = 0; i < opt->count; i++) {
                make_id(&b, id, "dn", i);
                remove_ct(&b, id);
        }
        uint64_t t2 = now_ns();
        struct footprint gone = footprint(opt->agent_pid, opt->tag);
        bench_close(&b);

        printf("count=%u rss_per_container_kib=%.2f fds_per_container=%.2f create_start_ms=%.1f remove_ms=%.1f",
               opt->count, (double)(full.rss_kib - zero.rss_kib) / opt->count,
               (double)(full.fds - zero.fds) / opt->count, (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6);
        footprint_print("0", &zero);
        footprint_print("n", &full);
        footprint_print("removed", &gone);
        putchar('\n');
        return 0;
}

/*
 * The leak check: cycles of create (with memory and pids limits, so the
 * cgroup files are written), start, read stdout to EOF, wait, remove. The
 * footprint is taken after a few cycles and again at the end.
 */
static int cmd_soak(const struct options *opt)
{
        static const char *const argv[] = { "sh", "-c", "echo soak", NULL };
        static struct bench b;
        char id[ID_MAX], out[64];
        struct footprint before = { 0 };
        uint64_t t0 = 0;

        need("--addr", opt->addr);
        need("--rootfs", opt->rootfs);
        need("--cycles", opt->count > 0);
        need("--agent-pid", opt->agent_pid > 0);
        bench_connect(&b, opt);
        spec_init(&b, argv);
        test_spec_set_memory(&b.spec, 64 << 20);
        test_spec_set_pids(&b.spec, 64);
        const unsigned warm = 5;
        for (unsigned i = 0; i < warm + opt->count; i++) {
                if (i == warm) {
                        before = footprint(opt->agent_pid, opt->tag);
                        t0 = now_ns();
                }
                make_id(&b, id, "soak", i);
                create(&b, id);
                start(&b, id);
                read_all(&b, id, out, sizeof out);
                if (!streq(out, "soak\n"))
                        die("cycle %u: stdout was `%s`, expected `soak\\n`", i, out);
                wait_ok(&b, id, id);
                remove_ct(&b, id);
        }
        double secs = (double)(now_ns() - t0) / 1e9;
        struct footprint after = footprint(opt->agent_pid, opt->tag);
        bench_close(&b);
        printf("cycles=%u seconds=%.2f cycles_per_s=%.1f", opt->count, secs, opt->count / secs);
        footprint_print("before", &before);
        footprint_print("after", &after);
        putchar('\n');
        return 0;
}

/*
 * Runs a command in the benchmark spec and prints its stdout: to compare what
 * the container sees with what crun and runc give (see bench/README.md).
 */
static int cmd_probe(const struct options *opt, char *const *argv)
{
        static struct bench b;
        static char out[1 << 16];
        char id[ID_MAX];

        need("--addr", opt->addr);
        need("--rootfs", opt->rootfs);
        need("a command", argv[0] != NULL);
        bench_connect(&b, opt);
        spec_init(&b, (const char *const *)argv);
        make_id(&b, id, "probe", (unsigned)getpid());
        create(&b, id);
        start(&b, id);
        read_all(&b, id, out, sizeof out);
        wait_ok(&b, id, id);
        remove_ct(&b, id);
        bench_close(&b);
        fputs(out, stdout);
        return 0;
}

/*
 * Runs argv once with stdin and stdout on null_fd (stderr inherited); returns
 * the wait status. vfork, as glibc's posix_spawn does (agent/spawn.h shadows
 * <spawn.h> on this include path): the child borrows our memory until exec,
 * so the cost measured is the command's, not that of copying this process.
 */
static int spawn_wait(char *const *argv, int null_fd)
{
        pid_t pid = vfork();
        if (pid < 0)
                die("vfork: %s", strerror(errno));
        if (pid == 0) {
                if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0)
                        _exit(126);
                execvp(argv[0], argv);
                _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        die("waitpid: %s", strerror(errno));
        return status;
}

static int cmd_time_cmd(const struct options *opt, char *const *argv)
{
        static const char *const names[] = { "total" };
        struct samples s = { .ncol = 1 };

        need("--runs", opt->runs > 0);
        need("a command", argv[0] != NULL);
        int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd < 0)
                die("/dev/null: %s", strerror(errno));
        uint64_t cpu0 = 0;
        for (unsigned i = 0; i < opt->warmup + opt->runs; i++) {
                if (i == opt->warmup)
                        cpu0 = children_cpu_ns();
                uint64_t t0 = now_ns();
                int status = spawn_wait(argv, null_fd);
                uint64_t t1 = now_ns();
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        die("run %u of `%s`: %s %d%s", i, argv[0], WIFEXITED(status) ? "exit status" : "signal",
                            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                            WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (not found?)" : "");
                if (i >= opt->warmup) {
                        uint64_t row[1] = { t1 - t0 };
                        samples_add(&s, row);
                }
        }
        uint64_t cpu = children_cpu_ns() - cpu0;
        close(null_fd);
        samples_save(&s, opt->samples);
        samples_print(&s, names);
        printf(" cpu_us=%.0f\n", (double)cpu / opt->runs / 1000.0);
        free(s.v);
        return 0;
}

static int cmd_stats(const struct options *opt, char *const *files)
{
        const char *names[MAX_COLUMNS] = { "total" };
        char buf[256];
        unsigned ncol = 1;

        need("a sample file", files[0] != NULL);
        if (opt->columns) {
                snprintf(buf, sizeof buf, "%s", opt->columns);
                ncol = 0;
                for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && ncol < MAX_COLUMNS;
                     t = strtok_r(NULL, ",", &save))
                        names[ncol++] = t;
                if (ncol == 0)
                        die("--columns is empty");
        }
        struct samples s = { .ncol = ncol };
        for (size_t k = 0; files[k]; k++) {
                FILE *f = fopen(files[k], "re");
                char line[512];
                if (!f)
                        die("cannot open %s: %s", files[k], strerror(errno));
                while (fgets(line, sizeof line, f)) {
                        uint64_t row[MAX_COLUMNS] = { 0 };
                        char *p = line;
                        for (unsigned c = 0; c < ncol; c++) {
                                char *end;
                                errno = 0;
                                row[c] = strtoull(p, &end, 10);
                                if (end == p || errno)
                                        die("%s: a line has fewer than %u numbers", files[k], ncol);
                                p = end;
                        }
                        samples_add(&s, row);
                }
                fclose(f);
        }
        samples_print(&s, names);
        putchar('\n');
        free(s.v);
        return 0;
}

static int cmd_rootfs(char *const *args)
{
        need("DIR", args[0] != NULL);
        if (mkdir(args[0], 0755) < 0 && errno != EEXIST)
                die("cannot create %s: %s", args[0], strerror(errno));
        if (!test_rootfs_available())
                die("%s is missing (busybox-static; `make deps` installs it)", BUSYBOX_PATH);
        int r = test_rootfs_busybox(args[0]);
        if (r < 0)
                die("cannot build the rootfs in %s: %s", args[0], strerror(-r));
        return 0;
}

/* The agent's and the peers' private mount namespace: enter_private_mount_ns() in ct_proc.c. */
static int cmd_ns_exec(char *const *argv)
{
        need("a command", argv[0] != NULL);
        enter_private_mount_ns();
        execvp(argv[0], argv);
        die("cannot run %s: %s", argv[0], strerror(errno));
}

static unsigned parse_count(const char *opt, const char *s, unsigned min)
{
        uint32_t v;
        if (parse_u32(s, 10, &v) < 0 || v < min || v > MAX_RUNS) {
                fprintf(stderr, "ct-bench %s: %s: a number from %u to %u\n", prog_cmd, opt, min, MAX_RUNS);
                exit(2);
        }
        return v;
}

static bool tag_ok(const char *t)
{
        size_t n = strlen(t);
        if (n == 0 || n > 40 || !isalnum((unsigned char)t[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)t[i]) && t[i] != '-' && t[i] != '_')
                        return false;
        return true;
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "addr", required_argument, NULL, 'a' },   { "rootfs", required_argument, NULL, 'r' },
                { "runs", required_argument, NULL, 'n' },   { "warmup", required_argument, NULL, 'w' },
                { "count", required_argument, NULL, 'c' },  { "cycles", required_argument, NULL, 'c' },
                { "agent-pid", required_argument, NULL, 'p' }, { "tag", required_argument, NULL, 't' },
                { "samples", required_argument, NULL, 's' }, { "columns", required_argument, NULL, 'C' },
                { "help", no_argument, NULL, 'h' },         {},
        };
        static char default_tag[32];
        struct options opt = { .warmup = 3 };
        uint32_t u;
        int o;

        if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        prog_cmd = argv[1];
        /* ns-exec and rootfs take their arguments as they are. */
        if (streq(prog_cmd, "ns-exec"))
                return cmd_ns_exec(argv + 2);
        if (streq(prog_cmd, "rootfs"))
                return cmd_rootfs(argv + 2);

        snprintf(default_tag, sizeof default_tag, "ctbench%d", (int)getpid());
        opt.tag = default_tag;
        /* "+": stop at the first non-option, so time-cmd's command keeps its own options. */
        while ((o = getopt_long(argc - 1, argv + 1, "+h", longopts, NULL)) != -1) {
                switch (o) {
                case 'a':
                        opt.addr = optarg;
                        break;
                case 'r':
                        opt.rootfs = optarg;
                        break;
                case 'n':
                        opt.runs = parse_count("--runs", optarg, 1);
                        break;
                case 'w':
                        opt.warmup = parse_count("--warmup", optarg, 0);
                        break;
                case 'c':
                        opt.count = parse_count("--count/--cycles", optarg, 1);
                        break;
                case 'p':
                        if (parse_u32(optarg, 10, &u) < 0 || u < 1 || u > INT32_MAX) {
                                fprintf(stderr, "ct-bench: --agent-pid: a process id\n");
                                return 2;
                        }
                        opt.agent_pid = (pid_t)u;
                        break;
                case 't':
                        if (!tag_ok(optarg)) {
                                fprintf(stderr, "ct-bench: --tag: 1-40 letters, digits, '-' or '_', "
                                                "starting with a letter or digit\n");
                                return 2;
                        }
                        opt.tag = optarg;
                        break;
                case 's':
                        opt.samples = optarg;
                        break;
                case 'C':
                        opt.columns = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        char **rest = argv + 1 + optind;
        bool takes_args = streq(prog_cmd, "time-cmd") || streq(prog_cmd, "stats") || streq(prog_cmd, "probe");
        if (!takes_args && *rest) {
                fprintf(stderr, "ct-bench %s: unexpected argument `%s`\n", prog_cmd, *rest);
                return 2;
        }
        /* Replies must never be lost to a full pipe of ours: run.sh reads them. */
        setvbuf(stdout, NULL, _IOLBF, 0);
        signal(SIGPIPE, SIG_IGN);

        if (streq(prog_cmd, "lifecycle"))
                return cmd_lifecycle(&opt);
        if (streq(prog_cmd, "exec"))
                return cmd_exec(&opt);
        if (streq(prog_cmd, "density"))
                return cmd_density(&opt);
        if (streq(prog_cmd, "soak"))
                return cmd_soak(&opt);
        if (streq(prog_cmd, "time-cmd"))
                return cmd_time_cmd(&opt, rest);
        if (streq(prog_cmd, "stats"))
                return cmd_stats(&opt, rest);
        if (streq(prog_cmd, "probe"))
                return cmd_probe(&opt, rest);
        fprintf(stderr, "ct-bench: unknown subcommand `%s`\n", prog_cmd);
        usage(stderr);
        return 2;
}
