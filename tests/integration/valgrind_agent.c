/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent under valgrind memcheck through one realistic sandbox's life:
 * CreateSandbox (dns, hostname), a container with a terminal and one
 * without, exec with stdin/stdout/stderr, signals, WaitProcess,
 * StatsContainer, CopyFile, the network RPCs on a veth in this program's own
 * network namespace, GetMetrics, requests that fail, RemoveContainer,
 * DestroySandbox, then SIGTERM. The last test reads valgrind's report: no
 * memory error, nothing definitely, indirectly or possibly lost, and no
 * descriptor the agent opened left open at exit.
 *
 * KINGLET_MEMCHECK_AGENT (else KINGLET_AGENT) must be a dynamically linked
 * (glibc) agent, build/host/kinglet-agent:
 * valgrind cannot replace malloc in a static binary, and would then report
 * no leaks because it saw no allocations (checked: the heap summary must count some).
 * Containers are the agent's children and are not traced (--trace-children=no);
 * the agent's forks before their exec stay silent (--child-silent-after-fork).
 */
#include "test_network.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "container_run.h"
#include "rootfs.h"

#define MAC "02:00:00:00:00:5a"
#define VG_OPTIONS                                                                                              \
        "--tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible "                     \
        "--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --track-fds=yes "             \
        "--trace-children=no --child-silent-after-fork=yes --num-callers=30"

#define CONTAINER_NOFILE 1024
#define VG_RESERVED_FDS 12

/* Run from the top of the source tree, as make does. */
#define SUPPRESSIONS "tests/integration/valgrind.supp"

struct vg_env {
        struct ctr_env ctr; /* the agent, a client and a busybox rootfs, as container_run.h keeps them */
        char dir[64];       /* valgrind's log lives here, outside the agent's directory */
        char log[128];
};

static const char *valgrind_path(void)
{
        static const char *const paths[] = { "/usr/bin/valgrind", "/usr/local/bin/valgrind" };
        for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
                if (access(paths[i], X_OK) == 0)
                        return paths[i];
        return NULL;
}

static int vg_setup(void **state)
{
        struct vg_env *env = calloc(1, sizeof *env);
        char wrapper[512];
        assert_non_null(env);
        snprintf(env->dir, sizeof env->dir, "/tmp/kinglet-vg-XXXXXX");
        assert_non_null(mkdtemp(env->dir));
        snprintf(env->log, sizeof env->log, "%s/memcheck.log", env->dir);
        snprintf(wrapper, sizeof wrapper, "%s " VG_OPTIONS " --suppressions=%s --log-file=%s", valgrind_path(),
                 SUPPRESSIONS, env->log);
        assert_int_equal(setenv("KINGLET_AGENT_WRAPPER", wrapper, 1), 0);
        /*
         * valgrind keeps the top VG_RESERVED_FDS descriptors below the soft NOFILE
         * limit for itself, and lets its program set RLIMIT_NOFILE only to exactly
         * what remains: give it room for the containers' 1024 (test_spec.c).
         */
        struct rlimit nofile = { CONTAINER_NOFILE + VG_RESERVED_FDS, CONTAINER_NOFILE + VG_RESERVED_FDS };
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &nofile), 0);
        struct ctr_env *c = &env->ctr;
        if (agent_start(&c->agent, NULL) < 0) {
                agent_dump_log(&c->agent);
                fail_msg("agent did not start under valgrind (log %s)", env->log);
        }
        snprintf(c->rootfs, sizeof c->rootfs, "%s/rootfs", c->agent.dir);
        assert_int_equal(mkdir(c->rootfs, 0755), 0);
        assert_int_equal(test_rootfs_busybox(c->rootfs), 0);
        c->client.ttrpc = agent_connect(&c->agent);
        assert_non_null(c->client.ttrpc);
        *state = env;
        return 0;
}

static int vg_teardown(void **state)
{
        struct vg_env *env = *state;
        ttrpc_client_free(env->ctr.client.ttrpc);
        (void)agent_stop(&env->ctr.agent); /* already stopped by the last test, unless it failed early */
        delete_test_links();
        if (!getenv("KINGLET_KEEP_MEMCHECK_LOG"))
                unlink(env->log);
        (void)rmdir(env->dir);
        free(env);
        return 0;
}

#define expect_in(out, needle)                                                                 \
        do {                                                                                   \
                if (!strstr((out), (needle)))                                                  \
                        fail_msg("expected `%s` in:\n%s", (needle), (out));                    \
        } while (0)

static struct agent_client *client(void **state)
{
        return &((struct vg_env *)*state)->ctr.client;
}

static void start_sh(void **state, const char *id, const char *cmd, bool tty)
{
        struct ctr_env *env = &((struct vg_env *)*state)->ctr;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        const char *argv[] = { "sh", "-c", cmd, NULL };
        test_spec_init(&ts, env->rootfs, argv);
        ts.process.terminal = tty;
        ts.console.height = 24;
        ts.console.width = 80;
        test_spec_remove_namespace(&ts, "uts"); /* the sandbox's hostname */
        if (agent_create_container(&env->client, id, &ts.spec, NULL, &e) < 0 ||
            agent_start_container(&env->client, id, &e) < 0)
                fail_msg("cannot run `%s`: %s", cmd, e.msg);
}

/* Reads stdout of exec_id until `needle` shows up (or EOF); returns everything read. */
static char *read_until(struct agent_client *c, const char *id, const char *exec_id, const char *needle)
{
        struct rpc_error e = { 0 };
        size_t len = 0;
        char *all = calloc(1, 1);
        while (!strstr(all, needle)) {
                uint8_t *data;
                size_t n;
                if (agent_read_stream(c, id, exec_id, false, 4096, &data, &n, &e) < 0)
                        fail_msg("read: %s", e.msg);
                if (n == 0) {
                        free(data);
                        break;
                }
                all = realloc(all, len + n + 1);
                memcpy(all + len, data, n);
                len += n;
                all[len] = '\0';
                free(data);
        }
        return all;
}

static void test_sandbox_and_tty_container(void **state)
{
        struct agent_client *c = client(state);
        struct rpc_error e = { 0 };
        char *dns[] = { (char *)"nameserver 192.0.2.53", (char *)"search example.test" };
        Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        req.hostname = (char *)"vg-host";
        req.dns = dns;
        req.n_dns = 2;
        req.sandbox_id = (char *)"vg-pod";
        if (agent_call(c, "CreateSandbox", &req.base, NULL, NULL, &e) < 0)
                fail_msg("CreateSandbox: %s", e.msg);

        size_t written;
        int status;
        start_sh(state, "tty", "tty; hostname; cat /etc/resolv.conf; read line; stty size; echo got:$line", true);
        char *out = read_until(c, "tty", "tty", "search example.test");
        expect_in(out, "/dev/pts/0");
        expect_in(out, "vg-host");
        free(out);
        assert_int_equal(agent_resize(c, "tty", "tty", 50, 100, &e), 0);
        assert_int_equal(agent_write_stdin(c, "tty", "tty", "hi\n", 3, &written, &e), 0);
        assert_int_equal(written, 3);
        out = read_until(c, "tty", "tty", "got:hi");
        expect_in(out, "50 100");
        free(out);
        assert_int_equal(agent_wait_process(c, "tty", "tty", &status, &e), 0);
        assert_int_equal(status, 0);
}

static void test_exec_stdio_signals_stats(void **state)
{
        struct agent_client *c = client(state);
        struct rpc_error e = { 0 };
        char *out = NULL, *err = NULL;
        size_t written;
        int status;
        start_sh(state, "plain", "echo started; exec sleep 1000", false);
        out = read_until(c, "plain", "plain", "started");
        free(out);

        /* An exec reading stdin, answering on stdout and stderr. */
        Grpc__Process p = GRPC__PROCESS__INIT;
        char *args[] = { (char *)"sh", (char *)"-c", (char *)"cat; echo oops >&2; exit 3" };
        char *envv[] = { (char *)"PATH=/bin" };
        p.args = args;
        p.n_args = 3;
        p.env = envv;
        p.n_env = 1;
        p.cwd = (char *)"/";
        assert_int_equal(agent_exec_process(c, "plain", "cat", &p, NULL, &e), 0);
        assert_int_equal(agent_write_stdin(c, "plain", "cat", "hello\n", 6, &written, &e), 0);
        assert_int_equal(agent_close_stdin(c, "plain", "cat", &e), 0);
        assert_int_equal(ctr_read_all(c, "plain", "cat", false, &out, NULL), 0);
        assert_int_equal(ctr_read_all(c, "plain", "cat", true, &err, NULL), 0);
        assert_int_equal(agent_wait_process(c, "plain", "cat", &status, &e), 0);
        assert_string_equal(out, "hello\n");
        assert_string_equal(err, "oops\n");
        assert_int_equal(status, 3);
        free(out);
        free(err);

        /* A second exec ended by a signal. */
        char *sleeper[] = { (char *)"sleep", (char *)"1000" };
        p.args = sleeper;
        p.n_args = 2;
        assert_int_equal(agent_exec_process(c, "plain", "sleeper", &p, NULL, &e), 0);
        assert_int_equal(agent_signal_process(c, "plain", "sleeper", SIGTERM, &e), 0);
        assert_int_equal(agent_wait_process(c, "plain", "sleeper", &status, &e), 0);
        assert_int_equal(status, 128 + SIGTERM);

        ProtobufCMessage *m = NULL;
        Grpc__StatsContainerRequest sreq = GRPC__STATS_CONTAINER_REQUEST__INIT;
        sreq.container_id = (char *)"plain";
        assert_int_equal(agent_call(c, "StatsContainer", &sreq.base, &grpc__stats_container_response__descriptor,
                                    &m, &e),
                         0);
        const Grpc__StatsContainerResponse *s = (const Grpc__StatsContainerResponse *)m;
        assert_true(s->cgroup_stats && s->cgroup_stats->pids_stats && s->cgroup_stats->pids_stats->current >= 1);
        protobuf_c_message_free_unpacked(m, NULL);

        assert_int_equal(agent_signal_process(c, "plain", "", SIGKILL, &e), 0);
        assert_int_equal(agent_wait_process(c, "plain", "plain", &status, &e), 0);
        assert_int_equal(status, 128 + SIGKILL);
}

static void test_copy_file(void **state)
{
        struct vg_env *env = *state;
        struct rpc_error e = { 0 };
        char path[256], content[64];
        static const char data[] = "copied under memcheck\n";
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
        req.path = (char *)"/run/kata-containers/shared/containers/vg/dir/file";
        req.file_size = sizeof data - 1;
        req.file_mode = 0100644;
        req.dir_mode = 040755;
        req.data.data = (uint8_t *)data;
        req.data.len = sizeof data - 1;
        if (agent_call(client(state), "CopyFile", &req.base, NULL, NULL, &e) < 0)
                fail_msg("CopyFile: %s", e.msg);
        snprintf(path, sizeof path, "/proc/%d/root%s", (int)env->ctr.agent.pid, req.path);
        assert_int_equal(read_small_file(path, content, sizeof content, NULL), 0);
        assert_string_equal(content, data);
}

static void test_network(void **state)
{
        struct agent_proc *a = &((struct vg_env *)*state)->ctr.agent;
        char msg[512];
        make_link("kt0", MAC);

        Types__Interface want = TYPES__INTERFACE__INIT;
        Types__IPAddress *addrs[] = { ipaddr("192.0.2.10", "24"), ipaddr("2001:db8::10", "64") };
        want.hwaddr = (char *)MAC;
        want.name = (char *)"kt0";
        want.device = (char *)"kt0";
        want.mtu = 1400;
        want.raw_flags = IFF_UP;
        want.ipaddresses = addrs;
        want.n_ipaddresses = 2;
        Types__Interface *got = NULL;
        expect_ok("UpdateInterface", update_interface(a, &want, &got, msg, sizeof msg), msg);
        assert_int_equal(got->mtu, 1400);
        protobuf_c_message_free_unpacked(&got->base, NULL);
        free_ipaddrs(&want);

        Types__Route r[] = {
                route("198.51.100.0/24", "192.0.2.1", "kt0"),
                route("192.0.2.0/24", "", "kt0"),
        };
        Types__Route *list[] = { &r[0], &r[1] };
        Grpc__Routes *routes = NULL;
        expect_ok("UpdateRoutes", update_routes(a, list, 2, &routes, msg, sizeof msg), msg);
        protobuf_c_message_free_unpacked(&routes->base, NULL);

        Grpc__ListRoutesRequest lreq = GRPC__LIST_ROUTES_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        expect_ok("ListRoutes", call(a, "ListRoutes", &lreq.base, &grpc__routes__descriptor, &m, msg, sizeof msg),
                  msg);
        bool found = false;
        for (size_t i = 0; i < ((Grpc__Routes *)m)->n_routes; i++)
                found |= streq(((Grpc__Routes *)m)->routes[i]->dest, "198.51.100.0/24");
        assert_true(found);
        protobuf_c_message_free_unpacked(m, NULL);

        Grpc__Interfaces *ifs = list_interfaces(a);
        assert_true(ifs->n_interfaces >= 2);
        protobuf_c_message_free_unpacked(&ifs->base, NULL);
}

static void test_metrics(void **state)
{
        struct agent_proc *a = &((struct vg_env *)*state)->ctr.agent;
        Grpc__GetMetricsRequest req = GRPC__GET_METRICS_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        char msg[512];
        expect_ok("GetMetrics", call(a, "GetMetrics", &req.base, &grpc__metrics__descriptor, &m, msg, sizeof msg),
                  msg);
        assert_true(strlen(((Grpc__Metrics *)m)->metrics) > 0);
        protobuf_c_message_free_unpacked(m, NULL);
}

/* Error paths are where memory leaks most often: each of these is refused, and the agent carries on. */
static void test_failing_requests(void **state)
{
        struct vg_env *env = *state;
        struct agent_client *c = client(state);
        struct agent_proc *a = &env->ctr.agent;
        struct rpc_error e = { 0 };
        char msg[512];
        int status;

        Grpc__CreateSandboxRequest sb = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        sb.hostname = (char *)"again";
        assert_int_equal(agent_call(c, "CreateSandbox", &sb.base, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_ALREADY_EXISTS);

        Grpc__StatsContainerRequest st = GRPC__STATS_CONTAINER_REQUEST__INIT;
        st.container_id = (char *)"nobody";
        assert_int_equal(agent_call(c, "StatsContainer", &st.base, &grpc__stats_container_response__descriptor,
                                    NULL, &e),
                         -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);

        /* The same container id twice; an exec of a missing binary. */
        struct test_spec ts;
        const char *argv[] = { "sh", NULL };
        test_spec_init(&ts, env->ctr.rootfs, argv);
        assert_int_equal(agent_create_container(c, "plain", &ts.spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_ALREADY_EXISTS);
        start_sh(state, "third", "exec sleep 1000", false);
        Grpc__Process p = GRPC__PROCESS__INIT;
        char *missing[] = { (char *)"no-such-binary" };
        p.args = missing;
        p.n_args = 1;
        p.cwd = (char *)"/";
        assert_int_equal(agent_exec_process(c, "third", "nx", &p, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        (void)agent_wait_process(c, "third", "nx", &status, &e);

        /* CopyFile outside /run/kata-containers, and with `..`. */
        Grpc__CopyFileRequest cf = GRPC__COPY_FILE_REQUEST__INIT;
        cf.path = (char *)"/etc/vg-outside";
        cf.file_mode = 0100644;
        assert_int_equal(agent_call(c, "CopyFile", &cf.base, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_PERMISSION_DENIED);
        cf.path = (char *)"/run/kata-containers/../vg-escape";
        assert_int_equal(agent_call(c, "CopyFile", &cf.base, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_PERMISSION_DENIED);

        /* Network: an unknown MAC, malformed addresses and routes. */
        Types__Interface want = TYPES__INTERFACE__INIT;
        Types__IPAddress *addrs[] = { ipaddr("192.0.2.30", "24") };
        want.hwaddr = (char *)"02:00:00:00:00:99";
        want.name = (char *)"kt9";
        want.ipaddresses = addrs;
        want.n_ipaddresses = 1;
        assert_int_equal(update_interface(a, &want, NULL, msg, sizeof msg), GRPC_NOT_FOUND);
        want.hwaddr = (char *)MAC;
        want.name = (char *)"kt0";
        addrs[0]->address = (char *)"192.0.2.300";
        assert_int_equal(update_interface(a, &want, NULL, msg, sizeof msg), GRPC_INVALID_ARGUMENT);
        free_ipaddrs(&want);
        Types__Route r = route("198.51.100.0/33", "192.0.2.1", "kt0");
        Types__Route *list[] = { &r };
        assert_int_equal(update_routes(a, list, 1, NULL, msg, sizeof msg), GRPC_INVALID_ARGUMENT);
        r = route("198.51.100.0/24", "192.0.2.1", "no-such-link");
        assert_int_equal(update_routes(a, list, 1, NULL, msg, sizeof msg) == GRPC_OK, false);

        /* A method nobody serves. */
        assert_int_equal(agent_call(c, "NoSuchMethod", NULL, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_UNIMPLEMENTED);
}

/* Counts descriptors valgrind lists as open at exit that the agent itself opened (not inherited). */
static size_t own_open_fds(const char *log, char *report, size_t size)
{
        char line[1024];
        size_t n = 0, len = 0;
        FILE *f = fopen(log, "re");
        assert_non_null(f);
        report[0] = '\0';
        bool in_block = false;
        char block[1024] = "";
        while (fgets(line, sizeof line, f)) {
                /* "Open file descriptor N", "Open AF_UNIX socket N", "Open pf-N socket", "Open socket N" ... */
                const char *open_at = strstr(line, "== Open ");
                if (open_at && (strstr(open_at, " descriptor ") || strstr(open_at, " socket "))) {
                        in_block = true;
                        snprintf(block, sizeof block, "%s", line);
                        continue;
                }
                if (!in_block)
                        continue;
                in_block = false;
                if (strstr(line, "<inherited from parent>"))
                        continue;
                n++;
                len += (size_t)snprintf(report + len, len < size ? size - len : 0, "%s%s", block, line);
                if (len >= size)
                        len = size - 1;
        }
        fclose(f);
        return n;
}

/* The number after `label` on the line that has it, or -1. */
static long long number_after(const char *text, const char *label)
{
        const char *p = strstr(text, label);
        if (!p)
                return -1;
        p += strlen(label);
        long long v = 0;
        bool any = false;
        for (; *p == ' '; p++)
                ;
        for (; (*p >= '0' && *p <= '9') || *p == ','; p++)
                if (*p != ',') {
                        v = v * 10 + (*p - '0');
                        any = true;
                }
        return any ? v : -1;
}

static void test_destroy_then_memcheck_clean(void **state)
{
        struct vg_env *env = *state;
        struct agent_client *c = client(state);
        struct rpc_error e = { 0 };
        int status;
        assert_int_equal(agent_signal_process(c, "third", "", SIGKILL, &e), 0);
        assert_int_equal(agent_wait_process(c, "third", "third", &status, &e), 0);
        assert_int_equal(agent_remove_container(c, "tty", 10, &e), 0);
        assert_int_equal(agent_remove_container(c, "plain", 10, &e), 0);
        /* "third" is left for DestroySandbox to take down. */
        if (agent_call(c, "DestroySandbox", NULL, NULL, NULL, &e) < 0)
                fail_msg("DestroySandbox: %s", e.msg);
        env->ctr.client.ttrpc = ttrpc_client_free(env->ctr.client.ttrpc);

        int ws = agent_stop(&env->ctr.agent);
        static char text[1 << 20];
        char fds[8192];
        size_t len = 0;
        assert_int_equal(read_small_file(env->log, text, sizeof text, &len), 0);
        size_t open = own_open_fds(env->log, fds, sizeof fds);
        bool clean = WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && open == 0;
        const char *summary = strstr(text, "FILE DESCRIPTORS:");
        /* All of it when something is wrong: the stacks say where. */
        fprintf(stderr, "---- valgrind's report (%s) ----\n%s\n---- end ----\n", env->log,
                clean && summary ? summary : text);
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
                fail_msg("the agent under valgrind ended with wait status 0x%x (exit 99: valgrind found errors)", ws);
        /* valgrind saw the allocations (a static agent would report no leaks because it sees none). */
        assert_true(number_after(text, "total heap usage:") > 0);
        assert_int_equal(number_after(text, "ERROR SUMMARY:"), 0);
        if (!strstr(text, "All heap blocks were freed")) {
                assert_int_equal(number_after(text, "definitely lost:"), 0);
                assert_int_equal(number_after(text, "indirectly lost:"), 0);
                assert_int_equal(number_after(text, "possibly lost:"), 0);
        }
        if (open)
                fail_msg("%zu descriptor(s) the agent opened are still open at exit:\n%s", open, fds);
}

static void test_skip(void **state)
{
        (void)state;
        skip();
}

int main(void)
{
        /* `make test` names the static agent in KINGLET_AGENT for everything else. */
        const char *memcheck_agent = getenv("KINGLET_MEMCHECK_AGENT");
        if (memcheck_agent && *memcheck_agent)
                setenv("KINGLET_AGENT", memcheck_agent, 1);
        net_enter_namespace();
        bool can = net_namespace_ok && ip_path() && valgrind_path() && agent_can_run() && test_rootfs_available() &&
                   access(SUPPRESSIONS, R_OK) == 0;
        if (!can) {
                fprintf(stderr, "valgrind_agent: needs root, valgrind, ip, busybox-static and KINGLET_AGENT "
                                "(a glibc build: build/host/kinglet-agent)\n");
                const struct CMUnitTest skipped[] = { cmocka_unit_test(test_skip) };
                return cmocka_run_group_tests(skipped, NULL, NULL);
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sandbox_and_tty_container),
                cmocka_unit_test(test_exec_stdio_signals_stats),
                cmocka_unit_test(test_copy_file),
                cmocka_unit_test(test_network),
                cmocka_unit_test(test_metrics),
                cmocka_unit_test(test_failing_requests),
                cmocka_unit_test(test_destroy_then_memcheck_clean),
        };
        return cmocka_run_group_tests(tests, vg_setup, vg_teardown);
}
