/* SPDX-License-Identifier: Apache-2.0 */
/*
 * list-interfaces, update-interface, list-routes, update-routes,
 * add-arp-neighbors: the guest's network (ListInterfaces, UpdateInterface,
 * ListRoutes, UpdateRoutes, AddARPNeighbors). The option values are parsed by
 * ctl/spec_net.c and the answers printed by ctl/net_print.c; this file builds
 * the requests.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "ctl.h"
#include "net_print.h"
#include "spec_net.h"
#include "util.h"

#define AGENT_SERVICE "grpc.AgentService"

static int no_arguments(const char *cmd, int argc, char **argv)
{
        static const struct option options[] = { {} };
        if (getopt_long(argc, argv, "", options, NULL) != -1)
                return ctl_usage_error(cmd, "unknown option");
        if (optind < argc)
                return ctl_usage_error(cmd, "takes no arguments, got `%.200s`", argv[optind]);
        return 0;
}

static int cmd_list_interfaces(struct ctl *ctl, int argc, char **argv)
{
        Grpc__ListInterfacesRequest req = GRPC__LIST_INTERFACES_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        int code = no_arguments("list-interfaces", argc, argv);
        if (code)
                return code;
        code = ctl_call(ctl, AGENT_SERVICE, "ListInterfaces", &req.base, &grpc__interfaces__descriptor, &m);
        if (code)
                return code;
        const Grpc__Interfaces *list = (const Grpc__Interfaces *)m;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "interfaces");
                json_array_begin(&ctl->out);
                for (size_t i = 0; i < list->n_interfaces; i++)
                        ctl_print_interface_json(&ctl->out, list->interfaces[i]);
                json_array_end(&ctl->out);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                for (size_t i = 0; i < list->n_interfaces; i++)
                        ctl_print_interface_text(list->interfaces[i]);
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
}

/* Frees an array of parsed messages and the array. */
static void free_messages(void *array, size_t n)
{
        ProtobufCMessage **msgs = array;
        for (size_t i = 0; i < n; i++)
                protobuf_c_message_free_unpacked(msgs[i], NULL);
        free(msgs);
}

static int update_interface_options(int argc, char **argv, Types__Interface *ifc, Types__IPAddress **addrs,
                                    char mac[CTL_MAC_TEXT_LEN])
{
        static const struct option options[] = {
                { "mac", required_argument, NULL, 'm' },      { "device", required_argument, NULL, 'd' },
                { "name", required_argument, NULL, 'n' },     { "mtu", required_argument, NULL, 'u' },
                { "raw-flags", required_argument, NULL, 'f' }, { "addr", required_argument, NULL, 'a' },
                { "device-path", required_argument, NULL, 'p' },
                {},
        };
        const char *cmd = "update-interface";
        struct rpc_error e = { 0 };
        uint32_t v;
        int opt;
        while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
                switch (opt) {
                case 'm':
                        if (ctl_mac_parse(optarg, mac) < 0)
                                return ctl_usage_error(cmd, "--mac `%.64s` is not a MAC address like 02:00:00:00:00:01",
                                                       optarg);
                        ifc->hwaddr = mac;
                        break;
                case 'd':
                case 'n':
                        if (!*optarg)
                                return ctl_usage_error(cmd, "--%s needs a link name", opt == 'd' ? "device" : "name");
                        *(opt == 'd' ? &ifc->device : &ifc->name) = optarg;
                        break;
                case 'p':
                        if (!*optarg || strlen(optarg) > 64)
                                return ctl_usage_error(cmd, "--device-path wants a PCI path such as 06 or 02/01");
                        ifc->devicepath = optarg;
                        break;
                case 'u':
                        if (strspn(optarg, "0123456789") != strlen(optarg) || parse_u32(optarg, 10, &v) < 0)
                                return ctl_usage_error(cmd, "--mtu wants a number of bytes, got `%.64s`", optarg);
                        ifc->mtu = v;
                        break;
                case 'f':
                        if (ctl_number_parse(optarg, &ifc->raw_flags) < 0)
                                return ctl_usage_error(cmd,
                                                       "--raw-flags wants a number (decimal or 0x-hex), got `%.64s`",
                                                       optarg);
                        break;
                case 'a':
                        if (ifc->n_ipaddresses == CTL_NET_MAX_ADDRS)
                                return ctl_usage_error(cmd, "at most %d --addr", CTL_NET_MAX_ADDRS);
                        if (ctl_ip_address_parse(optarg, &addrs[ifc->n_ipaddresses], &e) < 0)
                                return ctl_usage_error(cmd, "--addr: %s", e.msg);
                        ifc->n_ipaddresses++;
                        break;
                default:
                        return ctl_usage_error(cmd, "unknown option");
                }
        }
        if (optind < argc)
                return ctl_usage_error(cmd, "unexpected argument `%.200s`", argv[optind]);
        if (!*ifc->hwaddr && !*ifc->device && !*ifc->name && !*ifc->devicepath)
                return ctl_usage_error(cmd,
                                       "say which link: --mac MAC, --device-path PCI_PATH, --device NAME or --name NAME");
        return 0;
}

static int cmd_update_interface(struct ctl *ctl, int argc, char **argv)
{
        Grpc__UpdateInterfaceRequest req = GRPC__UPDATE_INTERFACE_REQUEST__INIT;
        Types__Interface ifc = TYPES__INTERFACE__INIT;
        Types__IPAddress *addrs[CTL_NET_MAX_ADDRS];
        char mac[CTL_MAC_TEXT_LEN];
        ProtobufCMessage *m = NULL;

        ifc.ipaddresses = addrs;
        int code = update_interface_options(argc, argv, &ifc, addrs, mac);
        if (code == 0) {
                req.interface = &ifc;
                code = ctl_call(ctl, AGENT_SERVICE, "UpdateInterface", &req.base, &types__interface__descriptor, &m);
        }
        for (size_t i = 0; i < ifc.n_ipaddresses; i++)
                protobuf_c_message_free_unpacked(&addrs[i]->base, NULL);
        if (code)
                return code;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "interface");
                ctl_print_interface_json(&ctl->out, (const Types__Interface *)m);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                ctl_print_interface_text((const Types__Interface *)m);
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
}

static int cmd_list_routes(struct ctl *ctl, int argc, char **argv)
{
        Grpc__ListRoutesRequest req = GRPC__LIST_ROUTES_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        int code = no_arguments("list-routes", argc, argv);
        if (code)
                return code;
        code = ctl_call(ctl, AGENT_SERVICE, "ListRoutes", &req.base, &grpc__routes__descriptor, &m);
        if (code)
                return code;
        ctl_print_routes(ctl, (const Grpc__Routes *)m);
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
}

static int update_routes_options(int argc, char **argv, Grpc__Routes *routes)
{
        static const struct option options[] = {
                { "route", required_argument, NULL, 'r' },
                { "clear", no_argument, NULL, 'c' },
                {},
        };
        const char *cmd = "update-routes";
        struct rpc_error e = { 0 };
        bool clear = false;
        int opt;
        while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (opt == 'c') {
                        clear = true;
                        continue;
                }
                if (opt != 'r')
                        return ctl_usage_error(cmd, "unknown option");
                if (routes->n_routes == CTL_NET_MAX_ROUTES)
                        return ctl_usage_error(cmd, "at most %d --route", CTL_NET_MAX_ROUTES);
                if (ctl_route_parse(optarg, &routes->routes[routes->n_routes], &e) < 0)
                        return ctl_usage_error(cmd, "--route `%.200s`: %s", optarg, e.msg);
                routes->n_routes++;
        }
        if (optind < argc)
                return ctl_usage_error(cmd, "unexpected argument `%.200s`", argv[optind]);
        if (clear == (routes->n_routes > 0))
                return ctl_usage_error(cmd, clear ? "--clear and --route exclude each other"
                                                  : "give the routes (--route SPEC...), or --clear for none");
        return 0;
}

static int cmd_update_routes(struct ctl *ctl, int argc, char **argv)
{
        Grpc__UpdateRoutesRequest req = GRPC__UPDATE_ROUTES_REQUEST__INIT;
        Grpc__Routes routes = GRPC__ROUTES__INIT;
        ProtobufCMessage *m = NULL;

        routes.routes = calloc(CTL_NET_MAX_ROUTES, sizeof *routes.routes);
        if (!routes.routes) {
                ctl_report_error(ctl, GRPC_RESOURCE_EXHAUSTED, "out of memory");
                return GRPC_RESOURCE_EXHAUSTED;
        }
        int code = update_routes_options(argc, argv, &routes);
        if (code == 0) {
                req.routes = &routes;
                code = ctl_call(ctl, AGENT_SERVICE, "UpdateRoutes", &req.base, &grpc__routes__descriptor, &m);
        }
        free_messages(routes.routes, routes.n_routes);
        if (code)
                return code;
        ctl_print_routes(ctl, (const Grpc__Routes *)m);
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
}

static int add_neighbors_options(int argc, char **argv, Grpc__ARPNeighbors *list)
{
        static const struct option options[] = { { "neighbor", required_argument, NULL, 'n' }, {} };
        const char *cmd = "add-arp-neighbors";
        struct rpc_error e = { 0 };
        int opt;
        while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (opt != 'n')
                        return ctl_usage_error(cmd, "unknown option");
                if (list->n_arpneighbors == CTL_NET_MAX_NEIGHBORS)
                        return ctl_usage_error(cmd, "at most %d --neighbor", CTL_NET_MAX_NEIGHBORS);
                if (ctl_neighbor_parse(optarg, &list->arpneighbors[list->n_arpneighbors], &e) < 0)
                        return ctl_usage_error(cmd, "--neighbor `%.200s`: %s", optarg, e.msg);
                list->n_arpneighbors++;
        }
        if (optind < argc)
                return ctl_usage_error(cmd, "unexpected argument `%.200s`", argv[optind]);
        if (list->n_arpneighbors == 0)
                return ctl_usage_error(cmd, "give at least one --neighbor SPEC");
        return 0;
}

static int cmd_add_arp_neighbors(struct ctl *ctl, int argc, char **argv)
{
        Grpc__AddARPNeighborsRequest req = GRPC__ADD_ARPNEIGHBORS_REQUEST__INIT;
        Grpc__ARPNeighbors list = GRPC__ARPNEIGHBORS__INIT;

        list.arpneighbors = calloc(CTL_NET_MAX_NEIGHBORS, sizeof *list.arpneighbors);
        if (!list.arpneighbors) {
                ctl_report_error(ctl, GRPC_RESOURCE_EXHAUSTED, "out of memory");
                return GRPC_RESOURCE_EXHAUSTED;
        }
        int code = add_neighbors_options(argc, argv, &list);
        if (code == 0) {
                req.neighbors = &list;
                code = ctl_call(ctl, AGENT_SERVICE, "AddARPNeighbors", &req.base, NULL, NULL);
        }
        size_t n = list.n_arpneighbors;
        free_messages(list.arpneighbors, n);
        if (code)
                return code;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "neighbors");
                json_uint(&ctl->out, n);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("%zu neighbor%s added\n", n, n == 1 ? "" : "s");
        return 0;
}

#define INTERFACE_FORMAT_HELP                                                                                      \
        "Prints one block per link, its addresses below it:\n"                                                     \
        "  NAME mac MAC mtu N flags 0xHEX [type KIND]\n"                                                           \
        "      inet 192.0.2.2/24\n"                                                                                \
        "      inet6 2001:db8::2/64\n"                                                                             \
        "(mac - when the link has no hardware address; type is the link kind, such as veth or dummy).\n"

#define ROUTE_FORMAT_HELP                                                                                          \
        "Prints one line per route of the main table, IPv4 first:\n"                                               \
        "  DEST [via GW] [dev DEV] [src SRC] [scope N] [mtu N] [flags N]\n"                                        \
        "DEST is `default` for the default route, `default inet6` for IPv6's; zero scope, mtu and\n"              \
        "flags are left out.\n"

const struct ctl_command ctl_network_commands[] = {
        { "list-interfaces", "the guest's links and their addresses (ListInterfaces)",
          "\n\n" INTERFACE_FORMAT_HELP "--json: {\"interfaces\":[{\"name\":N,\"device\":D,\"hw_addr\":MAC,\"mtu\":N,"
          "\"raw_flags\":N,\"type\":KIND,\"device_path\":P,\"addresses\":[{\"family\":4|6,\"address\":A,"
          "\"mask\":\"24\"}]}]}.",
          cmd_list_interfaces },
        { "update-interface", "configure one link: name, MTU, flags, addresses; brings it up (UpdateInterface)",
          "(--mac MAC | --device-path P | --device NAME | --name NAME) [--name NEW] [--mtu N] [--raw-flags N]\n"
          "                 [--addr ADDR/PREFIX]...\n\n"
          "  --mac MAC            select the link by hardware address (six hex pairs, e.g. 02:00:00:00:00:01)\n"
          "  --device-path P      the NIC's PCI path (e.g. 06, 02/01): the agent waits for a hotplugged NIC's\n"
          "                       interface (agent.hotplug_timeout), then selects it unless --mac is given\n"
          "  --device NAME        select the link by its current name\n"
          "  --name NAME          the name the link gets; selects it when neither --mac nor --device is given\n"
          "  --mtu N              set the MTU (0, the default, leaves it)\n"
          "  --raw-flags N        IFF_NOARP, IFF_PROMISC, IFF_ALLMULTI, IFF_MULTICAST set or cleared as N has\n"
          "                       them (decimal or 0x-hex; 0, the default, leaves them)\n"
          "  --addr ADDR/PREFIX   an IPv4 or IPv6 address, repeatable (at most 64): the link's addresses\n"
          "                       become exactly these (IPv6 link-local ones stay); none removes them all\n\n"
          "The ctl checks the shape of addresses; the agent refuses a malformed one (exit 3) and a link\n"
          "it cannot find (exit 5). Prints the link as it now is:\n" INTERFACE_FORMAT_HELP
          "--json: {\"interface\":{...}}, an entry as list-interfaces prints it.\n"
          "e.g. update-interface --mac 02:00:00:00:00:01 --name eth0 --mtu 1500 \\\n"
          "         --addr 192.0.2.2/24 --addr 2001:db8::2/64",
          cmd_update_interface },
        { "list-routes", "the guest's main routing table (ListRoutes)",
          "\n\n" ROUTE_FORMAT_HELP "--json: {\"routes\":[{\"dest\":D,\"gateway\":G,\"device\":DEV,\"source\":S,"
          "\"scope\":N,\"family\":4|6,\"flags\":N,\"mtu\":N}]} (dest \"\" for the default route).",
          cmd_list_routes },
        { "update-routes", "replace the guest's routes, keeping the kernel's own (UpdateRoutes)",
          "(--route SPEC... | --clear)\n\n"
          "  --route SPEC   a route, repeatable (at most 4096)\n"
          "  --clear        remove every route but the kernel's own\n\n"
          "Route SPEC, comma-separated KEY=VALUE items:\n"
          "  dest=ADDR[/PREFIX]|default   destination; no dest, or default, is the default route\n"
          "  via=ADDR         gateway\n"
          "  dev=NAME         link\n"
          "  src=ADDR         preferred source address\n"
          "  scope=S          global, site, link, host, nowhere, or a number up to 255\n"
          "  mtu=N            route MTU\n"
          "  flags=N          rtm_flags (decimal or 0x-hex), or flags=onlink (4)\n"
          "  onlink           the same as flags=onlink\n"
          "  family=4|6       the family of a default route without via or src (default 4)\n"
          "At most 1024 bytes per SPEC; each key once.\n\n"
          "The agent adds routes without a gateway before routes with one. Prints the resulting\n"
          "table as list-routes does (--json too).\n"
          "e.g. update-routes --route dest=192.0.2.0/24,dev=eth0,scope=link \\\n"
          "         --route dest=default,via=192.0.2.1,dev=eth0 --route dest=2001:db8::/32,dev=eth0 \\\n"
          "         --route dest=198.51.100.0/24,via=192.0.2.254,dev=eth0,onlink",
          cmd_update_routes },
        { "add-arp-neighbors", "add (or replace) ARP/NDP neighbor entries (AddARPNeighbors)",
          "--neighbor SPEC...\n\n"
          "  --neighbor SPEC   a neighbor, repeatable (at most 1024)\n\n"
          "Neighbor SPEC, comma-separated KEY=VALUE items:\n"
          "  ip=ADDR          its IPv4 or IPv6 address                            (required)\n"
          "  dev=NAME         the link                                            (required)\n"
          "  lladdr=MAC       its hardware address, e.g. 02:00:00:00:00:09        (required)\n"
          "  state=N          NUD state (decimal or 0x-hex; 0, the default, is PERMANENT 0x80)\n"
          "  flags=N          ndm_flags (decimal or 0x-hex)\n"
          "Prints `N neighbors added`; --json: {\"neighbors\":N}.\n"
          "e.g. add-arp-neighbors --neighbor ip=192.0.2.9,dev=eth0,lladdr=02:00:00:00:00:09",
          cmd_add_arp_neighbors },
        {},
};
