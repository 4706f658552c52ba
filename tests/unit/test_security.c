/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process security: capability and rlimit name tables and parsers, and the real
 * thing in forked children — a capability set and rlimits applied to a live
 * process, which then reports what the kernel says about itself.
 */
#include "child_fixture.h"

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
                cmocka_unit_test(test_caps_apply),
                cmocka_unit_test(test_caps_keepcaps_setuid),
                cmocka_unit_test(test_caps_ambient),
                cmocka_unit_test(test_rlimits_apply),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
