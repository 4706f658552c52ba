/* SPDX-License-Identifier: Apache-2.0 */
/* RPC handlers, one file per group. Each has the ttrpc_handler_fn signature. */
#ifndef KINGLET_RPC_H
#define KINGLET_RPC_H

#include "agent.h"
#include "ttrpc.h"

#define RPC_HANDLER(name) \
        int name(struct ttrpc_call *call, const ProtobufCMessage *request, void *userdata)

/*
 * Answers INVALID_ARGUMENT (returning TTRPC_DONE) when a top-level string
 * field of the request — a container or exec id, a sandbox id — holds a NUL
 * byte, which the decoded C string would silently cut at; else returns -1.
 */
int rpc_reject_nul_strings(struct ttrpc_call *call, const ProtobufCMessage *request);

/* rpc_health.c */
RPC_HANDLER(rpc_health_check);
RPC_HANDLER(rpc_health_version);

/* rpc_guest.c */
RPC_HANDLER(rpc_get_guest_details);
RPC_HANDLER(rpc_set_guest_date_time);
RPC_HANDLER(rpc_reseed_random_dev);

/* rpc_copy_file.c */
RPC_HANDLER(rpc_copy_file);

/* rpc_container.c */
RPC_HANDLER(rpc_create_container);
RPC_HANDLER(rpc_start_container);
RPC_HANDLER(rpc_exec_process);
RPC_HANDLER(rpc_remove_container);
RPC_HANDLER(rpc_signal_process);
RPC_HANDLER(rpc_wait_process);
RPC_HANDLER(rpc_pause_container);
RPC_HANDLER(rpc_resume_container);
RPC_HANDLER(rpc_update_container);
RPC_HANDLER(rpc_stats_container);

/* rpc_stdio.c */
RPC_HANDLER(rpc_write_stdin);
RPC_HANDLER(rpc_read_stdout);
RPC_HANDLER(rpc_read_stderr);
RPC_HANDLER(rpc_close_stdin);
RPC_HANDLER(rpc_tty_win_resize);

/* sandbox.c, oom.c */
RPC_HANDLER(rpc_create_sandbox);
RPC_HANDLER(rpc_destroy_sandbox);
RPC_HANDLER(rpc_get_oom_event);

/* rpc_list.c (kinglet.Containers) */
RPC_HANDLER(rpc_list_containers);

/* rpc_ephemeral.c */
RPC_HANDLER(rpc_update_ephemeral_mounts);

/* rpc_swap.c */
RPC_HANDLER(rpc_add_swap);
RPC_HANDLER(rpc_add_swap_path);

/* rpc_memory.c */
RPC_HANDLER(rpc_online_cpu_mem);
RPC_HANDLER(rpc_mem_hotplug_by_probe);

/* rpc_volume.c */
RPC_HANDLER(rpc_get_volume_stats);
RPC_HANDLER(rpc_resize_volume);

/* rpc_metrics.c */
RPC_HANDLER(rpc_get_metrics);

/* rpc_network.c, rpc_routes.c, rpc_neigh.c: guest networking over netlink */
RPC_HANDLER(rpc_update_interface);
RPC_HANDLER(rpc_list_interfaces);
RPC_HANDLER(rpc_update_routes);
RPC_HANDLER(rpc_list_routes);
RPC_HANDLER(rpc_add_arp_neighbors);

/* rpc_iptables.c */
RPC_HANDLER(rpc_get_iptables);
RPC_HANDLER(rpc_set_iptables);

/* rpc_unsupported.c: UNIMPLEMENTED by design, with the reason per method */
RPC_HANDLER(rpc_unsupported);

/* rpc_debug.c */
RPC_HANDLER(rpc_debug_sleep);

#endif
