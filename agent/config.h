/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Agent settings and where each came from. Precedence, highest first:
 * command-line flag, environment (KATA_AGENT_*), kernel command line
 * (agent.*), built-in default.
 */
#ifndef KINGLET_AGENT_CONFIG_H
#define KINGLET_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cmdline.h"
#include "log.h"

#define AGENT_MAX_SERVER_ADDRS 4
#define AGENT_EXIT_USAGE 64 /* EX_USAGE */

struct agent_config {
        char server_addrs[AGENT_MAX_SERVER_ADDRS][ADDR_STRING_MAX + 1];
        size_t n_server_addrs;
        const char *server_addr_source;

        enum log_level log_level;
        const char *log_level_source;

        bool debug_service;
        const char *kernel_cmdline_path;
        struct kernel_params kernel;

        /* How long a hotplug wait (a device in CreateContainer, a storage) lasts: agent.hotplug_timeout. */
        uint32_t hotplug_timeout_ms;
        /* Where log lines are also served (agent.log_vport=N: vsock://-1:N); "" = nowhere. */
        char log_addr[ADDR_STRING_MAX + 1];
        /* agent.debug_console: a shell on /dev/console, respawned (init mode only). */
        bool debug_console;
        /* A shell per connection (agent.debug_console_vport=N: vsock://-1:N); "" = none. */
        char debug_console_addr[ADDR_STRING_MAX + 1];
};

#define HOTPLUG_TIMEOUT_DEFAULT_S 3 /* Kata's */
#define HOTPLUG_TIMEOUT_MAX_S 3600

enum config_result {
        CONFIG_OK = 0,
        CONFIG_EXIT_SUCCESS, /* --help / --version printed */
};

/*
 * Fills *ret from argv, the environment and the kernel command line.
 * Returns CONFIG_OK, CONFIG_EXIT_SUCCESS, or -EINVAL after printing why.
 */
int agent_config_load(int argc, char **argv, struct agent_config *ret);

#endif
