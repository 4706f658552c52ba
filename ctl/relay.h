/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KINGLET_RELAY_H
#define KINGLET_RELAY_H

#include <stdbool.h>

#include "status.h"
#include "ttrpc_client.h"

struct relay_opts {
        bool forward_stdin; /* forward local stdin (else it stays unused) */
        bool tty;   /* the process has a terminal: raw local tty, resizes, one output stream */
};

/*
 * Relays stdio of the process until it has exited and its output reached EOF.
 * *ret_status is its exit status (128+signal when killed). 0 or -errno with *e.
 */
int relay_run(struct ttrpc_client *c, const char *id, const char *exec_id, const struct relay_opts *o,
              int *ret_status, struct rpc_error *e);

#endif
