/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fake cgroup trees of the cgroup unit tests (test_cgroup*.c), one copy
 * per test file: plain directories and files in a temp dir laid out like a
 * v1 hybrid host or a cgroup2 root, and helpers to read and write knobs.
 * Each test file uses a subset, hence the unused-function pragma.
 */
#ifndef KINGLET_TEST_CGROUP_FIXTURE_H
#define KINGLET_TEST_CGROUP_FIXTURE_H

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

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

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

#pragma GCC diagnostic pop

#endif
