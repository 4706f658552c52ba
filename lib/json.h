/* SPDX-License-Identifier: Apache-2.0 */
/* A small streaming JSON writer (objects, arrays, strings, numbers, booleans). */
#ifndef KINGLET_JSON_H
#define KINGLET_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
        FILE *out;
        int depth;
        bool first[JSON_MAX_DEPTH];
        bool after_key;
};

void json_init(struct json *j, FILE *out);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_string_n(struct json *j, const char *s, size_t n);
/* Bytes as a string of lowercase hex digits. */
void json_hex(struct json *j, const uint8_t *data, size_t n);
void json_uint(struct json *j, uint64_t v);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Ends the document with a newline. */
void json_finish(struct json *j);

#endif
