/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_spec_test.h"

/* config.json -> grpc.Spec: every field in its place, and what absent members leave. */

/*
 * Allocation failures: the test links with --wrap for these (tests/tests.mk),
 * so the n-th allocation made by kinglet code can be made to fail. json-c and
 * protobuf-c allocate inside their own libraries and are not affected.
 */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static long allocs_left = -1; /* -1: never fail */
static bool alloc_failed;

static bool alloc_fails(void)
{
        if (allocs_left < 0)
                return false;
        if (allocs_left == 0) {
                alloc_failed = true;
                return true;
        }
        allocs_left--;
        return false;
}

void *__wrap_malloc(size_t size)
{
        return alloc_fails() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
        return alloc_fails() ? NULL : __real_calloc(n, size);
}

char *__wrap_strdup(const char *s)
{
        return alloc_fails() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
        return alloc_fails() ? NULL : __real_strndup(s, n);
}

/* `runc spec` (1.1, with ambient) plus everything else oci.proto carries. */
static const char full_config[] =
        "{\n"
        "  'ociVersion': '1.0.2-dev',\n"
        "  'process': {\n"
        "    'terminal': true,\n"
        "    'consoleSize': { 'height': 25, 'width': 80 },\n"
        "    'user': { 'uid': 1000, 'gid': 1001, 'additionalGids': [5, 4294967295], 'umask': 18 },\n"
        "    'args': ['sh', '-c', 'echo hi'],\n"
        "    'env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],\n"
        "    'cwd': '/work',\n"
        "    'capabilities': {\n"
        "      'bounding': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],\n"
        "      'effective': ['CAP_AUDIT_WRITE', 'CAP_KILL'],\n"
        "      'inheritable': [],\n"
        "      'permitted': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],\n"
        "      'ambient': ['CAP_KILL']\n"
        "    },\n"
        "    'rlimits': [\n"
        "      { 'type': 'RLIMIT_NOFILE', 'hard': 1024, 'soft': 1024 },\n"
        "      { 'type': 'RLIMIT_CORE', 'hard': 18446744073709551615, 'soft': 0 }\n"
        "    ],\n"
        "    'noNewPrivileges': true,\n"
        "    'apparmorProfile': 'docker-default',\n"
        "    'oomScoreAdj': -500,\n"
        "    'selinuxLabel': 'system_u:system_r:container_t:s0:c1,c2',\n"
        "    'scheduler': { 'policy': 'SCHED_OTHER' }\n"
        "  },\n"
        "  'root': { 'path': 'rootfs', 'readonly': true },\n"
        "  'hostname': 'runc',\n"
        "  'domainname': 'example.org',\n"
        "  'mounts': [\n"
        "    { 'destination': '/proc', 'type': 'proc', 'source': 'proc' },\n"
        "    { 'destination': '/dev', 'type': 'tmpfs', 'source': 'tmpfs',\n"
        "      'options': ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },\n"
        "    { 'destination': '/dev/pts', 'type': 'devpts', 'source': 'devpts',\n"
        "      'options': ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },\n"
        "    { 'destination': '/data', 'type': 'bind', 'source': '/srv/data', 'options': ['rbind', 'ro'],\n"
        "      'uidMappings': [{ 'containerID': 0, 'hostID': 1000, 'size': 1 }] }\n"
        "  ],\n"
        "  'hooks': {\n"
        "    'prestart': [{ 'path': '/usr/bin/fix-mounts', 'args': ['fix-mounts', 'arg1'], 'env': ['key1=value1'] }],\n"
        "    'createRuntime': [{ 'path': '/usr/bin/setup-network' }],\n"
        "    'createContainer': [{ 'path': '/usr/bin/mount-hook', 'args': ['-mount'], 'timeout': 5 }],\n"
        "    'startContainer': [{ 'path': '/usr/bin/refresh-ldcache' }],\n"
        "    'poststart': [{ 'path': '/usr/bin/notify-start', 'timeout': 5 }, { 'path': '/bin/true' }],\n"
        "    'poststop': [{ 'path': '/usr/sbin/cleanup.sh', 'args': ['cleanup.sh', '-f'] }]\n"
        "  },\n"
        "  'annotations': { 'com.example.key1': 'value1', 'com.example.key2': '' },\n"
        "  'linux': {\n"
        "    'uidMappings': [{ 'containerID': 0, 'hostID': 100000, 'size': 65536 }],\n"
        "    'gidMappings': [{ 'containerID': 0, 'hostID': 200000, 'size': 4294967295 }],\n"
        "    'sysctl': { 'net.ipv4.ip_forward': '1', 'net.core.somaxconn': '256' },\n"
        "    'resources': {\n"
        "      'devices': [\n"
        "        { 'allow': false, 'access': 'rwm' },\n"
        "        { 'allow': true, 'type': 'c', 'major': 10, 'minor': 229, 'access': 'rw' },\n"
        "        { 'allow': true, 'type': 'b', 'major': 8, 'access': 'r' }\n"
        "      ],\n"
        "      'memory': { 'limit': 536870912, 'reservation': 268435456, 'swap': -1, 'kernel': 1,\n"
        "                  'kernelTCP': 2, 'swappiness': 60, 'disableOOMKiller': true, 'useHierarchy': true },\n"
        "      'cpu': { 'shares': 1024, 'quota': 100000, 'period': 50000, 'realtimeRuntime': 950000,\n"
        "               'realtimePeriod': 1000000, 'cpus': '2-3', 'mems': '0-7', 'burst': 10, 'idle': 0 },\n"
        "      'pids': { 'limit': 32771 },\n"
        "      'blockIO': {\n"
        "        'weight': 10, 'leafWeight': 65535,\n"
        "        'weightDevice': [{ 'major': 8, 'minor': 0, 'weight': 500, 'leafWeight': 300 },\n"
        "                         { 'major': 8, 'minor': 16, 'weight': 500 }],\n"
        "        'throttleReadBpsDevice': [{ 'major': 8, 'minor': 0, 'rate': 600 }],\n"
        "        'throttleWriteBpsDevice': [{ 'major': 8, 'minor': 16, 'rate': 300 }],\n"
        "        'throttleReadIOPSDevice': [{ 'major': 8, 'minor': 32, 'rate': 18446744073709551615 }],\n"
        "        'throttleWriteIOPSDevice': [{ 'major': 8, 'minor': 48, 'rate': 7 }]\n"
        "      },\n"
        "      'hugepageLimits': [{ 'pageSize': '2MB', 'limit': 209715200 }, { 'pageSize': '1GB', 'limit': 0 }],\n"
        "      'network': { 'classID': 1048577, 'priorities': [{ 'name': 'eth0', 'priority': 500 },\n"
        "                                                      { 'name': 'eth1', 'priority': 1000 }] },\n"
        "      'rdma': { 'mlx5_1': { 'hcaHandles': 3 } },\n"
        "      'unified': { 'memory.high': '1G' }\n"
        "    },\n"
        "    'cgroupsPath': '/myRuntime/myContainer',\n"
        "    'namespaces': [\n"
        "      { 'type': 'pid' }, { 'type': 'network', 'path': '/var/run/netns/neta' },\n"
        "      { 'type': 'ipc' }, { 'type': 'uts' }, { 'type': 'mount' }, { 'type': 'user' },\n"
        "      { 'type': 'cgroup' }\n"
        "    ],\n"
        "    'devices': [\n"
        "      { 'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229, 'fileMode': 438, 'uid': 0, 'gid': 0 },\n"
        "      { 'path': '/dev/sda', 'type': 'b', 'major': 8, 'minor': 0, 'fileMode': 432, 'uid': 1, 'gid': 6 }\n"
        "    ],\n"
        "    'seccomp': {\n"
        "      'defaultAction': 'SCMP_ACT_ERRNO',\n"
        "      'defaultErrnoRet': 1,\n"
        "      'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],\n"
        "      'flags': ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],\n"
        "      'syscalls': [\n"
        "        { 'names': ['getcwd', 'chmod'], 'action': 'SCMP_ACT_ALLOW' },\n"
        "        { 'names': ['personality'], 'action': 'SCMP_ACT_ALLOW',\n"
        "          'args': [{ 'index': 0, 'value': 131072, 'op': 'SCMP_CMP_EQ' },\n"
        "                   { 'index': 1, 'value': 4294967295, 'valueTwo': 18446744073709551615,\n"
        "                     'op': 'SCMP_CMP_MASKED_EQ' }] },\n"
        "        { 'names': ['clone3'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38 },\n"
        "        { 'names': ['mount'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 0 }\n"
        "      ]\n"
        "    },\n"
        "    'rootfsPropagation': 'rslave',\n"
        "    'maskedPaths': ['/proc/acpi', '/proc/kcore', '/sys/firmware'],\n"
        "    'readonlyPaths': ['/proc/bus', '/proc/sys'],\n"
        "    'mountLabel': 'system_u:object_r:container_file_t:s0:c1,c2',\n"
        "    'intelRdt': { 'closID': 'guaranteed', 'l3CacheSchema': 'L3:0=7f0;1=1f' },\n"
        "    'timeOffsets': { 'monotonic': { 'secs': 1 } },\n"
        "    'personality': { 'domain': 'LINUX' }\n"
        "  },\n"
        "  'vm': { 'kernel': { 'path': '/k' } },\n"
        "  'x-extension': [[[[{ 'deep': null }]]]]\n"
        "}\n";

static void check_full_process(const Grpc__Process *p)
{
        assert_non_null(p);
        assert_true(p->terminal);
        assert_non_null(p->consolesize);
        assert_int_equal(p->consolesize->height, 25);
        assert_int_equal(p->consolesize->width, 80);
        assert_int_equal(p->user->uid, 1000);
        assert_int_equal(p->user->gid, 1001);
        assert_int_equal(p->user->n_additionalgids, 2);
        assert_int_equal(p->user->additionalgids[0], 5);
        assert_int_equal(p->user->additionalgids[1], UINT32_MAX);
        assert_string_equal(p->user->username, "");
        ASSERT_STRV(p->args, p->n_args, "sh", "-c", "echo hi");
        ASSERT_STRV(p->env, p->n_env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm");
        assert_string_equal(p->cwd, "/work");
        ASSERT_STRV(p->capabilities->bounding, p->capabilities->n_bounding, "CAP_AUDIT_WRITE", "CAP_KILL",
                    "CAP_NET_BIND_SERVICE");
        ASSERT_STRV(p->capabilities->effective, p->capabilities->n_effective, "CAP_AUDIT_WRITE", "CAP_KILL");
        assert_int_equal(p->capabilities->n_inheritable, 0);
        ASSERT_STRV(p->capabilities->permitted, p->capabilities->n_permitted, "CAP_AUDIT_WRITE", "CAP_KILL",
                    "CAP_NET_BIND_SERVICE");
        ASSERT_STRV(p->capabilities->ambient, p->capabilities->n_ambient, "CAP_KILL");
        assert_int_equal(p->n_rlimits, 2);
        assert_string_equal(p->rlimits[0]->type, "RLIMIT_NOFILE");
        assert_true(p->rlimits[0]->hard == 1024 && p->rlimits[0]->soft == 1024);
        assert_string_equal(p->rlimits[1]->type, "RLIMIT_CORE");
        assert_true(p->rlimits[1]->hard == UINT64_MAX && p->rlimits[1]->soft == 0);
        assert_true(p->nonewprivileges);
        assert_string_equal(p->apparmorprofile, "docker-default");
        assert_true(p->oomscoreadj == -500);
        assert_string_equal(p->selinuxlabel, "system_u:system_r:container_t:s0:c1,c2");
}

static void check_full_top(const Grpc__Spec *s)
{
        assert_string_equal(s->version, "1.0.2-dev");
        assert_string_equal(s->root->path, "/run/bundles/b1/rootfs");
        assert_true(s->root->readonly);
        assert_string_equal(s->hostname, "runc");

        assert_int_equal(s->n_mounts, 4);
        assert_string_equal(s->mounts[0]->destination, "/proc");
        assert_string_equal(s->mounts[0]->type, "proc");
        assert_string_equal(s->mounts[0]->source, "proc");
        assert_int_equal(s->mounts[0]->n_options, 0);
        ASSERT_STRV(s->mounts[2]->options, s->mounts[2]->n_options, "nosuid", "noexec", "newinstance",
                    "ptmxmode=0666", "mode=0620", "gid=5");
        assert_string_equal(s->mounts[3]->destination, "/data");
        assert_string_equal(s->mounts[3]->type, "bind");
        assert_string_equal(s->mounts[3]->source, "/srv/data");
        ASSERT_STRV(s->mounts[3]->options, s->mounts[3]->n_options, "rbind", "ro");

        const Grpc__Hooks *h = s->hooks;
        assert_int_equal(h->n_prestart, 1);
        assert_string_equal(h->prestart[0]->path, "/usr/bin/fix-mounts");
        ASSERT_STRV(h->prestart[0]->args, h->prestart[0]->n_args, "fix-mounts", "arg1");
        ASSERT_STRV(h->prestart[0]->env, h->prestart[0]->n_env, "key1=value1");
        assert_true(h->prestart[0]->timeout == 0);
        assert_int_equal(h->n_createruntime, 1);
        assert_string_equal(h->createruntime[0]->path, "/usr/bin/setup-network");
        assert_int_equal(h->n_createcontainer, 1);
        assert_string_equal(h->createcontainer[0]->path, "/usr/bin/mount-hook");
        assert_true(h->createcontainer[0]->timeout == 5);
        assert_int_equal(h->n_startcontainer, 1);
        assert_string_equal(h->startcontainer[0]->path, "/usr/bin/refresh-ldcache");
        assert_int_equal(h->n_poststart, 2);
        assert_string_equal(h->poststart[1]->path, "/bin/true");
        assert_int_equal(h->n_poststop, 1);
        ASSERT_STRV(h->poststop[0]->args, h->poststop[0]->n_args, "cleanup.sh", "-f");

        assert_int_equal(s->n_annotations, 2);
        assert_string_equal(s->annotations[0]->key, "com.example.key1");
        assert_string_equal(s->annotations[0]->value, "value1");
        assert_string_equal(s->annotations[1]->key, "com.example.key2");
        assert_string_equal(s->annotations[1]->value, "");
        assert_null(s->solaris);
        assert_null(s->windows);
}

static void check_full_resources(const Grpc__LinuxResources *r)
{
        assert_int_equal(r->n_devices, 3);
        assert_false(r->devices[0]->allow);
        assert_string_equal(r->devices[0]->type, "");
        assert_true(r->devices[0]->major == -1 && r->devices[0]->minor == -1);
        assert_string_equal(r->devices[0]->access, "rwm");
        assert_true(r->devices[1]->allow);
        assert_string_equal(r->devices[1]->type, "c");
        assert_true(r->devices[1]->major == 10 && r->devices[1]->minor == 229);
        assert_string_equal(r->devices[1]->access, "rw");
        assert_true(r->devices[2]->major == 8 && r->devices[2]->minor == -1);

        assert_true(r->memory->limit == 536870912);
        assert_true(r->memory->reservation == 268435456);
        assert_true(r->memory->swap == -1);
        assert_true(r->memory->kernel == 1 && r->memory->kerneltcp == 2);
        assert_true(r->memory->swappiness == 60);
        assert_true(r->memory->disableoomkiller);

        assert_true(r->cpu->shares == 1024);
        assert_true(r->cpu->quota == 100000);
        assert_true(r->cpu->period == 50000);
        assert_true(r->cpu->realtimeruntime == 950000);
        assert_true(r->cpu->realtimeperiod == 1000000);
        assert_string_equal(r->cpu->cpus, "2-3");
        assert_string_equal(r->cpu->mems, "0-7");

        assert_true(r->pids->limit == 32771);

        const Grpc__LinuxBlockIO *b = r->blockio;
        assert_int_equal(b->weight, 10);
        assert_int_equal(b->leafweight, 65535);
        assert_int_equal(b->n_weightdevice, 2);
        assert_true(b->weightdevice[0]->major == 8 && b->weightdevice[0]->minor == 0);
        assert_int_equal(b->weightdevice[0]->weight, 500);
        assert_int_equal(b->weightdevice[0]->leafweight, 300);
        assert_true(b->weightdevice[1]->minor == 16 && b->weightdevice[1]->leafweight == 0);
        assert_int_equal(b->n_throttlereadbpsdevice, 1);
        assert_true(b->throttlereadbpsdevice[0]->rate == 600);
        assert_true(b->throttlewritebpsdevice[0]->minor == 16 && b->throttlewritebpsdevice[0]->rate == 300);
        assert_true(b->throttlereadiopsdevice[0]->rate == UINT64_MAX);
        assert_true(b->throttlewriteiopsdevice[0]->major == 8 && b->throttlewriteiopsdevice[0]->rate == 7);

        assert_int_equal(r->n_hugepagelimits, 2);
        assert_string_equal(r->hugepagelimits[0]->pagesize, "2MB");
        assert_true(r->hugepagelimits[0]->limit == 209715200);
        assert_string_equal(r->hugepagelimits[1]->pagesize, "1GB");

        assert_int_equal(r->network->classid, 1048577);
        assert_int_equal(r->network->n_priorities, 2);
        assert_string_equal(r->network->priorities[1]->name, "eth1");
        assert_int_equal(r->network->priorities[1]->priority, 1000);
}

static void check_full_linux(const Grpc__Linux *l)
{
        assert_int_equal(l->n_uidmappings, 1);
        assert_int_equal(l->uidmappings[0]->containerid, 0);
        assert_int_equal(l->uidmappings[0]->hostid, 100000);
        assert_int_equal(l->uidmappings[0]->size, 65536);
        assert_int_equal(l->n_gidmappings, 1);
        assert_int_equal(l->gidmappings[0]->hostid, 200000);
        assert_int_equal(l->gidmappings[0]->size, UINT32_MAX);

        assert_int_equal(l->n_sysctl, 2);
        assert_string_equal(l->sysctl[0]->key, "net.ipv4.ip_forward");
        assert_string_equal(l->sysctl[0]->value, "1");
        assert_string_equal(l->sysctl[1]->key, "net.core.somaxconn");
        assert_string_equal(l->sysctl[1]->value, "256");

        check_full_resources(l->resources);
        assert_string_equal(l->cgroupspath, "/myRuntime/myContainer");

        assert_int_equal(l->n_namespaces, 7);
        assert_string_equal(l->namespaces[0]->type, "pid");
        assert_string_equal(l->namespaces[0]->path, "");
        assert_string_equal(l->namespaces[1]->type, "network");
        assert_string_equal(l->namespaces[1]->path, "/var/run/netns/neta");
        assert_string_equal(l->namespaces[6]->type, "cgroup");

        assert_int_equal(l->n_devices, 2);
        assert_string_equal(l->devices[0]->path, "/dev/fuse");
        assert_string_equal(l->devices[0]->type, "c");
        assert_true(l->devices[0]->major == 10 && l->devices[0]->minor == 229);
        assert_int_equal(l->devices[0]->filemode, 0666);
        assert_int_equal(l->devices[1]->filemode, 0660);
        assert_int_equal(l->devices[1]->uid, 1);
        assert_int_equal(l->devices[1]->gid, 6);

        const Grpc__LinuxSeccomp *sc = l->seccomp;
        assert_string_equal(sc->defaultaction, "SCMP_ACT_ERRNO");
        ASSERT_STRV(sc->architectures, sc->n_architectures, "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
        ASSERT_STRV(sc->flags, sc->n_flags, "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
        assert_int_equal(sc->n_syscalls, 4);
        ASSERT_STRV(sc->syscalls[0]->names, sc->syscalls[0]->n_names, "getcwd", "chmod");
        assert_string_equal(sc->syscalls[0]->action, "SCMP_ACT_ALLOW");
        assert_int_equal(sc->syscalls[0]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET__NOT_SET);
        assert_int_equal(sc->syscalls[0]->n_args, 0);
        const Grpc__LinuxSyscall *pers = sc->syscalls[1];
        assert_int_equal(pers->n_args, 2);
        assert_true(pers->args[0]->index == 0 && pers->args[0]->value == 131072 && pers->args[0]->valuetwo == 0);
        assert_string_equal(pers->args[0]->op, "SCMP_CMP_EQ");
        assert_true(pers->args[1]->index == 1 && pers->args[1]->value == UINT32_MAX);
        assert_true(pers->args[1]->valuetwo == UINT64_MAX);
        assert_string_equal(pers->args[1]->op, "SCMP_CMP_MASKED_EQ");
        assert_int_equal(sc->syscalls[2]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET);
        assert_int_equal(sc->syscalls[2]->errnoret, 38);
        /* An explicit 0 is kept apart from "not set". */
        assert_int_equal(sc->syscalls[3]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET);
        assert_int_equal(sc->syscalls[3]->errnoret, 0);

        assert_string_equal(l->rootfspropagation, "rslave");
        ASSERT_STRV(l->maskedpaths, l->n_maskedpaths, "/proc/acpi", "/proc/kcore", "/sys/firmware");
        ASSERT_STRV(l->readonlypaths, l->n_readonlypaths, "/proc/bus", "/proc/sys");
        assert_string_equal(l->mountlabel, "system_u:object_r:container_file_t:s0:c1,c2");
        assert_string_equal(l->intelrdt->l3cacheschema, "L3:0=7f0;1=1f");
}

static void test_full_config(void **state)
{
        Grpc__Spec *s = parse_ok(full_config, "/run/bundles/b1");

        check_full_top(s);
        check_full_process(s->process);
        check_full_linux(s->linux);
        spec_free(s);
}

/* Everything that was parsed survives protobuf encoding, as the agent will see it. */
static void test_full_config_pack_roundtrip(void **state)
{
        Grpc__Spec *s = parse_ok(full_config, "/run/bundles/b1");
        size_t len = protobuf_c_message_get_packed_size(&s->base);
        _cleanup_free_ uint8_t *buf = malloc(len), *buf2 = malloc(len);

        assert_non_null(buf);
        assert_non_null(buf2);
        assert_int_equal(protobuf_c_message_pack(&s->base, buf), len);
        spec_free(s);

        s = (Grpc__Spec *)protobuf_c_message_unpack(&grpc__spec__descriptor, NULL, len, buf);
        assert_non_null(s);
        check_full_top(s);
        check_full_process(s->process);
        check_full_linux(s->linux);
        assert_int_equal(protobuf_c_message_get_packed_size(&s->base), len);
        assert_int_equal(protobuf_c_message_pack(&s->base, buf2), len);
        assert_memory_equal(buf, buf2, len);
        spec_free(s);
}

static void test_minimal_defaults(void **state)
{
        Grpc__Spec *s = parse_ok("{ 'ociVersion': '1.2.0' }", "/b");

        assert_string_equal(s->version, "1.2.0");
        assert_null(s->process);
        assert_null(s->root);
        assert_string_equal(s->hostname, "");
        assert_int_equal(s->n_mounts, 0);
        assert_null(s->mounts);
        assert_null(s->hooks);
        assert_int_equal(s->n_annotations, 0);
        assert_null(s->linux);
        spec_free(s);

        /* Empty objects: the message is there, with proto3 defaults. */
        s = parse_ok("{ 'ociVersion': '1.0.0', 'process': {}, 'root': { 'path': '/r' }, 'hooks': {},"
                     "  'linux': { 'resources': { 'memory': {}, 'devices': [ { 'allow': true } ] },"
                     "             'seccomp': { 'defaultAction': 'SCMP_ACT_ALLOW' } }, 'mounts': [] }",
                     "/b");
        /* runtime-spec's Process.User is no pointer: always sent. */
        assert_non_null(s->process->user);
        assert_int_equal(s->process->user->uid, 0);
        assert_int_equal(s->process->user->gid, 0);
        assert_false(s->process->terminal);
        assert_null(s->process->consolesize);
        assert_null(s->process->capabilities);
        assert_int_equal(s->process->n_args, 0);
        assert_string_equal(s->process->cwd, "");
        assert_true(s->process->oomscoreadj == 0);
        assert_false(s->root->readonly);
        assert_int_equal(s->n_mounts, 0);
        assert_non_null(s->hooks);
        assert_int_equal(s->hooks->n_prestart, 0);
        const Grpc__LinuxMemory *m = s->linux->resources->memory;
        assert_true(m->limit == 0 && m->swap == 0 && m->swappiness == 0 && !m->disableoomkiller);
        assert_null(s->linux->resources->cpu);
        /* A device rule without major/minor matches any. */
        assert_true(s->linux->resources->devices[0]->major == -1);
        assert_true(s->linux->resources->devices[0]->minor == -1);
        assert_string_equal(s->linux->seccomp->defaultaction, "SCMP_ACT_ALLOW");
        assert_int_equal(s->linux->seccomp->n_syscalls, 0);
        assert_string_equal(s->linux->cgroupspath, "");
        spec_free(s);
}

/* null reads as absent, as Go's encoding/json reads it. */
static void test_null_is_absent(void **state)
{
        Grpc__Spec *s = parse_ok("{ 'ociVersion': '1.0.0', 'hostname': null, 'process': { 'args': null,"
                                 "  'user': null, 'terminal': null, 'oomScoreAdj': null }, 'linux': null,"
                                 "  'annotations': null }",
                                 NULL);

        assert_string_equal(s->hostname, "");
        assert_int_equal(s->process->n_args, 0);
        assert_non_null(s->process->user);
        assert_false(s->process->terminal);
        assert_null(s->linux);
        assert_int_equal(s->n_annotations, 0);
        spec_free(s);
}

static void test_unknown_members_ignored(void **state)
{
        Grpc__Spec *s = parse_ok("{ 'ociVersion': '1.0.0', 'domainname': 'x', 'vm': {}, 'zos': [1],"
                                 "  'process': { 'ioPriority': { 'class': 'IOPRIO_CLASS_RT' }, 'cwd': '/' },"
                                 "  'linux': { 'netDevices': { 'eth0': {} }, 'memoryPolicy': { 'mode': 'x' } },"
                                 "  'Hostname': 'not-the-member' }",
                                 NULL);

        assert_string_equal(s->process->cwd, "/");
        /* Member names are exact: Go would also take "Hostname", the spec names it "hostname". */
        assert_string_equal(s->hostname, "");
        assert_non_null(s->linux);
        spec_free(s);
}

static void test_numbers_in_range(void **state)
{
        Grpc__Spec *s = parse_ok(
                "{ 'ociVersion': '1', 'process': { 'user': { 'uid': 4294967295, 'gid': 0 },"
                "  'oomScoreAdj': -9223372036854775808 },"
                "  'linux': { 'resources': { 'memory': { 'limit': 9223372036854775807, 'swap': -9223372036854775808,"
                "    'swappiness': 18446744073709551615 }, 'pids': { 'limit': -1 }, 'cpu': { 'quota': -1 },"
                "    'blockIO': { 'weight': 65535 } },"
                "    'seccomp': { 'defaultAction': 'a', 'syscalls': [ { 'names': [], 'action': 'b',"
                "      'errnoRet': 4294967295 } ] } } }",
                NULL);

        assert_int_equal(s->process->user->uid, UINT32_MAX);
        assert_true(s->process->oomscoreadj == INT64_MIN);
        assert_true(s->linux->resources->memory->limit == INT64_MAX);
        assert_true(s->linux->resources->memory->swap == INT64_MIN);
        assert_true(s->linux->resources->memory->swappiness == UINT64_MAX);
        assert_true(s->linux->resources->pids->limit == -1);
        assert_true(s->linux->resources->cpu->quota == -1);
        assert_int_equal(s->linux->resources->blockio->weight, 65535);
        assert_int_equal(s->linux->seccomp->syscalls[0]->errnoret, UINT32_MAX);
        spec_free(s);
}

/* Duplicate members: the last one wins, as in Go. */
static void test_duplicate_members(void **state)
{
        Grpc__Spec *s = parse_ok("{ 'ociVersion': '1', 'hostname': 'a', 'hostname': 'b' }", NULL);

        assert_string_equal(s->hostname, "b");
        spec_free(s);
}

static void test_relative_root(void **state)
{
        static const struct {
                const char *bundle, *root, *want;
        } cases[] = {
                { "/run/b", "rootfs", "/run/b/rootfs" },
                { "/run/b/", "./rootfs/", "/run/b/rootfs" },
                { "/run//b", "../other/./fs", "/run/other/fs" },
                { "/", "../../rootfs", "/rootfs" },
                { "/run/b", "/abs/rootfs", "/abs/rootfs" },
                { "b", "rootfs", "b/rootfs" },
                { "b", "../../x", "../x" },
                { NULL, "rootfs", "rootfs" },
                { "", "rootfs", "rootfs" },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char json[256];
                snprintf(json, sizeof json, "{ 'ociVersion': '1', 'root': { 'path': '%s' } }", cases[i].root);
                Grpc__Spec *s = parse_ok(json, cases[i].bundle);
                assert_string_equal(s->root->path, cases[i].want);
                spec_free(s);
        }
}

/*
 * Every allocation in turn fails: -ENOMEM, nothing leaked (ASan checks), *ret
 * untouched; then the call succeeds once allocations run out of failures.
 */
static void test_allocation_failures(void **state)
{
        _cleanup_free_ char *json = q(full_config);
        char *args[] = { "sh" };
        long n;

        for (int which = 0; which < 2; which++) {
                for (n = 0;; n++) {
                        Grpc__Spec *sentinel = (Grpc__Spec *)(uintptr_t)0x5a5a, *s = sentinel;
                        struct rpc_error e = {};
                        int r;

                        alloc_failed = false;
                        allocs_left = n;
                        if (which == 0)
                                r = oci_spec_from_json(json, strlen(json), "/b", &s, &e);
                        else
                                r = oci_spec_default("/rootfs", args, 1, false, &s, &e);
                        allocs_left = -1;
                        if (!alloc_failed) {
                                assert_int_equal(r, 0);
                                spec_free(s);
                                break;
                        }
                        assert_int_equal(r, -ENOMEM);
                        assert_ptr_equal(s, sentinel);
                }
                /* Hundreds of allocations for the full config, so every path was taken. */
                assert_true(n > (which == 0 ? 200 : 100));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_config),
                cmocka_unit_test(test_full_config_pack_roundtrip),
                cmocka_unit_test(test_minimal_defaults),
                cmocka_unit_test(test_null_is_absent),
                cmocka_unit_test(test_unknown_members_ignored),
                cmocka_unit_test(test_numbers_in_range),
                cmocka_unit_test(test_duplicate_members),
                cmocka_unit_test(test_relative_root),
                cmocka_unit_test(test_allocation_failures),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
