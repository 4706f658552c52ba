/* SPDX-License-Identifier: Apache-2.0 */
#include "agent_limits.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "log.h"
#include "macro.h"
#include "plan.h"
#include "ttrpc.h"

/* Beyond this a file belongs on a shared filesystem or a block device, not in RPC chunks. */
#define COPY_FILE_DEFAULT_MAX (1u << 30)
/* The kernel's MAX_ARG_STRLEN: execve refuses a longer argument or environment entry anyway. */
#define SPEC_STRING_DEFAULT_MAX (128u << 10)

struct limit_def {
        const char *key;
        size_t field;           /* in struct agent_limits */
        size_t param, has;      /* in struct kernel_params */
        uint32_t def, min, max; /* the floor keeps the agent usable, the ceiling keeps it alive */
};

#define LIMIT(k, f, d, lo, hi)                                                                                  \
        { k, offsetof(struct agent_limits, f), offsetof(struct kernel_params, f),                               \
          offsetof(struct kernel_params, has_##f), d, lo, hi }

static const struct limit_def limit_table[] = {
        LIMIT(LIMIT_KEY_CONNECTIONS, max_connections, TTRPC_DEFAULT_MAX_CONNECTIONS, 1, 65536),
        LIMIT(LIMIT_KEY_REQUESTS, max_requests_per_connection, TTRPC_DEFAULT_MAX_CALLS_PER_CONN, 1, 65536),
        LIMIT(LIMIT_KEY_CONTAINERS, max_containers, MAX_CONTAINERS, 1, 65536),
        LIMIT(LIMIT_KEY_EXECS, max_execs_per_container, MAX_PROCESSES_PER_CONTAINER, 0, 65536),
        LIMIT(LIMIT_KEY_STDIO, stdio_buffer_bytes, STDIO_BUFFER_DEFAULT, 4096, STDIO_BUFFER_MAX),
        LIMIT(LIMIT_KEY_COPY_FILE, copy_file_max_bytes, COPY_FILE_DEFAULT_MAX, 4096, UINT32_MAX),
        LIMIT(LIMIT_KEY_ENV, spec_max_env, PLAN_MAX_ENV, 16, 65536),
        LIMIT(LIMIT_KEY_ARGS, spec_max_args, PLAN_MAX_ARGS, 1, 65536),
        LIMIT(LIMIT_KEY_MOUNTS, spec_max_mounts, PLAN_MAX_MOUNTS, 0, 1024),
        LIMIT(LIMIT_KEY_STRING, spec_max_string_bytes, SPEC_STRING_DEFAULT_MAX, 256, 1u << 20),
};

static struct agent_limits current;
static bool current_set;

static uint32_t *field_of(struct agent_limits *l, const struct limit_def *d)
{
        return (uint32_t *)((char *)l + d->field);
}

void agent_limits_default(struct agent_limits *ret)
{
        struct agent_limits l;
        for (size_t i = 0; i < ARRAY_SIZE(limit_table); i++)
                *field_of(&l, &limit_table[i]) = limit_table[i].def;
        *ret = l;
}

static uint32_t clamp(const struct limit_def *d, const char *key, uint32_t v)
{
        if (v < d->min) {
                log_warn("%s=%" PRIu32 " is below the minimum: using %" PRIu32, key, v, d->min);
                return d->min;
        }
        if (v > d->max) {
                log_warn("%s=%" PRIu32 " is above the maximum: using %" PRIu32, key, v, d->max);
                return d->max;
        }
        return v;
}

void agent_limits_from_params(const struct kernel_params *kp, struct agent_limits *ret)
{
        struct agent_limits l;
        const char *base = (const char *)kp;

        agent_limits_default(&l);
        for (size_t i = 0; i < ARRAY_SIZE(limit_table); i++) {
                const struct limit_def *d = &limit_table[i];
                const char *key = d->key;
                uint32_t v;
                if (*(const bool *)(base + d->has))
                        v = *(const uint32_t *)(base + d->param);
                else if (d->field == offsetof(struct agent_limits, stdio_buffer_bytes) && kp->container_pipe_size) {
                        /* Kata's name for the same bound, below ours. */
                        key = "agent.container_pipe_size";
                        v = kp->container_pipe_size;
                } else
                        continue;
                *field_of(&l, d) = clamp(d, key, v);
        }
        *ret = l;
}

const struct agent_limits *agent_limits(void)
{
        if (!current_set) {
                agent_limits_default(&current);
                current_set = true;
        }
        return &current;
}

void agent_limits_set(const struct agent_limits *l)
{
        current = *l;
        current_set = true;
}

const char *agent_limit_key(size_t i, uint32_t *ret_default, uint32_t *ret_min, uint32_t *ret_max)
{
        if (i >= ARRAY_SIZE(limit_table))
                return NULL;
        *ret_default = limit_table[i].def;
        *ret_min = limit_table[i].min;
        *ret_max = limit_table[i].max;
        return limit_table[i].key;
}

void agent_limits_apply_server(struct ttrpc_server *s)
{
        const struct agent_limits *l = agent_limits();
        struct ttrpc_limits t = {
                .max_connections = l->max_connections,
                .max_calls_per_conn = l->max_requests_per_connection,
                .out_high_water = TTRPC_DEFAULT_OUT_HIGH_WATER,
                .out_low_water = TTRPC_DEFAULT_OUT_LOW_WATER,
                .out_max = TTRPC_DEFAULT_OUT_MAX,
                .max_connections_key = LIMIT_KEY_CONNECTIONS,
                .max_calls_key = LIMIT_KEY_REQUESTS,
        };
        ttrpc_server_set_limits(s, &t);
}

int limits_check_count(const char *what, size_t n, uint32_t limit, const char *key, struct rpc_error *e)
{
        if (n <= limit)
                return 0;
        return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -E2BIG, "%s has %zu entries, more than %s=%" PRIu32, what,
                             n, key, limit);
}

int limits_check_string(const char *what, const char *s, struct rpc_error *e)
{
        uint32_t limit = agent_limits()->spec_max_string_bytes;
        size_t len = s ? strnlen(s, (size_t)limit + 1) : 0;
        if (len <= limit)
                return 0;
        return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -E2BIG,
                             "%s (`%.40s…`) is longer than %s=%" PRIu32 " bytes", what, s, LIMIT_KEY_STRING, limit);
}

int limits_check_strings(const char *what, char *const *v, size_t n, struct rpc_error *e)
{
        for (size_t i = 0; i < n; i++) {
                char name[96];
                snprintf(name, sizeof name, "%s[%zu]", what, i);
                int r = limits_check_string(name, v[i], e);
                if (r < 0)
                        return r;
        }
        return 0;
}
