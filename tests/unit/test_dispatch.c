/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ttrpc server's protocol rules, on a detached connection: frames go in
 * through conn_feed(), replies are read back from the output queue.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "health.pb-c.h"
#include "kinglet.pb-c.h"
#include "rpc.h"
#include "server_fixture.h"
#include "util.h"


/* What the "park" behaviour of the test handler saw. */
static struct {
        struct ttrpc_call *call;
        int cancel_reason;
        int cancels;
        char metadata[64];
} parked;

static void on_cancel(struct ttrpc_call *call, void *data, int reason)
{
        (void)call;
        (void)data;
        parked.cancel_reason = reason;
        parked.cancels++;
        parked.call = NULL;
}

/* grpc.Health/Version doubles as a handler whose behaviour CheckRequest.service picks. */
static int behaviour_handler(struct ttrpc_call *call, const ProtobufCMessage *request, void *ud)
{
        const Grpc__CheckRequest *req = (const Grpc__CheckRequest *)request;
        const char *what = req->service ? req->service : "";
        (void)ud;

        if (streq(what, "park")) {
                parked.call = call;
                const char *m = ttrpc_call_metadata(call, "x-test");
                snprintf(parked.metadata, sizeof parked.metadata, "%s", m ? m : "");
                return ttrpc_call_park(call, on_cancel, NULL);
        }
        if (streq(what, "errno"))
                return -ENOENT;
        if (streq(what, "fail"))
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION, "nope: %d", 42);
        if (streq(what, "wrongtype")) {
                Grpc__HealthCheckResponse wrong = GRPC__HEALTH_CHECK_RESPONSE__INIT;
                return ttrpc_call_reply(call, &wrong.base);
        }
        if (streq(what, "huge")) {
                size_t n = TTRPC_MESSAGE_MAX + 16;
                char *big = malloc(n + 1);
                memset(big, 'x', n);
                big[n] = '\0';
                Grpc__VersionCheckResponse resp = GRPC__VERSION_CHECK_RESPONSE__INIT;
                resp.agent_version = big;
                int r = ttrpc_call_reply(call, &resp.base);
                free(big);
                return r;
        }
        Grpc__VersionCheckResponse resp = GRPC__VERSION_CHECK_RESPONSE__INIT;
        resp.agent_version = (char *)"test";
        return ttrpc_call_reply(call, &resp.base);
}

static const struct ttrpc_method_handler health_handlers[] = {
        { "Check", rpc_health_check },
        { "Version", behaviour_handler },
};
static const struct ttrpc_method_handler debug_handlers[] = {
        { "Sleep", rpc_debug_sleep },
};

static int setup(void **state)
{
        struct server_fixture *f = server_fixture_new();
        struct ttrpc_service health = { &grpc__health__descriptor, health_handlers, 2, NULL };
        struct ttrpc_service debug = { &kinglet__debug__descriptor, debug_handlers, 1, NULL };
        struct ttrpc_service agent = { &grpc__agent_service__descriptor, NULL, 0, NULL };
        assert_int_equal(ttrpc_server_register(f->server, &health), 0);
        assert_int_equal(ttrpc_server_register(f->server, &debug), 0);
        assert_int_equal(ttrpc_server_register(f->server, &agent), 0);
        memset(&parked, 0, sizeof parked);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        server_fixture_free(*state);
        return 0;
}

static void send_check(struct server_fixture *f, uint32_t stream)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        test_frame_request(&f->in, stream, 0, "grpc.Health", "Check", &req.base, 0);
        fixture_feed(f);
}

static void send_behaviour(struct server_fixture *f, uint32_t stream, const char *what, int64_t timeout)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        req.service = (char *)what;
        test_frame_request(&f->in, stream, 0, "grpc.Health", "Version", &req.base, timeout);
        fixture_feed(f);
}

static void send_sleep(struct server_fixture *f, uint32_t stream, uint64_t ms, const char *echo, int64_t timeout)
{
        Kinglet__SleepRequest req = KINGLET__SLEEP_REQUEST__INIT;
        req.milliseconds = ms;
        req.echo.data = (uint8_t *)echo;
        req.echo.len = strlen(echo);
        test_frame_request(&f->in, stream, 0, "kinglet.Debug", "Sleep", &req.base, timeout);
        fixture_feed(f);
}

static void expect_serving(struct server_fixture *f, uint32_t stream)
{
        Grpc__HealthCheckResponse *resp = (Grpc__HealthCheckResponse *)fixture_expect_ok(
                f, stream, &grpc__health_check_response__descriptor);
        assert_int_equal(resp->status, GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void test_check_ok(void **state)
{
        struct server_fixture *f = *state;
        send_check(f, 1);
        expect_serving(f, 1);
        fixture_expect_none(f);
        assert_int_equal(ttrpc_server_stats(f->server)->requests, 1);
}

static void test_unknown_service(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        test_frame_request(&f->in, 1, 0, "grpc.Nope", "Check", NULL, 0);
        fixture_feed(f);
        fixture_expect(f, 1, GRPC_UNIMPLEMENTED, &r);
        assert_non_null(strstr(r.message, "grpc.Nope"));
        ttrpc_reply_clear(&r);
        send_check(f, 3);
        expect_serving(f, 3);
}

static void test_unknown_method(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        test_frame_request(&f->in, 1, 0, "grpc.Health", "Watch", NULL, 0);
        fixture_feed(f);
        fixture_expect(f, 1, GRPC_UNIMPLEMENTED, &r);
        assert_non_null(strstr(r.message, "`Watch`"));
        assert_non_null(strstr(r.message, "grpc.Health"));
        ttrpc_reply_clear(&r);
}

static void test_declared_but_unimplemented(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        test_frame_request(&f->in, 1, 0, "grpc.AgentService", "CreateContainer", NULL, 0);
        fixture_feed(f);
        fixture_expect(f, 1, GRPC_UNIMPLEMENTED, &r);
        assert_non_null(strstr(r.message, "grpc.AgentService/CreateContainer is not implemented"));
        ttrpc_reply_clear(&r);
}

static void test_every_agent_rpc_is_declared(void **state)
{
        (void)state;
        /* The Kata API has 42 AgentService RPCs; each must resolve, not be "unknown method". */
        assert_int_equal(grpc__agent_service__descriptor.n_methods, 42);
        assert_string_equal(grpc__agent_service__descriptor.name, "grpc.AgentService");
        assert_string_equal(grpc__health__descriptor.name, "grpc.Health");
}

static void test_garbage_envelope(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
        test_frame_raw(&f->in, sizeof junk, 1, TTRPC_TYPE_REQUEST, 0, junk, sizeof junk);
        fixture_feed(f);
        fixture_expect(f, 1, GRPC_INVALID_ARGUMENT, &r);
        assert_non_null(strstr(r.message, "not a ttrpc.Request"));
        ttrpc_reply_clear(&r);
        send_check(f, 3);
        expect_serving(f, 3);
}

static void test_garbage_payload(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        static const uint8_t junk[] = { 0x0a, 0x7f, 0x01 }; /* field 1 claims 127 bytes */
        test_frame_request_raw(&f->in, 1, "grpc.Health", "Check", junk, sizeof junk, 0);
        fixture_feed(f);
        fixture_expect(f, 1, GRPC_INVALID_ARGUMENT, &r);
        assert_non_null(strstr(r.message, "does not decode as grpc.CheckRequest"));
        ttrpc_reply_clear(&r);
}

static void test_even_stream_id(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        test_frame_request(&f->in, 2, 0, "grpc.Health", "Check", &req.base, 0);
        fixture_feed(f);
        fixture_expect(f, 2, GRPC_INVALID_ARGUMENT, &r);
        assert_non_null(strstr(r.message, "even"));
        ttrpc_reply_clear(&r);
        send_check(f, 1);
        expect_serving(f, 1);
}

static void test_reused_stream_id(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        send_check(f, 3);
        expect_serving(f, 3);
        send_check(f, 3);
        fixture_expect(f, 3, GRPC_INVALID_ARGUMENT, &r);
        assert_non_null(strstr(r.message, "reused"));
        ttrpc_reply_clear(&r);
        send_check(f, 1); /* lower than the last one: also refused */
        fixture_expect(f, 1, GRPC_INVALID_ARGUMENT, NULL);
        send_check(f, 5);
        expect_serving(f, 5);
}

static void test_oversized_frame_keeps_connection(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        uint32_t len = TTRPC_MESSAGE_MAX + 1;
        uint8_t *body = calloc(1, len);
        assert_non_null(body);
        test_frame_raw(&f->in, len, 1, TTRPC_TYPE_REQUEST, 0, NULL, 0);
        fixture_feed(f);
        fixture_expect(f, 1, GRPC_RESOURCE_EXHAUSTED, &r);
        assert_non_null(strstr(r.message, "exceeds maximum message size"));
        ttrpc_reply_clear(&r);
        /* The body arrives in pieces and is skipped, not parsed. */
        conn_feed(f->conn, body, len / 3);
        conn_feed(f->conn, body + len / 3, len - len / 3);
        free(body);
        fixture_expect_none(f);
        assert_false(f->conn->closing);
        send_check(f, 3);
        expect_serving(f, 3);
        send_check(f, 1); /* the oversized request used up ID 1 */
        fixture_expect(f, 1, GRPC_INVALID_ARGUMENT, NULL);
}

static void test_insane_header_closes(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        test_frame_raw(&f->in, 0x7fffffff, 1, TTRPC_TYPE_REQUEST, 0, NULL, 0);
        fixture_feed(f);
        fixture_expect(f, 1, GRPC_RESOURCE_EXHAUSTED, &r);
        ttrpc_reply_clear(&r);
        assert_true(f->conn->closing);
        send_check(f, 3); /* ignored: the stream is out of sync */
        fixture_expect_none(f);
}

static void test_split_and_merged_frames(void **state)
{
        struct server_fixture *f = *state;
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        test_frame_request(&f->in, 1, 0, "grpc.Health", "Check", &req.base, 0);
        test_frame_request(&f->in, 3, 0, "grpc.Health", "Check", &req.base, 0);
        test_frame_request(&f->in, 5, 0, "grpc.Health", "Check", &req.base, 0);
        /* Byte by byte for the first two frames' worth, then the rest at once. */
        size_t total = buf_len(&f->in), i = 0;
        for (; i < total * 2 / 3; i++)
                conn_feed(f->conn, buf_head(&f->in) + i, 1);
        conn_feed(f->conn, buf_head(&f->in) + i, total - i);
        buf_consume(&f->in, total);
        expect_serving(f, 1);
        expect_serving(f, 3);
        expect_serving(f, 5);
        fixture_expect_none(f);
}

static void test_other_frame_types(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        test_frame_raw(&f->in, 0, 1, TTRPC_TYPE_DATA, TTRPC_FLAG_REMOTE_CLOSED | TTRPC_FLAG_NO_DATA, NULL, 0);
        fixture_feed(f);
        fixture_expect(f, 1, GRPC_INVALID_ARGUMENT, &r);
        assert_non_null(strstr(r.message, "data frame"));
        ttrpc_reply_clear(&r);
        /* Unknown types and stray Responses are ignored, as containerd's server does. */
        test_frame_raw(&f->in, 3, 7, 0x09, 0, "abc", 3);
        test_frame_raw(&f->in, 0, 9, TTRPC_TYPE_RESPONSE, 0, NULL, 0);
        fixture_feed(f);
        fixture_expect_none(f);
        send_check(f, 11);
        expect_serving(f, 11);
}

static void test_close_send_for_inflight_call_ignored(void **state)
{
        struct server_fixture *f = *state;
        send_sleep(f, 1, 20, "x", 0);
        test_frame_raw(&f->in, 0, 1, TTRPC_TYPE_DATA, TTRPC_FLAG_REMOTE_CLOSED | TTRPC_FLAG_NO_DATA, NULL, 0);
        fixture_feed(f);
        fixture_expect_none(f);
        fixture_run(f, 2000);
        fixture_expect(f, 1, GRPC_OK, NULL); /* one answer, the real one */
        fixture_expect_none(f);
}

static void test_streaming_request_refused(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        test_frame_request(&f->in, 1, TTRPC_FLAG_REMOTE_OPEN, "grpc.Health", "Check", &req.base, 0);
        fixture_feed(f);
        fixture_expect(f, 1, GRPC_UNIMPLEMENTED, &r);
        assert_non_null(strstr(r.message, "unary"));
        ttrpc_reply_clear(&r);
}

static void test_handler_errors(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        send_behaviour(f, 1, "errno", 0);
        fixture_expect(f, 1, GRPC_NOT_FOUND, &r);
        assert_non_null(strstr(r.message, "Version"));
        ttrpc_reply_clear(&r);
        send_behaviour(f, 3, "fail", 0);
        fixture_expect(f, 3, GRPC_FAILED_PRECONDITION, &r);
        assert_string_equal(r.message, "nope: 42");
        ttrpc_reply_clear(&r);
        send_behaviour(f, 5, "wrongtype", 0);
        fixture_expect(f, 5, GRPC_INTERNAL, &r);
        assert_non_null(strstr(r.message, "instead of"));
        ttrpc_reply_clear(&r);
        send_behaviour(f, 7, "huge", 0);
        fixture_expect(f, 7, GRPC_RESOURCE_EXHAUSTED, &r);
        assert_non_null(strstr(r.message, "message limit"));
        ttrpc_reply_clear(&r);
        assert_int_equal(ttrpc_server_stats(f->server)->requests_failed, 4);
}

static void test_out_of_order_replies(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        send_sleep(f, 1, 30, "slow", 0);
        send_sleep(f, 3, 0, "instant", 0);
        send_check(f, 5);
        fixture_expect(f, 3, GRPC_OK, &r);
        ttrpc_reply_clear(&r);
        expect_serving(f, 5);
        fixture_expect_none(f);
        fixture_run(f, 2000);
        fixture_expect(f, 1, GRPC_OK, &r);
        Kinglet__SleepResponse *resp = (Kinglet__SleepResponse *)protobuf_c_message_unpack(
                &kinglet__sleep_response__descriptor, NULL, r.payload_len, r.payload);
        assert_non_null(resp);
        assert_int_equal(resp->echo.len, 4);
        assert_memory_equal(resp->echo.data, "slow", 4);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        ttrpc_reply_clear(&r);
}

static void test_deadline_exceeded(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_reply r;
        uint64_t start = now_ns();
        send_sleep(f, 1, 60000, "never", 20 * (int64_t)NSEC_PER_MSEC);
        fixture_expect_none(f);
        fixture_run(f, 2000);
        fixture_expect(f, 1, GRPC_DEADLINE_EXCEEDED, &r);
        assert_true(now_ns() - start >= 20 * NSEC_PER_MSEC);
        assert_non_null(strstr(r.message, "0.020s"));
        ttrpc_reply_clear(&r);
        assert_int_equal(f->conn->n_calls, 0);
}

static void test_negative_timeout_expires_at_once(void **state)
{
        struct server_fixture *f = *state;
        send_behaviour(f, 1, "park", -1);
        assert_non_null(parked.call);
        fixture_run(f, 1000);
        fixture_expect(f, 1, GRPC_DEADLINE_EXCEEDED, NULL);
        assert_int_equal(parked.cancels, 1);
        assert_int_equal(parked.cancel_reason, -ETIMEDOUT);
}

static void test_parked_call_answered_later(void **state)
{
        struct server_fixture *f = *state;
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        Ttrpc__KeyValue kv = TTRPC__KEY_VALUE__INIT, *kvs[] = { &kv };
        kv.key = (char *)"X-Test";
        kv.value = (char *)"hello";
        req.service = (char *)"park";
        /* Build the envelope by hand to carry metadata. */
        uint8_t payload[64];
        size_t n = protobuf_c_message_pack(&req.base, payload);
        Ttrpc__Request env = TTRPC__REQUEST__INIT;
        env.service = (char *)"grpc.Health";
        env.method = (char *)"Version";
        env.payload.data = payload;
        env.payload.len = n;
        env.n_metadata = 1;
        env.metadata = kvs;
        uint8_t frame[256];
        size_t en = protobuf_c_message_pack(&env.base, frame);
        test_frame_raw(&f->in, (uint32_t)en, 1, TTRPC_TYPE_REQUEST, 0, frame, en);
        fixture_feed(f);
        assert_non_null(parked.call);
        assert_string_equal(parked.metadata, "hello");
        assert_int_equal(ttrpc_call_stream_id(parked.call), 1);
        assert_string_equal(ttrpc_call_method(parked.call), "Version");
        assert_string_equal(ttrpc_call_service(parked.call), "grpc.Health");
        assert_int_equal(ttrpc_call_deadline(parked.call), 0);
        fixture_expect_none(f);
        Grpc__VersionCheckResponse resp = GRPC__VERSION_CHECK_RESPONSE__INIT;
        resp.agent_version = (char *)"later";
        assert_int_equal(ttrpc_call_reply(parked.call, &resp.base), TTRPC_DONE);
        fixture_expect(f, 1, GRPC_OK, NULL);
        assert_int_equal(parked.cancels, 0);
}

static void test_close_cancels_parked_calls(void **state)
{
        struct server_fixture *f = *state;
        send_behaviour(f, 1, "park", 0);
        send_sleep(f, 3, 60000, "x", 0);
        assert_int_equal(f->conn->n_calls, 2);
        conn_kill(f->conn, "test");
        assert_int_equal(parked.cancels, 1);
        assert_int_equal(parked.cancel_reason, -ECONNRESET);
        assert_int_equal(f->conn->n_calls, 0);
}

static void test_server_free_cancels_with_shutdown(void **state)
{
        struct server_fixture *f = *state;
        send_behaviour(f, 1, "park", 0);
        ttrpc_server_free(f->server);
        f->server = NULL;
        assert_int_equal(parked.cancel_reason, -ESHUTDOWN);
        /* teardown frees a server again: give it an empty one */
        assert_int_equal(ttrpc_server_new(f->loop, &f->server), 0);
}

static void test_inflight_limit(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_limits l = {
                .max_connections = 8, .max_calls_per_conn = 2,
                .out_high_water = 1 << 20, .out_low_water = 1 << 10, .out_max = 1 << 24,
        };
        struct ttrpc_reply r;
        ttrpc_server_set_limits(f->server, &l);
        send_sleep(f, 1, 60000, "a", 0);
        send_sleep(f, 3, 60000, "b", 0);
        send_sleep(f, 5, 60000, "c", 0);
        fixture_expect(f, 5, GRPC_RESOURCE_EXHAUSTED, &r);
        assert_non_null(strstr(r.message, "limit 2"));
        ttrpc_reply_clear(&r);
        assert_int_equal(f->conn->n_calls, 2);
}

/* A reply that does not fit under out_max closes the connection, from a handler and from a timer. */
static void test_reply_over_queue_limit(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_limits l = {
                .max_connections = 8, .max_calls_per_conn = 8,
                .out_high_water = 512, .out_low_water = 256, .out_max = 1024,
        };
        static char big[4096];
        memset(big, 'e', sizeof big - 1);
        ttrpc_server_set_limits(f->server, &l);
        send_sleep(f, 1, 0, big, 0); /* answered inside the handler */
        assert_true(f->conn->doomed);
        /* Later requests on the doomed connection are not served. */
        send_check(f, 3);
        fixture_expect_none(f);
        assert_int_equal(loop_run_once(f->loop, 0), 0);
        assert_int_equal(ttrpc_server_n_connections(f->server), 0);
}

static void test_timer_replies_over_queue_limit(void **state)
{
        struct server_fixture *f = *state;
        struct ttrpc_limits l = {
                .max_connections = 8, .max_calls_per_conn = 8,
                .out_high_water = 512, .out_low_water = 256, .out_max = 1024,
        };
        static char echo[400];
        memset(echo, 'e', sizeof echo - 1);
        ttrpc_server_set_limits(f->server, &l);
        for (uint32_t i = 0; i < 4; i++)
                send_sleep(f, 2 * i + 1, 1, echo, 0);
        assert_int_equal(f->conn->n_calls, 4);
        /* All four timers fire in one pass; the third reply overflows. */
        usleep(5 * 1000);
        assert_int_equal(loop_run_once(f->loop, 0), 0);
        assert_int_equal(ttrpc_server_n_connections(f->server), 0);
}

static void test_register_errors(void **state)
{
        struct server_fixture *f = *state;
        static const struct ttrpc_method_handler typo[] = { { "Chekc", rpc_health_check } };
        struct ttrpc_service dup = { &grpc__health__descriptor, NULL, 0, NULL };
        struct ttrpc_service bad = { &kinglet__debug__descriptor, typo, 1, NULL };
        assert_int_equal(ttrpc_server_register(f->server, &dup), -EEXIST);
        /* Debug is already registered too; use a fresh server for the typo check. */
        struct ttrpc_server *s;
        assert_int_equal(ttrpc_server_new(f->loop, &s), 0);
        assert_int_equal(ttrpc_server_register(s, &bad), -EINVAL);
        ttrpc_server_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(test_check_ok),
                T(test_unknown_service),
                T(test_unknown_method),
                T(test_declared_but_unimplemented),
                T(test_every_agent_rpc_is_declared),
                T(test_garbage_envelope),
                T(test_garbage_payload),
                T(test_even_stream_id),
                T(test_reused_stream_id),
                T(test_oversized_frame_keeps_connection),
                T(test_insane_header_closes),
                T(test_split_and_merged_frames),
                T(test_other_frame_types),
                T(test_close_send_for_inflight_call_ignored),
                T(test_streaming_request_refused),
                T(test_handler_errors),
                T(test_out_of_order_replies),
                T(test_deadline_exceeded),
                T(test_negative_timeout_expires_at_once),
                T(test_parked_call_answered_later),
                T(test_close_cancels_parked_calls),
                T(test_server_free_cancels_with_shutdown),
                T(test_inflight_limit),
                T(test_reply_over_queue_limit),
                T(test_timer_replies_over_queue_limit),
                T(test_register_errors),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
