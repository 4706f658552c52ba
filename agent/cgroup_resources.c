/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup_apply: the checks both versions share, then the version's writer. */
#include "cgroup_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

bool cg_memory_requested(const Grpc__LinuxMemory *m)
{
        return m && (m->limit || m->reservation || m->swap || m->kernel || m->kerneltcp ||
                     m->swappiness || m->disableoomkiller);
}

bool cg_blockio_requested(const Grpc__LinuxBlockIO *b)
{
        return b && (b->weight || b->leafweight || b->n_weightdevice || b->n_throttlereadbpsdevice ||
                     b->n_throttlewritebpsdevice || b->n_throttlereadiopsdevice ||
                     b->n_throttlewriteiopsdevice);
}

int cg_devnum(int64_t major, int64_t minor, const char *field, char *buf, size_t size,
              struct rpc_error *e)
{
        if (major < 0 || minor < 0 || major > UINT32_MAX || minor > UINT32_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "%s: bad device number %" PRId64 ":%" PRId64, field, major,
                                     minor);
        snprintf(buf, size, "%" PRId64 ":%" PRId64, major, minor);
        return 0;
}

/* -1 means unlimited; anything below is a mistake. */
static int check_limit(int64_t v, const char *field, struct rpc_error *e)
{
        if (v < -1)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "%s: %" PRId64 " is neither a limit nor -1 (unlimited)", field, v);
        return 0;
}

static int check_memory(const Grpc__LinuxMemory *m, struct rpc_error *e)
{
        int r;

        if (!m)
                return 0;
        if ((r = check_limit(m->limit, "memory.limit", e)) < 0 ||
            (r = check_limit(m->reservation, "memory.reservation", e)) < 0 ||
            (r = check_limit(m->swap, "memory.swap", e)) < 0 ||
            (r = check_limit(m->kernel, "memory.kernel", e)) < 0 ||
            (r = check_limit(m->kerneltcp, "memory.kernelTCP", e)) < 0)
                return r;
        if (m->swappiness > 100)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "memory.swappiness: %" PRIu64 " is not in 0..100", m->swappiness);
        /* OCI's swap is memory+swap, so it cannot be below the memory limit. */
        if (m->limit > 0 && m->swap > 0 && m->swap < m->limit)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "memory.swap (%" PRId64 ", memory+swap) is below memory.limit (%" PRId64 ")",
                                     m->swap, m->limit);
        if (m->limit == -1 && m->swap > 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "memory.swap is limited while memory.limit is unlimited");
        return 0;
}

/* "2MB", "1GB", "64KB": the part of hugetlb.<size>.* file names. */
static bool hugepage_size_valid(const char *s)
{
        size_t digits = strspn(s, "0123456789");
        return digits > 0 && digits <= 10 && strchr("KMGT", s[digits]) && s[digits] &&
               s[digits + 1] == 'B' && s[digits + 2] == '\0';
}

static int check_device_rule(const Grpc__LinuxDeviceCgroup *d, size_t i, struct rpc_error *e)
{
        const char *t = d->type ? d->type : "";
        const char *a = d->access ? d->access : "";

        if (!(t[0] == '\0' || ((t[0] == 'a' || t[0] == 'b' || t[0] == 'c') && t[1] == '\0')))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "devices[%zu].type `%.20s` is not a, b or c", i, t);
        if (strlen(a) > 3 || strspn(a, "rwm") != strlen(a) ||
            (a[0] && (strchr(a + 1, a[0]) || (a[1] && strchr(a + 2, a[1])))))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "devices[%zu].access `%.20s` is not a subset of rwm", i, a);
        if (d->major > UINT32_MAX || d->minor > UINT32_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "devices[%zu]: device number %" PRId64 ":%" PRId64 " is too large",
                                     i, d->major, d->minor);
        return 0;
}

static int check_throttle(Grpc__LinuxThrottleDevice *const *t, size_t n, const char *field,
                          struct rpc_error *e)
{
        char num[48];

        for (size_t i = 0; i < n; i++) {
                if (!t[i])
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s[%zu] is empty", field, i);
                int r = cg_devnum(t[i]->major, t[i]->minor, field, num, sizeof num, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_blockio(const Grpc__LinuxBlockIO *b, struct rpc_error *e)
{
        char num[48];
        int r;

        if (!b)
                return 0;
        for (size_t i = 0; i < b->n_weightdevice; i++) {
                if (!b->weightdevice[i])
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "blockIO.weightDevice[%zu] is empty", i);
                r = cg_devnum(b->weightdevice[i]->major, b->weightdevice[i]->minor,
                              "blockIO.weightDevice", num, sizeof num, e);
                if (r < 0)
                        return r;
        }
        if ((r = check_throttle(b->throttlereadbpsdevice, b->n_throttlereadbpsdevice,
                                "blockIO.throttleReadBpsDevice", e)) < 0 ||
            (r = check_throttle(b->throttlewritebpsdevice, b->n_throttlewritebpsdevice,
                                "blockIO.throttleWriteBpsDevice", e)) < 0 ||
            (r = check_throttle(b->throttlereadiopsdevice, b->n_throttlereadiopsdevice,
                                "blockIO.throttleReadIOPSDevice", e)) < 0 ||
            (r = check_throttle(b->throttlewriteiopsdevice, b->n_throttlewriteiopsdevice,
                                "blockIO.throttleWriteIOPSDevice", e)) < 0)
                return r;
        return 0;
}

static int check_network(const Grpc__LinuxNetwork *n, struct rpc_error *e)
{
        if (!n)
                return 0;
        for (size_t i = 0; i < n->n_priorities; i++) {
                const Grpc__LinuxInterfacePriority *p = n->priorities[i];
                const char *name = p && p->name ? p->name : "";
                size_t len = strlen(name);
                bool ok = len > 0 && len < IFNAMSIZ;
                for (size_t k = 0; ok && k < len; k++)
                        ok = isgraph((unsigned char)name[k]) && name[k] != '/';
                if (!ok)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "network.priorities[%zu]: `%.40s` is not an interface name",
                                             i, name);
        }
        return 0;
}

int cg_check_common(const Grpc__LinuxResources *r, struct rpc_error *e)
{
        int ret;

        if ((ret = check_memory(r->memory, e)) < 0)
                return ret;
        if (r->cpu && r->cpu->quota < -1)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "cpu.quota: %" PRId64 " is neither a quota nor -1", r->cpu->quota);
        if (r->cpu && r->cpu->realtimeruntime < -1)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "cpu.realtimeRuntime: %" PRId64 " is neither a runtime nor -1",
                                     r->cpu->realtimeruntime);
        for (size_t i = 0; i < r->n_hugepagelimits; i++) {
                const Grpc__LinuxHugepageLimit *h = r->hugepagelimits[i];
                if (!h || !h->pagesize || !hugepage_size_valid(h->pagesize))
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "hugepageLimits[%zu].pageSize `%.40s` is not a size like 2MB",
                                             i, h && h->pagesize ? h->pagesize : "");
        }
        for (size_t i = 0; i < r->n_devices; i++) {
                if (!r->devices[i])
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "devices[%zu] is empty", i);
                if ((ret = check_device_rule(r->devices[i], i, e)) < 0)
                        return ret;
        }
        if ((ret = check_blockio(r->blockio, e)) < 0)
                return ret;
        return check_network(r->network, e);
}

int cgroup_apply(struct cgroup *cg, const Grpc__LinuxResources *r, struct rpc_error *e)
{
        int ret;

        if (!r)
                return 0;
        ret = cg_check_common(r, e);
        if (ret < 0)
                return ret;
        if (cg->env->version == CGROUP_V2)
                return cg_apply_v2(cg, r, e);
        return cg_apply_v1(cg, r, e);
}
