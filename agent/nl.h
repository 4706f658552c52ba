/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A thin layer over libmnl for rtnetlink request/reply exchanges.
 *
 * Every request carries NLM_F_ACK, so each one ends in an acknowledgement
 * or an error and nothing is left unread; every reply message is checked
 * against the request's sequence number and our port id. The kernel's
 * extended acknowledgement text ("Nexthop has invalid gateway") is kept for
 * the error message. rtnetlink answers inside sendmsg(), so the replies are
 * already queued when nl_talk() reads them: the event loop does not wait.
 */
#ifndef KINGLET_NL_H
#define KINGLET_NL_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

/* Requests are built in stack buffers of this size; replies read in MNL_SOCKET_DUMP_SIZE. */
#define NL_REQUEST_SIZE 1024
#define NL_WHY_MAX 160

struct nl {
        struct mnl_socket *sock;
        uint32_t portid;
        uint32_t seq;
};

/* Opens a NETLINK_ROUTE socket (close-on-exec, extended acks on). -errno on failure. */
int nl_open(struct nl *nl);
void nl_close(struct nl *nl);
#define _cleanup_nl_ __attribute__((cleanup(nl_close)))

/* Called for each data message of a reply; returns 0 to go on or -errno to stop. */
typedef int (*nl_reply_fn)(const struct nlmsghdr *nlh, void *data);

/*
 * Sends `req` (NLM_F_REQUEST | NLM_F_ACK added, sequence number set) and
 * reads the reply to its end. Returns 0, the kernel's -errno, -EBADMSG for a
 * malformed reply, or what `fn` returned. `why` (NL_WHY_MAX bytes, may be
 * NULL) receives the kernel's extended-ack message, "" when it gave none.
 * A dump the kernel reports as interrupted (NLM_F_DUMP_INTR) returns -EAGAIN.
 */
int nl_talk(struct nl *nl, struct nlmsghdr *req, nl_reply_fn fn, void *data, char *why);

/* Walks the messages in buf[0..len) as nl_talk does; exposed for the fuzzer. */
int nl_reply_walk(const void *buf, size_t len, uint32_t seq, uint32_t portid, nl_reply_fn fn, void *data,
                  char *why, int *done);

#endif
