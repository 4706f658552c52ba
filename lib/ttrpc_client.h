/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc client for kinglet-ctl, the tests, the benchmarks and the proxy.
 *
 * Blocking and single-threaded: send any number of requests, then receive
 * replies in whatever order the server sends them. ttrpc_client_call() is
 * the one-request convenience on top.
 */
#ifndef KINGLET_TTRPC_CLIENT_H
#define KINGLET_TTRPC_CLIENT_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"

struct ttrpc_client;

/* A reply as received: status plus the raw payload (owned by the reply). */
struct ttrpc_reply {
        uint32_t stream_id;
        int code;
        char message[RPC_ERROR_MSG_MAX];
        uint8_t *payload;
        size_t payload_len;
};

/*
 * Appends a whole Request frame (header + ttrpc.Request envelope around
 * `payload`) to `out`. -EMSGSIZE over 4 MiB, -ENOBUFS past max_cap.
 */
int ttrpc_request_frame_append(struct buf *out, uint32_t stream_id, const char *service,
                               const char *method, const void *payload, size_t len,
                               int64_t timeout_nano, size_t max_cap);
/*
 * Appends a whole Response frame carrying only a status (no payload), as a
 * server refusing a request sends it (the proxy answers on the agent's
 * behalf). -ENOBUFS past max_cap.
 */
int ttrpc_status_frame_append(struct buf *out, uint32_t stream_id, int code, const char *message,
                              size_t max_cap);

int ttrpc_client_connect(const char *address, uint64_t timeout_ns, struct ttrpc_client **ret,
                         struct rpc_error *e);
/* Wraps a connected stream socket (takes ownership). */
int ttrpc_client_new_fd(int fd, struct ttrpc_client **ret);
struct ttrpc_client *ttrpc_client_free(struct ttrpc_client *c);
int ttrpc_client_fd(const struct ttrpc_client *c);

/* Sends a Request; *ret_stream_id is the odd stream ID it used. */
int ttrpc_client_send(struct ttrpc_client *c, const char *service, const char *method,
                      const ProtobufCMessage *request, int64_t timeout_nano,
                      uint32_t *ret_stream_id);
int ttrpc_client_send_payload(struct ttrpc_client *c, const char *service, const char *method,
                              const void *payload, size_t len, int64_t timeout_nano,
                              uint32_t *ret_stream_id);
/* Writes bytes as they are (protocol tests). */
int ttrpc_client_send_raw(struct ttrpc_client *c, const void *bytes, size_t len);

/*
 * Waits up to timeout_ms (-1 = forever) for the next Response frame.
 * -ETIMEDOUT, -ECONNRESET when the server closed, -EPROTO on a broken frame.
 */
int ttrpc_client_recv(struct ttrpc_client *c, int timeout_ms, struct ttrpc_reply *ret);
void ttrpc_reply_clear(struct ttrpc_reply *r);

/*
 * One unary call. Returns 0 when a reply arrived (its code and message in
 * *ret_status, which holds no payload; on OK, *ret_response is decoded with
 * response_type unless that is NULL), or -errno when none did (*e says why).
 */
int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
                      const ProtobufCMessage *request,
                      const ProtobufCMessageDescriptor *response_type, int64_t timeout_nano,
                      struct ttrpc_reply *ret_status, ProtobufCMessage **ret_response,
                      struct rpc_error *e);

#endif
