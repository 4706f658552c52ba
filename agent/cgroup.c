/* SPDX-License-Identifier: Apache-2.0 */
/* Hierarchy detection and the file helpers every cgroup_*.c uses. */
#include "cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/*
 * Kernel controller names. A directory is a hierarchy of ours only if every
 * comma-separated part of its name is one of these: named hierarchies
 * (name=systemd, mounted at "systemd") hold no resources, and a mount option
 * built from such a name would not mount.
 */
static const char *const known_controllers[] = {
        "cpu",    "cpuacct", "cpuset",     "memory",  "devices", "freezer", "net_cls",
        "net_prio", "blkio", "perf_event", "hugetlb", "pids",    "rdma",    "misc",
};

static bool is_known_controller(const char *name, size_t len)
{
        for (size_t i = 0; i < ARRAY_SIZE(known_controllers); i++)
                if (strlen(known_controllers[i]) == len && strncmp(known_controllers[i], name, len) == 0)
                        return true;
        return false;
}

static bool all_parts_known(const char *name)
{
        for (const char *p = name;;) {
                const char *end = strchrnul(p, ',');
                if (!is_known_controller(p, (size_t)(end - p)))
                        return false;
                if (!*end)
                        return true;
                p = end + 1;
        }
}

/* A cgroup2 mount, or a fake tree laid out like one. */
static bool is_cgroup2(const char *dir)
{
        struct statfs sf;
        char path[CG_FULL_MAX];

        if (statfs(dir, &sf) == 0 && (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC)
                return true;
        return cg_join(path, sizeof path, dir, "/cgroup.controllers", NULL) == 0 &&
               access(path, F_OK) == 0;
}

static void add_controller(struct cgroup_env *env, const char *name, size_t len, const char *mount)
{
        if (len == 0 || len >= sizeof env->v1[0].name || env->n_v1 >= CGROUP_V1_MAX_CONTROLLERS)
                return;
        for (size_t i = 0; i < env->n_v1; i++)
                if (strlen(env->v1[i].name) == len && strncmp(env->v1[i].name, name, len) == 0)
                        return;
        memcpy(env->v1[env->n_v1].name, name, len);
        env->v1[env->n_v1].name[len] = '\0';
        snprintf(env->v1[env->n_v1].mount, sizeof env->v1[0].mount, "%s", mount);
        env->n_v1++;
}

/* Adds the hierarchy at root/name if it is one; symlinks add their own name only. */
static void scan_entry(struct cgroup_env *env, const char *root, const char *name)
{
        char path[CG_FULL_MAX], procs[CG_FULL_MAX];
        _cleanup_free_ char *real = NULL;
        struct stat st;

        if (name[0] == '.' || cg_join(path, sizeof path, root, "", name) < 0)
                return;
        if (lstat(path, &st) < 0)
                return;
        bool link = S_ISLNK(st.st_mode);
        if (!all_parts_known(name) || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return;
        if (cg_join(procs, sizeof procs, path, "/cgroup.procs", NULL) < 0 || access(procs, F_OK) < 0)
                return;
        if (is_cgroup2(path))
                return;
        real = realpath(path, NULL);
        if (!real || strlen(real) >= CGROUP_PATH_MAX)
                return;
        if (link) {
                add_controller(env, name, strlen(name), real);
                return;
        }
        for (const char *p = name;;) {
                const char *end = strchrnul(p, ',');
                add_controller(env, p, (size_t)(end - p), real);
                if (!*end)
                        return;
                p = end + 1;
        }
}

int cgroup_env_detect(const char *root, struct cgroup_env *ret, struct rpc_error *e)
{
        struct cgroup_env env = {0};
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (!root || !*root)
                root = CGROUP_ROOT;
        if (strlen(root) >= sizeof env.root)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -ENAMETOOLONG,
                                     "cgroup root `%.200s` is too long", root);
        snprintf(env.root, sizeof env.root, "%s", root);

        if (is_cgroup2(root)) {
                env.version = CGROUP_V2;
                *ret = env;
                return 0;
        }

        env.version = CGROUP_V1;
        d = opendir(root);
        if (!d)
                return rpc_error_set(e, grpc_code_from_errno(errno), -errno,
                                     "cannot read cgroup root `%.200s`: %s", root, strerror(errno));
        /* Readdir order does not matter: a name and its link resolve to the same mount. */
        while ((de = readdir(d)))
                scan_entry(&env, root, de->d_name);
        if (env.n_v1 == 0)
                return rpc_error_set(e, GRPC_NOT_FOUND, -ENOENT,
                                     "no cgroup hierarchy (v1 or v2) under `%.200s`", root);
        *ret = env;
        return 0;
}

size_t cg_hier_count(const struct cgroup_env *env)
{
        return env->version == CGROUP_V2 ? 1 : env->n_v1;
}

const char *cg_hier_base(const struct cgroup_env *env, size_t i)
{
        if (env->version == CGROUP_V2)
                return i == 0 ? env->root : NULL;
        if (i >= env->n_v1)
                return NULL;
        for (size_t k = 0; k < i; k++)
                if (streq(env->v1[k].mount, env->v1[i].mount))
                        return NULL;
        return env->v1[i].mount;
}

const char *cg_v1_mount(const struct cgroup_env *env, const char *controller)
{
        for (size_t i = 0; i < env->n_v1; i++)
                if (streq(env->v1[i].name, controller))
                        return env->v1[i].mount;
        return NULL;
}

int cg_join(char *buf, size_t size, const char *a, const char *b, const char *c)
{
        int n = c ? snprintf(buf, size, "%s%s/%s", a, b, c) : snprintf(buf, size, "%s%s", a, b);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cg_dir(const struct cgroup *cg, const char *controller, char *buf, size_t size)
{
        const char *base = cg->env->root;

        if (cg->env->version == CGROUP_V1) {
                base = cg_v1_mount(cg->env, controller);
                if (!base)
                        return -EOPNOTSUPP;
        }
        return cg_join(buf, size, base, cg->path, NULL);
}

static int write_file(const char *dir, const char *file, const char *value, int flags)
{
        char path[CG_FULL_MAX];
        size_t len = strlen(value);
        int r = cg_join(path, sizeof path, dir, "", file);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags);
        if (fd < 0)
                return -errno;
        /* One write: a knob parses each write() on its own, so a split value would be two. */
        ssize_t n = write(fd, value, len);
        if (n < 0)
                return -errno;
        return (size_t)n == len ? 0 : -EIO;
}

int cg_write(const char *dir, const char *file, const char *value)
{
        return write_file(dir, file, value, O_TRUNC);
}

int cg_append(const char *dir, const char *file, const char *value)
{
        return write_file(dir, file, value, O_APPEND);
}

int cg_read(const char *dir, const char *file, char *buf, size_t size)
{
        char path[CG_FULL_MAX];
        int r = cg_join(path, sizeof path, dir, "", file);
        if (r < 0)
                return r;
        r = read_small_file(path, buf, size, NULL);
        if (r < 0)
                return r;
        strstrip_trailing(buf);
        return 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *ret)
{
        char buf[64];
        int r = cg_read(dir, file, buf, sizeof buf);
        if (r < 0)
                return r;
        if (streq(buf, "max")) {
                *ret = UINT64_MAX;
                return 0;
        }
        return parse_u64(buf, 10, ret);
}

int cg_keyed_u64(const char *text, const char *key, uint64_t *ret)
{
        size_t klen = strlen(key);

        for (const char *p = text; *p;) {
                const char *eol = strchrnul(p, '\n');
                if ((size_t)(eol - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == ' ') {
                        char num[32];
                        size_t n = (size_t)(eol - p) - klen - 1;
                        if (n >= sizeof num)
                                return -ERANGE;
                        memcpy(num, p + klen + 1, n);
                        num[n] = '\0';
                        return parse_u64(num, 10, ret);
                }
                p = *eol ? eol + 1 : eol;
        }
        return -ENOENT;
}

int cg_set_failed(int r, const char *dir, const char *file, const char *value, const char *field,
                  struct rpc_error *e)
{
        if (r == -ENOENT)
                return rpc_error_set(e, GRPC_UNIMPLEMENTED, -EOPNOTSUPP,
                                     "%s: no cgroup file %s in `%.200s` (the controller is missing or not enabled there)",
                                     field, file, dir);
        /* Rule lines end in '\n'; the message stays on one line. */
        int len = (int)strcspn(value, "\n");
        return rpc_error_set(e, grpc_code_from_errno(r), r, "%s: writing `%.*s` to %s failed: %s",
                             field, len < 100 ? len : 100, value, file, strerror(-r));
}

int cg_set(const char *dir, const char *file, const char *value, const char *field,
           struct rpc_error *e)
{
        int r = cg_write(dir, file, value);
        return r < 0 ? cg_set_failed(r, dir, file, value, field, e) : 0;
}

int cg_set_line(const char *dir, const char *file, const char *value, const char *field,
                struct rpc_error *e)
{
        int r = cg_append(dir, file, value);
        return r < 0 ? cg_set_failed(r, dir, file, value, field, e) : 0;
}

int cg_no_controller(struct rpc_error *e, const char *controller, const char *field)
{
        return rpc_error_set(e, GRPC_UNIMPLEMENTED, -EOPNOTSUPP,
                             "%s: the kernel has no `%s` cgroup controller mounted", field,
                             controller);
}

int cg_unsupported(struct rpc_error *e, const char *field, const char *why)
{
        return rpc_error_set(e, GRPC_UNIMPLEMENTED, -EOPNOTSUPP, "%s is not supported: %s", field,
                             why);
}
