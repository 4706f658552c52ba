/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OOM notification: a descriptor the event loop polls, and a check that
 * tells a real OOM kill from the other reasons it became readable.
 */
#include "cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* v2 memory.events' oom_kill, v1 memory.oom_control's (4.13+). -ENOENT when the line is missing. */
static int read_oom_kills(const struct cgroup *cg, const char *dir, uint64_t *ret,
                          bool *ret_under_oom)
{
        char buf[512];
        uint64_t under = 0;
        const char *file = cg->env->version == CGROUP_V2 ? "memory.events" : "memory.oom_control";
        int r = cg_read(dir, file, buf, sizeof buf);
        if (r < 0)
                return r;
        if (ret_under_oom)
                *ret_under_oom = cg_keyed_u64(buf, "under_oom", &under) == 0 && under;
        return cg_keyed_u64(buf, "oom_kill", ret);
}

static int watch_v1(const char *dir, struct rpc_error *e)
{
        char path[CG_FULL_MAX], line[32];
        _cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        int r;

        if (efd < 0)
                return rpc_error_set(e, grpc_code_from_errno(errno), -errno, "eventfd: %s",
                                     strerror(errno));
        r = cg_join(path, sizeof path, dir, "", "memory.oom_control");
        if (r < 0)
                return r;
        /* The kernel keeps its own reference to the file; ours can go after registering. */
        _cleanup_close_ int ofd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (ofd < 0)
                return rpc_error_set(e, errno == ENOENT ? GRPC_UNIMPLEMENTED : grpc_code_from_errno(errno),
                                     errno == ENOENT ? -EOPNOTSUPP : -errno,
                                     "cannot open memory.oom_control in `%.200s`: %s", dir,
                                     strerror(errno));
        snprintf(line, sizeof line, "%d %d", efd, ofd);
        r = cg_write(dir, "cgroup.event_control", line);
        if (r < 0)
                return rpc_error_set(e, grpc_code_from_errno(r), r,
                                     "cannot register for OOM events in `%.200s`: %s", dir,
                                     strerror(-r));
        return TAKE_FD(efd);
}

static int watch_v2(const char *dir, struct rpc_error *e)
{
        char path[CG_FULL_MAX];
        _cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        int r;

        if (fd < 0)
                return rpc_error_set(e, grpc_code_from_errno(errno), -errno, "inotify: %s",
                                     strerror(errno));
        r = cg_join(path, sizeof path, dir, "", "memory.events");
        if (r < 0)
                return r;
        if (inotify_add_watch(fd, path, IN_MODIFY) < 0)
                return rpc_error_set(e, errno == ENOENT ? GRPC_UNIMPLEMENTED : grpc_code_from_errno(errno),
                                     errno == ENOENT ? -EOPNOTSUPP : -errno,
                                     "cannot watch `%.200s` (is the memory controller enabled?): %s",
                                     path, strerror(errno));
        return TAKE_FD(fd);
}

int cgroup_oom_watch(struct cgroup *cg, int *ret_fd, struct rpc_error *e)
{
        char dir[CG_FULL_MAX];
        uint64_t seen = 0;
        int fd, r;

        r = cg_dir(cg, "memory", dir, sizeof dir);
        if (r == -EOPNOTSUPP)
                return cg_no_controller(e, "memory", "OOM notification");
        if (r < 0)
                return r;
        fd = cg->env->version == CGROUP_V2 ? watch_v2(dir, e) : watch_v1(dir, e);
        if (fd < 0)
                return fd;
        /* Kills before the watch are not news. */
        (void)read_oom_kills(cg, dir, &seen, NULL);
        close_and_reset(&cg->oom_fd);
        cg->oom_fd = fd;
        cg->oom_kills_seen = seen;
        *ret_fd = fd;
        return 0;
}

/* Empties the descriptor so the loop does not wake again for the same events; returns v1's count. */
static uint64_t drain(const struct cgroup *cg)
{
        if (cg->env->version == CGROUP_V1) {
                uint64_t count = 0;
                return read(cg->oom_fd, &count, sizeof count) == (ssize_t)sizeof count ? count : 0;
        }
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        while (read(cg->oom_fd, buf, sizeof buf) > 0)
                ;
        return 0;
}

int cgroup_oom_check(struct cgroup *cg, bool *ret_oom)
{
        char dir[CG_FULL_MAX];
        uint64_t kills = 0;
        bool under = false, oom;
        struct stat st;
        int r;

        if (cg->oom_fd < 0)
                return -EBADF;
        uint64_t count = drain(cg);
        r = cg_dir(cg, "memory", dir, sizeof dir);
        if (r < 0)
                return r;
        r = read_oom_kills(cg, dir, &kills, &under);
        /*
         * v1 notifies when the group enters OOM, before the kill is counted:
         * the eventfd is the news (unless it is the wakeup rmdir sends, when
         * the directory is gone). v2's memory.events is written after the kill.
         */
        bool v1_notified = cg->env->version == CGROUP_V1 && count > 0 && stat(dir, &st) == 0;
        if (r == 0) {
                oom = kills > cg->oom_kills_seen || under || v1_notified;
                cg->oom_kills_seen = kills;
        } else
                oom = v1_notified;
        *ret_oom = oom;
        return 0;
}
