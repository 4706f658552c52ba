/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request dispatch and the life of a call: validate the frame, decode the
 * ttrpc.Request envelope and the method's request message, run the handler,
 * and answer now or later (parked, with an optional deadline).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "ttrpc_internal.h"
#include "util.h"

/* protobuf-c allocates the decoded request here: one bump per field, no malloc for small requests. */
static void *arena_alloc(void *data, size_t size)
{
        struct ttrpc_call *call = data;
        size_t aligned = (size + 15) & ~(size_t)15;
        if (aligned >= size && aligned <= CALL_ARENA_SIZE - call->arena_used) {
                void *p = call->arena + call->arena_used;
                call->arena_used += aligned;
                return p;
        }
        return malloc(size);
}

static void arena_free(void *data, void *p)
{
        struct ttrpc_call *call = data;
        if ((uint8_t *)p >= call->arena && (uint8_t *)p < call->arena + CALL_ARENA_SIZE)
                return;
        free(p);
}

static struct ttrpc_call *call_new(struct ttrpc_server *s)
{
        struct ttrpc_call *call;

        if (!list_empty(&s->free_calls)) {
                call = list_entry(s->free_calls.next, struct ttrpc_call, link);
                list_del(&call->link);
                s->n_free_calls--;
        } else {
                call = malloc(sizeof *call);
                if (!call)
                        return NULL;
        }
        /* Everything but the arena's bytes. */
        memset(call, 0, offsetof(struct ttrpc_call, arena));
        call->allocator = (ProtobufCAllocator){ arena_alloc, arena_free, call };
        list_init(&call->link);
        return call;
}

static void call_release(struct ttrpc_server *s, struct ttrpc_call *call)
{
        if (call->request)
                protobuf_c_message_free_unpacked(call->request, &call->allocator);
        if (call->envelope)
                protobuf_c_message_free_unpacked(&call->envelope->base, &call->allocator);
        if (s->n_free_calls < SERVER_FREE_CALLS_MAX) {
                list_add_tail(&call->link, &s->free_calls);
                s->n_free_calls++;
        } else
                free(call);
}

void call_free_list_release(struct ttrpc_server *s)
{
        struct list_head *pos, *tmp;
        list_for_each_safe(pos, tmp, &s->free_calls)
                free(list_entry(pos, struct ttrpc_call, link));
        list_init(&s->free_calls);
        s->n_free_calls = 0;
}

static void call_free(struct ttrpc_call *call)
{
        struct ttrpc_server *s = call->conn->server;

        list_del(&call->link);
        call->conn->n_calls--;
        if (loop_timer_armed(&call->timer))
                loop_timer_disarm(s->loop, &call->timer);
        call_release(s, call);
}

static enum log_level level_for_code(int code)
{
        switch (code) {
        case GRPC_OK:
                return LOG_LEVEL_DEBUG;
        case GRPC_UNKNOWN:
        case GRPC_INTERNAL:
        case GRPC_DATA_LOSS:
                return LOG_LEVEL_ERROR;
        default:
                /* The peer asked for something we could not do: worth a line, not an alarm. */
                return LOG_LEVEL_INFO;
        }
}

/* Log once, at the top: every finished call passes through here. */
static void call_finish(struct ttrpc_call *call, int code, const char *message)
{
        struct ttrpc_server *s = call->conn->server;
        enum log_level level = level_for_code(code);

        if (code != GRPC_OK)
                s->stats.requests_failed++;
        if (log_enabled(level) && (code == GRPC_OK || log_ratelimit_ok(&s->failure_log))) {
                char method[160];
                snprintf(method, sizeof method, "%s/%s", call->service->svc.descriptor->name,
                         call->method->name);
                uint64_t us = (now_ns() - call->start_ns) / 1000;
                log_emit(level,
                         LOG_FIELDS(LF_STR("method", method), LF_INT("stream", call->stream_id),
                                    LF_STR("code", grpc_code_name(code)),
                                    LF_STR("error", message ? message : ""),
                                    LF_INT("duration_us", us), LF_INT("conn", call->conn->id)),
                         code == GRPC_OK ? "request served" : "request failed");
        }
        call_free(call);
}

int ttrpc_call_reply(struct ttrpc_call *call, const ProtobufCMessage *response)
{
        if (response && response->descriptor != call->method->output)
                return ttrpc_call_fail(call, GRPC_INTERNAL,
                                       "handler of %s answered with %s instead of %s",
                                       call->method->name, response->descriptor->name,
                                       call->method->output->name);
        int r = conn_queue_response(call->conn, call->stream_id, GRPC_OK, NULL, response);
        if (r == -EMSGSIZE)
                return ttrpc_call_fail(call, GRPC_RESOURCE_EXHAUSTED,
                                       "%s reply is larger than the %u-byte message limit",
                                       call->method->name, TTRPC_MESSAGE_MAX);
        call_finish(call, r < 0 ? GRPC_UNAVAILABLE : GRPC_OK, r < 0 ? strerror(-r) : NULL);
        return TTRPC_DONE;
}

static int call_fail_msg(struct ttrpc_call *call, int code, const char *msg)
{
        if (code == GRPC_OK)
                code = GRPC_UNKNOWN;
        (void)conn_queue_response(call->conn, call->stream_id, code, msg, NULL);
        call_finish(call, code, msg);
        return TTRPC_DONE;
}

int ttrpc_call_fail(struct ttrpc_call *call, int code, const char *fmt, ...)
{
        char msg[RPC_ERROR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return call_fail_msg(call, code, msg);
}

int ttrpc_call_fail_error(struct ttrpc_call *call, int neg_errno, const struct rpc_error *e)
{
        if (e && e->code != GRPC_OK)
                return call_fail_msg(call, e->code, e->msg);
        return ttrpc_call_fail(call, grpc_code_from_errno(neg_errno), "%s: %s", call->method->name,
                               strerror(neg_errno < 0 ? -neg_errno : neg_errno));
}

static void call_on_deadline(struct loop_timer *t)
{
        struct ttrpc_call *call = t->data;
        int64_t timeout = call->envelope->timeout_nano;

        if (call->cancel)
                call->cancel(call, call->cancel_data, -ETIMEDOUT);
        if (timeout < 0)
                (void)ttrpc_call_fail(call, GRPC_DEADLINE_EXCEEDED,
                                      "%s/%s: the request's deadline had passed when it arrived "
                                      "(timeout_nano %" PRId64 ")",
                                      call->service->svc.descriptor->name, call->method->name, timeout);
        else
                (void)ttrpc_call_fail(call, GRPC_DEADLINE_EXCEEDED,
                                      "%s/%s: no answer within the request's timeout of %.3fs",
                                      call->service->svc.descriptor->name, call->method->name,
                                      (double)timeout / 1e9);
}

int ttrpc_call_park(struct ttrpc_call *call, ttrpc_cancel_fn cancel, void *data)
{
        call->parked = true;
        call->cancel = cancel;
        call->cancel_data = data;
        if (!call->has_deadline)
                return TTRPC_PARKED;
        int r = loop_timer_arm(call->conn->server->loop, &call->timer, call->deadline_ns,
                               call_on_deadline, call);
        if (r < 0) {
                if (cancel)
                        cancel(call, data, r);
                return ttrpc_call_fail(call, GRPC_RESOURCE_EXHAUSTED,
                                       "cannot track the deadline of %s: out of memory",
                                       call->method->name);
        }
        return TTRPC_PARKED;
}

void call_cancel_all(struct ttrpc_conn *c, int reason)
{
        struct list_head *pos, *tmp;

        list_for_each_safe(pos, tmp, &c->calls) {
                struct ttrpc_call *call = list_entry(pos, struct ttrpc_call, link);
                if (call->cancel)
                        call->cancel(call, call->cancel_data, reason);
                log_debug("dropping %s call on stream %" PRIu32 " of closed connection %" PRIu64,
                          call->method->name, call->stream_id, c->id);
                call_free(call);
        }
}

const char *ttrpc_call_service(const struct ttrpc_call *call)
{
        return call->service->svc.descriptor->name;
}

const char *ttrpc_call_method(const struct ttrpc_call *call)
{
        return call->method->name;
}

uint32_t ttrpc_call_stream_id(const struct ttrpc_call *call)
{
        return call->stream_id;
}

uint64_t ttrpc_call_deadline(const struct ttrpc_call *call)
{
        return call->has_deadline ? call->deadline_ns : 0;
}

void ttrpc_call_payload(const struct ttrpc_call *call, const uint8_t **ret_data, size_t *ret_len)
{
        *ret_data = call->envelope->payload.data;
        *ret_len = call->envelope->payload.len;
}

struct loop *ttrpc_call_loop(const struct ttrpc_call *call)
{
        return call->conn->server->loop;
}

const char *ttrpc_call_metadata(const struct ttrpc_call *call, const char *key)
{
        for (size_t i = 0; i < call->envelope->n_metadata; i++) {
                const Ttrpc__KeyValue *kv = call->envelope->metadata[i];
                if (kv->key && strcasecmp(kv->key, key) == 0)
                        return kv->value;
        }
        return NULL;
}

/* Stream-level checks, as containerd's server makes them. Returns false if refused. */
static bool check_stream(struct ttrpc_conn *c, const struct ttrpc_header *h)
{
        struct ttrpc_server *s = c->server;

        if (c->over_limit) {
                const char *key = s->limits.max_connections_key;
                (void)conn_queue_status(c, h->stream_id, GRPC_RESOURCE_EXHAUSTED,
                                        "%zu connections already open (%s%s%zu): closing this one",
                                        s->n_conns - s->n_over_limit, key ? key : "limit", key ? "=" : " ",
                                        s->limits.max_connections);
                conn_shutdown(c, "over the connection limit");
                return false;
        }
        if ((h->stream_id & 1) == 0) {
                s->stats.protocol_errors++;
                (void)conn_queue_status(c, h->stream_id, GRPC_INVALID_ARGUMENT,
                                        "stream ID %" PRIu32 " is even: client-initiated streams "
                                        "must use odd IDs",
                                        h->stream_id);
                return false;
        }
        /*
         * A serial channel has no connection boundaries: a new host client can
         * send its first request before the previous client's hang-up reached
         * us (the port reopened between our reads). ttrpc clients number from 1,
         * so stream 1 after others is a new client: the old one's calls go.
         */
        if (c->edge_triggered && h->stream_id == 1 && c->last_stream_id >= 1) {
                log_debug("connection %" PRIu64 " (%s): stream 1 again: a new client on the serial channel",
                          c->id, c->peer);
                call_cancel_all(c, -ECONNRESET);
                c->last_stream_id = 0;
        }
        if (h->stream_id <= c->last_stream_id) {
                s->stats.protocol_errors++;
                (void)conn_queue_status(c, h->stream_id, GRPC_INVALID_ARGUMENT,
                                        "stream ID %" PRIu32 " cannot be reused: IDs must increase "
                                        "(last was %" PRIu32 ")",
                                        h->stream_id, c->last_stream_id);
                return false;
        }
        c->last_stream_id = h->stream_id;
        if (h->flags & TTRPC_FLAG_REMOTE_OPEN) {
                (void)conn_queue_status(c, h->stream_id, GRPC_UNIMPLEMENTED,
                                        "streaming requests are not supported: every method of "
                                        "this server is unary");
                return false;
        }
        if (c->n_calls >= s->limits.max_calls_per_conn) {
                const char *key = s->limits.max_calls_key;
                (void)conn_queue_status(c, h->stream_id, GRPC_RESOURCE_EXHAUSTED,
                                        "too many requests in flight on this connection: %zu already "
                                        "(%s%s%zu)",
                                        c->n_calls, key ? key : "limit", key ? "=" : " ",
                                        s->limits.max_calls_per_conn);
                return false;
        }
        return true;
}

/* Resolve envelope->service/method; on failure an error reply is queued. */
static bool resolve_method(struct ttrpc_conn *c, uint32_t stream_id, const Ttrpc__Request *env,
                           const struct service_entry **ret_svc,
                           const ProtobufCMethodDescriptor **ret_method, ttrpc_handler_fn *ret_fn)
{
        const struct service_entry *svc = server_find_service(c->server, env->service);
        if (!svc) {
                (void)conn_queue_status(c, stream_id, GRPC_UNIMPLEMENTED,
                                        "service `%.128s` is not served here", env->service);
                return false;
        }
        const ProtobufCMethodDescriptor *m =
                protobuf_c_service_descriptor_get_method_by_name(svc->svc.descriptor, env->method);
        if (!m) {
                (void)conn_queue_status(c, stream_id, GRPC_UNIMPLEMENTED,
                                        "method `%.128s` is not part of service %s", env->method,
                                        svc->svc.descriptor->name);
                return false;
        }
        ttrpc_handler_fn fn = svc->by_index[m - svc->svc.descriptor->methods];
        if (!fn) {
                (void)conn_queue_status(c, stream_id, GRPC_UNIMPLEMENTED,
                                        "%s/%s is not implemented by this agent",
                                        svc->svc.descriptor->name, m->name);
                return false;
        }
        *ret_svc = svc;
        *ret_method = m;
        *ret_fn = fn;
        return true;
}

void call_dispatch(struct ttrpc_conn *c, const struct frame *f)
{
        struct ttrpc_server *s = c->server;
        const struct ttrpc_header *h = &f->header;

        if (!check_stream(c, h))
                return;
        s->stats.requests++;

        struct ttrpc_call *call = call_new(s);
        if (!call) {
                (void)conn_queue_status(c, h->stream_id, GRPC_RESOURCE_EXHAUSTED, "out of memory");
                return;
        }
        Ttrpc__Request *env = (Ttrpc__Request *)protobuf_c_message_unpack(
                &ttrpc__request__descriptor, &call->allocator, h->length, f->payload);
        if (!env) {
                s->stats.protocol_errors++;
                call_release(s, call);
                (void)conn_queue_status(c, h->stream_id, GRPC_INVALID_ARGUMENT,
                                        "frame payload (%" PRIu32 " bytes) is not a ttrpc.Request",
                                        h->length);
                return;
        }
        call->envelope = env;

        const struct service_entry *svc;
        const ProtobufCMethodDescriptor *m;
        ttrpc_handler_fn fn;
        if (!resolve_method(c, h->stream_id, env, &svc, &m, &fn)) {
                s->stats.requests_failed++;
                call_release(s, call);
                return;
        }

        call->request = protobuf_c_message_unpack(m->input, &call->allocator, env->payload.len,
                                                  env->payload.data);
        if (!call->request) {
                s->stats.requests_failed++;
                (void)conn_queue_status(c, h->stream_id, GRPC_INVALID_ARGUMENT,
                                        "payload of %s/%s (%zu bytes) does not decode as %s",
                                        svc->svc.descriptor->name, m->name, env->payload.len,
                                        m->input->name);
                call_release(s, call);
                return;
        }
        call->conn = c;
        call->service = svc;
        call->method = m;
        call->stream_id = h->stream_id;
        call->start_ns = now_ns();
        if (env->timeout_nano != 0) {
                /* A negative timeout is already over, as in containerd's server. */
                call->has_deadline = true;
                call->deadline_ns = env->timeout_nano < 0 ? call->start_ns
                                                          : call->start_ns + (uint64_t)env->timeout_nano;
        }
        list_add_tail(&call->link, &c->calls);
        c->n_calls++;

        int r;
        if (s->guard) {
                struct rpc_error e;
                e.code = GRPC_OK;
                r = s->guard(call, call->request, s->guard_data, &e);
                if (r < 0) {
                        (void)ttrpc_call_fail_error(call, r, &e);
                        return;
                }
        }
        r = fn(call, call->request, svc->svc.userdata);
        if (r < 0)
                (void)ttrpc_call_fail_error(call, r, NULL);
}
