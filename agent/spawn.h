/* SPDX-License-Identifier: Apache-2.0 */
/* Creating the child that becomes a container process (agent side of child.h). */
#ifndef KINGLET_SPAWN_H
#define KINGLET_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "plan.h"
#include "status.h"

struct spawn_request {
        const struct plan *plan;
        bool hold;            /* container init: stop before exec until START */
        int pidns_fd;         /* join this PID namespace (-1: the plan's, or a new one, or ours) */
        struct cgroup *cgroup; /* placed in it before it runs (may be NULL) */
};

/*
 * Clones the child, writes its id maps, moves it into the cgroup and lets it
 * go. Returns its pid, a pidfd (or -1 where the kernel has none) and the
 * agent's end of the sync socket. On failure the child is killed and reaped.
 */
int spawn_child(const struct spawn_request *req, pid_t *ret_pid, int *ret_pidfd, int *ret_sync_fd,
                struct rpc_error *e);

/* Opens /proc/self/ns/pid once, so the agent can return to its own PID namespace. */
int spawn_init(void);
/* Closes what spawn_init() opened (at the agent's exit). */
void spawn_fini(void);

int sync_send(int sync_fd, uint32_t type);

#endif
