/* SPDX-License-Identifier: Apache-2.0 */
#include "security.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "macro.h"
#include "util.h"

/* Older kernel headers lack the newer flags; the values are ABI. */
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif

/* libseccomp spells it ARG_COUNT_MAX internally; the syscall ABI has six. */
#define SYSCALL_ARGS_MAX 6

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release)

struct name_value {
        const char *name;
        uint32_t value;
};

static const struct name_value arch_table[] = {
        { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
        { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
        { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
        { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
        { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
        { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
        { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
        { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
        { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
        { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
        { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
        { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
        { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
        { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
        { "SCMP_ARCH_S390", SCMP_ARCH_S390 },
        { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
        { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
        { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
#ifdef SCMP_ARCH_RISCV64
        { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#endif
#ifdef SCMP_ARCH_LOONGARCH64
        { "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#endif
#ifdef SCMP_ARCH_M68K
        { "SCMP_ARCH_M68K", SCMP_ARCH_M68K },
#endif
#ifdef SCMP_ARCH_SH
        { "SCMP_ARCH_SH", SCMP_ARCH_SH },
        { "SCMP_ARCH_SHEB", SCMP_ARCH_SHEB },
#endif
};

static const struct name_value op_table[] = {
        { "SCMP_CMP_NE", SCMP_CMP_NE },
        { "SCMP_CMP_LT", SCMP_CMP_LT },
        { "SCMP_CMP_LE", SCMP_CMP_LE },
        { "SCMP_CMP_EQ", SCMP_CMP_EQ },
        { "SCMP_CMP_GE", SCMP_CMP_GE },
        { "SCMP_CMP_GT", SCMP_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* Load-time flags: they go to seccomp(2) with the program, not into the BPF. */
static const struct name_value flag_table[] = {
        { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
        { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
};

static int table_lookup(const struct name_value *t, size_t n, const char *name, uint32_t *ret)
{
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (streq(t[i].name, name)) {
                        *ret = t[i].value;
                        return 0;
                }
        return -EINVAL;
}

/* Largest value each action can carry in SECCOMP_RET_DATA. */
#define ERRNO_MAX 4095 /* the kernel clamps anything larger to MAX_ERRNO */
#define TRACE_DATA_MAX 0xffff

/*
 * `what` names the place for the message ("default action", "syscall `x`").
 * has_errno/errno_ret: the spec's errnoret, which both ERRNO and TRACE take
 * as their data; EPERM when unset, as runc and the Kata agent do.
 */
static int action_parse(const char *name, bool has_errno, uint32_t errno_ret, const char *what,
                        uint32_t *ret, struct rpc_error *e)
{
        static const struct name_value plain[] = {
                { "SCMP_ACT_KILL", SCMP_ACT_KILL },
                { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
                { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
                { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
                { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
                { "SCMP_ACT_LOG", SCMP_ACT_LOG },
        };
        uint32_t data = has_errno ? errno_ret : EPERM;

        if (!name)
                name = "";
        if (table_lookup(plain, ARRAY_SIZE(plain), name, ret) == 0)
                return 0;
        if (streq(name, "SCMP_ACT_ERRNO")) {
                if (data > ERRNO_MAX)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "%s: errnoRet %u is above %d", what, data, ERRNO_MAX);
                *ret = SCMP_ACT_ERRNO(data);
                return 0;
        }
        if (streq(name, "SCMP_ACT_TRACE")) {
                if (data > TRACE_DATA_MAX)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "%s: errnoRet %u is above %d", what, data,
                                             TRACE_DATA_MAX);
                *ret = SCMP_ACT_TRACE(data);
                return 0;
        }
        if (streq(name, "SCMP_ACT_NOTIFY"))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "%s: SCMP_ACT_NOTIFY needs a listener, which kinglet does not provide",
                                     what);
        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s: unknown action `%.200s`", what,
                             name);
}

/* First name of an entry, for messages: entries are identified by what they filter. */
static const char *syscall_label(const Grpc__LinuxSyscall *sc)
{
        return sc->n_names > 0 && sc->names[0] ? sc->names[0] : "";
}

static int args_parse(const Grpc__LinuxSyscall *sc, struct scmp_arg_cmp *ret, bool *ret_same_index,
                      struct rpc_error *e)
{
        unsigned int seen = 0;
        bool same = false;

        if (sc->n_args > SYSCALL_ARGS_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "syscall `%.200s`: %zu argument conditions, at most %d",
                                     syscall_label(sc), sc->n_args, SYSCALL_ARGS_MAX);
        for (size_t i = 0; i < sc->n_args; i++) {
                const Grpc__LinuxSeccompArg *a = sc->args[i];
                uint32_t op;

                if (a->index >= SYSCALL_ARGS_MAX)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "syscall `%.200s`: argument index %" PRIu64
                                             " (syscalls have %d)",
                                             syscall_label(sc), a->index, SYSCALL_ARGS_MAX);
                if (table_lookup(op_table, ARRAY_SIZE(op_table), a->op, &op) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "syscall `%.200s`: unknown operator `%.200s`",
                                             syscall_label(sc), a->op ? a->op : "");
                if (seen & 1U << a->index)
                        same = true;
                seen |= 1U << a->index;
                /* MASKED_EQ: value is the mask, valueTwo the datum — libseccomp's order too. */
                ret[i] = (struct scmp_arg_cmp){
                        .arg = (unsigned int)a->index,
                        .op = (enum scmp_compare)op,
                        .datum_a = a->value,
                        .datum_b = a->valuetwo,
                };
        }
        *ret_same_index = same;
        return 0;
}

static int rule_add(scmp_filter_ctx ctx, const Grpc__LinuxSyscall *sc, uint32_t action,
                    struct rpc_error *e)
{
        struct scmp_arg_cmp cmp[SYSCALL_ARGS_MAX];
        bool same_index;
        int r;

        r = args_parse(sc, cmp, &same_index, e);
        if (r < 0)
                return r;

        for (size_t i = 0; i < sc->n_names; i++) {
                const char *name = sc->names[i];
                /*
                 * Resolved for the native arch (libseccomp maps it to the others
                 * in the filter). Unknown names are skipped: profiles list the
                 * syscalls of every arch, and one missing here cannot be called.
                 */
                int nr = seccomp_syscall_resolve_name(name);
                if (nr == __NR_SCMP_ERROR)
                        continue;

                if (!same_index) {
                        /* Conditions on different arguments must all hold (libseccomp ANDs them). */
                        r = seccomp_rule_add_array(ctx, action, nr, (unsigned int)sc->n_args, cmp);
                } else {
                        /*
                         * libseccomp cannot compare one argument twice in a rule
                         * (EINVAL). runc and crun read such an entry as "any of
                         * these": one rule per condition. Do the same, so profiles
                         * written for them mean here what they mean there.
                         */
                        r = 0;
                        for (size_t j = 0; j < sc->n_args && r >= 0; j++)
                                r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[j]);
                }
                if (r < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, r,
                                             "syscall `%.200s`: libseccomp refused the rule: %s",
                                             name, strerror(-r));
        }
        return 0;
}

/* Reads the exported program back: libseccomp 2.5 can only write it to an fd. */
static int filter_export(scmp_filter_ctx ctx, struct sock_filter **ret, unsigned short *ret_len,
                         struct rpc_error *e)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ struct sock_filter *f = NULL;
        struct stat st;
        int r;

        /* A memfd, not a pipe: a large program would fill a pipe and block the export. */
        fd = memfd_create("kinglet-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return rpc_error_set(e, GRPC_INTERNAL, r, "cannot export the seccomp filter: %s",
                                     strerror(-r));
        if (fstat(fd, &st) < 0)
                return -errno;

        size_t size = (size_t)st.st_size;
        size_t n = size / sizeof(struct sock_filter);
        if (n == 0 || size % sizeof(struct sock_filter) != 0)
                return rpc_error_set(e, GRPC_INTERNAL, -EIO,
                                     "libseccomp exported %zu bytes, not a BPF program", size);
        if (n > BPF_MAXINSNS)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG,
                                     "the seccomp profile compiles to %zu BPF instructions; the kernel takes at most %d",
                                     n, BPF_MAXINSNS);

        f = malloc(size);
        if (!f)
                return -ENOMEM;
        for (size_t done = 0; done < size;) {
                ssize_t k = pread(fd, (char *)f + done, size - done, (off_t)done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EIO;
                done += (size_t)k;
        }
        *ret = TAKE_PTR(f);
        *ret_len = (unsigned short)n;
        return 0;
}

int seccomp_compile(const Grpc__LinuxSeccomp *s, struct seccomp_prog *ret, struct rpc_error *e)
{
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        uint32_t def, flags = 0;
        int r;

        /* No default action and no rules: seccomp is off (runc reads it the same way). */
        if (!s || ((!s->defaultaction || !*s->defaultaction) && s->n_syscalls == 0)) {
                *ret = (struct seccomp_prog){0};
                return 0;
        }

        /* Everything a person can get wrong is checked before libseccomp sees any of it. */
        r = action_parse(s->defaultaction, false, 0, "default action", &def, e);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_flags; i++) {
                uint32_t f;
                if (table_lookup(flag_table, ARRAY_SIZE(flag_table), s->flags[i], &f) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "unknown seccomp flag `%.200s`",
                                             s->flags[i] ? s->flags[i] : "");
                flags |= f;
        }
        for (size_t i = 0; i < s->n_architectures; i++) {
                uint32_t a;
                if (table_lookup(arch_table, ARRAY_SIZE(arch_table), s->architectures[i], &a) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "unknown seccomp architecture `%.200s`",
                                             s->architectures[i] ? s->architectures[i] : "");
        }

        /* Holds the native arch from the start. */
        ctx = seccomp_init(def);
        if (!ctx)
                return -ENOMEM;

        for (size_t i = 0; i < s->n_architectures; i++) {
                uint32_t a = 0;
                (void)table_lookup(arch_table, ARRAY_SIZE(arch_table), s->architectures[i], &a);
                r = seccomp_arch_add(ctx, a);
                if (r == -EEXIST) /* the native one, or listed twice */
                        continue;
                if (r < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, r,
                                             "cannot add seccomp architecture `%.200s`: %s",
                                             s->architectures[i], strerror(-r));
        }

        for (size_t i = 0; i < s->n_syscalls; i++) {
                const Grpc__LinuxSyscall *sc = s->syscalls[i];
                uint32_t action;
                char what[256];

                snprintf(what, sizeof what, "syscall `%.200s`", syscall_label(sc));
                r = action_parse(sc->action, sc->errno_ret_case == GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET,
                                 sc->errnoret, what, &action, e);
                if (r < 0)
                        return r;
                /*
                 * A rule that does what the default does changes nothing, and
                 * libseccomp refuses it (EACCES): leave it out, as runc does.
                 * Its arguments are still checked, so a typo never passes.
                 */
                if (action == def) {
                        struct scmp_arg_cmp cmp[SYSCALL_ARGS_MAX];
                        bool same_index;
                        r = args_parse(sc, cmp, &same_index, e);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = rule_add(ctx, sc, action, e);
                if (r < 0)
                        return r;
        }

        struct sock_filter *filter = NULL;
        unsigned short len = 0;
        r = filter_export(ctx, &filter, &len, e);
        if (r < 0)
                return r;
        *ret = (struct seccomp_prog){ .filter = filter, .len = len, .flags = flags };
        return 0;
}

void seccomp_prog_free(struct seccomp_prog *p)
{
        if (!p)
                return;
        free(p->filter);
        *p = (struct seccomp_prog){0};
}

int seccomp_install(const struct seccomp_prog *p)
{
        if (!p || p->len == 0)
                return 0;

        struct sock_fprog prog = {
                .len = p->len,
                .filter = p->filter,
        };
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog);
        if (r < 0) {
                /* Kernels before 3.17 have only the prctl, which takes no flags. */
                if (errno != ENOSYS || p->flags != 0)
                        return -errno;
                if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
                        return -errno;
        } else if (r > 0) {
                /* TSYNC: the id of a thread that could not follow. The child has none. */
                return -EBUSY;
        }
        return 0;
}
