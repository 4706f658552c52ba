/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From the OCI cgroupsPath to the group's path below each hierarchy root.
 * Nothing here touches the filesystem: the result is checked so that joining
 * it to a mount can never leave that mount.
 */
#include "cgroup_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define KATA_PARENT "/kata"
#define DEFAULT_SLICE "system.slice"

struct path_buf {
        char s[CGROUP_PATH_MAX];
        size_t len;
};

/* Appends "/<component>"; false when the result would not fit. */
static bool push(struct path_buf *b, const char *c, size_t n)
{
        if (b->len + 1 + n >= sizeof b->s)
                return false;
        b->s[b->len++] = '/';
        memcpy(b->s + b->len, c, n);
        b->len += n;
        b->s[b->len] = '\0';
        return true;
}

static int too_long(const char *what, struct rpc_error *e)
{
        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -ENAMETOOLONG,
                             "cgroup path `%.200s` is longer than %d bytes", what,
                             CGROUP_PATH_MAX - 1);
}

/* One name below a hierarchy: not empty, not "." or "..", no '/', nothing unprintable. */
static int check_component(const char *c, size_t n, const char *whole, struct rpc_error *e)
{
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "cgroup path `%.200s` contains a `%.*s` component", whole,
                                     (int)n, c);
        if (n == 0 || n > NAME_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "cgroup path `%.200s` has a component that is empty or longer than %d bytes",
                                     whole, NAME_MAX);
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f || c[i] == '/')
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "cgroup path `%.200s` contains a control character",
                                             whole);
        return 0;
}

/* Appends each component of p (repeated and trailing slashes ignored, "." dropped). */
static int push_path(struct path_buf *b, const char *p, const char *whole, struct rpc_error *e)
{
        while (*p) {
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                if (n > 0 && !(n == 1 && p[0] == '.')) {
                        int r = check_component(p, n, whole, e);
                        if (r < 0)
                                return r;
                        if (!push(b, p, n))
                                return too_long(whole, e);
                }
                p = *end ? end + 1 : end;
        }
        return 0;
}

/*
 * "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", as systemd nests slices;
 * "-.slice" is the root slice and adds nothing.
 */
static int push_slice(struct path_buf *b, const char *slice, size_t n, const char *whole,
                      struct rpc_error *e)
{
        static const char suffix[] = ".slice";
        size_t stem;

        if (n == STRLEN("-.slice") && strncmp(slice, "-.slice", n) == 0)
                return 0;
        if (n <= STRLEN(suffix) || strncmp(slice + n - STRLEN(suffix), suffix, STRLEN(suffix)) != 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "systemd cgroup path `%.200s`: `%.*s` is not a slice name",
                                     whole, (int)n, slice);
        int r = check_component(slice, n, whole, e);
        if (r < 0)
                return r;
        stem = n - STRLEN(suffix);
        if (slice[0] == '-' || slice[stem - 1] == '-' || memmem(slice, stem, "--", 2))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "systemd cgroup path `%.200s`: slice `%.*s` has an empty part",
                                     whole, (int)n, slice);
        for (size_t i = 0; i <= stem; i++) {
                if (i < stem && slice[i] != '-')
                        continue;
                char part[NAME_MAX + 1];
                if (i + STRLEN(suffix) > NAME_MAX)
                        return too_long(whole, e);
                memcpy(part, slice, i);
                memcpy(part + i, suffix, STRLEN(suffix));
                if (!push(b, part, i + STRLEN(suffix)))
                        return too_long(whole, e);
        }
        return 0;
}

/* "slice:prefix:name" -> "/<slice expanded>/<prefix>-<name>.scope". */
static int push_systemd(struct path_buf *b, const char *s, struct rpc_error *e)
{
        const char *c1 = strchr(s, ':');
        const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        char unit[NAME_MAX + 1];
        int r, n;

        if (!c2 || strchr(c2 + 1, ':'))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "cgroup path `%.200s` is neither a path nor systemd's `slice:prefix:name`",
                                     s);
        const char *prefix = c1 + 1, *name = c2 + 1;
        size_t prefix_len = (size_t)(c2 - prefix);

        if (c1 == s)
                r = push_slice(b, DEFAULT_SLICE, STRLEN(DEFAULT_SLICE), s, e);
        else
                r = push_slice(b, s, (size_t)(c1 - s), s, e);
        if (r < 0)
                return r;
        if (!*name)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "systemd cgroup path `%.200s` has no unit name", s);
        if (prefix_len > 0)
                n = snprintf(unit, sizeof unit, "%.*s-%s.scope", (int)prefix_len, prefix, name);
        else
                n = snprintf(unit, sizeof unit, "%s.scope", name);
        if (n < 0 || (size_t)n >= sizeof unit)
                return too_long(s, e);
        r = check_component(unit, (size_t)n, s, e);
        if (r < 0)
                return r;
        return push(b, unit, (size_t)n) ? 0 : too_long(s, e);
}

int cgroup_resolve_path(const char *cgroups_path, const char *container_id, char *ret,
                        size_t size, struct rpc_error *e)
{
        struct path_buf b = {.len = 0};
        int r;

        b.s[0] = '\0';
        if (cgroups_path && strnlen(cgroups_path, CGROUP_PATH_MAX) >= CGROUP_PATH_MAX)
                return too_long(cgroups_path, e);

        if (!cgroups_path || !*cgroups_path) {
                if (!container_id || !*container_id)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "no cgroup path and no container id to name the group");
                if (!push(&b, &KATA_PARENT[1], STRLEN(KATA_PARENT) - 1))
                        return too_long(KATA_PARENT, e);
                size_t n = strnlen(container_id, CGROUP_PATH_MAX);
                if (memchr(container_id, '/', n))
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "container id `%.200s` contains '/'", container_id);
                r = check_component(container_id, n, container_id, e);
                if (r < 0)
                        return r;
                if (!push(&b, container_id, n))
                        return too_long(container_id, e);
        } else if (cgroups_path[0] != '/' && strchr(cgroups_path, ':')) {
                r = push_systemd(&b, cgroups_path, e);
                if (r < 0)
                        return r;
        } else {
                /* A relative path goes below /kata, next to the default groups. */
                if (cgroups_path[0] != '/' && !push(&b, &KATA_PARENT[1], STRLEN(KATA_PARENT) - 1))
                        return too_long(cgroups_path, e);
                r = push_path(&b, cgroups_path, cgroups_path, e);
                if (r < 0)
                        return r;
        }

        /* The root itself would make every hierarchy's root the container's group. */
        if (b.len == 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "cgroup path `%.200s` names the root of the hierarchy",
                                     cgroups_path ? cgroups_path : "");
        if (b.len >= size)
                return too_long(b.s, e);
        memcpy(ret, b.s, b.len + 1);
        return 0;
}
