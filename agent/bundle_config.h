/* SPDX-License-Identifier: Apache-2.0 */
/*
 * <bundle>/config.json: the container's OCI spec as runtime-spec JSON, written
 * at CreateContainer for hooks that read it (the state on their stdin names
 * the bundle), as Kata's own agent does.
 */
#ifndef KINGLET_BUNDLE_CONFIG_H
#define KINGLET_BUNDLE_CONFIG_H

#include "oci.pb-c.h"
#include "status.h"

/* A spec that makes more JSON than this is refused (-EFBIG). */
#define BUNDLE_CONFIG_MAX (16u << 20)

/*
 * Writes config.json into the directory dir_fd: through a temporary file
 * renamed into place, so a reader sees the whole file or none; mode 0600.
 * Returns 0 or -errno, with nothing left behind on failure.
 */
int bundle_config_write(int dir_fd, const Grpc__Spec *spec);
/* The same for the bundle at `bundle`, with *e phrased for the RPC. */
int bundle_config_write_at(const char *bundle, const Grpc__Spec *spec, struct rpc_error *e);
/* Removes <bundle>/config.json, before the bundle directory is removed. */
void bundle_config_remove(const char *bundle);

#endif
