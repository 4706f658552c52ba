/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_limits.h"
#include "policy.h"
#include "util.h"

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: kinglet-agent [OPTIONS]\n"
                "\n"
                "Guest agent for VM-isolated containers: serves the Kata Containers agent API\n"
                "(grpc.AgentService, grpc.Health) over ttrpc. Runs as PID 1 in a VM, under an\n"
                "init system, or on a host for testing.\n"
                "\n"
                "Options:\n"
                "  -a, --server-addr ADDR   listen on ADDR (repeatable, up to %d):\n"
                "                             vsock://-1:1024   any CID, port 1024 (default)\n"
                "                             unix:///run/kinglet.sock, unix://@abstract\n"
                "                             serial://agent.channel.0   virtio-serial port by name\n"
                "                             serial:///dev/vport0p1     a serial device by path\n"
                "  -l, --log-level LEVEL    error, warn, info (default) or debug\n"
                "      --debug-service      also serve kinglet.Debug (tests and benchmarks)\n"
                "      --kernel-cmdline PATH  read agent.* parameters from PATH, not /proc/cmdline\n"
                "  -h, --help               show this help\n"
                "  -V, --version            show version\n"
                "\n"
                "Environment: KATA_AGENT_SERVER_ADDR, KATA_AGENT_LOG_LEVEL.\n"
                "Kernel command line: agent.server_addr=, agent.log=, agent.log_vport=,\n"
                "agent.debug_console, agent.debug_console_vport=, agent.hotplug_timeout=,\n"
                "agent.config_file= and more (see docs/configuration.md).\n"
                "Flags win over the environment, which wins over the kernel command line.\n",
                AGENT_MAX_SERVER_ADDRS);
}

static void warn_param(const char *key, const char *value, const char *why, void *data)
{
        (void)data;
        log_warn("kernel parameter %s%s%s: %s", key, value ? "=" : "", value ? value : "", why);
}

/* A flag's mistake is a usage error on stderr; the environment's or the kernel's is logged (PID 1 has no user). */
static int complain(const char *source, const char *fmt, ...) _printf_(2, 3);
static int complain(const char *source, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (startswith(source, "--"))
                fprintf(stderr, "kinglet-agent: %s\n", msg);
        else
                log_error("%s (from %s)", msg, source);
        return -EINVAL;
}

/* A listening address the agent can use (vsock, unix, serial); `source` names where it came from. */
static int check_listen_addr(const char *addr, const char *source)
{
        struct address a;
        struct rpc_error e = { 0 };
        if (address_parse(addr, &a, &e) < 0)
                return complain(source, "%s", e.msg);
        if (a.kind == ADDR_HVSOCK)
                return complain(source, "%s: hvsock:// is a host-side address; inside the guest listen on "
                                        "vsock://-1:PORT", addr);
        return 0;
}

static int add_addr(struct agent_config *c, const char *addr, const char *source)
{
        if (c->n_server_addrs == AGENT_MAX_SERVER_ADDRS)
                return complain(source, "at most %d --server-addr", AGENT_MAX_SERVER_ADDRS);
        if (check_listen_addr(addr, source) < 0)
                return -EINVAL;
        snprintf(c->server_addrs[c->n_server_addrs++], sizeof c->server_addrs[0], "%s", addr);
        return 0;
}

/* A side channel (log, debug console): a hidden test flag's address, else vsock://-1:PORT, else none. */
static int side_channel(char *dst, size_t size, const char *flag_addr, const char *flag, uint32_t vport)
{
        if (flag_addr) {
                if (check_listen_addr(flag_addr, flag) < 0)
                        return -EINVAL;
                snprintf(dst, size, "%s", flag_addr);
        } else if (vport > 0)
                snprintf(dst, size, "vsock://-1:%" PRIu32, vport);
        else
                dst[0] = '\0';
        return 0;
}

static uint32_t hotplug_timeout_ms(const struct kernel_params *kp)
{
        if (!kp->has_hotplug_timeout)
                return HOTPLUG_TIMEOUT_DEFAULT_S * 1000;
        if (kp->hotplug_timeout_s == 0) {
                log_warn("agent.hotplug_timeout=0: a wait needs time, using %d s", HOTPLUG_TIMEOUT_DEFAULT_S);
                return HOTPLUG_TIMEOUT_DEFAULT_S * 1000;
        }
        if (kp->hotplug_timeout_s > HOTPLUG_TIMEOUT_MAX_S) {
                log_warn("agent.hotplug_timeout=%" PRIu32 ": using the maximum, %d s", kp->hotplug_timeout_s,
                         HOTPLUG_TIMEOUT_MAX_S);
                return HOTPLUG_TIMEOUT_MAX_S * 1000;
        }
        return kp->hotplug_timeout_s * 1000;
}

static int set_level(struct agent_config *c, const char *value, const char *source)
{
        if (log_parse_level(value, &c->log_level) < 0)
                return complain(source, "%s: unknown log level `%s` (error, warn, info, debug)", source, value);
        c->log_level_source = source;
        return 0;
}

int agent_config_load(int argc, char **argv, struct agent_config *ret)
{
        enum { OPT_DEBUG_SERVICE = 0x100, OPT_KERNEL_CMDLINE, OPT_LOG_ADDR, OPT_DEBUG_CONSOLE_ADDR };
        static const struct option options[] = {
                { "server-addr", required_argument, NULL, 'a' },
                { "log-level", required_argument, NULL, 'l' },
                { "debug-service", no_argument, NULL, OPT_DEBUG_SERVICE },
                { "kernel-cmdline", required_argument, NULL, OPT_KERNEL_CMDLINE },
                /* Hidden, for host tests without vsock: serve the log / debug console on ADDR instead. */
                { "test-log-addr", required_argument, NULL, OPT_LOG_ADDR },
                { "test-debug-console-addr", required_argument, NULL, OPT_DEBUG_CONSOLE_ADDR },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        struct agent_config c = {
                .log_level = LOG_LEVEL_INFO,
                .log_level_source = "default",
                .kernel_cmdline_path = CMDLINE_PATH,
        };
        const char *flag_level = NULL, *flag_log_addr = NULL, *flag_console_addr = NULL;
        bool cmdline_explicit = false;
        int opt;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "a:l:hV", options, NULL)) != -1) {
                switch (opt) {
                case 'a':
                        if (add_addr(&c, optarg, "--server-addr") < 0)
                                return -EINVAL;
                        c.server_addr_source = "--server-addr";
                        break;
                case 'l':
                        flag_level = optarg;
                        break;
                case OPT_DEBUG_SERVICE:
                        c.debug_service = true;
                        break;
                case OPT_KERNEL_CMDLINE:
                        c.kernel_cmdline_path = optarg;
                        cmdline_explicit = true;
                        break;
                case OPT_LOG_ADDR:
                        flag_log_addr = optarg;
                        break;
                case OPT_DEBUG_CONSOLE_ADDR:
                        flag_console_addr = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return CONFIG_EXIT_SUCCESS;
                case 'V':
                        printf("kinglet-agent %s (Kata agent API %s)\n", KINGLET_VERSION, "0.0.1");
                        return CONFIG_EXIT_SUCCESS;
                default:
                        fprintf(stderr, "Try 'kinglet-agent --help'.\n");
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "kinglet-agent: unexpected argument `%s`\nTry 'kinglet-agent --help'.\n",
                        argv[optind]);
                return -EINVAL;
        }

        /* A missing /proc/cmdline (a host without procfs, a chroot) just means no parameters. */
        int r = kernel_params_read(c.kernel_cmdline_path, &c.kernel, warn_param, NULL);
        if (r < 0 && cmdline_explicit) {
                fprintf(stderr, "kinglet-agent: cannot read %s: %s\n", c.kernel_cmdline_path,
                        strerror(-r));
                return -EINVAL;
        }

        const char *env_level = getenv("KATA_AGENT_LOG_LEVEL");
        if (flag_level)
                r = set_level(&c, flag_level, "--log-level");
        else if (env_level && *env_level)
                r = set_level(&c, env_level, "KATA_AGENT_LOG_LEVEL");
        else if (c.kernel.has_log_level)
                r = set_level(&c, c.kernel.log_level, "agent.log");
        else if (c.kernel.devmode)
                r = set_level(&c, "debug", "agent.devmode");
        else
                r = 0;
        if (r < 0)
                return -EINVAL;
        /* From here on the level is known: warnings below reach the log as they should. */
        log_set_level(c.log_level);
        c.hotplug_timeout_ms = hotplug_timeout_ms(&c.kernel);
        struct agent_limits limits;
        agent_limits_from_params(&c.kernel, &limits);
        agent_limits_set(&limits);
        c.debug_console = c.kernel.debug_console;
        if (side_channel(c.log_addr, sizeof c.log_addr, flag_log_addr, "--test-log-addr", c.kernel.log_vport) < 0 ||
            side_channel(c.debug_console_addr, sizeof c.debug_console_addr, flag_console_addr,
                         "--test-debug-console-addr", c.kernel.debug_console_vport) < 0)
                return -EINVAL;
        /* Like Kata, no start with a policy that cannot be used: its absence would allow everything. */
        struct rpc_error policy_error = { 0 };
        if (c.kernel.has_policy_file && policy_load_file(c.kernel.policy_file, &policy_error) < 0)
                return complain("agent.policy_file", "cannot use the policy: %s", policy_error.msg);

        if (c.n_server_addrs == 0) {
                const char *env_addr = getenv("KATA_AGENT_SERVER_ADDR");
                const char *addr = DEFAULT_SERVER_ADDR;
                c.server_addr_source = "default";
                if (env_addr && *env_addr) {
                        addr = env_addr;
                        c.server_addr_source = "KATA_AGENT_SERVER_ADDR";
                } else if (c.kernel.has_server_addr) {
                        addr = c.kernel.server_addr;
                        c.server_addr_source = "agent.server_addr";
                }
                if (add_addr(&c, addr, c.server_addr_source) < 0)
                        return -EINVAL;
        }
        *ret = c;
        return CONFIG_OK;
}
