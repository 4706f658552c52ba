/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What storage drivers share: the handler table's entry type and the helpers
 * every driver uses. Drivers live in storage*.c files; storage.c holds the
 * table and the bookkeeping.
 */
#ifndef KINGLET_STORAGE_INTERNAL_H
#define KINGLET_STORAGE_INTERNAL_H

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

#endif
