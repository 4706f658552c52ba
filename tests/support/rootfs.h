/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KINGLET_TEST_ROOTFS_H
#define KINGLET_TEST_ROOTFS_H

#include <stddef.h>

#define BUSYBOX_PATH "/bin/busybox"

/*
 * Builds a minimal root filesystem in `dir` (which must exist): Debian's
 * static busybox at /bin/busybox with a link per applet in /bin, the usual
 * empty mount points, /etc/passwd (root, app 1000, nobody) and /etc/group
 * (root, app 1000, wheel 10 with app as member, audio 29). -errno on failure.
 */
int test_rootfs_busybox(const char *dir);

/* True when busybox-static is installed, so container tests can run. */
int test_rootfs_available(void);

#endif
