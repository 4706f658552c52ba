/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kinglet-proxy in front of a real agent: multiplexing many clients, the
 * hybrid vsock handshake, faults on either side, refused stream IDs, the
 * launch contract (--ready-fd, SIGTERM, aliases, --agent-logs) and a serial
 * upstream (the agent on a pty, reached through a relay that plays QEMU's
 * chardev socket). KINGLET_PROXY names the binary (default build/kinglet-proxy).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agent_proc.h"
#include "health.pb-c.h"
#include "kinglet.pb-c.h"
#include "status.h"
#include "ttrpc_client.h"
#include "ttrpc_test.h"
#include "util.h"

struct env {
        struct agent_proc agent;
        char dir[64];
        char agent_sock[128]; /* a fixed path, so a restarted agent is found again */
        char agent_url[160];
        char proxy_sock[128];
        char proxy_url[160];
        char log[128];
        pid_t proxy;
        pid_t relay;
};

static const char *proxy_binary(void)
{
        const char *p = getenv("KINGLET_PROXY");
        return p ? p : "build/kinglet-proxy";
}

static int start_agent(struct env *e, const char *const *extra)
{
        const char *args[8] = { "--server-addr", e->agent_url };
        size_t n = 2;
        for (size_t i = 0; extra && extra[i] && n < 7; i++)
                args[n++] = extra[i];
        struct agent_opts o = { .no_default_addr = !extra, .args = args, .wait_sock = e->agent_sock };
        if (extra) {
                /* A serial agent also keeps its default unix listener: wait for that one. */
                o.args = extra;
                o.wait_sock = NULL;
        }
        return agent_start(&e->agent, &o);
}

/* Starts the proxy with `args` (NULL: the usual flags), waits for its ready line on fd 3. */
static pid_t start_proxy(struct env *e, const char *const *args, const char *const *envp)
{
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                const char *argv[24] = { proxy_binary() };
                size_t n = 1;
                if (args) {
                        for (size_t i = 0; args[i] && n < 22; i++)
                                argv[n++] = args[i];
                } else {
                        const char *std[] = { "--agent", e->agent_url, "--listen", e->proxy_url, "--log",
                                              e->log, "--log-level", "debug", "--sandbox", "sb-1",
                                              "--ready-fd", "3", NULL };
                        for (size_t i = 0; std[i]; i++)
                                argv[n++] = std[i];
                }
                for (size_t i = 0; envp && envp[i]; i++)
                        putenv((char *)envp[i]);
                dup2(p[1], 3);
                /* Nothing may go to stdout: make any write there fail loudly in the log. */
                close(STDOUT_FILENO);
                execv(argv[0], (char **)argv);
                _exit(127);
        }
        close(p[1]);
        /* Every start passes --ready-fd 3: the line comes once the proxy listens. */
        char buf[16] = { 0 };
        struct pollfd pfd = { .fd = p[0], .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        assert_int_equal(read(p[0], buf, sizeof buf - 1), 6);
        close(p[0]);
        assert_string_equal(buf, "ready\n");
        return pid;
}

static int stop_proxy(pid_t pid)
{
        int status;
        kill(pid, SIGTERM);
        if (waitpid(pid, &status, 0) != pid)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int setup(void **state)
{
        if (!agent_can_run())
                skip();
        struct env *e = calloc(1, sizeof *e);
        snprintf(e->dir, sizeof e->dir, "/tmp/kinglet-proxy-XXXXXX");
        assert_non_null(mkdtemp(e->dir));
        snprintf(e->agent_sock, sizeof e->agent_sock, "%s/agent.sock", e->dir);
        snprintf(e->agent_url, sizeof e->agent_url, "unix://%s", e->agent_sock);
        snprintf(e->proxy_sock, sizeof e->proxy_sock, "%s/proxy.sock", e->dir);
        snprintf(e->proxy_url, sizeof e->proxy_url, "unix://%s", e->proxy_sock);
        snprintf(e->log, sizeof e->log, "%s/proxy.log", e->dir);
        *state = e;
        return 0;
}

static bool file_contains(const char *path, const char *needle)
{
        char buf[1 << 16];
        size_t len = 0;
        if (read_small_file(path, buf, sizeof buf, &len) < 0 && len == 0)
                return false;
        buf[MIN(len, sizeof buf - 1)] = '\0';
        return strstr(buf, needle) != NULL;
}

static int teardown(void **state)
{
        struct env *e = *state;
        if (e->proxy > 0)
                (void)stop_proxy(e->proxy);
        if (e->relay > 0) {
                kill(e->relay, SIGKILL);
                waitpid(e->relay, NULL, 0);
        }
        if (e->agent.pid > 0)
                agent_stop(&e->agent);
        if (getenv("KINGLET_TEST_VERBOSE")) {
                char cmd[256];
                snprintf(cmd, sizeof cmd, "cat %s >&2", e->log);
                (void)system(cmd);
        }
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", e->dir);
        (void)system(cmd);
        free(e);
        return 0;
}

static void unix_sockaddr(const char *path, struct sockaddr_un *sa)
{
        *sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
        assert_true(strlen(path) < sizeof sa->sun_path);
        memcpy(sa->sun_path, path, strlen(path) + 1);
}

static int listen_unix(const char *path)
{
        struct sockaddr_un sa;
        unix_sockaddr(path, &sa);
        int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
        assert_int_equal(listen(l, 4), 0);
        return l;
}

static struct ttrpc_client *proxy_client(const struct env *e)
{
        struct ttrpc_client *c = NULL;
        struct rpc_error err = { 0 };
        assert_int_equal(ttrpc_client_connect(e->proxy_url, 2 * NSEC_PER_SEC, &c, &err), 0);
        return c;
}

static void send_sleep(struct ttrpc_client *c, uint64_t ms, const char *echo)
{
        Kinglet__SleepRequest req = KINGLET__SLEEP_REQUEST__INIT;
        req.milliseconds = ms;
        req.echo.data = (uint8_t *)echo;
        req.echo.len = strlen(echo);
        assert_int_equal(ttrpc_client_send(c, "kinglet.Debug", "Sleep", &req.base, 0, NULL), 0);
}

static void expect_echo(struct ttrpc_client *c, uint32_t stream, const char *echo)
{
        struct ttrpc_reply r;
        assert_int_equal(ttrpc_client_recv(c, 10000, &r), 0);
        assert_int_equal(r.stream_id, stream);
        if (r.code != GRPC_OK)
                fail_msg("stream %u: %s: %s", stream, grpc_code_name(r.code), r.message);
        Kinglet__SleepResponse *s = (Kinglet__SleepResponse *)protobuf_c_message_unpack(
                &kinglet__sleep_response__descriptor, NULL, r.payload_len, r.payload);
        assert_non_null(s);
        assert_int_equal(s->echo.len, strlen(echo));
        assert_memory_equal(s->echo.data, echo, s->echo.len);
        protobuf_c_message_free_unpacked(&s->base, NULL);
        ttrpc_reply_clear(&r);
}

static void start_all(struct env *e)
{
        assert_int_equal(start_agent(e, NULL), 0);
        e->proxy = start_proxy(e, NULL, NULL);
}

/* 50 clients, each with two requests finishing in reverse order: every reply reaches its own client. */
static void many_clients(struct env *e, int n)
{
        struct ttrpc_client *c[50];
        char echo[50][2][32];
        for (int i = 0; i < n; i++) {
                c[i] = proxy_client(e);
                snprintf(echo[i][0], sizeof echo[i][0], "client-%d-slow", i);
                snprintf(echo[i][1], sizeof echo[i][1], "client-%d-fast", i);
                send_sleep(c[i], 150 + (uint64_t)(n - i) * 2, echo[i][0]);
                send_sleep(c[i], (uint64_t)(i % 7), echo[i][1]);
        }
        for (int i = 0; i < n; i++) {
                expect_echo(c[i], 3, echo[i][1]);
                expect_echo(c[i], 1, echo[i][0]);
                assert_int_equal(agent_check(c[i]), GRPC_OK);
                ttrpc_client_free(c[i]);
        }
}

static void test_fifty_clients(void **state)
{
        struct env *e = *state;
        start_all(e);
        many_clients(e, 50);
        /* kinglet-ctl, unchanged, through the proxy. */
        char out[4096];
        const char *check[] = { "--addr", e->proxy_url, "check", NULL };
        assert_int_equal(run_ctl(check, out, sizeof out), 0);
        assert_non_null(strstr(out, "SERVING"));
        const char *version[] = { "--addr", e->proxy_url, "version", NULL };
        assert_int_equal(run_ctl(version, out, sizeof out), 0);
        assert_non_null(strstr(out, "agent version"));
}

static void test_hvsock_handshake(void **state)
{
        struct env *e = *state;
        start_all(e);
        struct sockaddr_un sa;
        unix_sockaddr(e->proxy_sock, &sa);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        /* The line and the first request in one write: nothing after the newline is lost. */
        struct buf b = { 0 };
        assert_int_equal(buf_append(&b, "CONNECT 1024\n", 13, 1 << 20), 0);
        Grpc__CheckRequest check = GRPC__CHECK_REQUEST__INIT;
        test_frame_request(&b, 1, 0, "grpc.Health", "Check", &check.base, 0);
        assert_int_equal(write_all(fd, buf_head(&b), buf_len(&b)), 0);
        buf_free(&b);
        char line[32] = { 0 };
        for (size_t i = 0; i < sizeof line - 1; i++) {
                assert_int_equal(read(fd, line + i, 1), 1);
                if (line[i] == '\n')
                        break;
        }
        assert_non_null(startswith(line, "OK "));
        struct ttrpc_client *c;
        assert_int_equal(ttrpc_client_new_fd(fd, &c), 0);
        struct ttrpc_reply r;
        assert_int_equal(ttrpc_client_recv(c, 5000, &r), 0);
        assert_int_equal(r.stream_id, 1);
        assert_int_equal(r.code, GRPC_OK);
        ttrpc_reply_clear(&r);
        ttrpc_client_free(c);
        /* kinglet-ctl's own hvsock:// client works against the proxy too. */
        char out[4096], url[200];
        snprintf(url, sizeof url, "hvsock://%s:1024", e->proxy_sock);
        const char *args[] = { "--addr", url, "check", NULL };
        assert_int_equal(run_ctl(args, out, sizeof out), 0);
        assert_non_null(strstr(out, "SERVING"));
}

static void test_client_killed_mid_request(void **state)
{
        struct env *e = *state;
        start_all(e);
        struct ttrpc_client *gone = proxy_client(e);
        struct ttrpc_client *stays = proxy_client(e);
        send_sleep(gone, 300, "never read");
        send_sleep(stays, 400, "still here");
        usleep(50 * 1000);
        ttrpc_client_free(gone);
        expect_echo(stays, 1, "still here");
        assert_int_equal(agent_check(stays), GRPC_OK);
        ttrpc_client_free(stays);
        assert_true(file_contains(e->log, "replies will be dropped"));
}

static void test_agent_killed_and_restarted(void **state)
{
        struct env *e = *state;
        start_all(e);
        struct ttrpc_client *c = proxy_client(e);
        send_sleep(c, 5000, "lost");
        usleep(100 * 1000);
        kill(e->agent.pid, SIGKILL);
        struct ttrpc_reply r;
        assert_int_equal(ttrpc_client_recv(c, 3000, &r), 0);
        assert_int_equal(r.stream_id, 1);
        assert_int_equal(r.code, GRPC_UNAVAILABLE);
        assert_non_null(strstr(r.message, "the agent connection was lost"));
        ttrpc_reply_clear(&r);
        (void)agent_stop(&e->agent);
        /* Still listening; a request now fails at once. */
        assert_int_equal(agent_check(c), GRPC_UNAVAILABLE);
        struct ttrpc_client *fresh = proxy_client(e);
        assert_int_equal(agent_check(fresh), GRPC_UNAVAILABLE);
        ttrpc_client_free(fresh);

        assert_int_equal(start_agent(e, NULL), 0);
        int code = GRPC_UNAVAILABLE;
        for (int i = 0; i < 100 && code != GRPC_OK; i++) {
                usleep(50 * 1000);
                code = agent_check(c);
        }
        assert_int_equal(code, GRPC_OK);
        send_sleep(c, 10, "back");
        struct ttrpc_reply r2;
        assert_int_equal(ttrpc_client_recv(c, 3000, &r2), 0);
        assert_int_equal(r2.code, GRPC_OK);
        ttrpc_reply_clear(&r2);
        ttrpc_client_free(c);
}

/* The proxy refuses what the agent refuses, with the agent's words. */
static void test_bad_stream_ids(void **state)
{
        struct env *e = *state;
        start_all(e);
        struct ttrpc_client *direct = NULL;
        struct rpc_error err = { 0 };
        assert_int_equal(ttrpc_client_connect(e->agent_url, 2 * NSEC_PER_SEC, &direct, &err), 0);
        struct ttrpc_client *via[2] = { proxy_client(e), direct };
        char msgs[2][3][RPC_ERROR_MSG_MAX];
        Grpc__CheckRequest check = GRPC__CHECK_REQUEST__INIT;
        for (int k = 0; k < 2; k++) {
                struct buf b = { 0 };
                test_frame_request(&b, 2, 0, "grpc.Health", "Check", &check.base, 0);
                test_frame_request(&b, 7, 0, "grpc.Health", "Check", &check.base, 0);
                test_frame_request(&b, 7, 0, "grpc.Health", "Check", &check.base, 0);
                test_frame_request(&b, 5, 0, "grpc.Health", "Check", &check.base, 0);
                assert_int_equal(ttrpc_client_send_raw(via[k], buf_head(&b), buf_len(&b)), 0);
                buf_free(&b);
                /* Replies come in whatever order they finish: the proxy's refusals need no round trip. */
                int ok = 0;
                for (int i = 0; i < 4; i++) {
                        struct ttrpc_reply r;
                        assert_int_equal(ttrpc_client_recv(via[k], 3000, &r), 0);
                        if (r.code == GRPC_OK) {
                                assert_int_equal(r.stream_id, 7);
                                ok++;
                        } else {
                                assert_int_equal(r.code, GRPC_INVALID_ARGUMENT);
                                int slot = r.stream_id == 2 ? 0 : r.stream_id == 7 ? 1 : 2;
                                assert_true(r.stream_id == 2 || r.stream_id == 7 || r.stream_id == 5);
                                snprintf(msgs[k][slot], RPC_ERROR_MSG_MAX, "%s", r.message);
                        }
                        ttrpc_reply_clear(&r);
                }
                assert_int_equal(ok, 1);
                ttrpc_client_free(via[k]);
        }
        for (int m = 0; m < 3; m++)
                assert_string_equal(msgs[0][m], msgs[1][m]);
        assert_non_null(strstr(msgs[0][0], "is even"));
        assert_non_null(strstr(msgs[0][2], "cannot be reused"));
}

static void test_sigterm_drains(void **state)
{
        struct env *e = *state;
        start_all(e);
        struct ttrpc_client *c = proxy_client(e);
        send_sleep(c, 300, "finished");
        usleep(50 * 1000);
        kill(e->proxy, SIGTERM);
        expect_echo(c, 1, "finished");
        ttrpc_client_free(c);
        int status;
        assert_int_equal(waitpid(e->proxy, &status, 0), e->proxy);
        e->proxy = 0;
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        struct stat st;
        assert_int_equal(stat(e->proxy_sock, &st), -1);
}

static void test_aliases_and_usage(void **state)
{
        struct env *e = *state;
        assert_int_equal(start_agent(e, NULL), 0);
        const char *args[] = { "-mux-socket", e->agent_url, "-listen-socket", e->proxy_url,
                               "-sandbox", "sb-2", "-log", e->log, "-ready-fd", "3", NULL };
        e->proxy = start_proxy(e, args, NULL);
        struct ttrpc_client *c = proxy_client(e);
        assert_int_equal(agent_check(c), GRPC_OK);
        ttrpc_client_free(c);
        assert_int_equal(stop_proxy(e->proxy), 0);
        e->proxy = 0;

        char out[4096];
        const char *help[] = { proxy_binary(), "--help", NULL };
        assert_int_equal(run_capture(help, false, out, sizeof out), 0);
        assert_non_null(strstr(out, "-listen-socket"));
        const char *missing[] = { proxy_binary(), "--listen", e->proxy_url, NULL };
        assert_int_equal(run_capture(missing, true, out, sizeof out), 2);
        assert_non_null(strstr(out, "--agent URL is required"));
        const char *bad[] = { proxy_binary(), "--agent", "tcp://x", "--listen", e->proxy_url, NULL };
        assert_int_equal(run_capture(bad, true, out, sizeof out), 2);
        const char *by_name[] = { proxy_binary(), "--agent", "serial://agent.channel.0", "--listen",
                                  e->proxy_url, NULL };
        assert_int_equal(run_capture(by_name, true, out, sizeof out), 2);
        assert_non_null(strstr(out, "chardev socket"));
}

/* A one-connection log source: writes two lines and a partial one, then closes. */
static void test_agent_logs(void **state)
{
        struct env *e = *state;
        char path[128], url[160];
        snprintf(path, sizeof path, "%s/logs.sock", e->dir);
        snprintf(url, sizeof url, "unix://%s", path);
        int l = listen_unix(path);
        assert_int_equal(start_agent(e, NULL), 0);
        const char *args[] = { "--agent", e->agent_url, "--listen", e->proxy_url, "--log", e->log,
                               "--sandbox", "sb-logs", "--agent-logs", url, "--ready-fd", "3", NULL };
        e->proxy = start_proxy(e, args, NULL);
        int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        assert_true(fd >= 0);
        const char text[] = "level=info msg=\"first\"\nlevel=warn msg=\"second\"\npartial";
        assert_int_equal(write_all(fd, text, sizeof text - 1), 0);
        close(fd);
        bool seen = false;
        for (int i = 0; i < 200 && !seen; i++) {
                usleep(10 * 1000);
                seen = file_contains(e->log, "sandbox=sb-logs agent: partial");
        }
        assert_true(seen);
        assert_true(file_contains(e->log, "sandbox=sb-logs agent: level=info msg=\"first\"\n"));
        assert_true(file_contains(e->log, "sandbox=sb-logs agent: level=warn msg=\"second\"\n"));
        close(l);
}

/* Plays QEMU's chardev socket: each connection accepted is spliced to the pty master. */
static _Noreturn void relay(int listen_fd, int master)
{
        for (;;) {
                int c = accept(listen_fd, NULL, NULL);
                if (c < 0)
                        _exit(1);
                for (;;) {
                        struct pollfd p[2] = { { .fd = c, .events = POLLIN }, { .fd = master, .events = POLLIN } };
                        if (poll(p, 2, -1) < 0)
                                _exit(1);
                        char buf[65536];
                        if (p[0].revents) {
                                ssize_t n = read(c, buf, sizeof buf);
                                if (n <= 0)
                                        break;
                                if (write_all(master, buf, (size_t)n) < 0)
                                        _exit(1);
                        }
                        if (p[1].revents & POLLIN) {
                                ssize_t n = read(master, buf, sizeof buf);
                                if (n > 0 && write_all(c, buf, (size_t)n) < 0)
                                        break;
                        }
                }
                close(c);
        }
}

static void test_serial_upstream(void **state)
{
        struct env *e = *state;
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        assert_true(master >= 0);
        assert_int_equal(grantpt(master), 0);
        assert_int_equal(unlockpt(master), 0);
        char serial[96];
        snprintf(serial, sizeof serial, "serial://%s", ptsname(master));
        const char *agent_args[] = { "--server-addr", serial, NULL };
        /* The agent keeps its default unix listener too; the proxy goes through the pty. */
        assert_int_equal(start_agent(e, agent_args), 0);
        struct termios t;
        for (int i = 0; i < 500; i++) {
                assert_int_equal(tcgetattr(master, &t), 0);
                if (!(t.c_lflag & (ECHO | ICANON)))
                        break;
                usleep(10 * 1000);
        }
        char chardev[128], url[160];
        snprintf(chardev, sizeof chardev, "%s/chardev.sock", e->dir);
        snprintf(url, sizeof url, "serial://%s", chardev);
        int l = listen_unix(chardev);
        fflush(NULL);
        e->relay = fork();
        if (e->relay == 0)
                relay(l, master);
        close(l);
        close(master);

        const char *args[] = { "--agent", url, "--listen", e->proxy_url, "--log", e->log,
                               "--log-level", "debug", "--ready-fd", "3", NULL };
        e->proxy = start_proxy(e, args, NULL);
        many_clients(e, 10);
        assert_int_equal(stop_proxy(e->proxy), 0);

        /* A tiny stream ID space: the proxy must reconnect (the agent sees stream 1 again) and go on. */
        const char *envp[] = { "KINGLET_PROXY_STREAM_ID_LIMIT=9", NULL };
        e->proxy = start_proxy(e, args, envp);
        struct ttrpc_client *c = proxy_client(e);
        for (int i = 0; i < 20; i++)
                assert_int_equal(agent_check(c), GRPC_OK);
        ttrpc_client_free(c);
        assert_true(file_contains(e->log, "stream IDs of the agent connection used up"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(test_fifty_clients),
                T(test_hvsock_handshake),
                T(test_client_killed_mid_request),
                T(test_agent_killed_and_restarted),
                T(test_bad_stream_ids),
                T(test_sigterm_drains),
                T(test_aliases_and_usage),
                T(test_agent_logs),
                T(test_serial_upstream),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
