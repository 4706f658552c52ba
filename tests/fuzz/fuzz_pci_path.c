/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the device addresses a client names in
 * Device.id / Storage.source: Kata's PCI paths ("02/00", pci_path_parse)
 * and SCSI addresses ("TARGET:LUN", scsi_addr_parse). The input is the text.
 *
 * Invariants checked (a violation traps):
 *   - a refusal leaves the output untouched;
 *   - an accepted PCI path has 1..PCI_PATH_MAX_DEPTH slots, each <= PCI_SLOT_MAX,
 *     formats back to the same text in lower case, and that text parses to
 *     the same path; resolved against a private fake sysfs (one bridge at
 *     slot 02 with a device at slot 00 behind it), it finds exactly "02/00"
 *     and fails with -ENOENT/-ENODEV elsewhere, never touching the real /sys;
 *   - an accepted SCSI address has both numbers <= SCSI_ID_MAX, and
 *     "%u:%u" of them parses back to the same pair (the same text when the
 *     input had no leading zeros).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device_lookup.h"
#include "pci_path.h"

/* Inputs longer than this cannot be either address: the parsers see a cut copy. */
#define TEXT_MAX 256

static char sysfs[64];

/* <sysfs>/devices/pci0000:00/<rel> */
static void make_dir(const char *rel)
{
        char path[256];
        snprintf(path, sizeof path, "%s/devices/pci0000:00%s", sysfs, rel);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                abort();
}

static void remove_tree(void)
{
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", sysfs);
        if (system(cmd) != 0)
                fprintf(stderr, "fuzz_pci_path: cannot remove %s\n", sysfs);
}

/* <sysfs>/devices/pci0000:00/0000:00:02.0 (a bridge to bus 01) / 0000:01:00.0. */
static void make_sysfs(void)
{
        snprintf(sysfs, sizeof sysfs, "/tmp/kingfuzz-pci-XXXXXX");
        if (!mkdtemp(sysfs))
                abort();
        atexit(remove_tree);
        char devices[128];
        snprintf(devices, sizeof devices, "%s/devices", sysfs);
        if (mkdir(devices, 0755) < 0)
                abort();
        make_dir("");
        make_dir("/0000:00:02.0");
        make_dir("/0000:00:02.0/pci_bus");
        make_dir("/0000:00:02.0/pci_bus/0000:01");
        make_dir("/0000:00:02.0/0000:01:00.0");
}

static void check_pci_path(const char *s)
{
        struct pci_path p, q;
        memset(&p, 0xa5, sizeof p);
        struct pci_path untouched = p;

        int r = pci_path_parse(s, &p);
        if (r < 0) {
                if ((r != -EINVAL && r != -E2BIG) || memcmp(&p, &untouched, sizeof p) != 0)
                        __builtin_trap();
                return;
        }
        if (p.n == 0 || p.n > PCI_PATH_MAX_DEPTH)
                __builtin_trap();
        char text[PCI_PATH_STRING_MAX + 1], *w = text;
        for (size_t i = 0; i < p.n; i++) {
                if (p.slot[i] > PCI_SLOT_MAX)
                        __builtin_trap();
                w += sprintf(w, "%s%02x", i ? "/" : "", p.slot[i]);
        }
        if (strlen(s) != strlen(text) || strncasecmp(s, text, strlen(text)) != 0)
                __builtin_trap();
        if (pci_path_parse(text, &q) != 0 || q.n != p.n || memcmp(q.slot, p.slot, p.n) != 0)
                __builtin_trap();

        char dir[512], bdf[32];
        r = pci_path_to_sysfs(sysfs, &p, dir, sizeof dir, bdf, sizeof bdf);
        bool bridge_then_device = p.n == 2 && p.slot[0] == 2 && p.slot[1] == 0;
        if (bridge_then_device) {
                if (r != 0 || strcmp(bdf, "0000:01:00.0") != 0 ||
                    !strstr(dir, "/0000:00:02.0/0000:01:00.0"))
                        __builtin_trap();
        } else if (r != -ENOENT && r != -ENODEV && !(r == 0 && p.n == 1 && p.slot[0] == 2)) {
                __builtin_trap();
        }
}

static void check_scsi_addr(const char *s)
{
        uint32_t target = 0xdeadbeef, lun = 0xfeedface, t2, l2;
        if (scsi_addr_parse(s, &target, &lun) < 0) {
                if (target != 0xdeadbeef || lun != 0xfeedface)
                        __builtin_trap();
                return;
        }
        if (target > SCSI_ID_MAX || lun > SCSI_ID_MAX)
                __builtin_trap();
        char text[32];
        snprintf(text, sizeof text, "%u:%u", target, lun);
        if (scsi_addr_parse(text, &t2, &l2) != 0 || t2 != target || l2 != lun)
                __builtin_trap();
        const char *colon = strchr(s, ':');
        bool canonical = !(s[0] == '0' && s != colon - 1) && !(colon[1] == '0' && colon[2] != '\0');
        if (canonical && strcmp(s, text) != 0)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char s[TEXT_MAX + 1];
        if (!sysfs[0])
                make_sysfs();
        size = size > TEXT_MAX ? TEXT_MAX : size;
        memcpy(s, data, size);
        s[size] = '\0';
        check_pci_path(s);
        check_scsi_addr(s);
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
