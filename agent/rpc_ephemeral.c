/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UpdateEphemeralMounts: new options (a new size=, typically) for ephemeral
 * storages already mounted, by remounting them in place. Every storage is
 * checked before any is remounted.
 */
#include <errno.h>

#include "agent.pb-c.h"
#include "rpc.h"
#include "storage_internal.h"
#include "util.h"

#define EPHEMERAL_UPDATE_MAX 64

static int check_one(const Grpc__Storage *s, struct rpc_error *e)
{
        struct storage_opts o;
        const char *mp = s->mount_point ? s->mount_point : "";
        if (!s->driver || !streq(s->driver, "ephemeral"))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "only ephemeral storages can be updated; `%.200s` has driver `%.64s`", mp,
                                     s->driver ? s->driver : "");
        const struct mounted_storage *m = storage_registry_find(mp);
        if (!m)
                return rpc_error_set(e, GRPC_NOT_FOUND, -ENOENT, "no storage is mounted at `%.200s`", mp);
        if (!streq(m->driver, "ephemeral"))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "the storage at `%.200s` is `%s`, not ephemeral; only ephemeral storages can be "
                                     "updated", mp, m->driver);
        return storage_opts_parse(s->options, s->n_options, &o, e);
}

RPC_HANDLER(rpc_update_ephemeral_mounts)
{
        const Grpc__UpdateEphemeralMountsRequest *req = (const Grpc__UpdateEphemeralMountsRequest *)request;
        struct rpc_error e = { 0 };
        int r;
        (void)userdata;

        if (req->n_storages > EPHEMERAL_UPDATE_MAX)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "%zu storages; at most %d", req->n_storages,
                                       EPHEMERAL_UPDATE_MAX);
        for (size_t i = 0; i < req->n_storages; i++)
                if ((r = check_one(req->storages[i], &e)) < 0)
                        return ttrpc_call_fail_error(call, r, &e);
        for (size_t i = 0; i < req->n_storages; i++)
                if ((r = storage_remount_ephemeral(req->storages[i], &e)) < 0)
                        return ttrpc_call_fail_error(call, r, &e);
        return ttrpc_call_reply(call, NULL);
}
