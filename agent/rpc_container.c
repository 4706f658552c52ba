/* SPDX-License-Identifier: Apache-2.0 */
/* Container lifecycle RPCs: thin handlers over containers.h. */
#include <errno.h>
#include <stdlib.h>

#include "agent.pb-c.h"
#include "pb_scan.h"
#include "containers.h"
#include "process.h"
#include "rpc.h"

int rpc_reject_nul_strings(struct ttrpc_call *call, const ProtobufCMessage *request)
{
        const uint8_t *data;
        size_t len;
        ttrpc_call_payload(call, &data, &len);
        const ProtobufCFieldDescriptor *f = pb_string_with_nul(data, len, request->descriptor);
        if (f)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "%s contains a NUL byte", f->name);
        return -1;
}

/* Looks up a container; answers NOT_FOUND (and returns NULL) when there is none. */
static struct container *find_or_fail(struct agent *a, struct ttrpc_call *call, const ProtobufCMessage *request,
                                      const char *id, int *ret)
{
        if ((*ret = rpc_reject_nul_strings(call, request)) >= 0)
                return NULL;
        struct container *c = id ? container_find(a, id) : NULL;
        if (!c)
                *ret = ttrpc_call_fail(call, GRPC_NOT_FOUND, "no container `%.256s`", id ? id : "");
        return c;
}

#define LOOKUP(id)                                                   \
        int lookup_r_;                                               \
        struct container *c = find_or_fail(userdata, call, request, (id), &lookup_r_); \
        if (!c)                                                      \
                return lookup_r_

RPC_HANDLER(rpc_create_container)
{
        int r = rpc_reject_nul_strings(call, request);
        if (r >= 0)
                return r;
        return container_create(userdata, call, (const Grpc__CreateContainerRequest *)request);
}

RPC_HANDLER(rpc_start_container)
{
        const Grpc__StartContainerRequest *req = (const Grpc__StartContainerRequest *)request;
        LOOKUP(req->container_id);
        return container_start(c, call);
}

RPC_HANDLER(rpc_exec_process)
{
        const Grpc__ExecProcessRequest *req = (const Grpc__ExecProcessRequest *)request;
        LOOKUP(req->container_id);
        return container_exec(c, call, req);
}

RPC_HANDLER(rpc_remove_container)
{
        const Grpc__RemoveContainerRequest *req = (const Grpc__RemoveContainerRequest *)request;
        LOOKUP(req->container_id);
        return container_remove(c, call, req->timeout);
}

RPC_HANDLER(rpc_signal_process)
{
        const Grpc__SignalProcessRequest *req = (const Grpc__SignalProcessRequest *)request;
        struct rpc_error e = { 0 };
        LOOKUP(req->container_id);
        int r = container_signal(c, req->exec_id, (int)req->signal, &e);
        return r < 0 ? ttrpc_call_fail_error(call, r, &e) : ttrpc_call_reply(call, NULL);
}

RPC_HANDLER(rpc_wait_process)
{
        const Grpc__WaitProcessRequest *req = (const Grpc__WaitProcessRequest *)request;
        LOOKUP(req->container_id);
        struct process *p = container_process(c, req->exec_id);
        if (!p)
                return ttrpc_call_fail(call, GRPC_NOT_FOUND, "container `%s` has no process `%.256s`", c->id,
                                       req->exec_id);
        int r = process_wait(p, call);
        if (r == TTRPC_DONE) {
                p->waited = true;
                container_reap_process(p);
        }
        return r;
}

static int pause_resume(void *userdata, struct ttrpc_call *call, const ProtobufCMessage *request, const char *id,
                        bool pause)
{
        struct rpc_error e = { 0 };
        LOOKUP(id);
        int r = container_pause(c, pause, &e);
        return r < 0 ? ttrpc_call_fail_error(call, r, &e) : ttrpc_call_reply(call, NULL);
}

RPC_HANDLER(rpc_pause_container)
{
        return pause_resume(userdata, call, request, ((const Grpc__PauseContainerRequest *)request)->container_id,
                            true);
}

RPC_HANDLER(rpc_resume_container)
{
        return pause_resume(userdata, call, request, ((const Grpc__ResumeContainerRequest *)request)->container_id,
                            false);
}

RPC_HANDLER(rpc_update_container)
{
        const Grpc__UpdateContainerRequest *req = (const Grpc__UpdateContainerRequest *)request;
        struct rpc_error e = { 0 };
        LOOKUP(req->container_id);
        int r = container_update(c, req->resources, &e);
        return r < 0 ? ttrpc_call_fail_error(call, r, &e) : ttrpc_call_reply(call, NULL);
}

RPC_HANDLER(rpc_stats_container)
{
        const Grpc__StatsContainerRequest *req = (const Grpc__StatsContainerRequest *)request;
        struct rpc_error e = { 0 };
        Grpc__StatsContainerResponse *resp = NULL;
        LOOKUP(req->container_id);
        int r = container_stats(c, &resp, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        r = ttrpc_call_reply(call, &resp->base);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return r;
}
