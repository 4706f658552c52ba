/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run the real kinglet-agent for integration tests: in a private mount
 * namespace with a fresh tmpfs on /run (so /run/kata-containers is its own),
 * listening on a unix socket in a temporary directory, logging to a file.
 *
 * KINGLET_AGENT names the binary (default build/kinglet-agent).
 * KINGLET_AGENT_WRAPPER, when set, is a command (words split at spaces, looked
 * up in $PATH) the agent runs under, e.g. "valgrind --tool=memcheck ...";
 * start and stop then wait up to 60 s instead of 5 (tests/integration/valgrind_agent.c).
 */
#ifndef KINGLET_AGENT_PROC_H
#define KINGLET_AGENT_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "ttrpc_client.h"

struct agent_proc {
        pid_t pid;
        char dir[64];     /* temporary directory for sockets, logs, fixtures */
        char sock[128];
        char addr[160];   /* unix://<sock> */
        char log[128];
};

struct agent_opts {
        bool no_default_addr;       /* don't pass --server-addr <dir>/agent.sock */
        const char *const *args;    /* extra arguments, NULL-terminated */
        const char *const *env;     /* extra NAME=value, NULL-terminated */
        const char *wait_sock;      /* socket to wait for instead of the default */
};

/* True when the tests can run agents (root, namespaces): else they skip. */
bool agent_can_run(void);
const char *agent_binary(void);
const char *ctl_binary(void);

/* Creates a->dir; then starts the agent and waits until its socket answers. */
int agent_start(struct agent_proc *a, const struct agent_opts *opts);
/* SIGTERM, wait (5 s, then SIGKILL); returns the wait status. Removes a->dir. */
int agent_stop(struct agent_proc *a);
/* Prints the agent's log to stderr (on failure). */
void agent_dump_log(const struct agent_proc *a);
/* True when the agent's log contains `needle`. */
bool agent_log_contains(const struct agent_proc *a, const char *needle);

struct ttrpc_client *agent_connect(const struct agent_proc *a);
/* Health.Check over `c`; returns the gRPC code (OK when SERVING). */
int agent_check(struct ttrpc_client *c);

/*
 * Runs argv[0] with its arguments (NULL-terminated), capturing stdout (and
 * stderr too if `with_stderr`) into out; returns the exit code (128+signal).
 */
int run_capture(const char *const *argv, bool with_stderr, char *out, size_t out_size);
/* kinglet-ctl with these arguments; stdout only. */
int run_ctl(const char *const *args, char *out, size_t out_size);
/* kinglet-agent with these arguments, expected to exit by itself; stdout and stderr. */
int run_agent_until_exit(const char *const *args, char *out, size_t out_size);

/*
 * cmocka fixture: *state becomes a started agent (skips the test when agents
 * cannot run here); teardown stops it and fails unless it exited with status 0.
 */
int agent_test_setup(void **state);
int agent_test_teardown(void **state);

#endif
