/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KINGLET_HOOKS_H
#define KINGLET_HOOKS_H

#include <stdbool.h>
#include <sys/types.h>

#include "list.h"
#include "loop.h"
#include "oci.pb-c.h"
#include "status.h"

/* The stages run in the guest's namespace (createContainer/startContainer hooks are not supported). */
enum hook_stage { HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_POSTSTART, HOOK_POSTSTOP, HOOK_STAGES };

/* The stage's name as OCI spells it ("prestart", "createRuntime", …). */
const char *hook_stage_name(enum hook_stage stage);

struct hook {
        char *path;
        char **args; /* NULL-terminated, owned */
        char **env;
        int timeout_s;
};

struct hook_list {
        struct hook *h;
        size_t n;
};

/* Copies the spec's hooks of `stage` and adds guest_hook_path's (owned: free with hooks_free). */
int hooks_collect(const Grpc__Hooks *spec, const char *guest_hook_path, enum hook_stage stage,
                  struct hook_list *ret, struct rpc_error *e);
void hooks_free(struct hook_list *l);

/* The OCI state on a hook's stdin; malloc'd. */
int hooks_state_json(const char *id, const char *status, pid_t pid, const char *bundle, char **ret);

/* r: 0 when every hook succeeded, else -errno with *e naming the hook. */
typedef void (*hook_done_fn)(void *data, int r, const struct rpc_error *e);

struct hook_run {
        struct list_head link;
        struct loop *loop;
        const struct hook_list *hooks; /* must outlive the run */
        size_t next;
        pid_t pid;
        bool timed_out;
        struct loop_timer timer;
        char *state;
        struct rpc_error error;
        hook_done_fn done;
        void *data;
};

/*
 * Runs the hooks in order, then calls done (at once when there are none).
 * *ret_run is the run in progress; done must clear the caller's copy of it.
 */
int hooks_run(struct loop *loop, const struct hook_list *hooks, const char *state_json, hook_done_fn done,
              void *data, struct hook_run **ret_run);
/* Stops a run without calling done (its owner is going away). */
void hooks_cancel(struct hook_run *run);

/* For the SIGCHLD reaper: true when pid was a hook. */
bool hooks_child_exited(pid_t pid, int status);

#endif
