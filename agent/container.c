/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container registry and lifecycle: create (bundle, cgroup, plan, spawn),
 * start, and what each process event means for its container.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_limits.h"
#include "bundle_config.h"
#include "cleanup.h"
#include "containers.h"
#include "devices_container.h"
#include "devices_default.h"
#include "helper_run.h"
#include "hotplug.h"
#include "log.h"
#include "parked.h"
#include "process.h"
#include "rpc.h"
#include "sandbox_files.h"
#include "spawn.h"
#include "storage.h"
#include "user.h"
#include "util.h"

const char *container_state_name(enum container_state s)
{
        static const char *const names[] = {
                [CONTAINER_CREATING] = "creating", [CONTAINER_CREATED] = "created",
                [CONTAINER_RUNNING] = "running",   [CONTAINER_PAUSED] = "paused",
                [CONTAINER_STOPPED] = "stopped",
        };
        return names[s];
}

int agent_runtime_init(struct agent *a)
{
        struct rpc_error e = { 0 };

        list_init(&a->containers);
        list_init(&a->oom_waiters);
        a->oom_queue = calloc(OOM_QUEUE_MAX, sizeof *a->oom_queue);
        if (!a->oom_queue)
                return -ENOMEM;
        a->stdio_cap = agent_limits()->stdio_buffer_bytes; /* agent.stdio_buffer_bytes or agent.container_pipe_size */
        a->have_cgroups = cgroup_env_detect(CGROUP_ROOT, &a->cgroup_env, &e) == 0;
        if (!a->have_cgroups)
                log_warn("no cgroup hierarchy under %s (%s): containers run without resource limits",
                         CGROUP_ROOT, e.msg);
        /* Orphans of containers are reparented to us, so we reap them, PID 1 or not. */
        if (!a->init_mode && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                log_warn_errno(-errno, "cannot become a child subreaper");
        /* watchable-bind storages watch their sources from the loop, sandbox or not. */
        storage_set_loop(a->loop);
        /* Device waits (hotplug.c); without the uevent socket they only look again at their deadline. */
        int r = hotplug_new(a->loop, a->config.hotplug_timeout_ms, &a->hotplug);
        if (r < 0)
                return r;
        if ((r = hotplug_listen(a->hotplug)) < 0)
                log_warn_errno(r, "cannot listen to kernel uevents: device waits will only look again at their deadline");
        return spawn_init();
}

struct container *container_find(struct agent *a, const char *id)
{
        struct list_head *pos, *tmp;
        list_for_each_safe(pos, tmp, &a->containers) {
                struct container *c = list_entry(pos, struct container, link);
                if (streq(c->id, id))
                        return c;
        }
        return NULL;
}

struct process *container_process(struct container *c, const char *exec_id)
{
        struct list_head *pos, *tmp;
        if (!exec_id || !*exec_id)
                return c->init;
        list_for_each_safe(pos, tmp, &c->processes) {
                struct process *p = list_entry(pos, struct process, link);
                if (streq(p->exec_id, exec_id))
                        return p;
        }
        return NULL;
}

int container_id_check(const char *what, const char *id, struct rpc_error *e)
{
        size_t n = id ? strlen(id) : 0;
        if (n == 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s is empty", what);
        if (n > CONTAINER_ID_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s is longer than %d bytes", what,
                                     CONTAINER_ID_MAX);
        /* The id names a directory under /run/kata-containers: letters, digits, . _ - only. */
        for (size_t i = 0; i < n; i++) {
                char ch = id[i];
                bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                          (i > 0 && (ch == '.' || ch == '_' || ch == '-'));
                if (!ok)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "%s `%.64s` has a character other than letters, digits, "
                                             "'.', '_' or '-' (or does not start with a letter or digit)",
                                             what, id);
        }
        return 0;
}

void container_free_hooks(struct container *c)
{
        hooks_cancel(c->hook_run);
        c->hook_run = NULL;
        for (int i = 0; i < HOOK_STAGES; i++)
                hooks_free(&c->hooks[i]);
}

void container_run_hooks(struct container *c, enum hook_stage stage, const char *status, hook_done_fn done)
{
        char *state = NULL;
        pid_t pid = c->init && !c->init->exited ? c->init->pid : 0;
        struct rpc_error e = { 0 };
        if (c->hook_run) {
                /*
                 * One stage at a time. Only poststart can still be running here
                 * (the container is removed meanwhile): it stops, and the
                 * StartContainer waiting on it is answered ABORTED when the
                 * init process is freed.
                 */
                log_info("container %s: stopping its running hooks for the %s stage", c->id, hook_stage_name(stage));
                hooks_cancel(c->hook_run);
                c->hook_run = NULL;
        }
        if (c->hooks[stage].n == 0 || hooks_state_json(c->id, status, pid, c->bundle, &state) < 0 ||
            hooks_run(c->agent->loop, &c->hooks[stage], state, done, c, &c->hook_run) < 0) {
                if (c->hooks[stage].n && !state)
                        rpc_error_set(&e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory for hook state");
                done(c, e.code ? -ENOMEM : 0, &e);
        }
        free(state);
}

static bool create_hook_failed(struct container *c, int r, const struct rpc_error *e)
{
        c->hook_run = NULL;
        if (r >= 0)
                return false;
        /* A failed create hook fails the create: the process goes, the rest is undone at its exit. */
        c->init->spawn_error = *e;
        process_signal(c->init, SIGKILL);
        return true;
}

static void after_create_runtime(void *data, int r, const struct rpc_error *e)
{
        struct container *c = data;
        if (create_hook_failed(c, r, e))
                return;
        c->state = CONTAINER_CREATED;
        process_answer_pending(c->init, NULL);
}

static void after_prestart(void *data, int r, const struct rpc_error *e)
{
        struct container *c = data;
        if (create_hook_failed(c, r, e))
                return;
        container_run_hooks(c, HOOK_CREATE_RUNTIME, "created", after_create_runtime);
}

static void after_poststart(void *data, int r, const struct rpc_error *e)
{
        struct container *c = data;
        c->hook_run = NULL;
        if (r < 0)
                log_warn("container %s: %s", c->id, e->msg); /* OCI: a poststart failure is only a warning */
        process_answer_pending(c->init, NULL);
}

static int make_bundle(struct container *c, const char *root_path, struct rpc_error *e)
{
        char rootfs[sizeof c->bundle + 8];
        if (mkdir(c->agent->container_base, 0711) < 0 && errno != EEXIST)
                return rpc_error_set(e, GRPC_INTERNAL, -errno, "cannot create %s: %s", c->agent->container_base,
                                     strerror(errno));
        /* 0711: a container root in a user namespace must still be able to pass through. */
        if (mkdir(c->bundle, 0711) < 0)
                return rpc_error_set(e, errno == EEXIST ? GRPC_ALREADY_EXISTS : GRPC_INTERNAL, -errno,
                                     "cannot create the bundle %s: %s", c->bundle, strerror(errno));
        snprintf(rootfs, sizeof rootfs, "%s/rootfs", c->bundle);
        if (mkdir(rootfs, 0755) < 0 && errno != EEXIST)
                return rpc_error_set(e, GRPC_INTERNAL, -errno, "cannot create %s: %s", rootfs, strerror(errno));
        /* Kata's layout: the root the runtime prepared appears at <bundle>/rootfs. */
        if (mount(root_path, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return rpc_error_set(e, errno == ENOENT ? GRPC_NOT_FOUND : GRPC_INVALID_ARGUMENT, -errno,
                                     "cannot use root.path `%.200s`: %s", root_path, strerror(errno));
        c->rootfs_mounted = true;
        return 0;
}

static void on_oom(struct loop_watch *w, uint32_t events)
{
        struct container *c = w->data;
        bool oom = false;
        (void)events;
        int r = cgroup_oom_check(c->cgroup, &oom);
        if (r < 0 || !oom)
                return;
        log_info("container %s: a process was killed for running out of memory", c->id);
        agent_oom_event(c->agent, c->id);
}

static void watch_oom(struct container *c)
{
        struct rpc_error e = { 0 };
        int fd;
        if (!c->cgroup || cgroup_oom_watch(c->cgroup, &fd, &e) < 0)
                return; /* no memory controller here: no OOM events, nothing else is lost */
        c->oom_fd = fd;
        if (loop_watch_add(c->agent->loop, &c->oom_watch, fd, EPOLLIN, on_oom, c) < 0)
                c->oom_fd = -1;
}

/* The client gave up on its Create/Start/Exec: the process carries on, nobody is told. */
static void pending_cancel(struct ttrpc_call *call, void *data, int reason)
{
        struct process *p = data;
        (void)call;
        (void)reason;
        p->pending = NULL;
}

int process_park_pending(struct process *p, struct ttrpc_call *call)
{
        p->pending = call;
        return ttrpc_call_park(call, pending_cancel, p);
}

void process_answer_pending(struct process *p, const struct rpc_error *err)
{
        struct ttrpc_call *call = p->pending;
        if (!call)
                return;
        p->pending = NULL;
        if (err && err->code)
                (void)ttrpc_call_fail_error(call, -EINVAL, err);
        else
                (void)ttrpc_call_reply(call, NULL);
}

/* Pipes for stdio when there is no terminal; the child's ends go into the plan. */
static int make_pipes(struct plan *plan, int agent_ends[3], struct rpc_error *e)
{
        int fds[3][2];
        for (int i = 0; i < 3; i++)
                if (pipe2(fds[i], O_CLOEXEC) < 0) {
                        int r = -errno;
                        for (int k = 0; k < i; k++)
                                close(fds[k][0]), close(fds[k][1]);
                        return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, r, "pipe: %s", strerror(-r));
                }
        plan->stdin_fd = fds[0][0];
        plan->stdout_fd = fds[1][1];
        plan->stderr_fd = fds[2][1];
        agent_ends[0] = fds[0][1];
        agent_ends[1] = fds[1][0];
        agent_ends[2] = fds[2][0];
        return 0;
}

void plan_close_child_stdio(struct plan *p)
{
        close_and_reset(&p->stdin_fd);
        close_and_reset(&p->stdout_fd);
        close_and_reset(&p->stderr_fd);
}

/* Everything after the process exists, shared with exec: stdio, spawn, attach. */
int container_spawn(struct container *c, struct process *p, struct plan *plan, bool hold, int pidns_fd,
                    struct rpc_error *e)
{
        int ends[3] = { -1, -1, -1 };
        int r;

        if (!plan->terminal && (r = make_pipes(plan, ends, e)) < 0)
                return r;
        struct spawn_request sreq = { .plan = plan, .hold = hold, .pidns_fd = pidns_fd, .cgroup = c->cgroup };
        pid_t pid;
        int pidfd, sync_fd;
        r = spawn_child(&sreq, &pid, &pidfd, &sync_fd, e);
        plan_close_child_stdio(plan);
        if (r < 0) {
                for (int i = 0; i < 3; i++)
                        close_and_reset(&ends[i]);
                return r;
        }
        r = process_attach(p, pid, pidfd, sync_fd, ends[0], ends[1], ends[2]);
        if (r < 0) {
                process_signal(p, SIGKILL);
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, r, "cannot watch the new process: %s", strerror(-r));
        }
        return 0;
}

static int create_with_plan(struct container *c, const Grpc__CreateContainerRequest *req, struct plan *plan,
                            struct rpc_error *e)
{
        struct agent *a = c->agent;
        const Grpc__Spec *spec = req->oci;
        char rootfs[sizeof c->bundle + 8];
        int r;

        snprintf(rootfs, sizeof rootfs, "%s/rootfs", c->bundle);
        /* Storages first: the root itself may be on one of them. */
        r = 0;
        for (size_t i = 0; r == 0 && i < req->n_storages; i++)
                r = storage_mount(req->storages[i], &c->storages, e);
        if (r == 0)
                r = make_bundle(c, spec->root->path, e);
        if (r == 0)
                r = plan_container(plan, spec, rootfs, a->have_cgroups && a->cgroup_env.version == CGROUP_V2, e);
        if (r == 0) /* the sandbox's resolv.conf, hosts, hostname for containers on its network */
                r = sandbox_files_plan_mounts(sandbox_files(a), plan, e);
        if (r == 0)
                r = plan_process(plan, spec->process, e);
        if (r == 0 && req->string_user) {
                _cleanup_close_ int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
                r = root_fd < 0 ? rpc_error_set(e, GRPC_INTERNAL, -errno, "cannot open %s", rootfs)
                                : user_resolve(root_fd, req->string_user, plan, e);
        }
        const char *guest_hooks = sandbox_guest_hook_path(a);
        for (int stage = 0; r == 0 && stage < HOOK_STAGES; stage++)
                r = hooks_collect(spec->hooks, guest_hooks, (enum hook_stage)stage, &c->hooks[stage], e);
        if (r == 0 && spec->linux && spec->linux->seccomp) {
                r = seccomp_compile(spec->linux->seccomp, &c->seccomp, e);
                c->has_seccomp = r == 0;
                plan->seccomp = c->has_seccomp ? &c->seccomp : NULL;
        }
        if (r == 0 && a->have_cgroups) {
                char path[CGROUP_PATH_MAX];
                r = cgroup_resolve_path(spec->linux ? spec->linux->cgroupspath : NULL, c->id, path, sizeof path, e);
                if (r == 0)
                        r = cgroup_create(&a->cgroup_env, path, &c->cgroup, e);
                if (r == 0) {
                        struct merged_resources merged;
                        r = devices_merge_rules(spec->linux ? spec->linux->resources : NULL, spec->linux, &merged);
                        if (r == 0)
                                r = cgroup_apply(c->cgroup, &merged.res, e);
                        devices_merged_free(&merged);
                }
                plan->cgroup_env = &a->cgroup_env;
                plan->cgroup_rel = c->cgroup ? c->cgroup->path : NULL;
        }
        if (r == 0) /* for hooks, which find it through the bundle in their state */
                r = bundle_config_write_at(c->bundle, spec, e);
        if (r < 0)
                return r;

        int pidns_fd = -1;
        if (req->sandbox_pidns) {
                pidns_fd = sandbox_pidns_fd(a);
                if (pidns_fd < 0)
                        return rpc_error_set(e, GRPC_FAILED_PRECONDITION, -ENOENT,
                                             "sandbox_pidns is set but the sandbox has no shared PID namespace "
                                             "(CreateSandbox with sandbox_pidns first)");
                plan->ns[NS_PID].present = false; /* the sandbox's, not a new one */
        }
        struct process *p = process_new(c, req->exec_id && *req->exec_id ? req->exec_id : c->id, true,
                                        spec->process->terminal);
        if (!p) {
                close_and_reset(&pidns_fd);
                return -ENOMEM;
        }
        list_add_tail(&p->link, &c->processes);
        c->n_processes = 1;
        c->init = p;
        r = container_spawn(c, p, plan, true, pidns_fd, e);
        close_and_reset(&pidns_fd);
        return r;
}

int container_create(struct agent *a, struct ttrpc_call *call, const Grpc__CreateContainerRequest *req)
{
        struct rpc_error e = { 0 };
        const Grpc__Spec *spec = req->oci;
        int r;

        r = container_id_check("container_id", req->container_id, &e);
        if (r == 0 && req->exec_id && *req->exec_id)
                r = container_id_check("exec_id", req->exec_id, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        if (sandbox_destroying())
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION,
                                       "the sandbox is being destroyed; no new containers");
        if (container_find(a, req->container_id))
                return ttrpc_call_fail(call, GRPC_ALREADY_EXISTS, "container `%s` already exists", req->container_id);
        if (a->n_containers >= agent_limits()->max_containers)
                return ttrpc_call_fail(call, GRPC_RESOURCE_EXHAUSTED, "%zu containers already exist (%s=%" PRIu32 ")",
                                       a->n_containers, LIMIT_KEY_CONTAINERS, agent_limits()->max_containers);
        if (!spec || !spec->process || !spec->root || !spec->root->path || !*spec->root->path)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT,
                                       "the OCI spec needs a process and a root with a path");
        if (req->n_storages > 64)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "more than 64 storages");
        if ((r = devices_container_check(spec, req->devices, req->n_devices, &e)) < 0)
                return ttrpc_call_fail_error(call, r, &e);
        /* Devices of the storages and of req->devices first: when they appear this handler runs again. */
        bool ready;
        r = hotplug_wait_request(a->hotplug, req->storages, req->n_storages, req->devices, req->n_devices, call,
                                 &req->base, a, rpc_create_container, &ready);
        if (!ready)
                return r;
        /* The spec belongs to the call: its device numbers become the guest's (devices_container.h). */
        if ((r = devices_container_apply((Grpc__Spec *)spec, req->devices, req->n_devices, &e)) < 0)
                return ttrpc_call_fail_error(call, r, &e);

        struct container *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->agent = a;
        c->oom_fd = -1;
        c->state = CONTAINER_CREATING;
        snprintf(c->id, sizeof c->id, "%s", req->container_id);
        snprintf(c->bundle, sizeof c->bundle, "%s/%s", a->container_base, c->id);
        list_init(&c->processes);
        list_init(&c->storages);

        struct plan plan;
        plan_init(&plan);
        r = create_with_plan(c, req, &plan, &e);
        plan_free(&plan);
        if (r < 0) {
                container_teardown(c);
                return ttrpc_call_fail_error(call, r, &e);
        }
        list_add_tail(&c->link, &a->containers);
        a->n_containers++;
        return process_park_pending(c->init, call);
}

int container_start(struct container *c, struct ttrpc_call *call)
{
        if (c->state != CONTAINER_CREATED)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION, "container `%s` is %s, not created", c->id,
                                       container_state_name(c->state));
        if (c->init->pending)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION, "container `%s` is already being started", c->id);
        int r = process_start(c->init);
        if (r < 0)
                return ttrpc_call_fail(call, GRPC_INTERNAL, "cannot start container `%s`: %s", c->id, strerror(-r));
        return process_park_pending(c->init, call);
}

void container_process_event(struct process *p, enum process_event ev)
{
        struct container *c = p->container;

        switch (ev) {
        case PROCESS_READY:
                watch_oom(c);
                /* prestart, then createRuntime hooks, then Create is answered (see docs/containers.md). */
                container_run_hooks(c, HOOK_PRESTART, "created", after_prestart);
                break;
        case PROCESS_EXECED:
                if (!p->is_init) {
                        process_answer_pending(p, NULL);
                        break;
                }
                c->state = CONTAINER_RUNNING;
                container_run_hooks(c, HOOK_POSTSTART, "running", after_poststart);
                break;
        case PROCESS_SPAWN_FAILED:
                /* A failed create is answered once the child is gone and everything is undone. */
                if (p->is_init && c->state == CONTAINER_CREATING) {
                        process_signal(p, SIGKILL);
                        break;
                }
                process_answer_pending(p, &p->spawn_error);
                break;
        case PROCESS_EXITED:
                if (p->is_init && c->state == CONTAINER_CREATING) {
                        container_abort_create(c);
                        return;
                }
                if (p->is_init)
                        c->state = CONTAINER_STOPPED;
                /* Not answered yet: it died before exec without saying why. (A hook run answers its own.) */
                if (p->pending && !(p->is_init && c->hook_run))
                        process_answer_pending(p, p->spawn_error.code ? &p->spawn_error : NULL);
                container_maybe_finish_remove(c);
                break;
        }
}

void container_abort_create(struct container *c)
{
        struct process *p = c->init;
        struct rpc_error err = p->spawn_error;
        struct ttrpc_call *call = p->pending;

        if (!err.code)
                rpc_error_set(&err, GRPC_INTERNAL, -EPIPE, "the container process exited during setup (status %d)",
                              p->exit_status);
        struct agent *a = c->agent;
        p->pending = NULL;
        list_del(&c->link);
        a->n_containers--;
        container_teardown(c);
        if (call)
                (void)ttrpc_call_fail_error(call, -EINVAL, &err);
        if (list_empty(&a->containers))
                sandbox_containers_gone(a); /* a DestroySandbox may be waiting for this one */
}

void agent_child_exited(struct agent *a, pid_t pid, int wait_status)
{
        struct list_head *cpos, *ctmp, *ppos, *ptmp;

        if (sandbox_child_exited(a, pid) || hooks_child_exited(pid, wait_status) || helper_child_exited(pid, wait_status))
                return;
        list_for_each_safe(cpos, ctmp, &a->containers) {
                struct container *c = list_entry(cpos, struct container, link);
                list_for_each_safe(ppos, ptmp, &c->processes) {
                        struct process *p = list_entry(ppos, struct process, link);
                        if (p->pid == pid && !p->exited) {
                                process_on_exit(p, wait_status);
                                return;
                        }
                }
        }
}
