/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the cgroup v1 plan (cgroup_v1_plan_parse): any
 * /proc/cgroups text. Every hierarchy must be a terminated, non-empty,
 * comma-separated list of valid names, no controller in two hierarchies,
 * and the plan within its bounds.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cgroup_mounts.h"

static bool valid_part(const char *s, size_t len)
{
        if (len == 0 || len > CGROUP_V1_CONTROLLER_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct cgroup_v1_plan plan;
        char seen[CGROUP_V1_MAX_CONTROLLERS * 4][CGROUP_V1_CONTROLLER_NAME_MAX + 1];
        size_t n_seen = 0;

        /* Not terminated on purpose: the parser must stop at size. */
        cgroup_v1_plan_parse((const char *)data, size, &plan);
        if (plan.n > CGROUP_V1_MAX_CONTROLLERS)
                __builtin_trap();
        for (size_t i = 0; i < plan.n; i++) {
                const char *h = plan.hierarchy[i];
                if (!memchr(h, '\0', sizeof plan.hierarchy[i]) || !*h)
                        __builtin_trap();
                for (const char *p = h;;) {
                        const char *end = strchr(p, ',');
                        size_t len = end ? (size_t)(end - p) : strlen(p);
                        if (!valid_part(p, len))
                                __builtin_trap();
                        for (size_t k = 0; k < n_seen; k++)
                                if (strlen(seen[k]) == len && memcmp(seen[k], p, len) == 0)
                                        __builtin_trap();
                        if (n_seen < sizeof seen / sizeof *seen) {
                                memcpy(seen[n_seen], p, len);
                                seen[n_seen++][len] = '\0';
                        }
                        if (!end)
                                break;
                        p = end + 1;
                }
                char names[8][CGROUP_V1_CONTROLLER_NAME_MAX + 1];
                size_t n = cgroup_v1_links(h, names, 8);
                if (n > 8 || (n > 0 && !strchr(h, ',')))
                        __builtin_trap();
        }
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
