/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The child that becomes a container process, and its conversation with the
 * agent over a SOCK_SEQPACKET socket pair (one message per packet):
 *
 *   agent                         child
 *     ── clone ──────────────────►  waits for GO
 *     writes uid/gid maps, cgroup
 *     GO ───────────────────────►  joins namespaces, sets up the root
 *                            ◄───  PTY (master fd, SCM_RIGHTS) when a terminal is asked
 *                            ◄───  READY        (container init only; then waits)
 *     START ────────────────────►  process setup, execve
 *                            ◄───  EOF          the socket is close-on-exec: exec worked
 *                            ◄───  ERROR        any step failed; the child exits
 *
 * The child runs in a raw clone of the single-threaded agent: it only reads
 * the plan, calls system calls and formats messages on the stack.
 */
#ifndef KINGLET_CHILD_H
#define KINGLET_CHILD_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

enum sync_type {
        SYNC_GO = 1,
        SYNC_READY,
        SYNC_START,
        SYNC_ERROR,
        SYNC_PTY,
};

struct sync_msg {
        uint32_t type;
        int32_t err;   /* errno of the failed step (SYNC_ERROR) */
        int32_t code;  /* gRPC code to answer with */
        char text[400];
};

/* Exit codes of a child that failed: exec's conventions. */
#define CHILD_EXIT_SETUP 125
#define CHILD_EXIT_CANNOT_EXEC 126
#define CHILD_EXIT_NOT_FOUND 127

/* Runs in the child after clone; never returns. `hold` waits for START before exec. */
_Noreturn void child_main(const struct plan *p, int sync_fd, bool hold);

/* child_rootfs.c: mounts, devices, pivot; masked and readonly paths after it. */
int child_setup_rootfs(const struct plan *p, struct sync_msg *err);
int child_finish_rootfs(const struct plan *p, struct sync_msg *err);

/* Records a failure in *err and returns -errnum. */
int child_fail(struct sync_msg *err, int errnum, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* openat2(RESOLVE_IN_ROOT): `path` (absolute) inside root_fd, creating what is missing. */
enum create_kind { CREATE_NONE, CREATE_DIR, CREATE_FILE };
int open_in_root(int root_fd, const char *path, enum create_kind create);

#endif
