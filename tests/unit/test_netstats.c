/* SPDX-License-Identifier: Apache-2.0 */
/* netdev_parse_line and netstats_collect: the network half of StatsContainer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netstats.h"

static void test_parse_line(void **state)
{
        (void)state;
        struct netdev_counters c;
        const char *line = "  eth0: 1234567890123   17    1    2    0     0          0         3   "
                           "987654    9    4    5    0     0       0          0\n";
        assert_int_equal(netdev_parse_line(line, &c), 0);
        assert_string_equal(c.name, "eth0");
        assert_true(c.v[0] == UINT64_C(1234567890123));
        assert_true(c.v[1] == 17 && c.v[2] == 1 && c.v[3] == 2 && c.v[7] == 3);
        assert_true(c.v[8] == 987654 && c.v[9] == 9 && c.v[10] == 4 && c.v[11] == 5);
}

static void test_parse_line_names(void **state)
{
        (void)state;
        struct netdev_counters c;
        /* Long names push the colon against the first number. */
        assert_int_equal(netdev_parse_line("veth1234abcd:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", &c), 0);
        assert_string_equal(c.name, "veth1234abcd");
        assert_true(c.v[0] == 1 && c.v[15] == 16);
        assert_int_equal(netdev_parse_line("lo: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0", &c), 0);
        assert_string_equal(c.name, "lo");
}

static void test_parse_line_refuses(void **state)
{
        (void)state;
        struct netdev_counters c;
        memset(&c, 0x5a, sizeof c);
        struct netdev_counters before = c;
        static const char *const bad[] = {
                "Inter-|   Receive                                                |  Transmit",
                " face |bytes    packets errs drop fifo frame compressed multicast|bytes",
                "eth0: 1 2 3",                                                  /* too few counters */
                ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",                     /* no name */
                "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -16",                /* negative */
                "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 99999999999999999999999", /* overflow */
                "an-interface-name-far-longer-than-any-kernel-allows-which-is-sixteen-bytes: "
                "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
                "",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                assert_int_equal(netdev_parse_line(bad[i], &c), -EINVAL);
                assert_memory_equal(&c, &before, sizeof c); /* untouched on failure */
        }
}

/* This process's own namespace has at least lo; counters come back per interface. */
static void test_collect_self(void **state)
{
        (void)state;
        Grpc__StatsContainerResponse resp = GRPC__STATS_CONTAINER_RESPONSE__INIT;
        assert_int_equal(netstats_collect(getpid(), &resp), 0);
        bool lo = false;
        for (size_t i = 0; i < resp.n_network_stats; i++)
                lo |= strcmp(resp.network_stats[i]->name, "lo") == 0;
        assert_true(lo);
        for (size_t i = 0; i < resp.n_network_stats; i++) {
                free(resp.network_stats[i]->name);
                free(resp.network_stats[i]);
        }
        free(resp.network_stats);
}

static void test_collect_gone(void **state)
{
        (void)state;
        Grpc__StatsContainerResponse resp = GRPC__STATS_CONTAINER_RESPONSE__INIT;
        assert_int_equal(netstats_collect(0x3fffffff, &resp), -ENOENT);
        assert_int_equal(resp.n_network_stats, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_line),
                cmocka_unit_test(test_parse_line_names),
                cmocka_unit_test(test_parse_line_refuses),
                cmocka_unit_test(test_collect_self),
                cmocka_unit_test(test_collect_gone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
