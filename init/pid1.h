/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the agent does as PID 1 of a VM, before it serves anything
 * (init/README.md has the order and the reasons). None of it runs when the
 * agent is not PID 1: under systemd the system is already set up.
 */
#ifndef KINGLET_PID1_H
#define KINGLET_PID1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "early_mounts.h"

#define PID1_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define PID1_DEFAULT_HOSTNAME "kinglet"
#define PID1_CONSOLE "/dev/console"
/* RLIMIT_NOFILE when fs.nr_open cannot be read (the kernel's default nr_open). */
#define PID1_NOFILE_FALLBACK 1048576

/* Mounts /proc (nothing is logged yet: the failure is kept for pid1_setup to report). */
void pid1_mount_proc(early_mount_fn do_mount);

/*
 * Everything after the kernel command line is known, in order: the rest of
 * the mount table, cgroups (v1 when the command line turns the unified
 * hierarchy off), /dev/ptmx, /dev/fd and the std links, a session with the
 * console as controlling terminal and fds 0-2 on it when closed, the
 * hostname, PATH, RLIMIT_NOFILE. Each failure is logged and the rest goes on:
 * a guest with one mount missing still serves, and says what is missing.
 */
void pid1_setup(const struct kernel_params *kp, early_mount_fn do_mount);

/* --- parts, exposed for tests; root is "" for / --- */

/* true when systemd.unified_cgroup_hierarchy (or agent.unified_cgroup_hierarchy) is 0. */
bool pid1_wants_cgroup_v1(const struct kernel_params *kp);

/*
 * /dev/ptmx -> pts/ptmx. A missing node becomes the link; a character device
 * is replaced only when root/dev/pts/ptmx is usable by everyone (mode 0666,
 * i.e. our devpts instance with ptmxmode=0666): a devpts without it would make
 * the link unusable. 1 if the link was made, 0 if left as it was, -errno.
 */
int pid1_link_ptmx(const char *root);

/* /dev/fd -> /proc/self/fd and /dev/std{in,out,err}; existing entries are kept. 0 or -errno (first failure). */
int pid1_link_dev_fds(const char *root);

/*
 * The hostname to set: NULL to keep `current` (the kernel's "(none)" is not
 * kept), else the first line of etc_hostname when it is a valid name, else
 * "kinglet". Writes into buf (at least 65 bytes).
 */
const char *pid1_hostname_choice(const char *current, const char *etc_hostname, char *buf, size_t size);

/* The RLIMIT_NOFILE to set from /proc/sys/fs/nr_open's text (fallback when it does not parse). */
uint64_t pid1_nofile_limit(const char *nr_open_text);

#endif
