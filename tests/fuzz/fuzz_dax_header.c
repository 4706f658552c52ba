/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the NVDIMM pfn info block code behind `dax-header
 * --print` (rootfs-builder/pfn_info.c). The input is the block (its first
 * 4096 bytes), then optionally a little-endian u64: the image size to verify
 * against (64 MiB when absent). Its first 24 bytes are also read as three
 * little-endian u64s, (image size, data offset, alignment), for
 * pfn_info_plan.
 *
 * Checks: a failed decode leaves its output alone and says why; a decoded
 * block describes itself in a terminated string, encodes to a block that
 * decodes to the same fields (to the same bytes when it has no padding and
 * version 1.4 or later); a planned block decodes and passes the checks for
 * the size it was planned for.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "../../rootfs-builder/pfn_info.h"

static uint64_t le64(const uint8_t *p)
{
        uint64_t v = 0;
        for (int i = 7; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

static void same_fields(const struct pfn_info *a, const struct pfn_info *b)
{
        if (memcmp(a->uuid, b->uuid, 16) || memcmp(a->parent_uuid, b->parent_uuid, 16) ||
            a->flags != b->flags || a->version_major != b->version_major ||
            a->version_minor != b->version_minor || a->dataoff != b->dataoff ||
            a->npfns != b->npfns || a->mode != b->mode || a->start_pad != b->start_pad ||
            a->end_trunc != b->end_trunc || a->align != b->align ||
            a->page_size != b->page_size || a->page_struct_size != b->page_struct_size)
                __builtin_trap();
}

static void decoded(const uint8_t *data, const struct pfn_info *info, uint64_t image_size)
{
        char text[1024], small[13];
        const char *why = NULL;

        size_t n = pfn_info_describe(info, text, sizeof text);
        if (n == 0 || n >= sizeof text || strlen(text) != n)
                __builtin_trap();
        if (pfn_info_describe(info, small, sizeof small) != n || strlen(small) != sizeof small - 1)
                __builtin_trap();
        int r = pfn_info_check(info, image_size, &why);
        if (r != 0 && (r != -EINVAL || !why || !*why))
                __builtin_trap();

        uint8_t again[PFN_INFO_SIZE];
        struct pfn_info back;
        pfn_info_encode(info, again);
        if (pfn_info_decode(again, sizeof again, &back, NULL) != 0)
                __builtin_trap();
        same_fields(info, &back);
        if (!back.padding_zero || back.checksum != pfn_info_checksum(again))
                __builtin_trap();
        if (info->padding_zero && info->version_minor >= 4 &&
            memcmp(again, data, PFN_INFO_SIZE) != 0)
                __builtin_trap();
        /* A re-encoded block passes the checks exactly when the decoded one did. */
        if ((pfn_info_check(&back, image_size, NULL) == 0) != (r == 0))
                __builtin_trap();
}

static void planned(const uint8_t *data)
{
        uint64_t size = le64(data), dataoff = le64(data + 8), align = le64(data + 16);
        struct pfn_info info, back;
        uint8_t block[PFN_INFO_SIZE];
        const char *why = NULL;

        memset(&info, 0xa5, sizeof info);
        memcpy(&back, &info, sizeof back);
        if (pfn_info_plan(size, dataoff, align, data, &info, &why) < 0) {
                if (!why || memcmp(&info, &back, sizeof info) != 0)
                        __builtin_trap();
                return;
        }
        pfn_info_encode(&info, block);
        if (pfn_info_decode(block, sizeof block, &back, NULL) != 0)
                __builtin_trap();
        same_fields(&info, &back);
        if (pfn_info_check(&back, size, &why) != 0)
                __builtin_trap();
        /* Whatever the image's size, the data the guest sees ends inside it. */
        if (back.dataoff + back.npfns * PFN_PAGE_SIZE + back.end_trunc != size)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pfn_info info, poison;
        const char *why = NULL;
        uint64_t image_size = UINT64_C(64) << 20;

        if (size >= 24)
                planned(data);
        if (size >= PFN_INFO_SIZE + 8)
                image_size = le64(data + PFN_INFO_SIZE);

        memset(&poison, 0x5a, sizeof poison);
        info = poison;
        int r = pfn_info_decode(data, size, &info, &why);
        if (r < 0) {
                if (!why || !*why || memcmp(&info, &poison, sizeof info) != 0)
                        __builtin_trap();
                return 0;
        }
        if (size < PFN_INFO_SIZE)
                __builtin_trap();
        decoded(data, &info, image_size);
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
