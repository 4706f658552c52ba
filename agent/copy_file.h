/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KINGLET_COPY_FILE_H
#define KINGLET_COPY_FILE_H

#include "agent.pb-c.h"
#include "status.h"

/*
 * Applies one CopyFileRequest below `base` (whose open directory is base_fd).
 * Returns 0 or -errno with *e saying what was wrong.
 */
int copy_file_apply(int base_fd, const char *base, const Grpc__CopyFileRequest *req,
                    struct rpc_error *e);

#endif
