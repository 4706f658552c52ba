/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel uevents as they arrive on a NETLINK_KOBJECT_UEVENT socket:
 * "ACTION@DEVPATH\0KEY=VALUE\0KEY=VALUE\0...". Pure parsing, no I/O: the
 * message is copied into the struct and the fields point into that copy.
 * Messages udev re-broadcasts ("libudev" + a binary header) are told apart
 * and refused, since only the kernel's own are trusted here.
 */
#ifndef KINGLET_UEVENT_H
#define KINGLET_UEVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's uevent buffer is 2048 bytes (UEVENT_BUFFER_SIZE); twice that leaves room. */
#define UEVENT_MSG_MAX 4096
/* The kernel allows 64 variables per event (UEVENT_NUM_ENVP). */
#define UEVENT_VARS_MAX 64

struct uevent {
        const char *action;    /* add, remove, change, move, online, offline, bind, unbind */
        const char *devpath;   /* under /sys, e.g. /devices/virtual/block/loop0 */
        const char *subsystem; /* "" when absent */
        const char *devname;   /* "" when absent; relative to /dev, e.g. "vda" or "vfio/3" */
        const char *devtype;   /* "" when absent; "disk", "partition" */
        const char *driver;    /* "" when absent */
        bool has_devnum;       /* MAJOR and MINOR both present and numeric */
        uint32_t major, minor;
        uint64_t seqnum;       /* 0 when absent */
        size_t n_vars;
        char buf[UEVENT_MSG_MAX + 1];
};

/*
 * Parses one message. -EMSGSIZE: longer than UEVENT_MSG_MAX. -EPROTO: a
 * libudev-format message. -EINVAL: not "action@/devpath", a variable without
 * '=', ACTION/DEVPATH disagreeing with the header, a bad MAJOR/MINOR/SEQNUM, a
 * variable the struct holds given twice.
 * -E2BIG: more than UEVENT_VARS_MAX variables. *ret is untouched on failure.
 */
int uevent_parse(const void *msg, size_t len, struct uevent *ret);

/* The value of a variable by name ("ID_FS_TYPE"), or NULL. */
const char *uevent_get(const struct uevent *ev, const char *key);

#endif
