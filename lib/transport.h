/* SPDX-License-Identifier: Apache-2.0 */
/* Sockets and devices behind an address: listen, accept, connect, serial ports. */
#ifndef KINGLET_TRANSPORT_H
#define KINGLET_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "status.h"

#define VIRTIO_PORTS_SYSFS "/sys/class/virtio-ports"

/* Listening socket (non-blocking, close-on-exec) for a vsock or unix address. */
int transport_listen(const struct address *a, int *ret_fd, struct rpc_error *e);

/* Accepts one connection; returns the fd or -errno (-EAGAIN when none is waiting). */
int transport_accept(int listen_fd, char *peer, size_t peer_size);

/*
 * Connects to a unix, vsock, hvsock (with the CONNECT handshake) or serial
 * (a VMM's chardev socket) address, waiting at most timeout_ns (0 = forever).
 * The returned fd is blocking and close-on-exec.
 */
int transport_connect(const struct address *a, uint64_t timeout_ns, int *ret_fd,
                      struct rpc_error *e);

/*
 * Finds the /dev node of the virtio-serial port called `name` by reading
 * <sysfs_dir>/<vportNpM>/name. -ENOENT if there is none.
 */
int transport_find_serial_port(const char *sysfs_dir, const char *name, char *ret_path,
                               size_t size);

/* Opens a serial channel device non-blocking; a tty is switched to raw mode. */
int transport_open_serial(const char *path);

/* Client side of the hybrid vsock handshake on a connected unix socket. */
int transport_hvsock_handshake(int fd, uint32_t port, uint64_t timeout_ns, struct rpc_error *e);

#endif
