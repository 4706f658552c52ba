/* SPDX-License-Identifier: Apache-2.0 */
/* kinglet-ctl's network option values: MAC, --addr ADDR/PREFIX, --route SPEC, --neighbor SPEC. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ctl/spec_net.h"

static Types__Route *route_ok(const char *text)
{
        struct rpc_error e = { 0 };
        Types__Route *r = NULL;
        int err = ctl_route_parse(text, &r, &e);
        if (err != 0)
                fail_msg("`%s`: %d %s", text, err, e.msg);
        assert_true(protobuf_c_message_check(&r->base));
        return r;
}

/* Refused with `want_r`, INVALID_ARGUMENT, a message containing `want`, and *ret untouched. */
static void route_err(const char *text, int want_r, const char *want)
{
        struct rpc_error e = { 0 };
        Types__Route *const untouched = (Types__Route *)(uintptr_t)0x5a5a;
        Types__Route *r = untouched;
        int err = ctl_route_parse(text, &r, &e);
        if (err != want_r || !strstr(e.msg, want))
                fail_msg("`%.80s`: got %d `%s`, want %d `%s`", text, err, e.msg, want_r, want);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_ptr_equal(r, untouched);
}

static void neighbor_err(const char *text, const char *want)
{
        struct rpc_error e = { 0 };
        Types__ARPNeighbor *const untouched = (Types__ARPNeighbor *)(uintptr_t)0x5a5a;
        Types__ARPNeighbor *n = untouched;
        int err = ctl_neighbor_parse(text, &n, &e);
        if (err != -EINVAL || !strstr(e.msg, want))
                fail_msg("`%.80s`: got %d `%s`, want `%s`", text, err, e.msg, want);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_ptr_equal(n, untouched);
}

static void address_err(const char *text, const char *want)
{
        struct rpc_error e = { 0 };
        Types__IPAddress *const untouched = (Types__IPAddress *)(uintptr_t)0x5a5a;
        Types__IPAddress *a = untouched;
        int err = ctl_ip_address_parse(text, &a, &e);
        if (err != -EINVAL || !strstr(e.msg, want))
                fail_msg("`%.80s`: got %d `%s`, want `%s`", text, err, e.msg, want);
        assert_ptr_equal(a, untouched);
}

static void test_mac(void **state)
{
        (void)state;
        char mac[CTL_MAC_TEXT_LEN] = "untouched";
        assert_int_equal(ctl_mac_parse("02:AB:cd:0E:f0:99", mac), 0);
        assert_string_equal(mac, "02:ab:cd:0e:f0:99");
        static const char *const bad[] = {
                "",
                "02:00:00:00:00",        /* five pairs */
                "02:00:00:00:00:01:02",  /* seven */
                "02:00:00:00:00:0g",     /* not hex */
                "02-00-00-00-00-01",     /* another separator */
                "2:00:00:00:00:01",      /* a single digit */
                "02:00:00:00:00:01 ",    /* trailing space */
                "020:00:00:00:00:1",
                "0200.0000.0001",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                memcpy(mac, "untouched", 10);
                if (ctl_mac_parse(bad[i], mac) != -EINVAL)
                        fail_msg("`%s` accepted", bad[i]);
                assert_string_equal(mac, "untouched");
        }
}

static void test_number(void **state)
{
        (void)state;
        uint32_t v = 0;
        assert_int_equal(ctl_number_parse("010", &v), 0); /* decimal, not octal */
        assert_int_equal(v, 10);
        assert_int_equal(ctl_number_parse("0x1F", &v), 0);
        assert_int_equal(v, 31);
        assert_int_equal(ctl_number_parse("0XfFfFfFfF", &v), 0);
        assert_int_equal(v, UINT32_MAX);
        static const char *const bad[] = { "", "0x", "0x0x1", "-1", "+1", " 1", "1 ", "1e3", "0x-1", "4294967296",
                                           "0x100000000" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                v = 77;
                if (ctl_number_parse(bad[i], &v) == 0)
                        fail_msg("`%s` accepted", bad[i]);
                assert_int_equal(v, 77);
        }
}

static void test_ip_address(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        Types__IPAddress *a = NULL;
        assert_int_equal(ctl_ip_address_parse("192.0.2.2/24", &a, &e), 0);
        assert_int_equal(a->family, TYPES__IPFAMILY__v4);
        assert_string_equal(a->address, "192.0.2.2");
        assert_string_equal(a->mask, "24");
        protobuf_c_message_free_unpacked(&a->base, NULL);
        assert_int_equal(ctl_ip_address_parse("2001:DB8::2/64", &a, &e), 0);
        assert_int_equal(a->family, TYPES__IPFAMILY__v6);
        assert_string_equal(a->address, "2001:DB8::2");
        assert_string_equal(a->mask, "64");
        protobuf_c_message_free_unpacked(&a->base, NULL);
        /* The shape only: the agent judges the value (its INVALID_ARGUMENT stays reachable). */
        assert_int_equal(ctl_ip_address_parse("192.0.2.300/33", &a, &e), 0);
        assert_string_equal(a->address, "192.0.2.300");
        assert_string_equal(a->mask, "33");
        protobuf_c_message_free_unpacked(&a->base, NULL);

        address_err("192.0.2.2", "has no /PREFIX");
        address_err("192.0.2.2/", "is not a length");
        address_err("192.0.2.2/2x", "is not a length");
        address_err("192.0.2.2/1234", "is not a length");
        address_err("192.0.2.2/24/8", "is not a length");
        address_err("/24", "is not an IPv4 or IPv6 address");
        address_err("host.example/24", "is not an IPv4 or IPv6 address");
        address_err("1111:2222:3333:4444:5555:6666:7777:8888:9999:0000/64", "is not an IPv4 or IPv6 address");
}

static void test_route_full(void **state)
{
        (void)state;
        Types__Route *r = route_ok("dest=198.51.100.0/24,via=192.0.2.254,dev=eth0,src=192.0.2.2,scope=global,mtu=1400,"
                                   "flags=0x10,onlink");
        assert_string_equal(r->dest, "198.51.100.0/24");
        assert_string_equal(r->gateway, "192.0.2.254");
        assert_string_equal(r->device, "eth0");
        assert_string_equal(r->source, "192.0.2.2");
        assert_int_equal(r->scope, 0);
        assert_int_equal(r->mtu, 1400);
        assert_int_equal(r->flags, 0x10 | CTL_RTNH_F_ONLINK);
        assert_int_equal(r->family, TYPES__IPFAMILY__v4);
        protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void test_route_defaults_and_family(void **state)
{
        (void)state;
        struct {
                const char *text, *dest;
                Types__IPFamily family;
                uint32_t scope, flags;
        } cases[] = {
                { "dest=default,via=192.0.2.1", "", TYPES__IPFAMILY__v4, 0, 0 },
                { "via=2001:db8::1,dev=eth0", "", TYPES__IPFAMILY__v6, 0, 0 },
                { "dest=default,dev=eth0,family=6", "", TYPES__IPFAMILY__v6, 0, 0 },
                { "dev=eth0", "", TYPES__IPFAMILY__v4, 0, 0 },
                { "dest=192.0.2.0/24,dev=eth0,scope=link", "192.0.2.0/24", TYPES__IPFAMILY__v4, 253, 0 },
                { "dest=192.0.2.7,scope=host", "192.0.2.7", TYPES__IPFAMILY__v4, 254, 0 },
                { "dest=2001:db8::/32,family=6,scope=200", "2001:db8::/32", TYPES__IPFAMILY__v6, 200, 0 },
                { "dest=2001:db8::/32,scope=site", "2001:db8::/32", TYPES__IPFAMILY__v6, 200, 0 },
                { "dest=192.0.2.0/24,scope=nowhere,flags=onlink", "192.0.2.0/24", TYPES__IPFAMILY__v4, 255, 4 },
                { "src=2001:db8::2,scope=universe,flags=7", "", TYPES__IPFAMILY__v6, 0, 7 },
                { "dev=eth0,scope=010,flags=010", "", TYPES__IPFAMILY__v4, 10, 10 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                Types__Route *r = route_ok(cases[i].text);
                if (strcmp(r->dest, cases[i].dest) || r->family != cases[i].family || r->scope != cases[i].scope ||
                    r->flags != cases[i].flags)
                        fail_msg("`%s`: dest `%s` family %d scope %u flags %u", cases[i].text, r->dest, r->family,
                                 r->scope, r->flags);
                protobuf_c_message_free_unpacked(&r->base, NULL);
        }
}

static void test_route_refusals(void **state)
{
        (void)state;
        route_err("", -EINVAL, "empty; give KEY=VALUE items");
        route_err("dest=192.0.2.0/24,", -EINVAL, "empty item");
        route_err(",dest=192.0.2.0/24", -EINVAL, "empty item");
        route_err("dest=192.0.2.0/24,,dev=eth0", -EINVAL, "empty item");
        route_err("dest=192.0.2.0/24,metric=5", -EINVAL, "unknown key `metric`");
        route_err("dest=192.0.2.0/24,dest=198.51.100.0/24", -EINVAL, "dest given twice");
        route_err("dest", -EINVAL, "dest needs a value");
        route_err("dest=", -EINVAL, "dest needs a value");
        route_err("dest=192.0.2.0/abc", -EINVAL, "is not a length");
        route_err("dest=gateway.example", -EINVAL, "dest: `gateway.example` is not an IPv4 or IPv6 address");
        route_err("dest=default,via=gw", -EINVAL, "via: `gw` is not an IPv4");
        route_err("dest=default,src=me", -EINVAL, "src: `me` is not an IPv4");
        route_err("dest=default,dev=", -EINVAL, "dev needs a value");
        route_err("dest=default,scope=galaxy", -EINVAL, "scope wants global, site, link");
        route_err("dest=default,scope=256", -EINVAL, "scope wants a number up to 255");
        route_err("dest=default,scope=-1", -EINVAL, "scope wants global");
        route_err("dest=default,mtu=big", -EINVAL, "mtu wants a number");
        route_err("dest=default,mtu=0x10", -EINVAL, "mtu wants a number");
        route_err("dest=default,mtu=4294967296", -EINVAL, "mtu wants a number");
        route_err("dest=default,flags=offlink", -EINVAL, "flags wants a number");
        route_err("dest=default,flags=0x", -EINVAL, "flags wants a number");
        route_err("dest=default,mtu= 1400", -EINVAL, "mtu wants a number");
        route_err("dest=default,onlink=yes", -EINVAL, "onlink takes no value");
        route_err("dest=default,onlink,onlink", -EINVAL, "onlink given twice");
        route_err("dest=default,family=5", -EINVAL, "family wants 4 or 6");
        route_err("dest=default,family=inet", -EINVAL, "family wants 4 or 6");
        route_err("dest=192.0.2.0/24,via=2001:db8::1", -EINVAL, "are not of the same family");
        route_err("dest=2001:db8::/32,src=192.0.2.2", -EINVAL, "are not of the same family");
        route_err("dest=192.0.2.0/24,family=6", -EINVAL, "family=6 but `192.0.2.0/24` is IPv4");
        route_err("via=2001:db8::1,family=4", -EINVAL, "family=4 but `2001:db8::1` is IPv6");
}

static void test_spec_bound(void **state)
{
        (void)state;
        char text[CTL_NET_SPEC_MAX_LEN + 2];
        /* Exactly the bound parses (as far as the bound goes): dev= with a long name. */
        memset(text, 'x', sizeof text);
        memcpy(text, "dev=", 4);
        text[CTL_NET_SPEC_MAX_LEN] = '\0';
        Types__Route *r = route_ok(text);
        assert_int_equal(strlen(r->device), CTL_NET_SPEC_MAX_LEN - 4);
        protobuf_c_message_free_unpacked(&r->base, NULL);
        text[CTL_NET_SPEC_MAX_LEN] = 'x';
        text[CTL_NET_SPEC_MAX_LEN + 1] = '\0';
        route_err(text, -E2BIG, "longer than 1024 bytes");
        struct rpc_error e = { 0 };
        Types__ARPNeighbor *n = NULL;
        assert_int_equal(ctl_neighbor_parse(text, &n, &e), -E2BIG);
        assert_null(n);
}

static void test_neighbor(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        Types__ARPNeighbor *n = NULL;
        assert_int_equal(ctl_neighbor_parse("ip=192.0.2.9,dev=eth0,lladdr=02:00:00:00:00:0A", &n, &e), 0);
        assert_true(protobuf_c_message_check(&n->base));
        assert_non_null(n->toipaddress);
        assert_string_equal(n->toipaddress->address, "192.0.2.9");
        assert_int_equal(n->toipaddress->family, TYPES__IPFAMILY__v4);
        assert_string_equal(n->toipaddress->mask, "");
        assert_string_equal(n->device, "eth0");
        assert_string_equal(n->lladdr, "02:00:00:00:00:0a");
        assert_int_equal(n->state, 0);
        assert_int_equal(n->flags, 0);
        protobuf_c_message_free_unpacked(&n->base, NULL);

        assert_int_equal(ctl_neighbor_parse("lladdr=02:00:00:00:00:0b,state=0x80,dev=eth1,flags=8,ip=2001:db8::9", &n,
                                            &e),
                         0);
        assert_int_equal(n->toipaddress->family, TYPES__IPFAMILY__v6);
        assert_int_equal(n->state, 0x80);
        assert_int_equal(n->flags, 8);
        protobuf_c_message_free_unpacked(&n->base, NULL);

        neighbor_err("dev=eth0,lladdr=02:00:00:00:00:01", "ip= is required");
        neighbor_err("ip=192.0.2.9,lladdr=02:00:00:00:00:01", "dev= is required");
        neighbor_err("ip=192.0.2.9,dev=eth0", "lladdr= is required");
        neighbor_err("ip=192.0.2.9,dev=eth0,lladdr=02:00:00:00:00", "lladdr: `02:00:00:00:00` is not a MAC address");
        neighbor_err("ip=192.0.2.9/24,dev=eth0,lladdr=02:00:00:00:00:01", "ip: `192.0.2.9/24` is not an IPv4");
        neighbor_err("ip=router,dev=eth0,lladdr=02:00:00:00:00:01", "ip: `router` is not an IPv4");
        neighbor_err("ip=192.0.2.9,ip=192.0.2.8,dev=eth0,lladdr=02:00:00:00:00:01", "ip given twice");
        neighbor_err("ip=192.0.2.9,dev=eth0,lladdr=02:00:00:00:00:01,state=2147483648", "state wants a number");
        neighbor_err("ip=192.0.2.9,dev=eth0,lladdr=02:00:00:00:00:01,state=-1", "state wants a number");
        neighbor_err("ip=192.0.2.9,dev=eth0,lladdr=02:00:00:00:00:01,flags=router", "flags wants a number");
        neighbor_err("ip=192.0.2.9,dev=eth0,lladdr=02:00:00:00:00:01,via=192.0.2.1", "unknown key `via`");
        neighbor_err("ip=192.0.2.9,dev=eth0,lladdr=02:00:00:00:00:01,", "empty item");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mac),
                cmocka_unit_test(test_number),
                cmocka_unit_test(test_ip_address),
                cmocka_unit_test(test_route_full),
                cmocka_unit_test(test_route_defaults_and_family),
                cmocka_unit_test(test_route_refusals),
                cmocka_unit_test(test_spec_bound),
                cmocka_unit_test(test_neighbor),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
