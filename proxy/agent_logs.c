/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's log stream (a second virtio-serial port, or vsock port 1025):
 * each line is written to the proxy's log with the sandbox id in front, so
 * guest and host lines of one sandbox can be told apart in a shared file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "proxy.h"
#include "transport.h"
#include "util.h"

void agent_logs_init(struct agent_logs *l, struct proxy *p, const struct address *a)
{
        *l = (struct agent_logs){ .proxy = p, .addr = *a, .fd = -1 };
        (void)address_format(a, l->addr_text, sizeof l->addr_text);
}

/* One line (without its newline) to the log destination, which is stderr. */
static void emit_line(struct agent_logs *l, const char *line, size_t len)
{
        char prefix[320];
        int n = snprintf(prefix, sizeof prefix, "sandbox=%s agent: ",
                         l->proxy->sandbox ? l->proxy->sandbox : "-");
        struct iovec iov[3] = {
                { prefix, (size_t)MIN((size_t)n, sizeof prefix - 1) },
                { (void *)line, len },
                { (void *)"\n", 1 },
        };
        (void)writev(STDERR_FILENO, iov, 3);
}

static void take_bytes(struct agent_logs *l, const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (p[i] == '\n') {
                        emit_line(l, l->line, l->line_len);
                        l->line_len = 0;
                        continue;
                }
                if (p[i] == '\r' || p[i] == '\0')
                        continue;
                /* An endless line is written in pieces rather than held. */
                if (l->line_len == sizeof l->line) {
                        emit_line(l, l->line, l->line_len);
                        l->line_len = 0;
                }
                l->line[l->line_len++] = p[i];
        }
}

static void logs_retry_fire(struct loop_timer *t);

static void logs_drop(struct agent_logs *l, const char *why)
{
        if (l->line_len) {
                emit_line(l, l->line, l->line_len);
                l->line_len = 0;
        }
        log_info("agent log stream %s ended (%s); reconnecting", l->addr_text, why);
        loop_watch_remove(l->proxy->loop, &l->watch);
        close_and_reset(&l->fd);
        (void)loop_timer_arm(l->proxy->loop, &l->retry_timer,
                             now_ns() + proxy_backoff_next(&l->backoff_ns), logs_retry_fire, l);
}

static void logs_on_event(struct loop_watch *w, uint32_t events)
{
        struct agent_logs *l = w->data;
        char chunk[4096];

        for (int i = 0; i < 16; i++) {
                ssize_t n = proxy_read(l->fd, chunk, sizeof chunk);
                if (n == 0)
                        return;
                if (n < 0) {
                        logs_drop(l, n == -1 ? "closed" : strerror((int)-n));
                        return;
                }
                take_bytes(l, chunk, (size_t)n);
        }
}

static void logs_try(struct agent_logs *l)
{
        struct rpc_error e = { 0 };
        int fd = -1;

        if (l->proxy->stopping)
                return;
        int r = transport_connect(&l->addr, PROXY_CONNECT_TIMEOUT_NS, &fd, &e);
        if (r >= 0)
                r = fd_set_nonblock(fd, true);
        if (r >= 0)
                r = loop_watch_add(l->proxy->loop, &l->watch, fd, EPOLLIN, logs_on_event, l);
        if (r < 0) {
                if (fd >= 0)
                        close(fd);
                if (l->failures++ == 0)
                        log_warn("cannot reach the agent's log stream at %s: %s; retrying", l->addr_text,
                                 e.code ? e.msg : strerror(-r));
                (void)loop_timer_arm(l->proxy->loop, &l->retry_timer,
                                     now_ns() + proxy_backoff_next(&l->backoff_ns), logs_retry_fire, l);
                return;
        }
        l->fd = fd;
        l->failures = 0;
        l->backoff_ns = 0;
        log_info("reading the agent's log stream from %s", l->addr_text);
}

static void logs_retry_fire(struct loop_timer *t)
{
        logs_try(t->data);
}

void agent_logs_start(struct agent_logs *l)
{
        logs_try(l);
}

void agent_logs_close(struct agent_logs *l)
{
        /* What the agent wrote before we stop is still worth having. */
        if (l->fd >= 0)
                logs_on_event(&l->watch, EPOLLIN);
        if (l->fd >= 0) {
                if (l->line_len)
                        emit_line(l, l->line, l->line_len);
                loop_watch_remove(l->proxy->loop, &l->watch);
                close_and_reset(&l->fd);
        }
        loop_timer_disarm(l->proxy->loop, &l->retry_timer);
}
