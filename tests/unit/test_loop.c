/* SPDX-License-Identifier: Apache-2.0 */
/* The event loop: timer ordering, re-arming, removal during dispatch, after-hooks, signals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

static int fired[64];
static int n_fired;

static void on_timer(struct loop_timer *t)
{
        fired[n_fired++] = (int)(intptr_t)t->data;
}

static void run_until(struct loop *l, int want, int max_ms)
{
        uint64_t end = now_ns() + (uint64_t)max_ms * NSEC_PER_MSEC;
        while (n_fired < want && now_ns() < end)
                assert_int_equal(loop_run_once(l, 5), 0);
}

static void test_timers_fire_in_deadline_order(void **state)
{
        struct loop *l;
        struct loop_timer t[20] = { 0 };
        /* A scrambled order, with duplicates, exercises the heap both ways. */
        static const int delay_ms[20] = { 9, 3, 15, 1, 12, 7, 3, 18, 0, 5, 11, 2, 16, 8, 4, 14, 6, 10, 13, 17 };
        (void)state;
        n_fired = 0;
        assert_int_equal(loop_new(&l), 0);
        uint64_t now = now_ns();
        for (int i = 0; i < 20; i++)
                assert_int_equal(loop_timer_arm(l, &t[i], now + (uint64_t)delay_ms[i] * NSEC_PER_MSEC,
                                                on_timer, (void *)(intptr_t)i), 0);
        /* Disarm three from different heap positions; they must never fire. */
        loop_timer_disarm(l, &t[0]);
        loop_timer_disarm(l, &t[7]);
        loop_timer_disarm(l, &t[8]);
        assert_false(loop_timer_armed(&t[7]));
        run_until(l, 17, 2000);
        assert_int_equal(n_fired, 17);
        for (int i = 1; i < n_fired; i++)
                assert_true(delay_ms[fired[i - 1]] <= delay_ms[fired[i]]);
        for (int i = 0; i < n_fired; i++)
                assert_true(fired[i] != 0 && fired[i] != 7 && fired[i] != 8);
        loop_free(l);
}

static void test_rearm_moves_a_timer(void **state)
{
        struct loop *l;
        struct loop_timer a = { 0 }, b = { 0 };
        (void)state;
        n_fired = 0;
        assert_int_equal(loop_new(&l), 0);
        uint64_t now = now_ns();
        assert_int_equal(loop_timer_arm(l, &a, now + 5 * NSEC_PER_MSEC, on_timer, (void *)1), 0);
        assert_int_equal(loop_timer_arm(l, &b, now + 10 * NSEC_PER_MSEC, on_timer, (void *)2), 0);
        assert_int_equal(loop_timer_arm(l, &a, now + 20 * NSEC_PER_MSEC, on_timer, (void *)1), 0);
        run_until(l, 2, 2000);
        assert_int_equal(n_fired, 2);
        assert_int_equal(fired[0], 2);
        assert_int_equal(fired[1], 1);
        loop_free(l);
}

struct pair_watch {
        struct loop *l;
        struct loop_watch w;
        struct pair_watch *victim;
        int calls;
};

static void on_readable(struct loop_watch *w, uint32_t events)
{
        struct pair_watch *p = w->data;
        (void)events;
        p->calls++;
        /* The first one to run removes the other, whose event is already fetched. */
        if (p->victim && p->victim->w.added)
                loop_watch_remove(p->l, &p->victim->w);
}

static void test_remove_during_dispatch(void **state)
{
        struct loop *l;
        int a[2], b[2];
        struct pair_watch pa = { 0 }, pb = { 0 };
        (void)state;
        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(pipe2(a, O_CLOEXEC), 0);
        assert_int_equal(pipe2(b, O_CLOEXEC), 0);
        pa.l = pb.l = l;
        pa.victim = &pb;
        pb.victim = &pa;
        assert_int_equal(loop_watch_add(l, &pa.w, a[0], EPOLLIN, on_readable, &pa), 0);
        assert_int_equal(loop_watch_add(l, &pb.w, b[0], EPOLLIN, on_readable, &pb), 0);
        assert_int_equal(write(a[1], "x", 1), 1);
        assert_int_equal(write(b[1], "x", 1), 1);
        assert_int_equal(loop_run_once(l, 100), 0);
        /* Exactly one ran; the removed one's pending event was dropped. */
        assert_int_equal(pa.calls + pb.calls, 1);
        assert_int_equal(loop_watch_modify(l, pa.calls ? &pb.w : &pa.w, EPOLLIN), -ENOENT);
        close(a[0]), close(a[1]), close(b[0]), close(b[1]);
        loop_free(l);
}

static int after_calls;
static void on_after(struct loop *l, void *data)
{
        (void)l;
        (void)data;
        after_calls++;
}

static void test_after_hooks_and_limit(void **state)
{
        struct loop *l;
        (void)state;
        after_calls = 0;
        assert_int_equal(loop_new(&l), 0);
        for (int i = 0; i < LOOP_AFTER_MAX; i++)
                assert_int_equal(loop_after_add(l, on_after, NULL), 0);
        assert_int_equal(loop_after_add(l, on_after, NULL), -ENOSPC);
        assert_int_equal(loop_run_once(l, 0), 0);
        assert_int_equal(after_calls, LOOP_AFTER_MAX);
        loop_free(l);
}

static int got_signal;
static void on_signal(struct loop *l, int signo, void *data)
{
        (void)data;
        got_signal = signo;
        loop_quit(l, 7);
}

static void test_signals_and_quit(void **state)
{
        struct loop *l;
        sigset_t mask, old;
        (void)state;
        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        sigprocmask(SIG_BLOCK, NULL, &old);
        assert_int_equal(loop_new(&l), 0);
        assert_int_equal(loop_signals(l, &mask, on_signal, NULL), 0);
        assert_int_equal(loop_signals(l, &mask, on_signal, NULL), -EBUSY);
        assert_int_equal(kill(getpid(), SIGUSR1), 0);
        assert_int_equal(loop_run(l), 7);
        assert_int_equal(got_signal, SIGUSR1);
        assert_true(loop_quitting(l));
        loop_free(l);
        sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_timers_fire_in_deadline_order),
                cmocka_unit_test(test_rearm_moves_a_timer),
                cmocka_unit_test(test_remove_during_dispatch),
                cmocka_unit_test(test_after_hooks_and_limit),
                cmocka_unit_test(test_signals_and_quit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
