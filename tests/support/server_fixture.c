/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "server_fixture.h"
#include "util.h"

struct server_fixture *server_fixture_new(void)
{
        struct server_fixture *f = calloc(1, sizeof *f);
        assert_non_null(f);
        assert_int_equal(loop_new(&f->loop), 0);
        assert_int_equal(ttrpc_server_new(f->loop, &f->server), 0);
        assert_int_equal(conn_new(f->server, -1, "test", false, &f->conn), 0);
        return f;
}

void server_fixture_free(struct server_fixture *f)
{
        if (!f)
                return;
        ttrpc_server_free(f->server);
        loop_free(f->loop);
        buf_free(&f->in);
        free(f);
}

void fixture_feed(struct server_fixture *f)
{
        conn_feed(f->conn, buf_head(&f->in), buf_len(&f->in));
        buf_consume(&f->in, buf_len(&f->in));
}

void fixture_send(struct server_fixture *f, uint32_t stream, const char *service,
                  const char *method, const ProtobufCMessage *msg, int64_t timeout_nano)
{
        test_frame_request(&f->in, stream, 0, service, method, msg, timeout_nano);
        fixture_feed(f);
}

void fixture_expect(struct server_fixture *f, uint32_t stream, int code, struct ttrpc_reply *ret)
{
        struct ttrpc_reply r;
        if (test_next_reply(&f->conn->out, &r) < 0)
                fail_msg("stream %u: no reply", stream);
        if (r.stream_id != stream)
                fail_msg("expected a reply on stream %u, got one on %u", stream, r.stream_id);
        if (r.code != code)
                fail_msg("stream %u: expected %s, got %s: %s", stream, grpc_code_name(code),
                         grpc_code_name(r.code), r.message);
        if (ret)
                *ret = r;
        else
                ttrpc_reply_clear(&r);
}

ProtobufCMessage *fixture_expect_ok(struct server_fixture *f, uint32_t stream,
                                    const ProtobufCMessageDescriptor *type)
{
        struct ttrpc_reply r;
        fixture_expect(f, stream, GRPC_OK, &r);
        ProtobufCMessage *m = protobuf_c_message_unpack(type, NULL, r.payload_len, r.payload);
        ttrpc_reply_clear(&r);
        if (!m)
                fail_msg("stream %u: reply does not decode as %s", stream, type->name);
        return m;
}

void fixture_expect_none(struct server_fixture *f)
{
        struct ttrpc_reply r;
        if (test_next_reply(&f->conn->out, &r) == 0)
                fail_msg("unexpected reply on stream %u (%s)", r.stream_id, grpc_code_name(r.code));
}

void fixture_run(struct server_fixture *f, int ms)
{
        uint64_t end = now_ns() + (uint64_t)ms * NSEC_PER_MSEC;
        while (now_ns() < end && buf_len(&f->conn->out) == 0)
                assert_int_equal(loop_run_once(f->loop, 5), 0);
}
