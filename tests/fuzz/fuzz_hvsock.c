/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the client side of the hybrid vsock handshake
 * (transport_hvsock_handshake, what kinglet-ctl and kinglet-proxy run
 * against Firecracker's or Cloud Hypervisor's socket): the input is what the
 * VMM answers to `CONNECT <port>\n`, after which it closes its side.
 * (The server side, the proxy's own CONNECT detector, is in fuzz_proxy.)
 *
 * Invariants checked (a violation traps):
 *   - the handshake sends exactly "CONNECT 1024\n";
 *   - it succeeds exactly when the answer has a newline within its first
 *     63 bytes and the line starts with "OK";
 *   - on success it has read the line and not one byte more: the rest of the
 *     answer is still in the socket, for ttrpc;
 *   - on failure it names a gRPC code and says why.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "transport.h"

#define PORT 1024
/* Well inside a socketpair's buffer: writing the answer never blocks. */
#define ANSWER_MAX 4096
/* transport.c's line buffer, less its terminator. */
#define LINE_MAX_BYTES 63

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static bool quiet;
        if (!quiet) {
                log_set_level(LOG_LEVEL_ERROR);
                quiet = true;
        }
        if (size > ANSWER_MAX)
                size = ANSWER_MAX;
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return 0;
        if (size && write(sv[1], data, size) != (ssize_t)size)
                __builtin_trap();
        (void)shutdown(sv[1], SHUT_WR);

        struct rpc_error e = {0};
        int r = transport_hvsock_handshake(sv[0], PORT, 1000ull * 1000 * 1000, &e);

        char sent[64];
        ssize_t n = read(sv[1], sent, sizeof sent);
        if (n != (ssize_t)strlen("CONNECT 1024\n") ||
            memcmp(sent, "CONNECT 1024\n", (size_t)n) != 0)
                __builtin_trap();

        const uint8_t *nl = memchr(data, '\n', size < LINE_MAX_BYTES ? size : LINE_MAX_BYTES);
        bool ok = nl && (size_t)(nl - data) >= 2 && memcmp(data, "OK", 2) == 0;
        if ((r == 0) != ok)
                __builtin_trap();
        if (r == 0) {
                size_t rest = size - (size_t)(nl + 1 - data);
                uint8_t left[ANSWER_MAX];
                ssize_t got = recv(sv[0], left, sizeof left, MSG_DONTWAIT);
                if ((rest == 0 && got > 0) ||
                    (rest > 0 && (got != (ssize_t)rest || memcmp(left, nl + 1, rest) != 0)))
                        __builtin_trap();
        } else if (r > 0 || e.code == 0 || e.msg[0] == '\0') {
                __builtin_trap();
        }
        close(sv[0]);
        close(sv[1]);
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
