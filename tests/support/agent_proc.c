/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "health.pb-c.h"
#include "util.h"

#define START_TIMEOUT_MS 5000
/* Under a wrapper such as valgrind the agent starts, and exits (leak check), far slower. */
#define WRAPPED_TIMEOUT_MS 60000

bool agent_can_run(void)
{
        return geteuid() == 0 && access(agent_binary(), X_OK) == 0;
}

const char *agent_binary(void)
{
        const char *p = getenv("KINGLET_AGENT");
        return p && *p ? p : "build/kinglet-agent";
}

const char *ctl_binary(void)
{
        const char *p = getenv("KINGLET_CTL");
        return p && *p ? p : "build/kinglet-ctl";
}

static bool socket_answers(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return false;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        if (fd >= 0)
                close(fd);
        return ok;
}

/*
 * KINGLET_AGENT_WRAPPER: words (split at spaces) put before the agent's
 * command line, e.g. "valgrind --tool=memcheck --log-file=/tmp/x/vg.log".
 * Returns how many went into argv (at most max).
 */
static int wrapper_words(char *buf, size_t size, const char **argv, int max)
{
        const char *w = getenv("KINGLET_AGENT_WRAPPER");
        char *save = NULL;
        int n = 0;
        if (!w || !*w)
                return 0;
        snprintf(buf, size, "%s", w);
        for (char *t = strtok_r(buf, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
                argv[n++] = t;
        return n;
}

static bool wrapped(void)
{
        const char *w = getenv("KINGLET_AGENT_WRAPPER");
        return w && *w;
}

static _Noreturn void child(const struct agent_proc *a, const struct agent_opts *o)
{
        const char *argv[64];
        char wrapper[1024];
        int n = 0;

        /* Our own /run (CopyFile, bundles) and hostname (CreateSandbox): the host's stay untouched. */
        if (unshare(CLONE_NEWNS | CLONE_NEWUTS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
                perror("agent_proc: mount namespace");
                _exit(125);
        }
        int log = open(a->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (log >= 0) {
                dup2(log, STDERR_FILENO);
                dup2(log, STDOUT_FILENO);
        }
        n = wrapper_words(wrapper, sizeof wrapper, argv, 24);
        argv[n++] = agent_binary();
        if (!o || !o->no_default_addr) {
                argv[n++] = "--server-addr";
                argv[n++] = a->addr;
        }
        argv[n++] = "--log-level=debug";
        argv[n++] = "--debug-service";
        for (size_t i = 0; o && o->args && o->args[i] && n < 62; i++)
                argv[n++] = o->args[i];
        argv[n] = NULL;
        for (size_t i = 0; o && o->env && o->env[i]; i++)
                putenv((char *)o->env[i]);
        execvp(argv[0], (char **)argv);
        perror("agent_proc: exec");
        _exit(127);
}

int agent_start(struct agent_proc *a, const struct agent_opts *o)
{
        memset(a, 0, sizeof *a);
        snprintf(a->dir, sizeof a->dir, "/tmp/kinglet-it-XXXXXX");
        if (!mkdtemp(a->dir))
                return -errno;
        snprintf(a->sock, sizeof a->sock, "%s/agent.sock", a->dir);
        snprintf(a->addr, sizeof a->addr, "unix://%s", a->sock);
        snprintf(a->log, sizeof a->log, "%s/agent.log", a->dir);
        fflush(NULL);
        a->pid = fork();
        if (a->pid < 0)
                return -errno;
        if (a->pid == 0)
                child(a, o);
        const char *wait_for = o && o->wait_sock ? o->wait_sock : a->sock;
        int timeout_ms = wrapped() ? WRAPPED_TIMEOUT_MS : START_TIMEOUT_MS;
        for (int i = 0; i < timeout_ms / 10; i++) {
                int status;
                if (waitpid(a->pid, &status, WNOHANG) == a->pid) {
                        a->pid = 0;
                        return -ECHILD;
                }
                if (socket_answers(wait_for))
                        return 0;
                usleep(10 * 1000);
        }
        return -ETIMEDOUT;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

int agent_stop(struct agent_proc *a)
{
        int status = 0;
        if (a->pid > 0) {
                kill(a->pid, SIGTERM);
                int timeout_ms = wrapped() ? WRAPPED_TIMEOUT_MS : START_TIMEOUT_MS;
                for (int i = 0; i < timeout_ms / 10; i++) {
                        if (waitpid(a->pid, &status, WNOHANG) == a->pid)
                                goto done;
                        usleep(10 * 1000);
                }
                kill(a->pid, SIGKILL);
                waitpid(a->pid, &status, 0);
                status = -1;
        }
done:
        if (status != 0)
                agent_dump_log(a);
        a->pid = 0;
        if (a->dir[0])
                nftw(a->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return status;
}

void agent_dump_log(const struct agent_proc *a)
{
        char line[4096];
        FILE *f = fopen(a->log, "re");
        if (!f)
                return;
        fprintf(stderr, "---- agent log (%s) ----\n", a->log);
        while (fgets(line, sizeof line, f))
                fputs(line, stderr);
        fprintf(stderr, "---- end of agent log ----\n");
        fclose(f);
}

bool agent_log_contains(const struct agent_proc *a, const char *needle)
{
        char line[4096];
        bool found = false;
        FILE *f = fopen(a->log, "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof line, f))
                found = strstr(line, needle) != NULL;
        fclose(f);
        return found;
}

struct ttrpc_client *agent_connect(const struct agent_proc *a)
{
        struct ttrpc_client *c = NULL;
        struct rpc_error e = { 0 };
        if (ttrpc_client_connect(a->addr, 5 * NSEC_PER_SEC, &c, &e) < 0) {
                fprintf(stderr, "agent_connect: %s\n", e.msg);
                return NULL;
        }
        return c;
}

int agent_check(struct ttrpc_client *c)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        struct ttrpc_reply st = { 0 };
        struct rpc_error e = { 0 };
        ProtobufCMessage *resp = NULL;
        if (!c)
                return GRPC_UNAVAILABLE;
        if (ttrpc_client_call(c, "grpc.Health", "Check", &req.base,
                              &grpc__health_check_response__descriptor, 5 * (int64_t)NSEC_PER_SEC,
                              &st, &resp, &e) < 0)
                return e.code ? e.code : GRPC_UNAVAILABLE;
        int code = st.code;
        if (code == GRPC_OK && ((Grpc__HealthCheckResponse *)resp)->status !=
                                       GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
                code = GRPC_UNAVAILABLE;
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        ttrpc_reply_clear(&st);
        return code;
}

int run_capture(const char *const *argv, bool with_stderr, char *out, size_t out_size)
{
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -1;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                dup2(pipefd[1], STDOUT_FILENO);
                if (with_stderr)
                        dup2(pipefd[1], STDERR_FILENO);
                execv(argv[0], (char **)argv);
                _exit(127);
        }
        close(pipefd[1]);
        size_t len = 0;
        ssize_t got;
        while (len < out_size - 1 && (got = read(pipefd[0], out + len, out_size - 1 - len)) > 0)
                len += (size_t)got;
        out[len] = '\0';
        close(pipefd[0]);
        int status;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_with(const char *program, const char *const *args, bool with_stderr, char *out,
                    size_t out_size)
{
        const char *argv[32] = { program };
        size_t n = 1;
        for (size_t i = 0; args[i] && n < 31; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        return run_capture(argv, with_stderr, out, out_size);
}

int run_ctl(const char *const *args, char *out, size_t out_size)
{
        return run_with(ctl_binary(), args, false, out, out_size);
}

int run_agent_until_exit(const char *const *args, char *out, size_t out_size)
{
        return run_with(agent_binary(), args, true, out, out_size);
}

int agent_test_setup(void **state)
{
        if (!agent_can_run())
                skip();
        struct agent_proc *a = calloc(1, sizeof *a);
        assert_non_null(a);
        int r = agent_start(a, NULL);
        if (r < 0) {
                agent_dump_log(a);
                fail_msg("agent did not start: %s", strerror(-r));
        }
        *state = a;
        return 0;
}

int agent_test_teardown(void **state)
{
        struct agent_proc *a = *state;
        int status = agent_stop(a);
        free(a);
        assert_int_equal(status, 0);
        return 0;
}
