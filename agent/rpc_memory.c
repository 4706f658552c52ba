/* SPDX-License-Identifier: Apache-2.0 */
/* STUB: replaced by the issue-5 work. */
#include "rpc.h"

RPC_HANDLER(rpc_online_cpu_mem)
{
        (void)request;
        (void)userdata;
        return ttrpc_call_fail(call, GRPC_UNIMPLEMENTED, "not implemented yet");
}

RPC_HANDLER(rpc_mem_hotplug_by_probe)
{
        (void)request;
        (void)userdata;
        return ttrpc_call_fail(call, GRPC_UNIMPLEMENTED, "not implemented yet");
}

