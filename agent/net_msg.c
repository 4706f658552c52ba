/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtnetlink messages for links, addresses, routes and neighbours: builders
 * for requests and parsers for replies (net.h). Pure: no sockets here, so
 * the parsers can be fuzzed and the builders unit-tested byte for byte.
 * Every attribute a parser keeps is checked for type and length first.
 */
#include "net.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

static size_t family_bytes(uint8_t family)
{
        return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static struct nlmsghdr *start(void *buf, uint16_t type, uint16_t flags)
{
        memset(buf, 0, NL_REQUEST_SIZE);
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        return nlh;
}

struct nlmsghdr *net_link_msg(void *buf, uint16_t type, uint16_t flags, const struct net_link_change *c)
{
        struct nlmsghdr *nlh = start(buf, type, flags);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = c->index;
        ifi->ifi_flags = c->flags & c->flags_mask;
        ifi->ifi_change = c->flags_mask;
        if (c->name && *c->name)
                mnl_attr_put_strz(nlh, IFLA_IFNAME, c->name);
        if (c->mtu)
                mnl_attr_put_u32(nlh, IFLA_MTU, c->mtu);
        return nlh;
}

struct nlmsghdr *net_addr_msg(void *buf, uint16_t type, uint16_t flags, int index, const struct net_ip *ip)
{
        struct nlmsghdr *nlh = start(buf, type, flags);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        size_t n = family_bytes(ip->family);
        ifa->ifa_family = ip->family;
        ifa->ifa_prefixlen = ip->len;
        ifa->ifa_index = (uint32_t)index;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        mnl_attr_put(nlh, IFA_LOCAL, n, ip->bytes);
        mnl_attr_put(nlh, IFA_ADDRESS, n, ip->bytes);
        if (type == RTM_NEWADDR && ip->family == AF_INET && ip->len < 31) {
                /* As `ip addr add … brd +`: the prefix with every host bit set. */
                uint32_t addr, host = ip->len ? (UINT32_MAX >> ip->len) : UINT32_MAX;
                memcpy(&addr, ip->bytes, 4);
                addr |= __builtin_bswap32(host);
                mnl_attr_put(nlh, IFA_BROADCAST, 4, &addr);
        }
        if (type == RTM_NEWADDR && ip->family == AF_INET6) {
                /* The runtime hands out the addresses: duplicate detection would only delay them. */
                ifa->ifa_flags = IFA_F_NODAD;
                mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
        }
        return nlh;
}

/* Flags an address keeps when it is put back; the rest (tentative, deprecated …) are the kernel's state. */
#define ADDR_SETTABLE_FLAGS (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE)

struct nlmsghdr *net_ifaddr_msg(void *buf, uint16_t type, uint16_t flags, const struct net_ifaddr *a)
{
        struct nlmsghdr *nlh = start(buf, type, flags);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        size_t n = family_bytes(a->ip.family);
        ifa->ifa_family = a->ip.family;
        ifa->ifa_prefixlen = a->ip.len;
        ifa->ifa_index = (uint32_t)a->index;
        ifa->ifa_scope = a->scope;
        ifa->ifa_flags = (uint8_t)(a->flags & ADDR_SETTABLE_FLAGS & 0xff);
        mnl_attr_put(nlh, IFA_LOCAL, n, a->ip.bytes);
        mnl_attr_put(nlh, IFA_ADDRESS, n, a->ip.bytes);
        if (a->has_broadcast && a->ip.family == AF_INET)
                mnl_attr_put(nlh, IFA_BROADCAST, 4, a->broadcast);
        mnl_attr_put_u32(nlh, IFA_FLAGS, a->flags & ADDR_SETTABLE_FLAGS);
        return nlh;
}

struct nlmsghdr *net_route_msg(void *buf, uint16_t type, uint16_t flags, const struct net_route *r)
{
        struct nlmsghdr *nlh = start(buf, type, flags);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
        size_t n = family_bytes(r->family);
        rtm->rtm_family = r->family;
        rtm->rtm_dst_len = r->dst_len;
        rtm->rtm_tos = r->tos;
        rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
        rtm->rtm_protocol = r->protocol;
        rtm->rtm_scope = r->scope;
        rtm->rtm_type = r->type;
        rtm->rtm_flags = r->flags;
        mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
        if (r->dst_len)
                mnl_attr_put(nlh, RTA_DST, n, r->dst.bytes);
        if (r->has_gw)
                mnl_attr_put(nlh, RTA_GATEWAY, n, r->gw.bytes);
        if (r->has_src)
                mnl_attr_put(nlh, RTA_PREFSRC, n, r->src.bytes);
        if (r->oif)
                mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
        if (r->priority)
                mnl_attr_put_u32(nlh, RTA_PRIORITY, r->priority);
        if (r->mtu) {
                struct nlattr *metrics = mnl_attr_nest_start(nlh, RTA_METRICS);
                mnl_attr_put_u32(nlh, RTAX_MTU, r->mtu);
                mnl_attr_nest_end(nlh, metrics);
        }
        return nlh;
}

struct nlmsghdr *net_neigh_msg(void *buf, uint16_t type, uint16_t flags, const struct net_neigh *n)
{
        struct nlmsghdr *nlh = start(buf, type, flags);
        struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof *ndm);
        ndm->ndm_family = n->ip.family;
        ndm->ndm_ifindex = n->index;
        ndm->ndm_state = n->state;
        ndm->ndm_flags = n->flags;
        mnl_attr_put(nlh, NDA_DST, family_bytes(n->ip.family), n->ip.bytes);
        if (n->lladdr_len)
                mnl_attr_put(nlh, NDA_LLADDR, n->lladdr_len, n->lladdr);
        return nlh;
}

struct nlmsghdr *net_dump_msg(void *buf, uint16_t type, uint8_t family)
{
        struct nlmsghdr *nlh = start(buf, type, NLM_F_DUMP);
        /* Each family header starts with its family byte; the size is the type's own. */
        size_t size = type == RTM_GETLINK    ? sizeof(struct ifinfomsg)
                      : type == RTM_GETADDR  ? sizeof(struct ifaddrmsg)
                      : type == RTM_GETNEIGH ? sizeof(struct ndmsg)
                                             : sizeof(struct rtmsg);
        uint8_t *head = mnl_nlmsg_put_extra_header(nlh, size);
        head[0] = family;
        return nlh;
}

/* --- parsing ------------------------------------------------------------------------ */

struct attrs {
        const struct nlattr *tb[64];
};

static int keep_attr(const struct nlattr *attr, void *data)
{
        struct attrs *a = data;
        uint16_t type = mnl_attr_get_type(attr);
        if (type < 64)
                a->tb[type] = attr;
        return MNL_CB_OK;
}

static int parse_attrs(const struct nlmsghdr *nlh, size_t header, struct attrs *a)
{
        memset(a, 0, sizeof *a);
        if (nlh->nlmsg_len < mnl_nlmsg_size(header))
                return -EINVAL;
        return mnl_attr_parse(nlh, (unsigned)header, keep_attr, a) == MNL_CB_ERROR ? -EINVAL : 0;
}

static int get_u32(const struct nlattr *attr, uint32_t *ret)
{
        if (!attr)
                return 0;
        if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
                return -EINVAL;
        *ret = mnl_attr_get_u32(attr);
        return 0;
}

/* An address attribute of exactly the family's size, into ip (len left to the caller). */
static int get_ip(const struct nlattr *attr, uint8_t family, struct net_ip *ip)
{
        size_t n = family_bytes(family);
        if (n == 0 || mnl_attr_get_payload_len(attr) != n)
                return -EINVAL;
        memset(ip, 0, sizeof *ip);
        ip->family = family;
        ip->len = (uint8_t)(n * 8);
        memcpy(ip->bytes, mnl_attr_get_payload(attr), n);
        return 0;
}

static int get_str(const struct nlattr *attr, char *buf, size_t size)
{
        if (!attr)
                return 0;
        if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 || strlen(mnl_attr_get_str(attr)) >= size)
                return -EINVAL;
        memcpy(buf, mnl_attr_get_str(attr), strlen(mnl_attr_get_str(attr)) + 1);
        return 0;
}

static int get_lladdr(const struct nlattr *attr, uint8_t *bytes, uint8_t *len)
{
        if (!attr)
                return 0;
        size_t n = mnl_attr_get_payload_len(attr);
        if (n > NET_LLADDR_MAX)
                return -EINVAL;
        memcpy(bytes, mnl_attr_get_payload(attr), n);
        *len = (uint8_t)n;
        return 0;
}

static int kind_attr(const struct nlattr *attr, void *data)
{
        const struct nlattr **kind = data;
        if (mnl_attr_get_type(attr) == IFLA_INFO_KIND)
                *kind = attr;
        return MNL_CB_OK;
}

int net_link_parse(const struct nlmsghdr *nlh, struct net_link *ret)
{
        struct net_link l = { 0 };
        struct attrs a;
        if (nlh->nlmsg_type != RTM_NEWLINK)
                return -ENOENT;
        if (parse_attrs(nlh, sizeof(struct ifinfomsg), &a) < 0)
                return -EINVAL;
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        l.index = ifi->ifi_index;
        l.flags = ifi->ifi_flags;
        if (!a.tb[IFLA_IFNAME] || get_str(a.tb[IFLA_IFNAME], l.name, sizeof l.name) < 0 || !l.name[0] ||
            get_u32(a.tb[IFLA_MTU], &l.mtu) < 0 || get_lladdr(a.tb[IFLA_ADDRESS], l.lladdr, &l.lladdr_len) < 0)
                return -EINVAL;
        if (a.tb[IFLA_LINKINFO]) {
                const struct nlattr *kind = NULL;
                if (mnl_attr_validate(a.tb[IFLA_LINKINFO], MNL_TYPE_NESTED) < 0 ||
                    mnl_attr_parse_nested(a.tb[IFLA_LINKINFO], kind_attr, &kind) == MNL_CB_ERROR ||
                    (kind && get_str(kind, l.kind, sizeof l.kind) < 0))
                        return -EINVAL;
        }
        *ret = l;
        return 0;
}

int net_ifaddr_parse(const struct nlmsghdr *nlh, struct net_ifaddr *ret)
{
        struct net_ifaddr x = { 0 };
        struct attrs a;
        if (nlh->nlmsg_type != RTM_NEWADDR)
                return -ENOENT;
        if (parse_attrs(nlh, sizeof(struct ifaddrmsg), &a) < 0)
                return -EINVAL;
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
                return -ENOENT;
        /* IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on point-to-point links. */
        const struct nlattr *addr = a.tb[IFA_LOCAL] ? a.tb[IFA_LOCAL] : a.tb[IFA_ADDRESS];
        if (!addr || get_ip(addr, ifa->ifa_family, &x.ip) < 0 || ifa->ifa_prefixlen > x.ip.len)
                return -EINVAL;
        x.ip.len = ifa->ifa_prefixlen;
        x.index = (int)ifa->ifa_index;
        x.scope = ifa->ifa_scope;
        x.flags = ifa->ifa_flags;
        if (get_u32(a.tb[IFA_FLAGS], &x.flags) < 0)
                return -EINVAL;
        if (a.tb[IFA_BROADCAST] && ifa->ifa_family == AF_INET) {
                if (mnl_attr_get_payload_len(a.tb[IFA_BROADCAST]) != 4)
                        return -EINVAL;
                memcpy(x.broadcast, mnl_attr_get_payload(a.tb[IFA_BROADCAST]), 4);
                x.has_broadcast = true;
        }
        *ret = x;
        return 0;
}

static int metric_attr(const struct nlattr *attr, void *data)
{
        uint32_t *mtu = data;
        if (mnl_attr_get_type(attr) == RTAX_MTU) {
                if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
                        return MNL_CB_ERROR;
                *mtu = mnl_attr_get_u32(attr);
        }
        return MNL_CB_OK;
}

int net_route_parse(const struct nlmsghdr *nlh, struct net_route *ret)
{
        struct net_route r = { 0 };
        struct attrs a;
        if (nlh->nlmsg_type != RTM_NEWROUTE)
                return -ENOENT;
        if (parse_attrs(nlh, sizeof(struct rtmsg), &a) < 0)
                return -EINVAL;
        const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
        if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
                return -ENOENT;
        r.family = rtm->rtm_family;
        r.dst_len = rtm->rtm_dst_len;
        r.scope = rtm->rtm_scope;
        r.protocol = rtm->rtm_protocol;
        r.type = rtm->rtm_type;
        r.tos = rtm->rtm_tos;
        r.table = rtm->rtm_table;
        r.flags = rtm->rtm_flags;
        r.dst.family = r.family;
        if (r.dst_len > family_bytes(r.family) * 8)
                return -EINVAL;
        if (a.tb[RTA_DST] && get_ip(a.tb[RTA_DST], r.family, &r.dst) < 0)
                return -EINVAL;
        r.dst.len = r.dst_len;
        if (a.tb[RTA_GATEWAY]) {
                if (get_ip(a.tb[RTA_GATEWAY], r.family, &r.gw) < 0)
                        return -EINVAL;
                r.has_gw = true;
        }
        if (a.tb[RTA_PREFSRC]) {
                if (get_ip(a.tb[RTA_PREFSRC], r.family, &r.src) < 0)
                        return -EINVAL;
                r.has_src = true;
        }
        uint32_t oif = 0;
        if (get_u32(a.tb[RTA_OIF], &oif) < 0 || oif > INT32_MAX || get_u32(a.tb[RTA_PRIORITY], &r.priority) < 0 ||
            get_u32(a.tb[RTA_TABLE], &r.table) < 0)
                return -EINVAL;
        r.oif = (int)oif;
        if (a.tb[RTA_METRICS] && (mnl_attr_validate(a.tb[RTA_METRICS], MNL_TYPE_NESTED) < 0 ||
                                  mnl_attr_parse_nested(a.tb[RTA_METRICS], metric_attr, &r.mtu) == MNL_CB_ERROR))
                return -EINVAL;
        *ret = r;
        return 0;
}

int net_neigh_parse(const struct nlmsghdr *nlh, struct net_neigh *ret)
{
        struct net_neigh n = { 0 };
        struct attrs a;
        if (nlh->nlmsg_type != RTM_NEWNEIGH)
                return -ENOENT;
        if (parse_attrs(nlh, sizeof(struct ndmsg), &a) < 0)
                return -EINVAL;
        const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
        if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
                return -ENOENT;
        if (!a.tb[NDA_DST] || get_ip(a.tb[NDA_DST], ndm->ndm_family, &n.ip) < 0 ||
            get_lladdr(a.tb[NDA_LLADDR], n.lladdr, &n.lladdr_len) < 0)
                return -EINVAL;
        n.index = ndm->ndm_ifindex;
        n.state = ndm->ndm_state;
        n.flags = ndm->ndm_flags;
        *ret = n;
        return 0;
}
