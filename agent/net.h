/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest networking, below the RPCs: addresses as text and as bytes, and the
 * four rtnetlink objects (links, addresses, routes, neighbours) as plain
 * structs that net_msg.c builds into and parses out of netlink messages.
 * The RPC handlers (rpc_network.c, rpc_routes.c) convert these to and from
 * the protobuf types; net_ops.c talks to the kernel through nl.h.
 */
#ifndef KINGLET_NET_H
#define KINGLET_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"
#include "status.h"

#define NET_LLADDR_MAX 32          /* link-layer address bytes (MAX_ADDR_LEN) */
#define NET_KIND_MAX 16
#define NET_IP_TEXT_MAX 64         /* "ffff:…:ffff/128" and then some */
#define NET_LLADDR_TEXT_MAX (NET_LLADDR_MAX * 3)

/* What a client may send (docs/networking.md "Limits"). */
#define NET_MAX_ADDRESSES 64       /* per UpdateInterface */
#define NET_MAX_ROUTES 4096        /* per UpdateRoutes */
#define NET_MAX_NEIGHBORS 1024     /* per AddARPNeighbors */
/* What a dump may bring back before the agent refuses to answer with it. */
#define NET_MAX_LINKS 1024
#define NET_MAX_LIST_ROUTES 16384
#define NET_MAX_LINK_ADDRESSES 4096

/* An IPv4 or IPv6 address with a prefix length (32/128 for a plain address). */
struct net_ip {
        uint8_t family; /* AF_INET or AF_INET6 */
        uint8_t len;
        uint8_t bytes[16];
};

struct net_link {
        int index;
        char name[IFNAMSIZ];
        char kind[NET_KIND_MAX]; /* IFLA_INFO_KIND, "" when the link has none */
        uint8_t lladdr[NET_LLADDR_MAX];
        uint8_t lladdr_len;
        uint32_t flags; /* ifi_flags */
        uint32_t mtu;
};

/* A change to one link: fields left 0/"" are not touched. */
struct net_link_change {
        int index;
        const char *name;
        uint32_t mtu;
        uint32_t flags, flags_mask; /* ifi_flags / ifi_change */
};

struct net_ifaddr {
        int index;
        struct net_ip ip;
        uint8_t scope;
        uint32_t flags; /* IFA_FLAGS, else ifa_flags */
        bool has_broadcast;
        uint8_t broadcast[4]; /* IPv4 only */
};

struct net_route {
        uint8_t family, dst_len, scope, protocol, type, tos;
        uint32_t table;
        uint32_t flags; /* rtm_flags */
        bool has_gw, has_src;
        struct net_ip dst, gw, src; /* dst.len == dst_len; zero bytes for a default route */
        int oif;                    /* 0 = none */
        uint32_t priority;          /* RTA_PRIORITY, 0 = unset */
        uint32_t mtu;               /* RTAX_MTU, 0 = unset */
};

struct net_neigh {
        int index;
        struct net_ip ip;
        uint8_t lladdr[NET_LLADDR_MAX];
        uint8_t lladdr_len;
        uint16_t state;
        uint8_t flags;
};

/* --- net_text.c: text forms ---------------------------------------------------------- */

/* "192.0.2.1" or "2001:db8::1": a plain address (len 32/128). -EINVAL otherwise. */
int net_ip_parse(const char *text, struct net_ip *ret);
/* "192.0.2.0/24", "2001:db8::/64" or a plain address. Host bits may be set. */
int net_cidr_parse(const char *text, struct net_ip *ret);
/* A prefix length as decimal text, 0..max, no sign, no spaces. */
int net_prefix_parse(const char *text, unsigned max, uint8_t *ret);
/* "02:00:00:00:00:01" (1..NET_LLADDR_MAX hex pairs, either case); returns the byte count. */
int net_lladdr_parse(const char *text, uint8_t *bytes, size_t size);
/* Writes "192.0.2.1" (with_len false) or "192.0.2.0/24". */
void net_ip_format(const struct net_ip *ip, bool with_len, char *buf, size_t size);
void net_lladdr_format(const uint8_t *bytes, size_t len, char *buf, size_t size);
bool net_ip_equal(const struct net_ip *a, const struct net_ip *b); /* family, len and bytes */
/* Clears the host bits past ip->len (so 192.0.2.7/24 compares equal to 192.0.2.0/24). */
void net_ip_mask(struct net_ip *ip);
bool net_ip_is_link_local6(const struct net_ip *ip);

/* --- net_msg.c: building and parsing rtnetlink messages (pure, fuzzed) ----------------- */

/* Builders write one request into buf (at least NL_REQUEST_SIZE bytes) and return its header. */
struct nlmsghdr *net_link_msg(void *buf, uint16_t type, uint16_t flags, const struct net_link_change *c);
struct nlmsghdr *net_addr_msg(void *buf, uint16_t type, uint16_t flags, int index, const struct net_ip *ip);
/* An address exactly as a dump showed it (scope, broadcast, flags): to put one back. */
struct nlmsghdr *net_ifaddr_msg(void *buf, uint16_t type, uint16_t flags, const struct net_ifaddr *a);
struct nlmsghdr *net_route_msg(void *buf, uint16_t type, uint16_t flags, const struct net_route *r);
struct nlmsghdr *net_neigh_msg(void *buf, uint16_t type, uint16_t flags, const struct net_neigh *n);
/* A dump request for RTM_GETLINK/GETADDR/GETROUTE/GETNEIGH of one family (AF_UNSPEC = all). */
struct nlmsghdr *net_dump_msg(void *buf, uint16_t type, uint8_t family);

/* Parsers: -EINVAL on a malformed message, -ENOENT for one of another type/family to skip. */
int net_link_parse(const struct nlmsghdr *nlh, struct net_link *ret);
int net_ifaddr_parse(const struct nlmsghdr *nlh, struct net_ifaddr *ret);
int net_route_parse(const struct nlmsghdr *nlh, struct net_route *ret);
int net_neigh_parse(const struct nlmsghdr *nlh, struct net_neigh *ret);

/* --- net_ops.c: the kernel's current state and changes to it ---------------------------- */

struct net_links {
        struct net_link *v;
        size_t n;
};
struct net_ifaddrs {
        struct net_ifaddr *v;
        size_t n;
};
struct net_routes {
        struct net_route *v;
        size_t n;
};

/* nl_open with the error described for the client. */
int net_open(struct nl *nl, struct rpc_error *e);

void net_links_free(struct net_links *l);
void net_ifaddrs_free(struct net_ifaddrs *l);
void net_routes_free(struct net_routes *l);

/*
 * Dumps. On failure they return -errno with *e filled and leave *ret empty.
 * net_routes_dump keeps the main table's routes of one family (AF_UNSPEC: both).
 */
int net_links_dump(struct nl *nl, struct net_links *ret, struct rpc_error *e);
int net_ifaddrs_dump(struct nl *nl, int index, struct net_ifaddrs *ret, struct rpc_error *e);
int net_routes_dump(struct nl *nl, struct net_routes *ret, struct rpc_error *e);

const struct net_link *net_links_by_name(const struct net_links *l, const char *name);
const struct net_link *net_links_by_index(const struct net_links *l, int index);
const struct net_link *net_links_by_lladdr(const struct net_links *l, const uint8_t *mac, size_t len);

/*
 * One change each; a kernel refusal is recorded in *e as "cannot WHAT: strerror
 * (the kernel's extended-ack text)" with the gRPC code for the errno.
 */
int net_link_set(struct nl *nl, const struct net_link_change *c, const char *what, struct rpc_error *e);
int net_addr_change(struct nl *nl, uint16_t type, int index, const struct net_ip *ip, struct rpc_error *e);
int net_ifaddr_restore(struct nl *nl, const struct net_ifaddr *a, struct rpc_error *e);
int net_route_change(struct nl *nl, uint16_t type, uint16_t flags, const struct net_route *r, const char *link,
                     struct rpc_error *e);
int net_neigh_replace(struct nl *nl, const struct net_neigh *n, const char *link, struct rpc_error *e);

/* Brings the loopback link up, as every init does: PID 1 calls it at boot. */
int net_loopback_up(void);

/* "198.51.100.0/24 via 192.0.2.1 dev eth0" (for messages and logs). */
void net_route_describe(const struct net_route *r, const char *link, char *buf, size_t size);

#endif
