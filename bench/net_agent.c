/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net-bench: the routes of every row, and the agent's side of each row, one
 * timed operation per function. Each checks the answer (the MTU set, at least
 * the routes asked for listed back), so a fast but wrong agent cannot score.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net_bench.h"
#include "util.h"

#define SERVICE "grpc.AgentService"
#define RECV_TIMEOUT_MS 30000

/* Requests are built once; every operation sends the same bytes, like the `ip` files. */
static Types__Route pb_small[NB_SMALL_ROUTES], pb_big[2][NB_BIG_ROUTES];
static Types__Route *pp_small[NB_SMALL_ROUTES], *pp_big[2][NB_BIG_ROUTES];

static void to_pb(const struct nb_route *r, Types__Route *pb)
{
        types__route__init(pb);
        pb->dest = (char *)r->dest;
        pb->gateway = (char *)(r->gw ? r->gw : "");
        pb->device = (char *)NB_LINK;
        pb->scope = r->scope;
        pb->family = r->v6 ? TYPES__IPFAMILY__v6 : TYPES__IPFAMILY__v4;
}

/*
 * Row 1: 2001:db8:c::/64 on the link, default via the gateway, and
 * 198.51.100.0/24 cut into eight /27s via the gateway.
 * Rows 2, 3: set A is 198.51.100.0/24 at every prefix length from /25 to /32
 * (2 + 4 + ... + 256 = 510 routes) via 192.0.2.1 and 490 /64s in
 * 2001:db8:a::/48; set B the same IPv4 destinations via a second gateway,
 * 192.0.2.254 (a changed next hop), and 490 /64s in 2001:db8:b::/48. All on kb0,
 * documentation ranges only.
 */
void nb_routes_init(struct nb *nb)
{
        struct nb_route *s = nb->small;
        snprintf(s[0].dest, sizeof s[0].dest, "2001:db8:c::/64");
        s[0].v6 = true;
        s[1].gw = NB_GW4;
        for (unsigned k = 0; k < 8; k++) {
                snprintf(s[2 + k].dest, sizeof s[2 + k].dest, "198.51.100.%u/27", 32 * k);
                s[2 + k].gw = NB_GW4;
        }
        for (int set = 0; set < 2; set++) {
                struct nb_route *b = nb->big[set];
                size_t n = 0;
                for (unsigned len = 32; len >= 25; len--)
                        for (unsigned a = 0; a < 256; a += 1u << (32 - len)) {
                                snprintf(b[n].dest, sizeof b[n].dest, "198.51.100.%u/%u", a, len);
                                b[n++].gw = set ? NB_GW4_B : NB_GW4;
                        }
                for (unsigned k = 0; n < NB_BIG_ROUTES; k++, n++) {
                        snprintf(b[n].dest, sizeof b[n].dest, "2001:db8:%c:%x::/64", set ? 'b' : 'a', k);
                        b[n].gw = NB_GW6;
                        b[n].v6 = true;
                }
        }
        for (size_t i = 0; i < NB_SMALL_ROUTES; i++) {
                to_pb(&s[i], &pb_small[i]);
                pp_small[i] = &pb_small[i];
        }
        for (int set = 0; set < 2; set++)
                for (size_t i = 0; i < NB_BIG_ROUTES; i++) {
                        to_pb(&nb->big[set][i], &pb_big[set][i]);
                        pp_big[set][i] = &pb_big[set][i];
                }
}

/* 0, -ENOSYS on UNIMPLEMENTED; anything else ends the run. */
static int call(struct nb *nb, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *type, ProtobufCMessage **resp)
{
        struct rpc_error e = { 0 };
        if (agent_call(&nb->client, method, req, type, resp, &e) == 0)
                return 0;
        if (e.code == GRPC_UNIMPLEMENTED)
                return -ENOSYS;
        die("%s: %s: %s", method, grpc_code_name(e.code), e.msg);
}

static int update_routes(struct nb *nb, Types__Route **routes, size_t n)
{
        Grpc__Routes list = GRPC__ROUTES__INIT;
        Grpc__UpdateRoutesRequest req = GRPC__UPDATE_ROUTES_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        list.routes = routes;
        list.n_routes = n;
        req.routes = &list;
        int r = call(nb, "UpdateRoutes", &req.base, &grpc__routes__descriptor, &resp);
        if (r < 0)
                return r;
        size_t got = ((Grpc__Routes *)resp)->n_routes;
        protobuf_c_message_free_unpacked(resp, NULL);
        if (got < n)
                die("UpdateRoutes of %zu routes answered with a table of %zu", n, got);
        return 0;
}

/* Row 1: UpdateInterface (found by MAC; MTU, up, one IPv4 and one IPv6 address), then UpdateRoutes (10). */
int nb_agent_update_all(struct nb *nb)
{
        Types__IPAddress a4 = TYPES__IPADDRESS__INIT, a6 = TYPES__IPADDRESS__INIT;
        Types__IPAddress *addrs[] = { &a4, &a6 };
        Types__Interface iface = TYPES__INTERFACE__INIT;
        Grpc__UpdateInterfaceRequest req = GRPC__UPDATE_INTERFACE_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;

        a4.address = (char *)NB_ADDR4;
        a4.mask = (char *)"24";
        a6.family = TYPES__IPFAMILY__v6;
        a6.address = (char *)NB_ADDR6;
        a6.mask = (char *)"64";
        iface.device = (char *)NB_LINK;
        iface.name = (char *)NB_LINK;
        iface.hwaddr = (char *)NB_MAC;
        iface.mtu = NB_MTU;
        iface.ipaddresses = addrs;
        iface.n_ipaddresses = 2;
        req.interface = &iface;
        int r = call(nb, "UpdateInterface", &req.base, &types__interface__descriptor, &resp);
        if (r < 0)
                return r;
        const Types__Interface *got = (const Types__Interface *)resp;
        bool ok = got->mtu == NB_MTU && got->n_ipaddresses >= 2;
        uint64_t mtu = got->mtu;
        size_t naddr = got->n_ipaddresses;
        protobuf_c_message_free_unpacked(resp, NULL);
        if (!ok)
                die("UpdateInterface answered mtu %llu with %zu addresses; expected %d and at least 2",
                    (unsigned long long)mtu, naddr, NB_MTU);
        return update_routes(nb, pp_small, NB_SMALL_ROUTES);
}

/*
 * Row 2: ListRoutes, sent and received by hand for the reply's size; the
 * reply is decoded too (a runtime must decode it to use it, as it must read
 * `ip`'s output).
 */
int nb_agent_list(struct nb *nb)
{
        Grpc__ListRoutesRequest req = GRPC__LIST_ROUTES_REQUEST__INIT;
        struct ttrpc_reply rep = { 0 };
        uint32_t sid;
        int r = ttrpc_client_send(nb->client.ttrpc, SERVICE, "ListRoutes", &req.base, nb->client.timeout_ns, &sid);
        if (r < 0)
                die("ListRoutes: cannot send: %s", strerror(-r));
        r = ttrpc_client_recv(nb->client.ttrpc, RECV_TIMEOUT_MS, &rep);
        if (r < 0)
                die("ListRoutes: no answer: %s", strerror(-r));
        if (rep.code == GRPC_UNIMPLEMENTED) {
                ttrpc_reply_clear(&rep);
                return -ENOSYS;
        }
        if (rep.code != GRPC_OK)
                die("ListRoutes: %s: %s", grpc_code_name(rep.code), rep.message);
        Grpc__Routes *routes = (Grpc__Routes *)protobuf_c_message_unpack(&grpc__routes__descriptor, NULL,
                                                                          rep.payload_len, rep.payload);
        if (!routes)
                die("ListRoutes: the reply (%zu bytes) does not decode", rep.payload_len);
        nb->list_reply_bytes = rep.payload_len;
        nb->list_routes = routes->n_routes;
        protobuf_c_message_free_unpacked(&routes->base, NULL);
        ttrpc_reply_clear(&rep);
        if (nb->list_routes < NB_BIG_ROUTES)
                die("ListRoutes listed %zu routes; at least %d are in the table", nb->list_routes, NB_BIG_ROUTES);
        return 0;
}

/* Row 3: the table becomes the other set (1,000 routes removed, 1,000 added). */
int nb_agent_swap(struct nb *nb)
{
        int r = update_routes(nb, pp_big[!nb->cur], NB_BIG_ROUTES);
        if (r == 0)
                nb->cur = !nb->cur;
        return r;
}

/* Row 4: the same 1,000 routes again (nothing to change). */
int nb_agent_reapply(struct nb *nb)
{
        return update_routes(nb, pp_big[nb->cur], NB_BIG_ROUTES);
}

/* Puts set `set` in the table for rows 2-4; -ENOSYS when the agent cannot (the caller uses `ip`). */
int nb_agent_install(struct nb *nb, int set)
{
        int r = update_routes(nb, pp_big[set], NB_BIG_ROUTES);
        if (r == 0)
                nb->cur = set;
        return r;
}
