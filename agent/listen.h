/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KINGLET_LISTEN_H
#define KINGLET_LISTEN_H

#include "agent.h"

/* Opens the channel for one --server-addr and hands it to the server; logs failures. */
int agent_listen(struct agent *a, const char *address);

#endif
