/* SPDX-License-Identifier: Apache-2.0 */
/* kinglet-ctl: shared state and helpers for the subcommands (one file per group). */
#ifndef KINGLET_CTL_H
#define KINGLET_CTL_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>

#include "json.h"
#include "status.h"
#include "ttrpc_client.h"

/*
 * Exit codes: 0 success; 1..16 the gRPC status code of a failed RPC (a
 * connection that cannot be made is UNAVAILABLE, 14; no reply in time is
 * DEADLINE_EXCEEDED, 4); 64 usage error; 66 a local file cannot be read.
 */
#define CTL_EXIT_USAGE 64
#define CTL_EXIT_NOINPUT 66

struct ctl {
        const char *addr;
        uint64_t timeout_ns;
        bool json;
        struct ttrpc_client *client;
        struct json out;
};

struct ctl_command {
        const char *name;
        const char *summary;
        const char *usage; /* options and arguments, shown by `COMMAND --help` */
        int (*run)(struct ctl *ctl, int argc, char **argv);
};

/* Command tables of each group. */
extern const struct ctl_command ctl_health_commands[];
extern const struct ctl_command ctl_guest_commands[];
extern const struct ctl_command ctl_copy_file_commands[];
extern const struct ctl_command ctl_raw_commands[];
extern const struct ctl_command ctl_container_commands[];
extern const struct ctl_command ctl_manage_commands[];

/*
 * Calls service/method; on success *ret_response holds the decoded reply
 * (free with protobuf_c_message_free_unpacked). On failure prints the error
 * (text on stderr; also a JSON object on stdout with --json) and returns the
 * exit code to use, which is > 0.
 */
int ctl_call(struct ctl *ctl, const char *service, const char *method,
             const ProtobufCMessage *request, const ProtobufCMessageDescriptor *response_type,
             ProtobufCMessage **ret_response);

/* Connects on first use; returns 0 or the exit code to use (after printing why). */
int ctl_connect(struct ctl *ctl);
/* Prints an RPC failure on stderr (and as JSON on stdout with --json). */
void ctl_report_error(struct ctl *ctl, int code, const char *message);

/* Prints a usage error for `command` and returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const struct ctl_command *ctl_find_command(const char *name);
void ctl_print_command_help(const struct ctl_command *cmd);

#endif
