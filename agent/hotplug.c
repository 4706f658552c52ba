/* SPDX-License-Identifier: Apache-2.0 */
/* The uevent socket and the calls parked on it (see hotplug.h). */
#include "hotplug.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "list.h"
#include "uevent.h"
#include "util.h"

/* Messages read per readiness event: a burst of uevents cannot keep the loop to itself. */
#define UEVENT_BATCH_MAX 256
#define UEVENT_RCVBUF (1u << 20)

struct hotplug {
        struct loop *loop;
        uint64_t timeout_ns;
        uint32_t timeout_ms;
        int fd;
        struct loop_watch watch;
        struct list_head waiters;
        size_t n_waiters;
        uint64_t next_seq, round;
};

struct hotplug_waiter {
        struct list_head link;
        struct hotplug *h;
        struct ttrpc_call *call;
        const ProtobufCMessage *request; /* owned by the call */
        void *userdata;
        ttrpc_handler_fn handler;
        struct loop_timer timer;
        uint64_t seq, round;
        struct hotplug_needs needs;
};

/*
 * The process's registry. It lives until exit unless main frees it after the
 * server (whose shutdown cancels the parked calls first); held here so it is
 * not a leak when it is not freed.
 */
static struct hotplug *registry;

int hotplug_new(struct loop *loop, uint32_t timeout_ms, struct hotplug **ret)
{
        struct hotplug *h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        h->loop = loop;
        h->timeout_ms = timeout_ms;
        h->timeout_ns = (uint64_t)timeout_ms * 1000000u;
        h->fd = -1;
        list_init(&h->waiters);
        registry = h;
        *ret = h;
        return 0;
}

static void waiter_free(struct hotplug_waiter *w)
{
        list_del(&w->link);
        w->h->n_waiters--;
        if (loop_timer_armed(&w->timer))
                loop_timer_disarm(w->h->loop, &w->timer);
        free(w);
}

struct hotplug *hotplug_free(struct hotplug *h)
{
        if (!h)
                return NULL;
        if (h->fd >= 0) {
                loop_watch_remove(h->loop, &h->watch);
                close(h->fd);
        }
        while (!list_empty(&h->waiters))
                waiter_free(list_entry(h->waiters.next, struct hotplug_waiter, link));
        if (registry == h)
                registry = NULL;
        free(h);
        return NULL;
}

/* The first need not yet met (its state in *ret_r), or NULL when all are. */
static struct hotplug_need *first_missing(struct hotplug_needs *needs, int *ret_r, struct rpc_error *e)
{
        char node[256];
        for (size_t i = 0; i < needs->n; i++) {
                int r = hotplug_resolve(&needs->v[i], node, sizeof node, e);
                if (r < 0) {
                        *ret_r = r;
                        return &needs->v[i];
                }
        }
        return NULL;
}

static bool still_waiting(int r)
{
        return r == -ENOENT || r == -ENOMEDIUM;
}

static int fail_missing(struct ttrpc_call *call, int code, const struct hotplug_need *n, int r, uint32_t timeout_ms)
{
        char when[32];
        if (timeout_ms % 1000)
                snprintf(when, sizeof when, "%.3f s", timeout_ms / 1000.0);
        else
                snprintf(when, sizeof when, "%u s", timeout_ms / 1000);
        const char *how = n->kind == HOTPLUG_SCSI ? "at SCSI address" : n->kind == HOTPLUG_BLK_NODE ? "" : "at PCI path";
        if (r == -ENOMEDIUM)
                return ttrpc_call_fail(call, code, "%s device %s%s`%s` is there but has no medium (size 0) after %s",
                                       n->what, how, *how ? " " : "", n->source, when);
        return ttrpc_call_fail(call, code, "%s device %s%s`%s` did not appear within %s", n->what, how,
                               *how ? " " : "", n->source, when);
}

/* Everything is there (or something is wrong for good): the handler runs again and answers. */
static void reinvoke(struct hotplug_waiter *w)
{
        struct ttrpc_call *call = w->call;
        const ProtobufCMessage *request = w->request;
        void *userdata = w->userdata;
        ttrpc_handler_fn handler = w->handler;
        waiter_free(w);
        int r = handler(call, request, userdata);
        if (r < 0)
                (void)ttrpc_call_fail_error(call, r, NULL);
}

static void on_deadline(struct loop_timer *t)
{
        struct hotplug_waiter *w = t->data;
        struct rpc_error e = { 0 };
        int r = 0;
        struct hotplug_need *n = first_missing(&w->needs, &r, &e);
        if (!n || !still_waiting(r)) {
                reinvoke(w);
                return;
        }
        struct hotplug_need missing = *n;
        struct ttrpc_call *call = w->call;
        uint32_t timeout_ms = w->h->timeout_ms;
        waiter_free(w);
        (void)fail_missing(call, GRPC_DEADLINE_EXCEEDED, &missing, r, timeout_ms);
}

static void waiter_cancel(struct ttrpc_call *call, void *data, int reason)
{
        (void)call;
        (void)reason;
        waiter_free(data);
}

/* After a batch of uevents: every waiter parked before it looks again, once. */
static void recheck_all(struct hotplug *h)
{
        uint64_t limit = h->next_seq, round = ++h->round;
        struct list_head *pos;
again:
        for (pos = h->waiters.next; pos != &h->waiters; pos = pos->next) {
                struct hotplug_waiter *w = list_entry(pos, struct hotplug_waiter, link);
                if (w->seq >= limit || w->round == round)
                        continue;
                w->round = round;
                struct rpc_error e = { 0 };
                int r = 0;
                struct hotplug_need *n = first_missing(&w->needs, &r, &e);
                if (n && still_waiting(r))
                        continue;
                reinvoke(w); /* the handler may park others or answer: walk the list afresh */
                goto again;
        }
}

static bool relevant(const struct uevent *ev)
{
        static const char *const actions[] = { "add", "change", "bind", "online", "move" };
        for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
                if (streq(ev->action, actions[i]))
                        return true;
        return false;
}

static void on_uevent(struct loop_watch *watch, uint32_t events)
{
        struct hotplug *h = watch->data;
        static char msg[UEVENT_MSG_MAX + 1];
        static struct uevent ev;
        bool wake = false;
        (void)events;

        for (int i = 0; i < UEVENT_BATCH_MAX; i++) {
                struct sockaddr_nl from;
                struct iovec iov = { msg, sizeof msg };
                struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1 };
                ssize_t n = recvmsg(h->fd, &mh, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == ENOBUFS)
                                wake = true; /* events were lost: look at everything again */
                        if (errno == EINTR || errno == ENOBUFS)
                                continue;
                        break;
                }
                /* Only the kernel's own messages count; truncated ones are not the kernel's either. */
                if (from.nl_pid != 0 || (mh.msg_flags & MSG_TRUNC))
                        continue;
                if (uevent_parse(msg, (size_t)n, &ev) == 0 && relevant(&ev))
                        wake = true;
        }
        if (wake && h->n_waiters)
                recheck_all(h);
}

int hotplug_listen(struct hotplug *h)
{
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 /* the kernel's uevents */ };
        int size = UEVENT_RCVBUF;
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
        if (fd < 0)
                return -errno;
        /* A boot or a big hotplug sends bursts; overruns are survived (ENOBUFS) but cost a full re-check. */
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
                return -errno;
        int r = loop_watch_add(h->loop, &h->watch, fd, EPOLLIN, on_uevent, h);
        if (r < 0)
                return r;
        h->fd = TAKE_FD(fd);
        return 0;
}

int hotplug_wait(struct hotplug *h, struct hotplug_needs *needs, struct ttrpc_call *call,
                 const ProtobufCMessage *request, void *userdata, ttrpc_handler_fn handler, bool *ready)
{
        struct rpc_error e = { 0 };
        int r = 0;
        *ready = false;
        struct hotplug_need *n = first_missing(needs, &r, &e);
        if (!n) {
                *ready = true;
                return 0;
        }
        if (!still_waiting(r))
                return ttrpc_call_fail_error(call, r, &e);
        if (!h)
                return ttrpc_call_fail(call, GRPC_UNAVAILABLE, "%s device `%s` is not there and hotplug waits are not "
                                       "set up in this agent", n->what, n->source);
        if (h->timeout_ns == 0)
                return fail_missing(call, GRPC_DEADLINE_EXCEEDED, n, r, 0);
        if (h->n_waiters >= HOTPLUG_WAITERS_MAX)
                return ttrpc_call_fail(call, GRPC_RESOURCE_EXHAUSTED,
                                       "already %d requests wait for devices; `%s` is not there yet",
                                       HOTPLUG_WAITERS_MAX, n->source);
        struct hotplug_waiter *w = malloc(sizeof *w);
        if (!w)
                return -ENOMEM;
        *w = (struct hotplug_waiter){ .h = h, .call = call, .request = request, .userdata = userdata,
                                      .handler = handler, .seq = h->next_seq++ };
        memcpy(&w->needs, needs, offsetof(struct hotplug_needs, v) + needs->n * sizeof needs->v[0]);
        r = loop_timer_arm(h->loop, &w->timer, now_ns() + h->timeout_ns, on_deadline, w);
        if (r < 0) {
                free(w);
                return r;
        }
        list_add_tail(&w->link, &h->waiters);
        h->n_waiters++;
        return ttrpc_call_park(call, waiter_cancel, w); /* on failure it cancels, freeing w */
}

int hotplug_wait_request(struct hotplug *h, Grpc__Storage *const *storages, size_t n_storages,
                         Grpc__Device *const *devices, size_t n_devices, struct ttrpc_call *call,
                         const ProtobufCMessage *request, void *userdata, ttrpc_handler_fn handler, bool *ready)
{
        struct rpc_error e = { 0 };
        int r = 0;
        *ready = false;
        if (n_storages > HOTPLUG_DEVICES_MAX || n_devices > HOTPLUG_DEVICES_MAX)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "%zu storages and %zu devices; at most %d of each",
                                       n_storages, n_devices, HOTPLUG_DEVICES_MAX);
        _cleanup_free_ struct hotplug_needs *needs = malloc(sizeof *needs);
        if (!needs)
                return -ENOMEM;
        needs->n = 0;
        for (size_t i = 0; r == 0 && i < n_storages; i++)
                r = hotplug_need_storage(needs, storages[i], &e);
        for (size_t i = 0; r == 0 && i < n_devices; i++)
                r = hotplug_need_device(needs, devices[i], &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        if (needs->n == 0) {
                *ready = true;
                return 0;
        }
        return hotplug_wait(h, needs, call, request, userdata, handler, ready);
}
