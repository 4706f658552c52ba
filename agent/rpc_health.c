/* SPDX-License-Identifier: Apache-2.0 */
/* grpc.Health: the runtime's liveness probe and version query. */
#include "health.pb-c.h"
#include "rpc.h"

RPC_HANDLER(rpc_health_check)
{
        Grpc__HealthCheckResponse resp = GRPC__HEALTH_CHECK_RESPONSE__INIT;

        /* Serving as soon as the loop runs: there is no warm-up state to wait for. */
        resp.status = GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        return ttrpc_call_reply(call, &resp.base);
}

RPC_HANDLER(rpc_health_version)
{
        Grpc__VersionCheckResponse resp = GRPC__VERSION_CHECK_RESPONSE__INIT;

        resp.grpc_version = (char *)KATA_AGENT_API_VERSION;
        resp.agent_version = (char *)KINGLET_VERSION;
        return ttrpc_call_reply(call, &resp.base);
}
