/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The text and --json forms of the network commands' answers (docs/ctl.md,
 * "Network"): links as list-interfaces prints them, routes as list-routes does.
 */
#include "net_print.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static int family_number(Types__IPFamily family)
{
        return family == TYPES__IPFAMILY__v6 ? 6 : 4;
}

void ctl_print_interface_text(const Types__Interface *ifc)
{
        printf("%s mac %s mtu %llu flags 0x%x", *ifc->name ? ifc->name : ifc->device,
               *ifc->hwaddr ? ifc->hwaddr : "-", (unsigned long long)ifc->mtu, ifc->raw_flags);
        if (*ifc->type)
                printf(" type %s", ifc->type);
        printf("\n");
        for (size_t i = 0; i < ifc->n_ipaddresses; i++) {
                const Types__IPAddress *a = ifc->ipaddresses[i];
                printf("    %s %s%s%s\n", a->family == TYPES__IPFAMILY__v6 ? "inet6" : "inet", a->address,
                       *a->mask ? "/" : "", a->mask);
        }
}

void ctl_print_interface_json(struct json *j, const Types__Interface *ifc)
{
        json_object_begin(j);
        json_key(j, "name");
        json_string(j, ifc->name);
        json_key(j, "device");
        json_string(j, ifc->device);
        json_key(j, "hw_addr");
        json_string(j, ifc->hwaddr);
        json_key(j, "mtu");
        json_uint(j, ifc->mtu);
        json_key(j, "raw_flags");
        json_uint(j, ifc->raw_flags);
        json_key(j, "type");
        json_string(j, ifc->type);
        json_key(j, "device_path");
        json_string(j, ifc->devicepath);
        json_key(j, "addresses");
        json_array_begin(j);
        for (size_t i = 0; i < ifc->n_ipaddresses; i++) {
                const Types__IPAddress *a = ifc->ipaddresses[i];
                json_object_begin(j);
                json_key(j, "family");
                json_int(j, family_number(a->family));
                json_key(j, "address");
                json_string(j, a->address);
                json_key(j, "mask");
                json_string(j, a->mask);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}

static bool route_is_v6(const Types__Route *r)
{
        return r->family == TYPES__IPFAMILY__v6 || strchr(r->dest, ':') || strchr(r->gateway, ':') ||
               strchr(r->source, ':');
}

/* DEST [via GW] [dev DEV] [src SRC] [scope N] [mtu N] [flags N], like `ip route`. */
static void print_route_text(const Types__Route *r)
{
        if (*r->dest)
                printf("%s", r->dest);
        else
                printf("default%s", route_is_v6(r) ? " inet6" : "");
        if (*r->gateway)
                printf(" via %s", r->gateway);
        if (*r->device)
                printf(" dev %s", r->device);
        if (*r->source)
                printf(" src %s", r->source);
        if (r->scope)
                printf(" scope %u", r->scope);
        if (r->mtu)
                printf(" mtu %u", r->mtu);
        if (r->flags)
                printf(" flags %u", r->flags);
        printf("\n");
}

static void print_route_json(struct json *j, const Types__Route *r)
{
        const char *strings[][2] = {
                { "dest", r->dest }, { "gateway", r->gateway }, { "device", r->device }, { "source", r->source },
        };
        json_object_begin(j);
        for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
                json_key(j, strings[i][0]);
                json_string(j, strings[i][1]);
        }
        json_key(j, "scope");
        json_uint(j, r->scope);
        json_key(j, "family");
        json_int(j, route_is_v6(r) ? 6 : 4);
        json_key(j, "flags");
        json_uint(j, r->flags);
        json_key(j, "mtu");
        json_uint(j, r->mtu);
        json_object_end(j);
}

void ctl_print_routes(struct ctl *ctl, const Grpc__Routes *routes)
{
        if (!ctl->json) {
                for (size_t i = 0; i < routes->n_routes; i++)
                        print_route_text(routes->routes[i]);
                return;
        }
        json_object_begin(&ctl->out);
        json_key(&ctl->out, "routes");
        json_array_begin(&ctl->out);
        for (size_t i = 0; i < routes->n_routes; i++)
                print_route_json(&ctl->out, routes->routes[i]);
        json_array_end(&ctl->out);
        json_object_end(&ctl->out);
        json_finish(&ctl->out);
}
