/* SPDX-License-Identifier: Apache-2.0 */
/* A container's process: creation handshake, stdio, exit, waiters. */
#ifndef KINGLET_PROCESS_H
#define KINGLET_PROCESS_H

#include "container.h"

/* What happened to a process; the container decides what it means (container.c). */
enum process_event {
        PROCESS_READY,        /* init set up, held before exec */
        PROCESS_EXECED,       /* exec succeeded */
        PROCESS_SPAWN_FAILED, /* the child reported an error (in spawn_error) and exits */
        PROCESS_EXITED,
};
void container_process_event(struct process *p, enum process_event ev);

struct process *process_new(struct container *c, const char *exec_id, bool is_init, bool terminal);
/* Answers everything still parked on it, closes its descriptors, frees it. */
void process_free(struct process *p);

/*
 * Takes over a freshly spawned child: its pid, pidfd, sync socket and the
 * agent's ends of the stdio pipes (-1 where a terminal will provide them).
 */
int process_attach(struct process *p, pid_t pid, int pidfd, int sync_fd, int stdin_w, int stdout_r,
                   int stderr_r);

/* Sends START to a held init. */
int process_start(struct process *p);

void process_on_exit(struct process *p, int wait_status);
/* Whether the process has a handler for sig (SigCgt in /proc/<pid>/status); true when unknown. */
bool process_catches(const struct process *p, int sig);
int process_signal(struct process *p, int sig);
/* WaitProcess: answers now if it has exited, else parks. */
int process_wait(struct process *p, struct ttrpc_call *call);

/* stdio.c */
void stdio_out_init(struct stdio_out *s, struct process *p);
int stdio_out_attach(struct stdio_out *s, int fd);
void stdio_out_close(struct stdio_out *s);
int stdio_read(struct stdio_out *s, struct ttrpc_call *call, size_t len);
int stdio_write(struct process *p, struct ttrpc_call *call, const uint8_t *data, size_t len);
int stdio_close_stdin(struct process *p);
int stdio_resize(struct process *p, unsigned rows, unsigned cols);
/* After exit: keep reading a little, then declare EOF even if a daemon holds the pipe. */
void stdio_start_drain(struct process *p);
void stdio_free(struct process *p);

#endif
