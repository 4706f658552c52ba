/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GetVolumeStats: statfs of a volume's guest path, as Kata reports it.
 * ResizeVolume: grow the filesystem on a block-backed volume to fill its
 * (already grown) device with the image's resize2fs or xfs_growfs, run as a
 * helper while the call is parked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mount.h> /* BLKGETSIZE64 (linux/fs.h clashes with musl's limits.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "cleanup.h"
#include "csi.pb-c.h"
#include "helper_run.h"
#include "path_confine.h"
#include "rpc.h"
#include "util.h"
#include "volume_mount.h"

#define RESIZE_TIMEOUT_NS (300 * NSEC_PER_SEC)
#define RESIZE_OUTPUT_MAX (64u << 10)

/*
 * The volume's path, opened without following a symbolic link anywhere on
 * the way (path_confine.h): a container may write inside a volume, and a
 * link it planted must not turn a stat or a resize onto another filesystem.
 * Answers the call and returns -1 when refused.
 */
static int open_volume(struct ttrpc_call *call, const char *path, int flags)
{
        struct rpc_error e = { 0 };
        int fd = confine_open_guest("volume_guest_path", path, VOLUME_PATH_MAX, flags, &e);
        if (fd < 0) {
                (void)ttrpc_call_fail_error(call, fd, &e);
                return -1;
        }
        return fd;
}

RPC_HANDLER(rpc_get_volume_stats)
{
        const Grpc__VolumeStatsRequest *req = (const Grpc__VolumeStatsRequest *)request;
        struct statfs st;
        (void)userdata;

        if (rpc_reject_nul_strings(call, request) >= 0)
                return TTRPC_DONE;
        /* Kata opens the path first: a volume that is not there is NOT_FOUND, not a statfs of something else. */
        _cleanup_close_ int fd = open_volume(call, req->volume_guest_path, O_PATH);
        if (fd < 0)
                return TTRPC_DONE;
        if (fstatfs(fd, &st) < 0) {
                int r = -errno;
                return ttrpc_call_fail(call, grpc_code_from_errno(r), "cannot stat volume `%.200s`: %s",
                                       req->volume_guest_path, strerror(-r));
        }
        uint64_t unit = st.f_frsize ? (uint64_t)st.f_frsize : (uint64_t)st.f_bsize;
        /* As Kata: available is the free count (f_bfree, f_ffree), used = total - free. */
        Grpc__VolumeUsage bytes = GRPC__VOLUME_USAGE__INIT, inodes = GRPC__VOLUME_USAGE__INIT;
        bytes.unit = GRPC__VOLUME_USAGE__UNIT__BYTES;
        bytes.total = (uint64_t)st.f_blocks * unit;
        bytes.available = (uint64_t)st.f_bfree * unit;
        bytes.used = bytes.total - bytes.available;
        inodes.unit = GRPC__VOLUME_USAGE__UNIT__INODES;
        inodes.total = st.f_files;
        inodes.available = st.f_ffree;
        inodes.used = inodes.total - inodes.available;
        Grpc__VolumeUsage *usage[] = { &bytes, &inodes };
        Grpc__VolumeCondition cond = GRPC__VOLUME_CONDITION__INIT;
        cond.abnormal = false;
        cond.message = (char *)"OK";
        Grpc__VolumeStatsResponse resp = GRPC__VOLUME_STATS_RESPONSE__INIT;
        resp.n_usage = 2;
        resp.usage = usage;
        resp.volume_condition = &cond;
        return ttrpc_call_reply(call, &resp.base);
}

struct resize_call {
        struct ttrpc_call *call;
        struct helper *helper;
        char tool[32];
        char target[VOLUME_PATH_MAX];
};

static void resize_done(void *data, const struct helper_result *res)
{
        struct resize_call *rc = data;
        char how[64], err[300];
        if (res->timed_out || !WIFEXITED(res->wait_status) || WEXITSTATUS(res->wait_status) != 0)
                (void)ttrpc_call_fail(rc->call, res->timed_out ? GRPC_DEADLINE_EXCEEDED : GRPC_INTERNAL,
                                      "%s %.150s failed (%s): %s", rc->tool, rc->target,
                                      helper_describe_exit(res, how, sizeof how),
                                      helper_stderr_tail(res, err, sizeof err));
        else
                (void)ttrpc_call_reply(rc->call, NULL);
        free(rc);
}

static void resize_cancel(struct ttrpc_call *call, void *data, int reason)
{
        struct resize_call *rc = data;
        (void)call;
        (void)reason;
        helper_cancel(rc->helper);
        free(rc);
}

/* For resize_plan's refusals: the call is answered; the plan is off. */
static bool plan_refused(int answered)
{
        (void)answered;
        return false;
}

/* The volume's mount and the grower for its filesystem; answers the call (returning false) when there is none. */
static bool resize_plan(struct ttrpc_call *call, const char *path, uint64_t size, struct volume_mount *m,
                        const char **ret_tool)
{
        char resolved[PATH_MAX], proc[64];
        struct stat st;
        _cleanup_close_ int vfd = open_volume(call, path, O_PATH);
        if (vfd < 0)
                return false;
        /* The name of what was opened, not of what the path may name by now. */
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", vfd);
        ssize_t n = readlink(proc, resolved, sizeof resolved - 1);
        if (n < 0 || fstat(vfd, &st) < 0)
                return plan_refused(ttrpc_call_fail(call, grpc_code_from_errno(errno),
                                                    "cannot find volume `%.200s`: %s", path, strerror(errno)));
        resolved[n] = '\0';
        int r = volume_mount_find("/proc/self/mountinfo", major(st.st_dev), minor(st.st_dev), resolved, m);
        if (r < 0)
                return plan_refused(ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION,
                                                    "cannot find the mount of `%.200s`: %s", path, strerror(-r)));
        if (startswith(m->fstype, "ext") && strlen(m->fstype) == 4 && strchr("234", m->fstype[3]))
                *ret_tool = "resize2fs";
        else if (streq(m->fstype, "xfs"))
                *ret_tool = "xfs_growfs";
        else
                return plan_refused(ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION,
                                                    "`%.200s` is on a %s filesystem; ResizeVolume grows ext2/3/4 "
                                                    "(resize2fs) and xfs (xfs_growfs) only",
                                                    path, m->fstype));
        _cleanup_close_ int fd = open(m->source, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        uint64_t dev_size = 0;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || ioctl(fd, BLKGETSIZE64, &dev_size) < 0)
                return plan_refused(ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION,
                                                    "`%.200s` is not on a block device (its mount source is "
                                                    "`%.200s`)",
                                                    path, m->source));
        if (size > dev_size)
                return plan_refused(ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION,
                                                    "%s is %llu bytes, less than the %llu asked for: grow the disk "
                                                    "first",
                                                    m->source, (unsigned long long)dev_size,
                                                    (unsigned long long)size));
        return true;
}

RPC_HANDLER(rpc_resize_volume)
{
        const Grpc__ResizeVolumeRequest *req = (const Grpc__ResizeVolumeRequest *)request;
        _cleanup_free_ struct volume_mount *m = calloc(1, sizeof *m);
        const char *tool;
        char path[512];
        (void)userdata;

        if (!m)
                return -ENOMEM;
        if (rpc_reject_nul_strings(call, request) >= 0 ||
            !resize_plan(call, req->volume_guest_path, req->size, m, &tool))
                return TTRPC_DONE;
        if (helper_find(tool, path, sizeof path) < 0)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION,
                                       "%s is not in this guest image (searched %s): it is needed to grow the %s "
                                       "filesystem of `%.200s`",
                                       tool, helper_path(), m->fstype, req->volume_guest_path);
        struct resize_call *rc = calloc(1, sizeof *rc);
        if (!rc)
                return -ENOMEM;
        rc->call = call;
        snprintf(rc->tool, sizeof rc->tool, "%s", tool);
        /* resize2fs takes the device (online resize of a mounted ext*); xfs_growfs the mount point. */
        snprintf(rc->target, sizeof rc->target, "%s", streq(tool, "resize2fs") ? m->source : m->mount_point);
        const char *argv[] = { path, rc->target, NULL };
        struct helper_spec spec = { .path = path, .argv = argv, .out_max = RESIZE_OUTPUT_MAX,
                                    .err_max = RESIZE_OUTPUT_MAX, .timeout_ns = RESIZE_TIMEOUT_NS };
        int r = helper_start(ttrpc_call_loop(call), &spec, resize_done, rc, &rc->helper);
        if (r < 0) {
                free(rc);
                return ttrpc_call_fail(call, r == -EAGAIN ? GRPC_UNAVAILABLE : grpc_code_from_errno(r),
                                       "cannot run %s: %s", path, strerror(-r));
        }
        return ttrpc_call_park(call, resize_cancel, rc);
}
