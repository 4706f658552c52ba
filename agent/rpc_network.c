/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UpdateInterface and ListInterfaces (docs/networking.md): a link found by
 * MAC or name gets its name, MTU, flags and exactly the given addresses.
 * Everything the client sent is checked before the first change.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "hotplug.h"
#include "iface_settle.h"
#include "log.h"
#include "net.h"
#include "rpc.h"
#include "util.h"

/* Flags UpdateInterface sets or clears to match raw_flags; the rest belong to the kernel. */
#define SETTABLE_FLAGS (IFF_NOARP | IFF_PROMISC | IFF_ALLMULTI | IFF_MULTICAST)

/* The protobuf answer for interfaces, with its strings kept beside it. */
struct pb_addr {
        Types__IPAddress pb;
        char address[NET_IP_TEXT_MAX];
        char mask[4];
};
struct pb_iface {
        Types__Interface pb;
        char name[IFNAMSIZ];
        char mac[NET_LLADDR_TEXT_MAX];
        char kind[NET_KIND_MAX];
};
struct pb_ifaces {
        struct pb_iface *ifaces;
        Types__Interface **iface_ptrs;
        struct pb_addr *addrs;
        Types__IPAddress **addr_ptrs;
};

static void pb_ifaces_free(struct pb_ifaces *p)
{
        free(p->ifaces);
        free(p->iface_ptrs);
        free(p->addrs);
        free(p->addr_ptrs);
}

static void fill_addr(struct pb_addr *a, const struct net_ip *ip)
{
        types__ipaddress__init(&a->pb);
        a->pb.family = ip->family == AF_INET6 ? TYPES__IPFAMILY__v6 : TYPES__IPFAMILY__v4;
        net_ip_format(ip, false, a->address, sizeof a->address);
        snprintf(a->mask, sizeof a->mask, "%u", ip->len);
        a->pb.address = a->address;
        a->pb.mask = a->mask;
}

/* Builds one Types__Interface per link (each with its addresses, in dump order). */
static int pb_ifaces_build(const struct net_links *links, const struct net_ifaddrs *addrs, struct pb_ifaces *ret)
{
        struct pb_ifaces p = {
                .ifaces = calloc(links->n ? links->n : 1, sizeof *p.ifaces),
                .iface_ptrs = calloc(links->n ? links->n : 1, sizeof *p.iface_ptrs),
                .addrs = calloc(addrs->n ? addrs->n : 1, sizeof *p.addrs),
                .addr_ptrs = calloc(addrs->n ? addrs->n : 1, sizeof *p.addr_ptrs),
        };
        if (!p.ifaces || !p.iface_ptrs || !p.addrs || !p.addr_ptrs) {
                pb_ifaces_free(&p);
                return -ENOMEM;
        }
        size_t used = 0;
        for (size_t i = 0; i < links->n; i++) {
                const struct net_link *l = &links->v[i];
                struct pb_iface *f = &p.ifaces[i];
                types__interface__init(&f->pb);
                memcpy(f->name, l->name, sizeof f->name);
                memcpy(f->kind, l->kind, sizeof f->kind);
                net_lladdr_format(l->lladdr, l->lladdr_len, f->mac, sizeof f->mac);
                f->pb.device = f->pb.name = f->name;
                f->pb.hwaddr = f->mac;
                f->pb.type = f->kind;
                f->pb.mtu = l->mtu;
                f->pb.raw_flags = l->flags;
                f->pb.ipaddresses = p.addr_ptrs + used;
                for (size_t j = 0; j < addrs->n; j++) {
                        if (addrs->v[j].index != l->index)
                                continue;
                        fill_addr(&p.addrs[used], &addrs->v[j].ip);
                        p.addr_ptrs[used] = &p.addrs[used].pb;
                        used++;
                        f->pb.n_ipaddresses++;
                }
                p.iface_ptrs[i] = &f->pb;
        }
        *ret = p;
        return 0;
}

/* Answers with the interfaces of `links` (all of them, or the one at `index`). */
static int reply_interfaces(struct ttrpc_call *call, struct nl *nl, int index, bool single)
{
        struct rpc_error e = { 0 };
        struct net_links links = { 0 }, one = { 0 };
        struct net_ifaddrs addrs = { 0 };
        struct pb_ifaces p = { 0 };
        int r = net_links_dump(nl, &links, &e);
        if (r == 0)
                r = net_ifaddrs_dump(nl, index, &addrs, &e);
        if (r < 0)
                goto out;
        if (single) {
                const struct net_link *l = net_links_by_index(&links, index);
                if (!l) {
                        r = rpc_error_set(&e, GRPC_NOT_FOUND, -ENODEV, "the link went away while it was configured");
                        goto out;
                }
                one.v = (struct net_link *)l;
                one.n = 1;
        }
        r = pb_ifaces_build(single ? &one : &links, &addrs, &p);
        if (r < 0) {
                rpc_error_set(&e, GRPC_RESOURCE_EXHAUSTED, r, "out of memory answering with the interfaces");
                goto out;
        }
        if (single) {
                r = ttrpc_call_reply(call, &p.ifaces[0].pb.base);
        } else {
                Grpc__Interfaces resp = GRPC__INTERFACES__INIT;
                resp.n_interfaces = links.n;
                resp.interfaces = p.iface_ptrs;
                r = ttrpc_call_reply(call, &resp.base);
        }
out:
        pb_ifaces_free(&p);
        net_links_free(&links);
        net_ifaddrs_free(&addrs);
        return r < 0 && e.code ? ttrpc_call_fail_error(call, r, &e) : r;
}

int iface_reply(struct ttrpc_call *call, struct nl *nl, int index)
{
        return reply_interfaces(call, nl, index, true);
}

RPC_HANDLER(rpc_list_interfaces)
{
        _cleanup_nl_ struct nl nl = { 0 };
        struct rpc_error e = { 0 };
        (void)request;
        (void)userdata;
        int r = net_open(&nl, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        return reply_interfaces(call, &nl, 0, false);
}

static bool ifname_ok(const char *s)
{
        size_t n = strlen(s);
        return n > 0 && n < IFNAMSIZ && !strpbrk(s, "/: \t\n") && !streq(s, ".") && !streq(s, "..");
}

/* What UpdateInterface was asked, checked and in kernel terms. */
struct iface_request {
        uint8_t mac[NET_LLADDR_MAX];
        int mac_len;
        const char *device, *name;
        char pci_link[IFNAMSIZ]; /* the interface at devicePath, once it is there */
        struct hotplug_needs needs;
        uint32_t mtu, raw_flags;
        struct net_ip addrs[NET_MAX_ADDRESSES];
        size_t n_addrs;
};

static int check_request(const Types__Interface *in, struct iface_request *q, struct rpc_error *e)
{
        memset(q, 0, sizeof *q);
        if (in->hwaddr && *in->hwaddr) {
                q->mac_len = net_lladdr_parse(in->hwaddr, q->mac, sizeof q->mac);
                if (q->mac_len < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "hwAddr `%.64s` is not a MAC address (hex pairs such as 02:00:00:00:00:01)",
                                             in->hwaddr);
        }
        q->device = in->device && *in->device ? in->device : NULL;
        q->name = in->name && *in->name ? in->name : NULL;
        if (q->device && !ifname_ok(q->device))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "device `%.64s` is not a link name (1 to %d bytes, no '/', ':' or spaces)",
                                     q->device, IFNAMSIZ - 1);
        if (q->name && !ifname_ok(q->name))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "name `%.64s` is not a link name (1 to %d bytes, no '/', ':' or spaces)", q->name,
                                     IFNAMSIZ - 1);
        if (in->devicepath && *in->devicepath) {
                int r = hotplug_need_add(&q->needs, HOTPLUG_NET_PCI, "network", in->devicepath, e);
                if (r < 0)
                        return r;
        }
        if (!q->mac_len && !q->device && !q->name && !q->needs.n)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "the interface has no hwAddr, devicePath, device or name to find its link by");
        if (in->mtu > INT32_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -ERANGE, "mtu %llu is out of range",
                                     (unsigned long long)in->mtu);
        q->mtu = (uint32_t)in->mtu;
        q->raw_flags = in->raw_flags;
        if (in->n_ipaddresses > NET_MAX_ADDRESSES)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "%zu IP addresses; at most %d",
                                     in->n_ipaddresses, NET_MAX_ADDRESSES);
        for (size_t i = 0; i < in->n_ipaddresses; i++) {
                const Types__IPAddress *a = in->ipaddresses[i];
                struct net_ip ip;
                if (!a || net_ip_parse(a->address, &ip) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "IPAddresses[%zu]: `%.64s` is not an IPv4 or IPv6 address", i,
                                             a && a->address ? a->address : "");
                if (a->mask && *a->mask && net_prefix_parse(a->mask, ip.len, &ip.len) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "IPAddresses[%zu]: mask `%.16s` of %.64s is not a prefix length 0..%u", i,
                                             a->mask, a->address, ip.family == AF_INET ? 32 : 128);
                bool repeated = false;
                for (size_t j = 0; j < q->n_addrs; j++)
                        repeated |= net_ip_equal(&q->addrs[j], &ip);
                if (!repeated)
                        q->addrs[q->n_addrs++] = ip;
        }
        return 0;
}

static bool wanted(const struct iface_request *q, const struct net_ifaddr *a)
{
        for (size_t i = 0; i < q->n_addrs; i++)
                if (net_ip_equal(&q->addrs[i], &a->ip))
                        return true;
        return false;
}

/* The link's addresses become q's (kernel-made IPv6 link-local ones stay). */
static int replace_addresses(struct nl *nl, const struct iface_request *q, int index, struct rpc_error *e)
{
        struct net_ifaddrs have = { 0 };
        int r = net_ifaddrs_dump(nl, index, &have, e);
        /* Removals first: adding before removing a primary IPv4 address would lose the new one with it. */
        for (size_t i = 0; r == 0 && i < have.n; i++)
                if (!wanted(q, &have.v[i]) && !net_ip_is_link_local6(&have.v[i].ip))
                        r = net_addr_change(nl, RTM_DELADDR, index, &have.v[i].ip, e);
        net_ifaddrs_free(&have);
        if (r == 0)
                r = net_ifaddrs_dump(nl, index, &have, e); /* a removed primary takes its secondaries along */
        for (size_t i = 0; r == 0 && i < q->n_addrs; i++) {
                bool present = false;
                for (size_t j = 0; j < have.n; j++)
                        present |= net_ip_equal(&have.v[j].ip, &q->addrs[i]);
                if (!present)
                        r = net_addr_change(nl, RTM_NEWADDR, index, &q->addrs[i], e);
        }
        net_ifaddrs_free(&have);
        return r;
}

static int update_link(struct nl *nl, const struct iface_request *q, const struct net_link *l, struct rpc_error *e)
{
        char what[2 * IFNAMSIZ + 64];
        int r = 0;
        if (q->name && !streq(q->name, l->name)) {
                /* The kernel renames only links that are down. */
                snprintf(what, sizeof what, "rename %s to %s", l->name, q->name);
                struct net_link_change down = { .index = l->index, .flags_mask = IFF_UP };
                struct net_link_change rename = { .index = l->index, .name = q->name };
                r = net_link_set(nl, &down, what, e);
                if (r == 0)
                        r = net_link_set(nl, &rename, what, e);
        }
        struct net_link_change c = { .index = l->index, .mtu = q->mtu, .flags = IFF_UP, .flags_mask = IFF_UP };
        if (q->raw_flags) {
                c.flags |= q->raw_flags & SETTABLE_FLAGS;
                c.flags_mask |= SETTABLE_FLAGS;
        }
        char mtu[24] = "";
        if (q->mtu)
                snprintf(mtu, sizeof mtu, "mtu %u, ", q->mtu);
        snprintf(what, sizeof what, "configure %s (%s%sup)", q->name ? q->name : l->name, mtu,
                 q->raw_flags ? "flags, " : "");
        if (r == 0)
                r = net_link_set(nl, &c, what, e);
        if (r == 0)
                r = replace_addresses(nl, q, l->index, e);
        return r;
}

/*
 * After a refused step: the link gets back its name, MTU, flags and addresses
 * as they were before the request. Failures here are logged; the caller's
 * error stands either way.
 */
static bool ifaddr_in(const struct net_ifaddr *a, const struct net_ifaddrs *l)
{
        for (size_t i = 0; i < l->n; i++)
                if (net_ip_equal(&a->ip, &l->v[i].ip))
                        return true;
        return false;
}

/* The link's addresses become `before`'s again, each as it was (broadcast, scope, flags). */
static int restore_addresses(struct nl *nl, int index, const struct net_ifaddrs *before, struct rpc_error *e)
{
        struct net_ifaddrs now = { 0 };
        int r = net_ifaddrs_dump(nl, index, &now, e);
        for (size_t i = 0; r == 0 && i < now.n; i++)
                if (!ifaddr_in(&now.v[i], before) && !net_ip_is_link_local6(&now.v[i].ip))
                        r = net_addr_change(nl, RTM_DELADDR, index, &now.v[i].ip, e);
        net_ifaddrs_free(&now);
        if (r == 0)
                r = net_ifaddrs_dump(nl, index, &now, e);
        for (size_t i = 0; r == 0 && i < before->n; i++)
                if (!ifaddr_in(&before->v[i], &now))
                        r = net_ifaddr_restore(nl, &before->v[i], e);
        net_ifaddrs_free(&now);
        return r;
}

/*
 * After a refused step: the link gets back its name, MTU, flags and addresses
 * as they were before the request. Failures here are logged; the caller's
 * error stands either way.
 */
static int restore_link(struct nl *nl, const struct net_link *before, const struct net_ifaddrs *addrs)
{
        struct rpc_error e = { 0 };
        struct net_links now = { 0 };
        int r = net_links_dump(nl, &now, &e);
        const struct net_link *l = r == 0 ? net_links_by_index(&now, before->index) : NULL;
        if (r == 0 && !l)
                r = rpc_error_set(&e, GRPC_NOT_FOUND, -ENODEV, "link %s is gone", before->name);
        if (r == 0 && !streq(l->name, before->name)) {
                struct net_link_change down = { .index = before->index, .flags_mask = IFF_UP };
                struct net_link_change rename = { .index = before->index, .name = before->name };
                r = net_link_set(nl, &down, "take the link down", &e);
                if (r == 0)
                        r = net_link_set(nl, &rename, "rename the link back", &e);
        }
        net_links_free(&now);
        struct net_link_change c = { .index = before->index, .mtu = before->mtu,
                                     .flags = before->flags & (SETTABLE_FLAGS | IFF_UP),
                                     .flags_mask = SETTABLE_FLAGS | IFF_UP };
        if (r == 0)
                r = net_link_set(nl, &c, "restore the MTU and flags", &e);
        if (r == 0)
                r = restore_addresses(nl, before->index, addrs, &e);
        if (r < 0)
                log_error("UpdateInterface: link %s could not be put back as it was: %s", before->name, e.msg);
        return r;
}

RPC_HANDLER(rpc_update_interface)
{
        const Grpc__UpdateInterfaceRequest *req = (const Grpc__UpdateInterfaceRequest *)request;
        struct agent *a = userdata;
        _cleanup_nl_ struct nl nl = { 0 };
        _cleanup_free_ struct iface_request *q = malloc(sizeof *q);
        struct net_links links = { 0 };
        struct rpc_error e = { 0 };
        if (!q)
                return -ENOMEM;
        if (!req->interface)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "UpdateInterface needs an interface");
        int r = check_request(req->interface, q, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        if (q->needs.n) {
                /* A hotplugged NIC: wait for its interface (this handler runs again once it is there). */
                bool ready;
                r = hotplug_wait(a->hotplug, &q->needs, call, request, userdata, rpc_update_interface, &ready);
                if (!ready)
                        return r;
                r = hotplug_resolve(&q->needs.v[0], q->pci_link, sizeof q->pci_link, &e);
                if (r < 0)
                        return ttrpc_call_fail_error(call, r, &e);
        }
        r = net_open(&nl, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        r = net_links_dump(&nl, &links, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        char mac[NET_LLADDR_TEXT_MAX];
        /* By MAC, else the interface at devicePath, else by name. */
        const char *by_name = q->pci_link[0] ? q->pci_link : q->device ? q->device : q->name;
        const struct net_link *l = q->mac_len ? net_links_by_lladdr(&links, q->mac, (size_t)q->mac_len)
                                              : net_links_by_name(&links, by_name);
        if (!l) {
                net_lladdr_format(q->mac, (size_t)q->mac_len, mac, sizeof mac);
                net_links_free(&links);
                if (q->mac_len)
                        return ttrpc_call_fail(call, GRPC_NOT_FOUND, "no link with MAC address %s", mac);
                return ttrpc_call_fail(call, GRPC_NOT_FOUND, "no link named %s", by_name);
        }
        struct net_link before = *l;
        struct net_ifaddrs before_addrs = { 0 };
        net_links_free(&links);
        r = net_ifaddrs_dump(&nl, before.index, &before_addrs, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        r = update_link(&nl, q, &before, &e);
        if (r < 0) {
                bool restored = restore_link(&nl, &before, &before_addrs) == 0;
                size_t len = strlen(e.msg);
                snprintf(e.msg + len, sizeof e.msg - len, "; %s",
                         restored ? "the link is back as it was" : "the link could not all be put back (see the agent log)");
        }
        net_ifaddrs_free(&before_addrs);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        return iface_reply_when_settled(call, &nl, before.index);
}
