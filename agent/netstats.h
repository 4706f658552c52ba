/* SPDX-License-Identifier: Apache-2.0 */
/* Interface counters of a process's network namespace, for StatsContainer. */
#ifndef KINGLET_NETSTATS_H
#define KINGLET_NETSTATS_H

#include <stdint.h>
#include <sys/types.h>

#include "agent.pb-c.h"

#define NETSTATS_MAX_INTERFACES 64

/* The 16 counters of one /proc/net/dev line: rx bytes, packets, errs, drop,
 * fifo, frame, compressed, multicast, then tx bytes, packets, errs, drop, fifo,
 * colls, carrier, compressed. */
struct netdev_counters {
        char name[64];
        uint64_t v[16];
};

/* Parses one line after the two headers; -EINVAL when it is not an interface line. */
int netdev_parse_line(const char *line, struct netdev_counters *ret);

/* Appends one NetworkStats per interface seen by pid (at most NETSTATS_MAX_INTERFACES). */
int netstats_collect(pid_t pid, Grpc__StatsContainerResponse *resp);

#endif
