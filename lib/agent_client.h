/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed calls to grpc.AgentService on top of the ttrpc client, for
 * kinglet-ctl, the tests and the benchmarks. Each returns 0 when the agent
 * answered OK, else -errno with *e holding the gRPC code and message (the
 * agent's own, or UNAVAILABLE / DEADLINE_EXCEEDED when no answer came).
 */
#ifndef KINGLET_AGENT_CLIENT_H
#define KINGLET_AGENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.pb-c.h"
#include "status.h"
#include "ttrpc_client.h"

struct agent_client {
        struct ttrpc_client *ttrpc;
        int64_t timeout_ns; /* per request; 0 = none */
};

int agent_call(struct agent_client *c, const char *method, const ProtobufCMessage *req,
               const ProtobufCMessageDescriptor *resp_type, ProtobufCMessage **ret_resp, struct rpc_error *e);

struct create_opts {
        const char *exec_id;           /* default: the container id */
        bool sandbox_pidns;
        const Grpc__StringUser *user;  /* may be NULL */
        Grpc__Storage **storages;
        size_t n_storages;
};
int agent_create_container(struct agent_client *c, const char *id, const Grpc__Spec *spec,
                           const struct create_opts *opts, struct rpc_error *e);
int agent_start_container(struct agent_client *c, const char *id, struct rpc_error *e);
int agent_exec_process(struct agent_client *c, const char *id, const char *exec_id,
                       const Grpc__Process *process, const Grpc__StringUser *user, struct rpc_error *e);
/* Blocks until the process exits (timeout_ns 0 recommended); *ret_status is the exit code or 128+signal. */
int agent_wait_process(struct agent_client *c, const char *id, const char *exec_id, int *ret_status,
                       struct rpc_error *e);
int agent_signal_process(struct agent_client *c, const char *id, const char *exec_id, int sig,
                         struct rpc_error *e);
int agent_remove_container(struct agent_client *c, const char *id, uint32_t timeout_s, struct rpc_error *e);
/* Up to `len` bytes; *ret_n == 0 means EOF. *ret_data is malloc'd (free it). */
int agent_read_stream(struct agent_client *c, const char *id, const char *exec_id, bool stderr_stream,
                      size_t len, uint8_t **ret_data, size_t *ret_n, struct rpc_error *e);
int agent_write_stdin(struct agent_client *c, const char *id, const char *exec_id, const void *data,
                      size_t len, size_t *ret_written, struct rpc_error *e);
int agent_close_stdin(struct agent_client *c, const char *id, const char *exec_id, struct rpc_error *e);
int agent_resize(struct agent_client *c, const char *id, const char *exec_id, unsigned rows,
                 unsigned cols, struct rpc_error *e);

#endif
