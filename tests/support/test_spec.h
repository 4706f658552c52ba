/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI specs for container tests, built in place (no allocation): a default
 * like `runc spec` (namespaces pid, ipc, uts, mount; proc, /dev tmpfs, devpts,
 * shm, mqueue, sysfs; masked and read-only paths; no caps beyond runc's
 * default set), which each test changes field by field before sending.
 */
#ifndef KINGLET_TEST_SPEC_H
#define KINGLET_TEST_SPEC_H

#include "oci.pb-c.h"

#define TS_MAX 32

struct test_spec {
        Grpc__Spec spec;
        Grpc__Process process;
        Grpc__User user;
        Grpc__Root root;
        Grpc__Linux linux;
        Grpc__LinuxCapabilities caps;
        Grpc__LinuxResources resources;
        Grpc__LinuxMemory memory;
        Grpc__LinuxPids pids;
        Grpc__LinuxCPU cpu;
        Grpc__Box console;
        Grpc__LinuxSeccomp seccomp;
        Grpc__LinuxSyscall syscall_store[8];
        Grpc__LinuxSyscall *syscalls[8];
        char *syscall_names[8][4];
        Grpc__LinuxIDMapping uidmap, gidmap;
        Grpc__LinuxIDMapping *uidmaps[1], *gidmaps[1];
        Grpc__Linux__SysctlEntry sysctl_store[4];
        Grpc__Linux__SysctlEntry *sysctls[4];
        Grpc__LinuxDevice device_store[4];
        Grpc__LinuxDevice *devices[4];
        Grpc__Mount mount_store[TS_MAX];
        Grpc__Mount *mounts[TS_MAX];
        Grpc__LinuxNamespace ns_store[16];
        size_t ns_used; /* slots of ns_store handed out (removing one does not free its slot) */
        Grpc__LinuxNamespace *namespaces[8];
        Grpc__POSIXRlimit rlimit_store[4];
        Grpc__POSIXRlimit *rlimits[4];
        char *args[TS_MAX];
        char *env[TS_MAX];
        char *cap_list[TS_MAX];
        char *masked[TS_MAX];
        char *readonly[TS_MAX];
        char *mount_opts[TS_MAX][8];
        char rootfs[256];
};

/* Fills ts with the default spec running argv (NULL-terminated) in rootfs. */
void test_spec_init(struct test_spec *ts, const char *rootfs, const char *const *argv);
void test_spec_add_env(struct test_spec *ts, const char *kv);
void test_spec_add_namespace(struct test_spec *ts, const char *type, const char *path);
void test_spec_remove_namespace(struct test_spec *ts, const char *type);
/* Options: NULL-terminated. */
void test_spec_add_mount(struct test_spec *ts, const char *dest, const char *type, const char *source,
                         const char *const *options);
void test_spec_add_cap(struct test_spec *ts, const char *cap); /* to all but ambient */
void test_spec_add_rlimit(struct test_spec *ts, const char *type, uint64_t soft, uint64_t hard);
void test_spec_set_memory(struct test_spec *ts, int64_t limit);
void test_spec_set_pids(struct test_spec *ts, int64_t limit);
/* Seccomp: default allow, and `syscall` fails with errno_ret. */
void test_spec_deny_syscall(struct test_spec *ts, const char *syscall, uint32_t errno_ret);
/* A new user namespace mapping container 0..size-1 to host base.. */
void test_spec_userns(struct test_spec *ts, uint32_t host_base, uint32_t size);
void test_spec_add_sysctl(struct test_spec *ts, const char *key, const char *value);
void test_spec_add_device(struct test_spec *ts, const char *path, const char *type, int64_t major, int64_t minor);

#endif
