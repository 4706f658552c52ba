/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seccomp: profiles compiled from the OCI spec (and the ones refused), and the
 * filters installed in forked children, which report what the kernel did.
 */
#include "child_fixture.h"

/* --- seccomp profiles ---------------------------------------------------------------- */

#define P_SYSCALLS 8
#define P_NAMES 4

/* A profile built in place, the way the decoder would hand it over. */
struct profile {
        Grpc__LinuxSeccomp s;
        Grpc__LinuxSyscall sc[P_SYSCALLS];
        Grpc__LinuxSyscall *scp[P_SYSCALLS];
        char *names[P_SYSCALLS][P_NAMES];
        Grpc__LinuxSeccompArg args[P_SYSCALLS][8];
        Grpc__LinuxSeccompArg *argp[P_SYSCALLS][8];
        char *arches[4];
        char *flags[4];
};

static void profile_init(struct profile *p, const char *default_action)
{
        memset(p, 0, sizeof *p);
        p->s = (Grpc__LinuxSeccomp)GRPC__LINUX_SECCOMP__INIT;
        p->s.defaultaction = (char *)default_action;
        p->s.syscalls = p->scp;
        p->s.architectures = p->arches;
        p->s.flags = p->flags;
}

/* Adds an entry for the NULL-terminated names; returns its index. */
static size_t profile_add(struct profile *p, const char *action, ...)
{
        size_t i = p->s.n_syscalls++;
        Grpc__LinuxSyscall *sc = &p->sc[i];
        va_list ap;

        assert_true(i < P_SYSCALLS);
        *sc = (Grpc__LinuxSyscall)GRPC__LINUX_SYSCALL__INIT;
        sc->action = (char *)action;
        sc->names = p->names[i];
        sc->args = p->argp[i];
        va_start(ap, action);
        for (const char *n; (n = va_arg(ap, const char *));) {
                assert_true(sc->n_names < P_NAMES);
                sc->names[sc->n_names++] = (char *)n;
        }
        va_end(ap);
        p->scp[i] = sc;
        return i;
}

static void profile_errno(struct profile *p, size_t i, uint32_t err)
{
        p->sc[i].errno_ret_case = GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET;
        p->sc[i].errnoret = err;
}

static void profile_arg(struct profile *p, size_t i, uint64_t index, const char *op, uint64_t value,
                        uint64_t value2)
{
        Grpc__LinuxSyscall *sc = &p->sc[i];
        size_t k = sc->n_args++;

        assert_true(k < 8);
        Grpc__LinuxSeccompArg *a = &p->args[i][k];
        *a = (Grpc__LinuxSeccompArg)GRPC__LINUX_SECCOMP_ARG__INIT;
        a->index = index;
        a->op = (char *)op;
        a->value = value;
        a->valuetwo = value2;
        p->argp[i][k] = a;
}

static void profile_arch(struct profile *p, const char *arch)
{
        p->arches[p->s.n_architectures++] = (char *)arch;
}

static void profile_flag(struct profile *p, const char *flag)
{
        p->flags[p->s.n_flags++] = (char *)flag;
}

/* Compiling must fail with INVALID_ARGUMENT, name `what`, and leave the program alone. */
static void compile_fails(const struct profile *p, const char *what)
{
        struct seccomp_prog prog = { .filter = (struct sock_filter *)0x1, .len = 77, .flags = 5 };
        struct rpc_error e = {0};

        assert_int_equal(seccomp_compile(&p->s, &prog, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        if (!strstr(e.msg, what))
                fail_msg("message `%s` does not name `%s`", e.msg, what);
        assert_ptr_equal(prog.filter, (struct sock_filter *)0x1);
        assert_int_equal(prog.len, 77);
        assert_int_equal(prog.flags, 5);
}

static void test_seccomp_compile_errors(void **state)
{
        (void)state;
        struct profile p;
        size_t i;

        profile_init(&p, "SCMP_ACT_BOGUS");
        compile_fails(&p, "`SCMP_ACT_BOGUS`");

        profile_init(&p, "SCMP_ACT_NOTIFY");
        compile_fails(&p, "SCMP_ACT_NOTIFY");

        profile_init(&p, "SCMP_ACT_ALLOW");
        profile_add(&p, "SCMP_ACT_NOTIFY", "getcwd", NULL);
        compile_fails(&p, "SCMP_ACT_NOTIFY");

        profile_init(&p, "SCMP_ACT_ALLOW");
        profile_add(&p, "SCMP_ACT_DENY", "getcwd", NULL);
        compile_fails(&p, "`SCMP_ACT_DENY`");

        /* A bad action is refused even on a name this arch does not have. */
        profile_init(&p, "SCMP_ACT_ALLOW");
        profile_add(&p, "allow", "no_such_syscall", NULL);
        compile_fails(&p, "`allow`");

        profile_init(&p, "SCMP_ACT_ALLOW");
        i = profile_add(&p, "SCMP_ACT_ERRNO", "personality", NULL);
        profile_arg(&p, i, 0, "SCMP_CMP_SOMETIMES", 1, 0);
        compile_fails(&p, "`SCMP_CMP_SOMETIMES`");

        /* Also when the rule does what the default does and is left out. */
        profile_init(&p, "SCMP_ACT_ALLOW");
        i = profile_add(&p, "SCMP_ACT_ALLOW", "personality", NULL);
        profile_arg(&p, i, 0, "SCMP_CMP_SOMETIMES", 1, 0);
        compile_fails(&p, "`SCMP_CMP_SOMETIMES`");

        profile_init(&p, "SCMP_ACT_ALLOW");
        i = profile_add(&p, "SCMP_ACT_ERRNO", "personality", NULL);
        profile_arg(&p, i, 6, "SCMP_CMP_EQ", 1, 0);
        compile_fails(&p, "argument index 6");

        profile_init(&p, "SCMP_ACT_ALLOW");
        i = profile_add(&p, "SCMP_ACT_ERRNO", "personality", NULL);
        for (int k = 0; k < 7; k++)
                profile_arg(&p, i, (uint64_t)k % 6, "SCMP_CMP_EQ", 1, 0);
        compile_fails(&p, "personality");

        profile_init(&p, "SCMP_ACT_ALLOW");
        i = profile_add(&p, "SCMP_ACT_ERRNO", "getcwd", NULL);
        profile_errno(&p, i, 5000);
        compile_fails(&p, "5000");

        profile_init(&p, "SCMP_ACT_ALLOW");
        profile_add(&p, "SCMP_ACT_ERRNO", "getcwd", NULL);
        profile_arch(&p, "SCMP_ARCH_X86");
        profile_arch(&p, "SCMP_ARCH_VAX");
        compile_fails(&p, "`SCMP_ARCH_VAX`");

        profile_init(&p, "SCMP_ACT_ALLOW");
        profile_add(&p, "SCMP_ACT_ERRNO", "getcwd", NULL);
        profile_flag(&p, "SECCOMP_FILTER_FLAG_LOG");
        profile_flag(&p, "SECCOMP_FILTER_FLAG_NEW_LISTENER");
        compile_fails(&p, "`SECCOMP_FILTER_FLAG_NEW_LISTENER`");

        /* A default action is required once there are rules. */
        profile_init(&p, "");
        profile_add(&p, "SCMP_ACT_ERRNO", "getcwd", NULL);
        compile_fails(&p, "default action");
}

static void test_seccomp_compile(void **state)
{
        (void)state;
        struct seccomp_prog prog;
        struct profile p;
        size_t i;

        /* No profile, or an empty one: no filter, and installing it does nothing. */
        assert_int_equal(seccomp_compile(NULL, &prog, NULL), 0);
        assert_null(prog.filter);
        assert_int_equal(prog.len, 0);
        assert_int_equal(seccomp_install(&prog), 0);
        seccomp_prog_free(&prog);
        profile_init(&p, "");
        assert_int_equal(seccomp_compile(&p.s, &prog, NULL), 0);
        assert_int_equal(prog.len, 0);
        seccomp_prog_free(&prog);
        seccomp_prog_free(NULL);

        /*
         * Names from other arches are skipped, the native arch may be listed,
         * foreign ones are added, every action compiles, flags are carried.
         */
        profile_init(&p, "SCMP_ACT_ALLOW");
        profile_add(&p, "SCMP_ACT_ERRNO", "no_such_syscall", "getcwd", NULL);
        profile_add(&p, "SCMP_ACT_KILL", "acct", NULL);
        profile_add(&p, "SCMP_ACT_KILL_PROCESS", "kexec_load", NULL);
        profile_add(&p, "SCMP_ACT_KILL_THREAD", "reboot", NULL);
        profile_add(&p, "SCMP_ACT_TRAP", "swapon", NULL);
        i = profile_add(&p, "SCMP_ACT_TRACE", "swapoff", NULL);
        profile_errno(&p, i, 1234);
        profile_add(&p, "SCMP_ACT_LOG", "syslog", NULL);
        i = profile_add(&p, "SCMP_ACT_ERRNO", "personality", "socketcall", NULL);
        profile_arg(&p, i, 0, "SCMP_CMP_MASKED_EQ", 0xff, 0x08);
        profile_arch(&p, "SCMP_ARCH_X86_64");
        profile_arch(&p, "SCMP_ARCH_AARCH64");
        profile_arch(&p, "SCMP_ARCH_X86");
        profile_arch(&p, "SCMP_ARCH_X86");
        profile_flag(&p, "SECCOMP_FILTER_FLAG_LOG");
        profile_flag(&p, "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
        profile_flag(&p, "SECCOMP_FILTER_FLAG_TSYNC");
        assert_int_equal(seccomp_compile(&p.s, &prog, NULL), 0);
        assert_non_null(prog.filter);
        assert_true(prog.len > 10);
        assert_int_equal(prog.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
                                             SECCOMP_FILTER_FLAG_TSYNC);
        seccomp_prog_free(&prog);
        assert_null(prog.filter);
        assert_int_equal(prog.len, 0);

        /* A rule with the default's action is left out, not refused (libseccomp would). */
        profile_init(&p, "SCMP_ACT_ERRNO");
        profile_add(&p, "SCMP_ACT_ERRNO", "getcwd", NULL);
        i = profile_add(&p, "SCMP_ACT_ERRNO", "mkdirat", NULL);
        profile_errno(&p, i, EPERM);
        profile_add(&p, "SCMP_ACT_ALLOW", "exit_group", NULL);
        assert_int_equal(seccomp_compile(&p.s, &prog, NULL), 0);
        assert_true(prog.len > 0);
        seccomp_prog_free(&prog);
}

/* --- seccomp in a live process -------------------------------------------------------- */

static int install_nnp(const struct seccomp_prog *prog)
{
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return 100;
        return seccomp_install(prog) < 0 ? 101 : 0;
}

/* errno of a raw syscall, 0 on success. */
#define SYSCALL_ERRNO(...) (syscall(__VA_ARGS__) < 0 ? errno : 0)

struct errno_case {
        struct seccomp_prog prog;
        char dir[64]; /* mkdirat() would make it, were it not for the filter */
};

struct errno_report {
        int getcwd, mkdirat, getpid;
};

static int child_errno_filter(int fd, const void *arg)
{
        const struct errno_case *ec = arg;
        char buf[256];
        struct errno_report rep;
        int r = install_nnp(&ec->prog);
        if (r)
                return r;
        rep.getcwd = SYSCALL_ERRNO(SYS_getcwd, buf, sizeof buf);
        rep.mkdirat = SYSCALL_ERRNO(SYS_mkdirat, AT_FDCWD, ec->dir, 0700);
        rep.getpid = syscall(SYS_getpid) == getpid() ? 0 : -1;
        return write(fd, &rep, sizeof rep) == sizeof rep ? 0 : 102;
}

static void test_seccomp_errno(void **state)
{
        (void)state;
        struct errno_case arg;
        struct errno_report rep;
        struct profile p;
        size_t len, i;

        profile_init(&p, "SCMP_ACT_ALLOW");
        i = profile_add(&p, "SCMP_ACT_ERRNO", "getcwd", NULL);
        profile_errno(&p, i, EACCES);
        profile_add(&p, "SCMP_ACT_ERRNO", "mkdirat", "mkdir", NULL);
        assert_int_equal(seccomp_compile(&p.s, &arg.prog, NULL), 0);

        snprintf(arg.dir, sizeof arg.dir, "/tmp/kinglet-sec-%d", (int)getpid());
        int status = run_child(child_errno_filter, &arg, &rep, sizeof rep + 1, &len);
        assert_exited_ok(status);
        assert_int_equal(len, sizeof rep);
        assert_int_equal(rep.getcwd, EACCES);
        assert_int_equal(rep.mkdirat, EPERM);
        assert_int_equal(rep.getpid, 0);
        /* The directory was never made: the filter, not the file system, said no. */
        struct stat st;
        assert_int_equal(stat(arg.dir, &st), -1);

        /* The parent is untouched. */
        char buf[256];
        assert_non_null(getcwd(buf, sizeof buf));
        seccomp_prog_free(&arg.prog);
}

struct args_report {
        int query, set_zero, capbset_admin, capbset_chown, dumpable, keepcaps, nnp;
};

static int child_args_filter(int fd, const void *arg)
{
        struct args_report rep;
        int r = install_nnp(arg);
        if (r)
                return r;
        rep.query = SYSCALL_ERRNO(SYS_personality, 0xffffffffUL);
        rep.set_zero = SYSCALL_ERRNO(SYS_personality, 0UL);
        rep.capbset_admin = SYSCALL_ERRNO(SYS_prctl, PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0);
        rep.capbset_chown = SYSCALL_ERRNO(SYS_prctl, PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0);
        rep.dumpable = SYSCALL_ERRNO(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
        rep.keepcaps = SYSCALL_ERRNO(SYS_prctl, PR_GET_KEEPCAPS, 0, 0, 0, 0);
        rep.nnp = SYSCALL_ERRNO(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
        return write(fd, &rep, sizeof rep) == sizeof rep ? 0 : 102;
}

static void test_seccomp_args(void **state)
{
        (void)state;
        struct seccomp_prog prog;
        struct args_report rep;
        struct profile p;
        size_t len, i;

        profile_init(&p, "SCMP_ACT_ALLOW");
        /* personality(0xffffffff) only asks; personality(0) must still work. */
        i = profile_add(&p, "SCMP_ACT_ERRNO", "personality", NULL);
        profile_arg(&p, i, 0, "SCMP_CMP_EQ", 0xffffffff, 0);
        /* Two arguments in one entry: both must match. */
        i = profile_add(&p, "SCMP_ACT_ERRNO", "prctl", NULL);
        profile_errno(&p, i, ENOTSUP);
        profile_arg(&p, i, 0, "SCMP_CMP_EQ", PR_CAPBSET_READ, 0);
        profile_arg(&p, i, 1, "SCMP_CMP_EQ", CAP_SYS_ADMIN, 0);
        /* One argument twice in one entry: either matches (runc's reading). */
        i = profile_add(&p, "SCMP_ACT_ERRNO", "prctl", NULL);
        profile_errno(&p, i, EDOM);
        profile_arg(&p, i, 0, "SCMP_CMP_EQ", PR_GET_DUMPABLE, 0);
        profile_arg(&p, i, 0, "SCMP_CMP_EQ", PR_GET_KEEPCAPS, 0);
        assert_int_equal(seccomp_compile(&p.s, &prog, NULL), 0);

        int status = run_child(child_args_filter, &prog, &rep, sizeof rep + 1, &len);
        assert_exited_ok(status);
        assert_int_equal(len, sizeof rep);
        assert_int_equal(rep.query, EPERM);
        assert_int_equal(rep.set_zero, 0);
        assert_int_equal(rep.capbset_admin, ENOTSUP);
        assert_int_equal(rep.capbset_chown, 0);
        assert_int_equal(rep.dumpable, EDOM);
        assert_int_equal(rep.keepcaps, EDOM);
        assert_int_equal(rep.nnp, 0);
        seccomp_prog_free(&prog);
}

struct allowlist_report {
        int getpid, getppid, getuid;
};

static int child_allowlist(int fd, const void *arg)
{
        struct allowlist_report rep;
        int r = install_nnp(arg);
        if (r)
                return r;
        rep.getpid = SYSCALL_ERRNO(SYS_getpid);
        rep.getppid = SYSCALL_ERRNO(SYS_getppid);
        rep.getuid = SYSCALL_ERRNO(SYS_getuid);
        return write(fd, &rep, sizeof rep) == sizeof rep ? 0 : 102;
}

static void test_seccomp_default_errno(void **state)
{
        (void)state;
        struct seccomp_prog prog;
        struct allowlist_report rep;
        struct profile p;
        size_t len;

        /* Default deny with EPERM; only what the child needs to report and exit is allowed. */
        profile_init(&p, "SCMP_ACT_ERRNO");
        profile_add(&p, "SCMP_ACT_ALLOW", "write", "exit_group", "exit", NULL);
        profile_add(&p, "SCMP_ACT_ALLOW", "getpid", "rt_sigreturn", NULL);
        assert_int_equal(seccomp_compile(&p.s, &prog, NULL), 0);

        int status = run_child(child_allowlist, &prog, &rep, sizeof rep + 1, &len);
        assert_exited_ok(status);
        assert_int_equal(len, sizeof rep);
        assert_int_equal(rep.getpid, 0);
        assert_int_equal(rep.getppid, EPERM);
        assert_int_equal(rep.getuid, EPERM);
        seccomp_prog_free(&prog);
}

static int child_kill(int fd, const void *arg)
{
        int r = install_nnp(arg);
        if (r)
                return r;
        syscall(SYS_getppid);
        return 103; /* not reached: the filter kills */
}

static void test_seccomp_kill_process(void **state)
{
        (void)state;
        struct seccomp_prog prog;
        struct profile p;
        char buf[8];

        profile_init(&p, "SCMP_ACT_ALLOW");
        profile_add(&p, "SCMP_ACT_KILL_PROCESS", "getppid", NULL);
        profile_flag(&p, "SECCOMP_FILTER_FLAG_LOG");
        profile_flag(&p, "SECCOMP_FILTER_FLAG_TSYNC");
        assert_int_equal(seccomp_compile(&p.s, &prog, NULL), 0);

        int status = run_child(child_kill, &prog, buf, sizeof buf, NULL);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGSYS);
        seccomp_prog_free(&prog);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_seccomp_compile_errors),
                cmocka_unit_test(test_seccomp_compile),
                cmocka_unit_test(test_seccomp_errno),
                cmocka_unit_test(test_seccomp_args),
                cmocka_unit_test(test_seccomp_default_errno),
                cmocka_unit_test(test_seccomp_kill_process),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
