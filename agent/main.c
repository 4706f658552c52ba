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
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"
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

        log_setup("kinglet-agent", LOG_LEVEL_INFO, pick_log_sink(a.init_mode));
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
        log_emit(LOG_LEVEL_INFO,
                 LOG_FIELDS(LF_STR("version", KINGLET_VERSION), LF_INT("pid", getpid()),
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
