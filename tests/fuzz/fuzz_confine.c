/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the lexical half of path confinement: whatever
 * confine_check accepts must really lie below the base, and the relative
 * part it returns must be safe to walk component by component.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path_confine.h"

#define BASE "/run/kata-containers"

static void check_rel(const char *path, const char *rel)
{
        size_t path_len = strlen(path);

        /* rel points into path, past "BASE/", and names something. */
        if (rel < path + sizeof BASE || rel >= path + path_len || !*rel)
                __builtin_trap();
        if (strncmp(path, BASE "/", sizeof BASE) != 0)
                __builtin_trap();
        if (rel[0] == '/' || path_len >= PATH_MAX || path[path_len - 1] == '/')
                __builtin_trap();

        for (const char *p = rel; *p;) {
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                if (n == 0 || n > NAME_MAX)
                        __builtin_trap();
                if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        __builtin_trap();
                p = end;
                while (*p == '/')
                        p++;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *path = malloc(size + 1);
        if (!path)
                return 0;
        memcpy(path, data, size);
        path[size] = '\0';

        const char *rel = NULL;
        struct rpc_error e = { 0 };
        int r = confine_check(path, BASE, &rel, &e);
        if (r == 0)
                check_rel(path, rel);
        else if (r > 0 || e.code == GRPC_OK || !memchr(e.msg, '\0', sizeof e.msg))
                __builtin_trap();

        free(path);
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
