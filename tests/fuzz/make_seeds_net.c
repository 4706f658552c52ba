/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_netlink's seeds: kernel-style replies (a link, an address, routes, a
 * neighbour, the end of a dump, an error with the kernel's reason), built
 * with the agent's own message builders and stamped as replies to sequence 1.
 */
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "make_seeds.h"
#include "net.h"

static char msg[NL_REQUEST_SIZE] __attribute__((aligned(4)));

static void add(struct buf *b, struct nlmsghdr *nlh)
{
        static const char pad[4];
        nlh->nlmsg_seq = 1;
        nlh->nlmsg_pid = 0;
        nlh->nlmsg_flags = NLM_F_MULTI;
        put(b, nlh, nlh->nlmsg_len);
        put(b, pad, NLMSG_ALIGN(nlh->nlmsg_len) - nlh->nlmsg_len);
}

static void done(struct buf *b)
{
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(memset(msg, 0, sizeof msg));
        nlh->nlmsg_type = NLMSG_DONE;
        *(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = 0;
        add(b, nlh);
}

void netlink_seeds(void)
{
        struct buf b = { 0 };
        struct net_link_change c = { .index = 2, .name = "eth0", .mtu = 1500, .flags = IFF_UP, .flags_mask = IFF_UP };
        struct nlmsghdr *nlh = net_link_msg(msg, RTM_NEWLINK, 0, &c);
        const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
        mnl_attr_put(nlh, IFLA_ADDRESS, sizeof mac, mac);
        struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
        mnl_attr_nest_end(nlh, info);
        add(&b, nlh);
        done(&b);
        save(&b, "fuzz_netlink", "link");

        struct net_ip ip;
        (void)net_cidr_parse("192.0.2.2/24", &ip);
        add(&b, net_addr_msg(msg, RTM_NEWADDR, 0, 2, &ip));
        (void)net_cidr_parse("2001:db8::2/64", &ip);
        add(&b, net_addr_msg(msg, RTM_NEWADDR, 0, 2, &ip));
        done(&b);
        save(&b, "fuzz_netlink", "addresses");

        struct net_route r = { .family = AF_INET, .dst_len = 24, .protocol = RTPROT_BOOT, .type = RTN_UNICAST,
                               .table = RT_TABLE_MAIN, .has_gw = true, .oif = 2, .mtu = 1400 };
        (void)net_cidr_parse("198.51.100.0/24", &r.dst);
        (void)net_ip_parse("192.0.2.1", &r.gw);
        add(&b, net_route_msg(msg, RTM_NEWROUTE, 0, &r));
        struct net_route d6 = { .family = AF_INET6, .type = RTN_UNICAST, .table = RT_TABLE_MAIN, .has_gw = true,
                                .priority = 1024 };
        d6.dst.family = AF_INET6;
        (void)net_ip_parse("2001:db8::1", &d6.gw);
        add(&b, net_route_msg(msg, RTM_NEWROUTE, 0, &d6));
        done(&b);
        save(&b, "fuzz_netlink", "routes");

        struct net_neigh n = { .index = 2, .state = NUD_PERMANENT, .lladdr_len = 6 };
        memcpy(n.lladdr, mac, 6);
        (void)net_ip_parse("192.0.2.9", &n.ip);
        add(&b, net_neigh_msg(msg, RTM_NEWNEIGH, 0, &n));
        done(&b);
        save(&b, "fuzz_netlink", "neighbour");

        nlh = mnl_nlmsg_put_header(memset(msg, 0, sizeof msg));
        nlh->nlmsg_type = NLMSG_ERROR;
        struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof *err);
        err->error = -101; /* ENETUNREACH */
        mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "Nexthop has invalid gateway");
        add(&b, nlh);
        ((struct nlmsghdr *)(b.data + b.start))->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
        save(&b, "fuzz_netlink", "error-extack");
}
