/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The program. r3 holds the requested access bits no rule has decided yet;
 * the rules are walked from the last to the first, so the first rule met that
 * decides a bit is the last one in the list, the one that wins:
 *
 *     r2 = ctx->access_type & 0xffff          device type (BPF_DEVCG_DEV_*)
 *     r3 = ctx->access_type >> 16             requested access (BPF_DEVCG_ACC_*)
 *     r4 = ctx->major
 *     r5 = ctx->minor
 *   Rn (last rule), tests only for the fields the rule narrows:
 *     if r2 != type  goto Rn-1
 *     if r4 != major goto Rn-1
 *     if r5 != minor goto Rn-1
 *     allow "rwm":  goto ALLOW                  (the last test inverted instead)
 *     deny  "rwm":  goto DENY                   (likewise)
 *     allow acc:    r3 &= ~acc; if r3 == 0 goto ALLOW   all bits now allowed
 *     deny  acc:    if r3 & acc goto DENY               an undecided bit is denied
 *   Rn-1: ...
 *   DENY:  r0 = 0; exit                      also reached when nothing matched
 *   ALLOW: r0 = 1; exit
 *
 * So each access kind is decided by the last rule that names it, and a request
 * for several (open O_RDWR asks for r and w) passes only if all are allowed:
 * "allow rwm, then deny w" refuses O_RDWR, not only O_WRONLY.
 *
 * A rule that matches every request ends the walk: the verifier rejects
 * unreachable instructions, and nothing after it could run anyway.
 */
#include "devices_bpf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

enum {
        R_RET = BPF_REG_0,
        R_CTX = BPF_REG_1,
        R_TYPE = BPF_REG_2,
        R_ACCESS = BPF_REG_3,
        R_MAJOR = BPF_REG_4,
        R_MINOR = BPF_REG_5,
        R_TMP = BPF_REG_6,
};

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

/*
 * Instructions: the preamble; per rule at most 1 (type) + 2 (major) + 2
 * (minor) + 2 (access); the DENY and ALLOW blocks.
 */
#define PREAMBLE_INSNS 6
#define RULE_MAX_INSNS 7
#define CLOSING_INSNS 4

/* Large enough for the verifier's last words on a program of our size. */
#define VERIFIER_LOG_SIZE (256 * 1024)
/* How much of the log's end goes into the error message. */
#define VERIFIER_LOG_TAIL 260

struct dev_rule {
        bool allow;
        uint32_t type;   /* BPF_DEVCG_DEV_*, 0 = any */
        uint32_t access; /* BPF_DEVCG_ACC_* bits */
        int64_t major;   /* < 0 = any */
        int64_t minor;
};

/* Where a jump goes; its offset is filled in once that place is known. */
enum jump_to {
        TO_NONE,
        TO_NEXT, /* the next rule's block */
        TO_DENY,
        TO_ALLOW,
};

struct field_test {
        uint8_t reg;
        int64_t value;
};

struct emitter {
        struct bpf_insn *insns;
        uint8_t *to; /* enum jump_to per instruction */
        size_t n;
};

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

/* dst = *(u32 *)(src + off), zero-extended */
static struct bpf_insn ldx_mem_w(uint8_t dst, uint8_t src, int16_t off)
{
        return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}

/* dst = (u32)dst <op> imm, zero-extended */
static struct bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm)
{
        return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}

/* dst = (u32)imm: the 32-bit pattern, zero-extended (no sign extension) */
static struct bpf_insn mov32_imm(uint8_t dst, int32_t imm)
{
        return alu32_imm(BPF_MOV, dst, imm);
}

/* dst = (s64)imm */
static struct bpf_insn mov64_imm(uint8_t dst, int32_t imm)
{
        return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}

/* if (dst <op> (s64)imm) goto pc + 1 + off */
static struct bpf_insn jmp_imm(uint8_t op, uint8_t dst, int32_t imm, int16_t off)
{
        return insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}

/* if (dst <op> src) goto pc + 1 + off */
static struct bpf_insn jmp_reg(uint8_t op, uint8_t dst, uint8_t src, int16_t off)
{
        return insn(BPF_JMP | op | BPF_X, dst, src, off, 0);
}

static struct bpf_insn exit_insn(void)
{
        return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* The capacity is computed up front from the rule count, so this cannot overflow. */
static void emit(struct emitter *em, struct bpf_insn i, enum jump_to to)
{
        em->insns[em->n] = i;
        em->to[em->n] = (uint8_t)to;
        em->n++;
}

/* Points the jumps to `to` emitted since `from` at the next instruction. */
static void resolve(struct emitter *em, size_t from, enum jump_to to)
{
        for (size_t i = from; i < em->n; i++) {
                if (em->to[i] != to)
                        continue;
                /* At most ~1800 instructions, so the distance fits the s16 offset. */
                em->insns[i].off = (int16_t)(em->n - i - 1);
                em->to[i] = TO_NONE;
        }
}

static bool referenced(const struct emitter *em, enum jump_to to)
{
        for (size_t i = 0; i < em->n; i++)
                if (em->to[i] == to)
                        return true;
        return false;
}

/* if (reg <op> value) goto `to`, for any value the kernel's u32 field can hold */
static void emit_test(struct emitter *em, uint8_t op, uint8_t reg, int64_t value, enum jump_to to)
{
        /*
         * The immediate is sign-extended to 64 bits while the loaded field is
         * zero-extended: values above INT32_MAX go through a register set by a
         * 32-bit move, which zero-extends.
         */
        if (value <= INT32_MAX) {
                emit(em, jmp_imm(op, reg, (int32_t)value, 0), to);
                return;
        }
        emit(em, mov32_imm(R_TMP, (int32_t)(uint32_t)value), TO_NONE);
        emit(em, jmp_reg(op, reg, R_TMP, 0), to);
}

/* Returns false for a rule that matches every request: nothing may follow it. */
static bool emit_rule(struct emitter *em, const struct dev_rule *r)
{
        struct field_test tests[3];
        size_t n = 0, start = em->n;

        if (r->type != 0)
                tests[n++] = (struct field_test){ R_TYPE, r->type };
        if (r->major >= 0)
                tests[n++] = (struct field_test){ R_MAJOR, r->major };
        if (r->minor >= 0)
                tests[n++] = (struct field_test){ R_MINOR, r->minor };

        if (r->access == ACC_ALL) {
                if (n == 0)
                        return false;
                /* All tests but the last skip the rule; the last, inverted, decides. */
                for (size_t i = 0; i + 1 < n; i++)
                        emit_test(em, BPF_JNE, tests[i].reg, tests[i].value, TO_NEXT);
                emit_test(em, BPF_JEQ, tests[n - 1].reg, tests[n - 1].value,
                          r->allow ? TO_ALLOW : TO_DENY);
        } else {
                for (size_t i = 0; i < n; i++)
                        emit_test(em, BPF_JNE, tests[i].reg, tests[i].value, TO_NEXT);
                if (r->allow) {
                        /*
                         * The rule's bits are decided here: allowed. The others
                         * stay in r3 for earlier rules, so a kind no rule names
                         * (one a later kernel might add) ends up refused unless
                         * a "rwm" rule allows it.
                         */
                        emit(em, alu32_imm(BPF_AND, R_ACCESS, (int32_t)~r->access), TO_NONE);
                        emit(em, jmp_imm(BPF_JEQ, R_ACCESS, 0, 0), TO_ALLOW);
                } else {
                        emit(em, jmp_imm(BPF_JSET, R_ACCESS, (int32_t)r->access, 0), TO_DENY);
                }
        }
        resolve(em, start, TO_NEXT);
        return true;
}

static void emit_outcome(struct emitter *em, enum jump_to outcome)
{
        resolve(em, 0, outcome);
        emit(em, mov64_imm(R_RET, outcome == TO_ALLOW ? 1 : 0), TO_NONE);
        emit(em, exit_insn(), TO_NONE);
}

static int parse_number(int64_t v, size_t idx, const char *what, int64_t *ret, struct rpc_error *e)
{
        /* The kernel hands the program 32-bit numbers; nothing larger can be meant. */
        if (v > (int64_t)UINT32_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "device rule %zu: %s %" PRId64 " is out of range (at most %" PRIu32 ")",
                                     idx, what, v, UINT32_MAX);
        *ret = v < 0 ? -1 : v;
        return 0;
}

static int parse_rule(const Grpc__LinuxDeviceCgroup *rule, size_t idx, struct dev_rule *ret,
                      struct rpc_error *e)
{
        struct dev_rule r = { .allow = rule->allow };
        const char *type = rule->type ? rule->type : "";
        const char *access = rule->access ? rule->access : "";
        int k;

        if (type[0] == '\0' || (type[0] == 'a' && type[1] == '\0'))
                r.type = 0;
        else if (type[0] == 'b' && type[1] == '\0')
                r.type = BPF_DEVCG_DEV_BLOCK;
        else if (type[0] == 'c' && type[1] == '\0')
                r.type = BPF_DEVCG_DEV_CHAR;
        else
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "device rule %zu: type `%.200s` is not one of a, b, c", idx, type);

        for (const char *p = access; *p; p++) {
                switch (*p) {
                case 'r':
                        r.access |= BPF_DEVCG_ACC_READ;
                        break;
                case 'w':
                        r.access |= BPF_DEVCG_ACC_WRITE;
                        break;
                case 'm':
                        r.access |= BPF_DEVCG_ACC_MKNOD;
                        break;
                default:
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "device rule %zu: access `%.200s` is not a subset of `rwm`",
                                             idx, access);
                }
        }
        if (r.access == 0)
                r.access = ACC_ALL;

        k = parse_number(rule->major, idx, "major", &r.major, e);
        if (k < 0)
                return k;
        k = parse_number(rule->minor, idx, "minor", &r.minor, e);
        if (k < 0)
                return k;
        *ret = r;
        return 0;
}

int devices_bpf_build(const Grpc__LinuxDeviceCgroup *const *rules, size_t n_rules,
                      struct devices_bpf_prog *ret, struct rpc_error *e)
{
        _cleanup_free_ struct bpf_insn *insns = NULL;
        _cleanup_free_ uint8_t *to = NULL;
        struct emitter em;
        struct dev_rule r;
        enum jump_to fallthrough = TO_DENY;
        size_t cap;
        int k;

        if (n_rules > DEVICES_BPF_MAX_RULES)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "%zu device rules; at most %d are supported", n_rules,
                                     DEVICES_BPF_MAX_RULES);
        if (n_rules > 0 && !rules)
                return -EINVAL;
        /* Validate everything before emitting: a bad rule anywhere refuses the set. */
        for (size_t i = 0; i < n_rules; i++) {
                if (!rules[i])
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "device rule %zu is missing", i);
                k = parse_rule(rules[i], i, &r, e);
                if (k < 0)
                        return k;
        }

        cap = PREAMBLE_INSNS + n_rules * RULE_MAX_INSNS + CLOSING_INSNS;
        insns = calloc(cap, sizeof(*insns));
        to = calloc(cap, sizeof(*to));
        if (!insns || !to)
                return -ENOMEM;
        em = (struct emitter){ .insns = insns, .to = to };

        emit(&em, ldx_mem_w(R_TYPE, R_CTX, offsetof(struct bpf_cgroup_dev_ctx, access_type)), TO_NONE);
        emit(&em, alu32_imm(BPF_AND, R_TYPE, 0xffff), TO_NONE);
        emit(&em, ldx_mem_w(R_ACCESS, R_CTX, offsetof(struct bpf_cgroup_dev_ctx, access_type)), TO_NONE);
        emit(&em, alu32_imm(BPF_RSH, R_ACCESS, 16), TO_NONE);
        emit(&em, ldx_mem_w(R_MAJOR, R_CTX, offsetof(struct bpf_cgroup_dev_ctx, major)), TO_NONE);
        emit(&em, ldx_mem_w(R_MINOR, R_CTX, offsetof(struct bpf_cgroup_dev_ctx, minor)), TO_NONE);

        for (size_t i = n_rules; i-- > 0;) {
                (void)parse_rule(rules[i], i, &r, NULL); /* validated above */
                if (!emit_rule(&em, &r)) {
                        fallthrough = r.allow ? TO_ALLOW : TO_DENY;
                        break;
                }
        }
        /* The block the last rule falls into comes first; the other only if jumped to. */
        emit_outcome(&em, fallthrough);
        if (referenced(&em, fallthrough == TO_ALLOW ? TO_DENY : TO_ALLOW))
                emit_outcome(&em, fallthrough == TO_ALLOW ? TO_DENY : TO_ALLOW);

        ret->insns = TAKE_PTR(insns);
        ret->n_insns = em.n;
        return 0;
}

void devices_bpf_free(struct devices_bpf_prog *p)
{
        if (!p)
                return;
        free(p->insns);
        p->insns = NULL;
        p->n_insns = 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
        long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
        return r < 0 ? -errno : (int)r;
}

static int prog_load(const struct devices_bpf_prog *p, char *log, size_t log_size)
{
        static const char name[] = "kinglet_devices";
        union bpf_attr attr;
        int r;

        _Static_assert(sizeof(name) <= sizeof(attr.prog_name), "program name too long");
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t)(uintptr_t)p->insns;
        attr.insn_cnt = (uint32_t)p->n_insns;
        /* No helpers are called, so no GPL-only ones: the project's own license will do. */
        attr.license = (uint64_t)(uintptr_t)"Apache-2.0";
        memcpy(attr.prog_name, name, sizeof(name));
        if (log) {
                attr.log_buf = (uint64_t)(uintptr_t)log;
                attr.log_size = (uint32_t)log_size;
                attr.log_level = 1;
        }
        /* The verifier gives up with EAGAIN when a signal is pending: try again. */
        for (int i = 0;; i++) {
                r = sys_bpf(BPF_PROG_LOAD, &attr);
                if (r != -EAGAIN || i == 4)
                        return r;
        }
}

/* The log's last lines, newlines as "; ", so the message stays one line. */
static void log_tail(const char *log, char *out, size_t out_size)
{
        size_t end = strnlen(log, VERIFIER_LOG_SIZE), start, o = 0;

        while (end > 0 && (log[end - 1] == '\n' || log[end - 1] == ' '))
                end--;
        start = end > VERIFIER_LOG_TAIL ? end - VERIFIER_LOG_TAIL : 0;
        if (start > 0) {
                const char *nl = memchr(log + start, '\n', end - start);
                if (nl)
                        start = (size_t)(nl - log) + 1;
        }
        for (size_t i = start; i < end && o + 3 < out_size; i++) {
                if (log[i] == '\n') {
                        out[o++] = ';';
                        out[o++] = ' ';
                } else {
                        out[o++] = log[i];
                }
        }
        out[o] = '\0';
}

static int load_error(const struct devices_bpf_prog *p, int r, struct rpc_error *e)
{
        _cleanup_free_ char *log = NULL;
        char tail[VERIFIER_LOG_TAIL + 64];
        int fd;

        /* Load again with the verifier's log only now, so success costs no log buffer. */
        log = calloc(1, VERIFIER_LOG_SIZE);
        if (log) {
                fd = prog_load(p, log, VERIFIER_LOG_SIZE);
                if (fd >= 0)
                        return fd; /* a transient failure the second try got past */
                log_tail(log, tail, sizeof(tail));
        } else {
                tail[0] = '\0';
        }
        return rpc_error_set(e, r == -ENOSYS ? GRPC_UNIMPLEMENTED : GRPC_INTERNAL, r,
                             "loading the device cgroup BPF program (%zu instructions) failed: %s%s%s",
                             p->n_insns, strerror(-r), tail[0] ? "; verifier: " : "", tail);
}

static int prog_attach(int cmd, int cgroup_fd, int prog_fd, uint32_t flags)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cgroup_fd;
        attr.attach_bpf_fd = (uint32_t)prog_fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = flags;
        return sys_bpf(cmd, &attr);
}

int devices_bpf_attach(const struct devices_bpf_prog *p, int cgroup_fd, int old_prog_fd,
                       int *ret_prog_fd, struct rpc_error *e)
{
        _cleanup_close_ int fd = -1;
        int r;

        if (!p || !p->insns || p->n_insns == 0 || cgroup_fd < 0)
                return -EINVAL;

        /* The kernel creates every bpf() descriptor with O_CLOEXEC; no flag needed. */
        fd = prog_load(p, NULL, 0);
        if (fd < 0) {
                fd = load_error(p, fd, e);
                if (fd < 0)
                        return fd;
        }

        /*
         * ALLOW_MULTI keeps a parent's programs in force and lets the old
         * program stay until the new one runs. Between the two calls both are
         * attached and an access needs both to allow it, so the group is never
         * less restricted than either rule set.
         */
        r = prog_attach(BPF_PROG_ATTACH, cgroup_fd, fd, BPF_F_ALLOW_MULTI);
        if (r < 0)
                return rpc_error_set(e, GRPC_INTERNAL, r,
                                     "attaching the device cgroup BPF program failed: %s",
                                     strerror(-r));

        if (old_prog_fd >= 0) {
                r = prog_attach(BPF_PROG_DETACH, cgroup_fd, old_prog_fd, 0);
                /* ENOENT: the old program is not attached here; the goal is met. */
                if (r < 0 && r != -ENOENT) {
                        /* Back to the old rules alone, so the caller's state stays true. */
                        (void)prog_attach(BPF_PROG_DETACH, cgroup_fd, fd, 0);
                        return rpc_error_set(e, GRPC_INTERNAL, r,
                                             "detaching the previous device cgroup BPF program failed: %s",
                                             strerror(-r));
                }
        }

        *ret_prog_fd = TAKE_FD(fd);
        return 0;
}
