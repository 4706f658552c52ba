/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a broken or hostile peer can do to the real agent, and what the agent
 * must still do afterwards: answer Check. Also the other channels (serial,
 * vsock), configuration precedence and start-up errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agent_proc.h"
#include "buf.h"
#include "frame.h"
#include "health.pb-c.h"
#include "kinglet.pb-c.h"
#include "ttrpc_test.h"
#include "util.h"

enum after { STAYS_USABLE, GETS_CLOSED, NO_REPLY };

struct bad_input {
        const char *name;
        void (*build)(struct buf *b);
        int code;            /* expected reply code on `stream` (-1: no reply expected) */
        uint32_t stream;
        enum after after;
};

static void build_oversized(struct buf *b)
{
        size_t len = TTRPC_MESSAGE_MAX + 1;
        uint8_t *body = calloc(1, len);
        test_frame_raw(b, (uint32_t)len, 1, TTRPC_TYPE_REQUEST, 0, body, len);
        free(body);
}

static void build_insane(struct buf *b)
{
        test_frame_raw(b, 0x40000000, 1, TTRPC_TYPE_REQUEST, 0, NULL, 0);
}

static void build_truncated(struct buf *b)
{
        test_frame_raw(b, 100, 1, TTRPC_TYPE_REQUEST, 0, "only part of it", 15);
}

static void build_even(struct buf *b)
{
        Grpc__CheckRequest r = GRPC__CHECK_REQUEST__INIT;
        test_frame_request(b, 2, 0, "grpc.Health", "Check", &r.base, 0);
}

static void build_reused(struct buf *b)
{
        Grpc__CheckRequest r = GRPC__CHECK_REQUEST__INIT;
        test_frame_request(b, 1, 0, "grpc.Health", "Check", &r.base, 0);
        test_frame_request(b, 1, 0, "grpc.Health", "Check", &r.base, 0);
}

static void build_unknown_service(struct buf *b)
{
        test_frame_request(b, 1, 0, "grpc.NoSuchService", "Check", NULL, 0);
}

static void build_unknown_method(struct buf *b)
{
        test_frame_request(b, 1, 0, "grpc.AgentService", "NoSuchMethod", NULL, 0);
}

static void build_garbage_envelope(struct buf *b)
{
        static const uint8_t junk[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
        test_frame_raw(b, sizeof junk, 1, TTRPC_TYPE_REQUEST, 0, junk, sizeof junk);
}

static void build_garbage_payload(struct buf *b)
{
        static const uint8_t junk[] = { 0x08, 0x80, 0x80, 0x80 }; /* an unfinished varint */
        test_frame_request_raw(b, 1, "grpc.AgentService", "CopyFile", junk, sizeof junk, 0);
}

static void build_copy_outside(struct buf *b)
{
        static const uint8_t req[] = {
                0x0a, 0x0b, '/', 'e', 't', 'c', '/', 'k', 'i', 'n', 'g', 'l', 'e', /* path */
                0x10, 0x01, /* file_size 1 */ 0x42, 0x01, 'x',                    /* data */
        };
        test_frame_request_raw(b, 1, "grpc.AgentService", "CopyFile", req, sizeof req, 0);
}

static void build_copy_traversal(struct buf *b)
{
        static const char path[] = "/run/kata-containers/../../etc/kinglet";
        uint8_t req[64];
        size_t n = 0;
        req[n++] = 0x0a;
        req[n++] = sizeof path - 1;
        memcpy(req + n, path, sizeof path - 1);
        n += sizeof path - 1;
        test_frame_request_raw(b, 1, "grpc.AgentService", "CopyFile", req, n, 0);
}

static const struct bad_input bad_inputs[] = {
        { "oversized frame", build_oversized, GRPC_RESOURCE_EXHAUSTED, 1, STAYS_USABLE },
        { "insane length", build_insane, GRPC_RESOURCE_EXHAUSTED, 1, GETS_CLOSED },
        { "truncated frame", build_truncated, -1, 0, NO_REPLY },
        { "even stream ID", build_even, GRPC_INVALID_ARGUMENT, 2, STAYS_USABLE },
        { "reused stream ID", build_reused, GRPC_INVALID_ARGUMENT, 1, STAYS_USABLE },
        { "unknown service", build_unknown_service, GRPC_UNIMPLEMENTED, 1, STAYS_USABLE },
        { "unknown method", build_unknown_method, GRPC_UNIMPLEMENTED, 1, STAYS_USABLE },
        { "garbage envelope", build_garbage_envelope, GRPC_INVALID_ARGUMENT, 1, STAYS_USABLE },
        { "garbage payload", build_garbage_payload, GRPC_INVALID_ARGUMENT, 1, STAYS_USABLE },
        { "CopyFile outside base", build_copy_outside, GRPC_PERMISSION_DENIED, 1, STAYS_USABLE },
        { "CopyFile with ..", build_copy_traversal, GRPC_PERMISSION_DENIED, 1, STAYS_USABLE },
};

/* Receive replies until one on `stream` (the reused case answers stream 1 twice: take the error). */
static int reply_code_on(struct ttrpc_client *c, uint32_t stream, int expect)
{
        for (int i = 0; i < 3; i++) {
                struct ttrpc_reply r;
                int rc = ttrpc_client_recv(c, 5000, &r);
                if (rc < 0)
                        return rc;
                int code = r.code;
                bool match = r.stream_id == stream;
                ttrpc_reply_clear(&r);
                if (match && (code == expect || i == 2))
                        return code;
        }
        return -EPROTO;
}

static void test_bad_input_table(void **state)
{
        struct agent_proc *a = *state;
        for (size_t i = 0; i < sizeof bad_inputs / sizeof bad_inputs[0]; i++) {
                const struct bad_input *t = &bad_inputs[i];
                struct buf b = { 0 };
                struct ttrpc_client *c = agent_connect(a);
                assert_non_null(c);
                t->build(&b);
                assert_int_equal(ttrpc_client_send_raw(c, buf_head(&b), buf_len(&b)), 0);
                buf_free(&b);
                if (t->code >= 0) {
                        int code = reply_code_on(c, t->stream, t->code);
                        if (code != t->code)
                                fail_msg("%s: expected %s, got %d", t->name, grpc_code_name(t->code), code);
                }
                if (t->after == STAYS_USABLE) {
                        /* Same connection: skip past the IDs the bad input used. */
                        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
                        struct buf nb = { 0 };
                        test_frame_request(&nb, 101, 0, "grpc.Health", "Check", &req.base, 0);
                        assert_int_equal(ttrpc_client_send_raw(c, buf_head(&nb), buf_len(&nb)), 0);
                        buf_free(&nb);
                        if (reply_code_on(c, 101, GRPC_OK) != GRPC_OK)
                                fail_msg("%s: the connection is no longer usable", t->name);
                } else if (t->after == GETS_CLOSED) {
                        struct ttrpc_reply r;
                        if (ttrpc_client_recv(c, 5000, &r) != -ECONNRESET)
                                fail_msg("%s: expected the agent to close the connection", t->name);
                }
                ttrpc_client_free(c);
                /* Whatever happened, a new peer is served. */
                struct ttrpc_client *fresh = agent_connect(a);
                if (agent_check(fresh) != GRPC_OK)
                        fail_msg("%s: agent stopped answering", t->name);
                ttrpc_client_free(fresh);
        }
        assert_true(agent_log_contains(a, "msg=\"request refused\""));
}

static void test_disconnect_with_requests_in_flight(void **state)
{
        struct agent_proc *a = *state;
        Kinglet__SleepRequest req = KINGLET__SLEEP_REQUEST__INIT;
        req.milliseconds = 3000;
        for (int round = 0; round < 5; round++) {
                struct ttrpc_client *c = agent_connect(a);
                for (int i = 0; i < 20; i++)
                        assert_int_equal(ttrpc_client_send(c, "kinglet.Debug", "Sleep", &req.base, 0, NULL), 0);
                Grpc__CheckRequest check = GRPC__CHECK_REQUEST__INIT;
                assert_int_equal(ttrpc_client_send(c, "grpc.Health", "Check", &check.base, 0, NULL), 0);
                if (round % 2) { /* sometimes leave before even the quick answer */
                        struct ttrpc_reply r;
                        assert_int_equal(ttrpc_client_recv(c, 5000, &r), 0);
                        ttrpc_reply_clear(&r);
                }
                ttrpc_client_free(c);
        }
        struct ttrpc_client *c = agent_connect(a);
        uint64_t start = now_ns();
        assert_int_equal(agent_check(c), GRPC_OK);
        assert_true(now_ns() - start < NSEC_PER_SEC); /* not stuck behind the sleepers */
        ttrpc_client_free(c);
}

static void test_serial_channel_over_pty(void **state)
{
        struct agent_proc *a = *state;
        agent_stop(a);
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        assert_true(master >= 0);
        assert_int_equal(grantpt(master), 0);
        assert_int_equal(unlockpt(master), 0);
        char serial[96];
        snprintf(serial, sizeof serial, "serial://%s", ptsname(master));
        const char *args[] = { "--server-addr", serial, NULL };
        struct agent_opts o = { .args = args };
        assert_int_equal(agent_start(a, &o), 0);
        /* agent_start returns once the unix listener accepts; the serial channel is opened
         * right after it. Until the agent has made the pty raw, the line discipline would echo
         * our request back to us: wait for that (termios is shared by both ends of a pty). */
        struct termios t;
        for (int i = 0; i < 500; i++) {
                assert_int_equal(tcgetattr(master, &t), 0);
                if (!(t.c_lflag & (ECHO | ICANON)))
                        break;
                usleep(10 * 1000);
        }
        assert_false(t.c_lflag & (ECHO | ICANON));

        struct ttrpc_client *c;
        assert_int_equal(ttrpc_client_new_fd(master, &c), 0);
        assert_int_equal(agent_check(c), GRPC_OK);
        assert_int_equal(agent_check(c), GRPC_OK);
        /* A second client on the same byte stream numbers its requests from 1 again: served, not refused. */
        int again = fcntl(master, F_DUPFD_CLOEXEC, 0);
        assert_true(again >= 0);
        struct ttrpc_client *c2;
        assert_int_equal(ttrpc_client_new_fd(again, &c2), 0);
        assert_int_equal(agent_check(c2), GRPC_OK);
        assert_int_equal(agent_check(c2), GRPC_OK);
        ttrpc_client_free(c2);
        ttrpc_client_free(c); /* the host side hangs up */
        usleep(100 * 1000);
        struct ttrpc_client *u = agent_connect(a);
        assert_int_equal(agent_check(u), GRPC_OK);
        ttrpc_client_free(u);
        assert_true(agent_log_contains(a, "the host side closed"));
}

static void test_vsock_listener(void **state)
{
        struct agent_proc *a = *state;
        agent_stop(a);
        const char *args[] = { "--server-addr", "vsock://-1:41024", NULL };
        struct agent_opts o = { .args = args };
        int r = agent_start(a, &o);
        if (r == -ECHILD) {
                /* No AF_VSOCK on this kernel: the agent must say so and exit. */
                assert_true(agent_log_contains(a, "no vsock support"));
                assert_int_equal(agent_start(a, NULL), 0);
                return;
        }
        assert_int_equal(r, 0);
        assert_true(agent_log_contains(a, "listening on vsock://-1:41024"));
}

static void test_address_precedence(void **state)
{
        struct agent_proc *a = *state;
        char cmdline[160], env[200], kaddr[200], eaddr[160], flag_sock[160], flag_addr[200];
        agent_stop(a);
        assert_int_equal(agent_start(a, NULL), 0); /* for its directory */
        snprintf(cmdline, sizeof cmdline, "%s/cmdline", a->dir);
        snprintf(kaddr, sizeof kaddr, "%s/kernel.sock", a->dir);
        snprintf(eaddr, sizeof eaddr, "%s/env.sock", a->dir);
        snprintf(flag_sock, sizeof flag_sock, "%s/flag.sock", a->dir);
        FILE *f = fopen(cmdline, "we");
        assert_non_null(f);
        fprintf(f, "console=ttyS0 agent.server_addr=unix://%s agent.log=warn agent.bogus=1 quiet\n", kaddr);
        fclose(f);
        char cmdline_arg[200];
        snprintf(cmdline_arg, sizeof cmdline_arg, "--kernel-cmdline=%s", cmdline);
        snprintf(env, sizeof env, "KATA_AGENT_SERVER_ADDR=unix://%s", eaddr);

        struct agent_proc k;
        const char *k_args[] = { cmdline_arg, "--log-level=info", NULL };
        /* Kernel command line alone. */
        struct agent_opts ko = { .no_default_addr = true, .args = k_args, .wait_sock = kaddr };
        assert_int_equal(agent_start(&k, &ko), 0);
        assert_true(agent_log_contains(&k, "addr_source=agent.server_addr"));
        assert_true(agent_log_contains(&k, "agent.bogus=1: unknown agent parameter, ignoring"));
        assert_int_equal(agent_stop(&k), 0);
        /* The environment beats it. */
        const char *e_env[] = { env, NULL };
        struct agent_opts eo = { .no_default_addr = true, .args = k_args, .env = e_env, .wait_sock = eaddr };
        assert_int_equal(agent_start(&k, &eo), 0);
        assert_true(agent_log_contains(&k, "addr_source=KATA_AGENT_SERVER_ADDR"));
        assert_int_equal(agent_stop(&k), 0);
        /* A flag beats both. */
        snprintf(flag_addr, sizeof flag_addr, "unix://%s", flag_sock);
        const char *f_args[] = { cmdline_arg, "--server-addr", flag_addr, NULL };
        struct agent_opts fo = { .no_default_addr = true, .args = f_args, .env = e_env, .wait_sock = flag_sock };
        assert_int_equal(agent_start(&k, &fo), 0);
        assert_true(agent_log_contains(&k, "addr_source=--server-addr"));
        /* --log-level=debug from agent_proc beats agent.log=warn. */
        assert_true(agent_log_contains(&k, "log_level_source=--log-level"));
        assert_int_equal(agent_stop(&k), 0);
}

static void test_startup_errors(void **state)
{
        char out[4096];
        (void)state;
        assert_int_equal(run_agent_until_exit((const char *[]){ "--help", NULL }, out, sizeof out), 0);
        assert_non_null(strstr(out, "Usage: kinglet-agent"));
        assert_non_null(strstr(out, "serial://agent.channel.0"));
        assert_int_equal(run_agent_until_exit((const char *[]){ "--version", NULL }, out, sizeof out), 0);
        assert_non_null(strstr(out, KINGLET_VERSION));
        assert_int_equal(run_agent_until_exit((const char *[]){ "--bogus", NULL }, out, sizeof out), 64);
        assert_int_equal(run_agent_until_exit((const char *[]){ "--log-level", "loud", NULL }, out, sizeof out), 64);
        assert_non_null(strstr(out, "unknown log level `loud`"));
        assert_int_equal(run_agent_until_exit((const char *[]){ "-a", "hvsock:///x.sock:1024", NULL }, out, sizeof out), 64);
        assert_non_null(strstr(out, "host-side address"));
        assert_int_equal(run_agent_until_exit((const char *[]){ "-a", "tcp://1.2.3.4:5", NULL }, out, sizeof out), 64);
        assert_non_null(strstr(out, "unknown scheme"));
        assert_int_equal(run_agent_until_exit((const char *[]){ "-a", "serial://no.such.port", NULL }, out, sizeof out), 1);
        assert_non_null(strstr(out, "no virtio-serial port named `no.such.port`"));
        assert_int_equal(run_agent_until_exit((const char *[]){ "--kernel-cmdline", "/nonexistent", NULL }, out, sizeof out), 64);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, agent_test_setup, agent_test_teardown)
                T(test_bad_input_table),
                T(test_disconnect_with_requests_in_flight),
                T(test_serial_channel_over_pty),
                T(test_vsock_listener),
                T(test_address_precedence),
#undef T
                cmocka_unit_test(test_startup_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
