/* SPDX-License-Identifier: Apache-2.0 */
#include "ttrpc_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "google/rpc/status.pb-c.h"
#include "ttrpc.pb-c.h"
#include "ttrpc_client.h"

static void die(const char *what)
{
        fprintf(stderr, "test support: %s\n", what);
        abort();
}

void test_frame_raw(struct buf *out, uint32_t length, uint32_t stream_id, uint8_t type,
                    uint8_t flags, const void *body, size_t body_len)
{
        uint8_t hdr[TTRPC_HEADER_LEN];
        struct ttrpc_header h = { .length = length, .stream_id = stream_id, .type = type, .flags = flags };
        ttrpc_header_pack(&h, hdr);
        if (buf_append(out, hdr, sizeof hdr, SIZE_MAX / 2) < 0 ||
            (body_len && buf_append(out, body, body_len, SIZE_MAX / 2) < 0))
                die("out of memory");
}

void test_frame_request_raw(struct buf *out, uint32_t stream_id, const char *service,
                            const char *method, const void *payload, size_t len,
                            int64_t timeout_nano)
{
        if (ttrpc_request_frame_append(out, stream_id, service, method, payload, len, timeout_nano,
                                       SIZE_MAX / 2) < 0)
                die("cannot build request frame");
}

void test_frame_request(struct buf *out, uint32_t stream_id, uint8_t flags, const char *service,
                        const char *method, const ProtobufCMessage *payload, int64_t timeout_nano)
{
        size_t n = payload ? protobuf_c_message_get_packed_size(payload) : 0;
        uint8_t *p = malloc(n ? n : 1);
        if (!p)
                die("out of memory");
        if (payload)
                protobuf_c_message_pack(payload, p);
        size_t before = buf_len(out);
        test_frame_request_raw(out, stream_id, service, method, p, n, timeout_nano);
        /* Patch the flags byte of the header just written. */
        buf_head(out)[before + 9] = flags;
        free(p);
}

int test_next_reply(struct buf *in, struct ttrpc_reply *ret)
{
        struct frame_decoder d = { 0 };
        struct frame f;
        size_t need;

        switch (frame_decode(&d, in, &f, &need)) {
        case FRAME_NEED_MORE:
                return -ENOENT;
        case FRAME_READY:
                break;
        default:
                die("server wrote an oversized or insane frame");
        }
        if (f.header.type != TTRPC_TYPE_RESPONSE)
                die("server wrote a frame that is not a Response");
        if (f.header.flags != 0)
                die("server set flags on a Response");
        Ttrpc__Response *resp = (Ttrpc__Response *)protobuf_c_message_unpack(
                &ttrpc__response__descriptor, NULL, f.header.length, f.payload);
        if (!resp)
                die("Response does not decode");
        if (!resp->status)
                die("Response without status");
        struct ttrpc_reply r = { .stream_id = f.header.stream_id, .code = resp->status->code };
        snprintf(r.message, sizeof r.message, "%s", resp->status->message ? resp->status->message : "");
        if (resp->payload.len) {
                r.payload = malloc(resp->payload.len);
                if (!r.payload)
                        die("out of memory");
                memcpy(r.payload, resp->payload.data, resp->payload.len);
                r.payload_len = resp->payload.len;
        }
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        *ret = r;
        return 0;
}
