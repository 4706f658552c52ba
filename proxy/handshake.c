/* SPDX-License-Identifier: Apache-2.0 */
#include "handshake.h"

#include <string.h>

#include "macro.h"

#define CONNECT_PREFIX "CONNECT "

enum handshake_result handshake_detect(const uint8_t *p, size_t len, uint32_t *ret_port,
                                       size_t *ret_consumed)
{
        size_t cmp = MIN(len, STRLEN(CONNECT_PREFIX));
        if (len == 0)
                return HANDSHAKE_NEED_MORE;
        /* Anything else is left to the frame decoder, which refuses garbage as the agent does. */
        if (memcmp(p, CONNECT_PREFIX, cmp) != 0)
                return HANDSHAKE_TTRPC;
        const uint8_t *nl = memchr(p, '\n', MIN(len, (size_t)HANDSHAKE_LINE_MAX));
        if (!nl)
                return len >= HANDSHAKE_LINE_MAX ? HANDSHAKE_BAD : HANDSHAKE_NEED_MORE;
        const uint8_t *end = nl;
        if (end > p && end[-1] == '\r')
                end--;
        const uint8_t *d = p + STRLEN(CONNECT_PREFIX);
        if (d >= end || end - d > 10)
                return HANDSHAKE_BAD;
        uint64_t port = 0;
        for (; d < end; d++) {
                if (*d < '0' || *d > '9')
                        return HANDSHAKE_BAD;
                port = port * 10 + (uint64_t)(*d - '0');
        }
        if (port > UINT32_MAX)
                return HANDSHAKE_BAD;
        *ret_port = (uint32_t)port;
        *ret_consumed = (size_t)(nl - p) + 1;
        return HANDSHAKE_CONNECT;
}
