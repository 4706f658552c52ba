/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KINGLET_USER_H
#define KINGLET_USER_H

#include "agent.pb-c.h"
#include "plan.h"

/*
 * Resolves a string user (CreateContainer/ExecProcess string_user: names or
 * numbers) against the container's own /etc/passwd and /etc/group, read below
 * root_fd without following links out of it, into p->uid/gid/groups. A user
 * given by name (or a uid listed in /etc/passwd) gets its primary group when
 * no gid is given, and its /etc/group memberships when no additional groups
 * are given, as runc does. Unknown names are INVALID_ARGUMENT.
 */
int user_resolve(int root_fd, const Grpc__StringUser *su, struct plan *p, struct rpc_error *e);

#endif
