/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mount options of the OCI spec, turned into mount(2) flags with one table
 * lookup each. Options the table does not know are filesystem data
 * ("mode=755", "size=64k", "newinstance") and are passed through.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "plan.h"
#include "util.h"

enum opt_kind {
        OPT_SET,         /* set flag */
        OPT_CLEAR,       /* clear flag (the "rw", "suid" ... spellings) */
        OPT_PROPAGATION, /* applied with a second mount() after the first */
        OPT_IGNORE,      /* accepted, no effect here */
};

struct mount_opt {
        const char *name;
        enum opt_kind kind;
        unsigned long flag;
};

/* Sorted by name: looked up with bsearch. */
static const struct mount_opt mount_opts[] = {
        { "async", OPT_CLEAR, MS_SYNCHRONOUS },
        { "atime", OPT_CLEAR, MS_NOATIME },
        { "bind", OPT_SET, MS_BIND },
        { "defaults", OPT_IGNORE, 0 },
        { "dev", OPT_CLEAR, MS_NODEV },
        { "diratime", OPT_CLEAR, MS_NODIRATIME },
        { "dirsync", OPT_SET, MS_DIRSYNC },
        { "exec", OPT_CLEAR, MS_NOEXEC },
        { "iversion", OPT_SET, MS_I_VERSION },
        { "lazytime", OPT_SET, MS_LAZYTIME },
        { "loud", OPT_CLEAR, MS_SILENT },
        { "mand", OPT_SET, MS_MANDLOCK },
        { "noatime", OPT_SET, MS_NOATIME },
        { "nodev", OPT_SET, MS_NODEV },
        { "nodiratime", OPT_SET, MS_NODIRATIME },
        { "noexec", OPT_SET, MS_NOEXEC },
        { "noiversion", OPT_CLEAR, MS_I_VERSION },
        { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
        { "nomand", OPT_CLEAR, MS_MANDLOCK },
        { "norelatime", OPT_CLEAR, MS_RELATIME },
        { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
        { "nosuid", OPT_SET, MS_NOSUID },
        { "private", OPT_PROPAGATION, MS_PRIVATE },
        { "rbind", OPT_SET, MS_BIND | MS_REC },
        { "relatime", OPT_SET, MS_RELATIME },
        { "remount", OPT_SET, MS_REMOUNT },
        { "ro", OPT_SET, MS_RDONLY },
        { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
        { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
        { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
        { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
        { "rw", OPT_CLEAR, MS_RDONLY },
        { "shared", OPT_PROPAGATION, MS_SHARED },
        { "silent", OPT_SET, MS_SILENT },
        { "slave", OPT_PROPAGATION, MS_SLAVE },
        { "strictatime", OPT_SET, MS_STRICTATIME },
        { "suid", OPT_CLEAR, MS_NOSUID },
        { "sync", OPT_SET, MS_SYNCHRONOUS },
        { "tmpcopyup", OPT_IGNORE, 0 }, /* crun extension: not supported, harmless to skip */
        { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
};

static int opt_cmp(const void *key, const void *elem)
{
        return strcmp(key, ((const struct mount_opt *)elem)->name);
}

static const struct mount_opt *find_opt(const char *name)
{
        return bsearch(name, mount_opts, ARRAY_SIZE(mount_opts), sizeof mount_opts[0], opt_cmp);
}

int plan_mount_options(struct mount_plan *m, char *const *options, size_t n, struct rpc_error *e)
{
        size_t data_len = strlen(m->data);

        for (size_t i = 0; i < n; i++) {
                const char *o = options[i];
                const struct mount_opt *opt = find_opt(o);
                if (!opt) {
                        size_t len = strlen(o);
                        if (data_len + len + 2 > sizeof m->data)
                                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG,
                                                     "mount %s: filesystem options longer than %zu bytes",
                                                     m->target, sizeof m->data - 1);
                        if (data_len)
                                m->data[data_len++] = ',';
                        memcpy(m->data + data_len, o, len + 1);
                        data_len += len;
                        continue;
                }
                switch (opt->kind) {
                case OPT_SET:
                        m->flags |= opt->flag;
                        break;
                case OPT_CLEAR:
                        m->flags &= ~opt->flag;
                        break;
                case OPT_PROPAGATION:
                        m->propagation = opt->flag;
                        break;
                case OPT_IGNORE:
                        break;
                }
        }
        if (m->flags & MS_BIND)
                m->bind = true;
        /*
         * A bind mount ignores every flag but MS_REC on the first call: flags
         * such as ro or nosuid need a remount of the new mount.
         */
        if (m->bind && (m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT)))
                m->remount_after_bind = true;
        return 0;
}
