/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seeds of fuzz_dax_header, for make-seeds: info blocks as dax-header
 * writes them (Kata's 2 MiB data offset and alignment, a cut-off tail, 4 KiB
 * and 1 GiB pages), blocks of older minor versions and PMEM mode, one with a
 * wrong checksum, each followed by the image size to verify against; and
 * bare (size, data offset, alignment) triples for the planner.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../rootfs-builder/pfn_info.h"
#include "make_seeds.h"

#define H "fuzz_dax_header"
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

static void put_le64(struct buf *b, uint64_t v)
{
        uint8_t p[8];
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (8 * i));
        put(b, p, sizeof p);
}

static void block_seed(const char *name, const struct pfn_info *info, uint64_t image_size,
                       int corrupt)
{
        struct buf b = {0};
        uint8_t block[PFN_INFO_SIZE];

        pfn_info_encode(info, block);
        if (corrupt)
                block[PFN_OFF_NPFNS] ^= 1;
        put(&b, block, sizeof block);
        put_le64(&b, image_size);
        save(&b, H, name);
}

static void planned_seed(const char *name, uint64_t size, uint64_t dataoff, uint64_t align,
                         int corrupt)
{
        uint8_t uuid[16];
        struct pfn_info info;

        pfn_uuid_from_seed(1, uuid);
        if (pfn_info_plan(size, dataoff, align, uuid, &info, NULL) < 0) {
                fprintf(stderr, "make-seeds: cannot plan the %s seed\n", name);
                exit(1);
        }
        block_seed(name, &info, size, corrupt);
}

static void triple_seed(const char *name, uint64_t size, uint64_t dataoff, uint64_t align)
{
        struct buf b = {0};

        put_le64(&b, size);
        put_le64(&b, dataoff);
        put_le64(&b, align);
        save(&b, H, name);
}

void dax_header_seeds(void)
{
        planned_seed("kata-64m", 64 * MiB, 2 * MiB, 2 * MiB, 0);
        planned_seed("end-trunc", 21 * MiB, 2 * MiB, 2 * MiB, 0);
        planned_seed("pages-4k", 8 * MiB, 8192, 4096, 0);
        planned_seed("pages-1g", 3 * GiB, GiB, GiB, 0);
        planned_seed("bad-checksum", 64 * MiB, 2 * MiB, 2 * MiB, 1);

        uint8_t uuid[16];
        struct pfn_info info;
        pfn_uuid_from_seed(2, uuid);
        if (pfn_info_plan(64 * MiB, 2 * MiB, 2 * MiB, uuid, &info, NULL) < 0)
                exit(1);
        info.version_minor = 0;
        block_seed("minor-0", &info, 64 * MiB, 0);
        info.version_minor = 2;
        block_seed("minor-2", &info, 64 * MiB, 0);
        info.version_minor = 4;
        info.mode = PFN_MODE_PMEM;
        block_seed("pmem-mode", &info, 64 * MiB, 0);

        triple_seed("plan-kata", 64 * MiB, 2 * MiB, 2 * MiB);
        triple_seed("plan-1g", 3 * GiB, GiB, GiB);
        triple_seed("plan-tiny", 3 * MiB, 2 * MiB, 2 * MiB);
}
