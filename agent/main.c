/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kinglet-agent: set up logging and configuration, open the listening
 * channels, register the services and run the event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "agent_limits.h"
#include "cleanup.h"
#include "debug_console.h"
#include "harden.h"
#include "hotplug.h"
#include "listen.h"
#include "policy.h"
#include "log.h"
#include "log_vport.h"
#include "pid1.h"
#include "power.h"
#include "util.h"

static struct log_vport *log_channel;
static struct debug_console *debug_console;

/*
 * Every path that would end the agent. As PID 1 that would panic the kernel:
 * the VM is powered off instead (init/power.h), so the VMM exits.
 */
static _Noreturn void finish(struct agent *a, int code, const char *why)
{
        if (a->init_mode)
                power_off(code == 0 ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR, why);
        exit(code);
}

/* How long a DestroySandbox reply gets to reach the host before the power-off. */
#define POWER_OFF_GRACE_NS (1000ull * 1000 * 1000)

static void power_off_now(struct loop_timer *t)
{
        struct agent *a = t->data;
        finish(a, 0, "sandbox destroyed");
}

/*
 * Runs after the server's own hook has written this iteration's replies.
 * They are in the kernel now, but a VM powered off at once could still
 * lose them in the virtqueue: wait until the peers have gone, at most a second.
 */
static void power_off_after_reply(struct loop *l, void *data)
{
        struct agent *a = data;
        static struct loop_timer grace;

        if (!a->power_off_requested)
                return;
        if (ttrpc_server_n_connections(a->server) == 0)
                finish(a, 0, "sandbox destroyed");
        if (!loop_timer_armed(&grace) && loop_timer_arm(l, &grace, now_ns() + POWER_OFF_GRACE_NS, power_off_now, a) < 0)
                finish(a, 0, "sandbox destroyed");
}

/* Every child and every orphan reparented to us ends here; containers claim theirs. */
static void reap_children(struct agent *a)
{
        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);
                if (pid <= 0)
                        return;
                log_debug("reaped process %d (status %#x)", (int)pid, status);
                agent_child_exited(a, pid, status);
        }
}

static void on_signal(struct loop *l, int signo, void *data)
{
        struct agent *a = data;

        switch (signo) {
        case SIGCHLD:
                reap_children(a);
                break;
        case SIGIO:
                ttrpc_server_serial_event(a->server);
                break;
        case SIGTERM:
        case SIGINT:
                if (a->init_mode) {
                        log_info("ignoring signal %d: PID 1 stops through DestroySandbox", signo);
                        break;
                }
                log_info("signal %d: shutting down", signo);
                loop_quit(l, 0);
                break;
        }
}

/* Since the kernel started (CLOCK_BOOTTIME): in a VM, how long the boot took to reach us. */
static int64_t uptime_ms(void)
{
        struct timespec ts;
        return clock_gettime(CLOCK_BOOTTIME, &ts) == 0 ? (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 : -1;
}

/*
 * What the guest uses once the agent is up (MemTotal - MemAvailable) and how
 * much of it is page cache (Cached: an initrd's files, or a disk root's pages
 * without DAX), in KiB; -1 when unknown. Logged with "ready": the numbers a
 * density-minded operator asks of a boot.
 */
static void guest_memory_kib(long long *ret_used, long long *ret_cached)
{
        long long total = -1, available = -1, cached = -1;
        char line[128];
        _cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
        while (f && fgets(line, sizeof line, f)) {
                long long *dst = startswith(line, "MemTotal:")       ? &total
                                 : startswith(line, "MemAvailable:") ? &available
                                 : startswith(line, "Cached:")       ? &cached
                                                                     : NULL;
                const char *colon = strchr(line, ':');
                uint64_t v;
                char num[32];
                if (!dst || !colon)
                        continue;
                size_t len = strspn(colon + 1 + strspn(colon + 1, " "), "0123456789");
                if (len == 0 || len >= sizeof num)
                        continue;
                memcpy(num, colon + 1 + strspn(colon + 1, " "), len);
                num[len] = '\0';
                if (parse_u64(num, 10, &v) == 0)
                        *dst = (long long)v;
        }
        *ret_used = total >= 0 && available >= 0 ? total - available : -1;
        *ret_cached = cached;
}

/* Early PID 1 may have no usable stderr; the kernel log is always there. */
static enum log_sink pick_log_sink(bool init_mode)
{
        if (init_mode && fcntl(STDERR_FILENO, F_GETFD) < 0)
                return LOG_SINK_KMSG;
        return LOG_SINK_STDERR;
}

/* Loop, signals, server, services, side channels; `why` says what failed. */
static int start(struct agent *a, const char **why)
{
        sigset_t mask;
        int r;

        /* Replies to vanished peers must fail with EPIPE, not kill the agent. */
        signal(SIGPIPE, SIG_IGN);
        if ((r = loop_new(&a->loop)) < 0)
                return *why = "cannot create the event loop", r;
        if ((r = agent_runtime_init(a)) < 0)
                return *why = "cannot set up the container runtime", r;
        if ((r = ttrpc_server_new(a->loop, &a->server)) < 0)
                return *why = "cannot create the ttrpc server", r;
        agent_limits_apply_server(a->server);
        /* After the server's hook, so it sees this iteration's replies written. */
        if ((r = loop_after_add(a->loop, power_off_after_reply, a)) < 0)
                return *why = "cannot set up the power-off hook", r;
        if ((r = agent_register_services(a)) < 0)
                return *why = "cannot register services", r;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGIO); /* a virtio-serial port's host side connected (ttrpc_server_serial_event) */
        if ((r = loop_signals(a->loop, &mask, on_signal, a)) < 0)
                return *why = "cannot set up signal handling", r;
        /* Side channels first: a failing server address is then also logged to the host. */
        if (a->config.log_addr[0] && log_vport_start(a->loop, a->config.log_addr, &log_channel) < 0)
                log_warn("going on without the log channel");
        if ((a->config.debug_console || a->config.debug_console_addr[0]) &&
            debug_console_start(a->loop, a->config.debug_console, PID1_CONSOLE, a->config.debug_console_addr,
                                &debug_console) < 0)
                log_warn("going on without the debug console");
        for (size_t i = 0; i < a->config.n_server_addrs; i++)
                if (agent_listen(a, a->config.server_addrs[i]) < 0) /* it logged why */
                        return *why = "cannot serve the server address (see above)", -EINVAL;
        return 0;
}

int main(int argc, char **argv)
{
        struct agent a = {
                .init_mode = getpid() == 1,
                .start_ns = now_ns(),
                .container_base = KATA_CONTAINER_BASE,
                .sysfs_root = "/sys",
        };
        const char *why = NULL;
        int r;

        /* /proc first: the kernel command line there decides the rest of the set-up. */
        if (a.init_mode)
                pid1_mount_proc(mount);
        log_setup("kinglet-agent", LOG_LEVEL_INFO, pick_log_sink(a.init_mode));
        (void)agent_harden_self(); /* umask, no core dumps; logs a failure itself */
        r = agent_config_load(argc, argv, &a.config);
        if (r == CONFIG_EXIT_SUCCESS)
                finish(&a, 0, "only asked for --help or --version");
        if (r < 0)
                finish(&a, AGENT_EXIT_USAGE, "bad configuration (see above)");
        log_set_level(a.config.log_level);
        if (a.init_mode) {
                pid1_setup(&a.config.kernel, mount);
                log_set_sink(pick_log_sink(true)); /* the console may be stderr now */
        }

        r = start(&a, &why);
        if (r < 0) {
                log_error_errno(r, "%s", why);
                finish(&a, 1, why);
        }
        long long mem_used, mem_cached;
        guest_memory_kib(&mem_used, &mem_cached);
        log_emit(LOG_LEVEL_INFO,
                 LOG_FIELDS(LF_STR("version", KINGLET_VERSION), LF_INT("pid", getpid()),
                            LF_INT("uptime_ms", uptime_ms()), LF_INT("mem_used_kib", mem_used),
                            LF_INT("mem_cached_kib", mem_cached),
                            LF_STR("init", a.init_mode ? "yes" : "no"),
                            LF_STR("addr_source", a.config.server_addr_source),
                            LF_STR("log_level", log_level_name(a.config.log_level)),
                            LF_STR("log_level_source", a.config.log_level_source)),
                 "kinglet-agent ready");

        r = loop_run(a.loop);
        if (r < 0) {
                log_error_errno(r, "event loop failed");
                finish(&a, 1, "the event loop failed");
        }
        /* Only a signal ends the loop, and PID 1 ignores those; still, PID 1 never returns. */
        if (a.init_mode)
                finish(&a, 0, "the event loop ended");
        debug_console = (debug_console_free(debug_console), NULL);
        log_channel = (log_vport_free(log_channel), NULL);
        agent_runtime_free(&a);
        a.server = ttrpc_server_free(a.server);
        /* After the server: freeing it cancels the calls parked on device waits. */
        a.hotplug = hotplug_free(a.hotplug);
        policy_activate(NULL); /* the policy lives as long as the server that consulted it */
        a.loop = loop_free(a.loop);
        for (size_t i = 0; i < a.n_socket_paths; i++)
                (void)unlink(a.socket_paths[i]);
        log_info("kinglet-agent stopped");
        return 0;
}
