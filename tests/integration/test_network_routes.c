/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's route RPCs against the real agent, in a network namespace this
 * program owns (see test_network.h): UpdateRoutes (IPv4 and IPv6, link routes
 * added before gateway routes whatever the request's order, the kernel's
 * routes kept, everything else replaced, repeats change nothing), ListRoutes
 * against `ip route`, the rollback of a request the kernel refuses halfway,
 * the error table, and a ping between two namespaces configured through the
 * agent.
 */
#include "test_network.h"

#define RT_SCOPE_LINK_VALUE 253

/* kt0, up, with 192.0.2.2/24 and 2001:db8::2/64. */
static void make_kt0(void)
{
        make_link("kt0", "02:00:00:00:00:0a");
        ip_ok("link set kt0 up");
        ip_ok("addr add 192.0.2.2/24 dev kt0");
        ip_ok("addr add 2001:db8::2/64 dev kt0 nodad");
        wait_dad_done("kt0");
}

static size_t count_lines(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                n += *s == '\n';
        return n;
}

/* Is `r` (an answer's route) a line of `ip route` for its family? */
static void expect_route_in_ip(const Types__Route *r)
{
        bool v6 = r->family == TYPES__IPFAMILY__v6;
        char out[OUT_MAX], dest[80], want[80], *save = NULL;
        assert_int_equal(ip_out(out, sizeof out, "%s route show", v6 ? "-6" : "-4"), 0);
        /* `ip` prints host routes without their /32 or /128. */
        snprintf(dest, sizeof dest, "%s", r->dest[0] ? r->dest : "default");
        char *slash = strchr(dest, '/');
        if (slash && streq(slash + 1, v6 ? "128" : "32"))
                *slash = '\0';
        strcat(dest, " ");
        for (char *tok = strtok_r(out, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
                char line[512];
                snprintf(line, sizeof line, "%s ", tok); /* every field ends with a space */
                if (!startswith(line, dest))
                        continue;
                snprintf(want, sizeof want, " dev %s ", r->device);
                if (!strstr(line, want))
                        continue;
                snprintf(want, sizeof want, " via %s ", r->gateway);
                if (r->gateway[0] ? !strstr(line, want) : !!strstr(line, " via "))
                        continue;
                snprintf(want, sizeof want, " src %s ", r->source);
                if (r->source[0] ? !strstr(line, want) : !!strstr(line, " src "))
                        continue;
                snprintf(want, sizeof want, " mtu %u ", r->mtu);
                if (r->mtu ? !strstr(line, want) : !!strstr(line, " mtu "))
                        continue;
                if (!v6 && (r->scope == RT_SCOPE_LINK_VALUE) != !!strstr(line, " scope link "))
                        continue;
                return;
        }
        fail_msg("no `ip route` line for dest \"%s\" gateway \"%s\" device \"%s\" source \"%s\" scope %u mtu %u",
                 r->dest, r->gateway, r->device, r->source, r->scope, r->mtu);
}

/* The answer is the whole main table: every route is in `ip route`, and as many. */
static void expect_table_agrees(const Grpc__Routes *rs)
{
        char table[2 * OUT_MAX];
        bool seen_v6 = false;
        for (size_t i = 0; i < rs->n_routes; i++) {
                expect_route_in_ip(rs->routes[i]);
                /* IPv4 first, then IPv6. */
                if (rs->routes[i]->family == TYPES__IPFAMILY__v6)
                        seen_v6 = true;
                else
                        assert_false(seen_v6);
        }
        route_tables(table, sizeof table);
        if (count_lines(table) != rs->n_routes)
                fail_msg("the answer has %zu routes, `ip route` %zu:\n%s", rs->n_routes, count_lines(table), table);
}

static const Types__Route *find_route(const Grpc__Routes *rs, const char *dest, const char *device)
{
        for (size_t i = 0; i < rs->n_routes; i++)
                if (streq(rs->routes[i]->dest, dest) && streq(rs->routes[i]->device, device))
                        return rs->routes[i];
        fail_msg("no route to \"%s\" on %s in the answer", dest, device);
        return NULL;
}

static void test_update_routes(void **state)
{
        struct agent_proc *a = *state;
        char msg[512], table[2 * OUT_MAX], again[2 * OUT_MAX];
        make_kt0();
        /* Routes that are not the kernel's and not asked for: they go. */
        ip_ok("route add 198.51.100.77 dev kt0");
        ip_ok("route add default via 192.0.2.254 dev kt0");
        ip_ok("-6 route add 2001:db8:9::/64 dev kt0");

        /* Gateway routes first: the one via 198.51.100.1 needs the link route that comes last. */
        Types__Route r[] = {
                route("default", "192.0.2.1", "kt0"),
                route("198.51.100.128/25", "198.51.100.1", "kt0"),
                route("198.51.100.0/24", "192.0.2.1", "kt0"),
                route("2001:db8:1::/64", "2001:db8::1", "kt0"),
                route("198.51.100.16/28", "192.0.2.1", "kt0"),
                route("198.51.100.0/28", "", "kt0"),
                route("192.0.2.0/24", "", "kt0"), /* the kernel's own: left as it is */
        };
        r[4].source = "192.0.2.2";
        r[4].mtu = 1300;
        r[6].source = "192.0.2.2";
        r[6].scope = RT_SCOPE_LINK_VALUE;
        Types__Route *list[] = { &r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6] };
        Grpc__Routes *got = NULL;
        expect_ok("UpdateRoutes", update_routes(a, list, 7, &got, msg, sizeof msg), msg);
        expect_table_agrees(got);

        const Types__Route *def = find_route(got, "", "kt0");
        assert_string_equal(def->gateway, "192.0.2.1");
        assert_int_equal(def->family, TYPES__IPFAMILY__v4);
        assert_string_equal(find_route(got, "198.51.100.128/25", "kt0")->gateway, "198.51.100.1");
        assert_string_equal(find_route(got, "198.51.100.0/24", "kt0")->gateway, "192.0.2.1");
        const Types__Route *v6 = find_route(got, "2001:db8:1::/64", "kt0");
        assert_string_equal(v6->gateway, "2001:db8::1");
        assert_int_equal(v6->family, TYPES__IPFAMILY__v6);
        const Types__Route *mtu = find_route(got, "198.51.100.16/28", "kt0");
        assert_int_equal(mtu->mtu, 1300);
        assert_string_equal(mtu->source, "192.0.2.2");
        /* No gateway, scope 0: a link-scope route. */
        assert_int_equal(find_route(got, "198.51.100.0/28", "kt0")->scope, RT_SCOPE_LINK_VALUE);

        route_tables(table, sizeof table);
        /* The kernel's routes stayed (once); the test's own went. */
        assert_non_null(strstr(table, "192.0.2.0/24 dev kt0 proto kernel scope link src 192.0.2.2"));
        assert_null(strstr(strstr(table, "192.0.2.0/24 dev kt0") + 1, "192.0.2.0/24 dev kt0"));
        assert_non_null(strstr(table, "2001:db8::/64 dev kt0 proto kernel"));
        assert_non_null(strstr(table, "fe80::/64 dev kt0 proto kernel"));
        assert_null(strstr(table, "198.51.100.77"));
        assert_null(strstr(table, "192.0.2.254"));
        assert_null(strstr(table, "2001:db8:9::"));
        char v4[OUT_MAX];
        assert_int_equal(ip_out(v4, sizeof v4, "-4 route show"), 0);
        if (count_lines(v4) != 6)
                fail_msg("expected 6 IPv4 routes (5 asked for, 1 the kernel's):\n%s", v4);

        /* The same request again: the same table, the same answer. */
        uint8_t first[4096], second[4096];
        size_t first_len = protobuf_c_message_get_packed_size(&got->base);
        assert_true(first_len <= sizeof first);
        protobuf_c_message_pack(&got->base, first);
        protobuf_c_message_free_unpacked(&got->base, NULL);
        expect_ok("UpdateRoutes repeated", update_routes(a, list, 7, &got, msg, sizeof msg), msg);
        route_tables(again, sizeof again);
        assert_string_equal(table, again);
        assert_int_equal(protobuf_c_message_get_packed_size(&got->base), first_len);
        protobuf_c_message_pack(&got->base, second);
        assert_memory_equal(first, second, first_len);
        protobuf_c_message_free_unpacked(&got->base, NULL);

        /* An empty list leaves only the kernel's routes. */
        expect_ok("UpdateRoutes empty", update_routes(a, NULL, 0, &got, msg, sizeof msg), msg);
        expect_table_agrees(got);
        route_tables(table, sizeof table);
        char *save = NULL;
        for (char *line = strtok_r(table, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (!strstr(line, " proto kernel "))
                        fail_msg("a route other than the kernel's is left: %s", line);
        protobuf_c_message_free_unpacked(&got->base, NULL);
}

static Grpc__Routes *list_routes(struct agent_proc *a)
{
        Grpc__ListRoutesRequest req = GRPC__LIST_ROUTES_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        char msg[512];
        expect_ok("ListRoutes", call(a, "ListRoutes", &req.base, &grpc__routes__descriptor, &m, msg, sizeof msg), msg);
        return (Grpc__Routes *)m;
}

static const Types__Route *find_family_route(const Grpc__Routes *rs, const char *dest, int family)
{
        for (size_t i = 0; i < rs->n_routes; i++)
                if (streq(rs->routes[i]->dest, dest) && (int)rs->routes[i]->family == family)
                        return rs->routes[i];
        fail_msg("ListRoutes has no %s route to \"%s\"", family ? "IPv6" : "IPv4", dest);
        return NULL;
}

static void test_list_routes(void **state)
{
        struct agent_proc *a = *state;
        make_kt0();
        ip_ok("route add default via 192.0.2.1 dev kt0");
        ip_ok("route add 198.51.100.0/24 via 192.0.2.1 dev kt0 src 192.0.2.2 mtu 1300");
        ip_ok("route add 198.51.100.77 dev kt0 scope link");
        ip_ok("-6 route add 2001:db8:1::/64 via 2001:db8::1 dev kt0");
        ip_ok("-6 route add default via 2001:db8::1 dev kt0");

        Grpc__Routes *rs = list_routes(a);
        expect_table_agrees(rs);
        const Types__Route *def = find_family_route(rs, "", TYPES__IPFAMILY__v4);
        assert_string_equal(def->gateway, "192.0.2.1");
        assert_string_equal(def->device, "kt0");
        assert_string_equal(def->source, "");
        assert_int_equal(def->mtu, 0);
        assert_string_equal(find_family_route(rs, "", TYPES__IPFAMILY__v6)->gateway, "2001:db8::1");
        const Types__Route *via = find_family_route(rs, "198.51.100.0/24", TYPES__IPFAMILY__v4);
        assert_string_equal(via->gateway, "192.0.2.1");
        assert_string_equal(via->source, "192.0.2.2");
        assert_int_equal(via->mtu, 1300);
        assert_int_equal(via->scope, 0);
        const Types__Route *kernel = find_family_route(rs, "192.0.2.0/24", TYPES__IPFAMILY__v4);
        assert_string_equal(kernel->gateway, "");
        assert_string_equal(kernel->source, "192.0.2.2");
        assert_int_equal(kernel->scope, RT_SCOPE_LINK_VALUE);
        assert_int_equal(find_family_route(rs, "198.51.100.77/32", TYPES__IPFAMILY__v4)->scope, RT_SCOPE_LINK_VALUE);
        assert_string_equal(find_family_route(rs, "2001:db8:1::/64", TYPES__IPFAMILY__v6)->gateway, "2001:db8::1");
        find_family_route(rs, "2001:db8::/64", TYPES__IPFAMILY__v6);
        protobuf_c_message_free_unpacked(&rs->base, NULL);
}

static void test_update_routes_rollback(void **state)
{
        struct agent_proc *a = *state;
        char msg[512], before[2 * OUT_MAX], after[2 * OUT_MAX];
        make_kt0();
        ip_ok("route add default via 192.0.2.1 dev kt0");
        ip_ok("route add 198.51.100.0/24 via 192.0.2.1 dev kt0 src 192.0.2.2 mtu 1300");
        ip_ok("route add 198.51.100.77 dev kt0 scope link");
        ip_ok("-6 route add 2001:db8:1::/64 via 2001:db8::1 dev kt0");
        route_tables(before, sizeof before);

        /* The third route's gateway is on no link: the kernel refuses it after two went in. */
        Types__Route r[] = {
                route("198.51.100.64/26", "192.0.2.1", "kt0"),
                route("2001:db8:2::/64", "2001:db8::1", "kt0"),
                route("198.51.100.0/28", "198.51.100.1", "kt0"),
                route("default", "192.0.2.3", "kt0"),
        };
        Types__Route *list[] = { &r[0], &r[1], &r[2], &r[3] };
        int code = update_routes(a, list, 4, NULL, msg, sizeof msg);
        expect_error("UpdateRoutes with an unreachable gateway", code, msg, GRPC_FAILED_PRECONDITION,
                     "198.51.100.1", NULL);
        /* The agent's libc (musl) says "Network unreachable", glibc "Network is unreachable". */
        if (!strstr(msg, "Network unreachable") && !strstr(msg, "Network is unreachable"))
                fail_msg("the message lacks ENETUNREACH's text: %s", msg);
        route_tables(after, sizeof after);
        if (!streq(before, after))
                fail_msg("the table changed after a failed UpdateRoutes:\nbefore:\n%s\nafter:\n%s", before, after);

        /* The same with the IPv6 route failing (its gateway is on no link either). */
        r[2] = route("2001:db8:3::/64", "2001:db8:5::1", "kt0");
        code = update_routes(a, list, 4, NULL, msg, sizeof msg);
        if (code == GRPC_OK)
                fail_msg("UpdateRoutes via 2001:db8:5::1 (on no link) answered OK");
        assert_non_null(strstr(msg, "2001:db8:5::1"));
        route_tables(after, sizeof after);
        if (!streq(before, after))
                fail_msg("the table changed after a failed UpdateRoutes:\nbefore:\n%s\nafter:\n%s", before, after);
}

static void expect_route_refused(struct agent_proc *a, Types__Route r, int want, const char *field, const char *text,
                                 const char *table)
{
        char msg[512], after[2 * OUT_MAX], what[160];
        Types__Route ok = route("198.51.100.0/24", "192.0.2.1", "kt0");
        Types__Route *list[] = { &ok, &r };
        snprintf(what, sizeof what, "UpdateRoutes with %s \"%s\"", field ? field : "text", text);
        expect_error(what, update_routes(a, list, 2, NULL, msg, sizeof msg), msg, want, text, field, NULL);
        route_tables(after, sizeof after);
        if (!streq(table, after))
                fail_msg("%s changed the table:\nbefore:\n%s\nafter:\n%s", what, table, after);
}

static void test_route_errors(void **state)
{
        struct agent_proc *a = *state;
        char table[2 * OUT_MAX], msg[512];
        make_kt0();
        ip_ok("route add 198.51.100.77 dev kt0 scope link");
        route_tables(table, sizeof table);

        expect_route_refused(a, route("198.51.100.0/24", "192.0.2.1", "ktnope"), GRPC_NOT_FOUND, NULL, "ktnope",
                             table);
        expect_route_refused(a, route("198.51.100.0/33", "192.0.2.1", "kt0"), GRPC_INVALID_ARGUMENT, "dest",
                             "198.51.100.0/33", table);
        expect_route_refused(a, route("not-an-address", "", "kt0"), GRPC_INVALID_ARGUMENT, "dest", "not-an-address",
                             table);
        expect_route_refused(a, route("2001:db8:1::/129", "", "kt0"), GRPC_INVALID_ARGUMENT, "dest",
                             "2001:db8:1::/129", table);
        expect_route_refused(a, route("198.51.100.0/24", "192.0.2.300", "kt0"), GRPC_INVALID_ARGUMENT, "gateway",
                             "192.0.2.300", table);
        Types__Route bad_src = route("198.51.100.0/24", "192.0.2.1", "kt0");
        bad_src.source = "192.0.2.x";
        expect_route_refused(a, bad_src, GRPC_INVALID_ARGUMENT, "source", "192.0.2.x", table);

        /* More than 4096 routes: refused, saying the limit. */
        enum { TOO_MANY = 4097 };
        Types__Route one = route("198.51.100.0/24", "192.0.2.1", "kt0");
        Types__Route **many = calloc(TOO_MANY, sizeof *many);
        for (size_t i = 0; i < TOO_MANY; i++)
                many[i] = &one;
        expect_error("UpdateRoutes with 4097 routes", update_routes(a, many, TOO_MANY, NULL, msg, sizeof msg), msg,
                     GRPC_INVALID_ARGUMENT, "4096", NULL);
        free(many);
}

/*
 * ktv0 here, ktv0p in a second namespace (configured with `ip`); ktv0 is
 * configured only through the agent. The peer also has 198.51.100.1 and
 * 2001:db8:1::1 on its lo: reachable once UpdateRoutes routes them via it.
 */
static void test_ping_between_namespaces(void **state)
{
        struct agent_proc *a = *state;
        char msg[512];
        int peer = new_peer_namespace();
        ip_ok("link add ktv0 type veth peer name ktv0p");
        ip_ok("link set ktv0p netns /proc/%d/fd/%d", getpid(), peer);
        ip_ok_in(peer, "link set lo up");
        ip_ok_in(peer, "addr add 198.51.100.1/32 dev lo");
        ip_ok_in(peer, "addr add 2001:db8:1::1/128 dev lo");
        ip_ok_in(peer, "addr add 192.0.2.1/24 dev ktv0p");
        ip_ok_in(peer, "addr add 2001:db8::1/64 dev ktv0p nodad");
        ip_ok_in(peer, "link set ktv0p up");

        Types__Interface want = TYPES__INTERFACE__INIT;
        Types__IPAddress *addrs[] = { ipaddr("192.0.2.2", "24"), ipaddr("2001:db8::2", "64") };
        want.device = "ktv0";
        want.name = "ktv0";
        want.mtu = 1500;
        want.ipaddresses = addrs;
        want.n_ipaddresses = 2;
        expect_ok("UpdateInterface ktv0", update_interface(a, &want, NULL, msg, sizeof msg), msg);

        /* Both ways, both families, at once (IPv6 without waiting for DAD). */
        assert_true(icmp_echo("192.0.2.1"));
        assert_true(icmp_echo("2001:db8::1"));
        assert_true(icmp_echo_in(peer, "192.0.2.2"));
        assert_true(icmp_echo_in(peer, "2001:db8::2"));

        /* Beyond the peer: unreachable until routed. */
        assert_false(icmp_echo("198.51.100.1"));
        assert_false(icmp_echo("2001:db8:1::1"));
        Types__Route r[] = { route("198.51.100.0/24", "192.0.2.1", "ktv0"),
                             route("2001:db8:1::/64", "2001:db8::1", "ktv0") };
        Types__Route *list[] = { &r[0], &r[1] };
        expect_ok("UpdateRoutes via the peer", update_routes(a, list, 2, NULL, msg, sizeof msg), msg);
        assert_true(icmp_echo("198.51.100.1"));
        assert_true(icmp_echo("2001:db8:1::1"));
        close(peer);
        free(addrs[0]);
        free(addrs[1]);
}

int main(void)
{
        net_enter_namespace();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_update_routes, net_setup, net_teardown),
                cmocka_unit_test_setup_teardown(test_list_routes, net_setup, net_teardown),
                cmocka_unit_test_setup_teardown(test_update_routes_rollback, net_setup, net_teardown),
                cmocka_unit_test_setup_teardown(test_route_errors, net_setup, net_teardown),
                cmocka_unit_test_setup_teardown(test_ping_between_namespaces, net_setup, net_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
