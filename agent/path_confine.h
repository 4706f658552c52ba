/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paths a client names, kept inside a base directory.
 *
 * Lexical checks first (absolute, below the base, no "." or "..", bounded
 * lengths), then a walk from the base one component at a time with
 * O_NOFOLLOW|O_DIRECTORY, so a symlink planted anywhere on the way cannot
 * lead outside, whatever it points to.
 */
#ifndef KINGLET_PATH_CONFINE_H
#define KINGLET_PATH_CONFINE_H

#include <stdbool.h>
#include <sys/types.h>

#include "status.h"

/*
 * Checks that `path` lies strictly below `base` and returns the part after
 * "base/" in *ret_rel (pointing into path). -EINVAL / -ENAMETOOLONG with *e set.
 */
int confine_check(const char *path, const char *base, const char **ret_rel, struct rpc_error *e);

struct confine_mkdir {
        bool create;    /* create missing directories */
        mode_t mode;    /* permission bits for them */
        uid_t uid;      /* (uid_t)-1 = leave */
        gid_t gid;      /* (gid_t)-1 = leave */
};

/*
 * Opens the directory holding the last component of `rel`, relative to
 * base_fd, never following symlinks. *ret_name points at that last
 * component inside rel. Returns -ELOOP/-ENOTDIR (with *e) when a component is
 * a symlink or not a directory.
 */
int confine_open_parent(int base_fd, const char *rel, const struct confine_mkdir *mk,
                        int *ret_dirfd, const char **ret_name, struct rpc_error *e);

/*
 * Opens `path`, a guest path a request names outright (a volume, a swap
 * file), with `flags` (O_CLOEXEC added): it must be absolute, shorter than
 * max_len, without "." or ".." components, and no component may be a
 * symbolic link (openat2 RESOLVE_NO_SYMLINKS), so a link a container planted
 * in a directory it shares cannot send the agent elsewhere. `what` names the
 * field in errors. The fd, or -errno with *e set (PERMISSION_DENIED for a
 * link or a "..").
 */
int confine_open_guest(const char *what, const char *path, size_t max_len, int flags, struct rpc_error *e);

#endif
