/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sandbox's resolv.conf, hosts and hostname as containers see them, and
 * StatsContainer's network statistics, on the real agent.
 *
 * The whole program runs in its own mount and network namespaces (made in
 * main): the agents inherit that network namespace, so the veth links and the
 * loopback traffic made here are the ones containers sharing it must count.
 * Addresses are documentation ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container_run.h"
#include "util.h"

#define HOSTNAME "kt-host"
#define RESOLV_TEXT "nameserver 192.0.2.53\nsearch example.com\n"
#define HOSTS_TEXT "127.0.0.1\tlocalhost\n127.0.1.1\t" HOSTNAME "\n::1\tlocalhost ip6-localhost ip6-loopback\n"
#define HOSTNAME_TEXT HOSTNAME "\n"
/* What a container on the sandbox's network prints for SHOW_FILES. */
#define FILES_TEXT RESOLV_TEXT "--\n" HOSTS_TEXT "--\n" HOSTNAME_TEXT
#define SHOW_FILES "cat /etc/resolv.conf; echo --; cat /etc/hosts; echo --; cat /etc/hostname"

static bool namespaces_ok;

#define expect_in(out, needle)                                                                 \
        do {                                                                                   \
                if (!strstr((out), (needle)))                                                  \
                        fail_msg("expected `%s` in the output:\n%s", (needle), (out));           \
        } while (0)

#define expect_not_in(out, needle)                                                             \
        do {                                                                                   \
                if (strstr((out), (needle)))                                                   \
                        fail_msg("did not expect `%s` in the output:\n%s", (needle), (out));     \
        } while (0)

static int setup(void **state)
{
        if (!namespaces_ok)
                skip();
        return ctr_setup(state);
}

/* Runs `cmd` in ts (NULL: the default spec); it must exit 0; returns its stdout. */
static char *run(struct ctr_env *env, struct test_spec *ts, const char *cmd)
{
        static int seq;
        char id[32], *out = NULL;
        int status = -1;
        snprintf(id, sizeof id, "sf%d", ++seq);
        if (ctr_sh(env, id, ts, cmd, &out, &status) < 0)
                fail_msg("container for `%s` did not run", cmd);
        if (status != 0)
                fail_msg("`%s` exited with %d; output: %s", cmd, status, out);
        return out;
}

static void spec_init(struct test_spec *ts, struct ctr_env *env)
{
        static const char *const argv[] = { "sh", NULL };
        test_spec_init(ts, env->rootfs, argv);
}

static void create_sandbox(struct ctr_env *env)
{
        struct rpc_error e = { 0 };
        char *dns[] = { (char *)"nameserver 192.0.2.53", (char *)"search example.com" };
        Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        req.hostname = (char *)HOSTNAME;
        req.dns = dns;
        req.n_dns = 2;
        req.sandbox_id = (char *)"sf-pod";
        if (agent_call(&env->client, "CreateSandbox", &req.base, NULL, NULL, &e) < 0)
                fail_msg("CreateSandbox: %s: %s", grpc_code_name(e.code), e.msg);
}

static void destroy_sandbox(struct ctr_env *env)
{
        struct rpc_error e = { 0 };
        assert_int_equal(agent_call(&env->client, "DestroySandbox", NULL, NULL, NULL, &e), 0);
}

/*
 * Containers on the sandbox's network — no network namespace in the spec, or
 * the agent's own by path — see exactly the files CreateSandbox described,
 * bound read-write with nosuid,nodev; each one sees the same files.
 */
static void test_shared_network_sees_files(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        char netns[64];
        create_sandbox(env);

        spec_init(&ts, env);
        char *out = run(env, &ts, SHOW_FILES);
        assert_string_equal(out, FILES_TEXT);
        free(out);

        spec_init(&ts, env);
        out = run(env, &ts, "grep ' /etc/hosts ' /proc/self/mountinfo");
        expect_in(out, " rw,nosuid,nodev");
        free(out);

        /* A second container, naming the agent's network namespace by path. */
        snprintf(netns, sizeof netns, "/proc/%d/ns/net", (int)env->agent.pid);
        spec_init(&ts, env);
        test_spec_add_namespace(&ts, "network", netns);
        out = run(env, &ts, SHOW_FILES);
        assert_string_equal(out, FILES_TEXT);
        free(out);
        destroy_sandbox(env);
}

/* A container with a network namespace of its own gets none of them (a fresh rootfs has none). */
static void test_own_network_gets_nothing(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        create_sandbox(env);
        spec_init(&ts, env);
        test_spec_add_namespace(&ts, "network", NULL);
        char *out = run(env, &ts, "ls /etc; grep -c ' /etc/' /proc/self/mountinfo || true");
        expect_not_in(out, "resolv.conf");
        expect_not_in(out, "hosts");
        expect_not_in(out, "hostname");
        expect_in(out, "passwd\n0\n");
        free(out);
        destroy_sandbox(env);
}

/* The runtime's own /etc/resolv.conf mount wins; the other files still come from the sandbox. */
static void test_spec_mount_wins(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        char own[256];
        static const char *const opts[] = { "rbind", "ro", NULL };
        create_sandbox(env);
        snprintf(own, sizeof own, "%s/own-resolv.conf", env->agent.dir);
        FILE *f = fopen(own, "we");
        assert_non_null(f);
        fputs("nameserver 198.51.100.1\n", f);
        assert_int_equal(fclose(f), 0);

        spec_init(&ts, env);
        test_spec_add_mount(&ts, "/etc/resolv.conf", "bind", own, opts);
        char *out = run(env, &ts, SHOW_FILES);
        assert_string_equal(out, "nameserver 198.51.100.1\n--\n" HOSTS_TEXT "--\n" HOSTNAME_TEXT);
        free(out);
        destroy_sandbox(env);
}

/* root.readonly: the files are bound before the root turns read-only. */
static void test_readonly_root(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        create_sandbox(env);
        spec_init(&ts, env);
        ts.root.readonly = 1;
        char *out = run(env, &ts, SHOW_FILES "; touch /etc/new 2>/dev/null && echo writable || echo read-only");
        assert_string_equal(out, FILES_TEXT "read-only\n");
        free(out);
        destroy_sandbox(env);
}

/* Without a sandbox nothing is added; a hostname that would add lines to hosts is refused first. */
static void test_no_sandbox_no_files(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        req.hostname = (char *)"kt-host\n192.0.2.66 evil";
        assert_int_equal(agent_call(&env->client, "CreateSandbox", &req.base, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        expect_in(e.msg, "control character");
        char *out = run(env, NULL, "ls /etc");
        expect_not_in(out, "resolv.conf");
        expect_not_in(out, "hosts");
        free(out);
}

static const Grpc__NetworkStats *find_link(const Grpc__StatsContainerResponse *s, const char *name)
{
        for (size_t i = 0; i < s->n_network_stats; i++)
                if (streq(s->network_stats[i]->name, name))
                        return s->network_stats[i];
        return NULL;
}

static Grpc__StatsContainerResponse *stats(struct ctr_env *env, const char *id)
{
        struct rpc_error e = { 0 };
        ProtobufCMessage *m = NULL;
        Grpc__StatsContainerRequest req = GRPC__STATS_CONTAINER_REQUEST__INIT;
        req.container_id = (char *)id;
        if (agent_call(&env->client, "StatsContainer", &req.base, &grpc__stats_container_response__descriptor, &m,
                       &e) < 0)
                fail_msg("StatsContainer %s: %s: %s", id, grpc_code_name(e.code), e.msg);
        return (Grpc__StatsContainerResponse *)m;
}

static void start_sleeper(struct ctr_env *env, const char *id, struct test_spec *ts)
{
        struct rpc_error e = { 0 };
        ts->args[0] = (char *)"sleep";
        ts->args[1] = (char *)"1000";
        ts->process.n_args = 2;
        if (agent_create_container(&env->client, id, &ts->spec, NULL, &e) < 0 ||
            agent_start_container(&env->client, id, &e) < 0)
                fail_msg("container %s: %s: %s", id, grpc_code_name(e.code), e.msg);
}

static void kill_remove(struct ctr_env *env, const char *id)
{
        struct rpc_error e = { 0 };
        int status;
        assert_int_equal(agent_signal_process(&env->client, id, id, 9, &e), 0);
        assert_int_equal(agent_wait_process(&env->client, id, id, &status, &e), 0);
        assert_int_equal(agent_remove_container(&env->client, id, 10, &e), 0);
}

/* Three UDP datagrams over lo, received, so lo counts them both ways. */
static void loopback_traffic(void)
{
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof addr;
        char buf[64];
        int rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(rx >= 0 && tx >= 0);
        assert_int_equal(bind(rx, (struct sockaddr *)&addr, sizeof addr), 0);
        assert_int_equal(getsockname(rx, (struct sockaddr *)&addr, &len), 0);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(sendto(tx, "kinglet", 7, 0, (struct sockaddr *)&addr, sizeof addr), 7);
                assert_int_equal(recv(rx, buf, sizeof buf, 0), 7);
        }
        close(rx);
        close(tx);
}

/*
 * A container on the agent's network namespace reports its links (lo and the
 * veth pair kt0/kt1 made here) with lo's counters growing by the traffic sent; a
 * container with its own namespace reports only its own lo. (A veth pair, not
 * a dummy link: some host kernels lack the dummy driver.)
 */
static void test_network_stats(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        char out[256];
        const char *add[] = { "/usr/sbin/ip", "link", "add", "kt0", "type", "veth", "peer", "name", "kt1", NULL };
        const char *up[] = { "/usr/sbin/ip", "link", "set", "lo", "up", NULL };
        const char *del[] = { "/usr/sbin/ip", "link", "del", "kt0", NULL };
        if (access(add[0], X_OK) < 0)
                skip();
        assert_int_equal(run_capture(up, true, out, sizeof out), 0);
        (void)run_capture(del, true, out, sizeof out); /* from an earlier run of this test */
        assert_int_equal(run_capture(add, true, out, sizeof out), 0);

        spec_init(&ts, env);
        start_sleeper(env, "shared", &ts);
        Grpc__StatsContainerResponse *before = stats(env, "shared");
        assert_non_null(find_link(before, "kt0"));
        assert_non_null(find_link(before, "kt1"));
        const Grpc__NetworkStats *lo1 = find_link(before, "lo");
        assert_non_null(lo1);
        loopback_traffic();
        Grpc__StatsContainerResponse *after = stats(env, "shared");
        const Grpc__NetworkStats *lo2 = find_link(after, "lo");
        assert_non_null(lo2);
        assert_true(lo2->rx_packets >= lo1->rx_packets + 3);
        assert_true(lo2->tx_packets >= lo1->tx_packets + 3);
        assert_true(lo2->rx_bytes >= lo1->rx_bytes + 3 * 7);
        assert_true(lo2->tx_bytes >= lo1->tx_bytes + 3 * 7);
        protobuf_c_message_free_unpacked(&before->base, NULL);
        protobuf_c_message_free_unpacked(&after->base, NULL);
        kill_remove(env, "shared");

        spec_init(&ts, env);
        test_spec_add_namespace(&ts, "network", NULL);
        start_sleeper(env, "own", &ts);
        Grpc__StatsContainerResponse *own = stats(env, "own");
        assert_int_equal(own->n_network_stats, 1);
        assert_string_equal(own->network_stats[0]->name, "lo");
        assert_int_equal(own->network_stats[0]->tx_packets, 0); /* nothing was sent in there */
        protobuf_c_message_free_unpacked(&own->base, NULL);
        kill_remove(env, "own");
        assert_int_equal(run_capture(del, true, out, sizeof out), 0);
}

int main(void)
{
        /* Our own mounts and network: the veth links and traffic never reach the host's. */
        namespaces_ok = geteuid() == 0 && unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 &&
                        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ctr_teardown)
                T(test_shared_network_sees_files),
                T(test_own_network_gets_nothing),
                T(test_spec_mount_wins),
                T(test_readonly_root),
                T(test_no_sandbox_no_files),
                T(test_network_stats),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
