/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frame.h"

#define MAX_CAP (TTRPC_MESSAGE_MAX + TTRPC_HEADER_LEN)

static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t)(seed + i * 7);
}

/* --- header --------------------------------------------------------------- */

static void test_header_pack_example(void **state)
{
        static const uint8_t want[TTRPC_HEADER_LEN] = { 0x00, 0x00, 0x00, 0x2A, 0x00,
                                                         0x00, 0x00, 0x01, 0x01, 0x00 };
        struct ttrpc_header h = { .length = 42, .stream_id = 1, .type = TTRPC_TYPE_REQUEST };
        uint8_t out[TTRPC_HEADER_LEN];

        ttrpc_header_pack(&h, out);
        assert_memory_equal(out, want, sizeof want);

        struct ttrpc_header back;
        memset(&back, 0xff, sizeof back);
        ttrpc_header_unpack(want, &back);
        assert_int_equal(back.length, 42);
        assert_int_equal(back.stream_id, 1);
        assert_int_equal(back.type, TTRPC_TYPE_REQUEST);
        assert_int_equal(back.flags, 0);
}

static void test_header_big_endian(void **state)
{
        static const uint8_t want[TTRPC_HEADER_LEN] = { 0x01, 0x02, 0x03, 0x04, 0xA0,
                                                         0xB0, 0xC0, 0xD0, 0x03, 0x05 };
        struct ttrpc_header h = {
                .length = 0x01020304,
                .stream_id = 0xA0B0C0D0,
                .type = TTRPC_TYPE_DATA,
                .flags = TTRPC_FLAG_REMOTE_CLOSED | TTRPC_FLAG_NO_DATA,
        };
        uint8_t out[TTRPC_HEADER_LEN];
        struct ttrpc_header back;

        ttrpc_header_pack(&h, out);
        assert_memory_equal(out, want, sizeof want);
        ttrpc_header_unpack(out, &back);
        assert_int_equal(back.length, 0x01020304);
        assert_int_equal(back.stream_id, 0xA0B0C0D0);
        assert_int_equal(back.type, TTRPC_TYPE_DATA);
        assert_int_equal(back.flags, 0x05);

        h = (struct ttrpc_header){ .length = UINT32_MAX, .stream_id = UINT32_MAX, .type = 0xff,
                                   .flags = 0xff };
        ttrpc_header_pack(&h, out);
        for (size_t i = 0; i < TTRPC_HEADER_LEN; i++)
                assert_int_equal(out[i], 0xff);
}

/* --- frame_decode ------------------------------------------------------- */

static void append_header(struct buf *b, uint32_t length, uint32_t stream_id, uint8_t type,
                          uint8_t flags)
{
        struct ttrpc_header h = { .length = length, .stream_id = stream_id, .type = type,
                                  .flags = flags };
        uint8_t raw[TTRPC_HEADER_LEN];

        ttrpc_header_pack(&h, raw);
        assert_int_equal(buf_append(b, raw, sizeof raw, SIZE_MAX), 0);
}

static void expect_frame(struct frame_decoder *d, struct buf *b, uint32_t stream_id,
                         uint8_t type, uint8_t flags, const void *payload, size_t len)
{
        struct frame f;
        size_t need = 12345;

        assert_int_equal(frame_decode(d, b, &f, &need), FRAME_READY);
        assert_int_equal(f.header.length, len);
        assert_int_equal(f.header.stream_id, stream_id);
        assert_int_equal(f.header.type, type);
        assert_int_equal(f.header.flags, flags);
        assert_non_null(f.payload);
        if (len)
                assert_memory_equal(f.payload, payload, len);
}

static void expect_need(struct frame_decoder *d, struct buf *b, size_t want_need)
{
        struct frame f;
        size_t need = 12345;

        assert_int_equal(frame_decode(d, b, &f, &need), FRAME_NEED_MORE);
        assert_int_equal(need, want_need);
}

static void test_decode_whole(void **state)
{
        struct frame_decoder d = { 0 };
        struct buf b = { 0 };
        uint8_t payload[42];

        fill_pattern(payload, sizeof payload, 1);
        assert_int_equal(frame_append(&b, 1, TTRPC_TYPE_REQUEST, 0, payload, sizeof payload,
                                      MAX_CAP),
                         0);
        assert_int_equal(buf_len(&b), TTRPC_HEADER_LEN + sizeof payload);
        assert_memory_equal(buf_head(&b), "\x00\x00\x00\x2a\x00\x00\x00\x01\x01\x00",
                            TTRPC_HEADER_LEN);

        expect_frame(&d, &b, 1, TTRPC_TYPE_REQUEST, 0, payload, sizeof payload);
        assert_int_equal(buf_len(&b), 0);
        expect_need(&d, &b, TTRPC_HEADER_LEN);
        buf_free(&b);
}

static void test_decode_byte_at_a_time(void **state)
{
        struct frame_decoder d = { 0 };
        struct buf src = { 0 }, b = { 0 };
        uint8_t payload[5] = { 'h', 'e', 'l', 'l', 'o' };

        assert_int_equal(frame_append(&src, 0x01020304, TTRPC_TYPE_RESPONSE,
                                      TTRPC_FLAG_REMOTE_OPEN, payload, sizeof payload, MAX_CAP),
                         0);
        size_t total = buf_len(&src);
        assert_int_equal(total, 15);

        expect_need(&d, &b, TTRPC_HEADER_LEN);
        for (size_t i = 0; i < total - 1; i++) {
                assert_int_equal(buf_append(&b, buf_head(&src) + i, 1, MAX_CAP), 0);
                expect_need(&d, &b, i + 1 < TTRPC_HEADER_LEN ? TTRPC_HEADER_LEN : total);
                assert_int_equal(buf_len(&b), i + 1);
        }
        assert_int_equal(buf_append(&b, buf_head(&src) + total - 1, 1, MAX_CAP), 0);
        expect_frame(&d, &b, 0x01020304, TTRPC_TYPE_RESPONSE, TTRPC_FLAG_REMOTE_OPEN, payload,
                     sizeof payload);
        assert_int_equal(buf_len(&b), 0);
        buf_free(&src);
        buf_free(&b);
}

static void test_decode_merged(void **state)
{
        struct frame_decoder d = { 0 };
        struct buf b = { 0 };
        uint8_t p1[3] = { 1, 2, 3 }, p2[200], p3[1] = { 0xee };

        fill_pattern(p2, sizeof p2, 9);
        assert_int_equal(frame_append(&b, 1, TTRPC_TYPE_REQUEST, 0, p1, sizeof p1, MAX_CAP), 0);
        assert_int_equal(frame_append(&b, 3, TTRPC_TYPE_REQUEST, 0, p2, sizeof p2, MAX_CAP), 0);

        expect_frame(&d, &b, 1, TTRPC_TYPE_REQUEST, 0, p1, sizeof p1);
        assert_int_equal(buf_len(&b), TTRPC_HEADER_LEN + sizeof p2);
        expect_frame(&d, &b, 3, TTRPC_TYPE_REQUEST, 0, p2, sizeof p2);
        assert_int_equal(buf_len(&b), 0);
        expect_need(&d, &b, TTRPC_HEADER_LEN);

        /* Three whole frames and the start of a fourth. */
        assert_int_equal(frame_append(&b, 5, TTRPC_TYPE_DATA, 0, p2, sizeof p2, MAX_CAP), 0);
        assert_int_equal(frame_append(&b, 7, TTRPC_TYPE_DATA, TTRPC_FLAG_REMOTE_CLOSED, p3,
                                      sizeof p3, MAX_CAP),
                         0);
        assert_int_equal(frame_append(&b, 9, TTRPC_TYPE_RESPONSE, 0, p1, sizeof p1, MAX_CAP), 0);
        append_header(&b, 50, 11, TTRPC_TYPE_REQUEST, 0);
        assert_int_equal(buf_append(&b, p2, 20, MAX_CAP), 0);

        expect_frame(&d, &b, 5, TTRPC_TYPE_DATA, 0, p2, sizeof p2);
        expect_frame(&d, &b, 7, TTRPC_TYPE_DATA, TTRPC_FLAG_REMOTE_CLOSED, p3, sizeof p3);
        expect_frame(&d, &b, 9, TTRPC_TYPE_RESPONSE, 0, p1, sizeof p1);
        expect_need(&d, &b, TTRPC_HEADER_LEN + 50);
        assert_int_equal(buf_len(&b), TTRPC_HEADER_LEN + 20);
        assert_int_equal(buf_append(&b, p2 + 20, 30, MAX_CAP), 0);
        expect_frame(&d, &b, 11, TTRPC_TYPE_REQUEST, 0, p2, 50);
        buf_free(&b);
}

static void test_decode_zero_length(void **state)
{
        struct frame_decoder d = { 0 };
        struct buf b = { 0 };

        assert_int_equal(frame_append(&b, 9, TTRPC_TYPE_DATA, TTRPC_FLAG_NO_DATA, NULL, 0,
                                      MAX_CAP),
                         0);
        assert_int_equal(buf_len(&b), TTRPC_HEADER_LEN);
        assert_memory_equal(buf_head(&b), "\x00\x00\x00\x00\x00\x00\x00\x09\x03\x04",
                            TTRPC_HEADER_LEN);
        expect_frame(&d, &b, 9, TTRPC_TYPE_DATA, TTRPC_FLAG_NO_DATA, NULL, 0);
        assert_int_equal(buf_len(&b), 0);
        buf_free(&b);
}

static void test_decode_max_length_needs_more(void **state)
{
        struct frame_decoder d = { 0 };
        struct buf b = { 0 };

        append_header(&b, TTRPC_MESSAGE_MAX, 1, TTRPC_TYPE_REQUEST, 0);
        expect_need(&d, &b, TTRPC_HEADER_LEN + TTRPC_MESSAGE_MAX);
        assert_int_equal(buf_len(&b), TTRPC_HEADER_LEN);
        assert_int_equal(d.skip, 0);
        buf_free(&b);
}

static void test_decode_oversized_skipped_in_pieces(void **state)
{
        struct frame_decoder d = { 0 };
        struct buf b = { 0 };
        struct frame f;
        size_t need = 12345;
        const uint32_t len = TTRPC_MESSAGE_MAX + 1;
        uint8_t *junk = malloc(len);
        uint8_t after[17];

        assert_non_null(junk);
        memset(junk, 0xab, len);
        fill_pattern(after, sizeof after, 3);

        append_header(&b, len, 1, TTRPC_TYPE_REQUEST, 0);
        assert_int_equal(buf_head(&b)[0], 0);
        assert_int_equal(buf_append(&b, junk, 100, MAX_CAP), 0);
        assert_int_equal(frame_decode(&d, &b, &f, &need), FRAME_OVERSIZED);
        assert_int_equal(f.header.length, len);
        assert_int_equal(f.header.stream_id, 1);
        assert_int_equal(f.header.type, TTRPC_TYPE_REQUEST);
        assert_null(f.payload);
        assert_int_equal(buf_len(&b), 0);
        assert_int_equal(d.skip, len - 100);

        /* The rest of the payload arrives in uneven pieces. */
        size_t left = len - 100;
        size_t piece = 65521;
        while (left > piece) {
                assert_int_equal(buf_append(&b, junk, piece, MAX_CAP), 0);
                expect_need(&d, &b, 0);
                assert_int_equal(buf_len(&b), 0);
                left -= piece;
                assert_int_equal(d.skip, left);
        }

        /* The last piece ends with a normal frame in the same read. */
        assert_int_equal(buf_append(&b, junk, left, MAX_CAP), 0);
        assert_int_equal(frame_append(&b, 3, TTRPC_TYPE_REQUEST, 0, after, sizeof after, MAX_CAP),
                         0);
        expect_frame(&d, &b, 3, TTRPC_TYPE_REQUEST, 0, after, sizeof after);
        assert_int_equal(d.skip, 0);
        assert_int_equal(buf_len(&b), 0);
        free(junk);
        buf_free(&b);
}

static void test_decode_oversized_header_alone(void **state)
{
        struct frame_decoder d = { 0 };
        struct buf b = { 0 };
        struct frame f;
        size_t need;
        uint8_t junk[4096], after[3] = { 7, 8, 9 };

        memset(junk, 0x5c, sizeof junk);
        append_header(&b, TTRPC_LENGTH_SANE_MAX, 5, TTRPC_TYPE_REQUEST, 0);
        assert_int_equal(frame_decode(&d, &b, &f, &need), FRAME_OVERSIZED);
        assert_int_equal(f.header.length, TTRPC_LENGTH_SANE_MAX);
        assert_int_equal(d.skip, TTRPC_LENGTH_SANE_MAX);
        assert_int_equal(buf_len(&b), 0);

        size_t left = TTRPC_LENGTH_SANE_MAX;
        while (left > 0) {
                size_t n = left < sizeof junk ? left : sizeof junk;
                assert_int_equal(buf_append(&b, junk, n, MAX_CAP), 0);
                left -= n;
                /* Once the skip is done, the decoder waits for a header. */
                expect_need(&d, &b, left ? 0 : TTRPC_HEADER_LEN);
                assert_int_equal(d.skip, left);
        }
        assert_int_equal(frame_append(&b, 7, TTRPC_TYPE_REQUEST, 0, after, sizeof after, MAX_CAP),
                         0);
        expect_frame(&d, &b, 7, TTRPC_TYPE_REQUEST, 0, after, sizeof after);
        buf_free(&b);
}

static void test_decode_insane(void **state)
{
        static const uint32_t lengths[] = { TTRPC_LENGTH_SANE_MAX + 1, 0x7fffffff, UINT32_MAX };

        for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
                struct frame_decoder d = { 0 };
                struct buf b = { 0 };
                struct frame f;
                size_t need = 12345;
                uint8_t raw[TTRPC_HEADER_LEN + 4];

                append_header(&b, lengths[i], 1, TTRPC_TYPE_REQUEST, 0);
                assert_int_equal(buf_append(&b, "abcd", 4, MAX_CAP), 0);
                memcpy(raw, buf_head(&b), sizeof raw);
                size_t start = b.start, end = b.end;

                assert_int_equal(frame_decode(&d, &b, &f, &need), FRAME_INSANE);
                assert_int_equal(f.header.length, lengths[i]);
                assert_null(f.payload);
                assert_int_equal(b.start, start);
                assert_int_equal(b.end, end);
                assert_memory_equal(buf_head(&b), raw, sizeof raw);
                assert_int_equal(d.skip, 0);

                /* It stays insane: nothing was consumed. */
                assert_int_equal(frame_decode(&d, &b, &f, &need), FRAME_INSANE);
                assert_int_equal(buf_len(&b), sizeof raw);
                buf_free(&b);
        }
}

/* --- frame_append ------------------------------------------------------- */

static void test_append_too_big(void **state)
{
        struct buf b = { 0 };
        uint8_t *big = calloc(1, TTRPC_MESSAGE_MAX + 1);

        assert_non_null(big);
        assert_int_equal(frame_append(&b, 1, TTRPC_TYPE_RESPONSE, 0, big, TTRPC_MESSAGE_MAX + 1,
                                      SIZE_MAX),
                         -EMSGSIZE);
        assert_int_equal(buf_len(&b), 0);
        assert_null(b.data);

        assert_int_equal(frame_append(&b, 1, TTRPC_TYPE_RESPONSE, 0, big, TTRPC_MESSAGE_MAX,
                                      MAX_CAP),
                         0);
        assert_int_equal(buf_len(&b), MAX_CAP);
        assert_memory_equal(buf_head(&b), "\x00\x40\x00\x00\x00\x00\x00\x01\x02\x00",
                            TTRPC_HEADER_LEN);
        free(big);
        buf_free(&b);
}

static void test_append_max_cap(void **state)
{
        struct buf b = { 0 };
        uint8_t payload[100];

        fill_pattern(payload, sizeof payload, 0);
        assert_int_equal(frame_append(&b, 1, TTRPC_TYPE_RESPONSE, 0, payload, sizeof payload,
                                      TTRPC_HEADER_LEN + sizeof payload - 1),
                         -ENOBUFS);
        assert_int_equal(buf_len(&b), 0);

        assert_int_equal(frame_append(&b, 1, TTRPC_TYPE_RESPONSE, 0, payload, sizeof payload,
                                      TTRPC_HEADER_LEN + sizeof payload),
                         0);
        assert_int_equal(buf_len(&b), TTRPC_HEADER_LEN + sizeof payload);

        /* What is already queued counts against max_cap too. */
        assert_int_equal(frame_append(&b, 3, TTRPC_TYPE_RESPONSE, 0, payload, 1,
                                      2 * TTRPC_HEADER_LEN + sizeof payload),
                         -ENOBUFS);
        assert_int_equal(buf_len(&b), TTRPC_HEADER_LEN + sizeof payload);
        assert_int_equal(frame_append(&b, 3, TTRPC_TYPE_RESPONSE, 0, payload, 1,
                                      2 * TTRPC_HEADER_LEN + sizeof payload + 1),
                         0);
        assert_int_equal(buf_len(&b), 2 * TTRPC_HEADER_LEN + sizeof payload + 1);
        assert_memory_equal(buf_head(&b) + TTRPC_HEADER_LEN + sizeof payload,
                            "\x00\x00\x00\x01\x00\x00\x00\x03\x02\x00\x00", TTRPC_HEADER_LEN + 1);
        buf_free(&b);
}

/* --- buf ------------------------------------------------------------------ */

static void test_buf_append_consume(void **state)
{
        struct buf b = { 0 };

        assert_int_equal(buf_len(&b), 0);
        assert_int_equal(buf_append(&b, "hello", 5, 1024), 0);
        assert_int_equal(buf_len(&b), 5);
        assert_true(b.cap >= 5 && b.cap <= 1024);
        assert_int_equal(buf_append(&b, " world", 6, 1024), 0);
        assert_int_equal(buf_len(&b), 11);
        assert_memory_equal(buf_head(&b), "hello world", 11);

        buf_consume(&b, 6);
        assert_int_equal(b.start, 6);
        assert_int_equal(buf_len(&b), 5);
        assert_memory_equal(buf_head(&b), "world", 5);

        /* Consuming everything rewinds to the start of the memory. */
        buf_consume(&b, 5);
        assert_int_equal(b.start, 0);
        assert_int_equal(b.end, 0);
        assert_int_equal(buf_len(&b), 0);

        assert_int_equal(buf_append(&b, NULL, 0, 1024), 0);
        assert_int_equal(buf_len(&b), 0);
        buf_free(&b);
        assert_null(b.data);
        assert_int_equal(b.cap, 0);
}

static void test_buf_reserve_commit(void **state)
{
        struct buf b = { 0 };

        assert_int_equal(buf_reserve(&b, 10, 64), 0);
        assert_true(buf_room(&b) >= 10);
        assert_true(b.cap <= 64);
        memcpy(buf_tail(&b), "0123456789", 10);
        buf_commit(&b, 4);
        assert_int_equal(buf_len(&b), 4);
        assert_memory_equal(buf_head(&b), "0123", 4);

        /* Reserving what is already there changes nothing. */
        uint8_t *data = b.data;
        size_t cap = b.cap;
        assert_int_equal(buf_reserve(&b, buf_room(&b), 64), 0);
        assert_ptr_equal(b.data, data);
        assert_int_equal(b.cap, cap);
        buf_free(&b);
}

static void test_buf_max_cap(void **state)
{
        struct buf b = { 0 };
        uint8_t bytes[200];

        fill_pattern(bytes, sizeof bytes, 0);
        assert_int_equal(buf_reserve(&b, 101, 100), -ENOBUFS);
        assert_null(b.data);
        assert_int_equal(buf_reserve(&b, SIZE_MAX, 100), -ENOBUFS);

        /* A max_cap below the minimum allocation is still honoured. */
        assert_int_equal(buf_reserve(&b, 100, 100), 0);
        assert_int_equal(b.cap, 100);
        assert_int_equal(buf_append(&b, bytes, 60, 100), 0);
        assert_int_equal(buf_append(&b, bytes, 41, 100), -ENOBUFS);
        assert_int_equal(buf_len(&b), 60);
        assert_int_equal(buf_append(&b, bytes + 60, 40, 100), 0);
        assert_int_equal(buf_len(&b), 100);
        assert_int_equal(buf_append(&b, bytes, 1, 100), -ENOBUFS);
        assert_memory_equal(buf_head(&b), bytes, 100);

        /* Unconsumed bytes count, consumed ones do not. */
        buf_consume(&b, 30);
        assert_int_equal(buf_reserve(&b, 31, 100), -ENOBUFS);
        assert_int_equal(buf_append(&b, bytes + 100, 30, 100), 0);
        assert_int_equal(buf_len(&b), 100);
        assert_int_equal(b.cap, 100);
        assert_memory_equal(buf_head(&b), bytes + 30, 100);
        buf_free(&b);
}

static void test_buf_compaction(void **state)
{
        struct buf b = { 0 };
        uint8_t bytes[4096];

        fill_pattern(bytes, sizeof bytes, 5);
        assert_int_equal(buf_append(&b, bytes, 3000, sizeof bytes), 0);
        assert_int_equal(b.cap, sizeof bytes);
        buf_consume(&b, 2500);
        assert_int_equal(b.start, 2500);
        assert_int_equal(b.end, 3000);
        assert_int_equal(buf_room(&b), 1096);

        uint8_t *data = b.data;
        assert_int_equal(buf_reserve(&b, 2000, sizeof bytes), 0);
        assert_int_equal(b.start, 0);
        assert_int_equal(b.end, 500);
        assert_ptr_equal(b.data, data);
        assert_int_equal(b.cap, sizeof bytes);
        assert_memory_equal(buf_head(&b), bytes + 2500, 500);

        /* Compaction can fill the buffer to exactly max_cap. */
        assert_int_equal(buf_append(&b, bytes, sizeof bytes - 500, sizeof bytes), 0);
        assert_int_equal(buf_len(&b), sizeof bytes);
        assert_memory_equal(buf_head(&b), bytes + 2500, 500);
        assert_memory_equal(buf_head(&b) + 500, bytes, sizeof bytes - 500);
        buf_free(&b);
}

static void test_buf_compaction_then_growth(void **state)
{
        struct buf b = { 0 };
        uint8_t *bytes = malloc(20000);

        assert_non_null(bytes);
        fill_pattern(bytes, 20000, 11);
        assert_int_equal(buf_append(&b, bytes, 4000, 1 << 20), 0);
        buf_consume(&b, 1000);
        assert_int_equal(buf_append(&b, bytes + 4000, 16000, 1 << 20), 0);
        assert_int_equal(b.start, 0);
        assert_int_equal(buf_len(&b), 19000);
        assert_true(b.cap >= 19000 && b.cap <= (1 << 20));
        assert_memory_equal(buf_head(&b), bytes + 1000, 19000);
        free(bytes);
        buf_free(&b);
}

static void test_buf_trim(void **state)
{
        struct buf b = { 0 };

        assert_int_equal(buf_append(&b, "abc", 3, 1 << 20), 0);
        size_t cap = b.cap;

        /* Not empty: kept. */
        buf_trim(&b, 0);
        assert_non_null(b.data);
        assert_int_equal(buf_len(&b), 3);

        buf_consume(&b, 3);
        /* Empty but within keep: kept. */
        buf_trim(&b, cap);
        assert_non_null(b.data);
        assert_int_equal(b.cap, cap);

        /* Empty and larger than keep: freed. */
        buf_trim(&b, cap - 1);
        assert_null(b.data);
        assert_int_equal(b.cap, 0);
        assert_int_equal(b.start, 0);
        assert_int_equal(b.end, 0);

        /* Still usable afterwards. */
        assert_int_equal(buf_append(&b, "xy", 2, 1 << 20), 0);
        assert_memory_equal(buf_head(&b), "xy", 2);
        buf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header_pack_example),
                cmocka_unit_test(test_header_big_endian),
                cmocka_unit_test(test_decode_whole),
                cmocka_unit_test(test_decode_byte_at_a_time),
                cmocka_unit_test(test_decode_merged),
                cmocka_unit_test(test_decode_zero_length),
                cmocka_unit_test(test_decode_max_length_needs_more),
                cmocka_unit_test(test_decode_oversized_skipped_in_pieces),
                cmocka_unit_test(test_decode_oversized_header_alone),
                cmocka_unit_test(test_decode_insane),
                cmocka_unit_test(test_append_too_big),
                cmocka_unit_test(test_append_max_cap),
                cmocka_unit_test(test_buf_append_consume),
                cmocka_unit_test(test_buf_reserve_commit),
                cmocka_unit_test(test_buf_max_cap),
                cmocka_unit_test(test_buf_compaction),
                cmocka_unit_test(test_buf_compaction_then_growth),
                cmocka_unit_test(test_buf_trim),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
