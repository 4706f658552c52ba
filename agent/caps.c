/* SPDX-License-Identifier: Apache-2.0 */
#include "security.h"

#include <errno.h>
#include <linux/capability.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"

/*
 * Indexed by number so the name of a capability is one lookup, and so a
 * mistyped constant shows up as a hole the unit test catches.
 */
static const char *const cap_names[] = {
        [CAP_CHOWN] = "CAP_CHOWN",
        [CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
        [CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
        [CAP_FOWNER] = "CAP_FOWNER",
        [CAP_FSETID] = "CAP_FSETID",
        [CAP_KILL] = "CAP_KILL",
        [CAP_SETGID] = "CAP_SETGID",
        [CAP_SETUID] = "CAP_SETUID",
        [CAP_SETPCAP] = "CAP_SETPCAP",
        [CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
        [CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
        [CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
        [CAP_NET_ADMIN] = "CAP_NET_ADMIN",
        [CAP_NET_RAW] = "CAP_NET_RAW",
        [CAP_IPC_LOCK] = "CAP_IPC_LOCK",
        [CAP_IPC_OWNER] = "CAP_IPC_OWNER",
        [CAP_SYS_MODULE] = "CAP_SYS_MODULE",
        [CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
        [CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
        [CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
        [CAP_SYS_PACCT] = "CAP_SYS_PACCT",
        [CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
        [CAP_SYS_BOOT] = "CAP_SYS_BOOT",
        [CAP_SYS_NICE] = "CAP_SYS_NICE",
        [CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
        [CAP_SYS_TIME] = "CAP_SYS_TIME",
        [CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
        [CAP_MKNOD] = "CAP_MKNOD",
        [CAP_LEASE] = "CAP_LEASE",
        [CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
        [CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
        [CAP_SETFCAP] = "CAP_SETFCAP",
        [CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
        [CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
        [CAP_SYSLOG] = "CAP_SYSLOG",
        [CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
        [CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
        [CAP_AUDIT_READ] = "CAP_AUDIT_READ",
        [CAP_PERFMON] = "CAP_PERFMON",
        [CAP_BPF] = "CAP_BPF",
        [CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};

/* The kernel headers may know newer capabilities than this table; the table decides. */
_Static_assert(ARRAY_SIZE(cap_names) == CAPS_KNOWN, "capability table out of step with CAPS_KNOWN");

const char *cap_to_name(int cap)
{
        if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
                return NULL;
        return cap_names[cap];
}

int cap_from_name(const char *name, int *ret)
{
        if (!name)
                return -EINVAL;
        /* OCI specs always carry the prefix; people typing `--cap-add` often do not. */
        const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;

        for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
                if (strcasecmp(bare, cap_names[i] + 4) == 0) {
                        *ret = (int)i;
                        return 0;
                }
        return -EINVAL;
}

static int caps_parse_set(char *const *names, size_t n, const char *set, uint64_t *ret,
                          struct rpc_error *e)
{
        uint64_t mask = 0;

        for (size_t i = 0; i < n; i++) {
                int cap;
                if (cap_from_name(names[i], &cap) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "unknown capability `%.200s` in the %s set",
                                             names[i] ? names[i] : "", set);
                mask |= UINT64_C(1) << cap;
        }
        *ret = mask;
        return 0;
}

int caps_parse(const Grpc__LinuxCapabilities *c, struct caps *ret, struct rpc_error *e)
{
        struct caps p = {0};
        int r;

        if (c) {
                r = caps_parse_set(c->bounding, c->n_bounding, "bounding", &p.bounding, e);
                if (r < 0)
                        return r;
                r = caps_parse_set(c->effective, c->n_effective, "effective", &p.effective, e);
                if (r < 0)
                        return r;
                r = caps_parse_set(c->inheritable, c->n_inheritable, "inheritable",
                                   &p.inheritable, e);
                if (r < 0)
                        return r;
                r = caps_parse_set(c->permitted, c->n_permitted, "permitted", &p.permitted, e);
                if (r < 0)
                        return r;
                r = caps_parse_set(c->ambient, c->n_ambient, "ambient", &p.ambient, e);
                if (r < 0)
                        return r;
        }

        /*
         * capset() refuses an effective cap outside the permitted set with a bare
         * EPERM, in the child, where nobody can say which one; say it here.
         */
        uint64_t stray = p.effective & ~p.permitted;
        if (stray)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "capability %s is effective but not permitted",
                                     cap_to_name(__builtin_ctzll(stray)));
        *ret = p;
        return 0;
}

int caps_prepare(void)
{
        /* Without it, setuid() away from 0 empties the permitted set we still need. */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

/*
 * The highest capability the running kernel knows: PR_CAPBSET_READ refuses
 * the first number past it with EINVAL. Probing needs no /proc and no memory,
 * which matters in the child.
 */
static int cap_last_running(int *ret)
{
        int cap;

        for (cap = 0; cap < 64; cap++)
                if (prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) < 0) {
                        if (errno != EINVAL)
                                return -errno;
                        break;
                }
        if (cap == 0)
                return -EINVAL;
        *ret = cap - 1;
        return 0;
}

static int capset_raw(uint64_t effective, uint64_t permitted, uint64_t inheritable)
{
        struct __user_cap_header_struct hdr = {
                .version = _LINUX_CAPABILITY_VERSION_3,
                .pid = 0,
        };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {
                {
                        .effective = (uint32_t)effective,
                        .permitted = (uint32_t)permitted,
                        .inheritable = (uint32_t)inheritable,
                },
                {
                        .effective = (uint32_t)(effective >> 32),
                        .permitted = (uint32_t)(permitted >> 32),
                        .inheritable = (uint32_t)(inheritable >> 32),
                },
        };

        if (syscall(SYS_capset, &hdr, data) < 0)
                return -errno;
        return 0;
}

static int capget_raw(uint64_t *ret_permitted, uint64_t *ret_inheritable)
{
        struct __user_cap_header_struct hdr = {
                .version = _LINUX_CAPABILITY_VERSION_3,
                .pid = 0,
        };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {0};

        if (syscall(SYS_capget, &hdr, data) < 0)
                return -errno;
        *ret_permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
        *ret_inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
        return 0;
}

int caps_apply(const struct caps *c)
{
        uint64_t permitted = 0, inheritable = 0;
        int last, r;

        r = cap_last_running(&last);
        if (r < 0)
                return r;
        /* Caps newer than the kernel cannot be granted anyway; asking for them would fail the raise. */
        uint64_t valid = last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;

        /*
         * setuid() away from 0 (after caps_prepare) kept the permitted set but
         * emptied the effective one, and dropping from the bounding set needs
         * CAP_SETPCAP effective: raise effective to what is permitted first.
         */
        r = capget_raw(&permitted, &inheritable);
        if (r < 0)
                return r;
        r = capset_raw(permitted, permitted, inheritable);
        if (r < 0)
                return r;

        for (int cap = 0; cap <= last; cap++) {
                if (c->bounding & (UINT64_C(1) << cap))
                        continue;
                /* Only drop what is there: an unprivileged caller may still drop nothing. */
                int have = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0);
                if (have < 0)
                        return -errno;
                if (have && prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0)
                        return -errno;
        }

        /*
         * After the bounding drop, so the kernel's rule that new inheritable caps
         * stay inside the bounding set holds: a cap outside it cannot come back
         * through a file's inheritable set.
         */
        r = capset_raw(c->effective & valid, c->permitted & valid, c->inheritable & valid);
        if (r < 0)
                return r;

        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return -errno;
        /*
         * The kernel only raises an ambient cap that is permitted and inheritable;
         * like runc we leave the others out (which grants less, never more)
         * rather than fail the container.
         */
        uint64_t ambient = c->ambient & c->permitted & c->inheritable & valid;
        for (int cap = 0; cap <= last; cap++)
                if ((ambient & (UINT64_C(1) << cap)) &&
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0, 0) < 0)
                        return -errno;
        return 0;
}
