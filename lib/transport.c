/* SPDX-License-Identifier: Apache-2.0 */
#include "transport.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

union sockaddr_any {
        struct sockaddr sa;
        struct sockaddr_un un;
        struct sockaddr_vm vm;
};

static socklen_t sockaddr_of(const struct address *a, union sockaddr_any *sa)
{
        memset(sa, 0, sizeof *sa);
        if (a->kind == ADDR_VSOCK) {
                sa->vm.svm_family = AF_VSOCK;
                sa->vm.svm_cid = a->cid;
                sa->vm.svm_port = a->port;
                return sizeof sa->vm;
        }
        sa->un.sun_family = AF_UNIX;
        size_t n = strlen(a->path);
        if (a->abstract) {
                /* Abstract names start with a NUL and are not NUL-terminated. */
                memcpy(sa->un.sun_path + 1, a->path, n);
                return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
        }
        memcpy(sa->un.sun_path, a->path, n);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* A socket file left by a dead server can be replaced; a live one cannot. */
static int unix_path_in_use(const struct address *a)
{
        union sockaddr_any sa;
        socklen_t len = sockaddr_of(a, &sa);
        struct stat st;

        if (lstat(a->path, &st) < 0)
                return 0;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, &sa.sa, len) == 0)
                return -EADDRINUSE;
        if (errno == ECONNREFUSED || errno == ENOENT) {
                (void)unlink(a->path);
                return 0;
        }
        return -errno;
}

int transport_listen(const struct address *a, int *ret_fd, struct rpc_error *e)
{
        union sockaddr_any sa;
        int family;

        switch (a->kind) {
        case ADDR_VSOCK: family = AF_VSOCK; break;
        case ADDR_UNIX: family = AF_UNIX; break;
        default:
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "only vsock:// and unix:// addresses can be listened on");
        }
        socklen_t len = sockaddr_of(a, &sa);
        _cleanup_close_ int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
                int r = -errno;
                return rpc_error_set(e, GRPC_UNAVAILABLE, r, "cannot create %s socket: %s",
                                     family == AF_VSOCK ? "vsock" : "unix", strerror(-r));
        }
        if (a->kind == ADDR_UNIX && !a->abstract) {
                int r = unix_path_in_use(a);
                if (r == -EADDRINUSE)
                        return rpc_error_set(e, GRPC_ALREADY_EXISTS, r,
                                             "another server is listening on %s", a->path);
                if (r == -EEXIST)
                        return rpc_error_set(e, GRPC_ALREADY_EXISTS, r,
                                             "%s exists and is not a socket", a->path);
        }
        if (bind(fd, &sa.sa, len) < 0) {
                int r = -errno;
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot bind: %s", strerror(-r));
        }
        /* The agent starts and stops containers as root: only root may talk to it. */
        if (a->kind == ADDR_UNIX && !a->abstract)
                (void)chmod(a->path, 0600);
        if (listen(fd, 128) < 0) {
                int r = -errno;
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot listen: %s", strerror(-r));
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int transport_accept(int listen_fd, char *peer, size_t peer_size)
{
        union sockaddr_any sa;
        socklen_t len = sizeof sa;

        int fd = accept4(listen_fd, &sa.sa, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (sa.sa.sa_family == AF_VSOCK) {
                snprintf(peer, peer_size, "vsock:%u:%u", sa.vm.svm_cid, sa.vm.svm_port);
        } else {
                struct ucred cred;
                socklen_t cl = sizeof cred;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
                        snprintf(peer, peer_size, "unix:pid=%d,uid=%u", (int)cred.pid, cred.uid);
                else
                        snprintf(peer, peer_size, "unix");
        }
        return fd;
}

static int wait_fd(int fd, short events, uint64_t deadline_ns)
{
        for (;;) {
                int timeout = -1;
                if (deadline_ns) {
                        uint64_t now = now_ns();
                        if (now >= deadline_ns)
                                return -ETIMEDOUT;
                        timeout = (int)MIN((deadline_ns - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC,
                                           (uint64_t)INT32_MAX);
                }
                struct pollfd p = { .fd = fd, .events = events };
                int n = poll(&p, 1, timeout);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n > 0)
                        return 0;
        }
}

int transport_hvsock_handshake(int fd, uint32_t port, uint64_t timeout_ns, struct rpc_error *e)
{
        char line[64];
        uint64_t deadline = timeout_ns ? now_ns() + timeout_ns : 0;
        int n = snprintf(line, sizeof line, "CONNECT %u\n", port);
        int r = write_all(fd, line, (size_t)n);
        if (r < 0)
                return rpc_error_set(e, GRPC_UNAVAILABLE, r, "hybrid vsock: sending CONNECT: %s",
                                     strerror(-r));
        /* Byte by byte: nothing after the newline belongs to the handshake. */
        size_t len = 0;
        for (;;) {
                r = wait_fd(fd, POLLIN, deadline);
                if (r < 0)
                        return rpc_error_set(e, r == -ETIMEDOUT ? GRPC_DEADLINE_EXCEEDED : GRPC_UNAVAILABLE,
                                             r, "hybrid vsock: no answer to CONNECT %u", port);
                ssize_t got = read(fd, line + len, 1);
                if (got < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (got <= 0)
                        return rpc_error_set(e, GRPC_UNAVAILABLE, -ECONNRESET,
                                             "hybrid vsock: connection closed during CONNECT %u "
                                             "(is anything listening on guest port %u?)",
                                             port, port);
                if (line[len] == '\n')
                        break;
                if (++len == sizeof line - 1)
                        return rpc_error_set(e, GRPC_UNAVAILABLE, -EPROTO,
                                             "hybrid vsock: answer to CONNECT is too long");
        }
        line[len] = '\0';
        if (!startswith(line, "OK"))
                return rpc_error_set(e, GRPC_UNAVAILABLE, -ECONNREFUSED,
                                     "hybrid vsock: CONNECT %u refused: `%s`", port, line);
        return 0;
}

int transport_connect(const struct address *a, uint64_t timeout_ns, int *ret_fd,
                      struct rpc_error *e)
{
        struct address target = *a;
        union sockaddr_any sa;
        char what[ADDR_STRING_MAX + 16];

        if (a->kind == ADDR_SERIAL && a->serial_by_name)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "serial://%s names a port inside the guest; from the host "
                                     "connect to the VMM's chardev socket (serial:///path.sock)",
                                     a->path);
        if (a->kind == ADDR_SERIAL || a->kind == ADDR_HVSOCK)
                target.kind = ADDR_UNIX;
        (void)address_format(a, what, sizeof what);

        uint64_t deadline = timeout_ns ? now_ns() + timeout_ns : 0;
        socklen_t len = sockaddr_of(&target, &sa);
        _cleanup_close_ int fd = socket(target.kind == ADDR_VSOCK ? AF_VSOCK : AF_UNIX,
                                        SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
                int r = -errno;
                return rpc_error_set(e, GRPC_UNAVAILABLE, r, "%s: cannot create socket: %s", what,
                                     strerror(-r));
        }
        int cr = connect(fd, &sa.sa, len) < 0 ? -errno : 0;
        /*
         * A unix listener with a full backlog refuses a non-blocking connect
         * with EAGAIN: nothing is in progress, so waiting for POLLOUT would
         * hand back a socket that never connected. Try again, for at most the
         * deadline (a second without one), 1 ms apart.
         */
        uint64_t retry_until = deadline ? deadline : now_ns() + NSEC_PER_SEC;
        while (cr == -EAGAIN && target.kind == ADDR_UNIX && now_ns() < retry_until) {
                (void)nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
                cr = connect(fd, &sa.sa, len) < 0 ? -errno : 0;
        }
        if (cr < 0) {
                int r = cr;
                if (r == -EAGAIN && target.kind == ADDR_UNIX)
                        return rpc_error_set(e, GRPC_UNAVAILABLE, r, "cannot connect to %s: its backlog stayed full",
                                             what);
                if (r != -EINPROGRESS && r != -EAGAIN)
                        return rpc_error_set(e, GRPC_UNAVAILABLE, r, "cannot connect to %s: %s",
                                             what, strerror(-r));
                r = wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                        return rpc_error_set(e, r == -ETIMEDOUT ? GRPC_DEADLINE_EXCEEDED : GRPC_UNAVAILABLE,
                                             r, "cannot connect to %s: %s", what, strerror(-r));
                int err = 0;
                socklen_t el = sizeof err;
                (void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err)
                        return rpc_error_set(e, GRPC_UNAVAILABLE, -err, "cannot connect to %s: %s",
                                             what, strerror(err));
        }
        if (a->kind == ADDR_HVSOCK) {
                /* The handshake gets what is left of the timeout (at least a nanosecond: 0 means none). */
                uint64_t now = now_ns();
                uint64_t left = deadline ? (deadline > now ? deadline - now : 1) : 0;
                int r = transport_hvsock_handshake(fd, a->port, left, e);
                if (r < 0)
                        return r;
        }
        int r = fd_set_nonblock(fd, false);
        if (r < 0)
                return rpc_error_set(e, GRPC_INTERNAL, r, "fcntl: %s", strerror(-r));
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int transport_find_serial_port(const char *sysfs_dir, const char *name, char *ret_path, size_t size)
{
        _cleanup_closedir_ DIR *d = opendir(sysfs_dir);
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char path[512], value[256];
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof path, "%s/%s/name", sysfs_dir, de->d_name);
                if (read_small_file(path, value, sizeof value, NULL) < 0)
                        continue;
                if (!streq(strstrip_trailing(value), name))
                        continue;
                int n = snprintf(ret_path, size, "/dev/%s", de->d_name);
                return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
        }
        return -ENOENT;
}

int transport_open_serial(const char *path)
{
        int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        /* A virtio port is not a tty; a console-style channel is, and must not cook bytes. */
        struct termios t;
        if (tcgetattr(fd, &t) == 0) {
                cfmakeraw(&t);
                (void)tcsetattr(fd, TCSANOW, &t);
        }
        return fd;
}
