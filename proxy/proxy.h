/* SPDX-License-Identifier: Apache-2.0 */
/* kinglet-proxy: one agent connection shared by many ttrpc clients (see docs/proxy.md). */
#ifndef KINGLET_PROXY_H
#define KINGLET_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "buf.h"
#include "frame.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "mux.h"
#include "route.h"
#include "status.h"

#define PROXY_CLIENTS_MAX 1024
/* Reconnection delays to the agent (and its log stream): doubled per failure. */
#define PROXY_BACKOFF_MIN_NS (100 * NSEC_PER_MSEC)
#define PROXY_BACKOFF_MAX_NS (5 * NSEC_PER_SEC)
/* One connection attempt may take this long (vsock connect, hybrid vsock answer). */
#define PROXY_CONNECT_TIMEOUT_NS (500 * NSEC_PER_MSEC)
/* SIGTERM: in-flight requests get this long to finish. */
#define PROXY_DRAIN_NS (5 * NSEC_PER_SEC)
/* Stream IDs used up: in-flight requests get this long before the reconnect fails them. */
#define PROXY_WRAP_GRACE_NS (5 * NSEC_PER_SEC)
/* Replies paused a client's reading: it resumes below this. */
#define PROXY_REPLY_LOW (256u << 10)
/* The upstream queue paused the clients: they resume below this. */
#define PROXY_UP_LOW (256u << 10)
/* Reads go to a shared buffer first; only a partial frame is kept per connection. */
#define PROXY_SCRATCH_SIZE (64u << 10)
/* Bytes read from one connection per readiness event. */
#define PROXY_READ_BUDGET (256u << 10)

struct proxy;

struct upstream {
        struct proxy *proxy;
        struct address addr;
        char addr_text[ADDR_STRING_MAX];
        int fd;
        struct loop_watch watch;
        struct buf in;
        struct buf out;
        struct frame_decoder decoder;
        struct mux mux;
        struct route_upstream route;
        struct loop_timer retry_timer;
        struct loop_timer wrap_timer;
        uint64_t backoff_ns;
        unsigned failures; /* consecutive failed attempts, for quieter logs */
        bool clients_paused; /* some client stopped reading because `out` is full */
        char down_why[RPC_ERROR_MSG_MAX];
};

enum client_phase {
        CLIENT_FIRST_BYTES, /* hybrid vsock CONNECT line or ttrpc? */
        CLIENT_TTRPC,
};

struct client {
        struct proxy *proxy;
        int fd;
        struct loop_watch watch;
        uint64_t id;
        enum client_phase phase;
        struct buf in;
        struct buf out;
        struct route_client rc;
        bool paused_replies;  /* its replies are piling up */
        bool paused_upstream; /* the agent connection's queue is full */
        bool read_done;       /* sent EOF: answer what it asked, then close */
        bool closing;         /* flush `out`, then close */
        struct list_head link;
        struct list_head dirty_link;
};

struct agent_logs {
        struct proxy *proxy;
        struct address addr;
        char addr_text[ADDR_STRING_MAX];
        int fd;
        struct loop_watch watch;
        struct loop_timer retry_timer;
        uint64_t backoff_ns;
        unsigned failures;
        size_t line_len;
        char line[4096];
};

/* The agent's debug console, relayed to operators on a unix socket (debug_console.c). */
#define PROXY_CONSOLE_SESSIONS_MAX 4 /* the agent's own limit */
#define PROXY_CONSOLE_BUFFER (64u << 10) /* per direction and session */

struct debug_console {
        struct proxy *proxy;
        struct address agent_addr;
        char agent_text[ADDR_STRING_MAX];
        struct address listen_addr;
        int listen_fd;
        struct loop_watch listen_watch;
        struct list_head sessions;
        size_t n_sessions;
        size_t max_sessions; /* 1 over serial://: one byte stream */
        uint64_t next_id;
        struct log_ratelimit refuse_log;
};

struct proxy {
        struct loop *loop;
        const char *sandbox;
        struct address listen_addr;
        int listen_fd;
        struct loop_watch listen_watch;
        struct list_head clients;
        size_t n_clients;
        struct list_head dirty; /* clients with output to flush or a close to finish */
        uint64_t next_client_id;
        uint8_t *scratch;
        struct upstream up;
        struct agent_logs logs;
        bool have_logs;
        struct debug_console console;
        bool have_console;
        bool stopping;
        struct loop_timer drain_timer;
        struct log_ratelimit refuse_log;
};

/* upstream.c */
void upstream_init(struct upstream *u, struct proxy *p, const struct address *a);
void upstream_start(struct upstream *u);
void upstream_flush(struct upstream *u);
/* Once per loop iteration: the stream ID wrap and resuming paused clients. */
void upstream_after(struct upstream *u);
void upstream_close(struct upstream *u);

/* downstream.c */
int downstream_listen(struct proxy *p, struct rpc_error *e);
void downstream_stop_listening(struct proxy *p);
/* Append one reply to its client (route_deliver_fn). */
void downstream_deliver(void *client, uint32_t client_stream, const struct frame *f, int code,
                        const char *message, void *data);
void client_mark_dirty(struct client *c);
void client_resume(struct client *c);
void downstream_flush_all(struct proxy *p);
void downstream_close_all(struct proxy *p);
/* True when no client waits for a reply or has replies unsent. */
bool downstream_idle(const struct proxy *p);

/* agent_logs.c */
void agent_logs_init(struct agent_logs *l, struct proxy *p, const struct address *a);
void agent_logs_start(struct agent_logs *l);
void agent_logs_close(struct agent_logs *l);

/* debug_console.c */
void debug_console_init(struct debug_console *dc, struct proxy *p, const struct address *agent,
                        const struct address *listen);
int debug_console_listen(struct debug_console *dc, struct rpc_error *e);
/* SIGTERM: no new sessions; the open ones last until the proxy exits. */
void debug_console_stop_listening(struct debug_console *dc);
/* Ends every session, removes the socket file. */
void debug_console_close(struct debug_console *dc);

/* Reads from fd into the shared scratch or `in`; 0 = EAGAIN, -1 = EOF, -errno. */
ssize_t proxy_read(int fd, void *buf, size_t size);
uint64_t proxy_backoff_next(uint64_t *backoff_ns);

#endif
