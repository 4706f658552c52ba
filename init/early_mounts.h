/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file systems PID 1 mounts before anything else: the kernel hands init
 * a bare root (an initramfs, or a disk mounted read-only), and the agent
 * needs /proc for its command line, /sys and /dev for its virtio-serial
 * port, /run for container state and cgroups for containers.
 */
#ifndef KINGLET_EARLY_MOUNTS_H
#define KINGLET_EARLY_MOUNTS_H

#include <stddef.h>
#include <sys/types.h>

struct early_mount {
        const char *source;
        const char *target; /* absolute */
        const char *fstype;
        unsigned long flags;
        const char *data;
        mode_t dir_mode; /* for the mount point, when it has to be made */
};

/* Longest target (root prefix included) early_mounts_run() handles. */
#define PATH_MAX_EARLY 256

/* /proc: mounted first, since the kernel command line decides the rest. */
extern const struct early_mount early_mount_proc;
/*
 * The rest, in order: each mount point lives on a file system mounted before
 * it. The cgroup file systems follow (cgroup_mounts.h).
 */
extern const struct early_mount early_mount_table[];
extern const size_t early_mount_count;

typedef int (*early_mount_fn)(const char *source, const char *target, const char *fstype, unsigned long flags,
                              const void *data);

struct early_mount_failure {
        const struct early_mount *m;
        int error; /* -errno */
};

/*
 * Mounts every entry under `root` ("" for /), making mount points as needed.
 * A target that is already a mount point (the kernel's devtmpfs on a disk
 * root, a second start) is left as it is. Nothing is logged: it runs before the log has
 * a place to go. Returns the number of failures, described in failures[0..max).
 */
size_t early_mounts_run(const struct early_mount *table, size_t n, const char *root, early_mount_fn do_mount,
                        struct early_mount_failure *failures, size_t max);

#endif
