/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kinglet-proxy --debug-console: a real host agent serves its debug console
 * on a unix socket (the hidden --test-debug-console-addr), the proxy relays
 * it on --debug-console-listen. Each client gets its own shell; closing the
 * client ends the agent's session; a fifth client is refused with a line;
 * the shell's exit closes the client; the socket file goes with the proxy.
 * KINGLET_PROXY names the binary (default build/kinglet-proxy).
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
#include <unistd.h>

#include "agent_proc.h"
#include "util.h"

struct env {
        struct agent_proc agent;
        char dir[64];
        char dc_sock[128];      /* the agent's console */
        char console_sock[128]; /* the proxy's console socket */
        char proxy_sock[128];
        char log[128];
        pid_t proxy;
};

static const char *proxy_binary(void)
{
        const char *p = getenv("KINGLET_PROXY");
        return p ? p : "build/kinglet-proxy";
}

static int setup(void **state)
{
        if (!agent_can_run())
                skip();
        struct env *e = calloc(1, sizeof *e);
        snprintf(e->dir, sizeof e->dir, "/tmp/kinglet-pcon-XXXXXX");
        assert_non_null(mkdtemp(e->dir));
        snprintf(e->dc_sock, sizeof e->dc_sock, "%s/dc.sock", e->dir);
        snprintf(e->console_sock, sizeof e->console_sock, "%s/console.sock", e->dir);
        snprintf(e->proxy_sock, sizeof e->proxy_sock, "%s/proxy.sock", e->dir);
        snprintf(e->log, sizeof e->log, "%s/proxy.log", e->dir);
        *state = e;
        return 0;
}

static int stop_proxy(pid_t pid)
{
        int status;
        kill(pid, SIGTERM);
        if (waitpid(pid, &status, 0) != pid)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int teardown(void **state)
{
        struct env *e = *state;
        if (e->proxy > 0)
                (void)stop_proxy(e->proxy);
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

/* The proxy for the agent (when started) relaying e->dc_sock on e->console_sock. */
static void start_proxy(struct env *e)
{
        char dc_url[160], proxy_url[160], console_url[160];
        snprintf(dc_url, sizeof dc_url, "unix://%s", e->dc_sock);
        snprintf(proxy_url, sizeof proxy_url, "unix://%s", e->proxy_sock);
        snprintf(console_url, sizeof console_url, "unix://%s", e->console_sock);
        const char *agent_url = e->agent.pid > 0 ? e->agent.addr : proxy_url; /* none: unreachable */
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        fflush(NULL);
        e->proxy = fork();
        assert_true(e->proxy >= 0);
        if (e->proxy == 0) {
                const char *argv[] = { proxy_binary(), "--agent", agent_url, "--listen", proxy_url,
                                       "--debug-console", dc_url, "--debug-console-listen", console_url,
                                       "--log", e->log, "--log-level", "debug", "--ready-fd", "3", NULL };
                dup2(p[1], 3);
                close(STDOUT_FILENO);
                execv(argv[0], (char **)argv);
                _exit(127);
        }
        close(p[1]);
        char buf[16] = { 0 };
        struct pollfd pfd = { .fd = p[0], .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        assert_int_equal(read(p[0], buf, sizeof buf - 1), 6);
        close(p[0]);
        assert_string_equal(buf, "ready\n");
}

/* The agent with its console on e->dc_sock, and the proxy relaying it on e->console_sock. */
static void start_all(struct env *e)
{
        char dc_url[160];
        snprintf(dc_url, sizeof dc_url, "unix://%s", e->dc_sock);
        const char *args[] = { "--test-debug-console-addr", dc_url, NULL };
        struct agent_opts o = { .args = args };
        assert_int_equal(agent_start(&e->agent, &o), 0);
        struct stat st;
        for (int i = 0; i < 500 && stat(e->dc_sock, &st) < 0; i++)
                usleep(10 * 1000);
        assert_int_equal(stat(e->dc_sock, &st), 0);
        start_proxy(e);
}

static int connect_unix(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        assert_true(strlen(path) < sizeof sa.sun_path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        return fd;
}

static void say(int fd, const char *text)
{
        assert_int_equal(write_all(fd, text, strlen(text)), 0);
}

/* "kinglet-<digits>-marker": the shell's answer, not the pty's echo of the typed `$$`. */
static bool find_marker(const char *s, long *ret_pid)
{
        for (const char *p = strstr(s, "kinglet-"); p; p = strstr(p + 1, "kinglet-")) {
                char *end;
                const char *d = p + strlen("kinglet-");
                if (*d < '0' || *d > '9')
                        continue;
                long pid = strtol(d, &end, 10);
                if (startswith(end, "-marker")) {
                        *ret_pid = pid;
                        return true;
                }
        }
        return false;
}

/*
 * Reads until `needle` shows up (or, with needle NULL, a marker: *ret_pid):
 * true; false after timeout_ms or at EOF (*eof set).
 */
static bool read_for(int fd, const char *needle, long *ret_pid, bool *eof, int timeout_ms)
{
        static char out[1 << 16];
        size_t len = 0;
        uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000;
        if (eof)
                *eof = false;
        while (now_ns() < deadline) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 50) <= 0)
                        continue;
                if (len > sizeof out / 2) { /* keep the tail */
                        memmove(out, out + len - sizeof out / 4, sizeof out / 4);
                        len = sizeof out / 4;
                }
                ssize_t n = read(fd, out + len, sizeof out - 1 - len);
                if (n <= 0) {
                        if (eof)
                                *eof = true;
                        return false;
                }
                len += (size_t)n;
                out[len] = '\0';
                if (needle ? strstr(out, needle) != NULL : find_marker(out, ret_pid))
                        return true;
        }
        return false;
}

/* Runs the marker command in a session: returns its shell's pid. */
static long marker(int fd)
{
        long pid = 0;
        say(fd, "echo kinglet-$$-marker\n");
        assert_true(read_for(fd, NULL, &pid, NULL, 5000));
        assert_true(pid > 1);
        return pid;
}

static bool log_contains(const char *path, const char *needle)
{
        char buf[1 << 16];
        size_t len = 0;
        if (read_small_file(path, buf, sizeof buf, &len) < 0 && len == 0)
                return false;
        buf[MIN(len, sizeof buf - 1)] = '\0';
        return strstr(buf, needle) != NULL;
}

static void test_console_sessions(void **state)
{
        struct env *e = *state;
        start_all(e);

        /* Two sessions at once, each its own shell. */
        int a = connect_unix(e->console_sock);
        int b = connect_unix(e->console_sock);
        long pid_a = marker(a), pid_b = marker(b);
        assert_true(pid_a != pid_b);
        say(a, "KINGLET_X=only-in-a\n");
        say(b, "echo x-${KINGLET_X:-unset}-x\n");
        assert_true(read_for(b, "x-unset-x", NULL, NULL, 5000));

        /* Closing a client ends its session in the agent: its shell gets SIGHUP and goes. */
        close(a);
        char cmd[160], gone[32];
        snprintf(gone, sizeof gone, "gone-%ld-", pid_a);
        bool ended = false;
        for (int i = 0; i < 50 && !ended; i++) {
                snprintf(cmd, sizeof cmd, "kill -0 %ld 2>/dev/null || echo gone-%ld-$((1+1))\n", pid_a, pid_a);
                say(b, cmd);
                ended = read_for(b, gone, NULL, NULL, 200);
        }
        assert_true(ended);
        assert_true(log_contains(e->log, "debug console session 1 ended: the client closed the connection"));

        /* Four at once (b and three more), all working; the fifth is told why and closed. */
        int more[3];
        for (int i = 0; i < 3; i++) {
                more[i] = connect_unix(e->console_sock);
                (void)marker(more[i]);
        }
        int fifth = connect_unix(e->console_sock);
        bool eof = false;
        assert_true(read_for(fifth, "kinglet-proxy: too many debug console sessions (at most 4)", NULL, &eof, 3000));
        assert_false(read_for(fifth, "\x01", NULL, &eof, 3000));
        assert_true(eof);
        close(fifth);
        (void)marker(b); /* the refusal cost the others nothing */

        /* The shell's exit closes the client's connection. */
        say(more[0], "exit\n");
        assert_false(read_for(more[0], "\x01", NULL, &eof, 5000));
        assert_true(eof);
        close(more[0]);

        /* The client saw EOF once the proxy had let the session go: the slot is free at once. */
        int again = connect_unix(e->console_sock);
        (void)marker(again);
        close(again);
        close(b);
        for (int i = 1; i < 3; i++)
                close(more[i]);

        /* SIGTERM: exit 0, the console socket removed. */
        assert_int_equal(stop_proxy(e->proxy), 0);
        e->proxy = 0;
        struct stat st;
        assert_int_equal(stat(e->console_sock, &st), -1);
        assert_int_equal(errno, ENOENT);
}

static long rss_kb(pid_t pid)
{
        char path[64], buf[4096];
        size_t len = 0;
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        assert_int_equal(read_small_file(path, buf, sizeof buf, &len), 0);
        buf[MIN(len, sizeof buf - 1)] = '\0';
        const char *v = strstr(buf, "VmRSS:");
        assert_non_null(v);
        return strtol(v + strlen("VmRSS:"), NULL, 10);
}

/* A client that stops reading: the proxy stops reading the agent instead of buffering; nothing is lost. */
static void test_console_backpressure(void **state)
{
        struct env *e = *state;
        start_all(e);
        int c = connect_unix(e->console_sock);
        (void)marker(c);
        long before = rss_kb(e->proxy);
        say(c, "stty -echo; head -c 4000000 /dev/zero | tr '\\0' '\\121'; echo; echo end-$((3+4))\n");
        usleep(1500 * 1000);
        long stalled = rss_kb(e->proxy);
        /* 64 KiB queued per direction at most, not the 4 MB the shell wants to write. */
        assert_true(stalled - before < 1024);

        static char chunk[1 << 16];
        size_t xs = 0, tail_len = 0;
        char tail[64] = { 0 };
        uint64_t deadline = now_ns() + 30 * NSEC_PER_SEC;
        while (!strstr(tail, "end-7") && now_ns() < deadline) {
                struct pollfd p = { .fd = c, .events = POLLIN };
                if (poll(&p, 1, 100) <= 0)
                        continue;
                ssize_t n = read(c, chunk, sizeof chunk);
                assert_true(n > 0);
                for (ssize_t i = 0; i < n; i++) {
                        xs += chunk[i] == 'Q'; /* \121: the pty's echo of the command has none */
                        if (tail_len == sizeof tail - 1) {
                                memmove(tail, tail + 1, tail_len - 1);
                                tail_len--;
                        }
                        tail[tail_len++] = chunk[i];
                        tail[tail_len] = '\0';
                }
        }
        assert_non_null(strstr(tail, "end-7"));
        assert_int_equal(xs, 4000000);
        close(c);
}

/* No console at the URL: the client is told why in one line and closed; the proxy carries on. */
static void test_console_unreachable(void **state)
{
        struct env *e = *state;
        start_proxy(e);
        for (int i = 0; i < 2; i++) {
                int c = connect_unix(e->console_sock);
                bool eof = false;
                assert_true(read_for(c, "kinglet-proxy: cannot reach the agent's debug console: ", NULL, &eof, 3000));
                assert_false(read_for(c, "\x01", NULL, &eof, 3000));
                assert_true(eof);
                close(c);
        }
        assert_int_equal(stop_proxy(e->proxy), 0);
        e->proxy = 0;
}

static void test_console_usage(void **state)
{
        struct env *e = *state;
        char out[8192], proxy_url[160];
        snprintf(proxy_url, sizeof proxy_url, "unix://%s", e->proxy_sock);

        const char *help[] = { proxy_binary(), "--help", NULL };
        assert_int_equal(run_capture(help, false, out, sizeof out), 0);
        assert_non_null(strstr(out, "--debug-console URL"));
        assert_non_null(strstr(out, "--debug-console-listen URL"));

        const char *alone[] = { proxy_binary(), "--agent", "unix:///nonexistent.sock", "--listen", proxy_url,
                                "--debug-console", "unix:///nonexistent-dc.sock", NULL };
        assert_int_equal(run_capture(alone, true, out, sizeof out), 2);
        assert_non_null(strstr(out, "go together"));
        const char *not_unix[] = { proxy_binary(), "--agent", "unix:///nonexistent.sock", "--listen", proxy_url,
                                   "--debug-console", "vsock://3:1026", "--debug-console-listen",
                                   "vsock://2:1026", NULL };
        assert_int_equal(run_capture(not_unix, true, out, sizeof out), 2);
        assert_non_null(strstr(out, "--debug-console-listen must be a unix:// address"));
        const char *by_name[] = { proxy_binary(), "--agent", "unix:///nonexistent.sock", "--listen", proxy_url,
                                  "--debug-console", "serial://console.0", "--debug-console-listen",
                                  "unix:///nonexistent-console.sock", NULL };
        assert_int_equal(run_capture(by_name, true, out, sizeof out), 2);
        assert_non_null(strstr(out, "chardev socket"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_console_sessions),
                T(test_console_backpressure),
                T(test_console_unreachable),
                T(test_console_usage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
