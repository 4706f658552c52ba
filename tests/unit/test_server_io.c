/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server over real file descriptors: unix listener, connection limit,
 * back-pressure, half-close, serial channel (a pty stands in for the
 * virtio-serial port), hybrid-vsock client handshake. The server's loop runs
 * in a thread; the blocking client runs in the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "health.pb-c.h"
#include "kinglet.pb-c.h"
#include "rpc.h"
#include "transport.h"
#include "ttrpc_client.h"
#include "ttrpc_internal.h"
#include "util.h"

struct fixture {
        struct loop *loop;
        struct ttrpc_server *server;
        pthread_t thread;
        int stop_pipe[2];
        struct loop_watch stop_watch;
        char dir[64];
        char sock[100];
        char addr[160];
};

static const struct ttrpc_method_handler health_handlers[] = {
        { "Check", rpc_health_check },
        { "Version", rpc_health_version },
};
static const struct ttrpc_method_handler debug_handlers[] = { { "Sleep", rpc_debug_sleep } };

static void on_stop(struct loop_watch *w, uint32_t events)
{
        (void)events;
        loop_quit(((struct fixture *)w->data)->loop, 0);
}

static void *serve(void *data)
{
        struct fixture *f = data;
        loop_run(f->loop);
        return NULL;
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);
        struct rpc_error e = { 0 };
        struct address a;
        int fd;

        snprintf(f->dir, sizeof f->dir, "/tmp/kinglet-io-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->sock, sizeof f->sock, "%s/agent.sock", f->dir);
        snprintf(f->addr, sizeof f->addr, "unix://%s", f->sock);
        assert_int_equal(loop_new(&f->loop), 0);
        assert_int_equal(ttrpc_server_new(f->loop, &f->server), 0);
        struct ttrpc_service health = { &grpc__health__descriptor, health_handlers, 2, NULL };
        struct ttrpc_service debug = { &kinglet__debug__descriptor, debug_handlers, 1, NULL };
        assert_int_equal(ttrpc_server_register(f->server, &health), 0);
        assert_int_equal(ttrpc_server_register(f->server, &debug), 0);
        assert_int_equal(address_parse(f->addr, &a, &e), 0);
        assert_int_equal(transport_listen(&a, &fd, &e), 0);
        assert_int_equal(ttrpc_server_add_listener(f->server, fd, f->addr), 0);
        assert_int_equal(pipe2(f->stop_pipe, O_CLOEXEC), 0);
        assert_int_equal(loop_watch_add(f->loop, &f->stop_watch, f->stop_pipe[0], EPOLLIN, on_stop, f), 0);
        *state = f;
        return 0;
}

static void start(struct fixture *f)
{
        assert_int_equal(pthread_create(&f->thread, NULL, serve, f), 0);
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        if (f->thread) {
                assert_int_equal(write(f->stop_pipe[1], "x", 1), 1);
                pthread_join(f->thread, NULL);
        }
        loop_watch_remove(f->loop, &f->stop_watch);
        close(f->stop_pipe[0]);
        close(f->stop_pipe[1]);
        ttrpc_server_free(f->server);
        loop_free(f->loop);
        unlink(f->sock);
        rmdir(f->dir);
        free(f);
        return 0;
}

static struct ttrpc_client *connect_client(struct fixture *f)
{
        struct ttrpc_client *c = NULL;
        struct rpc_error e = { 0 };
        if (ttrpc_client_connect(f->addr, 5 * NSEC_PER_SEC, &c, &e) < 0)
                fail_msg("connect: %s", e.msg);
        return c;
}

static void check_serving(struct ttrpc_client *c)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        ProtobufCMessage *resp = NULL;
        int r = ttrpc_client_call(c, "grpc.Health", "Check", &req.base,
                                  &grpc__health_check_response__descriptor, 5 * (int64_t)NSEC_PER_SEC,
                                  &st, &resp, &e);
        if (r < 0)
                fail_msg("call: %s", e.msg);
        assert_int_equal(st.code, GRPC_OK);
        assert_int_equal(((Grpc__HealthCheckResponse *)resp)->status,
                         GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        protobuf_c_message_free_unpacked(resp, NULL);
        ttrpc_reply_clear(&st);
}

static void test_call_over_unix_socket(void **state)
{
        struct fixture *f = *state;
        start(f);
        struct ttrpc_client *c = connect_client(f);
        check_serving(c);
        check_serving(c);
        ttrpc_client_free(c);
}

static void test_recv_with_zero_timeout(void **state)
{
        struct fixture *f = *state;
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        struct ttrpc_reply r;
        start(f);
        struct ttrpc_client *c = connect_client(f);
        /* Nothing sent: nothing there, and no waiting. */
        uint64_t t0 = now_ns();
        assert_int_equal(ttrpc_client_recv(c, 0, &r), -ETIMEDOUT);
        assert_true(now_ns() - t0 < 100 * NSEC_PER_MSEC);
        /* A reply that has arrived is taken without waiting. */
        assert_int_equal(ttrpc_client_send(c, "grpc.Health", "Check", &req.base, 0, NULL), 0);
        usleep(100 * 1000);
        assert_int_equal(ttrpc_client_recv(c, 0, &r), 0);
        assert_int_equal(r.stream_id, 1);
        ttrpc_reply_clear(&r);
        ttrpc_client_free(c);
}

/* Replies just under the 4 MiB frame limit must be received whole. */
static void test_largest_reply_round_trip(void **state)
{
        struct fixture *f = *state;
        Kinglet__SleepRequest req = KINGLET__SLEEP_REQUEST__INIT;
        size_t n = TTRPC_MESSAGE_MAX - 64;
        uint8_t *echo = malloc(n);
        for (size_t i = 0; i < n; i++)
                echo[i] = (uint8_t)(i * 31);
        req.echo.data = echo;
        req.echo.len = n;
        start(f);
        struct ttrpc_client *c = connect_client(f);
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        ProtobufCMessage *m = NULL;
        if (ttrpc_client_call(c, "kinglet.Debug", "Sleep", &req.base, &kinglet__sleep_response__descriptor,
                              5 * (int64_t)NSEC_PER_SEC, &st, &m, &e) < 0)
                fail_msg("call: %s", e.msg);
        assert_int_equal(st.code, GRPC_OK);
        Kinglet__SleepResponse *resp = (Kinglet__SleepResponse *)m;
        assert_int_equal(resp->echo.len, n);
        assert_memory_equal(resp->echo.data, echo, n);
        protobuf_c_message_free_unpacked(m, NULL);
        check_serving(c);
        ttrpc_client_free(c);
        free(echo);
}

static void test_connection_limit(void **state)
{
        struct fixture *f = *state;
        struct ttrpc_limits l = {
                .max_connections = 1, .max_calls_per_conn = 8,
                .out_high_water = 1 << 20, .out_low_water = 1 << 10, .out_max = 1 << 24,
        };
        struct ttrpc_reply r;
        ttrpc_server_set_limits(f->server, &l);
        start(f);
        struct ttrpc_client *first = connect_client(f);
        check_serving(first);
        struct ttrpc_client *second = connect_client(f);
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        (void)ttrpc_client_send(second, "grpc.Health", "Check", &req.base, 0, NULL);
        /* Its first request is told why, then the connection is closed. */
        assert_int_equal(ttrpc_client_recv(second, 5000, &r), 0);
        assert_int_equal(r.code, GRPC_RESOURCE_EXHAUSTED);
        assert_string_equal(r.message, "1 connections already open (limit 1): closing this one");
        ttrpc_reply_clear(&r);
        assert_int_equal(ttrpc_client_recv(second, 5000, &r), -ECONNRESET);
        check_serving(first); /* the refusal cost the first client nothing */
        ttrpc_client_free(second);
        ttrpc_client_free(first);
        assert_int_equal(ttrpc_server_stats(f->server)->connections_refused, 1);
}

static void test_back_pressure_loses_nothing(void **state)
{
        struct fixture *f = *state;
        enum { N = 400 };
        struct ttrpc_limits l = {
                .max_connections = 8, .max_calls_per_conn = N,
                .out_high_water = 64, .out_low_water = 32, .out_max = 1 << 20,
        };
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        ttrpc_server_set_limits(f->server, &l);
        start(f);
        struct ttrpc_client *c = connect_client(f);
        /* Shrink the socket buffers so the server really sees a slow reader. */
        int small = 4096;
        setsockopt(ttrpc_client_fd(c), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        for (uint32_t i = 0; i < N; i++)
                assert_int_equal(ttrpc_client_send(c, "grpc.Health", "Check", &req.base, 0, NULL), 0);
        usleep(100 * 1000);
        for (uint32_t i = 0; i < N; i++) {
                struct ttrpc_reply r;
                assert_int_equal(ttrpc_client_recv(c, 5000, &r), 0);
                assert_int_equal(r.stream_id, 2 * i + 1);
                assert_int_equal(r.code, GRPC_OK);
                ttrpc_reply_clear(&r);
        }
        check_serving(c);
        ttrpc_client_free(c);
}

static void test_half_close_gets_replies(void **state)
{
        struct fixture *f = *state;
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        struct ttrpc_reply r;
        start(f);
        struct ttrpc_client *c = connect_client(f);
        for (int i = 0; i < 3; i++)
                assert_int_equal(ttrpc_client_send(c, "grpc.Health", "Check", &req.base, 0, NULL), 0);
        assert_int_equal(shutdown(ttrpc_client_fd(c), SHUT_WR), 0);
        for (uint32_t i = 0; i < 3; i++) {
                assert_int_equal(ttrpc_client_recv(c, 5000, &r), 0);
                assert_int_equal(r.stream_id, 2 * i + 1);
                ttrpc_reply_clear(&r);
        }
        assert_int_equal(ttrpc_client_recv(c, 5000, &r), -ECONNRESET);
        ttrpc_client_free(c);
}

static void test_disconnect_with_parked_calls(void **state)
{
        struct fixture *f = *state;
        Kinglet__SleepRequest req = KINGLET__SLEEP_REQUEST__INIT;
        req.milliseconds = 60000;
        start(f);
        struct ttrpc_client *c = connect_client(f);
        for (int i = 0; i < 5; i++)
                assert_int_equal(ttrpc_client_send(c, "kinglet.Debug", "Sleep", &req.base, 0, NULL), 0);
        struct ttrpc_client *other = connect_client(f);
        check_serving(other); /* by now the five are parked */
        ttrpc_client_free(c);
        for (int i = 0; i < 200 && ttrpc_server_n_connections(f->server) > 1; i++)
                usleep(5000);
        assert_int_equal(ttrpc_server_n_connections(f->server), 1);
        check_serving(other);
        ttrpc_client_free(other);
}

static void test_serial_channel(void **state)
{
        struct fixture *f = *state;
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        assert_true(master >= 0);
        assert_int_equal(grantpt(master), 0);
        assert_int_equal(unlockpt(master), 0);
        const char *slave = ptsname(master);
        assert_non_null(slave);
        assert_int_equal(ttrpc_server_add_serial(f->server, slave), 0);
        start(f);

        struct ttrpc_client *c;
        assert_int_equal(ttrpc_client_new_fd(master, &c), 0);
        check_serving(c);
        check_serving(c);
        /* The host side goes away: the agent drops that peer and keeps serving others. */
        ttrpc_client_free(c);
        usleep(50 * 1000);
        struct ttrpc_client *other = connect_client(f);
        check_serving(other);
        ttrpc_client_free(other);
}

static void test_serial_missing_device(void **state)
{
        struct fixture *f = *state;
        assert_int_equal(ttrpc_server_add_serial(f->server, "/dev/kinglet-no-such-port"), -ENOENT);
}

/*
 * A stand-in for Firecracker's vsock muxer: answer the handshake, then relay
 * bytes to the agent's unix socket (the server itself stays on its own thread).
 */
struct hvsock_fake {
        int listen_fd;
        struct fixture *f;
        const char *answer;
        char got[64];
};

static void *hvsock_accept(void *data)
{
        struct hvsock_fake *h = data;
        int fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        size_t n = 0;
        if (fd < 0)
                return NULL;
        while (n < sizeof h->got - 1 && read(fd, h->got + n, 1) == 1 && h->got[n++] != '\n')
                ;
        h->got[n] = '\0';
        (void)!write(fd, h->answer, strlen(h->answer));
        if (!startswith(h->answer, "OK")) {
                close(fd);
                return NULL;
        }
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", h->f->sock);
        int agent = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(agent, (struct sockaddr *)&sa, sizeof sa) == 0) {
                struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = agent, .events = POLLIN } };
                char buf[4096];
                for (;;) {
                        if (poll(p, 2, 5000) <= 0)
                                break;
                        int from = (p[0].revents & (POLLIN | POLLHUP)) ? 0 : 1;
                        ssize_t got = read(p[from].fd, buf, sizeof buf);
                        if (got <= 0 || write(p[1 - from].fd, buf, (size_t)got) != got)
                                break;
                }
        }
        close(agent);
        close(fd);
        return NULL;
}

static void run_hvsock(struct fixture *f, const char *answer, bool expect_ok)
{
        struct hvsock_fake h = { .f = f, .answer = answer };
        char path[100], addr[200];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        pthread_t t;

        snprintf(path, sizeof path, "%s/vm.sock", f->dir);
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        h.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(bind(h.listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
        assert_int_equal(listen(h.listen_fd, 1), 0);
        assert_int_equal(pthread_create(&t, NULL, hvsock_accept, &h), 0);
        start(f);

        snprintf(addr, sizeof addr, "hvsock://%s:1024", path);
        struct ttrpc_client *c = NULL;
        struct rpc_error e = { 0 };
        int r = ttrpc_client_connect(addr, 5 * NSEC_PER_SEC, &c, &e);
        if (expect_ok) {
                assert_int_equal(r, 0);
                check_serving(c);
                ttrpc_client_free(c);
                pthread_join(t, NULL);
                assert_string_equal(h.got, "CONNECT 1024\n");
        } else {
                pthread_join(t, NULL);
                assert_string_equal(h.got, "CONNECT 1024\n");
                assert_true(r < 0);
                assert_int_equal(e.code, GRPC_UNAVAILABLE);
                assert_non_null(strstr(e.msg, "refused"));
        }
        close(h.listen_fd);
        unlink(path);
}

static void test_hvsock_handshake(void **state)
{
        run_hvsock(*state, "OK 1073741824\n", true);
}

static void test_hvsock_refused(void **state)
{
        run_hvsock(*state, "FAILURE\n", false);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(test_call_over_unix_socket),
                T(test_recv_with_zero_timeout),
                T(test_largest_reply_round_trip),
                T(test_connection_limit),
                T(test_back_pressure_loses_nothing),
                T(test_half_close_gets_replies),
                T(test_disconnect_with_parked_calls),
                T(test_serial_channel),
                T(test_serial_missing_device),
                T(test_hvsock_handshake),
                T(test_hvsock_refused),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
