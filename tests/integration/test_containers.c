/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container isolation on the real agent, checked from inside: each test runs
 * a busybox container and asserts what the process itself sees.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container_run.h"
#include "kinglet.pb-c.h"
#include "ttrpc_client.h"
#include "util.h"

/* Runs `cmd` in the spec (NULL: default) and returns its stdout; the exit status must be `want_status`. */
static char *run(struct ctr_env *env, struct test_spec *ts, const char *cmd, int want_status)
{
        static int seq;
        char id[32], *out = NULL;
        int status = -1;
        snprintf(id, sizeof id, "t%d", ++seq);
        if (ctr_sh(env, id, ts, cmd, &out, &status) < 0)
                fail_msg("container for `%s` did not run", cmd);
        if (status != want_status)
                fail_msg("`%s` exited with %d, expected %d; output: %s", cmd, status, want_status, out);
        return out;
}

#define expect_in(out, needle)                                                                 \
        do {                                                                                   \
                if (!strstr((out), (needle)))                                                  \
                        fail_msg("expected `%s` in the output:\n%s", (needle), (out));           \
        } while (0)

static struct test_spec *spec(struct ctr_env *env)
{
        static struct test_spec ts;
        static const char *const argv[] = { "sh", NULL };
        test_spec_init(&ts, env->rootfs, argv);
        return &ts;
}

static void test_pid1_and_hostname(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec *ts = spec(env);
        ts->spec.hostname = (char *)"kinglet-box";
        char *out = run(env, ts, "echo $$ $(hostname) $(cat /proc/1/comm)", 0);
        assert_string_equal(out, "1 kinglet-box sh\n");
        free(out);
}

static void test_mount_isolation(void **state)
{
        struct ctr_env *env = *state;
        char marker[256];
        struct test_spec *ts = spec(env);
        test_spec_add_cap(ts, "CAP_SYS_ADMIN");
        char *out = run(env, ts, "mount -t tmpfs none /tmp && touch /tmp/inside && ls /tmp && "
                                 "awk '$5 == \"/\"' /proc/self/mountinfo | wc -l", 0);
        assert_string_equal(out, "inside\n1\n");
        free(out);
        /* Nothing of it reached the agent's view of the rootfs. */
        snprintf(marker, sizeof marker, "%s/tmp/inside", env->rootfs);
        assert_int_equal(access(marker, F_OK), -1);
        /* The host's mounts are not visible inside. */
        out = run(env, NULL, "cat /proc/mounts | grep -c kinglet-it || true", 0);
        assert_string_equal(out, "0\n");
        free(out);
}

static void test_capabilities_and_nnp(void **state)
{
        struct ctr_env *env = *state;
        /* runc's default set: AUDIT_WRITE (29), KILL (5), NET_BIND_SERVICE (10). */
        char *out = run(env, NULL, "grep -E '^(CapEff|CapPrm|CapBnd|CapInh|CapAmb|NoNewPrivs)' /proc/self/status", 0);
        assert_string_equal(out, "CapInh:\t0000000000000000\n"
                                 "CapPrm:\t0000000020000420\n"
                                 "CapEff:\t0000000020000420\n"
                                 "CapBnd:\t0000000020000420\n"
                                 "CapAmb:\t0000000000000000\n"
                                 "NoNewPrivs:\t1\n");
        free(out);
        struct test_spec *ts = spec(env);
        test_spec_add_cap(ts, "CAP_SYS_ADMIN");
        ts->process.nonewprivileges = 0;
        out = run(env, ts, "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status", 0);
        assert_string_equal(out, "CapEff:\t0000000020200420\nNoNewPrivs:\t0\n");
        free(out);
        /* Without CAP_SYS_ADMIN mounting is refused. */
        out = run(env, NULL, "mount -t tmpfs none /tmp 2>&1; echo rc=$?", 0);
        expect_in(out, "permission denied");
        expect_in(out, "rc=1");
        free(out);
}

static void test_seccomp_errno(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec *ts = spec(env);
        test_spec_deny_syscall(ts, "mkdir", 13);   /* EACCES */
        test_spec_deny_syscall(ts, "mkdirat", 13);
        test_spec_deny_syscall(ts, "getcwd", 38);  /* ENOSYS */
        char *out = run(env, ts, "mkdir /tmp/x 2>&1; echo rc=$?; grep Seccomp: /proc/self/status", 0);
        expect_in(out, "Permission denied");
        expect_in(out, "Seccomp:\t2");
        free(out);
}

static void test_readonly_root(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec *ts = spec(env);
        ts->root.readonly = 1;
        char *out = run(env, ts, "touch /newfile 2>&1; echo rc=$?; touch /dev/shm/ok && echo shm-writable", 0);
        expect_in(out, "Read-only file system");
        expect_in(out, "rc=1");
        expect_in(out, "shm-writable");
        free(out);
}

static void test_masked_and_readonly_paths(void **state)
{
        struct ctr_env *env = *state;
        /* /proc/keys is a file (masked with /dev/null), /sys/firmware a directory (an empty tmpfs). */
        char *out = run(env, NULL, "{ wc -c < /proc/keys; ls /sys/firmware | wc -l; "
                                   "echo 1 > /proc/sys/kernel/domainname; echo rc=$?; } 2>&1", 0);
        expect_in(out, "0\n0\n");
        expect_in(out, "Read-only file system");
        free(out);
}

static void test_user_and_groups(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec *ts = spec(env);
        ts->user.uid = 1000;
        ts->user.gid = 1000;
        uint32_t extra[] = { 10, 29 };
        ts->user.additionalgids = extra;
        ts->user.n_additionalgids = 2;
        char *out = run(env, ts, "id -u; id -g; id -G", 0);
        assert_string_equal(out, "1000\n1000\n1000 10 29\n");
        free(out);
}

static void test_string_user(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec *ts = spec(env);
        Grpc__StringUser su = GRPC__STRING_USER__INIT;
        struct rpc_error e = { 0 };
        char *out = NULL;
        int status;
        const char *argv[] = { "sh", "-c", "id -un; id -gn; id -G", NULL };
        test_spec_init(ts, env->rootfs, argv);
        su.uid = (char *)"app";
        struct create_opts o = { .user = &su };
        assert_int_equal(agent_create_container(&env->client, "su", &ts->spec, &o, &e), 0);
        assert_int_equal(agent_start_container(&env->client, "su", &e), 0);
        assert_int_equal(ctr_read_all(&env->client, "su", "su", false, &out, NULL), 0);
        assert_int_equal(agent_wait_process(&env->client, "su", "su", &status, &e), 0);
        assert_int_equal(agent_remove_container(&env->client, "su", 5, &e), 0);
        /* Name from /etc/passwd, primary group, and the /etc/group memberships (wheel, audio). */
        assert_string_equal(out, "app\napp\n1000 10 29\n");
        free(out);
        su.uid = (char *)"nosuchuser";
        assert_int_equal(agent_create_container(&env->client, "su2", &ts->spec, &o, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(e.msg, "nosuchuser"));
}

static void test_rlimits(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec *ts = spec(env);
        ts->rlimit_store[0].soft = 64;
        ts->rlimit_store[0].hard = 128;
        test_spec_add_rlimit(ts, "RLIMIT_NPROC", 500, 600);
        char *out = run(env, ts, "ulimit -n; ulimit -Hn; ulimit -u", 0);
        assert_string_equal(out, "64\n128\n500\n");
        free(out);
        /* oomScoreAdj goes with them: set while still privileged, seen by the process. */
        ts = spec(env);
        ts->process.oomscoreadj = 512;
        out = run(env, ts, "cat /proc/self/oom_score_adj", 0);
        assert_string_equal(out, "512\n");
        free(out);
        ts = spec(env);
        ts->process.oomscoreadj = 1001;
        struct rpc_error e = { 0 };
        assert_int_equal(agent_create_container(&env->client, "bad-oom", &ts->spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
}

static void test_sysctl_and_devices(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec *ts = spec(env);
        test_spec_add_sysctl(ts, "kernel.shmmax", "123456789");
        test_spec_add_device(ts, "/dev/kmsg-test", "c", 1, 11);
        char *out = run(env, ts, "cat /proc/sys/kernel/shmmax; stat -c '%t:%T %a' /dev/kmsg-test; "
                                 "stat -c '%t:%T' /dev/null /dev/zero /dev/full /dev/urandom /dev/tty; "
                                 "readlink /dev/fd; readlink /dev/ptmx", 0);
        assert_string_equal(out, "123456789\n1:b 666\n1:3\n1:5\n1:7\n1:9\n5:0\n/proc/self/fd\npts/ptmx\n");
        free(out);
        /*
         * net.* without a network namespace of the container's own: it shares
         * the guest's (the pod's, in a VM), as every Kata spec does. Here that
         * is this machine's, so the value written is the one already there.
         */
        char current[32];
        assert_int_equal(read_small_file("/proc/sys/net/ipv4/ip_unprivileged_port_start", current, sizeof current,
                                         NULL), 0);
        strstrip_trailing(current);
        ts = spec(env);
        test_spec_remove_namespace(ts, "network");
        test_spec_add_sysctl(ts, "net.ipv4.ip_unprivileged_port_start", current);
        out = run(env, ts, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start", 0);
        strstrip_trailing(out);
        assert_string_equal(out, current);
        free(out);
        /* A sysctl outside the container's namespaces is refused before anything runs. */
        ts = spec(env);
        test_spec_add_sysctl(ts, "vm.swappiness", "10");
        struct rpc_error e = { 0 };
        assert_int_equal(agent_create_container(&env->client, "bad-sysctl", &ts->spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(e.msg, "vm.swappiness"));
}

/* The pid (in the agent's namespace) of container `id`'s init, from kinglet.Containers/List. */
static pid_t init_pid(struct ctr_env *env, const char *id)
{
        Kinglet__ListContainersRequest req = KINGLET__LIST_CONTAINERS_REQUEST__INIT;
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        ProtobufCMessage *m = NULL;
        pid_t pid = 0;
        assert_int_equal(ttrpc_client_call(env->client.ttrpc, "kinglet.Containers", "List", &req.base,
                                           &kinglet__list_containers_response__descriptor, 0, &st, &m, &e), 0);
        const Kinglet__ListContainersResponse *l = (const Kinglet__ListContainersResponse *)m;
        for (size_t i = 0; i < l->n_containers; i++)
                if (strcmp(l->containers[i]->container_id, id) == 0 && l->containers[i]->n_processes)
                        pid = l->containers[i]->processes[0]->pid;
        protobuf_c_message_free_unpacked(m, NULL);
        return pid;
}

/* `linux.namespaces[].path`: a second container joins the first one's network, ipc and uts namespaces. */
static void test_join_namespaces_by_path(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        struct test_spec first;
        const char *argv[] = { "sleep", "1000", NULL };
        test_spec_init(&first, env->rootfs, argv);
        first.spec.hostname = (char *)"first-box";
        test_spec_add_namespace(&first, "network", NULL); /* its own, so joining it is visible */
        assert_int_equal(agent_create_container(&env->client, "first", &first.spec, NULL, &e), 0);
        assert_int_equal(agent_start_container(&env->client, "first", &e), 0);
        pid_t pid = init_pid(env, "first");
        assert_true(pid > 0);

        char paths[3][64], want[3][64];
        static const char *const kinds[] = { "net", "ipc", "uts" };
        static const char *const types[] = { "network", "ipc", "uts" };
        struct test_spec *ts = spec(env);
        for (int i = 0; i < 3; i++) {
                snprintf(paths[i], sizeof paths[i], "/proc/%d/ns/%s", (int)pid, kinds[i]);
                ssize_t n = readlink(paths[i], want[i], sizeof want[i] - 1);
                assert_true(n > 0);
                want[i][n] = '\0';
                test_spec_remove_namespace(ts, types[i]);
                test_spec_add_namespace(ts, types[i], paths[i]);
        }
        char own_net[64];
        ssize_t own = readlink("/proc/self/ns/net", own_net, sizeof own_net - 1);
        assert_true(own > 0);
        own_net[own] = '\0';
        assert_string_not_equal(want[0], own_net);
        char *out = run(env, ts, "for n in net ipc uts; do readlink /proc/self/ns/$n; done; hostname", 0);
        char expected[256];
        snprintf(expected, sizeof expected, "%s\n%s\n%s\nfirst-box\n", want[0], want[1], want[2]);
        assert_string_equal(out, expected);
        free(out);

        /* A path that is not there: NOT_FOUND, naming it. */
        ts = spec(env);
        test_spec_remove_namespace(ts, "network");
        test_spec_add_namespace(ts, "network", "/proc/self/ns/no-such-namespace");
        assert_int_equal(agent_create_container(&env->client, "nons", &ts->spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        expect_in(e.msg, "no-such-namespace");
        assert_int_equal(agent_signal_process(&env->client, "first", "", SIGKILL, &e), 0);
        int status;
        assert_int_equal(agent_wait_process(&env->client, "first", "first", &status, &e), 0);
        assert_int_equal(agent_remove_container(&env->client, "first", 10, &e), 0);
}

static void test_user_namespace(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec *ts = spec(env);
        test_spec_userns(ts, 100000, 65536);
        /* /sys cannot be mounted in a user namespace without a network namespace of its own. */
        test_spec_add_namespace(ts, "network", NULL);
        char *out = run(env, ts, "id -u; cat /proc/self/uid_map", 0);
        expect_in(out, "0\n");
        expect_in(out, "100000");
        free(out);
}

static void test_bind_mount_options(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec *ts = spec(env);
        char src[256];
        static const char *const ro[] = { "rbind", "ro", "nosuid", NULL };
        snprintf(src, sizeof src, "%s/shared", env->agent.dir);
        assert_int_equal(mkdir(src, 0755), 0);
        FILE *f = fopen(strcat(src, "/note"), "we");
        fputs("from the host\n", f);
        fclose(f);
        src[strlen(src) - 5] = '\0';
        test_spec_add_mount(ts, "/mnt/data", "bind", src, ro);
        char *out = run(env, ts, "cat /mnt/data/note; touch /mnt/data/x 2>&1; grep /mnt/data /proc/mounts", 0);
        expect_in(out, "from the host");
        expect_in(out, "Read-only file system");
        expect_in(out, " ro,nosuid");
        free(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ctr_setup, ctr_teardown)
                T(test_pid1_and_hostname),
                T(test_mount_isolation),
                T(test_capabilities_and_nnp),
                T(test_seccomp_errno),
                T(test_readonly_root),
                T(test_masked_and_readonly_paths),
                T(test_user_and_groups),
                T(test_string_user),
                T(test_rlimits),
                T(test_sysctl_and_devices),
                T(test_join_namespaces_by_path),
                T(test_user_namespace),
                T(test_bind_mount_options),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
