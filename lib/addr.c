/* SPDX-License-Identifier: Apache-2.0 */
#include "addr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "util.h"

#define UNIX_PATH_LIMIT (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

static int bad(struct rpc_error *e, const char *s, const char *why)
{
        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "address `%.200s`: %s", s, why);
}

static int parse_port(const char *s, uint32_t *ret)
{
        return parse_u32(s, 10, ret);
}

static int parse_vsock(const char *full, const char *rest, struct address *a, struct rpc_error *e)
{
        char cid[16];
        const char *colon = strchr(rest, ':');

        if (!colon || (size_t)(colon - rest) >= sizeof cid || colon == rest)
                return bad(e, full, "expected vsock://CID:PORT, e.g. vsock://-1:1024");
        memcpy(cid, rest, (size_t)(colon - rest));
        cid[colon - rest] = '\0';
        if (streq(cid, "-1"))
                a->cid = ADDR_VSOCK_CID_ANY;
        else if (parse_u32(cid, 10, &a->cid) < 0)
                return bad(e, full, "CID must be -1 (any) or a number up to 4294967295");
        if (parse_port(colon + 1, &a->port) < 0 || a->port == UINT32_MAX)
                return bad(e, full, "port must be a number below 4294967295");
        return 0;
}

static int parse_unix(const char *full, const char *rest, struct address *a, struct rpc_error *e)
{
        if (*rest == '@') {
                a->abstract = true;
                rest++;
        }
        if (!*rest)
                return bad(e, full, "expected unix:///path/to/socket or unix://@name");
        /* 107 either way: a path needs its NUL, an abstract name its leading NUL. */
        if (strlen(rest) > UNIX_PATH_LIMIT)
                return bad(e, full, "socket path longer than 107 bytes");
        snprintf(a->path, sizeof a->path, "%s", rest);
        return 0;
}

static int parse_serial(const char *full, const char *rest, struct address *a, struct rpc_error *e)
{
        if (!*rest)
                return bad(e, full, "expected serial://PORT_NAME or serial:///dev/path");
        if (strlen(rest) >= sizeof a->path)
                return bad(e, full, "name too long");
        a->serial_by_name = rest[0] != '/';
        if (a->serial_by_name && strchr(rest, '/'))
                return bad(e, full, "a port name cannot contain '/'; use serial:///absolute/path");
        snprintf(a->path, sizeof a->path, "%s", rest);
        return 0;
}

static int parse_hvsock(const char *full, const char *rest, struct address *a, struct rpc_error *e)
{
        const char *colon = strrchr(rest, ':');

        if (!colon || colon == rest)
                return bad(e, full, "expected hvsock:///path/to/vm.sock:PORT");
        size_t n = (size_t)(colon - rest);
        if (n > UNIX_PATH_LIMIT)
                return bad(e, full, "socket path longer than 107 bytes");
        memcpy(a->path, rest, n);
        a->path[n] = '\0';
        if (parse_port(colon + 1, &a->port) < 0)
                return bad(e, full, "port must be a number");
        return 0;
}

static const struct {
        const char *scheme;
        enum addr_kind kind;
        int (*parse)(const char *full, const char *rest, struct address *a, struct rpc_error *e);
} schemes[] = {
        { "vsock://", ADDR_VSOCK, parse_vsock },
        { "unix://", ADDR_UNIX, parse_unix },
        { "serial://", ADDR_SERIAL, parse_serial },
        { "hvsock://", ADDR_HVSOCK, parse_hvsock },
};

int address_parse(const char *s, struct address *ret, struct rpc_error *e)
{
        if (!s || !*s)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "no address given");
        if (strlen(s) > ADDR_STRING_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "address of %zu bytes is longer than %d", strlen(s),
                                     ADDR_STRING_MAX);
        for (size_t i = 0; i < ARRAY_SIZE(schemes); i++) {
                const char *rest = startswith(s, schemes[i].scheme);
                if (!rest)
                        continue;
                struct address a = { .kind = schemes[i].kind };
                int r = schemes[i].parse(s, rest, &a, e);
                if (r < 0)
                        return r;
                *ret = a;
                return 0;
        }
        return bad(e, s, "unknown scheme; use vsock://, unix://, serial:// or hvsock://");
}

int address_format(const struct address *a, char *buf, size_t size)
{
        int n;
        switch (a->kind) {
        case ADDR_VSOCK:
                if (a->cid == ADDR_VSOCK_CID_ANY)
                        n = snprintf(buf, size, "vsock://-1:%u", a->port);
                else
                        n = snprintf(buf, size, "vsock://%u:%u", a->cid, a->port);
                break;
        case ADDR_UNIX:
                n = snprintf(buf, size, "unix://%s%s", a->abstract ? "@" : "", a->path);
                break;
        case ADDR_SERIAL:
                n = snprintf(buf, size, "serial://%s", a->path);
                break;
        case ADDR_HVSOCK:
                n = snprintf(buf, size, "hvsock://%s:%u", a->path, a->port);
                break;
        default:
                return -EINVAL;
        }
        return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}
