/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dax-header: write (or, with --print, decode and verify) the NVDIMM pfn info
 * block at byte 4096 of a disk image, so a guest kernel that sees the image
 * as an NVDIMM maps it in fsdax mode. A host build tool (glibc is fine); the
 * block itself is built by pfn_info.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "pfn_info.h"
#include "util.h"

#define EXIT_USAGE 64
#define DEFAULT_DATA_OFFSET (UINT64_C(2) << 20)
#define DEFAULT_ALIGN (UINT64_C(2) << 20)

static const char usage_text[] =
        "Usage: dax-header [--data-offset BYTES] [--align BYTES] [--uuid UUID] [--force] IMAGE\n"
        "       dax-header --print IMAGE\n"
        "\n"
        "Writes the Linux NVDIMM \"pfn\" info block (struct nd_pfn_sb: fsdax, RAM mode,\n"
        "version 1.4, fletcher64 checksum) at byte 4096 of IMAGE, an existing file or\n"
        "block device. A guest that gets IMAGE as an NVDIMM then sees /dev/pmem0 start at\n"
        "the data offset, with DAX. The block is computed from the size of IMAGE: write it\n"
        "after the image has its final size.\n"
        "\n"
        "  --data-offset BYTES  where /dev/pmem0 starts (default 2M; a multiple of --align)\n"
        "  --align BYTES        page size of the DAX mapping (default 2M: huge pages)\n"
        "  --uuid UUID          the block's UUID (default: derived from SOURCE_DATE_EPOCH,\n"
        "                       or from 0 when unset, so builds are reproducible)\n"
        "  --force              overwrite bytes at 4096-8191 that are neither zero nor an\n"
        "                       info block (they may be file system data)\n"
        "  --print              decode IMAGE's block, print it, verify it against IMAGE's size\n"
        "\n"
        "BYTES takes a K, M or G suffix (powers of 1024).\n"
        "Exit status: 0 done (or valid), 1 failed (or invalid), 64 usage error.\n";

static int parse_size(const char *s, uint64_t *ret)
{
        char num[32];
        size_t n = strlen(s);
        unsigned shift = 0;

        if (n == 0 || n >= sizeof num)
                return -EINVAL;
        memcpy(num, s, n + 1);
        static const char units[] = "KMG";
        for (unsigned i = 0; i < 3; i++)
                if (num[n - 1] == units[i] || num[n - 1] == units[i] + ('a' - 'A')) {
                        shift = 10 * (i + 1);
                        num[n - 1] = '\0';
                }
        uint64_t v;
        int r = parse_u64(num, 10, &v);
        if (r < 0)
                return r;
        if (v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = v << shift;
        return 0;
}

/* The size of a regular file or block device. */
static int fd_size(int fd, uint64_t *ret)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISREG(st.st_mode)) {
                *ret = (uint64_t)st.st_size;
                return 0;
        }
        if (S_ISBLK(st.st_mode)) {
                uint64_t size;
                if (ioctl(fd, BLKGETSIZE64, &size) < 0)
                        return -errno;
                *ret = size;
                return 0;
        }
        return -EINVAL;
}

static int read_block(int fd, uint8_t block[PFN_INFO_SIZE])
{
        ssize_t n = pread(fd, block, PFN_INFO_SIZE, PFN_INFO_OFFSET);
        if (n < 0)
                return -errno;
        return n == PFN_INFO_SIZE ? 0 : -ENODATA;
}

/* Open the image and learn its size; says why on stderr and returns -1 when it cannot. */
static int open_image(const char *path, int flags, uint64_t *ret_size)
{
        int fd = open(path, flags | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "dax-header: cannot open %s%s: %s\n", path,
                        (flags & O_ACCMODE) == O_RDWR ? " for writing" : "", strerror(errno));
                return -1;
        }
        int r = fd_size(fd, ret_size);
        if (r < 0) {
                fprintf(stderr, "dax-header: %s: not a file or block device of known size: %s\n",
                        path, strerror(-r));
                close(fd);
                return -1;
        }
        return fd;
}

static int do_print(const char *path)
{
        uint64_t size;
        _cleanup_close_ int fd = open_image(path, O_RDONLY, &size);
        uint8_t block[PFN_INFO_SIZE];
        struct pfn_info info;
        const char *why = NULL;
        char text[1024];
        int r;

        if (fd < 0)
                return EXIT_FAILURE;
        r = read_block(fd, block);
        if (r < 0) {
                fprintf(stderr, "dax-header: %s: cannot read bytes 4096-8191: %s\n", path,
                        r == -ENODATA ? "the image is too short" : strerror(-r));
                return EXIT_FAILURE;
        }
        r = pfn_info_decode(block, sizeof block, &info, &why);
        if (r < 0) {
                printf("invalid: %s\n", why);
                return EXIT_FAILURE;
        }
        pfn_info_describe(&info, text, sizeof text);
        fputs(text, stdout);
        printf("image_size: %llu\n", (unsigned long long)size);
        r = pfn_info_check(&info, size, &why);
        if (r < 0) {
                printf("invalid: %s\n", why);
                return EXIT_FAILURE;
        }
        printf("valid: /dev/pmem0 is bytes %llu-%llu of the image\n",
               (unsigned long long)(info.dataoff + info.start_pad),
               (unsigned long long)(info.dataoff + info.start_pad + info.npfns * PFN_PAGE_SIZE - 1));
        return EXIT_SUCCESS;
}

static bool block_is_zero(const uint8_t block[PFN_INFO_SIZE])
{
        for (size_t i = 0; i < PFN_INFO_SIZE; i++)
                if (block[i])
                        return false;
        return true;
}

static int do_write(const char *path, uint64_t dataoff, uint64_t align, const uint8_t uuid[16],
                    bool force)
{
        uint64_t size;
        _cleanup_close_ int fd = open_image(path, O_RDWR, &size);
        uint8_t old[PFN_INFO_SIZE], block[PFN_INFO_SIZE];
        struct pfn_info info, back;
        const char *why = NULL;
        int r;

        if (fd < 0)
                return EXIT_FAILURE;
        r = pfn_info_plan(size, dataoff, align, uuid, &info, &why);
        if (r < 0) {
                fprintf(stderr, "dax-header: %s (%llu bytes, data offset %llu, align %llu): %s\n",
                        path, (unsigned long long)size, (unsigned long long)dataoff,
                        (unsigned long long)align, why);
                return EXIT_FAILURE;
        }
        r = read_block(fd, old);
        if (r < 0) {
                fprintf(stderr, "dax-header: cannot read %s: %s\n", path, strerror(-r));
                return EXIT_FAILURE;
        }
        if (!force && !block_is_zero(old) && pfn_info_decode(old, sizeof old, &back, NULL) < 0) {
                fprintf(stderr, "dax-header: %s: bytes 4096-8191 hold data that is not an info "
                                "block (a file system at offset 0?); --force overwrites them\n",
                        path);
                return EXIT_FAILURE;
        }
        pfn_info_encode(&info, block);
        ssize_t n = pwrite(fd, block, sizeof block, PFN_INFO_OFFSET);
        if (n != (ssize_t)sizeof block) {
                fprintf(stderr, "dax-header: cannot write %s: %s\n", path,
                        n < 0 ? strerror(errno) : "short write");
                return EXIT_FAILURE;
        }
        if (fsync(fd) < 0) {
                fprintf(stderr, "dax-header: cannot sync %s: %s\n", path, strerror(errno));
                return EXIT_FAILURE;
        }
        /* Read it back and verify it the way --print does. */
        r = read_block(fd, old);
        if (r == 0)
                r = pfn_info_decode(old, sizeof old, &back, &why);
        if (r == 0)
                r = pfn_info_check(&back, size, &why);
        if (r < 0) {
                fprintf(stderr, "dax-header: %s: the block read back is invalid: %s\n", path,
                        why ? why : strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}

static int default_uuid(uint8_t uuid[16])
{
        const char *e = getenv("SOURCE_DATE_EPOCH");
        uint64_t seed = 0;

        if (e && *e && parse_u64(e, 10, &seed) < 0) {
                fprintf(stderr, "dax-header: SOURCE_DATE_EPOCH=`%.40s` is not a number of "
                                "seconds\n", e);
                return -EINVAL;
        }
        pfn_uuid_from_seed(seed, uuid);
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                {"data-offset", required_argument, NULL, 'o'},
                {"align", required_argument, NULL, 'a'},
                {"uuid", required_argument, NULL, 'u'},
                {"force", no_argument, NULL, 'f'},
                {"print", no_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        uint64_t dataoff = DEFAULT_DATA_OFFSET, align = DEFAULT_ALIGN;
        uint8_t uuid[16];
        bool have_uuid = false, print = false, force = false, write_opts = false;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                switch (c) {
                case 'o':
                case 'a':
                        if (parse_size(optarg, c == 'o' ? &dataoff : &align) < 0) {
                                fprintf(stderr, "dax-header: --%s `%.40s` is not a size in "
                                                "bytes\n", c == 'o' ? "data-offset" : "align",
                                        optarg);
                                return EXIT_USAGE;
                        }
                        write_opts = true;
                        break;
                case 'u':
                        if (pfn_uuid_parse(optarg, uuid) < 0) {
                                fprintf(stderr, "dax-header: --uuid `%.40s` is not a UUID "
                                                "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)\n", optarg);
                                return EXIT_USAGE;
                        }
                        have_uuid = write_opts = true;
                        break;
                case 'f':
                        force = write_opts = true;
                        break;
                case 'p':
                        print = true;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        return EXIT_SUCCESS;
                default:
                        fputs(usage_text, stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind != argc - 1) {
                fputs(usage_text, stderr);
                return EXIT_USAGE;
        }
        if (print && write_opts) {
                fprintf(stderr, "dax-header: --print takes no other option\n");
                return EXIT_USAGE;
        }
        if (print)
                return do_print(argv[optind]);
        if (!have_uuid && default_uuid(uuid) < 0)
                return EXIT_USAGE;
        return do_write(argv[optind], dataoff, align, uuid, force);
}
