/* SPDX-License-Identifier: Apache-2.0 */
/* Strict number parsing, bounded file reads, clocks, small string helpers. */
#ifndef KINGLET_UTIL_H
#define KINGLET_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "macro.h"

static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

/* Returns the rest of s after prefix, or NULL when s does not start with it. */
static inline const char *startswith(const char *s, const char *prefix)
{
        size_t n = strlen(prefix);
        return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/*
 * Whole-string numeric parsers: no sign where none is allowed, no trailing
 * junk, no overflow. Return 0 or -EINVAL / -ERANGE; *ret untouched on error.
 */
int parse_u64(const char *s, int base, uint64_t *ret);
int parse_u32(const char *s, int base, uint32_t *ret);
int parse_i64(const char *s, int64_t *ret);
int parse_int(const char *s, int *ret);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);

int fd_set_nonblock(int fd, bool nonblock);

/* Write all of buf, retrying on EINTR and short writes. Blocking fds only. */
int write_all(int fd, const void *buf, size_t len);
/*
 * Reads fd to its end into a malloc'ed buffer (NUL-terminated past the data);
 * -EFBIG as soon as more than `max` bytes come.
 */
int read_all_bounded(int fd, size_t max, uint8_t **ret, size_t *ret_len);
/* The same for a socket, without SIGPIPE; falls back to write() on a non-socket. */
int send_all(int fd, const void *buf, size_t len);

/*
 * Read a small text file (sysfs, procfs) into buf and NUL-terminate it.
 * -EFBIG when the file does not fit in size-1 bytes.
 */
int read_small_file(const char *path, char *buf, size_t size, size_t *ret_len);

/* Write a string to an existing file (sysfs knobs). */
int write_string_file(const char *path, const char *s);

/* The value of a hex digit (either case), or -1 when c is not one. */
int hex_digit_value(char c);

/* Strip trailing whitespace in place. */
char *strstrip_trailing(char *s);

#endif
