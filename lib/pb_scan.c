/* SPDX-License-Identifier: Apache-2.0 */
#include "pb_scan.h"

#include <string.h>

/* Reads a varint; 0 bytes consumed on a malformed or truncated one. */
static size_t read_varint(const uint8_t *p, size_t len, uint64_t *ret)
{
        uint64_t v = 0;
        for (size_t i = 0; i < len && i < 10; i++) {
                v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
                if (!(p[i] & 0x80)) {
                        *ret = v;
                        return i + 1;
                }
        }
        return 0;
}

bool pb_field_has_nul(const uint8_t *buf, size_t len, uint32_t field)
{
        size_t off = 0;
        while (off < len) {
                uint64_t key, n;
                size_t k = read_varint(buf + off, len - off, &key);
                if (!k)
                        return false; /* the decoder already accepted it; nothing more to learn */
                off += k;
                switch (key & 7) {
                case 0:
                        k = read_varint(buf + off, len - off, &n);
                        if (!k)
                                return false;
                        off += k;
                        break;
                case 1:
                        off += 8;
                        break;
                case 5:
                        off += 4;
                        break;
                case 2:
                        k = read_varint(buf + off, len - off, &n);
                        if (!k || n > len - off - k)
                                return false;
                        off += k;
                        if ((key >> 3) == field && memchr(buf + off, 0, (size_t)n))
                                return true;
                        off += (size_t)n;
                        break;
                default:
                        return false;
                }
        }
        return false;
}
