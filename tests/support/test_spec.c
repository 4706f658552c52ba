/* SPDX-License-Identifier: Apache-2.0 */
#include "test_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" };
static const char *const default_masked[] = { "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                                              "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                                              "/sys/firmware", "/proc/scsi" };
static const char *const default_readonly[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                "/proc/sysrq-trigger" };

void test_spec_add_mount(struct test_spec *ts, const char *dest, const char *type, const char *source,
                         const char *const *options)
{
        size_t i = ts->spec.n_mounts;
        Grpc__Mount *m = &ts->mount_store[i];
        grpc__mount__init(m);
        m->destination = (char *)dest;
        m->type = (char *)type;
        m->source = (char *)source;
        m->options = ts->mount_opts[i];
        for (; options && options[m->n_options]; m->n_options++)
                ts->mount_opts[i][m->n_options] = (char *)options[m->n_options];
        ts->mounts[i] = m;
        ts->spec.n_mounts++;
}

void test_spec_add_namespace(struct test_spec *ts, const char *type, const char *path)
{
        if (ts->ns_used == sizeof ts->ns_store / sizeof *ts->ns_store ||
            ts->linux.n_namespaces == sizeof ts->namespaces / sizeof *ts->namespaces)
                abort(); /* a test asked for more than the fixture holds */
        Grpc__LinuxNamespace *ns = &ts->ns_store[ts->ns_used++];
        grpc__linux_namespace__init(ns);
        ns->type = (char *)type;
        ns->path = (char *)(path ? path : "");
        ts->namespaces[ts->linux.n_namespaces++] = ns;
}

void test_spec_remove_namespace(struct test_spec *ts, const char *type)
{
        size_t w = 0;
        for (size_t i = 0; i < ts->linux.n_namespaces; i++)
                if (strcmp(ts->namespaces[i]->type, type) != 0)
                        ts->namespaces[w++] = ts->namespaces[i];
        ts->linux.n_namespaces = w;
}

void test_spec_add_env(struct test_spec *ts, const char *kv)
{
        ts->env[ts->process.n_env++] = (char *)kv;
}

void test_spec_add_cap(struct test_spec *ts, const char *cap)
{
        ts->cap_list[ts->caps.n_bounding++] = (char *)cap;
        ts->caps.n_effective = ts->caps.n_permitted = ts->caps.n_bounding;
}

void test_spec_add_rlimit(struct test_spec *ts, const char *type, uint64_t soft, uint64_t hard)
{
        size_t i = ts->process.n_rlimits;
        grpc__posixrlimit__init(&ts->rlimit_store[i]);
        ts->rlimit_store[i].type = (char *)type;
        ts->rlimit_store[i].soft = soft;
        ts->rlimit_store[i].hard = hard;
        ts->rlimits[i] = &ts->rlimit_store[i];
        ts->process.n_rlimits++;
}

void test_spec_set_memory(struct test_spec *ts, int64_t limit)
{
        ts->memory.limit = limit;
        ts->resources.memory = &ts->memory;
        ts->linux.resources = &ts->resources;
}

void test_spec_set_pids(struct test_spec *ts, int64_t limit)
{
        ts->pids.limit = limit;
        ts->resources.pids = &ts->pids;
        ts->linux.resources = &ts->resources;
}

void test_spec_deny_syscall(struct test_spec *ts, const char *syscall, uint32_t errno_ret)
{
        size_t i = ts->seccomp.n_syscalls;
        Grpc__LinuxSyscall *sc = &ts->syscall_store[i];
        grpc__linux_syscall__init(sc);
        ts->syscall_names[i][0] = (char *)syscall;
        sc->names = ts->syscall_names[i];
        sc->n_names = 1;
        sc->action = (char *)"SCMP_ACT_ERRNO";
        sc->errno_ret_case = GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET;
        sc->errnoret = errno_ret;
        ts->syscalls[i] = sc;
        ts->seccomp.n_syscalls++;
        ts->seccomp.syscalls = ts->syscalls;
        ts->seccomp.defaultaction = (char *)"SCMP_ACT_ALLOW";
        ts->linux.seccomp = &ts->seccomp;
}

void test_spec_userns(struct test_spec *ts, uint32_t host_base, uint32_t size)
{
        test_spec_add_namespace(ts, "user", NULL);
        ts->uidmap.containerid = 0;
        ts->uidmap.hostid = host_base;
        ts->uidmap.size = size;
        ts->gidmap = ts->uidmap;
        ts->uidmaps[0] = &ts->uidmap;
        ts->gidmaps[0] = &ts->gidmap;
        ts->linux.uidmappings = ts->uidmaps;
        ts->linux.n_uidmappings = 1;
        ts->linux.gidmappings = ts->gidmaps;
        ts->linux.n_gidmappings = 1;
}

void test_spec_add_sysctl(struct test_spec *ts, const char *key, const char *value)
{
        size_t i = ts->linux.n_sysctl;
        grpc__linux__sysctl_entry__init(&ts->sysctl_store[i]);
        ts->sysctl_store[i].key = (char *)key;
        ts->sysctl_store[i].value = (char *)value;
        ts->sysctls[i] = &ts->sysctl_store[i];
        ts->linux.sysctl = ts->sysctls;
        ts->linux.n_sysctl++;
}

void test_spec_add_device(struct test_spec *ts, const char *path, const char *type, int64_t major, int64_t minor)
{
        size_t i = ts->linux.n_devices;
        grpc__linux_device__init(&ts->device_store[i]);
        ts->device_store[i].path = (char *)path;
        ts->device_store[i].type = (char *)type;
        ts->device_store[i].major = major;
        ts->device_store[i].minor = minor;
        ts->device_store[i].filemode = 0666;
        ts->devices[i] = &ts->device_store[i];
        ts->linux.devices = ts->devices;
        ts->linux.n_devices++;
}

void test_spec_init(struct test_spec *ts, const char *rootfs, const char *const *argv)
{
        static const char *const proc_opts[] = { "nosuid", "noexec", "nodev", NULL };
        static const char *const dev_opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
        static const char *const pts_opts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
        static const char *const shm_opts[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
        static const char *const mq_opts[] = { "nosuid", "noexec", "nodev", NULL };
        static const char *const sys_opts[] = { "nosuid", "noexec", "nodev", "ro", NULL };

        memset(ts, 0, sizeof *ts);
        snprintf(ts->rootfs, sizeof ts->rootfs, "%s", rootfs);
        grpc__spec__init(&ts->spec);
        grpc__process__init(&ts->process);
        grpc__user__init(&ts->user);
        grpc__root__init(&ts->root);
        grpc__linux__init(&ts->linux);
        grpc__linux_capabilities__init(&ts->caps);
        grpc__linux_resources__init(&ts->resources);
        grpc__linux_memory__init(&ts->memory);
        grpc__linux_pids__init(&ts->pids);
        grpc__linux_cpu__init(&ts->cpu);
        grpc__box__init(&ts->console);
        grpc__linux_seccomp__init(&ts->seccomp);
        grpc__linux_idmapping__init(&ts->uidmap);
        grpc__linux_idmapping__init(&ts->gidmap);

        ts->spec.version = (char *)"1.0.2";
        ts->spec.process = &ts->process;
        ts->spec.root = &ts->root;
        ts->spec.linux = &ts->linux;
        ts->spec.mounts = ts->mounts;
        ts->root.path = ts->rootfs;
        ts->process.user = &ts->user;
        ts->process.args = ts->args;
        for (; argv[ts->process.n_args]; ts->process.n_args++)
                ts->args[ts->process.n_args] = (char *)argv[ts->process.n_args];
        ts->process.env = ts->env;
        test_spec_add_env(ts, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        ts->process.cwd = (char *)"/";
        ts->process.capabilities = &ts->caps;
        ts->caps.bounding = ts->caps.effective = ts->caps.permitted = ts->cap_list;
        for (size_t i = 0; i < 3; i++)
                test_spec_add_cap(ts, default_caps[i]);
        ts->process.rlimits = ts->rlimits;
        test_spec_add_rlimit(ts, "RLIMIT_NOFILE", 1024, 1024);
        ts->process.nonewprivileges = 1;
        ts->process.consolesize = &ts->console;

        ts->linux.namespaces = ts->namespaces;
        test_spec_add_namespace(ts, "pid", NULL);
        test_spec_add_namespace(ts, "ipc", NULL);
        test_spec_add_namespace(ts, "uts", NULL);
        test_spec_add_namespace(ts, "mount", NULL);
        ts->linux.maskedpaths = ts->masked;
        for (size_t i = 0; i < sizeof default_masked / sizeof *default_masked; i++)
                ts->masked[ts->linux.n_maskedpaths++] = (char *)default_masked[i];
        ts->linux.readonlypaths = ts->readonly;
        for (size_t i = 0; i < sizeof default_readonly / sizeof *default_readonly; i++)
                ts->readonly[ts->linux.n_readonlypaths++] = (char *)default_readonly[i];

        test_spec_add_mount(ts, "/proc", "proc", "proc", proc_opts);
        test_spec_add_mount(ts, "/dev", "tmpfs", "tmpfs", dev_opts);
        test_spec_add_mount(ts, "/dev/pts", "devpts", "devpts", pts_opts);
        test_spec_add_mount(ts, "/dev/shm", "tmpfs", "shm", shm_opts);
        test_spec_add_mount(ts, "/dev/mqueue", "mqueue", "mqueue", mq_opts);
        test_spec_add_mount(ts, "/sys", "sysfs", "sysfs", sys_opts);
}
