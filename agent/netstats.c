/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/<pid>/net/dev shows the interfaces of that process's network
 * namespace, so the agent can count a container's traffic without entering it.
 * Parsed by hand: sscanf would pull musl's whole scanf (and float parser) into
 * the agent for one file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "netstats.h"

int netdev_parse_line(const char *line, struct netdev_counters *ret)
{
        struct netdev_counters c;
        const char *colon = strchr(line, ':');
        if (!colon)
                return -EINVAL;
        const char *name = line + strspn(line, " \t");
        size_t len = (size_t)(colon - name);
        while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
                len--;
        if (len == 0 || len >= sizeof c.name)
                return -EINVAL;
        memcpy(c.name, name, len);
        c.name[len] = '\0';
        const char *p = colon + 1;
        for (size_t i = 0; i < 16; i++) {
                p += strspn(p, " \t");
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                char *end;
                errno = 0;
                c.v[i] = strtoull(p, &end, 10);
                if (errno)
                        return -EINVAL;
                p = end;
        }
        *ret = c;
        return 0;
}

static int append(Grpc__StatsContainerResponse *resp, const struct netdev_counters *c)
{
        Grpc__NetworkStats *ns = malloc(sizeof *ns);
        if (!ns)
                return -ENOMEM;
        grpc__network_stats__init(ns);
        ns->name = strdup(c->name);
        Grpc__NetworkStats **grown = realloc(resp->network_stats, (resp->n_network_stats + 1) * sizeof *grown);
        if (grown)
                resp->network_stats = grown;
        if (!ns->name || !grown) {
                free(ns->name);
                free(ns);
                return -ENOMEM;
        }
        ns->rx_bytes = c->v[0], ns->rx_packets = c->v[1], ns->rx_errors = c->v[2], ns->rx_dropped = c->v[3];
        ns->tx_bytes = c->v[8], ns->tx_packets = c->v[9], ns->tx_errors = c->v[10], ns->tx_dropped = c->v[11];
        resp->network_stats[resp->n_network_stats++] = ns;
        return 0;
}

int netstats_collect(pid_t pid, Grpc__StatsContainerResponse *resp)
{
        char path[64], line[512];
        snprintf(path, sizeof path, "/proc/%d/net/dev", (int)pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        for (int skip = 0; skip < 2 && fgets(line, sizeof line, f); skip++)
                ; /* two header lines */
        while (fgets(line, sizeof line, f) && resp->n_network_stats < NETSTATS_MAX_INTERFACES) {
                struct netdev_counters c;
                if (netdev_parse_line(line, &c) < 0)
                        continue;
                int r = append(resp, &c);
                if (r < 0)
                        return r;
        }
        return 0;
}
