/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's debug console (agent.debug_console_vport), offered to operators
 * on a unix socket: every connection there gets its own fresh connection to
 * the agent's console (so its own shell), and the loop relays bytes both ways.
 * Each direction queues at most PROXY_CONSOLE_BUFFER bytes and stops reading
 * its source while the queue is full, so a slow side slows the other instead
 * of growing memory. The end of either side ends both.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "proxy.h"
#include "transport.h"
#include "util.h"

/* Bytes read from one side per readiness event, at most. */
#define CONSOLE_READ_CHUNK (16u << 10)
#define CONSOLE_READS_PER_EVENT 8
/* Connections accepted per listener event, so a storm does not starve the sessions. */
#define CONSOLE_ACCEPT_BATCH 8

struct console_session;

struct console_end {
        struct console_session *s;
        int fd;
        struct loop_watch watch;
        struct buf out; /* read from the other end, waiting to be written to this one */
};

struct console_session {
        struct debug_console *dc;
        uint64_t id;
        struct console_end client;
        struct console_end agent;
        struct list_head link;
};

void debug_console_init(struct debug_console *dc, struct proxy *p, const struct address *agent,
                        const struct address *listen)
{
        *dc = (struct debug_console){
                .proxy = p,
                .agent_addr = *agent,
                .listen_addr = *listen,
                .listen_fd = -1,
                /* A serial chardev is one byte stream: two sessions would mix on it. */
                .max_sessions = agent->kind == ADDR_SERIAL ? 1 : PROXY_CONSOLE_SESSIONS_MAX,
                .refuse_log = LOG_RATELIMIT_INIT(10 * NSEC_PER_SEC, 5),
        };
        (void)address_format(agent, dc->agent_text, sizeof dc->agent_text);
        list_init(&dc->sessions);
}

static struct console_end *other_end(struct console_end *end)
{
        struct console_session *s = end->s;
        return end == &s->client ? &s->agent : &s->client;
}

static uint32_t end_events(struct console_end *end)
{
        uint32_t ev = 0;
        if (buf_len(&other_end(end)->out) < PROXY_CONSOLE_BUFFER)
                ev |= EPOLLIN;
        if (buf_len(&end->out) > 0)
                ev |= EPOLLOUT;
        return ev;
}

static void session_free(struct console_session *s, const char *why)
{
        struct console_end *ends[] = { &s->client, &s->agent };

        log_info("debug console session %" PRIu64 " ended: %s", s->id, why);
        for (size_t i = 0; i < ARRAY_SIZE(ends); i++) {
                loop_watch_remove(s->dc->proxy->loop, &ends[i]->watch);
                close_and_reset(&ends[i]->fd);
                buf_free(&ends[i]->out);
        }
        list_del(&s->link);
        s->dc->n_sessions--;
        free(s);
}

/* Writes what end->out holds: 0 (a rest waits for EPOLLOUT), or -errno when that side is gone. */
static int end_flush(struct console_end *end)
{
        while (buf_len(&end->out) > 0) {
                ssize_t n = send(end->fd, buf_head(&end->out), buf_len(&end->out), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0)
                        return n < 0 ? -errno : -EPIPE;
                buf_consume(&end->out, (size_t)n);
        }
        buf_trim(&end->out, 0);
        return 0;
}

/* Reads what the other end's queue has room for: 0, -1 at the end of the stream, or -errno. */
static int end_read(struct console_end *end)
{
        struct console_end *to = other_end(end);
        char chunk[CONSOLE_READ_CHUNK];

        for (int i = 0; i < CONSOLE_READS_PER_EVENT; i++) {
                size_t want = MIN(PROXY_CONSOLE_BUFFER - buf_len(&to->out), sizeof chunk);
                if (want == 0)
                        return 0; /* paused until the other side takes some */
                ssize_t n = proxy_read(end->fd, chunk, want);
                if (n <= 0)
                        return (int)n;
                if (buf_append(&to->out, chunk, (size_t)n, PROXY_CONSOLE_BUFFER) < 0)
                        return -ENOMEM;
                if ((size_t)n < want)
                        return 0;
        }
        return 0;
}

static const char *end_name(const struct console_end *end)
{
        return end == &end->s->client ? "the client" : "the agent";
}

/* `end` failed with r (-1: end of stream): the session is over. */
static void end_gone(struct console_end *end, int r)
{
        char why[128];
        /* EOF, or a peer that closed with bytes unread (reset) or unsent (broken pipe): a close all the same. */
        if (r == -1 || r == -ECONNRESET || r == -EPIPE)
                snprintf(why, sizeof why, "%s closed the connection", end_name(end));
        else
                snprintf(why, sizeof why, "%s: %s", end_name(end), strerror(-r));
        session_free(end->s, why);
}

static void end_on_event(struct loop_watch *w, uint32_t events)
{
        struct console_end *end = w->data;
        struct console_session *s = end->s;
        struct console_end *to = other_end(end);
        int r;

        if ((events & EPOLLOUT) && (r = end_flush(end)) < 0) {
                end_gone(end, r);
                return;
        }
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                r = end_read(end);
                /* What came goes on at once: the last words before a close too (best effort). */
                int wr = end_flush(to);
                if (r < 0 || wr < 0) {
                        end_gone(r < 0 ? end : to, r < 0 ? r : wr);
                        return;
                }
                /* A hangup while paused would be reported again and again: the peer is gone anyway. */
                if (events & (EPOLLHUP | EPOLLERR)) {
                        end_gone(end, -1);
                        return;
                }
        }
        (void)loop_watch_modify(s->dc->proxy->loop, &s->client.watch, end_events(&s->client));
        (void)loop_watch_modify(s->dc->proxy->loop, &s->agent.watch, end_events(&s->agent));
}

/* One line to a connection that is about to be closed (best effort, never blocks). */
static void tell(int fd, const char *fmt, ...) _printf_(2, 3);
static void tell(int fd, const char *fmt, ...)
{
        char line[768];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        if (n > 0)
                (void)!send(fd, line, MIN((size_t)n, sizeof line - 1), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Takes both fds (closed on failure). */
static int session_new(struct debug_console *dc, int client_fd, int agent_fd)
{
        struct loop *l = dc->proxy->loop;
        struct console_session *s = calloc(1, sizeof *s);
        if (!s) {
                close(client_fd);
                close(agent_fd);
                return -ENOMEM;
        }
        *s = (struct console_session){
                .dc = dc,
                .id = ++dc->next_id,
                .client = { .s = s, .fd = client_fd },
                .agent = { .s = s, .fd = agent_fd },
        };
        int r = loop_watch_add(l, &s->client.watch, client_fd, EPOLLIN, end_on_event, &s->client);
        if (r >= 0) {
                r = loop_watch_add(l, &s->agent.watch, agent_fd, EPOLLIN, end_on_event, &s->agent);
                if (r < 0)
                        loop_watch_remove(l, &s->client.watch);
        }
        if (r < 0) {
                close(client_fd);
                close(agent_fd);
                free(s);
                return r;
        }
        list_add_tail(&s->link, &dc->sessions);
        dc->n_sessions++;
        return 0;
}

/* Returns false when there is nothing more to accept now. */
static bool accept_one(struct debug_console *dc)
{
        char peer[64];
        _cleanup_close_ int fd = transport_accept(dc->listen_fd, peer, sizeof peer);
        if (fd < 0) {
                if (fd != -EAGAIN && log_ratelimit_ok(&dc->refuse_log))
                        log_warn_errno(fd, "debug console: accept failed");
                return false;
        }
        if (dc->n_sessions >= dc->max_sessions) {
                tell(fd, "kinglet-proxy: too many debug console sessions (at most %zu)\r\n", dc->max_sessions);
                if (log_ratelimit_ok(&dc->refuse_log))
                        log_warn("debug console: refused %s, %zu sessions are open", peer, dc->n_sessions);
                return true;
        }
        /*
         * Like upstream.c: a unix or chardev socket connects at once; a vsock
         * or hvsock connect may hold the loop up to PROXY_CONNECT_TIMEOUT_NS.
         */
        struct rpc_error e = { 0 };
        int agent_fd = -1;
        int r = transport_connect(&dc->agent_addr, PROXY_CONNECT_TIMEOUT_NS, &agent_fd, &e);
        if (r >= 0 && (r = fd_set_nonblock(agent_fd, true)) < 0)
                close_and_reset(&agent_fd);
        if (r < 0) {
                char msg[RPC_ERROR_MSG_MAX];
                if (e.code) /* already names the address */
                        snprintf(msg, sizeof msg, "%s", e.msg);
                else
                        snprintf(msg, sizeof msg, "%s: %s", dc->agent_text, strerror(-r));
                tell(fd, "kinglet-proxy: cannot reach the agent's debug console: %s\r\n", msg);
                if (log_ratelimit_ok(&dc->refuse_log))
                        log_warn("debug console: cannot reach the agent for %s: %s", peer, msg);
                return true;
        }
        r = session_new(dc, TAKE_FD(fd), agent_fd);
        if (r < 0)
                log_warn_errno(r, "debug console: cannot relay for %s", peer);
        else
                log_info("debug console session %" PRIu64 ": %s to %s", dc->next_id, peer, dc->agent_text);
        return true;
}

static void listener_on_event(struct loop_watch *w, uint32_t events)
{
        struct debug_console *dc = w->data;
        (void)events;
        for (int i = 0; i < CONSOLE_ACCEPT_BATCH && dc->listen_fd >= 0; i++)
                if (!accept_one(dc))
                        break;
}

int debug_console_listen(struct debug_console *dc, struct rpc_error *e)
{
        int r = transport_listen(&dc->listen_addr, &dc->listen_fd, e);
        if (r < 0)
                return r;
        r = loop_watch_add(dc->proxy->loop, &dc->listen_watch, dc->listen_fd, EPOLLIN, listener_on_event, dc);
        if (r < 0) {
                debug_console_stop_listening(dc);
                return rpc_error_set(e, GRPC_INTERNAL, r, "epoll: %s", strerror(-r));
        }
        return 0;
}

void debug_console_stop_listening(struct debug_console *dc)
{
        if (dc->listen_fd < 0)
                return;
        loop_watch_remove(dc->proxy->loop, &dc->listen_watch);
        close_and_reset(&dc->listen_fd);
        if (!dc->listen_addr.abstract)
                (void)unlink(dc->listen_addr.path);
}

void debug_console_close(struct debug_console *dc)
{
        debug_console_stop_listening(dc);
        while (!list_empty(&dc->sessions))
                session_free(list_entry(dc->sessions.next, struct console_session, link),
                             "the proxy is exiting");
}
