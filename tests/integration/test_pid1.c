/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The real agent as PID 1 of a fresh PID, mount and UTS namespace: /dev and
 * /run are new tmpfs, /sys a tmpfs (so the cgroups are the agent's), /dev/console a pty this test holds.
 * reboot(2) from the init of a non-initial PID namespace does not touch the
 * host: the kernel kills that init, and its parent sees SIGINT for a
 * power-off (SIGHUP for a restart). So "the agent powered off" is "the
 * agent died of SIGINT", after its "powering off" log line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "agent_proc.h"
#include "google/protobuf/empty.pb-c.h"
#include "pid1.h"
#include "util.h"

struct pid1_agent {
        struct agent_proc p; /* pid, dir, sock, addr, log as agent_proc.h has them */
        int console;         /* the pty master behind the agent's /dev/console */
};

/* The agent of the running test, for the teardown when an assertion ends the test early. */
static struct pid1_agent *running;

static void must(int r, const char *what)
{
        if (r < 0) {
                dprintf(STDERR_FILENO, "pid1 child: %s: %s\n", what, strerror(errno));
                _exit(120);
        }
}

/* In the new namespaces, before exec: a private, VM-like world around the agent. */
static _Noreturn void child(const struct pid1_agent *a, const char *pts, char *const *argv)
{
        char hostdev[128], path[256];
        must(sethostname("(none)", 6), "hostname"); /* what a VM's kernel starts with */
        must(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "private /");
        snprintf(hostdev, sizeof hostdev, "%s/hostdev", a->p.dir);
        must(mkdir(hostdev, 0755), "mkdir hostdev");
        must(mount("/dev", hostdev, NULL, MS_BIND | MS_REC, NULL), "bind /dev");
        must(mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=0755"), "tmpfs /dev");
        static const char *const nodes[] = { "null", "console" };
        for (size_t i = 0; i < 2; i++) {
                snprintf(path, sizeof path, "/dev/%s", nodes[i]);
                int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
                must(fd, "create node");
                close(fd);
        }
        snprintf(path, sizeof path, "%s/null", hostdev);
        must(mount(path, "/dev/null", NULL, MS_BIND, NULL), "bind null");
        snprintf(path, sizeof path, "%s%s", hostdev, pts + strlen("/dev"));
        must(mount(path, "/dev/console", NULL, MS_BIND, NULL), "bind console");
        must(mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"), "tmpfs /run");
        /* A /sys without the host's cgroup mounts (sysfs itself cannot be mounted twice here). */
        must(mount("tmpfs", "/sys", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"), "tmpfs /sys");
        must(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "proc");
        int log = open(a->p.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        must(log < 0 || null < 0 ? -1 : 0, "open log");
        dup2(null, STDIN_FILENO);
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        execv(agent_binary(), argv);
        _exit(127);
}

/* Starts the agent as PID 1 with this kernel command line; server_addr NULL: none on the flags. */
static void pid1_start(struct pid1_agent *a, const char *cmdline, bool with_server_flag, const char *server_addr)
{
        char cmdline_path[128], pts[64];
        memset(a, 0, sizeof *a);
        a->console = -1;
        snprintf(a->p.dir, sizeof a->p.dir, "/tmp/kinglet-pid1-XXXXXX");
        assert_non_null(mkdtemp(a->p.dir));
        snprintf(a->p.sock, sizeof a->p.sock, "%s/agent.sock", a->p.dir);
        snprintf(a->p.addr, sizeof a->p.addr, "unix://%s", server_addr ? server_addr : a->p.sock);
        snprintf(a->p.log, sizeof a->p.log, "%s/agent.log", a->p.dir);
        snprintf(cmdline_path, sizeof cmdline_path, "%s/cmdline", a->p.dir);
        FILE *f = fopen(cmdline_path, "we");
        assert_non_null(f);
        fprintf(f, "console=ttyS0 %s\n", cmdline);
        fclose(f);

        a->console = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        assert_true(a->console >= 0);
        assert_int_equal(grantpt(a->console), 0);
        assert_int_equal(unlockpt(a->console), 0);
        assert_int_equal(ptsname_r(a->console, pts, sizeof pts), 0);

        char *argv[] = { (char *)agent_binary(), "--kernel-cmdline", cmdline_path, NULL, NULL, NULL };
        if (with_server_flag) {
                argv[3] = "--server-addr";
                argv[4] = a->p.addr;
        }
        running = a;
        pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid == 0)
                child(a, pts, argv);
        assert_true(pid > 0);
        a->p.pid = pid;
}

/* Polls Check until the agent serves (true) or died (false). */
static bool pid1_wait_serving(struct pid1_agent *a)
{
        for (int i = 0; i < 200; i++) {
                if (waitpid(a->p.pid, NULL, WNOHANG) == a->p.pid) {
                        a->p.pid = 0;
                        return false;
                }
                if (access(a->p.sock, F_OK) == 0) {
                        struct ttrpc_client *c = agent_connect(&a->p);
                        int code = agent_check(c);
                        ttrpc_client_free(c);
                        if (code == 0)
                                return true;
                }
                usleep(50 * 1000);
        }
        return false;
}

/* The agent's end; returns its wait status (or -1 if it lives on after timeout_s). */
static int pid1_wait_exit(struct pid1_agent *a, int timeout_s)
{
        int status;
        for (int i = 0; i < timeout_s * 20; i++) {
                if (waitpid(a->p.pid, &status, WNOHANG) == a->p.pid) {
                        a->p.pid = 0;
                        return status;
                }
                usleep(50 * 1000);
        }
        return -1;
}

static void pid1_cleanup(struct pid1_agent *a)
{
        char cmd[128];
        running = NULL;
        if (a->p.pid > 0) {
                kill(a->p.pid, SIGKILL); /* the namespace's init: everything in it goes too */
                waitpid(a->p.pid, NULL, 0);
        }
        if (a->console >= 0)
                close(a->console);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", a->p.dir);
        (void)!system(cmd);
}

/* Types a line on the console and collects output until `needle` shows up (or 10 s pass). */
static bool console_run(struct pid1_agent *a, const char *line, const char *needle, char *out, size_t size)
{
        size_t len = 0;
        out[0] = '\0';
        assert_int_equal(write(a->console, line, strlen(line)), (ssize_t)strlen(line));
        uint64_t deadline = now_ns() + 10 * NSEC_PER_SEC;
        while (now_ns() < deadline) {
                struct pollfd p = { .fd = a->console, .events = POLLIN };
                if (poll(&p, 1, 100) <= 0)
                        continue;
                ssize_t n = read(a->console, out + len, size - 1 - len);
                if (n <= 0)
                        break;
                len += (size_t)n;
                out[len] = '\0';
                if (strstr(out, needle))
                        return true;
                if (len == size - 1)
                        len = 0; /* keep reading; only the tail matters */
        }
        fprintf(stderr, "console: no `%s` in:\n%s\n", needle, out);
        return false;
}

static bool powered_off(int status)
{
        return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGINT;
}

static void test_setup_reaping_and_destroy(void **state)
{
        (void)state;
        struct pid1_agent a;
        char out[8192], want[128];
        if (!agent_can_run())
                skip();
        pid1_start(&a, "agent.debug_console systemd.unified_cgroup_hierarchy=0", true, NULL);
        if (!pid1_wait_serving(&a)) {
                agent_dump_log(&a.p);
                fail();
        }
        /* The console shell sees what PID 1 set up. */
        assert_true(console_run(&a, "hostname; echo P=$PATH; ulimit -n; readlink /dev/ptmx; echo END-$((40+2))\n",
                                "END-42", out, sizeof out));
        /* The hostname: /etc/hostname's when it has a valid one, else "kinglet" (the kernel's "(none)" goes). */
        char etc[256], name[65];
        bool have_etc = read_small_file("/etc/hostname", etc, sizeof etc, NULL) == 0;
        snprintf(want, sizeof want, "\n%s\r\n", pid1_hostname_choice("(none)", have_etc ? etc : NULL, name, sizeof name));
        assert_non_null(strstr(out, want));
        snprintf(want, sizeof want, "P=%s\r\n", PID1_PATH);
        assert_non_null(strstr(out, want));
        assert_non_null(strstr(out, "pts/ptmx\r\n"));
        /* RLIMIT_NOFILE: fs.nr_open, or, where this host withholds CAP_SYS_RESOURCE, a logged refusal. */
        char nr_open[32] = "";
        assert_int_equal(read_small_file("/proc/sys/fs/nr_open", nr_open, sizeof nr_open, NULL), 0);
        snprintf(want, sizeof want, "\n%.*s\r\n", (int)strcspn(nr_open, "\n"), nr_open);
        struct rlimit mine;
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &mine), 0);
        bool can_raise = mine.rlim_max == RLIM_INFINITY ||
                         setrlimit(RLIMIT_NOFILE, &(struct rlimit){ mine.rlim_cur, mine.rlim_max + 1 }) == 0;
        if (can_raise) {
                assert_int_equal(setrlimit(RLIMIT_NOFILE, &mine), 0);
                assert_non_null(strstr(out, want));
        } else
                assert_true(agent_log_contains(&a.p, "msg=\"cannot raise RLIMIT_NOFILE to"));
        /* cgroup v1 as systemd lays it out, and the agent found its hierarchies there. */
        assert_true(console_run(&a, "ls /sys/fs/cgroup | tr '\\n' ' '; readlink /sys/fs/cgroup/net_prio; echo END-$((1+1))\n",
                                "END-2", out, sizeof out));
        assert_non_null(strstr(out, "memory"));
        assert_non_null(strstr(out, "net_cls,net_prio\r\n"));
        assert_false(agent_log_contains(&a.p, "no cgroup hierarchy"));
        /* An orphan (its parent sh exits at once) is reparented to PID 1 and reaped: no zombie stays. */
        assert_true(console_run(&a,
                                "sh -c 'sleep 0.3 & echo $! > /run/orphan'; sleep 1.5; "
                                "if [ -e /proc/$(cat /run/orphan) ]; then echo ORPH-$((2+3)) $(cat /proc/$(cat /run/orphan)/stat); "
                                "else echo ORPH-$((2+2)); fi\n",
                                "ORPH-4", out, sizeof out)); /* ORPH-5 and the zombie's stat if not */
        /* SIGTERM does not stop PID 1. */
        kill(a.p.pid, SIGTERM);
        usleep(200 * 1000);
        struct ttrpc_client *c = agent_connect(&a.p);
        assert_int_equal(agent_check(c), 0);
        ttrpc_client_free(c);
        /* DestroySandbox answers, then the VM powers off. */
        Grpc__DestroySandboxRequest req = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
        struct ttrpc_reply st = { 0 };
        struct rpc_error e = { 0 };
        ProtobufCMessage *resp = NULL;
        c = agent_connect(&a.p);
        assert_non_null(c);
        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", "DestroySandbox", &req.base,
                                           &google__protobuf__empty__descriptor, 5 * (int64_t)NSEC_PER_SEC, &st, &resp, &e),
                         0);
        assert_int_equal(st.code, 0); /* the reply arrived before the power-off */
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        int status = pid1_wait_exit(&a, 5);
        if (!powered_off(status))
                agent_dump_log(&a.p);
        assert_true(powered_off(status));
        assert_true(agent_log_contains(&a.p, "msg=\"powering off\" reason=\"sandbox destroyed\""));
        ttrpc_client_free(c);
        pid1_cleanup(&a);
}

static void expect_power_off(const char *cmdline, bool with_flag, const char *server_addr, const char *error,
                             const char *reason)
{
        struct pid1_agent a;
        if (!agent_can_run())
                skip();
        pid1_start(&a, cmdline, with_flag, server_addr);
        int status = pid1_wait_exit(&a, 10);
        if (!powered_off(status) || !agent_log_contains(&a.p, error) || !agent_log_contains(&a.p, reason))
                agent_dump_log(&a.p);
        assert_true(powered_off(status));
        assert_true(agent_log_contains(&a.p, error));
        assert_true(agent_log_contains(&a.p, reason));
        pid1_cleanup(&a);
}

static void test_bad_server_addr_powers_off(void **state)
{
        (void)state;
        expect_power_off("agent.server_addr=bogus://x", false, NULL,
                         "level=error source=kinglet-agent msg=\"address `bogus://x`: unknown scheme",
                         "level=error source=kinglet-agent msg=\"powering off\" reason=\"bad configuration (see above)\"");
}

static void test_listen_failure_powers_off(void **state)
{
        (void)state;
        expect_power_off("", true, "/nonexistent/kinglet/agent.sock", "cannot listen on unix:///nonexistent",
                         "msg=\"powering off\" reason=\"cannot serve the server address (see above)\"");
}

static int teardown(void **state)
{
        (void)state;
        if (running)
                pid1_cleanup(running);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_setup_reaping_and_destroy, teardown),
                cmocka_unit_test_teardown(test_bad_server_addr_powers_off, teardown),
                cmocka_unit_test_teardown(test_listen_failure_powers_off, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
