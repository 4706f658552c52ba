/* SPDX-License-Identifier: Apache-2.0 */
/* Running containers from integration tests: one call from spec to output and exit status. */
#ifndef KINGLET_CONTAINER_RUN_H
#define KINGLET_CONTAINER_RUN_H

#include <stddef.h>

#include "agent_client.h"
#include "agent_proc.h"
#include "test_spec.h"

struct ctr_env {
        struct agent_proc agent;
        struct agent_client client;
        char rootfs[160];
};

/* cmocka setup/teardown: an agent, a client, and a busybox rootfs at env->rootfs. */
int ctr_setup(void **state);
int ctr_teardown(void **state);

/* Reads a stream to EOF into a malloc'd, NUL-terminated buffer (*ret_len bytes). */
int ctr_read_all(struct agent_client *c, const char *id, const char *exec_id, bool err, char **ret,
                 size_t *ret_len);

/*
 * Create, start, read stdout (and stderr into *err_out if given) to EOF, wait,
 * remove. Returns 0 (and the exit status) or -errno with *e.
 */
int ctr_run(struct ctr_env *env, const char *id, const struct test_spec *ts, char **out, char **err_out,
            int *ret_status, struct rpc_error *e);

/* The same with a shell command: ["sh", "-c", cmd] in the default spec (ts may be pre-filled: NULL = default). */
int ctr_sh(struct ctr_env *env, const char *id, struct test_spec *ts, const char *cmd, char **out, int *status);

#endif
