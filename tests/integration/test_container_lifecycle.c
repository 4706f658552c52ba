/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container lifecycle on the real agent: errors, cleanup after failures,
 * pause/resume, stats, update, OOM events, limits, many containers, leaks,
 * and the sandbox.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container_run.h"
#include "kinglet.pb-c.h"
#include "util.h"

#define expect_in(out, needle)                                                           \
        do {                                                                             \
                if (!strstr((out), (needle)))                                            \
                        fail_msg("expected `%s` in:\n%s", (needle), (out));                 \
        } while (0)

static void spec_sh(struct test_spec *ts, struct ctr_env *env, const char *cmd)
{
        static const char *argv[4] = { "sh", "-c", NULL, NULL };
        argv[2] = cmd;
        test_spec_init(ts, env->rootfs, argv);
}

static void start(struct ctr_env *env, const char *id, struct test_spec *ts)
{
        struct rpc_error e = { 0 };
        if (agent_create_container(&env->client, id, &ts->spec, NULL, &e) < 0 ||
            agent_start_container(&env->client, id, &e) < 0)
                fail_msg("cannot run container %s: %s", id, e.msg);
}

static void kill_remove(struct ctr_env *env, const char *id)
{
        struct rpc_error e = { 0 };
        if (agent_remove_container(&env->client, id, 10, &e) < 0)
                fail_msg("cannot remove %s: %s", id, e.msg);
}

/* --- what the agent holds, to compare before and after --- */

struct footprint {
        int fds, mounts, children, cgroups, bundles;
        long rss_kib;
};

/* Subdirectories (a cgroup directory also holds its control files). */
static int count_entries(const char *path)
{
        DIR *d = opendir(path);
        int n = 0;
        struct dirent *de;
        while (d && (de = readdir(d)))
                n += de->d_name[0] != '.' && de->d_type == DT_DIR;
        if (d)
                closedir(d);
        return n;
}

static int count_lines(const char *path)
{
        FILE *f = fopen(path, "re");
        int n = 0, c;
        while (f && (c = fgetc(f)) != EOF)
                n += c == '\n';
        if (f)
                fclose(f);
        return n;
}

static struct footprint footprint(const struct ctr_env *env)
{
        struct footprint fp = { 0 };
        char path[256], line[256];
        pid_t pid = env->agent.pid;
        snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
        fp.fds = count_entries(path);
        snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)pid);
        fp.mounts = count_lines(path);
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
        FILE *f = fopen(path, "re");
        int c;
        while (f && (c = fgetc(f)) != EOF)
                fp.children += c == ' ';
        if (f)
                fclose(f);
        fp.cgroups = count_entries("/sys/fs/cgroup/memory/kata");
        snprintf(path, sizeof path, "/proc/%d/root/run/kata-containers", (int)pid);
        fp.bundles = count_entries(path);
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "VmRSS: %ld", &fp.rss_kib) == 1)
                        break;
        if (f)
                fclose(f);
        return fp;
}

static void assert_same_footprint(const struct footprint *a, const struct footprint *b)
{
        if (a->fds != b->fds || a->mounts != b->mounts || a->children != b->children ||
            a->cgroups != b->cgroups || a->bundles != b->bundles)
                fail_msg("agent state changed: fds %d->%d mounts %d->%d children %d->%d cgroups %d->%d "
                         "bundles %d->%d",
                         a->fds, b->fds, a->mounts, b->mounts, a->children, b->children, a->cgroups, b->cgroups,
                         a->bundles, b->bundles);
}

/* --- tests --- */

static void test_error_table(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        char long_id[300];
        memset(long_id, 'a', 257);
        long_id[257] = '\0';
        spec_sh(&ts, env, "sleep 1000");
        static const char *const bad_ids[] = { "", "a/b", "..", "../x", "-x", "a b" };
        for (size_t i = 0; i < ARRAY_SIZE(bad_ids); i++) {
                if (agent_create_container(&env->client, bad_ids[i], &ts.spec, NULL, &e) != -EPROTO ||
                    e.code != GRPC_INVALID_ARGUMENT)
                        fail_msg("container id `%s` was not refused as INVALID_ARGUMENT (%s)", bad_ids[i], e.msg);
        }
        assert_int_equal(agent_create_container(&env->client, long_id, &ts.spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        expect_in(e.msg, "longer than 256");

        /* A NUL inside the id, which a decoded C string would hide. */
        static const uint8_t nul_id[] = { 0x0a, 0x05, 'a', 0, '/', '.', '.' };
        struct ttrpc_reply rep;
        uint32_t sid;
        assert_int_equal(ttrpc_client_send_payload(env->client.ttrpc, "grpc.AgentService", "CreateContainer", nul_id,
                                                   sizeof nul_id, 0, &sid), 0);
        assert_int_equal(ttrpc_client_recv(env->client.ttrpc, 5000, &rep), 0);
        assert_int_equal(rep.code, GRPC_INVALID_ARGUMENT);
        expect_in(rep.message, "NUL");
        ttrpc_reply_clear(&rep);
        assert_int_equal(ttrpc_client_send_payload(env->client.ttrpc, "grpc.AgentService", "StartContainer", nul_id,
                                                   sizeof nul_id, 0, &sid), 0);
        assert_int_equal(ttrpc_client_recv(env->client.ttrpc, 5000, &rep), 0);
        assert_int_equal(rep.code, GRPC_INVALID_ARGUMENT);
        ttrpc_reply_clear(&rep);

        /* Devices this agent cannot pass through are refused clearly, not ignored; a bad PCI path is named. */
        Grpc__CreateContainerRequest dreq = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        Grpc__Device dev = GRPC__DEVICE__INIT, *devs[] = { &dev };
        dev.id = (char *)"0.0.0001";
        dev.type = (char *)"blk-ccw";
        dev.container_path = (char *)"/dev/xda";
        dreq.container_id = (char *)"withdev";
        dreq.oci = &ts.spec;
        dreq.devices = devs;
        dreq.n_devices = 1;
        assert_int_equal(agent_call(&env->client, "CreateContainer", &dreq.base, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_UNIMPLEMENTED);
        expect_in(e.msg, "blk-ccw");
        dev.id = (char *)"disk0";
        dev.type = (char *)"blk";
        assert_int_equal(agent_call(&env->client, "CreateContainer", &dreq.base, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        expect_in(e.msg, "disk0");

        /* A spec without process, or without root. */
        ts.spec.process = NULL;
        assert_int_equal(agent_create_container(&env->client, "np", &ts.spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        ts.spec.process = &ts.process;
        ts.spec.root = NULL;
        assert_int_equal(agent_create_container(&env->client, "nr", &ts.spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        ts.spec.root = &ts.root;

        /* User namespace maps the kernel would refuse: over 4095 bytes written out. */
        static Grpc__LinuxIDMapping maps[200], *map_ptrs[200];
        for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
                grpc__linux_idmapping__init(&maps[i]);
                maps[i].containerid = 1000000000u + (uint32_t)i;
                maps[i].hostid = 2000000000u + (uint32_t)i;
                maps[i].size = 1;
                map_ptrs[i] = &maps[i];
        }
        test_spec_add_namespace(&ts, "user", NULL);
        ts.linux.uidmappings = ts.linux.gidmappings = map_ptrs;
        ts.linux.n_uidmappings = ts.linux.n_gidmappings = ARRAY_SIZE(maps);
        assert_int_equal(agent_create_container(&env->client, "maps", &ts.spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        expect_in(e.msg, "at most 4095");
        spec_sh(&ts, env, "sleep 1000");

        /* Duplicate, unknown, and exec into a stopped container. */
        start(env, "dup", &ts);
        /*
         * An empty sub-message encodes as a 0x00 length byte: only string
         * fields are checked for NULs, so this update is not refused.
         */
        Grpc__UpdateContainerRequest ureq = GRPC__UPDATE_CONTAINER_REQUEST__INIT;
        Grpc__LinuxResources ures = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory umem = GRPC__LINUX_MEMORY__INIT;
        ures.memory = &umem;
        ureq.container_id = (char *)"dup";
        ureq.resources = &ures;
        if (agent_call(&env->client, "UpdateContainer", &ureq.base, NULL, NULL, &e) < 0)
                fail_msg("UpdateContainer with an empty memory message: %s", e.msg);
        assert_int_equal(agent_create_container(&env->client, "dup", &ts.spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_ALREADY_EXISTS);
        assert_int_equal(agent_start_container(&env->client, "nope", &e), -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        assert_int_equal(agent_start_container(&env->client, "dup", &e), -EPROTO);
        assert_int_equal(e.code, GRPC_FAILED_PRECONDITION);
        int status;
        assert_int_equal(agent_wait_process(&env->client, "dup", "nope", &status, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        assert_int_equal(agent_signal_process(&env->client, "dup", "", SIGKILL, &e), 0);
        assert_int_equal(agent_wait_process(&env->client, "dup", "dup", &status, &e), 0);
        Grpc__Process p = GRPC__PROCESS__INIT;
        char *args[] = { (char *)"true" };
        p.args = args;
        p.n_args = 1;
        assert_int_equal(agent_exec_process(&env->client, "dup", "x", &p, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_FAILED_PRECONDITION);
        kill_remove(env, "dup");
        assert_int_equal(agent_remove_container(&env->client, "dup", 0, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
}

static void test_failed_create_leaves_nothing(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        static const char *const opts[] = { "rbind", NULL };
        spec_sh(&ts, env, "true");
        test_spec_set_memory(&ts, 64 << 20);
        struct footprint before = footprint(env);
        /* Fails in the child, after cgroup, bundle and rootfs mount were made. */
        test_spec_add_mount(&ts, "/mnt", "bind", "/nonexistent/source", opts);
        assert_int_equal(agent_create_container(&env->client, "bad", &ts.spec, NULL, &e), -EPROTO);
        expect_in(e.msg, "/nonexistent/source");
        struct footprint after = footprint(env);
        assert_same_footprint(&before, &after);
        /* Fails in the agent, before any child. */
        ts.spec.n_mounts--;
        ts.linux.rootfspropagation = (char *)"sideways";
        assert_int_equal(agent_create_container(&env->client, "bad2", &ts.spec, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        after = footprint(env);
        assert_same_footprint(&before, &after);
}

static void test_container_storage(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        char *out = NULL;
        int status;
        static const char *const bind_opts[] = { "rbind", NULL };
        Grpc__Storage st = GRPC__STORAGE__INIT, *sts[] = { &st };
        char *st_opts[] = { (char *)"size=2m" };
        st.driver = (char *)"ephemeral";
        st.fstype = (char *)"tmpfs";
        st.source = (char *)"tmpfs";
        st.options = st_opts;
        st.n_options = 1;
        st.mount_point = (char *)"/run/kata-containers/shared/eph1";
        spec_sh(&ts, env, "grep ' /scratch ' /proc/mounts | cut -d' ' -f3; df -k /scratch | tail -1");
        test_spec_add_mount(&ts, "/scratch", "bind", "/run/kata-containers/shared/eph1", bind_opts);
        struct create_opts o = { .storages = sts, .n_storages = 1 };
        assert_int_equal(agent_create_container(&env->client, "stor", &ts.spec, &o, &e), 0);
        assert_int_equal(agent_start_container(&env->client, "stor", &e), 0);
        assert_int_equal(ctr_read_all(&env->client, "stor", "stor", false, &out, NULL), 0);
        assert_int_equal(agent_wait_process(&env->client, "stor", "stor", &status, &e), 0);
        expect_in(out, "tmpfs\n");
        expect_in(out, " 2048 ");
        free(out);
        kill_remove(env, "stor");
        /* Unmounted with the container. */
        char path[256];
        snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)env->agent.pid);
        FILE *f = fopen(path, "re");
        char line[512];
        while (f && fgets(line, sizeof line, f))
                if (strstr(line, "eph1"))
                        fail_msg("storage still mounted: %s", line);
        if (f)
                fclose(f);
        /* Mount points must be absolute and must not climb out with "..", wherever it is. */
        static const char *const bad[] = { "/run/kata-containers/shared/eph1/..", "/run/../etc",
                                           "relative/dir", "" };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                st.mount_point = (char *)bad[i];
                assert_int_equal(agent_create_container(&env->client, "stor-bad", &ts.spec, &o, &e), -EPROTO);
                assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
                expect_in(e.msg, "mount point");
        }
}

static void test_pause_resume(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        char freezer[256], value[64];
        spec_sh(&ts, env, "sleep 1000");
        start(env, "pz", &ts);
        Grpc__PauseContainerRequest req = GRPC__PAUSE_CONTAINER_REQUEST__INIT;
        req.container_id = (char *)"pz";
        assert_int_equal(agent_call(&env->client, "PauseContainer", &req.base, NULL, NULL, &e), 0);
        snprintf(freezer, sizeof freezer, "/sys/fs/cgroup/freezer/kata/pz/freezer.state");
        int frozen = 0;
        for (int i = 0; i < 100 && !frozen; i++) {
                frozen = read_small_file(freezer, value, sizeof value, NULL) == 0 && startswith(value, "FROZEN");
                if (!frozen)
                        usleep(10000);
        }
        assert_true(frozen);
        /* Pausing twice, or exec into a paused container, is refused. */
        assert_int_equal(agent_call(&env->client, "PauseContainer", &req.base, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_FAILED_PRECONDITION);
        assert_int_equal(agent_call(&env->client, "ResumeContainer", &req.base, NULL, NULL, &e), 0);
        assert_int_equal(read_small_file(freezer, value, sizeof value, NULL), 0);
        assert_true(startswith(value, "THAWED"));
        kill_remove(env, "pz");
}

static uint64_t cpu_usage(struct ctr_env *env, const char *id, uint64_t *mem)
{
        struct rpc_error e = { 0 };
        ProtobufCMessage *m = NULL;
        Grpc__StatsContainerRequest req = GRPC__STATS_CONTAINER_REQUEST__INIT;
        req.container_id = (char *)id;
        assert_int_equal(agent_call(&env->client, "StatsContainer", &req.base,
                                    &grpc__stats_container_response__descriptor, &m, &e), 0);
        const Grpc__StatsContainerResponse *s = (const Grpc__StatsContainerResponse *)m;
        assert_non_null(s->cgroup_stats);
        assert_non_null(s->cgroup_stats->cpu_stats);
        uint64_t cpu = s->cgroup_stats->cpu_stats->cpu_usage->total_usage;
        *mem = s->cgroup_stats->memory_stats && s->cgroup_stats->memory_stats->usage
                       ? s->cgroup_stats->memory_stats->usage->usage
                       : 0;
        assert_true(s->cgroup_stats->pids_stats && s->cgroup_stats->pids_stats->current >= 1);
        assert_true(s->n_network_stats >= 1); /* at least lo of its network namespace */
        protobuf_c_message_free_unpacked(m, NULL);
        return cpu;
}

static void test_stats_change_under_load(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        uint64_t mem1, mem2;
        spec_sh(&ts, env, "while true; do :; done");
        start(env, "busy", &ts);
        uint64_t cpu1 = cpu_usage(env, "busy", &mem1);
        usleep(300 * 1000);
        uint64_t cpu2 = cpu_usage(env, "busy", &mem2);
        assert_true(cpu2 > cpu1 + 50 * 1000 * 1000); /* at least 50 ms of CPU in 300 ms */
        assert_true(mem2 > 0);
        kill_remove(env, "busy");
}

static void test_update_limits_live(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        char value[64];
        spec_sh(&ts, env, "sleep 1000");
        test_spec_set_memory(&ts, 128 << 20);
        start(env, "upd", &ts);
        assert_int_equal(read_small_file("/sys/fs/cgroup/memory/kata/upd/memory.limit_in_bytes", value, sizeof value,
                                         NULL), 0);
        assert_string_equal(value, "134217728\n");
        Grpc__UpdateContainerRequest req = GRPC__UPDATE_CONTAINER_REQUEST__INIT;
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory mem = GRPC__LINUX_MEMORY__INIT;
        Grpc__LinuxPids pids = GRPC__LINUX_PIDS__INIT;
        mem.limit = 96 << 20;
        pids.limit = 42;
        res.memory = &mem;
        res.pids = &pids;
        req.container_id = (char *)"upd";
        req.resources = &res;
        assert_int_equal(agent_call(&env->client, "UpdateContainer", &req.base, NULL, NULL, &e), 0);
        assert_int_equal(read_small_file("/sys/fs/cgroup/memory/kata/upd/memory.limit_in_bytes", value, sizeof value,
                                         NULL), 0);
        assert_string_equal(value, "100663296\n");
        assert_int_equal(read_small_file("/sys/fs/cgroup/pids/kata/upd/pids.max", value, sizeof value, NULL), 0);
        assert_string_equal(value, "42\n");
        kill_remove(env, "upd");
}

static void test_oom_event(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        int status;
        /* tail keeps a whole "line" of /dev/zero in memory: it grows until the limit kills it. */
        spec_sh(&ts, env, "tail /dev/zero");
        test_spec_set_memory(&ts, 32 << 20);
        start(env, "oom", &ts);
        Grpc__GetOOMEventRequest req = GRPC__GET_OOMEVENT_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        env->client.timeout_ns = 30 * (int64_t)NSEC_PER_SEC;
        if (agent_call(&env->client, "GetOOMEvent", &req.base, &grpc__oomevent__descriptor, &m, &e) < 0)
                fail_msg("GetOOMEvent: %s", e.msg);
        env->client.timeout_ns = 0;
        assert_string_equal(((Grpc__OOMEvent *)m)->container_id, "oom");
        protobuf_c_message_free_unpacked(m, NULL);
        assert_int_equal(agent_wait_process(&env->client, "oom", "oom", &status, &e), 0);
        assert_int_equal(status, 128 + SIGKILL);
        kill_remove(env, "oom");
}

static void test_pids_limit(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        char *out = NULL;
        int status;
        spec_sh(&ts, env, "");
        test_spec_set_pids(&ts, 8);
        /* The shell and up to 7 children fit; the 8th fork fails. */
        assert_int_equal(ctr_sh(env, "pids", &ts,
                                "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done 2>&1; "
                                "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null; kill $(jobs -p) 2>/dev/null; true",
                                &out, &status), 0);
        expect_in(out, "can't fork");
        free(out);
}

static void test_hundred_containers(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        char id[32];
        spec_sh(&ts, env, "sleep 1000");
        for (int i = 0; i < 100; i++) {
                snprintf(id, sizeof id, "many-%d", i);
                start(env, id, &ts);
        }
        Kinglet__ListContainersRequest lreq = KINGLET__LIST_CONTAINERS_REQUEST__INIT;
        struct ttrpc_reply st;
        ProtobufCMessage *m = NULL;
        assert_int_equal(ttrpc_client_call(env->client.ttrpc, "kinglet.Containers", "List", &lreq.base,
                                           &kinglet__list_containers_response__descriptor, 0, &st, &m, &e), 0);
        const Kinglet__ListContainersResponse *l = (const Kinglet__ListContainersResponse *)m;
        assert_int_equal(l->n_containers, 100);
        for (size_t i = 0; i < l->n_containers; i++)
                assert_string_equal(l->containers[i]->state, "running");
        protobuf_c_message_free_unpacked(m, NULL);
        for (int i = 0; i < 100; i++) {
                snprintf(id, sizeof id, "many-%d", i);
                kill_remove(env, id);
        }
}

/* The short version of bench/'s soak: the agent must come back to where it was. */
static void test_cycles_leave_no_trace(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        char id[32];
        int status;
        struct rpc_error e = { 0 };
        spec_sh(&ts, env, "echo hi");
        test_spec_set_memory(&ts, 64 << 20);
        /* One round first: lazily made things (buffers, the bundle base) exist from then on. */
        assert_int_equal(ctr_run(env, "warm", &ts, NULL, NULL, &status, &e), 0);
        struct footprint before = footprint(env);
        for (int i = 0; i < 200; i++) {
                snprintf(id, sizeof id, "cycle-%d", i);
                if (ctr_run(env, id, &ts, NULL, NULL, &status, &e) < 0 || status != 0)
                        fail_msg("cycle %d: %s (status %d)", i, e.msg, status);
        }
        struct footprint after = footprint(env);
        assert_same_footprint(&before, &after);
        /* An ASan agent keeps freed memory in quarantine; its LeakSanitizer checks leaks instead. */
        if (!getenv("ASAN_OPTIONS") && after.rss_kib > before.rss_kib + 256)
                fail_msg("agent RSS grew from %ld to %ld KiB over 200 cycles", before.rss_kib, after.rss_kib);
}

static void test_sandbox(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        char path[256], content[512], *out = NULL;
        int status;
        Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        Grpc__Storage shm = GRPC__STORAGE__INIT;
        Grpc__Storage *storages[] = { &shm };
        char *dns[] = { (char *)"nameserver 192.0.2.53", (char *)"search example.test" };
        char *shm_opts[] = { (char *)"nosuid", (char *)"mode=1777", (char *)"size=1048576" };
        shm.driver = (char *)"ephemeral";
        shm.source = (char *)"shm";
        shm.fstype = (char *)"tmpfs";
        shm.mount_point = (char *)"/run/kata-containers/sandbox/shm";
        shm.options = shm_opts;
        shm.n_options = 3;
        req.hostname = (char *)"pod-host";
        req.dns = dns;
        req.n_dns = 2;
        req.sandbox_pidns = 1;
        req.sandbox_id = (char *)"pod1";
        req.storages = storages;
        req.n_storages = 1;
        assert_int_equal(agent_call(&env->client, "CreateSandbox", &req.base, NULL, NULL, &e), 0);
        assert_int_equal(agent_call(&env->client, "CreateSandbox", &req.base, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_ALREADY_EXISTS);

        snprintf(path, sizeof path, "/proc/%d/root/run/kata-containers/sandbox/resolv.conf", (int)env->agent.pid);
        assert_int_equal(read_small_file(path, content, sizeof content, NULL), 0);
        assert_string_equal(content, "nameserver 192.0.2.53\nsearch example.test\n");

        /* A container in the shared PID namespace: PID 1 there is the holder, not the container. */
        struct test_spec ts;
        spec_sh(&ts, env, "echo $$; cat /proc/1/comm");
        test_spec_remove_namespace(&ts, "uts"); /* shares the sandbox hostname */
        struct create_opts o = { .sandbox_pidns = true };
        assert_int_equal(agent_create_container(&env->client, "inpod", &ts.spec, &o, &e), 0);
        assert_int_equal(agent_start_container(&env->client, "inpod", &e), 0);
        assert_int_equal(ctr_read_all(&env->client, "inpod", "inpod", false, &out, NULL), 0);
        assert_int_equal(agent_wait_process(&env->client, "inpod", "inpod", &status, &e), 0);
        assert_true(strtol(out, NULL, 10) > 1);
        expect_in(out, "kinglet-pidns");
        free(out);

        /* A running one, then DestroySandbox takes everything down; twice is harmless. */
        spec_sh(&ts, env, "sleep 1000");
        start(env, "left", &ts);
        assert_int_equal(agent_call(&env->client, "DestroySandbox", NULL, NULL, NULL, &e), 0);
        assert_int_equal(agent_call(&env->client, "DestroySandbox", NULL, NULL, NULL, &e), 0);
        assert_int_equal(agent_wait_process(&env->client, "left", "left", &status, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        assert_int_equal(count_entries("/sys/fs/cgroup/memory/kata"), 0);
        snprintf(path, sizeof path, "/proc/%d/root/run/kata-containers/sandbox/shm", (int)env->agent.pid);
        struct stat st;
        /* The tmpfs is gone (what remains, if anything, is the plain directory). */
        assert_true(stat(path, &st) < 0 || st.st_dev != 0);
        /* A new sandbox can be made again. */
        req.sandbox_pidns = 0;
        req.n_storages = 0;
        assert_int_equal(agent_call(&env->client, "CreateSandbox", &req.base, NULL, NULL, &e), 0);
}

/* The state letter and parent of a process from /proc/<pid>/stat; 0 when it is gone. */
static char proc_state(pid_t pid, int *ret_ppid)
{
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        if (read_small_file(path, buf, sizeof buf, NULL) < 0)
                return 0;
        char *paren = strrchr(buf, ')');
        char state = 0;
        if (!paren || sscanf(paren + 2, "%c %d", &state, ret_ppid) != 2)
                return 0;
        return state;
}

/*
 * A container without a PID namespace of its own leaves a daemon behind when
 * its init exits: the daemon is reparented to the agent (a child subreaper
 * when not PID 1) and, once it dies, reaped — no zombie.
 */
static void test_orphans_are_reaped(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        char *out = NULL;
        int status = -1, ppid = 0;
        spec_sh(&ts, env, "sleep 1000 </dev/null >/dev/null 2>&1 & echo $!");
        test_spec_remove_namespace(&ts, "pid");
        start(env, "orph", &ts);
        assert_int_equal(ctr_read_all(&env->client, "orph", "orph", false, &out, NULL), 0);
        assert_int_equal(agent_wait_process(&env->client, "orph", "orph", &status, &e), 0);
        assert_int_equal(status, 0);
        pid_t daemon = (pid_t)atoi(out);
        free(out);
        assert_true(daemon > 0);
        char st = 0;
        for (int i = 0; i < 100 && (st = proc_state(daemon, &ppid)) && ppid != env->agent.pid; i++)
                usleep(10000);
        assert_int_equal(ppid, env->agent.pid);
        assert_int_equal(kill(daemon, SIGKILL), 0);
        for (int i = 0; i < 200 && (st = proc_state(daemon, &ppid)) != 0; i++)
                usleep(10000);
        if (st)
                fail_msg("the orphan %d is still there in state %c", (int)daemon, st);
        assert_int_equal(agent_remove_container(&env->client, "orph", 10, &e), 0);
}

/* The agent's child named `comm` (the sandbox's PID namespace holder), or 0. */
static pid_t agent_child(struct ctr_env *env, const char *comm)
{
        char path[64], buf[512];
        DIR *d = opendir("/proc");
        pid_t found = 0;
        for (struct dirent *de; d && !found && (de = readdir(d));) {
                int pid = atoi(de->d_name);
                if (pid <= 0)
                        continue;
                snprintf(path, sizeof path, "/proc/%d/stat", pid);
                if (read_small_file(path, buf, sizeof buf, NULL) < 0)
                        continue;
                char *close_paren = strrchr(buf, ')');
                int ppid = 0;
                if (close_paren && sscanf(close_paren + 2, "%*c %d", &ppid) == 1 && ppid == env->agent.pid &&
                    strstr(buf, comm))
                        found = pid;
        }
        if (d)
                closedir(d);
        return found;
}

/*
 * DestroySandbox waits for every container, whatever its state: one still
 * being created (held in a prestart hook), one whose poststop hook is slow.
 * While it waits, no new container may start. The PID namespace holder keeps
 * none of the agent's descriptors (not this client's connection, say).
 */
static void test_destroy_sandbox_waits_for_all(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        struct ttrpc_client *t = env->client.ttrpc;
        Grpc__CreateSandboxRequest sreq = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        sreq.sandbox_pidns = 1;
        assert_int_equal(agent_call(&env->client, "CreateSandbox", &sreq.base, NULL, NULL, &e), 0);
        pid_t holder = agent_child(env, "(kinglet-pidns)");
        assert_true(holder > 0);
        char fd_dir[64];
        snprintf(fd_dir, sizeof fd_dir, "/proc/%d/fd", (int)holder);
        assert_true(count_entries(fd_dir) <= 3); /* at most stdin, stdout, stderr */

        /* A running container whose poststop hook takes a while. */
        struct test_spec slow_stop;
        spec_sh(&slow_stop, env, "sleep 1000");
        Grpc__Hooks hooks = GRPC__HOOKS__INIT;
        Grpc__Hook sleep_hook = GRPC__HOOK__INIT, *one[] = { &sleep_hook };
        char *sleep_args[] = { (char *)"sleep", (char *)"1" };
        sleep_hook.path = (char *)"/bin/sleep";
        sleep_hook.args = sleep_args;
        sleep_hook.n_args = 2;
        hooks.poststop = one;
        hooks.n_poststop = 1;
        slow_stop.spec.hooks = &hooks;
        start(env, "slowstop", &slow_stop);

        /* One still being created: its prestart hook holds it in "creating". */
        struct test_spec creating;
        spec_sh(&creating, env, "true");
        Grpc__Hooks pre = GRPC__HOOKS__INIT;
        pre.prestart = one;
        pre.n_prestart = 1;
        creating.spec.hooks = &pre;
        Grpc__CreateContainerRequest creq = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        creq.container_id = (char *)"creating";
        creq.exec_id = (char *)"creating";
        creq.oci = &creating.spec;
        uint32_t create_id, destroy_id, late_id;
        assert_int_equal(ttrpc_client_send(t, "grpc.AgentService", "CreateContainer", &creq.base, 0, &create_id), 0);
        usleep(200000); /* in its prestart hook now */

        Grpc__DestroySandboxRequest dreq = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
        assert_int_equal(ttrpc_client_send(t, "grpc.AgentService", "DestroySandbox", &dreq.base,
                                           5 * NSEC_PER_SEC, &destroy_id), 0);
        usleep(200000); /* the poststop hook runs for a second */
        creq.container_id = creq.exec_id = (char *)"late";
        assert_int_equal(ttrpc_client_send(t, "grpc.AgentService", "CreateContainer", &creq.base, 0, &late_id), 0);

        int got = 0;
        while (got < 3) {
                struct ttrpc_reply r;
                assert_int_equal(ttrpc_client_recv(t, 10000, &r), 0);
                if (r.stream_id == destroy_id) {
                        if (r.code != 0)
                                fail_msg("DestroySandbox: %d %s", r.code, r.message);
                } else if (r.stream_id == late_id) {
                        assert_int_equal(r.code, GRPC_FAILED_PRECONDITION);
                        expect_in(r.message, "being destroyed");
                } else {
                        assert_int_equal(r.stream_id, create_id);
                        assert_int_not_equal(r.code, 0); /* killed during its hook */
                }
                ttrpc_reply_clear(&r);
                got++;
        }
        assert_int_equal(count_entries("/sys/fs/cgroup/memory/kata"), 0);
        assert_true(kill(holder, 0) < 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ctr_setup, ctr_teardown)
                T(test_error_table),
                T(test_failed_create_leaves_nothing),
                T(test_container_storage),
                T(test_pause_resume),
                T(test_stats_change_under_load),
                T(test_update_limits_live),
                T(test_oom_event),
                T(test_pids_limit),
                T(test_hundred_containers),
                T(test_cycles_leave_no_trace),
                T(test_sandbox),
                T(test_destroy_sandbox_waits_for_all),
                T(test_orphans_are_reaped),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
