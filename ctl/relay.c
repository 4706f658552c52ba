/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connects a local terminal (or pipes) to a process in the guest, on one
 * ttrpc connection: ReadStdout, ReadStderr and WaitProcess stay in flight as
 * long polls, local stdin becomes WriteStdin, and a window change becomes
 * TtyWinResize. Ends when the process has exited and its output is drained.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "relay.h"
#include "util.h"

#define READ_LEN (64u << 10)

enum pending_kind { P_NONE, P_STDOUT, P_STDERR, P_WAIT, P_STDIN, P_OTHER };

struct relay {
        struct ttrpc_client *c;
        const char *id, *exec_id;
        uint32_t stdout_id, stderr_id, wait_id, stdin_id;
        bool stdout_done, stderr_done, waited, stdin_open, stdin_busy;
        int status;
        struct termios saved;
        bool raw;
};

static int send_msg(struct relay *r, const char *method, const ProtobufCMessage *m, uint32_t *ret_id)
{
        return ttrpc_client_send(r->c, "grpc.AgentService", method, m, 0, ret_id);
}

static int ask_output(struct relay *r, bool err)
{
        Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;
        req.container_id = (char *)r->id;
        req.exec_id = (char *)r->exec_id;
        req.len = READ_LEN;
        return send_msg(r, err ? "ReadStderr" : "ReadStdout", &req.base, err ? &r->stderr_id : &r->stdout_id);
}

static int send_resize(struct relay *r)
{
        struct winsize ws;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
                return 0;
        Grpc__TtyWinResizeRequest req = GRPC__TTY_WIN_RESIZE_REQUEST__INIT;
        req.container_id = (char *)r->id;
        req.exec_id = (char *)r->exec_id;
        req.row = ws.ws_row;
        req.column = ws.ws_col;
        return send_msg(r, "TtyWinResize", &req.base, NULL);
}

static int forward_stdin(struct relay *r)
{
        char buf[16384];
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0) {
                Grpc__CloseStdinRequest req = GRPC__CLOSE_STDIN_REQUEST__INIT;
                req.container_id = (char *)r->id;
                req.exec_id = (char *)r->exec_id;
                r->stdin_open = false;
                return send_msg(r, "CloseStdin", &req.base, NULL);
        }
        Grpc__WriteStreamRequest req = GRPC__WRITE_STREAM_REQUEST__INIT;
        req.container_id = (char *)r->id;
        req.exec_id = (char *)r->exec_id;
        req.data.data = (uint8_t *)buf;
        req.data.len = (size_t)n;
        r->stdin_busy = true; /* one write in flight: the next waits for its answer (back-pressure) */
        return send_msg(r, "WriteStdin", &req.base, &r->stdin_id);
}

static int handle_reply(struct relay *r, struct ttrpc_reply *rep, struct rpc_error *e)
{
        bool is_out = rep->stream_id == r->stdout_id, is_err = rep->stream_id == r->stderr_id;
        if (rep->code != GRPC_OK) {
                if (rep->stream_id == r->stdin_id) { /* the process stopped reading: stop sending */
                        r->stdin_busy = false;
                        r->stdin_open = false;
                        return 0;
                }
                if (is_out || is_err || rep->stream_id == r->wait_id)
                        return rpc_error_set(e, rep->code, -EPROTO, "%s", rep->message);
                return 0; /* a resize refused: not worth stopping for */
        }
        if (is_out || is_err) {
                Grpc__ReadStreamResponse *rs = (Grpc__ReadStreamResponse *)protobuf_c_message_unpack(
                        &grpc__read_stream_response__descriptor, NULL, rep->payload_len, rep->payload);
                if (!rs)
                        return rpc_error_set(e, GRPC_INTERNAL, -EBADMSG, "bad ReadStream reply");
                size_t n = rs->data.len;
                if (n)
                        (void)write_all(is_out ? STDOUT_FILENO : STDERR_FILENO, rs->data.data, n);
                protobuf_c_message_free_unpacked(&rs->base, NULL);
                if (n == 0) {
                        *(is_out ? &r->stdout_done : &r->stderr_done) = true;
                        return 0;
                }
                return ask_output(r, is_err);
        }
        if (rep->stream_id == r->wait_id) {
                Grpc__WaitProcessResponse *w = (Grpc__WaitProcessResponse *)protobuf_c_message_unpack(
                        &grpc__wait_process_response__descriptor, NULL, rep->payload_len, rep->payload);
                r->status = w ? w->status : 255;
                r->waited = true;
                if (w)
                        protobuf_c_message_free_unpacked(&w->base, NULL);
                return 0;
        }
        if (rep->stream_id == r->stdin_id)
                r->stdin_busy = false;
        return 0;
}

static void restore_terminal(struct relay *r)
{
        if (r->raw)
                (void)tcsetattr(STDIN_FILENO, TCSADRAIN, &r->saved);
        r->raw = false;
}

int relay_run(struct ttrpc_client *c, const char *id, const char *exec_id, const struct relay_opts *o,
              int *ret_status, struct rpc_error *e)
{
        struct relay r = { .c = c, .id = id, .exec_id = exec_id, .stdin_open = o->forward_stdin, .status = 255 };
        sigset_t winch;
        int sfd = -1, rc = 0;

        sigemptyset(&winch);
        sigaddset(&winch, SIGWINCH);
        if (o->tty && isatty(STDIN_FILENO)) {
                if (tcgetattr(STDIN_FILENO, &r.saved) == 0) {
                        struct termios raw = r.saved;
                        cfmakeraw(&raw);
                        r.raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
                }
                sigprocmask(SIG_BLOCK, &winch, NULL);
                sfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
                (void)send_resize(&r);
        }
        r.stderr_done = o->tty; /* a terminal has one stream */
        if (ask_output(&r, false) < 0 || (!o->tty && ask_output(&r, true) < 0)) {
                rc = rpc_error_set(e, GRPC_UNAVAILABLE, -EPIPE, "lost the connection to the agent");
                goto out;
        }
        Grpc__WaitProcessRequest wreq = GRPC__WAIT_PROCESS_REQUEST__INIT;
        wreq.container_id = (char *)id;
        wreq.exec_id = (char *)exec_id;
        if (send_msg(&r, "WaitProcess", &wreq.base, &r.wait_id) < 0) {
                rc = rpc_error_set(e, GRPC_UNAVAILABLE, -EPIPE, "lost the connection to the agent");
                goto out;
        }
        while (!(r.waited && r.stdout_done && r.stderr_done)) {
                struct pollfd pf[3] = {
                        { .fd = ttrpc_client_fd(c), .events = POLLIN },
                        { .fd = r.stdin_open && !r.stdin_busy ? STDIN_FILENO : -1, .events = POLLIN },
                        { .fd = sfd, .events = POLLIN },
                };
                if (poll(pf, 3, -1) < 0 && errno != EINTR) {
                        rc = -errno;
                        break;
                }
                if (pf[2].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof si) == sizeof si)
                                ;
                        (void)send_resize(&r);
                }
                if (pf[1].revents & (POLLIN | POLLHUP) && forward_stdin(&r) < 0) {
                        rc = rpc_error_set(e, GRPC_UNAVAILABLE, -EPIPE, "lost the connection to the agent");
                        break;
                }
                if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        struct ttrpc_reply rep;
                        /* Drain what arrived; 0 ms: do not block here. */
                        while ((rc = ttrpc_client_recv(c, 0, &rep)) == 0) {
                                rc = handle_reply(&r, &rep, e);
                                ttrpc_reply_clear(&rep);
                                if (rc < 0)
                                        goto out;
                        }
                        if (rc == -ETIMEDOUT)
                                rc = 0;
                        else {
                                rc = rpc_error_set(e, GRPC_UNAVAILABLE, rc, "connection to the agent: %s", strerror(-rc));
                                break;
                        }
                }
        }
out:
        restore_terminal(&r);
        if (sfd >= 0) {
                close(sfd);
                sigprocmask(SIG_UNBLOCK, &winch, NULL);
        }
        *ret_status = r.status;
        return rc;
}
