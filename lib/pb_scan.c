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

const ProtobufCFieldDescriptor *pb_string_with_nul(const uint8_t *buf, size_t len,
                                                   const ProtobufCMessageDescriptor *desc)
{
        size_t off = 0;
        while (off < len) {
                uint64_t key, n;
                size_t k = read_varint(buf + off, len - off, &key);
                if (!k)
                        return NULL; /* the decoder already accepted it; nothing more to learn */
                off += k;
                switch (key & 7) {
                case 0:
                        k = read_varint(buf + off, len - off, &n);
                        if (!k)
                                return NULL;
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
                                return NULL;
                        off += k;
                        if (key >> 3 <= UINT32_MAX && memchr(buf + off, 0, (size_t)n)) {
                                const ProtobufCFieldDescriptor *f =
                                        protobuf_c_message_descriptor_get_field(desc, (unsigned)(key >> 3));
                                if (f && f->type == PROTOBUF_C_TYPE_STRING)
                                        return f;
                        }
                        off += (size_t)n;
                        break;
                default:
                        return NULL;
                }
        }
        return NULL;
}
