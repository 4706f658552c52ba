/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the netlink reply path: nl_reply_walk over any
 * bytes, as a kernel reply buffer, with every message handed to the four
 * rtnetlink parsers. What a parser accepts must be self-consistent: names
 * NUL-terminated within bounds, prefix lengths within the family's size,
 * addresses formattable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"

static void check_ip(const struct net_ip *ip)
{
        char text[NET_IP_TEXT_MAX];
        if ((ip->family != AF_INET && ip->family != AF_INET6) || ip->len > (ip->family == AF_INET ? 32 : 128))
                __builtin_trap();
        net_ip_format(ip, true, text, sizeof text);
        struct net_ip back;
        if (net_cidr_parse(text, &back) < 0 || !net_ip_equal(&back, ip))
                __builtin_trap(); /* formatting and parsing must agree */
}

static int each(const struct nlmsghdr *nlh, void *data)
{
        struct net_link l;
        struct net_ifaddr a;
        struct net_route r;
        struct net_neigh n;
        char text[NET_LLADDR_TEXT_MAX];
        (void)data;
        if (net_link_parse(nlh, &l) == 0) {
                if (!memchr(l.name, '\0', sizeof l.name) || !memchr(l.kind, '\0', sizeof l.kind) || !l.name[0] ||
                    l.lladdr_len > NET_LLADDR_MAX)
                        __builtin_trap();
                net_lladdr_format(l.lladdr, l.lladdr_len, text, sizeof text);
        }
        if (net_ifaddr_parse(nlh, &a) == 0)
                check_ip(&a.ip);
        if (net_route_parse(nlh, &r) == 0) {
                if (r.dst.len != r.dst_len)
                        __builtin_trap();
                check_ip(&r.dst);
                if (r.has_gw)
                        check_ip(&r.gw);
                if (r.has_src)
                        check_ip(&r.src);
        }
        if (net_neigh_parse(nlh, &n) == 0) {
                check_ip(&n.ip);
                net_lladdr_format(n.lladdr, n.lladdr_len, text, sizeof text);
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* The kernel hands replies 4-byte aligned: so does the harness. */
        uint32_t *aligned = malloc(size + 4);
        char why[NL_WHY_MAX] = "";
        int done;
        if (!aligned)
                return 0;
        memcpy(aligned, data, size);
        int r = nl_reply_walk(aligned, size, 1, 0, each, NULL, why, &done);
        if (r > 0 || !memchr(why, '\0', sizeof why))
                __builtin_trap();
        free(aligned);
        return 0;
}
