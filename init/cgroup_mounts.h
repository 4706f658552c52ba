/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroup file systems PID 1 mounts at /sys/fs/cgroup: cgroup2 (the
 * default), or, with systemd.unified_cgroup_hierarchy=0, the v1 layout
 * systemd makes: a tmpfs with one cgroup mount per hierarchy, named after
 * its controllers ("cpu,cpuacct"), and a symlink per controller of a
 * co-mounted hierarchy ("cpu" -> "cpu,cpuacct").
 *
 * Which hierarchies to mount is a pure function of /proc/cgroups' text, so
 * it is tested against sample texts and fuzzed.
 */
#ifndef KINGLET_CGROUP_MOUNTS_H
#define KINGLET_CGROUP_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "early_mounts.h"

#define CGROUP_MOUNT_ROOT "/sys/fs/cgroup"
/* Bounds on what /proc/cgroups may describe; the kernel has about 14 controllers. */
#define CGROUP_V1_MAX_CONTROLLERS 32
#define CGROUP_V1_CONTROLLER_NAME_MAX 31
#define CGROUP_V1_HIERARCHY_NAME_MAX 127
#define PROC_CGROUPS_MAX 8192

struct cgroup_v1_plan {
        size_t n; /* hierarchies, in /proc/cgroups order */
        /* A hierarchy's controllers, comma-separated: its directory name and its mount option. */
        char hierarchy[CGROUP_V1_MAX_CONTROLLERS][CGROUP_V1_HIERARCHY_NAME_MAX + 1];
};

extern const struct early_mount cgroup2_mount;

/*
 * Reads /proc/cgroups text (columns: subsys_name hierarchy num_cgroups
 * enabled). Disabled controllers are left out. Controllers already sharing a
 * hierarchy (the same non-zero hierarchy column) stay together, since the
 * kernel refuses to split them; unmounted ones (hierarchy 0) are paired as
 * systemd pairs them: cpu with cpuacct, net_cls with net_prio. Malformed
 * lines and names are skipped. Never fails: the worst text gives an empty plan.
 */
void cgroup_v1_plan_parse(const char *text, size_t len, struct cgroup_v1_plan *ret);

/* The symlink names a hierarchy gets: each controller of a co-mounted one; none for a single one. */
size_t cgroup_v1_links(const char *hierarchy, char names[][CGROUP_V1_CONTROLLER_NAME_MAX + 1], size_t max);

/*
 * Mounts the v1 layout under root ("" for /): the tmpfs, each hierarchy,
 * then the symlinks (an existing one is kept). Failures are described as
 * early_mounts_run() does (a symlink failure names the "symlink" fstype).
 */
size_t cgroup_v1_mount(const struct cgroup_v1_plan *plan, const char *root, early_mount_fn do_mount,
                       struct early_mount_failure *failures, size_t max);

#endif
