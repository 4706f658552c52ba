/* SPDX-License-Identifier: Apache-2.0 */
/* Small I/O helpers shared by the proxy's connections. */
#include <errno.h>
#include <unistd.h>

#include "macro.h"
#include "proxy.h"

ssize_t proxy_read(int fd, void *buf, size_t size)
{
        for (;;) {
                ssize_t n = read(fd, buf, size);
                if (n > 0)
                        return n;
                if (n == 0)
                        return -1;
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN)
                        return 0;
                return -errno;
        }
}

uint64_t proxy_backoff_next(uint64_t *backoff_ns)
{
        uint64_t now = *backoff_ns ? *backoff_ns : PROXY_BACKOFF_MIN_NS;
        *backoff_ns = MIN(now * 2, PROXY_BACKOFF_MAX_NS);
        return now;
}
