/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kinglet-ctl: talk to a kinglet (or Kata) agent over ttrpc.
 *
 *   kinglet-ctl [--addr ADDR] [--timeout SECS] [--json] COMMAND [ARGS]
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

#define DEFAULT_TIMEOUT_S 30

static const struct ctl_command *const groups[] = {
        ctl_health_commands,
        ctl_sandbox_commands,
        ctl_container_commands,
        ctl_manage_commands,
        ctl_guest_commands,
        ctl_hotplug_commands,
        ctl_volume_commands,
        ctl_iptables_commands,
        ctl_network_commands,
        ctl_copy_file_commands,
        ctl_policy_commands,
        ctl_raw_commands,
};

const struct ctl_command *ctl_find_command(const char *name)
{
        for (size_t g = 0; g < ARRAY_SIZE(groups); g++)
                for (const struct ctl_command *c = groups[g]; c->name; c++)
                        if (streq(c->name, name))
                                return c;
        return NULL;
}

void ctl_print_command_help(const struct ctl_command *cmd)
{
        /* The usage's first line is the synopsis; any further lines describe options. */
        const char *details = strchr(cmd->usage, '\n');
        int synopsis_len = details ? (int)(details - cmd->usage) : (int)strlen(cmd->usage);

        printf("Usage: kinglet-ctl [GLOBAL OPTIONS] %s%s%.*s\n\n%s\n", cmd->name,
               synopsis_len ? " " : "", synopsis_len, cmd->usage, cmd->summary);
        if (details) {
                details += strspn(details, "\n");
                size_t len = strlen(details);
                printf("\n%s%s", details, len && details[len - 1] != '\n' ? "\n" : "");
        }
}

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: kinglet-ctl [--addr ADDR] [--timeout SECS] [--json] COMMAND [ARGS]\n"
                "\n"
                "Client for the Kata agent API served by kinglet-agent (or any Kata agent).\n"
                "\n"
                "Global options:\n"
                "  -a, --addr ADDR       agent address (default: $KINGLET_ADDR):\n"
                "                          unix:///path.sock, vsock://CID:PORT,\n"
                "                          hvsock:///path/vm.sock:PORT (Firecracker, Cloud Hypervisor),\n"
                "                          serial:///path/chardev.sock (a VMM's virtio-serial socket)\n"
                "  -t, --timeout SECS    per-request deadline sent to the agent (default %d)\n"
                "  -j, --json            machine-readable output on stdout\n"
                "  -h, --help            this help; `COMMAND --help` for a command\n"
                "  -V, --version         show version\n"
                "\n"
                "Commands:\n",
                DEFAULT_TIMEOUT_S);
        for (size_t g = 0; g < ARRAY_SIZE(groups); g++)
                for (const struct ctl_command *c = groups[g]; c->name; c++)
                        fprintf(out, "  %-18s %s\n", c->name, c->summary);
        fprintf(out,
                "\n"
                "Exit status: 0 on success; the gRPC status code (1-16) when the agent\n"
                "refuses a request, 14 (UNAVAILABLE) when it cannot be reached, 4\n"
                "(DEADLINE_EXCEEDED) when it does not answer in time; 64 for usage errors;\n"
                "66 when a local input file cannot be read.\n");
}

int ctl_usage_error(const char *command, const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "kinglet-ctl: %s%s", command ? command : "", command ? ": " : "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'kinglet-ctl %s%s--help'.\n", command ? command : "",
                command ? " " : "");
        return CTL_EXIT_USAGE;
}

void ctl_report_error(struct ctl *ctl, int code, const char *message)
{
        fprintf(stderr, "kinglet-ctl: %s: %s\n", grpc_code_name(code), message);
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "error");
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "code");
                json_int(&ctl->out, code);
                json_key(&ctl->out, "status");
                json_string(&ctl->out, grpc_code_name(code));
                json_key(&ctl->out, "message");
                json_string(&ctl->out, message);
                json_object_end(&ctl->out);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        }
}

int ctl_connect(struct ctl *ctl)
{
        struct rpc_error e = { 0 };

        if (ctl->client)
                return 0;
        if (!ctl->addr) {
                fprintf(stderr, "kinglet-ctl: no agent address: use --addr or set KINGLET_ADDR\n");
                return CTL_EXIT_USAGE;
        }
        int r = ttrpc_client_connect(ctl->addr, ctl->timeout_ns, &ctl->client, &e);
        if (r < 0) {
                int code = e.code && e.code != GRPC_INVALID_ARGUMENT ? e.code : GRPC_UNAVAILABLE;
                if (e.code == GRPC_INVALID_ARGUMENT) {
                        fprintf(stderr, "kinglet-ctl: %s\n", e.msg);
                        return CTL_EXIT_USAGE;
                }
                ctl_report_error(ctl, code, e.msg);
                return code;
        }
        return 0;
}

int ctl_call(struct ctl *ctl, const char *service, const char *method,
             const ProtobufCMessage *request, const ProtobufCMessageDescriptor *response_type,
             ProtobufCMessage **ret_response)
{
        struct rpc_error e = { 0 };
        struct ttrpc_reply reply = { 0 };
        int r;

        r = ctl_connect(ctl);
        if (r)
                return r;
        r = ttrpc_client_call(ctl->client, service, method, request, response_type,
                              (int64_t)ctl->timeout_ns, &reply, ret_response, &e);
        if (r < 0) {
                ctl_report_error(ctl, e.code, e.msg);
                return e.code;
        }
        int code = reply.code;
        if (code != GRPC_OK)
                ctl_report_error(ctl, code, reply.message[0] ? reply.message : "(no message)");
        ttrpc_reply_clear(&reply);
        return code;
}

static int parse_timeout(const char *s, uint64_t *ret)
{
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || *end || v <= 0 || v > 86400)
                return -EINVAL;
        *ret = (uint64_t)(v * 1e9);
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "addr", required_argument, NULL, 'a' },
                { "timeout", required_argument, NULL, 't' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        struct ctl ctl = {
                .addr = getenv("KINGLET_ADDR"),
                .timeout_ns = DEFAULT_TIMEOUT_S * NSEC_PER_SEC,
        };
        int opt;

        if (ctl.addr && !*ctl.addr)
                ctl.addr = NULL;
        /* '+': stop at the command name; its options are its own. */
        while ((opt = getopt_long(argc, argv, "+a:t:jhV", options, NULL)) != -1) {
                switch (opt) {
                case 'a':
                        ctl.addr = optarg;
                        break;
                case 't':
                        if (parse_timeout(optarg, &ctl.timeout_ns) < 0)
                                return ctl_usage_error(NULL, "--timeout wants seconds in (0, 86400], got `%s`",
                                                       optarg);
                        break;
                case 'j':
                        ctl.json = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("kinglet-ctl %s\n", KINGLET_VERSION);
                        return 0;
                default:
                        fprintf(stderr, "Try 'kinglet-ctl --help'.\n");
                        return CTL_EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return CTL_EXIT_USAGE;
        }
        const struct ctl_command *cmd = ctl_find_command(argv[optind]);
        if (!cmd)
                return ctl_usage_error(NULL, "unknown command `%s`", argv[optind]);
        json_init(&ctl.out, stdout);

        int sub_argc = argc - optind;
        char **sub_argv = argv + optind;
        for (int i = 1; i < sub_argc && !streq(sub_argv[i], "--"); i++)
                if (streq(sub_argv[i], "--help") || streq(sub_argv[i], "-h")) {
                        ctl_print_command_help(cmd);
                        return 0;
                }
        optind = 1;
        int code = cmd->run(&ctl, sub_argc, sub_argv);
        ctl.client = ttrpc_client_free(ctl.client);
        return code;
}
