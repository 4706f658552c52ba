/* SPDX-License-Identifier: Apache-2.0 */
#include "early_mounts.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#define NOSUID_NODEV (MS_NOSUID | MS_NODEV)

const struct early_mount early_mount_proc = { "proc", "/proc", "proc", NOSUID_NODEV | MS_NOEXEC, NULL, 0555 };

const struct early_mount early_mount_table[] = {
        { "sysfs", "/sys", "sysfs", NOSUID_NODEV | MS_NOEXEC, NULL, 0555 },
        { "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 0755 },
        /* A private instance; the /dev/ptmx node of devtmpfs opens the instance beside it. */
        { "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", 0755 },
        { "shm", "/dev/shm", "tmpfs", NOSUID_NODEV, "mode=1777", 01777 },
        { "tmpfs", "/run", "tmpfs", NOSUID_NODEV, "mode=0755", 0755 },
};
const size_t early_mount_count = sizeof early_mount_table / sizeof *early_mount_table;

/* Mounted already (the kernel's devtmpfs on a disk root, a second start): another device than its parent. */
static bool is_mount_point(const char *path)
{
        char parent[PATH_MAX_EARLY + 4];
        struct stat st, pst;
        snprintf(parent, sizeof parent, "%s/..", path);
        return stat(path, &st) == 0 && stat(parent, &pst) == 0 && st.st_dev != pst.st_dev;
}

/* mkdir -p: the mount point, and any parent the file system below does not have. */
static int make_dirs(char *path, mode_t mode)
{
        for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                int r = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
                *slash = '/';
                if (r < 0)
                        return r;
        }
        return mkdir(path, mode) < 0 && errno != EEXIST ? -errno : 0;
}

size_t early_mounts_run(const struct early_mount *table, size_t n, const char *root, early_mount_fn do_mount,
                        struct early_mount_failure *failures, size_t max)
{
        size_t failed = 0;
        for (size_t i = 0; i < n; i++) {
                const struct early_mount *m = &table[i];
                char target[PATH_MAX_EARLY];
                int r = 0;
                if ((size_t)snprintf(target, sizeof target, "%s%s", root, m->target) >= sizeof target)
                        r = -ENAMETOOLONG;
                if (r == 0)
                        r = make_dirs(target, m->dir_mode);
                if (r == 0 && !is_mount_point(target) &&
                    do_mount(m->source, target, m->fstype, m->flags, m->data) < 0 && errno != EBUSY)
                        r = -errno;
                if (r < 0 && failed++ < max)
                        failures[failed - 1] = (struct early_mount_failure){ m, r };
        }
        return failed;
}
