/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the config.json reader shared by ctl/oci_spec*.c: typed access
 * to json-c values that records the member's path ("linux.resources.memory")
 * for the error message, and builds protobuf-c messages that are malloc'ed
 * throughout, so protobuf_c_message_free_unpacked() frees them.
 */
#ifndef KINGLET_OCI_SPEC_INTERNAL_H
#define KINGLET_OCI_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json_object.h>
#include <protobuf-c/protobuf-c.h>

#include "oci.pb-c.h"
#include "status.h"

/* Longer paths are cut; only map keys from the file can make them long. */
#define OCI_JSON_PATH_MAX 256

struct oci_json {
        struct rpc_error *e;
        size_t path_len;
        char path[OCI_JSON_PATH_MAX];
};

/*
 * Parses RFC 8259 JSON (json-c, strict, nesting bounded) whose top level is an
 * object, of at most OCI_CONFIG_MAX bytes; integers must fit 64 bits.
 * Free *ret with json_object_put().
 */
int oci_json_parse(const char *text, size_t len, struct json_object **ret, struct rpc_error *e);

/* Builds one message from a JSON object; msg is already initialised. */
typedef int (*oci_json_build_fn)(struct oci_json *j, struct json_object *o, void *msg);

/*
 * Path bookkeeping: push returns the previous length, which pop restores.
 * Keys are ours (static names), except for map keys, which are quoted.
 */
size_t oci_json_push_key(struct oci_json *j, const char *key);
size_t oci_json_push_index(struct oci_json *j, size_t index);
void oci_json_pop(struct oci_json *j, size_t old_len);

/* INVALID_ARGUMENT "<path>: <message>"; returns -EINVAL. */
int oci_json_fail(struct oci_json *j, const char *fmt, ...) _printf_(2, 3);

/*
 * Member accessors. Each returns 1 when the member was there and *ret was
 * written, 0 when it is absent or null (as Go's encoding/json, which runc and
 * the Kata runtime use, treats null: *ret untouched), or -errno with j->e set.
 * `required` turns "absent" into an error.
 */
int oci_json_string(struct oci_json *j, struct json_object *o, const char *key, bool required,
                    char **ret);
int oci_json_bool(struct oci_json *j, struct json_object *o, const char *key,
                  protobuf_c_boolean *ret);
int oci_json_u64(struct oci_json *j, struct json_object *o, const char *key, uint64_t max,
                 uint64_t *ret);
int oci_json_u32(struct oci_json *j, struct json_object *o, const char *key, uint32_t max,
                 uint32_t *ret);
int oci_json_i64(struct oci_json *j, struct json_object *o, const char *key, int64_t *ret);
/* Arrays of strings / of uint32. */
int oci_json_strings(struct oci_json *j, struct json_object *o, const char *key, char ***ret,
                     size_t *ret_n);
int oci_json_u32s(struct oci_json *j, struct json_object *o, const char *key, uint32_t **ret,
                  size_t *ret_n);
/* A JSON object of strings into a protobuf map<string, string> (entries of `desc`). */
int oci_json_string_map(struct oci_json *j, struct json_object *o, const char *key,
                        const ProtobufCMessageDescriptor *desc, ProtobufCMessage ***ret,
                        size_t *ret_n);
/* A JSON object into a new message of type `desc`, filled by `build`. */
int oci_json_message(struct oci_json *j, struct json_object *o, const char *key,
                     const ProtobufCMessageDescriptor *desc, oci_json_build_fn build,
                     ProtobufCMessage **ret);
/* A JSON array of objects into an array of new messages. */
int oci_json_messages(struct oci_json *j, struct json_object *o, const char *key,
                      const ProtobufCMessageDescriptor *desc, oci_json_build_fn build,
                      ProtobufCMessage ***ret, size_t *ret_n);

/* Type-checked wrappers: the C field types of protobuf-c differ per message. */
#define OCI_JSON_MESSAGE(j, o, key, type, lower, build, field)                                   \
        ({                                                                                        \
                ProtobufCMessage *_m = NULL;                                                      \
                int _r = oci_json_message((j), (o), (key), &grpc__##lower##__descriptor, (build), \
                                          &_m);                                                   \
                if (_r > 0)                                                                       \
                        (field) = (type *)_m;                                                     \
                _r;                                                                               \
        })
#define OCI_JSON_MESSAGES(j, o, key, type, lower, build, field, n_field)                           \
        ({                                                                                          \
                ProtobufCMessage **_a = NULL;                                                       \
                size_t _n = 0;                                                                      \
                int _r = oci_json_messages((j), (o), (key), &grpc__##lower##__descriptor, (build),  \
                                           &_a, &_n);                                               \
                if (_r > 0) {                                                                       \
                        (field) = (type **)_a;                                                      \
                        (n_field) = _n;                                                             \
                }                                                                                   \
                _r;                                                                                 \
        })

/* Section of the spec in oci_spec_linux.c: the "linux" object. */
int oci_linux_from_json(struct oci_json *j, struct json_object *o, void *msg);

#endif
