/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Storages named in CreateSandbox and CreateContainer (grpc.Storage), mounted
 * by a handler chosen by `driver` from a table. This issue provides the
 * kinds that need no device: ephemeral (tmpfs), local (a directory), bind.
 */
#ifndef KINGLET_STORAGE_H
#define KINGLET_STORAGE_H

#include "agent.pb-c.h"
#include "list.h"
#include "status.h"

struct mounted_storage {
        struct list_head link;
        char mount_point[512];
        bool mounted; /* false for a plain directory (local) */
};

/* Mounts one storage and appends a record to `list` for storage_unmount_all. */
int storage_mount(const Grpc__Storage *s, struct list_head *list, struct rpc_error *e);
/* Unmounts (detaching) in reverse order and frees the records. */
void storage_unmount_all(struct list_head *list);

/* The drivers handled, for GetGuestDetails (NULL-terminated). */
extern const char *const storage_drivers[];

#endif
