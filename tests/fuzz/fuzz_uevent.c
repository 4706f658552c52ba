/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for uevent_parse: any bytes, as a hostile process on the
 * netlink group could send them. On success every field must be a string
 * inside the event's own buffer, and the header fields must agree with the
 * variables that repeat them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uevent.h"

static struct uevent ev;

static void check_field(const char *s)
{
        if (!s)
                __builtin_trap();
        if (*s == '\0')
                return; /* "" for an absent field may be a literal */
        if (s < ev.buf || s >= ev.buf + sizeof ev.buf || !memchr(s, '\0', (size_t)(ev.buf + sizeof ev.buf - s)))
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (uevent_parse(data, size, &ev) < 0)
                return 0;
        check_field(ev.action);
        check_field(ev.devpath);
        check_field(ev.subsystem);
        check_field(ev.devname);
        check_field(ev.devtype);
        check_field(ev.driver);
        if (!*ev.action || ev.devpath[0] != '/' || ev.n_vars > UEVENT_VARS_MAX)
                __builtin_trap();
        const char *action = uevent_get(&ev, "ACTION");
        if (action && strcmp(action, ev.action) != 0)
                __builtin_trap();
        const char *subsystem = uevent_get(&ev, "SUBSYSTEM");
        if (subsystem && strcmp(subsystem, ev.subsystem) != 0)
                __builtin_trap();
        return 0;
}
