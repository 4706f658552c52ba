/* SPDX-License-Identifier: Apache-2.0 */
/* net_text.c: addresses, prefixes and MACs as the RPCs carry them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"

static void test_ip_parse(void **state)
{
        (void)state;
        struct net_ip ip;
        char text[NET_IP_TEXT_MAX];
        assert_int_equal(net_ip_parse("192.0.2.1", &ip), 0);
        assert_int_equal(ip.family, AF_INET);
        assert_int_equal(ip.len, 32);
        net_ip_format(&ip, false, text, sizeof text);
        assert_string_equal(text, "192.0.2.1");
        assert_int_equal(net_ip_parse("2001:DB8::1", &ip), 0);
        assert_int_equal(ip.family, AF_INET6);
        assert_int_equal(ip.len, 128);
        net_ip_format(&ip, true, text, sizeof text);
        assert_string_equal(text, "2001:db8::1/128");
        const char *bad[] = { "", "192.0.2.300", "192.0.2", "192.0.2.1/24", " 192.0.2.1", "2001:db8:::1", "x",
                              "192.0.2.1 " };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_int_equal(net_ip_parse(bad[i], &ip), -EINVAL);
        assert_int_equal(net_ip_parse(NULL, &ip), -EINVAL);
}

static void test_cidr_and_prefix(void **state)
{
        (void)state;
        struct net_ip ip;
        uint8_t len = 99;
        assert_int_equal(net_cidr_parse("198.51.100.0/24", &ip), 0);
        assert_int_equal(ip.len, 24);
        assert_int_equal(net_cidr_parse("2001:db8::/32", &ip), 0);
        assert_int_equal(ip.family, AF_INET6);
        assert_int_equal(ip.len, 32);
        assert_int_equal(net_cidr_parse("192.0.2.9", &ip), 0);
        assert_int_equal(ip.len, 32);
        assert_int_equal(net_cidr_parse("0.0.0.0/0", &ip), 0);
        assert_int_equal(ip.len, 0);
        const char *bad[] = { "192.0.2.0/33", "192.0.2.0/", "/24", "192.0.2.0/024", "192.0.2.0/-1",
                              "192.0.2.0/2x", "2001:db8::/129", "192.0.2.0/24/1" };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_int_equal(net_cidr_parse(bad[i], &ip), -EINVAL);
        assert_int_equal(net_prefix_parse("0", 32, &len), 0);
        assert_int_equal(len, 0);
        assert_int_equal(net_prefix_parse("128", 128, &len), 0);
        assert_int_equal(len, 128);
        len = 7;
        assert_int_equal(net_prefix_parse("33", 32, &len), -EINVAL);
        assert_int_equal(net_prefix_parse("1000", 128, &len), -EINVAL);
        assert_int_equal(net_prefix_parse("", 32, &len), -EINVAL);
        assert_int_equal(net_prefix_parse("+1", 32, &len), -EINVAL);
        assert_int_equal(len, 7); /* untouched on failure */
}

static void test_lladdr(void **state)
{
        (void)state;
        uint8_t mac[NET_LLADDR_MAX], small[2];
        char text[NET_LLADDR_TEXT_MAX];
        assert_int_equal(net_lladdr_parse("02:00:AB:cd:00:01", mac, sizeof mac), 6);
        net_lladdr_format(mac, 6, text, sizeof text);
        assert_string_equal(text, "02:00:ab:cd:00:01");
        assert_int_equal(net_lladdr_parse("ff", mac, sizeof mac), 1);
        const char *bad[] = { "", "2:00:00:00:00:01", "02:00:00:00:00:", "02-00-00-00-00-01", "02:00:zz:00:00:01",
                              "0200.0000.0001", ":02" };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_int_equal(net_lladdr_parse(bad[i], mac, sizeof mac), -EINVAL);
        assert_int_equal(net_lladdr_parse("01:02:03", small, sizeof small), -EINVAL);
        /* 33 bytes: one over MAX_ADDR_LEN. */
        char big[33 * 3];
        for (int i = 0; i < 33; i++)
                memcpy(big + i * 3, i ? ":00" : "00:", 3);
        memcpy(big, "00", 2);
        big[33 * 3 - 1] = '\0';
        assert_int_equal(net_lladdr_parse(big, mac, sizeof mac), -EINVAL);
        net_lladdr_format(mac, 0, text, sizeof text);
        assert_string_equal(text, "");
}

static void test_mask_and_equal(void **state)
{
        (void)state;
        struct net_ip a, b;
        assert_int_equal(net_cidr_parse("192.0.2.200/25", &a), 0);
        net_ip_mask(&a);
        assert_int_equal(net_cidr_parse("192.0.2.128/25", &b), 0);
        assert_true(net_ip_equal(&a, &b));
        b.len = 26;
        assert_false(net_ip_equal(&a, &b));
        assert_int_equal(net_cidr_parse("2001:db8:ffff:ffff::1/33", &a), 0);
        net_ip_mask(&a);
        assert_int_equal(net_cidr_parse("2001:db8:8000::/33", &b), 0);
        assert_true(net_ip_equal(&a, &b));
        assert_int_equal(net_cidr_parse("198.51.100.7/0", &a), 0);
        net_ip_mask(&a);
        assert_int_equal(net_cidr_parse("0.0.0.0/0", &b), 0);
        assert_true(net_ip_equal(&a, &b));
        assert_int_equal(net_ip_parse("fe80::1", &a), 0);
        assert_true(net_ip_is_link_local6(&a));
        assert_int_equal(net_ip_parse("2001:db8::1", &a), 0);
        assert_false(net_ip_is_link_local6(&a));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ip_parse),
                cmocka_unit_test(test_cidr_and_prefix),
                cmocka_unit_test(test_lladdr),
                cmocka_unit_test(test_mask_and_equal),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
