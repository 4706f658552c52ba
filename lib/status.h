/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gRPC status codes, the errno -> status mapping, and the error record an
 * RPC handler fills so the client gets a message a person can act on.
 */
#ifndef KINGLET_STATUS_H
#define KINGLET_STATUS_H

#include "macro.h"

enum grpc_code {
        GRPC_OK = 0,
        GRPC_CANCELLED = 1,
        GRPC_UNKNOWN = 2,
        GRPC_INVALID_ARGUMENT = 3,
        GRPC_DEADLINE_EXCEEDED = 4,
        GRPC_NOT_FOUND = 5,
        GRPC_ALREADY_EXISTS = 6,
        GRPC_PERMISSION_DENIED = 7,
        GRPC_RESOURCE_EXHAUSTED = 8,
        GRPC_FAILED_PRECONDITION = 9,
        GRPC_ABORTED = 10,
        GRPC_OUT_OF_RANGE = 11,
        GRPC_UNIMPLEMENTED = 12,
        GRPC_INTERNAL = 13,
        GRPC_UNAVAILABLE = 14,
        GRPC_DATA_LOSS = 15,
        GRPC_UNAUTHENTICATED = 16,
        GRPC_CODE_MAX = GRPC_UNAUTHENTICATED,
};

#define RPC_ERROR_MSG_MAX 512

/*
 * Filled on the error path only. code == GRPC_OK means "nothing recorded":
 * the caller then maps the returned errno with grpc_code_from_errno().
 */
struct rpc_error {
        int code;
        char msg[RPC_ERROR_MSG_MAX];
};

/* "INVALID_ARGUMENT"; "CODE_<n>" for values outside the table. */
const char *grpc_code_name(int code);
/* Parses a name as grpc_code_name() prints it (case-insensitive); -EINVAL if unknown. */
int grpc_code_from_name(const char *name);
/* Maps an errno (either sign) to the closest gRPC code. */
int grpc_code_from_errno(int err);

/*
 * Records `code` and a formatted message in *e (if e is non-NULL) and returns
 * neg_errno, so a failing function can `return rpc_error_set(e, ...)`.
 */
int rpc_error_set(struct rpc_error *e, int code, int neg_errno, const char *fmt, ...) _printf_(4, 5);

/* Prefixes context ("copy `x`: ") onto a recorded message. */
void rpc_error_prefix(struct rpc_error *e, const char *fmt, ...) _printf_(2, 3);

#endif
