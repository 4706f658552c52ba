/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a client can make the agent hold, each bound configurable with an
 * agent.* key (kernel command line or agent.config_file). Every bound, when
 * hit, is answered RESOURCE_EXHAUSTED with a message naming the key and its
 * value. The table of keys, defaults and ranges is in limits.c and
 * docs/configuration.md.
 */
#ifndef KINGLET_AGENT_LIMITS_H
#define KINGLET_AGENT_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "status.h"

#define LIMIT_KEY_CONNECTIONS "agent.max_connections"
#define LIMIT_KEY_REQUESTS "agent.max_requests_per_connection"
#define LIMIT_KEY_CONTAINERS "agent.max_containers"
#define LIMIT_KEY_EXECS "agent.max_execs_per_container"
#define LIMIT_KEY_STDIO "agent.stdio_buffer_bytes"
#define LIMIT_KEY_COPY_FILE "agent.copy_file_max_bytes"
#define LIMIT_KEY_ENV "agent.spec_max_env"
#define LIMIT_KEY_ARGS "agent.spec_max_args"
#define LIMIT_KEY_MOUNTS "agent.spec_max_mounts"
#define LIMIT_KEY_STRING "agent.spec_max_string_bytes"

struct agent_limits {
        uint32_t max_connections;             /* open ttrpc connections */
        uint32_t max_requests_per_connection; /* requests in flight (parked ones count) */
        uint32_t max_containers;
        uint32_t max_execs_per_container;     /* exec'd processes at once, the init not counted */
        uint32_t stdio_buffer_bytes;          /* output buffered per stream before the pipe is left unread */
        uint32_t copy_file_max_bytes;         /* CopyFile's file_size */
        uint32_t spec_max_env;                /* process.env entries */
        uint32_t spec_max_args;               /* process.args entries */
        uint32_t spec_max_mounts;             /* spec.mounts entries */
        uint32_t spec_max_string_bytes;       /* an arg, an env entry, cwd, a mount's source/destination/type/option */
};

/* Today's built-in values. */
void agent_limits_default(struct agent_limits *ret);

/*
 * The limits the parameters ask for: a key not given keeps its default (for
 * the stdio buffer, Kata's agent.container_pipe_size is taken when
 * agent.stdio_buffer_bytes is not given); a value out of range is logged and
 * clamped to the nearest bound.
 */
void agent_limits_from_params(const struct kernel_params *kp, struct agent_limits *ret);

/* The limits in force (the defaults until agent_limits_set). */
const struct agent_limits *agent_limits(void);
void agent_limits_set(const struct agent_limits *l);

struct ttrpc_server;
/* Hands the connection and in-flight limits to the server. */
void agent_limits_apply_server(struct ttrpc_server *s);

/* Each of the table's keys with its range, for tests and docs: NULL past the end. */
const char *agent_limit_key(size_t i, uint32_t *ret_default, uint32_t *ret_min, uint32_t *ret_max);

/*
 * Spec checks, RESOURCE_EXHAUSTED when over: `n` entries of `what` against
 * `limit` (named `key`), and each string's length against spec_max_string_bytes.
 */
int limits_check_count(const char *what, size_t n, uint32_t limit, const char *key, struct rpc_error *e);
int limits_check_string(const char *what, const char *s, struct rpc_error *e);
int limits_check_strings(const char *what, char *const *v, size_t n, struct rpc_error *e);

#endif
