/* SPDX-License-Identifier: Apache-2.0 */
/* RPC handlers, one file per group. Each has the ttrpc_handler_fn signature. */
#ifndef KINGLET_RPC_H
#define KINGLET_RPC_H

#include "agent.h"
#include "ttrpc.h"

#define RPC_HANDLER(name) \
        int name(struct ttrpc_call *call, const ProtobufCMessage *request, void *userdata)

/* rpc_health.c */
RPC_HANDLER(rpc_health_check);
RPC_HANDLER(rpc_health_version);

/* rpc_guest.c */
RPC_HANDLER(rpc_get_guest_details);
RPC_HANDLER(rpc_set_guest_date_time);
RPC_HANDLER(rpc_reseed_random_dev);

/* rpc_copy_file.c */
RPC_HANDLER(rpc_copy_file);

/* rpc_debug.c */
RPC_HANDLER(rpc_debug_sleep);

#endif
