/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dispatch tables. Method names are checked against the generated service
 * descriptors at registration, so a typo fails at start-up, not at call time.
 * A method listed with a NULL handler (or not listed) answers UNIMPLEMENTED;
 * the ones unsupported by design name rpc_unsupported, which says why.
 * The server's guard checks each call of every service against the agent
 * policy (policy.h) before its handler runs: the one place access is decided.
 *
 * Adding an RPC: write the handler in an rpc_<area>.c file, declare it in
 * rpc.h, and put it in the table below.
 */
#include "agent.h"
#include "agent.pb-c.h"
#include "health.pb-c.h"
#include "kinglet.pb-c.h"
#include "policy.h"
#include "rpc.h"

static const struct ttrpc_method_handler health_handlers[] = {
        { "Check", rpc_health_check },
        { "Version", rpc_health_version },
};

/* Every grpc.AgentService RPC, in the order of the Kata API reference. */
static const struct ttrpc_method_handler agent_handlers[] = {
        /* containers and processes */
        { "CreateContainer", rpc_create_container },
        { "StartContainer", rpc_start_container },
        { "RemoveContainer", rpc_remove_container },
        { "ExecProcess", rpc_exec_process },
        { "SignalProcess", rpc_signal_process },
        { "WaitProcess", rpc_wait_process },
        { "UpdateContainer", rpc_update_container },
        { "UpdateEphemeralMounts", rpc_update_ephemeral_mounts },
        { "StatsContainer", rpc_stats_container },
        { "PauseContainer", rpc_pause_container },
        { "ResumeContainer", rpc_resume_container },
        { "RemoveStaleVirtiofsShareMounts", rpc_unsupported },
        { "GetDiagnosticData", rpc_unsupported },
        /* stdio */
        { "WriteStdin", rpc_write_stdin },
        { "ReadStdout", rpc_read_stdout },
        { "ReadStderr", rpc_read_stderr },
        { "CloseStdin", rpc_close_stdin },
        { "TtyWinResize", rpc_tty_win_resize },
        /* networking */
        { "UpdateInterface", rpc_update_interface },
        { "UpdateRoutes", rpc_update_routes },
        { "ListInterfaces", rpc_list_interfaces },
        { "ListRoutes", rpc_list_routes },
        { "AddARPNeighbors", rpc_add_arp_neighbors },
        { "GetIPTables", rpc_get_iptables },
        { "SetIPTables", rpc_set_iptables },
        /* observability and memory agent */
        { "GetMetrics", rpc_get_metrics },
        { "MemAgentMemcgSet", rpc_unsupported },
        { "MemAgentCompactSet", rpc_unsupported },
        /* sandbox and guest */
        { "CreateSandbox", rpc_create_sandbox },
        { "DestroySandbox", rpc_destroy_sandbox },
        { "OnlineCPUMem", rpc_online_cpu_mem },
        { "ReseedRandomDev", rpc_reseed_random_dev },
        { "GetGuestDetails", rpc_get_guest_details },
        { "MemHotplugByProbe", rpc_mem_hotplug_by_probe },
        { "SetGuestDateTime", rpc_set_guest_date_time },
        { "CopyFile", rpc_copy_file },
        { "GetOOMEvent", rpc_get_oom_event },
        { "AddSwap", rpc_add_swap },
        { "AddSwapPath", rpc_add_swap_path },
        { "GetVolumeStats", rpc_get_volume_stats },
        { "ResizeVolume", rpc_resize_volume },
        { "SetPolicy", rpc_set_policy },
};

static const struct ttrpc_method_handler containers_handlers[] = {
        { "List", rpc_list_containers },
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

const struct ttrpc_service agent_containers_service = {
        .descriptor = &kinglet__containers__descriptor,
        .handlers = containers_handlers,
        .n_handlers = ARRAY_SIZE(containers_handlers),
};

const struct ttrpc_service agent_debug_service = {
        .descriptor = &kinglet__debug__descriptor,
        .handlers = debug_handlers,
        .n_handlers = ARRAY_SIZE(debug_handlers),
};

/* Device types CreateContainer takes (hotplug_need.c); storages come from storage.c's table. */
const char *const agent_device_handlers[] = { "blk", "mmioblk", "scsi", "nvdimm", "vfio-pci", "vfio-pci-gk", NULL };

int agent_register_services(struct agent *a)
{
        const struct ttrpc_service *services[] = {
                &agent_health_service,
                &agent_agent_service,
                &agent_containers_service,
                a->config.debug_service ? &agent_debug_service : NULL,
        };

        ttrpc_server_set_guard(a->server, policy_guard, a);

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
