/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One-line-per-event logging in logfmt:
 *
 *   time=2026-11-26T19:04:42.123Z level=warn source=kinglet-agent msg="request failed" method=grpc.Health/Check
 *
 * Subsystem code does not log above debug; it returns -errno and lets the
 * caller at the top (the RPC dispatcher, main) log once.
 */
#ifndef KINGLET_LOG_H
#define KINGLET_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

enum log_level {
        LOG_LEVEL_ERROR = 0,
        LOG_LEVEL_WARN,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
};

enum log_sink {
        LOG_SINK_STDERR = 0,
        LOG_SINK_KMSG, /* /dev/kmsg, for an early PID 1 without a console */
};

enum log_field_kind { LOG_FIELD_STR, LOG_FIELD_INT };

struct log_field {
        const char *key;
        enum log_field_kind kind;
        const char *str;
        long long num;
};

#define LF_STR(k, v) ((struct log_field){ .key = (k), .kind = LOG_FIELD_STR, .str = (v) })
#define LF_INT(k, v) ((struct log_field){ .key = (k), .kind = LOG_FIELD_INT, .num = (long long)(v) })

/* LOG_FIELDS(LF_STR("a", x), LF_INT("b", 2)) expands to "array, count". */
#define LOG_FIELDS(...)                                   \
        (const struct log_field[]){ __VA_ARGS__ },        \
                ARRAY_SIZE(((const struct log_field[]){ __VA_ARGS__ }))

/* Longest line written; longer messages are cut and end with "...". */
#define LOG_LINE_MAX 2048

void log_setup(const char *source, enum log_level level, enum log_sink sink);

/*
 * A second destination for every line written (the agent's log_vport): fn
 * gets the whole line, newline included. It must not block; a line logged
 * from inside fn is not handed to it again. NULL removes it.
 */
typedef void (*log_tee_fn)(const char *line, size_t len, void *data);
void log_set_tee(log_tee_fn fn, void *data);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_set_sink(enum log_sink sink);
const char *log_level_name(enum log_level level);

/* Accepts error, warn, warning, info, debug, trace and Kata's critical/fatal/panic. */
int log_parse_level(const char *s, enum log_level *ret_level);

static inline bool log_enabled(enum log_level level)
{
        return level <= log_get_level();
}

void log_emit(enum log_level level, const struct log_field *fields, size_t n_fields,
              const char *fmt, ...) _printf_(4, 5);

/* Format one line (without the sink's prefix) into buf; returns its length. */
size_t log_format_line(char *buf, size_t size, enum log_level level,
                       const struct log_field *fields, size_t n_fields, const char *msg);

/* Append `value` to buf quoted as logfmt needs; returns the new length, or `size` if cut. */
size_t logfmt_append_value(char *buf, size_t size, size_t len, const char *value);

#define log_error(...) log_emit(LOG_LEVEL_ERROR, NULL, 0, __VA_ARGS__)
#define log_warn(...) log_emit(LOG_LEVEL_WARN, NULL, 0, __VA_ARGS__)
#define log_info(...) log_emit(LOG_LEVEL_INFO, NULL, 0, __VA_ARGS__)
#define log_debug(...)                                                  \
        do {                                                            \
                if (log_enabled(LOG_LEVEL_DEBUG))                       \
                        log_emit(LOG_LEVEL_DEBUG, NULL, 0, __VA_ARGS__); \
        } while (0)

/*
 * At most `burst` events per `interval_ns`; the rest are counted. Used where
 * a peer's behaviour decides how often we log (failed requests).
 */
struct log_ratelimit {
        uint64_t interval_ns;
        unsigned burst;
        uint64_t window_start;
        unsigned in_window;
        unsigned suppressed;
};
#define LOG_RATELIMIT_INIT(interval, b) { .interval_ns = (interval), .burst = (b) }
/* True if this event may be logged; logs a note about suppressed events when a window reopens. */
bool log_ratelimit_ok(struct log_ratelimit *rl);

/* Log with an `error=` field from a negative errno and return that errno. */
int log_errno_at(enum log_level level, int neg_errno, const char *fmt, ...) _printf_(3, 4);
#define log_error_errno(r, ...) log_errno_at(LOG_LEVEL_ERROR, (r), __VA_ARGS__)
#define log_warn_errno(r, ...) log_errno_at(LOG_LEVEL_WARN, (r), __VA_ARGS__)

#endif
