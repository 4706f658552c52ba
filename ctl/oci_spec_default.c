/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The default spec of `runc spec` (runc 1.2 and later, from its
 * libcontainer/specconv/example.go), as a grpc.Spec for a given root
 * filesystem and command.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "oci_spec.h"

/* The runtime-spec release whose fields the default spec uses (runc 1.3 writes this). */
#define OCI_DEFAULT_VERSION "1.2.1"

static const char *const default_env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "TERM=xterm",
};

/* runc dropped ambient (and never set inheritable) capabilities in 1.2. */
static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" };

static const struct {
        const char *destination, *type, *source;
        const char *options[7];
} default_mounts[] = {
        { "/proc", "proc", "proc", { NULL } },
        { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
        { "/dev/pts", "devpts", "devpts",
          { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
        { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" } },
        { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
        { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
        { "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro" } },
};

static const char *const default_masked[] = {
        "/proc/acpi",        "/proc/asound",   "/proc/kcore",       "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/sys/firmware",     "/proc/scsi",
};

static const char *const default_readonly[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/*
 * runc adds "cgroup" only when the host it runs on is cgroup2; the guest's
 * layout is not known here, so this is runc's cgroup v1 set.
 */
static const char *const default_namespaces[] = { "pid", "network", "ipc", "uts", "mount" };

/*
 * Allocation helpers for the default spec: a failure is remembered and the
 * whole spec dropped at the end, so the building code reads as a listing.
 * Messages are checked where they are made, as their fields are set next.
 */
struct builder {
        bool oom;
};

static char *b_str(struct builder *b, const char *s)
{
        char *copy = strdup(s);

        if (!copy)
                b->oom = true;
        return copy;
}

static char **b_strv(struct builder *b, const char *const *v, size_t n, size_t *ret_n)
{
        char **copy = calloc(n ? n : 1, sizeof *copy);

        *ret_n = 0;
        if (!copy) {
                b->oom = true;
                return NULL;
        }
        for (size_t i = 0; i < n; i++)
                copy[i] = b_str(b, v[i]);
        *ret_n = n;
        return copy;
}

static void *b_msg(struct builder *b, const ProtobufCMessageDescriptor *desc)
{
        ProtobufCMessage *m = malloc(desc->sizeof_message);

        if (!m) {
                b->oom = true;
                return NULL;
        }
        protobuf_c_message_init(desc, m);
        return m;
}

static void *b_msgv(struct builder *b, size_t n, size_t *ret_n)
{
        void **v = calloc(n ? n : 1, sizeof *v);

        *ret_n = v ? n : 0;
        if (!v)
                b->oom = true;
        return v;
}

static int default_process(struct builder *b, Grpc__Process *p, char *const *args, size_t n_args,
                           bool terminal)
{
        static const char *const sh[] = { "sh" };

        p->terminal = terminal;
        p->user = b_msg(b, &grpc__user__descriptor); /* uid 0, gid 0 */
        if (n_args > 0)
                p->args = b_strv(b, (const char *const *)args, n_args, &p->n_args);
        else
                p->args = b_strv(b, sh, ARRAY_SIZE(sh), &p->n_args);
        p->env = b_strv(b, default_env, ARRAY_SIZE(default_env), &p->n_env);
        p->cwd = b_str(b, "/");
        p->nonewprivileges = true;

        Grpc__LinuxCapabilities *c = p->capabilities = b_msg(b, &grpc__linux_capabilities__descriptor);
        if (!c)
                return -ENOMEM;
        c->bounding = b_strv(b, default_caps, ARRAY_SIZE(default_caps), &c->n_bounding);
        c->effective = b_strv(b, default_caps, ARRAY_SIZE(default_caps), &c->n_effective);
        c->permitted = b_strv(b, default_caps, ARRAY_SIZE(default_caps), &c->n_permitted);

        p->rlimits = b_msgv(b, 1, &p->n_rlimits);
        if (!p->rlimits || !(p->rlimits[0] = b_msg(b, &grpc__posixrlimit__descriptor)))
                return -ENOMEM;
        p->rlimits[0]->type = b_str(b, "RLIMIT_NOFILE");
        p->rlimits[0]->hard = 1024;
        p->rlimits[0]->soft = 1024;
        return 0;
}

static int default_mounts_build(struct builder *b, Grpc__Spec *s)
{
        s->mounts = b_msgv(b, ARRAY_SIZE(default_mounts), &s->n_mounts);
        if (!s->mounts)
                return -ENOMEM;
        for (size_t i = 0; i < ARRAY_SIZE(default_mounts); i++) {
                size_t n_opts = 0;
                Grpc__Mount *m = s->mounts[i] = b_msg(b, &grpc__mount__descriptor);
                if (!m)
                        return -ENOMEM;
                m->destination = b_str(b, default_mounts[i].destination);
                m->type = b_str(b, default_mounts[i].type);
                m->source = b_str(b, default_mounts[i].source);
                while (n_opts < ARRAY_SIZE(default_mounts[i].options) && default_mounts[i].options[n_opts])
                        n_opts++;
                if (n_opts > 0)
                        m->options = b_strv(b, default_mounts[i].options, n_opts, &m->n_options);
        }
        return 0;
}

static int default_linux(struct builder *b, Grpc__Linux *l)
{
        l->maskedpaths = b_strv(b, default_masked, ARRAY_SIZE(default_masked), &l->n_maskedpaths);
        l->readonlypaths = b_strv(b, default_readonly, ARRAY_SIZE(default_readonly), &l->n_readonlypaths);

        l->namespaces = b_msgv(b, ARRAY_SIZE(default_namespaces), &l->n_namespaces);
        if (!l->namespaces)
                return -ENOMEM;
        for (size_t i = 0; i < ARRAY_SIZE(default_namespaces); i++) {
                Grpc__LinuxNamespace *ns = l->namespaces[i] = b_msg(b, &grpc__linux_namespace__descriptor);
                if (!ns)
                        return -ENOMEM;
                ns->type = b_str(b, default_namespaces[i]);
        }

        /* Deny every device; the runtime allows the default ones itself. */
        Grpc__LinuxResources *res = l->resources = b_msg(b, &grpc__linux_resources__descriptor);
        if (!res)
                return -ENOMEM;
        res->devices = b_msgv(b, 1, &res->n_devices);
        if (!res->devices || !(res->devices[0] = b_msg(b, &grpc__linux_device_cgroup__descriptor)))
                return -ENOMEM;
        res->devices[0]->allow = false;
        res->devices[0]->major = -1; /* runc's JSON leaves them out: any */
        res->devices[0]->minor = -1;
        res->devices[0]->access = b_str(b, "rwm");
        return 0;
}

int oci_spec_default(const char *rootfs, char *const *args, size_t n_args, bool terminal,
                     Grpc__Spec **ret, struct rpc_error *e)
{
        struct builder b = {};
        Grpc__Spec *s;
        int r = 0;

        if (!rootfs || !rootfs[0])
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "no root filesystem given");
        for (size_t i = 0; i < n_args; i++)
                if (!args || !args[i])
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "argument %zu is missing", i);

        s = b_msg(&b, &grpc__spec__descriptor);
        if (!s)
                return -ENOMEM;
        s->version = b_str(&b, OCI_DEFAULT_VERSION);
        s->hostname = b_str(&b, "runc");
        if (!(s->process = b_msg(&b, &grpc__process__descriptor)) ||
            !(s->root = b_msg(&b, &grpc__root__descriptor)) ||
            !(s->linux = b_msg(&b, &grpc__linux__descriptor)))
                r = -ENOMEM;
        if (r >= 0) {
                s->root->path = b_str(&b, rootfs);
                s->root->readonly = true;
                r = default_process(&b, s->process, args, n_args, terminal);
        }
        if (r >= 0)
                r = default_mounts_build(&b, s);
        if (r >= 0)
                r = default_linux(&b, s->linux);
        if (r < 0 || b.oom) {
                protobuf_c_message_free_unpacked(&s->base, NULL);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}
