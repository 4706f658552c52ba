/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run a helper program of the guest image (iptables-save, resize2fs, ...)
 * without blocking the loop: its stdin is fed from memory through a watched
 * non-blocking pipe, stdout and stderr are read into bounded buffers, and the
 * exit arrives through the agent's SIGCHLD reaper (agent_child_exited calls
 * helper_child_exited). The owner hears the result once, through a callback,
 * when the program has exited and its output pipes are drained.
 */
#ifndef KINGLET_HELPER_RUN_H
#define KINGLET_HELPER_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"
#include "macro.h"

/* Directories searched for helpers, in order, unless KINGLET_HELPER_PATH (a test hook) says otherwise. */
#define HELPER_DEFAULT_PATH "/usr/sbin:/sbin:/usr/bin:/bin"
#define HELPER_PATH_ENV "KINGLET_HELPER_PATH"
/* At most this many helpers run at once; more is a client flooding us. */
#define HELPER_MAX_RUNNING 16
/* A helper that has not exited after this long is killed (when the spec gives no timeout). */
#define HELPER_DEFAULT_TIMEOUT_NS (60 * NSEC_PER_SEC)
/* After the exit, output still arriving (a grandchild holding the pipe) is read for this long. */
#define HELPER_DRAIN_NS (500 * NSEC_PER_MSEC)

struct helper_output {
        char *data; /* NUL-terminated (len bytes before it), malloc'd; NULL when nothing came */
        size_t len;
        bool truncated; /* more came than the bound; the rest was read and dropped */
};

struct helper_result {
        int wait_status;  /* as waitpid reports it */
        bool timed_out;   /* killed at the timeout */
        struct helper_output out, err;
};

/* res (and its buffers) belongs to the helper and is freed when done returns. */
typedef void (*helper_done_fn)(void *data, const struct helper_result *res);

struct helper_spec {
        const char *path;        /* absolute (see helper_find) */
        const char *const *argv; /* NULL-terminated, argv[0] included */
        const void *input;       /* stdin; NULL: /dev/null. Must stay valid until done or cancel */
        size_t input_len;
        size_t out_max, err_max; /* bytes kept of stdout, stderr */
        uint64_t timeout_ns;     /* 0: HELPER_DEFAULT_TIMEOUT_NS */
};

struct helper;

/*
 * Starts the program. On success *ret is the run in progress, and done is
 * called exactly once later (never from inside helper_start), unless the run
 * is cancelled first. -errno when nothing started (-EAGAIN: HELPER_MAX_RUNNING
 * are running).
 */
int helper_start(struct loop *loop, const struct helper_spec *spec, helper_done_fn done, void *data,
                 struct helper **ret);

/* Kills the program and forgets the run, without calling done (its owner is going away). */
void helper_cancel(struct helper *h);

/* For the SIGCHLD reaper: true when pid was a helper. */
bool helper_child_exited(pid_t pid, int wait_status);

/*
 * Finds an executable `name` in the helper directories; writes its path to
 * ret. -ENOENT when no directory has it (ret untouched).
 */
int helper_find(const char *name, char *ret, size_t size);

/* The search list helper_find uses (for messages). */
const char *helper_path(void);

/* "exit status 2", "signal 9", "timed out": how a run ended, for messages. */
const char *helper_describe_exit(const struct helper_result *res, char *buf, size_t size);

/*
 * The end of the program's stderr for a message: at most size-1 bytes
 * (the last ones, "..." in front when cut), newlines as "; ", trailing
 * whitespace dropped; "(no output)" when there was none.
 */
const char *helper_stderr_tail(const struct helper_result *res, char *buf, size_t size);

#endif
