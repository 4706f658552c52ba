/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kata's PCI paths: "SS[/SS...]", one two-digit hex slot per bus level,
 * starting on the root bus (0000:00). "02/00" is slot 02 on the root bus —
 * a bridge — then slot 00 on the bus behind it; function 0 throughout.
 * Resolved against a sysfs root passed in (tests use a fake tree), so
 * nothing here touches the real /sys unless told to.
 */
#ifndef KINGLET_PCI_PATH_H
#define KINGLET_PCI_PATH_H

#include <stddef.h>
#include <stdint.h>

/* Bridges nest far less deeply than this in any VM Kata starts. */
#define PCI_PATH_MAX_DEPTH 8
#define PCI_SLOT_MAX 0x1f /* five bits of device number */
/* Longest text form: 8 levels of "SS/" less the last slash. */
#define PCI_PATH_STRING_MAX (PCI_PATH_MAX_DEPTH * 3 - 1)

struct pci_path {
        size_t n;
        uint8_t slot[PCI_PATH_MAX_DEPTH];
};

/*
 * "02/00" → {2, 0}. -EINVAL unless every component is exactly two hex digits
 * naming a slot ≤ 0x1f, separated by single '/', with nothing before or after;
 * -E2BIG past PCI_PATH_MAX_DEPTH levels. *ret untouched on failure.
 */
int pci_path_parse(const char *s, struct pci_path *ret);

/*
 * The device's sysfs directory, "<sysfs>/devices/pci0000:00/0000:00:02.0/0000:01:00.0",
 * and its address "0000:01:00.0". -ENOENT when a device on the way is not
 * there (not hotplugged yet); -ENODEV when a device the path goes through has
 * no single bus behind it (it is not a bridge); -ENAMETOOLONG.
 */
int pci_path_to_sysfs(const char *sysfs_root, const struct pci_path *p, char *dir, size_t dir_size,
                      char *bdf, size_t bdf_size);

#endif
