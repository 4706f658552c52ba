/* SPDX-License-Identifier: Apache-2.0 */
/* Storage.options → flags and data, and the per-driver defaults and checks (agent/storage_opts.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "storage_internal.h"

static struct storage_opts opts;

/* Parses a NULL-terminated list into `opts`. */
static int parse(const char *const *list, struct rpc_error *e)
{
        size_t n = 0;
        while (list[n])
                n++;
        return storage_opts_parse((char *const *)list, n, &opts, e);
}

static void parse_ok(const char *const *list)
{
        struct rpc_error e = { 0 };
        if (parse(list, &e) < 0)
                fail_msg("unexpected failure: %s", e.msg);
}

static void parse_fails(const char *const *list, const char *needle)
{
        struct rpc_error e = { 0 };
        memset(&opts, 0x5a, sizeof opts);
        assert_int_equal(parse(list, &e) < 0, 1);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        if (!strstr(e.msg, needle))
                fail_msg("expected `%s` in `%s`", needle, e.msg);
        /* The output is untouched on failure. */
        for (size_t i = 0; i < sizeof opts; i++)
                assert_int_equal(((unsigned char *)&opts)[i], 0x5a);
}

static void test_flags_and_data(void **state)
{
        (void)state;
        parse_ok((const char *const[]){ "ro", "nosuid", "nodev", "size=64k", "newinstance", NULL });
        assert_int_equal(opts.flags, MS_RDONLY | MS_NOSUID | MS_NODEV);
        assert_string_equal(opts.data, "size=64k,newinstance");
        assert_false(opts.has_mode);
        assert_false(opts.has_fsgid);

        /* Flags clear each other as mount(8) spells them; propagation is kept apart. */
        parse_ok((const char *const[]){ "noexec", "exec", "rshared", NULL });
        assert_int_equal(opts.flags, 0);
        assert_int_equal(opts.propagation, MS_SHARED | MS_REC);
        assert_string_equal(opts.data, "");

        /* An option may itself be a comma list (Kata's hugetlbfs sends one). */
        parse_ok((const char *const[]){ "pagesize=2097152,size=524288000", ",nosuid,", NULL });
        assert_string_equal(opts.data, "pagesize=2097152,size=524288000");
        assert_int_equal(opts.flags, MS_NOSUID);

        /* Nothing at all. */
        parse_ok((const char *const[]){ NULL });
        assert_int_equal(opts.flags, 0);
        assert_string_equal(opts.data, "");
}

static void test_unknown_passed_through_and_duplicates_dropped(void **state)
{
        (void)state;
        parse_ok((const char *const[]){ "cache=mmap", "trans=virtio", "cache=mmap", "dax", "dax", "x-whatever", NULL });
        assert_string_equal(opts.data, "cache=mmap,trans=virtio,dax,x-whatever");
        size_t len;
        const char *v = storage_opts_get(&opts, "cache", &len);
        assert_non_null(v);
        assert_int_equal(len, 4);
        assert_memory_equal(v, "mmap", 4);
        v = storage_opts_get(&opts, "dax", &len);
        assert_non_null(v);
        assert_int_equal(len, 0);
        assert_null(storage_opts_get(&opts, "cach", NULL));
        assert_null(storage_opts_get(&opts, "trans=virtio", NULL));
}

static void test_kata_options(void **state)
{
        (void)state;
        parse_ok((const char *const[]){ "io.katacontainers.fs-opt.overlay-rw", "lowerdir=/a:/b",
                                        "io.katacontainers.fs-opt.layer=abc", "fsgid=1000", NULL });
        assert_true(opts.overlay_rw);
        assert_true(opts.has_fsgid);
        assert_int_equal(opts.fsgid, 1000);
        /* Neither fsgid nor Kata's hints reach the kernel. */
        assert_string_equal(opts.data, "lowerdir=/a:/b");

        parse_fails((const char *const[]){ "fsgid=abc", NULL }, "not a group id");
        parse_fails((const char *const[]){ "fsgid=4294967295", NULL }, "not a group id");
        parse_fails((const char *const[]){ "fsgid=1", "fsgid=2", NULL }, "conflicting");
        parse_ok((const char *const[]){ "fsgid=7", "fsgid=7", NULL });
        assert_int_equal(opts.fsgid, 7);
}

static void test_mode(void **state)
{
        (void)state;
        static const struct {
                const char *text;
                int ok;
                mode_t mode;
        } cases[] = {
                { "0755", 1, 0755 }, { "755", 1, 0755 },  { "1777", 1, 01777 }, { "07777", 1, 07777 },
                { "0", 1, 0 },       { "17777", 0, 0 },   { "8", 0, 0 },        { "", 0, 0 },
                { "-1", 0, 0 },      { "+7", 0, 0 },      { "0x1", 0, 0 },      { "755 ", 0, 0 },
                { "rwx", 0, 0 },     { "077777777777", 0, 0 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                mode_t m = 0123;
                int r = storage_parse_mode(cases[i].text, &m);
                if (cases[i].ok) {
                        assert_int_equal(r, 0);
                        assert_int_equal(m, cases[i].mode);
                } else {
                        assert_int_equal(r, -EINVAL);
                        assert_int_equal(m, 0123); /* untouched */
                }
        }
        assert_int_equal(storage_parse_mode(NULL, &(mode_t){ 0 }), -EINVAL);

        /* mode= is parsed and also kept as data (tmpfs takes it). */
        parse_ok((const char *const[]){ "mode=1777", "size=1m", NULL });
        assert_true(opts.has_mode);
        assert_int_equal(opts.mode, 01777);
        assert_string_equal(opts.data, "mode=1777,size=1m");
        parse_fails((const char *const[]){ "mode=999", NULL }, "octal");
        parse_fails((const char *const[]){ "mode=0755", "mode=0700", NULL }, "conflicting");
}

static void test_conflicts(void **state)
{
        (void)state;
        parse_fails((const char *const[]){ "size=1m", "size=2m", NULL }, "`size=1m` and `size=2m`");
        parse_fails((const char *const[]){ "dax", "dax=never", NULL }, "conflicting");
        parse_fails((const char *const[]){ "ro", "nosuid", "rw", NULL }, "`ro` and `rw`");
}

static void test_bounds(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        char *many[STORAGE_MAX_OPTIONS + 1];
        for (size_t i = 0; i < STORAGE_MAX_OPTIONS + 1; i++)
                many[i] = (char *)"nosuid";
        assert_int_equal(storage_opts_parse(many, STORAGE_MAX_OPTIONS, &opts, &e), 0);
        assert_int_equal(storage_opts_parse(many, STORAGE_MAX_OPTIONS + 1, &opts, &e), -E2BIG);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(e.msg, "at most 64"));

        /* One option as long as a page. */
        char *huge = malloc(STORAGE_DATA_MAX + 1);
        assert_non_null(huge);
        memset(huge, 'a', STORAGE_DATA_MAX);
        huge[STORAGE_DATA_MAX] = '\0';
        parse_fails((const char *const[]){ huge, NULL }, "longer than 4095 bytes");
        /* Options that fit one by one but not together. */
        char *a = malloc(2101), *b = malloc(2101);
        assert_non_null(a);
        assert_non_null(b);
        snprintf(a, 2101, "lowerdir=%02090d", 1);
        snprintf(b, 2101, "upperdir=%02090d", 2);
        parse_fails((const char *const[]){ a, b, NULL }, "longer than 4095 bytes");
        /* Exactly full is fine: 4095 bytes of data. */
        memset(huge, 'b', STORAGE_DATA_MAX - 1);
        huge[STORAGE_DATA_MAX - 1] = '\0';
        parse_ok((const char *const[]){ huge, NULL });
        assert_int_equal(strlen(opts.data), STORAGE_DATA_MAX - 1);
        free(huge);
        free(a);
        free(b);
}

static void test_9p_defaults(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        parse_ok((const char *const[]){ "nodev", NULL });
        assert_int_equal(storage_opts_9p(&opts, &e), 0);
        assert_string_equal(opts.data, "trans=virtio,version=9p2000.L,msize=8192");
        assert_int_equal(opts.flags, MS_NODEV);
        /* What the client gives wins; the rest is filled in. */
        parse_ok((const char *const[]){ "msize=262144", "cache=mmap", "trans=virtio", NULL });
        assert_int_equal(storage_opts_9p(&opts, &e), 0);
        assert_string_equal(opts.data, "msize=262144,cache=mmap,trans=virtio,version=9p2000.L");
}

static void test_virtiofs_dax(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        static const char *const good[] = { "dax", "dax=always", "dax=never", "dax=inode", "nodax" };
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
                parse_ok((const char *const[]){ good[i], NULL });
                assert_int_equal(storage_opts_virtiofs(&opts, &e), 0);
        }
        parse_ok((const char *const[]){ "dax=sometimes", NULL });
        assert_int_equal(storage_opts_virtiofs(&opts, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(e.msg, "dax=sometimes"));
}

static void test_hugepages(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        uint64_t kib = 1, pages = 1;
        parse_ok((const char *const[]){ "pagesize=2097152,size=524288000", NULL });
        assert_int_equal(storage_opts_hugepages(&opts, &kib, &pages, &e), 0);
        assert_int_equal(kib, 2048);
        assert_int_equal(pages, 250);
        static const char *const bad[] = { "size=524288000", "pagesize=2097152", "pagesize=3000,size=9000",
                                           "pagesize=2097152,size=1024", "pagesize=abc,size=4096",
                                           "pagesize=,size=4096" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                parse_ok((const char *const[]){ bad[i], NULL });
                kib = pages = 1;
                assert_int_equal(storage_opts_hugepages(&opts, &kib, &pages, &e), -EINVAL);
                assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
                assert_int_equal(kib, 1);
                assert_int_equal(pages, 1);
        }
}

static void test_default_bound(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        char *big = malloc(STORAGE_DATA_MAX);
        assert_non_null(big);
        memset(big, 'c', STORAGE_DATA_MAX - 10);
        big[STORAGE_DATA_MAX - 10] = '\0';
        parse_ok((const char *const[]){ big, NULL });
        assert_int_equal(storage_opts_9p(&opts, &e), -E2BIG);
        assert_non_null(strstr(e.msg, "longer than"));
        free(big);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_flags_and_data),
                cmocka_unit_test(test_unknown_passed_through_and_duplicates_dropped),
                cmocka_unit_test(test_kata_options),
                cmocka_unit_test(test_mode),
                cmocka_unit_test(test_conflicts),
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_9p_defaults),
                cmocka_unit_test(test_virtiofs_dax),
                cmocka_unit_test(test_hugepages),
                cmocka_unit_test(test_default_bound),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
