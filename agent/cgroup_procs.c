/* SPDX-License-Identifier: Apache-2.0 */
/* The processes of a group: joining, listing, signalling, freezing. */
#include "cgroup_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* Rounds of "read cgroup.procs, signal the new ones" before kill_all gives up on a fork race. */
#define KILL_ROUNDS 16

int cgroup_add_pid(struct cgroup *cg, pid_t pid, struct rpc_error *e)
{
        char dir[CG_FULL_MAX], value[24];

        if (pid <= 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "bad pid %d", (int)pid);
        snprintf(value, sizeof value, "%d", (int)pid);
        for (size_t i = 0; i < cg_hier_count(cg->env); i++) {
                const char *base = cg_hier_base(cg->env, i);
                if (!base)
                        continue;
                int r = cg_join(dir, sizeof dir, base, cg->path, NULL);
                if (r == 0)
                        r = cg_write(dir, "cgroup.procs", value);
                if (r < 0)
                        return rpc_error_set(e, grpc_code_from_errno(r), r,
                                             "cannot move pid %d into cgroup `%.200s` of `%.200s`: %s",
                                             (int)pid, cg->path, base, strerror(-r));
        }
        return 0;
}

/* Every v1 hierarchy holds the same processes (add_pid joins all): read the likeliest one. */
static const char *procs_base(const struct cgroup_env *env)
{
        static const char *const prefer[] = {"pids", "memory", "freezer", "cpu", "devices"};

        if (env->version == CGROUP_V2)
                return env->root;
        for (size_t i = 0; i < ARRAY_SIZE(prefer); i++) {
                const char *m = cg_v1_mount(env, prefer[i]);
                if (m)
                        return m;
        }
        return env->n_v1 > 0 ? env->v1[0].mount : NULL;
}

/* Reads cgroup.procs; a file can hold any number of pids, so it grows as needed. */
static int read_pids(const struct cgroup *cg, pid_t **ret, size_t *ret_n)
{
        const char *base = procs_base(cg->env);
        char path[CG_FULL_MAX];
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_free_ char *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t n = 0, cap = 0, line_cap = 0;
        int r;

        if (!base)
                return -ENOENT;
        r = cg_join(path, sizeof path, base, cg->path, "cgroup.procs");
        if (r < 0)
                return r;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (getline(&line, &line_cap, f) > 0) {
                int pid;
                if (parse_int(strstrip_trailing(line), &pid) < 0 || pid <= 0)
                        continue;
                if (n == cap) {
                        size_t new_cap = cap ? cap * 2 : 16;
                        pid_t *p = realloc(pids, new_cap * sizeof *p);
                        if (!p)
                                return -ENOMEM;
                        pids = p;
                        cap = new_cap;
                }
                pids[n++] = pid;
        }
        if (ferror(f))
                return -EIO;
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}

int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n, struct rpc_error *e)
{
        int r = read_pids(cg, ret, ret_n);
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r,
                                     "cannot list the processes of cgroup `%.200s`: %s", cg->path,
                                     strerror(-r));
        return 0;
}

static int cmp_pid(const void *a, const void *b)
{
        pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
        return (x > y) - (x < y);
}

int cgroup_kill_all(struct cgroup *cg, int sig, struct rpc_error *e)
{
        _cleanup_free_ pid_t *done = NULL;
        size_t n_done = 0;
        pid_t self = getpid();
        int r;

        if (cg->env->version == CGROUP_V2 && sig == SIGKILL) {
                char dir[CG_FULL_MAX];
                r = cg_join(dir, sizeof dir, cg->env->root, cg->path, NULL);
                if (r == 0)
                        r = cg_write(dir, "cgroup.kill", "1");
                /* cgroup.kill (5.14+) kills atomically, forks included. */
                if (r == 0)
                        return 0;
                if (r != -ENOENT)
                        return rpc_error_set(e, grpc_code_from_errno(r), r,
                                             "cannot kill cgroup `%.200s`: %s", cg->path, strerror(-r));
        }

        for (int round = 0; round < KILL_ROUNDS; round++) {
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0, fresh = 0;

                r = read_pids(cg, &pids, &n);
                if (r < 0)
                        return rpc_error_set(e, grpc_code_from_errno(r), r,
                                             "cannot list the processes of cgroup `%.200s`: %s",
                                             cg->path, strerror(-r));
                pid_t *grown = realloc(done, (n_done + n + 1) * sizeof *done);
                if (!grown)
                        return -ENOMEM;
                done = grown;
                for (size_t i = 0; i < n; i++) {
                        if (pids[i] <= 1 || pids[i] == self ||
                            bsearch(&pids[i], done, n_done, sizeof *done, cmp_pid))
                                continue;
                        if (kill(pids[i], sig) < 0 && errno != ESRCH)
                                return rpc_error_set(e, grpc_code_from_errno(errno), -errno,
                                                     "cannot signal pid %d of cgroup `%.200s`: %s",
                                                     (int)pids[i], cg->path, strerror(errno));
                        done[n_done + fresh++] = pids[i];
                }
                if (fresh == 0)
                        return 0;
                n_done += fresh;
                qsort(done, n_done, sizeof *done, cmp_pid);
        }
        return 0;
}

int cgroup_freeze(struct cgroup *cg, bool frozen, enum cgroup_freezer_state *ret_state,
                  struct rpc_error *e)
{
        char dir[CG_FULL_MAX], buf[256];
        enum cgroup_freezer_state state = frozen ? CGROUP_FREEZING : CGROUP_THAWED;
        const char *file = cg->env->version == CGROUP_V2 ? "cgroup.freeze" : "freezer.state";
        int r;

        r = cg_dir(cg, "freezer", dir, sizeof dir);
        if (r == -EOPNOTSUPP)
                return cg_no_controller(e, "freezer", frozen ? "pause" : "resume");
        if (r < 0)
                return r;
        if (cg->env->version == CGROUP_V2)
                r = cg_write(dir, file, frozen ? "1" : "0");
        else
                r = cg_write(dir, file, frozen ? "FROZEN" : "THAWED");
        if (r == -ENOENT)
                return rpc_error_set(e, GRPC_UNIMPLEMENTED, -EOPNOTSUPP,
                                     "cannot %s cgroup `%.200s`: the kernel has no %s", frozen ? "freeze" : "thaw",
                                     cg->path, file);
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot %s cgroup `%.200s`: %s",
                                     frozen ? "freeze" : "thaw", cg->path, strerror(-r));

        /* What the kernel says now; FREEZING turns into FROZEN on its own, and nobody waits here. */
        if (cg->env->version == CGROUP_V2) {
                uint64_t v;
                if (cg_read(dir, "cgroup.events", buf, sizeof buf) == 0 &&
                    cg_keyed_u64(buf, "frozen", &v) == 0)
                        state = v ? CGROUP_FROZEN : frozen ? CGROUP_FREEZING : CGROUP_THAWED;
        } else if (cg_read(dir, file, buf, sizeof buf) == 0) {
                if (streq(buf, "FROZEN"))
                        state = CGROUP_FROZEN;
                else if (streq(buf, "FREEZING"))
                        state = CGROUP_FREEZING;
                else if (streq(buf, "THAWED"))
                        state = CGROUP_THAWED;
        }
        if (ret_state)
                *ret_state = state;
        return 0;
}
