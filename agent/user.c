/* SPDX-License-Identifier: Apache-2.0 */
#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static FILE *open_in_container(int root_fd, const char *rel)
{
        struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        int fd = (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
        if (fd < 0)
                return NULL;
        FILE *f = fdopen(fd, "re");
        if (!f)
                close(fd);
        return f;
}

/* Looks a user up by name (name != NULL) or by uid. 0, -ENOENT, or -errno. */
static int find_user(int root_fd, const char *name, uid_t uid, uid_t *ret_uid, gid_t *ret_gid,
                     char *ret_name, size_t name_size)
{
        _cleanup_fclose_ FILE *f = open_in_container(root_fd, "etc/passwd");
        struct passwd *pw;
        if (!f)
                return -ENOENT;
        while ((pw = fgetpwent(f)))
                if (name ? streq(pw->pw_name, name) : pw->pw_uid == uid) {
                        *ret_uid = pw->pw_uid;
                        *ret_gid = pw->pw_gid;
                        snprintf(ret_name, name_size, "%s", pw->pw_name);
                        return 0;
                }
        return -ENOENT;
}

static int find_group(int root_fd, const char *name, gid_t *ret)
{
        _cleanup_fclose_ FILE *f = open_in_container(root_fd, "etc/group");
        struct group *gr;
        if (!f)
                return -ENOENT;
        while ((gr = fgetgrent(f)))
                if (streq(gr->gr_name, name)) {
                        *ret = gr->gr_gid;
                        return 0;
                }
        return -ENOENT;
}

/* The groups listing `user` as a member. */
static void member_groups(int root_fd, const char *user, struct plan *p)
{
        _cleanup_fclose_ FILE *f = open_in_container(root_fd, "etc/group");
        struct group *gr;
        if (!f)
                return;
        while ((gr = fgetgrent(f)) && p->n_groups < PLAN_MAX_GROUPS)
                for (char **m = gr->gr_mem; m && *m; m++)
                        if (streq(*m, user)) {
                                p->groups[p->n_groups++] = gr->gr_gid;
                                break;
                        }
}

static int parse_id(const char *s, uint32_t *ret)
{
        return parse_u32(s, 10, ret);
}

int user_resolve(int root_fd, const Grpc__StringUser *su, struct plan *p, struct rpc_error *e)
{
        uid_t uid = 0;
        gid_t gid = 0, primary = 0;
        char name[256] = "";
        bool have_primary = false;

        const char *u = su->uid && *su->uid ? su->uid : "0";
        if (parse_id(u, &uid) == 0) {
                uid_t ignored;
                have_primary = find_user(root_fd, NULL, uid, &ignored, &primary, name, sizeof name) == 0;
        } else if (find_user(root_fd, u, 0, &uid, &primary, name, sizeof name) == 0)
                have_primary = true;
        else
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "user `%.64s` is not in the container's /etc/passwd", u);

        if (su->gid && *su->gid) {
                if (parse_id(su->gid, &gid) < 0 && find_group(root_fd, su->gid, &gid) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "group `%.64s` is not in the container's /etc/group", su->gid);
        } else
                gid = have_primary ? primary : 0;

        if (su->n_additionalgids > PLAN_MAX_GROUPS)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "more than %d additional groups",
                                     PLAN_MAX_GROUPS);
        gid_t groups[PLAN_MAX_GROUPS];
        for (size_t i = 0; i < su->n_additionalgids; i++) {
                const char *g = su->additionalgids[i];
                if (parse_id(g, &groups[i]) < 0 && find_group(root_fd, g, &groups[i]) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "group `%.64s` is not in the container's /etc/group", g);
        }
        p->uid = uid;
        p->gid = gid;
        p->n_groups = su->n_additionalgids;
        memcpy(p->groups, groups, p->n_groups * sizeof groups[0]);
        if (p->n_groups == 0 && name[0])
                member_groups(root_fd, name, p);
        return 0;
}
