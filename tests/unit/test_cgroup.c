/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup module against fake trees: plain directories and files in a temp
 * dir, laid out like a v1 hybrid host (with co-mounted "cpu,cpuacct" and its
 * symlinks, a named "systemd" hierarchy and a cgroup2 "unified" to be
 * skipped) or like a cgroup2 root. The kernel's side is played by the test:
 * it creates the knob files a real cgroupfs would show, writes the fixtures
 * stats are read from, and removes the knob files before rmdir.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

static char root[PATH_MAX];
static struct cgroup_env env;

/* --- fake tree helpers ------------------------------------------------------------ */

static const char *at(const char *rel)
{
        static char path[4][PATH_MAX * 2];
        static int slot;
        char *p = path[slot++ % 4];
        snprintf(p, PATH_MAX * 2, "%s/%s", root, rel);
        return p;
}

static void mkdirs(const char *rel)
{
        char p[PATH_MAX * 2];
        snprintf(p, sizeof p, "%s", at(rel));
        for (char *s = p + strlen(root) + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                (void)mkdir(p, 0755);
                *s = '/';
        }
        (void)mkdir(p, 0755);
}

static void put(const char *rel, const char *content)
{
        int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
        close(fd);
}

/* The file's content, or "<missing>". */
static const char *get(const char *rel)
{
        static char buf[8][8192];
        static int slot;
        char *b = buf[slot++ % 8];
        if (read_small_file(at(rel), b, sizeof buf[0], NULL) < 0)
                snprintf(b, sizeof buf[0], "<missing>");
        return b;
}

static bool is_dir(const char *rel)
{
        struct stat st;
        return stat(at(rel), &st) == 0 && S_ISDIR(st.st_mode);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
        (void)st;
        (void)f;
        return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void rm_rf(const char *p)
{
        (void)nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* What the kernel does on rmdir: the knob files go with the directory. */
static int unlink_file(const char *p, const struct stat *st, int flag, struct FTW *f)
{
        (void)st;
        (void)f;
        return flag == FTW_F ? unlink(p) : 0;
}

static void strip_files(const char *rel)
{
        (void)nftw(at(rel), unlink_file, 16, FTW_PHYS);
}

static const char *const v1_hiers[] = {"memory", "cpu,cpuacct", "cpuset", "pids", "blkio",
                                       "hugetlb", "devices", "freezer", "net_cls,net_prio"};

static void make_v1_tree(bool with_hugetlb)
{
        char p[256];
        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++) {
                if (!with_hugetlb && streq(v1_hiers[i], "hugetlb"))
                        continue;
                mkdirs(v1_hiers[i]);
                snprintf(p, sizeof p, "%s/cgroup.procs", v1_hiers[i]);
                put(p, "1\n");
        }
        assert_int_equal(symlink("cpu,cpuacct", at("cpu")), 0);
        assert_int_equal(symlink("cpu,cpuacct", at("cpuacct")), 0);
        assert_int_equal(symlink("net_cls,net_prio", at("net_cls")), 0);
        assert_int_equal(symlink("net_cls,net_prio", at("net_prio")), 0);
        put("cpuset/cpuset.cpus", "0-3\n");
        put("cpuset/cpuset.mems", "0\n");
        /* Not ours: a named hierarchy, and hybrid's cgroup2. */
        mkdirs("systemd");
        put("systemd/cgroup.procs", "1\n");
        mkdirs("unified");
        put("unified/cgroup.procs", "1\n");
        put("unified/cgroup.controllers", "");
        put("not-a-cgroup", "x");
}

static void make_v2_tree(void)
{
        put("cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
        put("cgroup.subtree_control", "");
        put("cgroup.procs", "1\n");
}

static int setup_tmp(void **state)
{
        char t[] = "/tmp/kinglet-cgtest-XXXXXX";
        (void)state;
        if (!mkdtemp(t) || !realpath(t, root))
                return -1;
        memset(&env, 0, sizeof env);
        return 0;
}

static int teardown_tmp(void **state)
{
        (void)state;
        rm_rf(root);
        return 0;
}

static void detect(void)
{
        struct rpc_error e = {0};
        assert_int_equal(cgroup_env_detect(root, &env, &e), 0);
}

static struct cgroup *create(const char *path)
{
        struct cgroup *cg = NULL;
        struct rpc_error e = {0};
        int r = cgroup_create(&env, path, &cg, &e);
        if (r < 0)
                fail_msg("cgroup_create(%s): %d %s", path, r, e.msg);
        return cg;
}

/* The group dir "<hier>/kata/c1" with files, as cgroupfs would show them. */
static void knob(const char *hier, const char *file, const char *content)
{
        char p[512];
        snprintf(p, sizeof p, "%s/kata/c1", hier);
        if (!is_dir(p))
                return; /* a hierarchy this fake leaves out */
        snprintf(p, sizeof p, "%s/kata/c1/%s", hier, file);
        put(p, content);
}

static const char *knob_get(const char *hier, const char *file)
{
        char p[512];
        snprintf(p, sizeof p, "%s/kata/c1/%s", hier, file);
        return get(p);
}

static void v1_knobs(void)
{
        static const char *const memory[] = {"memory.limit_in_bytes", "memory.soft_limit_in_bytes",
                                             "memory.kmem.limit_in_bytes",
                                             "memory.kmem.tcp.limit_in_bytes", "memory.oom_control"};
        static const char *const blkio[] = {
                "blkio.bfq.weight", "blkio.leaf_weight", "blkio.weight_device", "blkio.leaf_weight_device",
                "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
        static const char *const cpu[] = {"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us",
                                          "cpu.rt_period_us"};

        for (size_t i = 0; i < sizeof memory / sizeof memory[0]; i++)
                knob("memory", memory[i], "");
        knob("memory", "memory.memsw.limit_in_bytes", "9223372036854771712\n");
        knob("memory", "memory.swappiness", "60\n");
        for (size_t i = 0; i < sizeof blkio / sizeof blkio[0]; i++)
                knob("blkio", blkio[i], "");
        for (size_t i = 0; i < sizeof cpu / sizeof cpu[0]; i++)
                knob("cpu,cpuacct", cpu[i], "");
        knob("cpu,cpuacct", "cpu.rt_runtime_us", "0\n");
        knob("pids", "pids.max", "max\n");
        knob("hugetlb", "hugetlb.2MB.limit_in_bytes", "");
        knob("devices", "devices.allow", "");
        knob("devices", "devices.deny", "");
        knob("freezer", "freezer.state", "THAWED\n");
        knob("net_cls,net_prio", "net_cls.classid", "");
        knob("net_cls,net_prio", "net_prio.ifpriomap", "");
}

/* A v1 fake with /kata/c1 created and its knobs in place. */
static struct cgroup *v1_group(void)
{
        make_v1_tree(true);
        detect();
        struct cgroup *cg = create("/kata/c1");
        v1_knobs();
        return cg;
}

static struct cgroup *v2_group(void)
{
        make_v2_tree();
        detect();
        return create("/kata/c1");
}

static const char *v2_get(const char *file)
{
        char p[256];
        snprintf(p, sizeof p, "kata/c1/%s", file);
        return get(p);
}

static void v2_put(const char *file, const char *content)
{
        char p[256];
        snprintf(p, sizeof p, "kata/c1/%s", file);
        put(p, content);
}

/* --- detection ----------------------------------------------------------------- */

static const char *mount_of(const char *name)
{
        for (size_t i = 0; i < env.n_v1; i++)
                if (streq(env.v1[i].name, name))
                        return env.v1[i].mount;
        return NULL;
}

/* n_existed is kept for the first name of each mount. */
static bool first_of_mount(size_t i)
{
        for (size_t k = 0; k < i; k++)
                if (streq(env.v1[k].mount, env.v1[i].mount))
                        return false;
        return true;
}

static void test_detect_v1(void **state)
{
        (void)state;
        make_v1_tree(true);
        detect();
        assert_int_equal(env.version, CGROUP_V1);
        assert_string_equal(env.root, root);
        assert_int_equal(env.n_v1, 11);
        assert_string_equal(mount_of("memory"), at("memory"));
        assert_string_equal(mount_of("cpu"), at("cpu,cpuacct"));
        assert_string_equal(mount_of("cpuacct"), at("cpu,cpuacct"));
        assert_string_equal(mount_of("net_prio"), at("net_cls,net_prio"));
        assert_string_equal(mount_of("cpuset"), at("cpuset"));
        assert_string_equal(mount_of("freezer"), at("freezer"));
        assert_null(mount_of("systemd"));
        assert_null(mount_of("unified"));
        assert_null(mount_of("cpu,cpuacct"));
}

static void test_detect_v2(void **state)
{
        (void)state;
        make_v2_tree();
        detect();
        assert_int_equal(env.version, CGROUP_V2);
        assert_int_equal(env.n_v1, 0);
}

static void test_detect_none(void **state)
{
        struct rpc_error e = {0};
        struct cgroup_env untouched;
        (void)state;
        mkdirs("memory"); /* no cgroup.procs: not a hierarchy */
        memset(&untouched, 0x5a, sizeof untouched);
        assert_int_equal(cgroup_env_detect(root, &untouched, &e), -ENOENT);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        assert_int_equal(((unsigned char *)&untouched)[0], 0x5a);
        assert_int_equal(cgroup_env_detect(at("nonexistent"), &untouched, &e), -ENOENT);
}

/* --- path resolution ----------------------------------------------------------------- */

static void resolve_ok(const char *in, const char *id, const char *want)
{
        char out[CGROUP_PATH_MAX];
        struct rpc_error e = {0};
        int r = cgroup_resolve_path(in, id, out, sizeof out, &e);
        if (r < 0)
                fail_msg("resolve(%s, %s): %d %s", in ? in : "NULL", id ? id : "NULL", r, e.msg);
        assert_string_equal(out, want);
}

static void resolve_err(const char *in, const char *id)
{
        char out[CGROUP_PATH_MAX] = "sentinel";
        struct rpc_error e = {0};
        int r = cgroup_resolve_path(in, id, out, sizeof out, &e);
        if (r >= 0)
                fail_msg("resolve(%.60s) succeeded: %s", in ? in : "NULL", out);
        assert_true(r == -EINVAL || r == -ENAMETOOLONG);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_true(e.msg[0] != '\0');
        assert_string_equal(out, "sentinel");
}

static void test_resolve_path(void **state)
{
        char long_path[CGROUP_PATH_MAX + 8], comp[NAME_MAX + 3];
        (void)state;

        resolve_ok(NULL, "abc", "/kata/abc");
        resolve_ok("", "abc", "/kata/abc");
        resolve_ok("/foo/bar", "x", "/foo/bar");
        resolve_ok("//foo//bar/", "x", "/foo/bar");
        resolve_ok("/foo/./bar", "x", "/foo/bar");
        resolve_ok("rel/x", "x", "/kata/rel/x");
        resolve_ok("system.slice:docker:abc", "x", "/system.slice/docker-abc.scope");
        resolve_ok("kubepods-burstable-pod1.slice:cri-containerd:abc", "x",
                   "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-abc.scope");
        resolve_ok(":pfx:n", "x", "/system.slice/pfx-n.scope");
        resolve_ok("-.slice::n", "x", "/n.scope");
        resolve_ok("/a:b", "x", "/a:b"); /* absolute: a plain path even with ':' */

        resolve_err("/foo/../bar", "x");
        resolve_err("..", "x");
        resolve_err("../x", "x");
        resolve_err("/", "x");
        resolve_err("//.", "x");
        resolve_err("a:b", "x");
        resolve_err("a:b:c:d", "x");
        resolve_err("foo.slice:p:", "x");
        resolve_err("bad:p:n", "x");
        resolve_err("a--b.slice:p:n", "x");
        resolve_err("-a.slice:p:n", "x");
        resolve_err("a.slice:p:x/y", "x");
        resolve_err("x/y.slice:p:n", "x");
        resolve_err(NULL, "a/b");
        resolve_err(NULL, "..");
        resolve_err(NULL, "");
        resolve_err(NULL, NULL);
        resolve_err("/foo\nbar", "x");

        /* Length: the result, NUL included, fits CGROUP_PATH_MAX. */
        memset(long_path, 'a', sizeof long_path);
        for (size_t i = 0; i < CGROUP_PATH_MAX; i += 200)
                long_path[i] = '/';
        long_path[CGROUP_PATH_MAX - 1] = '\0';
        resolve_ok(long_path, "x", long_path);
        long_path[CGROUP_PATH_MAX - 1] = 'a';
        long_path[CGROUP_PATH_MAX] = '\0';
        resolve_err(long_path, "x");
        /* "/kata" + a relative path that alone fits does not. */
        long_path[CGROUP_PATH_MAX - 4] = '\0';
        resolve_err(long_path + 1, "x");
        memset(comp, 'b', sizeof comp);
        comp[0] = '/';
        comp[NAME_MAX + 2] = '\0';
        resolve_err(comp, "x");
        comp[NAME_MAX + 1] = '\0';
        resolve_ok(comp, "x", comp);

        /* A caller's buffer too small for the result. */
        char small[8] = "sentinel";
        struct rpc_error e = {0};
        assert_int_equal(cgroup_resolve_path("/kata/abcdef", "x", small, sizeof small, &e), -ENAMETOOLONG);
        assert_memory_equal(small, "sentinel", 8);
}

/* --- create ---------------------------------------------------------------------- */

static void test_create_v1(void **state)
{
        (void)state;
        make_v1_tree(true);
        mkdirs("memory/kata"); /* a shared parent someone made before */
        detect();
        struct cgroup *cg = create("/kata/c1");

        assert_string_equal(cg->path, "/kata/c1");
        assert_int_equal(cg->device_prog_fd, -1);
        assert_int_equal(cg->oom_fd, -1);
        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++) {
                char p[256];
                snprintf(p, sizeof p, "%s/kata/c1", v1_hiers[i]);
                assert_true(is_dir(p));
        }
        assert_false(is_dir("systemd/kata"));
        assert_false(is_dir("unified/kata"));
        for (size_t i = 0; i < env.n_v1; i++)
                if (streq(env.v1[i].name, "memory"))
                        assert_int_equal(cg->n_existed[i], 1);
                else if (streq(env.v1[i].name, "pids"))
                        assert_int_equal(cg->n_existed[i], 0);
        /* cpuset copied down level by level, or no task could join. */
        assert_string_equal(get("cpuset/kata/cpuset.cpus"), "0-3");
        assert_string_equal(get("cpuset/kata/cpuset.mems"), "0");
        assert_string_equal(get("cpuset/kata/c1/cpuset.cpus"), "0-3");
        assert_string_equal(get("cpuset/kata/c1/cpuset.mems"), "0");
        cgroup_free(cg);

        /* Existing is fine, and a set cpuset is left as it is. */
        put("cpuset/kata/c1/cpuset.cpus", "1\n");
        cg = create("/kata/c1");
        assert_string_equal(get("cpuset/kata/c1/cpuset.cpus"), "1\n");
        for (size_t i = 0; i < env.n_v1; i++)
                if (first_of_mount(i))
                        assert_int_equal(cg->n_existed[i], 2);
        assert_null(cgroup_free(cg));
        assert_null(cgroup_free(NULL));
}

static void test_create_v2(void **state)
{
        (void)state;
        make_v2_tree();
        mkdirs("kata");
        put("kata/cgroup.subtree_control", "");
        detect();
        struct cgroup *cg = create("/kata/c1");

        assert_true(is_dir("kata/c1"));
        assert_int_equal(cg->n_existed[0], 1);
        /* Every ancestor enables what the root offers; the leaf itself does not. */
        assert_string_equal(get("cgroup.subtree_control"), "+cpuset +cpu +io +memory +hugetlb +pids");
        assert_string_equal(get("kata/cgroup.subtree_control"), "+cpuset +cpu +io +memory +hugetlb +pids");
        assert_string_equal(get("kata/c1/cgroup.subtree_control"), "<missing>");
        cgroup_free(cg);

        /* A level that cannot take the set (no such file here) is not an error. */
        cg = create("/other/deep/c2");
        assert_true(is_dir("other/deep/c2"));
        cgroup_free(cg);
}

static void assert_no_kata(void)
{
        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++) {
                char p[256];
                snprintf(p, sizeof p, "%s/kata", v1_hiers[i]);
                if (streq(v1_hiers[i], "pids"))
                        continue;
                if (is_dir(p))
                        fail_msg("%s left behind", p);
        }
}

static void test_create_fails_cleanly(void **state)
{
        struct cgroup *cg = (struct cgroup *)0x1;
        struct rpc_error e = {0};
        (void)state;

        make_v1_tree(true);
        put("pids/kata", "a file where a directory must go");
        detect();
        assert_int_equal(cgroup_create(&env, "/kata/c1", &cg, &e), -ENOTDIR);
        assert_ptr_equal(cg, (struct cgroup *)0x1);
        assert_int_not_equal(e.code, GRPC_OK);
        assert_non_null(strstr(e.msg, "/kata/c1"));
        assert_no_kata();
        assert_string_equal(get("pids/kata"), "a file where a directory must go");

        /* Not the canonical form: refused before anything is made. */
        memset(&e, 0, sizeof e);
        assert_int_equal(cgroup_create(&env, "kata/c1", &cg, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_int_equal(cgroup_create(&env, "/kata/../c1", &cg, &e), -EINVAL);
        assert_int_equal(cgroup_create(&env, "/kata//c1", &cg, &e), -EINVAL);
        assert_int_equal(cgroup_create(&env, "/", &cg, &e), -EINVAL);
        assert_ptr_equal(cg, (struct cgroup *)0x1);
        assert_no_kata();
}

static void test_create_v2_fails_cleanly(void **state)
{
        struct cgroup *cg = NULL;
        struct rpc_error e = {0};
        (void)state;

        make_v2_tree();
        mkdirs("a");
        put("a/b", "file");
        detect();
        assert_int_equal(cgroup_create(&env, "/a/b/c", &cg, &e), -ENOTDIR);
        assert_null(cg);
        assert_true(is_dir("a"));
        assert_int_equal(cgroup_create(&env, "/x/y/z", &cg, &e), 0);
        cgroup_free(cg);
}

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

/* --- destroy ------------------------------------------------------------------------- */

static void test_destroy(void **state)
{
        (void)state;
        struct rpc_error e = {0};

        make_v1_tree(true);
        mkdirs("memory/kata"); /* made by someone else before: stays */
        detect();
        struct cgroup *cg = create("/kata/c1");
        mkdirs("pids/kata/other"); /* made by us, then shared: stays */

        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++)
                knob(v1_hiers[i], "cgroup.procs", "");
        knob("freezer", "cgroup.procs", "1234\n");
        assert_int_equal(cgroup_destroy(cg, &e), -EBUSY);
        assert_int_equal(e.code, GRPC_FAILED_PRECONDITION);
        assert_non_null(strstr(e.msg, "freezer"));
        /* Checked everywhere first: nothing was removed. */
        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++) {
                char p[256];
                snprintf(p, sizeof p, "%s/kata/c1", v1_hiers[i]);
                assert_true(is_dir(p));
        }

        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++) {
                char p[256];
                snprintf(p, sizeof p, "%s/kata", v1_hiers[i]);
                strip_files(p);
        }
        assert_int_equal(cgroup_destroy(cg, &e), 0);
        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++) {
                char p[256];
                snprintf(p, sizeof p, "%s/kata/c1", v1_hiers[i]);
                assert_false(is_dir(p));
                snprintf(p, sizeof p, "%s/kata", v1_hiers[i]);
                if (streq(v1_hiers[i], "memory") || streq(v1_hiers[i], "pids"))
                        assert_true(is_dir(p));
                else
                        assert_false(is_dir(p));
        }
        assert_true(is_dir("pids/kata/other"));
        /* Twice is fine; the hierarchy roots are untouched. */
        assert_int_equal(cgroup_destroy(cg, &e), 0);
        assert_true(is_dir("memory"));
        assert_true(is_dir("cpu,cpuacct"));
        cgroup_free(cg);
}

static void test_destroy_v2_leaf_existed(void **state)
{
        (void)state;
        struct rpc_error e = {0};

        make_v2_tree();
        mkdirs("kata/c1");
        detect();
        struct cgroup *cg = create("/kata/c1");
        /* It was there before: not ours to remove. */
        assert_int_equal(cgroup_destroy(cg, &e), 0);
        assert_true(is_dir("kata/c1"));
        cgroup_free(cg);

        cg = create("/kata/c2/d");
        strip_files("kata/c2");
        assert_int_equal(cgroup_destroy(cg, &e), 0);
        assert_false(is_dir("kata/c2"));
        assert_true(is_dir("kata"));
        cgroup_free(cg);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_detect_v1),
                T(test_detect_v2),
                T(test_detect_none),
                cmocka_unit_test(test_resolve_path),
                T(test_create_v1),
                T(test_create_v2),
                T(test_create_fails_cleanly),
                T(test_create_v2_fails_cleanly),
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
                T(test_destroy),
                T(test_destroy_v2_leaf_existed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
