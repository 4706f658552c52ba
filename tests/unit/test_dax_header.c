/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rootfs-builder/pfn_info.c: the kernel's fletcher64 against hand-computed
 * vectors, the byte layout of struct nd_pfn_sb, decoding and verification.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../rootfs-builder/pfn_info.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

static const uint8_t test_uuid[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                      0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

static uint64_t le(const uint8_t *p, size_t n)
{
        uint64_t v = 0;
        for (size_t i = n; i-- > 0;)
                v = v << 8 | p[i];
        return v;
}

/* A 64 MiB image with Kata's numbers: data at 2 MiB, 2 MiB pages. */
static void reference_block(uint8_t block[PFN_INFO_SIZE], struct pfn_info *info)
{
        struct pfn_info i;
        assert_int_equal(pfn_info_plan(64 * MiB, 2 * MiB, 2 * MiB, test_uuid, &i, NULL), 0);
        pfn_info_encode(&i, block);
        if (info)
                *info = i;
}

static void test_fletcher64_vectors(void **state)
{
        (void)state;
        static const uint8_t words123[] = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0};
        static const uint8_t ones[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        static const uint8_t bytes1234[] = {1, 2, 3, 4};

        assert_true(pfn_fletcher64(words123, 0) == 0);
        /* lo = 1+2+3 = 6; hi = 1 + 3 + 6 = 10 */
        assert_true(pfn_fletcher64(words123, sizeof words123) == UINT64_C(0x0000000a00000006));
        /* Words are little-endian: bytes 01 02 03 04 are 0x04030201. */
        assert_true(pfn_fletcher64(bytes1234, 4) == UINT64_C(0x0403020104030201));
        /* lo wraps at 32 bits (0xffffffff + 0xffffffff = 0xfffffffe); hi keeps
         * 0x1fffffffd, of which the shift leaves 0xfffffffd. */
        assert_true(pfn_fletcher64(ones, 8) == UINT64_C(0xfffffffdfffffffe));

        /* 1024 words of 0xffffffff: lo = -1024 mod 2^32 = 0xfffffc00; hi =
         * sum over i of (2^32 - i) = 1024 * 2^32 - 524800, low half 0xfff7fe00. */
        uint8_t block[PFN_INFO_SIZE];
        memset(block, 0xff, sizeof block);
        assert_true(pfn_fletcher64(block, sizeof block) == UINT64_C(0xfff7fe00fffffc00));
}

static void test_fletcher64_odd_lengths(void **state)
{
        (void)state;
        static const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8};

        /* The kernel sums len / 4 whole words: a tail of 1-3 bytes is ignored. */
        assert_true(pfn_fletcher64(b, 3) == 0);
        for (size_t n = 4; n < 8; n++)
                assert_true(pfn_fletcher64(b, n) == pfn_fletcher64(b, 4));
        assert_true(pfn_fletcher64(b, 8) != pfn_fletcher64(b, 4));
}

static void test_checksum_ignores_checksum_field(void **state)
{
        (void)state;
        uint8_t block[PFN_INFO_SIZE], copy[PFN_INFO_SIZE];

        reference_block(block, NULL);
        memcpy(copy, block, sizeof copy);
        memset(copy + PFN_OFF_CHECKSUM, 0, 8);
        /* nd_sb_checksum(): fletcher64 of the block with the field zeroed. */
        assert_true(pfn_info_checksum(block) == pfn_fletcher64(copy, sizeof copy));
        memset(block + PFN_OFF_CHECKSUM, 0xa5, 8);
        assert_true(pfn_info_checksum(block) == pfn_fletcher64(copy, sizeof copy));
}

static void test_layout(void **state)
{
        (void)state;
        uint8_t block[PFN_INFO_SIZE];
        static const uint8_t zero[16];

        /* struct nd_pfn_sb is exactly 4 KiB: 94 bytes of fields, 3994 of
         * padding, the checksum. */
        assert_int_equal(PFN_OFF_PADDING + 3994, PFN_OFF_CHECKSUM);
        assert_int_equal(PFN_OFF_CHECKSUM + 8, PFN_INFO_SIZE);

        reference_block(block, NULL);
        assert_memory_equal(block + 0, "NVDIMM_PFN_INFO\0", 16);
        assert_memory_equal(block + 16, test_uuid, 16);
        assert_memory_equal(block + 32, zero, 16);                /* parent_uuid */
        assert_true(le(block + 48, 4) == 0);                      /* flags */
        assert_true(le(block + 52, 2) == 1);                      /* version_major */
        assert_true(le(block + 54, 2) == 4);                      /* version_minor */
        assert_true(le(block + 56, 8) == 2 * MiB);                /* dataoff */
        assert_true(le(block + 64, 8) == (64 - 2) * MiB / 4096);  /* npfns: 15872 */
        assert_true(le(block + 72, 4) == 1);                      /* mode: PFN_MODE_RAM */
        assert_true(le(block + 76, 4) == 0);                      /* start_pad */
        assert_true(le(block + 80, 4) == 0);                      /* end_trunc */
        assert_true(le(block + 84, 4) == 2 * MiB);                /* align */
        assert_true(le(block + 88, 4) == 4096);                   /* page_size */
        assert_true(le(block + 92, 2) == 64);                     /* page_struct_size */
        for (size_t i = 94; i < 4088; i++)
                assert_int_equal(block[i], 0);
        /* Known answer, computed apart from this code from the kernel's definition. */
        assert_true(le(block + 4088, 8) == UINT64_C(0xb6c0116647f6e2c9));
}

static void test_endianness(void **state)
{
        (void)state;
        uint8_t block[PFN_INFO_SIZE];
        struct pfn_info info, back;
        static const uint8_t want[8] = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};

        reference_block(block, &info);
        info.dataoff = UINT64_C(0x0102030405060708);
        info.align = 0x0a0b0c0d;
        info.page_struct_size = 0x1122;
        pfn_info_encode(&info, block);
        assert_memory_equal(block + PFN_OFF_DATAOFF, want, 8);
        assert_int_equal(block[PFN_OFF_ALIGN], 0x0d);
        assert_int_equal(block[PFN_OFF_ALIGN + 3], 0x0a);
        assert_int_equal(block[PFN_OFF_PAGE_STRUCT_SIZE], 0x22);
        assert_int_equal(block[PFN_OFF_PAGE_STRUCT_SIZE + 1], 0x11);
        uint64_t sum = pfn_info_checksum(block);
        for (int i = 0; i < 8; i++)
                assert_int_equal(block[PFN_OFF_CHECKSUM + i], (uint8_t)(sum >> (8 * i)));
        assert_int_equal(pfn_info_decode(block, sizeof block, &back, NULL), 0);
        assert_true(back.dataoff == info.dataoff);
        assert_int_equal(back.align, 0x0a0b0c0d);
        assert_int_equal(back.page_struct_size, 0x1122);
}

static void test_decode_round_trip(void **state)
{
        (void)state;
        uint8_t block[PFN_INFO_SIZE], again[PFN_INFO_SIZE];
        struct pfn_info info, back;
        const char *why = NULL;

        reference_block(block, &info);
        assert_int_equal(pfn_info_decode(block, sizeof block, &back, &why), 0);
        assert_memory_equal(back.uuid, test_uuid, 16);
        assert_true(back.dataoff == 2 * MiB && back.npfns == 15872 && back.mode == PFN_MODE_RAM);
        assert_true(back.version_major == 1 && back.version_minor == 4);
        assert_true(back.align == 2 * MiB && back.padding_zero);
        assert_true(back.checksum == UINT64_C(0xb6c0116647f6e2c9));
        pfn_info_encode(&back, again);
        assert_memory_equal(block, again, sizeof block);
        assert_int_equal(pfn_info_check(&back, 64 * MiB, &why), 0);
        /* A longer buffer (the whole image) is fine: only 4 KiB are read. */
        uint8_t longer[PFN_INFO_SIZE + 100];
        memcpy(longer, block, sizeof block);
        memset(longer + sizeof block, 0x55, 100);
        assert_int_equal(pfn_info_decode(longer, sizeof longer, &back, NULL), 0);
}

static void test_decode_flipped_bits(void **state)
{
        (void)state;
        uint8_t block[PFN_INFO_SIZE];
        struct pfn_info poison, out;

        reference_block(block, NULL);
        memset(&poison, 0x5a, sizeof poison);
        /* Every single-bit error is caught: it changes one word, so the low sum. */
        for (size_t bit = 0; bit < PFN_INFO_SIZE * 8; bit++) {
                const char *why = NULL;
                block[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                out = poison;
                int r = pfn_info_decode(block, sizeof block, &out, &why);
                assert_int_equal(r, bit < 16 * 8 ? -ENODATA : -EBADMSG);
                assert_non_null(why);
                assert_memory_equal(&out, &poison, sizeof out); /* untouched */
                block[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        assert_int_equal(pfn_info_decode(block, sizeof block, &out, NULL), 0);
}

static void test_decode_rejects(void **state)
{
        (void)state;
        uint8_t block[PFN_INFO_SIZE];
        struct pfn_info info, out;
        const char *why = NULL;

        reference_block(block, &info);
        assert_int_equal(pfn_info_decode(block, PFN_INFO_SIZE - 1, &out, &why), -EINVAL);
        assert_int_equal(pfn_info_decode(NULL, 0, &out, NULL), -EINVAL);
        memset(block, 0, sizeof block);
        assert_int_equal(pfn_info_decode(block, sizeof block, &out, &why), -ENODATA);
        /* The device-dax signature is not ours. */
        memcpy(block, "NVDIMM_DAX_INFO", 16);
        assert_int_equal(pfn_info_decode(block, sizeof block, &out, &why), -ENODATA);
        /* A valid checksum over a mode the kernel refuses. */
        info.mode = 3;
        pfn_info_encode(&info, block);
        assert_int_equal(pfn_info_decode(block, sizeof block, &out, &why), -EBADMSG);
        assert_non_null(strstr(why, "mode"));
        info.mode = PFN_MODE_NONE;
        pfn_info_encode(&info, block);
        assert_int_equal(pfn_info_decode(block, sizeof block, &out, &why), -EBADMSG);
        /* PMEM mode decodes (the kernel accepts it). */
        info.mode = PFN_MODE_PMEM;
        pfn_info_encode(&info, block);
        assert_int_equal(pfn_info_decode(block, sizeof block, &out, &why), 0);
        /* Non-zero padding decodes (the kernel does not look) but is reported. */
        info.mode = PFN_MODE_RAM;
        pfn_info_encode(&info, block);
        block[1000] = 1;
        memset(block + PFN_OFF_CHECKSUM, 0, 8);
        uint64_t sum = pfn_info_checksum(block);
        for (int i = 0; i < 8; i++)
                block[PFN_OFF_CHECKSUM + i] = (uint8_t)(sum >> (8 * i));
        assert_int_equal(pfn_info_decode(block, sizeof block, &out, &why), 0);
        assert_false(out.padding_zero);
}

static void test_decode_old_minor_versions(void **state)
{
        (void)state;
        uint8_t block[PFN_INFO_SIZE];
        struct pfn_info info, out;

        reference_block(block, &info);
        info.start_pad = 4096;
        info.end_trunc = 8192;
        info.page_size = 65536;
        info.page_struct_size = 128;
        /* Fields newer than the block's minor version take the kernel's defaults. */
        info.version_minor = 0;
        pfn_info_encode(&info, block);
        assert_int_equal(pfn_info_decode(block, sizeof block, &out, NULL), 0);
        assert_int_equal(out.start_pad, 0);
        assert_int_equal(out.end_trunc, 0);
        assert_int_equal(out.align, 0);
        assert_int_equal(out.page_size, 4096);
        assert_int_equal(out.page_struct_size, 64);
        /* align 0: the largest power of two not above dataoff. */
        assert_true(pfn_info_effective_align(&out) == 2 * MiB);
        out.dataoff = 3 * MiB;
        assert_true(pfn_info_effective_align(&out) == 2 * MiB);

        info.version_minor = 2;
        pfn_info_encode(&info, block);
        assert_int_equal(pfn_info_decode(block, sizeof block, &out, NULL), 0);
        assert_int_equal(out.start_pad, 4096);
        assert_int_equal(out.end_trunc, 8192);
        assert_true(out.align == 2 * MiB);
        assert_int_equal(out.page_size, 4096);

        info.version_minor = 4;
        pfn_info_encode(&info, block);
        assert_int_equal(pfn_info_decode(block, sizeof block, &out, NULL), 0);
        assert_int_equal(out.page_size, 65536);
        assert_int_equal(out.page_struct_size, 128);
}

static void test_plan(void **state)
{
        (void)state;
        struct pfn_info info, poison;
        const char *why = NULL;

        /* 21 MiB: the mapping ends at 20 MiB, 1 MiB is cut off. */
        assert_int_equal(pfn_info_plan(21 * MiB, 2 * MiB, 2 * MiB, test_uuid, &info, &why), 0);
        assert_int_equal(info.end_trunc, 1 * MiB);
        assert_true(info.npfns == 18 * MiB / 4096);
        assert_int_equal(pfn_info_check(&info, 21 * MiB, &why), 0);
        /* 4 KiB pages still map to a 2 MiB-aligned end. */
        assert_int_equal(pfn_info_plan(21 * MiB, 8192, 4096, test_uuid, &info, &why), 0);
        assert_int_equal(info.end_trunc, 1 * MiB);
        assert_int_equal(pfn_info_check(&info, 21 * MiB, &why), 0);
        /* 1 GiB pages. */
        assert_int_equal(pfn_info_plan(3 * GiB, GiB, GiB, test_uuid, &info, &why), 0);
        assert_true(info.end_trunc == 0 && info.npfns == 2 * GiB / 4096);

        memset(&poison, 0x5a, sizeof poison);
        info = poison;
        static const struct {
                uint64_t size, dataoff, align;
        } bad[] = {
                {64 * MiB + 512, 2 * MiB, 2 * MiB}, /* not whole pages */
                {64 * MiB, 2 * MiB, 3 * MiB},       /* not a power of two */
                {64 * MiB, 2 * MiB, 2048},          /* below a page */
                {4 * GiB, 2 * GiB, 2 * GiB},        /* above 1 GiB */
                {64 * MiB, 4096, 4096},             /* over the info block */
                {64 * MiB, 3 * MiB, 2 * MiB},       /* dataoff not aligned */
                {2 * MiB, 2 * MiB, 2 * MiB},        /* nothing after dataoff */
                {3 * MiB, 2 * MiB, 2 * MiB},        /* only the cut-off tail after it */
                {64 * MiB, 0, 4096},                /* data at the very start */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                why = NULL;
                assert_int_equal(pfn_info_plan(bad[i].size, bad[i].dataoff, bad[i].align,
                                               test_uuid, &info, &why),
                                 -EINVAL);
                assert_non_null(why);
                assert_memory_equal(&info, &poison, sizeof info);
        }
}

static void test_check(void **state)
{
        (void)state;
        struct pfn_info info, bad;
        const char *why = NULL;

        reference_block((uint8_t[PFN_INFO_SIZE]){0}, &info);
        assert_int_equal(pfn_info_check(&info, 64 * MiB, &why), 0);
        /* The image grew or shrank after the header was written. */
        assert_int_equal(pfn_info_check(&info, 66 * MiB, &why), -EINVAL);
        assert_non_null(strstr(why, "resized"));
        assert_int_equal(pfn_info_check(&info, 65 * MiB, &why), -EINVAL);
        assert_int_equal(pfn_info_check(&info, 2 * MiB, &why), -EINVAL);
        /* The kernel compares parent_uuid with the namespace's (null). */
        bad = info;
        bad.parent_uuid[3] = 1;
        assert_int_equal(pfn_info_check(&bad, 64 * MiB, &why), -EINVAL);
        assert_non_null(strstr(why, "parent_uuid"));
        bad = info;
        bad.dataoff = 2 * MiB + 4096;
        assert_int_equal(pfn_info_check(&bad, 64 * MiB, &why), -EINVAL);
        bad = info;
        bad.version_major = 2;
        assert_int_equal(pfn_info_check(&bad, 64 * MiB, &why), -EINVAL);
        bad = info;
        bad.start_pad = 4096;
        assert_int_equal(pfn_info_check(&bad, 64 * MiB, &why), -EINVAL);
        bad = info;
        bad.mode = PFN_MODE_PMEM;
        bad.page_size = 65536;
        assert_int_equal(pfn_info_check(&bad, 64 * MiB, &why), -EINVAL);
        bad.page_size = 4096;
        bad.page_struct_size = 32;
        assert_int_equal(pfn_info_check(&bad, 64 * MiB, &why), -EINVAL);
        bad = info;
        bad.dataoff = 0;
        bad.align = 0;
        assert_int_equal(pfn_info_check(&bad, 64 * MiB, &why), -EINVAL);
}

static void test_uuid_text(void **state)
{
        (void)state;
        uint8_t u[16], v[16];
        char s[PFN_UUID_STRING_LEN];

        assert_int_equal(pfn_uuid_parse("10111213-1415-1617-1819-1A1b1c1d1e1f", u), 0);
        assert_memory_equal(u, test_uuid, 16);
        pfn_uuid_format(u, s);
        assert_string_equal(s, "10111213-1415-1617-1819-1a1b1c1d1e1f");

        memset(v, 0x77, sizeof v);
        static const char *const bad[] = {
                "", "10111213-1415-1617-1819-1a1b1c1d1e1", "10111213-1415-1617-1819-1a1b1c1d1e1f0",
                "10111213+1415-1617-1819-1a1b1c1d1e1f", "1011121g-1415-1617-1819-1a1b1c1d1e1f",
                "101112131-415-1617-1819-1a1b1c1d1e1f",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                assert_int_equal(pfn_uuid_parse(bad[i], v), -EINVAL);
                for (int j = 0; j < 16; j++)
                        assert_int_equal(v[j], 0x77);
        }
        assert_int_equal(pfn_uuid_parse(NULL, v), -EINVAL);

        /* Seeded UUIDs: stable, distinct per seed, version 8 variant 10. */
        pfn_uuid_from_seed(1700000000, u);
        pfn_uuid_from_seed(1700000000, v);
        assert_memory_equal(u, v, 16);
        pfn_uuid_from_seed(1700000001, v);
        assert_memory_not_equal(u, v, 16);
        assert_int_equal(u[6] >> 4, 8);
        assert_int_equal(u[8] >> 6, 2);
}

static void test_describe(void **state)
{
        (void)state;
        struct pfn_info info;
        uint8_t block[PFN_INFO_SIZE];
        char text[1024], tiny[8];

        reference_block(block, NULL);
        assert_int_equal(pfn_info_decode(block, sizeof block, &info, NULL), 0);
        size_t n = pfn_info_describe(&info, text, sizeof text);
        assert_true(n > 0 && n < sizeof text);
        assert_int_equal(strlen(text), n);
        assert_non_null(strstr(text, "uuid: 10111213-1415-1617-1819-1a1b1c1d1e1f\n"));
        assert_non_null(strstr(text, "mode: ram (1)\n"));
        assert_non_null(strstr(text, "dataoff: 2097152\n"));
        assert_non_null(strstr(text, "npfns: 15872\n"));
        assert_non_null(strstr(text, "version: 1.4\n"));
        assert_non_null(strstr(text, "checksum: 0xb6c0116647f6e2c9\n"));
        assert_int_equal(pfn_info_describe(&info, tiny, sizeof tiny), n);
        assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fletcher64_vectors),
                cmocka_unit_test(test_fletcher64_odd_lengths),
                cmocka_unit_test(test_checksum_ignores_checksum_field),
                cmocka_unit_test(test_layout),
                cmocka_unit_test(test_endianness),
                cmocka_unit_test(test_decode_round_trip),
                cmocka_unit_test(test_decode_flipped_bits),
                cmocka_unit_test(test_decode_rejects),
                cmocka_unit_test(test_decode_old_minor_versions),
                cmocka_unit_test(test_plan),
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_uuid_text),
                cmocka_unit_test(test_describe),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
