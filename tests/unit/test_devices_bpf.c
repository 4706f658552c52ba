/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroup v2 device program: an interpreter for the instructions the
 * emitter uses runs it against synthetic requests (table-driven cases, and
 * random rule sets against a reference model), with the verifier's structural
 * checks; then, as root on a cgroup2 mount, the real kernel enforces it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "devices_bpf.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define BLK BPF_DEVCG_DEV_BLOCK
#define CHR BPF_DEVCG_DEV_CHAR
#define M BPF_DEVCG_ACC_MKNOD
#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define ANY (-1)

struct rule_spec {
        bool allow;
        const char *type;
        int64_t major, minor;
        const char *access;
};

/* Messages and the pointer array devices_bpf_build() takes. */
struct rule_set {
        size_t n;
        Grpc__LinuxDeviceCgroup *msgs;
        const Grpc__LinuxDeviceCgroup **ptrs;
};

static struct rule_set rules_make(const struct rule_spec *specs, size_t n)
{
        struct rule_set s = { .n = n };
        s.msgs = calloc(n + 1, sizeof(*s.msgs));
        s.ptrs = calloc(n + 1, sizeof(*s.ptrs));
        assert_non_null(s.msgs);
        assert_non_null(s.ptrs);
        for (size_t i = 0; i < n; i++) {
                Grpc__LinuxDeviceCgroup init = GRPC__LINUX_DEVICE_CGROUP__INIT;
                s.msgs[i] = init;
                s.msgs[i].allow = specs[i].allow;
                s.msgs[i].type = (char *)specs[i].type;
                s.msgs[i].major = specs[i].major;
                s.msgs[i].minor = specs[i].minor;
                s.msgs[i].access = (char *)specs[i].access;
                s.ptrs[i] = &s.msgs[i];
        }
        return s;
}

static void rules_free(struct rule_set *s)
{
        free(s->msgs);
        free(s->ptrs);
}

/* --- the interpreter ----------------------------------------------------------- */

static bool is_jump(const struct bpf_insn *i)
{
        return BPF_CLASS(i->code) == BPF_JMP && BPF_OP(i->code) != BPF_EXIT;
}

/*
 * What the kernel's verifier checks before any run, for our subset: known
 * opcodes, valid registers, forward jumps that land inside the program, no
 * falling off the end, no unreachable instruction.
 */
static void check_structure(const struct devices_bpf_prog *p)
{
        bool *seen = calloc(p->n_insns, sizeof(*seen));

        assert_non_null(seen);
        assert_true(p->n_insns > 0 && p->n_insns <= BPF_MAXINSNS);
        seen[0] = true;
        for (size_t pc = 0; pc < p->n_insns; pc++) {
                const struct bpf_insn *i = &p->insns[pc];
                bool falls = true;

                if (!seen[pc])
                        fail_msg("insn %zu is unreachable", pc);
                assert_true(i->dst_reg < BPF_REG_10 && i->src_reg < BPF_REG_10);
                switch (i->code) {
                case BPF_LDX | BPF_MEM | BPF_W:
                case BPF_ALU | BPF_AND | BPF_K:
                case BPF_ALU | BPF_RSH | BPF_K:
                case BPF_ALU | BPF_MOV | BPF_K:
                case BPF_ALU64 | BPF_MOV | BPF_K:
                case BPF_JMP | BPF_JEQ | BPF_K:
                case BPF_JMP | BPF_JEQ | BPF_X:
                case BPF_JMP | BPF_JNE | BPF_K:
                case BPF_JMP | BPF_JNE | BPF_X:
                case BPF_JMP | BPF_JSET | BPF_K:
                        break;
                case BPF_JMP | BPF_EXIT:
                        falls = false;
                        break;
                default:
                        fail_msg("insn %zu: opcode 0x%02x outside the emitter's subset", pc, i->code);
                }
                if (is_jump(i)) {
                        assert_true(i->off >= 0);
                        assert_true(pc + 1 + (size_t)i->off < p->n_insns);
                        seen[pc + 1 + (size_t)i->off] = true;
                }
                if (falls) {
                        if (pc + 1 >= p->n_insns)
                                fail_msg("insn %zu falls off the end", pc);
                        seen[pc + 1] = true;
                }
        }
        free(seen);
}

/* Runs the program on one request; fails the test on anything the kernel would refuse. */
static uint64_t vm_run(const struct devices_bpf_prog *p, uint32_t type, uint32_t access,
                       uint32_t major, uint32_t minor)
{
        struct bpf_cgroup_dev_ctx ctx = { .access_type = (access << 16) | type, .major = major, .minor = minor };
        uint64_t reg[BPF_REG_10] = { 0 };
        unsigned init = 1u << BPF_REG_1; /* r1 = ctx */
        size_t pc = 0;

        for (size_t steps = 0; steps <= p->n_insns; steps++) {
                const struct bpf_insn *i;
                uint64_t dst, src;

                assert_true(pc < p->n_insns);
                i = &p->insns[pc++];
#define READ(r)                                                                 \
        ({                                                                      \
                if (!(init & (1u << (r))))                                      \
                        fail_msg("insn %zu reads uninitialised r%d", pc - 1, (r)); \
                reg[(r)];                                                       \
        })
#define WRITE(r, v)                                  \
        do {                                         \
                assert_int_not_equal((r), BPF_REG_1); \
                reg[(r)] = (v);                      \
                init |= 1u << (r);                   \
        } while (0)
                switch (i->code) {
                case BPF_LDX | BPF_MEM | BPF_W: {
                        uint32_t v;
                        /* Only the context, only within it, only aligned 32-bit reads. */
                        assert_int_equal(i->src_reg, BPF_REG_1);
                        assert_true(i->off >= 0 && i->off % 4 == 0 &&
                                    (size_t)i->off + 4 <= sizeof(ctx));
                        memcpy(&v, (const char *)&ctx + i->off, 4);
                        WRITE(i->dst_reg, v);
                        break;
                }
                case BPF_ALU | BPF_AND | BPF_K:
                        WRITE(i->dst_reg, (uint32_t)READ(i->dst_reg) & (uint32_t)i->imm);
                        break;
                case BPF_ALU | BPF_RSH | BPF_K:
                        assert_true(i->imm >= 0 && i->imm < 32);
                        WRITE(i->dst_reg, (uint32_t)READ(i->dst_reg) >> i->imm);
                        break;
                case BPF_ALU | BPF_MOV | BPF_K:
                        WRITE(i->dst_reg, (uint32_t)i->imm);
                        break;
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        WRITE(i->dst_reg, (uint64_t)(int64_t)i->imm);
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                case BPF_JMP | BPF_JNE | BPF_K:
                case BPF_JMP | BPF_JSET | BPF_K:
                case BPF_JMP | BPF_JEQ | BPF_X:
                case BPF_JMP | BPF_JNE | BPF_X: {
                        bool taken;
                        dst = READ(i->dst_reg);
                        src = BPF_SRC(i->code) == BPF_X ? READ(i->src_reg) : (uint64_t)(int64_t)i->imm;
                        if (BPF_OP(i->code) == BPF_JEQ)
                                taken = dst == src;
                        else if (BPF_OP(i->code) == BPF_JNE)
                                taken = dst != src;
                        else
                                taken = (dst & src) != 0;
                        assert_true(i->off >= 0);
                        if (taken)
                                pc += (size_t)i->off;
                        break;
                }
                case BPF_JMP | BPF_EXIT:
                        return READ(BPF_REG_0);
                default:
                        fail_msg("insn %zu: unknown opcode 0x%02x", pc - 1, i->code);
                }
#undef READ
#undef WRITE
        }
        fail_msg("program did not exit");
        return 0;
}

/* --- the reference model ------------------------------------------------------------ */

static uint32_t spec_access(const char *a)
{
        uint32_t acc = 0;
        for (; a && *a; a++)
                acc |= *a == 'r' ? R : *a == 'w' ? W : *a == 'm' ? M : 0;
        return acc ? acc : (M | R | W);
}

/* Whether rule `r` speaks about access bit `bit` of this device. */
static bool spec_names(const struct rule_spec *r, uint32_t type, uint32_t bit, uint32_t major,
                       uint32_t minor)
{
        const char *t = r->type ? r->type : "";
        uint32_t acc = spec_access(r->access);

        if (!(t[0] == '\0' || t[0] == 'a' || (t[0] == 'b' && type == BLK) || (t[0] == 'c' && type == CHR)))
                return false;
        if (r->major >= 0 && (uint32_t)r->major != major)
                return false;
        if (r->minor >= 0 && (uint32_t)r->minor != minor)
                return false;
        /* A kind outside m, r, w (a later kernel's) only "rwm" names. */
        return (bit & (M | R | W)) ? (acc & bit) != 0 : acc == (M | R | W);
}

/* Per requested bit, the last rule naming it decides; all must allow. */
static bool model_allows(const struct rule_spec *rules, size_t n, uint32_t type, uint32_t access,
                         uint32_t major, uint32_t minor)
{
        for (uint32_t bit = 1; bit <= 0x8000; bit <<= 1) {
                bool allowed = false;
                if (!(access & bit))
                        continue;
                for (size_t i = n; i-- > 0;) {
                        if (spec_names(&rules[i], type, bit, major, minor)) {
                                allowed = rules[i].allow;
                                break;
                        }
                }
                if (!allowed)
                        return false;
        }
        return true;
}

static struct devices_bpf_prog build_ok(const struct rule_spec *specs, size_t n)
{
        struct rule_set s = rules_make(specs, n);
        struct devices_bpf_prog p = { 0 };
        struct rpc_error e = { 0 };

        assert_int_equal(devices_bpf_build(s.ptrs, n, &p, &e), 0);
        assert_int_equal(e.code, GRPC_OK);
        rules_free(&s);
        check_structure(&p);
        return p;
}

/* --- table-driven semantics ------------------------------------------------------------ */

#define SET(...) (const struct rule_spec[]){ __VA_ARGS__ }, ARRAY_SIZE(((const struct rule_spec[]){ __VA_ARGS__ }))

#define NULL_RWM { true, "c", 1, 3, "rwm" }
#define DENY_ALL { false, "a", ANY, ANY, "rwm" }
#define ALLOW_ALL { true, "", ANY, ANY, "" }

struct sem_case {
        const char *what;
        const struct rule_spec *rules;
        size_t n;
        uint32_t type, access, major, minor;
        bool allow;
};

static const struct sem_case sem_cases[] = {
        { "exact rule", SET(NULL_RWM), CHR, R, 1, 3, true },
        { "exact rule rwm", SET(NULL_RWM), CHR, R | W, 1, 3, true },
        { "exact rule mknod", SET(NULL_RWM), CHR, M, 1, 3, true },
        { "other minor", SET(NULL_RWM), CHR, R, 1, 4, false },
        { "other major", SET(NULL_RWM), CHR, R, 2, 3, false },
        { "other type", SET(NULL_RWM), BLK, R, 1, 3, false },
        { "deny all, then allow: allow wins", SET(DENY_ALL, NULL_RWM), CHR, R | W, 1, 3, true },
        { "deny all, then allow: others denied", SET(DENY_ALL, NULL_RWM), CHR, R, 1, 5, false },
        { "allow, then deny all: deny wins", SET(NULL_RWM, DENY_ALL), CHR, R, 1, 3, false },
        { "allow all", SET(ALLOW_ALL), BLK, M | R | W, 8, 0, true },
        { "allow all, deny w: r", SET(ALLOW_ALL, { false, "c", 1, 3, "w" }), CHR, R, 1, 3, true },
        { "allow all, deny w: w", SET(ALLOW_ALL, { false, "c", 1, 3, "w" }), CHR, W, 1, 3, false },
        { "allow all, deny w: rw", SET(ALLOW_ALL, { false, "c", 1, 3, "w" }), CHR, R | W, 1, 3, false },
        { "allow all, deny w: other", SET(ALLOW_ALL, { false, "c", 1, 3, "w" }), CHR, W, 1, 5, true },
        { "allow r + allow w: rw", SET({ true, "c", 1, 3, "r" }, { true, "c", 1, 3, "w" }), CHR, R | W, 1, 3, true },
        { "allow r + allow w: m", SET({ true, "c", 1, 3, "r" }, { true, "c", 1, 3, "w" }), CHR, M, 1, 3, false },
        { "allow r only: rw", SET({ true, "c", 1, 3, "r" }), CHR, R | W, 1, 3, false },
        { "deny rw, allow w, allow r: rw", SET({ false, "c", 1, 3, "rw" }, { true, "c", 1, 3, "w" }, { true, "c", 1, 3, "r" }), CHR, R | W, 1, 3, true },
        { "allow rw, deny r: w", SET({ true, "c", 1, 3, "rw" }, { false, "c", 1, 3, "r" }), CHR, W, 1, 3, true },
        { "allow rw, deny r: rw", SET({ true, "c", 1, 3, "rw" }, { false, "c", 1, 3, "r" }), CHR, R | W, 1, 3, false },
        { "wildcard major", SET({ true, "c", ANY, 5, "r" }), CHR, R, 7, 5, true },
        { "wildcard major, other minor", SET({ true, "c", ANY, 5, "r" }), CHR, R, 7, 6, false },
        { "wildcard minor", SET({ true, "b", 8, ANY, "rw" }), BLK, R | W, 8, 17, true },
        { "wildcard minor, mknod", SET({ true, "b", 8, ANY, "rw" }), BLK, M, 8, 17, false },
        { "wildcard minor, char", SET({ true, "b", 8, ANY, "rw" }), CHR, R, 8, 17, false },
        { "negative other than -1", SET({ true, "c", -42, INT64_MIN, "r" }), CHR, R, 99, 99, true },
        { "type a: block", SET({ true, "a", 1, 3, "m" }), BLK, M, 1, 3, true },
        { "type a: char", SET({ true, "a", 1, 3, "m" }), CHR, M, 1, 3, true },
        { "type empty = a", SET({ true, "", 1, 3, "m" }), BLK, M, 1, 3, true },
        { "type NULL = a", SET({ true, NULL, 1, 3, "m" }), CHR, M, 1, 3, true },
        { "type a, access m: r", SET({ true, "a", 1, 3, "m" }), CHR, R, 1, 3, false },
        { "access empty = rwm", SET({ true, "c", 1, 3, "" }), CHR, M | R | W, 1, 3, true },
        { "access NULL = rwm", SET({ true, "c", 1, 3, NULL }), CHR, M | R | W, 1, 3, true },
        { "access repeated", SET({ true, "c", 1, 3, "rrr" }), CHR, R, 1, 3, true },
        { "kata's mknod rules", SET({ true, "c", ANY, ANY, "m" }, { true, "b", ANY, ANY, "m" }), BLK, M, 259, 1, true },
        { "kata's mknod rules: read", SET({ true, "c", ANY, ANY, "m" }, { true, "b", ANY, ANY, "m" }), BLK, R, 259, 1, false },
        { "major above INT32_MAX", SET({ true, "c", 0x80000000LL, 0, "r" }), CHR, R, 0x80000000u, 0, true },
        { "major above INT32_MAX, no sign extension", SET({ true, "c", 0x80000000LL, 0, "r" }), CHR, R, 0, 0, false },
        { "major/minor UINT32_MAX", SET({ true, "c", UINT32_MAX, UINT32_MAX, "" }), CHR, W, UINT32_MAX, UINT32_MAX, true },
        { "major UINT32_MAX is not -1", SET({ true, "c", UINT32_MAX, ANY, "" }), CHR, W, 1, 3, false },
        { "major INT32_MAX", SET({ false, "c", INT32_MAX, ANY, "" }, { true, "", 1, 3, "" }), CHR, W, 1, 3, true },
        { "future access bit, rwm rule", SET(ALLOW_ALL), CHR, R | 0x8, 1, 3, true },
        { "future access bit, rw rule", SET({ true, "c", 1, 3, "rw" }), CHR, R | 0x8, 1, 3, false },
        { "future access bit, rwm after rw", SET({ true, "c", 1, 3, "rwm" }, { true, "c", 1, 3, "rw" }), CHR, R | 0x8, 1, 3, true },
        { "no rules", NULL, 0, CHR, R, 1, 3, false },
};

static void test_semantics_table(void **state)
{
        for (size_t c = 0; c < ARRAY_SIZE(sem_cases); c++) {
                const struct sem_case *t = &sem_cases[c];
                struct devices_bpf_prog p = build_ok(t->rules, t->n);
                uint64_t got = vm_run(&p, t->type, t->access, t->major, t->minor);

                if (got != (t->allow ? 1 : 0))
                        fail_msg("case `%s`: program says %llu", t->what, (unsigned long long)got);
                /* The table also checks the model the random test trusts. */
                if (model_allows(t->rules, t->n, t->type, t->access, t->major, t->minor) != t->allow)
                        fail_msg("case `%s`: the model disagrees", t->what);
                devices_bpf_free(&p);
        }
}

static void test_empty_denies_everything(void **state)
{
        struct devices_bpf_prog p = { 0 };

        assert_int_equal(devices_bpf_build(NULL, 0, &p, NULL), 0);
        check_structure(&p);
        /* The preamble and the deny block: no allow block nobody jumps to. */
        assert_int_equal(p.n_insns, 8);
        for (uint32_t type = 0; type <= 3; type++)
                for (uint32_t acc = 0; acc <= 7; acc++)
                        assert_int_equal(vm_run(&p, type, acc, 1, 3), 0);
        devices_bpf_free(&p);
        devices_bpf_free(&p); /* idempotent */
        devices_bpf_free(NULL);
}

static void test_catch_all_ends_program(void **state)
{
        /* Rules before a catch-all could never decide; nor may dead code follow it. */
        struct devices_bpf_prog p = build_ok(SET(NULL_RWM, { true, "c", 5, ANY, "r" }, DENY_ALL));
        assert_int_equal(p.n_insns, 8);
        assert_int_equal(vm_run(&p, CHR, R, 1, 3), 0);
        devices_bpf_free(&p);

        p = build_ok(SET(DENY_ALL, NULL_RWM, ALLOW_ALL));
        assert_int_equal(p.n_insns, 8);
        assert_int_equal(vm_run(&p, BLK, M | R | W, 7, 7), 1);
        devices_bpf_free(&p);

        /* Allow-all after a deny rule: the deny block is still jumped to. */
        p = build_ok(SET(ALLOW_ALL, { false, "b", ANY, ANY, "w" }));
        assert_int_equal(vm_run(&p, BLK, W, 8, 0), 0);
        assert_int_equal(vm_run(&p, BLK, R, 8, 0), 1);
        assert_int_equal(vm_run(&p, CHR, W, 8, 0), 1);
        devices_bpf_free(&p);
}

/* Random rule sets over a small domain, every request in it, against the model. */
static void test_random_against_model(void **state)
{
        static const char *const types[] = { "a", "b", "c", "" };
        static const char *const accs[] = { "", "r", "w", "m", "rw", "rm", "wm", "rwm", "mr" };
        static const int64_t numbers[] = { ANY, 1, 3, 5, 0x80000001LL };
        static const uint32_t ctx_numbers[] = { 1, 3, 5, 6, 0x80000001u };
        uint64_t seed = 0x6b696e676c6574ULL;
        struct rule_spec rules[24];

        for (int round = 0; round < 1500; round++) {
                size_t n = 0;
                struct devices_bpf_prog p;

                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                n = (size_t)(seed >> 59) % ARRAY_SIZE(rules);
                for (size_t i = 0; i < n; i++) {
                        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                        uint64_t x = seed >> 20;
                        rules[i] = (struct rule_spec){
                                .allow = x & 1,
                                .type = types[(x >> 1) % ARRAY_SIZE(types)],
                                .major = numbers[(x >> 5) % ARRAY_SIZE(numbers)],
                                .minor = numbers[(x >> 10) % ARRAY_SIZE(numbers)],
                                .access = accs[(x >> 15) % ARRAY_SIZE(accs)],
                        };
                }
                p = build_ok(rules, n);
                for (uint32_t type = BLK; type <= CHR; type++)
                        for (uint32_t acc = 1; acc <= 15; acc++)
                                for (size_t ma = 0; ma < ARRAY_SIZE(ctx_numbers); ma++)
                                        for (size_t mi = 0; mi < ARRAY_SIZE(ctx_numbers); mi++) {
                                                uint32_t major = ctx_numbers[ma], minor = ctx_numbers[mi];
                                                bool want = model_allows(rules, n, type, acc, major, minor);
                                                if (vm_run(&p, type, acc, major, minor) != want)
                                                        fail_msg("round %d (%zu rules): type %u acc %u %u:%u: want %d",
                                                                 round, n, type, acc, major, minor, want);
                                        }
                devices_bpf_free(&p);
        }
}

static void test_max_rules(void **state)
{
        struct rule_spec rules[DEVICES_BPF_MAX_RULES];
        struct devices_bpf_prog p;

        /* The costliest rule shape: type, two large numbers, a partial allow. */
        for (size_t i = 0; i < DEVICES_BPF_MAX_RULES; i++)
                rules[i] = (struct rule_spec){ i % 3 != 0, i % 2 ? "c" : "b", 0x80000000LL + (int64_t)i,
                                               0xfffff000LL + (int64_t)i, i % 5 ? "rw" : "m" };
        p = build_ok(rules, DEVICES_BPF_MAX_RULES);
        print_message("256 worst-case rules: %zu instructions\n", p.n_insns);
        assert_true(p.n_insns <= 6 + 7 * DEVICES_BPF_MAX_RULES + 4);
        for (size_t i = 0; i < DEVICES_BPF_MAX_RULES; i += 17) {
                uint32_t type = i % 2 ? CHR : BLK;
                for (uint32_t acc = 1; acc <= 7; acc++)
                        assert_int_equal(vm_run(&p, type, acc, 0x80000000u + (uint32_t)i, 0xfffff000u + (uint32_t)i),
                                         model_allows(rules, DEVICES_BPF_MAX_RULES, type, acc,
                                                      0x80000000u + (uint32_t)i, 0xfffff000u + (uint32_t)i));
        }
        devices_bpf_free(&p);

        /* And 256 plain ones, each deciding its own device. */
        for (size_t i = 0; i < DEVICES_BPF_MAX_RULES; i++)
                rules[i] = (struct rule_spec){ i % 2 == 0, "c", 10, (int64_t)i, "rwm" };
        p = build_ok(rules, DEVICES_BPF_MAX_RULES);
        for (uint32_t i = 0; i < DEVICES_BPF_MAX_RULES + 4; i++)
                assert_int_equal(vm_run(&p, CHR, R, 10, i), i < DEVICES_BPF_MAX_RULES && i % 2 == 0);
        devices_bpf_free(&p);
}

static void test_typical_size(void **state)
{
        /* containerd's leading deny-all, then the default devices runc and Kata allow. */
        struct devices_bpf_prog p = build_ok(SET(
                DENY_ALL, { true, "c", ANY, ANY, "m" }, { true, "b", ANY, ANY, "m" }, NULL_RWM,
                { true, "c", 1, 8, "rwm" }, { true, "c", 1, 7, "rwm" }, { true, "c", 5, 0, "rwm" },
                { true, "c", 1, 5, "rwm" }, { true, "c", 1, 9, "rwm" }, { true, "c", 5, 1, "rwm" },
                { true, "c", 136, ANY, "rwm" }, { true, "c", 5, 2, "rwm" }, { true, "c", 10, 200, "rwm" }));
        print_message("13 default rules: %zu instructions\n", p.n_insns);
        assert_true(p.n_insns <= 6 + 3 * 12 + 4 * 2 + 4);
        assert_int_equal(vm_run(&p, CHR, R | W, 136, 7), 1);
        assert_int_equal(vm_run(&p, CHR, R | W, 1, 3), 1);
        assert_int_equal(vm_run(&p, BLK, M, 8, 0), 1);
        assert_int_equal(vm_run(&p, BLK, R, 8, 0), 0);
        assert_int_equal(vm_run(&p, CHR, R, 10, 229), 0);
        devices_bpf_free(&p);
}

static void expect_bad(const struct rule_spec *specs, size_t n, const char *needle)
{
        struct rule_set s = rules_make(specs, n);
        struct devices_bpf_prog sentinel = { (struct bpf_insn *)&sentinel, 4242 };
        struct devices_bpf_prog p = sentinel;
        struct rpc_error e = { 0 };

        assert_int_equal(devices_bpf_build(s.ptrs, n, &p, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        if (!strstr(e.msg, needle))
                fail_msg("message `%s` lacks `%s`", e.msg, needle);
        /* Untouched on failure. */
        assert_ptr_equal(p.insns, sentinel.insns);
        assert_int_equal(p.n_insns, 4242);
        /* The same refusal without an error record. */
        assert_int_equal(devices_bpf_build(s.ptrs, n, &p, NULL), -EINVAL);
        rules_free(&s);
}

static void test_bad_rules(void **state)
{
        static struct rule_spec many[DEVICES_BPF_MAX_RULES + 1];

        expect_bad(SET(NULL_RWM, { true, "x", 1, 3, "r" }), "device rule 1: type `x`");
        expect_bad(SET({ true, "cc", 1, 3, "r" }), "type `cc`");
        expect_bad(SET({ true, "p", 1, 3, "r" }), "type `p`");
        expect_bad(SET({ true, "C", 1, 3, "r" }), "type `C`");
        expect_bad(SET({ true, "c", 1, 3, "rwz" }), "access `rwz` is not a subset of `rwm`");
        expect_bad(SET({ true, "c", 1, 3, "R" }), "access `R`");
        expect_bad(SET({ true, "c", 1, 3, "r w" }), "access `r w`");
        expect_bad(SET({ true, "c", 0x100000000LL, 3, "r" }), "major 4294967296 is out of range");
        expect_bad(SET({ true, "c", 1, INT64_MAX, "r" }), "minor 9223372036854775807 is out of range");

        for (size_t i = 0; i < ARRAY_SIZE(many); i++)
                many[i] = (struct rule_spec)NULL_RWM;
        expect_bad(many, DEVICES_BPF_MAX_RULES + 1, "257 device rules; at most 256");

        /* A hole in the array. */
        struct rule_set s = rules_make(SET(NULL_RWM, NULL_RWM));
        struct devices_bpf_prog p = { 0 };
        struct rpc_error e = { 0 };
        s.ptrs[1] = NULL;
        assert_int_equal(devices_bpf_build(s.ptrs, 2, &p, &e), -EINVAL);
        assert_string_equal(e.msg, "device rule 1 is missing");
        assert_null(p.insns);
        rules_free(&s);
}

/* --- the real kernel ---------------------------------------------------------------- */

struct real {
        char path[PATH_MAX];
        bool made;
        int cg_fd;
        int fds[4];
};

static int real_setup(void **state)
{
        struct real *r = calloc(1, sizeof(*r));
        assert_non_null(r);
        r->cg_fd = -1;
        for (size_t i = 0; i < ARRAY_SIZE(r->fds); i++)
                r->fds[i] = -1;
        *state = r;
        return 0;
}

static int real_teardown(void **state)
{
        struct real *r = *state;

        for (size_t i = 0; i < ARRAY_SIZE(r->fds); i++)
                if (r->fds[i] >= 0)
                        close(r->fds[i]);
        if (r->cg_fd >= 0)
                close(r->cg_fd);
        /* A reaped child may leave the group busy for a moment; its programs go with it. */
        for (int i = 0; r->made && i < 200; i++) {
                if (rmdir(r->path) == 0 || errno != EBUSY)
                        break;
                nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
        free(r);
        return 0;
}

static const char *cgroup2_root(void)
{
        static const char *const candidates[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
        struct statfs sfs;

        for (size_t i = 0; i < ARRAY_SIZE(candidates); i++)
                if (statfs(candidates[i], &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
                        return candidates[i];
        return NULL;
}

/* Makes the test's cgroup, or skips. */
static void real_prepare(struct real *r)
{
        const char *root = cgroup2_root();

        if (geteuid() != 0 || !root)
                skip();
        snprintf(r->path, sizeof(r->path), "%s/kinglet-bpf-test-%d", root, (int)getpid());
        if (mkdir(r->path, 0755) < 0) {
                print_message("cannot create %s: %s; skipping\n", r->path, strerror(errno));
                skip();
        }
        r->made = true;
        r->cg_fd = open(r->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(r->cg_fd >= 0);
}

static int attach(struct real *r, const struct rule_spec *specs, size_t n, int old_fd, int *ret_fd,
                  struct rpc_error *e)
{
        struct devices_bpf_prog p = build_ok(specs, n);
        int k = devices_bpf_attach(&p, r->cg_fd, old_fd, ret_fd, e);
        devices_bpf_free(&p);
        return k;
}

static uint32_t attached_count(int cg_fd)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t)cg_fd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        assert_int_equal(syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)), 0);
        return attr.query.prog_cnt;
}

struct open_expect {
        const char *path;
        int flags;
        int err; /* 0: opens */
};

/*
 * Forks a child that joins the cgroup and tries the opens. Returns a bit per
 * failed expectation (bit 7: could not join); the parent never moves.
 */
static int child_opens(const struct real *r, const struct open_expect *ex, size_t n)
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                char procs[PATH_MAX + 16];
                int fd, failed = 0;

                snprintf(procs, sizeof(procs), "%s/cgroup.procs", r->path);
                fd = open(procs, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || dprintf(fd, "%d\n", (int)getpid()) < 0)
                        _exit(0x80);
                close(fd);
                for (size_t i = 0; i < n; i++) {
                        fd = open(ex[i].path, ex[i].flags | O_CLOEXEC);
                        int err = fd < 0 ? errno : 0;
                        if (fd >= 0)
                                close(fd);
                        if (err != ex[i].err)
                                failed |= 1 << i;
                }
                _exit(failed);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static void test_real_kernel(void **state)
{
        struct real *r = *state;
        struct rpc_error e = { 0 };
        int k, fd;

        real_prepare(r);
        /* Whether this kernel has cgroup device programs at all: allow-all first. */
        k = attach(r, SET(ALLOW_ALL), -1, &r->fds[0], &e);
        if (k < 0) {
                print_message("no cgroup device BPF here (%s); skipping\n", e.msg);
                skip();
        }
        assert_int_equal(attached_count(r->cg_fd), 1);
        /* bpf() descriptors are born close-on-exec. */
        assert_int_equal(fcntl(r->fds[0], F_GETFD), FD_CLOEXEC);

        /* Outside the group, every device opens: the refusals below are the program's. */
        fd = open("/dev/full", O_RDWR | O_CLOEXEC);
        assert_true(fd >= 0);
        close(fd);

        static const struct open_expect allow_all_opens[] = {
                { "/dev/null", O_RDWR, 0 }, { "/dev/full", O_RDWR, 0 }, { "/dev/zero", O_WRONLY, 0 },
        };
        assert_int_equal(child_opens(r, allow_all_opens, ARRAY_SIZE(allow_all_opens)), 0);

        /* Replace: only /dev/null (rwm) and /dev/zero (r). */
        k = attach(r, SET({ true, "c", 1, 3, "rwm" }, { true, "c", 1, 5, "r" }), r->fds[0], &r->fds[1], &e);
        if (k < 0)
                fail_msg("attach: %s", e.msg);
        assert_int_equal(attached_count(r->cg_fd), 1);
        assert_int_equal(fcntl(r->fds[1], F_GETFD), FD_CLOEXEC);

        static const struct open_expect restricted[] = {
                { "/dev/null", O_RDWR, 0 },       { "/dev/zero", O_RDONLY, 0 },
                { "/dev/zero", O_WRONLY, EPERM }, { "/dev/zero", O_RDWR, EPERM },
                { "/dev/full", O_RDONLY, EPERM }, { "/dev/full", O_WRONLY, EPERM },
        };
        k = child_opens(r, restricted, ARRAY_SIZE(restricted));
        if (k != 0)
                fail_msg("restricted program: failed expectations 0x%x", k);

        /* Replace again: deny everything. */
        k = attach(r, NULL, 0, r->fds[1], &r->fds[2], &e);
        if (k < 0)
                fail_msg("attach: %s", e.msg);
        assert_int_equal(attached_count(r->cg_fd), 1);

        static const struct open_expect none[] = {
                { "/dev/null", O_RDWR, EPERM }, { "/dev/null", O_RDONLY, EPERM }, { "/dev/zero", O_RDONLY, EPERM },
        };
        k = child_opens(r, none, ARRAY_SIZE(none));
        if (k != 0)
                fail_msg("deny-all program: failed expectations 0x%x", k);

        /* An old program no longer attached is not an error: the new one is added. */
        k = attach(r, SET(NULL_RWM), r->fds[1], &r->fds[3], &e);
        if (k < 0)
                fail_msg("attach: %s", e.msg);
        assert_int_equal(attached_count(r->cg_fd), 2);
        /* Both run and both must allow: deny-all still wins. */
        k = child_opens(r, none, 1);
        assert_int_equal(k, 0);
}

static void test_real_errors(void **state)
{
        struct real *r = *state;
        struct rpc_error e = { 0 };
        int fd = -77, k, not_cgroup;

        real_prepare(r);
        k = attach(r, SET(ALLOW_ALL), -1, &r->fds[0], &e);
        if (k < 0) {
                print_message("no cgroup device BPF here (%s); skipping\n", e.msg);
                skip();
        }

        /* The verifier's complaint reaches the message: r0 is never set here. */
        struct bpf_insn bad[] = { { .code = BPF_JMP | BPF_EXIT } };
        struct devices_bpf_prog p = { bad, 1 };
        memset(&e, 0, sizeof(e));
        k = devices_bpf_attach(&p, r->cg_fd, -1, &fd, &e);
        assert_true(k < 0);
        assert_int_equal(fd, -77);
        assert_int_equal(e.code, GRPC_INTERNAL);
        print_message("verifier refusal: %s\n", e.msg);
        assert_non_null(strstr(e.msg, "loading the device cgroup BPF program (1 instructions) failed"));
        assert_non_null(strstr(e.msg, "verifier: "));
        assert_non_null(strstr(e.msg, "R0"));
        assert_null(strchr(e.msg, '\n'));

        /* Not a cgroup: the attach fails, the loaded program is closed, nothing leaks out. */
        not_cgroup = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(not_cgroup >= 0);
        memset(&e, 0, sizeof(e));
        p = build_ok(SET(NULL_RWM));
        k = devices_bpf_attach(&p, not_cgroup, -1, &fd, &e);
        close(not_cgroup);
        devices_bpf_free(&p);
        assert_true(k < 0);
        assert_int_equal(fd, -77);
        assert_non_null(strstr(e.msg, "attaching the device cgroup BPF program failed"));
        assert_int_equal(attached_count(r->cg_fd), 1);

        /* An old descriptor that is no program: the new one is taken back off. */
        memset(&e, 0, sizeof(e));
        k = attach(r, SET(NULL_RWM), r->cg_fd, &fd, &e);
        assert_true(k < 0);
        assert_int_equal(fd, -77);
        assert_non_null(strstr(e.msg, "detaching the previous device cgroup BPF program failed"));
        assert_int_equal(attached_count(r->cg_fd), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_semantics_table),
                cmocka_unit_test(test_empty_denies_everything),
                cmocka_unit_test(test_catch_all_ends_program),
                cmocka_unit_test(test_random_against_model),
                cmocka_unit_test(test_max_rules),
                cmocka_unit_test(test_typical_size),
                cmocka_unit_test(test_bad_rules),
                cmocka_unit_test_setup_teardown(test_real_kernel, real_setup, real_teardown),
                cmocka_unit_test_setup_teardown(test_real_errors, real_setup, real_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
