/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ExecProcess: a new process inside a running container — its namespaces
 * (those that differ from the agent's), its root, its cgroup, and the
 * container's seccomp filter, with the process spec of the request.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_limits.h"
#include "cleanup.h"
#include "containers.h"
#include "process.h"
#include "user.h"
#include "util.h"

/* Opens /proc/<pid>/ns/<name> when it differs from ours (setns into our own user namespace fails). */
static int open_foreign_ns(pid_t pid, const char *name, int *ret_fd)
{
        char theirs[64], ours[64];
        struct stat a, b;

        snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, name);
        snprintf(ours, sizeof ours, "/proc/self/ns/%s", name);
        if (stat(theirs, &a) < 0)
                return -errno;
        *ret_fd = -1;
        if (stat(ours, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                return 0;
        *ret_fd = open(theirs, O_RDONLY | O_CLOEXEC);
        return *ret_fd < 0 ? -errno : 0;
}

static int plan_exec(struct container *c, const Grpc__ExecProcessRequest *req, struct plan *plan,
                     int *ret_pidns, struct rpc_error *e)
{
        pid_t pid = c->init->pid;
        char root[64];
        int r;

        r = plan_process(plan, req->process, e);
        if (r < 0)
                return r;
        for (int t = 0; t < NS_COUNT; t++) {
                int fd;
                if (t == NS_PID)
                        continue;
                r = open_foreign_ns(pid, ns_proc_names[t], &fd);
                if (r < 0)
                        return rpc_error_set(e, GRPC_FAILED_PRECONDITION, r,
                                             "cannot open the %s namespace of container `%s`: %s",
                                             ns_type_names[t], c->id, strerror(-r));
                plan->ns[t] = (struct ns_plan){ .present = fd >= 0, .join = fd >= 0, .fd = fd };
        }
        r = open_foreign_ns(pid, "pid", ret_pidns);
        if (r < 0)
                return rpc_error_set(e, GRPC_FAILED_PRECONDITION, r, "cannot open the PID namespace: %s", strerror(-r));
        snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
        plan->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (plan->root_fd < 0)
                return rpc_error_set(e, GRPC_FAILED_PRECONDITION, -errno, "cannot open the root of container `%s`: %s",
                                     c->id, strerror(errno));
        if (req->string_user) {
                r = user_resolve(plan->root_fd, req->string_user, plan, e);
                if (r < 0)
                        return r;
        }
        plan->seccomp = c->has_seccomp ? &c->seccomp : NULL;
        return 0;
}

int container_exec(struct container *c, struct ttrpc_call *call, const Grpc__ExecProcessRequest *req)
{
        struct rpc_error e = { 0 };
        int r = container_id_check("exec_id", req->exec_id, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        if (c->state != CONTAINER_RUNNING || c->init->exited)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION, "cannot exec in container `%s`: it is %s",
                                       c->id, c->init->exited ? "stopped" : container_state_name(c->state));
        if (container_process(c, req->exec_id))
                return ttrpc_call_fail(call, GRPC_ALREADY_EXISTS, "container `%s` already has a process `%s`", c->id,
                                       req->exec_id);
        /* n_processes counts the init too. */
        if (c->n_processes - 1 >= agent_limits()->max_execs_per_container)
                return ttrpc_call_fail(call, GRPC_RESOURCE_EXHAUSTED,
                                       "container `%s` already runs %zu exec'd processes (%s=%" PRIu32 ")", c->id,
                                       c->n_processes - 1, LIMIT_KEY_EXECS, agent_limits()->max_execs_per_container);
        if (!req->process)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "ExecProcess without a process");

        struct plan plan;
        int pidns = -1;
        plan_init(&plan);
        r = plan_exec(c, req, &plan, &pidns, &e);
        struct process *p = NULL;
        if (r == 0) {
                p = process_new(c, req->exec_id, false, req->process->terminal);
                r = p ? container_spawn(c, p, &plan, false, pidns, &e) : -ENOMEM;
        }
        close_and_reset(&pidns);
        plan_free(&plan);
        if (r < 0) {
                process_free(p);
                return ttrpc_call_fail_error(call, r, &e);
        }
        list_add_tail(&p->link, &c->processes);
        c->n_processes++;
        return process_park_pending(p, call);
}
