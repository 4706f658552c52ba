/* SPDX-License-Identifier: Apache-2.0 */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "macro.h"
#include "util.h"

#define LOOP_EVENTS_MAX 64

struct after_hook {
        loop_after_fn fn;
        void *data;
};

struct loop {
        int epfd;
        /* Events of the batch being dispatched, so removal can cancel the rest. */
        struct epoll_event events[LOOP_EVENTS_MAX];
        int n_events;
        int cur_event;

        struct loop_timer **heap;
        size_t n_timers;
        size_t cap_timers;

        struct loop_watch signal_watch;
        loop_signal_fn signal_fn;
        void *signal_data;

        struct after_hook after[LOOP_AFTER_MAX];
        size_t n_after;

        bool quit;
        int quit_code;
};

int loop_new(struct loop **ret)
{
        struct loop *l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epfd < 0) {
                int r = -errno;
                free(l);
                return r;
        }
        l->signal_watch.fd = -1;
        *ret = l;
        return 0;
}

struct loop *loop_free(struct loop *l)
{
        if (!l)
                return NULL;
        close_and_reset(&l->signal_watch.fd);
        close_and_reset(&l->epfd);
        free(l->heap);
        free(l);
        return NULL;
}

int loop_watch_add(struct loop *l, struct loop_watch *w, int fd, uint32_t events,
                   loop_fd_fn fn, void *data)
{
        struct epoll_event ev = { .events = events, .data.ptr = w };

        w->fd = fd;
        w->events = events;
        w->fn = fn;
        w->data = data;
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return -errno;
        w->added = true;
        return 0;
}

int loop_watch_modify(struct loop *l, struct loop_watch *w, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = w };

        if (!w->added)
                return -ENOENT;
        if (w->events == events)
                return 0;
        if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
                return -errno;
        w->events = events;
        return 0;
}

void loop_watch_remove(struct loop *l, struct loop_watch *w)
{
        if (!w->added)
                return;
        (void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
        w->added = false;
        /* Events already fetched for this watch must not reach a freed owner. */
        for (int i = l->cur_event + 1; i < l->n_events; i++)
                if (l->events[i].data.ptr == w)
                        l->events[i].data.ptr = NULL;
}

/* Timer heap: heap[i]->heap_index == i + 1. */
static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
        return a->deadline_ns < b->deadline_ns;
}

static void heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
        l->heap[i] = t;
        t->heap_index = i + 1;
}

static void heap_up(struct loop *l, size_t i)
{
        struct loop_timer *t = l->heap[i];
        while (i > 0) {
                size_t parent = (i - 1) / 2;
                if (!timer_before(t, l->heap[parent]))
                        break;
                heap_set(l, i, l->heap[parent]);
                i = parent;
        }
        heap_set(l, i, t);
}

static void heap_down(struct loop *l, size_t i)
{
        struct loop_timer *t = l->heap[i];
        for (;;) {
                size_t child = 2 * i + 1;
                if (child >= l->n_timers)
                        break;
                if (child + 1 < l->n_timers && timer_before(l->heap[child + 1], l->heap[child]))
                        child++;
                if (!timer_before(l->heap[child], t))
                        break;
                heap_set(l, i, l->heap[child]);
                i = child;
        }
        heap_set(l, i, t);
}

void loop_timer_disarm(struct loop *l, struct loop_timer *t)
{
        if (!t->heap_index)
                return;
        size_t i = t->heap_index - 1;
        t->heap_index = 0;
        l->n_timers--;
        if (i == l->n_timers)
                return;
        struct loop_timer *moved = l->heap[l->n_timers];
        heap_set(l, i, moved);
        heap_up(l, i);
        heap_down(l, moved->heap_index - 1);
}

int loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t deadline_ns,
                   loop_timer_fn fn, void *data)
{
        loop_timer_disarm(l, t);
        if (l->n_timers == l->cap_timers) {
                size_t cap = l->cap_timers ? l->cap_timers * 2 : 16;
                struct loop_timer **h = realloc(l->heap, cap * sizeof *h);
                if (!h)
                        return -ENOMEM;
                l->heap = h;
                l->cap_timers = cap;
        }
        t->deadline_ns = deadline_ns;
        t->fn = fn;
        t->data = data;
        heap_set(l, l->n_timers++, t);
        heap_up(l, l->n_timers - 1);
        return 0;
}

static void on_signalfd(struct loop_watch *w, uint32_t events)
{
        struct loop *l = w->data;
        struct signalfd_siginfo si;
        (void)events;

        for (;;) {
                ssize_t n = read(w->fd, &si, sizeof si);
                if (n != (ssize_t)sizeof si)
                        break;
                l->signal_fn(l, (int)si.ssi_signo, l->signal_data);
        }
}

int loop_signals(struct loop *l, const sigset_t *mask, loop_signal_fn fn, void *data)
{
        if (l->signal_watch.fd >= 0)
                return -EBUSY;
        if (sigprocmask(SIG_BLOCK, mask, NULL) < 0)
                return -errno;
        int fd = signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return -errno;
        l->signal_fn = fn;
        l->signal_data = data;
        int r = loop_watch_add(l, &l->signal_watch, fd, EPOLLIN, on_signalfd, l);
        if (r < 0) {
                close(fd);
                l->signal_watch.fd = -1;
        }
        return r;
}

int loop_after_add(struct loop *l, loop_after_fn fn, void *data)
{
        if (l->n_after == LOOP_AFTER_MAX)
                return -ENOSPC;
        l->after[l->n_after++] = (struct after_hook){ fn, data };
        return 0;
}

static int next_timeout_ms(struct loop *l, int timeout_ms)
{
        if (!l->n_timers)
                return timeout_ms;
        uint64_t now = now_ns();
        uint64_t deadline = l->heap[0]->deadline_ns;
        if (deadline <= now)
                return 0;
        /* Round up so we never wake a hair early and spin. */
        uint64_t ms = (deadline - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
        if (ms > INT32_MAX)
                ms = INT32_MAX;
        if (timeout_ms < 0 || (uint64_t)timeout_ms > ms)
                return (int)ms;
        return timeout_ms;
}

static void run_timers(struct loop *l)
{
        uint64_t now = now_ns();
        while (l->n_timers && l->heap[0]->deadline_ns <= now) {
                struct loop_timer *t = l->heap[0];
                loop_timer_disarm(l, t);
                t->fn(t);
        }
}

int loop_run_once(struct loop *l, int timeout_ms)
{
        int n = epoll_wait(l->epfd, l->events, LOOP_EVENTS_MAX, next_timeout_ms(l, timeout_ms));
        if (n < 0 && errno != EINTR)
                return -errno;
        l->n_events = n > 0 ? n : 0;
        for (l->cur_event = 0; l->cur_event < l->n_events; l->cur_event++) {
                struct loop_watch *w = l->events[l->cur_event].data.ptr;
                if (w)
                        w->fn(w, l->events[l->cur_event].events);
        }
        l->n_events = 0;
        l->cur_event = 0;
        run_timers(l);
        for (size_t i = 0; i < l->n_after; i++)
                l->after[i].fn(l, l->after[i].data);
        return 0;
}

int loop_run(struct loop *l)
{
        while (!l->quit) {
                int r = loop_run_once(l, -1);
                if (r < 0)
                        return r;
        }
        return l->quit_code;
}

void loop_quit(struct loop *l, int code)
{
        l->quit = true;
        l->quit_code = code;
}

bool loop_quitting(const struct loop *l)
{
        return l->quit;
}
