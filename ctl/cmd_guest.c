/* SPDX-License-Identifier: Apache-2.0 */
/* guest-details, set-time, reseed, metrics: guest-wide AgentService calls. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "cleanup.h"
#include "ctl.h"
#include "util.h"

#define AGENT_SERVICE "grpc.AgentService"
#define RESEED_DEFAULT_BYTES 512
#define RESEED_MAX_BYTES 65536

static void print_list(struct ctl *ctl, const char *key, char **items, size_t n)
{
        if (ctl->json) {
                json_key(&ctl->out, key);
                json_array_begin(&ctl->out);
                for (size_t i = 0; i < n; i++)
                        json_string(&ctl->out, items[i]);
                json_array_end(&ctl->out);
                return;
        }
        printf("%-26s", key);
        if (n == 0)
                printf(" (none)");
        for (size_t i = 0; i < n; i++)
                printf(" %s", items[i]);
        printf("\n");
}

static int cmd_guest_details(struct ctl *ctl, int argc, char **argv)
{
        static const struct option options[] = {
                { "mem-block-size", no_argument, NULL, 'm' },
                { "mem-hotplug-probe", no_argument, NULL, 'p' },
                {},
        };
        Grpc__GuestDetailsRequest req = GRPC__GUEST_DETAILS_REQUEST__INIT;
        ProtobufCMessage *msg = NULL;
        int opt;

        while ((opt = getopt_long(argc, argv, "mp", options, NULL)) != -1) {
                if (opt == 'm')
                        req.mem_block_size = true;
                else if (opt == 'p')
                        req.mem_hotplug_probe = true;
                else
                        return ctl_usage_error("guest-details", "unknown option");
        }
        if (optind < argc)
                return ctl_usage_error("guest-details", "unexpected argument `%s`", argv[optind]);
        int code = ctl_call(ctl, AGENT_SERVICE, "GetGuestDetails", &req.base,
                            &grpc__guest_details_response__descriptor, &msg);
        if (code)
                return code;
        const Grpc__GuestDetailsResponse *resp = (const Grpc__GuestDetailsResponse *)msg;
        const Grpc__AgentDetails *d = resp->agent_details;
        Grpc__AgentDetails empty = GRPC__AGENT_DETAILS__INIT;
        if (!d)
                d = &empty;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "agent_version");
                json_string(&ctl->out, d->version);
                json_key(&ctl->out, "init_daemon");
                json_bool(&ctl->out, d->init_daemon);
                json_key(&ctl->out, "supports_seccomp");
                json_bool(&ctl->out, d->supports_seccomp);
        } else {
                printf("%-26s %s\n", "agent_version", d->version ? d->version : "");
                printf("%-26s %s\n", "init_daemon", d->init_daemon ? "true" : "false");
                printf("%-26s %s\n", "supports_seccomp", d->supports_seccomp ? "true" : "false");
        }
        print_list(ctl, "device_handlers", d->device_handlers, d->n_device_handlers);
        print_list(ctl, "storage_handlers", d->storage_handlers, d->n_storage_handlers);
        print_list(ctl, "extra_features", d->extra_features, d->n_extra_features);
        if (ctl->json) {
                if (req.mem_block_size) {
                        json_key(&ctl->out, "mem_block_size_bytes");
                        json_uint(&ctl->out, resp->mem_block_size_bytes);
                }
                if (req.mem_hotplug_probe) {
                        json_key(&ctl->out, "support_mem_hotplug_probe");
                        json_bool(&ctl->out, resp->support_mem_hotplug_probe);
                }
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else {
                if (req.mem_block_size)
                        printf("%-26s %llu\n", "mem_block_size_bytes",
                               (unsigned long long)resp->mem_block_size_bytes);
                if (req.mem_hotplug_probe)
                        printf("%-26s %s\n", "support_mem_hotplug_probe",
                               resp->support_mem_hotplug_probe ? "true" : "false");
        }
        protobuf_c_message_free_unpacked(msg, NULL);
        return 0;
}

/* "SECONDS" or "SECONDS.FRACTION" (up to microseconds). */
static int parse_time(const char *s, int64_t *sec, int64_t *usec)
{
        char whole[32];
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (n == 0 || n >= sizeof whole)
                return -EINVAL;
        memcpy(whole, s, n);
        whole[n] = '\0';
        if (parse_i64(whole, sec) < 0 || *sec < 0)
                return -EINVAL;
        *usec = 0;
        if (dot) {
                const char *f = dot + 1;
                size_t fl = strlen(f);
                if (fl == 0 || fl > 6 || strspn(f, "0123456789") != fl)
                        return -EINVAL;
                int64_t v = 0;
                for (size_t i = 0; i < 6; i++)
                        v = v * 10 + (i < fl ? f[i] - '0' : 0);
                *usec = v;
        }
        return 0;
}

static int cmd_set_time(struct ctl *ctl, int argc, char **argv)
{
        Grpc__SetGuestDateTimeRequest req = GRPC__SET_GUEST_DATE_TIME_REQUEST__INIT;

        if (argc > 2)
                return ctl_usage_error("set-time", "takes at most one argument");
        if (argc == 2) {
                if (parse_time(argv[1], &req.sec, &req.usec) < 0)
                        return ctl_usage_error("set-time", "`%s` is not SECONDS[.FRACTION] since the epoch",
                                               argv[1]);
        } else {
                struct timeval tv;
                gettimeofday(&tv, NULL);
                req.sec = tv.tv_sec;
                req.usec = tv.tv_usec;
        }
        int code = ctl_call(ctl, AGENT_SERVICE, "SetGuestDateTime", &req.base, NULL, NULL);
        if (code)
                return code;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "sec");
                json_int(&ctl->out, req.sec);
                json_key(&ctl->out, "usec");
                json_int(&ctl->out, req.usec);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("guest clock set to %lld.%06lld\n", (long long)req.sec, (long long)req.usec);
        return 0;
}

static int cmd_reseed(struct ctl *ctl, int argc, char **argv)
{
        static const struct option options[] = { { "bytes", required_argument, NULL, 'b' }, {} };
        Grpc__ReseedRandomDevRequest req = GRPC__RESEED_RANDOM_DEV_REQUEST__INIT;
        uint32_t bytes = RESEED_DEFAULT_BYTES;
        uint8_t seed[RESEED_MAX_BYTES];
        int opt;

        while ((opt = getopt_long(argc, argv, "b:", options, NULL)) != -1) {
                if (opt != 'b' || parse_u32(optarg, 10, &bytes) < 0 || bytes == 0 ||
                    bytes > RESEED_MAX_BYTES)
                        return ctl_usage_error("reseed", "--bytes wants 1..%d", RESEED_MAX_BYTES);
        }
        if (optind < argc)
                return ctl_usage_error("reseed", "unexpected argument `%s`", argv[optind]);
        _cleanup_close_ int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, seed, bytes) != (ssize_t)bytes) {
                fprintf(stderr, "kinglet-ctl: reseed: cannot read /dev/urandom: %s\n", strerror(errno));
                return CTL_EXIT_NOINPUT;
        }
        req.data.data = seed;
        req.data.len = bytes;
        int code = ctl_call(ctl, AGENT_SERVICE, "ReseedRandomDev", &req.base, NULL, NULL);
        if (code)
                return code;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "bytes");
                json_uint(&ctl->out, bytes);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("sent %u bytes of seed from /dev/urandom\n", bytes);
        return 0;
}

static int cmd_metrics(struct ctl *ctl, int argc, char **argv)
{
        Grpc__GetMetricsRequest req = GRPC__GET_METRICS_REQUEST__INIT;
        ProtobufCMessage *msg = NULL;
        (void)argv;

        if (argc > 1)
                return ctl_usage_error("metrics", "takes no arguments");
        int code = ctl_call(ctl, AGENT_SERVICE, "GetMetrics", &req.base, &grpc__metrics__descriptor, &msg);
        if (code)
                return code;
        const char *text = ((const Grpc__Metrics *)msg)->metrics;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "metrics");
                json_string(&ctl->out, text);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                fputs(text, stdout);
        protobuf_c_message_free_unpacked(msg, NULL);
        return 0;
}

const struct ctl_command ctl_guest_commands[] = {
        { "guest-details", "agent capabilities and memory details (GetGuestDetails)",
          "[--mem-block-size] [--mem-hotplug-probe]", cmd_guest_details },
        { "set-time", "set the guest clock, to this host's time by default (SetGuestDateTime)",
          "[SECONDS[.FRACTION]]", cmd_set_time },
        { "reseed", "feed host randomness to the guest CRNG (ReseedRandomDev)", "[--bytes N]",
          cmd_reseed },
        { "metrics", "the agent's and guest's metrics in Prometheus text format (GetMetrics)",
          "\n\nPrints the text as the agent sends it; --json: {\"metrics\":TEXT}.", cmd_metrics },
        {},
};
