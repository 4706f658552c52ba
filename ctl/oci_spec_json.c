/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed, path-reporting access to a config.json parsed by json-c, building
 * protobuf-c messages. See oci_spec_internal.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_object_iterator.h>
#include <json-c/json_tokener.h>

#include "cleanup.h"
#include "oci_spec.h"
#include "oci_spec_internal.h"

/* Deeper than any real spec (the deepest member is 6 levels down). */
#define OCI_JSON_MAX_DEPTH 64

static void path_append(struct oci_json *j, const char *fmt, ...) _printf_(2, 3);
static void path_append(struct oci_json *j, const char *fmt, ...)
{
        size_t room = sizeof j->path - j->path_len;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(j->path + j->path_len, room, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        j->path_len += (size_t)n < room ? (size_t)n : room - 1;
}

size_t oci_json_push_key(struct oci_json *j, const char *key)
{
        size_t old = j->path_len;

        path_append(j, "%s%s", old > 0 ? "." : "", key);
        return old;
}

size_t oci_json_push_index(struct oci_json *j, size_t index)
{
        size_t old = j->path_len;

        path_append(j, "[%zu]", index);
        return old;
}

void oci_json_pop(struct oci_json *j, size_t old_len)
{
        j->path_len = old_len;
        j->path[old_len] = '\0';
}

int oci_json_fail(struct oci_json *j, const char *fmt, ...)
{
        char msg[RPC_ERROR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return rpc_error_set(j->e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s: %s", j->path, msg);
}

/* Line and column (from 1) of a byte offset, for messages about the text itself. */
static void offset_to_line(const char *s, size_t off, size_t *ret_line, size_t *ret_col)
{
        size_t line = 1, col = 1;

        for (size_t i = 0; i < off; i++) {
                if (s[i] == '\n') {
                        line++;
                        col = 1;
                } else {
                        col++;
                }
        }
        *ret_line = line;
        *ret_col = col;
}

/*
 * What json-c lets through that this reader must not take: integers that do not
 * fit 64 bits, which json-c saturates (strtoll/strtoull without an ERANGE check,
 * so 2^64 would read as 2^64-1), and NaN/Infinity, which its strict mode still
 * accepts though RFC 8259 has no such values. Runs on text the tokenizer
 * accepted, so anything unquoted that is not a number is true, false or null.
 */
static int check_literals(const char *s, size_t len, struct rpc_error *e)
{
        static const char max_u64[] = "18446744073709551615";
        static const char min_i64[] = "9223372036854775808"; /* magnitude of INT64_MIN */
        size_t line, col;

        for (size_t i = 0; i < len; i++) {
                if (s[i] == '"') {
                        for (i++; i < len && s[i] != '"'; i++)
                                if (s[i] == '\\')
                                        i++;
                        continue;
                }
                if (s[i] == 'N' || s[i] == 'I') {
                        offset_to_line(s, i, &line, &col);
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "invalid JSON at line %zu, column %zu: NaN and Infinity are not JSON",
                                             line, col);
                }
                if (s[i] != '-' && (s[i] < '0' || s[i] > '9'))
                        continue;

                size_t start = i;
                bool fraction = false;
                while (i < len && s[i] != '\0' && strchr("0123456789+-.eE", s[i])) {
                        if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
                                fraction = true;
                        i++;
                }
                bool neg = s[start] == '-';
                const char *digits = s + start + neg;
                size_t n = i - start - neg;
                const char *limit = neg ? min_i64 : max_u64;
                size_t limit_len = neg ? STRLEN(min_i64) : STRLEN(max_u64);

                if (!fraction && (n > limit_len || (n == limit_len && memcmp(digits, limit, n) > 0))) {
                        offset_to_line(s, start, &line, &col);
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -ERANGE,
                                             "the number at line %zu, column %zu does not fit in 64 bits",
                                             line, col);
                }
                i--; /* the loop's i++ must not skip the character after the number */
        }
        return 0;
}

int oci_json_parse(const char *text, size_t len, struct json_object **ret, struct rpc_error *e)
{
        struct json_tokener *tok;
        struct json_object *root;
        size_t line, col;

        if (len > OCI_CONFIG_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EFBIG,
                                     "%zu bytes is more than the limit of %u", len,
                                     OCI_CONFIG_MAX);
        /* json-c stops at a NUL byte as if the text ended there. */
        const char *nul = memchr(text, '\0', len);
        if (nul) {
                offset_to_line(text, (size_t)(nul - text), &line, &col);
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "invalid JSON at line %zu, column %zu: a NUL byte",
                                     line, col);
        }

        tok = json_tokener_new_ex(OCI_JSON_MAX_DEPTH);
        if (!tok)
                return -ENOMEM;
        /* RFC 8259 only: no comments, trailing commas, single quotes or junk after the value. */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        root = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error err = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        if (err != json_tokener_success) {
                json_object_put(root);
                if (err == json_tokener_continue)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "invalid JSON: the text ends inside a value");
                /* json-c reports the offset just past the offending character. */
                offset_to_line(text, end > 0 ? end - 1 : 0, &line, &col);
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "invalid JSON at line %zu, column %zu: %s", line, col,
                                     json_tokener_error_desc(err));
        }
        if (!json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "expected a JSON object at the top level");
        }
        int r = check_literals(text, len, e);
        if (r < 0) {
                json_object_put(root);
                return r;
        }
        *ret = root;
        return 0;
}

/*
 * Looks up `key`: 0 when absent or null, 1 with *ret set when of type `type`
 * (the key is then left on the path, so that checks of the value can name it;
 * the caller pops back to *ret_old), -EINVAL naming the member otherwise.
 */
static int member(struct oci_json *j, struct json_object *o, const char *key, json_type type,
                  const char *what, bool required, struct json_object **ret, size_t *ret_old)
{
        struct json_object *v = NULL;
        size_t old = oci_json_push_key(j, key);
        int r;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                r = required ? oci_json_fail(j, "missing") : 0;
        else if (!json_object_is_type(v, type))
                r = oci_json_fail(j, "expected %s", what);
        else
                r = 1;
        if (r <= 0) {
                oci_json_pop(j, old);
                return r;
        }
        *ret = v;
        *ret_old = old;
        return 1;
}

/* A string value, copied; strings with NUL inside cannot be C strings. */
static int string_value(struct oci_json *j, struct json_object *v, char **ret)
{
        int n = json_object_get_string_len(v);
        const char *s = json_object_get_string(v);

        if (n < 0 || !s)
                return -ENOMEM;
        if (memchr(s, '\0', (size_t)n))
                return oci_json_fail(j, "contains a NUL character");
        char *copy = strndup(s, (size_t)n);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

int oci_json_string(struct oci_json *j, struct json_object *o, const char *key, bool required,
                    char **ret)
{
        struct json_object *v = NULL;
        size_t old = 0;
        int r = member(j, o, key, json_type_string, "a string", required, &v, &old);
        if (r <= 0)
                return r;
        char *s = NULL;
        r = string_value(j, v, &s);
        oci_json_pop(j, old);
        if (r < 0)
                return r;
        *ret = s;
        return 1;
}

int oci_json_bool(struct oci_json *j, struct json_object *o, const char *key,
                  protobuf_c_boolean *ret)
{
        struct json_object *v = NULL;
        size_t old = 0;
        int r = member(j, o, key, json_type_boolean, "a boolean", false, &v, &old);
        if (r <= 0)
                return r;
        oci_json_pop(j, old);
        *ret = json_object_get_boolean(v) ? 1 : 0;
        return 1;
}

/*
 * An integer value as sign and magnitude. json-c keeps integers as int64 or,
 * above INT64_MAX, uint64; its getters clamp to their own type, which tells
 * the two apart. Fractions and exponents are refused, as Go does for integer
 * fields.
 */
static int integer_value(struct oci_json *j, struct json_object *v, bool *ret_neg, uint64_t *ret_mag)
{
        if (json_object_is_type(v, json_type_double))
                return oci_json_fail(j, "expected an integer");
        if (!json_object_is_type(v, json_type_int))
                return oci_json_fail(j, "expected a number");

        int64_t s = json_object_get_int64(v);
        if (s < 0) {
                *ret_neg = true;
                *ret_mag = (uint64_t)-(s + 1) + 1; /* no overflow at INT64_MIN */
        } else {
                *ret_neg = false;
                *ret_mag = json_object_get_uint64(v);
        }
        return 0;
}

/* Numbers are looked up untyped: integer_value() tells a fraction from a string. */
static int number_member(struct json_object *o, const char *key, struct json_object **ret)
{
        struct json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        *ret = v;
        return 1;
}

static int u64_value(struct oci_json *j, struct json_object *v, uint64_t max, uint64_t *ret)
{
        bool neg;
        uint64_t mag;
        int r = integer_value(j, v, &neg, &mag);
        if (r < 0)
                return r;
        if (neg)
                return oci_json_fail(j, "-%" PRIu64 " is out of range (0..%" PRIu64 ")", mag, max);
        if (mag > max)
                return oci_json_fail(j, "%" PRIu64 " is out of range (0..%" PRIu64 ")", mag, max);
        *ret = mag;
        return 0;
}

int oci_json_u64(struct oci_json *j, struct json_object *o, const char *key, uint64_t max,
                 uint64_t *ret)
{
        struct json_object *v = NULL;
        uint64_t u = 0;

        if (number_member(o, key, &v) == 0)
                return 0;
        size_t old = oci_json_push_key(j, key);
        int r = u64_value(j, v, max, &u);
        oci_json_pop(j, old);
        if (r < 0)
                return r;
        *ret = u;
        return 1;
}

int oci_json_u32(struct oci_json *j, struct json_object *o, const char *key, uint32_t max,
                 uint32_t *ret)
{
        uint64_t u = 0;
        int r = oci_json_u64(j, o, key, max, &u);

        if (r > 0)
                *ret = (uint32_t)u;
        return r;
}

int oci_json_i64(struct oci_json *j, struct json_object *o, const char *key, int64_t *ret)
{
        struct json_object *v = NULL;
        bool neg;
        uint64_t mag;

        if (number_member(o, key, &v) == 0)
                return 0;
        size_t old = oci_json_push_key(j, key);
        int r = integer_value(j, v, &neg, &mag);
        if (r == 0 && !neg && mag > (uint64_t)INT64_MAX)
                r = oci_json_fail(j, "%" PRIu64 " is out of range (%" PRId64 "..%" PRId64 ")", mag,
                                  INT64_MIN, INT64_MAX);
        oci_json_pop(j, old);
        if (r < 0)
                return r;
        /* Two's complement from the magnitude, without signed overflow at INT64_MIN. */
        *ret = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        return 1;
}

static struct json_object *array_member(struct oci_json *j, struct json_object *o, const char *key,
                                        size_t *ret_old, int *ret_r)
{
        struct json_object *v = NULL;
        int r = member(j, o, key, json_type_array, "an array", false, &v, ret_old);

        *ret_r = r;
        return r > 0 ? v : NULL;
}

int oci_json_strings(struct oci_json *j, struct json_object *o, const char *key, char ***ret,
                     size_t *ret_n)
{
        size_t old = 0;
        int r;
        struct json_object *a = array_member(j, o, key, &old, &r);
        if (!a)
                return r;

        size_t n = json_object_array_length(a);
        char **strs = calloc(n ? n : 1, sizeof *strs);
        if (!strs) {
                oci_json_pop(j, old);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                struct json_object *v = json_object_array_get_idx(a, i);
                size_t at = oci_json_push_index(j, i);

                if (!json_object_is_type(v, json_type_string))
                        r = oci_json_fail(j, "expected a string");
                else
                        r = string_value(j, v, &strs[i]);
                oci_json_pop(j, at);
                if (r < 0) {
                        for (size_t k = 0; k < i; k++)
                                free(strs[k]);
                        free(strs);
                        oci_json_pop(j, old);
                        return r;
                }
        }
        oci_json_pop(j, old);
        *ret = strs;
        *ret_n = n;
        return 1;
}

int oci_json_u32s(struct oci_json *j, struct json_object *o, const char *key, uint32_t **ret,
                  size_t *ret_n)
{
        size_t old = 0;
        int r;
        struct json_object *a = array_member(j, o, key, &old, &r);
        if (!a)
                return r;

        size_t n = json_object_array_length(a);
        _cleanup_free_ uint32_t *vals = calloc(n ? n : 1, sizeof *vals);
        if (!vals) {
                oci_json_pop(j, old);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                uint64_t u = 0;
                size_t at = oci_json_push_index(j, i);
                struct json_object *v = json_object_array_get_idx(a, i);

                r = v ? u64_value(j, v, UINT32_MAX, &u) : oci_json_fail(j, "expected a number");
                oci_json_pop(j, at);
                if (r < 0) {
                        oci_json_pop(j, old);
                        return r;
                }
                vals[i] = (uint32_t)u;
        }
        oci_json_pop(j, old);
        *ret = TAKE_PTR(vals);
        *ret_n = n;
        return 1;
}

/* A new message of type desc, or NULL. */
static ProtobufCMessage *message_new(const ProtobufCMessageDescriptor *desc)
{
        ProtobufCMessage *m = malloc(desc->sizeof_message);

        if (m)
                protobuf_c_message_init(desc, m);
        return m;
}

static void messages_free(ProtobufCMessage **msgs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                protobuf_c_message_free_unpacked(msgs[i], NULL);
        free(msgs);
}

/* One map entry: key and value at the offsets the entry's descriptor gives. */
static int map_entry(struct oci_json *j, const ProtobufCMessageDescriptor *desc, const char *name,
                     struct json_object *v, ProtobufCMessage *entry)
{
        const ProtobufCFieldDescriptor *fk = protobuf_c_message_descriptor_get_field_by_name(desc, "key");
        const ProtobufCFieldDescriptor *fv = protobuf_c_message_descriptor_get_field_by_name(desc, "value");
        char **key = (char **)(void *)((char *)entry + fk->offset);
        char **value = (char **)(void *)((char *)entry + fv->offset);

        if (!json_object_is_type(v, json_type_string))
                return oci_json_fail(j, "expected a string");
        char *k = strdup(name);
        if (!k)
                return -ENOMEM;
        *key = k;
        return string_value(j, v, value);
}

int oci_json_string_map(struct oci_json *j, struct json_object *o, const char *key,
                        const ProtobufCMessageDescriptor *desc, ProtobufCMessage ***ret,
                        size_t *ret_n)
{
        struct json_object *m = NULL;
        size_t old = 0;
        int r = member(j, o, key, json_type_object, "an object", false, &m, &old);
        if (r <= 0)
                return r;

        size_t n = (size_t)json_object_object_length(m);
        ProtobufCMessage **entries = calloc(n ? n : 1, sizeof *entries);
        if (!entries) {
                oci_json_pop(j, old);
                return -ENOMEM;
        }
        struct json_object_iterator it = json_object_iter_begin(m);
        struct json_object_iterator end = json_object_iter_end(m);
        size_t i;
        for (i = 0, r = 0; i < n && r >= 0 && !json_object_iter_equal(&it, &end); i++) {
                const char *name = json_object_iter_peek_name(&it);
                /* Keys come from the file: quoted and bounded on the path. */
                char quoted[72];
                snprintf(quoted, sizeof quoted, "`%.64s`", name);
                size_t at = oci_json_push_key(j, quoted);

                entries[i] = message_new(desc);
                r = entries[i] ? map_entry(j, desc, name, json_object_iter_peek_value(&it), entries[i])
                               : -ENOMEM;
                oci_json_pop(j, at);
                json_object_iter_next(&it);
        }
        oci_json_pop(j, old);
        if (r < 0) {
                messages_free(entries, i);
                return r;
        }
        *ret = entries;
        *ret_n = i;
        return 1;
}

int oci_json_message(struct oci_json *j, struct json_object *o, const char *key,
                     const ProtobufCMessageDescriptor *desc, oci_json_build_fn build,
                     ProtobufCMessage **ret)
{
        struct json_object *v = NULL;
        size_t old = 0;
        int r = member(j, o, key, json_type_object, "an object", false, &v, &old);
        if (r <= 0)
                return r;

        ProtobufCMessage *m = message_new(desc);
        r = m ? build(j, v, m) : -ENOMEM;
        oci_json_pop(j, old);
        if (r < 0) {
                protobuf_c_message_free_unpacked(m, NULL);
                return r;
        }
        *ret = m;
        return 1;
}

int oci_json_messages(struct oci_json *j, struct json_object *o, const char *key,
                      const ProtobufCMessageDescriptor *desc, oci_json_build_fn build,
                      ProtobufCMessage ***ret, size_t *ret_n)
{
        size_t old = 0;
        int r;
        struct json_object *a = array_member(j, o, key, &old, &r);
        if (!a)
                return r;

        size_t n = json_object_array_length(a);
        ProtobufCMessage **msgs = calloc(n ? n : 1, sizeof *msgs);
        if (!msgs) {
                oci_json_pop(j, old);
                return -ENOMEM;
        }
        size_t i;
        for (i = 0, r = 0; i < n && r >= 0; i++) {
                struct json_object *v = json_object_array_get_idx(a, i);
                size_t at = oci_json_push_index(j, i);

                if (!json_object_is_type(v, json_type_object))
                        r = oci_json_fail(j, "expected an object");
                else if (!(msgs[i] = message_new(desc)))
                        r = -ENOMEM;
                else
                        r = build(j, v, msgs[i]);
                oci_json_pop(j, at);
        }
        oci_json_pop(j, old);
        if (r < 0) {
                messages_free(msgs, i);
                return r;
        }
        *ret = msgs;
        *ret_n = n;
        return 1;
}
