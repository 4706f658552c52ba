/* SPDX-License-Identifier: Apache-2.0 */
#include "listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "transport.h"

static int listen_serial(struct agent *a, const struct address *addr, const char *text)
{
        char device[ADDR_PATH_MAX + 8];
        int r;

        if (addr->serial_by_name) {
                r = transport_find_serial_port(VIRTIO_PORTS_SYSFS, addr->path, device, sizeof device);
                if (r < 0)
                        return log_error_errno(r, "%s: no virtio-serial port named `%s` under %s",
                                               text, addr->path, VIRTIO_PORTS_SYSFS);
        } else
                snprintf(device, sizeof device, "%s", addr->path);
        r = ttrpc_server_add_serial(a->server, device);
        if (r < 0)
                return log_error_errno(r, "%s: cannot open %s", text, device);
        log_info("serving %s on %s", text, device);
        return 0;
}

int agent_listen(struct agent *a, const char *text)
{
        struct address addr;
        struct rpc_error e = { 0 };
        int fd, r;

        r = address_parse(text, &addr, &e);
        if (r < 0)
                return log_error_errno(r, "%s", e.msg);
        if (addr.kind == ADDR_SERIAL)
                return listen_serial(a, &addr, text);

        r = transport_listen(&addr, &fd, &e);
        if (r < 0) {
                if (addr.kind == ADDR_VSOCK && r == -EAFNOSUPPORT)
                        snprintf(e.msg, sizeof e.msg, "this kernel has no vsock support "
                                 "(CONFIG_VSOCKETS/virtio-vsock); use serial:// or unix://");
                return log_error_errno(r, "cannot listen on %s: %s", text, e.msg);
        }
        r = ttrpc_server_add_listener(a->server, fd, text);
        if (r < 0)
                return log_error_errno(r, "cannot serve %s", text);
        if (addr.kind == ADDR_UNIX && !addr.abstract && a->n_socket_paths < AGENT_MAX_SERVER_ADDRS)
                snprintf(a->socket_paths[a->n_socket_paths++], sizeof a->socket_paths[0], "%s", addr.path);
        log_info("listening on %s", text);
        return 0;
}
