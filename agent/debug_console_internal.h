/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by debug_console.c (console, listener) and debug_console_session.c (one connection). */
#ifndef KINGLET_DEBUG_CONSOLE_INTERNAL_H
#define KINGLET_DEBUG_CONSOLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "debug_console.h"
#include "list.h"
#include "loop.h"

#define SESSION_BUFFER 4096

struct debug_console {
        struct loop *loop;
        int listen_fd;
        struct loop_watch listen_watch;
        struct list_head sessions;
        size_t n_sessions;

        char console_path[128];
        pid_t console_pid;
        int console_pidfd;
        struct loop_watch console_watch;
        uint64_t console_started_ns;
        unsigned respawn_delay_s;
        struct loop_timer respawn;
};

/* One connection: its socket, the pty master, the shell. Each direction has one buffer. */
struct session {
        struct debug_console *dc;
        struct list_head link;
        int sock, master, pidfd;
        pid_t pid;
        struct loop_watch sock_watch, master_watch, pid_watch;
        char to_pty[SESSION_BUFFER], to_sock[SESSION_BUFFER];
        size_t to_pty_len, to_sock_len;
};

/* Takes sock (connected, non-blocking) on success. */
int session_start(struct debug_console *dc, int sock);
void session_end(struct session *s);

#endif
