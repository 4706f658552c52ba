/* SPDX-License-Identifier: Apache-2.0 */
/* Server internals shared by ttrpc_server.c, ttrpc_conn.c, ttrpc_call.c and ttrpc_serial.c. */
#ifndef KINGLET_TTRPC_INTERNAL_H
#define KINGLET_TTRPC_INTERNAL_H

#include "buf.h"
#include "frame.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "ttrpc.h"
#include "ttrpc.pb-c.h"

/* Per registered service: the caller's table resolved to descriptor order. */
struct service_entry {
        struct ttrpc_service svc;
        ttrpc_handler_fn *by_index; /* indexed like svc.descriptor->methods */
};

/* Reads land here first; only partial frames are copied into a connection. */
#define SERVER_SCRATCH_SIZE (64u << 10)
/* Calls kept for reuse, so a steady stream of requests allocates nothing. */
#define SERVER_FREE_CALLS_MAX 64
/*
 * Connections beyond max_connections kept just long enough to answer their
 * first request with RESOURCE_EXHAUSTED; beyond these few they are closed at
 * once, unanswered.
 */
#define SERVER_OVER_LIMIT_CONNS_MAX 4
/* Decoded requests live in their call's arena unless they are bigger. */
#define CALL_ARENA_SIZE 1024

struct ttrpc_server {
        struct loop *loop;
        uint8_t *scratch;
        struct list_head free_calls;
        size_t n_free_calls;
        struct service_entry *services;
        size_t n_services;

        struct list_head conns;
        size_t n_conns;     /* served ones and over_limit ones */
        size_t n_over_limit;
        struct list_head listeners;
        struct list_head dirty; /* connections with output to flush or a close to finish */

        struct ttrpc_limits limits;
        ttrpc_guard_fn guard; /* asked before every handler (ttrpc_server_set_guard) */
        void *guard_data;
        struct log_ratelimit failure_log; /* peers decide how often requests fail */
        struct ttrpc_server_stats stats;
        uint64_t next_conn_id;
        bool freeing;
};


struct ttrpc_conn {
        struct ttrpc_server *server;
        struct loop_watch watch;
        int fd; /* -1 for a detached connection (the fuzzer feeds it directly) */
        uint64_t id;
        char peer[64];

        struct buf in;
        struct buf out;
        struct frame_decoder decoder;
        uint32_t last_stream_id;

        struct list_head calls;
        size_t n_calls;

        bool edge_triggered;  /* serial devices: the fd reports HUP while nobody listens */
        bool read_paused;     /* back-pressure: replies are piling up */
        bool closing;         /* flush what is queued, then close */
        bool dead;            /* close at the end of this iteration */
        bool doomed;          /* killed once the current handler returns */
        bool seen_peer;       /* serial: the host side has connected since open */
        bool not_socket;      /* a character device: write(), not send() */
        bool over_limit;      /* beyond max_connections: its first request is refused, then it is closed */

        struct list_head link;       /* server->conns */
        struct list_head dirty_link; /* server->dirty */

        /* Serial channel hook: called after the connection is torn down. */
        void (*on_closed)(void *data);
        void *on_closed_data;
};

struct ttrpc_call {
        struct ttrpc_conn *conn;
        const struct service_entry *service;
        const ProtobufCMethodDescriptor *method;
        uint32_t stream_id;
        Ttrpc__Request *envelope;
        ProtobufCMessage *request;
        uint64_t start_ns;
        uint64_t deadline_ns;
        bool has_deadline;
        bool parked;
        struct loop_timer timer;
        ttrpc_cancel_fn cancel;
        void *cancel_data;
        struct list_head link; /* conn->calls, or server->free_calls */
        ProtobufCAllocator allocator; /* bump allocation in arena, malloc beyond */
        size_t arena_used;
        _Alignas(16) uint8_t arena[CALL_ARENA_SIZE];
};

/* ttrpc_conn.c */
int conn_new(struct ttrpc_server *s, int fd, const char *peer, bool edge_triggered,
             struct ttrpc_conn **ret);
void conn_feed(struct ttrpc_conn *c, const void *data, size_t len);
void conn_on_event(struct loop_watch *w, uint32_t events);
void conn_flush(struct ttrpc_conn *c);
void conn_mark_dirty(struct ttrpc_conn *c);
/* Stop serving now: cancel calls, stop reading; freed after this iteration. */
void conn_kill(struct ttrpc_conn *c, const char *why);
/*
 * Kill from inside a handler's reply: the call being answered must not be
 * freed under its feet, so the kill waits for the end of the iteration.
 */
void conn_doom(struct ttrpc_conn *c, const char *why);
/* Stop reading, cancel calls, close once queued output is written. */
void conn_shutdown(struct ttrpc_conn *c, const char *why);
void conn_free(struct ttrpc_conn *c);
int conn_queue_status(struct ttrpc_conn *c, uint32_t stream_id, int code, const char *fmt, ...)
        _printf_(4, 5);
int conn_queue_response(struct ttrpc_conn *c, uint32_t stream_id, int code, const char *message,
                        const ProtobufCMessage *payload);

/* ttrpc_call.c */
void call_dispatch(struct ttrpc_conn *c, const struct frame *f);
void call_cancel_all(struct ttrpc_conn *c, int reason);

/* ttrpc_server.c */
const struct service_entry *server_find_service(const struct ttrpc_server *s, const char *name);

/* ttrpc_call.c */
void call_free_list_release(struct ttrpc_server *s);

#endif
