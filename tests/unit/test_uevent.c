/* SPDX-License-Identifier: Apache-2.0 */
/* uevent_parse: the kernel's NETLINK_KOBJECT_UEVENT messages, and what it refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uevent.h"

/* Messages are NUL-separated: build them from a list (the size includes every NUL). */
#define MSG(...) (const char[]){ __VA_ARGS__ }, sizeof((const char[]){ __VA_ARGS__ })

static int parse(const char *msg, size_t len, struct uevent *ev)
{
        return uevent_parse(msg, len, ev);
}

static void test_block_add(void **state)
{
        (void)state;
        static struct uevent ev;
        assert_int_equal(parse(MSG("add@/devices/pci0000:00/0000:00:02.0/virtio1/block/vda\0"
                                   "ACTION=add\0DEVPATH=/devices/pci0000:00/0000:00:02.0/virtio1/block/vda\0"
                                   "SUBSYSTEM=block\0MAJOR=253\0MINOR=0\0DEVNAME=vda\0DEVTYPE=disk\0"
                                   "DISKSEQ=9\0SEQNUM=1234"),
                               &ev),
                         0);
        assert_string_equal(ev.action, "add");
        assert_string_equal(ev.devpath, "/devices/pci0000:00/0000:00:02.0/virtio1/block/vda");
        assert_string_equal(ev.subsystem, "block");
        assert_string_equal(ev.devname, "vda");
        assert_string_equal(ev.devtype, "disk");
        assert_string_equal(ev.driver, "");
        assert_true(ev.has_devnum);
        assert_int_equal(ev.major, 253);
        assert_int_equal(ev.minor, 0);
        assert_int_equal(ev.seqnum, 1234);
        assert_int_equal(ev.n_vars, 9);
        assert_string_equal(uevent_get(&ev, "DISKSEQ"), "9");
        assert_string_equal(uevent_get(&ev, "MAJOR"), "253");
        assert_null(uevent_get(&ev, "DISK"));
        assert_null(uevent_get(&ev, "ID_FS_TYPE"));
}

static void test_minimal_and_trailing_nuls(void **state)
{
        (void)state;
        static struct uevent ev;
        /* A header alone (no variables), and a message with doubled and trailing NULs. */
        assert_int_equal(parse("change@/devices/virtual/block/loop3", 35, &ev), 0);
        assert_string_equal(ev.action, "change");
        assert_string_equal(ev.subsystem, "");
        assert_false(ev.has_devnum);
        assert_int_equal(ev.n_vars, 0);
        assert_int_equal(parse(MSG("bind@/devices/pci0000:00/0000:00:05.0\0\0DRIVER=vfio-pci\0\0"), &ev), 0);
        assert_string_equal(ev.driver, "vfio-pci");
        assert_int_equal(ev.n_vars, 1);
        assert_string_equal(uevent_get(&ev, "DRIVER"), "vfio-pci");
        /* MAJOR without MINOR is no device number. */
        assert_int_equal(parse(MSG("add@/devices/x\0MAJOR=7"), &ev), 0);
        assert_false(ev.has_devnum);
        /* An empty value is a value. */
        assert_int_equal(parse(MSG("add@/devices/x\0DEVNAME="), &ev), 0);
        assert_string_equal(ev.devname, "");
        assert_string_equal(uevent_get(&ev, "DEVNAME"), "");
}

static void test_refused(void **state)
{
        (void)state;
        static struct uevent ev, before;
        memset(&before, 0x5a, sizeof before);
        ev = before;
        /* libudev's re-broadcasts: not the kernel's. */
        assert_int_equal(parse(MSG("libudev\0\xfe\xed\xca\xfe"), &ev), -EPROTO);
        /* Not action@/devpath. */
        assert_int_equal(parse(MSG("add/devices/x"), &ev), -EINVAL);
        assert_int_equal(parse(MSG("@/devices/x"), &ev), -EINVAL);
        assert_int_equal(parse(MSG("add@devices/x"), &ev), -EINVAL);
        assert_int_equal(parse(MSG(""), &ev), -EINVAL);
        assert_int_equal(parse("", 0, &ev), -EINVAL);
        /* A variable without '=' or with an empty name. */
        assert_int_equal(parse(MSG("add@/devices/x\0SUBSYSTEM"), &ev), -EINVAL);
        assert_int_equal(parse(MSG("add@/devices/x\0=block"), &ev), -EINVAL);
        /* Variables that contradict the header. */
        assert_int_equal(parse(MSG("add@/devices/x\0ACTION=remove"), &ev), -EINVAL);
        assert_int_equal(parse(MSG("add@/devices/x\0DEVPATH=/devices/y"), &ev), -EINVAL);
        /* Numbers: digits only, in range. */
        assert_int_equal(parse(MSG("add@/devices/x\0MAJOR=-1"), &ev), -EINVAL);
        assert_int_equal(parse(MSG("add@/devices/x\0MINOR=4294967296"), &ev), -EINVAL);
        assert_int_equal(parse(MSG("add@/devices/x\0MINOR=12a"), &ev), -EINVAL);
        assert_int_equal(parse(MSG("add@/devices/x\0SEQNUM="), &ev), -EINVAL);
        assert_int_equal(parse(MSG("add@/devices/x\0SEQNUM=99999999999999999999999"), &ev), -EINVAL);
        /* The same variable twice. */
        assert_int_equal(parse(MSG("add@/devices/x\0SUBSYSTEM=block\0SUBSYSTEM=pci"), &ev), -EINVAL);
        assert_int_equal(parse(MSG("add@/devices/x\0MINOR=1\0MINOR=1"), &ev), -EINVAL);
        assert_int_equal(parse(MSG("add@/devices/x\0SEQNUM=1\0SEQNUM=2"), &ev), -EINVAL);
        assert_memory_equal(&ev, &before, sizeof ev); /* untouched on failure */
}

static void test_bounds(void **state)
{
        (void)state;
        static struct uevent ev;
        static char big[UEVENT_MSG_MAX + 2];
        /* Exactly the limit is fine; one more byte is not. */
        memset(big, 'a', sizeof big);
        memcpy(big, "add@/", 5);
        assert_int_equal(parse(big, UEVENT_MSG_MAX, &ev), 0);
        assert_int_equal(strlen(ev.devpath), UEVENT_MSG_MAX - 4);
        assert_int_equal(parse(big, UEVENT_MSG_MAX + 1, &ev), -EMSGSIZE);
        /* UEVENT_VARS_MAX variables are fine; one more is not. */
        size_t len = (size_t)snprintf(big, sizeof big, "add@/devices/x") + 1;
        for (int i = 0; i < UEVENT_VARS_MAX; i++)
                len += (size_t)snprintf(big + len, sizeof big - len, "K%d=v", i) + 1;
        assert_int_equal(parse(big, len, &ev), 0);
        assert_int_equal(ev.n_vars, UEVENT_VARS_MAX);
        assert_string_equal(uevent_get(&ev, "K63"), "v");
        len += (size_t)snprintf(big + len, sizeof big - len, "K64=v") + 1;
        assert_int_equal(parse(big, len, &ev), -E2BIG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_block_add),
                cmocka_unit_test(test_minimal_and_trailing_nuls),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
