/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An in-memory server for handler tests: a loop, a server, and one detached
 * connection. Requests go in with fixture_send(); replies come out of the
 * connection's output queue with fixture_expect().
 */
#ifndef KINGLET_SERVER_FIXTURE_H
#define KINGLET_SERVER_FIXTURE_H

#include "ttrpc_internal.h"
#include "ttrpc_test.h"

struct server_fixture {
        struct loop *loop;
        struct ttrpc_server *server;
        struct ttrpc_conn *conn;
        struct buf in;
};

struct server_fixture *server_fixture_new(void);
void server_fixture_free(struct server_fixture *f);

/* Encode and feed one request. */
void fixture_send(struct server_fixture *f, uint32_t stream, const char *service,
                  const char *method, const ProtobufCMessage *msg, int64_t timeout_nano);
/* Feed whatever has been built in f->in. */
void fixture_feed(struct server_fixture *f);

/*
 * Take the next reply: it must be on `stream` with `code` (the test fails
 * otherwise). If ret is given the reply is handed over, else cleared.
 */
void fixture_expect(struct server_fixture *f, uint32_t stream, int code, struct ttrpc_reply *ret);
/* Same, and decode an OK reply's payload as `type` (free with protobuf_c_message_free_unpacked). */
ProtobufCMessage *fixture_expect_ok(struct server_fixture *f, uint32_t stream,
                                    const ProtobufCMessageDescriptor *type);
void fixture_expect_none(struct server_fixture *f);
/* Run the loop until a reply is queued or `ms` pass. */
void fixture_run(struct server_fixture *f, int ms);

#endif
