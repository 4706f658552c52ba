/* SPDX-License-Identifier: Apache-2.0 */
#include "json.h"

#include <inttypes.h>
#include <string.h>

void json_init(struct json *j, FILE *out)
{
        memset(j, 0, sizeof *j);
        j->out = out;
        j->first[0] = true;
}

/* Separator before a value: a comma unless first in its container or right after a key. */
static void before_value(struct json *j)
{
        if (j->after_key) {
                j->after_key = false;
                return;
        }
        if (!j->first[j->depth])
                fputc(',', j->out);
        j->first[j->depth] = false;
}

static void open_container(struct json *j, char c)
{
        before_value(j);
        fputc(c, j->out);
        if (j->depth < JSON_MAX_DEPTH - 1)
                j->depth++;
        j->first[j->depth] = true;
}

static void close_container(struct json *j, char c)
{
        if (j->depth > 0)
                j->depth--;
        fputc(c, j->out);
}

void json_object_begin(struct json *j) { open_container(j, '{'); }
void json_object_end(struct json *j) { close_container(j, '}'); }
void json_array_begin(struct json *j) { open_container(j, '['); }
void json_array_end(struct json *j) { close_container(j, ']'); }

static void write_escaped(FILE *out, const char *s, size_t n)
{
        fputc('"', out);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                switch (c) {
                case '"': fputs("\\\"", out); break;
                case '\\': fputs("\\\\", out); break;
                case '\n': fputs("\\n", out); break;
                case '\r': fputs("\\r", out); break;
                case '\t': fputs("\\t", out); break;
                default:
                        if (c < 0x20 || c == 0x7f)
                                fprintf(out, "\\u%04x", c);
                        else
                                fputc(c, out);
                }
        }
        fputc('"', out);
}

void json_key(struct json *j, const char *key)
{
        before_value(j);
        write_escaped(j->out, key, strlen(key));
        fputc(':', j->out);
        j->after_key = true;
}

void json_string_n(struct json *j, const char *s, size_t n)
{
        before_value(j);
        write_escaped(j->out, s, n);
}

void json_string(struct json *j, const char *s)
{
        json_string_n(j, s ? s : "", s ? strlen(s) : 0);
}

void json_hex(struct json *j, const uint8_t *data, size_t n)
{
        before_value(j);
        fputc('"', j->out);
        for (size_t i = 0; i < n; i++)
                fprintf(j->out, "%02x", data[i]);
        fputc('"', j->out);
}

void json_uint(struct json *j, uint64_t v)
{
        before_value(j);
        fprintf(j->out, "%" PRIu64, v);
}

void json_int(struct json *j, int64_t v)
{
        before_value(j);
        fprintf(j->out, "%" PRId64, v);
}

void json_bool(struct json *j, bool v)
{
        before_value(j);
        fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j)
{
        before_value(j);
        fputs("null", j->out);
}

void json_finish(struct json *j)
{
        fputc('\n', j->out);
        fflush(j->out);
}
