/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "oci_spec_test.h"

/* oci_spec_default(): what `runc spec` writes, as a grpc.Spec. */

static void check_default(const Grpc__Spec *s, const char *rootfs, bool terminal)
{
        assert_string_equal(s->version, "1.2.1");
        assert_string_equal(s->hostname, "runc");
        assert_string_equal(s->root->path, rootfs);
        assert_true(s->root->readonly);
        assert_null(s->hooks);
        assert_int_equal(s->n_annotations, 0);

        const Grpc__Process *p = s->process;
        assert_int_equal(p->terminal, terminal);
        assert_null(p->consolesize);
        assert_int_equal(p->user->uid, 0);
        assert_int_equal(p->user->gid, 0);
        assert_int_equal(p->user->n_additionalgids, 0);
        ASSERT_STRV(p->env, p->n_env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm");
        assert_string_equal(p->cwd, "/");
        assert_true(p->nonewprivileges);
        ASSERT_STRV(p->capabilities->bounding, p->capabilities->n_bounding, "CAP_AUDIT_WRITE", "CAP_KILL",
                    "CAP_NET_BIND_SERVICE");
        ASSERT_STRV(p->capabilities->effective, p->capabilities->n_effective, "CAP_AUDIT_WRITE", "CAP_KILL",
                    "CAP_NET_BIND_SERVICE");
        ASSERT_STRV(p->capabilities->permitted, p->capabilities->n_permitted, "CAP_AUDIT_WRITE", "CAP_KILL",
                    "CAP_NET_BIND_SERVICE");
        assert_int_equal(p->capabilities->n_inheritable, 0);
        assert_int_equal(p->capabilities->n_ambient, 0);
        assert_int_equal(p->n_rlimits, 1);
        assert_string_equal(p->rlimits[0]->type, "RLIMIT_NOFILE");
        assert_true(p->rlimits[0]->hard == 1024 && p->rlimits[0]->soft == 1024);

        assert_int_equal(s->n_mounts, 7);
        static const char *const dest[] = { "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                                            "/sys/fs/cgroup" };
        static const char *const type[] = { "proc", "tmpfs", "devpts", "tmpfs", "mqueue", "sysfs", "cgroup" };
        static const char *const src[] = { "proc", "tmpfs", "devpts", "shm", "mqueue", "sysfs", "cgroup" };
        for (size_t i = 0; i < 7; i++) {
                assert_string_equal(s->mounts[i]->destination, dest[i]);
                assert_string_equal(s->mounts[i]->type, type[i]);
                assert_string_equal(s->mounts[i]->source, src[i]);
        }
        assert_int_equal(s->mounts[0]->n_options, 0);
        ASSERT_STRV(s->mounts[1]->options, s->mounts[1]->n_options, "nosuid", "strictatime", "mode=755",
                    "size=65536k");
        ASSERT_STRV(s->mounts[2]->options, s->mounts[2]->n_options, "nosuid", "noexec", "newinstance",
                    "ptmxmode=0666", "mode=0620", "gid=5");
        ASSERT_STRV(s->mounts[3]->options, s->mounts[3]->n_options, "nosuid", "noexec", "nodev", "mode=1777",
                    "size=65536k");
        ASSERT_STRV(s->mounts[4]->options, s->mounts[4]->n_options, "nosuid", "noexec", "nodev");
        ASSERT_STRV(s->mounts[5]->options, s->mounts[5]->n_options, "nosuid", "noexec", "nodev", "ro");
        ASSERT_STRV(s->mounts[6]->options, s->mounts[6]->n_options, "nosuid", "noexec", "nodev", "relatime",
                    "ro");

        const Grpc__Linux *l = s->linux;
        assert_int_equal(l->n_namespaces, 5);
        static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount" };
        for (size_t i = 0; i < 5; i++) {
                assert_string_equal(l->namespaces[i]->type, ns[i]);
                assert_string_equal(l->namespaces[i]->path, "");
        }
        ASSERT_STRV(l->maskedpaths, l->n_maskedpaths, "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                    "/sys/firmware", "/proc/scsi");
        ASSERT_STRV(l->readonlypaths, l->n_readonlypaths, "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                    "/proc/sysrq-trigger");
        assert_int_equal(l->resources->n_devices, 1);
        assert_false(l->resources->devices[0]->allow);
        assert_true(l->resources->devices[0]->major == -1 && l->resources->devices[0]->minor == -1);
        assert_string_equal(l->resources->devices[0]->access, "rwm");
        assert_null(l->resources->memory);
        assert_null(l->seccomp);
        assert_int_equal(l->n_uidmappings, 0);
}

static void test_default(void **state)
{
        char *args[] = { "/bin/echo", "hello", "world" };
        struct rpc_error e = {};
        Grpc__Spec *s = NULL;

        assert_int_equal(oci_spec_default("/run/rootfs", args, 3, false, &s, &e), 0);
        assert_int_equal(e.code, GRPC_OK);
        check_default(s, "/run/rootfs", false);
        ASSERT_STRV(s->process->args, s->process->n_args, "/bin/echo", "hello", "world");
        spec_free(s);

        /* No arguments: runc's "sh". */
        assert_int_equal(oci_spec_default("rootfs", NULL, 0, true, &s, &e), 0);
        check_default(s, "rootfs", true);
        ASSERT_STRV(s->process->args, s->process->n_args, "sh");
        spec_free(s);

        s = NULL;
        assert_int_equal(oci_spec_default(NULL, args, 1, false, &s, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_null(s);
        assert_int_equal(oci_spec_default("", args, 1, false, &s, &e), -EINVAL);
        assert_int_equal(oci_spec_default("/r", NULL, 2, false, &s, &e), -EINVAL);
        assert_null(s);
}

/* The default spec as the agent gets it: packed, unpacked, the same. */
static void test_default_roundtrip(void **state)
{
        char *args[] = { "sleep", "10" };
        Grpc__Spec *s = NULL;

        assert_int_equal(oci_spec_default("/rootfs", args, 2, true, &s, NULL), 0);
        size_t len = protobuf_c_message_get_packed_size(&s->base);
        _cleanup_free_ uint8_t *buf = malloc(len);
        assert_non_null(buf);
        assert_int_equal(protobuf_c_message_pack(&s->base, buf), len);
        spec_free(s);

        s = (Grpc__Spec *)protobuf_c_message_unpack(&grpc__spec__descriptor, NULL, len, buf);
        assert_non_null(s);
        check_default(s, "/rootfs", true);
        ASSERT_STRV(s->process->args, s->process->n_args, "sleep", "10");
        spec_free(s);
}

/* The default spec, written out as runc writes it, parses back to the same message. */
static void test_default_matches_runc_json(void **state)
{
        static const char runc_default[] =
                "{ 'ociVersion': '1.2.1',"
                "  'process': { 'terminal': true, 'user': { 'uid': 0, 'gid': 0 }, 'args': ['sh'],"
                "    'env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],"
                "    'cwd': '/',"
                "    'capabilities': {"
                "      'bounding': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],"
                "      'effective': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],"
                "      'permitted': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'] },"
                "    'rlimits': [{ 'type': 'RLIMIT_NOFILE', 'hard': 1024, 'soft': 1024 }],"
                "    'noNewPrivileges': true },"
                "  'root': { 'path': '/rootfs', 'readonly': true },"
                "  'hostname': 'runc',"
                "  'mounts': ["
                "    { 'destination': '/proc', 'type': 'proc', 'source': 'proc' },"
                "    { 'destination': '/dev', 'type': 'tmpfs', 'source': 'tmpfs',"
                "      'options': ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },"
                "    { 'destination': '/dev/pts', 'type': 'devpts', 'source': 'devpts',"
                "      'options': ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },"
                "    { 'destination': '/dev/shm', 'type': 'tmpfs', 'source': 'shm',"
                "      'options': ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },"
                "    { 'destination': '/dev/mqueue', 'type': 'mqueue', 'source': 'mqueue',"
                "      'options': ['nosuid', 'noexec', 'nodev'] },"
                "    { 'destination': '/sys', 'type': 'sysfs', 'source': 'sysfs',"
                "      'options': ['nosuid', 'noexec', 'nodev', 'ro'] },"
                "    { 'destination': '/sys/fs/cgroup', 'type': 'cgroup', 'source': 'cgroup',"
                "      'options': ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] } ],"
                "  'linux': {"
                "    'resources': { 'devices': [{ 'allow': false, 'access': 'rwm' }] },"
                "    'namespaces': [{ 'type': 'pid' }, { 'type': 'network' }, { 'type': 'ipc' },"
                "                   { 'type': 'uts' }, { 'type': 'mount' }],"
                "    'maskedPaths': ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys',"
                "      '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug',"
                "      '/sys/firmware', '/proc/scsi'],"
                "    'readonlyPaths': ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'] } }";
        char *args[] = { "sh" };
        Grpc__Spec *parsed = parse_ok(runc_default, NULL), *built = NULL;

        assert_int_equal(oci_spec_default("/rootfs", args, 1, true, &built, NULL), 0);
        size_t len = protobuf_c_message_get_packed_size(&built->base);
        assert_int_equal(protobuf_c_message_get_packed_size(&parsed->base), len);
        _cleanup_free_ uint8_t *a = malloc(len), *b = malloc(len);
        assert_non_null(a);
        assert_non_null(b);
        protobuf_c_message_pack(&built->base, a);
        protobuf_c_message_pack(&parsed->base, b);
        assert_memory_equal(a, b, len);
        spec_free(parsed);
        spec_free(built);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default),
                cmocka_unit_test(test_default_roundtrip),
                cmocka_unit_test(test_default_matches_runc_json),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
