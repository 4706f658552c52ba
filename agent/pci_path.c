/* SPDX-License-Identifier: Apache-2.0 */
#include "pci_path.h"

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "util.h"

int pci_path_parse(const char *s, struct pci_path *ret)
{
        struct pci_path p = { 0 };
        if (!s)
                return -EINVAL;
        for (const char *c = s;; c += 3) {
                int hi = hex_digit_value(c[0]), lo = hi >= 0 ? hex_digit_value(c[1]) : -1;
                if (hi < 0 || lo < 0 || (c[2] != '/' && c[2] != '\0'))
                        return -EINVAL;
                if (p.n == PCI_PATH_MAX_DEPTH)
                        return -E2BIG;
                int slot = hi * 16 + lo;
                if (slot > PCI_SLOT_MAX)
                        return -EINVAL;
                p.slot[p.n++] = (uint8_t)slot;
                if (c[2] == '\0')
                        break;
        }
        *ret = p;
        return 0;
}

static bool is_dir(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The one bus a bridge at `dir` exposes ("0000:01"), from <dir>/pci_bus/. */
static int bridge_bus(const char *dir, char *bus, size_t size)
{
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/pci_bus", dir) >= sizeof path)
                return -ENAMETOOLONG;
        _cleanup_closedir_ DIR *d = opendir(path);
        if (!d)
                return errno == ENOENT ? -ENODEV : -errno;
        struct dirent *de;
        size_t n = 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && n++ == 0 && (size_t)snprintf(bus, size, "%s", de->d_name) >= size)
                        return -ENAMETOOLONG;
        return n == 1 ? 0 : -ENODEV;
}

int pci_path_to_sysfs(const char *sysfs_root, const struct pci_path *p, char *dir, size_t dir_size,
                      char *bdf, size_t bdf_size)
{
        char path[PATH_MAX], bus[32] = "0000:00", addr[48];
        int len = snprintf(path, sizeof path, "%s/devices/pci0000:00", sysfs_root);
        if (p->n == 0 || len < 0 || (size_t)len >= sizeof path)
                return p->n == 0 ? -EINVAL : -ENAMETOOLONG;
        for (size_t i = 0; i < p->n; i++) {
                snprintf(addr, sizeof addr, "%s:%02x.0", bus, p->slot[i]);
                int add = snprintf(path + len, sizeof path - (size_t)len, "/%s", addr);
                if (add < 0 || (size_t)add >= sizeof path - (size_t)len)
                        return -ENAMETOOLONG;
                len += add;
                if (!is_dir(path))
                        return -ENOENT;
                if (i + 1 < p->n) {
                        int r = bridge_bus(path, bus, sizeof bus);
                        if (r < 0)
                                return r;
                }
        }
        if (strlen(path) >= dir_size || strlen(addr) >= bdf_size)
                return -ENAMETOOLONG;
        memcpy(dir, path, strlen(path) + 1);
        memcpy(bdf, addr, strlen(addr) + 1);
        return 0;
}
