/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Symbols that static archives built for glibc (Debian's libseccomp.a,
 * libmnl.a, libjson-c.a) reference but musl does not provide. Compiled to nothing on glibc.
 */
/* A libc header first: only then does glibc define __GLIBC__. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef __GLIBC__

/* glibc's fortified fprintf: the flag asks for extra checks; plain vfprintf does the work. */
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
        va_list ap;
        (void)flag;
        va_start(ap, fmt);
        int r = vfprintf(f, fmt, ap);
        va_end(ap);
        return r;
}

/*
 * glibc's fortified string functions (Debian's libjson-c.a is built with
 * _FORTIFY_SOURCE=2). slen/destlen is the size the compiler knew for the
 * destination: keep the overflow check, as glibc does, by aborting.
 */
int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, va_list ap)
        __attribute__((format(printf, 5, 0)));
int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, va_list ap)
{
        (void)flag;
        if (slen < maxlen)
                abort();
        return vsnprintf(s, maxlen, fmt, ap);
}

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap);
        va_end(ap);
        return r;
}

int __vasprintf_chk(char **ret, int flag, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
int __vasprintf_chk(char **ret, int flag, const char *fmt, va_list ap)
{
        (void)flag;
        return vasprintf(ret, fmt, ap);
}

int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
        (void)flag;
        return vfprintf(f, fmt, ap);
}

char *__strcat_chk(char *dest, const char *src, size_t destlen);
char *__strcat_chk(char *dest, const char *src, size_t destlen)
{
        size_t d = strlen(dest), s = strlen(src);
        if (d + s >= destlen)
                abort();
        memcpy(dest + d, src, s + 1);
        return dest;
}
#else
/* ISO C forbids an empty translation unit. */
typedef int kinglet_musl_compat_unused;
#endif
