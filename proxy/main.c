/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kinglet-proxy: flags, setup, signals and the drain on exit. The launch
 * contract (flags, aliases, --ready-fd, exit codes) is in docs/proxy.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

#define EXIT_USAGE 2
#define SANDBOX_ID_MAX 256

struct options {
        const char *agent;
        const char *listen;
        const char *sandbox;
        const char *log_path;
        const char *agent_logs;
        const char *debug_console;
        const char *debug_console_listen;
        enum log_level level;
        int ready_fd;
};

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: kinglet-proxy --agent URL --listen unix:///PATH [options]\n"
                "Share one connection to a kinglet (or Kata) agent among many ttrpc clients.\n\n"
                "  --agent URL          the agent: serial:///chardev.sock, hvsock:///vm.sock:PORT,\n"
                "                       vsock://CID:PORT or unix:///path (alias -mux-socket)\n"
                "  --listen URL         unix:///path to serve clients on (alias -listen-socket)\n"
                "  --sandbox ID         sandbox id, put in front of the agent's log lines (alias -sandbox)\n"
                "  --log FILE|-         where the proxy logs (default -: stderr) (alias -log)\n"
                "  --log-level LEVEL    error, warn, info (default) or debug\n"
                "  --agent-logs URL     the agent's log stream, same URL forms (alias -agent-logs-socket)\n"
                "  --debug-console URL  the agent's debug console (agent.debug_console_vport), same URL forms\n"
                "  --debug-console-listen URL\n"
                "                       unix:///path where each client gets its own console session\n"
                "                       (at most 4 at once, 1 over serial://)\n"
                "  --ready-fd N         write \"ready\\n\" to fd N once serving, then close it\n"
                "  -h, --help           show this help\n"
                "  -V, --version        show version\n");
}

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "kinglet-proxy: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'kinglet-proxy --help'.\n");
        return -EINVAL;
}

enum { OPT_AGENT = 256, OPT_LISTEN, OPT_SANDBOX, OPT_LOG, OPT_LOG_LEVEL, OPT_AGENT_LOGS, OPT_READY_FD,
       OPT_DEBUG_CONSOLE, OPT_DEBUG_CONSOLE_LISTEN };

/* Returns 1 when the program should exit 0 now (help, version), 0 to run, -EINVAL on misuse. */
static int parse_options(int argc, char **argv, struct options *o)
{
        /* getopt_long_only: kata-proxy's single-dash names work as they are. */
        static const struct option longopts[] = {
                { "agent", required_argument, NULL, OPT_AGENT },
                { "mux-socket", required_argument, NULL, OPT_AGENT },
                { "listen", required_argument, NULL, OPT_LISTEN },
                { "listen-socket", required_argument, NULL, OPT_LISTEN },
                { "sandbox", required_argument, NULL, OPT_SANDBOX },
                { "log", required_argument, NULL, OPT_LOG },
                { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
                { "agent-logs", required_argument, NULL, OPT_AGENT_LOGS },
                { "agent-logs-socket", required_argument, NULL, OPT_AGENT_LOGS },
                { "ready-fd", required_argument, NULL, OPT_READY_FD },
                { "debug-console", required_argument, NULL, OPT_DEBUG_CONSOLE },
                { "debug-console-listen", required_argument, NULL, OPT_DEBUG_CONSOLE_LISTEN },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        *o = (struct options){ .level = LOG_LEVEL_INFO, .ready_fd = -1 };
        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "hV", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_AGENT: o->agent = optarg; break;
                case OPT_LISTEN: o->listen = optarg; break;
                case OPT_SANDBOX:
                        if (strlen(optarg) > SANDBOX_ID_MAX || strpbrk(optarg, " \t\n\"="))
                                return usage_error("--sandbox `%.300s`: at most 256 characters, no "
                                                   "spaces, quotes or `=`",
                                                   optarg);
                        o->sandbox = optarg;
                        break;
                case OPT_LOG: o->log_path = optarg; break;
                case OPT_LOG_LEVEL:
                        if (log_parse_level(optarg, &o->level) < 0)
                                return usage_error("unknown log level `%.100s`", optarg);
                        break;
                case OPT_AGENT_LOGS: o->agent_logs = optarg; break;
                case OPT_DEBUG_CONSOLE: o->debug_console = optarg; break;
                case OPT_DEBUG_CONSOLE_LISTEN: o->debug_console_listen = optarg; break;
                case OPT_READY_FD:
                        if (parse_int(optarg, &o->ready_fd) < 0 || o->ready_fd < 3)
                                return usage_error("--ready-fd `%.100s`: a file descriptor number of 3 "
                                                   "or more",
                                                   optarg);
                        break;
                case 'h': usage(stdout); return 1;
                case 'V': printf("kinglet-proxy %s\n", KINGLET_VERSION); return 1;
                default:
                        return usage_error("unknown option or missing value: `%s`", argv[optind - 1]);
                }
        }
        if (optind < argc)
                return usage_error("unexpected argument `%.200s`", argv[optind]);
        if (!o->agent)
                return usage_error("%s", "--agent URL is required");
        if (!o->listen)
                return usage_error("%s", "--listen unix:///PATH is required");
        if (!o->debug_console != !o->debug_console_listen)
                return usage_error("%s", "--debug-console URL and --debug-console-listen unix:///PATH go "
                                         "together");
        return 0;
}

static int parse_address(const char *flag, const char *s, struct address *a)
{
        struct rpc_error e = { 0 };
        if (address_parse(s, a, &e) < 0) {
                fprintf(stderr, "kinglet-proxy: %s `%.300s`: %s\n", flag, s, e.msg);
                return -EINVAL;
        }
        return 0;
}

/* --log FILE: everything the proxy writes to stderr goes there instead. */
static int open_log(const char *path)
{
        if (!path || streq(path, "-"))
                return 0;
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0) {
                int r = -errno;
                fprintf(stderr, "kinglet-proxy: --log %s: %s\n", path, strerror(-r));
                return r;
        }
        if (dup3(fd, STDERR_FILENO, 0) < 0)
                return -errno;
        return 0;
}

static void on_drain_timeout(struct loop_timer *t)
{
        struct proxy *p = t->data;
        log_warn("requests still in flight after %llu s: exiting anyway",
                 (unsigned long long)(PROXY_DRAIN_NS / NSEC_PER_SEC));
        loop_quit(p->loop, 0);
}

static void on_signal(struct loop *l, int signo, void *data)
{
        struct proxy *p = data;
        if (p->stopping)
                return;
        log_info("%s: no new clients; finishing the requests in flight", strsignal(signo));
        p->stopping = true;
        downstream_stop_listening(p);
        if (p->have_console)
                debug_console_stop_listening(&p->console);
        /* Stop reading every client: whatever they send now would not be answered. */
        struct list_head *pos;
        for (pos = p->clients.next; pos != &p->clients; pos = pos->next)
                client_mark_dirty(list_entry(pos, struct client, link));
        (void)loop_timer_arm(l, &p->drain_timer, now_ns() + PROXY_DRAIN_NS, on_drain_timeout, p);
}

static void after_iteration(struct loop *l, void *data)
{
        struct proxy *p = data;
        upstream_after(&p->up);
        downstream_flush_all(p);
        if (p->stopping && (p->up.fd < 0 || downstream_idle(p)) && list_empty(&p->dirty))
                loop_quit(l, 0);
}

static void signal_ready(int fd)
{
        if (fd < 0)
                return;
        (void)write_all(fd, "ready\n", 6);
        close(fd);
}

static int run(const struct options *o)
{
        struct proxy p = { .sandbox = o->sandbox, .listen_fd = -1,
                           .refuse_log = LOG_RATELIMIT_INIT(10 * NSEC_PER_SEC, 5) };
        struct address agent, logs, console, console_listen;
        struct rpc_error e = { 0 };
        int r;

        list_init(&p.clients);
        list_init(&p.dirty);
        if (parse_address("--agent", o->agent, &agent) < 0 ||
            parse_address("--listen", o->listen, &p.listen_addr) < 0 ||
            (o->agent_logs && parse_address("--agent-logs", o->agent_logs, &logs) < 0) ||
            (o->debug_console && (parse_address("--debug-console", o->debug_console, &console) < 0 ||
                                  parse_address("--debug-console-listen", o->debug_console_listen,
                                                &console_listen) < 0)))
                return EXIT_USAGE;
        if (o->debug_console && console_listen.kind != ADDR_UNIX) {
                fprintf(stderr, "kinglet-proxy: --debug-console-listen must be a unix:// address\n");
                return EXIT_USAGE;
        }
        if (o->debug_console && console.kind == ADDR_SERIAL && console.serial_by_name) {
                fprintf(stderr, "kinglet-proxy: --debug-console serial://%s names a port inside the guest; "
                                "give the VMM's chardev socket: serial:///path.sock\n", console.path);
                return EXIT_USAGE;
        }
        if (p.listen_addr.kind != ADDR_UNIX) {
                fprintf(stderr, "kinglet-proxy: --listen must be a unix:// address\n");
                return EXIT_USAGE;
        }
        if (agent.kind == ADDR_SERIAL && agent.serial_by_name) {
                fprintf(stderr, "kinglet-proxy: --agent serial://%s names a port inside the guest; "
                                "give the VMM's chardev socket: serial:///path.sock\n", agent.path);
                return EXIT_USAGE;
        }
        if ((r = loop_new(&p.loop)) < 0) {
                log_error_errno(r, "cannot create the event loop");
                return EXIT_FAILURE;
        }
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        (void)signal(SIGPIPE, SIG_IGN);
        if ((r = loop_signals(p.loop, &mask, on_signal, &p)) < 0 ||
            (r = loop_after_add(p.loop, after_iteration, &p)) < 0) {
                log_error_errno(r, "cannot set up the event loop");
                loop_free(p.loop);
                return EXIT_FAILURE;
        }
        upstream_init(&p.up, &p, &agent);
        if (downstream_listen(&p, &e) < 0) {
                log_error("cannot listen on %s: %s", o->listen, e.msg);
                upstream_close(&p.up);
                free(p.scratch);
                loop_free(p.loop);
                return EXIT_FAILURE;
        }
        if (o->debug_console) {
                debug_console_init(&p.console, &p, &console, &console_listen);
                if (debug_console_listen(&p.console, &e) < 0) {
                        log_error("cannot listen on %s: %s", o->debug_console_listen, e.msg);
                        downstream_stop_listening(&p);
                        downstream_close_all(&p);
                        upstream_close(&p.up);
                        loop_free(p.loop);
                        return EXIT_FAILURE;
                }
                p.have_console = true;
                log_info("debug console of %s served on %s", p.console.agent_text, o->debug_console_listen);
        }
        log_info("listening on %s for the agent at %s", o->listen, p.up.addr_text);
        upstream_start(&p.up);
        if (o->agent_logs) {
                p.have_logs = true;
                agent_logs_init(&p.logs, &p, &logs);
                agent_logs_start(&p.logs);
        }
        signal_ready(o->ready_fd);

        r = loop_run(p.loop);

        downstream_stop_listening(&p);
        downstream_close_all(&p);
        if (p.have_logs)
                agent_logs_close(&p.logs);
        if (p.have_console)
                debug_console_close(&p.console);
        upstream_close(&p.up);
        loop_timer_disarm(p.loop, &p.drain_timer);
        loop_free(p.loop);
        log_info("exiting");
        return r < 0 ? EXIT_FAILURE : r;
}

int main(int argc, char **argv)
{
        struct options o;

        log_setup("kinglet-proxy", LOG_LEVEL_INFO, LOG_SINK_STDERR);
        int r = parse_options(argc, argv, &o);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_USAGE;
        log_set_level(o.level);
        if (open_log(o.log_path) < 0)
                return EXIT_FAILURE;
        return run(&o);
}
