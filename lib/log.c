/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static struct {
        const char *source;
        enum log_level level;
        enum log_sink sink;
        int kmsg_fd;
        log_tee_fn tee;
        void *tee_data;
        bool in_tee;
} log_state = {
        .source = "kinglet",
        .level = LOG_LEVEL_INFO,
        .sink = LOG_SINK_STDERR,
        .kmsg_fd = -1,
};

static const char *const level_names[] = {
        [LOG_LEVEL_ERROR] = "error",
        [LOG_LEVEL_WARN] = "warn",
        [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_DEBUG] = "debug",
};

/* Kata's agent.log values, plus the usual spellings. */
static const struct {
        const char *name;
        enum log_level level;
} level_aliases[] = {
        { "critical", LOG_LEVEL_ERROR }, { "fatal", LOG_LEVEL_ERROR },
        { "panic", LOG_LEVEL_ERROR },    { "error", LOG_LEVEL_ERROR },
        { "warn", LOG_LEVEL_WARN },      { "warning", LOG_LEVEL_WARN },
        { "info", LOG_LEVEL_INFO },      { "debug", LOG_LEVEL_DEBUG },
        { "trace", LOG_LEVEL_DEBUG },
};

void log_setup(const char *source, enum log_level level, enum log_sink sink)
{
        log_state.source = source;
        log_state.level = level;
        log_set_sink(sink);
}

void log_set_tee(log_tee_fn fn, void *data)
{
        log_state.tee = fn;
        log_state.tee_data = data;
}

void log_set_level(enum log_level level)
{
        log_state.level = level;
}

enum log_level log_get_level(void)
{
        return log_state.level;
}

void log_set_sink(enum log_sink sink)
{
        log_state.sink = sink;
        if (sink == LOG_SINK_KMSG && log_state.kmsg_fd < 0)
                log_state.kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (sink == LOG_SINK_KMSG && log_state.kmsg_fd < 0)
                log_state.sink = LOG_SINK_STDERR;
}

const char *log_level_name(enum log_level level)
{
        if ((size_t)level >= ARRAY_SIZE(level_names))
                return "unknown";
        return level_names[level];
}

int log_parse_level(const char *s, enum log_level *ret_level)
{
        for (size_t i = 0; i < ARRAY_SIZE(level_aliases); i++)
                if (strcasecmp(s, level_aliases[i].name) == 0) {
                        *ret_level = level_aliases[i].level;
                        return 0;
                }
        return -EINVAL;
}

/*
 * Appends n bytes. When they do not fit, the buffer is filled and `size` is
 * returned: a length no complete line can have, which marks it as cut.
 */
static size_t append_raw(char *buf, size_t size, size_t len, const char *s, size_t n)
{
        if (len >= size)
                return size;
        size_t room = size - 1 - len;
        bool cut = n > room;
        if (cut)
                n = room;
        memcpy(buf + len, s, n);
        len += n;
        buf[len] = '\0';
        return cut ? size : len;
}

static bool needs_quotes(const char *v)
{
        if (*v == '\0')
                return true;
        for (const unsigned char *p = (const unsigned char *)v; *p; p++)
                if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p == 0x7f)
                        return true;
        return false;
}

size_t logfmt_append_value(char *buf, size_t size, size_t len, const char *value)
{
        if (!value)
                value = "";
        if (!needs_quotes(value))
                return append_raw(buf, size, len, value, strlen(value));

        len = append_raw(buf, size, len, "\"", 1);
        for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
                char esc[8];
                size_t n;
                switch (*p) {
                case '"': n = (size_t)snprintf(esc, sizeof esc, "\\\""); break;
                case '\\': n = (size_t)snprintf(esc, sizeof esc, "\\\\"); break;
                case '\n': n = (size_t)snprintf(esc, sizeof esc, "\\n"); break;
                case '\t': n = (size_t)snprintf(esc, sizeof esc, "\\t"); break;
                case '\r': n = (size_t)snprintf(esc, sizeof esc, "\\r"); break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                n = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
                        else {
                                esc[0] = (char)*p;
                                n = 1;
                        }
                }
                len = append_raw(buf, size, len, esc, n);
        }
        return append_raw(buf, size, len, "\"", 1);
}

static size_t append_field(char *buf, size_t size, size_t len, const struct log_field *f)
{
        len = append_raw(buf, size, len, " ", 1);
        len = append_raw(buf, size, len, f->key, strlen(f->key));
        len = append_raw(buf, size, len, "=", 1);
        if (f->kind == LOG_FIELD_INT) {
                char num[32];
                int n = snprintf(num, sizeof num, "%lld", f->num);
                return append_raw(buf, size, len, num, (size_t)n);
        }
        return logfmt_append_value(buf, size, len, f->str);
}

size_t log_format_line(char *buf, size_t size, enum log_level level,
                       const struct log_field *fields, size_t n_fields, const char *msg)
{
        struct timespec ts;
        struct tm tm;
        char head[96];

        buf[0] = '\0';
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        int n = snprintf(head, sizeof head,
                         "time=%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ level=%s source=",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, ts.tv_nsec / 1000, log_level_name(level));
        size_t len = append_raw(buf, size, 0, head, (size_t)n);
        len = logfmt_append_value(buf, size, len, log_state.source);
        len = append_raw(buf, size, len, " msg=", 5);
        len = logfmt_append_value(buf, size, len, msg);
        for (size_t i = 0; i < n_fields; i++)
                len = append_field(buf, size, len, &fields[i]);

        /* A cut line is marked so nobody mistakes it for the whole event. */
        if (len >= size) {
                len = size - 1;
                if (size > 4)
                        memcpy(buf + size - 4, "...", 4);
        }
        return len;
}

static void write_tee(const char *line, size_t len)
{
        if (!log_state.tee || log_state.in_tee)
                return;
        log_state.in_tee = true;
        log_state.tee(line, len, log_state.tee_data);
        log_state.in_tee = false;
}

/* line has room for one more byte (the newline). */
static void write_line(enum log_level level, char *line, size_t len)
{
        static const int kmsg_prio[] = { 3, 4, 6, 7 };

        line[len] = '\n';
        write_tee(line, len + 1);

        if (log_state.sink == LOG_SINK_KMSG && log_state.kmsg_fd >= 0) {
                char out[LOG_LINE_MAX + 8];
                int n = snprintf(out, sizeof out, "<%d>%.*s", kmsg_prio[level], (int)len, line);
                if (n > 0)
                        (void)!write(log_state.kmsg_fd, out, MIN((size_t)n, sizeof out - 1));
                return;
        }
        line[len++] = '\n';
        /* One write per line keeps lines whole when several processes share stderr. */
        (void)!write(STDERR_FILENO, line, len);
}

static void vemit(enum log_level level, const struct log_field *fields, size_t n_fields,
                  const char *fmt, va_list ap) _printf_(4, 0);
static void vemit(enum log_level level, const struct log_field *fields, size_t n_fields,
                  const char *fmt, va_list ap)
{
        char msg[LOG_LINE_MAX];
        char line[LOG_LINE_MAX + 1];
        int saved = errno;

        if (!log_enabled(level))
                return;
        vsnprintf(msg, sizeof msg, fmt, ap);
        size_t len = log_format_line(line, sizeof line - 1, level, fields, n_fields, msg);
        write_line(level, line, len);
        errno = saved;
}

void log_emit(enum log_level level, const struct log_field *fields, size_t n_fields,
              const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vemit(level, fields, n_fields, fmt, ap);
        va_end(ap);
}

bool log_ratelimit_ok(struct log_ratelimit *rl)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;

        if (now - rl->window_start >= rl->interval_ns) {
                if (rl->suppressed)
                        log_emit(LOG_LEVEL_WARN, LOG_FIELDS(LF_INT("suppressed", rl->suppressed)),
                                 "some log messages were suppressed by rate limiting");
                rl->window_start = now;
                rl->in_window = 0;
                rl->suppressed = 0;
        }
        if (rl->in_window < rl->burst) {
                rl->in_window++;
                return true;
        }
        rl->suppressed++;
        return false;
}

int log_errno_at(enum log_level level, int neg_errno, const char *fmt, ...)
{
        va_list ap;
        const struct log_field f = LF_STR("error", strerror(neg_errno < 0 ? -neg_errno : neg_errno));

        va_start(ap, fmt);
        vemit(level, &f, 1, fmt, ap);
        va_end(ap);
        return neg_errno;
}
