/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net-bench: the peer, iproute2 doing the agent's work in the same namespace,
 * as an agent that shells out would: one `ip` process per command, or all the
 * commands in one `ip -batch FILE` process. The batch files are written once,
 * before any timing (what an agent would pipe to `ip -batch -`).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_bench.h"
#include "util.h"

#define ARGS_MAX 16

enum { F_UPDATE, F_SWAP_A_TO_B, F_SWAP_B_TO_A, F_REPLACE_A, F_REPLACE_B, F_COUNT };
static char files[F_COUNT][96];

/* The commands of row 1, as argument lists without the leading "ip". */
static const char *update_cmds[4 + NB_SMALL_ROUTES][ARGS_MAX];
static size_t n_update_cmds;

static void route_args(const struct nb_route *r, const char *verb, const char **argv)
{
        size_t n = 0;
        argv[n++] = "route";
        argv[n++] = verb;
        argv[n++] = r->dest[0] ? r->dest : "default";
        if (r->gw) {
                argv[n++] = "via";
                argv[n++] = r->gw;
        }
        argv[n++] = "dev";
        argv[n++] = NB_LINK;
        if (r->scope == 253) {
                argv[n++] = "scope";
                argv[n++] = "link";
        }
        argv[n] = NULL;
}

static void put_line(FILE *f, const char *const *argv)
{
        for (size_t i = 0; argv[i]; i++)
                fprintf(f, "%s%s", i ? " " : "", argv[i]);
        fputc('\n', f);
}

static FILE *open_file(const char *dir, int which, const char *name)
{
        snprintf(files[which], sizeof files[which], "%s/%s", dir, name);
        FILE *f = fopen(files[which], "we");
        if (!f)
                die("cannot create %s: %s", files[which], strerror(errno));
        return f;
}

static void close_file(FILE *f, int which)
{
        if (fclose(f) != 0)
                die("cannot write %s: %s", files[which], strerror(errno));
}

static void put_routes(FILE *f, const struct nb_route *routes, const char *verb)
{
        const char *argv[ARGS_MAX];
        for (size_t i = 0; i < NB_BIG_ROUTES; i++) {
                route_args(&routes[i], verb, argv);
                put_line(f, argv);
        }
}

void nb_peer_files(struct nb *nb)
{
        static const char *const fixed[][ARGS_MAX] = {
                /* The MAC lookup: a shell-out agent lists the links and looks for it. */
                { "link", "show", NULL },
                { "link", "set", "dev", NB_LINK, "mtu", "1400", "up", NULL },
                { "addr", "replace", NB_ADDR4 "/24", "brd", "+", "dev", NB_LINK, NULL },
                { "addr", "replace", NB_ADDR6 "/64", "dev", NB_LINK, "nodad", NULL },
        };
        n_update_cmds = 0;
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
                memcpy(update_cmds[n_update_cmds++], fixed[i], sizeof fixed[i]);
        for (size_t i = 0; i < NB_SMALL_ROUTES; i++)
                route_args(&nb->small[i], "replace", update_cmds[n_update_cmds++]);

        FILE *f = open_file(nb->dir, F_UPDATE, "update.batch");
        for (size_t i = 0; i < n_update_cmds; i++)
                put_line(f, update_cmds[i]);
        close_file(f, F_UPDATE);
        /* Replacing the table: delete the old set's routes, add the new set's. */
        for (int from = 0; from < 2; from++) {
                int which = from ? F_SWAP_B_TO_A : F_SWAP_A_TO_B;
                f = open_file(nb->dir, which, from ? "b-to-a.batch" : "a-to-b.batch");
                put_routes(f, nb->big[from], "del");
                put_routes(f, nb->big[!from], "replace");
                close_file(f, which);
        }
        for (int set = 0; set < 2; set++) {
                int which = set ? F_REPLACE_B : F_REPLACE_A;
                f = open_file(nb->dir, which, set ? "replace-b.batch" : "replace-a.batch");
                put_routes(f, nb->big[set], "replace");
                close_file(f, which);
        }
}

static void check_status(int status, const char *const *argv)
{
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return;
        char cmd[256] = "";
        for (size_t i = 0; argv[i]; i++)
                snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s%s", i ? " " : "", argv[i]);
        die("`%.200s`: %s %d", cmd, WIFEXITED(status) ? "exit status" : "signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* vfork+exec (as posix_spawn does), stdin on /dev/null, stdout on out_fd; returns the pid. */
static pid_t spawn(struct nb *nb, const char *const *argv, int out_fd)
{
        pid_t pid = vfork();
        if (pid < 0)
                die("vfork: %s", strerror(errno));
        if (pid == 0) {
                if (dup2(nb->null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
                        _exit(126);
                execvp(argv[0], (char *const *)argv);
                _exit(127);
        }
        return pid;
}

static int reap(pid_t pid)
{
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        die("waitpid: %s", strerror(errno));
        return status;
}

/* Runs `ip ARGS...` (argv without "ip"), output discarded; dies unless it succeeds. */
void nb_ip(struct nb *nb, const char *const *args)
{
        const char *argv[ARGS_MAX + 1] = { "ip" };
        size_t n = 1;
        for (; args[n - 1] && n < ARGS_MAX; n++)
                argv[n] = args[n - 1];
        argv[n] = NULL;
        check_status(reap(spawn(nb, argv, nb->null_fd)), argv);
}

/* `ip ARGS...` with its output read to EOF through a pipe, as a caller parsing it would. */
static void ip_read(struct nb *nb, const char *const *argv, size_t *bytes, size_t *lines)
{
        char buf[65536];
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                die("pipe2: %s", strerror(errno));
        pid_t pid = spawn(nb, argv, p[1]);
        close(p[1]);
        for (;;) {
                ssize_t n = read(p[0], buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        die("reading `ip` output: %s", strerror(errno));
                if (n == 0)
                        break;
                *bytes += (size_t)n;
                for (ssize_t i = 0; i < n; i++)
                        *lines += buf[i] == '\n';
        }
        close(p[0]);
        check_status(reap(pid), argv);
}

static void batch(struct nb *nb, int which)
{
        const char *argv[] = { "ip", "-batch", files[which], NULL };
        check_status(reap(spawn(nb, argv, nb->null_fd)), argv);
}

int nb_peer_update_procs(struct nb *nb)
{
        for (size_t i = 0; i < n_update_cmds; i++)
                nb_ip(nb, update_cmds[i]);
        return 0;
}

int nb_peer_update_batch(struct nb *nb)
{
        batch(nb, F_UPDATE);
        return 0;
}

/* Row 2: `ip route show` and `ip -6 route show` (one process cannot list both families). */
int nb_peer_list_procs(struct nb *nb)
{
        static const char *const v4[] = { "ip", "route", "show", NULL };
        static const char *const v6[] = { "ip", "-6", "route", "show", NULL };
        size_t bytes = 0, lines = 0;
        ip_read(nb, v4, &bytes, &lines);
        ip_read(nb, v6, &bytes, &lines);
        nb->ip_show_bytes = bytes;
        nb->ip_show_lines = lines;
        if (lines < NB_BIG_ROUTES)
                die("`ip route show` and `ip -6 route show` listed %zu routes; at least %d are in the table", lines,
                    NB_BIG_ROUTES);
        return 0;
}

int nb_peer_swap_batch(struct nb *nb)
{
        batch(nb, nb->cur ? F_SWAP_B_TO_A : F_SWAP_A_TO_B);
        nb->cur = !nb->cur;
        return 0;
}

int nb_peer_reapply_batch(struct nb *nb)
{
        batch(nb, nb->cur ? F_REPLACE_B : F_REPLACE_A);
        return 0;
}

void nb_peer_install(struct nb *nb, int set)
{
        batch(nb, set ? F_REPLACE_B : F_REPLACE_A);
        nb->cur = set;
}
