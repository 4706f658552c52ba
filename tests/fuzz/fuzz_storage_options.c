/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the storage option parser (agent/storage_opts.c):
 * the input's lines are Storage.options. Whatever it accepts must be a
 * terminated string within its buffer, without empty items, and the driver
 * defaults and checks on top must hold the same; a refusal must say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage_internal.h"

#define MAX_LINES (STORAGE_MAX_OPTIONS + 4)

static void check(const struct storage_opts *o)
{
        if (!memchr(o->data, '\0', sizeof o->data))
                __builtin_trap();
        size_t len = strlen(o->data);
        /* Items are joined by single commas: none empty, none at either end. */
        if (len && (o->data[0] == ',' || o->data[len - 1] == ',' || strstr(o->data, ",,")))
                __builtin_trap();
        if (o->has_mode && o->mode > 07777)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1), *lines[MAX_LINES];
        size_t n = 0;
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        for (char *p = text; n < MAX_LINES;) {
                lines[n++] = p;
                char *nl = strchr(p, '\n');
                if (!nl)
                        break;
                *nl = '\0';
                p = nl + 1;
        }

        struct storage_opts o;
        struct rpc_error e = { 0 };
        uint64_t kib, pages;
        if (storage_opts_parse(lines, n, &o, &e) < 0) {
                if (e.code == 0 || !e.msg[0])
                        __builtin_trap();
        } else {
                check(&o);
                (void)storage_opts_virtiofs(&o, &e);
                (void)storage_opts_hugepages(&o, &kib, &pages, &e);
                (void)storage_opts_get(&o, "lowerdir", NULL);
                if (storage_opts_9p(&o, &e) == 0)
                        check(&o);
        }
        free(text);
        return 0;
}
