/* SPDX-License-Identifier: Apache-2.0 */
#include "agent_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int agent_call(struct agent_client *c, const char *method, const ProtobufCMessage *req,
               const ProtobufCMessageDescriptor *resp_type, ProtobufCMessage **ret_resp, struct rpc_error *e)
{
        struct ttrpc_reply st = { 0 };
        ProtobufCMessage *resp = NULL;
        int r = ttrpc_client_call(c->ttrpc, "grpc.AgentService", method, req, resp_type, c->timeout_ns, &st,
                                  resp_type ? &resp : NULL, e);
        if (r < 0)
                return r;
        if (st.code != GRPC_OK) {
                int code = st.code;
                return rpc_error_set(e, code, -EPROTO, "%s", st.message[0] ? st.message : grpc_code_name(code));
        }
        if (ret_resp)
                *ret_resp = resp;
        else if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

int agent_create_container(struct agent_client *c, const char *id, const Grpc__Spec *spec,
                           const struct create_opts *opts, struct rpc_error *e)
{
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        req.container_id = (char *)id;
        req.exec_id = (char *)(opts && opts->exec_id ? opts->exec_id : id);
        req.oci = (Grpc__Spec *)spec;
        if (opts) {
                req.sandbox_pidns = opts->sandbox_pidns;
                req.string_user = (Grpc__StringUser *)opts->user;
                req.storages = opts->storages;
                req.n_storages = opts->n_storages;
        }
        return agent_call(c, "CreateContainer", &req.base, NULL, NULL, e);
}

int agent_start_container(struct agent_client *c, const char *id, struct rpc_error *e)
{
        Grpc__StartContainerRequest req = GRPC__START_CONTAINER_REQUEST__INIT;
        req.container_id = (char *)id;
        return agent_call(c, "StartContainer", &req.base, NULL, NULL, e);
}

int agent_exec_process(struct agent_client *c, const char *id, const char *exec_id,
                       const Grpc__Process *process, const Grpc__StringUser *user, struct rpc_error *e)
{
        Grpc__ExecProcessRequest req = GRPC__EXEC_PROCESS_REQUEST__INIT;
        req.container_id = (char *)id;
        req.exec_id = (char *)exec_id;
        req.process = (Grpc__Process *)process;
        req.string_user = (Grpc__StringUser *)user;
        return agent_call(c, "ExecProcess", &req.base, NULL, NULL, e);
}

int agent_wait_process(struct agent_client *c, const char *id, const char *exec_id, int *ret_status,
                       struct rpc_error *e)
{
        Grpc__WaitProcessRequest req = GRPC__WAIT_PROCESS_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        req.container_id = (char *)id;
        req.exec_id = (char *)exec_id;
        int r = agent_call(c, "WaitProcess", &req.base, &grpc__wait_process_response__descriptor, &resp, e);
        if (r < 0)
                return r;
        *ret_status = ((Grpc__WaitProcessResponse *)resp)->status;
        protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

int agent_signal_process(struct agent_client *c, const char *id, const char *exec_id, int sig,
                         struct rpc_error *e)
{
        Grpc__SignalProcessRequest req = GRPC__SIGNAL_PROCESS_REQUEST__INIT;
        req.container_id = (char *)id;
        req.exec_id = (char *)(exec_id ? exec_id : "");
        req.signal = (uint32_t)sig;
        return agent_call(c, "SignalProcess", &req.base, NULL, NULL, e);
}

int agent_remove_container(struct agent_client *c, const char *id, uint32_t timeout_s, struct rpc_error *e)
{
        Grpc__RemoveContainerRequest req = GRPC__REMOVE_CONTAINER_REQUEST__INIT;
        req.container_id = (char *)id;
        req.timeout = timeout_s;
        return agent_call(c, "RemoveContainer", &req.base, NULL, NULL, e);
}

int agent_read_stream(struct agent_client *c, const char *id, const char *exec_id, bool stderr_stream,
                      size_t len, uint8_t **ret_data, size_t *ret_n, struct rpc_error *e)
{
        Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        req.container_id = (char *)id;
        req.exec_id = (char *)exec_id;
        req.len = (uint32_t)len;
        int r = agent_call(c, stderr_stream ? "ReadStderr" : "ReadStdout", &req.base,
                           &grpc__read_stream_response__descriptor, &resp, e);
        if (r < 0)
                return r;
        Grpc__ReadStreamResponse *rs = (Grpc__ReadStreamResponse *)resp;
        *ret_n = rs->data.len;
        *ret_data = malloc(rs->data.len ? rs->data.len : 1);
        if (!*ret_data) {
                protobuf_c_message_free_unpacked(resp, NULL);
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory");
        }
        if (rs->data.len)
                memcpy(*ret_data, rs->data.data, rs->data.len);
        protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

int agent_write_stdin(struct agent_client *c, const char *id, const char *exec_id, const void *data,
                      size_t len, size_t *ret_written, struct rpc_error *e)
{
        Grpc__WriteStreamRequest req = GRPC__WRITE_STREAM_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        req.container_id = (char *)id;
        req.exec_id = (char *)exec_id;
        req.data.data = (uint8_t *)data;
        req.data.len = len;
        int r = agent_call(c, "WriteStdin", &req.base, &grpc__write_stream_response__descriptor, &resp, e);
        if (r < 0)
                return r;
        *ret_written = ((Grpc__WriteStreamResponse *)resp)->len;
        protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

int agent_close_stdin(struct agent_client *c, const char *id, const char *exec_id, struct rpc_error *e)
{
        Grpc__CloseStdinRequest req = GRPC__CLOSE_STDIN_REQUEST__INIT;
        req.container_id = (char *)id;
        req.exec_id = (char *)exec_id;
        return agent_call(c, "CloseStdin", &req.base, NULL, NULL, e);
}

int agent_resize(struct agent_client *c, const char *id, const char *exec_id, unsigned rows,
                 unsigned cols, struct rpc_error *e)
{
        Grpc__TtyWinResizeRequest req = GRPC__TTY_WIN_RESIZE_REQUEST__INIT;
        req.container_id = (char *)id;
        req.exec_id = (char *)exec_id;
        req.row = rows;
        req.column = cols;
        return agent_call(c, "TtyWinResize", &req.base, NULL, NULL, e);
}
