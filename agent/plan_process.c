/* SPDX-License-Identifier: Apache-2.0 */
/* The process half of a spawn plan: argv, env, cwd, user, capabilities, rlimits, terminal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_limits.h"
#include "plan.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* An invalid spec: INVALID_ARGUMENT with a message naming what is wrong. */
#define bad(e, ...) rpc_error_set((e), GRPC_INVALID_ARGUMENT, -EINVAL, __VA_ARGS__)

/* A NULL-terminated copy of the pointer array (the strings stay in the spec). */
static char **strv_view(char *const *v, size_t n)
{
        char **a = calloc(n + 1, sizeof *a);
        if (!a)
                return NULL;
        /* An empty repeated field is NULL, and memcpy from NULL is undefined even for 0 bytes. */
        if (n)
                memcpy(a, v, n * sizeof *a);
        return a;
}

int plan_process(struct plan *p, const Grpc__Process *proc, struct rpc_error *e)
{
        int r;

        if (!proc)
                return bad(e, "%s", "the spec has no process");
        if (proc->n_args == 0 || !proc->args[0] || !*proc->args[0])
                return bad(e, "%s", "process.args is empty: there is nothing to run");
        if ((r = limits_check_count("process.args", proc->n_args, agent_limits()->spec_max_args, LIMIT_KEY_ARGS,
                                    e)) < 0 ||
            (r = limits_check_count("process.env", proc->n_env, agent_limits()->spec_max_env, LIMIT_KEY_ENV, e)) < 0 ||
            (r = limits_check_strings("process.args", proc->args, proc->n_args, e)) < 0 ||
            (r = limits_check_strings("process.env", proc->env, proc->n_env, e)) < 0 ||
            (r = limits_check_string("process.cwd", proc->cwd, e)) < 0)
                return r;
        for (size_t i = 0; i < proc->n_env; i++)
                if (!strchr(proc->env[i], '='))
                        return bad(e, "environment entry `%.200s` has no '='", proc->env[i]);

        free(p->argv);
        free(p->envp);
        p->argv = strv_view(proc->args, proc->n_args);
        p->envp = strv_view(proc->env, proc->n_env);
        if (!p->argv || !p->envp)
                return -ENOMEM;
        p->path_env = DEFAULT_PATH;
        for (size_t i = 0; i < proc->n_env; i++)
                if (startswith(proc->env[i], "PATH="))
                        p->path_env = proc->env[i] + 5;

        p->cwd = proc->cwd && *proc->cwd ? proc->cwd : "/";
        if (p->cwd[0] != '/')
                return bad(e, "process.cwd `%.200s` must be absolute", p->cwd);

        if (proc->user) {
                p->uid = proc->user->uid;
                p->gid = proc->user->gid;
                if (proc->user->n_additionalgids > PLAN_MAX_GROUPS)
                        return bad(e, "%s", "more than 64 additional groups");
                p->n_groups = proc->user->n_additionalgids;
                for (size_t i = 0; i < p->n_groups; i++)
                        p->groups[i] = proc->user->additionalgids[i];
        }

        p->has_caps = proc->capabilities != NULL;
        if (p->has_caps) {
                r = caps_parse(proc->capabilities, &p->caps, e);
                if (r < 0)
                        return r;
        }
        r = rlimits_parse(proc->rlimits, proc->n_rlimits, p->rlimits, &p->n_rlimits, e);
        if (r < 0)
                return r;

        p->no_new_privileges = proc->nonewprivileges;
        /* Kata's protobuf cannot tell 0 from unset: 0 leaves the inherited value. */
        p->set_oom_score_adj = proc->oomscoreadj != 0;
        if (p->set_oom_score_adj) {
                if (proc->oomscoreadj < -1000 || proc->oomscoreadj > 1000)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "oomScoreAdj %lld is outside -1000..1000",
                                             (long long)proc->oomscoreadj);
                snprintf(p->oom_score_adj, sizeof p->oom_score_adj, "%lld", (long long)proc->oomscoreadj);
        }
        p->terminal = proc->terminal;
        if (proc->consolesize) {
                p->console_rows = (unsigned short)MIN(proc->consolesize->height, 0xffffu);
                p->console_cols = (unsigned short)MIN(proc->consolesize->width, 0xffffu);
        }
        return 0;
}
