/* SPDX-License-Identifier: Apache-2.0 */
/* The server object: service registry, listening sockets, connection bookkeeping. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "transport.h"
#include "ttrpc_internal.h"
#include "util.h"

struct listener {
        struct ttrpc_server *server;
        struct loop_watch watch;
        int fd;
        char description[128];
        struct list_head link;
        /* Serial channels are not sockets: they are reopened, not accepted. */
        bool serial;
        char device[256];
        struct loop_timer retry;
        uint64_t retry_delay_ns;
        struct ttrpc_conn *conn;
};

static const struct ttrpc_limits default_limits = {
        .max_connections = TTRPC_DEFAULT_MAX_CONNECTIONS,
        .max_calls_per_conn = TTRPC_DEFAULT_MAX_CALLS_PER_CONN,
        .out_high_water = TTRPC_DEFAULT_OUT_HIGH_WATER,
        .out_low_water = TTRPC_DEFAULT_OUT_LOW_WATER,
        .out_max = TTRPC_DEFAULT_OUT_MAX,
};

/*
 * After every loop iteration: write queued replies, free closed connections.
 * Flushing can resume a paused reader, whose buffered requests then queue new
 * replies and mark it dirty again; keep going until nothing is left, or those
 * replies would wait for an unrelated event to wake the loop.
 */
static void server_after_iteration(struct loop *l, void *data)
{
        struct ttrpc_server *s = data;
        (void)l;

        while (!list_empty(&s->dirty)) {
                struct ttrpc_conn *c = list_entry(s->dirty.next, struct ttrpc_conn, dirty_link);
                list_del(&c->dirty_link);
                if (c->doomed)
                        conn_kill(c, "doomed");
                if (!c->dead)
                        conn_flush(c);
                if (c->dead)
                        conn_free(c);
        }
}

int ttrpc_server_new(struct loop *loop, struct ttrpc_server **ret)
{
        struct ttrpc_server *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->loop = loop;
        s->limits = default_limits;
        s->failure_log = (struct log_ratelimit)LOG_RATELIMIT_INIT(NSEC_PER_SEC, 20);
        list_init(&s->conns);
        list_init(&s->listeners);
        list_init(&s->dirty);
        list_init(&s->free_calls);
        int r = loop_after_add(loop, server_after_iteration, s);
        if (r < 0) {
                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

static void listener_free(struct listener *li)
{
        struct ttrpc_server *s = li->server;
        if (li->fd >= 0) {
                loop_watch_remove(s->loop, &li->watch); /* a serial port waiting for its host has none */
                close_and_reset(&li->fd);
        }
        loop_timer_disarm(s->loop, &li->retry);
        list_del(&li->link);
        free(li);
}

struct ttrpc_server *ttrpc_server_free(struct ttrpc_server *s)
{
        struct list_head *pos, *tmp;

        if (!s)
                return NULL;
        s->freeing = true;
        list_for_each_safe(pos, tmp, &s->conns)
                conn_free(list_entry(pos, struct ttrpc_conn, link));
        list_for_each_safe(pos, tmp, &s->listeners)
                listener_free(list_entry(pos, struct listener, link));
        for (size_t i = 0; i < s->n_services; i++)
                free(s->services[i].by_index);
        call_free_list_release(s);
        free(s->scratch);
        free(s->services);
        free(s);
        return NULL;
}

void ttrpc_server_set_limits(struct ttrpc_server *s, const struct ttrpc_limits *limits)
{
        s->limits = *limits;
}

void ttrpc_server_set_guard(struct ttrpc_server *s, ttrpc_guard_fn guard, void *data)
{
        s->guard = guard;
        s->guard_data = data;
}

const struct ttrpc_server_stats *ttrpc_server_stats(const struct ttrpc_server *s)
{
        return &s->stats;
}

size_t ttrpc_server_n_connections(const struct ttrpc_server *s)
{
        return s->n_conns - s->n_over_limit;
}

const struct service_entry *server_find_service(const struct ttrpc_server *s, const char *name)
{
        if (!name)
                return NULL;
        for (size_t i = 0; i < s->n_services; i++)
                if (strcmp(s->services[i].svc.descriptor->name, name) == 0)
                        return &s->services[i];
        return NULL;
}

int ttrpc_server_register(struct ttrpc_server *s, const struct ttrpc_service *svc)
{
        const ProtobufCServiceDescriptor *d = svc->descriptor;

        if (server_find_service(s, d->name))
                return -EEXIST;
        ttrpc_handler_fn *by_index = calloc(d->n_methods ? d->n_methods : 1, sizeof *by_index);
        if (!by_index)
                return -ENOMEM;
        for (size_t i = 0; i < svc->n_handlers; i++) {
                const ProtobufCMethodDescriptor *m =
                        protobuf_c_service_descriptor_get_method_by_name(d, svc->handlers[i].method);
                if (!m) {
                        free(by_index);
                        return -EINVAL;
                }
                by_index[m - d->methods] = svc->handlers[i].fn;
        }
        struct service_entry *n = realloc(s->services, (s->n_services + 1) * sizeof *n);
        if (!n) {
                free(by_index);
                return -ENOMEM;
        }
        s->services = n;
        s->services[s->n_services++] = (struct service_entry){ .svc = *svc, .by_index = by_index };
        return 0;
}

static void listener_on_accept(struct loop_watch *w, uint32_t events)
{
        static struct log_ratelimit refused_log = LOG_RATELIMIT_INIT(NSEC_PER_SEC, 1);
        struct listener *li = w->data;
        struct ttrpc_server *s = li->server;
        (void)events;

        /* Accept a bounded batch so one busy listener cannot starve the loop. */
        for (int i = 0; i < 64; i++) {
                char peer[64];
                int fd = transport_accept(li->fd, peer, sizeof peer);
                if (fd == -EAGAIN)
                        return;
                if (fd < 0) {
                        if (fd == -EMFILE || fd == -ENFILE)
                                log_warn_errno(fd, "cannot accept on %s", li->description);
                        return;
                }
                bool over = s->n_conns - s->n_over_limit >= s->limits.max_connections;
                if (over) {
                        s->stats.connections_refused++;
                        /* Logged once a second at most: a peer may retry in a tight loop. */
                        if (log_ratelimit_ok(&refused_log))
                                log_warn("refusing connection from %s: %zu connections already open (%s%s%zu)",
                                         peer, s->n_conns - s->n_over_limit,
                                         s->limits.max_connections_key ? s->limits.max_connections_key : "limit",
                                         s->limits.max_connections_key ? "=" : " ", s->limits.max_connections);
                        if (s->n_over_limit >= SERVER_OVER_LIMIT_CONNS_MAX) {
                                close(fd);
                                continue;
                        }
                }
                struct ttrpc_conn *c;
                int r = conn_new(s, fd, peer, false, &c);
                if (r < 0) {
                        log_warn_errno(r, "cannot serve connection from %s", peer);
                        close(fd);
                        continue;
                }
                if (over) {
                        /* Kept only to tell its first request why (ttrpc_call.c:check_stream). */
                        c->over_limit = true;
                        s->n_over_limit++;
                        continue;
                }
                s->stats.connections_accepted++;
                log_debug("connection %" PRIu64 " from %s on %s", c->id, peer, li->description);
        }
}

int ttrpc_server_add_listener(struct ttrpc_server *s, int fd, const char *description)
{
        struct listener *li = calloc(1, sizeof *li);
        if (!li) {
                close(fd);
                return -ENOMEM;
        }
        li->server = s;
        li->fd = fd;
        snprintf(li->description, sizeof li->description, "%s", description);
        int r = loop_watch_add(s->loop, &li->watch, fd, EPOLLIN, listener_on_accept, li);
        if (r < 0) {
                close(fd);
                free(li);
                return r;
        }
        list_add_tail(&li->link, &s->listeners);
        return 0;
}

int ttrpc_server_add_stream(struct ttrpc_server *s, int fd, const char *description)
{
        struct ttrpc_conn *c;
        int r = conn_new(s, fd, description, false, &c);
        if (r < 0)
                close(fd);
        return r;
}

/* --- serial channels --- */

/*
 * A virtio-serial port whose host side is not connected (the VMM's chardev
 * socket has no client yet, or the client left) reads as end-of-file and
 * polls as POLLHUP at once, forever: serving it would spin. So a port is
 * served only while its host is there. In between, the listener holds the
 * open port without watching it and waits for the kernel's SIGIO, which
 * virtio_console sends to an O_ASYNC port when the host connects (delivered
 * through the loop's signalfd: ttrpc_server_serial_event); a slow timer is
 * the fallback where SIGIO is not routed to the loop or not sent (a tty).
 */
#define SERIAL_RETRY_MIN_NS (100 * NSEC_PER_MSEC)
#define SERIAL_RETRY_MAX_NS (5 * NSEC_PER_SEC)
#define SERIAL_HOST_CHECK_NS (1 * NSEC_PER_SEC)

static int serial_open(struct listener *li);

static void serial_on_retry(struct loop_timer *t)
{
        struct listener *li = t->data;
        (void)serial_open(li);
}

static void serial_schedule(struct listener *li, uint64_t delay_ns)
{
        if (loop_timer_arm(li->server->loop, &li->retry, now_ns() + delay_ns, serial_on_retry, li) < 0)
                log_error("cannot schedule reopening %s: out of memory", li->device);
}

static void serial_schedule_retry(struct listener *li)
{
        li->retry_delay_ns = li->retry_delay_ns ? MIN(li->retry_delay_ns * 2, SERIAL_RETRY_MAX_NS)
                                                : SERIAL_RETRY_MIN_NS;
        serial_schedule(li, li->retry_delay_ns);
}

/* True while the port's host side is not connected (virtio_console reports POLLHUP then). */
static bool serial_host_absent(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

/* SIGIO on host (dis)connection, but only when the owner routes SIGIO to its loop (else it would kill us). */
static void serial_set_async(int fd, bool on)
{
        sigset_t blocked;
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0)
                return;
        if (on && (pthread_sigmask(SIG_BLOCK, NULL, &blocked) != 0 || !sigismember(&blocked, SIGIO)))
                return;
        if (on)
                (void)fcntl(fd, F_SETOWN, getpid());
        (void)fcntl(fd, F_SETFL, on ? fl | O_ASYNC : fl & ~O_ASYNC);
}

static void serial_on_closed(void *data)
{
        struct listener *li = data;

        li->conn = NULL;
        log_info("serial channel %s: the host side closed; serving it again when it reconnects", li->device);
        (void)serial_open(li);
}

/* Serves the port held in li->fd when its host is there; else keeps waiting. Takes the fd. */
static int serial_serve(struct listener *li)
{
        if (serial_host_absent(li->fd)) {
                serial_set_async(li->fd, true);
                serial_schedule(li, SERIAL_HOST_CHECK_NS);
                return 0;
        }
        serial_set_async(li->fd, false);
        loop_timer_disarm(li->server->loop, &li->retry);
        struct ttrpc_conn *c;
        int fd = li->fd, r = conn_new(li->server, fd, li->description, true, &c);
        li->fd = -1; /* the connection owns it now, or it is closed */
        if (r < 0) {
                close(fd);
                serial_schedule_retry(li);
                return r;
        }
        li->retry_delay_ns = 0;
        c->on_closed = serial_on_closed;
        c->on_closed_data = li;
        li->conn = c;
        return 0;
}

static int serial_open(struct listener *li)
{
        if (li->fd >= 0) /* waiting for the host with the port open */
                return serial_serve(li);
        int fd = transport_open_serial(li->device);
        if (fd < 0) {
                if (li->retry_delay_ns == 0 || li->retry_delay_ns == SERIAL_RETRY_MAX_NS)
                        log_warn_errno(fd, "cannot open serial channel %s, retrying", li->device);
                serial_schedule_retry(li);
                return fd;
        }
        li->fd = fd;
        return serial_serve(li);
}

void ttrpc_server_serial_event(struct ttrpc_server *s)
{
        struct list_head *pos, *tmp;
        list_for_each_safe(pos, tmp, &s->listeners) {
                struct listener *li = list_entry(pos, struct listener, link);
                if (li->serial && !li->conn && li->fd >= 0)
                        (void)serial_serve(li);
        }
}

int ttrpc_server_add_serial(struct ttrpc_server *s, const char *device_path)
{
        if (strlen(device_path) >= sizeof(((struct listener *)0)->device))
                return -ENAMETOOLONG;
        struct listener *li = calloc(1, sizeof *li);
        if (!li)
                return -ENOMEM;
        li->server = s;
        li->fd = -1;
        li->serial = true;
        snprintf(li->device, sizeof li->device, "%s", device_path);
        snprintf(li->description, sizeof li->description, "serial:%s", device_path);
        list_add_tail(&li->link, &s->listeners);
        /* The device must exist at start; later disappearances are retried. */
        int fd = transport_open_serial(device_path);
        if (fd < 0) {
                listener_free(li);
                return fd;
        }
        li->fd = fd;
        int r = serial_serve(li);
        if (r < 0)
                listener_free(li);
        return r;
}
