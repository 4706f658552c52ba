/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UpdateInterface's answer, once the link has settled (iface_settle.c).
 *
 * Bringing a link up starts work the kernel finishes a moment later, in its
 * own deferred "linkwatch" work: IFF_RUNNING follows the carrier, and only
 * then does IPv6 give the link its link-local address. An answer read at
 * once would miss them and differ from the same request repeated. So the
 * reply waits, parked on a short loop timer, until the link has its carrier
 * state and link-local address, at most IFACE_SETTLE_MAX_NS.
 */
#ifndef KINGLET_IFACE_SETTLE_H
#define KINGLET_IFACE_SETTLE_H

#include <stdbool.h>

#include "net.h"
#include "ttrpc.h"

#define IFACE_SETTLE_STEP_NS (5ull * 1000 * 1000)
#define IFACE_SETTLE_MAX_NS (500ull * 1000 * 1000)

/* Answers the call with the interface at `index` (rpc_network.c); returns what the call returns. */
int iface_reply(struct ttrpc_call *call, struct nl *nl, int index);

/* True when the link's state is final: no carrier, or carrier with RUNNING and (for IPv6) a link-local address. */
bool iface_settled(const struct net_link *l, const struct net_ifaddrs *addrs, bool ipv6_expected);

/* Answers now if the link has settled, else parks the call until it has (or the time is up). */
int iface_reply_when_settled(struct ttrpc_call *call, struct nl *nl, int index);

#endif
