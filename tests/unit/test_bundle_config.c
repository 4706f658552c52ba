/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent/bundle_config.c and spec_json.c: grpc.Spec -> <bundle>/config.json,
 * read back with kinglet-ctl's OCI reader (an independent table of runtime-spec
 * names), so a wrong or missing JSON name shows up as a field that did not
 * come back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle_config.h"
#include "oci_spec_test.h"
#include "util.h"

/* A message built in place: fields not named are zero (NULL strings pack as empty). */
#define MSG(type, lower, ...) \
        (&(type){ .base = PROTOBUF_C_MESSAGE_INIT(&grpc__##lower##__descriptor), __VA_ARGS__ })
#define STRV(...) ((char *[]){ __VA_ARGS__ })

struct bundle_dir {
        char path[64];
        int fd;
};

static int setup(void **state)
{
        static struct bundle_dir d;
        snprintf(d.path, sizeof d.path, "/tmp/bundle-config-XXXXXX");
        if (!mkdtemp(d.path))
                return -1;
        d.fd = open(d.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        *state = &d;
        return d.fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        struct bundle_dir *d = *state;
        (void)unlinkat(d->fd, "config.json", 0);
        (void)unlinkat(d->fd, ".config.json.tmp", 0);
        close(d->fd);
        return rmdir(d->path);
}

/* The names in the directory, sorted and space-separated. */
static char *dir_listing(const struct bundle_dir *d)
{
        static char out[256];
        struct dirent **names;
        size_t len = 0;
        int n = scandir(d->path, &names, NULL, alphasort);
        assert_true(n >= 0);
        out[0] = '\0';
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                if (!streq(name, ".") && !streq(name, "..")) {
                        int k = snprintf(out + len, sizeof out - len, "%s%s", len ? " " : "", name);
                        assert_true(k >= 0 && (size_t)k < sizeof out - len);
                        len += (size_t)k;
                }
                free(names[i]);
        }
        free(names);
        return out;
}

static char *read_config(const struct bundle_dir *d)
{
        static char buf[1 << 16];
        char path[128];
        snprintf(path, sizeof path, "%s/config.json", d->path);
        assert_int_equal(read_small_file(path, buf, sizeof buf, NULL), 0);
        return buf;
}

static Grpc__Spec *load(const struct bundle_dir *d)
{
        struct rpc_error e = { 0 };
        Grpc__Spec *s = NULL;
        if (oci_spec_load_bundle(d->path, &s, &e) < 0)
                fail_msg("kinglet-ctl cannot read what was written: %s", e.msg);
        return s;
}

/* Same bytes when packed: every field the reader fills came back as it was. */
static void assert_same_spec(const Grpc__Spec *a, const Grpc__Spec *b)
{
        size_t na = protobuf_c_message_get_packed_size(&a->base);
        size_t nb = protobuf_c_message_get_packed_size(&b->base);
        _cleanup_free_ uint8_t *ba = malloc(na + 1), *bb = malloc(nb + 1);
        assert_non_null(ba);
        assert_non_null(bb);
        assert_int_equal(protobuf_c_message_pack(&a->base, ba), na);
        assert_int_equal(protobuf_c_message_pack(&b->base, bb), nb);
        assert_int_equal(na, nb);
        assert_memory_equal(ba, bb, na);
}

/*
 * The rich spec must use every field of oci.proto (the first element of each
 * list is checked), so that a field added to the proto is not silently left out
 * of config.json. Solaris and Windows are placeholders never written.
 */
static void assert_all_set(const ProtobufCMessage *m, const char *path)
{
        const ProtobufCMessageDescriptor *d = m->descriptor;
        for (unsigned i = 0; i < d->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &d->fields[i];
                const char *p = (const char *)m + f->offset, *q = (const char *)m + f->quantifier_offset;
                const void *first = p;
                bool set;
                if (d == &grpc__spec__descriptor && (streq(f->name, "Solaris") || streq(f->name, "Windows")))
                        continue;
                if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                        set = *(const size_t *)q > 0;
                        first = *(void *const *)p;
                } else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                        set = *(const uint32_t *)q == f->id;
                } else if (f->type == PROTOBUF_C_TYPE_STRING) {
                        set = *(char *const *)p && **(char *const *)p;
                } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                        set = *(void *const *)p;
                } else if (f->type == PROTOBUF_C_TYPE_BOOL) {
                        set = *(const protobuf_c_boolean *)p;
                } else if (f->type == PROTOBUF_C_TYPE_UINT32 || f->type == PROTOBUF_C_TYPE_INT32) {
                        set = *(const uint32_t *)p;
                } else {
                        set = *(const uint64_t *)p;
                }
                if (!set)
                        fail_msg("the rich spec leaves %s.%s unset", path, f->name);
                if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                        char sub[256];
                        snprintf(sub, sizeof sub, "%s.%s", path, f->name);
                        assert_all_set(*(ProtobufCMessage *const *)first, sub);
                }
        }
}

static void test_rich_spec_round_trip(void **state)
{
        struct bundle_dir *d = *state;
        Grpc__Hook *hook = MSG(Grpc__Hook, hook, .path = "/usr/bin/nvidia-hook",
                               .args = STRV("hook", "prestart"), .n_args = 2, .env = STRV("A=1"), .n_env = 1,
                               .timeout = 5);
        Grpc__Hook *hook2 = MSG(Grpc__Hook, hook, .path = "/bin/true");
        Grpc__LinuxCapabilities caps = {
                .base = PROTOBUF_C_MESSAGE_INIT(&grpc__linux_capabilities__descriptor),
                .bounding = STRV("CAP_KILL", "CAP_CHOWN"), .n_bounding = 2,
                .effective = STRV("CAP_KILL"), .n_effective = 1,
                .inheritable = STRV("CAP_CHOWN"), .n_inheritable = 1,
                .permitted = STRV("CAP_KILL"), .n_permitted = 1,
                .ambient = STRV("CAP_KILL"), .n_ambient = 1,
        };
        Grpc__Process process = {
                .base = PROTOBUF_C_MESSAGE_INIT(&grpc__process__descriptor),
                .terminal = 1,
                .consolesize = MSG(Grpc__Box, box, .height = 25, .width = 80),
                .user = MSG(Grpc__User, user, .uid = 1000, .gid = 1001, .username = "app",
                            .additionalgids = (uint32_t[]){ 5, UINT32_MAX }, .n_additionalgids = 2),
                .args = STRV("sh", "-c", "echo \"hi\""), .n_args = 3,
                .env = STRV("PATH=/bin", "EMPTY="), .n_env = 2,
                .cwd = "/work",
                .capabilities = &caps,
                .rlimits = (Grpc__POSIXRlimit *[]){
                        MSG(Grpc__POSIXRlimit, posixrlimit, .type = "RLIMIT_NOFILE", .hard = UINT64_MAX,
                            .soft = 1024),
                        MSG(Grpc__POSIXRlimit, posixrlimit, .type = "RLIMIT_CORE") },
                .n_rlimits = 2,
                .nonewprivileges = 1,
                .apparmorprofile = "docker-default",
                .oomscoreadj = -500,
                .selinuxlabel = "system_u:system_r:container_t:s0",
        };
        Grpc__Spec spec = {
                .base = PROTOBUF_C_MESSAGE_INIT(&grpc__spec__descriptor),
                .version = "1.1.0",
                .hostname = "h\"o\\s\nt\t\x01\x7f-\xc3\xa9", /* escapes, a control byte, UTF-8 */
                .process = &process,
                .root = MSG(Grpc__Root, root, .path = "/run/kata-containers/x/rootfs", .readonly = 1),
                .mounts = (Grpc__Mount *[]){
                        MSG(Grpc__Mount, mount, .destination = "/data", .source = "/srv", .type = "bind",
                            .options = STRV("rbind", "ro"), .n_options = 2),
                        MSG(Grpc__Mount, mount, .destination = "/proc", .type = "proc") },
                .n_mounts = 2,
                .hooks = MSG(Grpc__Hooks, hooks, .prestart = (Grpc__Hook *[]){ hook, hook2 }, .n_prestart = 2,
                             .poststart = &hook, .n_poststart = 1, .poststop = &hook, .n_poststop = 1,
                             .createruntime = &hook, .n_createruntime = 1, .createcontainer = &hook,
                             .n_createcontainer = 1, .startcontainer = &hook, .n_startcontainer = 1),
                .annotations = (Grpc__Spec__AnnotationsEntry *[]){
                        MSG(Grpc__Spec__AnnotationsEntry, spec__annotations_entry, .key = "io.katacontainers.x",
                            .value = "1"),
                        MSG(Grpc__Spec__AnnotationsEntry, spec__annotations_entry, .key = "empty",
                            .value = "") },
                .n_annotations = 2,
        };
        Grpc__LinuxThrottleDevice *td = MSG(Grpc__LinuxThrottleDevice, linux_throttle_device, .major = 8,
                                            .minor = 16, .rate = UINT64_MAX);
        Grpc__LinuxBlockIO blkio = {
                .base = PROTOBUF_C_MESSAGE_INIT(&grpc__linux_block_io__descriptor),
                .weight = 10,
                .leafweight = 65535,
                .weightdevice = (Grpc__LinuxWeightDevice *[]){ MSG(Grpc__LinuxWeightDevice, linux_weight_device,
                                                                   .major = 8, .minor = 1, .weight = 500,
                                                                   .leafweight = 300) },
                .n_weightdevice = 1,
                .throttlereadbpsdevice = &td, .n_throttlereadbpsdevice = 1,
                .throttlewritebpsdevice = &td, .n_throttlewritebpsdevice = 1,
                .throttlereadiopsdevice = &td, .n_throttlereadiopsdevice = 1,
                .throttlewriteiopsdevice = &td, .n_throttlewriteiopsdevice = 1,
        };
        Grpc__LinuxResources res = {
                .base = PROTOBUF_C_MESSAGE_INIT(&grpc__linux_resources__descriptor),
                .devices = (Grpc__LinuxDeviceCgroup *[]){
                        MSG(Grpc__LinuxDeviceCgroup, linux_device_cgroup, .allow = 1, .type = "c", .major = 10,
                            .minor = 229, .access = "rw"),
                        MSG(Grpc__LinuxDeviceCgroup, linux_device_cgroup, .major = -1, .minor = -1,
                            .access = "rwm"),
                        MSG(Grpc__LinuxDeviceCgroup, linux_device_cgroup, .allow = 1, .type = "c", .major = 5,
                            .minor = 0) },
                .n_devices = 3,
                .memory = MSG(Grpc__LinuxMemory, linux_memory, .limit = 1 << 29, .reservation = 1 << 28,
                              .swap = -1, .kernel = 1, .kerneltcp = 2, .swappiness = 60, .disableoomkiller = 1),
                .cpu = MSG(Grpc__LinuxCPU, linux_cpu, .shares = 1024, .quota = -1, .period = 100000,
                           .realtimeruntime = 950000, .realtimeperiod = 1000000, .cpus = "0-3", .mems = "0"),
                .pids = MSG(Grpc__LinuxPids, linux_pids, .limit = 32771),
                .blockio = &blkio,
                .hugepagelimits = (Grpc__LinuxHugepageLimit *[]){
                        MSG(Grpc__LinuxHugepageLimit, linux_hugepage_limit, .pagesize = "2MB",
                            .limit = 209715200),
                        MSG(Grpc__LinuxHugepageLimit, linux_hugepage_limit, .pagesize = "1GB") },
                .n_hugepagelimits = 2,
                .network = MSG(Grpc__LinuxNetwork, linux_network, .classid = 1048577,
                               .priorities = (Grpc__LinuxInterfacePriority *[]){
                                       MSG(Grpc__LinuxInterfacePriority, linux_interface_priority,
                                           .name = "eth0", .priority = 500) },
                               .n_priorities = 1),
        };
        Grpc__LinuxSeccompArg *args[] = {
                MSG(Grpc__LinuxSeccompArg, linux_seccomp_arg, .index = 1, .value = 131072,
                    .valuetwo = UINT64_MAX, .op = "SCMP_CMP_MASKED_EQ"),
                MSG(Grpc__LinuxSeccompArg, linux_seccomp_arg, .op = "SCMP_CMP_EQ"),
        };
        Grpc__LinuxSyscall *syscalls[] = {
                MSG(Grpc__LinuxSyscall, linux_syscall, .names = STRV("personality"), .n_names = 1,
                    .action = "SCMP_ACT_ALLOW", .errno_ret_case = GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET,
                    .errnoret = 38, .args = args, .n_args = 2),
                /* An explicit errnoRet 0 is not the same as none. */
                MSG(Grpc__LinuxSyscall, linux_syscall, .names = STRV("mount"), .n_names = 1,
                    .action = "SCMP_ACT_ERRNO", .errno_ret_case = GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET),
                MSG(Grpc__LinuxSyscall, linux_syscall, .names = STRV("getcwd"), .n_names = 1,
                    .action = "SCMP_ACT_LOG"),
        };
        Grpc__Linux linux = {
                .base = PROTOBUF_C_MESSAGE_INIT(&grpc__linux__descriptor),
                .uidmappings = (Grpc__LinuxIDMapping *[]){
                        MSG(Grpc__LinuxIDMapping, linux_idmapping, .hostid = 100000, .containerid = 1,
                            .size = 65536),
                        MSG(Grpc__LinuxIDMapping, linux_idmapping, .size = 1) },
                .n_uidmappings = 2,
                .gidmappings = (Grpc__LinuxIDMapping *[]){
                        MSG(Grpc__LinuxIDMapping, linux_idmapping, .hostid = 200000, .containerid = 2,
                            .size = UINT32_MAX) },
                .n_gidmappings = 1,
                .sysctl = (Grpc__Linux__SysctlEntry *[]){
                        MSG(Grpc__Linux__SysctlEntry, linux__sysctl_entry, .key = "net.ipv4.ip_forward",
                            .value = "1"),
                        MSG(Grpc__Linux__SysctlEntry, linux__sysctl_entry, .key = "kernel.shmmax",
                            .value = "65536") },
                .n_sysctl = 2,
                .resources = &res,
                .cgroupspath = "/kata/x",
                .namespaces = (Grpc__LinuxNamespace *[]){
                        MSG(Grpc__LinuxNamespace, linux_namespace, .type = "network",
                            .path = "/var/run/netns/a"),
                        MSG(Grpc__LinuxNamespace, linux_namespace, .type = "pid") },
                .n_namespaces = 2,
                .devices = (Grpc__LinuxDevice *[]){
                        MSG(Grpc__LinuxDevice, linux_device, .path = "/dev/fuse", .type = "c", .major = 10,
                            .minor = 229, .filemode = 0666, .uid = 1, .gid = 6),
                        MSG(Grpc__LinuxDevice, linux_device, .path = "/dev/tty0", .type = "c", .major = 4) },
                .n_devices = 2,
                .seccomp = MSG(Grpc__LinuxSeccomp, linux_seccomp, .defaultaction = "SCMP_ACT_ERRNO",
                               .architectures = STRV("SCMP_ARCH_X86_64"), .n_architectures = 1,
                               .flags = STRV("SECCOMP_FILTER_FLAG_LOG"), .n_flags = 1,
                               .syscalls = syscalls, .n_syscalls = 3),
                .rootfspropagation = "rslave",
                .maskedpaths = STRV("/proc/kcore", "/sys/firmware"), .n_maskedpaths = 2,
                .readonlypaths = STRV("/proc/sys"), .n_readonlypaths = 1,
                .mountlabel = "system_u:object_r:container_file_t:s0",
                .intelrdt = MSG(Grpc__LinuxIntelRdt, linux_intel_rdt, .l3cacheschema = "L3:0=7f0"),
        };
        spec.linux = &linux;
        assert_all_set(&spec.base, "spec");

        assert_int_equal(bundle_config_write(d->fd, &spec), 0);
        assert_string_equal(dir_listing(d), "config.json");
        struct stat st;
        assert_int_equal(fstatat(d->fd, "config.json", &st, 0), 0);
        assert_int_equal(st.st_mode & 07777, 0600);

        /* runtime-spec's names, where they are not the proto name with its first letter lowered. */
        const char *text = read_config(d);
        static const char *const names[] = {
                "{\"ociVersion\":\"1.1.0\",", "\"oomScoreAdj\":-500", "\"additionalGids\":[5,4294967295]",
                "\"consoleSize\":{\"height\":25,\"width\":80}", "\"noNewPrivileges\":true", "\"uidMappings\":[",
                "\"gidMappings\":[", "\"hostID\":100000,\"containerID\":1,\"size\":65536",
                "\"cgroupsPath\":\"/kata/x\"",
                "\"blockIO\":{", "\"kernelTCP\":2", "\"disableOOMKiller\":true", "\"throttleReadIOPSDevice\":[",
                "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":209715200},"
                "{\"pageSize\":\"1GB\",\"limit\":0}]",
                "\"classID\":1048577", "\"intelRdt\":{\"l3CacheSchema\":\"L3:0=7f0\"}", "\"errnoRet\":38",
                "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":0}",
                "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_LOG\"}", "\"maskedPaths\":[\"/proc/kcore\",",
                "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":18446744073709551615,\"soft\":1024},"
                "{\"type\":\"RLIMIT_CORE\",\"hard\":0,\"soft\":0}]",
                "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmax\":\"65536\"}",
                "\"annotations\":{\"io.katacontainers.x\":\"1\",\"empty\":\"\"}",
                /* -1 is runtime-spec's absent major/minor; 0 is a number. */
                "{\"allow\":false,\"access\":\"rwm\"}",
                "{\"allow\":true,\"type\":\"c\",\"major\":5,\"minor\":0}",
                "{\"path\":\"/dev/tty0\",\"type\":\"c\",\"major\":4,\"minor\":0,\"uid\":0,\"gid\":0}",
                "{\"hostID\":0,\"containerID\":0,\"size\":1}", "\"capabilities\":{\"bounding\":[\"CAP_KILL\",",
                "\"hostname\":\"h\\\"o\\\\s\\nt\\t\\u0001\\u007f-\xc3\xa9\"",
        };
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (!strstr(text, names[i]))
                        fail_msg("expected `%s` in\n%s", names[i], text);

        Grpc__Spec *back = load(d);
        assert_string_equal(back->hostname, spec.hostname);
        ASSERT_STRV(back->process->args, back->process->n_args, "sh", "-c", "echo \"hi\"");
        assert_true(back->linux->resources->devices[1]->major == -1);
        assert_true(back->linux->resources->devices[2]->minor == 0);
        Grpc__LinuxSyscall **sc = back->linux->seccomp->syscalls;
        assert_int_equal(sc[1]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET);
        assert_int_equal(sc[2]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET__NOT_SET);
        assert_same_spec(&spec, back);
        protobuf_c_message_free_unpacked(&back->base, NULL);
}

/* What a sparse spec becomes, byte for byte: zeros left out except where they mean something. */
static void test_sparse_spec_exact_text(void **state)
{
        struct bundle_dir *d = *state;
        Grpc__Linux linux = {
                .base = PROTOBUF_C_MESSAGE_INIT(&grpc__linux__descriptor),
                .resources = MSG(Grpc__LinuxResources, linux_resources,
                                 .pids = MSG(Grpc__LinuxPids, linux_pids, .limit = 0)),
                .seccomp = MSG(Grpc__LinuxSeccomp, linux_seccomp, .defaultaction = "SCMP_ACT_ALLOW"),
        };
        Grpc__Spec spec = {
                .base = PROTOBUF_C_MESSAGE_INIT(&grpc__spec__descriptor),
                .version = "1.0.2",
                .process = MSG(Grpc__Process, process, .args = STRV("sh"), .n_args = 1,
                               .capabilities = MSG(Grpc__LinuxCapabilities, linux_capabilities, .n_ambient = 0)),
                .root = MSG(Grpc__Root, root, .path = "/r"),
                .linux = &linux,
                .solaris = MSG(Grpc__Solaris, solaris, .dummy = "x"),
                .windows = MSG(Grpc__Windows, windows, .dummy = "y"),
        };
        assert_int_equal(bundle_config_write(d->fd, &spec), 0);
        /* user is always there (uid/gid 0 are root), an empty capabilities object is kept. */
        assert_string_equal(read_config(d),
                            "{\"ociVersion\":\"1.0.2\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},"
                            "\"args\":[\"sh\"],\"cwd\":\"\",\"capabilities\":{}},\"root\":{\"path\":\"/r\"},"
                            "\"linux\":{\"resources\":{\"pids\":{\"limit\":0}},"
                            "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}\n");
        Grpc__Spec *back = load(d);
        assert_non_null(back->process->capabilities);
        assert_int_equal(back->process->user->uid, 0);
        spec.solaris = NULL;
        spec.windows = NULL;
        spec.process->user = MSG(Grpc__User, user, .uid = 0);
        assert_same_spec(&spec, back);
        protobuf_c_message_free_unpacked(&back->base, NULL);
}

/* A rewrite replaces the file whole; a failed one leaves the old file and no temporary. */
static void test_rewrite_and_size_limit(void **state)
{
        struct bundle_dir *d = *state;
        struct rpc_error e = { 0 };
        Grpc__Spec spec = {
                .base = PROTOBUF_C_MESSAGE_INIT(&grpc__spec__descriptor),
                .version = "1.0.2",
                .process = MSG(Grpc__Process, process, .args = STRV("first"), .n_args = 1),
        };
        int fd = openat(d->fd, ".config.json.tmp", O_WRONLY | O_CREAT | O_CLOEXEC, 0644); /* a stale one */
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(bundle_config_write_at(d->path, &spec, &e), 0);
        assert_string_equal(dir_listing(d), "config.json");
        assert_non_null(strstr(read_config(d), "\"args\":[\"first\"]"));
        spec.process->args = STRV("second");
        assert_int_equal(bundle_config_write(d->fd, &spec), 0);
        assert_non_null(strstr(read_config(d), "\"args\":[\"second\"]"));

        /* Over the limit: refused, the previous file untouched. */
        size_t n = BUNDLE_CONFIG_MAX + 1;
        _cleanup_free_ char *huge = malloc(n + 1);
        assert_non_null(huge);
        memset(huge, 'a', n);
        huge[n] = '\0';
        spec.hostname = huge;
        assert_int_equal(bundle_config_write(d->fd, &spec), -EFBIG);
        assert_int_equal(bundle_config_write_at(d->path, &spec, &e), -EFBIG);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(e.msg, "more than 16 MiB"));
        assert_string_equal(dir_listing(d), "config.json");
        assert_non_null(strstr(read_config(d), "\"args\":[\"second\"]"));

        /* No bundle: said so. Removal takes the file away. */
        char missing[96];
        snprintf(missing, sizeof missing, "%s/nowhere", d->path);
        e = (struct rpc_error){ 0 };
        assert_int_equal(bundle_config_write_at(missing, &spec, &e), -ENOENT);
        assert_int_equal(e.code, GRPC_INTERNAL);
        assert_non_null(strstr(e.msg, "cannot open the bundle"));
        bundle_config_remove(d->path);
        assert_string_equal(dir_listing(d), "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_rich_spec_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sparse_spec_exact_text, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rewrite_and_size_limit, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
