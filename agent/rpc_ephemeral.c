/* SPDX-License-Identifier: Apache-2.0 */
/* STUB: replaced by the issue-5 work. */
#include "rpc.h"

RPC_HANDLER(rpc_update_ephemeral_mounts)
{
        (void)request;
        (void)userdata;
        return ttrpc_call_fail(call, GRPC_UNIMPLEMENTED, "not implemented yet");
}

