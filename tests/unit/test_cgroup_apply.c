/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup module against fake trees (tests/unit/cgroup_fixture.h): resources
 * applied to v1 and v2 knobs, and the requests refused.
 */
#include "cgroup_fixture.h"

/* --- apply v1 --------------------------------------------------------------------- */

static int apply(struct cgroup *cg, const Grpc__LinuxResources *r, struct rpc_error *e)
{
        memset(e, 0, sizeof *e);
        return cgroup_apply(cg, r, e);
}

static void apply_ok(struct cgroup *cg, const Grpc__LinuxResources *r)
{
        struct rpc_error e = {0};
        int ret = apply(cg, r, &e);
        if (ret < 0)
                fail_msg("cgroup_apply: %d %s", ret, e.msg);
}

static void test_apply_v1_memory(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();
        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory m = GRPC__LINUX_MEMORY__INIT;

        m.limit = 100 << 20;
        m.reservation = 50 << 20;
        m.swap = 200 << 20;
        m.kernel = 64 << 20;
        m.kerneltcp = 16 << 20;
        m.swappiness = 30;
        m.disableoomkiller = true;
        r.memory = &m;
        apply_ok(cg, &r);
        assert_string_equal(knob_get("memory", "memory.limit_in_bytes"), "104857600");
        assert_string_equal(knob_get("memory", "memory.memsw.limit_in_bytes"), "209715200");
        assert_string_equal(knob_get("memory", "memory.soft_limit_in_bytes"), "52428800");
        assert_string_equal(knob_get("memory", "memory.kmem.limit_in_bytes"), "67108864");
        assert_string_equal(knob_get("memory", "memory.kmem.tcp.limit_in_bytes"), "16777216");
        assert_string_equal(knob_get("memory", "memory.swappiness"), "30");
        assert_string_equal(knob_get("memory", "memory.oom_control"), "1");

        /* Unlimited memory takes the memsw limit along, or the kernel would refuse it. */
        Grpc__LinuxMemory unl = GRPC__LINUX_MEMORY__INIT;
        unl.limit = -1;
        r.memory = &unl;
        apply_ok(cg, &r);
        assert_string_equal(knob_get("memory", "memory.limit_in_bytes"), "-1");
        assert_string_equal(knob_get("memory", "memory.memsw.limit_in_bytes"), "-1");
        /* Swappiness 0 is what a Kata runtime sends for unset: the value set before stays. */
        assert_string_equal(knob_get("memory", "memory.swappiness"), "30");
        cgroup_free(cg);
}

static void test_apply_v1_memory_unset(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();
        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory m = GRPC__LINUX_MEMORY__INIT;

        /* All zero: nothing is asked, swappiness included. */
        r.memory = &m;
        apply_ok(cg, &r);
        assert_string_equal(knob_get("memory", "memory.swappiness"), "60\n");
        assert_string_equal(knob_get("memory", "memory.limit_in_bytes"), "");
        apply_ok(cg, NULL);

        /* Only a reservation: the limits and the inherited swappiness stay. */
        m.reservation = 1 << 20;
        apply_ok(cg, &r);
        assert_string_equal(knob_get("memory", "memory.soft_limit_in_bytes"), "1048576");
        assert_string_equal(knob_get("memory", "memory.swappiness"), "60\n");
        assert_string_equal(knob_get("memory", "memory.limit_in_bytes"), "");
        assert_string_equal(knob_get("memory", "memory.memsw.limit_in_bytes"), "9223372036854771712\n");
        cgroup_free(cg);
}

static void test_apply_v1_cpu_pids(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();
        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxCPU c = GRPC__LINUX_CPU__INIT;
        Grpc__LinuxPids p = GRPC__LINUX_PIDS__INIT;

        c.shares = 512;
        c.quota = -1;
        c.period = 100000;
        c.realtimeruntime = 950;
        c.realtimeperiod = 1000000;
        c.cpus = (char *)"0-1";
        c.mems = (char *)"0";
        p.limit = 100;
        r.cpu = &c;
        r.pids = &p;
        apply_ok(cg, &r);
        assert_string_equal(knob_get("cpu,cpuacct", "cpu.shares"), "512");
        assert_string_equal(knob_get("cpu,cpuacct", "cpu.cfs_quota_us"), "-1");
        assert_string_equal(knob_get("cpu,cpuacct", "cpu.cfs_period_us"), "100000");
        assert_string_equal(knob_get("cpu,cpuacct", "cpu.rt_period_us"), "1000000");
        assert_string_equal(knob_get("cpu,cpuacct", "cpu.rt_runtime_us"), "950");
        assert_string_equal(knob_get("cpuset", "cpuset.cpus"), "0-1");
        assert_string_equal(knob_get("cpuset", "cpuset.mems"), "0");
        assert_string_equal(knob_get("pids", "pids.max"), "100");

        /* pids <= 0 is no limit. */
        Grpc__LinuxResources r2 = GRPC__LINUX_RESOURCES__INIT;
        p.limit = 0;
        r2.pids = &p;
        knob("pids", "pids.max", "100");
        apply_ok(cg, &r2);
        assert_string_equal(knob_get("pids", "pids.max"), "max");
        p.limit = -1;
        knob("pids", "pids.max", "100");
        apply_ok(cg, &r2);
        assert_string_equal(knob_get("pids", "pids.max"), "max");

        /* A positive quota is written as it is. */
        Grpc__LinuxCPU c2 = GRPC__LINUX_CPU__INIT;
        Grpc__LinuxResources r3 = GRPC__LINUX_RESOURCES__INIT;
        c2.quota = 50000;
        r3.cpu = &c2;
        apply_ok(cg, &r3);
        assert_string_equal(knob_get("cpu,cpuacct", "cpu.cfs_quota_us"), "50000");
        assert_string_equal(knob_get("cpu,cpuacct", "cpu.cfs_period_us"), "100000");
        cgroup_free(cg);
}

static void test_apply_v1_blkio(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();
        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxBlockIO b = GRPC__LINUX_BLOCK_IO__INIT;
        Grpc__LinuxWeightDevice wd = GRPC__LINUX_WEIGHT_DEVICE__INIT;
        Grpc__LinuxThrottleDevice t1 = GRPC__LINUX_THROTTLE_DEVICE__INIT, t2 = t1, t3 = t1, t4 = t1, t5 = t1;
        Grpc__LinuxWeightDevice *wds[] = {&wd};
        Grpc__LinuxThrottleDevice *rbps[] = {&t1, &t2}, *wbps[] = {&t3}, *riops[] = {&t4}, *wiops[] = {&t5};

        b.weight = 500;
        b.leafweight = 300;
        wd.major = 8;
        wd.minor = 0;
        wd.weight = 200;
        wd.leafweight = 100;
        b.weightdevice = wds;
        b.n_weightdevice = 1;
        t1.major = 8, t1.minor = 0, t1.rate = 1048576;
        t2.major = 8, t2.minor = 16, t2.rate = 2097152;
        t3.major = 8, t3.minor = 0, t3.rate = 4096;
        t4.major = 254, t4.minor = 0, t4.rate = 100;
        t5.major = 254, t5.minor = 0, t5.rate = 200;
        b.throttlereadbpsdevice = rbps;
        b.n_throttlereadbpsdevice = 2;
        b.throttlewritebpsdevice = wbps;
        b.n_throttlewritebpsdevice = 1;
        b.throttlereadiopsdevice = riops;
        b.n_throttlereadiopsdevice = 1;
        b.throttlewriteiopsdevice = wiops;
        b.n_throttlewriteiopsdevice = 1;
        r.blockio = &b;
        apply_ok(cg, &r);
        /* No CFQ blkio.weight in this tree: BFQ's file takes it. */
        assert_string_equal(knob_get("blkio", "blkio.bfq.weight"), "500");
        assert_string_equal(knob_get("blkio", "blkio.weight"), "<missing>");
        assert_string_equal(knob_get("blkio", "blkio.leaf_weight"), "300");
        assert_string_equal(knob_get("blkio", "blkio.weight_device"), "8:0 200\n");
        assert_string_equal(knob_get("blkio", "blkio.leaf_weight_device"), "8:0 100\n");
        assert_string_equal(knob_get("blkio", "blkio.throttle.read_bps_device"),
                            "8:0 1048576\n8:16 2097152\n");
        assert_string_equal(knob_get("blkio", "blkio.throttle.write_bps_device"), "8:0 4096\n");
        assert_string_equal(knob_get("blkio", "blkio.throttle.read_iops_device"), "254:0 100\n");
        assert_string_equal(knob_get("blkio", "blkio.throttle.write_iops_device"), "254:0 200\n");

        /* CFQ's file when it is there. */
        knob("blkio", "blkio.weight", "");
        knob("blkio", "blkio.bfq.weight", "");
        Grpc__LinuxBlockIO b2 = GRPC__LINUX_BLOCK_IO__INIT;
        b2.weight = 700;
        r.blockio = &b2;
        apply_ok(cg, &r);
        assert_string_equal(knob_get("blkio", "blkio.weight"), "700");
        assert_string_equal(knob_get("blkio", "blkio.bfq.weight"), "");
        cgroup_free(cg);
}

static void test_apply_v1_hugetlb_network(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();
        struct rpc_error e;
        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxHugepageLimit h = GRPC__LINUX_HUGEPAGE_LIMIT__INIT, h1g = h;
        Grpc__LinuxHugepageLimit *hs[] = {&h};
        Grpc__LinuxNetwork n = GRPC__LINUX_NETWORK__INIT;
        Grpc__LinuxInterfacePriority p1 = GRPC__LINUX_INTERFACE_PRIORITY__INIT, p2 = p1;
        Grpc__LinuxInterfacePriority *ps[] = {&p1, &p2};

        h.pagesize = (char *)"2MB";
        h.limit = 4194304;
        r.hugepagelimits = hs;
        r.n_hugepagelimits = 1;
        n.classid = 0x100001;
        p1.name = (char *)"eth0", p1.priority = 5;
        p2.name = (char *)"lo", p2.priority = 1;
        n.priorities = ps;
        n.n_priorities = 2;
        r.network = &n;
        apply_ok(cg, &r);
        assert_string_equal(knob_get("hugetlb", "hugetlb.2MB.limit_in_bytes"), "4194304");
        assert_string_equal(knob_get("net_cls,net_prio", "net_cls.classid"), "1048577");
        assert_string_equal(knob_get("net_cls,net_prio", "net_prio.ifpriomap"), "eth0 5\nlo 1\n");

        /* A page size this kernel lacks names itself. */
        Grpc__LinuxResources r2 = GRPC__LINUX_RESOURCES__INIT;
        h1g.pagesize = (char *)"1GB";
        h1g.limit = 1;
        Grpc__LinuxHugepageLimit *hs2[] = {&h1g};
        r2.hugepagelimits = hs2;
        r2.n_hugepagelimits = 1;
        assert_int_equal(apply(cg, &r2, &e), -EOPNOTSUPP);
        assert_int_equal(e.code, GRPC_UNIMPLEMENTED);
        assert_non_null(strstr(e.msg, "hugetlb.1GB.limit_in_bytes"));
        cgroup_free(cg);
}

static Grpc__LinuxDeviceCgroup dev_rule(bool allow, const char *type, int64_t major, int64_t minor,
                                        const char *access)
{
        Grpc__LinuxDeviceCgroup d = GRPC__LINUX_DEVICE_CGROUP__INIT;
        d.allow = allow;
        d.type = (char *)type;
        d.major = major;
        d.minor = minor;
        d.access = (char *)access;
        return d;
}

static void test_apply_v1_devices(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();
        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxDeviceCgroup d[] = {
                dev_rule(false, "a", -1, -1, "rwm"), dev_rule(true, "c", 1, 3, "rwm"),
                dev_rule(true, "c", 5, -1, "rw"),    dev_rule(true, "b", 8, 0, "r"),
                dev_rule(false, "", -1, -1, "m"),    dev_rule(true, "c", 136, -1, ""),
        };
        Grpc__LinuxDeviceCgroup *ds[] = {&d[0], &d[1], &d[2], &d[3], &d[4], &d[5]};

        r.devices = ds;
        r.n_devices = 6;
        apply_ok(cg, &r);
        assert_string_equal(knob_get("devices", "devices.deny"), "a *:* rwm\nb *:* m\nc *:* m\n");
        assert_string_equal(knob_get("devices", "devices.allow"),
                            "c 1:3 rwm\nc 5:* rw\nb 8:0 r\nc 136:* rwm\n");
        cgroup_free(cg);
}

static void test_apply_v1_missing_controller(void **state)
{
        (void)state;
        make_v1_tree(false);
        detect();
        assert_null(mount_of("hugetlb"));
        struct cgroup *cg = create("/kata/c1");
        v1_knobs();
        struct rpc_error e;
        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory m = GRPC__LINUX_MEMORY__INIT;
        Grpc__LinuxHugepageLimit h = GRPC__LINUX_HUGEPAGE_LIMIT__INIT;
        Grpc__LinuxHugepageLimit *hs[] = {&h};

        m.limit = 1 << 20;
        h.pagesize = (char *)"2MB";
        h.limit = 1;
        r.memory = &m;
        r.hugepagelimits = hs;
        r.n_hugepagelimits = 1;
        assert_int_equal(apply(cg, &r, &e), -EOPNOTSUPP);
        assert_int_equal(e.code, GRPC_UNIMPLEMENTED);
        assert_non_null(strstr(e.msg, "hugetlb"));
        /* Refused before the first write. */
        assert_string_equal(knob_get("memory", "memory.limit_in_bytes"), "");

        /* Without hugepages, the rest goes through. */
        r.n_hugepagelimits = 0;
        apply_ok(cg, &r);
        assert_string_equal(knob_get("memory", "memory.limit_in_bytes"), "1048576");
        cgroup_free(cg);
}

static void apply_invalid(struct cgroup *cg, const Grpc__LinuxResources *r, const char *needle)
{
        struct rpc_error e;
        int ret = apply(cg, r, &e);
        if (ret != -EINVAL)
                fail_msg("expected -EINVAL for %s, got %d (%s)", needle, ret, e.msg);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        if (!strstr(e.msg, needle))
                fail_msg("message `%s` does not name `%s`", e.msg, needle);
}

/* Checks shared by both versions; nothing is written. */
static void invalid_requests(struct cgroup *cg)
{
        Grpc__LinuxMemory m = GRPC__LINUX_MEMORY__INIT;
        Grpc__LinuxCPU c = GRPC__LINUX_CPU__INIT;
        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;

        r.memory = &m;
        m.limit = 1 << 20;
        m.swappiness = 101;
        apply_invalid(cg, &r, "swappiness");
        m.swappiness = 0;
        m.swap = 1 << 19;
        apply_invalid(cg, &r, "memory.swap");
        m.swap = 0;
        m.limit = -2;
        apply_invalid(cg, &r, "memory.limit");
        m.limit = 1 << 20;
        r.cpu = &c;
        c.quota = -5;
        apply_invalid(cg, &r, "cpu.quota");
        c.quota = 0;

        Grpc__LinuxHugepageLimit h = GRPC__LINUX_HUGEPAGE_LIMIT__INIT;
        Grpc__LinuxHugepageLimit *hs[] = {&h};
        h.pagesize = (char *)"../../memory.limit_in_bytes";
        r.hugepagelimits = hs;
        r.n_hugepagelimits = 1;
        apply_invalid(cg, &r, "pageSize");
        h.pagesize = (char *)"2XB";
        apply_invalid(cg, &r, "pageSize");
        r.n_hugepagelimits = 0;

        Grpc__LinuxDeviceCgroup d = dev_rule(true, "x", 1, 3, "rwm");
        Grpc__LinuxDeviceCgroup *ds[] = {&d};
        r.devices = ds;
        r.n_devices = 1;
        apply_invalid(cg, &r, "type");
        d = dev_rule(true, "c", 1, 3, "rwx");
        apply_invalid(cg, &r, "access");
        d = dev_rule(true, "c", 1, 3, "rr");
        apply_invalid(cg, &r, "access");
        r.n_devices = 0;

        Grpc__LinuxBlockIO b = GRPC__LINUX_BLOCK_IO__INIT;
        Grpc__LinuxThrottleDevice t = GRPC__LINUX_THROTTLE_DEVICE__INIT;
        Grpc__LinuxThrottleDevice *ts[] = {&t};
        t.major = -1;
        t.rate = 1;
        b.throttlereadbpsdevice = ts;
        b.n_throttlereadbpsdevice = 1;
        r.blockio = &b;
        apply_invalid(cg, &r, "throttleReadBpsDevice");
}

static void test_apply_v1_invalid(void **state)
{
        (void)state;
        struct cgroup *cg = v1_group();

        invalid_requests(cg);
        assert_string_equal(knob_get("memory", "memory.limit_in_bytes"), "");
        assert_string_equal(knob_get("memory", "memory.swappiness"), "60\n");
        assert_string_equal(knob_get("devices", "devices.allow"), "");

        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxNetwork n = GRPC__LINUX_NETWORK__INIT;
        Grpc__LinuxInterfacePriority p = GRPC__LINUX_INTERFACE_PRIORITY__INIT;
        Grpc__LinuxInterfacePriority *ps[] = {&p};
        p.name = (char *)"eth0 1\nlo";
        n.priorities = ps;
        n.n_priorities = 1;
        r.network = &n;
        apply_invalid(cg, &r, "priorities");
        cgroup_free(cg);
}

/* --- apply v2 --------------------------------------------------------------------- */

static void v2_knobs(void)
{
        static const char *const files[] = {"memory.max", "memory.low", "memory.swap.max", "cpu.weight",
                                            "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight",
                                            "io.max", "hugetlb.2MB.max"};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
                v2_put(files[i], "");
        v2_put("cpu.max", "max 100000\n");
}

static void test_apply_v2_memory_cpu_pids(void **state)
{
        (void)state;
        struct cgroup *cg = v2_group();
        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory m = GRPC__LINUX_MEMORY__INIT;
        Grpc__LinuxCPU c = GRPC__LINUX_CPU__INIT;
        Grpc__LinuxPids p = GRPC__LINUX_PIDS__INIT;

        v2_knobs();
        m.limit = 100 << 20;
        m.reservation = 50 << 20;
        m.swap = 300 << 20;
        c.shares = 1024;
        c.quota = 50000;
        c.period = 100000;
        c.cpus = (char *)"0-1";
        c.mems = (char *)"0";
        p.limit = 64;
        r.memory = &m;
        r.cpu = &c;
        r.pids = &p;
        apply_ok(cg, &r);
        assert_string_equal(v2_get("memory.max"), "104857600");
        assert_string_equal(v2_get("memory.low"), "52428800");
        /* OCI swap is memory+swap; v2 counts swap alone. */
        assert_string_equal(v2_get("memory.swap.max"), "209715200");
        assert_string_equal(v2_get("cpu.weight"), "39");
        assert_string_equal(v2_get("cpu.max"), "50000 100000");
        assert_string_equal(v2_get("cpuset.cpus"), "0-1");
        assert_string_equal(v2_get("cpuset.mems"), "0");
        assert_string_equal(v2_get("pids.max"), "64");

        /* Unlimited values and the ends of the shares range. */
        m.limit = -1;
        m.swap = -1;
        m.reservation = 0;
        c.shares = 2;
        c.quota = -1;
        c.period = 0;
        c.cpus = c.mems = (char *)"";
        p.limit = 0;
        apply_ok(cg, &r);
        assert_string_equal(v2_get("memory.max"), "max");
        assert_string_equal(v2_get("memory.swap.max"), "max");
        assert_string_equal(v2_get("cpu.weight"), "1");
        assert_string_equal(v2_get("cpu.max"), "max");
        assert_string_equal(v2_get("pids.max"), "max");
        c.shares = 262144;
        c.quota = 0;
        r.memory = NULL;
        apply_ok(cg, &r);
        assert_string_equal(v2_get("cpu.weight"), "10000");

        /* A period alone keeps the quota in force; swap equal to the limit means none. */
        v2_put("cpu.max", "20000 100000\n");
        c.shares = 0;
        c.period = 50000;
        m.limit = 64 << 20;
        m.swap = 64 << 20;
        r.memory = &m;
        apply_ok(cg, &r);
        assert_string_equal(v2_get("cpu.max"), "20000 50000");
        assert_string_equal(v2_get("memory.swap.max"), "0");
        cgroup_free(cg);
}

static void test_apply_v2_io_hugetlb(void **state)
{
        (void)state;
        struct cgroup *cg = v2_group();
        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxBlockIO b = GRPC__LINUX_BLOCK_IO__INIT;
        Grpc__LinuxWeightDevice wd = GRPC__LINUX_WEIGHT_DEVICE__INIT;
        Grpc__LinuxWeightDevice *wds[] = {&wd};
        Grpc__LinuxThrottleDevice t1 = GRPC__LINUX_THROTTLE_DEVICE__INIT, t2 = t1, t3 = t1, t4 = t1;
        Grpc__LinuxThrottleDevice *rbps[] = {&t1}, *wbps[] = {&t2}, *wiops[] = {&t3}, *riops[] = {&t4};
        Grpc__LinuxHugepageLimit h = GRPC__LINUX_HUGEPAGE_LIMIT__INIT;
        Grpc__LinuxHugepageLimit *hs[] = {&h};

        v2_knobs();
        b.weight = 500;
        wd.major = 8, wd.minor = 0, wd.weight = 1000;
        b.weightdevice = wds;
        b.n_weightdevice = 1;
        t1.major = 8, t1.minor = 0, t1.rate = 1048576;
        t2.major = 8, t2.minor = 16, t2.rate = 2097152;
        t3.major = 8, t3.minor = 0, t3.rate = 100;
        t4.major = 8, t4.minor = 16, t4.rate = 0;
        b.throttlereadbpsdevice = rbps, b.n_throttlereadbpsdevice = 1;
        b.throttlewritebpsdevice = wbps, b.n_throttlewritebpsdevice = 1;
        b.throttlewriteiopsdevice = wiops, b.n_throttlewriteiopsdevice = 1;
        b.throttlereadiopsdevice = riops, b.n_throttlereadiopsdevice = 1;
        h.pagesize = (char *)"2MB";
        h.limit = 8 << 20;
        r.blockio = &b;
        r.hugepagelimits = hs;
        r.n_hugepagelimits = 1;
        apply_ok(cg, &r);
        /* iocost's io.weight: v1's 10..1000 mapped onto 1..10000. */
        assert_string_equal(v2_get("io.weight"), "default 4950\n8:0 10000\n");
        assert_string_equal(v2_get("io.max"), "8:0 rbps=1048576 wiops=100\n8:16 wbps=2097152 riops=max\n");
        assert_string_equal(v2_get("hugetlb.2MB.max"), "8388608");

        /* Only a single throttle: exactly one line. */
        Grpc__LinuxBlockIO b2 = GRPC__LINUX_BLOCK_IO__INIT;
        b2.throttlereadbpsdevice = rbps, b2.n_throttlereadbpsdevice = 1;
        r.blockio = &b2;
        r.n_hugepagelimits = 0;
        v2_put("io.max", "");
        apply_ok(cg, &r);
        assert_string_equal(v2_get("io.max"), "8:0 rbps=1048576\n");

        /* BFQ's weight, when there, takes the v1 value as it is. */
        v2_put("io.bfq.weight", "");
        v2_put("io.weight", "");
        r.blockio = &b;
        b.n_throttlereadbpsdevice = b.n_throttlewritebpsdevice = 0;
        b.n_throttlereadiopsdevice = b.n_throttlewriteiopsdevice = 0;
        apply_ok(cg, &r);
        assert_string_equal(v2_get("io.bfq.weight"), "default 500\n8:0 1000\n");
        assert_string_equal(v2_get("io.weight"), "");
        cgroup_free(cg);
}

static void apply_unsupported(struct cgroup *cg, const Grpc__LinuxResources *r, const char *needle)
{
        struct rpc_error e;
        int ret = apply(cg, r, &e);
        if (ret != -EOPNOTSUPP)
                fail_msg("expected -EOPNOTSUPP for %s, got %d (%s)", needle, ret, e.msg);
        assert_int_equal(e.code, GRPC_UNIMPLEMENTED);
        if (!strstr(e.msg, needle))
                fail_msg("message `%s` does not name `%s`", e.msg, needle);
}

static void test_apply_v2_unsupported(void **state)
{
        (void)state;
        struct cgroup *cg = v2_group();
        Grpc__LinuxResources r = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory m = GRPC__LINUX_MEMORY__INIT;
        Grpc__LinuxCPU c = GRPC__LINUX_CPU__INIT;
        Grpc__LinuxBlockIO b = GRPC__LINUX_BLOCK_IO__INIT;
        Grpc__LinuxNetwork n = GRPC__LINUX_NETWORK__INIT;

        v2_knobs();
        r.memory = &m;
        m.limit = 1 << 20;
        m.disableoomkiller = true;
        apply_unsupported(cg, &r, "disableOOMKiller");
        m.disableoomkiller = false;
        m.swappiness = 10;
        apply_unsupported(cg, &r, "swappiness");
        m.swappiness = 0;
        m.kernel = 1 << 20;
        apply_unsupported(cg, &r, "memory.kernel");
        m.kernel = 0;
        m.kerneltcp = 1 << 20;
        apply_unsupported(cg, &r, "kernelTCP");
        m.kerneltcp = 0;
        r.cpu = &c;
        c.realtimeruntime = 100;
        apply_unsupported(cg, &r, "realtime");
        c.realtimeruntime = 0;
        r.blockio = &b;
        b.leafweight = 100;
        apply_unsupported(cg, &r, "leafWeight");
        b.leafweight = 0;
        Grpc__LinuxWeightDevice wd = GRPC__LINUX_WEIGHT_DEVICE__INIT;
        Grpc__LinuxWeightDevice *wds[] = {&wd};
        wd.major = 8, wd.weight = 100, wd.leafweight = 50;
        b.weightdevice = wds;
        b.n_weightdevice = 1;
        apply_unsupported(cg, &r, "weightDevice.leafWeight");
        b.n_weightdevice = 0;
        r.network = &n;
        n.classid = 1;
        apply_unsupported(cg, &r, "network");
        n.classid = 0;

        /* v2-only range checks. */
        c.shares = 1;
        apply_invalid(cg, &r, "cpu.shares");
        c.shares = 0;
        b.weight = 5;
        apply_invalid(cg, &r, "blockIO.weight");
        b.weight = 0;
        m.limit = 0;
        m.swap = 1 << 20;
        apply_invalid(cg, &r, "memory.swap");
        m.swap = 0;
        m.limit = 1 << 20;
        invalid_requests(cg);

        /* A device rule the program builder refuses stops the request too. */
        Grpc__LinuxResources r2 = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory m2 = GRPC__LINUX_MEMORY__INIT;
        Grpc__LinuxDeviceCgroup d = dev_rule(true, "c", 1, 3, "rwq");
        Grpc__LinuxDeviceCgroup *ds[] = {&d};
        m2.limit = 1 << 20;
        r2.memory = &m2;
        r2.devices = ds;
        r2.n_devices = 1;
        apply_invalid(cg, &r2, "access");

        /* Nothing was written by any of them. */
        assert_string_equal(v2_get("memory.max"), "");
        assert_string_equal(v2_get("memory.swap.max"), "");
        assert_string_equal(v2_get("cpu.max"), "max 100000\n");

        /* A controller not enabled for the group: its file is missing. */
        Grpc__LinuxResources r3 = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxPids p = GRPC__LINUX_PIDS__INIT;
        p.limit = 5;
        r3.pids = &p;
        unlink(at("kata/c1/pids.max"));
        apply_unsupported(cg, &r3, "pids.max");
        cgroup_free(cg);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_apply_v1_memory),
                T(test_apply_v1_memory_unset),
                T(test_apply_v1_cpu_pids),
                T(test_apply_v1_blkio),
                T(test_apply_v1_hugetlb_network),
                T(test_apply_v1_devices),
                T(test_apply_v1_missing_controller),
                T(test_apply_v1_invalid),
                T(test_apply_v2_memory_cpu_pids),
                T(test_apply_v2_io_hugetlb),
                T(test_apply_v2_unsupported),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
