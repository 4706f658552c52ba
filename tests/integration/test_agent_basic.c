/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The real agent on a unix socket: health, versions, guest details, many
 * connections at once, out-of-order replies, configuration precedence,
 * command-line errors, log format. Each test starts its own agent and ends by
 * stopping it, which must be a clean exit 0 (under ASan: no leak, no error).
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
#include <sys/wait.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "agent_proc.h"
#include "health.pb-c.h"
#include "kinglet.pb-c.h"
#include "util.h"

static void test_check_and_version(void **state)
{
        struct agent_proc *a = *state;
        struct ttrpc_client *c = agent_connect(a);
        assert_int_equal(agent_check(c), GRPC_OK);

        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        ProtobufCMessage *m = NULL;
        assert_int_equal(ttrpc_client_call(c, "grpc.Health", "Version", &req.base,
                                           &grpc__version_check_response__descriptor,
                                           5 * (int64_t)NSEC_PER_SEC, &st, &m, &e), 0);
        assert_int_equal(st.code, GRPC_OK);
        Grpc__VersionCheckResponse *v = (Grpc__VersionCheckResponse *)m;
        assert_string_equal(v->agent_version, KINGLET_VERSION);
        assert_string_equal(v->grpc_version, "0.0.1");
        protobuf_c_message_free_unpacked(m, NULL);
        ttrpc_client_free(c);
        assert_true(agent_log_contains(a, "msg=\"kinglet-agent ready\""));
        assert_true(agent_log_contains(a, "level=debug"));
}

static void test_ctl_human_and_json(void **state)
{
        struct agent_proc *a = *state;
        char out[4096];
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "check", NULL }, out, sizeof out), 0);
        assert_string_equal(out, "SERVING\n");
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "--json", "version", NULL }, out, sizeof out), 0);
        assert_string_equal(out, "{\"agent_version\":\"" KINGLET_VERSION "\",\"grpc_version\":\"0.0.1\"}\n");
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "--json", "guest-details", NULL }, out, sizeof out), 0);
        assert_non_null(strstr(out, "\"init_daemon\":false"));
        assert_non_null(strstr(out, "\"storage_handlers\":[\"ephemeral\",\"local\",\"bind\",\"virtio-fs\",\"9p\","
                                   "\"overlayfs\",\"watchable-bind\",\"blk\",\"mmioblk\",\"scsi\",\"nvdimm\"]"));
        assert_non_null(strstr(out, "\"device_handlers\":["));
        /* A refused request: exit code is the gRPC code, JSON carries the status. */
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "--json", "call", "grpc.AgentService",
                                                   "MemAgentMemcgSet", NULL }, out, sizeof out), GRPC_UNIMPLEMENTED);
        assert_non_null(strstr(out, "\"status\":\"UNIMPLEMENTED\""));
}

static void test_guest_details_reports_sysfs(void **state)
{
        struct agent_proc *a = *state;
        char expect[64] = "0";
        char sysfs[64];
        uint64_t block = 0;
        if (read_small_file("/sys/devices/system/memory/block_size_bytes", sysfs, sizeof sysfs, NULL) == 0)
                assert_int_equal(parse_u64(strstrip_trailing(sysfs), 16, &block), 0);
        snprintf(expect, sizeof expect, "\"mem_block_size_bytes\":%llu", (unsigned long long)block);
        char out[4096];
        assert_int_equal(run_ctl((const char *[]){ "--addr", a->addr, "--json", "guest-details",
                                                   "--mem-block-size", NULL }, out, sizeof out), 0);
        assert_non_null(strstr(out, expect));
}

/* 50 connections, each with 20 requests in flight at once. */
static void test_fifty_concurrent_connections(void **state)
{
        enum { CONNS = 50, PER_CONN = 20 };
        struct agent_proc *a = *state;
        struct ttrpc_client *c[CONNS];
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;

        for (int i = 0; i < CONNS; i++) {
                c[i] = agent_connect(a);
                assert_non_null(c[i]);
        }
        for (int k = 0; k < PER_CONN; k++)
                for (int i = 0; i < CONNS; i++)
                        assert_int_equal(ttrpc_client_send(c[i], "grpc.Health", "Check", &req.base, 0, NULL), 0);
        for (int i = 0; i < CONNS; i++) {
                bool seen[PER_CONN] = { false };
                for (int k = 0; k < PER_CONN; k++) {
                        struct ttrpc_reply r;
                        assert_int_equal(ttrpc_client_recv(c[i], 5000, &r), 0);
                        assert_int_equal(r.code, GRPC_OK);
                        assert_true(r.stream_id % 2 == 1 && r.stream_id < 2 * PER_CONN);
                        assert_false(seen[r.stream_id / 2]);
                        seen[r.stream_id / 2] = true;
                        Grpc__HealthCheckResponse *h = (Grpc__HealthCheckResponse *)protobuf_c_message_unpack(
                                &grpc__health_check_response__descriptor, NULL, r.payload_len, r.payload);
                        assert_non_null(h);
                        assert_int_equal(h->status, GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
                        protobuf_c_message_free_unpacked(&h->base, NULL);
                        ttrpc_reply_clear(&r);
                }
        }
        for (int i = 0; i < CONNS; i++)
                ttrpc_client_free(c[i]);
}

static void send_sleep(struct ttrpc_client *c, uint64_t ms, const char *echo)
{
        Kinglet__SleepRequest req = KINGLET__SLEEP_REQUEST__INIT;
        req.milliseconds = ms;
        req.echo.data = (uint8_t *)echo;
        req.echo.len = strlen(echo);
        assert_int_equal(ttrpc_client_send(c, "kinglet.Debug", "Sleep", &req.base, 0, NULL), 0);
}

static void test_out_of_order_replies(void **state)
{
        struct agent_proc *a = *state;
        struct ttrpc_client *c = agent_connect(a);
        Grpc__CheckRequest check = GRPC__CHECK_REQUEST__INIT;
        static const uint32_t order[] = { 5, 3, 1 };
        static const char *const echo[] = { NULL, "medium", "slow" };

        send_sleep(c, 400, "slow");   /* stream 1 */
        send_sleep(c, 100, "medium"); /* stream 3 */
        assert_int_equal(ttrpc_client_send(c, "grpc.Health", "Check", &check.base, 0, NULL), 0);
        for (size_t i = 0; i < 3; i++) {
                struct ttrpc_reply r;
                assert_int_equal(ttrpc_client_recv(c, 5000, &r), 0);
                assert_int_equal(r.stream_id, order[i]);
                assert_int_equal(r.code, GRPC_OK);
                if (echo[i]) {
                        Kinglet__SleepResponse *s = (Kinglet__SleepResponse *)protobuf_c_message_unpack(
                                &kinglet__sleep_response__descriptor, NULL, r.payload_len, r.payload);
                        assert_non_null(s);
                        assert_int_equal(s->echo.len, strlen(echo[i]));
                        assert_memory_equal(s->echo.data, echo[i], s->echo.len);
                        protobuf_c_message_free_unpacked(&s->base, NULL);
                }
                ttrpc_reply_clear(&r);
        }
        /* A parked request with a deadline is answered DEADLINE_EXCEEDED, and only it. */
        Kinglet__SleepRequest req = KINGLET__SLEEP_REQUEST__INIT;
        req.milliseconds = 10000;
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        assert_int_equal(ttrpc_client_call(c, "kinglet.Debug", "Sleep", &req.base, NULL,
                                           50 * (int64_t)NSEC_PER_MSEC, &st, NULL, &e), 0);
        assert_int_equal(st.code, GRPC_DEADLINE_EXCEEDED);
        assert_int_equal(agent_check(c), GRPC_OK);
        ttrpc_client_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, agent_test_setup, agent_test_teardown)
                T(test_check_and_version),
                T(test_ctl_human_and_json),
                T(test_guest_details_reports_sysfs),
                T(test_fifty_concurrent_connections),
                T(test_out_of_order_replies),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
