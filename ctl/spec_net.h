/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The values of kinglet-ctl's network options, parsed into the Kata types:
 * --addr ADDR/PREFIX (types.IPAddress), --route SPEC (types.Route),
 * --neighbor SPEC (types.ARPNeighbor) and MAC addresses. Pure functions (no
 * I/O): unit-tested in tests/unit/test_ctl_net_spec.c and fuzzed by
 * tests/fuzz/fuzz_ctl_net_spec.c.
 *
 * The ctl checks the shape of what it sends, not its meaning: an address is
 * hex digits, '.' and ':' (its family is IPv6 when it has a ':'), a prefix is
 * decimal digits. Whether "192.0.2.300" is an address, /33 an IPv4 prefix, or
 * eth9 a link is for the agent to say (INVALID_ARGUMENT, NOT_FOUND), so its
 * checks stay reachable from the command line. A MAC is checked fully here:
 * six pairs of hex digits separated by ':'.
 *
 * A SPEC is comma-separated KEY=VALUE items (no escapes: no value has a
 * comma); each key at most once, values not empty, no empty items.
 *
 *   route:    dest=ADDR[/PREFIX]|default, via=ADDR, dev=NAME, src=ADDR,
 *             scope=global|universe|site|link|host|nowhere|N, mtu=N,
 *             flags=N|onlink, onlink (a bare flag), family=4|6
 *   neighbor: ip=ADDR (required), dev=NAME (required), lladdr=MAC
 *             (required), state=N, flags=N
 */
#ifndef KINGLET_SPEC_NET_H
#define KINGLET_SPEC_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.pb-c.h"
#include "status.h"

#define CTL_NET_SPEC_MAX_LEN 1024  /* bytes of one --route / --neighbor SPEC */
#define CTL_NET_ADDR_MAX_LEN 45    /* characters of an address (INET6_ADDRSTRLEN - 1) */
#define CTL_NET_MAX_ADDRS 64       /* --addr options of update-interface */
#define CTL_NET_MAX_ROUTES 4096    /* --route options of update-routes (the agent's bound) */
#define CTL_NET_MAX_NEIGHBORS 1024 /* --neighbor options of add-arp-neighbors (the agent's bound) */
#define CTL_MAC_TEXT_LEN 18        /* "aa:bb:cc:dd:ee:ff" and its NUL */
#define CTL_RTNH_F_ONLINK 4        /* rtm_flags bit of `onlink` (linux/rtnetlink.h) */

/*
 * "AA:bb:cc:DD:ee:ff" (six pairs of hex digits, ':' between them) written
 * lowercase into out. -EINVAL with out untouched otherwise.
 */
int ctl_mac_parse(const char *text, char out[CTL_MAC_TEXT_LEN]);

/*
 * A number as the options take them: decimal digits, or 0x (0X) and hex
 * digits; no sign, space or octal. -EINVAL (-ERANGE over UINT32_MAX) with
 * *ret untouched.
 */
int ctl_number_parse(const char *text, uint32_t *ret);

/* The family an address's text belongs to: v6 when it has a ':'. */
Types__IPFamily ctl_addr_family(const char *addr);

/*
 * --addr ADDR/PREFIX into a types.IPAddress (family from the text, address,
 * mask = the prefix as decimal text). The prefix is required.
 *
 * All parsers: on success *ret is a malloc'ed message that
 * protobuf_c_message_free_unpacked(msg, NULL) frees. On failure *ret is
 * untouched and *e holds INVALID_ARGUMENT and a message naming the bad part
 * (not prefixed with the option's name); -EINVAL, -E2BIG for a SPEC over its
 * bound, -ENOMEM.
 */
int ctl_ip_address_parse(const char *text, Types__IPAddress **ret, struct rpc_error *e);

/*
 * --route SPEC. dest=default (or no dest) is the default route, "" on the
 * wire. family is family= when given, else that of dest, via or src (the
 * first given; v4 when none is); a family= that contradicts an address is
 * refused, and so are addresses of both families.
 */
int ctl_route_parse(const char *text, Types__Route **ret, struct rpc_error *e);

/* --neighbor SPEC. state and flags: decimal or 0x-hex, at most INT32_MAX. */
int ctl_neighbor_parse(const char *text, Types__ARPNeighbor **ret, struct rpc_error *e);

#endif
