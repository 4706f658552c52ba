/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --storage and --device SPECs: one tokenizer (items split at unescaped
 * commas, keys at the first '=') and a table of keys per message, each key
 * naming the protobuf field it fills.
 */
#include "spec_storage.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

enum spec_kind {
        SPEC_STRING, /* char *, once */
        SPEC_LIST,   /* char ** and size_t count, repeatable */
        SPEC_FLAG,   /* protobuf_c_boolean: bare KEY, KEY=true or KEY=false */
        SPEC_FS_GROUP,
};

struct spec_key {
        const char *key;
        enum spec_kind kind;
        bool required;
        size_t offset;   /* of the field in the message */
        size_t n_offset; /* SPEC_LIST: of its count */
};

struct spec_table {
        const char *what; /* "storage", "device" */
        const ProtobufCMessageDescriptor *desc;
        const struct spec_key *keys;
        size_t n_keys;
        const char *key_list; /* for "unknown key" messages */
};

#define STRING(k, type, f, req) { k, SPEC_STRING, req, offsetof(type, f), 0 }
#define LIST(k, type, f) { k, SPEC_LIST, false, offsetof(type, f), offsetof(type, n_##f) }

static const struct spec_key storage_keys[] = {
        STRING("driver", Grpc__Storage, driver, true),
        STRING("source", Grpc__Storage, source, false),
        STRING("fstype", Grpc__Storage, fstype, false),
        STRING("mount", Grpc__Storage, mount_point, true),
        LIST("option", Grpc__Storage, options),
        LIST("driver-option", Grpc__Storage, driver_options),
        { "fs-group", SPEC_FS_GROUP, false, offsetof(Grpc__Storage, fs_group), 0 },
        { "shared", SPEC_FLAG, false, offsetof(Grpc__Storage, shared), 0 },
};

static const struct spec_key device_keys[] = {
        STRING("type", Grpc__Device, type, true),
        STRING("id", Grpc__Device, id, false),
        STRING("vm-path", Grpc__Device, vm_path, false),
        STRING("container-path", Grpc__Device, container_path, false),
        LIST("option", Grpc__Device, options),
};

static const struct spec_table storage_table = {
        "storage", &grpc__storage__descriptor, storage_keys, ARRAY_SIZE(storage_keys),
        "driver, source, fstype, mount, option, driver-option, fs-group, shared",
};

static const struct spec_table device_table = {
        "device", &grpc__device__descriptor, device_keys, ARRAY_SIZE(device_keys),
        "type, id, vm-path, container-path, option",
};

#define FIELD(msg, off, type) ((type *)((char *)(msg) + (off)))

/*
 * Copies the item starting at *cursor into buf (unescaped, NUL-terminated)
 * and moves *cursor past it and its comma; *more tells whether a comma ended
 * it. buf holds CTL_SPEC_MAX_LEN + 1, which the whole SPEC fits in.
 */
static int next_item(const char **cursor, char *buf, bool *more, struct rpc_error *e)
{
        const char *s = *cursor;
        size_t n = 0;
        for (; *s && *s != ','; s++) {
                if (*s == '\\') {
                        if (s[1] != ',' && s[1] != '\\')
                                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                                     "a backslash escapes only `,` and `\\`");
                        s++;
                }
                buf[n++] = *s;
        }
        buf[n] = '\0';
        *more = *s == ',';
        *cursor = *more ? s + 1 : s;
        if (n == 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "empty item (two commas in a row, or a comma at either end)");
        return 0;
}

static int parse_fs_group(const char *value, Grpc__FSGroup **field, struct rpc_error *e)
{
        static const struct {
                const char *name;
                Types__FSGroupChangePolicy policy;
        } policies[] = {
                { "always", TYPES__FSGROUP_CHANGE_POLICY__Always },
                { "on-root-mismatch", TYPES__FSGROUP_CHANGE_POLICY__OnRootMismatch },
                { "onrootmismatch", TYPES__FSGROUP_CHANGE_POLICY__OnRootMismatch },
        };
        char gid_text[16];
        const char *colon = strchr(value, ':');
        size_t len = colon ? (size_t)(colon - value) : strlen(value);
        uint32_t gid;
        Types__FSGroupChangePolicy policy = TYPES__FSGROUP_CHANGE_POLICY__Always;

        if (len == 0 || len >= sizeof gid_text)
                goto bad;
        memcpy(gid_text, value, len);
        gid_text[len] = '\0';
        if (strspn(gid_text, "0123456789") != len || parse_u32(gid_text, 10, &gid) < 0)
                goto bad;
        if (colon) {
                size_t i = 0;
                while (i < ARRAY_SIZE(policies) && strcasecmp(colon + 1, policies[i].name) != 0)
                        i++;
                if (i == ARRAY_SIZE(policies))
                        goto bad;
                policy = policies[i].policy;
        }
        Grpc__FSGroup *g = malloc(sizeof *g);
        if (!g)
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory");
        grpc__fsgroup__init(g);
        g->group_id = gid;
        g->group_change_policy = policy;
        *field = g;
        return 0;
bad:
        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                             "fs-group wants GID[:always|:on-root-mismatch], got `%.64s`", value);
}

static int parse_flag(const char *key, const char *value, protobuf_c_boolean *field, struct rpc_error *e)
{
        if (!value || streq(value, "true"))
                *field = true;
        else if (streq(value, "false"))
                *field = false;
        else
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s takes no value (or true/false), got `%.64s`",
                                     key, value);
        return 0;
}

static int append(char ***list, size_t *n, const char *key, const char *value, struct rpc_error *e)
{
        if (*n >= CTL_SPEC_MAX_REPEAT)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "more than %d %s= items", CTL_SPEC_MAX_REPEAT,
                                     key);
        char *copy = strdup(value);
        char **grown = copy ? realloc(*list, (*n + 1) * sizeof *grown) : NULL;
        if (!grown) {
                free(copy);
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory");
        }
        grown[(*n)++] = copy;
        *list = grown;
        return 0;
}

/* One KEY[=VALUE] item into msg; `seen` marks the keys given so far. */
static int apply_item(const struct spec_table *t, char *item, void *msg, bool *seen, struct rpc_error *e)
{
        char *value = strchr(item, '=');
        if (value)
                *value++ = '\0';
        size_t i = 0;
        while (i < t->n_keys && !streq(t->keys[i].key, item))
                i++;
        if (i == t->n_keys)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "unknown key `%.64s` (%s keys: %s)", item,
                                     t->what, t->key_list);
        const struct spec_key *k = &t->keys[i];
        if (k->kind != SPEC_LIST && seen[i])
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s given twice", k->key);
        seen[i] = true;
        if (k->kind == SPEC_FLAG)
                return parse_flag(k->key, value, FIELD(msg, k->offset, protobuf_c_boolean), e);
        if (!value || !*value)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s needs a value (%s=...)", k->key, k->key);
        switch (k->kind) {
        case SPEC_STRING: {
                char *copy = strdup(value);
                if (!copy)
                        return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory");
                *FIELD(msg, k->offset, char *) = copy;
                return 0;
        }
        case SPEC_LIST:
                return append(FIELD(msg, k->offset, char **), FIELD(msg, k->n_offset, size_t), k->key, value, e);
        case SPEC_FS_GROUP:
                return parse_fs_group(value, FIELD(msg, k->offset, Grpc__FSGroup *), e);
        case SPEC_FLAG:
                break;
        }
        return -EINVAL;
}

static int parse_spec(const struct spec_table *t, const char *text, ProtobufCMessage **ret, struct rpc_error *e)
{
        bool seen[16] = { false }; /* by key index: more than any table has */
        size_t len = strnlen(text, CTL_SPEC_MAX_LEN + 1);
        if (len > CTL_SPEC_MAX_LEN)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "longer than %d bytes", CTL_SPEC_MAX_LEN);
        if (len == 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "empty; give KEY=VALUE items (%s keys: %s)",
                                     t->what, t->key_list);
        ProtobufCMessage *msg = malloc(t->desc->sizeof_message);
        char *item = malloc(CTL_SPEC_MAX_LEN + 1);
        int r = msg && item ? 0 : rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory");
        if (msg)
                t->desc->message_init(msg);
        /* A comma always starts another item: "a," ends with an empty one. */
        const char *cursor = text;
        for (bool more = true; r == 0 && more;) {
                r = next_item(&cursor, item, &more, e);
                if (r == 0)
                        r = apply_item(t, item, msg, seen, e);
        }
        for (size_t i = 0; r == 0 && i < t->n_keys; i++)
                if (t->keys[i].required && !seen[i])
                        r = rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s= is required", t->keys[i].key);
        free(item);
        if (r < 0) {
                if (msg)
                        protobuf_c_message_free_unpacked(msg, NULL);
                return r;
        }
        *ret = msg;
        return 0;
}

int ctl_storage_parse(const char *text, Grpc__Storage **ret, struct rpc_error *e)
{
        ProtobufCMessage *m;
        int r = parse_spec(&storage_table, text, &m, e);
        if (r == 0)
                *ret = (Grpc__Storage *)m;
        return r;
}

int ctl_device_parse(const char *text, Grpc__Device **ret, struct rpc_error *e)
{
        ProtobufCMessage *m;
        int r = parse_spec(&device_table, text, &m, e);
        if (r == 0 && (*((Grpc__Device *)m)->container_path && ((Grpc__Device *)m)->container_path[0] != '/')) {
                r = rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "container-path `%.200s` is not absolute",
                                  ((Grpc__Device *)m)->container_path);
                protobuf_c_message_free_unpacked(m, NULL);
        }
        if (r == 0)
                *ret = (Grpc__Device *)m;
        return r;
}

int ctl_pci_path_parse(const char *text, uint32_t *slots, size_t max, size_t *ret_n)
{
        uint32_t parsed[CTL_PCI_PATH_MAX];
        size_t n = 0;
        const char *s = text;

        for (;;) {
                size_t digits = strspn(s, "0123456789abcdefABCDEF");
                if (digits == 0 || digits > 2)
                        return -EINVAL;
                uint32_t v = 0;
                for (size_t i = 0; i < digits; i++)
                        v = v * 16 + (uint32_t)hex_digit_value(s[i]);
                if (v > 0x1f)
                        return -EINVAL;
                if (n == max || n == CTL_PCI_PATH_MAX)
                        return -E2BIG;
                parsed[n++] = v;
                s += digits;
                if (*s == '\0')
                        break;
                if (*s != '/')
                        return -EINVAL;
                s++;
        }
        memcpy(slots, parsed, n * sizeof *slots);
        *ret_n = n;
        return 0;
}
