/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's process-wide state, handed to every service as its userdata. */
#ifndef KINGLET_AGENT_H
#define KINGLET_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "config.h"
#include "list.h"
#include "loop.h"
#include "ttrpc.h"

/* Kata's guest state directory; CopyFile writes only below it. */
#define KATA_CONTAINER_BASE "/run/kata-containers"
/* Kata's agent API version, reported by grpc.Health/Version. */
#define KATA_AGENT_API_VERSION "0.0.1"

struct agent {
        struct loop *loop;
        struct ttrpc_server *server;
        struct agent_config config;
        bool init_mode; /* running as PID 1 */
        /* Init mode: DestroySandbox is done; power off once its reply has left (main.c). */
        bool power_off_requested;
        uint64_t start_ns;
        /* Directory CopyFile confines writes to (tests and fuzzing point it elsewhere). */
        const char *container_base;
        /* sysfs root for memory details (tests point it at a fixture). */
        const char *sysfs_root;
        /* Socket files this agent created, removed again on a clean stop. */
        char socket_paths[AGENT_MAX_SERVER_ADDRS][ADDR_PATH_MAX];
        size_t n_socket_paths;

        /* containers (container.c) */
        struct list_head containers;
        size_t n_containers;
        struct cgroup_env cgroup_env;
        bool have_cgroups;
        size_t stdio_cap; /* bytes buffered per output stream */
        struct sandbox *sandbox;
        struct hotplug *hotplug; /* device waits on kernel uevents (hotplug.c) */

        /* OOM events not yet taken by GetOOMEvent, and the calls waiting for one */
        char (*oom_queue)[257];
        size_t oom_head, oom_count;
        struct list_head oom_waiters;
};

#define OOM_QUEUE_MAX 64

/* container.c: set up the container runtime (cgroups, subreaper); -errno on failure. */
int agent_runtime_init(struct agent *a);
/* container.c: a child exited (from the SIGCHLD reaper). */
void agent_child_exited(struct agent *a, pid_t pid, int wait_status);
/* container.c: kill and forget every container (shutdown, DestroySandbox). */
void agent_runtime_free(struct agent *a);

/* Service tables (agent/service_*.c). */
extern const struct ttrpc_service agent_health_service;
extern const struct ttrpc_service agent_agent_service;
extern const struct ttrpc_service agent_debug_service;
extern const struct ttrpc_service agent_containers_service;

/* Registers every service the configuration asks for, with `a` as userdata. */
int agent_register_services(struct agent *a);

/* Handler names the agent advertises in GetGuestDetails (NULL-terminated). */
extern const char *const agent_device_handlers[];
extern const char *const storage_drivers[];

#endif
