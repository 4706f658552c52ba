/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define SENTINEL_U64 UINT64_C(0xdeadbeefcafef00d)
#define SENTINEL_U32 UINT32_C(0xdeadbeef)
#define SENTINEL_I64 INT64_C(-0x1234567890abcdef)
#define SENTINEL_INT (-12345)

static void u64_ok(const char *s, int base, uint64_t want)
{
        uint64_t v = SENTINEL_U64;

        assert_int_equal(parse_u64(s, base, &v), 0);
        assert_true(v == want);
}

static void u64_err(const char *s, int base, int err)
{
        uint64_t v = SENTINEL_U64;

        assert_int_equal(parse_u64(s, base, &v), err);
        assert_true(v == SENTINEL_U64);
}

static void u32_ok(const char *s, int base, uint32_t want)
{
        uint32_t v = SENTINEL_U32;

        assert_int_equal(parse_u32(s, base, &v), 0);
        assert_int_equal(v, want);
}

static void u32_err(const char *s, int base, int err)
{
        uint32_t v = SENTINEL_U32;

        assert_int_equal(parse_u32(s, base, &v), err);
        assert_int_equal(v, SENTINEL_U32);
}

static void i64_ok(const char *s, int64_t want)
{
        int64_t v = SENTINEL_I64;

        assert_int_equal(parse_i64(s, &v), 0);
        assert_true(v == want);
}

static void i64_err(const char *s, int err)
{
        int64_t v = SENTINEL_I64;

        assert_int_equal(parse_i64(s, &v), err);
        assert_true(v == SENTINEL_I64);
}

static void int_ok(const char *s, int want)
{
        int v = SENTINEL_INT;

        assert_int_equal(parse_int(s, &v), 0);
        assert_int_equal(v, want);
}

static void int_err(const char *s, int err)
{
        int v = SENTINEL_INT;

        assert_int_equal(parse_int(s, &v), err);
        assert_int_equal(v, SENTINEL_INT);
}

static void test_parse_u64(void **state)
{
        u64_ok("0", 10, 0);
        u64_ok("42", 10, 42);
        u64_ok("007", 10, 7);
        u64_ok("18446744073709551615", 10, UINT64_MAX);
        u64_ok("17", 8, 15);
        u64_ok("0777", 8, 0777);
        u64_ok("ff", 16, 255);
        u64_ok("FF", 16, 255);
        u64_ok("0x1F", 16, 31);
        u64_ok("ffffffffffffffff", 16, UINT64_MAX);
}

static void test_parse_u64_errors(void **state)
{
        u64_err(NULL, 10, -EINVAL);
        u64_err("", 10, -EINVAL);
        u64_err("-1", 10, -EINVAL);
        u64_err("-0", 10, -EINVAL);
        u64_err("+1", 10, -EINVAL);
        u64_err(" 1", 10, -EINVAL);
        u64_err("\t1", 10, -EINVAL);
        u64_err("1 ", 10, -EINVAL);
        u64_err("1\n", 10, -EINVAL);
        u64_err("12abc", 10, -EINVAL);
        u64_err("abc", 10, -EINVAL);
        u64_err("1.5", 10, -EINVAL);
        u64_err("0x10", 10, -EINVAL);
        u64_err("8", 8, -EINVAL);
        u64_err("19", 8, -EINVAL);
        u64_err("fg", 16, -EINVAL);
        u64_err("0x", 16, -EINVAL);
        u64_err("18446744073709551616", 10, -ERANGE);
        u64_err("99999999999999999999999", 10, -ERANGE);
        u64_err("10000000000000000", 16, -ERANGE);
        u64_err("2000000000000000000000", 8, -ERANGE);
}

static void test_parse_u32(void **state)
{
        u32_ok("0", 10, 0);
        u32_ok("4294967295", 10, UINT32_MAX);
        u32_ok("ffffffff", 16, UINT32_MAX);
        u32_ok("37777777777", 8, UINT32_MAX);
        u32_ok("1024", 10, 1024);

        u32_err("4294967296", 10, -ERANGE);
        u32_err("100000000", 16, -ERANGE);
        u32_err("18446744073709551616", 10, -ERANGE);
        u32_err("-1", 10, -EINVAL);
        u32_err("+1", 10, -EINVAL);
        u32_err(" 1", 10, -EINVAL);
        u32_err("1x", 10, -EINVAL);
        u32_err("", 10, -EINVAL);
        u32_err(NULL, 10, -EINVAL);
}

static void test_parse_i64(void **state)
{
        i64_ok("0", 0);
        i64_ok("-0", 0);
        i64_ok("42", 42);
        i64_ok("-42", -42);
        i64_ok("010", 10);
        i64_ok("9223372036854775807", INT64_MAX);
        i64_ok("-9223372036854775808", INT64_MIN);

        i64_err(NULL, -EINVAL);
        i64_err("", -EINVAL);
        i64_err("+1", -EINVAL);
        i64_err(" -1", -EINVAL);
        i64_err("-", -EINVAL);
        i64_err("--1", -EINVAL);
        i64_err("- 1", -EINVAL);
        i64_err("1 ", -EINVAL);
        i64_err("0x10", -EINVAL);
        i64_err("9223372036854775808", -ERANGE);
        i64_err("-9223372036854775809", -ERANGE);
}

static void test_parse_int(void **state)
{
        int_ok("0", 0);
        int_ok("-7", -7);
        int_ok("2147483647", INT_MAX);
        int_ok("-2147483648", INT_MIN);

        int_err("2147483648", -ERANGE);
        int_err("-2147483649", -ERANGE);
        int_err("9223372036854775808", -ERANGE);
        int_err("+3", -EINVAL);
        int_err("3x", -EINVAL);
        int_err(" 3", -EINVAL);
        int_err("", -EINVAL);
        int_err(NULL, -EINVAL);
}

static void write_temp(char *path, const void *content, size_t len)
{
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, content, len), 0);
        assert_int_equal(close(fd), 0);
}

static void test_read_small_file(void **state)
{
        char path[] = "/tmp/kinglet-util-XXXXXX";
        char buf[16];
        size_t len = 999;

        write_temp(path, "hello\n", 6);
        memset(buf, 'x', sizeof buf);
        assert_int_equal(read_small_file(path, buf, sizeof buf, &len), 0);
        assert_int_equal(len, 6);
        assert_memory_equal(buf, "hello\n", 7);
        assert_int_equal(read_small_file(path, buf, sizeof buf, NULL), 0);
        assert_string_equal(buf, "hello\n");
        assert_int_equal(unlink(path), 0);
}

static void test_read_small_file_exact_fit(void **state)
{
        char path[] = "/tmp/kinglet-util-XXXXXX";
        char buf[8];
        size_t len = 999;

        /* size - 1 bytes fit with the NUL; size bytes do not. */
        write_temp(path, "1234567", 7);
        memset(buf, 'x', sizeof buf);
        assert_int_equal(read_small_file(path, buf, sizeof buf, &len), 0);
        assert_int_equal(len, 7);
        assert_memory_equal(buf, "1234567", 8);
        assert_int_equal(unlink(path), 0);

        char path2[] = "/tmp/kinglet-util-XXXXXX";
        write_temp(path2, "12345678", 8);
        len = 999;
        assert_int_equal(read_small_file(path2, buf, sizeof buf, &len), -EFBIG);
        assert_int_equal(len, 999);
        assert_int_equal(unlink(path2), 0);
}

static void test_read_small_file_big(void **state)
{
        char path[] = "/tmp/kinglet-util-XXXXXX";
        char buf[64];
        char *content = malloc(100000);

        assert_non_null(content);
        memset(content, 'z', 100000);
        write_temp(path, content, 100000);
        assert_int_equal(read_small_file(path, buf, sizeof buf, NULL), -EFBIG);
        assert_int_equal(unlink(path), 0);
        free(content);
}

static void test_read_small_file_empty(void **state)
{
        char path[] = "/tmp/kinglet-util-XXXXXX";
        char buf[4];
        size_t len = 999;

        write_temp(path, "", 0);
        memset(buf, 'x', sizeof buf);
        assert_int_equal(read_small_file(path, buf, sizeof buf, &len), 0);
        assert_int_equal(len, 0);
        assert_int_equal(buf[0], '\0');

        /* A one-byte buffer holds only the NUL. */
        assert_int_equal(read_small_file(path, buf, 1, &len), 0);
        assert_int_equal(len, 0);
        assert_int_equal(unlink(path), 0);
}

static void test_read_small_file_embedded_nul(void **state)
{
        char path[] = "/tmp/kinglet-util-XXXXXX";
        char buf[16];
        size_t len = 0;

        write_temp(path, "a\0b", 3);
        assert_int_equal(read_small_file(path, buf, sizeof buf, &len), 0);
        assert_int_equal(len, 3);
        assert_memory_equal(buf, "a\0b\0", 4);
        assert_int_equal(unlink(path), 0);
}

static void test_read_small_file_errors(void **state)
{
        char buf[16];

        assert_int_equal(read_small_file("/nonexistent/kinglet", buf, sizeof buf, NULL), -ENOENT);
        assert_int_equal(read_small_file("/tmp", buf, sizeof buf, NULL), -EISDIR);
}

static void test_strstrip_trailing(void **state)
{
        char a[] = "abc \t\r\n ";
        char b[] = "  lead";
        char c[] = " \n\t";
        char d[] = "";
        char e[] = "mid dle\n";

        assert_ptr_equal(strstrip_trailing(a), a);
        assert_string_equal(a, "abc");
        assert_string_equal(strstrip_trailing(b), "  lead");
        assert_string_equal(strstrip_trailing(c), "");
        assert_string_equal(strstrip_trailing(d), "");
        assert_string_equal(strstrip_trailing(e), "mid dle");
}

static void test_startswith(void **state)
{
        const char *s = "agent.log=debug";

        assert_ptr_equal(startswith(s, "agent."), s + 6);
        assert_ptr_equal(startswith(s, ""), s);
        assert_ptr_equal(startswith(s, s), s + strlen(s));
        assert_null(startswith(s, "agent.log=debug!"));
        assert_null(startswith(s, "Agent."));
        assert_null(startswith("", "a"));
        assert_string_equal(startswith(s, "agent.log="), "debug");
}

static void test_streq(void **state)
{
        assert_true(streq("", ""));
        assert_true(streq("abc", "abc"));
        assert_false(streq("abc", "abd"));
        assert_false(streq("abc", "ab"));
}

static void test_write_all_pipe(void **state)
{
        int fds[2];
        char out[3000], in[3000];

        for (size_t i = 0; i < sizeof out; i++)
                out[i] = (char)('a' + i % 26);
        assert_int_equal(pipe(fds), 0);
        assert_int_equal(write_all(fds[1], out, sizeof out), 0);
        assert_int_equal(write_all(fds[1], out, 0), 0);
        assert_int_equal(close(fds[1]), 0);

        size_t got = 0;
        for (;;) {
                ssize_t n = read(fds[0], in + got, sizeof in - got);
                assert_true(n >= 0);
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        assert_int_equal(got, sizeof out);
        assert_memory_equal(in, out, sizeof out);
        assert_int_equal(close(fds[0]), 0);
}

static void test_write_all_closed_pipe(void **state)
{
        int fds[2];

        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        assert_int_equal(close(fds[0]), 0);
        /* Without a reader the write fails with EPIPE (SIGPIPE ignored here). */
        void (*old)(int) = signal(SIGPIPE, SIG_IGN);
        assert_int_equal(write_all(fds[1], "x", 1), -EPIPE);
        signal(SIGPIPE, old);
        assert_int_equal(close(fds[1]), 0);

        assert_int_equal(write_all(-1, "x", 1), -EBADF);
}

static void test_hex_digit_value(void **state)
{
        (void)state;
        assert_int_equal(hex_digit_value('0'), 0);
        assert_int_equal(hex_digit_value('9'), 9);
        assert_int_equal(hex_digit_value('a'), 10);
        assert_int_equal(hex_digit_value('F'), 15);
        assert_int_equal(hex_digit_value('g'), -1);
        assert_int_equal(hex_digit_value('G'), -1);
        assert_int_equal(hex_digit_value('/'), -1);
        assert_int_equal(hex_digit_value(':'), -1);
        assert_int_equal(hex_digit_value('\0'), -1);
}

static void test_read_all_bounded(void **state)
{
        (void)state;
        int p[2];
        uint8_t *buf = (uint8_t *)"untouched";
        size_t len = 99;
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(write(p[1], "abcdef", 6), 6);
        close(p[1]);
        assert_int_equal(read_all_bounded(p[0], 6, &buf, &len), 0);
        assert_int_equal(len, 6);
        assert_string_equal((char *)buf, "abcdef"); /* terminated past the data */
        free(buf);
        close(p[0]);

        /* One byte over the bound: refused, outputs untouched. */
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(write(p[1], "abcdefg", 7), 7);
        close(p[1]);
        buf = (uint8_t *)"untouched";
        len = 99;
        assert_int_equal(read_all_bounded(p[0], 6, &buf, &len), -EFBIG);
        assert_string_equal((char *)buf, "untouched");
        assert_int_equal(len, 99);
        close(p[0]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_u64),
                cmocka_unit_test(test_parse_u64_errors),
                cmocka_unit_test(test_parse_u32),
                cmocka_unit_test(test_parse_i64),
                cmocka_unit_test(test_parse_int),
                cmocka_unit_test(test_read_small_file),
                cmocka_unit_test(test_read_small_file_exact_fit),
                cmocka_unit_test(test_read_small_file_big),
                cmocka_unit_test(test_read_small_file_empty),
                cmocka_unit_test(test_read_small_file_embedded_nul),
                cmocka_unit_test(test_read_small_file_errors),
                cmocka_unit_test(test_strstrip_trailing),
                cmocka_unit_test(test_startswith),
                cmocka_unit_test(test_streq),
                cmocka_unit_test(test_write_all_pipe),
                cmocka_unit_test(test_write_all_closed_pipe),
                cmocka_unit_test(test_hex_digit_value),
                cmocka_unit_test(test_read_all_bounded),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
