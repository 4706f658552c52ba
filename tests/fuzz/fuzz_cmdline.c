/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the kernel command line parser: any line, any
 * quoting, any length. The parsed strings must stay terminated within their
 * buffers, and what the parser reports to its warning callback must be
 * well-formed strings.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

static void warn(const char *key, const char *value, const char *why, void *data)
{
        size_t *count = data;

        /* Reading the strings to their ends lets ASan check them. */
        if (!key || !why || !*why || strlen(key) >= CMDLINE_MAX)
                __builtin_trap();
        if (value && strlen(value) >= CMDLINE_MAX)
                __builtin_trap();
        (*count)++;
}

static void check_string(const char *s, size_t size, bool has)
{
        if (!memchr(s, '\0', size))
                __builtin_trap();
        /* A field never set stays empty. */
        if (!has && s[0] != '\0')
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *line = malloc(size + 1);
        if (!line)
                return 0;
        memcpy(line, data, size);
        line[size] = '\0';

        struct kernel_params kp;
        size_t warnings = 0;
        /* Poison the result: the parser must overwrite every field. */
        memset(&kp, 0xa5, sizeof kp);
        kernel_params_parse(line, &kp, warn, &warnings);

        check_string(kp.server_addr, sizeof kp.server_addr, kp.has_server_addr);
        check_string(kp.log_level, sizeof kp.log_level, kp.has_log_level);
        check_string(kp.config_file, sizeof kp.config_file, kp.has_config_file);
        if (!kp.has_hotplug_timeout && kp.hotplug_timeout_s != 0)
                __builtin_trap();
        if (!kp.has_unified_cgroup_hierarchy && kp.unified_cgroup_hierarchy)
                __builtin_trap();
        /* Each warning is about one whitespace-separated token. */
        if (warnings > size)
                __builtin_trap();

        /* A NULL callback is allowed and must give the same result. */
        struct kernel_params quiet;
        memset(&quiet, 0x5a, sizeof quiet);
        kernel_params_parse(line, &quiet, NULL, NULL);
        if (strcmp(quiet.server_addr, kp.server_addr) != 0 ||
            strcmp(quiet.log_level, kp.log_level) != 0 ||
            strcmp(quiet.config_file, kp.config_file) != 0 ||
            quiet.debug_console_vport != kp.debug_console_vport || quiet.devmode != kp.devmode)
                __builtin_trap();

        free(line);
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
