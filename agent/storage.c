/* SPDX-License-Identifier: Apache-2.0 */
#include "storage.h"
#include "storage_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan.h"
#include "util.h"

int storage_mkdir_p(const char *path, mode_t mode)
{
        char buf[512];
        size_t n = strlen(path);
        if (n >= sizeof buf)
                return -ENAMETOOLONG;
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *p = '/';
                }
        return mkdir(buf, mode) < 0 && errno != EEXIST ? -errno : 0;
}

int storage_options(const Grpc__Storage *s, struct mount_plan *mp, struct rpc_error *e)
{
        memset(mp, 0, sizeof *mp);
        mp->target = s->mount_point;
        return plan_mount_options(mp, s->options, s->n_options, e);
}

static int mount_ephemeral(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        struct mount_plan mp;
        int r = storage_options(s, &mp, e);
        if (r < 0)
                return r;
        const char *fstype = s->fstype && *s->fstype ? s->fstype : "tmpfs";
        if (!streq(fstype, "tmpfs"))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "ephemeral storage must be tmpfs, not `%.32s`", fstype);
        if ((r = storage_mkdir_p(s->mount_point, 0755)) < 0 ||
            (mount(s->source && *s->source ? s->source : "tmpfs", s->mount_point, "tmpfs", mp.flags,
                   mp.data[0] ? mp.data : NULL) < 0 && (r = -errno)))
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot mount tmpfs at `%.200s`: %s",
                                     s->mount_point, strerror(-r));
        m->mounted = true;
        return 0;
}

static int mount_local(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        mode_t mode = 0777;
        for (size_t i = 0; i < s->n_options; i++) {
                const char *v = startswith(s->options[i], "mode=");
                uint32_t parsed;
                if (v && parse_u32(v, 8, &parsed) == 0 && parsed <= 07777)
                        mode = parsed;
        }
        int r = storage_mkdir_p(s->mount_point, mode);
        if (r == 0 && chmod(s->mount_point, mode) < 0)
                r = -errno;
        if (r == 0 && s->fs_group && chown(s->mount_point, (uid_t)-1, s->fs_group->group_id) < 0)
                r = -errno;
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot create local storage `%.200s`: %s",
                                     s->mount_point, strerror(-r));
        m->mounted = false;
        return 0;
}

static int mount_bind(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        struct mount_plan mp;
        struct stat st;
        int r = storage_options(s, &mp, e);
        if (r < 0)
                return r;
        if (!s->source || stat(s->source, &st) < 0)
                return rpc_error_set(e, GRPC_NOT_FOUND, -ENOENT, "bind storage source `%.200s` does not exist",
                                     s->source ? s->source : "");
        r = S_ISDIR(st.st_mode) ? storage_mkdir_p(s->mount_point, 0755) : 0;
        if (r == 0 && !S_ISDIR(st.st_mode)) {
                FILE *f = fopen(s->mount_point, "ae");
                r = f ? 0 : -errno;
                if (f)
                        fclose(f);
        }
        if (r == 0 && mount(s->source, s->mount_point, NULL, MS_BIND | MS_REC, NULL) < 0)
                r = -errno;
        if (r == 0 && (mp.flags & ~(MS_BIND | MS_REC)) &&
            mount(NULL, s->mount_point, NULL, MS_REMOUNT | MS_BIND | (mp.flags & ~MS_REC), NULL) < 0) {
                r = -errno;
                (void)umount2(s->mount_point, MNT_DETACH);
        }
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot bind `%.200s` at `%.200s`: %s", s->source,
                                     s->mount_point, strerror(-r));
        m->mounted = true;
        return 0;
}

static const struct storage_handler handlers[] = {
        { "ephemeral", mount_ephemeral },
        { "local", mount_local },
        { "bind", mount_bind },
};

const char *const storage_drivers[] = { "ephemeral", "local", "bind", NULL };

/* True when some component of the path is "..". */
static bool has_dotdot(const char *path)
{
        for (const char *c = path; *c;) {
                size_t len = strcspn(c, "/");
                if (len == 2 && c[0] == '.' && c[1] == '.')
                        return true;
                c += len;
                c += strspn(c, "/");
        }
        return false;
}

int storage_mount(const Grpc__Storage *s, struct list_head *list, struct rpc_error *e)
{
        const struct storage_handler *h = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(handlers); i++)
                if (s->driver && streq(s->driver, handlers[i].driver))
                        h = &handlers[i];
        if (!h)
                return rpc_error_set(e, GRPC_UNIMPLEMENTED, -EOPNOTSUPP, "storage driver `%.64s` is not supported here",
                                     s->driver ? s->driver : "");
        const char *mp = s->mount_point;
        if (!mp || mp[0] != '/' || has_dotdot(mp) || strlen(mp) >= sizeof((struct mounted_storage *)0)->mount_point)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "storage mount point `%.200s` must be an "
                                     "absolute path without ..", mp ? mp : "");
        struct mounted_storage *m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        snprintf(m->mount_point, sizeof m->mount_point, "%s", mp);
        int r = h->mount(s, m, e);
        if (r < 0) {
                free(m);
                return r;
        }
        list_add_tail(&m->link, list);
        return 0;
}

void storage_unmount_all(struct list_head *list)
{
        while (!list_empty(list)) {
                struct mounted_storage *m = list_entry(list->prev, struct mounted_storage, link);
                if (m->mounted)
                        (void)umount2(m->mount_point, MNT_DETACH);
                list_del(&m->link);
                free(m);
        }
}
