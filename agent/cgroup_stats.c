/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup_stats: the message skeleton and the parsers both versions use. Every
 * part is malloc'd one by one, so protobuf_c_message_free_unpacked() frees it.
 */
#include "cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "util.h"

/* Bounds on what a file can make us allocate (the others are in cgroup_internal.h). */
#define STATS_BUF_SIZE (64 * 1024)
#define HUGETLB_SIZES_MAX 16

static void *msg_new(const ProtobufCMessageDescriptor *d)
{
        void *m = calloc(1, d->sizeof_message);
        if (m)
                protobuf_c_message_init(d, m);
        return m;
}

static void stats_free(Grpc__CgroupStats *s)
{
        if (s)
                protobuf_c_message_free_unpacked(&s->base, NULL);
}

static Grpc__CgroupStats *stats_new(void)
{
        Grpc__CgroupStats *s = msg_new(&grpc__cgroup_stats__descriptor);

        if (!s)
                return NULL;
        if (!(s->cpu_stats = msg_new(&grpc__cpu_stats__descriptor)) ||
            !(s->cpu_stats->cpu_usage = msg_new(&grpc__cpu_usage__descriptor)) ||
            !(s->cpu_stats->throttling_data = msg_new(&grpc__throttling_data__descriptor)) ||
            !(s->memory_stats = msg_new(&grpc__memory_stats__descriptor)) ||
            !(s->memory_stats->usage = msg_new(&grpc__memory_data__descriptor)) ||
            !(s->memory_stats->swap_usage = msg_new(&grpc__memory_data__descriptor)) ||
            !(s->memory_stats->kernel_usage = msg_new(&grpc__memory_data__descriptor)) ||
            !(s->pids_stats = msg_new(&grpc__pids_stats__descriptor)) ||
            !(s->blkio_stats = msg_new(&grpc__blkio_stats__descriptor))) {
                stats_free(s);
                return NULL;
        }
        return s;
}

int cg_stats_memory_map(Grpc__MemoryStats *m, const char *text)
{
        for (const char *p = text; *p && m->n_stats < MEMORY_STAT_MAX;) {
                const char *eol = strchrnul(p, '\n');
                const char *sp = memchr(p, ' ', (size_t)(eol - p));
                char num[32];
                uint64_t v;
                size_t n = sp ? (size_t)(eol - sp - 1) : 0;

                if (sp && sp > p && n > 0 && n < sizeof num) {
                        memcpy(num, sp + 1, n);
                        num[n] = '\0';
                        if (parse_u64(num, 10, &v) == 0) {
                                Grpc__MemoryStats__StatsEntry **grown =
                                        realloc(m->stats, (m->n_stats + 1) * sizeof *grown);
                                if (!grown)
                                        return -ENOMEM;
                                m->stats = grown;
                                Grpc__MemoryStats__StatsEntry *entry =
                                        msg_new(&grpc__memory_stats__stats_entry__descriptor);
                                if (!entry)
                                        return -ENOMEM;
                                entry->key = strndup(p, (size_t)(sp - p));
                                if (!entry->key) {
                                        free(entry);
                                        return -ENOMEM;
                                }
                                entry->value = v;
                                m->stats[m->n_stats++] = entry;
                        }
                }
                p = *eol ? eol + 1 : eol;
        }
        return 0;
}

int cg_stats_blkio_add(Grpc__BlkioStatsEntry ***arr, size_t *n, uint64_t major, uint64_t minor,
                       const char *op, uint64_t value)
{
        if (*n >= BLKIO_ENTRIES_MAX)
                return 0;
        Grpc__BlkioStatsEntry **grown = realloc(*arr, (*n + 1) * sizeof *grown);
        if (!grown)
                return -ENOMEM;
        *arr = grown;
        Grpc__BlkioStatsEntry *entry = msg_new(&grpc__blkio_stats_entry__descriptor);
        if (!entry)
                return -ENOMEM;
        entry->op = strdup(op);
        if (!entry->op) {
                free(entry);
                return -ENOMEM;
        }
        entry->major = major;
        entry->minor = minor;
        entry->value = value;
        (*arr)[(*n)++] = entry;
        return 0;
}

Grpc__HugetlbStats *cg_stats_hugetlb_add(Grpc__CgroupStats *s, const char *size)
{
        for (size_t i = 0; i < s->n_hugetlb_stats; i++)
                if (streq(s->hugetlb_stats[i]->key, size))
                        return s->hugetlb_stats[i]->value;
        if (s->n_hugetlb_stats >= HUGETLB_SIZES_MAX)
                return NULL;
        Grpc__CgroupStats__HugetlbStatsEntry **grown =
                realloc(s->hugetlb_stats, (s->n_hugetlb_stats + 1) * sizeof *grown);
        if (!grown)
                return NULL;
        s->hugetlb_stats = grown;
        Grpc__CgroupStats__HugetlbStatsEntry *entry =
                msg_new(&grpc__cgroup_stats__hugetlb_stats_entry__descriptor);
        if (!entry)
                return NULL;
        entry->key = strdup(size);
        entry->value = msg_new(&grpc__hugetlb_stats__descriptor);
        if (!entry->key || !entry->value) {
                free(entry->key);
                free(entry->value);
                free(entry);
                return NULL;
        }
        s->hugetlb_stats[s->n_hugetlb_stats++] = entry;
        return entry->value;
}

bool cg_hugetlb_file_size(const char *name, const char *suffix, char *ret, size_t size)
{
        const char *p = startswith(name, "hugetlb.");
        if (!p)
                return false;
        const char *dot = strchr(p, '.');
        /* "hugetlb.2MB.rsvd.current" is another file: the size has no dot in it. */
        if (!dot || dot == p || !streq(dot + 1, suffix) || (size_t)(dot - p) >= size)
                return false;
        memcpy(ret, p, (size_t)(dot - p));
        ret[dot - p] = '\0';
        return true;
}

void cg_stats_pids(const char *dir, Grpc__PidsStats *p)
{
        uint64_t v;

        if (cg_read_u64(dir, "pids.current", &v) == 0)
                p->current = v;
        /* "max" is no limit, which Kata reports as 0. */
        if (cg_read_u64(dir, "pids.max", &v) == 0)
                p->limit = v == UINT64_MAX ? 0 : v;
}

/*
 * Per page size, from the files the group's directory has: v1
 * hugetlb.<size>.usage_in_bytes/max_usage_in_bytes/failcnt; v2
 * hugetlb.<size>.current and the "max" count in hugetlb.<size>.events.
 */
int cg_stats_hugetlb(const char *dir, bool v2, Grpc__CgroupStats *s, char *buf, size_t size)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;
        char page[32], file[96];
        uint64_t v;

        if (!d)
                return 0;
        while ((de = readdir(d))) {
                if (!cg_hugetlb_file_size(de->d_name, v2 ? "current" : "usage_in_bytes", page,
                                          sizeof page))
                        continue;
                Grpc__HugetlbStats *h = cg_stats_hugetlb_add(s, page);
                if (!h)
                        return s->n_hugetlb_stats >= HUGETLB_SIZES_MAX ? 0 : -ENOMEM;
                if (cg_read_u64(dir, de->d_name, &v) == 0)
                        h->usage = v;
                if (v2) {
                        snprintf(file, sizeof file, "hugetlb.%s.events", page);
                        if (cg_read(dir, file, buf, size) == 0 && cg_keyed_u64(buf, "max", &v) == 0)
                                h->failcnt = v;
                        continue;
                }
                snprintf(file, sizeof file, "hugetlb.%s.max_usage_in_bytes", page);
                if (cg_read_u64(dir, file, &v) == 0)
                        h->max_usage = v;
                snprintf(file, sizeof file, "hugetlb.%s.failcnt", page);
                if (cg_read_u64(dir, file, &v) == 0)
                        h->failcnt = v;
        }
        return 0;
}

/* The group is there if its directory is, in any hierarchy. */
static bool group_exists(const struct cgroup *cg)
{
        char dir[CG_FULL_MAX];
        struct stat st;

        for (size_t i = 0; i < cg_hier_count(cg->env); i++) {
                const char *base = cg_hier_base(cg->env, i);
                if (base && cg_join(dir, sizeof dir, base, cg->path, NULL) == 0 && stat(dir, &st) == 0 &&
                    S_ISDIR(st.st_mode))
                        return true;
        }
        return false;
}

int cgroup_stats(struct cgroup *cg, Grpc__CgroupStats **ret, struct rpc_error *e)
{
        _cleanup_free_ char *buf = NULL;
        Grpc__CgroupStats *s;
        int r;

        if (!group_exists(cg))
                return rpc_error_set(e, GRPC_NOT_FOUND, -ENOENT, "cgroup `%.200s` does not exist",
                                     cg->path);
        buf = malloc(STATS_BUF_SIZE);
        s = stats_new();
        if (!buf || !s) {
                stats_free(s);
                return -ENOMEM;
        }
        if (cg->env->version == CGROUP_V2)
                r = cg_stats_v2(cg, s, buf, STATS_BUF_SIZE);
        else
                r = cg_stats_v1(cg, s, buf, STATS_BUF_SIZE);
        if (r < 0) {
                stats_free(s);
                return r;
        }
        *ret = s;
        return 0;
}
