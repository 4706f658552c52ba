/* SPDX-License-Identifier: Apache-2.0 */
/* Making and removing a group's directories in every hierarchy. */
#include "cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static size_t n_components(const char *path)
{
        size_t n = 0;
        for (const char *p = path; *p; p++)
                if (*p == '/')
                        n++;
        return n;
}

/* base + the first k components of path ("" for k = 0, the hierarchy root). */
static int prefix_dir(char *buf, size_t size, const char *base, const char *path, size_t k)
{
        const char *end = path;
        for (size_t i = 0; i < k; i++)
                end = strchrnul(end + 1, '/');
        int n = snprintf(buf, size, "%s%.*s", base, (int)(end - path), path);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Removes components n..keep+1 of path below base, deepest first; best effort (rollback). */
static void remove_dirs(const char *base, const char *path, size_t n, size_t keep)
{
        char dir[CG_FULL_MAX];

        for (size_t k = n; k > keep; k--)
                if (prefix_dir(dir, sizeof dir, base, path, k) == 0)
                        (void)rmdir(dir);
}

/* mkdir -p base/path; *ret_existed = how many leading components were already there. */
static int make_dirs(const char *base, const char *path, size_t n, uint16_t *ret_existed)
{
        char dir[CG_FULL_MAX];
        size_t existed = 0;
        bool made = false;
        struct stat st;
        int r;

        for (size_t k = 1; k <= n; k++) {
                r = prefix_dir(dir, sizeof dir, base, path, k);
                if (r < 0)
                        goto fail;
                if (mkdir(dir, 0755) == 0) {
                        made = true;
                        continue;
                }
                r = -errno;
                if (r != -EEXIST)
                        goto fail;
                if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                        r = -ENOTDIR;
                        goto fail;
                }
                /* Below a directory we made, everything is ours; a race made this one. */
                if (!made)
                        existed = k;
        }
        *ret_existed = (uint16_t)existed;
        return 0;
fail:
        remove_dirs(base, path, n, existed);
        return r;
}

/* Writes with O_CREAT: a fake tree's fresh directory has no files; on cgroupfs they exist. */
static int copy_value(const char *parent, const char *child, const char *file)
{
        char value[4096], path[CG_FULL_MAX];
        int r = cg_read(parent, file, value, sizeof value);
        if (r < 0)
                return r;
        r = cg_join(path, sizeof path, child, "", file);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        return write(fd, value, strlen(value)) < 0 ? -errno : 0;
}

/* A v1 cpuset group starts with empty cpus and mems, and no task can join it until they are set. */
static int cpuset_copy_down(const struct cgroup *cg, size_t n, struct rpc_error *e)
{
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        const char *mount = cg_v1_mount(cg->env, "cpuset");
        char parent[CG_FULL_MAX], child[CG_FULL_MAX], value[4096];

        if (!mount)
                return 0;
        snprintf(parent, sizeof parent, "%s", mount);
        for (size_t k = 1; k <= n; k++) {
                int r = prefix_dir(child, sizeof child, mount, cg->path, k);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                        if (cg_read(child, files[i], value, sizeof value) == 0 && value[0])
                                continue;
                        r = copy_value(parent, child, files[i]);
                        if (r < 0)
                                return rpc_error_set(e, grpc_code_from_errno(r), r,
                                                     "cannot copy %s from `%.200s` to its new child: %s",
                                                     files[i], parent, strerror(-r));
                }
                memcpy(parent, child, sizeof parent);
        }
        return 0;
}

/*
 * v2: a controller's files appear in a group only when every ancestor lists
 * it in cgroup.subtree_control. All at once first; one by one if the kernel
 * refuses the set, so one it cannot enable does not take the others along.
 */
static void enable_controllers(const struct cgroup *cg, size_t n)
{
        char avail[512], line[600], dir[CG_FULL_MAX];
        size_t len = 0;

        if (cg_read(cg->env->root, "cgroup.controllers", avail, sizeof avail) < 0 || !avail[0])
                return;
        for (char *save = NULL, *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
                int w = snprintf(line + len, sizeof line - len, "%s+%s", len ? " " : "", c);
                if (w < 0 || (size_t)w >= sizeof line - len)
                        break;
                len += (size_t)w;
        }
        for (size_t k = 0; k < n; k++) {
                if (prefix_dir(dir, sizeof dir, cg->env->root, cg->path, k) < 0)
                        return;
                if (cg_append(dir, "cgroup.subtree_control", line) == 0)
                        continue;
                char copy[sizeof line];
                memcpy(copy, line, sizeof copy);
                for (char *save = NULL, *c = strtok_r(copy, " ", &save); c; c = strtok_r(NULL, " ", &save))
                        (void)cg_append(dir, "cgroup.subtree_control", c);
        }
}

static void rollback(const struct cgroup *cg, size_t n_hier, size_t n)
{
        for (size_t i = n_hier; i-- > 0;) {
                const char *base = cg_hier_base(cg->env, i);
                if (base)
                        remove_dirs(base, cg->path, n, cg->n_existed[i]);
        }
}

int cgroup_create(const struct cgroup_env *env, const char *path, struct cgroup **ret,
                  struct rpc_error *e)
{
        _cleanup_free_ struct cgroup *cg = NULL;
        char check[CGROUP_PATH_MAX];
        size_t n, n_hier = cg_hier_count(env);
        int r;

        /* Only the canonical form: it is what the helpers below may join to a mount. */
        if (!path || path[0] != '/')
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "cgroup path `%.200s` is not absolute", path ? path : "");
        r = cgroup_resolve_path(path, NULL, check, sizeof check, e);
        if (r < 0)
                return r;
        if (!streq(check, path))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "cgroup path `%.200s` is not normalized (`%s`)", path, check);
        cg = calloc(1, sizeof *cg);
        if (!cg)
                return -ENOMEM;
        cg->env = env;
        memcpy(cg->path, check, sizeof cg->path);
        cg->device_prog_fd = -1;
        cg->oom_fd = -1;
        n = n_components(cg->path);

        for (size_t i = 0; i < n_hier; i++) {
                const char *base = cg_hier_base(env, i);
                if (!base)
                        continue;
                r = make_dirs(base, cg->path, n, &cg->n_existed[i]);
                if (r < 0) {
                        rollback(cg, i, n);
                        return rpc_error_set(e, grpc_code_from_errno(r), r,
                                             "cannot create cgroup `%.200s` in `%.200s`: %s",
                                             cg->path, base, strerror(-r));
                }
        }

        if (env->version == CGROUP_V2) {
                enable_controllers(cg, n);
        } else {
                r = cpuset_copy_down(cg, n, e);
                if (r < 0) {
                        rollback(cg, n_hier, n);
                        return r;
                }
        }
        *ret = TAKE_PTR(cg);
        return 0;
}

struct cgroup *cgroup_free(struct cgroup *cg)
{
        if (!cg)
                return NULL;
        close_and_reset(&cg->device_prog_fd);
        close_and_reset(&cg->oom_fd);
        free(cg);
        return NULL;
}

/* Processes in the group's directory at base; a missing directory holds none. */
static bool populated(const char *base, const char *path)
{
        char dir[CG_FULL_MAX], buf[64];

        if (cg_join(dir, sizeof dir, base, path, NULL) < 0)
                return false;
        int r = cg_read(dir, "cgroup.procs", buf, sizeof buf);
        return r == -EFBIG || (r == 0 && buf[0]);
}

int cgroup_destroy(struct cgroup *cg, struct rpc_error *e)
{
        size_t n = n_components(cg->path), n_hier = cg_hier_count(cg->env);
        char dir[CG_FULL_MAX];
        int r;

        for (size_t i = 0; i < n_hier; i++) {
                const char *base = cg_hier_base(cg->env, i);
                if (base && populated(base, cg->path))
                        return rpc_error_set(e, GRPC_FAILED_PRECONDITION, -EBUSY,
                                             "cgroup `%.200s` still has processes in `%.200s`",
                                             cg->path, base);
        }

        for (size_t i = 0; i < n_hier; i++) {
                const char *base = cg_hier_base(cg->env, i);
                if (!base)
                        continue;
                for (size_t k = n; k > cg->n_existed[i]; k--) {
                        r = prefix_dir(dir, sizeof dir, base, cg->path, k);
                        if (r == 0 && rmdir(dir) < 0)
                                r = -errno;
                        if (r == 0 || r == -ENOENT)
                                continue;
                        /* An ancestor we made now holds another group: it stays. */
                        if (k < n && (r == -EBUSY || r == -ENOTEMPTY || r == -EEXIST))
                                break;
                        return rpc_error_set(e, r == -EBUSY ? GRPC_FAILED_PRECONDITION
                                                            : grpc_code_from_errno(r),
                                             r, "cannot remove cgroup directory `%.200s`: %s", dir,
                                             strerror(-r));
                }
                /* Nothing of this hierarchy is ours any more: a second call is a no-op. */
                cg->n_existed[i] = (uint16_t)n;
        }
        return 0;
}
