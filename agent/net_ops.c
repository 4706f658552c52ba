/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel's links, addresses and routes, and changes to them (net.h). */
#include "net.h"

#include <errno.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

int net_open(struct nl *nl, struct rpc_error *e)
{
        int r = nl_open(nl);
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot open a netlink socket: %s", strerror(-r));
        return 0;
}

/* A growing array filled by a dump callback, bounded by `max`. */
struct collect {
        void **v;
        size_t *n, cap, size, max;
        int (*parse)(const struct nlmsghdr *, void *);
        int (*keep)(const void *item, const void *arg);
        const void *arg;
};

static int collect_one(const struct nlmsghdr *nlh, void *data)
{
        struct collect *c = data;
        uint8_t item[sizeof(struct net_route) > sizeof(struct net_link) ? sizeof(struct net_route)
                                                                         : sizeof(struct net_link)];
        int r = c->parse(nlh, item);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return -EBADMSG;
        if (c->keep && !c->keep(item, c->arg))
                return 0;
        if (*c->n >= c->max)
                return -E2BIG;
        if (*c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 16;
                void *grown = realloc(*c->v, cap * c->size);
                if (!grown)
                        return -ENOMEM;
                *c->v = grown;
                c->cap = cap;
        }
        memcpy((char *)*c->v + *c->n * c->size, item, c->size);
        (*c->n)++;
        return 0;
}

static int dump(struct nl *nl, uint16_t type, uint8_t family, struct collect *c, const char *what,
                struct rpc_error *e)
{
        char req[NL_REQUEST_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
        char why[NL_WHY_MAX];
        int r = -EAGAIN;
        /* A dump interrupted by a concurrent change is simply asked again. */
        for (int attempt = 0; attempt < 3 && r == -EAGAIN; attempt++) {
                *c->n = 0;
                r = nl_talk(nl, net_dump_msg(req, type, family), collect_one, c, why);
        }
        if (r == -E2BIG)
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, r, "the guest has more than %zu %s", c->max, what);
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot list the guest's %s: %s%s%s%s", what,
                                     strerror(-r), why[0] ? " (" : "", why, why[0] ? ")" : "");
        return 0;
}

void net_links_free(struct net_links *l)
{
        free(l->v);
        *l = (struct net_links){ 0 };
}

void net_ifaddrs_free(struct net_ifaddrs *l)
{
        free(l->v);
        *l = (struct net_ifaddrs){ 0 };
}

void net_routes_free(struct net_routes *l)
{
        free(l->v);
        *l = (struct net_routes){ 0 };
}

static int parse_link(const struct nlmsghdr *nlh, void *ret)
{
        return net_link_parse(nlh, ret);
}

static int parse_ifaddr(const struct nlmsghdr *nlh, void *ret)
{
        return net_ifaddr_parse(nlh, ret);
}

static int parse_route(const struct nlmsghdr *nlh, void *ret)
{
        return net_route_parse(nlh, ret);
}

static int ifaddr_on_link(const void *item, const void *arg)
{
        const struct net_ifaddr *a = item;
        return a->index == *(const int *)arg;
}

static int route_in_main(const void *item, const void *arg)
{
        const struct net_route *r = item;
        (void)arg;
        return r->table == RT_TABLE_MAIN;
}

int net_links_dump(struct nl *nl, struct net_links *ret, struct rpc_error *e)
{
        struct net_links l = { 0 };
        struct collect c = { (void **)&l.v, &l.n, 0, sizeof *l.v, NET_MAX_LINKS, parse_link, NULL, NULL };
        int r = dump(nl, RTM_GETLINK, AF_UNSPEC, &c, "links", e);
        if (r < 0) {
                net_links_free(&l);
                return r;
        }
        *ret = l;
        return 0;
}

int net_ifaddrs_dump(struct nl *nl, int index, struct net_ifaddrs *ret, struct rpc_error *e)
{
        struct net_ifaddrs l = { 0 };
        struct collect c = { (void **)&l.v, &l.n,          0, sizeof *l.v, NET_MAX_LINK_ADDRESSES, parse_ifaddr,
                             index ? ifaddr_on_link : NULL, &index };
        int r = dump(nl, RTM_GETADDR, AF_UNSPEC, &c, "addresses", e);
        if (r < 0) {
                net_ifaddrs_free(&l);
                return r;
        }
        *ret = l;
        return 0;
}

int net_routes_dump(struct nl *nl, struct net_routes *ret, struct rpc_error *e)
{
        struct net_routes l = { 0 };
        struct collect c = { (void **)&l.v, &l.n, 0, sizeof *l.v, NET_MAX_LIST_ROUTES, parse_route, route_in_main,
                             NULL };
        int r = dump(nl, RTM_GETROUTE, AF_INET, &c, "routes", e);
        if (r == 0) {
                /* The IPv6 dump appends to the IPv4 one. */
                struct net_routes v6 = { 0 };
                struct collect c6 = { (void **)&v6.v, &v6.n, 0, sizeof *v6.v, NET_MAX_LIST_ROUTES - l.n, parse_route,
                                      route_in_main, NULL };
                r = dump(nl, RTM_GETROUTE, AF_INET6, &c6, "routes", e);
                if (r == 0 && v6.n) {
                        struct net_route *all = realloc(l.v, (l.n + v6.n) * sizeof *all);
                        if (!all)
                                r = rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory listing routes");
                        else {
                                memcpy(all + l.n, v6.v, v6.n * sizeof *all);
                                l.v = all;
                                l.n += v6.n;
                        }
                }
                net_routes_free(&v6);
        }
        if (r < 0) {
                net_routes_free(&l);
                return r;
        }
        *ret = l;
        return 0;
}

const struct net_link *net_links_by_name(const struct net_links *l, const char *name)
{
        for (size_t i = 0; name && i < l->n; i++)
                if (streq(l->v[i].name, name))
                        return &l->v[i];
        return NULL;
}

const struct net_link *net_links_by_index(const struct net_links *l, int index)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].index == index)
                        return &l->v[i];
        return NULL;
}

const struct net_link *net_links_by_lladdr(const struct net_links *l, const uint8_t *mac, size_t len)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].lladdr_len == len && memcmp(l->v[i].lladdr, mac, len) == 0)
                        return &l->v[i];
        return NULL;
}

/* "cannot WHAT: strerror (kernel's reason)" with the errno's gRPC code. */
static int refused(struct rpc_error *e, int r, const char *why, const char *what)
{
        return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot %s: %s%s%s%s", what, strerror(-r),
                             why[0] ? " (" : "", why, why[0] ? ")" : "");
}

int net_link_set(struct nl *nl, const struct net_link_change *c, const char *what, struct rpc_error *e)
{
        char req[NL_REQUEST_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
        char why[NL_WHY_MAX];
        int r = nl_talk(nl, net_link_msg(req, RTM_NEWLINK, 0, c), NULL, NULL, why);
        return r < 0 ? refused(e, r, why, what) : 0;
}

int net_addr_change(struct nl *nl, uint16_t type, int index, const struct net_ip *ip, struct rpc_error *e)
{
        char req[NL_REQUEST_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
        char why[NL_WHY_MAX], what[NET_IP_TEXT_MAX + 32], text[NET_IP_TEXT_MAX];
        uint16_t flags = type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0;
        int r = nl_talk(nl, net_addr_msg(req, type, flags, index, ip), NULL, NULL, why);
        if (r == 0 || (type == RTM_DELADDR && r == -EADDRNOTAVAIL))
                return 0; /* an address already gone is what was asked */
        net_ip_format(ip, true, text, sizeof text);
        snprintf(what, sizeof what, "%s address %s", type == RTM_NEWADDR ? "add" : "remove", text);
        return refused(e, r, why, what);
}

int net_ifaddr_restore(struct nl *nl, const struct net_ifaddr *a, struct rpc_error *e)
{
        char req[NL_REQUEST_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
        char why[NL_WHY_MAX], what[NET_IP_TEXT_MAX + 32], text[NET_IP_TEXT_MAX];
        int r = nl_talk(nl, net_ifaddr_msg(req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, a), NULL, NULL, why);
        if (r == 0)
                return 0;
        net_ip_format(&a->ip, true, text, sizeof text);
        snprintf(what, sizeof what, "put back address %s", text);
        return refused(e, r, why, what);
}

void net_route_describe(const struct net_route *r, const char *link, char *buf, size_t size)
{
        char dst[NET_IP_TEXT_MAX] = "default", gw[NET_IP_TEXT_MAX] = "";
        if (r->dst_len)
                net_ip_format(&r->dst, true, dst, sizeof dst);
        if (r->has_gw)
                net_ip_format(&r->gw, false, gw, sizeof gw);
        snprintf(buf, size, "%s%s%s%s%s%s", dst, r->family == AF_INET6 && !r->dst_len ? " (IPv6)" : "",
                 r->has_gw ? " via " : "", gw, link && *link ? " dev " : "", link ? link : "");
}

int net_route_change(struct nl *nl, uint16_t type, uint16_t flags, const struct net_route *r, const char *link,
                     struct rpc_error *e)
{
        char req[NL_REQUEST_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
        char why[NL_WHY_MAX], what[3 * NET_IP_TEXT_MAX + IFNAMSIZ + 32], route[3 * NET_IP_TEXT_MAX + IFNAMSIZ + 16];
        int rc = nl_talk(nl, net_route_msg(req, type, flags, r), NULL, NULL, why);
        if (rc == 0 || (type == RTM_DELROUTE && rc == -ESRCH))
                return 0; /* a route already gone is what was asked */
        net_route_describe(r, link, route, sizeof route);
        snprintf(what, sizeof what, "%s route %s", type == RTM_NEWROUTE ? "add" : "remove", route);
        return refused(e, rc, why, what);
}

int net_neigh_replace(struct nl *nl, const struct net_neigh *n, const char *link, struct rpc_error *e)
{
        char req[NL_REQUEST_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
        char why[NL_WHY_MAX], what[NET_IP_TEXT_MAX + IFNAMSIZ + 32], text[NET_IP_TEXT_MAX];
        int r = nl_talk(nl, net_neigh_msg(req, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, n), NULL, NULL, why);
        if (r == 0)
                return 0;
        net_ip_format(&n->ip, false, text, sizeof text);
        snprintf(what, sizeof what, "add neighbour %s on %s", text, link);
        return refused(e, r, why, what);
}

int net_loopback_up(void)
{
        _cleanup_nl_ struct nl nl = { 0 };
        unsigned index = if_nametoindex("lo");
        if (index == 0)
                return -errno;
        int r = nl_open(&nl);
        if (r < 0)
                return r;
        struct net_link_change c = { .index = (int)index, .flags = IFF_UP, .flags_mask = IFF_UP };
        return net_link_set(&nl, &c, "bring lo up", NULL);
}
