/* SPDX-License-Identifier: Apache-2.0 */
/* iptables-get, iptables-set: the guest's packet filter rules (GetIPTables / SetIPTables). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "cleanup.h"
#include "ctl.h"
#include "util.h"

#define AGENT_SERVICE "grpc.AgentService"
/* Rules sent in one request; well under the 4 MiB ttrpc message limit. */
#define IPTABLES_DATA_MAX (1u << 20)

static int parse_ipv6(const char *cmd, int argc, char **argv, protobuf_c_boolean *ipv6)
{
        static const struct option options[] = { { "ipv6", no_argument, NULL, '6' }, {} };
        int opt;
        while ((opt = getopt_long(argc, argv, "6", options, NULL)) != -1) {
                if (opt != '6')
                        return ctl_usage_error(cmd, "unknown option");
                *ipv6 = true;
        }
        return 0;
}

/* {"KEY":"data"} with --json, else the bytes as they are. */
static void print_data(struct ctl *ctl, const char *key, const ProtobufCBinaryData *data)
{
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, key);
                json_string_n(&ctl->out, (const char *)data->data, data->len);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else if (data->len)
                fwrite(data->data, 1, data->len, stdout);
}

static int cmd_iptables_get(struct ctl *ctl, int argc, char **argv)
{
        Grpc__GetIPTablesRequest req = GRPC__GET_IPTABLES_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        int code = parse_ipv6("iptables-get", argc, argv, &req.is_ipv6);
        if (code)
                return code;
        if (optind < argc)
                return ctl_usage_error("iptables-get", "unexpected argument `%s`", argv[optind]);
        code = ctl_call(ctl, AGENT_SERVICE, "GetIPTables", &req.base, &grpc__get_iptables_response__descriptor, &m);
        if (code)
                return code;
        print_data(ctl, "data", &((const Grpc__GetIPTablesResponse *)m)->data);
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
}

/* Reads all of fd, at most IPTABLES_DATA_MAX bytes, into *ret (malloc'ed). */
static int read_rules(int fd, uint8_t **ret, size_t *ret_len)
{
        return read_all_bounded(fd, IPTABLES_DATA_MAX, ret, ret_len);
}

static int cmd_iptables_set(struct ctl *ctl, int argc, char **argv)
{
        Grpc__SetIPTablesRequest req = GRPC__SET_IPTABLES_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        int code = parse_ipv6("iptables-set", argc, argv, &req.is_ipv6);
        if (code)
                return code;
        if (argc - optind != 1)
                return ctl_usage_error("iptables-set", "needs one FILE of rules (or - for stdin)");
        const char *path = argv[optind];
        _cleanup_close_ int fd = streq(path, "-") ? -1 : open(path, O_RDONLY | O_CLOEXEC);
        int r = streq(path, "-") || fd >= 0 ? read_rules(streq(path, "-") ? STDIN_FILENO : fd, &data, &req.data.len)
                                            : -errno;
        if (r < 0) {
                fprintf(stderr, "kinglet-ctl: iptables-set: cannot read %s: %s\n", streq(path, "-") ? "stdin" : path,
                        r == -EFBIG ? "more than 1 MiB of rules" : strerror(-r));
                return CTL_EXIT_NOINPUT;
        }
        req.data.data = data;
        code = ctl_call(ctl, AGENT_SERVICE, "SetIPTables", &req.base, &grpc__set_iptables_response__descriptor, &m);
        if (code)
                return code;
        print_data(ctl, "output", &((const Grpc__SetIPTablesResponse *)m)->data);
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
}

const struct ctl_command ctl_iptables_commands[] = {
        { "iptables-get", "print the guest's rules as iptables-save writes them (GetIPTables)",
          "[--ipv6]\n\n"
          "  -6, --ipv6   ip6tables instead\n\n"
          "Writes the rules to stdout as they come; --json: {\"data\":TEXT}.",
          cmd_iptables_get },
        { "iptables-set", "replace the guest's rules through iptables-restore (SetIPTables)",
          "[--ipv6] FILE|-\n\n"
          "  -6, --ipv6   ip6tables instead\n\n"
          "Reads the rules (iptables-save format, at most 1 MiB) from FILE, or stdin for -, and\n"
          "prints what iptables-restore wrote; --json: {\"output\":TEXT}. Exits 66 when FILE\n"
          "cannot be read.",
          cmd_iptables_set },
        {},
};
