/* SPDX-License-Identifier: Apache-2.0 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int parse_u64(const char *s, int base, uint64_t *ret)
{
        char *end;

        if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, base);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_u32(const char *s, int base, uint32_t *ret)
{
        uint64_t v;
        int r = parse_u64(s, base, &v);
        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t)v;
        return 0;
}

int parse_i64(const char *s, int64_t *ret)
{
        char *end;

        if (!s || !*s || isspace((unsigned char)*s) || *s == '+')
                return -EINVAL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_int(const char *s, int *ret)
{
        int64_t v;
        int r = parse_i64(s, &v);
        if (r < 0)
                return r;
        if (v < INT_MIN || v > INT_MAX)
                return -ERANGE;
        *ret = (int)v;
        return 0;
}

uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

int fd_set_nonblock(int fd, bool nonblock)
{
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return -errno;
        int want = nonblock ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
        if (want != flags && fcntl(fd, F_SETFL, want) < 0)
                return -errno;
        return 0;
}

static int write_loop(int fd, const void *buf, size_t len, bool socket)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = socket ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
                if (n < 0 && socket && errno == ENOTSOCK) {
                        socket = false;
                        continue;
                }
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
        return write_loop(fd, buf, len, false);
}

int send_all(int fd, const void *buf, size_t len)
{
        return write_loop(fd, buf, len, true);
}

int read_all_bounded(int fd, size_t max, uint8_t **ret, size_t *ret_len)
{
        _cleanup_free_ uint8_t *buf = malloc(max + 1);
        size_t len = 0;
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, max + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = 0; /* room was kept: text callers get a terminated string */
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int read_small_file(const char *path, char *buf, size_t size, size_t *ret_len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        size_t len = 0;

        if (fd < 0)
                return -errno;
        if (size == 0)
                return -EINVAL;
        for (;;) {
                if (len == size - 1) {
                        char probe;
                        ssize_t n = read(fd, &probe, 1);
                        if (n > 0)
                                return -EFBIG;
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                return -errno;
                        break;
                }
                ssize_t n = read(fd, buf + len, size - 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        return 0;
}

int write_string_file(const char *path, const char *s)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return write_all(fd, s, strlen(s));
}

char *strstrip_trailing(char *s)
{
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                s[--n] = '\0';
        return s;
}

int hex_digit_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}
