/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.log_vport and agent.debug_console_vport, on unix sockets through the
 * hidden --test-log-addr / --test-debug-console-addr flags (no vsock on a
 * host): lines reach the reader, a new reader replaces the old, a reader
 * that stops reading costs dropped lines (counted), never a stuck agent;
 * each console connection gets a shell on its own pty; orphans the shell
 * leaves behind are reaped by the agent (a child subreaper when not PID 1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent_proc.h"
#include "util.h"

static int connect_unix(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        for (int i = 0; i < 100; i++) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                assert_true(fd >= 0);
                if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
                        return fd;
                close(fd);
                usleep(20 * 1000);
        }
        fail_msg("cannot connect to %s", path);
        return -1;
}

/* Reads until needle shows up in the stream (true) or timeout_ms pass / EOF (false). */
static bool read_until(int fd, const char *needle, char *out, size_t size, int timeout_ms)
{
        size_t len = 0;
        uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000;
        out[0] = '\0';
        while (now_ns() < deadline) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 50) <= 0)
                        continue;
                if (len == size - 1) { /* keep the tail */
                        memmove(out, out + size / 2, len - size / 2);
                        len -= size / 2;
                }
                ssize_t n = read(fd, out + len, size - 1 - len);
                if (n <= 0)
                        return false;
                len += (size_t)n;
                out[len] = '\0';
                if (strstr(out, needle))
                        return true;
        }
        return false;
}

static void start(struct agent_proc *a, char *log_sock, char *dc_sock, size_t size, const char *level)
{
        static char log_addr[200], dc_addr[200];
        /* The socket paths live in the agent's directory, known only once it exists: use fixed names in /tmp. */
        snprintf(log_sock, size, "/tmp/kinglet-logv-%d.sock", (int)getpid());
        snprintf(dc_sock, size, "/tmp/kinglet-dcv-%d.sock", (int)getpid());
        snprintf(log_addr, sizeof log_addr, "unix://%s", log_sock);
        snprintf(dc_addr, sizeof dc_addr, "unix://%s", dc_sock);
        const char *args[] = { "--test-log-addr", log_addr, "--test-debug-console-addr", dc_addr, "--log-level",
                               level, NULL };
        struct agent_opts o = { .args = args };
        assert_int_equal(agent_start(a, &o), 0);
}

static void test_log_vport(void **state)
{
        (void)state;
        struct agent_proc a;
        char log_sock[108], dc_sock[108], out[1 << 16];
        if (!agent_can_run())
                skip();
        start(&a, log_sock, dc_sock, sizeof log_sock, "debug");
        int r1 = connect_unix(log_sock);
        assert_true(read_until(r1, "msg=\"log reader connected", out, sizeof out, 3000));
        struct ttrpc_client *c = agent_connect(&a);
        assert_int_equal(agent_check(c), 0);
        assert_true(read_until(r1, "grpc.Health/Check", out, sizeof out, 3000));

        /* A second reader replaces the first, which sees the end of its stream. */
        int r2 = connect_unix(log_sock);
        assert_true(read_until(r2, "msg=\"log reader connected", out, sizeof out, 3000));
        assert_false(read_until(r1, "\x01", out, sizeof out, 2000)); /* EOF, not a timeout... */
        char byte;
        assert_int_equal(read(r1, &byte, 1), 0); /* ...as this proves */
        close(r1);

        /* A reader that stops reading: lines are dropped, the agent keeps answering at once. */
        int rcvbuf = 4096;
        assert_int_equal(setsockopt(r2, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
        uint64_t slowest = 0;
        for (int i = 0; i < 3000; i++) {
                uint64_t t0 = now_ns();
                assert_int_equal(agent_check(c), 0);
                slowest = MAX(slowest, now_ns() - t0);
        }
        assert_true(slowest < NSEC_PER_SEC);
        /* Catching up: everything pending arrives, then the count of what was dropped. */
        assert_true(read_until(r2, "msg=\"log lines dropped: the log_vport peer did not keep up\" dropped=", out,
                               sizeof out, 10000));
        assert_int_equal(agent_check(c), 0);
        assert_true(read_until(r2, "grpc.Health/Check", out, sizeof out, 3000));
        close(r2);
        ttrpc_client_free(c);
        assert_int_equal(agent_stop(&a), 0);
        unlink(log_sock);
        unlink(dc_sock);
}

static void test_debug_console_vport(void **state)
{
        (void)state;
        struct agent_proc a;
        char log_sock[108], dc_sock[108], out[8192];
        if (!agent_can_run())
                skip();
        start(&a, log_sock, dc_sock, sizeof log_sock, "info");
        int s = connect_unix(dc_sock);
        const char cmd[] = "echo hi-$((6*7)); tty\n";
        assert_int_equal(write(s, cmd, sizeof cmd - 1), (ssize_t)sizeof cmd - 1);
        assert_true(read_until(s, "hi-42", out, sizeof out, 5000));
        assert_true(read_until(s, "/dev/pts/", out, sizeof out, 5000));

        /* An orphan of the shell is reparented to the agent (a subreaper) and reaped. */
        const char orphan[] = "sh -c 'sleep 0.3 & echo $! > /tmp/kinglet-orphan-pid'; sleep 1.5; "
                              "if [ -e /proc/$(cat /tmp/kinglet-orphan-pid) ]; then echo ORPH-$((2+3)); "
                              "else echo ORPH-$((2+2)); fi; rm -f /tmp/kinglet-orphan-pid\n";
        assert_int_equal(write(s, orphan, sizeof orphan - 1), (ssize_t)sizeof orphan - 1);
        assert_true(read_until(s, "ORPH-4", out, sizeof out, 10000));

        /* At most four sessions: the fifth connection is told why and closed. */
        int more[4];
        for (int i = 0; i < 3; i++)
                more[i] = connect_unix(dc_sock);
        usleep(200 * 1000);
        more[3] = connect_unix(dc_sock);
        assert_true(read_until(more[3], "too many debug console sessions (at most 4)", out, sizeof out, 3000));
        for (int i = 0; i < 4; i++)
                close(more[i]);

        /* The shell's exit ends the connection. */
        const char bye[] = "exit\n";
        assert_int_equal(write(s, bye, sizeof bye - 1), (ssize_t)sizeof bye - 1);
        assert_false(read_until(s, "\x01", out, sizeof out, 5000));
        char byte;
        assert_true(read(s, &byte, 1) <= 0);
        close(s);
        struct ttrpc_client *c = agent_connect(&a);
        assert_int_equal(agent_check(c), 0);
        ttrpc_client_free(c);
        assert_int_equal(agent_stop(&a), 0);
        unlink(log_sock);
        unlink(dc_sock);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_log_vport),
                cmocka_unit_test(test_debug_console_vport),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
