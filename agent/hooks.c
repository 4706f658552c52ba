/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI hooks: the spec's, plus executables found in the sandbox's
 * guest_hook_path/<stage>/ (Kata's guest hooks, sorted by name). A stage's
 * hooks run one after another as child processes watched by the loop, with
 * the container's state as JSON on stdin and a timeout each; the caller
 * hears the result through a callback, so nothing blocks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fds.h"
#include "hooks.h"
#include "json.h"
#include "log.h"
#include "util.h"

#define HOOK_DEFAULT_TIMEOUT_S 60
#define HOOK_MAX_TIMEOUT_S 3600
#define HOOKS_MAX 32

static const char *const stage_dirs[HOOK_STAGES] = {
        [HOOK_PRESTART] = "prestart", [HOOK_CREATE_RUNTIME] = "createRuntime",
        [HOOK_POSTSTART] = "poststart", [HOOK_POSTSTOP] = "poststop",
};

const char *hook_stage_name(enum hook_stage stage)
{
        return stage_dirs[stage];
}

/* The runs in progress, for the SIGCHLD reaper. */
static struct list_head running = LIST_HEAD_INIT(running);

static char **strv_copy(char *const *v, size_t n)
{
        char **c = calloc(n + 1, sizeof *c);
        for (size_t i = 0; c && i < n; i++)
                if (!(c[i] = strdup(v[i]))) {
                        for (size_t k = 0; k < i; k++)
                                free(c[k]);
                        free(c);
                        return NULL;
                }
        return c;
}

static void strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

static int add_hook(struct hook_list *l, const char *path, char *const *args, size_t n_args, char *const *env,
                    size_t n_env, int64_t timeout)
{
        if (l->n == HOOKS_MAX)
                return -E2BIG;
        struct hook *h = &l->h[l->n];
        char *default_args[] = { (char *)path };
        h->path = strdup(path);
        h->args = n_args ? strv_copy(args, n_args) : strv_copy(default_args, 1);
        h->env = strv_copy(env, n_env);
        h->timeout_s = timeout > 0 ? (int)MIN(timeout, HOOK_MAX_TIMEOUT_S) : HOOK_DEFAULT_TIMEOUT_S;
        if (!h->path || !h->args || !h->env) {
                free(h->path);
                strv_free(h->args);
                strv_free(h->env);
                return -ENOMEM;
        }
        l->n++;
        return 0;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Kata's guest hooks: executables in <dir>/<stage>/, in name order. All names
 * are read and sorted before any is taken, so which hooks run never depends
 * on directory order; more than fit is an error, not a silent cut.
 */
static int add_guest_hooks(struct hook_list *l, const char *dir, enum hook_stage stage)
{
        char path[512];
        char *names[HOOKS_MAX + 1];
        size_t n = 0;
        int r = 0;
        snprintf(path, sizeof path, "%s/%s", dir, stage_dirs[stage]);
        _cleanup_closedir_ DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                char full[768];
                struct stat st;
                snprintf(full, sizeof full, "%s/%s", path, de->d_name);
                if (de->d_name[0] == '.' || stat(full, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                        continue;
                if (l->n + n == HOOKS_MAX) {
                        r = -E2BIG;
                        break;
                }
                if (!(names[n] = strdup(full))) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        qsort(names, n, sizeof *names, cmp_names);
        for (size_t i = 0; i < n; i++) {
                if (r == 0)
                        r = add_hook(l, names[i], NULL, 0, NULL, 0, 0);
                free(names[i]);
        }
        return r;
}

int hooks_collect(const Grpc__Hooks *spec, const char *guest_hook_path, enum hook_stage stage,
                  struct hook_list *ret, struct rpc_error *e)
{
        Grpc__Hook *const *src = NULL;
        size_t n = 0;
        if (spec) {
                switch (stage) {
                case HOOK_PRESTART: src = spec->prestart, n = spec->n_prestart; break;
                case HOOK_CREATE_RUNTIME: src = spec->createruntime, n = spec->n_createruntime; break;
                case HOOK_POSTSTART: src = spec->poststart, n = spec->n_poststart; break;
                case HOOK_POSTSTOP: src = spec->poststop, n = spec->n_poststop; break;
                default: break;
                }
        }
        memset(ret, 0, sizeof *ret);
        ret->h = calloc(HOOKS_MAX, sizeof *ret->h);
        if (!ret->h)
                return -ENOMEM;
        int r = 0;
        for (size_t i = 0; r == 0 && i < n; i++) {
                if (!src[i]->path || src[i]->path[0] != '/')
                        r = rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s hook path `%.200s` is not absolute",
                                          stage_dirs[stage], src[i]->path ? src[i]->path : "");
                else
                        r = add_hook(ret, src[i]->path, src[i]->args, src[i]->n_args, src[i]->env, src[i]->n_env,
                                     src[i]->timeout);
        }
        if (r == 0 && guest_hook_path && *guest_hook_path && stage != HOOK_CREATE_RUNTIME)
                r = add_guest_hooks(ret, guest_hook_path, stage);
        if (r == -E2BIG)
                r = rpc_error_set(e, GRPC_INVALID_ARGUMENT, r, "more than %d %s hooks", HOOKS_MAX, stage_dirs[stage]);
        if (r < 0)
                hooks_free(ret);
        return r;
}

void hooks_free(struct hook_list *l)
{
        for (size_t i = 0; l->h && i < l->n; i++) {
                free(l->h[i].path);
                strv_free(l->h[i].args);
                strv_free(l->h[i].env);
        }
        free(l->h);
        memset(l, 0, sizeof *l);
}

int hooks_state_json(const char *id, const char *status, pid_t pid, const char *bundle, char **ret)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct json j;
        if (!f)
                return -ENOMEM;
        json_init(&j, f);
        json_object_begin(&j);
        json_key(&j, "ociVersion");
        json_string(&j, "1.0.2");
        json_key(&j, "id");
        json_string(&j, id);
        json_key(&j, "status");
        json_string(&j, status);
        json_key(&j, "pid");
        json_int(&j, pid);
        json_key(&j, "bundle");
        json_string(&j, bundle);
        json_object_end(&j);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

/* --- running --- */

static void run_next(struct hook_run *run);

static void finish(struct hook_run *run, int r)
{
        list_del(&run->link);
        loop_timer_disarm(run->loop, &run->timer);
        hook_done_fn done = run->done;
        void *data = run->data;
        struct rpc_error e = run->error;
        free(run->state);
        free(run);
        done(data, r, &e);
}

static void on_timeout(struct loop_timer *t)
{
        struct hook_run *run = t->data;
        /* The exit comes through the reaper, which then reports the timeout. */
        run->timed_out = true;
        kill(run->pid, SIGKILL);
}

static _Noreturn void exec_hook(const struct hook *h, int state_fd)
{
        child_signals_default();
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        dup2(state_fd, STDIN_FILENO);
        if (devnull >= 0) {
                dup2(devnull, STDOUT_FILENO);
                dup2(devnull, STDERR_FILENO);
        }
        /* As helpers (helper_run.c): only 0-2, and no privileges gained at exec (docs/security.md). */
        if (fds_close_except(NULL, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(126);
        execve(h->path, h->args, h->env);
        _exit(127);
}

static void run_next(struct hook_run *run)
{
        if (run->next == run->hooks->n) {
                finish(run, 0);
                return;
        }
        const struct hook *h = &run->hooks->h[run->next];
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                rpc_error_set(&run->error, GRPC_RESOURCE_EXHAUSTED, -errno, "pipe: %s", strerror(errno));
                finish(run, -errno);
                return;
        }
        /* The state is far smaller than a pipe: written whole before the hook runs. */
        (void)!write(p[1], run->state, strlen(run->state));
        close(p[1]);
        pid_t pid = fork();
        if (pid == 0)
                exec_hook(h, p[0]);
        close(p[0]);
        if (pid < 0) {
                rpc_error_set(&run->error, GRPC_RESOURCE_EXHAUSTED, -errno, "cannot run hook `%s`: %s", h->path,
                              strerror(errno));
                finish(run, -errno);
                return;
        }
        run->pid = pid;
        run->timed_out = false;
        (void)loop_timer_arm(run->loop, &run->timer, now_ns() + (uint64_t)h->timeout_s * NSEC_PER_SEC, on_timeout, run);
}

int hooks_run(struct loop *loop, const struct hook_list *hooks, const char *state_json, hook_done_fn done,
              void *data, struct hook_run **ret_run)
{
        *ret_run = NULL;
        if (!hooks || hooks->n == 0) {
                struct rpc_error none = { 0 };
                done(data, 0, &none);
                return 0;
        }
        struct hook_run *run = calloc(1, sizeof *run);
        if (!run)
                return -ENOMEM;
        run->loop = loop;
        run->hooks = hooks;
        run->done = done;
        run->data = data;
        run->state = strdup(state_json);
        if (!run->state) {
                free(run);
                return -ENOMEM;
        }
        list_add_tail(&run->link, &running);
        *ret_run = run;
        run_next(run); /* may finish (and free run) at once: the callback clears the caller's pointer */
        return 0;
}

void hooks_cancel(struct hook_run *run)
{
        if (!run)
                return;
        if (run->pid > 0)
                kill(run->pid, SIGKILL); /* reaped as an orphan */
        list_del(&run->link);
        loop_timer_disarm(run->loop, &run->timer);
        free(run->state);
        free(run);
}

bool hooks_child_exited(pid_t pid, int status)
{
        struct list_head *pos, *tmp;
        list_for_each_safe(pos, tmp, &running) {
                struct hook_run *run = list_entry(pos, struct hook_run, link);
                if (run->pid != pid)
                        continue;
                const struct hook *h = &run->hooks->h[run->next];
                loop_timer_disarm(run->loop, &run->timer);
                if (run->timed_out) {
                        rpc_error_set(&run->error, GRPC_DEADLINE_EXCEEDED, -ETIMEDOUT,
                                      "hook `%s` did not finish within %d s", h->path, h->timeout_s);
                        finish(run, -ETIMEDOUT);
                } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        rpc_error_set(&run->error, GRPC_FAILED_PRECONDITION, -ECANCELED,
                                      "hook `%s` failed (%s %d)", h->path,
                                      WIFEXITED(status) ? "exit status" : "signal",
                                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                        finish(run, -ECANCELED);
                } else {
                        run->next++;
                        run_next(run);
                }
                return true;
        }
        return false;
}
