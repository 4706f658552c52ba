/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a child of the agent inherits: descriptors and signal state.
 *
 * The descriptors a child of the agent keeps. A child made by clone without
 * exec (a container process held until StartContainer, the sandbox's PID
 * namespace holder) starts with a copy of every descriptor the agent has:
 * other containers' stdin pipes, client connections, listeners. Holding them
 * would keep a CloseStdin from reaching its process and a connection from
 * closing when the agent drops it.
 */
#ifndef KINGLET_FDS_H
#define KINGLET_FDS_H

#include <stddef.h>

/* Closes every descriptor from 3 up that is not in keep (n at most 64; negatives ignored). 0 or -errno. */
int fds_close_except(const int *keep, size_t n);

/* Marks every descriptor from 3 up close-on-exec. 0 or -errno. */
int fds_cloexec_all(void);

/*
 * The agent blocks the signals it reads through signalfd and ignores
 * SIGPIPE; a child that will exec a program (a container process, a hook)
 * must start with neither: empty mask, every disposition default.
 */
void child_signals_default(void);

#endif
