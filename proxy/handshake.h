/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hybrid vsock handshake on the proxy's own socket (Firecracker, Cloud
 * Hypervisor): a client may open with `CONNECT <port>\n`, to which the proxy
 * answers `OK <n>\n` before ttrpc starts. A ttrpc frame can never start that
 * way: its first byte is the top byte of a length below 16 MiB, always 0.
 */
#ifndef KINGLET_PROXY_HANDSHAKE_H
#define KINGLET_PROXY_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

/* Longest CONNECT line accepted, newline included. */
#define HANDSHAKE_LINE_MAX 64

enum handshake_result {
        HANDSHAKE_NEED_MORE = 0, /* a prefix of "CONNECT ...": wait for more bytes */
        HANDSHAKE_TTRPC,         /* not a handshake: the bytes are ttrpc, consume nothing */
        HANDSHAKE_CONNECT,       /* a whole CONNECT line: *ret_port, *ret_consumed set */
        HANDSHAKE_BAD,           /* starts as CONNECT but is not a valid line: close */
};

enum handshake_result handshake_detect(const uint8_t *p, size_t len, uint32_t *ret_port,
                                       size_t *ret_consumed);

#endif
