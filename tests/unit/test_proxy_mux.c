/* SPDX-License-Identifier: Apache-2.0 */
/* kinglet-proxy's routing: the stream ID table (proxy/mux.c), frame routing (proxy/route.c), CONNECT detection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../proxy/handshake.h"
#include "../../proxy/mux.h"
#include "../../proxy/route.h"
#include "frame.h"
#include "status.h"
#include "ttrpc_test.h"

static int c1, c2; /* client identities: only their addresses matter */

/* --- mux ------------------------------------------------------------------ */

static void test_ids_odd_increasing(void **state)
{
        struct mux m;
        uint32_t id, prev = 0;
        mux_init(&m, MUX_INFLIGHT_MAX, MUX_STREAM_ID_LIMIT);
        for (int i = 0; i < 300; i++) {
                /* Two clients both numbering from 1: upstream IDs stay unique. */
                assert_int_equal(mux_add(&m, i % 2 ? &c1 : &c2, 1 + 2 * (uint32_t)(i / 2), &id), 0);
                assert_true(id & 1);
                assert_true(id > prev);
                prev = id;
        }
        assert_int_equal(mux_inflight(&m), 300);
        mux_free(&m);
}

static void test_route_back(void **state)
{
        struct mux m;
        uint32_t a, b, c;
        struct mux_route r;
        mux_init(&m, MUX_INFLIGHT_MAX, MUX_STREAM_ID_LIMIT);
        assert_int_equal(mux_add(&m, &c1, 1, &a), 0);
        assert_int_equal(mux_add(&m, &c2, 1, &b), 0);
        assert_int_equal(mux_add(&m, &c1, 7, &c), 0);
        /* Replies in any order find their client and its own ID. */
        assert_int_equal(mux_take(&m, c, &r), 0);
        assert_ptr_equal(r.client, &c1);
        assert_int_equal(r.client_stream, 7);
        assert_int_equal(mux_take(&m, a, &r), 0);
        assert_ptr_equal(r.client, &c1);
        assert_int_equal(r.client_stream, 1);
        assert_int_equal(mux_take(&m, b, &r), 0);
        assert_ptr_equal(r.client, &c2);
        assert_int_equal(r.client_stream, 1);
        /* A second reply on the same ID, or an ID never handed out, is not ours. */
        assert_int_equal(mux_take(&m, b, &r), -ENOENT);
        assert_int_equal(mux_take(&m, 999, &r), -ENOENT);
        assert_int_equal(mux_take(&m, 0, &r), -ENOENT);
        assert_int_equal(mux_inflight(&m), 0);
        mux_free(&m);
}

/* Many adds and out-of-order takes through growth and backward-shift deletion. */
static void test_table_churn(void **state)
{
        struct mux m;
        uint32_t ids[1000];
        struct mux_route r;
        mux_init(&m, 1000, MUX_STREAM_ID_LIMIT);
        for (uint32_t round = 0; round < 5; round++) {
                for (uint32_t i = 0; i < 1000; i++)
                        assert_int_equal(mux_add(&m, &c1, 1 + 2 * i, &ids[i]), 0);
                assert_int_equal(mux_add(&m, &c1, 5000, &ids[0]), -EBUSY);
                for (uint32_t i = 0; i < 1000; i += 3)
                        assert_int_equal(mux_take(&m, ids[i], &r), 0);
                for (uint32_t i = 999; i < 1000; i--) {
                        int ret = mux_take(&m, ids[i], &r);
                        if (i % 3 == 0) {
                                assert_int_equal(ret, -ENOENT);
                        } else {
                                assert_int_equal(ret, 0);
                                assert_int_equal(r.client_stream, 1 + 2 * i);
                        }
                }
                assert_int_equal(mux_inflight(&m), 0);
        }
        mux_free(&m);
}

static void test_drop_client(void **state)
{
        struct mux m;
        uint32_t a, b, c;
        struct mux_route r;
        mux_init(&m, MUX_INFLIGHT_MAX, MUX_STREAM_ID_LIMIT);
        assert_int_equal(mux_add(&m, &c1, 1, &a), 0);
        assert_int_equal(mux_add(&m, &c2, 1, &b), 0);
        assert_int_equal(mux_add(&m, &c1, 3, &c), 0);
        assert_int_equal(mux_drop_client(&m, &c1), 2);
        /* The replies still arrive and are recognised, with nobody to give them to. */
        assert_int_equal(mux_take(&m, a, &r), 0);
        assert_null(r.client);
        assert_int_equal(mux_take(&m, b, &r), 0);
        assert_ptr_equal(r.client, &c2);
        assert_int_equal(mux_take(&m, c, &r), 0);
        assert_null(r.client);
        mux_free(&m);
}

static void test_client_stream_checks(void **state)
{
        char msg[RPC_ERROR_MSG_MAX];
        uint32_t last = 0;
        assert_int_equal(mux_check_client_stream(&last, 2, msg, sizeof msg), -EINVAL);
        assert_string_equal(msg, "stream ID 2 is even: client-initiated streams must use odd IDs");
        assert_int_equal(mux_check_client_stream(&last, 5, msg, sizeof msg), 0);
        assert_int_equal(last, 5);
        assert_int_equal(mux_check_client_stream(&last, 5, msg, sizeof msg), -EINVAL);
        assert_string_equal(msg, "stream ID 5 cannot be reused: IDs must increase (last was 5)");
        assert_int_equal(mux_check_client_stream(&last, 3, msg, sizeof msg), -EINVAL);
        assert_int_equal(last, 5);
        assert_int_equal(mux_check_client_stream(&last, 7, msg, sizeof msg), 0);
}

static int count_fail;
static void count_route(const struct mux_route *r, void *data)
{
        count_fail++;
        assert_ptr_equal(data, &c2);
}

static void test_wrap_and_reset(void **state)
{
        struct mux m;
        uint32_t id;
        mux_init(&m, MUX_INFLIGHT_MAX, 7);
        assert_int_equal(mux_add(&m, &c1, 1, &id), 0);
        assert_int_equal(id, 1);
        assert_int_equal(mux_add(&m, &c1, 3, &id), 0);
        assert_int_equal(mux_add(&m, &c1, 5, &id), 0);
        assert_int_equal(mux_add(&m, &c1, 7, &id), 0);
        assert_int_equal(id, 7);
        assert_true(mux_exhausted(&m));
        assert_int_equal(mux_add(&m, &c1, 9, &id), -ERANGE);
        /* The reconnect: everything in flight is handed out once, IDs start at 1. */
        count_fail = 0;
        mux_reset(&m, count_route, &c2);
        assert_int_equal(count_fail, 4);
        assert_int_equal(mux_inflight(&m), 0);
        assert_false(mux_exhausted(&m));
        assert_int_equal(mux_add(&m, &c1, 11, &id), 0);
        assert_int_equal(id, 1);
        mux_free(&m);

        /* The real limit: the last ID is 0x7fffffff, never a 32-bit wrap to an even or reused ID. */
        mux_init(&m, MUX_INFLIGHT_MAX, MUX_STREAM_ID_LIMIT);
        m.next_id = MUX_STREAM_ID_LIMIT;
        assert_int_equal(mux_add(&m, &c1, 1, &id), 0);
        assert_int_equal(id, MUX_STREAM_ID_LIMIT);
        assert_int_equal(mux_add(&m, &c1, 3, &id), -ERANGE);
        mux_free(&m);
}

/* --- route ---------------------------------------------------------------- */

struct delivered {
        void *client;
        uint32_t stream;
        int code;
        uint8_t type;
        size_t len;
};
static struct delivered got[16];
static size_t n_got;

static void deliver(void *client, uint32_t client_stream, const struct frame *f, int code,
                    const char *message, void *data)
{
        assert_true(n_got < 16);
        got[n_got++] = (struct delivered){ client, client_stream, f ? 0 : code, f ? f->header.type : 0,
                                          f ? f->header.length : 0 };
}

struct fixture {
        struct mux m;
        struct buf up_out;
        struct route_upstream up;
        struct route_client rc1, rc2;
        struct buf in, replies;
};

static int fixture_setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);
        mux_init(&f->m, MUX_INFLIGHT_MAX, MUX_STREAM_ID_LIMIT);
        f->up = (struct route_upstream){ .mux = &f->m, .out = &f->up_out, .connected = true, .down_why = "down" };
        f->rc1.key = &c1;
        f->rc2.key = &c2;
        n_got = 0;
        *state = f;
        return 0;
}

static int fixture_teardown(void **state)
{
        struct fixture *f = *state;
        mux_free(&f->m);
        buf_free(&f->up_out);
        buf_free(&f->in);
        buf_free(&f->replies);
        free(f);
        return 0;
}

static void next_frame(struct buf *b, struct ttrpc_header *h)
{
        assert_true(buf_len(b) >= TTRPC_HEADER_LEN);
        ttrpc_header_unpack(buf_head(b), h);
        assert_true(buf_len(b) >= TTRPC_HEADER_LEN + h->length);
        buf_consume(b, TTRPC_HEADER_LEN + h->length);
}

static void test_route_rewrites_both_ways(void **state)
{
        struct fixture *f = *state;
        struct ttrpc_header h;
        uint8_t body[3] = { 1, 2, 3 };

        test_frame_request_raw(&f->in, 1, "grpc.Health", "Check", NULL, 0, 0);
        assert_int_equal(route_client_input(&f->up, &f->rc1, &f->in, &f->replies), ROUTE_MORE);
        test_frame_request_raw(&f->in, 1, "grpc.Health", "Check", NULL, 0, 0);
        test_frame_request_raw(&f->in, 3, "grpc.Health", "Version", NULL, 0, 0);
        assert_int_equal(route_client_input(&f->up, &f->rc2, &f->in, &f->replies), ROUTE_MORE);
        assert_int_equal(buf_len(&f->replies), 0);
        assert_int_equal(f->rc1.inflight, 1);
        assert_int_equal(f->rc2.inflight, 2);
        /* Upstream sees 1, 3, 5: each client's frame with only the ID changed. */
        for (uint32_t want = 1; want <= 5; want += 2) {
                next_frame(&f->up_out, &h);
                assert_int_equal(h.stream_id, want);
                assert_int_equal(h.type, TTRPC_TYPE_REQUEST);
        }
        assert_int_equal(buf_len(&f->up_out), 0);

        /* Replies 5, 1, plus one for an ID never used: routed back, the stray dropped. */
        struct buf agent = { 0 };
        struct frame_decoder d = { 0 };
        test_frame_raw(&agent, 3, 5, TTRPC_TYPE_RESPONSE, 0, body, 3);
        test_frame_raw(&agent, 0, 1, TTRPC_TYPE_RESPONSE, 0, NULL, 0);
        test_frame_raw(&agent, 0, 41, TTRPC_TYPE_RESPONSE, 0, NULL, 0);
        assert_int_equal(route_upstream_input(&f->m, &d, &agent, deliver, NULL), 0);
        assert_int_equal(n_got, 2);
        assert_ptr_equal(got[0].client, &c2);
        assert_int_equal(got[0].stream, 3);
        assert_int_equal(got[0].len, 3);
        assert_ptr_equal(got[1].client, &c1);
        assert_int_equal(got[1].stream, 1);
        assert_int_equal(mux_inflight(&f->m), 1);

        /* A client gone: its reply is dropped, nobody else's is affected. */
        mux_drop_client(&f->m, &c2);
        test_frame_raw(&agent, 0, 3, TTRPC_TYPE_RESPONSE, 0, NULL, 0);
        assert_int_equal(route_upstream_input(&f->m, &d, &agent, deliver, NULL), 0);
        assert_int_equal(n_got, 2);
        /* A partial frame waits; an out-of-sync header is an error. */
        test_frame_raw(&agent, 0x7f000000, 1, TTRPC_TYPE_RESPONSE, 0, NULL, 0);
        assert_int_equal(route_upstream_input(&f->m, &d, &agent, deliver, NULL), -EPROTO);
        buf_free(&agent);
}

static void expect_reply(struct buf *replies, uint32_t stream, int code, const char *contains)
{
        struct ttrpc_reply r;
        assert_int_equal(test_next_reply(replies, &r), 0);
        assert_int_equal(r.stream_id, stream);
        assert_int_equal(r.code, code);
        if (!strstr(r.message, contains))
                fail_msg("reply `%s` lacks `%s`", r.message, contains);
        ttrpc_reply_clear(&r);
}

static void test_route_refusals(void **state)
{
        struct fixture *f = *state;

        test_frame_request_raw(&f->in, 2, "grpc.Health", "Check", NULL, 0, 0);
        test_frame_request_raw(&f->in, 5, "grpc.Health", "Check", NULL, 0, 0);
        test_frame_request_raw(&f->in, 5, "grpc.Health", "Check", NULL, 0, 0);
        test_frame_raw(&f->in, 0, 7, TTRPC_TYPE_DATA, TTRPC_FLAG_REMOTE_CLOSED | TTRPC_FLAG_NO_DATA, NULL, 0);
        test_frame_raw(&f->in, 1, 7, TTRPC_TYPE_DATA, 0, "x", 1);
        test_frame_raw(&f->in, 0, 9, TTRPC_TYPE_RESPONSE, 0, NULL, 0);
        /* Over 4 MiB: refused without forwarding, its ID counts as used. */
        test_frame_raw(&f->in, TTRPC_MESSAGE_MAX + 1, 11, TTRPC_TYPE_REQUEST, 0, NULL, 0);
        assert_int_equal(route_client_input(&f->up, &f->rc1, &f->in, &f->replies), ROUTE_MORE);
        assert_int_equal(f->rc1.decoder.skip, TTRPC_MESSAGE_MAX + 1);
        uint8_t *zeros = calloc(1, TTRPC_MESSAGE_MAX + 1);
        assert_int_equal(buf_append(&f->in, zeros, TTRPC_MESSAGE_MAX + 1, 2 * TTRPC_MESSAGE_MAX), 0);
        free(zeros);
        test_frame_request_raw(&f->in, 11, "grpc.Health", "Check", NULL, 0, 0);
        assert_int_equal(route_client_input(&f->up, &f->rc1, &f->in, &f->replies), ROUTE_MORE);

        expect_reply(&f->replies, 2, GRPC_INVALID_ARGUMENT, "is even");
        expect_reply(&f->replies, 5, GRPC_INVALID_ARGUMENT, "cannot be reused");
        expect_reply(&f->replies, 7, GRPC_INVALID_ARGUMENT, "data frame on stream 7");
        expect_reply(&f->replies, 11, GRPC_RESOURCE_EXHAUSTED, "exceeds maximum message size of 4194304");
        expect_reply(&f->replies, 11, GRPC_INVALID_ARGUMENT, "cannot be reused");
        assert_int_equal(buf_len(&f->replies), 0);
        /* Only stream 5 went to the agent. */
        struct ttrpc_header h;
        next_frame(&f->up_out, &h);
        assert_int_equal(h.stream_id, 1);
        assert_int_equal(buf_len(&f->up_out), 0);

        /* Agent down: UNAVAILABLE at once. */
        f->up.connected = false;
        test_frame_request_raw(&f->in, 13, "grpc.Health", "Check", NULL, 0, 0);
        assert_int_equal(route_client_input(&f->up, &f->rc1, &f->in, &f->replies), ROUTE_MORE);
        expect_reply(&f->replies, 13, GRPC_UNAVAILABLE, "down");

        /* An insane header: refused, and the client is to be closed. */
        test_frame_raw(&f->in, 0x7f000000, 15, TTRPC_TYPE_REQUEST, 0, NULL, 0);
        assert_int_equal(route_client_input(&f->up, &f->rc1, &f->in, &f->replies), ROUTE_CLOSE);
        expect_reply(&f->replies, 15, GRPC_RESOURCE_EXHAUSTED, "out of sync");
}

static void test_route_limits_and_pause(void **state)
{
        struct fixture *f = *state;
        f->m.max = 2;
        for (uint32_t s = 1; s <= 5; s += 2)
                test_frame_request_raw(&f->in, s, "grpc.Health", "Check", NULL, 0, 0);
        assert_int_equal(route_client_input(&f->up, &f->rc1, &f->in, &f->replies), ROUTE_MORE);
        expect_reply(&f->replies, 5, GRPC_RESOURCE_EXHAUSTED, "too many requests in flight");

        /* Upstream queue over its mark: input is left unread. */
        uint8_t *big = calloc(1, ROUTE_UP_HIGH + 1);
        assert_int_equal(buf_append(&f->up_out, big, ROUTE_UP_HIGH + 1, ROUTE_UP_MAX), 0);
        free(big);
        test_frame_request_raw(&f->in, 7, "grpc.Health", "Check", NULL, 0, 0);
        size_t before = buf_len(&f->in);
        assert_int_equal(route_client_input(&f->up, &f->rc1, &f->in, &f->replies), ROUTE_PAUSE_UPSTREAM);
        assert_int_equal(buf_len(&f->in), before);

        /* Replies piling up: likewise. */
        buf_consume(&f->up_out, buf_len(&f->up_out));
        big = calloc(1, ROUTE_REPLY_HIGH + 1);
        assert_int_equal(buf_append(&f->replies, big, ROUTE_REPLY_HIGH + 1, ROUTE_REPLY_MAX), 0);
        free(big);
        assert_int_equal(route_client_input(&f->up, &f->rc1, &f->in, &f->replies), ROUTE_PAUSE_REPLIES);
        assert_int_equal(buf_len(&f->in), before);

        /* IDs used up: UNAVAILABLE asking to retry. */
        buf_consume(&f->replies, buf_len(&f->replies));
        f->m.max = MUX_INFLIGHT_MAX;
        f->m.id_limit = 4;
        assert_int_equal(route_client_input(&f->up, &f->rc1, &f->in, &f->replies), ROUTE_MORE);
        expect_reply(&f->replies, 7, GRPC_UNAVAILABLE, "retry");
}

/* --- handshake -------------------------------------------------------------- */

static void test_handshake_detect(void **state)
{
        uint32_t port = 0;
        size_t used = 0;
        const uint8_t frame[] = { 0, 0, 0, 0, 0, 0, 0, 1, 1, 0 };

        assert_int_equal(handshake_detect(frame, sizeof frame, &port, &used), HANDSHAKE_TTRPC);
        assert_int_equal(handshake_detect((const uint8_t *)"", 0, &port, &used), HANDSHAKE_NEED_MORE);
        assert_int_equal(handshake_detect((const uint8_t *)"CONN", 4, &port, &used), HANDSHAKE_NEED_MORE);
        assert_int_equal(handshake_detect((const uint8_t *)"CONNECT 10", 10, &port, &used), HANDSHAKE_NEED_MORE);
        const char *line = "CONNECT 1024\nxyz";
        assert_int_equal(handshake_detect((const uint8_t *)line, strlen(line), &port, &used), HANDSHAKE_CONNECT);
        assert_int_equal(port, 1024);
        assert_int_equal(used, 13);
        line = "CONNECT 4294967295\r\n";
        assert_int_equal(handshake_detect((const uint8_t *)line, strlen(line), &port, &used), HANDSHAKE_CONNECT);
        assert_int_equal(port, UINT32_MAX);
        const char *bad[] = { "CONNECT \n", "CONNECT 4294967296\n", "CONNECT 12a\n", "CONNECT -1\n",
                              "CONNECT 99999999999\n" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_int_equal(handshake_detect((const uint8_t *)bad[i], strlen(bad[i]), &port, &used),
                                 HANDSHAKE_BAD);
        char longline[HANDSHAKE_LINE_MAX + 1];
        memset(longline, '1', sizeof longline);
        memcpy(longline, "CONNECT ", 8);
        assert_int_equal(handshake_detect((const uint8_t *)longline, sizeof longline, &port, &used),
                         HANDSHAKE_BAD);
        /* Not the prefix: left to the frame decoder. */
        assert_int_equal(handshake_detect((const uint8_t *)"CONNEXT", 7, &port, &used), HANDSHAKE_TTRPC);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ids_odd_increasing),
                cmocka_unit_test(test_route_back),
                cmocka_unit_test(test_table_churn),
                cmocka_unit_test(test_drop_client),
                cmocka_unit_test(test_client_stream_checks),
                cmocka_unit_test(test_wrap_and_reset),
                cmocka_unit_test_setup_teardown(test_route_rewrites_both_ways, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_route_refusals, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_route_limits_and_pause, fixture_setup, fixture_teardown),
                cmocka_unit_test(test_handshake_detect),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
