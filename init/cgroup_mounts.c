/* SPDX-License-Identifier: Apache-2.0 */
#include "cgroup_mounts.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "util.h"

#define CGROUP_FS_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* nsdelegate: a container's cgroup namespace is a delegation boundary. */
const struct early_mount cgroup2_mount = { "cgroup2", CGROUP_MOUNT_ROOT, "cgroup2", CGROUP_FS_FLAGS, "nsdelegate", 0555 };

static const struct early_mount cgroup_v1_tmpfs = { "tmpfs", CGROUP_MOUNT_ROOT, "tmpfs", CGROUP_FS_FLAGS,
                                                    "mode=0755", 0755 };

/* The controllers systemd mounts together when the kernel has not tied them yet. */
static const char *const pairs[][2] = {
        { "cpu", "cpuacct" },
        { "net_cls", "net_prio" },
};

struct controller {
        char name[CGROUP_V1_CONTROLLER_NAME_MAX + 1];
        unsigned long hierarchy;
        bool placed;
};

static bool valid_name(const char *s, size_t len)
{
        if (len == 0 || len > CGROUP_V1_CONTROLLER_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                        return false;
        return true;
}

/* Splits one line into at most 4 whitespace-separated fields; returns how many there were. */
static size_t split_fields(const char *line, size_t len, const char *field[4], size_t flen[4])
{
        size_t n = 0, i = 0;
        while (i < len) {
                while (i < len && (line[i] == ' ' || line[i] == '\t'))
                        i++;
                if (i == len)
                        break;
                size_t start = i;
                while (i < len && line[i] != ' ' && line[i] != '\t')
                        i++;
                if (n < 4) {
                        field[n] = line + start;
                        flen[n] = i - start;
                }
                n++;
        }
        return n;
}

static bool parse_number(const char *s, size_t len, unsigned long *ret)
{
        char num[24];
        uint64_t v;
        if (len == 0 || len >= sizeof num)
                return false;
        memcpy(num, s, len);
        num[len] = '\0';
        if (parse_u64(num, 10, &v) < 0 || v > UINT32_MAX)
                return false;
        *ret = (unsigned long)v;
        return true;
}

/* The enabled controllers of /proc/cgroups, in order; returns how many. */
static size_t read_controllers(const char *text, size_t len, struct controller *out, size_t max)
{
        size_t n = 0;
        for (size_t pos = 0; pos < len && n < max;) {
                const char *line = text + pos;
                const char *nl = memchr(line, '\n', len - pos);
                size_t line_len = nl ? (size_t)(nl - line) : len - pos;
                const char *field[4];
                size_t flen[4];
                unsigned long hierarchy, enabled;

                pos += line_len + 1;
                if (line_len == 0 || line[0] == '#' || split_fields(line, line_len, field, flen) < 4)
                        continue;
                if (!valid_name(field[0], flen[0]) || !parse_number(field[1], flen[1], &hierarchy) ||
                    !parse_number(field[3], flen[3], &enabled) || enabled == 0)
                        continue;
                bool dup = false;
                for (size_t i = 0; i < n; i++)
                        dup = dup || (strlen(out[i].name) == flen[0] && memcmp(out[i].name, field[0], flen[0]) == 0);
                if (dup)
                        continue;
                memcpy(out[n].name, field[0], flen[0]);
                out[n].name[flen[0]] = '\0';
                out[n].hierarchy = hierarchy;
                out[n].placed = false;
                n++;
        }
        return n;
}

static struct controller *find(struct controller *c, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (streq(c[i].name, name))
                        return &c[i];
        return NULL;
}

/* The controller that shares c's hierarchy by systemd's pairing, if it is unmounted too. */
static struct controller *partner(struct controller *c, size_t n, const struct controller *self)
{
        for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
                for (size_t k = 0; k < 2; k++)
                        if (streq(self->name, pairs[i][k])) {
                                struct controller *p = find(c, n, pairs[i][1 - k]);
                                return p && !p->placed && p->hierarchy == 0 ? p : NULL;
                        }
        return NULL;
}

/* Adds ",name" (or "name"); a name that does not fit is left out (only a fuzzer's hierarchy is that long). */
static void append(char *dst, const char *name)
{
        size_t len = strlen(dst), n = strlen(name), sep = len ? 1 : 0;
        if (len + sep + n > CGROUP_V1_HIERARCHY_NAME_MAX)
                return;
        if (sep)
                dst[len++] = ',';
        memcpy(dst + len, name, n + 1);
}

void cgroup_v1_plan_parse(const char *text, size_t len, struct cgroup_v1_plan *ret)
{
        struct controller c[CGROUP_V1_MAX_CONTROLLERS];
        struct cgroup_v1_plan plan = { 0 };
        size_t n = read_controllers(text, strnlen(text, MIN(len, (size_t)PROC_CGROUPS_MAX)), c, ARRAY_SIZE(c));

        for (size_t i = 0; i < n; i++) {
                if (c[i].placed)
                        continue;
                char *h = plan.hierarchy[plan.n++];
                h[0] = '\0';
                append(h, c[i].name);
                c[i].placed = true;
                if (c[i].hierarchy == 0) {
                        struct controller *p = partner(c, n, &c[i]);
                        if (p) {
                                append(h, p->name);
                                p->placed = true;
                        }
                        continue;
                }
                for (size_t k = i + 1; k < n; k++)
                        if (!c[k].placed && c[k].hierarchy == c[i].hierarchy) {
                                append(h, c[k].name);
                                c[k].placed = true;
                        }
        }
        *ret = plan;
}

size_t cgroup_v1_links(const char *hierarchy, char names[][CGROUP_V1_CONTROLLER_NAME_MAX + 1], size_t max)
{
        size_t n = 0;
        if (!strchr(hierarchy, ','))
                return 0;
        for (const char *p = hierarchy; n < max;) {
                const char *end = strchrnul(p, ',');
                size_t len = (size_t)(end - p);
                if (len > 0 && len <= CGROUP_V1_CONTROLLER_NAME_MAX) {
                        memcpy(names[n], p, len);
                        names[n++][len] = '\0';
                }
                if (!*end)
                        break;
                p = end + 1;
        }
        return n;
}

static void add_failure(struct early_mount_failure *failures, size_t max, size_t *failed,
                        const struct early_mount *m, int error)
{
        if ((*failed)++ < max)
                failures[*failed - 1] = (struct early_mount_failure){ m, error };
}

size_t cgroup_v1_mount(const struct cgroup_v1_plan *plan, const char *root, early_mount_fn do_mount,
                       struct early_mount_failure *failures, size_t max)
{
        /* Static: a failure report points at its entry after we return. */
        static char targets[CGROUP_V1_MAX_CONTROLLERS][sizeof CGROUP_MOUNT_ROOT + CGROUP_V1_HIERARCHY_NAME_MAX + 1];
        static struct early_mount mounts[CGROUP_V1_MAX_CONTROLLERS];
        static const struct early_mount link_entry = { "", CGROUP_MOUNT_ROOT, "symlink", 0, NULL, 0 };
        size_t failed = early_mounts_run(&cgroup_v1_tmpfs, 1, root, do_mount, failures, max);

        if (failed)
                return failed; /* the hierarchies would land on /sys itself */
        for (size_t i = 0; i < plan->n; i++) {
                snprintf(targets[i], sizeof targets[i], "%s/%s", CGROUP_MOUNT_ROOT, plan->hierarchy[i]);
                mounts[i] = (struct early_mount){ "cgroup", targets[i], "cgroup", CGROUP_FS_FLAGS,
                                                  plan->hierarchy[i], 0555 };
        }
        failed += early_mounts_run(mounts, plan->n, root, do_mount, failures + MIN(failed, max),
                                   max - MIN(failed, max));
        for (size_t i = 0; i < plan->n; i++) {
                char names[8][CGROUP_V1_CONTROLLER_NAME_MAX + 1];
                size_t n = cgroup_v1_links(plan->hierarchy[i], names, ARRAY_SIZE(names));
                for (size_t k = 0; k < n; k++) {
                        char link[PATH_MAX_EARLY];
                        if ((size_t)snprintf(link, sizeof link, "%s%s/%s", root, CGROUP_MOUNT_ROOT, names[k]) >=
                            sizeof link)
                                add_failure(failures, max, &failed, &link_entry, -ENAMETOOLONG);
                        else if (symlink(plan->hierarchy[i], link) < 0 && errno != EEXIST)
                                add_failure(failures, max, &failed, &link_entry, -errno);
                }
        }
        return failed;
}
