/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which mount holds a path, from /proc/self/mountinfo (ResizeVolume needs
 * the filesystem type and the block device behind a volume).
 */
#ifndef KINGLET_VOLUME_MOUNT_H
#define KINGLET_VOLUME_MOUNT_H

#include <stdbool.h>
#include <stddef.h>

#define VOLUME_PATH_MAX 4096
#define VOLUME_FSTYPE_MAX 64

struct volume_mount {
        unsigned major, minor;
        char mount_point[VOLUME_PATH_MAX];
        char fstype[VOLUME_FSTYPE_MAX];
        char source[VOLUME_PATH_MAX];
};

/*
 * Parses one mountinfo line ("36 35 98:0 /mnt1 /mnt/parent rw master:1 - ext3
 * /dev/root rw"), undoing the kernel's octal escapes (\040 for a space).
 * Pure. -EINVAL when malformed or a field does not fit; *ret untouched then.
 */
int volume_mount_parse_line(const char *line, struct volume_mount *ret);

/* True when mount_point is path or one of its parent directories ("/" holds everything). */
bool volume_mount_holds(const char *mount_point, const char *path);

/*
 * The mount of device major:minor that holds `path` (absolute, resolved),
 * read from the mountinfo file at `mountinfo_path`: the one with the longest
 * mount point, the last listed on a tie (it is the one on top). -ENOENT when
 * none; -errno when the file cannot be read.
 */
int volume_mount_find(const char *mountinfo_path, unsigned major, unsigned minor, const char *path,
                      struct volume_mount *ret);

#endif
