/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Operations on an existing container: signal, pause/resume, update, stats,
 * and removal (kill everything, wait for the exits, undo the setup).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bundle_config.h"
#include "cleanup.h"
#include "containers.h"
#include "log.h"
#include "netstats.h"
#include "process.h"
#include "spawn.h"
#include "storage.h"
#include "util.h"

#define CGROUP_RETRY_FIRST_NS (5 * NSEC_PER_MSEC)
#define CGROUP_RETRY_MAX_NS (500 * NSEC_PER_MSEC)
#define CGROUP_RETRY_TOTAL_NS (10 * NSEC_PER_SEC)
/* How long an exited, waited-for process waits for the host to read its output to the end. */
#define EXEC_LINGER_NS (30 * NSEC_PER_SEC)

int container_signal(struct container *c, const char *exec_id, int sig, struct rpc_error *e)
{
        if (sig <= 0 || sig >= NSIG)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "signal %d is not a valid signal", sig);
        if (exec_id && *exec_id) {
                struct process *p = container_process(c, exec_id);
                if (!p)
                        return rpc_error_set(e, GRPC_NOT_FOUND, -ENOENT, "container `%s` has no process `%s`", c->id,
                                             exec_id);
                int r = process_signal(p, sig);
                return r < 0 ? rpc_error_set(e, grpc_code_from_errno(r), r, "cannot signal `%s`: %s", exec_id,
                                             strerror(-r))
                             : 0;
        }
        /*
         * As Kata's agent does: PID 1 of a namespace ignores signals it has no
         * handler for, so a SIGTERM its init does not catch becomes SIGKILL —
         * or a stop would sit out the runtime's whole grace period.
         */
        if (sig == SIGTERM && c->init && !c->init->exited && !process_catches(c->init, SIGTERM)) {
                log_info("container %s: its init does not handle SIGTERM; sending SIGKILL", c->id);
                sig = SIGKILL;
        }
        /*
         * Every process of the container: the cgroup knows them all, even
         * untracked descendants, and each gets the signal once. Without a
         * usable cgroup, the processes the agent tracks.
         */
        if (c->cgroup && cgroup_kill_all(c->cgroup, sig, NULL) == 0)
                ;
        else {
                struct list_head *pos, *tmp;
                list_for_each_safe(pos, tmp, &c->processes)
                        (void)process_signal(list_entry(pos, struct process, link), sig);
        }
        /* A frozen process cannot die: thaw it (runc does the same). */
        if (sig == SIGKILL && c->state == CONTAINER_PAUSED && c->cgroup) {
                (void)cgroup_freeze(c->cgroup, false, NULL, NULL);
                c->state = CONTAINER_RUNNING;
        }
        return 0;
}

int container_pause(struct container *c, bool pause, struct rpc_error *e)
{
        enum container_state want_from = pause ? CONTAINER_RUNNING : CONTAINER_PAUSED;
        if (c->state != want_from)
                return rpc_error_set(e, GRPC_FAILED_PRECONDITION, -EINVAL, "container `%s` is %s, not %s", c->id,
                                     container_state_name(c->state), container_state_name(want_from));
        if (!c->cgroup)
                return rpc_error_set(e, GRPC_UNIMPLEMENTED, -ENOTSUP,
                                     "pausing needs a freezer cgroup, and this guest has no cgroups");
        int r = cgroup_freeze(c->cgroup, pause, NULL, e);
        if (r < 0)
                return r;
        c->state = pause ? CONTAINER_PAUSED : CONTAINER_RUNNING;
        return 0;
}

int container_update(struct container *c, const Grpc__LinuxResources *res, struct rpc_error *e)
{
        if (!c->cgroup)
                return rpc_error_set(e, GRPC_UNIMPLEMENTED, -ENOTSUP, "this guest has no cgroups to update");
        if (!res)
                return 0;
        /*
         * Device rules are set once, at create, with the defaults every
         * container needs: a Kata runtime resends the spec's rules on update,
         * and applying them alone would replace (v2) or pile onto (v1) those.
         * Kata's agent leaves devices out of updates the same way.
         */
        Grpc__LinuxResources without_devices = *res;
        without_devices.n_devices = 0;
        without_devices.devices = NULL;
        return cgroup_apply(c->cgroup, &without_devices, e);
}

int container_stats(struct container *c, Grpc__StatsContainerResponse **ret, struct rpc_error *e)
{
        Grpc__StatsContainerResponse *resp = malloc(sizeof *resp);
        if (!resp)
                return -ENOMEM;
        grpc__stats_container_response__init(resp);
        if (c->cgroup) {
                int r = cgroup_stats(c->cgroup, &resp->cgroup_stats, e);
                if (r < 0) {
                        protobuf_c_message_free_unpacked(&resp->base, NULL);
                        return r;
                }
        }
        if (!c->init->exited)
                (void)netstats_collect(c->init->pid, resp); /* best effort: the netns may be gone */
        *ret = resp;
        return 0;
}

/* --- removal --- */

static bool all_exited(const struct container *c)
{
        const struct list_head *pos;
        for (pos = c->processes.next; pos != &c->processes; pos = pos->next)
                if (!list_entry(pos, const struct process, link)->exited)
                        return false;
        return true;
}

void container_teardown(struct container *c)
{
        struct agent *a = c->agent;
        char rootfs[sizeof c->bundle + 8];
        struct list_head *pos, *tmp;

        list_for_each_safe(pos, tmp, &c->processes) {
                struct process *p = list_entry(pos, struct process, link);
                if (!p->exited)
                        (void)process_signal(p, SIGKILL); /* its exit is reaped as an orphan */
                list_del(&p->link);
                process_free(p);
        }
        if (c->oom_fd >= 0) {
                /* The descriptor belongs to the cgroup, which closes it. */
                loop_watch_remove(a->loop, &c->oom_watch);
                c->oom_fd = -1;
        }
        if (c->cgroup) {
                (void)cgroup_kill_all(c->cgroup, SIGKILL, NULL);
                if (cgroup_destroy(c->cgroup, NULL) < 0)
                        log_warn("container %s: cgroup %s still busy, left behind", c->id, c->cgroup->path);
                cgroup_free(c->cgroup);
        }
        snprintf(rootfs, sizeof rootfs, "%s/rootfs", c->bundle);
        if (c->rootfs_mounted && umount2(rootfs, MNT_DETACH) < 0)
                log_warn_errno(-errno, "container %s: cannot unmount %s", c->id, rootfs);
        (void)rmdir(rootfs);
        bundle_config_remove(c->bundle);
        (void)rmdir(c->bundle);
        storage_unmount_all(&c->storages);
        container_free_hooks(c);
        if (c->has_seccomp)
                seccomp_prog_free(&c->seccomp);
        loop_timer_disarm(a->loop, &c->remove_timer);
        free(c);
}

void container_destroy(struct container *c)
{
        list_del(&c->link);
        c->agent->n_containers--;
        container_teardown(c);
}

static void finish_remove(struct container *c);

static void after_poststop(void *data, int r, const struct rpc_error *e)
{
        struct container *c = data;
        c->hook_run = NULL;
        if (r < 0)
                log_warn("container %s: %s", c->id, e->msg); /* OCI: poststop failures are warnings */
        hooks_free(&c->hooks[HOOK_POSTSTOP]);
        finish_remove(c);
}

static void finish_remove(struct container *c)
{
        struct agent *a = c->agent;
        /* OCI: poststop hooks run once the container is gone, before the delete returns. */
        if (c->hooks[HOOK_POSTSTOP].n) {
                container_run_hooks(c, HOOK_POSTSTOP, "stopped", after_poststop);
                return;
        }
        struct ttrpc_call *call = c->removing;
        c->removing = NULL;
        container_destroy(c);
        if (call)
                (void)ttrpc_call_reply(call, NULL);
        if (list_empty(&a->containers))
                sandbox_containers_gone(a);
}

/*
 * The processes we track are gone; untracked ones in the cgroup (orphans we
 * reap anonymously) may need a moment: retry the cgroup briefly before giving up.
 */
static void on_remove_retry(struct loop_timer *t)
{
        struct container *c = t->data;
        pid_t *pids = NULL;
        size_t n = 0;
        bool empty = !c->cgroup || cgroup_pids(c->cgroup, &pids, &n, NULL) < 0 || n == 0;
        free(pids);
        uint64_t now = now_ns();
        if (empty || now - c->remove_started_ns > CGROUP_RETRY_TOTAL_NS) {
                finish_remove(c);
                return;
        }
        (void)cgroup_kill_all(c->cgroup, SIGKILL, NULL);
        uint64_t delay = c->remove_retries++ == 0 ? CGROUP_RETRY_FIRST_NS : CGROUP_RETRY_MAX_NS;
        (void)loop_timer_arm(c->agent->loop, &c->remove_timer, now + delay, on_remove_retry, c);
}

void container_maybe_finish_remove(struct container *c)
{
        if (!(c->removing || c->destroying) || !all_exited(c))
                return;
        loop_timer_disarm(c->agent->loop, &c->remove_timer);
        /*
         * On the next loop iteration (not here: this may run inside the exit
         * handling of one of its processes). Usually the group is empty by
         * then; stragglers get 5 ms, then 500 ms at a time.
         */
        c->remove_retries = 0;
        (void)loop_timer_arm(c->agent->loop, &c->remove_timer, now_ns(), on_remove_retry, c);
}

/* DestroySandbox: every container goes the way of RemoveContainer, without a caller of its own. */
void container_destroy_async(struct container *c)
{
        if (c->removing || c->destroying)
                return;
        c->destroying = true;
        c->remove_started_ns = now_ns();
        if (!all_exited(c))
                (void)container_signal(c, "", SIGKILL, NULL);
        container_maybe_finish_remove(c);
}

static void remove_cancel(struct ttrpc_call *call, void *data, int reason)
{
        struct container *c = data;
        (void)call;
        (void)reason;
        c->removing = NULL;
}

static void on_remove_timeout(struct loop_timer *t)
{
        struct container *c = t->data;
        struct ttrpc_call *call = c->removing;
        c->removing = NULL;
        if (call)
                (void)ttrpc_call_fail(call, GRPC_DEADLINE_EXCEEDED,
                                      "processes of container `%s` did not exit in time after SIGKILL", c->id);
}

int container_remove(struct container *c, struct ttrpc_call *call, uint32_t timeout_s)
{
        if (c->removing)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION, "container `%s` is already being removed", c->id);
        if (c->state == CONTAINER_CREATING)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION, "container `%s` is still being created", c->id);
        /*
         * Even when every tracked process has exited, untracked ones (killed
         * with a PID namespace, orphans) may still hold the cgroup: removal
         * always finishes through the retry below, once the group is empty.
         */
        if (!all_exited(c))
                (void)container_signal(c, "", SIGKILL, NULL);
        c->removing = call;
        c->remove_started_ns = now_ns();
        int r = ttrpc_call_park(call, remove_cancel, c);
        if (r != TTRPC_PARKED)
                return r;
        if (timeout_s && !all_exited(c))
                (void)loop_timer_arm(c->agent->loop, &c->remove_timer, now_ns() + timeout_s * NSEC_PER_SEC,
                                     on_remove_timeout, c);
        container_maybe_finish_remove(c);
        return TTRPC_PARKED;
}

/*
 * Read to the end by the host: the empty reply that means EOF was delivered,
 * not merely reached — a reader that got the last data asks once more, and
 * must find the process still there. (A terminal's stderr is never read.)
 */
static bool stream_done(const struct process *p, const struct stdio_out *s)
{
        return (s->eof_delivered || (s == &p->err && p->terminal)) && list_empty(&s->readers);
}

static void on_reap_timer(struct loop_timer *t)
{
        container_reap_process(t->data);
}

void container_reap_soon(struct process *p)
{
        if (!p->is_init)
                (void)loop_timer_arm(p->container->agent->loop, &p->reap_timer, now_ns(), on_reap_timer, p);
}

void container_reap_process(struct process *p)
{
        struct container *c = p->container;
        /* Kept until its status was taken and its output read to the end; the init stays with the container. */
        if (p->is_init || !p->exited || !p->waited)
                return;
        uint64_t now = now_ns();
        if (!p->waited_ns)
                p->waited_ns = now;
        bool drained = stream_done(p, &p->out) && stream_done(p, &p->err);
        if (!drained && now < p->waited_ns + EXEC_LINGER_NS) {
                /*
                 * The host may still read what is left (a Kata runtime reads
                 * output after WaitProcess), but not forever: the process is
                 * dead, so its stdin can go now, and the record itself later.
                 */
                (void)stdio_close_stdin(p);
                (void)loop_timer_arm(c->agent->loop, &p->reap_timer, p->waited_ns + EXEC_LINGER_NS, on_reap_timer, p);
                return;
        }
        if (!drained)
                log_info("container %s: forgetting process %s, whose output was not read to the end within %d s "
                         "of its exit", c->id, p->exec_id, (int)(EXEC_LINGER_NS / NSEC_PER_SEC));
        list_del(&p->link);
        c->n_processes--;
        process_free(p);
}

/*
 * Shutdown: kill everything, give the kills a moment to land (blocking is
 * fine: the loop is done), then remove what is left.
 */
void agent_runtime_free(struct agent *a)
{
        struct list_head *pos, *tmp;
        list_for_each_safe(pos, tmp, &a->containers)
                (void)container_signal(list_entry(pos, struct container, link), "", SIGKILL, NULL);
        uint64_t deadline = now_ns() + 5 * NSEC_PER_SEC;
        for (;;) {
                bool busy = false;
                list_for_each_safe(pos, tmp, &a->containers) {
                        struct container *c = list_entry(pos, struct container, link);
                        pid_t *pids = NULL;
                        size_t n = 0;
                        if (c->cgroup && cgroup_pids(c->cgroup, &pids, &n, NULL) == 0 && n > 0)
                                busy = true;
                        free(pids);
                }
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ; /* their exits, reaped here now that the loop no longer runs */
                if (!busy || now_ns() > deadline)
                        break;
                usleep(10 * 1000);
        }
        list_for_each_safe(pos, tmp, &a->containers)
                container_destroy(list_entry(pos, struct container, link));
        sandbox_free(a);
        free(a->oom_queue);
        a->oom_queue = NULL;
        spawn_fini();
}
