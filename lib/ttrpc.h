/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc server: many connections, many in-flight requests per connection,
 * one event loop, bounded buffers.
 *
 * A service is the protoc-c generated ProtobufCServiceDescriptor (it names
 * every method and its request/response types) plus a table of handlers.
 * Methods without a handler answer UNIMPLEMENTED.
 *
 * A handler receives the decoded request and must, before returning, either
 *   - answer:  return ttrpc_call_reply(call, &resp)  or  ttrpc_call_fail(...)
 *   - park:    keep `call` and return ttrpc_call_park(call, cancel, data);
 *              answer later from another event; `cancel` runs instead if the
 *              deadline (Request.timeout_nano) passes or the peer goes away,
 *              after which the call must not be touched again;
 *   - or return a negative errno without answering: the dispatcher answers
 *     with the mapped gRPC code and strerror text.
 */
#ifndef KINGLET_TTRPC_H
#define KINGLET_TTRPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "macro.h"
#include "status.h"

struct ttrpc_server;
struct ttrpc_call;

enum ttrpc_handler_result {
        TTRPC_DONE = 0,   /* answered; the call is gone */
        TTRPC_PARKED = 1, /* kept by the handler's owner */
};

typedef int (*ttrpc_handler_fn)(struct ttrpc_call *call, const ProtobufCMessage *request,
                                void *userdata);

/* reason: -ETIMEDOUT (deadline), -ECONNRESET (peer gone), -ESHUTDOWN (server stopping). */
typedef void (*ttrpc_cancel_fn)(struct ttrpc_call *call, void *data, int reason);

struct ttrpc_method_handler {
        const char *method; /* bare RPC name, e.g. "CopyFile" */
        ttrpc_handler_fn fn;
};

struct ttrpc_service {
        const ProtobufCServiceDescriptor *descriptor; /* name is e.g. "grpc.AgentService" */
        const struct ttrpc_method_handler *handlers;
        size_t n_handlers;
        void *userdata;
};

/*
 * Runs before every handler, of every service, with the decoded request: 0
 * lets the handler run; a negative errno (with *e set, or mapped) is the
 * answer instead, and the handler never sees the call. For an access policy.
 */
typedef int (*ttrpc_guard_fn)(const struct ttrpc_call *call, const ProtobufCMessage *request, void *data,
                              struct rpc_error *e);

/* Limits on what one peer can make the server hold. */
struct ttrpc_limits {
        size_t max_connections;       /* further accepts are closed at once */
        size_t max_calls_per_conn;    /* further requests get RESOURCE_EXHAUSTED */
        size_t out_high_water;        /* stop reading a peer whose replies pile up */
        size_t out_low_water;         /* ...and resume below this */
        size_t out_max;               /* close a peer whose queued replies exceed this */
        /* The settings' names, quoted when a limit is hit so its reader knows what to raise (NULL: none). */
        const char *max_connections_key;
        const char *max_calls_key;
};

#define TTRPC_DEFAULT_MAX_CONNECTIONS 1024
#define TTRPC_DEFAULT_MAX_CALLS_PER_CONN 1024
#define TTRPC_DEFAULT_OUT_HIGH_WATER (1u << 20)
#define TTRPC_DEFAULT_OUT_LOW_WATER (256u << 10)
#define TTRPC_DEFAULT_OUT_MAX (64u << 20)

struct ttrpc_server_stats {
        uint64_t connections_accepted;
        uint64_t connections_refused;
        uint64_t requests;
        uint64_t requests_failed;
        uint64_t protocol_errors;
};

int ttrpc_server_new(struct loop *loop, struct ttrpc_server **ret);
/* Closes every connection; parked calls are cancelled with -ESHUTDOWN. */
struct ttrpc_server *ttrpc_server_free(struct ttrpc_server *s);

void ttrpc_server_set_limits(struct ttrpc_server *s, const struct ttrpc_limits *limits);
const struct ttrpc_server_stats *ttrpc_server_stats(const struct ttrpc_server *s);
size_t ttrpc_server_n_connections(const struct ttrpc_server *s);

/* One guard for the whole server (NULL: none). */
void ttrpc_server_set_guard(struct ttrpc_server *s, ttrpc_guard_fn guard, void *data);

/* -EEXIST if the service name is taken, -EINVAL if a handler names an unknown method. */
int ttrpc_server_register(struct ttrpc_server *s, const struct ttrpc_service *svc);

/* Serve connections accepted on a listening socket (takes ownership of fd). */
int ttrpc_server_add_listener(struct ttrpc_server *s, int fd, const char *description);
/* Serve one already-connected byte stream (takes ownership of fd). */
int ttrpc_server_add_stream(struct ttrpc_server *s, int fd, const char *description);
/*
 * Serve a character device with a single peer (a virtio-serial port): when
 * the peer goes away the device is reopened and served afresh.
 */
int ttrpc_server_add_serial(struct ttrpc_server *s, const char *device_path);
/*
 * A serial port is served only while its host side is connected. Call this
 * on SIGIO (block SIGIO and route it to the loop first: ports waiting for
 * their host are then O_ASYNC) to serve them as soon as the host connects;
 * without it they are looked at once a second.
 */
void ttrpc_server_serial_event(struct ttrpc_server *s);

/* --- inside handlers --- */

int ttrpc_call_reply(struct ttrpc_call *call, const ProtobufCMessage *response);
int ttrpc_call_fail(struct ttrpc_call *call, int code, const char *fmt, ...) _printf_(3, 4);
/* Answers with e's code and message when set, else maps neg_errno. */
int ttrpc_call_fail_error(struct ttrpc_call *call, int neg_errno, const struct rpc_error *e);
int ttrpc_call_park(struct ttrpc_call *call, ttrpc_cancel_fn cancel, void *data);

const char *ttrpc_call_service(const struct ttrpc_call *call);
const char *ttrpc_call_method(const struct ttrpc_call *call);
uint32_t ttrpc_call_stream_id(const struct ttrpc_call *call);
/* Deadline from Request.timeout_nano (CLOCK_MONOTONIC ns), 0 when none. */
uint64_t ttrpc_call_deadline(const struct ttrpc_call *call);
/* Request metadata value for key (case-insensitive), or NULL. */
const char *ttrpc_call_metadata(const struct ttrpc_call *call, const char *key);
struct loop *ttrpc_call_loop(const struct ttrpc_call *call);
/* The request's encoded bytes, as they arrived (valid while the call lives). */
void ttrpc_call_payload(const struct ttrpc_call *call, const uint8_t **ret_data, size_t *ret_len);

#endif
