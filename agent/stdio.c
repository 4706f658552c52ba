/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A process's stdio. Output is read into a bounded buffer per stream; when
 * it is full the agent stops reading, the pipe fills and the process blocks in
 * write(): a fast writer and a slow reader cost the agent at most the buffer.
 * ReadStdout takes from the buffer or parks until there is data or EOF.
 * WriteStdin writes what the pipe takes at once, or parks until it is writable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "cleanup.h"
#include "containers.h"
#include "parked.h"
#include "process.h"
#include "util.h"

#define READ_CHUNK 65536

static struct loop *loop_of(const struct process *p)
{
        return p->container->agent->loop;
}

void stdio_out_init(struct stdio_out *s, struct process *p)
{
        s->proc = p;
        s->fd = -1;
        list_init(&s->readers);
}

static void reply_data(struct stdio_out *s, struct ttrpc_call *call, size_t want)
{
        Grpc__ReadStreamResponse resp = GRPC__READ_STREAM_RESPONSE__INIT;
        size_t n = MIN(want, buf_len(&s->data));
        resp.data.data = buf_head(&s->data);
        resp.data.len = n;
        (void)ttrpc_call_reply(call, &resp.base);
        buf_consume(&s->data, n);
        if (n == 0 && s->eof)
                s->eof_delivered = true;
}

static void set_watching(struct stdio_out *s, bool on)
{
        if (s->fd < 0 || s->watching == on)
                return;
        if (on)
                s->watching = loop_watch_add(loop_of(s->proc), &s->watch, s->fd, EPOLLIN, s->watch.fn, s) == 0;
        else {
                loop_watch_remove(loop_of(s->proc), &s->watch);
                s->watching = false;
        }
}

void stdio_out_close(struct stdio_out *s)
{
        set_watching(s, false);
        close_and_reset(&s->fd);
        s->eof = true;
}

/* Hand data (or EOF) to whoever waits for it. */
static void serve_readers(struct stdio_out *s)
{
        size_t want;
        struct ttrpc_call *call;
        bool answered = false;
        while ((buf_len(&s->data) > 0 || s->eof) && (call = parked_take(&s->readers, &want))) {
                reply_data(s, call, want); /* empty data = EOF, as the Kata runtime reads it */
                answered = true;
        }
        buf_trim(&s->data, 0);
        if (answered && s->eof_delivered)
                container_reap_soon(s->proc); /* that may have been the last thing it was kept for */
        if (!s->eof && buf_len(&s->data) < s->proc->stdio_cap)
                set_watching(s, true);
}

static void on_output(struct loop_watch *w, uint32_t events)
{
        struct stdio_out *s = w->data;
        size_t cap = s->proc->stdio_cap;
        (void)events;

        while (buf_len(&s->data) < cap) {
                /*
                 * Grow by doubling from 4 KiB (the buffer is freed whenever
                 * it drains): an EOF or a short line then costs a small
                 * allocation, not a 64 KiB one, which musl maps and unmaps
                 * (TLB shootdowns on every core).
                 */
                size_t want = buf_room(&s->data) ? buf_room(&s->data)
                                                 : MIN((size_t)READ_CHUNK, MAX(buf_len(&s->data), (size_t)1));
                want = MIN(want, cap - buf_len(&s->data));
                if (buf_reserve(&s->data, want, cap) < 0)
                        break;
                want = MIN(buf_room(&s->data), cap - buf_len(&s->data));
                ssize_t n = read(s->fd, buf_tail(&s->data), want);
                if (n > 0) {
                        buf_commit(&s->data, (size_t)n);
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                /* 0: every writer closed it. EIO: a pty whose other end is gone. */
                stdio_out_close(s);
                break;
        }
        if (buf_len(&s->data) >= cap)
                set_watching(s, false); /* back-pressure: the pipe fills, the writer waits */
        serve_readers(s);
}

int stdio_out_attach(struct stdio_out *s, int fd)
{
        if (fd < 0)
                return -errno;
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        s->fd = fd;
        s->watch.fn = on_output;
        set_watching(s, true);
        return s->watching ? 0 : -ENOMEM;
}

int stdio_read(struct stdio_out *s, struct ttrpc_call *call, size_t len)
{
        if (buf_len(&s->data) > 0 || s->eof) {
                reply_data(s, call, len);
                if (!s->eof && buf_len(&s->data) < s->proc->stdio_cap)
                        set_watching(s, true);
                buf_trim(&s->data, 0);
                return TTRPC_DONE;
        }
        return parked_add(&s->readers, call, len);
}

/* --- stdin --- */

static int reply_written(struct ttrpc_call *call, size_t n)
{
        Grpc__WriteStreamResponse resp = GRPC__WRITE_STREAM_RESPONSE__INIT;
        resp.len = (uint32_t)n;
        return ttrpc_call_reply(call, &resp.base);
}

static void stdin_watch(struct process *p, bool on);

/* Writes for the oldest parked writer; false when the pipe is full again. */
static bool serve_one_writer(struct process *p)
{
        struct parked_call *pc = parked_peek(&p->stdin_writers);
        ssize_t n = write(p->stdin_fd, pc->data, pc->want);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return false;
        size_t want;
        struct ttrpc_call *call = parked_take(&p->stdin_writers, &want);
        if (n >= 0)
                (void)reply_written(call, (size_t)n);
        else
                (void)ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION,
                                      "process `%s` no longer reads its stdin: %s", p->exec_id, strerror(errno));
        return true;
}

static void on_stdin_writable(struct loop_watch *w, uint32_t events)
{
        struct process *p = w->data;
        (void)events;
        while (p->stdin_fd >= 0 && !list_empty(&p->stdin_writers))
                if (!serve_one_writer(p))
                        return;
        stdin_watch(p, false);
}

static void stdin_watch(struct process *p, bool on)
{
        if (p->stdin_watching == on || p->stdin_fd < 0)
                return;
        if (on)
                p->stdin_watching =
                        loop_watch_add(loop_of(p), &p->stdin_watch, p->stdin_fd, EPOLLOUT, on_stdin_writable, p) == 0;
        else {
                loop_watch_remove(loop_of(p), &p->stdin_watch);
                p->stdin_watching = false;
        }
}

int stdio_write(struct process *p, struct ttrpc_call *call, const uint8_t *data, size_t len)
{
        if (p->stdin_fd < 0)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION, "stdin of process `%s` is closed", p->exec_id);
        if (len == 0)
                return reply_written(call, 0);
        /* Behind earlier writes still waiting: keep the bytes in order. */
        if (list_empty(&p->stdin_writers)) {
                ssize_t n = write(p->stdin_fd, data, len);
                if (n >= 0)
                        return reply_written(call, (size_t)n);
                if (errno == EPIPE || errno == EIO)
                        return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION,
                                               "process `%s` no longer reads its stdin", p->exec_id);
                if (errno != EAGAIN)
                        return ttrpc_call_fail(call, grpc_code_from_errno(-errno), "writing stdin: %s",
                                               strerror(errno));
        }
        /* Full: answer when the process has read some (the runtime writes the rest after). */
        int r = parked_add_data(&p->stdin_writers, call, data, len);
        if (r == TTRPC_PARKED)
                stdin_watch(p, true);
        return r;
}

int stdio_close_stdin(struct process *p)
{
        if (p->stdin_fd < 0)
                return 0;
        stdin_watch(p, false);
        parked_fail_all(&p->stdin_writers, GRPC_FAILED_PRECONDITION, "stdin was closed");
        if (p->terminal) {
                /* A terminal cannot be half-closed: end-of-file is the EOF character. */
                static const char eot = 4;
                (void)!write(p->stdin_fd, &eot, 1);
        }
        close_and_reset(&p->stdin_fd);
        return 0;
}

int stdio_resize(struct process *p, unsigned rows, unsigned cols)
{
        if (p->pty_master < 0)
                return -ENOTTY;
        struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
        return ioctl(p->pty_master, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

static void on_drain_timer(struct loop_timer *t)
{
        struct process *p = t->data;
        struct stdio_out *streams[] = { &p->out, &p->err };
        bool again = false;

        for (size_t i = 0; i < 2; i++) {
                struct stdio_out *s = streams[i];
                if (s->eof || s->fd < 0)
                        continue;
                int pending = 0;
                /* Unread bytes, or a full buffer, mean output is still coming: never cut it. */
                if ((ioctl(s->fd, FIONREAD, &pending) == 0 && pending > 0) ||
                    buf_len(&s->data) >= p->stdio_cap) {
                        again = true;
                        continue;
                }
                /* Quiet since the exit: whoever keeps the pipe open (a daemon) is not the process. */
                stdio_out_close(s);
                serve_readers(s);
        }
        if (again)
                (void)loop_timer_arm(loop_of(p), &p->drain_timer, now_ns() + STDIO_DRAIN_NS, on_drain_timer, p);
}

void stdio_start_drain(struct process *p)
{
        if (p->out.eof && p->err.eof)
                return;
        (void)loop_timer_arm(loop_of(p), &p->drain_timer, now_ns() + STDIO_DRAIN_NS, on_drain_timer, p);
}

void stdio_free(struct process *p)
{
        struct stdio_out *streams[] = { &p->out, &p->err };
        loop_timer_disarm(loop_of(p), &p->drain_timer);
        for (size_t i = 0; i < 2; i++) {
                stdio_out_close(streams[i]);
                serve_readers(streams[i]); /* parked readers get EOF */
                buf_free(&streams[i]->data);
        }
        stdin_watch(p, false);
        parked_fail_all(&p->stdin_writers, GRPC_NOT_FOUND, "the process was removed");
        close_and_reset(&p->stdin_fd);
        close_and_reset(&p->pty_master);
}
