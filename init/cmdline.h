/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel command line parameters in Kata's names (agent.*, systemd.*).
 *
 * Parsing is table-driven and bounded: the line is at most CMDLINE_MAX bytes,
 * every value is checked against its type and size, and unknown agent.* keys
 * are reported to the caller (who logs and ignores them).
 */
#ifndef KINGLET_CMDLINE_H
#define KINGLET_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CMDLINE_MAX 4096
#define CMDLINE_PATH "/proc/cmdline"
#define KERNEL_PARAM_STRING_MAX 256

struct kernel_params {
        char server_addr[ADDR_STRING_MAX + 1];
        bool has_server_addr;
        char log_level[16];
        bool has_log_level;
        char config_file[KERNEL_PARAM_STRING_MAX];
        bool has_config_file;
        char policy_file[KERNEL_PARAM_STRING_MAX]; /* agent.policy_file: the policy at start (docs/security.md) */
        bool has_policy_file;
        bool debug_console;
        uint32_t debug_console_vport;
        uint32_t log_vport;
        uint32_t hotplug_timeout_s;
        bool has_hotplug_timeout;
        uint32_t container_pipe_size;
        /* Limits (agent/limits.h): the value and whether the key was given. */
        uint32_t max_connections;
        bool has_max_connections;
        uint32_t max_requests_per_connection;
        bool has_max_requests_per_connection;
        uint32_t max_containers;
        bool has_max_containers;
        uint32_t max_execs_per_container;
        bool has_max_execs_per_container;
        uint32_t stdio_buffer_bytes;
        bool has_stdio_buffer_bytes;
        uint32_t copy_file_max_bytes;
        bool has_copy_file_max_bytes;
        uint32_t spec_max_env;
        bool has_spec_max_env;
        uint32_t spec_max_args;
        bool has_spec_max_args;
        uint32_t spec_max_mounts;
        bool has_spec_max_mounts;
        uint32_t spec_max_string_bytes;
        bool has_spec_max_string_bytes;
        uint32_t passfd_listener_port;
        bool devmode;
        bool trace;
        bool unified_cgroup_hierarchy;
        bool has_unified_cgroup_hierarchy;
};

/* Called for agent.* keys the table does not know, and for values that do not parse. */
typedef void (*kernel_param_warn_fn)(const char *key, const char *value, const char *why,
                                     void *data);

/* Parses a command line; a bad value is reported and skipped, never fatal. */
void kernel_params_parse(const char *cmdline, struct kernel_params *ret,
                         kernel_param_warn_fn warn, void *data);

/* Applies a command line on top of *kp (what kernel_params_parse does, without starting empty). */
void kernel_params_apply(const char *cmdline, struct kernel_params *kp, kernel_param_warn_fn warn, void *data);

/* Sets one parameter through the table (value NULL for a bare key); a bad value is reported, *kp kept. */
void kernel_param_set(struct kernel_params *kp, const char *key, const char *value, kernel_param_warn_fn warn,
                      void *data);

/*
 * Reads and parses `path` (normally /proc/cmdline). -errno if it cannot be read.
 * With agent.config_file=FILE, FILE is read too (config_file.h) and the
 * command line is applied again on top of it: the command line wins.
 */
int kernel_params_read(const char *path, struct kernel_params *ret, kernel_param_warn_fn warn,
                       void *data);

#endif
