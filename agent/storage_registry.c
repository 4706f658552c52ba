/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every mounted storage, once per mount point, with its reference count.
 * Owners (the sandbox, containers) hold references through their lists
 * (storage.c); shared=true storages hold one more for the sandbox, dropped by
 * storage_release_shared() when the sandbox is destroyed.
 */
#include <stdlib.h>
#include <sys/mount.h>

#include "storage_internal.h"
#include "util.h"

static struct list_head registry = LIST_HEAD_INIT(registry);
static size_t n_registered;

struct mounted_storage *storage_registry_find(const char *mount_point)
{
        struct list_head *pos, *tmp;
        list_for_each_safe(pos, tmp, &registry) {
                struct mounted_storage *m = list_entry(pos, struct mounted_storage, link);
                if (streq(m->mount_point, mount_point))
                        return m;
        }
        return NULL;
}

size_t storage_registry_count(void)
{
        return n_registered;
}

void storage_registry_add(struct mounted_storage *m)
{
        m->refs = 0;
        list_add_tail(&m->link, &registry);
        n_registered++;
}

void storage_registry_put(struct mounted_storage *m)
{
        if (!m || m->refs == 0 || --m->refs > 0)
                return;
        if (m->release)
                m->release(m);
        if (m->mounted)
                (void)storage_sys_umount(m->mount_point, MNT_DETACH);
        list_del(&m->link);
        n_registered--;
        free(m);
}

void storage_release_shared(void)
{
        /* Newest first, like an owner's list: a storage mounted inside another goes before it. */
        while (true) {
                struct mounted_storage *pinned = NULL;
                struct list_head *pos;
                for (pos = registry.prev; pos != &registry; pos = pos->prev) {
                        struct mounted_storage *m = list_entry(pos, struct mounted_storage, link);
                        if (m->pinned) {
                                pinned = m;
                                break;
                        }
                }
                if (!pinned)
                        return;
                pinned->pinned = false;
                storage_registry_put(pinned);
        }
}
