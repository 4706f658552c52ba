/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AddARPNeighbors (docs/networking.md): static neighbour entries, added or
 * replaced, so repeating a request changes nothing. Every entry is checked
 * before the first is added.
 */
#include <errno.h>
#include <linux/neighbour.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "net.h"
#include "rpc.h"

static int check_neighbor(const Types__ARPNeighbor *in, size_t i, const struct net_links *links,
                          struct net_neigh *ret, const char **link, struct rpc_error *e)
{
        struct net_neigh n = { 0 };
        if (!in || !in->toipaddress || net_ip_parse(in->toipaddress->address, &n.ip) < 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "ARPNeighbors[%zu]: toIPAddress `%.64s` is not an IPv4 or IPv6 address", i,
                                     in && in->toipaddress && in->toipaddress->address ? in->toipaddress->address
                                                                                       : "");
        int len = net_lladdr_parse(in->lladdr, n.lladdr, sizeof n.lladdr);
        if (len < 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "ARPNeighbors[%zu]: lladdr `%.64s` is not a MAC address (hex pairs such as "
                                     "02:00:00:00:00:01)",
                                     i, in->lladdr ? in->lladdr : "");
        n.lladdr_len = (uint8_t)len;
        if (!in->device || !*in->device)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "ARPNeighbors[%zu] has no device", i);
        const struct net_link *l = net_links_by_name(links, in->device);
        if (!l)
                return rpc_error_set(e, GRPC_NOT_FOUND, -ENODEV, "ARPNeighbors[%zu]: no link named %.64s", i,
                                     in->device);
        if (in->state < 0 || in->state > UINT16_MAX || in->flags < 0 || in->flags > UINT8_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -ERANGE,
                                     "ARPNeighbors[%zu]: state %d or flags %d is out of range", i, (int)in->state,
                                     (int)in->flags);
        n.index = l->index;
        n.state = in->state ? (uint16_t)in->state : NUD_PERMANENT;
        n.flags = (uint8_t)in->flags;
        *ret = n;
        *link = l->name;
        return 0;
}

RPC_HANDLER(rpc_add_arp_neighbors)
{
        const Grpc__AddARPNeighborsRequest *req = (const Grpc__AddARPNeighborsRequest *)request;
        size_t n = req->neighbors ? req->neighbors->n_arpneighbors : 0;
        _cleanup_nl_ struct nl nl = { 0 };
        struct net_links links = { 0 };
        struct rpc_error e = { 0 };
        (void)userdata;
        if (n > NET_MAX_NEIGHBORS)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "%zu neighbours; at most %d", n, NET_MAX_NEIGHBORS);
        _cleanup_free_ struct net_neigh *v = calloc(n + 1, sizeof *v);
        _cleanup_free_ const char **names = calloc(n + 1, sizeof *names);
        if (!v || !names)
                return -ENOMEM;
        int r = net_open(&nl, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        r = net_links_dump(&nl, &links, &e);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = check_neighbor(req->neighbors->arpneighbors[i], i, &links, &v[i], &names[i], &e);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = net_neigh_replace(&nl, &v[i], names[i], &e);
        net_links_free(&links);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        return ttrpc_call_reply(call, NULL);
}
