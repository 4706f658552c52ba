/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Storages named in CreateSandbox and CreateContainer (grpc.Storage), mounted
 * by a handler chosen by `driver` from a table (storage.c). Every storage is
 * recorded once per mount point in a registry (storage_registry.c) and
 * reference-counted: each owner (the sandbox, a container) holds a list of
 * references, and the last reference unmounts. See docs/storage.md.
 */
#ifndef KINGLET_STORAGE_H
#define KINGLET_STORAGE_H

#include <stdbool.h>

#include "agent.pb-c.h"
#include "list.h"
#include "status.h"

struct loop;

#define STORAGE_REGISTRY_MAX 256 /* distinct mount points at a time */

/* One mounted storage: the registry's record, handed to the driver that mounts it. */
struct mounted_storage {
        struct list_head link; /* in the registry */
        char mount_point[512];
        bool mounted; /* set by the driver: unmount (detaching) when the last reference goes */
        /* What was asked for: a later user of the same mount point must ask for the same. */
        char driver[64];
        char fstype[64];
        char source[1024];
        unsigned refs; /* owners' references, plus one while pinned */
        bool pinned;   /* shared=true: held by the sandbox until storage_release_shared() */
        /* A driver's own state and its teardown, run before the unmount (both may be NULL). */
        void *driver_data;
        void (*release)(struct mounted_storage *m);
};

/*
 * Mounts one storage, or takes a reference on the identical storage already
 * mounted there, and appends the reference to `list` (the owner's).
 */
int storage_mount(const Grpc__Storage *s, struct list_head *list, struct rpc_error *e);
/* Drops the owner's references in reverse order; a storage's last reference unmounts it. */
void storage_unmount_all(struct list_head *list);

/* The sandbox is gone: drops the references that shared=true storages hold. */
void storage_release_shared(void);

/* The event loop watchable-bind storages register their watches in. */
void storage_set_loop(struct loop *l);

/* The drivers handled, for GetGuestDetails (NULL-terminated). */
extern const char *const storage_drivers[];

#endif
