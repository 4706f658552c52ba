/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "status.h"

static void parse_ok(const char *s, struct address *a)
{
        struct rpc_error e = { 0 };

        memset(a, 0x5a, sizeof *a);
        assert_int_equal(address_parse(s, a, &e), 0);
        assert_int_equal(e.code, GRPC_OK);
}

static void test_vsock_any(void **state)
{
        struct address a;

        parse_ok("vsock://-1:1024", &a);
        assert_int_equal(a.kind, ADDR_VSOCK);
        assert_int_equal(a.cid, ADDR_VSOCK_CID_ANY);
        assert_int_equal(a.port, 1024);
        assert_false(a.abstract);
        assert_false(a.serial_by_name);
        assert_string_equal(a.path, "");
}

static void test_vsock_cid(void **state)
{
        struct address a;

        parse_ok("vsock://3:1025", &a);
        assert_int_equal(a.kind, ADDR_VSOCK);
        assert_int_equal(a.cid, 3);
        assert_int_equal(a.port, 1025);

        parse_ok("vsock://0:0", &a);
        assert_int_equal(a.cid, 0);
        assert_int_equal(a.port, 0);

        parse_ok("vsock://2:4294967294", &a);
        assert_int_equal(a.cid, 2);
        assert_int_equal(a.port, 4294967294u);
}

static void test_unix_absolute(void **state)
{
        struct address a;

        parse_ok("unix:///abs", &a);
        assert_int_equal(a.kind, ADDR_UNIX);
        assert_false(a.abstract);
        assert_string_equal(a.path, "/abs");
}

static void test_unix_abstract(void **state)
{
        struct address a;

        parse_ok("unix://@abstract", &a);
        assert_int_equal(a.kind, ADDR_UNIX);
        assert_true(a.abstract);
        assert_string_equal(a.path, "abstract");
}

static void test_unix_relative(void **state)
{
        struct address a;

        parse_ok("unix://run/kinglet.sock", &a);
        assert_int_equal(a.kind, ADDR_UNIX);
        assert_false(a.abstract);
        assert_string_equal(a.path, "run/kinglet.sock");
}

static void test_unix_path_limit(void **state)
{
        char s[300];
        struct address a;

        /* sun_path is 108 bytes: 107 of path plus the terminating NUL. */
        snprintf(s, sizeof s, "unix:///%0106d", 0);
        parse_ok(s, &a);
        assert_int_equal(strlen(a.path), 107);
        assert_string_equal(a.path, s + strlen("unix://"));

        snprintf(s, sizeof s, "unix://@%0106d", 0);
        parse_ok(s, &a);
        assert_true(a.abstract);
        assert_int_equal(strlen(a.path), 106);
}

static void test_serial_name(void **state)
{
        struct address a;

        parse_ok("serial://agent.channel.0", &a);
        assert_int_equal(a.kind, ADDR_SERIAL);
        assert_true(a.serial_by_name);
        assert_string_equal(a.path, "agent.channel.0");
}

static void test_serial_path(void **state)
{
        struct address a;

        parse_ok("serial:///dev/vport0p1", &a);
        assert_int_equal(a.kind, ADDR_SERIAL);
        assert_false(a.serial_by_name);
        assert_string_equal(a.path, "/dev/vport0p1");
}

static void test_hvsock(void **state)
{
        struct address a;

        parse_ok("hvsock:///path/vm.sock:1024", &a);
        assert_int_equal(a.kind, ADDR_HVSOCK);
        assert_string_equal(a.path, "/path/vm.sock");
        assert_int_equal(a.port, 1024);

        /* The port follows the last colon, so a path may contain colons. */
        parse_ok("hvsock:///run/a:b/vm.sock:7", &a);
        assert_string_equal(a.path, "/run/a:b/vm.sock");
        assert_int_equal(a.port, 7);
}

static void test_null_error_pointer(void **state)
{
        struct address a;

        assert_int_equal(address_parse("vsock://3:1025", &a, NULL), 0);
        assert_int_equal(a.cid, 3);
        assert_int_equal(address_parse("bogus://x", &a, NULL), -EINVAL);
}

static void test_round_trip(void **state)
{
        static const char *const inputs[] = {
                "vsock://-1:1024",
                "vsock://3:1025",
                "vsock://0:0",
                "unix:///abs",
                "unix://@abstract",
                "unix://relative/path",
                "serial://agent.channel.0",
                "serial:///dev/vport0p1",
                "hvsock:///path/vm.sock:1024",
                "hvsock:///run/a:b/vm.sock:0",
        };

        for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
                struct address a, b;
                char text[ADDR_STRING_MAX + 1];

                parse_ok(inputs[i], &a);
                assert_int_equal(address_format(&a, text, sizeof text), 0);
                assert_string_equal(text, inputs[i]);

                parse_ok(text, &b);
                assert_int_equal(b.kind, a.kind);
                assert_int_equal(b.cid, a.cid);
                assert_int_equal(b.port, a.port);
                assert_int_equal(b.abstract, a.abstract);
                assert_int_equal(b.serial_by_name, a.serial_by_name);
                assert_string_equal(b.path, a.path);
        }
}

static void test_format_cid_max_is_any(void **state)
{
        struct address a;
        char text[64];

        /* 4294967295 is VMADDR_CID_ANY, which the canonical form spells -1. */
        parse_ok("vsock://4294967295:5", &a);
        assert_int_equal(a.cid, ADDR_VSOCK_CID_ANY);
        assert_int_equal(address_format(&a, text, sizeof text), 0);
        assert_string_equal(text, "vsock://-1:5");
}

static void test_format_small_buffer(void **state)
{
        struct address a;
        char text[16];

        parse_ok("unix:///run/kinglet.sock", &a);
        /* "unix:///run/kinglet.sock" is 24 bytes: 25 fit, 24 do not. */
        char big[25];
        assert_int_equal(address_format(&a, big, sizeof big), 0);
        assert_string_equal(big, "unix:///run/kinglet.sock");
        assert_int_equal(address_format(&a, big, sizeof big - 1), -ENOBUFS);
        assert_int_equal(address_format(&a, text, sizeof text), -ENOBUFS);
}

static void test_format_bad_kind(void **state)
{
        struct address a = { .kind = (enum addr_kind)42 };
        char text[64];

        assert_int_equal(address_format(&a, text, sizeof text), -EINVAL);
}

struct reject_case {
        const char *input;
        const char *why; /* substring the message must contain */
};

static void check_rejected(const char *input, const char *why)
{
        struct rpc_error e = { 0 };
        struct address a, before;

        memset(&a, 0xa5, sizeof a);
        memcpy(&before, &a, sizeof a);
        assert_int_equal(address_parse(input, &a, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        if (!strstr(e.msg, why))
                fail_msg("input `%s`: message `%s` does not mention `%s`",
                         input ? input : "(null)", e.msg, why);
        assert_memory_equal(&a, &before, sizeof a);
}

static void test_rejected_table(void **state)
{
        static const struct reject_case cases[] = {
                /* missing port */
                { "vsock://3", "expected vsock://CID:PORT" },
                { "vsock://3:", "port must be a number" },
                { "vsock://-1:", "port must be a number" },
                { "vsock://:1024", "expected vsock://CID:PORT" },
                { "hvsock:///path/vm.sock", "expected hvsock:///path/to/vm.sock:PORT" },
                { "hvsock:///path/vm.sock:", "port must be a number" },
                /* bad CID */
                { "vsock://abc:1024", "CID must be -1 (any) or a number" },
                { "vsock://-2:1024", "CID must be -1 (any) or a number" },
                { "vsock://+3:1024", "CID must be -1 (any) or a number" },
                { "vsock://4294967296:1024", "CID must be -1 (any) or a number" },
                { "vsock://12345678901234567:1024", "expected vsock://CID:PORT" },
                /* bad ports */
                { "vsock://3:4294967295", "port must be a number below 4294967295" },
                { "vsock://3:4294967296", "port must be a number below 4294967295" },
                { "vsock://3:10x", "port must be a number below 4294967295" },
                { "vsock://3:-1", "port must be a number below 4294967295" },
                { "hvsock:///p:x", "port must be a number" },
                /* unix */
                { "unix://", "expected unix:///path/to/socket or unix://@name" },
                { "unix://@", "expected unix:///path/to/socket or unix://@name" },
                /* serial */
                { "serial://", "expected serial://PORT_NAME or serial:///dev/path" },
                { "serial://agent/channel", "a port name cannot contain '/'" },
                /* scheme */
                { "tcp://1.2.3.4:1024", "unknown scheme" },
                { "vsock:3:1024", "unknown scheme" },
                { "VSOCK://3:1024", "unknown scheme" },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                check_rejected(cases[i].input, cases[i].why);
}

static void test_rejected_message_quotes_input(void **state)
{
        struct rpc_error e = { 0 };
        struct address a;

        assert_int_equal(address_parse("tcp://x", &a, &e), -EINVAL);
        assert_string_equal(e.msg, "address `tcp://x`: unknown scheme; "
                                   "use vsock://, unix://, serial:// or hvsock://");
}

static void test_rejected_unix_too_long(void **state)
{
        char s[300];

        snprintf(s, sizeof s, "unix:///%0107d", 0);
        check_rejected(s, "socket path longer than 107 bytes");
        snprintf(s, sizeof s, "unix://%0200d", 0);
        check_rejected(s, "socket path longer than 107 bytes");
        snprintf(s, sizeof s, "unix://@%0108d", 0);
        check_rejected(s, "socket path longer than 107 bytes");
        snprintf(s, sizeof s, "hvsock:///%0107d:1024", 0);
        check_rejected(s, "socket path longer than 107 bytes");
}

static void test_rejected_serial_too_long(void **state)
{
        char s[ADDR_STRING_MAX + 1];

        /* 9 + 256 = 265 bytes: under ADDR_STRING_MAX, over ADDR_PATH_MAX - 1. */
        memcpy(s, "serial://", 9);
        memset(s + 9, 'a', ADDR_PATH_MAX);
        s[9 + ADDR_PATH_MAX] = '\0';
        check_rejected(s, "name too long");

        /* One byte less fits in path[]. */
        struct address a;
        s[9 + ADDR_PATH_MAX - 1] = '\0';
        parse_ok(s, &a);
        assert_int_equal(strlen(a.path), ADDR_PATH_MAX - 1);
}

static void test_rejected_null(void **state)
{
        check_rejected(NULL, "no address given");
        check_rejected("", "no address given");
}

static void test_unix_abstract_limit(void **state)
{
        char s[300];
        struct address a;

        /* The leading NUL plus 107 bytes fill sun_path exactly. */
        snprintf(s, sizeof s, "unix://@%0107d", 0);
        parse_ok(s, &a);
        assert_true(a.abstract);
        assert_int_equal(strlen(a.path), 107);
}

static void test_rejected_overlong_string(void **state)
{
        char s[ADDR_STRING_MAX + 2];

        memcpy(s, "unix:///", 8);
        memset(s + 8, 'a', sizeof s - 9);
        s[sizeof s - 1] = '\0';
        assert_int_equal(strlen(s), ADDR_STRING_MAX + 1);
        check_rejected(s, "longer than 300");

        /* The message does not echo the over-long input. */
        struct rpc_error e = { 0 };
        struct address a;
        assert_int_equal(address_parse(s, &a, &e), -EINVAL);
        assert_string_equal(e.msg, "address of 301 bytes is longer than 300");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vsock_any),
                cmocka_unit_test(test_vsock_cid),
                cmocka_unit_test(test_unix_absolute),
                cmocka_unit_test(test_unix_abstract),
                cmocka_unit_test(test_unix_relative),
                cmocka_unit_test(test_unix_path_limit),
                cmocka_unit_test(test_serial_name),
                cmocka_unit_test(test_serial_path),
                cmocka_unit_test(test_hvsock),
                cmocka_unit_test(test_null_error_pointer),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_format_cid_max_is_any),
                cmocka_unit_test(test_format_small_buffer),
                cmocka_unit_test(test_format_bad_kind),
                cmocka_unit_test(test_rejected_table),
                cmocka_unit_test(test_rejected_message_quotes_input),
                cmocka_unit_test(test_rejected_unix_too_long),
                cmocka_unit_test(test_rejected_serial_too_long),
                cmocka_unit_test(test_rejected_null),
                cmocka_unit_test(test_unix_abstract_limit),
                cmocka_unit_test(test_rejected_overlong_string),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
