/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OnlineCPUMem and MemHotplugByProbe against a fake sysfs tree: offline CPUs
 * and memory blocks are brought online, a CPU that appears later is waited
 * for on the loop (the call parks, then answers), a write the kernel would
 * refuse names the CPU, and probe addresses arrive in order in the probe file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "agent.pb-c.h"
#include "server_fixture.h"

struct fixture {
        struct server_fixture *s;
        struct agent agent;
        char dir[64];
        char sysfs[96];
};

static void mkdirs(const char *path)
{
        char p[512];
        snprintf(p, sizeof p, "%s", path);
        for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                mkdir(p, 0755);
                *slash = '/';
        }
        mkdir(p, 0755);
}

static void put(struct fixture *f, const char *rel, const char *content)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", f->sysfs, rel);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        mkdirs(path);
        *slash = '/';
        FILE *fp = fopen(path, "we");
        assert_non_null(fp);
        fputs(content, fp);
        assert_int_equal(fclose(fp), 0);
}

static const char *get(struct fixture *f, const char *rel)
{
        static char buf[128];
        char path[512];
        snprintf(path, sizeof path, "%s/%s", f->sysfs, rel);
        FILE *fp = fopen(path, "re");
        assert_non_null(fp);
        size_t n = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
        buf[n] = '\0';
        return buf;
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);
        snprintf(f->dir, sizeof f->dir, "/tmp/kinglet-mem-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->sysfs, sizeof f->sysfs, "%s/sys", f->dir);
        /* cpu0 has no online file (it cannot go offline); cpu1 is online; cpu2, cpu3 wait. */
        put(f, "devices/system/cpu/cpu0/topology/core_id", "0\n");
        put(f, "devices/system/cpu/cpu1/online", "1\n");
        put(f, "devices/system/cpu/cpu2/online", "0\n");
        put(f, "devices/system/cpu/cpu3/online", "0\n");
        put(f, "devices/system/cpu/online", "0-1\n"); /* not a cpuN directory: ignored */
        put(f, "devices/system/memory/memory0/state", "online\n");
        put(f, "devices/system/memory/memory1/state", "offline\n");
        put(f, "devices/system/memory/block_size_bytes", "8000000\n");

        f->s = server_fixture_new();
        f->agent.loop = f->s->loop;
        f->agent.server = f->s->server;
        f->agent.sysfs_root = f->sysfs;
        list_init(&f->agent.containers);
        assert_int_equal(agent_register_services(&f->agent), 0);
        *state = f;
        return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        server_fixture_free(f->s);
        nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static void online(struct fixture *f, uint32_t stream, uint32_t nb_cpus, bool cpu_only, int64_t timeout_nano)
{
        Grpc__OnlineCPUMemRequest req = GRPC__ONLINE_CPUMEM_REQUEST__INIT;
        req.nb_cpus = nb_cpus;
        req.cpu_only = cpu_only;
        fixture_send(f->s, stream, "grpc.AgentService", "OnlineCPUMem", &req.base, timeout_nano);
}

/* The kernel rewrites the whole value; the fixture's plain files keep a longer old one's tail. */
static bool reads_online(const char *v)
{
        return strncmp(v, "online", 6) == 0;
}

static void test_onlines_cpus_and_memory(void **state)
{
        struct fixture *f = *state;
        online(f, 1, 4, false, 0);
        fixture_expect(f->s, 1, GRPC_OK, NULL);
        assert_string_equal(get(f, "devices/system/cpu/cpu2/online"), "1\n");
        assert_string_equal(get(f, "devices/system/cpu/cpu3/online"), "1\n");
        assert_true(reads_online(get(f, "devices/system/memory/memory1/state")));
        assert_string_equal(get(f, "devices/system/memory/memory0/state"), "online\n");
}

static void test_cpu_only_leaves_memory(void **state)
{
        struct fixture *f = *state;
        /* nb_cpus 0: no count to reach, the offline CPUs are onlined all the same. */
        online(f, 1, 0, true, 0);
        fixture_expect(f->s, 1, GRPC_OK, NULL);
        assert_string_equal(get(f, "devices/system/cpu/cpu2/online"), "1\n");
        assert_string_equal(get(f, "devices/system/memory/memory1/state"), "offline\n");
}

static void test_waits_for_hotplugged_cpus(void **state)
{
        struct fixture *f = *state;
        online(f, 1, 6, true, 0);
        /* cpu4 and cpu5 are not there yet: the call parks and the loop goes on. */
        fixture_run(f->s, 120);
        fixture_expect_none(f->s);
        put(f, "devices/system/cpu/cpu4/online", "0\n");
        fixture_run(f->s, 120);
        fixture_expect_none(f->s);
        put(f, "devices/system/cpu/cpu5/online", "0\n");
        fixture_run(f->s, 500);
        fixture_expect(f->s, 1, GRPC_OK, NULL);
        assert_string_equal(get(f, "devices/system/cpu/cpu4/online"), "1\n");
        assert_string_equal(get(f, "devices/system/cpu/cpu5/online"), "1\n");
}

static void test_cpus_that_never_come(void **state)
{
        struct fixture *f = *state;
        struct ttrpc_reply r;
        /* The client's deadline ends the wait first (the agent's own limit is 5 s). */
        online(f, 1, 8, true, 200 * 1000 * 1000);
        fixture_run(f->s, 1000);
        fixture_expect(f->s, 1, GRPC_DEADLINE_EXCEEDED, &r);
        ttrpc_reply_clear(&r);
        online(f, 3, 8193, true, 0);
        fixture_expect(f->s, 3, GRPC_INVALID_ARGUMENT, &r);
        assert_non_null(strstr(r.message, "8192"));
        ttrpc_reply_clear(&r);
}

static void test_failed_write_names_the_cpu(void **state)
{
        struct fixture *f = *state;
        struct ttrpc_reply r;
        char path[512];
        if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0) {
                skip();
                return;
        }
        /* A read-only bind mount over cpu3/online: the write fails with EROFS, as a refusing kernel would. */
        assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu3/online", f->sysfs);
        assert_int_equal(mount(path, path, NULL, MS_BIND, NULL), 0);
        assert_int_equal(mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL), 0);
        online(f, 1, 4, true, 0);
        fixture_expect(f->s, 1, GRPC_INTERNAL, &r);
        assert_non_null(strstr(r.message, "cpu3"));
        assert_non_null(strstr(r.message, "errno 30"));
        ttrpc_reply_clear(&r);
        /* The others were still tried. */
        assert_string_equal(get(f, "devices/system/cpu/cpu2/online"), "1\n");
        umount(path);
}

static void probe(struct fixture *f, uint32_t stream, uint64_t *addrs, size_t n)
{
        Grpc__MemHotplugByProbeRequest req = GRPC__MEM_HOTPLUG_BY_PROBE_REQUEST__INIT;
        req.n_memhotplugprobeaddr = n;
        req.memhotplugprobeaddr = addrs;
        fixture_send(f->s, stream, "grpc.AgentService", "MemHotplugByProbe", &req.base, 0);
}

static void test_probe(void **state)
{
        struct fixture *f = *state;
        struct ttrpc_reply r;
        uint64_t addrs[] = { 0x100000000ull, 0x148000000ull };
        char path[512], buf[128] = { 0 };

        probe(f, 1, addrs, 2);
        fixture_expect(f->s, 1, GRPC_FAILED_PRECONDITION, &r);
        assert_non_null(strstr(r.message, "memory/probe does not exist"));
        ttrpc_reply_clear(&r);

        /* A FIFO stands in for the probe file: every write arrives, in order. */
        snprintf(path, sizeof path, "%s/devices/system/memory/probe", f->sysfs);
        assert_int_equal(mkfifo(path, 0600), 0);
        int rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        assert_true(rd >= 0);
        probe(f, 3, addrs, 2);
        fixture_expect(f->s, 3, GRPC_OK, NULL);
        assert_true(read(rd, buf, sizeof buf - 1) > 0);
        assert_string_equal(buf, "0x1000000000x148000000");
        close(rd);

        static uint64_t many[4097];
        probe(f, 5, many, 4097);
        fixture_expect(f->s, 5, GRPC_INVALID_ARGUMENT, &r);
        assert_non_null(strstr(r.message, "4096"));
        ttrpc_reply_clear(&r);
        probe(f, 7, NULL, 0);
        fixture_expect(f->s, 7, GRPC_OK, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(test_onlines_cpus_and_memory),
                T(test_cpu_only_leaves_memory),
                T(test_waits_for_hotplugged_cpus),
                T(test_cpus_that_never_come),
                T(test_failed_write_names_the_cpu),
                T(test_probe),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
