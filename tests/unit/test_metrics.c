/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GetMetrics: the /proc readers against a fixture tree, the text builder
 * parsed back line by line (names, labels, values, HELP/TYPE before each
 * family), its bound, and the handler through the dispatch table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "agent.pb-c.h"
#include "metrics.h"
#include "server_fixture.h"

static char proc_dir[64];

static void put(const char *rel, const char *content)
{
        char path[256];
        snprintf(path, sizeof path, "%s/%s", proc_dir, rel);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(content, f);
        assert_int_equal(fclose(f), 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

static int setup(void **state)
{
        char path[160];
        (void)state;
        snprintf(proc_dir, sizeof proc_dir, "/tmp/kinglet-proc-XXXXXX");
        assert_non_null(mkdtemp(proc_dir));
        snprintf(path, sizeof path, "%s/self", proc_dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof path, "%s/self/fd", proc_dir);
        assert_int_equal(mkdir(path, 0755), 0);
        put("self/fd/0", "");
        put("self/fd/1", "");
        put("self/fd/2", "");
        put("self/status", "Name:\tkinglet-agent\nVmSize:\t    4096 kB\nVmRSS:\t    1234 kB\nThreads:\t1\n");
        put("meminfo", "MemTotal:        2048000 kB\nMemFree:         1024000 kB\nMemAvailable:    1536000 kB\n"
                       "Cached:            10000 kB\nActive(anon):        12 kB\nHugePages_Total:       3\n"
                       "Bogus:  x kB\n");
        put("loadavg", "0.25 1.50 12.00 3/187 4242\n");
        put("uptime", "123.45 200.00\n");
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        nftw(proc_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

/* The value of the sample line `name` (with its labels, as written), checking the family's TYPE came first. */
static double sample(const char *text, const char *name)
{
        char family[128], want_type[160];
        snprintf(family, sizeof family, "%.*s", (int)strcspn(name, "{"), name);
        snprintf(want_type, sizeof want_type, "# TYPE %s ", family);
        const char *type = strstr(text, want_type);
        size_t n = strlen(name);
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                if (strncmp(line, name, n) != 0 || line[n] != ' ')
                        continue;
                assert_non_null(type);
                assert_true(type < line);
                char *end;
                double v = strtod(line + n + 1, &end);
                assert_true(*end == '\n');
                return v;
        }
        fail_msg("no sample `%s` in:\n%s", name, text);
        return -1;
}

static void test_collect_and_format(void **state)
{
        struct metrics_sample s = { .scrape_count = 7, .containers = 2, .processes = 5 };
        static char text[METRICS_TEXT_MAX];
        size_t len;
        (void)state;

        metrics_collect(proc_dir, &s);
        assert_true(s.have_status && s.have_fds && s.have_load && s.have_uptime);
        assert_int_equal(metrics_format(&s, text, sizeof text, &len), 0);
        assert_int_equal(strlen(text), len);

        assert_true(sample(text, "kata_agent_scrape_count") == 7);
        assert_true(sample(text, "kata_agent_total_rss") == 1234.0 * 1024);
        assert_true(sample(text, "kata_agent_total_vm") == 4096.0 * 1024);
        assert_true(sample(text, "kata_agent_threads") == 1);
        assert_true(sample(text, "kata_agent_open_fds") == 3);
        assert_true(sample(text, "kata_agent_containers") == 2);
        assert_true(sample(text, "kata_agent_processes") == 5);
        assert_true(sample(text, "kata_guest_load{item=\"load1\"}") == 0.25);
        assert_true(sample(text, "kata_guest_load{item=\"load5\"}") == 1.5);
        assert_true(sample(text, "kata_guest_load{item=\"load15\"}") == 12);
        assert_true(sample(text, "kata_guest_tasks{item=\"cur\"}") == 3);
        assert_true(sample(text, "kata_guest_tasks{item=\"max\"}") == 187);
        assert_true(sample(text, "kata_guest_meminfo{item=\"mem_total\"}") == 2048000.0 * 1024);
        assert_true(sample(text, "kata_guest_meminfo{item=\"mem_free\"}") == 1024000.0 * 1024);
        assert_true(sample(text, "kata_guest_meminfo{item=\"mem_available\"}") == 1536000.0 * 1024);
        assert_true(sample(text, "kata_guest_meminfo{item=\"cached\"}") == 10000.0 * 1024);
        assert_true(sample(text, "kata_guest_meminfo{item=\"active_anon\"}") == 12.0 * 1024);
        /* A count, not kB: taken as it is. */
        assert_true(sample(text, "kata_guest_meminfo{item=\"hugepages_total\"}") == 3);
        assert_true(sample(text, "kata_guest_uptime_seconds") == 123.45);
        /* Absent lines are absent samples, not zeros. */
        assert_null(strstr(text, "item=\"swap_total\""));
        assert_null(strstr(text, "Bogus"));
        /* Every family has its HELP line. */
        assert_non_null(strstr(text, "# HELP kata_guest_meminfo "));
        assert_non_null(strstr(text, "# TYPE kata_agent_scrape_count counter\n"));
}

static void test_missing_files_are_left_out(void **state)
{
        struct metrics_sample s = { 0 };
        static char text[METRICS_TEXT_MAX];
        size_t len;
        (void)state;

        metrics_collect("/nonexistent-kinglet-proc", &s);
        assert_false(s.have_status || s.have_fds || s.have_load || s.have_uptime);
        assert_int_equal(metrics_format(&s, text, sizeof text, &len), 0);
        assert_null(strstr(text, "kata_agent_total_rss"));
        assert_null(strstr(text, "kata_guest_meminfo"));
        assert_true(sample(text, "kata_agent_containers") == 0);
}

static void test_parsers_refuse_junk(void **state)
{
        struct metrics_sample s = { 0 };
        (void)state;
        assert_int_equal(metrics_parse_loadavg("0.1 0.2", &s), -EINVAL);
        assert_int_equal(metrics_parse_loadavg("-1 0.2 0.3 1/2 3", &s), -EINVAL);
        assert_false(s.have_load);
        assert_int_equal(metrics_parse_status("Name:\tx\n", &s), -EINVAL);
        assert_int_equal(metrics_parse_status("VmRSS:\t99999999999999999999 kB\n", &s), -EINVAL);
        assert_false(s.have_status);
        metrics_parse_meminfo("MemTotal: 18446744073709551615 kB\nMemFree 5 kB\n", &s);
        assert_false(s.have_meminfo[0] || s.have_meminfo[1]);
}

static void test_format_bound(void **state)
{
        struct metrics_sample s = { 0 };
        char small[64];
        size_t len = 12345;
        (void)state;
        metrics_collect(proc_dir, &s);
        assert_int_equal(metrics_format(&s, small, sizeof small, &len), -ENOBUFS);
        assert_int_equal(len, 12345);
        assert_string_equal(small, "");
}

static void test_handler(void **state)
{
        struct server_fixture *f = server_fixture_new();
        struct agent a = { .loop = f->loop, .server = f->server, .sysfs_root = "/sys" };
        Grpc__GetMetricsRequest req = GRPC__GET_METRICS_REQUEST__INIT;
        (void)state;

        list_init(&a.containers);
        assert_int_equal(agent_register_services(&a), 0);
        fixture_send(f, 1, "grpc.AgentService", "GetMetrics", &req.base, 0);
        Grpc__Metrics *m = (Grpc__Metrics *)fixture_expect_ok(f, 1, &grpc__metrics__descriptor);
        /* This process's own /proc: it runs, so it has a resident set and descriptors. */
        assert_true(sample(m->metrics, "kata_agent_total_rss") > 0);
        assert_true(sample(m->metrics, "kata_agent_open_fds") >= 3);
        assert_true(sample(m->metrics, "kata_guest_meminfo{item=\"mem_total\"}") > 0);
        double first = sample(m->metrics, "kata_agent_scrape_count");
        protobuf_c_message_free_unpacked(&m->base, NULL);
        fixture_send(f, 3, "grpc.AgentService", "GetMetrics", &req.base, 0);
        m = (Grpc__Metrics *)fixture_expect_ok(f, 3, &grpc__metrics__descriptor);
        assert_true(sample(m->metrics, "kata_agent_scrape_count") == first + 1);
        protobuf_c_message_free_unpacked(&m->base, NULL);
        server_fixture_free(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_collect_and_format, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_files_are_left_out, setup, teardown),
                cmocka_unit_test(test_parsers_refuse_junk),
                cmocka_unit_test_setup_teardown(test_format_bound, setup, teardown),
                cmocka_unit_test(test_handler),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
