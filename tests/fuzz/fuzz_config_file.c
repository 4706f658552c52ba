/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the agent.config_file parser: any text, any length.
 * Strings it sets stay terminated in their buffers, a file never names
 * another file, and warnings are well-formed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_file.h"

static void warn(const char *key, const char *value, const char *why, void *data)
{
        size_t *count = data;
        if (!key || !why || !*why || strlen(key) > CONFIG_LINE_MAX + 300)
                __builtin_trap();
        if (value && strlen(value) > CONFIG_LINE_MAX)
                __builtin_trap();
        (*count)++;
}

static void check_string(const char *s, size_t size, bool has)
{
        if (!memchr(s, '\0', size) || (!has && s[0] != '\0'))
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct kernel_params kp = { 0 };
        size_t warnings = 0;

        config_file_parse((const char *)data, size, "fuzz.conf", &kp, warn, &warnings);
        check_string(kp.server_addr, sizeof kp.server_addr, kp.has_server_addr);
        check_string(kp.log_level, sizeof kp.log_level, kp.has_log_level);
        if (kp.has_config_file || kp.config_file[0])
                __builtin_trap();
        /* At most one warning per line (a line is at least its newline). */
        if (warnings > size + 1)
                __builtin_trap();
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
