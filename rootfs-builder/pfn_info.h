/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Linux NVDIMM "pfn" info block (the kernel's struct nd_pfn_sb): a 4 KiB
 * little-endian record at byte 4096 of a pmem namespace. With it, the kernel's
 * nvdimm driver puts the namespace in fsdax mode: /dev/pmem0 starts at
 * `dataoff`, and file systems on it can be mounted with -o dax.
 *
 * Pure functions only (no I/O), so unit tests and the fuzzer can drive them:
 * the kernel's fletcher64, building a block for an image, decoding and
 * verifying one. Written from the layout in drivers/nvdimm/pfn.h and the
 * checks in pfn_devs.c (Linux 6.1); see docs/images.md.
 */
#ifndef KINGLET_PFN_INFO_H
#define KINGLET_PFN_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PFN_INFO_OFFSET 4096u /* where the kernel reads the block (SZ_4K) */
#define PFN_INFO_SIZE 4096u
#define PFN_INFO_SIG "NVDIMM_PFN_INFO" /* 15 characters and a NUL: 16 bytes */
#define PFN_INFO_SIG_LEN 16u

/* Byte offsets of the fields in the block. */
enum {
        PFN_OFF_SIGNATURE = 0,
        PFN_OFF_UUID = 16,
        PFN_OFF_PARENT_UUID = 32,
        PFN_OFF_FLAGS = 48,             /* le32 */
        PFN_OFF_VERSION_MAJOR = 52,     /* le16 */
        PFN_OFF_VERSION_MINOR = 54,     /* le16 */
        PFN_OFF_DATAOFF = 56,           /* le64 */
        PFN_OFF_NPFNS = 64,             /* le64 */
        PFN_OFF_MODE = 72,              /* le32 */
        PFN_OFF_START_PAD = 76,         /* le32, minor 1 */
        PFN_OFF_END_TRUNC = 80,         /* le32, minor 1 */
        PFN_OFF_ALIGN = 84,             /* le32, minor 2 */
        PFN_OFF_PAGE_SIZE = 88,         /* le32, minor 4 */
        PFN_OFF_PAGE_STRUCT_SIZE = 92,  /* le16, minor 4 */
        PFN_OFF_PADDING = 94,           /* 3994 bytes, zero from minor 3 */
        PFN_OFF_CHECKSUM = 4088,        /* le64 */
};

/* enum nd_pfn_mode */
enum {
        PFN_MODE_NONE = 0,
        PFN_MODE_RAM = 1,  /* struct pages for the namespace live in guest RAM */
        PFN_MODE_PMEM = 2, /* ... or in the namespace itself, before dataoff */
};

#define PFN_VERSION_MAJOR 1
#define PFN_VERSION_MINOR 4      /* what Linux 6.1 writes itself */
#define PFN_PAGE_SIZE 4096u      /* x86-64 PAGE_SIZE */
#define PFN_PAGE_STRUCT_SIZE 64u /* MAX_STRUCT_PAGE_SIZE */
#define PFN_INFO_RESERVE 8192u   /* nd_info_block_reserve(): dataoff must be past the block */
#define PFN_COMPAT_ALIGN (2u << 20) /* memremap_compat_align(): SUBSECTION_SIZE on x86-64 */
#define PFN_ALIGN_MAX (1u << 30)    /* largest mapping x86-64 offers (PUD) */

struct pfn_info {
        uint8_t uuid[16];
        uint8_t parent_uuid[16];
        uint32_t flags;
        uint16_t version_major;
        uint16_t version_minor;
        uint64_t dataoff;
        uint64_t npfns;
        uint32_t mode;
        uint32_t start_pad;
        uint32_t end_trunc;
        uint32_t align;
        uint32_t page_size;
        uint16_t page_struct_size;
        uint64_t checksum;
        bool padding_zero; /* decode: the 3994 padding bytes were all zero */
};

/*
 * The kernel's nd_fletcher64() with le=true: two running sums over the buffer
 * read as little-endian 32-bit words, the low sum wrapping at 32 bits, the high
 * one kept in 64 bits and shifted left 32 (so only its low half survives).
 * A length that is not a multiple of 4 ignores the last len % 4 bytes, as the
 * kernel's loop (len / sizeof(u32) words) does.
 */
uint64_t pfn_fletcher64(const void *buf, size_t len);

/* The checksum of a 4 KiB block as nd_sb_checksum() computes it: with the
 * checksum field taken as zero. */
uint64_t pfn_info_checksum(const uint8_t block[PFN_INFO_SIZE]);

/*
 * Plan the block for an image of image_size bytes whose data (what /dev/pmem0
 * shows) starts at dataoff, mapped with align-sized pages: fsdax RAM mode,
 * version 1.4, end_trunc so the mapped end is 2 MiB aligned, npfns for the rest.
 * -EINVAL with *why set when the numbers break a rule the kernel checks (see
 * pfn_info.c); *ret untouched on error.
 */
int pfn_info_plan(uint64_t image_size, uint64_t dataoff, uint64_t align, const uint8_t uuid[16],
                  struct pfn_info *ret, const char **why);

/* Serialize to the kernel's layout, little-endian, padding zero, checksum set. */
void pfn_info_encode(const struct pfn_info *info, uint8_t block[PFN_INFO_SIZE]);

/*
 * Decode and verify a block as nd_pfn_validate() does before it looks at the
 * namespace: signature, checksum, mode; fields newer than version_minor take
 * the kernel's defaults. 0, or -EINVAL (len < 4 KiB), -ENODATA (no
 * signature), -EBADMSG (checksum, version or mode wrong), with *why set;
 * *ret untouched on error.
 */
int pfn_info_decode(const uint8_t *block, size_t len, struct pfn_info *ret, const char **why);

/*
 * The checks nd_pfn_validate() makes against the namespace, for a namespace of
 * image_size bytes starting 2 MiB aligned (QEMU places an NVDIMM at a 1 GiB
 * boundary), plus what our tool guarantees (npfns matches the size). 0 or
 * -EINVAL with *why set.
 */
int pfn_info_check(const struct pfn_info *info, uint64_t image_size, const char **why);

/* The alignment the kernel uses: align, or for align 0 the largest power of two
 * not above dataoff. */
uint64_t pfn_info_effective_align(const struct pfn_info *info);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower or upper case. 0 or -EINVAL. */
int pfn_uuid_parse(const char *s, uint8_t ret[16]);
#define PFN_UUID_STRING_LEN 37 /* with the NUL */
void pfn_uuid_format(const uint8_t uuid[16], char out[PFN_UUID_STRING_LEN]);

/*
 * A UUID derived from seed alone (for reproducible builds: seed is
 * SOURCE_DATE_EPOCH), RFC 9562 version 8 (custom), variant 10.
 */
void pfn_uuid_from_seed(uint64_t seed, uint8_t ret[16]);

/*
 * Human-readable description of a decoded block, one "key: value" per line,
 * NUL-terminated and truncated to size. Returns the length it wanted (like
 * snprintf).
 */
size_t pfn_info_describe(const struct pfn_info *info, char *buf, size_t size);

#endif
