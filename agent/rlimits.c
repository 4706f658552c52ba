/* SPDX-License-Identifier: Apache-2.0 */
#include "security.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"

/* Indexed by RLIMIT_* so the numbers come from the C library, not from us. */
static const char *const rlimit_names[] = {
        [RLIMIT_AS] = "RLIMIT_AS",
        [RLIMIT_CORE] = "RLIMIT_CORE",
        [RLIMIT_CPU] = "RLIMIT_CPU",
        [RLIMIT_DATA] = "RLIMIT_DATA",
        [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
        [RLIMIT_LOCKS] = "RLIMIT_LOCKS",
        [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",
        [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE",
        [RLIMIT_NICE] = "RLIMIT_NICE",
        [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
        [RLIMIT_NPROC] = "RLIMIT_NPROC",
        [RLIMIT_RSS] = "RLIMIT_RSS",
        [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",
        [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
        [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
        [RLIMIT_STACK] = "RLIMIT_STACK",
};

/* Sixteen distinct types, each kept once: the parsed set always fits. */
_Static_assert(ARRAY_SIZE(rlimit_names) == RLIMITS_MAX, "RLIMITS_MAX is not the number of RLIMIT_* types");

const char *rlimit_to_name(int resource)
{
        if (resource < 0 || (size_t)resource >= ARRAY_SIZE(rlimit_names))
                return NULL;
        return rlimit_names[resource];
}

int rlimit_from_name(const char *name, int *ret)
{
        if (!name)
                return -EINVAL;
        const char *bare = strncasecmp(name, "RLIMIT_", 7) == 0 ? name + 7 : name;

        for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                if (rlimit_names[i] && strcasecmp(bare, rlimit_names[i] + 7) == 0) {
                        *ret = (int)i;
                        return 0;
                }
        return -EINVAL;
}

int rlimits_parse(Grpc__POSIXRlimit *const *r, size_t n, struct rlimit_set *ret, size_t *ret_n,
                  struct rpc_error *e)
{
        struct rlimit_set set[RLIMITS_MAX];
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                const Grpc__POSIXRlimit *l = r[i];
                int res;

                if (!l)
                        continue;
                if (rlimit_from_name(l->type, &res) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "unknown rlimit type `%.200s`",
                                             l->type ? l->type : "");
                if (l->soft > l->hard)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "%s: soft limit %" PRIu64
                                             " is above the hard limit %" PRIu64,
                                             rlimit_names[res], l->soft, l->hard);

                size_t j;
                for (j = 0; j < k; j++)
                        if (set[j].resource == res)
                                break;
                if (j == k)
                        k++;
                /* rlim_t is 64 bits wide on Linux with both C libraries; infinity is all ones in both. */
                set[j] = (struct rlimit_set){
                        .resource = res,
                        .limit = { .rlim_cur = (rlim_t)l->soft, .rlim_max = (rlim_t)l->hard },
                };
        }
        memcpy(ret, set, k * sizeof set[0]);
        *ret_n = k;
        return 0;
}

int rlimits_apply(const struct rlimit_set *r, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                /*
                 * The raw syscall: musl's setrlimit() synchronises every thread
                 * through locks and signals, which a raw-clone child must not touch.
                 * The kernel's struct rlimit64 is two u64s, like struct rlimit here.
                 */
                uint64_t lim[2] = { r[i].limit.rlim_cur, r[i].limit.rlim_max };
                if (syscall(SYS_prlimit64, 0, r[i].resource, lim, NULL) < 0)
                        return -errno;
        }
        return 0;
}
