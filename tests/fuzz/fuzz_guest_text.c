/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the guest-RPC text parsers: the first byte chooses
 * one, the rest is its input. A mountinfo line (volume_mount_parse_line) is
 * parsed into terminated fields, or refused with its output untouched; the
 * /proc readers of GetMetrics (meminfo, loadavg, status) fill the sample
 * whatever the text, and the sample always formats within METRICS_TEXT_MAX.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "volume_mount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_mountinfo(const char *text)
{
        static struct volume_mount m, sentinel;
        memset(&sentinel, 0x5a, sizeof sentinel);
        m = sentinel;
        int r = volume_mount_parse_line(text, &m);
        if (r < 0) {
                if (r != -EINVAL || memcmp(&m, &sentinel, sizeof m) != 0)
                        __builtin_trap();
                return;
        }
        if (r != 0 || !memchr(m.mount_point, '\0', sizeof m.mount_point) || !memchr(m.fstype, '\0', sizeof m.fstype) ||
            !memchr(m.source, '\0', sizeof m.source) || !m.mount_point[0] || !m.fstype[0] || !m.source[0])
                __builtin_trap();
        (void)volume_mount_holds(m.mount_point, "/run/kata-containers/x");
}

static void check_metrics(unsigned which, const char *text)
{
        static char out[METRICS_TEXT_MAX];
        struct metrics_sample s = { 0 };
        size_t len = 0;
        if (which == 1)
                metrics_parse_meminfo(text, &s);
        else if (which == 2) {
                if (metrics_parse_loadavg(text, &s) < 0 && s.have_load)
                        __builtin_trap();
        } else if (metrics_parse_status(text, &s) < 0 && s.have_status)
                __builtin_trap();
        if (metrics_format(&s, out, sizeof out, &len) != 0 || strlen(out) != len)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        char *text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        unsigned which = data[0] % 4;
        if (which == 0)
                check_mountinfo(text);
        else
                check_metrics(which, text);
        free(text);
        return 0;
}
