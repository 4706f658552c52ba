/* SPDX-License-Identifier: Apache-2.0 */
/* The libmnl request/reply layer (nl.h). */
#include "nl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int nl_open(struct nl *nl)
{
        struct mnl_socket *sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!sock)
                return -errno;
        int on = 1;
        /* Extended acks give the kernel's reason; capped acks keep errors from echoing the request. */
        (void)mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &on, sizeof on);
        (void)mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &on, sizeof on);
        if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
                int r = -errno;
                mnl_socket_close(sock);
                return r;
        }
        nl->sock = sock;
        nl->portid = mnl_socket_get_portid(sock);
        nl->seq = 0;
        return 0;
}

void nl_close(struct nl *nl)
{
        if (nl->sock)
                mnl_socket_close(nl->sock);
        nl->sock = NULL;
}

static int ext_ack_attr(const struct nlattr *attr, void *data)
{
        char *why = data;
        if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
                snprintf(why, NL_WHY_MAX, "%s", mnl_attr_get_str(attr));
        return MNL_CB_OK;
}

/* NLMSG_ERROR: 0 is the acknowledgement, else the kernel's -errno (and maybe its reason). */
static int error_message(const struct nlmsghdr *nlh, char *why)
{
        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
                return -EBADMSG;
        const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
        if (err->error > 0 || err->error < -4095)
                return -EBADMSG;
        if (err->error < 0 && why && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
                /* With NETLINK_CAP_ACK the echoed request is its header only. */
                size_t offset = sizeof *err;
                if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
                        offset += err->msg.nlmsg_len > sizeof err->msg ? err->msg.nlmsg_len - sizeof err->msg : 0;
                if (mnl_nlmsg_size(offset) <= nlh->nlmsg_len)
                        (void)mnl_attr_parse(nlh, (unsigned)offset, ext_ack_attr, why);
        }
        return err->error;
}

int nl_reply_walk(const void *buf, size_t len, uint32_t seq, uint32_t portid, nl_reply_fn fn, void *data,
                  char *why, int *done)
{
        const struct nlmsghdr *nlh = buf;
        int remaining = (int)len;
        int r = 0;
        *done = 0;
        /* mnl_nlmsg_ok() compares the length as an int: a length over 2 GiB would pass it. */
        while (mnl_nlmsg_ok(nlh, remaining) && nlh->nlmsg_len <= (uint32_t)remaining) {
                if (!mnl_nlmsg_portid_ok(nlh, portid) || !mnl_nlmsg_seq_ok(nlh, seq))
                        return -EPROTO; /* not ours: a stale reply would mean a lost exchange */
                if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
                        r = r ? r : -EAGAIN;
                switch (nlh->nlmsg_type) {
                case NLMSG_NOOP:
                        break;
                case NLMSG_ERROR:
                        *done = 1;
                        return r ? r : error_message(nlh, why);
                case NLMSG_DONE:
                        *done = 1;
                        if (r == 0 && nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int))) {
                                int status = *(const int *)mnl_nlmsg_get_payload(nlh);
                                if (status < 0 && status >= -4095)
                                        r = status;
                        }
                        return r;
                default:
                        if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
                                break; /* e.g. NLMSG_OVERRUN: nothing to hand on */
                        if (r == 0 && fn)
                                r = fn(nlh, data);
                        break;
                }
                nlh = mnl_nlmsg_next(nlh, &remaining);
        }
        if (remaining != 0)
                return -EBADMSG; /* a truncated or inconsistent message */
        return r;
}

int nl_talk(struct nl *nl, struct nlmsghdr *req, nl_reply_fn fn, void *data, char *why)
{
        char buf[MNL_SOCKET_DUMP_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
        if (why)
                why[0] = '\0';
        req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        req->nlmsg_seq = ++nl->seq;
        req->nlmsg_pid = 0;
        if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
                return -errno;
        int r = 0, done = 0;
        while (!done) {
                ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof buf);
                if (n < 0)
                        return errno == ENOSPC ? -ENOBUFS : -errno;
                /* Keep reading to the end even after `fn` failed, so the socket stays in step. */
                int step = nl_reply_walk(buf, (size_t)n, req->nlmsg_seq, nl->portid, r ? NULL : fn, data,
                                         r ? NULL : why, &done);
                if (step == -EPROTO || step == -EBADMSG)
                        return step;
                if (r == 0)
                        r = step;
        }
        return r;
}
