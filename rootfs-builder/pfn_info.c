/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Building, decoding and verifying the NVDIMM pfn info block (see pfn_info.h).
 * Every multi-byte field is read and written byte by byte, little-endian, so
 * the result does not depend on the host's byte order or alignment rules.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pfn_info.h"
#include "util.h"

static void put_le16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
        return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

uint64_t pfn_fletcher64(const void *buf, size_t len)
{
        const uint8_t *p = buf;
        uint32_t lo = 0;
        uint64_t hi = 0;

        for (size_t i = 0; i < len / 4; i++) {
                lo += get_le32(p + 4 * i);
                hi += lo;
        }
        return hi << 32 | lo;
}

uint64_t pfn_info_checksum(const uint8_t block[PFN_INFO_SIZE])
{
        /* The checksum field is the last 8 bytes: sum the rest, then the two
         * zero words in its place (they add lo to hi twice). */
        uint64_t sum = pfn_fletcher64(block, PFN_OFF_CHECKSUM);
        uint32_t lo = (uint32_t)sum;
        uint64_t hi = (sum >> 32) + 2 * (uint64_t)lo;

        return hi << 32 | lo;
}

static bool is_pow2(uint64_t v)
{
        return v && !(v & (v - 1));
}

static int fail(const char **why, const char *msg)
{
        if (why)
                *why = msg;
        return -EINVAL;
}

int pfn_info_plan(uint64_t image_size, uint64_t dataoff, uint64_t align, const uint8_t uuid[16],
                  struct pfn_info *ret, const char **why)
{
        if (image_size % PFN_PAGE_SIZE)
                return fail(why, "the image size must be a multiple of 4096 bytes");
        if (!is_pow2(align) || align < PFN_PAGE_SIZE || align > PFN_ALIGN_MAX)
                return fail(why, "the alignment must be a power of two from 4 KiB to 1 GiB");
        if (dataoff < PFN_INFO_RESERVE)
                return fail(why, "the data offset must leave the first 8 KiB to the info block");
        if (dataoff % align)
                return fail(why, "the data offset must be a multiple of the alignment");
        /* The kernel maps up to an end aligned to max(align, 2 MiB) and
         * records what is cut off in end_trunc. */
        uint64_t map_align = align > PFN_COMPAT_ALIGN ? align : PFN_COMPAT_ALIGN;
        uint64_t end_trunc = image_size % map_align;
        if (align > image_size || dataoff >= image_size - end_trunc)
                return fail(why, "the image is too small: nothing is mapped after the data offset");

        struct pfn_info info = {
                .version_major = PFN_VERSION_MAJOR,
                .version_minor = PFN_VERSION_MINOR,
                .dataoff = dataoff,
                .npfns = (image_size - dataoff - end_trunc) / PFN_PAGE_SIZE,
                .mode = PFN_MODE_RAM,
                .end_trunc = (uint32_t)end_trunc,
                .align = (uint32_t)align,
                .page_size = PFN_PAGE_SIZE,
                .page_struct_size = PFN_PAGE_STRUCT_SIZE,
                .padding_zero = true,
        };
        memcpy(info.uuid, uuid, sizeof info.uuid);
        *ret = info;
        return 0;
}

void pfn_info_encode(const struct pfn_info *info, uint8_t block[PFN_INFO_SIZE])
{
        memset(block, 0, PFN_INFO_SIZE);
        memcpy(block + PFN_OFF_SIGNATURE, PFN_INFO_SIG, PFN_INFO_SIG_LEN);
        memcpy(block + PFN_OFF_UUID, info->uuid, 16);
        memcpy(block + PFN_OFF_PARENT_UUID, info->parent_uuid, 16);
        put_le32(block + PFN_OFF_FLAGS, info->flags);
        put_le16(block + PFN_OFF_VERSION_MAJOR, info->version_major);
        put_le16(block + PFN_OFF_VERSION_MINOR, info->version_minor);
        put_le64(block + PFN_OFF_DATAOFF, info->dataoff);
        put_le64(block + PFN_OFF_NPFNS, info->npfns);
        put_le32(block + PFN_OFF_MODE, info->mode);
        put_le32(block + PFN_OFF_START_PAD, info->start_pad);
        put_le32(block + PFN_OFF_END_TRUNC, info->end_trunc);
        put_le32(block + PFN_OFF_ALIGN, info->align);
        put_le32(block + PFN_OFF_PAGE_SIZE, info->page_size);
        put_le16(block + PFN_OFF_PAGE_STRUCT_SIZE, info->page_struct_size);
        put_le64(block + PFN_OFF_CHECKSUM, pfn_info_checksum(block));
}

int pfn_info_decode(const uint8_t *block, size_t len, struct pfn_info *ret, const char **why)
{
        if (!block || len < PFN_INFO_SIZE) {
                if (why)
                        *why = "shorter than the 4096-byte info block";
                return -EINVAL;
        }
        if (memcmp(block + PFN_OFF_SIGNATURE, PFN_INFO_SIG, PFN_INFO_SIG_LEN) != 0) {
                if (why)
                        *why = "no NVDIMM_PFN_INFO signature";
                return -ENODATA;
        }
        uint64_t stored = get_le64(block + PFN_OFF_CHECKSUM);
        if (stored != pfn_info_checksum(block)) {
                if (why)
                        *why = "checksum mismatch";
                return -EBADMSG;
        }
        uint32_t mode = get_le32(block + PFN_OFF_MODE);
        if (mode != PFN_MODE_RAM && mode != PFN_MODE_PMEM) {
                if (why)
                        *why = "mode is neither RAM (1) nor PMEM (2)";
                return -EBADMSG;
        }

        struct pfn_info info = {
                .flags = get_le32(block + PFN_OFF_FLAGS),
                .version_major = get_le16(block + PFN_OFF_VERSION_MAJOR),
                .version_minor = get_le16(block + PFN_OFF_VERSION_MINOR),
                .dataoff = get_le64(block + PFN_OFF_DATAOFF),
                .npfns = get_le64(block + PFN_OFF_NPFNS),
                .mode = mode,
                .start_pad = get_le32(block + PFN_OFF_START_PAD),
                .end_trunc = get_le32(block + PFN_OFF_END_TRUNC),
                .align = get_le32(block + PFN_OFF_ALIGN),
                .page_size = get_le32(block + PFN_OFF_PAGE_SIZE),
                .page_struct_size = get_le16(block + PFN_OFF_PAGE_STRUCT_SIZE),
                .checksum = stored,
                .padding_zero = true,
        };
        memcpy(info.uuid, block + PFN_OFF_UUID, 16);
        memcpy(info.parent_uuid, block + PFN_OFF_PARENT_UUID, 16);
        for (size_t i = PFN_OFF_PADDING; i < PFN_OFF_CHECKSUM; i++)
                if (block[i]) {
                        info.padding_zero = false;
                        break;
                }
        /* Fields a block of an older minor version does not have: the
         * kernel's defaults. */
        if (info.version_minor < 1) {
                info.start_pad = 0;
                info.end_trunc = 0;
        }
        if (info.version_minor < 2)
                info.align = 0;
        if (info.version_minor < 4) {
                info.page_size = PFN_PAGE_SIZE;
                info.page_struct_size = PFN_PAGE_STRUCT_SIZE;
        }
        *ret = info;
        return 0;
}

uint64_t pfn_info_effective_align(const struct pfn_info *info)
{
        if (info->align)
                return info->align;
        if (!info->dataoff)
                return 0;
        return UINT64_C(1) << (63 - __builtin_clzll(info->dataoff));
}

int pfn_info_check(const struct pfn_info *info, uint64_t image_size, const char **why)
{
        static const uint8_t null_uuid[16];
        uint64_t align = pfn_info_effective_align(info);

        if (info->version_major != PFN_VERSION_MAJOR)
                return fail(why, "version_major is not 1");
        if (memcmp(info->parent_uuid, null_uuid, 16) != 0)
                return fail(why, "parent_uuid is not null: a label-less NVDIMM namespace "
                                 "(QEMU's default) has the null UUID and the kernel compares them");
        if (info->mode == PFN_MODE_PMEM && info->page_size > PFN_PAGE_SIZE)
                return fail(why, "page_size is larger than the kernel's page size");
        if (info->mode == PFN_MODE_PMEM && info->page_struct_size < PFN_PAGE_STRUCT_SIZE)
                return fail(why, "page_struct_size is smaller than struct page");
        if (!align || align > image_size)
                return fail(why, "the alignment exceeds the namespace capacity");
        if (info->dataoff >= image_size)
                return fail(why, "the data offset is beyond the end of the image");
        if ((info->dataoff + info->start_pad) % align || info->dataoff % PFN_PAGE_SIZE)
                return fail(why, "the data offset is not aligned (the kernel disables DAX)");
        if (info->start_pad % PFN_COMPAT_ALIGN)
                return fail(why, "start_pad leaves the mapped start misaligned");
        if (info->end_trunc > image_size || (image_size - info->end_trunc) % PFN_COMPAT_ALIGN)
                return fail(why, "end_trunc leaves the mapped end misaligned to 2 MiB "
                                 "(was the image resized after the header was written?)");
        if (info->mode == PFN_MODE_RAM && info->dataoff < PFN_INFO_RESERVE)
                return fail(why, "the data offset overlaps the info block");
        uint64_t cut = (uint64_t)info->start_pad + info->end_trunc;
        if (cut >= image_size || info->dataoff >= image_size - cut ||
            info->npfns != (image_size - cut - info->dataoff) / PFN_PAGE_SIZE)
                return fail(why, "npfns does not match the image size "
                                 "(was the image resized after the header was written?)");
        return 0;
}

int pfn_uuid_parse(const char *s, uint8_t ret[16])
{
        uint8_t u[16];
        size_t n = 0;

        if (!s || strlen(s) != PFN_UUID_STRING_LEN - 1)
                return -EINVAL;
        for (size_t i = 0; i < PFN_UUID_STRING_LEN - 1;) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i++] != '-')
                                return -EINVAL;
                        continue;
                }
                int h = hex_digit_value(s[i]), l = hex_digit_value(s[i + 1]);
                if (h < 0 || l < 0)
                        return -EINVAL;
                u[n++] = (uint8_t)(h << 4 | l);
                i += 2;
        }
        memcpy(ret, u, sizeof u);
        return 0;
}

void pfn_uuid_format(const uint8_t uuid[16], char out[PFN_UUID_STRING_LEN])
{
        static const char hex[] = "0123456789abcdef";
        size_t o = 0;

        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = hex[uuid[i] >> 4];
                out[o++] = hex[uuid[i] & 15];
        }
        out[o] = '\0';
}

static uint64_t splitmix64(uint64_t *state)
{
        uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

void pfn_uuid_from_seed(uint64_t seed, uint8_t ret[16])
{
        /* A fixed tag keeps these UUIDs apart from other seed-derived ones. */
        uint64_t state = seed ^ UINT64_C(0x6b696e676c657466); /* "kingletf" */
        uint64_t a = splitmix64(&state), b = splitmix64(&state);

        put_le64(ret, a);
        put_le64(ret + 8, b);
        ret[6] = (uint8_t)((ret[6] & 0x0f) | 0x80); /* version 8 */
        ret[8] = (uint8_t)((ret[8] & 0x3f) | 0x80); /* variant 10 */
}

size_t pfn_info_describe(const struct pfn_info *info, char *buf, size_t size)
{
        char uuid[PFN_UUID_STRING_LEN], parent[PFN_UUID_STRING_LEN];
        const char *mode = info->mode == PFN_MODE_RAM    ? "ram"
                           : info->mode == PFN_MODE_PMEM ? "pmem"
                                                         : "unknown";

        pfn_uuid_format(info->uuid, uuid);
        pfn_uuid_format(info->parent_uuid, parent);
        int n = snprintf(buf, size,
                         "signature: " PFN_INFO_SIG "\n"
                         "uuid: %s\n"
                         "parent_uuid: %s\n"
                         "flags: 0x%x\n"
                         "version: %u.%u\n"
                         "mode: %s (%u)\n"
                         "dataoff: %llu\n"
                         "npfns: %llu\n"
                         "start_pad: %u\n"
                         "end_trunc: %u\n"
                         "align: %u (effective %llu)\n"
                         "page_size: %u\n"
                         "page_struct_size: %u\n"
                         "padding: %s\n"
                         "checksum: 0x%016llx\n",
                         uuid, parent, info->flags, info->version_major, info->version_minor,
                         mode, info->mode, (unsigned long long)info->dataoff,
                         (unsigned long long)info->npfns, info->start_pad, info->end_trunc,
                         info->align, (unsigned long long)pfn_info_effective_align(info),
                         info->page_size, info->page_struct_size,
                         info->padding_zero ? "zero" : "not zero", (unsigned long long)info->checksum);
        return n < 0 ? 0 : (size_t)n;
}
