/* SPDX-License-Identifier: Apache-2.0 */
#include "ttrpc_client.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "cleanup.h"
#include "frame.h"
#include "google/rpc/status.pb-c.h"
#include "transport.h"
#include "ttrpc.pb-c.h"
#include "util.h"

#define CLIENT_IN_MAX (TTRPC_HEADER_LEN + TTRPC_MESSAGE_MAX)

struct ttrpc_client {
        int fd;
        uint32_t next_stream_id;
        struct buf in;
        struct buf out; /* reused for every request: no allocation per call */
        struct frame_decoder decoder;
};

int ttrpc_client_new_fd(int fd, struct ttrpc_client **ret)
{
        struct ttrpc_client *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->fd = fd;
        c->next_stream_id = 1;
        *ret = c;
        return 0;
}

int ttrpc_client_connect(const char *address, uint64_t timeout_ns, struct ttrpc_client **ret,
                         struct rpc_error *e)
{
        struct address a;
        int fd;
        int r = address_parse(address, &a, e);
        if (r < 0)
                return r;
        r = transport_connect(&a, timeout_ns, &fd, e);
        if (r < 0)
                return r;
        r = ttrpc_client_new_fd(fd, ret);
        if (r < 0)
                close(fd);
        return r;
}

struct ttrpc_client *ttrpc_client_free(struct ttrpc_client *c)
{
        if (!c)
                return NULL;
        close_and_reset(&c->fd);
        buf_free(&c->in);
        buf_free(&c->out);
        free(c);
        return NULL;
}

int ttrpc_client_fd(const struct ttrpc_client *c)
{
        return c->fd;
}

int ttrpc_client_send_raw(struct ttrpc_client *c, const void *bytes, size_t len)
{
        return send_all(c->fd, bytes, len);
}

int ttrpc_request_frame_append(struct buf *out, uint32_t stream_id, const char *service,
                               const char *method, const void *payload, size_t len,
                               int64_t timeout_nano, size_t max_cap)
{
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        req.service = (char *)service;
        req.method = (char *)method;
        req.payload.data = (uint8_t *)payload;
        req.payload.len = len;
        req.timeout_nano = timeout_nano;

        size_t size = protobuf_c_message_get_packed_size(&req.base);
        if (size > TTRPC_MESSAGE_MAX)
                return -EMSGSIZE;
        int r = buf_reserve(out, TTRPC_HEADER_LEN + size, max_cap);
        if (r < 0)
                return r;
        struct ttrpc_header h = { .length = (uint32_t)size, .stream_id = stream_id, .type = TTRPC_TYPE_REQUEST };
        ttrpc_header_pack(&h, buf_tail(out));
        protobuf_c_message_pack(&req.base, buf_tail(out) + TTRPC_HEADER_LEN);
        buf_commit(out, TTRPC_HEADER_LEN + size);
        return 0;
}

int ttrpc_status_frame_append(struct buf *out, uint32_t stream_id, int code, const char *message,
                              size_t max_cap)
{
        Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
        Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
        status.code = code;
        status.message = (char *)(message ? message : "");
        resp.status = &status;

        size_t size = protobuf_c_message_get_packed_size(&resp.base);
        if (size > TTRPC_MESSAGE_MAX)
                return -EMSGSIZE;
        int r = buf_reserve(out, TTRPC_HEADER_LEN + size, max_cap);
        if (r < 0)
                return r;
        struct ttrpc_header h = { .length = (uint32_t)size, .stream_id = stream_id, .type = TTRPC_TYPE_RESPONSE };
        ttrpc_header_pack(&h, buf_tail(out));
        protobuf_c_message_pack(&resp.base, buf_tail(out) + TTRPC_HEADER_LEN);
        buf_commit(out, TTRPC_HEADER_LEN + size);
        return 0;
}

int ttrpc_client_send_payload(struct ttrpc_client *c, const char *service, const char *method,
                              const void *payload, size_t len, int64_t timeout_nano,
                              uint32_t *ret_stream_id)
{
        uint32_t id = c->next_stream_id;
        int r = ttrpc_request_frame_append(&c->out, id, service, method, payload, len, timeout_nano,
                                           TTRPC_HEADER_LEN + TTRPC_MESSAGE_MAX);
        if (r < 0)
                return r;
        r = ttrpc_client_send_raw(c, buf_head(&c->out), buf_len(&c->out));
        buf_consume(&c->out, buf_len(&c->out));
        buf_trim(&c->out, 64u << 10);
        if (r < 0)
                return r;
        c->next_stream_id += 2;
        if (ret_stream_id)
                *ret_stream_id = id;
        return 0;
}

int ttrpc_client_send(struct ttrpc_client *c, const char *service, const char *method,
                      const ProtobufCMessage *request, int64_t timeout_nano,
                      uint32_t *ret_stream_id)
{
        size_t len = request ? protobuf_c_message_get_packed_size(request) : 0;
        if (len > TTRPC_MESSAGE_MAX)
                return -EMSGSIZE;
        _cleanup_free_ uint8_t *payload = malloc(len ? len : 1);
        if (!payload)
                return -ENOMEM;
        if (request)
                protobuf_c_message_pack(request, payload);
        return ttrpc_client_send_payload(c, service, method, payload, len, timeout_nano,
                                         ret_stream_id);
}

void ttrpc_reply_clear(struct ttrpc_reply *r)
{
        free(r->payload);
        *r = (struct ttrpc_reply){ 0 };
}

static int reply_from_frame(const struct frame *f, struct ttrpc_reply *ret)
{
        Ttrpc__Response *resp = (Ttrpc__Response *)protobuf_c_message_unpack(
                &ttrpc__response__descriptor, NULL, f->header.length, f->payload);
        if (!resp)
                return -EPROTO;
        struct ttrpc_reply r = { .stream_id = f->header.stream_id };
        if (resp->status) {
                r.code = resp->status->code;
                snprintf(r.message, sizeof r.message, "%s",
                         resp->status->message ? resp->status->message : "");
        }
        if (resp->payload.len) {
                r.payload = malloc(resp->payload.len);
                if (!r.payload) {
                        protobuf_c_message_free_unpacked(&resp->base, NULL);
                        return -ENOMEM;
                }
                memcpy(r.payload, resp->payload.data, resp->payload.len);
                r.payload_len = resp->payload.len;
        }
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        *ret = r;
        return 0;
}

int ttrpc_client_recv(struct ttrpc_client *c, int timeout_ms, struct ttrpc_reply *ret)
{
        uint64_t deadline = timeout_ms >= 0 ? now_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC : 0;
        bool polled = false;

        for (;;) {
                struct frame f;
                size_t need = 0;
                switch (frame_decode(&c->decoder, &c->in, &f, &need)) {
                case FRAME_READY:
                        if (f.header.type != TTRPC_TYPE_RESPONSE)
                                continue; /* data or unknown frames: nothing we asked for */
                        return reply_from_frame(&f, ret);
                case FRAME_OVERSIZED:
                case FRAME_INSANE:
                        return -EPROTO;
                case FRAME_NEED_MORE:
                        break;
                }
                /* Room for the rest of the frame (what is buffered already counts), or a chunk. */
                size_t have = buf_len(&c->in);
                int r = buf_reserve(&c->in, MAX(need > have ? need - have : 0, (size_t)4096) ,
                                    CLIENT_IN_MAX);
                if (r < 0)
                        return r;
                /* A deadline already past still polls once: timeout 0 means "what is there". */
                int wait = -1;
                if (deadline) {
                        uint64_t now = now_ns();
                        wait = now >= deadline ? 0 : (int)((deadline - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
                }
                if (wait == 0 && polled)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = c->fd, .events = POLLIN };
                int n = poll(&p, 1, wait);
                polled = true;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ETIMEDOUT;
                ssize_t got = read(c->fd, buf_tail(&c->in), buf_room(&c->in));
                if (got < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (got < 0)
                        return -errno;
                if (got == 0)
                        return -ECONNRESET;
                buf_commit(&c->in, (size_t)got);
        }
}

int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
                      const ProtobufCMessage *request,
                      const ProtobufCMessageDescriptor *response_type, int64_t timeout_nano,
                      struct ttrpc_reply *ret_status, ProtobufCMessage **ret_response,
                      struct rpc_error *e)
{
        uint32_t id;
        int r = ttrpc_client_send(c, service, method, request, timeout_nano, &id);
        if (r < 0)
                return rpc_error_set(e, GRPC_UNAVAILABLE, r, "sending %s/%s: %s", service, method,
                                     strerror(-r));
        /* Wait a little past the server-side deadline, so its DEADLINE_EXCEEDED can arrive. */
        int wait_ms = timeout_nano > 0 ? (int)MIN(timeout_nano / 1000000 + 1000, INT32_MAX) : -1;
        for (;;) {
                struct ttrpc_reply reply;
                r = ttrpc_client_recv(c, wait_ms, &reply);
                if (r == -ETIMEDOUT)
                        return rpc_error_set(e, GRPC_DEADLINE_EXCEEDED, r,
                                             "%s/%s: no reply within the timeout", service, method);
                if (r < 0)
                        return rpc_error_set(e, GRPC_UNAVAILABLE, r, "%s/%s: %s", service, method,
                                             r == -ECONNRESET ? "connection closed by the agent"
                                                              : strerror(-r));
                if (reply.stream_id != id) {
                        ttrpc_reply_clear(&reply);
                        continue;
                }
                if (reply.code == GRPC_OK && response_type && ret_response) {
                        ProtobufCMessage *m = protobuf_c_message_unpack(
                                response_type, NULL, reply.payload_len, reply.payload);
                        if (!m) {
                                ttrpc_reply_clear(&reply);
                                return rpc_error_set(e, GRPC_INTERNAL, -EBADMSG,
                                                     "%s/%s: reply does not decode as %s", service,
                                                     method, response_type->name);
                        }
                        *ret_response = m;
                }
                /* The caller gets the status; the raw payload was decoded above or is unwanted. */
                free(reply.payload);
                reply.payload = NULL;
                reply.payload_len = 0;
                *ret_status = reply;
                return 0;
        }
}
