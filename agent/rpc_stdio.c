/* SPDX-License-Identifier: Apache-2.0 */
/* Stdio RPCs: WriteStdin, ReadStdout, ReadStderr, CloseStdin, TtyWinResize. */
#include <errno.h>
#include <string.h>

#include "agent.pb-c.h"
#include "containers.h"
#include "process.h"
#include "rpc.h"

/* One ReadStdout is bounded: a bigger `len` is served in pieces, as the runtime loops anyway. */
#define READ_MAX (1u << 20)

static struct process *find_process(struct agent *a, struct ttrpc_call *call, const ProtobufCMessage *request,
                                    const char *cid, const char *eid, int *ret)
{
        if ((*ret = rpc_reject_nul_strings(call, request)) >= 0)
                return NULL;
        struct container *c = cid ? container_find(a, cid) : NULL;
        struct process *p = c ? container_process(c, eid) : NULL;
        if (!c)
                *ret = ttrpc_call_fail(call, GRPC_NOT_FOUND, "no container `%.256s`", cid ? cid : "");
        else if (!p)
                *ret = ttrpc_call_fail(call, GRPC_NOT_FOUND, "container `%s` has no process `%.256s`", c->id,
                                       eid ? eid : "");
        return p;
}

static int read_stream(void *userdata, struct ttrpc_call *call, const ProtobufCMessage *request, bool err)
{
        const Grpc__ReadStreamRequest *req = (const Grpc__ReadStreamRequest *)request;
        int r;
        struct process *p = find_process(userdata, call, request, req->container_id, req->exec_id, &r);
        if (!p)
                return r;
        if (err && p->terminal)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION,
                                       "process `%s` has a terminal: its stderr is part of stdout", p->exec_id);
        size_t len = req->len ? req->len : READ_MAX;
        r = stdio_read(err ? &p->err : &p->out, call, len < READ_MAX ? len : READ_MAX);
        if (r == TTRPC_DONE)
                container_reap_process(p);
        return r;
}

RPC_HANDLER(rpc_read_stdout)
{
        return read_stream(userdata, call, request, false);
}

RPC_HANDLER(rpc_read_stderr)
{
        return read_stream(userdata, call, request, true);
}

RPC_HANDLER(rpc_write_stdin)
{
        const Grpc__WriteStreamRequest *req = (const Grpc__WriteStreamRequest *)request;
        int r;
        struct process *p = find_process(userdata, call, request, req->container_id, req->exec_id, &r);
        if (!p)
                return r;
        return stdio_write(p, call, req->data.data, req->data.len);
}

RPC_HANDLER(rpc_close_stdin)
{
        const Grpc__CloseStdinRequest *req = (const Grpc__CloseStdinRequest *)request;
        int r;
        struct process *p = find_process(userdata, call, request, req->container_id, req->exec_id, &r);
        if (!p)
                return r;
        (void)stdio_close_stdin(p);
        return ttrpc_call_reply(call, NULL);
}

RPC_HANDLER(rpc_tty_win_resize)
{
        const Grpc__TtyWinResizeRequest *req = (const Grpc__TtyWinResizeRequest *)request;
        int r;
        struct process *p = find_process(userdata, call, request, req->container_id, req->exec_id, &r);
        if (!p)
                return r;
        if (req->row > 0xffff || req->column > 0xffff)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "window size %ux%u is out of range", req->row,
                                       req->column);
        r = stdio_resize(p, req->row, req->column);
        if (r == -ENOTTY)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION, "process `%s` has no terminal", p->exec_id);
        return r < 0 ? ttrpc_call_fail(call, GRPC_INTERNAL, "resize: %s", strerror(-r)) : ttrpc_call_reply(call, NULL);
}
