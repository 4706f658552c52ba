/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kata's debug console, off unless the kernel command line asks:
 *
 *   agent.debug_console          a shell on /dev/console, in a session of its
 *                                own with the console as controlling terminal,
 *                                started again whenever it exits (after a
 *                                growing pause when it keeps exiting at once);
 *   agent.debug_console_vport=N  a listener on vsock port N: each connection
 *                                gets a shell on a fresh pseudo-terminal, its
 *                                bytes relayed both ways by the event loop.
 *
 * The shell is the first of /bin/sh, /usr/bin/sh, /bin/busybox (as "sh").
 */
#ifndef KINGLET_DEBUG_CONSOLE_H
#define KINGLET_DEBUG_CONSOLE_H

#include <stdbool.h>

#include "loop.h"

#define DEBUG_CONSOLE_MAX_SESSIONS 4
#define DEBUG_CONSOLE_RESPAWN_MAX_S 60

struct debug_console;

/* on_console: the respawned console shell; addr (may be NULL or ""): the per-connection listener. */
int debug_console_start(struct loop *loop, bool on_console, const char *console_path, const char *addr,
                        struct debug_console **ret);
/* Ends every session (their shells get SIGHUP) and stops respawning. NULL is fine. */
void debug_console_free(struct debug_console *dc);

/* The shell the console uses (argv[0] in *ret_argv0): 0, or -ENOENT when there is none. */
int debug_console_find_shell(const char **ret_path, const char **ret_argv0);

/* Starts the shell in a new session with tty_fd as controlling terminal (steal: take it from another session). */
int debug_console_spawn(int tty_fd, bool steal, pid_t *ret_pid, int *ret_pidfd);

#endif
