/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct sink {
        FILE *f;
        char *data;
        size_t size;
        struct json j;
};

static void sink_open(struct sink *s)
{
        s->data = NULL;
        s->size = 0;
        s->f = open_memstream(&s->data, &s->size);
        assert_non_null(s->f);
        json_init(&s->j, s->f);
}

/* Closes the stream and checks everything written against want. */
static void sink_check(struct sink *s, const char *want)
{
        assert_int_equal(fclose(s->f), 0);
        assert_non_null(s->data);
        assert_string_equal(s->data, want);
        assert_int_equal(s->size, strlen(want));
        free(s->data);
}

static void test_empty_containers(void **state)
{
        struct sink s;

        sink_open(&s);
        json_object_begin(&s.j);
        json_object_end(&s.j);
        json_finish(&s.j);
        sink_check(&s, "{}\n");

        sink_open(&s);
        json_array_begin(&s.j);
        json_array_end(&s.j);
        sink_check(&s, "[]");
}

static void test_object_members(void **state)
{
        struct sink s;

        sink_open(&s);
        json_object_begin(&s.j);
        json_key(&s.j, "s");
        json_string(&s.j, "v");
        json_key(&s.j, "u");
        json_uint(&s.j, 18446744073709551615u);
        json_key(&s.j, "i");
        json_int(&s.j, INT64_MIN);
        json_key(&s.j, "t");
        json_bool(&s.j, true);
        json_key(&s.j, "f");
        json_bool(&s.j, false);
        json_key(&s.j, "n");
        json_null(&s.j);
        json_key(&s.j, "z");
        json_int(&s.j, 0);
        json_object_end(&s.j);
        json_finish(&s.j);
        sink_check(&s, "{\"s\":\"v\",\"u\":18446744073709551615,\"i\":-9223372036854775808,"
                       "\"t\":true,\"f\":false,\"n\":null,\"z\":0}\n");
}

static void test_nested(void **state)
{
        struct sink s;

        sink_open(&s);
        json_object_begin(&s.j);
        json_key(&s.j, "a");
        json_array_begin(&s.j);
        json_int(&s.j, 1);
        json_object_begin(&s.j);
        json_key(&s.j, "b");
        json_array_begin(&s.j);
        json_array_end(&s.j);
        json_key(&s.j, "c");
        json_object_begin(&s.j);
        json_object_end(&s.j);
        json_object_end(&s.j);
        json_array_begin(&s.j);
        json_null(&s.j);
        json_null(&s.j);
        json_array_end(&s.j);
        json_int(&s.j, -2);
        json_array_end(&s.j);
        json_key(&s.j, "d");
        json_string(&s.j, "e");
        json_object_end(&s.j);
        json_finish(&s.j);
        sink_check(&s, "{\"a\":[1,{\"b\":[],\"c\":{}},[null,null],-2],\"d\":\"e\"}\n");
}

static void test_top_level_sequence(void **state)
{
        struct sink s;

        /* Values at the top level are separated like array elements. */
        sink_open(&s);
        json_int(&s.j, 1);
        json_object_begin(&s.j);
        json_object_end(&s.j);
        json_string(&s.j, "x");
        sink_check(&s, "1,{},\"x\"");
}

static void test_deep_nesting(void **state)
{
        struct sink s;
        char want[256];
        size_t n = 0;
        int depth = JSON_MAX_DEPTH - 1;

        sink_open(&s);
        for (int i = 0; i < depth; i++) {
                json_array_begin(&s.j);
                json_int(&s.j, i);
                want[n++] = '[';
                n += (size_t)snprintf(want + n, sizeof want - n, "%d,", i);
        }
        json_int(&s.j, 99);
        n += (size_t)snprintf(want + n, sizeof want - n, "99");
        for (int i = 0; i < depth; i++) {
                json_array_end(&s.j);
                want[n++] = ']';
                if (i < depth - 1) {
                        json_string(&s.j, "x");
                        n += (size_t)snprintf(want + n, sizeof want - n, ",\"x\"");
                }
        }
        want[n] = '\0';
        assert_true(n < sizeof want);
        sink_check(&s, want);
}

static void test_string_escaping(void **state)
{
        struct sink s;

        sink_open(&s);
        json_array_begin(&s.j);
        json_string(&s.j, "say \"hi\"");
        json_string(&s.j, "C:\\dir");
        json_string(&s.j, "a\nb\rc\td");
        json_string(&s.j, "\x01\x1f\x7f\x1b");
        json_string(&s.j, "/ caf\xc3\xa9 ' <>");
        json_string(&s.j, "");
        json_string(&s.j, NULL);
        json_array_end(&s.j);
        sink_check(&s, "[\"say \\\"hi\\\"\",\"C:\\\\dir\",\"a\\nb\\rc\\td\","
                       "\"\\u0001\\u001f\\u007f\\u001b\",\"/ caf\xc3\xa9 ' <>\",\"\",\"\"]");
}

static void test_string_n(void **state)
{
        static const char bytes[] = { 'a', '\0', 'b', '"' };
        struct sink s;

        sink_open(&s);
        json_array_begin(&s.j);
        json_string_n(&s.j, bytes, sizeof bytes);
        json_string_n(&s.j, "abcdef", 3);
        json_string_n(&s.j, "abc", 0);
        json_array_end(&s.j);
        sink_check(&s, "[\"a\\u0000b\\\"\",\"abc\",\"\"]");
}

static void test_key_escaping(void **state)
{
        struct sink s;

        sink_open(&s);
        json_object_begin(&s.j);
        json_key(&s.j, "a\"b\\c\n");
        json_int(&s.j, 1);
        json_object_end(&s.j);
        sink_check(&s, "{\"a\\\"b\\\\c\\n\":1}");
}

static void test_hex(void **state)
{
        static const uint8_t bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
        struct sink s;

        sink_open(&s);
        json_object_begin(&s.j);
        json_key(&s.j, "h");
        json_hex(&s.j, bytes, sizeof bytes);
        json_key(&s.j, "e");
        json_hex(&s.j, bytes, 0);
        json_object_end(&s.j);
        sink_check(&s, "{\"h\":\"00017f80abff\",\"e\":\"\"}");
}

static void test_fmemopen(void **state)
{
        char mem[64];
        struct json j;
        FILE *f;

        memset(mem, 0, sizeof mem);
        f = fmemopen(mem, sizeof mem, "w");
        assert_non_null(f);
        json_init(&j, f);
        json_array_begin(&j);
        json_bool(&j, true);
        json_uint(&j, 42);
        json_array_end(&j);
        json_finish(&j);
        assert_int_equal(fclose(f), 0);
        assert_string_equal(mem, "[true,42]\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty_containers),
                cmocka_unit_test(test_object_members),
                cmocka_unit_test(test_nested),
                cmocka_unit_test(test_top_level_sequence),
                cmocka_unit_test(test_deep_nesting),
                cmocka_unit_test(test_string_escaping),
                cmocka_unit_test(test_string_n),
                cmocka_unit_test(test_key_escaping),
                cmocka_unit_test(test_hex),
                cmocka_unit_test(test_fmemopen),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
