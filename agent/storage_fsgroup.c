/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Storage.fs_group: the volume's files get the pod's group, as Kubernetes'
 * fsGroup asks (and Kata's set_ownership does). Every step goes through
 * descriptors opened with O_NOFOLLOW, so a symbolic link placed in the
 * volume cannot redirect a chown outside it, and the walk stays on the
 * volume's own mount.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "storage_internal.h"
#include "types.pb-c.h"
#include "util.h"

#define RW_BITS 0660
#define RO_BITS 0440
#define EXEC_BITS 0110

struct walk {
        gid_t gid;
        mode_t file_bits; /* RW_BITS, or RO_BITS for a read-only storage */
        dev_t dev;
        uint64_t mnt_id;
        bool have_mnt_id;
};

/*
 * The mount a descriptor is on: statx(2) with STATX_MNT_ID (Linux 5.8);
 * -EOPNOTSUPP before that. The kernel's struct statx is read by its fixed
 * layout (stx_mask at 0, stx_mnt_id at 144), because musl's headers have no
 * statx and <linux/stat.h> collides with <sys/stat.h> there.
 */
#define KL_STATX_SIZE 256
#define KL_STATX_MNT_ID 0x1000U
#define KL_STATX_MNT_ID_OFFSET 144
static int mount_id(int fd, uint64_t *ret)
{
        uint64_t buf[KL_STATX_SIZE / sizeof(uint64_t)];
        uint32_t mask;
        memset(buf, 0, sizeof buf);
        if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, KL_STATX_MNT_ID, buf) < 0)
                return -errno;
        memcpy(&mask, buf, sizeof mask);
        if (!(mask & KL_STATX_MNT_ID))
                return -EOPNOTSUPP;
        memcpy(ret, (const char *)buf + KL_STATX_MNT_ID_OFFSET, sizeof *ret);
        return 0;
}

static bool same_mount(const struct walk *w, int fd, const struct stat *st)
{
        uint64_t id;
        if (st->st_dev != w->dev)
                return false;
        return !w->have_mnt_id || (mount_id(fd, &id) == 0 && id == w->mnt_id);
}

static int fix_fd(int fd, const struct stat *st, const struct walk *w, mode_t add)
{
        if (fchown(fd, (uid_t)-1, w->gid) < 0)
                return -errno;
        mode_t mode = (st->st_mode & 07777) | add;
        return mode == (st->st_mode & 07777) || fchmod(fd, mode) == 0 ? 0 : -errno;
}

static int fix_tree(int fd, const struct stat *st, const struct walk *w, int depth);

/* One directory entry: opened without following links; other mounts are left alone. */
static int fix_entry(int dirfd, const char *name, const struct walk *w, int depth)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno; /* gone meanwhile */
        if (S_ISLNK(st.st_mode) || st.st_dev != w->dev)
                return 0;
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
                /* fifos, sockets, devices: not opened (that could block or have effects) */
                if (fchownat(dirfd, name, (uid_t)-1, w->gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return errno == ENOENT ? 0 : -errno;
                if (fchmodat(dirfd, name, (st.st_mode & 07777) | w->file_bits, AT_SYMLINK_NOFOLLOW) < 0 &&
                    errno != ENOENT && errno != EOPNOTSUPP)
                        return -errno;
                return 0;
        }
        int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : O_NONBLOCK | O_NOCTTY);
        _cleanup_close_ int fd = openat(dirfd, name, flags);
        if (fd < 0)
                return errno == ENOENT || errno == ELOOP ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!same_mount(w, fd, &st))
                return 0;
        return fix_tree(fd, &st, w, depth + 1);
}

static int fix_tree(int fd, const struct stat *st, const struct walk *w, int depth)
{
        if (!S_ISDIR(st->st_mode))
                return S_ISREG(st->st_mode) ? fix_fd(fd, st, w, w->file_bits) : 0;
        if (depth > STORAGE_FS_GROUP_MAX_DEPTH)
                return -ELOOP;
        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        _cleanup_closedir_ DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return -errno;
        }
        struct dirent *de;
        int r = 0;
        while (r == 0 && (errno = 0, de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = fix_entry(fd, de->d_name, w, depth);
        if (r == 0 && !de && errno)
                r = -errno;
        return r < 0 ? r : fix_fd(fd, st, w, w->file_bits | EXEC_BITS | S_ISGID);
}

/* True when one of the options (or an item of a comma list) is exactly `ro`. */
static bool read_only(const Grpc__Storage *s)
{
        for (size_t i = 0; i < s->n_options; i++)
                for (const char *p = s->options[i] ? s->options[i] : ""; *p;) {
                        size_t len = strcspn(p, ",");
                        if (len == 2 && p[0] == 'r' && p[1] == 'o')
                                return true;
                        p += len;
                        p += *p == ',';
                }
        return false;
}

int storage_apply_fs_group(const Grpc__Storage *s, const char *path, struct rpc_error *e)
{
        struct stat st;
        if (!s->fs_group)
                return 0;
        struct walk w = { .gid = s->fs_group->group_id, .file_bits = read_only(s) ? RO_BITS : RW_BITS };
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0)
                return rpc_error_set(e, grpc_code_from_errno(-errno), -errno, "fs_group: cannot open `%.200s`: %s",
                                     path, strerror(errno));
        mode_t want = w.file_bits | EXEC_BITS;
        if (s->fs_group->group_change_policy == TYPES__FSGROUP_CHANGE_POLICY__OnRootMismatch &&
            st.st_gid == w.gid && (st.st_mode & want) == want && (st.st_mode & S_ISGID))
                return 0;
        w.dev = st.st_dev;
        w.have_mnt_id = mount_id(fd, &w.mnt_id) == 0;
        int r = fix_tree(fd, &st, &w, 0);
        if (r == -ELOOP)
                return rpc_error_set(e, GRPC_FAILED_PRECONDITION, r, "fs_group: `%.200s` is nested deeper than %d "
                                     "directories; not changing its group", path, STORAGE_FS_GROUP_MAX_DEPTH);
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "fs_group: cannot give `%.200s` the group %u: %s",
                                     path, (unsigned)w.gid, strerror(-r));
        return 0;
}
