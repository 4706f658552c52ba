/* SPDX-License-Identifier: Apache-2.0 */
/* Waiting for a link to settle before UpdateInterface answers (iface_settle.h). */
#include "iface_settle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "util.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h, which clashes with net/if.h */
#endif
#define ADDR_GEN_MODE_NONE 1 /* IN6_ADDR_GEN_MODE_NONE: no link-local address is made */

bool iface_settled(const struct net_link *l, const struct net_ifaddrs *addrs, bool ipv6_expected)
{
        if (!(l->flags & IFF_UP) || !(l->flags & IFF_LOWER_UP))
                return true; /* down, or no carrier: nothing more is coming */
        if (!(l->flags & IFF_RUNNING))
                return false;
        if (!ipv6_expected)
                return true;
        for (size_t i = 0; i < addrs->n; i++)
                if (addrs->v[i].index == l->index && net_ip_is_link_local6(&addrs->v[i].ip))
                        return true;
        return false;
}

/* An integer sysctl of the link's IPv6 configuration; -1 when it cannot be read. */
static int ipv6_conf(const char *link, const char *key)
{
        char path[96], value[16];
        int v;
        snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/%s", link, key);
        if (read_small_file(path, value, sizeof value, NULL) < 0 || parse_int(strstrip_trailing(value), &v) < 0)
                return -1;
        return v;
}

/* Whether the kernel will give this link an IPv6 link-local address: Ethernet-like, IPv6 on, generation on. */
static bool expects_link_local(const struct net_link *l)
{
        if ((l->flags & IFF_LOOPBACK) || l->lladdr_len != 6)
                return false;
        return ipv6_conf(l->name, "disable_ipv6") == 0 && ipv6_conf(l->name, "addr_gen_mode") != ADDR_GEN_MODE_NONE;
}

/* 1 when settled (or the link is gone: the answer will say so), 0 when not yet, -errno on failure. */
static int check(struct nl *nl, int index)
{
        struct rpc_error e = { 0 };
        struct net_links links = { 0 };
        struct net_ifaddrs addrs = { 0 };
        int r = net_links_dump(nl, &links, &e);
        const struct net_link *l = r == 0 ? net_links_by_index(&links, index) : NULL;
        if (r == 0 && l)
                r = net_ifaddrs_dump(nl, index, &addrs, &e);
        if (r == 0)
                r = !l || iface_settled(l, &addrs, expects_link_local(l)) ? 1 : 0;
        net_links_free(&links);
        net_ifaddrs_free(&addrs);
        return r;
}

struct settler {
        struct ttrpc_call *call;
        struct loop *loop;
        struct loop_timer timer;
        int index;
        uint64_t give_up_ns;
};

static void settler_on_timer(struct loop_timer *t)
{
        struct settler *s = t->data;
        struct nl nl = { 0 };
        int r = nl_open(&nl);
        if (r < 0) {
                (void)ttrpc_call_fail(s->call, grpc_code_from_errno(r), "cannot open a netlink socket: %s",
                                      strerror(-r));
        } else if (check(&nl, s->index) != 0 || now_ns() >= s->give_up_ns ||
                   loop_timer_arm(s->loop, &s->timer, now_ns() + IFACE_SETTLE_STEP_NS, settler_on_timer, s) < 0) {
                /* Settled, out of time, or cannot wait: the answer is the link as it is now. */
                (void)iface_reply(s->call, &nl, s->index);
        } else {
                nl_close(&nl);
                return;
        }
        nl_close(&nl);
        free(s);
}

static void settler_cancel(struct ttrpc_call *call, void *data, int reason)
{
        struct settler *s = data;
        (void)call;
        (void)reason;
        loop_timer_disarm(s->loop, &s->timer);
        free(s);
}

int iface_reply_when_settled(struct ttrpc_call *call, struct nl *nl, int index)
{
        if (check(nl, index) != 0)
                return iface_reply(call, nl, index);
        struct settler *s = calloc(1, sizeof *s);
        if (!s)
                return iface_reply(call, nl, index);
        s->call = call;
        s->loop = ttrpc_call_loop(call);
        s->index = index;
        s->give_up_ns = now_ns() + IFACE_SETTLE_MAX_NS;
        if (loop_timer_arm(s->loop, &s->timer, now_ns() + IFACE_SETTLE_STEP_NS, settler_on_timer, s) < 0) {
                free(s);
                return iface_reply(call, nl, index);
        }
        return ttrpc_call_park(call, settler_cancel, s);
}
