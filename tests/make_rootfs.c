/* SPDX-License-Identifier: Apache-2.0 */
/* make-rootfs DIR: the tests' busybox root filesystem, for shell tests and benchmarks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rootfs.h"

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: make-rootfs DIR\n");
                return 64;
        }
        if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "make-rootfs: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        int r = test_rootfs_busybox(argv[1]);
        if (r < 0)
                fprintf(stderr, "make-rootfs: %s: %s\n", argv[1], strerror(-r));
        return r < 0;
}
