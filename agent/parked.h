/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Queues of parked calls (WaitProcess, ReadStdout, WriteStdin, GetOOMEvent,
 * RemoveContainer): a small record per call, removed and freed by the queue's
 * owner when it answers, or by the server's cancel when the deadline passes
 * or the peer goes away.
 */
#ifndef KINGLET_PARKED_H
#define KINGLET_PARKED_H

#include <stddef.h>
#include <stdint.h>

#include "list.h"
#include "ttrpc.h"

struct parked_call {
        struct list_head link;
        struct ttrpc_call *call;
        size_t want;         /* ReadStdout: bytes asked for */
        const uint8_t *data; /* WriteStdin: the request's bytes (alive as long as the call) */
};

/* Parks `call` at the tail of `queue`; returns what the handler returns (TTRPC_PARKED or an error reply). */
int parked_add(struct list_head *queue, struct ttrpc_call *call, size_t want);

/* The same, remembering data to write once possible. */
int parked_add_data(struct list_head *queue, struct ttrpc_call *call, const uint8_t *data, size_t len);

/* The oldest parked call without taking it (NULL if none). */
struct parked_call *parked_peek(struct list_head *queue);

/* Takes the oldest parked call off `queue` (NULL if none); *ret_want gets its `want`. */
struct ttrpc_call *parked_take(struct list_head *queue, size_t *ret_want);

/* Answers every call in `queue` with an error (the thing they waited on is gone). */
void parked_fail_all(struct list_head *queue, int code, const char *message);

#endif
