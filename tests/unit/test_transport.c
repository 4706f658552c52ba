/* SPDX-License-Identifier: Apache-2.0 */
/* Listening sockets and serial port discovery. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "transport.h"

static char dir[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

static int setup(void **state)
{
        (void)state;
        snprintf(dir, sizeof dir, "/tmp/kinglet-tr-XXXXXX");
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct address unix_addr(const char *name)
{
        struct address a;
        struct rpc_error e = { 0 };
        char text[128];
        snprintf(text, sizeof text, "unix://%s/%s", dir, name);
        assert_int_equal(address_parse(text, &a, &e), 0);
        return a;
}

static void test_listen_replaces_stale_socket(void **state)
{
        struct address a = unix_addr("s.sock");
        struct rpc_error e = { 0 };
        struct stat st;
        int fd, fd2;
        (void)state;
        assert_int_equal(transport_listen(&a, &fd, &e), 0);
        assert_int_equal(stat(a.path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
        /* A live server on the path: refused, and the socket file is left alone. */
        assert_int_equal(transport_listen(&a, &fd2, &e), -EADDRINUSE);
        assert_int_equal(e.code, GRPC_ALREADY_EXISTS);
        assert_non_null(strstr(e.msg, "another server"));
        close(fd);
        /* The server died and left its socket file: that is replaced. */
        assert_int_equal(transport_listen(&a, &fd2, &e), 0);
        close(fd2);
}

static void test_listen_refuses_non_socket(void **state)
{
        struct address a = unix_addr("plain");
        struct rpc_error e = { 0 };
        int fd;
        (void)state;
        close(open(a.path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        assert_int_equal(transport_listen(&a, &fd, &e), -EEXIST);
        assert_non_null(strstr(e.msg, "not a socket"));
        assert_int_equal(access(a.path, F_OK), 0);
}

static void test_listen_abstract_and_vsock(void **state)
{
        struct address a;
        struct rpc_error e = { 0 };
        char text[64];
        int fd;
        (void)state;
        snprintf(text, sizeof text, "unix://@kinglet-test-%d", (int)getpid());
        assert_int_equal(address_parse(text, &a, &e), 0);
        assert_int_equal(transport_listen(&a, &fd, &e), 0);
        close(fd);
        /* vsock needs the address family in the kernel; where it is missing, say so. */
        assert_int_equal(address_parse("vsock://-1:40123", &a, &e), 0);
        int r = transport_listen(&a, &fd, &e);
        if (r == 0)
                close(fd);
        else
                assert_int_equal(r, -EAFNOSUPPORT);
        assert_int_equal(address_parse("serial://agent.channel.0", &a, &e), 0);
        assert_int_equal(transport_listen(&a, &fd, &e), -EINVAL);
}

static void test_connect_errors(void **state)
{
        struct address a = unix_addr("nobody.sock");
        struct rpc_error e = { 0 };
        int fd;
        (void)state;
        assert_int_equal(transport_connect(&a, NSEC_PER_SEC, &fd, &e), -ENOENT);
        assert_int_equal(e.code, GRPC_UNAVAILABLE);
        assert_non_null(strstr(e.msg, "cannot connect to unix://"));
        assert_int_equal(address_parse("serial://agent.channel.0", &a, &e), 0);
        assert_int_equal(transport_connect(&a, NSEC_PER_SEC, &fd, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "chardev"));
}

/* A listener whose backlog is full: no socket that never connected is handed back. */
static void test_connect_full_backlog(void **state)
{
        struct address a = unix_addr("busy.sock");
        struct rpc_error e = { 0 };
        int lfd, fd, held[8];
        size_t n_held = 0;
        (void)state;
        int raw = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(raw >= 0);
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        assert_true(strlen(a.path) < sizeof sun.sun_path);
        memcpy(sun.sun_path, a.path, strlen(a.path) + 1);
        assert_int_equal(bind(raw, (struct sockaddr *)&sun, sizeof sun), 0);
        assert_int_equal(listen(raw, 0), 0);
        lfd = raw;
        /* Fill the backlog with connections nobody accepts. */
        for (;;) {
                int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                assert_true(c >= 0);
                if (connect(c, (struct sockaddr *)&sun, sizeof sun) < 0) {
                        assert_int_equal(errno, EAGAIN);
                        close(c);
                        break;
                }
                assert_true(n_held < 8);
                held[n_held++] = c;
        }
        assert_int_equal(transport_connect(&a, 50 * NSEC_PER_MSEC, &fd, &e), -EAGAIN);
        assert_int_equal(e.code, GRPC_UNAVAILABLE);
        assert_non_null(strstr(e.msg, "backlog"));
        /* Once the server accepts, a connect goes through. */
        for (size_t i = 0; i < n_held; i++) {
                int acc = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                assert_true(acc >= 0);
                close(acc);
                close(held[i]);
        }
        assert_int_equal(transport_connect(&a, NSEC_PER_SEC, &fd, &e), 0);
        int err = 0;
        socklen_t el = sizeof err;
        struct sockaddr_un peer;
        socklen_t pl = sizeof peer;
        assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el), 0);
        assert_int_equal(err, 0);
        assert_int_equal(getpeername(fd, (struct sockaddr *)&peer, &pl), 0);
        close(fd);
        close(lfd);
}

static void make_port(const char *vport, const char *name)
{
        char path[160];
        snprintf(path, sizeof path, "%s/%s", dir, vport);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof path, "%s/%s/name", dir, vport);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(name, f);
        fclose(f);
}

static void test_find_serial_port(void **state)
{
        char dev[64];
        (void)state;
        make_port("vport0p0", "\n");
        make_port("vport1p1", "org.qemu.guest_agent.0\n");
        make_port("vport1p2", "agent.channel.0\n");
        assert_int_equal(transport_find_serial_port(dir, "agent.channel.0", dev, sizeof dev), 0);
        assert_string_equal(dev, "/dev/vport1p2");
        assert_int_equal(transport_find_serial_port(dir, "agent.channel", dev, sizeof dev), -ENOENT);
        assert_int_equal(transport_find_serial_port("/nonexistent", "x", dev, sizeof dev), -ENOENT);
        assert_int_equal(transport_find_serial_port(dir, "agent.channel.0", dev, 8), -ENAMETOOLONG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_listen_replaces_stale_socket, setup, teardown),
                cmocka_unit_test_setup_teardown(test_listen_refuses_non_socket, setup, teardown),
                cmocka_unit_test_setup_teardown(test_listen_abstract_and_vsock, setup, teardown),
                cmocka_unit_test_setup_teardown(test_connect_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_connect_full_backlog, setup, teardown),
                cmocka_unit_test_setup_teardown(test_find_serial_port, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
