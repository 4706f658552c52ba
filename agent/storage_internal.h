/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What storage drivers share: the handler table's entry type and the helpers
 * every driver uses. Drivers live in storage*.c files; storage.c holds the
 * table and the bookkeeping.
 */
#ifndef KINGLET_STORAGE_INTERNAL_H
#define KINGLET_STORAGE_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "agent.pb-c.h"
#include "plan.h"
#include "storage.h"

struct storage_handler {
        const char *driver;
        int (*mount)(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
};

/* mkdir -p; the last component gets `mode`. -errno. */
int storage_mkdir_p(const char *path, mode_t mode);

/* Mount flags and data from the storage's options (the OCI mount option table). */
int storage_options(const Grpc__Storage *s, struct mount_plan *mp, struct rpc_error *e);

/* ---- mount(2) and umount2(2) go through this table, so unit tests can replace them ---- */

struct storage_sys_ops {
        /* Both return 0 or -errno. */
        int (*mount)(const char *source, const char *target, const char *fstype, unsigned long flags,
                     const char *data);
        int (*umount)(const char *target, int flags);
};
extern const struct storage_sys_ops *storage_sys; /* default: the real calls */

int storage_sys_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
                      const char *data);
int storage_sys_umount(const char *target, int flags);

/* The handler for a driver name, or NULL. */
const struct storage_handler *storage_handler_find(const char *driver);

/* ---- option parsing (storage_opts.c): pure functions, no side effects ---- */

#define STORAGE_MAX_OPTIONS 64    /* entries of Storage.options */
#define STORAGE_DATA_MAX 4096     /* mount(2) data is one page, NUL included */
#define STORAGE_KATA_PREFIX "io.katacontainers."

struct storage_opts {
        unsigned long flags;       /* MS_* */
        unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (+MS_REC), applied after */
        char data[STORAGE_DATA_MAX]; /* filesystem options, comma-joined, duplicates dropped */
        bool has_mode;               /* mode=OCTAL seen (also kept in data: tmpfs takes it) */
        mode_t mode;
        bool has_fsgid; /* fsgid=N (Kata's option for local and ephemeral; not for the kernel) */
        gid_t fsgid;
        bool overlay_rw; /* io.katacontainers.fs-opt.overlay-rw */
};

/*
 * Storage.options → flags and data. Each option may itself be a comma list.
 * Flags come from the OCI option table; everything else is filesystem data,
 * except fsgid= and io.katacontainers.* options. The same key with two
 * different values (`size=1m` and `size=2m`, `dax` and `dax=never`, `ro` and
 * `rw`) is INVALID_ARGUMENT. *o is written only on success.
 */
int storage_opts_parse(char *const *options, size_t n, struct storage_opts *o, struct rpc_error *e);
/* Octal permission bits, at most 07777, nothing else: 0 or -EINVAL. */
int storage_parse_mode(const char *s, mode_t *ret);
/* The value of `key` in o->data ("" for a bare key): its length in *ret_len; NULL when absent. */
const char *storage_opts_get(const struct storage_opts *o, const char *key, size_t *ret_len);
/* Appends key=value (or bare key when value is NULL) unless key is there; -E2BIG when full. */
int storage_opts_default(struct storage_opts *o, const char *key, const char *value, struct rpc_error *e);

/* 9p defaults as Kata's runtime sends them: trans=virtio, version=9p2000.L, msize=8192. */
#define STORAGE_9P_MSIZE_DEFAULT "8192"
int storage_opts_9p(struct storage_opts *o, struct rpc_error *e);
/* virtio-fs: checks `dax` (bare, or dax=always|never|inode). */
int storage_opts_virtiofs(const struct storage_opts *o, struct rpc_error *e);
/* hugetlbfs: pagesize= and size= (bytes) → the page size in KiB and the number of pages. */
int storage_opts_hugepages(const struct storage_opts *o, uint64_t *ret_page_kib, uint64_t *ret_pages,
                           struct rpc_error *e);

/* ---- helpers for drivers ---- */

/*
 * mkdir -p the mount point, mount(source, mount point, fstype, o->flags,
 * o->data), then the propagation; sets m->mounted.
 */
int storage_mount_fs(const Grpc__Storage *s, struct mounted_storage *m, const char *source, const char *fstype,
                     const struct storage_opts *o, struct rpc_error *e);

/*
 * Storage.fs_group (Kata's set_ownership): nothing without one; with
 * OnRootMismatch nothing when the root already has the group, the group
 * permission bits and setgid; else every file and directory below `path`
 * (not following symbolic links, not crossing into other mounts, at most
 * STORAGE_FS_GROUP_MAX_DEPTH levels) gets the group, g+rw (g+r when the
 * options say `ro`), and directories g+x and setgid. Block drivers call it
 * after mounting.
 */
#define STORAGE_FS_GROUP_MAX_DEPTH 64
int storage_apply_fs_group(const Grpc__Storage *s, const char *path, struct rpc_error *e);

/* ---- the registry (storage_registry.c) ---- */

struct mounted_storage *storage_registry_find(const char *mount_point);
size_t storage_registry_count(void);
/* Adds a freshly mounted storage, with no reference yet (the caller checked the bound). */
void storage_registry_add(struct mounted_storage *m);
/* Drops one reference; the last one runs m->release, unmounts and frees. */
void storage_registry_put(struct mounted_storage *m);

/* ---- watchable-bind (storage_watch.c) ---- */

#define WATCH_MAX_ENTRIES 16            /* files, directories, links, the root included */
#define WATCH_MAX_BYTES (1024 * 1024)   /* bytes of files and link targets */
int storage_mount_watchable(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
struct loop *storage_loop(void);

/* ---- the filesystem drivers (storage_fs.c) ---- */

int storage_mount_ephemeral(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
int storage_mount_local(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
int storage_mount_bind(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
int storage_mount_virtiofs(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
int storage_mount_9p(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
int storage_mount_overlay(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e);
/* UpdateEphemeralMounts: remounts the ephemeral storage at s->mount_point with s->options. */
int storage_remount_ephemeral(const Grpc__Storage *s, struct rpc_error *e);
/* A bind mount's target: mkdir -p for a directory; else the parent, and an empty file. */
int storage_make_target(const char *path, bool dir);

#endif
