/* SPDX-License-Identifier: Apache-2.0 */
/* The container half of a spawn plan: namespaces, id maps, root, mounts, devices, sysctls. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "agent_limits.h"
#include "plan.h"
#include "util.h"

const char *const ns_type_names[NS_COUNT] = {
        [NS_USER] = "user", [NS_MNT] = "mount", [NS_PID] = "pid",    [NS_NET] = "network",
        [NS_IPC] = "ipc",   [NS_UTS] = "uts",   [NS_CGROUP] = "cgroup",
};
const char *const ns_proc_names[NS_COUNT] = {
        [NS_USER] = "user", [NS_MNT] = "mnt", [NS_PID] = "pid",       [NS_NET] = "net",
        [NS_IPC] = "ipc",   [NS_UTS] = "uts", [NS_CGROUP] = "cgroup",
};
const int ns_clone_flags[NS_COUNT] = {
        [NS_USER] = CLONE_NEWUSER, [NS_MNT] = CLONE_NEWNS,  [NS_PID] = CLONE_NEWPID,
        [NS_NET] = CLONE_NEWNET,   [NS_IPC] = CLONE_NEWIPC, [NS_UTS] = CLONE_NEWUTS,
        [NS_CGROUP] = CLONE_NEWCGROUP,
};

void plan_init(struct plan *p)
{
        memset(p, 0, sizeof *p);
        for (int i = 0; i < NS_COUNT; i++)
                p->ns[i].fd = -1;
        p->root_fd = -1;
        p->stdin_fd = p->stdout_fd = p->stderr_fd = -1;
        p->umask = 022;
}

/* An invalid spec: INVALID_ARGUMENT with a message naming what is wrong. */
#define bad(e, ...) rpc_error_set((e), GRPC_INVALID_ARGUMENT, -EINVAL, __VA_ARGS__)

/* An absolute path without "." or ".." components: it is resolved inside the container root. */
static bool clean_absolute(const char *p)
{
        if (!p || p[0] != '/' || strlen(p) >= 4096)
                return false;
        for (const char *c = p; *c;) {
                while (*c == '/')
                        c++;
                const char *end = strchrnul(c, '/');
                size_t n = (size_t)(end - c);
                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c = end;
        }
        return true;
}

static int plan_namespaces(struct plan *p, const Grpc__Linux *linux, struct rpc_error *e)
{
        for (size_t i = 0; linux && i < linux->n_namespaces; i++) {
                const Grpc__LinuxNamespace *n = linux->namespaces[i];
                int t = -1;
                for (int k = 0; k < NS_COUNT; k++)
                        if (n->type && streq(n->type, ns_type_names[k]))
                                t = k;
                if (t < 0) {
                        if (n->type && streq(n->type, "time"))
                                return rpc_error_set(e, GRPC_UNIMPLEMENTED, -EOPNOTSUPP,
                                                     "time namespaces are not supported");
                        return bad(e, "unknown namespace type `%.64s`", n->type ? n->type : "");
                }
                if (p->ns[t].present)
                        return bad(e, "namespace `%s` is listed twice", ns_type_names[t]);
                p->ns[t].present = true;
                if (n->path && *n->path) {
                        p->ns[t].join = true;
                        p->ns[t].fd = open(n->path, O_RDONLY | O_CLOEXEC);
                        if (p->ns[t].fd < 0)
                                return rpc_error_set(e, grpc_code_from_errno(-errno), -errno,
                                                     "cannot open %s namespace `%.200s`: %s",
                                                     ns_type_names[t], n->path, strerror(errno));
                }
        }
        return 0;
}

static int plan_idmap(struct idmap_plan *m, Grpc__LinuxIDMapping *const *maps, size_t n,
                      const char *what, struct rpc_error *e)
{
        if (n > PLAN_MAX_IDMAP)
                return bad(e, "too many %s mappings", what);
        m->len = 0;
        for (size_t i = 0; i < n; i++) {
                if (maps[i]->size == 0)
                        return bad(e, "a %s mapping has size 0", what);
                int len = snprintf(m->text + m->len, sizeof m->text - m->len, "%u %u %u\n",
                                   maps[i]->containerid, maps[i]->hostid, maps[i]->size);
                m->len += (size_t)len;
        }
        /* The kernel takes a map in one write of less than a page (and at most 340 lines). */
        if (m->len >= 4096)
                return bad(e, "the %s mappings take %zu bytes written out; the kernel accepts at most 4095",
                           what, m->len);
        return 0;
}

static int plan_propagation(const char *s, unsigned long *ret, struct rpc_error *e)
{
        static const struct {
                const char *name;
                unsigned long flags;
        } table[] = {
                { "private", MS_PRIVATE },           { "rprivate", MS_PRIVATE | MS_REC },
                { "slave", MS_SLAVE },               { "rslave", MS_SLAVE | MS_REC },
                { "shared", MS_SHARED },             { "rshared", MS_SHARED | MS_REC },
                { "unbindable", MS_UNBINDABLE },     { "runbindable", MS_UNBINDABLE | MS_REC },
        };
        if (!s || !*s) {
                *ret = MS_SLAVE | MS_REC; /* keeps host mount events flowing in, never out */
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(table); i++)
                if (streq(s, table[i].name)) {
                        *ret = table[i].flags;
                        return 0;
                }
        return bad(e, "unknown rootfsPropagation `%.64s`", s);
}

static int plan_mounts(struct plan *p, const Grpc__Spec *spec, struct rpc_error *e)
{
        int r = limits_check_count("spec.mounts", spec->n_mounts, agent_limits()->spec_max_mounts, LIMIT_KEY_MOUNTS, e);
        if (r < 0)
                return r;
        p->mounts = calloc(spec->n_mounts ? spec->n_mounts : 1, sizeof *p->mounts);
        if (!p->mounts)
                return -ENOMEM;
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const Grpc__Mount *src = spec->mounts[i];
                struct mount_plan *m = &p->mounts[p->n_mounts++];
                if (!clean_absolute(src->destination))
                        return bad(e, "mount destination `%.200s` must be an absolute path without . or ..",
                                   src->destination ? src->destination : "");
                m->target = src->destination;
                m->source = src->source && *src->source ? src->source : NULL;
                m->fstype = src->type && *src->type ? src->type : NULL;
                if ((r = limits_check_string("mount destination", src->destination, e)) < 0 ||
                    (r = limits_check_string("mount source", src->source, e)) < 0 ||
                    (r = limits_check_string("mount type", src->type, e)) < 0 ||
                    (r = limits_check_strings("mount options", src->options, src->n_options, e)) < 0)
                        return r;
                r = plan_mount_options(m, src->options, src->n_options, e);
                if (r < 0)
                        return r;
                if (m->fstype && streq(m->fstype, "bind")) {
                        m->bind = true;
                        m->flags |= MS_BIND;
                        r = plan_mount_options(m, NULL, 0, e); /* recompute the remount need */
                }
                m->is_cgroup = m->fstype && (streq(m->fstype, "cgroup") || streq(m->fstype, "cgroup2"));
                if (m->bind && !m->source)
                        return bad(e, "bind mount at `%.200s` has no source", m->target);
                if (!m->bind && !m->fstype)
                        return bad(e, "mount at `%.200s` has no type", m->target);
        }
        return 0;
}

static int plan_paths(const char ***ret, size_t *ret_n, char *const *paths, size_t n,
                      const char *what, struct rpc_error *e)
{
        if (n > PLAN_MAX_PATHS)
                return bad(e, "too many %s", what);
        const char **a = calloc(n ? n : 1, sizeof *a);
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (!clean_absolute(paths[i])) {
                        free(a);
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "%s entry `%.200s` must be an absolute path", what, paths[i]);
                }
                a[i] = paths[i];
        }
        *ret = a;
        *ret_n = n;
        return 0;
}

static int plan_devices(struct plan *p, const Grpc__Linux *linux, struct rpc_error *e)
{
        size_t n = linux ? linux->n_devices : 0;
        if (n > PLAN_MAX_DEVICES)
                return bad(e, "%s", "more than 256 devices");
        p->devices = calloc(n ? n : 1, sizeof *p->devices);
        if (!p->devices)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const Grpc__LinuxDevice *d = linux->devices[i];
                struct device_plan *dp = &p->devices[p->n_devices++];
                if (!clean_absolute(d->path) || strlen(d->path) >= sizeof dp->path)
                        return bad(e, "device path `%.200s` must be an absolute path", d->path ? d->path : "");
                mode_t type;
                if (!d->type || streq(d->type, "c") || streq(d->type, "u"))
                        type = S_IFCHR;
                else if (streq(d->type, "b"))
                        type = S_IFBLK;
                else if (streq(d->type, "p"))
                        type = S_IFIFO;
                else
                        return bad(e, "device type `%.8s` is not c, u, b or p", d->type);
                if (d->major < 0 || d->major > 0xfff || d->minor < 0 || d->minor > 0xfffff)
                        return bad(e, "device `%.200s` has an invalid major:minor", d->path);
                memcpy(dp->path, d->path, strlen(d->path) + 1);
                dp->mode = type | (d->filemode ? (d->filemode & 07777) : 0666);
                dp->dev = makedev((unsigned)d->major, (unsigned)d->minor);
                dp->uid = d->uid;
                dp->gid = d->gid;
        }
        return 0;
}

/* Only sysctls that a container's namespaces (or, for net.*, its pod's) scope can be set from a spec. */
static bool sysctl_namespaced(const char *key, const struct plan *p)
{
        static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                           "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                           "kernel.shmmni", "kernel.shm_rmid_forced" };
        for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
                if (streq(key, ipc[i]))
                        return p->ns[NS_IPC].present;
        if (startswith(key, "fs.mqueue."))
                return p->ns[NS_IPC].present;
        /*
         * Without a network namespace of its own a container shares the
         * guest's, which in a VM is the pod's: a Kata runtime strips the
         * network namespace from every spec it sends, and pod sysctls such as
         * net.ipv4.ip_unprivileged_port_start must still apply.
         */
        if (startswith(key, "net."))
                return true;
        if (streq(key, "kernel.hostname") || streq(key, "kernel.domainname"))
                return p->ns[NS_UTS].present;
        return false;
}

static int plan_sysctls(struct plan *p, const Grpc__Linux *linux, struct rpc_error *e)
{
        size_t n = linux ? linux->n_sysctl : 0;
        if (n > PLAN_MAX_SYSCTLS)
                return bad(e, "%s", "more than 256 sysctls");
        p->sysctls = calloc(n ? n : 1, sizeof *p->sysctls);
        if (!p->sysctls)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *key = linux->sysctl[i]->key;
                if (!key || !*key || strlen(key) > 200 || strstr(key, "..") || strchr(key, '/'))
                        return bad(e, "invalid sysctl name `%.200s`", key ? key : "");
                if (!sysctl_namespaced(key, p))
                        return bad(e, "sysctl `%.200s` is not namespaced for this container "
                                      "(kernel.msg*/sem/shm*, fs.mqueue.* with an ipc namespace, "
                                      "net.*)", key);
                struct sysctl_plan *s = &p->sysctls[p->n_sysctls++];
                int len = snprintf(s->path, sizeof s->path, "/proc/sys/%s", key);
                for (int k = 10; k < len; k++)
                        if (s->path[k] == '.')
                                s->path[k] = '/';
                s->value = linux->sysctl[i]->value ? linux->sysctl[i]->value : "";
        }
        return 0;
}

int plan_container(struct plan *p, const Grpc__Spec *spec, const char *rootfs, bool cgroup_v2,
                   struct rpc_error *e)
{
        const Grpc__Linux *linux = spec->linux;
        int r;

        p->setup_rootfs = true;
        p->rootfs = rootfs;
        p->root_readonly = spec->root && spec->root->readonly;
        p->default_devices = true;
        p->cgroup_v2 = cgroup_v2;
        p->root_fd = -1;

        r = plan_namespaces(p, linux, e);
        if (r < 0)
                return r;
        if (!p->ns[NS_MNT].present || p->ns[NS_MNT].join)
                return bad(e, "%s", "a container needs a new mount namespace");
        if (p->ns[NS_USER].present && !p->ns[NS_USER].join) {
                if (!linux->n_uidmappings || !linux->n_gidmappings)
                        return bad(e, "%s", "a new user namespace needs uidMappings and gidMappings");
                r = plan_idmap(&p->uid_map, linux->uidmappings, linux->n_uidmappings, "uid", e);
                if (r == 0)
                        r = plan_idmap(&p->gid_map, linux->gidmappings, linux->n_gidmappings, "gid", e);
                if (r < 0)
                        return r;
        }
        r = plan_propagation(linux ? linux->rootfspropagation : NULL, &p->rootfs_propagation, e);
        if (r == 0)
                r = plan_mounts(p, spec, e);
        if (r == 0)
                r = plan_paths(&p->masked, &p->n_masked, linux ? linux->maskedpaths : NULL,
                               linux ? linux->n_maskedpaths : 0, "maskedPaths", e);
        if (r == 0)
                r = plan_paths(&p->readonly, &p->n_readonly, linux ? linux->readonlypaths : NULL,
                               linux ? linux->n_readonlypaths : 0, "readonlyPaths", e);
        if (r == 0)
                r = plan_devices(p, linux, e);
        if (r == 0)
                r = plan_sysctls(p, linux, e);
        if (r < 0)
                return r;
        if (spec->hostname && *spec->hostname) {
                if (!p->ns[NS_UTS].present)
                        return bad(e, "%s", "a hostname needs a uts namespace");
                if (strlen(spec->hostname) > 64)
                        return bad(e, "hostname `%.80s` is longer than 64 bytes", spec->hostname);
                p->hostname = spec->hostname;
        }
        return 0;
}

void plan_close_fds(struct plan *p)
{
        for (int i = 0; i < NS_COUNT; i++)
                if (p->ns[i].fd >= 0) {
                        close(p->ns[i].fd);
                        p->ns[i].fd = -1;
                }
        if (p->root_fd >= 0) {
                close(p->root_fd);
                p->root_fd = -1;
        }
}

void plan_free(struct plan *p)
{
        plan_close_fds(p);
        free(p->mounts);
        free(p->masked);
        free(p->readonly);
        free(p->devices);
        free(p->sysctls);
        free(p->argv);
        free(p->envp);
        p->mounts = NULL;
        p->masked = p->readonly = NULL;
        p->devices = NULL;
        p->sysctls = NULL;
        p->argv = p->envp = NULL;
}
