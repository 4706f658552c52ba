/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net-bench's parts: the routes and the agent's calls (net_agent.c), the same
 * work done by iproute2 (net_peer.c), the harness (net_bench.c), the table (net_table.c).
 */
#ifndef KINGLET_NET_BENCH_H
#define KINGLET_NET_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent_client.h"
#include "ct_bench.h"

#define NB_LINK "kb0"
#define NB_PEER_LINK "kb1"
#define NB_MAC "02:00:00:00:00:01"
#define NB_MTU 1400
#define NB_ADDR4 "192.0.2.2"
#define NB_ADDR6 "2001:db8::2"
#define NB_GW4 "192.0.2.1"
#define NB_GW4_B "192.0.2.254" /* set B's IPv4 next hop */
#define NB_GW6 "2001:db8::1"
/* Row 1: a link route, a default route and 8 routes via the gateway. */
#define NB_SMALL_ROUTES 10
/* Rows 2-4: two sets of this many routes (A and B), each 510 IPv4 + 490 IPv6. */
#define NB_BIG_ROUTES 1000

/* One route as both sides see it: the agent's fields, and the text `ip route` takes. */
struct nb_route {
        char dest[48];    /* "198.51.100.0/27", "" for default */
        const char *gw;   /* NULL: none */
        unsigned scope;   /* 0 or 253 (link) */
        bool v6;
};

struct nb {
        struct agent_client client;
        pid_t agent_pid;
        char dir[64];            /* batch files, the agent's socket */
        int null_fd;
        struct nb_route small[NB_SMALL_ROUTES];
        struct nb_route big[2][NB_BIG_ROUTES];
        int cur;                 /* which big set is in the table (0 = A, 1 = B) */
        size_t list_reply_bytes; /* last ListRoutes payload */
        size_t list_routes;      /* routes in it */
        size_t ip_show_bytes;    /* last `ip route show` + `ip -6 route show` output */
        size_t ip_show_lines;
};

enum { SIDE_AGENT, SIDE_PROCS, SIDE_BATCH, SIDES };
enum { CELL_NONE, CELL_MEASURED, CELL_UNIMPLEMENTED };

struct cell {
        int state;
        struct samples s;
        uint64_t cpu_ns;
};

/* One row of the table: an operation per side (NULL: not measured), and what was measured. */
struct row {
        const char *what;
        bool ms; /* print milliseconds (else µs) */
        bool big;
        int (*op[SIDES])(struct nb *);
        struct cell cell[SIDES];
};

/* net_table.c: the table, and the 1-minute load average (the machine's other work). */
double nb_loadavg(void);
void nb_print_table(const struct nb *nb, struct row *rows, size_t nrows, const struct row *list, double load0);

/* Says why, exits 1 (the agent and the namespace go with the process). */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* net_agent.c: the routes, and each timed agent operation. 0, or -ENOSYS when the agent answers UNIMPLEMENTED. */
void nb_routes_init(struct nb *nb);
int nb_agent_update_all(struct nb *nb);
int nb_agent_list(struct nb *nb);
int nb_agent_swap(struct nb *nb);
int nb_agent_reapply(struct nb *nb);
int nb_agent_install(struct nb *nb, int set);

/* net_peer.c: the same work as `ip` commands. */
void nb_peer_files(struct nb *nb);
void nb_ip(struct nb *nb, const char *const *argv);
int nb_peer_update_procs(struct nb *nb);
int nb_peer_update_batch(struct nb *nb);
int nb_peer_list_procs(struct nb *nb);
int nb_peer_swap_batch(struct nb *nb);
int nb_peer_reapply_batch(struct nb *nb);
void nb_peer_install(struct nb *nb, int set);

#endif
