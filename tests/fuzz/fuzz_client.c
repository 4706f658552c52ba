/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the ttrpc client's receive path: the input is what a
 * server sends. It is written into one end of a socketpair, that end is
 * closed, and replies are received until the client reports an error, which
 * must be one the API documents for a server that hung up or sent garbage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ttrpc_client.h"

/*
 * Writes as much of the input as the socket buffer takes: nobody reads while
 * we write, so a blocking write of a huge input would hang. The default
 * buffer holds far more than the fuzzer's inputs.
 */
static void write_input(int fd, const uint8_t *data, size_t size)
{
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                abort();
        while (size > 0) {
                ssize_t n = write(fd, data, size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                data += n;
                size -= (size_t)n;
        }
}

static void check_reply(const struct ttrpc_reply *r)
{
        /* The message is always a terminated string within its buffer. */
        if (!memchr(r->message, '\0', sizeof r->message))
                __builtin_trap();
        if ((r->payload == NULL) != (r->payload_len == 0))
                __builtin_trap();
        /* Touch both ends of the payload so ASan checks its extent. */
        if (r->payload_len) {
                volatile uint8_t first = r->payload[0];
                volatile uint8_t last = r->payload[r->payload_len - 1];
                (void)first;
                (void)last;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int sv[2];

        /* Failing here means descriptors leak from earlier inputs. */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                __builtin_trap();
        write_input(sv[0], data, size);
        close(sv[0]);

        struct ttrpc_client *c;
        if (ttrpc_client_new_fd(sv[1], &c) < 0) {
                close(sv[1]);
                return 0;
        }
        for (;;) {
                struct ttrpc_reply reply;
                /* No timeout: the writer is closed, so the stream always ends. */
                int r = ttrpc_client_recv(c, -1, &reply);
                if (r < 0) {
                        /* Documented: -ECONNRESET when the server closed, -EPROTO on a broken frame. */
                        if (r != -ECONNRESET && r != -EPROTO) {
                                fprintf(stderr, "ttrpc_client_recv: unexpected error %d (%s)\n", r,
                                        strerror(-r));
                                __builtin_trap();
                        }
                        break;
                }
                check_reply(&reply);
                ttrpc_reply_clear(&reply);
                if (reply.payload || reply.payload_len)
                        __builtin_trap();
        }
        ttrpc_client_free(c);
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
