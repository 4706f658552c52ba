/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Endpoint addresses in Kata's syntax:
 *
 *   vsock://CID:PORT          CID -1 = any (VMADDR_CID_ANY); e.g. vsock://-1:1024
 *   unix:///abs/path          a socket file; unix://@name is an abstract socket
 *   serial://NAME             a virtio-serial port found by name under /sys/class/virtio-ports
 *   serial:///dev/PATH        a character device (or, for clients, a VMM chardev socket)
 *   hvsock:///path/vm.sock:PORT  hybrid vsock (Firecracker, Cloud Hypervisor): clients only
 */
#ifndef KINGLET_ADDR_H
#define KINGLET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define ADDR_PATH_MAX 256
#define ADDR_STRING_MAX 300
#define ADDR_VSOCK_CID_ANY UINT32_MAX

enum addr_kind {
        ADDR_VSOCK,
        ADDR_UNIX,
        ADDR_SERIAL,
        ADDR_HVSOCK,
};

struct address {
        enum addr_kind kind;
        uint32_t cid;            /* vsock */
        uint32_t port;           /* vsock, hvsock */
        bool abstract;           /* unix: path is an abstract name (no leading '@') */
        bool serial_by_name;     /* serial: path is a port name, not a device path */
        char path[ADDR_PATH_MAX];
};

#define DEFAULT_SERVER_ADDR "vsock://-1:1024"

/* Parses s; on failure returns -EINVAL and says why in *e. */
int address_parse(const char *s, struct address *ret, struct rpc_error *e);
/* Canonical text form, as address_parse accepts it. */
int address_format(const struct address *a, char *buf, size_t size);

#endif
