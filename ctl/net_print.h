/* SPDX-License-Identifier: Apache-2.0 */
/* Printing the answers of the network commands (ctl/cmd_network.c). */
#ifndef KINGLET_NET_PRINT_H
#define KINGLET_NET_PRINT_H

#include "ctl.h"

/*
 * NAME mac MAC mtu N flags 0xHEX [type KIND], then one indented
 * `inet ADDR/PREFIX` or `inet6 ADDR/PREFIX` line per address.
 */
void ctl_print_interface_text(const Types__Interface *ifc);
/* {"name":..,"device":..,"hw_addr":..,"mtu":N,"raw_flags":N,"type":..,"device_path":..,"addresses":[..]} */
void ctl_print_interface_json(struct json *j, const Types__Interface *ifc);
/*
 * One `DEST [via GW] [dev DEV] [src SRC] [scope N] [mtu N] [flags N]` line
 * per route, or with --json one {"routes":[...]} document.
 */
void ctl_print_routes(struct ctl *ctl, const Grpc__Routes *routes);

#endif
