/* SPDX-License-Identifier: Apache-2.0 */
/* kinglet-ctl's --storage / --device SPEC parser, PCI paths, and the device entries it adds to a spec. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ctl/spec_storage.h"

static Grpc__Storage *storage_ok(const char *text)
{
        struct rpc_error e = { 0 };
        Grpc__Storage *s = NULL;
        int r = ctl_storage_parse(text, &s, &e);
        if (r != 0)
                fail_msg("`%s`: %d %s", text, r, e.msg);
        assert_non_null(s);
        assert_true(protobuf_c_message_check(&s->base));
        return s;
}

/* Refused with `want_r`, a message containing `want`, and *ret untouched. */
static void storage_err(const char *text, int want_r, const char *want)
{
        struct rpc_error e = { 0 };
        Grpc__Storage *const untouched = (Grpc__Storage *)(uintptr_t)0x5a5a;
        Grpc__Storage *s = untouched;
        int r = ctl_storage_parse(text, &s, &e);
        if (r != want_r || !strstr(e.msg, want))
                fail_msg("`%.80s`: got %d `%s`, want %d `%s`", text, r, e.msg, want_r, want);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_ptr_equal(s, untouched);
}

static void device_err(const char *text, const char *want)
{
        struct rpc_error e = { 0 };
        Grpc__Device *d = NULL;
        int r = ctl_device_parse(text, &d, &e);
        if (r != -EINVAL || !strstr(e.msg, want))
                fail_msg("`%.80s`: got %d `%s`, want `%s`", text, r, e.msg, want);
        assert_null(d);
}

static void test_storage_full(void **state)
{
        (void)state;
        Grpc__Storage *s = storage_ok("driver=blk,source=02/00,fstype=ext4,"
                                      "mount=/run/kata-containers/sandbox/storage/rootfs,option=ro,option=noatime,"
                                      "driver-option=a=b,fs-group=1000:on-root-mismatch,shared");
        assert_string_equal(s->driver, "blk");
        assert_string_equal(s->source, "02/00");
        assert_string_equal(s->fstype, "ext4");
        assert_string_equal(s->mount_point, "/run/kata-containers/sandbox/storage/rootfs");
        assert_int_equal(s->n_options, 2);
        assert_string_equal(s->options[0], "ro");
        assert_string_equal(s->options[1], "noatime");
        assert_int_equal(s->n_driver_options, 1);
        assert_string_equal(s->driver_options[0], "a=b");
        assert_non_null(s->fs_group);
        assert_int_equal(s->fs_group->group_id, 1000);
        assert_int_equal(s->fs_group->group_change_policy, TYPES__FSGROUP_CHANGE_POLICY__OnRootMismatch);
        assert_true(s->shared);
        protobuf_c_message_free_unpacked(&s->base, NULL);
}

static void test_storage_minimal_and_defaults(void **state)
{
        (void)state;
        Grpc__Storage *s = storage_ok("mount=/m,driver=ephemeral");
        assert_string_equal(s->driver, "ephemeral");
        assert_string_equal(s->mount_point, "/m");
        assert_string_equal(s->source, "");
        assert_int_equal(s->n_options, 0);
        assert_null(s->fs_group);
        assert_false(s->shared);
        protobuf_c_message_free_unpacked(&s->base, NULL);

        s = storage_ok("driver=local,mount=/m,fs-group=5,shared=false");
        assert_int_equal(s->fs_group->group_id, 5);
        assert_int_equal(s->fs_group->group_change_policy, TYPES__FSGROUP_CHANGE_POLICY__Always);
        assert_false(s->shared);
        protobuf_c_message_free_unpacked(&s->base, NULL);

        s = storage_ok("driver=local,mount=/m,fs-group=4294967295:Always,shared=true");
        assert_int_equal(s->fs_group->group_id, 4294967295u);
        assert_true(s->shared);
        protobuf_c_message_free_unpacked(&s->base, NULL);
}

static void test_storage_escapes(void **state)
{
        (void)state;
        /* '=' inside values; "\," a comma and "\\" a backslash inside a value. */
        Grpc__Storage *s = storage_ok("driver=overlayfs,mount=/m,option=lowerdir=/a:/b\\,upperdir=/u\\,workdir=/w,"
                                      "option=mode=1777,source=c:\\\\x");
        assert_int_equal(s->n_options, 2);
        assert_string_equal(s->options[0], "lowerdir=/a:/b,upperdir=/u,workdir=/w");
        assert_string_equal(s->options[1], "mode=1777");
        assert_string_equal(s->source, "c:\\x");
        protobuf_c_message_free_unpacked(&s->base, NULL);

        /* An escaped backslash before a real comma: the comma still separates. */
        s = storage_ok("driver=bind,source=x\\\\,mount=/m");
        assert_string_equal(s->source, "x\\");
        protobuf_c_message_free_unpacked(&s->base, NULL);
}

static void test_storage_refusals(void **state)
{
        (void)state;
        storage_err("", -EINVAL, "empty");
        storage_err("driver=blk,mount=/m,colour=red", -EINVAL, "unknown key `colour` (storage keys: driver, source");
        storage_err("driver=blk,mount=/m,Driver=x", -EINVAL, "unknown key `Driver`");
        storage_err("driver=blk", -EINVAL, "mount= is required");
        storage_err("mount=/m", -EINVAL, "driver= is required");
        storage_err("driver,mount=/m", -EINVAL, "driver needs a value (driver=...)");
        storage_err("driver=,mount=/m", -EINVAL, "driver needs a value");
        storage_err("driver=blk,mount=/m,option=", -EINVAL, "option needs a value");
        storage_err("driver=blk,driver=scsi,mount=/m", -EINVAL, "driver given twice");
        storage_err("driver=blk,mount=/m,shared,shared", -EINVAL, "shared given twice");
        storage_err("driver=blk,mount=/m,shared=yes", -EINVAL, "shared takes no value (or true/false)");
        storage_err("driver=blk,,mount=/m", -EINVAL, "empty item");
        storage_err("driver=blk,mount=/m,", -EINVAL, "empty item");
        storage_err(",driver=blk,mount=/m", -EINVAL, "empty item");
        storage_err("=x,driver=blk,mount=/m", -EINVAL, "unknown key ``");
        storage_err("driver=b\\lk,mount=/m", -EINVAL, "a backslash escapes only");
        storage_err("driver=blk,mount=/m\\", -EINVAL, "a backslash escapes only");
        storage_err("driver=local,mount=/m,fs-group=", -EINVAL, "fs-group needs a value");
        storage_err("driver=local,mount=/m,fs-group=abc", -EINVAL, "fs-group wants GID[:always|:on-root-mismatch]");
        storage_err("driver=local,mount=/m,fs-group=-1", -EINVAL, "fs-group wants");
        storage_err("driver=local,mount=/m,fs-group=+1", -EINVAL, "fs-group wants");
        storage_err("driver=local,mount=/m,fs-group=4294967296", -EINVAL, "fs-group wants");
        storage_err("driver=local,mount=/m,fs-group=1:", -EINVAL, "fs-group wants");
        storage_err("driver=local,mount=/m,fs-group=1:sometimes", -EINVAL, "fs-group wants");
        storage_err("driver=local,mount=/m,fs-group=:always", -EINVAL, "fs-group wants");
        storage_err("driver=local,mount=/m,fs-group=1,fs-group=2", -EINVAL, "fs-group given twice");
}

static void test_storage_bounds(void **state)
{
        (void)state;
        char text[CTL_SPEC_MAX_LEN + 64];
        /* 64 options are fine, the 65th is not. */
        int n = snprintf(text, sizeof text, "driver=blk,mount=/m");
        for (int i = 0; i < CTL_SPEC_MAX_REPEAT; i++)
                n += snprintf(text + n, sizeof text - (size_t)n, ",option=o%d", i);
        Grpc__Storage *s = storage_ok(text);
        assert_int_equal(s->n_options, CTL_SPEC_MAX_REPEAT);
        assert_string_equal(s->options[63], "o63");
        protobuf_c_message_free_unpacked(&s->base, NULL);
        snprintf(text + n, sizeof text - (size_t)n, ",option=one-too-many");
        storage_err(text, -E2BIG, "more than 64 option= items");

        /* Exactly CTL_SPEC_MAX_LEN bytes parse; one more does not. */
        n = snprintf(text, sizeof text, "driver=blk,mount=/");
        memset(text + n, 'a', CTL_SPEC_MAX_LEN - (size_t)n);
        text[CTL_SPEC_MAX_LEN] = '\0';
        s = storage_ok(text);
        assert_int_equal(strlen(s->mount_point), CTL_SPEC_MAX_LEN - strlen("driver=blk,mount="));
        protobuf_c_message_free_unpacked(&s->base, NULL);
        text[CTL_SPEC_MAX_LEN] = 'a';
        text[CTL_SPEC_MAX_LEN + 1] = '\0';
        storage_err(text, -E2BIG, "longer than 4096 bytes");
}

static void test_device(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        Grpc__Device *d = NULL;
        assert_int_equal(ctl_device_parse("type=blk,id=02/00,container-path=/dev/xda,vm-path=/dev/vda,option=a,"
                                          "option=b",
                                          &d, &e),
                         0);
        assert_string_equal(d->type, "blk");
        assert_string_equal(d->id, "02/00");
        assert_string_equal(d->container_path, "/dev/xda");
        assert_string_equal(d->vm_path, "/dev/vda");
        assert_int_equal(d->n_options, 2);
        assert_string_equal(d->options[1], "b");
        assert_true(protobuf_c_message_check(&d->base));
        protobuf_c_message_free_unpacked(&d->base, NULL);

        device_err("id=02/00", "type= is required");
        device_err("type=blk,mount=/x", "unknown key `mount` (device keys: type, id, vm-path, container-path, option)");
        device_err("type=blk,container-path=dev/xda", "container-path `dev/xda` is not absolute");
        device_err("type=blk,id", "id needs a value");
        device_err("type=blk,type=scsi", "type given twice");
}

static void test_pci_path(void **state)
{
        (void)state;
        uint32_t slots[CTL_PCI_PATH_MAX] = { 0 };
        size_t n = 99;
        assert_int_equal(ctl_pci_path_parse("02/00", slots, CTL_PCI_PATH_MAX, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(slots[0], 2);
        assert_int_equal(slots[1], 0);
        assert_int_equal(ctl_pci_path_parse("1f", slots, CTL_PCI_PATH_MAX, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(slots[0], 0x1f);
        assert_int_equal(ctl_pci_path_parse("0A/3/1F", slots, CTL_PCI_PATH_MAX, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(slots[0], 10);
        assert_int_equal(slots[1], 3);
        assert_int_equal(slots[2], 31);

        static const char *const bad[] = { "", "/", "02/", "/02", "02//00", "20", "002", "0g", "02.1", "02/00 ",
                                           "-1", "0x02" };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                n = 99;
                if (ctl_pci_path_parse(bad[i], slots, CTL_PCI_PATH_MAX, &n) != -EINVAL)
                        fail_msg("`%s` was accepted", bad[i]);
                assert_int_equal(n, 99);
        }
        /* Deeper than the array: refused, slots untouched past the limit. */
        assert_int_equal(ctl_pci_path_parse("01/02/03", slots, 2, &n), -E2BIG);
        assert_int_equal(n, 99);
        assert_int_equal(ctl_pci_path_parse("00/00/00/00/00/00/00/00/00/00/00/00/00/00/00/00/00", slots,
                                            CTL_PCI_PATH_MAX, &n),
                         -E2BIG);
}

static Grpc__Device *device(const char *text)
{
        struct rpc_error e = { 0 };
        Grpc__Device *d = NULL;
        if (ctl_device_parse(text, &d, &e) < 0)
                fail_msg("%s: %s", text, e.msg);
        return d;
}

static Grpc__Spec *empty_spec(void)
{
        Grpc__Spec *s = malloc(sizeof *s);
        assert_non_null(s);
        grpc__spec__init(s);
        return s;
}

static void free_devices(Grpc__Device **devs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                protobuf_c_message_free_unpacked(&devs[i]->base, NULL);
}

static void assert_node(const Grpc__LinuxDevice *d, const char *path, const char *type)
{
        assert_string_equal(d->path, path);
        assert_string_equal(d->type, type);
        assert_int_equal(d->major, 0);
        assert_int_equal(d->minor, 0);
        assert_int_equal(d->filemode, 0660);
        assert_int_equal(d->uid, 0);
        assert_int_equal(d->gid, 0);
}

static void assert_rule(const Grpc__LinuxDeviceCgroup *r, const char *type)
{
        assert_true(r->allow);
        assert_string_equal(r->type, type);
        assert_int_equal(r->major, 0);
        assert_int_equal(r->minor, 0);
        assert_string_equal(r->access, "rwm");
}

static void test_node_types(void **state)
{
        (void)state;
        static const char *const block[] = { "blk", "blk-ccw", "mmioblk", "scsi", "nvdimm" };
        static const char *const chr[] = { "vfio-pci", "vfio-pci-gk", "vfio-ap", "vfio-ap-cold", "vfio", "vfio-gk" };
        for (size_t i = 0; i < sizeof block / sizeof *block; i++)
                assert_int_equal(ctl_device_node_type(block[i]), 'b');
        for (size_t i = 0; i < sizeof chr / sizeof *chr; i++)
                assert_int_equal(ctl_device_node_type(chr[i]), 'c');
        assert_int_equal(ctl_device_node_type("virtio-fs"), 0);
        assert_int_equal(ctl_device_node_type("BLK"), 0);
        assert_int_equal(ctl_device_node_type(NULL), 0);
}

static void test_spec_devices(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        Grpc__Device *devs[3] = { device("type=blk,id=02/00,container-path=/dev/xda"),
                                  device("type=vfio-pci,id=0000:00:05.0,container-path=/dev/vfio/1"),
                                  device("type=mmioblk,vm-path=/dev/vdc") };
        Grpc__Spec *spec = empty_spec();
        assert_int_equal(ctl_spec_add_devices(spec, devs, 3, &e), 0);
        assert_non_null(spec->linux);
        /* The device without a container path gets no entry. */
        assert_int_equal(spec->linux->n_devices, 2);
        assert_node(spec->linux->devices[0], "/dev/xda", "b");
        assert_node(spec->linux->devices[1], "/dev/vfio/1", "c");
        assert_non_null(spec->linux->resources);
        assert_int_equal(spec->linux->resources->n_devices, 2);
        assert_rule(spec->linux->resources->devices[0], "b");
        assert_rule(spec->linux->resources->devices[1], "c");
        assert_true(protobuf_c_message_check(&spec->base));
        protobuf_c_message_free_unpacked(&spec->base, NULL);
        free_devices(devs, 3);
}

/* A spec with a deny-all rule (as the default spec has) and its own /dev/xda. */
static Grpc__Spec *spec_with_own_device(void)
{
        Grpc__Spec *spec = empty_spec();
        spec->linux = malloc(sizeof *spec->linux);
        grpc__linux__init(spec->linux);
        spec->linux->resources = malloc(sizeof *spec->linux->resources);
        grpc__linux_resources__init(spec->linux->resources);
        Grpc__LinuxDeviceCgroup *deny = malloc(sizeof *deny);
        grpc__linux_device_cgroup__init(deny);
        deny->major = deny->minor = -1;
        deny->access = strdup("rwm");
        spec->linux->resources->devices = malloc(sizeof *spec->linux->resources->devices);
        spec->linux->resources->devices[0] = deny;
        spec->linux->resources->n_devices = 1;
        Grpc__LinuxDevice *own = malloc(sizeof *own);
        grpc__linux_device__init(own);
        own->path = strdup("/dev/xda");
        own->type = strdup("b");
        own->major = 8;
        own->filemode = 0600;
        spec->linux->devices = malloc(sizeof *spec->linux->devices);
        spec->linux->devices[0] = own;
        spec->linux->n_devices = 1;
        return spec;
}

static void test_spec_devices_keeps_the_spec_own(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        Grpc__Device *devs[2] = { device("type=blk,id=02/00,container-path=/dev/xda"),
                                  device("type=scsi,id=0:1,container-path=/dev/sdz") };
        Grpc__Spec *spec = spec_with_own_device();
        assert_int_equal(ctl_spec_add_devices(spec, devs, 2, &e), 0);
        /* /dev/xda stays as config.json wrote it; /dev/sdz is added, its rule after the deny-all. */
        assert_int_equal(spec->linux->n_devices, 2);
        assert_int_equal(spec->linux->devices[0]->major, 8);
        assert_int_equal(spec->linux->devices[0]->filemode, 0600);
        assert_node(spec->linux->devices[1], "/dev/sdz", "b");
        assert_int_equal(spec->linux->resources->n_devices, 2);
        assert_false(spec->linux->resources->devices[0]->allow);
        assert_rule(spec->linux->resources->devices[1], "b");
        protobuf_c_message_free_unpacked(&spec->base, NULL);
        free_devices(devs, 2);
}

static void test_spec_devices_refusals(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        Grpc__Device *dup[2] = { device("type=blk,id=02/00,container-path=/dev/xda"),
                                 device("type=scsi,id=0:1,container-path=/dev/xda") };
        Grpc__Spec *spec = empty_spec();
        assert_int_equal(ctl_devices_check(dup, 2, &e), -EINVAL);
        assert_string_equal(e.msg, "two devices with container-path `/dev/xda`");
        assert_int_equal(ctl_spec_add_devices(spec, dup, 2, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_null(spec->linux); /* refused before any change */
        free_devices(dup, 2);

        Grpc__Device *unknown[2] = { device("type=blk,id=02/00,container-path=/dev/xda"),
                                     device("type=floppy,id=0,container-path=/dev/fd0") };
        assert_int_equal(ctl_spec_add_devices(spec, unknown, 2, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "device type `floppy` with container-path `/dev/fd0`: not known"));
        assert_null(spec->linux);
        free_devices(unknown, 2);

        /* An unknown type without a container path is the agent's to judge. */
        Grpc__Device *passthrough[1] = { device("type=floppy,id=0") };
        assert_int_equal(ctl_spec_add_devices(spec, passthrough, 1, &e), 0);
        assert_null(spec->linux);
        free_devices(passthrough, 1);
        protobuf_c_message_free_unpacked(&spec->base, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_storage_full),
                cmocka_unit_test(test_storage_minimal_and_defaults),
                cmocka_unit_test(test_storage_escapes),
                cmocka_unit_test(test_storage_refusals),
                cmocka_unit_test(test_storage_bounds),
                cmocka_unit_test(test_device),
                cmocka_unit_test(test_pci_path),
                cmocka_unit_test(test_node_types),
                cmocka_unit_test(test_spec_devices),
                cmocka_unit_test(test_spec_devices_keeps_the_spec_own),
                cmocka_unit_test(test_spec_devices_refusals),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
