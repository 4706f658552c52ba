/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dispatch tables. Method names are checked against the generated service
 * descriptors at registration, so a typo fails at start-up, not at call time.
 * A method listed with a NULL handler (or not listed) answers UNIMPLEMENTED.
 *
 * Adding an RPC: write the handler in an rpc_<area>.c file, declare it in
 * rpc.h, and put it in the table below.
 */
#include "agent.h"
#include "agent.pb-c.h"
#include "health.pb-c.h"
#include "kinglet.pb-c.h"
#include "rpc.h"

static const struct ttrpc_method_handler health_handlers[] = {
        { "Check", rpc_health_check },
        { "Version", rpc_health_version },
};

/* Every grpc.AgentService RPC, in the order of the Kata API reference. */
static const struct ttrpc_method_handler agent_handlers[] = {
        /* containers and processes */
        { "CreateContainer", NULL },
        { "StartContainer", NULL },
        { "RemoveContainer", NULL },
        { "ExecProcess", NULL },
        { "SignalProcess", NULL },
        { "WaitProcess", NULL },
        { "UpdateContainer", NULL },
        { "UpdateEphemeralMounts", NULL },
        { "StatsContainer", NULL },
        { "PauseContainer", NULL },
        { "ResumeContainer", NULL },
        { "RemoveStaleVirtiofsShareMounts", NULL },
        { "GetDiagnosticData", NULL },
        /* stdio */
        { "WriteStdin", NULL },
        { "ReadStdout", NULL },
        { "ReadStderr", NULL },
        { "CloseStdin", NULL },
        { "TtyWinResize", NULL },
        /* networking */
        { "UpdateInterface", NULL },
        { "UpdateRoutes", NULL },
        { "ListInterfaces", NULL },
        { "ListRoutes", NULL },
        { "AddARPNeighbors", NULL },
        { "GetIPTables", NULL },
        { "SetIPTables", NULL },
        /* observability and memory agent */
        { "GetMetrics", NULL },
        { "MemAgentMemcgSet", NULL },
        { "MemAgentCompactSet", NULL },
        /* sandbox and guest */
        { "CreateSandbox", NULL },
        { "DestroySandbox", NULL },
        { "OnlineCPUMem", NULL },
        { "ReseedRandomDev", rpc_reseed_random_dev },
        { "GetGuestDetails", rpc_get_guest_details },
        { "MemHotplugByProbe", NULL },
        { "SetGuestDateTime", rpc_set_guest_date_time },
        { "CopyFile", rpc_copy_file },
        { "GetOOMEvent", NULL },
        { "AddSwap", NULL },
        { "AddSwapPath", NULL },
        { "GetVolumeStats", NULL },
        { "ResizeVolume", NULL },
        { "SetPolicy", NULL },
};

static const struct ttrpc_method_handler debug_handlers[] = {
        { "Sleep", rpc_debug_sleep },
};

const struct ttrpc_service agent_health_service = {
        .descriptor = &grpc__health__descriptor,
        .handlers = health_handlers,
        .n_handlers = ARRAY_SIZE(health_handlers),
};

const struct ttrpc_service agent_agent_service = {
        .descriptor = &grpc__agent_service__descriptor,
        .handlers = agent_handlers,
        .n_handlers = ARRAY_SIZE(agent_handlers),
};

const struct ttrpc_service agent_debug_service = {
        .descriptor = &kinglet__debug__descriptor,
        .handlers = debug_handlers,
        .n_handlers = ARRAY_SIZE(debug_handlers),
};

/* Filled by later handlers as storage and device support lands. */
const char *const agent_device_handlers[] = { NULL };
const char *const agent_storage_handlers[] = { NULL };

int agent_register_services(struct agent *a)
{
        const struct ttrpc_service *services[] = {
                &agent_health_service,
                &agent_agent_service,
                a->config.debug_service ? &agent_debug_service : NULL,
        };

        for (size_t i = 0; i < ARRAY_SIZE(services); i++) {
                if (!services[i])
                        continue;
                struct ttrpc_service s = *services[i];
                s.userdata = a;
                int r = ttrpc_server_register(a->server, &s);
                if (r < 0)
                        return r;
        }
        return 0;
}
