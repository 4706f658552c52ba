/* SPDX-License-Identifier: Apache-2.0 */
/* call, debug-sleep: raw access for operators and tests. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ctl.h"
#include "kinglet.pb-c.h"
#include "util.h"

#define MAX_PAYLOAD (4u << 20)

static int parse_hex(const char *s, uint8_t **ret, size_t *ret_len)
{
        size_t n = strlen(s);
        if (n % 2 || n / 2 > MAX_PAYLOAD)
                return -EINVAL;
        uint8_t *p = malloc(n / 2 + 1);
        if (!p)
                return -ENOMEM;
        for (size_t i = 0; i < n / 2; i++) {
                int hi = hex_digit_value(s[2 * i]), lo = hex_digit_value(s[2 * i + 1]);
                if (hi < 0 || lo < 0) {
                        free(p);
                        return -EINVAL;
                }
                p[i] = (uint8_t)(hi << 4 | lo);
        }
        *ret = p;
        *ret_len = n / 2;
        return 0;
}

static int cmd_call(struct ctl *ctl, int argc, char **argv)
{
        static const struct option options[] = { { "payload-hex", required_argument, NULL, 'p' }, {} };
        _cleanup_free_ uint8_t *payload = NULL;
        size_t len = 0;
        int opt;

        while ((opt = getopt_long(argc, argv, "p:", options, NULL)) != -1) {
                if (opt != 'p' || parse_hex(optarg, &payload, &len) < 0)
                        return ctl_usage_error("call", "--payload-hex wants an even number of hex digits");
        }
        if (argc - optind != 2)
                return ctl_usage_error("call", "needs SERVICE and METHOD");
        const char *service = argv[optind], *method = argv[optind + 1];

        struct ttrpc_reply reply = { 0 };
        int code = ctl_connect(ctl);
        if (code)
                return code;
        int r = ttrpc_client_send_payload(ctl->client, service, method, payload, len,
                                          (int64_t)ctl->timeout_ns, NULL);
        if (r >= 0)
                r = ttrpc_client_recv(ctl->client, (int)(ctl->timeout_ns / 1000000) + 1000, &reply);
        if (r < 0) {
                int c = r == -ETIMEDOUT ? GRPC_DEADLINE_EXCEEDED : GRPC_UNAVAILABLE;
                ctl_report_error(ctl, c, r == -ECONNRESET ? "connection closed by the agent" : strerror(-r));
                return c;
        }
        code = reply.code;
        if (code != GRPC_OK)
                ctl_report_error(ctl, code, reply.message[0] ? reply.message : "(no message)");
        else if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "payload_hex");
                json_hex(&ctl->out, reply.payload, reply.payload_len);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else {
                for (size_t i = 0; i < reply.payload_len; i++)
                        printf("%02x", reply.payload[i]);
                printf("\n");
        }
        ttrpc_reply_clear(&reply);
        return code;
}

static int cmd_debug_sleep(struct ctl *ctl, int argc, char **argv)
{
        Kinglet__SleepRequest req = KINGLET__SLEEP_REQUEST__INIT;
        ProtobufCMessage *msg = NULL;
        uint64_t ms;

        if (argc != 2 || parse_u64(argv[1], 10, &ms) < 0)
                return ctl_usage_error("debug-sleep", "needs MILLISECONDS");
        req.milliseconds = ms;
        int code = ctl_call(ctl, "kinglet.Debug", "Sleep", &req.base,
                            &kinglet__sleep_response__descriptor, &msg);
        if (code)
                return code;
        protobuf_c_message_free_unpacked(msg, NULL);
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "slept_ms");
                json_uint(&ctl->out, ms);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("slept %llu ms\n", (unsigned long long)ms);
        return 0;
}

const struct ctl_command ctl_raw_commands[] = {
        { "call", "send any request with a pre-encoded payload; prints the reply payload in hex",
          "[--payload-hex HEX] SERVICE METHOD", cmd_call },
        { "debug-sleep", "park a request on the agent for MILLISECONDS (needs --debug-service)",
          "MILLISECONDS", cmd_debug_sleep },
        {},
};
