/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by fuzz_rpc (the harness), seam_rpc.c (its system-call seam) and
 * make_seeds_rpc.c (its seeds): how an input names a method, and the seam.
 *
 * fuzz_rpc's input is a sequence of records, each
 *     [method index: 1 byte][payload length: 2 bytes, little endian][payload]
 * (a short last record takes what is left). The index counts the methods of
 * the services below in their .proto order, modulo their number, so every
 * method of every service the agent registers is reachable from one byte;
 * the payload is that method's request message in protobuf.
 */
#ifndef KINGLET_FUZZ_RPC_H
#define KINGLET_FUZZ_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "agent.pb-c.h"
#include "health.pb-c.h"
#include "kinglet.pb-c.h"

#define RPC_RECORD_HEADER 3

static const ProtobufCServiceDescriptor *const rpc_fuzz_services[] = {
        &grpc__health__descriptor,
        &grpc__agent_service__descriptor,
        &kinglet__containers__descriptor,
        &kinglet__debug__descriptor,
};

static inline size_t rpc_fuzz_method_count(void)
{
        size_t n = 0;
        for (size_t i = 0; i < sizeof rpc_fuzz_services / sizeof rpc_fuzz_services[0]; i++)
                n += rpc_fuzz_services[i]->n_methods;
        return n;
}

/* Method `index` (modulo the count): its service and method descriptors. */
static inline void rpc_fuzz_method(size_t index, const ProtobufCServiceDescriptor **ret_service,
                                   const ProtobufCMethodDescriptor **ret_method)
{
        index %= rpc_fuzz_method_count();
        for (size_t i = 0;; i++) {
                if (index < rpc_fuzz_services[i]->n_methods) {
                        *ret_service = rpc_fuzz_services[i];
                        *ret_method = &rpc_fuzz_services[i]->methods[index];
                        return;
                }
                index -= rpc_fuzz_services[i]->n_methods;
        }
}

/* The index of service.method (-1 when there is none). */
static inline int rpc_fuzz_method_index(const char *service, const char *method)
{
        int n = 0;
        for (size_t i = 0; i < sizeof rpc_fuzz_services / sizeof rpc_fuzz_services[0]; i++)
                for (unsigned m = 0; m < rpc_fuzz_services[i]->n_methods; m++, n++)
                        if (!strcmp(rpc_fuzz_services[i]->name, service) &&
                            !strcmp(rpc_fuzz_services[i]->methods[m].name, method))
                                return n;
        return -1;
}

/*
 * The seam (seam_rpc.c). Armed, it lets the agent's code change nothing
 * outside `base`: calls that would mount, spawn, signal, reboot, or change
 * the clock, hostname, swap, modules, capabilities or limits fail with EPERM
 * (or succeed without effect where the agent only asks); a path-changing call
 * (open for writing, mkdir, unlink, rename, chmod, chown, mknod, symlink, ...)
 * outside `base` fails with EACCES, and so does opening a device under /dev
 * other than null, zero, urandom and ptmx. Disarmed, every call goes through
 * (libFuzzer's own file work happens then).
 */
void seam_arm(const char *base);
void seam_disarm(void);
/* A crash while armed still writes its file: fopen below `prefix` passes. */
void seam_allow_artifacts(const char *prefix);
/* Without a network namespace of our own: refuse NETLINK_ROUTE sockets from then on. */
void seam_refuse_route_netlink(void);
/* In a UTS namespace of our own: sethostname goes through. */
void seam_own_uts(void);
/* How many calls the seam refused since the start (KINGLET_FUZZ_LOG shows each). */
unsigned long seam_refusals(void);

#endif
