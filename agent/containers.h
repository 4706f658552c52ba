/* SPDX-License-Identifier: Apache-2.0 */
/* The container runtime's internal interface, shared by container*.c, sandbox.c and the rpc_* handlers. */
#ifndef KINGLET_CONTAINERS_H
#define KINGLET_CONTAINERS_H

#include "agent.pb-c.h"
#include "container.h"
#include "plan.h"

struct container *container_find(struct agent *a, const char *id);
/* exec_id "" (or NULL) is the init process. */
struct process *container_process(struct container *c, const char *exec_id);
/* Ids name directories: 1..256 of [A-Za-z0-9._-], starting with a letter or digit. */
int container_id_check(const char *what, const char *id, struct rpc_error *e);

/* The RPCs; each answers `call` or parks it. */
int container_create(struct agent *a, struct ttrpc_call *call, const Grpc__CreateContainerRequest *req);
int container_start(struct container *c, struct ttrpc_call *call);
int container_exec(struct container *c, struct ttrpc_call *call, const Grpc__ExecProcessRequest *req);
int container_remove(struct container *c, struct ttrpc_call *call, uint32_t timeout_s);
int container_signal(struct container *c, const char *exec_id, int sig, struct rpc_error *e);
int container_pause(struct container *c, bool pause, struct rpc_error *e);
int container_update(struct container *c, const Grpc__LinuxResources *r, struct rpc_error *e);
int container_stats(struct container *c, Grpc__StatsContainerResponse **ret, struct rpc_error *e);

/* Internal steps. */
int container_spawn(struct container *c, struct process *p, struct plan *plan, bool hold, int pidns_fd,
                    struct rpc_error *e);
void container_abort_create(struct container *c);
/* If RemoveContainer waits and every process has exited: finish it. */
void container_maybe_finish_remove(struct container *c);
/* Frees an exec'd process once nobody can still ask about it. */
void container_reap_process(struct process *p);
/*
 * The same from an event handler (an exit answering parked WaitProcess, EOF
 * handed to parked readers): checked on the next loop iteration, when
 * nothing up the stack still uses the process.
 */
void container_reap_soon(struct process *p);
/*
 * Undoes everything a container holds — processes (killed), OOM watch,
 * cgroup, rootfs mount, bundle, storages, hooks, seccomp — and frees it,
 * without touching the registry: for a create that failed before or after
 * it was registered.
 */
void container_teardown(struct container *c);
/* Removes a container at once (its processes are gone or will be killed); answers nothing. */
void container_destroy(struct container *c);
/* Kill and remove once empty, answering nobody (DestroySandbox). */
void container_destroy_async(struct container *c);
int process_park_pending(struct process *p, struct ttrpc_call *call);
void process_answer_pending(struct process *p, const struct rpc_error *err);
void plan_close_child_stdio(struct plan *p);

void container_free_hooks(struct container *c);
/* Runs a stage's hooks with the container's state; `done` gets the container as data. */
void container_run_hooks(struct container *c, enum hook_stage stage, const char *status, hook_done_fn done);

/* sandbox.c */
const char *sandbox_guest_hook_path(const struct agent *a); /* NULL without one */
int sandbox_pidns_fd(struct agent *a);         /* a new fd of the shared PID namespace, or -1 */
const char *sandbox_id(const struct agent *a); /* "" without a sandbox */
/* A DestroySandbox is waiting for the containers to go: no new ones until it is done. */
bool sandbox_destroying(void);
bool sandbox_child_exited(struct agent *a, pid_t pid);
/* The last container is gone: a DestroySandbox waiting for that can finish. */
void sandbox_containers_gone(struct agent *a);
/* Unmounts its storages, ends its PID namespace, frees it (no-op without one). */
void sandbox_free(struct agent *a);

/* oom.c */
void agent_oom_event(struct agent *a, const char *container_id);

#endif
