/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seeds of fuzz_spec, for make-seeds: CreateContainerRequests built on
 * the container tests' default spec (tests/support/test_spec.c), one for each
 * thing the checks accept or refuse, some with the root's etc/passwd and
 * etc/group after them (fuzz_spec.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "fuzz_spec.h"
#include "make_seeds.h"
#include "plan.h"
#include "test_spec.h"

#define ROOTFS "/run/kata-containers/shared/containers/3f6c1a2b/rootfs"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
                             "app:x:1000:1000:App User:/home/app:/bin/sh\n";
static const char group[] = "root:x:0:\n"
                            "wheel:x:10:root,app\n"
                            "docker:x:27:app\n"
                            "app:x:1000:\n"
                            "nogroup:x:65534:\n";

struct spec_seed {
        const char *container_id;
        Grpc__StringUser *user;
        Grpc__Storage *storage;
        const char *passwd, *group;
};

static void spec_save(const char *name, struct test_spec *ts, const struct spec_seed *o)
{
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        Grpc__Storage *storages[1] = { o ? o->storage : NULL };
        struct buf b = { 0 };
        size_t n;

        req.container_id = (char *)(o && o->container_id ? o->container_id : "3f6c1a2b");
        req.exec_id = req.container_id;
        req.oci = ts ? &ts->spec : NULL;
        req.string_user = o ? o->user : NULL;
        if (storages[0]) {
                req.storages = storages;
                req.n_storages = 1;
        }
        uint8_t *p = pack(&req.base, &n);
        put(&b, p, n);
        free(p);
        if (o && o->passwd) {
                put(&b, FUZZ_SPEC_PASSWD_MARKER, strlen(FUZZ_SPEC_PASSWD_MARKER));
                put(&b, o->passwd, strlen(o->passwd));
        }
        if (o && o->group) {
                put(&b, FUZZ_SPEC_GROUP_MARKER, strlen(FUZZ_SPEC_GROUP_MARKER));
                put(&b, o->group, strlen(o->group));
        }
        save(&b, "fuzz_spec", name);
}

static void runc_default(struct test_spec *ts)
{
        static const char *const sh[] = { "sh", NULL };
        test_spec_init(ts, ROOTFS, sh);
        test_spec_add_namespace(ts, "network", NULL);
        test_spec_add_env(ts, "TERM=xterm");
        ts->spec.hostname = (char *)"runc";
        ts->process.terminal = 1;
        ts->console.height = 24;
        ts->console.width = 80;
}

/* What a Kata pod container asks for: user namespace, sysctls, devices, binds, hooks, seccomp. */
static void spec_full(void)
{
        static const char *const server[] = { "/usr/bin/server", "--port", "8080", NULL };
        static const char *const bind_ro[] = { "rbind", "ro", "rprivate", NULL };
        static const char *const cg_opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
        static char *storage_opts[] = { (char *)"ro", (char *)"nosuid", (char *)"mode=0755" };
        static char *prestart_args[] = { (char *)"setup-net", (char *)"--ns" };
        static char *hook_env[] = { (char *)"A=1" };
        static struct test_spec ts;

        test_spec_init(&ts, ROOTFS, server);
        test_spec_add_namespace(&ts, "network", "/proc/self/ns/net");
        test_spec_add_namespace(&ts, "cgroup", NULL);
        test_spec_userns(&ts, 100000, 65536);
        test_spec_add_env(&ts, "HOME=/home/app");
        test_spec_add_mount(&ts, "/etc/hosts", "bind", "/run/kata-containers/shared/containers/3f6c1a2b-hosts",
                            bind_ro);
        test_spec_add_mount(&ts, "/sys/fs/cgroup", "cgroup", "cgroup", cg_opts);
        test_spec_add_sysctl(&ts, "net.ipv4.ip_forward", "1");
        test_spec_add_sysctl(&ts, "kernel.shmmax", "68719476736");
        test_spec_add_device(&ts, "/dev/fuse", "c", 10, 229);
        test_spec_add_device(&ts, "/dev/sda", "b", 8, 0);
        test_spec_add_rlimit(&ts, "RLIMIT_CORE", 0, UINT64_MAX);
        test_spec_set_memory(&ts, 512 << 20);
        test_spec_set_pids(&ts, 1024);
        test_spec_deny_syscall(&ts, "ptrace", 1);
        test_spec_deny_syscall(&ts, "personality", 22);
        ts.spec.hostname = (char *)"web-1";
        ts.process.cwd = (char *)"/srv";
        ts.process.oomscoreadj = -500;
        ts.linux.cgroupspath = (char *)"kata.slice:kata:3f6c1a2b";
        ts.linux.rootfspropagation = (char *)"rshared";

        Grpc__Hook prestart = GRPC__HOOK__INIT, poststop = GRPC__HOOK__INIT;
        Grpc__Hook *pre[] = { &prestart }, *post[] = { &poststop };
        Grpc__Hooks hooks = GRPC__HOOKS__INIT;
        prestart.path = (char *)"/usr/bin/setup-net";
        prestart.args = prestart_args;
        prestart.n_args = 2;
        prestart.env = hook_env;
        prestart.n_env = 1;
        prestart.timeout = 10;
        poststop.path = (char *)"/usr/bin/cleanup";
        hooks.prestart = pre;
        hooks.n_prestart = 1;
        hooks.poststop = post;
        hooks.n_poststop = 1;
        ts.spec.hooks = &hooks;

        Grpc__Storage storage = GRPC__STORAGE__INIT;
        storage.driver = (char *)"virtio-fs";
        storage.source = (char *)"kataShared";
        storage.fstype = (char *)"virtiofs";
        storage.options = storage_opts;
        storage.n_options = 3;
        storage.mount_point = (char *)"/run/kata-containers/shared/containers";

        Grpc__StringUser su = GRPC__STRING_USER__INIT;
        su.uid = (char *)"app";
        spec_save("full", &ts, &(struct spec_seed){ .user = &su, .storage = &storage, .passwd = passwd,
                                                    .group = group });
}

/* Every part of LinuxResources that cg_check_common looks at, and a seccomp profile with arguments. */
static void spec_resources(void)
{
        static struct test_spec ts;
        static char *archs[] = { (char *)"SCMP_ARCH_X86_64", (char *)"SCMP_ARCH_X86", (char *)"SCMP_ARCH_AARCH64" };
        static char *flags[] = { (char *)"SECCOMP_FILTER_FLAG_LOG" };
        static char *clone_names[] = { (char *)"clone" };
        static const char *const sh[] = { "sh", NULL };

        test_spec_init(&ts, ROOTFS, sh);
        test_spec_add_namespace(&ts, "network", NULL);
        test_spec_set_memory(&ts, 256 << 20);
        test_spec_set_pids(&ts, 512);
        ts.memory.reservation = 128 << 20;
        ts.memory.swap = 512 << 20;
        ts.memory.swappiness = 60;
        ts.cpu.shares = 512;
        ts.cpu.quota = 50000;
        ts.cpu.period = 100000;
        ts.cpu.cpus = (char *)"0-1";
        ts.cpu.mems = (char *)"0";
        ts.resources.cpu = &ts.cpu;

        Grpc__LinuxDeviceCgroup deny = GRPC__LINUX_DEVICE_CGROUP__INIT, fuse = GRPC__LINUX_DEVICE_CGROUP__INIT;
        Grpc__LinuxDeviceCgroup *rules[] = { &deny, &fuse };
        deny.access = (char *)"rwm";
        deny.major = deny.minor = -1;
        fuse.allow = 1;
        fuse.type = (char *)"c";
        fuse.major = 10;
        fuse.minor = 229;
        fuse.access = (char *)"rw";
        ts.resources.devices = rules;
        ts.resources.n_devices = 2;

        Grpc__LinuxWeightDevice wd = GRPC__LINUX_WEIGHT_DEVICE__INIT;
        Grpc__LinuxThrottleDevice bps = GRPC__LINUX_THROTTLE_DEVICE__INIT, iops = GRPC__LINUX_THROTTLE_DEVICE__INIT;
        Grpc__LinuxWeightDevice *wds[] = { &wd };
        Grpc__LinuxThrottleDevice *bpss[] = { &bps }, *iopss[] = { &iops };
        Grpc__LinuxBlockIO bio = GRPC__LINUX_BLOCK_IO__INIT;
        wd.major = bps.major = iops.major = 8;
        wd.weight = 600;
        bps.rate = 100 << 20;
        iops.rate = 1000;
        bio.weight = 500;
        bio.weightdevice = wds;
        bio.n_weightdevice = 1;
        bio.throttlereadbpsdevice = bio.throttlewritebpsdevice = bpss;
        bio.n_throttlereadbpsdevice = bio.n_throttlewritebpsdevice = 1;
        bio.throttlereadiopsdevice = bio.throttlewriteiopsdevice = iopss;
        bio.n_throttlereadiopsdevice = bio.n_throttlewriteiopsdevice = 1;
        ts.resources.blockio = &bio;

        Grpc__LinuxHugepageLimit huge = GRPC__LINUX_HUGEPAGE_LIMIT__INIT;
        Grpc__LinuxHugepageLimit *huges[] = { &huge };
        huge.pagesize = (char *)"2MB";
        huge.limit = 200 << 20;
        ts.resources.hugepagelimits = huges;
        ts.resources.n_hugepagelimits = 1;

        Grpc__LinuxInterfacePriority prio = GRPC__LINUX_INTERFACE_PRIORITY__INIT;
        Grpc__LinuxInterfacePriority *prios[] = { &prio };
        Grpc__LinuxNetwork net = GRPC__LINUX_NETWORK__INIT;
        prio.name = (char *)"eth0";
        prio.priority = 5;
        net.classid = 0x100001;
        net.priorities = prios;
        net.n_priorities = 1;
        ts.resources.network = &net;

        test_spec_deny_syscall(&ts, "ptrace", 1);
        test_spec_deny_syscall(&ts, "clone", 1);
        Grpc__LinuxSeccompArg arg = GRPC__LINUX_SECCOMP_ARG__INIT;
        Grpc__LinuxSeccompArg *args[] = { &arg };
        arg.index = 0;
        arg.value = 0x7e020000; /* CLONE_NEWNS | CLONE_NEWUTS | ... */
        arg.op = (char *)"SCMP_CMP_MASKED_EQ";
        ts.syscalls[1]->names = clone_names;
        ts.syscalls[1]->args = args;
        ts.syscalls[1]->n_args = 1;
        ts.seccomp.architectures = archs;
        ts.seccomp.n_architectures = 3;
        ts.seccomp.flags = flags;
        ts.seccomp.n_flags = 1;
        spec_save("resources-seccomp", &ts, NULL);
}

static void spec_users(void)
{
        static char *extra[] = { (char *)"wheel", (char *)"27" };
        static struct test_spec ts;
        Grpc__StringUser su = GRPC__STRING_USER__INIT;

        runc_default(&ts);
        su.uid = (char *)"1000";
        su.gid = (char *)"app";
        su.additionalgids = extra;
        su.n_additionalgids = 2;
        spec_save("user-numeric", &ts, &(struct spec_seed){ .user = &su, .passwd = passwd, .group = group });
        su = (Grpc__StringUser)GRPC__STRING_USER__INIT;
        su.uid = (char *)"nobody";
        spec_save("user-no-files", &ts, &(struct spec_seed){ .user = &su });
        su.uid = (char *)"ghost";
        spec_save("user-unknown", &ts, &(struct spec_seed){ .user = &su, .passwd = passwd, .group = group });
        /* Lines glibc's parser must cope with: comments, short lines, a long member list. */
        su.uid = (char *)"app";
        spec_save("user-odd-files", &ts,
                  &(struct spec_seed){ .user = &su,
                                       .passwd = "# comment\n\napp:x:1000\n+nis::::::\napp:x:1001:1001::/:\n",
                                       .group = "app:x:1001:root,,app,\nbad\n:x:5:app\n" });
}

/* One spec each that plan_container, plan_process or a later check refuses. */
static void spec_refusals(void)
{
        static struct test_spec ts;

        runc_default(&ts);
        spec_save("runc-default", &ts, NULL);
        spec_save("bad-container-id", &ts, &(struct spec_seed){ .container_id = "../etc" });
        spec_save("no-spec", NULL, NULL);

        runc_default(&ts);
        ts.mounts[0]->destination = (char *)"/proc/../etc";
        spec_save("mount-dotdot", &ts, NULL);
        runc_default(&ts);
        test_spec_add_namespace(&ts, "time", NULL);
        spec_save("time-namespace", &ts, NULL);
        runc_default(&ts);
        ts.namespaces[3]->path = (char *)"/proc/self/ns/mnt";
        spec_save("join-mount-ns", &ts, NULL);
        runc_default(&ts);
        /* Not /proc/self/ns/...: the harness points it at a missing file. */
        ts.namespaces[4]->path = (char *)"/dev/watchdog";
        spec_save("ns-path-elsewhere", &ts, NULL);
        runc_default(&ts);
        test_spec_remove_namespace(&ts, "uts");
        spec_save("hostname-no-uts", &ts, NULL);
        runc_default(&ts);
        test_spec_add_sysctl(&ts, "kernel.panic", "1");
        spec_save("sysctl-not-namespaced", &ts, NULL);
        runc_default(&ts);
        test_spec_add_device(&ts, "/dev/thing", "x", 1, 1);
        spec_save("device-bad-type", &ts, NULL);
        runc_default(&ts);
        test_spec_add_namespace(&ts, "user", NULL);
        spec_save("userns-no-maps", &ts, NULL);
        runc_default(&ts);
        ts.linux.cgroupspath = (char *)"/kata/../../escape";
        spec_save("cgroup-path-dotdot", &ts, NULL);
        runc_default(&ts);
        test_spec_add_rlimit(&ts, "RLIMIT_NPROC", 200, 100);
        spec_save("rlimit-soft-above-hard", &ts, NULL);
        runc_default(&ts);
        ts.caps.n_permitted = 1;
        spec_save("cap-not-permitted", &ts, NULL);
        runc_default(&ts);
        test_spec_deny_syscall(&ts, "no_such_syscall", 1);
        ts.seccomp.defaultaction = (char *)"SCMP_ACT_SOMETIMES";
        spec_save("seccomp-bad-action", &ts, NULL);

        /* Regression: no environment at all (plan_process copied from a NULL array). */
        runc_default(&ts);
        ts.process.env = NULL;
        ts.process.n_env = 0;
        spec_save("process-no-env", &ts, NULL);
}

/* One past each count limit of the plan, and id maps too long to write in one go. */
static void spec_limits(void)
{
        static struct test_spec ts;
        static Grpc__Mount mounts[PLAN_MAX_MOUNTS + 1], *mount_ptrs[PLAN_MAX_MOUNTS + 1];
        static Grpc__LinuxIDMapping maps[PLAN_MAX_IDMAP + 1], *map_ptrs[PLAN_MAX_IDMAP + 1];
        static char *args[PLAN_MAX_ARGS + 1], *groups[PLAN_MAX_GROUPS + 1];
        static uint32_t gids[PLAN_MAX_GROUPS + 1];

        runc_default(&ts);
        for (size_t i = 0; i <= PLAN_MAX_MOUNTS; i++) {
                grpc__mount__init(&mounts[i]);
                mounts[i].destination = (char *)"/m";
                mounts[i].type = (char *)"tmpfs";
                mount_ptrs[i] = &mounts[i];
        }
        ts.spec.mounts = mount_ptrs;
        ts.spec.n_mounts = PLAN_MAX_MOUNTS + 1;
        spec_save("too-many-mounts", &ts, NULL);

        runc_default(&ts);
        test_spec_userns(&ts, 100000, 65536);
        for (size_t i = 0; i <= PLAN_MAX_IDMAP; i++) {
                grpc__linux_idmapping__init(&maps[i]);
                maps[i].containerid = 4000000000u + (uint32_t)i;
                maps[i].hostid = 4100000000u + (uint32_t)i;
                maps[i].size = 1;
                map_ptrs[i] = &maps[i];
        }
        ts.linux.uidmappings = map_ptrs;
        ts.linux.n_uidmappings = PLAN_MAX_IDMAP + 1;
        spec_save("too-many-idmaps", &ts, NULL);
        /* 200 lines of 24 bytes: within the line limit, over the kernel's 4095 bytes. */
        ts.linux.n_uidmappings = 200;
        spec_save("idmaps-over-a-page", &ts, NULL);

        runc_default(&ts);
        for (size_t i = 0; i <= PLAN_MAX_ARGS; i++)
                args[i] = (char *)"a";
        ts.process.args = args;
        ts.process.n_args = PLAN_MAX_ARGS + 1;
        spec_save("too-many-args", &ts, NULL);

        runc_default(&ts);
        Grpc__StringUser su = GRPC__STRING_USER__INIT;
        for (size_t i = 0; i <= PLAN_MAX_GROUPS; i++) {
                groups[i] = (char *)"wheel";
                gids[i] = (uint32_t)i;
        }
        su.uid = (char *)"app";
        su.additionalgids = groups;
        su.n_additionalgids = PLAN_MAX_GROUPS + 1;
        ts.user.additionalgids = gids;
        ts.user.n_additionalgids = PLAN_MAX_GROUPS + 1;
        spec_save("too-many-groups", &ts, &(struct spec_seed){ .user = &su, .passwd = passwd, .group = group });
        su.n_additionalgids = PLAN_MAX_GROUPS;
        ts.user.n_additionalgids = PLAN_MAX_GROUPS;
        spec_save("most-groups", &ts, &(struct spec_seed){ .user = &su, .passwd = passwd, .group = group });
}

void spec_seeds(void)
{
        spec_refusals();
        spec_users();
        spec_full();
        spec_resources();
        spec_limits();
}
