/* SPDX-License-Identifier: Apache-2.0 */
/* net_msg.c and nl.c's reply walk: rtnetlink requests as built, replies as parsed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "iface_settle.h"
#include "net.h"

static char buf[NL_REQUEST_SIZE] __attribute__((aligned(4)));

static const struct nlattr *find_attr(const struct nlmsghdr *nlh, size_t header, uint16_t type)
{
        const struct nlattr *attr;
        mnl_attr_for_each(attr, nlh, header)
                if (mnl_attr_get_type(attr) == type)
                        return attr;
        return NULL;
}

static void test_route_round_trip(void **state)
{
        (void)state;
        struct net_route r = { .family = AF_INET, .dst_len = 24, .scope = RT_SCOPE_UNIVERSE, .protocol = RTPROT_BOOT,
                               .type = RTN_UNICAST, .table = RT_TABLE_MAIN, .flags = RTNH_F_ONLINK, .has_gw = true,
                               .has_src = true, .oif = 7, .mtu = 1300 };
        assert_int_equal(net_cidr_parse("198.51.100.0/24", &r.dst), 0);
        assert_int_equal(net_ip_parse("192.0.2.1", &r.gw), 0);
        assert_int_equal(net_ip_parse("192.0.2.2", &r.src), 0);
        struct nlmsghdr *nlh = net_route_msg(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &r);
        assert_int_equal(nlh->nlmsg_type, RTM_NEWROUTE);
        assert_int_equal(nlh->nlmsg_flags, NLM_F_CREATE | NLM_F_REPLACE);
        assert_non_null(find_attr(nlh, sizeof(struct rtmsg), RTA_METRICS));
        struct net_route back;
        assert_int_equal(net_route_parse(nlh, &back), 0);
        assert_int_equal(back.family, AF_INET);
        assert_int_equal(back.dst_len, 24);
        assert_true(net_ip_equal(&back.dst, &r.dst));
        assert_true(back.has_gw && back.has_src);
        assert_int_equal(memcmp(back.gw.bytes, r.gw.bytes, 4), 0);
        assert_int_equal(memcmp(back.src.bytes, r.src.bytes, 4), 0);
        assert_int_equal(back.oif, 7);
        assert_int_equal(back.mtu, 1300);
        assert_int_equal(back.table, RT_TABLE_MAIN);
        assert_int_equal(back.flags, RTNH_F_ONLINK);
        assert_int_equal(back.protocol, RTPROT_BOOT);

        /* A default route carries no RTA_DST; a table over 255 goes in RTA_TABLE only. */
        struct net_route d = { .family = AF_INET6, .type = RTN_UNICAST, .table = 1000, .oif = 3 };
        d.dst.family = AF_INET6;
        nlh = net_route_msg(buf, RTM_NEWROUTE, 0, &d);
        assert_null(find_attr(nlh, sizeof(struct rtmsg), RTA_DST));
        assert_int_equal(((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_table, RT_TABLE_UNSPEC);
        assert_int_equal(net_route_parse(nlh, &back), 0);
        assert_int_equal(back.table, 1000);
        assert_int_equal(back.dst_len, 0);
        assert_false(back.has_gw);
}

static void test_addr_message(void **state)
{
        (void)state;
        struct net_ip ip;
        assert_int_equal(net_cidr_parse("192.0.2.2/24", &ip), 0);
        struct nlmsghdr *nlh = net_addr_msg(buf, RTM_NEWADDR, NLM_F_CREATE, 4, &ip);
        const struct nlattr *brd = find_attr(nlh, sizeof(struct ifaddrmsg), IFA_BROADCAST);
        assert_non_null(brd);
        const uint8_t want[4] = { 192, 0, 2, 255 };
        assert_memory_equal(mnl_attr_get_payload(brd), want, 4);
        struct net_ifaddr back;
        assert_int_equal(net_ifaddr_parse(nlh, &back), 0);
        assert_int_equal(back.index, 4);
        assert_true(net_ip_equal(&back.ip, &ip));

        /* /31 and /32 have no broadcast address; removal carries none either. */
        assert_int_equal(net_cidr_parse("192.0.2.2/31", &ip), 0);
        assert_null(find_attr(net_addr_msg(buf, RTM_NEWADDR, 0, 4, &ip), sizeof(struct ifaddrmsg), IFA_BROADCAST));
        assert_int_equal(net_cidr_parse("192.0.2.2/24", &ip), 0);
        assert_null(find_attr(net_addr_msg(buf, RTM_DELADDR, 0, 4, &ip), sizeof(struct ifaddrmsg), IFA_BROADCAST));

        /* IPv6 addresses skip duplicate detection. */
        assert_int_equal(net_cidr_parse("2001:db8::2/64", &ip), 0);
        nlh = net_addr_msg(buf, RTM_NEWADDR, 0, 4, &ip);
        const struct nlattr *flags = find_attr(nlh, sizeof(struct ifaddrmsg), IFA_FLAGS);
        assert_non_null(flags);
        assert_int_equal(mnl_attr_get_u32(flags), IFA_F_NODAD);
        assert_int_equal(net_ifaddr_parse(nlh, &back), 0);
        assert_int_equal(back.ip.len, 64);
        assert_int_equal(back.flags, IFA_F_NODAD);
}

static void test_link_and_neigh_messages(void **state)
{
        (void)state;
        struct net_link_change c = { .index = 5, .name = "eth0", .mtu = 1400, .flags = IFF_UP | IFF_NOARP,
                                     .flags_mask = IFF_UP };
        struct nlmsghdr *nlh = net_link_msg(buf, RTM_NEWLINK, 0, &c);
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        assert_int_equal(ifi->ifi_index, 5);
        assert_int_equal(ifi->ifi_change, IFF_UP);
        assert_int_equal(ifi->ifi_flags, IFF_UP); /* only bits in the mask are sent */
        struct net_link l;
        assert_int_equal(net_link_parse(nlh, &l), 0);
        assert_string_equal(l.name, "eth0");
        assert_int_equal(l.mtu, 1400);
        assert_string_equal(l.kind, "");

        struct net_neigh n = { .index = 5, .state = NUD_PERMANENT, .flags = 0, .lladdr_len = 6 };
        assert_int_equal(net_ip_parse("2001:db8::9", &n.ip), 0);
        assert_int_equal(net_lladdr_parse("02:00:00:00:00:99", n.lladdr, sizeof n.lladdr), 6);
        nlh = net_neigh_msg(buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, &n);
        struct net_neigh nb;
        assert_int_equal(net_neigh_parse(nlh, &nb), 0);
        assert_int_equal(nb.state, NUD_PERMANENT);
        assert_int_equal(nb.lladdr_len, 6);
        assert_true(net_ip_equal(&nb.ip, &n.ip));

        nlh = net_dump_msg(buf, RTM_GETADDR, AF_INET6);
        assert_int_equal(nlh->nlmsg_flags, NLM_F_DUMP);
        assert_int_equal(nlh->nlmsg_len, mnl_nlmsg_size(sizeof(struct ifaddrmsg)));
        assert_int_equal(*(const uint8_t *)mnl_nlmsg_get_payload(nlh), AF_INET6);
}

/* A reply message with a route header and attributes added by the test. */
static struct nlmsghdr *reply_route(void *at, uint8_t family, uint8_t dst_len)
{
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
        nlh->nlmsg_type = RTM_NEWROUTE;
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
        rtm->rtm_family = family;
        rtm->rtm_dst_len = dst_len;
        rtm->rtm_table = RT_TABLE_MAIN;
        return nlh;
}

static void test_parsers_refuse_malformed(void **state)
{
        (void)state;
        struct net_route r;
        struct net_link l;
        const uint8_t five[5] = { 0 };
        memset(buf, 0, sizeof buf);
        struct nlmsghdr *nlh = reply_route(buf, AF_INET, 24);
        mnl_attr_put(nlh, RTA_DST, sizeof five, five); /* 5 bytes for IPv4 */
        assert_int_equal(net_route_parse(nlh, &r), -EINVAL);
        memset(buf, 0, sizeof buf);
        nlh = reply_route(buf, AF_INET, 33); /* prefix over 32 */
        assert_int_equal(net_route_parse(nlh, &r), -EINVAL);
        memset(buf, 0, sizeof buf);
        nlh = reply_route(buf, AF_INET, 0);
        mnl_attr_put_u16(nlh, RTA_OIF, 1); /* u32 attribute of 2 bytes */
        assert_int_equal(net_route_parse(nlh, &r), -EINVAL);
        memset(buf, 0, sizeof buf);
        nlh = reply_route(buf, AF_UNIX, 0);
        assert_int_equal(net_route_parse(nlh, &r), -ENOENT); /* not ours to list */
        nlh->nlmsg_len = mnl_nlmsg_size(4); /* shorter than struct rtmsg */
        assert_int_equal(net_route_parse(nlh, &r), -EINVAL);

        memset(buf, 0, sizeof buf);
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_NEWLINK;
        mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
        assert_int_equal(net_link_parse(nlh, &l), -EINVAL); /* no name */
        mnl_attr_put(nlh, IFLA_IFNAME, 3, "eth"); /* not NUL-terminated */
        assert_int_equal(net_link_parse(nlh, &l), -EINVAL);
        nlh->nlmsg_type = RTM_NEWROUTE;
        assert_int_equal(net_link_parse(nlh, &l), -ENOENT);
}

static int count_messages(const struct nlmsghdr *nlh, void *data)
{
        (void)nlh;
        (*(int *)data)++;
        return 0;
}

static void test_reply_walk(void **state)
{
        (void)state;
        char reply[1024] __attribute__((aligned(4)));
        char why[NL_WHY_MAX];
        int n = 0, done = 0;
        memset(reply, 0, sizeof reply);
        size_t at = 0;
        for (int i = 0; i < 2; i++) {
                struct nlmsghdr *m = reply_route(reply + at, AF_INET, 0);
                m->nlmsg_seq = 9;
                m->nlmsg_pid = 77;
                at += NLMSG_ALIGN(m->nlmsg_len);
        }
        struct nlmsghdr *end = mnl_nlmsg_put_header(reply + at);
        end->nlmsg_type = NLMSG_DONE;
        end->nlmsg_seq = 9;
        end->nlmsg_pid = 77;
        *(int *)mnl_nlmsg_put_extra_header(end, sizeof(int)) = 0;
        size_t len = at + end->nlmsg_len;
        assert_int_equal(nl_reply_walk(reply, len, 9, 77, count_messages, &n, why, &done), 0);
        assert_int_equal(n, 2);
        assert_int_equal(done, 1);
        /* Another exchange's sequence number, or a truncated buffer, is refused. */
        assert_int_equal(nl_reply_walk(reply, len, 10, 77, count_messages, &n, why, &done), -EPROTO);
        assert_int_equal(nl_reply_walk(reply, len - 2, 9, 77, count_messages, &n, why, &done), -EBADMSG);
        /* An interrupted dump asks for a retry; a DONE carrying an error returns it. */
        ((struct nlmsghdr *)reply)->nlmsg_flags |= NLM_F_DUMP_INTR;
        assert_int_equal(nl_reply_walk(reply, len, 9, 77, NULL, NULL, why, &done), -EAGAIN);
        ((struct nlmsghdr *)reply)->nlmsg_flags = 0;
        *(int *)mnl_nlmsg_get_payload(end) = -ENOBUFS;
        assert_int_equal(nl_reply_walk(reply, len, 9, 77, NULL, NULL, why, &done), -ENOBUFS);

        /* An error with the kernel's extended-ack text. */
        memset(reply, 0, sizeof reply);
        struct nlmsghdr *err = mnl_nlmsg_put_header(reply);
        err->nlmsg_type = NLMSG_ERROR;
        err->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
        err->nlmsg_seq = 9;
        err->nlmsg_pid = 77;
        struct nlmsgerr *e = mnl_nlmsg_put_extra_header(err, sizeof *e);
        e->error = -ENETUNREACH;
        mnl_attr_put_strz(err, NLMSGERR_ATTR_MSG, "Nexthop has invalid gateway");
        assert_int_equal(nl_reply_walk(reply, err->nlmsg_len, 9, 77, NULL, NULL, why, &done), -ENETUNREACH);
        assert_string_equal(why, "Nexthop has invalid gateway");
        assert_int_equal(done, 1);
        e->error = 0; /* the acknowledgement */
        assert_int_equal(nl_reply_walk(reply, err->nlmsg_len, 9, 77, NULL, NULL, why, &done), 0);
        e->error = 5; /* a positive "errno" is not a kernel answer */
        assert_int_equal(nl_reply_walk(reply, err->nlmsg_len, 9, 77, NULL, NULL, why, &done), -EBADMSG);
}

static void test_settled(void **state)
{
        (void)state;
        struct net_link l = { .index = 3, .flags = IFF_UP | IFF_RUNNING | 0x10000 /* LOWER_UP */ };
        struct net_ifaddr ll = { .index = 3 }, other = { .index = 4 };
        assert_int_equal(net_ip_parse("fe80::1", &ll.ip), 0);
        other.ip = ll.ip;
        struct net_ifaddrs none = { 0 }, mine = { &ll, 1 }, elsewhere = { &other, 1 };
        /* Down, or up without carrier: final as it is. */
        struct net_link down = { .index = 3 }, no_carrier = { .index = 3, .flags = IFF_UP };
        assert_true(iface_settled(&down, &none, true));
        assert_true(iface_settled(&no_carrier, &none, true));
        /* Carrier but not running yet: wait. */
        struct net_link coming = { .index = 3, .flags = IFF_UP | 0x10000 };
        assert_false(iface_settled(&coming, &mine, true));
        /* Running: settled when IPv6 gives it no link-local, or once it has its own. */
        assert_true(iface_settled(&l, &none, false));
        assert_false(iface_settled(&l, &none, true));
        assert_false(iface_settled(&l, &elsewhere, true));
        assert_true(iface_settled(&l, &mine, true));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_route_round_trip),
                cmocka_unit_test(test_addr_message),
                cmocka_unit_test(test_link_and_neigh_messages),
                cmocka_unit_test(test_parsers_refuse_malformed),
                cmocka_unit_test(test_reply_walk),
                cmocka_unit_test(test_settled),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
