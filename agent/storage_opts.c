/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Storage.options → mount(2) flags and data, and the per-driver defaults and
 * checks on top. Pure functions: the unit tests and a fuzzer call them
 * directly (tests/unit/test_storage_options.c, tests/fuzz/fuzz_storage_options.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "storage_internal.h"
#include "util.h"

#define OVERLAY_RW STORAGE_KATA_PREFIX "fs-opt.overlay-rw"

int storage_parse_mode(const char *s, mode_t *ret)
{
        uint32_t v;
        if (!s || !*s || s[0] == '+' || s[0] == '-' || parse_u32(s, 8, &v) < 0 || v > 07777)
                return -EINVAL;
        *ret = (mode_t)v;
        return 0;
}

/* Length of the key of item (up to '=' or the end). */
static size_t key_len(const char *item, size_t len)
{
        const char *eq = memchr(item, '=', len);
        return eq ? (size_t)(eq - item) : len;
}

/* Finds the item of `data` whose key is key[0..klen); its start and length. */
static const char *find_item(const char *data, const char *key, size_t klen, size_t *ret_len)
{
        for (const char *p = data; *p;) {
                size_t len = strcspn(p, ",");
                if (key_len(p, len) == klen && memcmp(p, key, klen) == 0) {
                        *ret_len = len;
                        return p;
                }
                p += len;
                p += *p == ',';
        }
        return NULL;
}

const char *storage_opts_get(const struct storage_opts *o, const char *key, size_t *ret_len)
{
        size_t klen = strlen(key), len;
        const char *item = find_item(o->data, key, klen, &len);
        if (!item)
                return NULL;
        if (ret_len)
                *ret_len = len > klen ? len - klen - 1 : 0;
        return len > klen ? item + klen + 1 : item + len;
}

/*
 * Adds item[0..len) to o->data: dropped when the same item is there,
 * refused when the same key has another value.
 */
static int add_data(struct storage_opts *o, const char *item, size_t len, struct rpc_error *e)
{
        size_t have_len, used = strlen(o->data);
        const char *have = find_item(o->data, item, key_len(item, len), &have_len);
        if (have && have_len == len && memcmp(have, item, len) == 0)
                return 0;
        if (have)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "conflicting storage options `%.*s` and `%.*s`",
                                     (int)MIN(have_len, 200), have, (int)MIN(len, 200), item);
        if (used + (used > 0) + len >= sizeof o->data)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG,
                                     "storage filesystem options are longer than %zu bytes", sizeof o->data - 1);
        if (used)
                o->data[used++] = ',';
        memcpy(o->data + used, item, len);
        o->data[used + len] = '\0';
        return 0;
}

/* A flag name from the OCI table: its effect on o; 1 when it was one, 0 when it is data. */
static int apply_flag(struct storage_opts *o, const char *item, struct rpc_error *e)
{
        struct mount_plan mp;
        memset(&mp, 0, sizeof mp);
        mp.flags = o->flags;
        mp.target = "storage";
        char *one[] = { (char *)item };
        int r = plan_mount_options(&mp, one, 1, e);
        if (r < 0)
                return r;
        if (mp.data[0])
                return 0;
        o->flags = mp.flags;
        if (mp.propagation)
                o->propagation = mp.propagation;
        return 1;
}

static int parse_item(struct storage_opts *o, const char *item, size_t len, bool *saw_ro, bool *saw_rw,
                      struct rpc_error *e)
{
        char buf[STORAGE_DATA_MAX];
        const char *v;
        if (len == 0)
                return 0;
        if (len >= sizeof buf)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "storage option `%.64s…` is longer than %zu bytes",
                                     item, sizeof buf - 1);
        memcpy(buf, item, len);
        buf[len] = '\0';

        if (streq(buf, OVERLAY_RW)) {
                o->overlay_rw = true;
                return 0;
        }
        if (startswith(buf, STORAGE_KATA_PREFIX))
                return 0; /* Kata's hints for other handlers (layers, block devices): not mount options */
        if ((v = startswith(buf, "fsgid="))) {
                uint32_t gid;
                if (parse_u32(v, 10, &gid) < 0 || gid == (uint32_t)-1)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "storage option `%.64s`: not a group id",
                                             buf);
                if (o->has_fsgid && o->fsgid != gid)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "conflicting storage options "
                                             "`fsgid=%u` and `%.64s`", (unsigned)o->fsgid, buf);
                o->has_fsgid = true;
                o->fsgid = gid;
                return 0;
        }
        if ((v = startswith(buf, "mode="))) {
                if (storage_parse_mode(v, &o->mode) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "storage option `%.64s`: the mode must be octal, at most 07777", buf);
                o->has_mode = true;
                return add_data(o, buf, len, e);
        }
        if (!strchr(buf, '=') && len < 32) { /* flag names are short */
                *saw_ro |= streq(buf, "ro");
                *saw_rw |= streq(buf, "rw");
                if (*saw_ro && *saw_rw)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "conflicting storage options `ro` and `rw`");
                int r = apply_flag(o, buf, e);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        return add_data(o, buf, len, e);
}

int storage_opts_parse(char *const *options, size_t n, struct storage_opts *ret, struct rpc_error *e)
{
        struct storage_opts o;
        bool saw_ro = false, saw_rw = false;

        if (n > STORAGE_MAX_OPTIONS)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "%zu storage options; at most %d", n,
                                     STORAGE_MAX_OPTIONS);
        memset(&o, 0, sizeof o);
        for (size_t i = 0; i < n; i++) {
                const char *opt = options[i] ? options[i] : "";
                if (strlen(opt) >= STORAGE_DATA_MAX)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG,
                                             "storage option `%.64s…` is longer than %d bytes", opt,
                                             STORAGE_DATA_MAX - 1);
                for (const char *p = opt; *p;) {
                        size_t len = strcspn(p, ",");
                        int r = parse_item(&o, p, len, &saw_ro, &saw_rw, e);
                        if (r < 0)
                                return r;
                        p += len;
                        p += *p == ',';
                }
        }
        *ret = o;
        return 0;
}

int storage_opts_default(struct storage_opts *o, const char *key, const char *value, struct rpc_error *e)
{
        char item[256];
        if (storage_opts_get(o, key, NULL))
                return 0;
        int n = value ? snprintf(item, sizeof item, "%s=%s", key, value) : snprintf(item, sizeof item, "%s", key);
        if (n < 0 || (size_t)n >= sizeof item)
                return -EINVAL;
        return add_data(o, item, (size_t)n, e);
}

int storage_opts_9p(struct storage_opts *o, struct rpc_error *e)
{
        int r = storage_opts_default(o, "trans", "virtio", e);
        if (r == 0)
                r = storage_opts_default(o, "version", "9p2000.L", e);
        if (r == 0)
                r = storage_opts_default(o, "msize", STORAGE_9P_MSIZE_DEFAULT, e);
        return r;
}

int storage_opts_virtiofs(const struct storage_opts *o, struct rpc_error *e)
{
        static const char *const modes[] = { "always", "never", "inode" };
        size_t len;
        const char *dax = storage_opts_get(o, "dax", &len);
        if (!dax || len == 0)
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
                if (strlen(modes[i]) == len && memcmp(dax, modes[i], len) == 0)
                        return 0;
        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                             "virtio-fs option `dax=%.*s`: use dax, dax=always, dax=never or dax=inode",
                             (int)MIN(len, 64), dax);
}

/* A decimal number of bytes from an option value. */
static int opt_bytes(const struct storage_opts *o, const char *key, uint64_t *ret)
{
        char buf[32];
        size_t len;
        const char *v = storage_opts_get(o, key, &len);
        if (!v || len == 0 || len >= sizeof buf)
                return -EINVAL;
        memcpy(buf, v, len);
        buf[len] = '\0';
        return parse_u64(buf, 10, ret);
}

int storage_opts_hugepages(const struct storage_opts *o, uint64_t *ret_page_kib, uint64_t *ret_pages,
                           struct rpc_error *e)
{
        uint64_t page, size;
        if (opt_bytes(o, "pagesize", &page) < 0 || opt_bytes(o, "size", &size) < 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "hugetlbfs storage needs pagesize=BYTES and size=BYTES options");
        if (page < 4096 || (page & (page - 1)) != 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "hugetlbfs pagesize=%llu is not a power of two of at least 4096",
                                     (unsigned long long)page);
        if (size < page)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "hugetlbfs size=%llu is smaller than one page (%llu)", (unsigned long long)size,
                                     (unsigned long long)page);
        *ret_page_kib = page / 1024;
        *ret_pages = size / page;
        return 0;
}
