/* SPDX-License-Identifier: Apache-2.0 */
#include "path_confine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

int confine_check(const char *path, const char *base, const char **ret_rel, struct rpc_error *e)
{
        size_t base_len = strlen(base);

        if (!path || !*path)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "empty path");
        if (strnlen(path, PATH_MAX) >= PATH_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -ENAMETOOLONG,
                                     "path is longer than %d bytes", PATH_MAX - 1);
        if (path[0] != '/')
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "path `%.200s` is not absolute", path);
        if (strncmp(path, base, base_len) != 0 || path[base_len] != '/')
                return rpc_error_set(e, GRPC_PERMISSION_DENIED, -EPERM,
                                     "path `%.200s` is outside %s", path, base);

        const char *rel = path + base_len;
        while (*rel == '/')
                rel++;
        if (!*rel)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "path `%.200s` names %s itself, not a file below it", path, base);

        for (const char *p = rel; *p;) {
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return rpc_error_set(e, GRPC_PERMISSION_DENIED, -EPERM,
                                             "path `%.200s` contains a `%.*s` component", path,
                                             (int)n, p);
                if (n > NAME_MAX)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -ENAMETOOLONG,
                                             "a component of `%.200s` is longer than %d bytes",
                                             path, NAME_MAX);
                p = end;
                while (*p == '/')
                        p++;
        }
        if (path[strlen(path) - 1] == '/')
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "path `%.200s` ends with '/'", path);
        *ret_rel = rel;
        return 0;
}

static int describe_step_error(int dir, int r, const char *component, struct rpc_error *e)
{
        struct stat st;

        /* O_DIRECTORY|O_NOFOLLOW reports a symlink as ENOTDIR: say which it really is. */
        if (r == -ENOTDIR && fstatat(dir, component, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
                r = -ELOOP;
        if (r == -ELOOP || r == -ENOTDIR)
                return rpc_error_set(e, GRPC_PERMISSION_DENIED, r,
                                     "`%.200s` on the way is %s; refusing to go through it",
                                     component, r == -ELOOP ? "a symbolic link" : "not a directory");
        return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot open directory `%.200s`: %s",
                             component, strerror(-r));
}

int confine_open_parent(int base_fd, const char *rel, const struct confine_mkdir *mk,
                        int *ret_dirfd, const char **ret_name, struct rpc_error *e)
{
        _cleanup_close_ int dir = fcntl(base_fd, F_DUPFD_CLOEXEC, 3);
        const char *p = rel;

        if (dir < 0)
                return rpc_error_set(e, GRPC_INTERNAL, -errno, "dup: %s", strerror(errno));
        for (;;) {
                const char *end = strchrnul(p, '/');
                const char *next = end;
                while (*next == '/')
                        next++;
                if (!*next) {
                        *ret_dirfd = TAKE_FD(dir);
                        *ret_name = p;
                        return 0;
                }
                char component[NAME_MAX + 1];
                size_t n = (size_t)(end - p);
                memcpy(component, p, n);
                component[n] = '\0';

                int fd = openat(dir, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT && mk && mk->create) {
                        if (mkdirat(dir, component, mk->mode) < 0 && errno != EEXIST)
                                return rpc_error_set(e, grpc_code_from_errno(-errno), -errno,
                                                     "cannot create directory `%s`: %s", component,
                                                     strerror(errno));
                        fd = openat(dir, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd >= 0) {
                                /* mkdir obeys the umask; the client asked for exact bits. */
                                (void)fchmod(fd, mk->mode);
                                if (fchown(fd, mk->uid, mk->gid) < 0) {
                                        int r = -errno;
                                        close(fd);
                                        return rpc_error_set(e, grpc_code_from_errno(r), r,
                                                             "cannot chown directory `%s`: %s",
                                                             component, strerror(-r));
                                }
                        }
                }
                if (fd < 0)
                        return describe_step_error(dir, -errno, component, e);
                close(dir);
                dir = fd;
                p = next;
        }
}

int confine_open_guest(const char *what, const char *path, size_t max_len, int flags, struct rpc_error *e)
{
        if (!path || path[0] != '/' || strnlen(path, max_len) >= max_len)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "%s `%.200s` must be an absolute path of at most %zu bytes", what,
                                     path ? path : "", max_len - 1);
        for (const char *p = path + 1; *p;) {
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return rpc_error_set(e, GRPC_PERMISSION_DENIED, -EPERM,
                                             "%s `%.200s` contains a `%.*s` component", what, path, (int)n, p);
                p = *end ? end + 1 : end;
        }
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
        if (fd >= 0)
                return fd;
        int r = -errno;
        if (r == -ELOOP)
                return rpc_error_set(e, GRPC_PERMISSION_DENIED, r,
                                     "%s `%.200s` goes through a symbolic link; name the real path", what, path);
        return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot open %s `%.200s`: %s", what, path,
                             strerror(-r));
}
