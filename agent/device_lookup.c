/* SPDX-License-Identifier: Apache-2.0 */
#include "device_lookup.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* The only entry of `dir` (not starting with '.'): -ENOENT when there is none. */
static int only_entry(const char *dir, char *name, size_t size)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.') {
                        if (strlen(de->d_name) >= size)
                                return -ENAMETOOLONG;
                        memcpy(name, de->d_name, strlen(de->d_name) + 1);
                        return 0;
                }
        return -ENOENT;
}

/* The one entry of DEVDIR/CLASS or DEVDIR/virtioN/CLASS: virtio devices hang their class under virtioN. */
static int class_name_under(const char *devdir, const char *class, char *name, size_t size)
{
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", devdir, class) >= sizeof path)
                return -ENAMETOOLONG;
        if (only_entry(path, name, size) == 0)
                return 0;
        _cleanup_closedir_ DIR *d = opendir(devdir);
        struct dirent *de;
        if (!d)
                return errno == ENOENT ? -ENOENT : -errno;
        while ((de = readdir(d))) {
                const char *num = startswith(de->d_name, "virtio");
                if (!num || !*num || strspn(num, "0123456789") != strlen(num))
                        continue;
                if ((size_t)snprintf(path, sizeof path, "%s/%s/%s", devdir, de->d_name, class) >= sizeof path)
                        return -ENAMETOOLONG;
                return only_entry(path, name, size);
        }
        return -ENOENT;
}

int block_name_under(const char *devdir, char *name, size_t size)
{
        return class_name_under(devdir, "block", name, size);
}

int net_name_under(const char *devdir, char *name, size_t size)
{
        return class_name_under(devdir, "net", name, size);
}

static int parse_scsi_number(const char *s, size_t len, uint32_t *ret)
{
        char num[8];
        uint32_t v;
        if (len == 0 || len >= sizeof num || strspn(s, "0123456789") < len)
                return -EINVAL;
        memcpy(num, s, len);
        num[len] = '\0';
        if (parse_u32(num, 10, &v) < 0 || v > SCSI_ID_MAX)
                return -EINVAL;
        *ret = v;
        return 0;
}

int scsi_addr_parse(const char *s, uint32_t *ret_target, uint32_t *ret_lun)
{
        uint32_t target, lun;
        const char *colon = s ? strchr(s, ':') : NULL;
        if (!colon || parse_scsi_number(s, (size_t)(colon - s), &target) < 0 ||
            parse_scsi_number(colon + 1, strlen(colon + 1), &lun) < 0)
                return -EINVAL;
        *ret_target = target;
        *ret_lun = lun;
        return 0;
}

int scsi_block_name(const char *sysfs_root, uint32_t target, uint32_t lun, char *name, size_t size)
{
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/bus/scsi/devices", sysfs_root) >= sizeof path)
                return -ENAMETOOLONG;
        _cleanup_closedir_ DIR *d = opendir(path);
        struct dirent *de;
        if (!d)
                return errno == ENOENT ? -ENOENT : -errno;
        while ((de = readdir(d))) {
                unsigned host, channel, t, l;
                int end = 0;
                /* Entries are H:C:T:L; hosts (hostN) and targets (targetH:C:T) are skipped by the format. */
                if (sscanf(de->d_name, "%u:%u:%u:%u%n", &host, &channel, &t, &l, &end) != 4 ||
                    de->d_name[end] != '\0' || channel != 0 || t != target || l != lun)
                        continue;
                char blk[PATH_MAX];
                if ((size_t)snprintf(blk, sizeof blk, "%s/%s/block", path, de->d_name) >= sizeof blk)
                        return -ENAMETOOLONG;
                if (only_entry(blk, name, size) == 0)
                        return 0;
        }
        return -ENOENT;
}

int pci_iommu_group(const char *devdir, uint32_t *ret)
{
        char path[PATH_MAX], target[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/iommu_group", devdir) >= sizeof path)
                return -ENAMETOOLONG;
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0)
                return errno == ENOENT ? -ENOENT : -errno;
        target[n] = '\0';
        const char *base = strrchr(target, '/');
        base = base ? base + 1 : target;
        uint32_t group;
        if (!*base || strspn(base, "0123456789") != strlen(base) || parse_u32(base, 10, &group) < 0)
                return -EINVAL;
        *ret = group;
        return 0;
}

int block_node_ready(const char *sysfs_root, const char *node)
{
        struct stat st;
        char path[PATH_MAX], text[32];
        size_t len;
        uint64_t sectors;
        if (stat(node, &st) < 0)
                return errno == ENOENT ? -ENOENT : -errno;
        if (!S_ISBLK(st.st_mode))
                return -ENOTBLK;
        snprintf(path, sizeof path, "%s/dev/block/%u:%u/size", sysfs_root, major(st.st_rdev), minor(st.st_rdev));
        int r = read_small_file(path, text, sizeof text, &len);
        if (r < 0)
                return r == -ENOENT ? -ENOMEDIUM : r;
        if (parse_u64(strstrip_trailing(text), 10, &sectors) < 0)
                return -EINVAL;
        return sectors > 0 ? 0 : -ENOMEDIUM;
}
