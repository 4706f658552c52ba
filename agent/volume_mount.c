/* SPDX-License-Identifier: Apache-2.0 */
/* /proc/self/mountinfo lines, and the mount holding a path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "util.h"
#include "volume_mount.h"

/* Copies the next space-separated field of *s into buf (octal escapes undone); advances *s. */
static int next_field(const char **s, char *buf, size_t size)
{
        const char *p = *s + strspn(*s, " ");
        size_t n = 0;
        if (!*p || *p == '\n')
                return -EINVAL;
        while (*p && *p != ' ' && *p != '\n') {
                char c = *p++;
                if (c == '\\' && p[0] >= '0' && p[0] <= '3' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' &&
                    p[2] <= '7') {
                        c = (char)((p[0] - '0') << 6 | (p[1] - '0') << 3 | (p[2] - '0'));
                        p += 3;
                }
                if (n + 1 >= size)
                        return -EINVAL;
                buf[n++] = c;
        }
        buf[n] = '\0';
        *s = p;
        return 0;
}

int volume_mount_parse_line(const char *line, struct volume_mount *ret)
{
        _cleanup_free_ struct volume_mount *m = calloc(1, sizeof *m);
        char field[VOLUME_PATH_MAX];
        const char *p = line;
        if (!m)
                return -ENOMEM;
        /* mount id, parent id, major:minor, root, mount point */
        if (next_field(&p, field, sizeof field) < 0 || next_field(&p, field, sizeof field) < 0 ||
            next_field(&p, field, sizeof field) < 0)
                return -EINVAL;
        char *colon = strchr(field, ':');
        uint32_t major, minor;
        if (!colon)
                return -EINVAL;
        *colon = '\0';
        if (parse_u32(field, 10, &major) < 0 || parse_u32(colon + 1, 10, &minor) < 0)
                return -EINVAL;
        if (next_field(&p, field, sizeof field) < 0 || next_field(&p, m->mount_point, sizeof m->mount_point) < 0)
                return -EINVAL;
        /* options, then optional fields up to the lone "-" */
        for (;;) {
                if (next_field(&p, field, sizeof field) < 0)
                        return -EINVAL;
                if (streq(field, "-"))
                        break;
        }
        if (next_field(&p, m->fstype, sizeof m->fstype) < 0 || next_field(&p, m->source, sizeof m->source) < 0)
                return -EINVAL;
        m->major = major;
        m->minor = minor;
        *ret = *m;
        return 0;
}

bool volume_mount_holds(const char *mount_point, const char *path)
{
        size_t n = strlen(mount_point);
        if (streq(mount_point, "/"))
                return path[0] == '/';
        return strncmp(mount_point, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int volume_mount_find(const char *mountinfo_path, unsigned major, unsigned minor, const char *path,
                      struct volume_mount *ret)
{
        _cleanup_fclose_ FILE *f = fopen(mountinfo_path, "re");
        _cleanup_free_ char *line = NULL;
        _cleanup_free_ struct volume_mount *cur = malloc(sizeof *cur), *best = malloc(sizeof *best);
        size_t cap = 0, best_len = 0;
        bool found = false;
        if (!f)
                return -errno;
        if (!cur || !best)
                return -ENOMEM;
        while (getline(&line, &cap, f) > 0) {
                if (volume_mount_parse_line(line, cur) < 0 || cur->major != major || cur->minor != minor ||
                    !volume_mount_holds(cur->mount_point, path))
                        continue;
                size_t len = strlen(cur->mount_point);
                if (!found || len >= best_len) {
                        *best = *cur;
                        best_len = len;
                        found = true;
                }
        }
        if (!found)
                return -ENOENT;
        *ret = *best;
        return 0;
}
