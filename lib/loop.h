/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The single event loop: epoll for file descriptors, a min-heap of timers
 * (the epoll timeout is the nearest deadline), signalfd for signals, and
 * "after" hooks that run once per iteration (used to batch socket writes).
 *
 * Watches and timers are embedded in their owners; the loop never allocates
 * per event. Removing a watch while its events are being dispatched is safe.
 */
#ifndef KINGLET_LOOP_H
#define KINGLET_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct loop_watch;
struct loop_timer;

typedef void (*loop_fd_fn)(struct loop_watch *w, uint32_t events);
typedef void (*loop_timer_fn)(struct loop_timer *t);
typedef void (*loop_signal_fn)(struct loop *l, int signo, void *data);
typedef void (*loop_after_fn)(struct loop *l, void *data);

struct loop_watch {
        int fd;
        uint32_t events;
        loop_fd_fn fn;
        void *data;
        bool added;
};

struct loop_timer {
        uint64_t deadline_ns; /* CLOCK_MONOTONIC */
        size_t heap_index;    /* 0 = not armed; else position + 1 */
        loop_timer_fn fn;
        void *data;
};

int loop_new(struct loop **ret);
struct loop *loop_free(struct loop *l);

int loop_watch_add(struct loop *l, struct loop_watch *w, int fd, uint32_t events,
                   loop_fd_fn fn, void *data);
int loop_watch_modify(struct loop *l, struct loop_watch *w, uint32_t events);
void loop_watch_remove(struct loop *l, struct loop_watch *w);

/* Arms (or re-arms) t; -ENOMEM leaves it disarmed. */
int loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t deadline_ns,
                   loop_timer_fn fn, void *data);
void loop_timer_disarm(struct loop *l, struct loop_timer *t);
static inline bool loop_timer_armed(const struct loop_timer *t)
{
        return t->heap_index != 0;
}

/* Block `mask` and deliver those signals through the loop. One handler per loop. */
int loop_signals(struct loop *l, const sigset_t *mask, loop_signal_fn fn, void *data);

/* Run fn after every iteration's events (at most LOOP_AFTER_MAX hooks). */
#define LOOP_AFTER_MAX 8
int loop_after_add(struct loop *l, loop_after_fn fn, void *data);

/* One iteration: wait at most timeout_ms (-1 = until an event or timer). */
int loop_run_once(struct loop *l, int timeout_ms);
/* Iterate until loop_quit(); returns the code given to it. */
int loop_run(struct loop *l);
void loop_quit(struct loop *l, int code);
bool loop_quitting(const struct loop *l);

#endif
