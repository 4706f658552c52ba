/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's interface RPCs against the real agent, in a network namespace
 * this program owns (see test_network.h): ListInterfaces, UpdateInterface by
 * MAC and by name (rename, MTU, raw flags, the address set replaced, IPv6
 * usable at once, repeats change nothing), AddARPNeighbors, and the error
 * table (unknown link, malformed text, the kernel's refusals).
 * Routes and the ping between namespaces: test_network_routes.c.
 */
#include "test_network.h"

#define MAC0 "02:00:00:00:00:0a"
#define IFF_LOWER_UP_BIT 0x10000 /* linux/if.h's IFF_LOWER_UP (that header clashes with net/if.h) */

/* msg quotes text ("x", 'x', `x`, or after a colon at the end). */
static void expect_quoted(const char *msg, const char *text)
{
        static const char quotes[] = "\"'`";
        char q[128];
        for (size_t i = 0; i < sizeof quotes - 1; i++) {
                snprintf(q, sizeof q, "%c%s%c", quotes[i], text, quotes[i]);
                if (strstr(msg, q))
                        return;
        }
        snprintf(q, sizeof q, ": %s", text);
        size_t len = strlen(msg), qlen = strlen(q);
        if (len >= qlen && streq(msg + len - qlen, q))
                return;
        fail_msg("message \"%s\" does not quote \"%s\"", msg, text);
}

static Types__Interface *find_interface(Grpc__Interfaces *list, const char *name)
{
        for (size_t i = 0; i < list->n_interfaces; i++)
                if (streq(list->interfaces[i]->name, name))
                        return list->interfaces[i];
        fail_msg("ListInterfaces has no %s", name);
        return NULL;
}

static bool has_address(const Types__Interface *i, const char *addr, const char *mask)
{
        for (size_t k = 0; k < i->n_ipaddresses; k++)
                if (streq(i->ipaddresses[k]->address, addr) && streq(i->ipaddresses[k]->mask, mask))
                        return true;
        return false;
}

static size_t count_link_local(const Types__Interface *i)
{
        size_t n = 0;
        for (size_t k = 0; k < i->n_ipaddresses; k++)
                if (startswith(i->ipaddresses[k]->address, "fe80:")) {
                        assert_int_equal(i->ipaddresses[k]->family, TYPES__IPFAMILY__v6);
                        assert_string_equal(i->ipaddresses[k]->mask, "64");
                        n++;
                }
        return n;
}

/* The kernel's flags for the link (the low 16 bits ifi_flags carries). */
static unsigned kernel_flags(const char *name)
{
        struct ifreq ifr = { 0 };
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
        assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
        close(fd);
        return (unsigned short)ifr.ifr_flags;
}

/* The answer says what `ip addr show` says: name, MAC, MTU, flags and exactly these addresses. */
static void expect_agrees_with_ip(const Types__Interface *i)
{
        char out[OUT_MAX], want[160];
        assert_int_equal(ip_out(out, sizeof out, "addr show dev %s", i->name), 0);
        assert_string_equal(i->device, i->name);
        snprintf(want, sizeof want, " mtu %llu ", (unsigned long long)i->mtu);
        if (!strstr(out, want))
                fail_msg("`ip addr` lacks \"%s\": %s", want, out);
        const char *link = strstr(out, "    link/"); /* link/ether, link/loopback ... then the MAC */
        assert_non_null(link);
        snprintf(want, sizeof want, " %s ", i->hwaddr);
        if (!startswith(strchr(link + 4, ' '), want))
                fail_msg("`ip addr` lacks the MAC \"%s\": %s", i->hwaddr, out);
        /* IFF_RUNNING included: UpdateInterface answers once the link has settled. */
        assert_int_equal(i->raw_flags & 0xffff, kernel_flags(i->name));
        size_t lines = 0;
        for (const char *p = out; (p = strstr(p, "    inet")); p++)
                lines++;
        for (size_t k = 0; k < i->n_ipaddresses; k++) {
                const Types__IPAddress *a = i->ipaddresses[k];
                bool v6 = a->family == TYPES__IPFAMILY__v6;
                assert_int_equal(v6, strchr(a->address, ':') != NULL);
                snprintf(want, sizeof want, "inet%s %s/%s ", v6 ? "6" : "", a->address, a->mask);
                if (!strstr(out, want))
                        fail_msg("`ip addr` lacks \"%s\" the answer has: %s", want, out);
        }
        if (lines != i->n_ipaddresses)
                fail_msg("the answer has %zu addresses, `ip addr` %zu: %s", i->n_ipaddresses, lines, out);
}

static void test_list_interfaces(void **state)
{
        struct agent_proc *a = *state;
        make_link("kt0", MAC0);
        ip_ok("link set kt0 mtu 1450");
        ip_ok("link set kt0 up");
        ip_ok("addr add 192.0.2.5/24 brd + dev kt0");
        ip_ok("addr add 2001:db8::5/64 dev kt0 nodad");
        wait_dad_done("kt0");

        Grpc__Interfaces *list = list_interfaces(a);
        assert_true(list->n_interfaces >= 2);
        /* ifindex order: lo first, with its all-zero MAC and no kind. */
        Types__Interface *lo = list->interfaces[0];
        assert_string_equal(lo->name, "lo");
        assert_string_equal(lo->device, "lo");
        assert_string_equal(lo->hwaddr, "00:00:00:00:00:00");
        assert_string_equal(lo->type, "");
        assert_int_equal(lo->mtu, 65536);
        assert_int_equal(lo->raw_flags & IFF_LOOPBACK, IFF_LOOPBACK);

        Types__Interface *kt0 = find_interface(list, "kt0");
        assert_string_equal(kt0->device, "kt0");
        assert_string_equal(kt0->hwaddr, MAC0);
        assert_int_equal(kt0->mtu, 1450);
        assert_string_equal(kt0->type, link_kind);
        assert_int_equal(kt0->raw_flags & (IFF_UP | IFF_LOWER_UP_BIT), IFF_UP | IFF_LOWER_UP_BIT);
        assert_true(has_address(kt0, "192.0.2.5", "24"));
        assert_true(has_address(kt0, "2001:db8::5", "64"));
        assert_int_equal(count_link_local(kt0), 1);
        assert_int_equal(kt0->n_ipaddresses, 3);
        expect_agrees_with_ip(kt0);
        expect_agrees_with_ip(lo);
        /* A veth's peer is listed with its kind too. */
        if (streq(link_kind, "veth"))
                assert_string_equal(find_interface(list, "kt0p")->type, "veth");
        protobuf_c_message_free_unpacked(&list->base, NULL);
}

/* The address line of `addr` in `ip addr show dev` output: present, and usable now (not tentative). */
static void expect_usable_v6(const char *dev, const char *addr_mask)
{
        char out[OUT_MAX], line[512], needle[80];
        assert_int_equal(ip_out(out, sizeof out, "addr show dev %s", dev), 0);
        snprintf(needle, sizeof needle, "inet6 %s ", addr_mask);
        if (!line_with(out, needle, line, sizeof line))
                fail_msg("%s lacks %s: %s", dev, addr_mask, out);
        if (strstr(line, "tentative") || !strstr(line, "nodad"))
                fail_msg("%s not added with IFA_F_NODAD: %s", addr_mask, line);
}

static void test_update_by_mac(void **state)
{
        struct agent_proc *a = *state;
        char msg[512], out[OUT_MAX];
        make_link("kt0", MAC0);
        ip_ok("addr add 192.0.2.99/24 dev kt0");

        Types__Interface want = TYPES__INTERFACE__INIT;
        Types__IPAddress *addrs[] = { ipaddr("192.0.2.2", "24"), ipaddr("2001:db8::2", "64") };
        want.hwaddr = "02:00:00:00:00:0A"; /* MACs match whatever their case */
        want.name = "ktn0";
        want.mtu = 1400;
        want.ipaddresses = addrs;
        want.n_ipaddresses = 2;
        Types__Interface *got = NULL;
        expect_ok("UpdateInterface by MAC", update_interface(a, &want, &got, msg, sizeof msg), msg);

        assert_string_equal(got->name, "ktn0");
        assert_string_equal(got->hwaddr, MAC0);
        assert_int_equal(got->mtu, 1400);
        assert_string_equal(got->type, link_kind);
        assert_int_equal(got->raw_flags & IFF_UP, IFF_UP);
        assert_true(has_address(got, "192.0.2.2", "24"));
        assert_true(has_address(got, "2001:db8::2", "64"));
        assert_false(has_address(got, "192.0.2.99", "24"));
        expect_agrees_with_ip(got);
        /* Renamed: the old name is gone; IPv4 got its broadcast; IPv6 is usable without DAD. */
        assert_int_not_equal(ip_out(out, sizeof out, "link show kt0"), 0);
        assert_int_equal(ip_out(out, sizeof out, "addr show dev ktn0"), 0);
        assert_non_null(strstr(out, "inet 192.0.2.2/24 brd 192.0.2.255 "));
        assert_null(strstr(out, "192.0.2.99"));
        expect_usable_v6("ktn0", "2001:db8::2/64");
        protobuf_c_message_free_unpacked(&got->base, NULL);
        free(addrs[0]);
        free(addrs[1]);
}

static void snapshot(const char *dev, char *out, size_t size)
{
        char addr[OUT_MAX];
        assert_int_equal(ip_out(out, size, "-d link show dev %s", dev), 0);
        assert_int_equal(ip_out(addr, sizeof addr, "addr show dev %s", dev), 0);
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s", addr);
}

static void test_update_by_name(void **state)
{
        struct agent_proc *a = *state;
        char msg[512], out[OUT_MAX], line[512];
        make_link("kt1", "02:00:00:00:00:0b");
        ip_ok("link set kt1 up");
        ip_ok("addr add 192.0.2.10/24 dev kt1");
        ip_ok("addr add 2001:db8::10/64 dev kt1 nodad");
        wait_dad_done("kt1");

        /* By name only (no hwAddr, no device); NOARP set. */
        Types__Interface want = TYPES__INTERFACE__INIT;
        Types__IPAddress *addrs[] = { ipaddr("192.0.2.11", "24"), ipaddr("2001:db8::11", "64"),
                                      ipaddr("198.51.100.11", "32") };
        want.name = "kt1";
        want.ipaddresses = addrs;
        want.n_ipaddresses = 3;
        want.raw_flags = IFF_UP | IFF_BROADCAST | IFF_NOARP;
        Types__Interface *got = NULL;
        expect_ok("UpdateInterface by name", update_interface(a, &want, &got, msg, sizeof msg), msg);
        assert_int_equal(got->raw_flags & (IFF_NOARP | IFF_MULTICAST), IFF_NOARP);
        assert_true(has_address(got, "192.0.2.11", "24"));
        assert_true(has_address(got, "2001:db8::11", "64"));
        assert_true(has_address(got, "198.51.100.11", "32"));
        /* The old addresses went; the kernel's link-local stayed. */
        assert_false(has_address(got, "192.0.2.10", "24"));
        assert_false(has_address(got, "2001:db8::10", "64"));
        assert_int_equal(count_link_local(got), 1);
        assert_int_equal(got->n_ipaddresses, 4);
        expect_agrees_with_ip(got);
        assert_int_equal(ip_out(out, sizeof out, "link show dev kt1"), 0);
        assert_true(line_with(out, "kt1", line, sizeof line));
        assert_non_null(strstr(line, "NOARP"));
        protobuf_c_message_free_unpacked(&got->base, NULL);

        /* NOARP cleared, MULTICAST set; one address fewer. */
        want.raw_flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST;
        want.n_ipaddresses = 2;
        expect_ok("UpdateInterface clearing NOARP", update_interface(a, &want, &got, msg, sizeof msg), msg);
        assert_int_equal(got->raw_flags & (IFF_NOARP | IFF_MULTICAST), IFF_MULTICAST);
        assert_false(has_address(got, "198.51.100.11", "32"));
        assert_int_equal(got->n_ipaddresses, 3);
        expect_agrees_with_ip(got);
        assert_int_equal(ip_out(out, sizeof out, "link show dev kt1"), 0);
        assert_null(strstr(out, "NOARP"));
        expect_usable_v6("kt1", "2001:db8::11/64");

        /* The same request again: the same answer, byte for byte, and the same link. */
        uint8_t first[2048], second[2048];
        size_t first_len = protobuf_c_message_get_packed_size(&got->base);
        assert_true(first_len <= sizeof first);
        protobuf_c_message_pack(&got->base, first);
        protobuf_c_message_free_unpacked(&got->base, NULL);
        char before[OUT_MAX], after[OUT_MAX];
        snapshot("kt1", before, sizeof before);
        expect_ok("UpdateInterface repeated", update_interface(a, &want, &got, msg, sizeof msg), msg);
        snapshot("kt1", after, sizeof after);
        assert_string_equal(before, after);
        assert_int_equal(protobuf_c_message_get_packed_size(&got->base), first_len);
        protobuf_c_message_pack(&got->base, second);
        assert_memory_equal(first, second, first_len);
        protobuf_c_message_free_unpacked(&got->base, NULL);
        for (size_t k = 0; k < 3; k++)
                free(addrs[k]);
}

static int add_neighbors(struct agent_proc *a, Types__ARPNeighbor **n, size_t count, char *msg, size_t size)
{
        Grpc__AddARPNeighborsRequest req = GRPC__ADD_ARPNEIGHBORS_REQUEST__INIT;
        Grpc__ARPNeighbors list = GRPC__ARPNEIGHBORS__INIT;
        list.arpneighbors = n;
        list.n_arpneighbors = count;
        req.neighbors = &list;
        return call(a, "AddARPNeighbors", &req.base, NULL, NULL, msg, size);
}

static Types__ARPNeighbor neighbor(Types__IPAddress *to, const char *device, const char *lladdr)
{
        Types__ARPNeighbor n = TYPES__ARPNEIGHBOR__INIT;
        n.toipaddress = to;
        n.device = (char *)device;
        n.lladdr = (char *)lladdr;
        return n;
}

static void expect_neighbor(const char *neigh, const char *addr, const char *lladdr)
{
        char line[512];
        if (!line_with(neigh, addr, line, sizeof line))
                fail_msg("`ip neigh` lacks %s: %s", addr, neigh);
        if (!strstr(line, lladdr) || !strstr(line, "PERMANENT"))
                fail_msg("`ip neigh` has %s but not PERMANENT with lladdr %s: %s", addr, lladdr, line);
}

static void test_arp_neighbors(void **state)
{
        struct agent_proc *a = *state;
        char msg[512], out[OUT_MAX], again[OUT_MAX];
        make_link("kt2", "02:00:00:00:00:0c");
        ip_ok("link set kt2 up");
        ip_ok("addr add 192.0.2.2/24 dev kt2");

        Types__IPAddress *v4 = ipaddr("192.0.2.50", ""), *v6 = ipaddr("2001:db8::50", "");
        Types__ARPNeighbor n[] = { neighbor(v4, "kt2", "02:00:00:00:01:50"), neighbor(v6, "kt2", "02:00:00:00:01:51") };
        Types__ARPNeighbor *list[] = { &n[0], &n[1] };
        expect_ok("AddARPNeighbors", add_neighbors(a, list, 2, msg, sizeof msg), msg);
        assert_int_equal(ip_out(out, sizeof out, "neigh show dev kt2"), 0);
        expect_neighbor(out, "192.0.2.50 ", "02:00:00:00:01:50");
        expect_neighbor(out, "2001:db8::50 ", "02:00:00:00:01:51");

        /* Again: harmless, nothing changes. */
        expect_ok("AddARPNeighbors repeated", add_neighbors(a, list, 2, msg, sizeof msg), msg);
        assert_int_equal(ip_out(again, sizeof again, "neigh show dev kt2"), 0);
        assert_string_equal(out, again);

        /* One unknown device: NOT_FOUND, and the good entry before it is not added either. */
        Types__IPAddress *v4b = ipaddr("192.0.2.60", "");
        Types__ARPNeighbor bad[] = { neighbor(v4b, "kt2", "02:00:00:00:01:60"),
                                     neighbor(v4, "ktnope", "02:00:00:00:01:61") };
        Types__ARPNeighbor *badlist[] = { &bad[0], &bad[1] };
        expect_error("AddARPNeighbors unknown device", add_neighbors(a, badlist, 2, msg, sizeof msg), msg,
                     GRPC_NOT_FOUND, "ktnope", NULL);
        assert_int_equal(ip_out(again, sizeof again, "neigh show"), 0);
        assert_null(strstr(again, "192.0.2.60"));

        /* Malformed lladdr and address: INVALID_ARGUMENT naming them. */
        bad[1] = neighbor(v4, "kt2", "02:00:zz:00:01:61");
        expect_error("AddARPNeighbors bad lladdr", add_neighbors(a, badlist, 2, msg, sizeof msg), msg,
                     GRPC_INVALID_ARGUMENT, "02:00:zz:00:01:61", NULL);
        Types__IPAddress *junk = ipaddr("192.0.2.300", "");
        bad[1] = neighbor(junk, "kt2", "02:00:00:00:01:61");
        expect_error("AddARPNeighbors bad address", add_neighbors(a, badlist, 2, msg, sizeof msg), msg,
                     GRPC_INVALID_ARGUMENT, "192.0.2.300", NULL);
        assert_int_equal(ip_out(again, sizeof again, "neigh show"), 0);
        assert_null(strstr(again, "192.0.2.60"));

        /* More than 1024 entries: refused, saying the limit. */
        enum { TOO_MANY = 1025 };
        Types__ARPNeighbor **many = calloc(TOO_MANY, sizeof *many);
        for (size_t i = 0; i < TOO_MANY; i++)
                many[i] = &n[0];
        expect_error("AddARPNeighbors 1025 entries", add_neighbors(a, many, TOO_MANY, msg, sizeof msg), msg,
                     GRPC_INVALID_ARGUMENT, "1024", NULL);
        free(many);
        free(v4), free(v6), free(v4b), free(junk);
}

/* UpdateInterface of kt3 with one address; returns the code, msg the message. */
static int update_one(struct agent_proc *a, const char *hwaddr, const char *name, uint64_t mtu, const char *addr,
                      const char *mask, char *msg, size_t size)
{
        Types__Interface want = TYPES__INTERFACE__INIT;
        Types__IPAddress *addrs[] = { ipaddr(addr, mask) };
        want.hwaddr = (char *)hwaddr;
        want.name = (char *)name;
        want.mtu = mtu;
        want.ipaddresses = addrs;
        want.n_ipaddresses = 1;
        int code = update_interface(a, &want, NULL, msg, size);
        free(addrs[0]);
        return code;
}

static void test_interface_errors(void **state)
{
        struct agent_proc *a = *state;
        char msg[512], out[OUT_MAX];
        make_link("kt3", "02:00:00:00:00:0d");
        ip_ok("addr add 192.0.2.3/24 dev kt3");

        expect_error("unknown MAC", update_one(a, "02:00:00:00:99:99", "kt3", 0, "192.0.2.4", "24", msg, sizeof msg),
                     msg, GRPC_NOT_FOUND, "02:00:00:00:99:99", NULL);
        expect_error("unknown name", update_one(a, "", "ktnope", 0, "192.0.2.4", "24", msg, sizeof msg), msg,
                     GRPC_NOT_FOUND, "ktnope", NULL);
        expect_error("malformed address", update_one(a, "", "kt3", 0, "192.0.2.300", "24", msg, sizeof msg), msg,
                     GRPC_INVALID_ARGUMENT, "address", "192.0.2.300", NULL);
        expect_error("malformed v6 address", update_one(a, "", "kt3", 0, "2001:db8::zz", "64", msg, sizeof msg), msg,
                     GRPC_INVALID_ARGUMENT, "address", "2001:db8::zz", NULL);
        expect_error("prefix 33", update_one(a, "", "kt3", 0, "192.0.2.4", "33", msg, sizeof msg), msg,
                     GRPC_INVALID_ARGUMENT, "33", NULL);
        assert_true(strcasestr(msg, "mask") || strcasestr(msg, "prefix"));
        expect_error("prefix 129", update_one(a, "", "kt3", 0, "2001:db8::4", "129", msg, sizeof msg), msg,
                     GRPC_INVALID_ARGUMENT, "129", NULL);
        expect_error("prefix x", update_one(a, "", "kt3", 0, "192.0.2.4", "x", msg, sizeof msg), msg,
                     GRPC_INVALID_ARGUMENT, NULL);
        expect_quoted(msg, "x");
        assert_true(strcasestr(msg, "mask") || strcasestr(msg, "prefix"));
        expect_error("malformed MAC", update_one(a, "02:00:zz:00:00:0d", "", 0, "192.0.2.4", "24", msg, sizeof msg),
                     msg, GRPC_INVALID_ARGUMENT, "02:00:zz:00:00:0d", NULL);
        assert_true(strcasestr(msg, "MAC") || strcasestr(msg, "hwAddr"));
        /* Nothing of the refused requests reached the link. */
        assert_int_equal(ip_out(out, sizeof out, "addr show dev kt3"), 0);
        assert_non_null(strstr(out, "inet 192.0.2.3/24 "));
        assert_null(strstr(out, "192.0.2.4"));

        /* The kernel refuses: an MTU above the device's maximum (veth: 65535; dummy: none, so a veth here). */
        ip_ok("link add kt4 type veth peer name kt4p");
        expect_error("mtu 100000", update_one(a, "", "kt4", 100000, "192.0.2.4", "24", msg, sizeof msg), msg,
                     GRPC_INVALID_ARGUMENT, "Invalid argument", NULL); /* EINVAL, in musl and glibc alike */
        /*
         * Below IPv6's minimum MTU the kernel drops the link's IPv6 and refuses
         * new IPv6 addresses: the request cannot be carried out, whichever
         * order the agent does it in, and must fail saying why.
         */
        int code = update_one(a, "", "kt4", 1000, "2001:db8::4", "64", msg, sizeof msg);
        if (code == GRPC_OK)
                fail_msg("mtu 1000 with an IPv6 address answered OK");
        assert_non_null(strstr(msg, "2001:db8::4"));
        assert_non_null(strstr(msg, "Invalid argument"));
}

/* A request the kernel refuses part-way leaves the link as it was: name, MTU, state, addresses. */
static void test_refused_update_rolls_back(void **state)
{
        struct agent_proc *a = *state;
        char msg[512], before[OUT_MAX], after[OUT_MAX];
        ip_ok("link add kt5 address 02:00:00:00:05:01 type veth peer name kt5p");
        ip_ok("addr add 198.51.100.50/24 dev kt5");
        assert_int_equal(ip_out(before, sizeof before, "-o addr show dev kt5"), 0);

        /* Renamed first, then the MTU is refused: the name comes back. */
        expect_error("mtu 100000 with a rename", update_one(a, "02:00:00:00:05:01", "ktr5", 100000, "192.0.2.5", "24",
                                                            msg, sizeof msg),
                     msg, GRPC_INVALID_ARGUMENT, "mtu 100000", "the link is back as it was", NULL);
        assert_int_equal(ip_out(after, sizeof after, "-o addr show dev kt5"), 0);
        assert_string_equal(after, before);
        assert_int_equal(ip_out(after, sizeof after, "link show dev kt5"), 0);
        assert_non_null(strstr(after, " mtu 1500 "));
        assert_non_null(strstr(after, "state DOWN"));

        /* The addresses are replaced, then an IPv6 one is refused (IPv6 is off below MTU 1280): all undone. */
        Types__Interface want = TYPES__INTERFACE__INIT;
        Types__IPAddress *addrs[] = { ipaddr("192.0.2.5", "24"), ipaddr("2001:db8::5", "64") };
        addrs[1]->family = TYPES__IPFAMILY__v6;
        want.hwaddr = "02:00:00:00:05:01";
        want.mtu = 1000;
        want.ipaddresses = addrs;
        want.n_ipaddresses = 2;
        expect_error("IPv6 address below MTU 1280", update_interface(a, &want, NULL, msg, sizeof msg), msg,
                     GRPC_INVALID_ARGUMENT, "2001:db8::5", "the link is back as it was", NULL);
        free(addrs[0]);
        free(addrs[1]);
        assert_int_equal(ip_out(after, sizeof after, "-o addr show dev kt5"), 0);
        assert_string_equal(after, before);
        assert_int_equal(ip_out(after, sizeof after, "link show dev kt5"), 0);
        assert_non_null(strstr(after, " mtu 1500 "));
        assert_non_null(strstr(after, "state DOWN"));
}

int main(void)
{
        net_enter_namespace();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_list_interfaces, net_setup, net_teardown),
                cmocka_unit_test_setup_teardown(test_update_by_mac, net_setup, net_teardown),
                cmocka_unit_test_setup_teardown(test_update_by_name, net_setup, net_teardown),
                cmocka_unit_test_setup_teardown(test_arp_neighbors, net_setup, net_teardown),
                cmocka_unit_test_setup_teardown(test_interface_errors, net_setup, net_teardown),
                cmocka_unit_test_setup_teardown(test_refused_update_rolls_back, net_setup, net_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
