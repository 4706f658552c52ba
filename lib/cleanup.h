/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scope-bound ownership of memory and file descriptors.
 *
 *   _cleanup_free_ char *p = NULL;      freed when p goes out of scope
 *   _cleanup_close_ int fd = -1;        closed when fd goes out of scope
 *   return TAKE_PTR(p);                 hand ownership to the caller
 *
 * Destructors accept "empty" values (NULL, -1) so half-built objects are safe.
 * close() is never retried on EINTR: on Linux the descriptor is gone anyway.
 */
#ifndef KINGLET_CLEANUP_H
#define KINGLET_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(fn) __attribute__((cleanup(fn)))

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                (void)close(*fd);
                errno = saved;
        }
}

static inline void fclosep(FILE **f)
{
        if (*f)
                (void)fclose(*f);
}

static inline void closedirp(DIR **d)
{
        if (*d)
                (void)closedir(*d);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Defines `<func>p(type *)` that calls `func(*p)` when *p is non-NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)          \
        static inline void func##p(type *p)              \
        {                                                \
                if (*p)                                  \
                        (void)func(*p);                  \
        }

/* Read a variable and reset it, transferring ownership out of its scope. */
#define TAKE_PTR(p)                           \
        ({                                    \
                __typeof__(p) _taken_ = (p);  \
                (p) = NULL;                   \
                _taken_;                      \
        })

#define TAKE_FD(fd)                   \
        ({                            \
                int _taken_fd_ = (fd); \
                (fd) = -1;            \
                _taken_fd_;           \
        })

/* Close *fd if open and mark it closed. */
static inline void close_and_reset(int *fd)
{
        closep(fd);
        *fd = -1;
}

#endif
