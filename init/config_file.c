/* SPDX-License-Identifier: Apache-2.0 */
#include "config_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "util.h"

static void say(kernel_param_warn_fn warn, void *data, const char *name, size_t line_no, const char *why)
{
        char where[300];
        if (!warn)
                return;
        snprintf(where, sizeof where, "%.255s:%zu", name, line_no);
        warn(where, NULL, why, data);
}

static char *trim(char *s)
{
        s += strspn(s, " \t");
        size_t len = strlen(s);
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
                s[--len] = '\0';
        return s;
}

/* One line, NUL-terminated and without its newline. */
static void parse_line(char *line, const char *name, size_t line_no, struct kernel_params *kp,
                       kernel_param_warn_fn warn, void *data)
{
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
                return;
        char *eq = strchr(s, '=');
        char *value = NULL;
        if (eq) {
                *eq = '\0';
                value = trim(eq + 1);
                size_t vlen = strlen(value);
                if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
                        value[vlen - 1] = '\0';
                        value++;
                }
        }
        char *key = trim(s);
        if (*key == '\0' || strpbrk(key, " \t")) {
                say(warn, data, name, line_no, "expected `key = value` or a bare key, ignoring");
                return;
        }
        char full[128];
        bool prefixed = startswith(key, "agent.") || startswith(key, "systemd.");
        if ((size_t)snprintf(full, sizeof full, "%s%s", prefixed ? "" : "agent.", key) >= sizeof full) {
                say(warn, data, name, line_no, "key longer than 100 bytes, ignoring");
                return;
        }
        if (streq(full, "agent.config_file")) {
                say(warn, data, name, line_no, "config_file cannot name another file, ignoring");
                return;
        }
        kernel_param_set(kp, full, value, warn, data);
}

void config_file_parse(const char *text, size_t len, const char *name, struct kernel_params *kp,
                       kernel_param_warn_fn warn, void *data)
{
        char line[CONFIG_LINE_MAX + 1];
        size_t line_no = 0;

        if (len > CONFIG_FILE_MAX) {
                say(warn, data, name, 0, "longer than 64 KiB, not read");
                return;
        }
        for (size_t pos = 0; pos < len;) {
                const char *start = text + pos;
                const char *nl = memchr(start, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - start) : len - pos;
                pos += n + 1;
                line_no++;
                if (n > CONFIG_LINE_MAX) {
                        say(warn, data, name, line_no, "line longer than 1024 bytes, ignoring");
                        continue;
                }
                if (memchr(start, '\0', n)) {
                        say(warn, data, name, line_no, "NUL byte in line, ignoring");
                        continue;
                }
                memcpy(line, start, n);
                line[n] = '\0';
                parse_line(line, name, line_no, kp, warn, data);
        }
}

int config_file_read(const char *path, struct kernel_params *kp, kernel_param_warn_fn warn, void *data)
{
        _cleanup_free_ char *buf = malloc(CONFIG_FILE_MAX + 1);
        size_t len = 0;
        if (!buf)
                return -ENOMEM;
        int r = read_small_file(path, buf, CONFIG_FILE_MAX + 1, &len);
        if (r < 0) {
                char why[128];
                if (r == -EFBIG)
                        snprintf(why, sizeof why, "config file longer than 64 KiB, ignoring it");
                else
                        snprintf(why, sizeof why, "cannot read the config file (%s), ignoring it", strerror(-r));
                if (warn)
                        warn(path, NULL, why, data);
                return r;
        }
        config_file_parse(buf, len, path, kp, warn, data);
        return 0;
}
