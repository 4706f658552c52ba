/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CopyFile: the runtime's way to put files in the guest when there is no
 * shared filesystem. A regular file arrives in chunks (offset, data) of a
 * declared file_size; it is assembled in a hidden part file next to the
 * target and renamed into place, with its mode and owner, once complete.
 * file_mode's type bits may instead ask for a directory or a symlink (whose
 * target is `data`).
 *
 * Everything stays below /run/kata-containers: see path_confine.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "agent_limits.h"
#include "cleanup.h"
#include "copy_file.h"
#include "path_confine.h"
#include "rpc.h"

#define DEFAULT_DIR_MODE 0750

/*
 * The part file's name is derived from the target's, so retries and later
 * chunks find it, and it is short and hidden whatever the target is called.
 */
static void part_name(const char *name, char *buf, size_t size)
{
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                h = (h ^ *p) * 1099511628211ULL;
        snprintf(buf, size, ".kinglet-part-%016llx", (unsigned long long)h);
}

static int fail_errno(struct rpc_error *e, int r, const char *what, const char *name)
{
        return rpc_error_set(e, grpc_code_from_errno(r), r, "%s `%.200s`: %s", what, name,
                             strerror(-r));
}

static int copy_directory(int dir, const char *name, const Grpc__CopyFileRequest *req,
                          struct rpc_error *e)
{
        mode_t mode = req->file_mode & 07777;
        struct stat st;

        if (mkdirat(dir, name, mode) < 0 && errno != EEXIST)
                return fail_errno(e, -errno, "cannot create directory", name);
        /* Through an fd opened without following: a link swapped in meanwhile is refused, not chmodded. */
        _cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
                return rpc_error_set(e, GRPC_ALREADY_EXISTS, -EEXIST,
                                     "`%.200s` exists and is not a directory", name);
        if (fd < 0 || fstat(fd, &st) < 0)
                return fail_errno(e, -errno, "cannot open", name);
        if (fchmod(fd, mode) < 0)
                return fail_errno(e, -errno, "cannot chmod", name);
        if (fchown(fd, (uid_t)req->uid, (gid_t)req->gid) < 0)
                return fail_errno(e, -errno, "cannot chown", name);
        return 0;
}

static int copy_symlink(int dir, const char *name, const Grpc__CopyFileRequest *req,
                        struct rpc_error *e)
{
        char target[PATH_MAX], part[64];

        if (req->data.len == 0 || req->data.len >= sizeof target ||
            memchr(req->data.data, '\0', req->data.len))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "symlink target for `%.200s` must be 1..%d bytes without NUL",
                                     name, PATH_MAX - 1);
        memcpy(target, req->data.data, req->data.len);
        target[req->data.len] = '\0';
        part_name(name, part, sizeof part);

        /* Made aside and renamed over the target, so an existing link is replaced atomically. */
        (void)unlinkat(dir, part, 0);
        if (symlinkat(target, dir, part) < 0)
                return fail_errno(e, -errno, "cannot create symlink", name);
        if (fchownat(dir, part, (uid_t)req->uid, (gid_t)req->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
            renameat(dir, part, dir, name) < 0) {
                int r = -errno;
                (void)unlinkat(dir, part, 0);
                return fail_errno(e, r, "cannot install symlink", name);
        }
        return 0;
}

/*
 * The part file for writing, or -errno. The directory may be one a container
 * writes, so what it finds at the part's name is suspect: a hard link to
 * another file (written, then chowned), a fifo (open would block the loop), a
 * device. The first chunk starts afresh with a file only the agent made; a
 * later one checks what is there through an O_PATH descriptor before opening
 * that same inode for writing (-EPERM unless a regular file with one link).
 */
static int open_part(int dir, const char *part, bool first)
{
        const int create = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
        struct stat st;
        char proc[64];

        if (first && unlinkat(dir, part, 0) < 0 && errno != ENOENT)
                return -errno;
        _cleanup_close_ int p = first ? -1 : openat(dir, part, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (first || (p < 0 && errno == ENOENT)) {
                int fd = openat(dir, part, create, 0600);
                return fd < 0 ? -errno : fd;
        }
        if (p < 0 || fstat(p, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
                return -EPERM;
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", p);
        int fd = open(proc, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}

static int copy_regular_chunk(int dir, const char *name, const Grpc__CopyFileRequest *req,
                              struct rpc_error *e)
{
        char part[64];
        struct stat st;

        part_name(name, part, sizeof part);
        _cleanup_close_ int fd = open_part(dir, part, req->offset == 0);
        if (fd == -EPERM)
                return rpc_error_set(e, GRPC_PERMISSION_DENIED, -EPERM,
                                     "the part file of `%.200s` is not a plain file of its own "
                                     "(a link or special file was planted there); refusing to write it",
                                     name);
        if (fd < 0)
                return fail_errno(e, fd, "cannot open part file for", name);
        size_t done = 0;
        while (done < req->data.len) {
                ssize_t n = pwrite(fd, req->data.data + done, req->data.len - done,
                                   (off_t)(req->offset + (int64_t)done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return fail_errno(e, -errno, "cannot write", name);
                done += (size_t)n;
        }
        if (fstat(fd, &st) < 0)
                return fail_errno(e, -errno, "cannot stat part file of", name);
        if (st.st_size < req->file_size)
                return 0; /* more chunks to come */
        if (st.st_size > req->file_size) {
                (void)unlinkat(dir, part, 0);
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "`%.200s` grew to %lld bytes but was declared as %lld; "
                                     "transfer discarded",
                                     name, (long long)st.st_size, (long long)req->file_size);
        }
        if (fchmod(fd, req->file_mode & 07777) < 0 ||
            fchown(fd, (uid_t)req->uid, (gid_t)req->gid) < 0 || renameat(dir, part, dir, name) < 0) {
                int r = -errno;
                (void)unlinkat(dir, part, 0);
                return fail_errno(e, r, "cannot install", name);
        }
        return 0;
}

int copy_file_apply(int base_fd, const char *base, const Grpc__CopyFileRequest *req,
                    struct rpc_error *e)
{
        const char *rel, *name;
        _cleanup_close_ int dir = -1;
        int r;

        r = confine_check(req->path, base, &rel, e);
        if (r < 0)
                return r;
        if (req->file_size < 0 || req->offset < 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "file_size (%lld) and offset (%lld) must not be negative",
                                     (long long)req->file_size, (long long)req->offset);
        if (req->file_size > (int64_t)agent_limits()->copy_file_max_bytes)
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -EFBIG,
                                     "file of %lld bytes is over the CopyFile limit (%s=%" PRIu32 ")",
                                     (long long)req->file_size, LIMIT_KEY_COPY_FILE,
                                     agent_limits()->copy_file_max_bytes);

        mode_t type = req->file_mode & S_IFMT;
        if (type != 0 && type != S_IFREG && type != S_IFDIR && type != S_IFLNK)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "file_mode %#o is not a regular file, directory or symlink",
                                     req->file_mode);
        if ((type == 0 || type == S_IFREG) &&
            (uint64_t)req->offset + req->data.len > (uint64_t)req->file_size)
                return rpc_error_set(e, GRPC_OUT_OF_RANGE, -ERANGE,
                                     "chunk at offset %lld of %zu bytes runs past file_size %lld",
                                     (long long)req->offset, req->data.len,
                                     (long long)req->file_size);

        mode_t dir_mode = req->dir_mode & 07777;
        struct confine_mkdir mk = {
                .create = true,
                .mode = dir_mode ? dir_mode : DEFAULT_DIR_MODE,
                .uid = (uid_t)req->uid,
                .gid = (gid_t)req->gid,
        };
        r = confine_open_parent(base_fd, rel, &mk, &dir, &name, e);
        if (r < 0) {
                rpc_error_prefix(e, "CopyFile `%.200s`", req->path);
                return r;
        }

        if (type == S_IFDIR)
                r = copy_directory(dir, name, req, e);
        else if (type == S_IFLNK)
                r = copy_symlink(dir, name, req, e);
        else
                r = copy_regular_chunk(dir, name, req, e);
        if (r < 0)
                rpc_error_prefix(e, "CopyFile `%.200s`", req->path);
        return r;
}

/* The base directory is created on first use: CopyFile may precede CreateSandbox. */
static int open_base(const char *base, struct rpc_error *e)
{
        if (mkdir(base, 0755) < 0 && errno != EEXIST)
                return rpc_error_set(e, grpc_code_from_errno(-errno), -errno, "cannot create %s: %s",
                                     base, strerror(errno));
        int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rpc_error_set(e, grpc_code_from_errno(-errno), -errno, "cannot open %s: %s",
                                     base, strerror(errno));
        return fd;
}

RPC_HANDLER(rpc_copy_file)
{
        const Grpc__CopyFileRequest *req = (const Grpc__CopyFileRequest *)request;
        struct agent *a = userdata;
        struct rpc_error e = { 0 };

        _cleanup_close_ int base_fd = open_base(a->container_base, &e);
        if (base_fd < 0)
                return ttrpc_call_fail_error(call, base_fd, &e);
        int r = copy_file_apply(base_fd, a->container_base, req, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        return ttrpc_call_reply(call, NULL);
}
