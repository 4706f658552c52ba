/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for endpoint addresses: anything address_parse accepts
 * must format (into the buffer size callers use) and parse back to the same
 * address; anything it refuses must say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static void check_same(const struct address *a, const struct address *b)
{
        /* Field by field: padding and bytes after the path's NUL are not part of the value. */
        if (a->kind != b->kind || a->cid != b->cid || a->port != b->port ||
            a->abstract != b->abstract || a->serial_by_name != b->serial_by_name ||
            strcmp(a->path, b->path) != 0)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';

        struct address a;
        struct rpc_error e = { 0 };
        int r = address_parse(s, &a, &e);
        if (r < 0) {
                if (e.code == GRPC_OK || !memchr(e.msg, '\0', sizeof e.msg) || !e.msg[0])
                        __builtin_trap();
                free(s);
                return 0;
        }
        if (r != 0 || !memchr(a.path, '\0', sizeof a.path))
                __builtin_trap();

        char text[ADDR_STRING_MAX + 1];
        if (address_format(&a, text, sizeof text) != 0)
                __builtin_trap();

        struct address b;
        struct rpc_error e2 = { 0 };
        if (address_parse(text, &b, &e2) != 0)
                __builtin_trap();
        check_same(&a, &b);

        /* The canonical form is a fixed point. */
        char again[ADDR_STRING_MAX + 1];
        if (address_format(&b, again, sizeof again) != 0 || strcmp(text, again) != 0)
                __builtin_trap();

        free(s);
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
