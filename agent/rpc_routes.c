/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UpdateRoutes and ListRoutes (docs/networking.md). The main table becomes
 * the requested list: the kernel's own routes stay, every other one goes,
 * routes without a gateway are added before routes through one, and a
 * failure puts the previous table back before the error is answered.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "log.h"
#include "net.h"
#include "rpc.h"
#include "util.h"

struct pb_route {
        Types__Route pb;
        char dest[NET_IP_TEXT_MAX], gateway[NET_IP_TEXT_MAX], source[NET_IP_TEXT_MAX], device[IFNAMSIZ];
};

static bool listed(const struct net_route *r)
{
        return r->type == RTN_UNICAST;
}

static int reply_routes(struct ttrpc_call *call, struct nl *nl)
{
        struct rpc_error e = { 0 };
        struct net_routes routes = { 0 };
        struct net_links links = { 0 };
        int r = net_links_dump(nl, &links, &e);
        if (r == 0)
                r = net_routes_dump(nl, &routes, &e);
        _cleanup_free_ struct pb_route *out = r == 0 ? calloc(routes.n + 1, sizeof *out) : NULL;
        _cleanup_free_ Types__Route **ptrs = r == 0 ? calloc(routes.n + 1, sizeof *ptrs) : NULL;
        if (r == 0 && (!out || !ptrs))
                r = rpc_error_set(&e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory answering with the routes");
        size_t n = 0;
        for (size_t i = 0; r == 0 && i < routes.n; i++) {
                const struct net_route *rt = &routes.v[i];
                if (!listed(rt))
                        continue;
                struct pb_route *o = &out[n];
                types__route__init(&o->pb);
                if (rt->dst_len)
                        net_ip_format(&rt->dst, true, o->dest, sizeof o->dest);
                if (rt->has_gw)
                        net_ip_format(&rt->gw, false, o->gateway, sizeof o->gateway);
                if (rt->has_src)
                        net_ip_format(&rt->src, false, o->source, sizeof o->source);
                const struct net_link *l = net_links_by_index(&links, rt->oif);
                if (l)
                        memcpy(o->device, l->name, sizeof o->device);
                o->pb.dest = o->dest;
                o->pb.gateway = o->gateway;
                o->pb.source = o->source;
                o->pb.device = o->device;
                o->pb.scope = rt->scope;
                o->pb.family = rt->family == AF_INET6 ? TYPES__IPFAMILY__v6 : TYPES__IPFAMILY__v4;
                o->pb.flags = rt->flags;
                o->pb.mtu = rt->mtu;
                ptrs[n++] = &o->pb;
        }
        net_routes_free(&routes);
        net_links_free(&links);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        Grpc__Routes resp = GRPC__ROUTES__INIT;
        resp.n_routes = n;
        resp.routes = ptrs;
        return ttrpc_call_reply(call, &resp.base);
}

RPC_HANDLER(rpc_list_routes)
{
        _cleanup_nl_ struct nl nl = { 0 };
        struct rpc_error e = { 0 };
        (void)request;
        (void)userdata;
        int r = net_open(&nl, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        return reply_routes(call, &nl);
}

/* An optional address of a route; its family must agree with what the route already has. */
static int route_addr(const char *field, const char *text, uint8_t *family, struct net_ip *ip, bool *has,
                      size_t i, struct rpc_error *e)
{
        if (!text || !*text)
                return 0;
        if (net_ip_parse(text, ip) < 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "Routes[%zu]: %s `%.64s` is not an IPv4 or IPv6 address", i, field, text);
        if (*family && *family != ip->family)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "Routes[%zu]: %s `%.64s` is not of the route's address family", i, field, text);
        *family = ip->family;
        *has = true;
        return 0;
}

static int check_route(const Types__Route *in, size_t i, const struct net_links *links, struct net_route *ret,
                       struct rpc_error *e)
{
        struct net_route r = { .table = RT_TABLE_MAIN, .protocol = RTPROT_BOOT, .type = RTN_UNICAST };
        bool has_dst = false;
        int rc;
        if (!in)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "Routes[%zu] is empty", i);
        if (in->dest && *in->dest && !streq(in->dest, "default")) {
                if (net_cidr_parse(in->dest, &r.dst) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "Routes[%zu]: dest `%.64s` is not an address, address/prefix or default",
                                             i, in->dest);
                struct net_ip masked = r.dst;
                net_ip_mask(&masked);
                if (!net_ip_equal(&masked, &r.dst)) {
                        char want[NET_IP_TEXT_MAX];
                        net_ip_format(&masked, true, want, sizeof want);
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "Routes[%zu]: dest `%.64s` has host bits set (did you mean %s?)", i,
                                             in->dest, want);
                }
                r.family = r.dst.family;
                r.dst_len = r.dst.len;
                has_dst = true;
        }
        if ((rc = route_addr("gateway", in->gateway, &r.family, &r.gw, &r.has_gw, i, e)) < 0 ||
            (rc = route_addr("source", in->source, &r.family, &r.src, &r.has_src, i, e)) < 0)
                return rc;
        if (!r.family) {
                /* Only a default route without gateway or source needs the family field. */
                if (in->family != TYPES__IPFAMILY__v4 && in->family != TYPES__IPFAMILY__v6)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "Routes[%zu]: family %d is not v4 or v6",
                                             i, (int)in->family);
                r.family = in->family == TYPES__IPFAMILY__v6 ? AF_INET6 : AF_INET;
        }
        if (!has_dst) {
                memset(&r.dst, 0, sizeof r.dst);
                r.dst.family = r.family;
        }
        if (in->device && *in->device) {
                const struct net_link *l = net_links_by_name(links, in->device);
                if (!l)
                        return rpc_error_set(e, GRPC_NOT_FOUND, -ENODEV, "Routes[%zu]: no link named %.64s", i,
                                             in->device);
                r.oif = l->index;
        } else if (!r.has_gw) {
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "Routes[%zu] to %.64s has neither a gateway nor a device", i,
                                     has_dst ? in->dest : "default");
        }
        if (in->scope > 255)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -ERANGE, "Routes[%zu]: scope %u is over 255", i,
                                     in->scope);
        r.scope = (uint8_t)in->scope;
        /* As `ip route add`: a direct IPv4 route is a link route. */
        if (r.family == AF_INET && !r.has_gw && r.scope == RT_SCOPE_UNIVERSE)
                r.scope = RT_SCOPE_LINK;
        r.flags = in->flags;
        r.mtu = in->mtu;
        *ret = r;
        return 0;
}

/* Same destination, gateway and device: the kernel would treat them as one route. */
static bool same_route(const struct net_route *a, const struct net_route *b)
{
        return a->family == b->family && a->dst_len == b->dst_len && net_ip_equal(&a->dst, &b->dst) &&
               a->has_gw == b->has_gw && (!a->has_gw || net_ip_equal(&a->gw, &b->gw)) &&
               (!a->oif || !b->oif || a->oif == b->oif) && a->tos == b->tos && a->table == b->table;
}

static bool kernel_made(const struct net_route *r)
{
        return r->protocol == RTPROT_KERNEL;
}

/*
 * Route lists are searched by destination: sorted by (family, prefix length,
 * address), the routes that can match one are a run found by binary search,
 * so comparing n requested routes with m present ones costs n log m, not n m.
 */
static int route_key_cmp(const void *a, const void *b)
{
        const struct net_route *x = a, *y = b;
        if (x->family != y->family)
                return x->family < y->family ? -1 : 1;
        if (x->dst_len != y->dst_len)
                return x->dst_len < y->dst_len ? -1 : 1;
        return memcmp(x->dst.bytes, y->dst.bytes, sizeof x->dst.bytes);
}

/* The first of sorted[0..n) with r's destination, or n. */
static size_t first_with_key(const struct net_route *r, const struct net_route *sorted, size_t n)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (route_key_cmp(&sorted[mid], r) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* An empty list may be NULL: no pointer arithmetic on it then (undefined even with 0). */
#define for_each_same_key(it, r, sorted, n)                                                        \
        for (const struct net_route *it = (n) ? (sorted) + first_with_key((r), (sorted), (n)) : NULL; \
             it && it < (sorted) + (n) && route_key_cmp(it, (r)) == 0; it++)

/* A requested route the kernel already has, as one of its own, needs no change (have is sorted). */
static bool already_kernel_route(const struct net_route *want, const struct net_routes *have)
{
        if (want->has_gw || want->mtu || want->flags)
                return false;
        for_each_same_key(h, want, have->v, have->n)
                if (kernel_made(h) && same_route(want, h) && want->oif == h->oif &&
                    (!want->has_src || (h->has_src && net_ip_equal(&want->src, &h->src))))
                        return true;
        return false;
}

/* Kernel-set flags a dump shows but a request does not carry. */
#define KERNEL_ROUTE_FLAGS (RTNH_F_DEAD | RTNH_F_LINKDOWN | RTNH_F_OFFLOAD | RTNH_F_TRAP)

/* `have` is exactly what adding `want` would make: keeping it avoids a gap in connectivity. */
static bool identical(const struct net_route *want, const struct net_route *have)
{
        uint32_t default_priority = want->family == AF_INET6 ? 1024 : 0;
        return same_route(want, have) && want->oif == have->oif && want->scope == have->scope &&
               want->has_src == have->has_src && (!want->has_src || net_ip_equal(&want->src, &have->src)) &&
               want->mtu == have->mtu && want->flags == (have->flags & ~(uint32_t)KERNEL_ROUTE_FLAGS) &&
               want->type == have->type &&
               (want->priority ? want->priority : default_priority) == have->priority;
}

/* Whether sorted[0..n) has a route identical to r (r_is_wanted: r is the requested one). */
static bool in_list(const struct net_route *r, const struct net_route *sorted, size_t n, bool r_is_wanted)
{
        for_each_same_key(it, r, sorted, n)
                if (r_is_wanted ? identical(r, it) : identical(it, r))
                        return true;
        return false;
}

static int add_routes(struct nl *nl, const struct net_route *v, size_t n, const struct net_links *links,
                      bool (*skip)(const struct net_route *, const void *), const void *arg, struct rpc_error *e)
{
        /* Routes without a gateway first: a gateway route needs the link route that reaches it. */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < n; i++) {
                        if (v[i].has_gw != (pass == 1) || (skip && skip(&v[i], arg)))
                                continue;
                        const struct net_link *l = net_links_by_index(links, v[i].oif);
                        int r = net_route_change(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &v[i],
                                                 l ? l->name : NULL, e);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static bool skip_present(const struct net_route *r, const void *arg)
{
        const struct net_routes *before = arg;
        return already_kernel_route(r, before) || in_list(r, before->v, before->n, true);
}

static bool skip_present_kernel(const struct net_route *r, const void *arg)
{
        /* Restoring: a kernel route still present is left alone; any other is put back. */
        const struct net_routes *now = arg;
        if (!kernel_made(r))
                return false;
        for_each_same_key(it, r, now->v, now->n)
                if (kernel_made(it) && same_route(r, it))
                        return true;
        return false;
}

/* Removes `have`'s routes but the kernel's and those identical to one of keep[0..n_keep) (sorted). */
static int remove_routes(struct nl *nl, const struct net_routes *have, const struct net_route *keep, size_t n_keep,
                         const struct net_links *links, struct rpc_error *e)
{
        for (size_t i = 0; i < have->n; i++) {
                if (kernel_made(&have->v[i]) || in_list(&have->v[i], keep, n_keep, false))
                        continue;
                const struct net_link *l = net_links_by_index(links, have->v[i].oif);
                int r = net_route_change(nl, RTM_DELROUTE, 0, &have->v[i], l ? l->name : NULL, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Puts `before` back: every route not the kernel's goes, then `before`'s are added again. */
static int restore(struct nl *nl, const struct net_routes *before, const struct net_links *links)
{
        struct rpc_error e = { 0 };
        struct net_routes now = { 0 };
        int r = net_routes_dump(nl, &now, &e);
        if (r == 0) {
                if (now.n)
                        qsort(now.v, now.n, sizeof *now.v, route_key_cmp);
                r = remove_routes(nl, &now, NULL, 0, links, &e);
        }
        if (r == 0)
                r = add_routes(nl, before->v, before->n, links, skip_present_kernel, &now, &e);
        net_routes_free(&now);
        if (r < 0)
                log_error("UpdateRoutes: the previous routes could not all be restored: %s", e.msg);
        return r;
}

RPC_HANDLER(rpc_update_routes)
{
        const Grpc__UpdateRoutesRequest *req = (const Grpc__UpdateRoutesRequest *)request;
        size_t n = req->routes ? req->routes->n_routes : 0;
        _cleanup_nl_ struct nl nl = { 0 };
        struct net_links links = { 0 };
        struct net_routes before = { 0 };
        struct rpc_error e = { 0 };
        (void)userdata;
        if (n > NET_MAX_ROUTES)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "%zu routes; at most %d", n, NET_MAX_ROUTES);
        _cleanup_free_ struct net_route *want = calloc(n + 1, sizeof *want);
        _cleanup_free_ struct net_route *want_sorted = calloc(n + 1, sizeof *want_sorted);
        if (!want || !want_sorted)
                return -ENOMEM;
        int r = net_open(&nl, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        r = net_links_dump(&nl, &links, &e);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = check_route(req->routes->routes[i], i, &links, &want[i], &e);
        if (r == 0)
                r = net_routes_dump(&nl, &before, &e);
        if (r < 0)
                goto out;
        /* Sorted for the searches; the request's own order is kept for adding. */
        if (before.n) /* an empty dump has no array: qsort(NULL, 0) is undefined */
                qsort(before.v, before.n, sizeof *before.v, route_key_cmp);
        memcpy(want_sorted, want, n * sizeof *want);
        qsort(want_sorted, n, sizeof *want_sorted, route_key_cmp);
        r = remove_routes(&nl, &before, want_sorted, n, &links, &e);
        if (r == 0)
                r = add_routes(&nl, want, n, &links, skip_present, &before, &e);
        if (r < 0) {
                bool restored = restore(&nl, &before, &links) == 0;
                size_t len = strlen(e.msg);
                snprintf(e.msg + len, sizeof e.msg - len, "; %s",
                         restored ? "the previous routes are back in place"
                                  : "the previous routes could not all be restored (see the agent log)");
        }
out:
        net_links_free(&links);
        net_routes_free(&before);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        return reply_routes(call, &nl);
}
