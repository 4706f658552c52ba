/* SPDX-License-Identifier: Apache-2.0 */
#include "cmdline.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "config_file.h"
#include "util.h"

enum param_type {
        PARAM_STRING, /* key=value, copied with a bound */
        PARAM_FLAG,   /* bare key (Kata's agent.debug_console, agent.devmode) */
        PARAM_BOOL,   /* key=true|false|1|0, or bare key meaning true */
        PARAM_U32,    /* key=decimal */
        PARAM_IGNORED /* known key without effect here (CoCo, mem-agent, ...) */
};

struct param_def {
        const char *key;
        enum param_type type;
        size_t offset;    /* value field in struct kernel_params */
        size_t size;      /* PARAM_STRING: buffer size */
        size_t has;       /* offset of the has_* flag, or SIZE_MAX */
};

#define FIELD(f) offsetof(struct kernel_params, f)
#define NO_HAS SIZE_MAX

static const struct param_def params[] = {
        { "agent.server_addr", PARAM_STRING, FIELD(server_addr), sizeof(((struct kernel_params *)0)->server_addr), FIELD(has_server_addr) },
        { "agent.log", PARAM_STRING, FIELD(log_level), sizeof(((struct kernel_params *)0)->log_level), FIELD(has_log_level) },
        { "agent.config_file", PARAM_STRING, FIELD(config_file), sizeof(((struct kernel_params *)0)->config_file), FIELD(has_config_file) },
        { "agent.policy_file", PARAM_STRING, FIELD(policy_file), sizeof(((struct kernel_params *)0)->policy_file), FIELD(has_policy_file) },
        { "agent.debug_console", PARAM_FLAG, FIELD(debug_console), 0, NO_HAS },
        { "agent.debug_console_vport", PARAM_U32, FIELD(debug_console_vport), 0, NO_HAS },
        { "agent.log_vport", PARAM_U32, FIELD(log_vport), 0, NO_HAS },
        { "agent.hotplug_timeout", PARAM_U32, FIELD(hotplug_timeout_s), 0, FIELD(has_hotplug_timeout) },
        { "agent.container_pipe_size", PARAM_U32, FIELD(container_pipe_size), 0, NO_HAS },
        { "agent.max_connections", PARAM_U32, FIELD(max_connections), 0, FIELD(has_max_connections) },
        { "agent.max_requests_per_connection", PARAM_U32, FIELD(max_requests_per_connection), 0, FIELD(has_max_requests_per_connection) },
        { "agent.max_containers", PARAM_U32, FIELD(max_containers), 0, FIELD(has_max_containers) },
        { "agent.max_execs_per_container", PARAM_U32, FIELD(max_execs_per_container), 0, FIELD(has_max_execs_per_container) },
        { "agent.stdio_buffer_bytes", PARAM_U32, FIELD(stdio_buffer_bytes), 0, FIELD(has_stdio_buffer_bytes) },
        { "agent.copy_file_max_bytes", PARAM_U32, FIELD(copy_file_max_bytes), 0, FIELD(has_copy_file_max_bytes) },
        { "agent.spec_max_env", PARAM_U32, FIELD(spec_max_env), 0, FIELD(has_spec_max_env) },
        { "agent.spec_max_args", PARAM_U32, FIELD(spec_max_args), 0, FIELD(has_spec_max_args) },
        { "agent.spec_max_mounts", PARAM_U32, FIELD(spec_max_mounts), 0, FIELD(has_spec_max_mounts) },
        { "agent.spec_max_string_bytes", PARAM_U32, FIELD(spec_max_string_bytes), 0, FIELD(has_spec_max_string_bytes) },
        { "agent.passfd_listener_port", PARAM_U32, FIELD(passfd_listener_port), 0, NO_HAS },
        { "agent.devmode", PARAM_FLAG, FIELD(devmode), 0, NO_HAS },
        { "agent.trace", PARAM_BOOL, FIELD(trace), 0, NO_HAS },
        { "systemd.unified_cgroup_hierarchy", PARAM_BOOL, FIELD(unified_cgroup_hierarchy), 0, FIELD(has_unified_cgroup_hierarchy) },
        /* Kata 2.0 spelling of the same switch. */
        { "agent.unified_cgroup_hierarchy", PARAM_BOOL, FIELD(unified_cgroup_hierarchy), 0, FIELD(has_unified_cgroup_hierarchy) },
        /* Known Kata keys this agent accepts without acting on them. */
        { "agent.use_vsock", PARAM_IGNORED, 0, 0, NO_HAS },
        { "agent.cdh_api_timeout", PARAM_IGNORED, 0, 0, NO_HAS },
        { "agent.image_pull_timeout", PARAM_IGNORED, 0, 0, NO_HAS },
        { "agent.cdi_timeout", PARAM_IGNORED, 0, 0, NO_HAS },
        { "agent.launch_process_timeout", PARAM_IGNORED, 0, 0, NO_HAS },
        { "agent.visible_cdi_devices", PARAM_IGNORED, 0, 0, NO_HAS },
        { "agent.guest_components_rest_api", PARAM_IGNORED, 0, 0, NO_HAS },
        { "agent.guest_components_procs", PARAM_IGNORED, 0, 0, NO_HAS },
        { "agent.secure_storage_integrity", PARAM_IGNORED, 0, 0, NO_HAS },
        { "agent.https_proxy", PARAM_IGNORED, 0, 0, NO_HAS },
        { "agent.no_proxy", PARAM_IGNORED, 0, 0, NO_HAS },
};

static const struct param_def *find_param(const char *key)
{
        for (size_t i = 0; i < ARRAY_SIZE(params); i++)
                if (streq(params[i].key, key))
                        return &params[i];
        return NULL;
}

static int parse_bool(const char *v, bool *ret)
{
        static const char *const yes[] = { "1", "true", "yes", "on", "y" };
        static const char *const no[] = { "0", "false", "no", "off", "n" };
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
                if (strcasecmp(v, yes[i]) == 0)
                        return *ret = true, 0;
        for (size_t i = 0; i < ARRAY_SIZE(no); i++)
                if (strcasecmp(v, no[i]) == 0)
                        return *ret = false, 0;
        return -EINVAL;
}

void kernel_param_set(struct kernel_params *kp, const char *key, const char *value, kernel_param_warn_fn warn,
                      void *data)
{
        const struct param_def *d = find_param(key);
        char *base = (char *)kp;

        if (!d) {
                if (startswith(key, "agent.") && warn)
                        warn(key, value, "unknown agent parameter, ignoring", data);
                return;
        }
        switch (d->type) {
        case PARAM_IGNORED:
                return;
        case PARAM_FLAG:
                /* Kata matches bare flags exactly; "agent.devmode=1" is accepted too. */
                if (value) {
                        bool b;
                        if (parse_bool(value, &b) < 0) {
                                if (warn)
                                        warn(key, value, "expected a bare flag or a boolean, ignoring", data);
                                return;
                        }
                        *(bool *)(base + d->offset) = b;
                } else
                        *(bool *)(base + d->offset) = true;
                break;
        case PARAM_BOOL: {
                bool b = true;
                if (value && parse_bool(value, &b) < 0) {
                        if (warn)
                                warn(key, value, "expected true or false, ignoring", data);
                        return;
                }
                *(bool *)(base + d->offset) = b;
                break;
        }
        case PARAM_U32: {
                uint32_t v;
                if (!value || parse_u32(value, 10, &v) < 0) {
                        if (warn)
                                warn(key, value, "expected a number, ignoring", data);
                        return;
                }
                *(uint32_t *)(base + d->offset) = v;
                break;
        }
        case PARAM_STRING:
                if (!value || strlen(value) >= d->size) {
                        if (warn)
                                warn(key, value, value ? "value too long, ignoring" : "needs a value, ignoring", data);
                        return;
                }
                memcpy(base + d->offset, value, strlen(value) + 1);
                break;
        }
        if (d->has != NO_HAS)
                *(bool *)(base + d->has) = true;
}

/*
 * Splits like the kernel's next_arg(): whitespace separates parameters,
 * double quotes may surround a value (or the whole parameter) to keep spaces.
 */
void kernel_params_apply(const char *cmdline, struct kernel_params *kp, kernel_param_warn_fn warn, void *data)
{
        const char *p = cmdline;
        size_t total = strnlen(cmdline, CMDLINE_MAX);

        while ((size_t)(p - cmdline) < total) {
                char token[CMDLINE_MAX];
                size_t n = 0;
                bool quoted = false;

                while ((size_t)(p - cmdline) < total && isspace((unsigned char)*p))
                        p++;
                while ((size_t)(p - cmdline) < total && (quoted || !isspace((unsigned char)*p))) {
                        if (*p == '"')
                                quoted = !quoted;
                        else if (n < sizeof token - 1)
                                token[n++] = *p;
                        p++;
                }
                token[n] = '\0';
                if (n == 0)
                        continue;
                char *eq = strchr(token, '=');
                if (eq)
                        *eq = '\0';
                kernel_param_set(kp, token, eq ? eq + 1 : NULL, warn, data);
        }
}

void kernel_params_parse(const char *cmdline, struct kernel_params *ret, kernel_param_warn_fn warn, void *data)
{
        struct kernel_params kp = { 0 };
        kernel_params_apply(cmdline, &kp, warn, data);
        *ret = kp;
}

int kernel_params_read(const char *path, struct kernel_params *ret, kernel_param_warn_fn warn,
                       void *data)
{
        char buf[CMDLINE_MAX + 1];
        int r = read_small_file(path, buf, sizeof buf, NULL);
        if (r == -EFBIG) {
                /* Longer than any kernel makes: parse what fits, and say so. */
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                ssize_t n = fd < 0 ? -1 : read(fd, buf, CMDLINE_MAX);
                if (n < 0)
                        return -errno;
                buf[n] = '\0';
                if (warn)
                        warn(path, NULL, "longer than 4096 bytes, the rest is ignored", data);
                r = 0;
        }
        if (r < 0)
                return r;
        struct kernel_params kp;
        kernel_params_parse(buf, &kp, warn, data);
        if (kp.has_config_file) {
                struct kernel_params from_file = { 0 };
                config_file_read(kp.config_file, &from_file, warn, data);
                /* The command line wins; its warnings were given already. */
                kernel_params_apply(buf, &from_file, NULL, NULL);
                kp = from_file;
        }
        *ret = kp;
        return 0;
}
