/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup module against fake trees (tests/unit/cgroup_fixture.h): freeze,
 * procs and kill with real processes, stats from fixture files, OOM events.
 */
#include "cgroup_fixture.h"

/* --- freeze, procs, kill ------------------------------------------------------------ */

static void test_freeze_v1(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();
        enum cgroup_freezer_state st = (enum cgroup_freezer_state)-1;
        struct rpc_error e = {0};

        assert_int_equal(cgroup_freeze(cg, true, &st, &e), 0);
        assert_string_equal(knob_get("freezer", "freezer.state"), "FROZEN");
        assert_int_equal(st, CGROUP_FROZEN);
        assert_int_equal(cgroup_freeze(cg, false, &st, &e), 0);
        assert_string_equal(knob_get("freezer", "freezer.state"), "THAWED");
        assert_int_equal(st, CGROUP_THAWED);
        assert_int_equal(cgroup_freeze(cg, true, NULL, &e), 0);
        cgroup_free(cg);
}

static void test_freeze_v1_no_freezer(void **state)
{
        (void)state;
        mkdirs("memory");
        put("memory/cgroup.procs", "");
        detect();
        struct cgroup *cg = create("/c");
        struct rpc_error e = {0};
        enum cgroup_freezer_state st = CGROUP_THAWED;

        assert_int_equal(cgroup_freeze(cg, true, &st, &e), -EOPNOTSUPP);
        assert_int_equal(e.code, GRPC_UNIMPLEMENTED);
        assert_non_null(strstr(e.msg, "freezer"));
        assert_int_equal(st, CGROUP_THAWED);
        cgroup_free(cg);
}

static void test_freeze_v2(void **state)
{
        (void)state;
        struct cgroup *cg = v2_group();
        enum cgroup_freezer_state st;
        struct rpc_error e = {0};

        v2_put("cgroup.freeze", "0\n");
        v2_put("cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(cgroup_freeze(cg, true, &st, &e), 0);
        assert_string_equal(v2_get("cgroup.freeze"), "1");
        assert_int_equal(st, CGROUP_FREEZING);
        v2_put("cgroup.events", "populated 1\nfrozen 1\n");
        assert_int_equal(cgroup_freeze(cg, true, &st, &e), 0);
        assert_int_equal(st, CGROUP_FROZEN);
        v2_put("cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(cgroup_freeze(cg, false, &st, &e), 0);
        assert_string_equal(v2_get("cgroup.freeze"), "0");
        assert_int_equal(st, CGROUP_THAWED);

        unlink(at("kata/c1/cgroup.freeze"));
        assert_int_equal(cgroup_freeze(cg, true, &st, &e), -EOPNOTSUPP);
        assert_int_equal(e.code, GRPC_UNIMPLEMENTED);
        cgroup_free(cg);
}

static void test_add_pid_and_pids(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();
        struct rpc_error e = {0};
        pid_t *pids = NULL;
        size_t n = 0;

        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++)
                knob(v1_hiers[i], "cgroup.procs", "");
        assert_int_equal(cgroup_add_pid(cg, 4242, &e), 0);
        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++)
                assert_string_equal(knob_get(v1_hiers[i], "cgroup.procs"), "4242");
        assert_int_equal(cgroup_add_pid(cg, 0, &e), -EINVAL);
        assert_int_equal(cgroup_add_pid(cg, -3, &e), -EINVAL);

        knob("pids", "cgroup.procs", "12\n34\n56\n");
        assert_int_equal(cgroup_pids(cg, &pids, &n, &e), 0);
        assert_int_equal(n, 3);
        assert_int_equal(pids[0], 12);
        assert_int_equal(pids[1], 34);
        assert_int_equal(pids[2], 56);
        free(pids);

        /* A group whose file is gone: NOT_FOUND, outputs untouched. */
        unlink(at("pids/kata/c1/cgroup.procs"));
        pids = (pid_t *)0x1;
        n = 77;
        memset(&e, 0, sizeof e);
        assert_int_equal(cgroup_pids(cg, &pids, &n, &e), -ENOENT);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        assert_ptr_equal(pids, (pid_t *)0x1);
        assert_int_equal(n, 77);

        /* A missing hierarchy directory fails add_pid with a message naming it. */
        knob("pids", "cgroup.procs", "");
        rm_rf(at("freezer/kata"));
        assert_int_equal(cgroup_add_pid(cg, 4242, &e), -ENOENT);
        assert_non_null(strstr(e.msg, "freezer"));
        cgroup_free(cg);
}

static pid_t sleeper(void)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
                pause();
                _exit(0);
        }
        return pid;
}

static void assert_killed_by(pid_t pid, int sig)
{
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), sig);
}

static void test_kill_all(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();
        struct rpc_error e = {0};
        char procs[128];
        pid_t a = sleeper(), b = sleeper();

        /* pid 1 and the caller itself are never signalled. */
        snprintf(procs, sizeof procs, "1\n%d\n%d\n%d\n", (int)a, (int)getpid(), (int)b);
        knob("pids", "cgroup.procs", procs);
        assert_int_equal(cgroup_kill_all(cg, SIGTERM, &e), 0);
        assert_killed_by(a, SIGTERM);
        assert_killed_by(b, SIGTERM);
        /* Nothing to signal is no error. */
        snprintf(procs, sizeof procs, "1\n%d\n", (int)getpid());
        knob("pids", "cgroup.procs", procs);
        assert_int_equal(cgroup_kill_all(cg, SIGKILL, &e), 0);
        cgroup_free(cg);
}

static void test_kill_all_v2(void **state)
{
        (void)state;
        struct cgroup *cg = v2_group();
        struct rpc_error e = {0};
        char procs[64];
        pid_t a = sleeper();

        snprintf(procs, sizeof procs, "%d\n", (int)a);
        v2_put("cgroup.procs", procs);
        /* cgroup.kill does it all in the kernel: no signal from us. */
        v2_put("cgroup.kill", "");
        assert_int_equal(cgroup_kill_all(cg, SIGKILL, &e), 0);
        assert_string_equal(v2_get("cgroup.kill"), "1");
        assert_int_equal(waitpid(a, NULL, WNOHANG), 0);
        /* Other signals, or no cgroup.kill: one by one. */
        unlink(at("kata/c1/cgroup.kill"));
        assert_int_equal(cgroup_kill_all(cg, SIGKILL, &e), 0);
        assert_killed_by(a, SIGKILL);
        cgroup_free(cg);
}

/* --- stats --------------------------------------------------------------------------- */

static uint64_t mem_stat(const Grpc__MemoryStats *m, const char *key)
{
        for (size_t i = 0; i < m->n_stats; i++)
                if (streq(m->stats[i]->key, key))
                        return m->stats[i]->value;
        fail_msg("memory.stat has no %s", key);
        return 0;
}

static void assert_blkio(Grpc__BlkioStatsEntry *const *arr, size_t n, size_t i, uint64_t major,
                         uint64_t minor, const char *op, uint64_t value)
{
        assert_true(i < n);
        assert_int_equal(arr[i]->major, major);
        assert_int_equal(arr[i]->minor, minor);
        assert_string_equal(arr[i]->op, op);
        assert_int_equal(arr[i]->value, value);
}

static void test_stats_v2(void **state)
{
        (void)state;
        struct cgroup *cg = v2_group();
        struct rpc_error e = {0};
        Grpc__CgroupStats *s = NULL;

        v2_put("cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"
                           "nr_periods 10\nnr_throttled 3\nthrottled_usec 250\n");
        v2_put("memory.current", "4096\n");
        v2_put("memory.peak", "8192\n");
        v2_put("memory.max", "max\n");
        v2_put("memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n");
        v2_put("memory.swap.current", "100\n");
        v2_put("memory.swap.max", "1048576\n");
        v2_put("memory.swap.events", "high 0\nmax 0\nfail 2\n");
        v2_put("memory.stat", "anon 1024\nfile 2048\nkernel 512\nkernel_stack 64\nslab 128\nbad line\nnoval \n");
        v2_put("pids.current", "3\n");
        v2_put("pids.max", "max\n");
        v2_put("io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"
                          "254:16 rbytes=5 wbytes=6 rios=7 wios=8 dbytes=0 dios=0\n");
        v2_put("hugetlb.2MB.current", "2097152\n");
        v2_put("hugetlb.2MB.events", "max 4\n");
        v2_put("hugetlb.2MB.rsvd.current", "999\n");
        v2_put("hugetlb.1GB.current", "0\n");

        assert_int_equal(cgroup_stats(cg, &s, &e), 0);
        Grpc__CpuUsage *u = s->cpu_stats->cpu_usage;
        assert_int_equal(u->total_usage, 1500000);
        assert_int_equal(u->usage_in_usermode, 1000000);
        assert_int_equal(u->usage_in_kernelmode, 500000);
        assert_int_equal(u->n_percpu_usage, 0);
        assert_int_equal(s->cpu_stats->throttling_data->periods, 10);
        assert_int_equal(s->cpu_stats->throttling_data->throttled_periods, 3);
        assert_int_equal(s->cpu_stats->throttling_data->throttled_time, 250000);

        Grpc__MemoryStats *m = s->memory_stats;
        assert_int_equal(m->usage->usage, 4096);
        assert_int_equal(m->usage->max_usage, 8192);
        assert_true(m->usage->limit == UINT64_MAX);
        assert_int_equal(m->usage->failcnt, 7);
        assert_int_equal(m->swap_usage->usage, 100);
        assert_int_equal(m->swap_usage->limit, 1048576);
        assert_int_equal(m->swap_usage->failcnt, 2);
        assert_int_equal(m->kernel_usage->usage, 512);
        assert_int_equal(m->cache, 2048);
        assert_true(m->use_hierarchy);
        assert_int_equal(m->n_stats, 5);
        assert_int_equal(mem_stat(m, "anon"), 1024);
        assert_int_equal(mem_stat(m, "slab"), 128);

        assert_int_equal(s->pids_stats->current, 3);
        assert_int_equal(s->pids_stats->limit, 0);

        Grpc__BlkioStats *b = s->blkio_stats;
        assert_int_equal(b->n_io_service_bytes_recursive, 4);
        assert_blkio(b->io_service_bytes_recursive, 4, 0, 8, 0, "Read", 100);
        assert_blkio(b->io_service_bytes_recursive, 4, 1, 8, 0, "Write", 200);
        assert_blkio(b->io_service_bytes_recursive, 4, 3, 254, 16, "Write", 6);
        assert_int_equal(b->n_io_serviced_recursive, 4);
        assert_blkio(b->io_serviced_recursive, 4, 0, 8, 0, "Read", 1);
        assert_blkio(b->io_serviced_recursive, 4, 3, 254, 16, "Write", 8);
        assert_int_equal(b->n_io_queued_recursive, 0);

        assert_int_equal(s->n_hugetlb_stats, 2);
        for (size_t i = 0; i < s->n_hugetlb_stats; i++) {
                Grpc__HugetlbStats *h = s->hugetlb_stats[i]->value;
                if (streq(s->hugetlb_stats[i]->key, "2MB")) {
                        assert_int_equal(h->usage, 2097152);
                        assert_int_equal(h->failcnt, 4);
                } else {
                        assert_string_equal(s->hugetlb_stats[i]->key, "1GB");
                        assert_int_equal(h->usage, 0);
                }
        }
        /* It packs: everything in it is well formed. */
        assert_true(protobuf_c_message_get_packed_size(&s->base) > 0);
        protobuf_c_message_free_unpacked(&s->base, NULL);

        /* Old kernels: no "kernel" key, stack + slab instead; pids limit as a number. */
        v2_put("memory.stat", "kernel_stack 64\nslab 128\n");
        v2_put("pids.max", "50\n");
        assert_int_equal(cgroup_stats(cg, &s, &e), 0);
        assert_int_equal(s->memory_stats->kernel_usage->usage, 192);
        assert_int_equal(s->pids_stats->limit, 50);
        protobuf_c_message_free_unpacked(&s->base, NULL);
        cgroup_free(cg);
}

static void test_stats_v1(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();
        struct rpc_error e = {0};
        Grpc__CgroupStats *s = NULL;

        knob("cpu,cpuacct", "cpuacct.usage", "123456\n");
        knob("cpu,cpuacct", "cpuacct.usage_percpu", "100 200 300 \n");
        knob("cpu,cpuacct", "cpuacct.usage_user", "1000\n");
        knob("cpu,cpuacct", "cpuacct.usage_sys", "500\n");
        knob("cpu,cpuacct", "cpu.stat", "nr_periods 20\nnr_throttled 5\nthrottled_time 999\n");
        knob("memory", "memory.usage_in_bytes", "4096\n");
        knob("memory", "memory.max_usage_in_bytes", "8192\n");
        knob("memory", "memory.failcnt", "2\n");
        knob("memory", "memory.limit_in_bytes", "9223372036854771712\n");
        knob("memory", "memory.memsw.usage_in_bytes", "5000\n");
        knob("memory", "memory.memsw.limit_in_bytes", "10000\n");
        knob("memory", "memory.kmem.usage_in_bytes", "300\n");
        knob("memory", "memory.use_hierarchy", "1\n");
        knob("memory", "memory.stat", "cache 777\nrss 888\ntotal_cache 999\n");
        knob("pids", "pids.current", "4\n");
        knob("pids", "pids.max", "max\n");
        knob("blkio", "blkio.throttle.io_service_bytes_recursive",
             "8:0 Read 100\n8:0 Write 200\n8:0 Sync 300\n8:0 Async 0\n8:0 Total 300\nTotal 300\n");
        knob("blkio", "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\nTotal 3\n");
        knob("blkio", "blkio.io_serviced_recursive", ""); /* CFQ's, empty: the throttle one counts */
        knob("blkio", "blkio.time_recursive", "8:0 1234\n");
        knob("hugetlb", "hugetlb.2MB.usage_in_bytes", "2097152\n");
        knob("hugetlb", "hugetlb.2MB.max_usage_in_bytes", "4194304\n");
        knob("hugetlb", "hugetlb.2MB.failcnt", "1\n");

        assert_int_equal(cgroup_stats(cg, &s, &e), 0);
        Grpc__CpuUsage *u = s->cpu_stats->cpu_usage;
        assert_int_equal(u->total_usage, 123456);
        assert_int_equal(u->n_percpu_usage, 3);
        assert_int_equal(u->percpu_usage[0], 100);
        assert_int_equal(u->percpu_usage[2], 300);
        assert_int_equal(u->usage_in_usermode, 1000);
        assert_int_equal(u->usage_in_kernelmode, 500);
        assert_int_equal(s->cpu_stats->throttling_data->periods, 20);
        assert_int_equal(s->cpu_stats->throttling_data->throttled_periods, 5);
        assert_int_equal(s->cpu_stats->throttling_data->throttled_time, 999);

        Grpc__MemoryStats *m = s->memory_stats;
        assert_int_equal(m->usage->usage, 4096);
        assert_int_equal(m->usage->max_usage, 8192);
        assert_int_equal(m->usage->failcnt, 2);
        assert_int_equal(m->usage->limit, 9223372036854771712ULL);
        assert_int_equal(m->swap_usage->usage, 5000);
        assert_int_equal(m->swap_usage->limit, 10000);
        assert_int_equal(m->kernel_usage->usage, 300);
        assert_true(m->use_hierarchy);
        assert_int_equal(m->cache, 777);
        assert_int_equal(m->n_stats, 3);
        assert_int_equal(mem_stat(m, "total_cache"), 999);

        assert_int_equal(s->pids_stats->current, 4);
        assert_int_equal(s->pids_stats->limit, 0);

        Grpc__BlkioStats *b = s->blkio_stats;
        assert_int_equal(b->n_io_service_bytes_recursive, 5);
        assert_blkio(b->io_service_bytes_recursive, 5, 0, 8, 0, "Read", 100);
        assert_blkio(b->io_service_bytes_recursive, 5, 4, 8, 0, "Total", 300);
        assert_int_equal(b->n_io_serviced_recursive, 2);
        assert_blkio(b->io_serviced_recursive, 2, 1, 8, 0, "Write", 2);
        assert_int_equal(b->n_io_time_recursive, 1);
        assert_blkio(b->io_time_recursive, 1, 0, 8, 0, "", 1234);

        assert_int_equal(s->n_hugetlb_stats, 1);
        assert_string_equal(s->hugetlb_stats[0]->key, "2MB");
        assert_int_equal(s->hugetlb_stats[0]->value->usage, 2097152);
        assert_int_equal(s->hugetlb_stats[0]->value->max_usage, 4194304);
        assert_int_equal(s->hugetlb_stats[0]->value->failcnt, 1);
        assert_true(protobuf_c_message_get_packed_size(&s->base) > 0);
        protobuf_c_message_free_unpacked(&s->base, NULL);

        /* Kernels before 4.16: cpuacct.stat in clock ticks. */
        unlink(at("cpu,cpuacct/kata/c1/cpuacct.usage_user"));
        knob("cpu,cpuacct", "cpuacct.stat", "user 10\nsystem 5\n");
        assert_int_equal(cgroup_stats(cg, &s, &e), 0);
        uint64_t tick = NSEC_PER_SEC / (uint64_t)sysconf(_SC_CLK_TCK);
        assert_int_equal(s->cpu_stats->cpu_usage->usage_in_usermode, 10 * tick);
        assert_int_equal(s->cpu_stats->cpu_usage->usage_in_kernelmode, 5 * tick);
        protobuf_c_message_free_unpacked(&s->base, NULL);
        cgroup_free(cg);
}

static void test_stats_missing(void **state)
{
        (void)state;
        make_v2_tree();
        detect();
        struct cgroup *cg = create("/kata/c1");
        struct rpc_error e = {0};
        Grpc__CgroupStats *s = NULL;

        /* No files at all: zeros, but every part is there. */
        assert_int_equal(cgroup_stats(cg, &s, &e), 0);
        assert_non_null(s->cpu_stats->cpu_usage);
        assert_non_null(s->cpu_stats->throttling_data);
        assert_non_null(s->memory_stats->usage);
        assert_non_null(s->memory_stats->swap_usage);
        assert_non_null(s->memory_stats->kernel_usage);
        assert_non_null(s->pids_stats);
        assert_non_null(s->blkio_stats);
        assert_int_equal(s->memory_stats->usage->usage, 0);
        assert_int_equal(s->n_hugetlb_stats, 0);
        protobuf_c_message_free_unpacked(&s->base, NULL);

        /* Gone: NOT_FOUND, *ret untouched. */
        rm_rf(at("kata"));
        s = (Grpc__CgroupStats *)0x1;
        assert_int_equal(cgroup_stats(cg, &s, &e), -ENOENT);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        assert_ptr_equal(s, (Grpc__CgroupStats *)0x1);
        cgroup_free(cg);
}

/* --- OOM ---------------------------------------------------------------------------- */

static bool readable(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_oom_v2(void **state)
{
        (void)state;
        struct cgroup *cg = v2_group();
        struct rpc_error e = {0};
        bool oom = true;
        int fd = -1;

        assert_int_equal(cgroup_oom_check(cg, &oom), -EBADF);
        /* No memory.events: the controller is not enabled for the group. */
        assert_int_equal(cgroup_oom_watch(cg, &fd, &e), -EOPNOTSUPP);
        assert_int_equal(e.code, GRPC_UNIMPLEMENTED);
        assert_int_equal(fd, -1);

        v2_put("memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n");
        assert_int_equal(cgroup_oom_watch(cg, &fd, &e), 0);
        assert_true(fd >= 0);
        assert_int_equal(cg->oom_fd, fd);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_false(readable(fd));

        /* Kills before the watch are not news; a new one is. */
        v2_put("memory.events", "low 0\nhigh 0\nmax 4\noom 3\noom_kill 3\n");
        assert_true(readable(fd));
        assert_int_equal(cgroup_oom_check(cg, &oom), 0);
        assert_true(oom);
        assert_false(readable(fd));
        assert_int_equal(cgroup_oom_check(cg, &oom), 0);
        assert_false(oom);

        /* A change of another counter wakes the loop but is no OOM kill. */
        v2_put("memory.events", "low 0\nhigh 9\nmax 9\noom 3\noom_kill 3\n");
        assert_true(readable(fd));
        assert_int_equal(cgroup_oom_check(cg, &oom), 0);
        assert_false(oom);
        cgroup_free(cg);
}

static void test_oom_v1(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();
        struct rpc_error e = {0};
        bool oom = false;
        int fd = -1, efd, ofd;

        knob("memory", "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        knob("memory", "cgroup.event_control", "");
        assert_int_equal(cgroup_oom_watch(cg, &fd, &e), 0);
        assert_true(fd >= 0);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        /* "<eventfd> <oom_control fd>", as cgroup.event_control takes it. */
        assert_int_equal(sscanf(knob_get("memory", "cgroup.event_control"), "%d %d", &efd, &ofd), 2);
        assert_int_equal(efd, fd);
        assert_int_not_equal(ofd, fd);
        assert_int_equal(fcntl(ofd, F_GETFD), -1); /* closed once registered */
        assert_false(readable(fd));

        /* The kernel signals the eventfd and counts the kill. */
        assert_int_equal(eventfd_write(fd, 1), 0);
        knob("memory", "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        assert_int_equal(cgroup_oom_check(cg, &oom), 0);
        assert_true(oom);
        assert_false(readable(fd));

        /*
         * A signal before the kill is counted: still an OOM. v1 notifies on
         * entering OOM, and a real kernel (6.18 here) has not yet counted the
         * kill when the eventfd wakes the agent (see test_container_lifecycle's
         * test_oom_event).
         */
        assert_int_equal(eventfd_write(fd, 1), 0);
        assert_int_equal(cgroup_oom_check(cg, &oom), 0);
        assert_true(oom);
        /* No signal and no new kill: nothing. */
        assert_int_equal(cgroup_oom_check(cg, &oom), 0);
        assert_false(oom);
        /* The group sitting in OOM with the killer off. */
        knob("memory", "memory.oom_control", "oom_kill_disable 1\nunder_oom 1\noom_kill 3\n");
        assert_int_equal(eventfd_write(fd, 1), 0);
        assert_int_equal(cgroup_oom_check(cg, &oom), 0);
        assert_true(oom);

        /* Kernels before 4.13: the eventfd alone, while the group exists. */
        knob("memory", "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
        assert_int_equal(eventfd_write(fd, 1), 0);
        assert_int_equal(cgroup_oom_check(cg, &oom), 0);
        assert_true(oom);
        assert_int_equal(cgroup_oom_check(cg, &oom), 0);
        assert_false(oom);
        /* rmdir signals it too: that is no OOM. */
        rm_rf(at("memory/kata/c1"));
        assert_int_equal(eventfd_write(fd, 1), 0);
        assert_int_equal(cgroup_oom_check(cg, &oom), 0);
        assert_false(oom);
        cgroup_free(cg);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_freeze_v1),
                T(test_freeze_v1_no_freezer),
                T(test_freeze_v2),
                T(test_add_pid_and_pids),
                T(test_kill_all),
                T(test_kill_all_v2),
                T(test_stats_v2),
                T(test_stats_v1),
                T(test_stats_missing),
                T(test_oom_v2),
                T(test_oom_v1),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
