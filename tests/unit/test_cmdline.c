/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "config_file.h"

#define MAX_WARNINGS 16

struct warning {
        char key[64];
        char value[512];
        bool has_value;
        char why[128];
};

struct warnings {
        size_t n;
        struct warning w[MAX_WARNINGS];
};

static void record_warning(const char *key, const char *value, const char *why, void *data)
{
        struct warnings *ws = data;

        assert_non_null(key);
        assert_non_null(why);
        assert_true(ws->n < MAX_WARNINGS);
        struct warning *w = &ws->w[ws->n++];
        snprintf(w->key, sizeof w->key, "%s", key);
        w->has_value = value != NULL;
        snprintf(w->value, sizeof w->value, "%s", value ? value : "");
        snprintf(w->why, sizeof w->why, "%s", why);
}

static void parse(const char *line, struct kernel_params *kp, struct warnings *ws)
{
        memset(ws, 0, sizeof *ws);
        memset(kp, 0x5a, sizeof *kp);
        kernel_params_parse(line, kp, record_warning, ws);
}

static void assert_warning(const struct warnings *ws, size_t i, const char *key, const char *value,
                           const char *why)
{
        assert_true(i < ws->n);
        assert_string_equal(ws->w[i].key, key);
        if (value) {
                assert_true(ws->w[i].has_value);
                assert_string_equal(ws->w[i].value, value);
        } else
                assert_false(ws->w[i].has_value);
        assert_string_equal(ws->w[i].why, why);
}

static void assert_defaults(const struct kernel_params *kp)
{
        assert_string_equal(kp->server_addr, "");
        assert_false(kp->has_server_addr);
        assert_string_equal(kp->log_level, "");
        assert_false(kp->has_log_level);
        assert_string_equal(kp->config_file, "");
        assert_false(kp->has_config_file);
        assert_false(kp->debug_console);
        assert_int_equal(kp->debug_console_vport, 0);
        assert_int_equal(kp->log_vport, 0);
        assert_int_equal(kp->hotplug_timeout_s, 0);
        assert_false(kp->has_hotplug_timeout);
        assert_int_equal(kp->container_pipe_size, 0);
        assert_int_equal(kp->passfd_listener_port, 0);
        assert_false(kp->devmode);
        assert_false(kp->trace);
        assert_false(kp->unified_cgroup_hierarchy);
        assert_false(kp->has_unified_cgroup_hierarchy);
}

static void test_empty(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_defaults(&kp);

        parse(" \t\n ", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_defaults(&kp);
}

static void test_strings(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.server_addr=vsock://-1:1024 agent.log=debug agent.config_file=/etc/kinglet.toml",
              &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_true(kp.has_server_addr);
        assert_string_equal(kp.server_addr, "vsock://-1:1024");
        assert_true(kp.has_log_level);
        assert_string_equal(kp.log_level, "debug");
        assert_true(kp.has_config_file);
        assert_string_equal(kp.config_file, "/etc/kinglet.toml");
}

static void test_string_keeps_later_equals(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.config_file=/a=b=c", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_string_equal(kp.config_file, "/a=b=c");
}

static void test_string_empty_value(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.log=", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_true(kp.has_log_level);
        assert_string_equal(kp.log_level, "");
}

static void test_string_without_value(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.server_addr", &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "agent.server_addr", NULL, "needs a value, ignoring");
        assert_false(kp.has_server_addr);
        assert_string_equal(kp.server_addr, "");
}

static void test_last_value_wins(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.log=info agent.log=debug agent.log_vport=1 agent.log_vport=2", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_string_equal(kp.log_level, "debug");
        assert_int_equal(kp.log_vport, 2);
}

static void test_bare_flags(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.debug_console agent.devmode", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_true(kp.debug_console);
        assert_true(kp.devmode);
        assert_false(kp.trace);

        parse("agent.devmode=1 agent.debug_console=false", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_true(kp.devmode);
        assert_false(kp.debug_console);

        parse("agent.debug_console agent.debug_console=0", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_false(kp.debug_console);
}

static void test_bad_flag_value_keeps_previous(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.devmode agent.devmode=maybe", &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "agent.devmode", "maybe", "expected a bare flag or a boolean, ignoring");
        assert_true(kp.devmode);

        parse("agent.devmode=", &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "agent.devmode", "", "expected a bare flag or a boolean, ignoring");
        assert_false(kp.devmode);
}

static void test_bool(void **state)
{
        static const char *const yes[] = { "1", "true", "TRUE", "yes", "Yes", "on", "y" };
        static const char *const no[] = { "0", "false", "False", "no", "NO", "off", "n" };
        struct kernel_params kp;
        struct warnings ws;
        char line[64];

        parse("agent.trace", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_true(kp.trace);

        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
                snprintf(line, sizeof line, "agent.trace=%s", yes[i]);
                parse(line, &kp, &ws);
                assert_int_equal(ws.n, 0);
                assert_true(kp.trace);
        }
        for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
                snprintf(line, sizeof line, "agent.trace agent.trace=%s", no[i]);
                parse(line, &kp, &ws);
                assert_int_equal(ws.n, 0);
                assert_false(kp.trace);
        }
}

static void test_bad_bool_keeps_previous(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.trace=true agent.trace=2", &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "agent.trace", "2", "expected true or false, ignoring");
        assert_true(kp.trace);

        parse("agent.trace=truee", &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_false(kp.trace);
}

static void test_u32(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.debug_console_vport=1026 agent.log_vport=1025 agent.hotplug_timeout=3 "
              "agent.container_pipe_size=65536 agent.passfd_listener_port=4294967295",
              &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_int_equal(kp.debug_console_vport, 1026);
        assert_int_equal(kp.log_vport, 1025);
        assert_int_equal(kp.hotplug_timeout_s, 3);
        assert_true(kp.has_hotplug_timeout);
        assert_int_equal(kp.container_pipe_size, 65536);
        assert_int_equal(kp.passfd_listener_port, UINT32_MAX);
}

static void test_bad_u32_keeps_previous(void **state)
{
        static const char *const bad[] = { "abc", "-1", "+1", "4294967296", "12x", "", " 1" };
        struct kernel_params kp;
        struct warnings ws;
        char line[128];

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                snprintf(line, sizeof line, "agent.log_vport=7 \"agent.log_vport=%s\"", bad[i]);
                parse(line, &kp, &ws);
                assert_int_equal(ws.n, 1);
                assert_warning(&ws, 0, "agent.log_vport", bad[i], "expected a number, ignoring");
                assert_int_equal(kp.log_vport, 7);
        }

        parse("agent.hotplug_timeout", &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "agent.hotplug_timeout", NULL, "expected a number, ignoring");
        assert_false(kp.has_hotplug_timeout);
        assert_int_equal(kp.hotplug_timeout_s, 0);

        parse("agent.hotplug_timeout=5 agent.hotplug_timeout=x", &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_true(kp.has_hotplug_timeout);
        assert_int_equal(kp.hotplug_timeout_s, 5);
}

static void test_bad_value_not_fatal(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.log_vport=x agent.log=warn agent.trace=maybe agent.devmode", &kp, &ws);
        assert_int_equal(ws.n, 2);
        assert_string_equal(ws.w[0].key, "agent.log_vport");
        assert_string_equal(ws.w[1].key, "agent.trace");
        assert_string_equal(kp.log_level, "warn");
        assert_true(kp.devmode);
        assert_false(kp.trace);
        assert_int_equal(kp.log_vport, 0);
}

static void test_quoting(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.server_addr=\"unix:///a b\" agent.log=info", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_string_equal(kp.server_addr, "unix:///a b");
        assert_string_equal(kp.log_level, "info");

        /* The kernel also lets quotes surround the whole parameter. */
        parse("\"agent.config_file=/x y\tz\" agent.devmode", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_string_equal(kp.config_file, "/x y\tz");
        assert_true(kp.devmode);

        /* An unterminated quote runs to the end of the line. */
        parse("agent.server_addr=\"unix:///a b agent.devmode", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_string_equal(kp.server_addr, "unix:///a b agent.devmode");
        assert_false(kp.devmode);

        parse("\"\" agent.devmode \"\"", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_true(kp.devmode);
}

static void test_whitespace(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("  console=ttyS0\tagent.log=debug\n\nagent.devmode \t agent.log_vport=9\n", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_string_equal(kp.log_level, "debug");
        assert_true(kp.devmode);
        assert_int_equal(kp.log_vport, 9);
}

static void test_unknown_agent_keys(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("console=ttyS0 agent.foo=bar quiet agent.bar systemd.show_status=0 "
              "init=/sbin/init agentx.foo=1 agent=1 agent.log=info",
              &kp, &ws);
        assert_int_equal(ws.n, 2);
        assert_warning(&ws, 0, "agent.foo", "bar", "unknown agent parameter, ignoring");
        assert_warning(&ws, 1, "agent.bar", NULL, "unknown agent parameter, ignoring");
        assert_string_equal(kp.log_level, "info");
}

static void test_known_ignored_keys(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("agent.use_vsock=true agent.cdh_api_timeout=50 agent.image_pull_timeout=1200 "
              "agent.cdi_timeout=100 agent.launch_process_timeout=6 agent.visible_cdi_devices "
              "agent.guest_components_rest_api=all agent.guest_components_procs=none "
              "agent.secure_storage_integrity=false agent.https_proxy=http://p:3128 "
              "agent.no_proxy=localhost",
              &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_defaults(&kp);
}

static void test_null_warn_callback(void **state)
{
        struct kernel_params kp;

        kernel_params_parse("agent.foo agent.log_vport=x agent.log=debug", &kp, NULL, NULL);
        assert_string_equal(kp.log_level, "debug");
        assert_int_equal(kp.log_vport, 0);
}

static void test_overlong_values(void **state)
{
        struct kernel_params kp;
        struct warnings ws;
        char line[1024], value[512];

        /* log_level[16]: 15 characters fit, 16 do not. */
        parse("agent.log=123456789012345", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_string_equal(kp.log_level, "123456789012345");

        parse("agent.log=debug agent.log=1234567890123456", &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "agent.log", "1234567890123456", "value too long, ignoring");
        assert_string_equal(kp.log_level, "debug");
        assert_true(kp.has_log_level);

        parse("agent.log=1234567890123456", &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_false(kp.has_log_level);
        assert_string_equal(kp.log_level, "");

        memset(value, 'a', KERNEL_PARAM_STRING_MAX);
        value[0] = '/';
        value[KERNEL_PARAM_STRING_MAX - 1] = '\0';
        snprintf(line, sizeof line, "agent.config_file=%s", value);
        parse(line, &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_string_equal(kp.config_file, value);

        memset(value, 'a', KERNEL_PARAM_STRING_MAX);
        value[0] = '/';
        value[KERNEL_PARAM_STRING_MAX] = '\0';
        snprintf(line, sizeof line, "agent.config_file=%s", value);
        parse(line, &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "agent.config_file", value, "value too long, ignoring");
        assert_false(kp.has_config_file);

        memset(value, 'a', ADDR_STRING_MAX);
        value[ADDR_STRING_MAX] = '\0';
        snprintf(line, sizeof line, "agent.server_addr=%s", value);
        parse(line, &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_string_equal(kp.server_addr, value);

        memset(value, 'a', ADDR_STRING_MAX + 1);
        value[ADDR_STRING_MAX + 1] = '\0';
        snprintf(line, sizeof line, "agent.server_addr=%s", value);
        parse(line, &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_false(kp.has_server_addr);
}

static void test_long_line_bounded(void **state)
{
        struct kernel_params kp;
        struct warnings ws;
        size_t size = 3 * CMDLINE_MAX;
        char *line = malloc(size);

        assert_non_null(line);
        /* Parameters past the first CMDLINE_MAX bytes are not looked at. */
        memset(line, ' ', size);
        memcpy(line, "agent.log=debug", 15);
        memcpy(line + CMDLINE_MAX - 17, "agent.log_vport=12", 18);
        memcpy(line + CMDLINE_MAX + 10, "agent.devmode", 13);
        line[size - 1] = '\0';
        parse(line, &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_string_equal(kp.log_level, "debug");
        assert_int_equal(kp.log_vport, 1);
        assert_false(kp.devmode);

        /* One token filling the whole bound. */
        memset(line, 'a', size);
        memcpy(line, "agent.config_file=", 18);
        line[size - 1] = '\0';
        parse(line, &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_string_equal(ws.w[0].key, "agent.config_file");
        assert_string_equal(ws.w[0].why, "value too long, ignoring");
        assert_false(kp.has_config_file);
        free(line);
}

static void test_unterminated_buffer(void **state)
{
        struct kernel_params kp;
        struct warnings ws;
        /* Exactly CMDLINE_MAX bytes and no NUL: the parser must not read past them. */
        char *line = malloc(CMDLINE_MAX);

        assert_non_null(line);
        memset(line, ' ', CMDLINE_MAX);
        memcpy(line, "agent.devmode", 13);
        memcpy(line + CMDLINE_MAX - 9, "agent.log", 9);
        parse(line, &kp, &ws);
        assert_true(kp.devmode);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "agent.log", NULL, "needs a value, ignoring");
        free(line);
}

static void test_unified_cgroup_hierarchy(void **state)
{
        struct kernel_params kp;
        struct warnings ws;

        parse("console=hvc0", &kp, &ws);
        assert_false(kp.has_unified_cgroup_hierarchy);
        assert_false(kp.unified_cgroup_hierarchy);

        parse("agent.unified_cgroup_hierarchy=1", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_true(kp.has_unified_cgroup_hierarchy);
        assert_true(kp.unified_cgroup_hierarchy);

        parse("agent.unified_cgroup_hierarchy", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_true(kp.has_unified_cgroup_hierarchy);
        assert_true(kp.unified_cgroup_hierarchy);

        parse("systemd.unified_cgroup_hierarchy=0", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_true(kp.has_unified_cgroup_hierarchy);
        assert_false(kp.unified_cgroup_hierarchy);

        parse("systemd.unified_cgroup_hierarchy=1 agent.unified_cgroup_hierarchy=false", &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_false(kp.unified_cgroup_hierarchy);

        parse("agent.unified_cgroup_hierarchy=maybe", &kp, &ws);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "agent.unified_cgroup_hierarchy", "maybe",
                       "expected true or false, ignoring");
        assert_false(kp.has_unified_cgroup_hierarchy);
}

static void write_temp(char *path, const char *content, size_t len)
{
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, len), (ssize_t)len);
        assert_int_equal(close(fd), 0);
}

static void test_read_file(void **state)
{
        static const char content[] =
                "BOOT_IMAGE=/vmlinuz console=hvc0 agent.log=debug agent.foo=1 "
                "agent.server_addr=vsock://-1:1024 agent.devmode\n";
        char path[] = "/tmp/kinglet-cmdline-XXXXXX";
        struct kernel_params kp;
        struct warnings ws = { 0 };

        write_temp(path, content, sizeof content - 1);
        memset(&kp, 0x5a, sizeof kp);
        assert_int_equal(kernel_params_read(path, &kp, record_warning, &ws), 0);
        assert_int_equal(unlink(path), 0);
        assert_string_equal(kp.log_level, "debug");
        assert_string_equal(kp.server_addr, "vsock://-1:1024");
        assert_true(kp.devmode);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "agent.foo", "1", "unknown agent parameter, ignoring");
}

static void test_read_file_full_size(void **state)
{
        char path[] = "/tmp/kinglet-cmdline-XXXXXX";
        char *content = malloc(CMDLINE_MAX - 1);
        struct kernel_params kp;
        struct warnings ws = { 0 };

        /* CMDLINE_MAX - 1 bytes is the most that fits with its NUL. */
        assert_non_null(content);
        memset(content, ' ', CMDLINE_MAX - 1);
        memcpy(content, "agent.trace", 11);
        memcpy(content + CMDLINE_MAX - 1 - 17, "agent.log_vport=3", 17);
        write_temp(path, content, CMDLINE_MAX - 1);
        assert_int_equal(kernel_params_read(path, &kp, record_warning, &ws), 0);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(ws.n, 0);
        assert_true(kp.trace);
        assert_int_equal(kp.log_vport, 3);
        free(content);
}

static void test_read_file_longer_than_limit(void **state)
{
        char path[] = "/tmp/kinglet-cmdline-XXXXXX";
        size_t len = CMDLINE_MAX + 100;
        char *content = malloc(len);
        struct kernel_params kp;
        struct warnings ws = { 0 };

        /* A full 4096-byte line is parsed; what lies beyond is ignored with a warning. */
        assert_non_null(content);
        memset(content, ' ', len);
        memcpy(content, "agent.trace", 11);
        memcpy(content + CMDLINE_MAX - 17, "agent.log_vport=3", 17);
        memcpy(content + CMDLINE_MAX + 10, "agent.devmode", 13);
        write_temp(path, content, len);
        assert_int_equal(kernel_params_read(path, &kp, record_warning, &ws), 0);
        assert_int_equal(unlink(path), 0);
        assert_true(kp.trace);
        assert_int_equal(kp.log_vport, 3);
        assert_false(kp.devmode);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, path, NULL, "longer than 4096 bytes, the rest is ignored");
        free(content);
}

static void test_read_missing_file(void **state)
{
        struct kernel_params kp, before;

        memset(&kp, 0x5a, sizeof kp);
        memcpy(&before, &kp, sizeof kp);
        assert_int_equal(kernel_params_read("/nonexistent/kinglet/cmdline", &kp, NULL, NULL),
                         -ENOENT);
        assert_memory_equal(&kp, &before, sizeof kp);
}

/* Every key the agent acts on, each given twice: the last one counts, as in the kernel. */
static void test_duplicates_every_key(void **state)
{
        struct kernel_params kp;
        struct warnings ws;
        parse("agent.log_vport=1 agent.log_vport=1025 agent.debug_console_vport=2 agent.debug_console_vport=1026 "
              "agent.hotplug_timeout=9 agent.hotplug_timeout=5 agent.container_pipe_size=1 "
              "agent.container_pipe_size=4096 agent.trace=true agent.trace=false agent.debug_console=0 "
              "agent.debug_console",
              &kp, &ws);
        assert_int_equal(ws.n, 0);
        assert_int_equal(kp.log_vport, 1025);
        assert_int_equal(kp.debug_console_vport, 1026);
        assert_int_equal(kp.hotplug_timeout_s, 5);
        assert_true(kp.has_hotplug_timeout);
        assert_int_equal(kp.container_pipe_size, 4096);
        assert_false(kp.trace);
        assert_true(kp.debug_console);
}

static void test_config_file_parse(void **state)
{
        static const char text[] = "# a comment\n"
                                   "\n"
                                   "log = debug\n"
                                   "  log_vport=1025  \r\n"
                                   "debug_console\n"
                                   "server_addr = \"unix:///run/a b.sock\"\n"
                                   "hotplug_timeout = 7\n"
                                   "systemd.unified_cgroup_hierarchy = 0\n"
                                   "agent.trace = true\n"
                                   "config_file = /etc/other\n"
                                   "no such = thing\n"
                                   "bogus_key = 1\n"
                                   "container_pipe_size = lots\n"
                                   "= 5\n";
        struct kernel_params kp = { 0 };
        struct warnings ws = { 0 };
        config_file_parse(text, sizeof text - 1, "/etc/kinglet.conf", &kp, record_warning, &ws);
        assert_string_equal(kp.log_level, "debug");
        assert_int_equal(kp.log_vport, 1025);
        assert_true(kp.debug_console);
        assert_string_equal(kp.server_addr, "unix:///run/a b.sock");
        assert_int_equal(kp.hotplug_timeout_s, 7);
        assert_true(kp.has_unified_cgroup_hierarchy);
        assert_false(kp.unified_cgroup_hierarchy);
        assert_true(kp.trace);
        assert_false(kp.has_config_file);
        assert_int_equal(ws.n, 5);
        assert_warning(&ws, 0, "/etc/kinglet.conf:10", NULL, "config_file cannot name another file, ignoring");
        assert_warning(&ws, 1, "/etc/kinglet.conf:11", NULL, "expected `key = value` or a bare key, ignoring");
        assert_warning(&ws, 2, "agent.bogus_key", "1", "unknown agent parameter, ignoring");
        assert_warning(&ws, 3, "agent.container_pipe_size", "lots", "expected a number, ignoring");
        assert_warning(&ws, 4, "/etc/kinglet.conf:14", NULL, "expected `key = value` or a bare key, ignoring");
}

static void test_config_file_bounds(void **state)
{
        struct kernel_params kp = { 0 };
        struct warnings ws = { 0 };
        size_t big = CONFIG_FILE_MAX + 1;
        char *text = malloc(big);
        assert_non_null(text);
        memset(text, '\n', big);
        memcpy(text, "log_vport = 9\n", 14);
        config_file_parse(text, big, "f", &kp, record_warning, &ws);
        assert_int_equal(kp.log_vport, 0); /* not read at all */
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "f:0", NULL, "longer than 64 KiB, not read");

        /* A line over 1024 bytes is skipped; the lines around it count. */
        memset(&ws, 0, sizeof ws);
        memset(text, 'x', 2000);
        memcpy(text, "trace\n", 6);
        memcpy(text + 6, "log=", 4);
        memcpy(text + 1500, "\ndevmode\nlog_vport=4", 20);
        config_file_parse(text, 1520, "f", &kp, record_warning, &ws);
        assert_true(kp.trace);
        assert_true(kp.devmode);
        assert_int_equal(kp.log_vport, 4);
        assert_false(kp.has_log_level);
        assert_int_equal(ws.n, 1);
        assert_warning(&ws, 0, "f:2", NULL, "line longer than 1024 bytes, ignoring");

        /* NUL bytes inside a line. */
        memset(&ws, 0, sizeof ws);
        config_file_parse("log_vport=5\0junk\nlog_vport=6\n", 29, "f", &kp, record_warning, &ws);
        assert_int_equal(kp.log_vport, 6);
        assert_int_equal(ws.n, 1);
        free(text);
}

/* agent.config_file=F: the file's keys apply, and the command line's win over them. */
static void test_config_file_from_cmdline(void **state)
{
        char conf[] = "/tmp/kinglet-conf-XXXXXX", cmdline[] = "/tmp/kinglet-cmdline-XXXXXX";
        static const char file[] = "log = debug\nlog_vport = 1025\nhotplug_timeout = 10\ndebug_console\n";
        char line[256];
        struct kernel_params kp;
        struct warnings ws = { 0 };

        write_temp(conf, file, sizeof file - 1);
        snprintf(line, sizeof line, "console=ttyS0 agent.config_file=%s agent.log=warn agent.frob=1", conf);
        write_temp(cmdline, line, strlen(line));
        assert_int_equal(kernel_params_read(cmdline, &kp, record_warning, &ws), 0);
        assert_string_equal(kp.log_level, "warn"); /* the command line wins */
        assert_int_equal(kp.log_vport, 1025);
        assert_int_equal(kp.hotplug_timeout_s, 10);
        assert_true(kp.debug_console);
        assert_true(kp.has_config_file);
        assert_string_equal(kp.config_file, conf);
        assert_int_equal(ws.n, 1); /* agent.frob, once */
        assert_warning(&ws, 0, "agent.frob", "1", "unknown agent parameter, ignoring");

        /* A file that cannot be read: a warning, and the command line alone. */
        assert_int_equal(unlink(conf), 0);
        memset(&ws, 0, sizeof ws);
        assert_int_equal(kernel_params_read(cmdline, &kp, record_warning, &ws), 0);
        assert_string_equal(kp.log_level, "warn");
        assert_int_equal(kp.log_vport, 0);
        assert_int_equal(ws.n, 2);
        assert_warning(&ws, 1, conf, NULL, "cannot read the config file (No such file or directory), ignoring it");
        assert_int_equal(unlink(cmdline), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_string_keeps_later_equals),
                cmocka_unit_test(test_string_empty_value),
                cmocka_unit_test(test_string_without_value),
                cmocka_unit_test(test_last_value_wins),
                cmocka_unit_test(test_bare_flags),
                cmocka_unit_test(test_bad_flag_value_keeps_previous),
                cmocka_unit_test(test_bool),
                cmocka_unit_test(test_bad_bool_keeps_previous),
                cmocka_unit_test(test_u32),
                cmocka_unit_test(test_bad_u32_keeps_previous),
                cmocka_unit_test(test_bad_value_not_fatal),
                cmocka_unit_test(test_quoting),
                cmocka_unit_test(test_whitespace),
                cmocka_unit_test(test_unknown_agent_keys),
                cmocka_unit_test(test_known_ignored_keys),
                cmocka_unit_test(test_null_warn_callback),
                cmocka_unit_test(test_overlong_values),
                cmocka_unit_test(test_long_line_bounded),
                cmocka_unit_test(test_unterminated_buffer),
                cmocka_unit_test(test_unified_cgroup_hierarchy),
                cmocka_unit_test(test_read_file),
                cmocka_unit_test(test_read_file_full_size),
                cmocka_unit_test(test_read_file_longer_than_limit),
                cmocka_unit_test(test_read_missing_file),
                cmocka_unit_test(test_duplicates_every_key),
                cmocka_unit_test(test_config_file_parse),
                cmocka_unit_test(test_config_file_bounds),
                cmocka_unit_test(test_config_file_from_cmdline),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
