/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process security: name tables and parsers, and the real thing in forked
 * children — a seccomp filter, a capability set and rlimits applied to a live
 * process, which then reports what the kernel says about itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "security.h"
#include "util.h"

#define UNPRIV_UID 1000

/* --- running code in a child ------------------------------------------------------ */

/*
 * Forks; the child runs fn with the write end of a pipe and exits with its
 * return value. The parent collects what the child wrote (up to size bytes)
 * and returns the raw wait status. The child never touches cmocka.
 */
static int run_child(int (*fn)(int fd, const void *arg), const void *arg, void *buf, size_t size,
                     size_t *ret_len)
{
        int p[2];
        size_t len = 0;
        int status;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(p[0]);
                /*
                 * Straight to the kernel: ASan's _exit() runs the leak checker,
                 * whose syscalls a deny-by-default filter refuses.
                 */
                syscall(SYS_exit_group, fn(p[1], arg));
                _exit(127);
        }
        close(p[1]);
        for (;;) {
                ssize_t n = read(p[0], (char *)buf + len, size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                assert_true(n >= 0);
                if (n == 0)
                        break;
                len += (size_t)n;
                assert_true(len < size);
        }
        close(p[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (ret_len)
                *ret_len = len;
        return status;
}

static void assert_exited_ok(int status)
{
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* The hex value after `field` in a /proc/<pid>/status text. */
static uint64_t status_field(const char *text, const char *field)
{
        char key[32];
        snprintf(key, sizeof key, "\n%s:", field);
        const char *p = strstr(text, key);
        assert_non_null(p);
        return strtoull(p + strlen(key), NULL, 16);
}

static int read_status(char *buf, size_t size)
{
        int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, size - 1 - len);
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = 0;
        close(fd);
        return 0;
}

static int become_unprivileged(void)
{
        if (setgroups(0, NULL) < 0 || setresgid(UNPRIV_UID, UNPRIV_UID, UNPRIV_UID) < 0 ||
            setresuid(UNPRIV_UID, UNPRIV_UID, UNPRIV_UID) < 0)
                return -errno;
        return 0;
}

/* --- capability names ------------------------------------------------------------- */

static void test_cap_names(void **state)
{
        (void)state;
        for (int i = 0; i < CAPS_KNOWN; i++) {
                const char *name = cap_to_name(i);
                char lower[64];
                int v = -1;

                assert_non_null(name);
                assert_non_null(startswith(name, "CAP_"));
                assert_int_equal(cap_from_name(name, &v), 0);
                assert_int_equal(v, i);

                /* Without the prefix, and in lower case. */
                v = -1;
                assert_int_equal(cap_from_name(name + 4, &v), 0);
                assert_int_equal(v, i);
                size_t n = strlen(name);
                assert_true(n < sizeof lower);
                for (size_t k = 0; k <= n; k++)
                        lower[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] + 32 : name[k]);
                v = -1;
                assert_int_equal(cap_from_name(lower, &v), 0);
                assert_int_equal(v, i);
        }
        assert_null(cap_to_name(CAPS_KNOWN));
        assert_null(cap_to_name(-1));

        /* The numbers are the kernel's. */
        int v;
        assert_int_equal(cap_from_name("CAP_SYS_ADMIN", &v), 0);
        assert_int_equal(v, CAP_SYS_ADMIN);
        assert_int_equal(cap_from_name("Cap_Net_Raw", &v), 0);
        assert_int_equal(v, CAP_NET_RAW);
        assert_int_equal(cap_from_name("checkpoint_restore", &v), 0);
        assert_int_equal(v, 40);
        assert_int_equal(cap_from_name("CAP_BPF", &v), 0);
        assert_int_equal(v, 39);

        const char *bad[] = { "CAP_BOGUS", "", "CAP_", "CAP_CAP_CHOWN", "CHOWN ", "CAP_SYS_ADMINX" };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                v = -7;
                assert_int_equal(cap_from_name(bad[i], &v), -EINVAL);
                assert_int_equal(v, -7);
        }
        assert_int_equal(cap_from_name(NULL, &v), -EINVAL);
}

#define CAP_BIT(c) (UINT64_C(1) << (c))

static void test_caps_parse(void **state)
{
        (void)state;
        char *bounding[] = { (char *)"CAP_CHOWN", (char *)"CAP_KILL", (char *)"net_raw" };
        char *effective[] = { (char *)"CAP_CHOWN" };
        char *permitted[] = { (char *)"CAP_CHOWN", (char *)"CAP_KILL", (char *)"CAP_CHOWN" };
        char *ambient[] = { (char *)"CAP_CHECKPOINT_RESTORE" };
        Grpc__LinuxCapabilities c = GRPC__LINUX_CAPABILITIES__INIT;
        struct caps caps;
        struct rpc_error e = {0};

        c.bounding = bounding;
        c.n_bounding = ARRAY_SIZE(bounding);
        c.effective = effective;
        c.n_effective = ARRAY_SIZE(effective);
        c.permitted = permitted;
        c.n_permitted = ARRAY_SIZE(permitted);
        c.ambient = ambient;
        c.n_ambient = ARRAY_SIZE(ambient);
        assert_int_equal(caps_parse(&c, &caps, &e), 0);
        assert_int_equal(e.code, GRPC_OK);
        assert_true(caps.bounding == (CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_KILL) | CAP_BIT(CAP_NET_RAW)));
        assert_true(caps.effective == CAP_BIT(CAP_CHOWN));
        assert_true(caps.permitted == (CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_KILL)));
        assert_true(caps.inheritable == 0);
        assert_true(caps.ambient == CAP_BIT(40));

        /* No capabilities message: every set empty. */
        memset(&caps, 0xff, sizeof caps);
        assert_int_equal(caps_parse(NULL, &caps, NULL), 0);
        assert_true(caps.bounding == 0 && caps.effective == 0 && caps.permitted == 0 &&
                    caps.inheritable == 0 && caps.ambient == 0);
}

static void test_caps_parse_errors(void **state)
{
        (void)state;
        char *good[] = { (char *)"CAP_CHOWN" };
        char *bad[] = { (char *)"CAP_CHOWN", (char *)"CAP_TIME_TRAVEL" };
        char *kill[] = { (char *)"CAP_KILL" };
        struct caps caps, sentinel;
        struct rpc_error e;

        memset(&sentinel, 0xa5, sizeof sentinel);

        /* The bad name and its set, in each of the five. */
        static const char *const sets[] = { "bounding", "effective", "inheritable", "permitted", "ambient" };
        for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
                Grpc__LinuxCapabilities c = GRPC__LINUX_CAPABILITIES__INIT;
                char **lists[] = { good, good, good, good, good };
                lists[i] = bad;
                c.bounding = lists[0];
                c.n_bounding = lists[0] == bad ? 2 : 1;
                c.effective = lists[1];
                c.n_effective = lists[1] == bad ? 2 : 1;
                c.inheritable = lists[2];
                c.n_inheritable = lists[2] == bad ? 2 : 1;
                c.permitted = lists[3];
                c.n_permitted = lists[3] == bad ? 2 : 1;
                c.ambient = lists[4];
                c.n_ambient = lists[4] == bad ? 2 : 1;

                memset(&e, 0, sizeof e);
                caps = sentinel;
                assert_int_equal(caps_parse(&c, &caps, &e), -EINVAL);
                assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
                assert_non_null(strstr(e.msg, "`CAP_TIME_TRAVEL`"));
                assert_non_null(strstr(e.msg, sets[i]));
                assert_memory_equal(&caps, &sentinel, sizeof caps);
        }

        /* Effective but not permitted: capset() would refuse it, so parsing does. */
        Grpc__LinuxCapabilities c = GRPC__LINUX_CAPABILITIES__INIT;
        c.effective = kill;
        c.n_effective = 1;
        c.permitted = good;
        c.n_permitted = 1;
        memset(&e, 0, sizeof e);
        caps = sentinel;
        assert_int_equal(caps_parse(&c, &caps, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(e.msg, "CAP_KILL"));
        assert_memory_equal(&caps, &sentinel, sizeof caps);

        /* NULL error record is fine. */
        c.effective = bad;
        c.n_effective = 2;
        assert_int_equal(caps_parse(&c, &caps, NULL), -EINVAL);
}

/* --- rlimit names and parsing -------------------------------------------------------- */

static void test_rlimit_names(void **state)
{
        (void)state;
        static const struct {
                const char *name;
                int value;
        } all[] = {
                { "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_CORE", RLIMIT_CORE },
                { "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_DATA", RLIMIT_DATA },
                { "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_LOCKS", RLIMIT_LOCKS },
                { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
                { "RLIMIT_NICE", RLIMIT_NICE },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
                { "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_RSS", RLIMIT_RSS },
                { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
                { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
        };
        assert_int_equal(ARRAY_SIZE(all), RLIMITS_MAX);
        for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
                int v = -1;
                assert_int_equal(rlimit_from_name(all[i].name, &v), 0);
                assert_int_equal(v, all[i].value);
                assert_string_equal(rlimit_to_name(v), all[i].name);
                v = -1;
                assert_int_equal(rlimit_from_name(all[i].name + 7, &v), 0);
                assert_int_equal(v, all[i].value);
        }
        int v = -1;
        assert_int_equal(rlimit_from_name("rlimit_nofile", &v), 0);
        assert_int_equal(v, RLIMIT_NOFILE);
        assert_int_equal(rlimit_from_name("Stack", &v), 0);
        assert_int_equal(v, RLIMIT_STACK);
        assert_null(rlimit_to_name(RLIMITS_MAX));
        assert_null(rlimit_to_name(-1));

        const char *bad[] = { "RLIMIT_FOO", "", "RLIMIT_", "NOFILES", "RLIMIT_RLIMIT_AS" };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                v = -7;
                assert_int_equal(rlimit_from_name(bad[i], &v), -EINVAL);
                assert_int_equal(v, -7);
        }
        assert_int_equal(rlimit_from_name(NULL, &v), -EINVAL);
}

static Grpc__POSIXRlimit rl(const char *type, uint64_t soft, uint64_t hard)
{
        Grpc__POSIXRlimit r = GRPC__POSIXRLIMIT__INIT;
        r.type = (char *)type;
        r.soft = soft;
        r.hard = hard;
        return r;
}

static void test_rlimits_parse(void **state)
{
        (void)state;
        Grpc__POSIXRlimit a = rl("RLIMIT_NOFILE", 64, 128);
        Grpc__POSIXRlimit b = rl("RLIMIT_CORE", 0, UINT64_MAX);
        Grpc__POSIXRlimit c = rl("RLIMIT_NOFILE", 1024, 1024);
        Grpc__POSIXRlimit *list[] = { &a, &b, &c };
        struct rlimit_set set[RLIMITS_MAX];
        size_t n = 99;

        assert_int_equal(rlimits_parse(list, 2, set, &n, NULL), 0);
        assert_int_equal(n, 2);
        assert_int_equal(set[0].resource, RLIMIT_NOFILE);
        assert_true(set[0].limit.rlim_cur == 64 && set[0].limit.rlim_max == 128);
        assert_int_equal(set[1].resource, RLIMIT_CORE);
        assert_true(set[1].limit.rlim_cur == 0 && set[1].limit.rlim_max == RLIM_INFINITY);

        /* A type given twice: the last one counts, in the first one's place. */
        assert_int_equal(rlimits_parse(list, 3, set, &n, NULL), 0);
        assert_int_equal(n, 2);
        assert_int_equal(set[0].resource, RLIMIT_NOFILE);
        assert_true(set[0].limit.rlim_cur == 1024 && set[0].limit.rlim_max == 1024);

        /* More entries than RLIMITS_MAX still fit when types repeat. */
        Grpc__POSIXRlimit *many[40];
        for (size_t i = 0; i < ARRAY_SIZE(many); i++)
                many[i] = i % 2 ? &a : &b;
        assert_int_equal(rlimits_parse(many, ARRAY_SIZE(many), set, &n, NULL), 0);
        assert_int_equal(n, 2);

        assert_int_equal(rlimits_parse(NULL, 0, set, &n, NULL), 0);
        assert_int_equal(n, 0);
}

static void test_rlimits_parse_errors(void **state)
{
        (void)state;
        Grpc__POSIXRlimit ok = rl("RLIMIT_NOFILE", 64, 128);
        Grpc__POSIXRlimit unknown = rl("RLIMIT_WISHES", 3, 3);
        Grpc__POSIXRlimit inverted = rl("RLIMIT_STACK", 200, 100);
        Grpc__POSIXRlimit *l1[] = { &ok, &unknown };
        Grpc__POSIXRlimit *l2[] = { &ok, &inverted };
        struct rlimit_set set[RLIMITS_MAX], sentinel[RLIMITS_MAX];
        struct rpc_error e = {0};
        size_t n = 99;

        memset(sentinel, 0x5a, sizeof sentinel);
        memcpy(set, sentinel, sizeof set);
        assert_int_equal(rlimits_parse(l1, 2, set, &n, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(e.msg, "`RLIMIT_WISHES`"));
        assert_int_equal(n, 99);
        assert_memory_equal(set, sentinel, sizeof set);

        memset(&e, 0, sizeof e);
        assert_int_equal(rlimits_parse(l2, 2, set, &n, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(e.msg, "RLIMIT_STACK"));
        assert_non_null(strstr(e.msg, "200"));
        assert_int_equal(n, 99);
        assert_memory_equal(set, sentinel, sizeof set);
}

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

/* --- capabilities in a live process --------------------------------------------------- */

struct caps_case {
        struct caps caps;
        bool prepare;  /* caps_prepare() before the uid change */
        bool setuid;   /* become UNPRIV_UID between prepare and apply */
        bool exec_cat; /* then execve cat /proc/self/status onto the pipe */
};

struct caps_report {
        int r_prepare, r_setuid, r_apply;
        char status[4096];
};

static int child_caps(int fd, const void *arg)
{
        const struct caps_case *cc = arg;
        struct caps_report rep = {0};

        if (cc->prepare)
                rep.r_prepare = caps_prepare();
        if (cc->setuid)
                rep.r_setuid = become_unprivileged();
        rep.r_apply = caps_apply(&cc->caps);
        if (cc->exec_cat && rep.r_prepare == 0 && rep.r_setuid == 0 && rep.r_apply == 0) {
                char *argv[] = { (char *)"cat", (char *)"/proc/self/status", NULL };
                char *envp[] = { NULL };
                if (dup2(fd, STDOUT_FILENO) < 0)
                        return 104;
                execve("/bin/cat", argv, envp);
                return 105;
        }
        if (read_status(rep.status, sizeof rep.status) < 0)
                return 106;
        return write(fd, &rep, sizeof rep) == sizeof rep ? 0 : 102;
}

static void run_caps(const struct caps_case *cc, struct caps_report *rep)
{
        size_t len;
        int status = run_child(child_caps, cc, rep, sizeof *rep + 1, &len);
        assert_exited_ok(status);
        assert_int_equal(len, sizeof *rep);
}

static void test_caps_apply(void **state)
{
        (void)state;
        if (geteuid() != 0)
                skip();
        struct caps_case cc = {
                .caps = { .bounding = CAP_BIT(CAP_CHOWN),
                          .effective = CAP_BIT(CAP_CHOWN),
                          .permitted = CAP_BIT(CAP_CHOWN) },
        };
        struct caps_report rep;

        run_caps(&cc, &rep);
        assert_int_equal(rep.r_apply, 0);
        assert_true(status_field(rep.status, "CapEff") == 1);
        assert_true(status_field(rep.status, "CapPrm") == 1);
        assert_true(status_field(rep.status, "CapBnd") == 1);
        assert_true(status_field(rep.status, "CapInh") == 0);
        assert_true(status_field(rep.status, "CapAmb") == 0);

        /* Caps beyond this kernel's last one are left out, not refused. */
        cc.caps.bounding |= CAP_BIT(63);
        cc.caps.permitted |= CAP_BIT(63);
        run_caps(&cc, &rep);
        assert_int_equal(rep.r_apply, 0);
        assert_true(status_field(rep.status, "CapPrm") == 1);
        assert_true(status_field(rep.status, "CapBnd") == 1);
}

static void test_caps_keepcaps_setuid(void **state)
{
        (void)state;
        if (geteuid() != 0)
                skip();
        uint64_t want = CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_KILL);
        struct caps_case cc = {
                .caps = { .bounding = want, .effective = want, .permitted = want },
                .prepare = true,
                .setuid = true,
        };
        struct caps_report rep;

        /* prepare, setuid, apply: the permitted caps survive the uid change. */
        run_caps(&cc, &rep);
        assert_int_equal(rep.r_prepare, 0);
        assert_int_equal(rep.r_setuid, 0);
        assert_int_equal(rep.r_apply, 0);
        assert_int_equal(status_field(rep.status, "Uid"), 0x1000); /* "1000" read as hex */
        assert_true(status_field(rep.status, "CapEff") == want);
        assert_true(status_field(rep.status, "CapPrm") == want);
        assert_true(status_field(rep.status, "CapBnd") == want);

        /* Without caps_prepare() the uid change empties permitted and nothing brings it back. */
        cc.prepare = false;
        run_caps(&cc, &rep);
        assert_int_equal(rep.r_setuid, 0);
        assert_int_equal(rep.r_apply, -EPERM);
        assert_true(status_field(rep.status, "CapPrm") == 0);
}

static void test_caps_ambient(void **state)
{
        (void)state;
        if (geteuid() != 0)
                skip();
        uint64_t want = CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_NET_BIND_SERVICE);
        struct caps_case cc = {
                .caps = { .bounding = want,
                          .effective = want,
                          .permitted = want,
                          .inheritable = want,
                          /* CAP_KILL is not permitted: left out, like runc does. */
                          .ambient = CAP_BIT(CAP_NET_BIND_SERVICE) | CAP_BIT(CAP_KILL) },
                .prepare = true,
                .setuid = true,
        };
        struct caps_report rep;

        run_caps(&cc, &rep);
        assert_int_equal(rep.r_apply, 0);
        assert_true(status_field(rep.status, "CapAmb") == CAP_BIT(CAP_NET_BIND_SERVICE));
        assert_true(status_field(rep.status, "CapInh") == want);

        /* After execve as uid 1000 only the ambient cap is left, effective in the new program. */
        char text[4096];
        size_t len;
        cc.exec_cat = true;
        int status = run_child(child_caps, &cc, text, sizeof text, &len);
        assert_exited_ok(status);
        text[len] = 0;
        assert_true(status_field(text, "CapEff") == CAP_BIT(CAP_NET_BIND_SERVICE));
        assert_true(status_field(text, "CapPrm") == CAP_BIT(CAP_NET_BIND_SERVICE));
        assert_true(status_field(text, "CapAmb") == CAP_BIT(CAP_NET_BIND_SERVICE));
        assert_true(status_field(text, "CapBnd") == want);
}

/* --- rlimits in a live process ---------------------------------------------------------- */

struct rlimit_report {
        int r;
        struct rlimit nofile, core;
};

static int child_rlimits(int fd, const void *arg)
{
        const struct rlimit_set *set = arg;
        struct rlimit_report rep = {0};

        rep.r = rlimits_apply(set, 2);
        if (getrlimit(RLIMIT_NOFILE, &rep.nofile) < 0 || getrlimit(RLIMIT_CORE, &rep.core) < 0)
                return 107;
        return write(fd, &rep, sizeof rep) == sizeof rep ? 0 : 102;
}

static void test_rlimits_apply(void **state)
{
        (void)state;
        Grpc__POSIXRlimit a = rl("RLIMIT_NOFILE", 64, 128);
        Grpc__POSIXRlimit b = rl("core", 0, 0);
        Grpc__POSIXRlimit *list[] = { &a, &b };
        struct rlimit_set set[RLIMITS_MAX];
        struct rlimit_report rep;
        size_t n, len;

        assert_int_equal(rlimits_parse(list, 2, set, &n, NULL), 0);
        assert_int_equal(n, 2);
        int status = run_child(child_rlimits, set, &rep, sizeof rep + 1, &len);
        assert_exited_ok(status);
        assert_int_equal(len, sizeof rep);
        assert_int_equal(rep.r, 0);
        assert_int_equal(rep.nofile.rlim_cur, 64);
        assert_int_equal(rep.nofile.rlim_max, 128);
        assert_int_equal(rep.core.rlim_cur, 0);
        assert_int_equal(rep.core.rlim_max, 0);

        assert_int_equal(rlimits_apply(NULL, 0), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cap_names),
                cmocka_unit_test(test_caps_parse),
                cmocka_unit_test(test_caps_parse_errors),
                cmocka_unit_test(test_rlimit_names),
                cmocka_unit_test(test_rlimits_parse),
                cmocka_unit_test(test_rlimits_parse_errors),
                cmocka_unit_test(test_seccomp_compile_errors),
                cmocka_unit_test(test_seccomp_compile),
                cmocka_unit_test(test_seccomp_errno),
                cmocka_unit_test(test_seccomp_args),
                cmocka_unit_test(test_seccomp_default_errno),
                cmocka_unit_test(test_seccomp_kill_process),
                cmocka_unit_test(test_caps_apply),
                cmocka_unit_test(test_caps_keepcaps_setuid),
                cmocka_unit_test(test_caps_ambient),
                cmocka_unit_test(test_rlimits_apply),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
