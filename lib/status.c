/* SPDX-License-Identifier: Apache-2.0 */
#include "status.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const code_names[] = {
        [GRPC_OK] = "OK",
        [GRPC_CANCELLED] = "CANCELLED",
        [GRPC_UNKNOWN] = "UNKNOWN",
        [GRPC_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
        [GRPC_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
        [GRPC_NOT_FOUND] = "NOT_FOUND",
        [GRPC_ALREADY_EXISTS] = "ALREADY_EXISTS",
        [GRPC_PERMISSION_DENIED] = "PERMISSION_DENIED",
        [GRPC_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
        [GRPC_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
        [GRPC_ABORTED] = "ABORTED",
        [GRPC_OUT_OF_RANGE] = "OUT_OF_RANGE",
        [GRPC_UNIMPLEMENTED] = "UNIMPLEMENTED",
        [GRPC_INTERNAL] = "INTERNAL",
        [GRPC_UNAVAILABLE] = "UNAVAILABLE",
        [GRPC_DATA_LOSS] = "DATA_LOSS",
        [GRPC_UNAUTHENTICATED] = "UNAUTHENTICATED",
};

/* errno values that have a better answer than INTERNAL. */
static const struct {
        int err;
        int code;
} errno_map[] = {
        { ENOENT, GRPC_NOT_FOUND },          { ESRCH, GRPC_NOT_FOUND },
        { ENODEV, GRPC_NOT_FOUND },          { ENXIO, GRPC_NOT_FOUND },
        { EEXIST, GRPC_ALREADY_EXISTS },     { EPERM, GRPC_PERMISSION_DENIED },
        { EACCES, GRPC_PERMISSION_DENIED },  { EROFS, GRPC_PERMISSION_DENIED },
        { EINVAL, GRPC_INVALID_ARGUMENT },   { ENAMETOOLONG, GRPC_INVALID_ARGUMENT },
        { ENOTDIR, GRPC_INVALID_ARGUMENT },  { EISDIR, GRPC_INVALID_ARGUMENT },
        { ELOOP, GRPC_INVALID_ARGUMENT },    { EBADMSG, GRPC_INVALID_ARGUMENT },
        { EPROTO, GRPC_INVALID_ARGUMENT },   { ENOMEM, GRPC_RESOURCE_EXHAUSTED },
        { ENOSPC, GRPC_RESOURCE_EXHAUSTED }, { EMFILE, GRPC_RESOURCE_EXHAUSTED },
        { ENFILE, GRPC_RESOURCE_EXHAUSTED }, { E2BIG, GRPC_RESOURCE_EXHAUSTED },
        { EMSGSIZE, GRPC_RESOURCE_EXHAUSTED }, { EDQUOT, GRPC_RESOURCE_EXHAUSTED },
        { EFBIG, GRPC_RESOURCE_EXHAUSTED },  { ETIMEDOUT, GRPC_DEADLINE_EXCEEDED },
        { ENOSYS, GRPC_UNIMPLEMENTED },      { EOPNOTSUPP, GRPC_UNIMPLEMENTED },
        { EAGAIN, GRPC_UNAVAILABLE },        { EBUSY, GRPC_UNAVAILABLE },
        { ECONNREFUSED, GRPC_UNAVAILABLE },  { ECONNRESET, GRPC_UNAVAILABLE },
        { EPIPE, GRPC_UNAVAILABLE },         { ENOTCONN, GRPC_UNAVAILABLE },
        { ECANCELED, GRPC_CANCELLED },       { ERANGE, GRPC_OUT_OF_RANGE },
        { EOVERFLOW, GRPC_OUT_OF_RANGE },    { EALREADY, GRPC_FAILED_PRECONDITION },
        { ENOTEMPTY, GRPC_FAILED_PRECONDITION }, { EIO, GRPC_DATA_LOSS },
        /* Networking: the guest's links and routes do not allow it (yet). */
        { ENETUNREACH, GRPC_FAILED_PRECONDITION }, { EHOSTUNREACH, GRPC_FAILED_PRECONDITION },
        { EADDRNOTAVAIL, GRPC_FAILED_PRECONDITION }, { ENETDOWN, GRPC_FAILED_PRECONDITION },
};

const char *grpc_code_name(int code)
{
        static char buf[24]; /* "CODE_-2147483648" */

        if (code >= 0 && (size_t)code < ARRAY_SIZE(code_names))
                return code_names[code];
        snprintf(buf, sizeof buf, "CODE_%d", code);
        return buf;
}

int grpc_code_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(code_names); i++)
                if (strcasecmp(name, code_names[i]) == 0)
                        return (int)i;
        return -EINVAL;
}

int grpc_code_from_errno(int err)
{
        if (err == INT_MIN)
                return GRPC_INTERNAL;
        if (err < 0)
                err = -err;
        if (err == 0)
                return GRPC_OK;
        for (size_t i = 0; i < ARRAY_SIZE(errno_map); i++)
                if (errno_map[i].err == err)
                        return errno_map[i].code;
        return GRPC_INTERNAL;
}

int rpc_error_set(struct rpc_error *e, int code, int neg_errno, const char *fmt, ...)
{
        if (e) {
                va_list ap;
                va_start(ap, fmt);
                e->code = code;
                vsnprintf(e->msg, sizeof e->msg, fmt, ap);
                va_end(ap);
        }
        return neg_errno;
}

void rpc_error_prefix(struct rpc_error *e, const char *fmt, ...)
{
        char prefix[RPC_ERROR_MSG_MAX];
        char joined[RPC_ERROR_MSG_MAX];
        va_list ap;

        if (!e || e->code == GRPC_OK)
                return;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        /* Cut at the buffer's end if need be: the context matters more than the tail. */
        if (snprintf(joined, sizeof joined, "%s: %s", prefix, e->msg) < 0)
                return;
        memcpy(e->msg, joined, sizeof e->msg);
}
