/* SPDX-License-Identifier: Apache-2.0 */
/* watchable-bind's copying (storage_watch_copy.c), apart from its loop wiring (storage_watch.c). */
#ifndef KINGLET_STORAGE_WATCH_H
#define KINGLET_STORAGE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct watch_tally {
        size_t entries; /* the root included */
        uint64_t bytes; /* of regular files and link targets */
};

/* Counts the source (a directory tree or one file); -E2BIG beyond WATCH_MAX_ENTRIES or WATCH_MAX_BYTES. */
int watch_measure(const char *source, struct watch_tally *t);

/*
 * Makes `target` a copy of `source`: new and changed files and links are
 * written to a temporary name and renamed into place, vanished ones removed,
 * owners, modes and modification times copied. A one-file source is copied
 * in place onto the target file (a rename would leave bind mounts of it on
 * the old inode). With ifd >= 0, every source directory (for a file, its
 * parent) is added to that inotify instance. -E2BIG/-EFBIG beyond the limits.
 */
int watch_sync(const char *source, bool is_file, const char *target, int ifd, struct watch_tally *t);

#define WATCH_TMP_NAME ".kinglet-watch.tmp"
/* inotify events on each source directory that mean "rescan". */
#define WATCH_EVENTS                                                                                    \
        (IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | \
         IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

#endif
