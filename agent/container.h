/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Containers and their processes, as the agent tracks them.
 *
 * A container owns its init process, any exec'd processes, a cgroup and a
 * bundle directory /run/kata-containers/<id>/ (its rootfs bind-mounted at
 * rootfs/). A process owns its stdio (pipes, or a pty master), the calls
 * parked on it (WaitProcess, ReadStdout/ReadStderr, WriteStdin) and, while it
 * is being created, the sync socket to the child setting it up.
 */
#ifndef KINGLET_CONTAINER_H
#define KINGLET_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent.h"
#include "buf.h"
#include "cgroup.h"
#include "hooks.h"
#include "list.h"
#include "loop.h"
#include "security.h"
#include "ttrpc.h"

#define CONTAINER_ID_MAX 256
/* Each stdout/stderr buffers at most this much unless agent.stdio_buffer_bytes says otherwise (agent_limits.h). */
#define STDIO_BUFFER_DEFAULT (64u << 10)
#define STDIO_BUFFER_MAX (16u << 20)
/* After the process exits, output still arriving is read for this long before EOF is declared. */
#define STDIO_DRAIN_NS (500 * NSEC_PER_MSEC)
/* Defaults of agent.max_containers and agent.max_execs_per_container (agent_limits.h). */
#define MAX_CONTAINERS 4096
#define MAX_PROCESSES_PER_CONTAINER 1024

enum container_state {
        CONTAINER_CREATING, /* child setting up; CreateContainer parked */
        CONTAINER_CREATED,  /* init held before exec, waiting for StartContainer */
        CONTAINER_RUNNING,
        CONTAINER_PAUSED,
        CONTAINER_STOPPED, /* init exited */
};

const char *container_state_name(enum container_state s);

struct process;

/* One output stream (stdout or stderr) read into a bounded buffer. */
struct stdio_out {
        struct process *proc;
        int fd; /* read end: pipe, or the pty master for stdout; -1 once EOF */
        struct loop_watch watch;
        bool watching;
        struct buf data;
        bool eof;
        bool eof_delivered; /* a reader got the empty reply: the host has read to the end */
        struct list_head readers; /* parked ReadStdout/ReadStderr (struct stream_reader) */
};

/* What the child setting a process up is doing, seen from the agent. */
enum spawn_phase {
        SPAWN_SETUP,   /* before READY (init) or before exec (exec'd process) */
        SPAWN_HELD,    /* init is ready and waits for START */
        SPAWN_EXECING, /* START sent, waiting for the exec */
        SPAWN_DONE,    /* exec'd (or failed): sync socket closed */
};

struct process {
        struct container *container;
        char exec_id[CONTAINER_ID_MAX + 1];
        bool is_init;
        bool terminal;
        pid_t pid;
        int pidfd;
        bool exited;
        bool waited;     /* a WaitProcess has been answered */
        uint64_t waited_ns; /* when container_reap_process first saw it waited for (0: not yet) */
        int exit_status; /* exit code, or 128 + signal */

        /* creation handshake */
        int sync_fd;
        struct loop_watch sync_watch;
        enum spawn_phase phase;
        struct ttrpc_call *pending; /* Create/Start/ExecProcess waiting for the child */
        struct rpc_error spawn_error; /* what the child reported, if it failed */
        int spawn_errno;

        /* stdio */
        int stdin_fd; /* pipe write end, or a dup of the pty master; -1 when closed */
        struct loop_watch stdin_watch;
        bool stdin_watching;
        struct list_head stdin_writers; /* parked WriteStdin */
        struct stdio_out out, err;
        int pty_master; /* -1 without a terminal */
        size_t stdio_cap;
        struct loop_timer drain_timer;

        struct list_head waiters; /* parked WaitProcess (struct ttrpc_call list via process_waiter) */
        struct loop_timer reap_timer; /* container_reap_soon: forget it once waited for and drained */
        struct list_head link;    /* container->processes */
};

struct container {
        struct agent *agent;
        char id[CONTAINER_ID_MAX + 1];
        char bundle[128 + CONTAINER_ID_MAX];
        enum container_state state;
        struct process *init;
        struct list_head processes;
        size_t n_processes;
        struct cgroup *cgroup;
        bool rootfs_mounted;                 /* <bundle>/rootfs is our bind mount */
        struct seccomp_prog seccomp;          /* also applied to exec'd processes */
        bool has_seccomp;
        bool sandbox_pidns;
        int oom_fd;
        struct loop_watch oom_watch;
        struct ttrpc_call *removing;          /* RemoveContainer parked until processes are gone */
        bool destroying;                      /* DestroySandbox is removing it */
        struct loop_timer remove_timer;
        uint64_t remove_started_ns;
        unsigned remove_retries;     /* cgroup checks so far: the first is immediate */
        struct list_head storages;            /* CreateContainer's storages (storage.c) */
        struct hook_list hooks[HOOK_STAGES];  /* the spec's and the guest's, by stage */
        struct hook_run *hook_run;            /* a stage's hooks running now */
        struct list_head link;                /* registry */
};

#endif
