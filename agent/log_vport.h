/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.log_vport=N: the agent listens on vsock port N and sends every log
 * line to whoever connected (Kata's runtime reads the guest's log there).
 * One peer at a time; a new connection replaces the old one. Lines are
 * written without blocking: what the peer does not take at once waits in a
 * bounded buffer, and when that is full lines are dropped and counted (a
 * note with the count follows once the peer catches up). Before anyone
 * connects, lines go only to the agent's usual log.
 */
#ifndef KINGLET_LOG_VPORT_H
#define KINGLET_LOG_VPORT_H

#include <stdint.h>

#include "loop.h"

#define LOG_VPORT_BUFFER (64u << 10)

struct log_vport;

/* Listens on addr (vsock://-1:N, or unix:// in tests) and becomes the log's tee. */
int log_vport_start(struct loop *loop, const char *addr, struct log_vport **ret);
/* Stops teeing, closes the peer and the listener. NULL is fine. */
void log_vport_free(struct log_vport *lv);
/* Lines dropped because the peer was slow, since start. */
uint64_t log_vport_dropped(const struct log_vport *lv);

#endif
