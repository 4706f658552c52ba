/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.config_file=PATH: the kernel command line's keys in a file, one per
 * line, for images that bake their settings in:
 *
 *   # comment
 *   log = debug
 *   log_vport = 1025
 *   debug_console
 *   server_addr = "vsock://-1:1024"
 *
 * A key is a command line key without "agent." (keys spelled with "agent."
 * or "systemd." are taken as they are); spaces around "=" are allowed, and
 * double quotes around the value are removed. A bare key is a bare flag.
 * Bounded: the file at most 64 KiB, a line at most 1024 bytes; a longer
 * file is not read at all, a longer line is skipped. Problems are reported
 * through the warning callback as FILE:LINE and never fatal.
 */
#ifndef KINGLET_CONFIG_FILE_H
#define KINGLET_CONFIG_FILE_H

#include <stddef.h>

#include "cmdline.h"

#define CONFIG_FILE_MAX (64u << 10)
#define CONFIG_LINE_MAX 1024

/* Applies text (len bytes, need not be terminated) on top of *kp; `name` labels warnings. */
void config_file_parse(const char *text, size_t len, const char *name, struct kernel_params *kp,
                       kernel_param_warn_fn warn, void *data);

/* Reads path and applies it on top of *kp; -errno (reported through warn) when it cannot be read. */
int config_file_read(const char *path, struct kernel_params *kp, kernel_param_warn_fn warn, void *data);

#endif
