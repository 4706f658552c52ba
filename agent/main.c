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
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"
#include "early_mounts.h"
#include "listen.h"
#include "log.h"
#include "util.h"

/*
 * PID 1 must never exit: the kernel would panic. A fatal error powers the VM
 * off instead, so the VMM exits and the runtime sees the sandbox die.
 */
static _Noreturn void die(struct agent *a, int code)
{
        if (a->init_mode) {
                log_error("fatal error as PID 1: powering off");
                sync();
                (void)reboot(RB_POWER_OFF);
                for (;;)
                        pause();
        }
        exit(code);
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

int main(int argc, char **argv)
{
        struct agent a = {
                .init_mode = getpid() == 1,
                .start_ns = now_ns(),
                .container_base = KATA_CONTAINER_BASE,
                .sysfs_root = "/sys",
        };
        sigset_t mask;
        int r;
        struct early_mount_failure failed[8];
        size_t n_failed = 0;

        /* First, before there is anywhere to log: /proc holds the command line, /dev the log. */
        if (a.init_mode)
                n_failed = early_mounts_run(early_mount_table, early_mount_count, "", mount, failed,
                                            ARRAY_SIZE(failed));
        log_setup("kinglet-agent", LOG_LEVEL_INFO, pick_log_sink(a.init_mode));
        for (size_t i = 0; i < n_failed && i < ARRAY_SIZE(failed); i++)
                log_error_errno(failed[i].error, "cannot mount %s on %s", failed[i].m->fstype, failed[i].m->target);
        r = agent_config_load(argc, argv, &a.config);
        if (r == CONFIG_EXIT_SUCCESS)
                return 0;
        if (r < 0)
                die(&a, AGENT_EXIT_USAGE);
        log_set_level(a.config.log_level);

        /* Replies to vanished peers must fail with EPIPE, not kill the agent. */
        signal(SIGPIPE, SIG_IGN);

        r = loop_new(&a.loop);
        if (r < 0) {
                log_error_errno(r, "cannot create the event loop");
                die(&a, 1);
        }
        r = agent_runtime_init(&a);
        if (r < 0) {
                log_error_errno(r, "cannot set up the container runtime");
                die(&a, 1);
        }
        r = ttrpc_server_new(a.loop, &a.server);
        if (r < 0) {
                log_error_errno(r, "cannot create the ttrpc server");
                die(&a, 1);
        }
        r = agent_register_services(&a);
        if (r < 0) {
                log_error_errno(r, "cannot register services");
                die(&a, 1);
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        r = loop_signals(a.loop, &mask, on_signal, &a);
        if (r < 0) {
                log_error_errno(r, "cannot set up signal handling");
                die(&a, 1);
        }
        for (size_t i = 0; i < a.config.n_server_addrs; i++) {
                r = agent_listen(&a, a.config.server_addrs[i]);
                if (r < 0)
                        die(&a, 1); /* agent_listen logged why */
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
                die(&a, 1);
        }
        agent_runtime_free(&a);
        a.server = ttrpc_server_free(a.server);
        a.loop = loop_free(a.loop);
        for (size_t i = 0; i < a.n_socket_paths; i++)
                (void)unlink(a.socket_paths[i]);
        log_info("kinglet-agent stopped");
        return 0;
}
