/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"

static void check_level(const char *name, enum log_level want)
{
        enum log_level got = (enum log_level)99;

        assert_int_equal(log_parse_level(name, &got), 0);
        assert_int_equal(got, want);
}

static void test_parse_level(void **state)
{
        check_level("error", LOG_LEVEL_ERROR);
        check_level("critical", LOG_LEVEL_ERROR);
        check_level("fatal", LOG_LEVEL_ERROR);
        check_level("panic", LOG_LEVEL_ERROR);
        check_level("warn", LOG_LEVEL_WARN);
        check_level("warning", LOG_LEVEL_WARN);
        check_level("info", LOG_LEVEL_INFO);
        check_level("debug", LOG_LEVEL_DEBUG);
        check_level("trace", LOG_LEVEL_DEBUG);
}

static void test_parse_level_case(void **state)
{
        check_level("ERROR", LOG_LEVEL_ERROR);
        check_level("Critical", LOG_LEVEL_ERROR);
        check_level("FaTaL", LOG_LEVEL_ERROR);
        check_level("PANIC", LOG_LEVEL_ERROR);
        check_level("Warning", LOG_LEVEL_WARN);
        check_level("WARN", LOG_LEVEL_WARN);
        check_level("Info", LOG_LEVEL_INFO);
        check_level("DEBUG", LOG_LEVEL_DEBUG);
        check_level("TRACE", LOG_LEVEL_DEBUG);
}

static void test_parse_level_unknown(void **state)
{
        static const char *const bad[] = { "", "verbose", "err", "warnings", " info", "info ",
                                           "debug\n", "0", "3" };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                enum log_level l = LOG_LEVEL_WARN;
                assert_int_equal(log_parse_level(bad[i], &l), -EINVAL);
                assert_int_equal(l, LOG_LEVEL_WARN);
        }
}

static void test_level_name(void **state)
{
        assert_string_equal(log_level_name(LOG_LEVEL_ERROR), "error");
        assert_string_equal(log_level_name(LOG_LEVEL_WARN), "warn");
        assert_string_equal(log_level_name(LOG_LEVEL_INFO), "info");
        assert_string_equal(log_level_name(LOG_LEVEL_DEBUG), "debug");
        assert_string_equal(log_level_name((enum log_level)4), "unknown");
}

static void check_value(const char *value, const char *want)
{
        char buf[256];
        size_t len;

        memcpy(buf, "k=", 3);
        len = logfmt_append_value(buf, sizeof buf, 2, value);
        assert_string_equal(buf + 2, want);
        assert_int_equal(len, 2 + strlen(want));
}

static void test_logfmt_plain(void **state)
{
        check_value("abc", "abc");
        check_value("grpc.Health/Check", "grpc.Health/Check");
        check_value("caf\xc3\xa9", "caf\xc3\xa9");
        check_value("-1:{}[]'", "-1:{}[]'");
}

static void test_logfmt_quoted(void **state)
{
        check_value("", "\"\"");
        check_value(NULL, "\"\"");
        check_value("a b", "\"a b\"");
        check_value("a=b", "\"a=b\"");
        check_value("say \"hi\"", "\"say \\\"hi\\\"\"");
        check_value("C:\\dir", "\"C:\\\\dir\"");
        check_value("line1\nline2", "\"line1\\nline2\"");
        check_value("a\tb\rc", "\"a\\tb\\rc\"");
        check_value("\x01", "\"\\x01\"");
        check_value("x\x1b[0m", "\"x\\x1b[0m\"");
        check_value("\x1f\x7f", "\"\\x1f\\x7f\"");
}

static void test_logfmt_bounded(void **state)
{
        char buf[8];
        size_t len;

        memset(buf, '#', sizeof buf);
        /* A value that does not fit fills the buffer and reports `size`: cut. */
        len = logfmt_append_value(buf, sizeof buf, 0, "abcdefghijkl");
        assert_int_equal(len, sizeof buf);
        assert_string_equal(buf, "abcdefg");

        memset(buf, '#', sizeof buf);
        len = logfmt_append_value(buf, sizeof buf, 0, "a b c d e f");
        assert_int_equal(len, sizeof buf);
        assert_string_equal(buf, "\"a b c ");

        /* A full buffer stays as it is. */
        len = logfmt_append_value(buf, sizeof buf, 7, "more");
        assert_int_equal(len, sizeof buf);
        assert_string_equal(buf, "\"a b c ");

        /* One that fits exactly is not cut. */
        len = logfmt_append_value(buf, sizeof buf, 0, "abcdefg");
        assert_int_equal(len, 7);
}

/* Skips "time=YYYY-MM-DDTHH:MM:SS.uuuuuuZ " after checking its shape. */
static const char *skip_time(const char *line)
{
        static const char shape[] = "time=0000-00-00T00:00:00.000000Z ";

        for (size_t i = 0; i < sizeof shape - 1; i++) {
                if (shape[i] == '0')
                        assert_true(line[i] >= '0' && line[i] <= '9');
                else
                        assert_int_equal(line[i], shape[i]);
        }
        return line + sizeof shape - 1;
}

static void test_format_line(void **state)
{
        char buf[LOG_LINE_MAX];
        const struct log_field fields[] = {
                LF_STR("method", "grpc.Health/Check"),
                LF_INT("stream", 7),
                LF_STR("error", "No such file"),
                LF_INT("neg", -42),
                LF_STR("empty", ""),
        };

        log_setup("kinglet-test", LOG_LEVEL_INFO, LOG_SINK_STDERR);
        size_t len = log_format_line(buf, sizeof buf, LOG_LEVEL_WARN, fields, ARRAY_SIZE(fields),
                                     "request failed");
        assert_int_equal(len, strlen(buf));
        assert_string_equal(skip_time(buf),
                            "level=warn source=kinglet-test msg=\"request failed\" "
                            "method=grpc.Health/Check stream=7 error=\"No such file\" neg=-42 "
                            "empty=\"\"");
}

static void test_format_line_levels(void **state)
{
        static const char *const names[] = { "error", "warn", "info", "debug" };
        char buf[256], want[128];

        log_setup("src", LOG_LEVEL_INFO, LOG_SINK_STDERR);
        for (int l = LOG_LEVEL_ERROR; l <= LOG_LEVEL_DEBUG; l++) {
                log_format_line(buf, sizeof buf, (enum log_level)l, NULL, 0, "x");
                snprintf(want, sizeof want, "level=%s source=src msg=x", names[l]);
                assert_string_equal(skip_time(buf), want);
        }
}

static void test_format_line_quotes_source(void **state)
{
        char buf[256];

        log_setup("my agent", LOG_LEVEL_INFO, LOG_SINK_STDERR);
        log_format_line(buf, sizeof buf, LOG_LEVEL_INFO, LOG_FIELDS(LF_STR("k", "a\"b")), "hi\n");
        assert_string_equal(skip_time(buf),
                            "level=info source=\"my agent\" msg=\"hi\\n\" k=\"a\\\"b\"");
        log_setup("kinglet", LOG_LEVEL_INFO, LOG_SINK_STDERR);
}

static void test_format_line_truncated(void **state)
{
        char msg[LOG_LINE_MAX * 2];
        char buf[LOG_LINE_MAX];

        log_setup("kinglet", LOG_LEVEL_INFO, LOG_SINK_STDERR);
        memset(msg, 'm', sizeof msg - 1);
        msg[sizeof msg - 1] = '\0';
        size_t len = log_format_line(buf, sizeof buf, LOG_LEVEL_ERROR,
                                     LOG_FIELDS(LF_STR("after", "never")), msg);
        assert_int_equal(len, sizeof buf - 1);
        assert_int_equal(strlen(buf), sizeof buf - 1);
        assert_string_equal(buf + sizeof buf - 4, "...");
        assert_int_equal(buf[sizeof buf - 5], 'm');
        assert_null(strstr(buf, "after="));
        assert_non_null(strstr(buf, " msg=mmmm"));
}

static void test_format_line_exact_fit_is_not_cut(void **state)
{
        char full[LOG_LINE_MAX], buf[LOG_LINE_MAX];

        log_setup("kinglet", LOG_LEVEL_INFO, LOG_SINK_STDERR);
        size_t n = log_format_line(full, sizeof full, LOG_LEVEL_INFO, NULL, 0, "x");
        /* A buffer exactly one byte larger than the line holds it whole, unmarked. */
        size_t m = log_format_line(buf, n + 1, LOG_LEVEL_INFO, NULL, 0, "x");
        assert_int_equal(m, n);
        assert_string_equal(buf + n - 5, "msg=x");
        assert_null(strstr(buf, "..."));
        /* One byte less and it is cut, and says so. */
        m = log_format_line(buf, n, LOG_LEVEL_INFO, NULL, 0, "x");
        assert_int_equal(m, n - 1);
        assert_string_equal(buf + n - 4, "...");
}

static void test_format_line_small_buffer(void **state)
{
        char buf[64];

        log_setup("kinglet", LOG_LEVEL_INFO, LOG_SINK_STDERR);
        memset(buf, '#', sizeof buf);
        size_t len = log_format_line(buf, 40, LOG_LEVEL_INFO, NULL, 0, "hello world");
        assert_int_equal(len, 39);
        assert_int_equal(strlen(buf), 39);
        assert_string_equal(buf + 36, "...");
        assert_true(strncmp(buf, "time=", 5) == 0);
        /* Nothing written past size. */
        for (size_t i = 40; i < sizeof buf; i++)
                assert_int_equal(buf[i], '#');
}

static void test_ratelimit_burst(void **state)
{
        struct log_ratelimit rl = LOG_RATELIMIT_INIT(3600 * NSEC_PER_SEC, 3);

        assert_true(log_ratelimit_ok(&rl));
        assert_true(log_ratelimit_ok(&rl));
        assert_true(log_ratelimit_ok(&rl));
        assert_int_equal(rl.in_window, 3);
        for (int i = 0; i < 5; i++)
                assert_false(log_ratelimit_ok(&rl));
        assert_int_equal(rl.suppressed, 5);
        assert_int_equal(rl.in_window, 3);
}

static void test_ratelimit_window_reopens(void **state)
{
        struct log_ratelimit rl = LOG_RATELIMIT_INIT(3600 * NSEC_PER_SEC, 2);

        /* The note about suppressed events goes to stderr; keep it quiet. */
        log_set_level(LOG_LEVEL_ERROR);
        assert_true(log_ratelimit_ok(&rl));
        assert_true(log_ratelimit_ok(&rl));
        assert_false(log_ratelimit_ok(&rl));
        assert_false(log_ratelimit_ok(&rl));
        assert_int_equal(rl.suppressed, 2);

        /* Pretend the window started one interval ago. */
        uint64_t now = now_ns();
        rl.window_start = now - rl.interval_ns;
        assert_true(log_ratelimit_ok(&rl));
        assert_true(rl.window_start >= now);
        assert_int_equal(rl.in_window, 1);
        assert_int_equal(rl.suppressed, 0);
        assert_true(log_ratelimit_ok(&rl));
        assert_false(log_ratelimit_ok(&rl));
        assert_int_equal(rl.suppressed, 1);

        /* Just inside the window nothing reopens. */
        rl.window_start = now_ns() - rl.interval_ns + 60 * NSEC_PER_SEC;
        assert_false(log_ratelimit_ok(&rl));
        assert_int_equal(rl.suppressed, 2);
        log_set_level(LOG_LEVEL_INFO);
}

static void test_ratelimit_zero_burst(void **state)
{
        struct log_ratelimit rl = LOG_RATELIMIT_INIT(3600 * NSEC_PER_SEC, 0);

        assert_false(log_ratelimit_ok(&rl));
        assert_false(log_ratelimit_ok(&rl));
        assert_int_equal(rl.suppressed, 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_level),
                cmocka_unit_test(test_parse_level_case),
                cmocka_unit_test(test_parse_level_unknown),
                cmocka_unit_test(test_level_name),
                cmocka_unit_test(test_logfmt_plain),
                cmocka_unit_test(test_logfmt_quoted),
                cmocka_unit_test(test_logfmt_bounded),
                cmocka_unit_test(test_format_line),
                cmocka_unit_test(test_format_line_levels),
                cmocka_unit_test(test_format_line_quotes_source),
                cmocka_unit_test(test_format_line_truncated),
                cmocka_unit_test(test_format_line_exact_fit_is_not_cut),
                cmocka_unit_test(test_format_line_small_buffer),
                cmocka_unit_test(test_ratelimit_burst),
                cmocka_unit_test(test_ratelimit_window_reopens),
                cmocka_unit_test(test_ratelimit_zero_burst),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
