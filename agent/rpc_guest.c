/* SPDX-License-Identifier: Apache-2.0 */
/* Guest-wide RPCs: GetGuestDetails, SetGuestDateTime, ReseedRandomDev. */
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "cleanup.h"
#include "rpc.h"
#include "util.h"

/* A reseed is a few hundred bytes from the host; a megabyte would be a client bug. */
#define RESEED_MAX_BYTES (64u << 10)
#define RANDOM_DEVICE "/dev/random"

static size_t count_names(const char *const *names)
{
        size_t n = 0;
        while (names[n])
                n++;
        return n;
}

/*
 * /sys/devices/system/memory/block_size_bytes holds hex without 0x. A kernel
 * without memory hotplug has no such file: that is "unknown" (0), not an error.
 */
static int read_mem_block_size(const char *sysfs_root, uint64_t *ret)
{
        char path[256], buf[64];
        snprintf(path, sizeof path, "%s/devices/system/memory/block_size_bytes", sysfs_root);
        int r = read_small_file(path, buf, sizeof buf, NULL);
        if (r == -ENOENT) {
                *ret = 0;
                return 0;
        }
        if (r < 0)
                return r;
        return parse_u64(strstrip_trailing(buf), 16, ret);
}

RPC_HANDLER(rpc_get_guest_details)
{
        const Grpc__GuestDetailsRequest *req = (const Grpc__GuestDetailsRequest *)request;
        struct agent *a = userdata;
        Grpc__GuestDetailsResponse resp = GRPC__GUEST_DETAILS_RESPONSE__INIT;
        Grpc__AgentDetails details = GRPC__AGENT_DETAILS__INIT;

        details.version = (char *)KINGLET_VERSION;
        details.init_daemon = a->init_mode;
        details.n_device_handlers = count_names(agent_device_handlers);
        details.device_handlers = (char **)agent_device_handlers;
        details.n_storage_handlers = count_names(storage_drivers);
        details.storage_handlers = (char **)storage_drivers;
        /* A Kata runtime drops the spec's seccomp profile when this is false. */
        details.supports_seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
        resp.agent_details = &details;

        if (req->mem_block_size) {
                int r = read_mem_block_size(a->sysfs_root, &resp.mem_block_size_bytes);
                if (r < 0)
                        return ttrpc_call_fail(call, GRPC_INTERNAL,
                                               "cannot read the memory block size from %s: %s",
                                               a->sysfs_root, strerror(-r));
        }
        if (req->mem_hotplug_probe) {
                char path[256];
                snprintf(path, sizeof path, "%s/devices/system/memory/probe", a->sysfs_root);
                resp.support_mem_hotplug_probe = access(path, W_OK) == 0;
        }
        return ttrpc_call_reply(call, &resp.base);
}

RPC_HANDLER(rpc_set_guest_date_time)
{
        const Grpc__SetGuestDateTimeRequest *req = (const Grpc__SetGuestDateTimeRequest *)request;

        if (req->sec < 0 || req->usec < 0 || req->usec >= (int64_t)USEC_PER_SEC)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT,
                                       "invalid time sec=%lld usec=%lld: need sec >= 0 and "
                                       "0 <= usec < 1000000",
                                       (long long)req->sec, (long long)req->usec);
        struct timeval tv = { .tv_sec = (time_t)req->sec, .tv_usec = (suseconds_t)req->usec };
        if (settimeofday(&tv, NULL) < 0) {
                int r = -errno;
                return ttrpc_call_fail(call, grpc_code_from_errno(r),
                                       "cannot set the guest clock to %lld.%06lld: %s",
                                       (long long)req->sec, (long long)req->usec, strerror(-r));
        }
        return ttrpc_call_reply(call, NULL);
}

RPC_HANDLER(rpc_reseed_random_dev)
{
        const Grpc__ReseedRandomDevRequest *req = (const Grpc__ReseedRandomDevRequest *)request;

        if (req->data.len == 0)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "no seed data in the request");
        if (req->data.len > RESEED_MAX_BYTES)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT,
                                       "seed of %zu bytes is over the %u-byte limit", req->data.len,
                                       RESEED_MAX_BYTES);

        _cleanup_close_ int fd = open(RANDOM_DEVICE, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;
                return ttrpc_call_fail(call, grpc_code_from_errno(r), "cannot open %s: %s",
                                       RANDOM_DEVICE, strerror(-r));
        }
        /* Writing mixes the bytes into the pool (without crediting entropy)... */
        int r = write_all(fd, req->data.data, req->data.len);
        if (r < 0)
                return ttrpc_call_fail(call, grpc_code_from_errno(r), "cannot write to %s: %s",
                                       RANDOM_DEVICE, strerror(-r));
        /* ...and a reseed makes the CRNG use them now. Kernels before 4.17 lack it. */
        if (ioctl(fd, RNDRESEEDCRNG) < 0 && errno != ENOTTY && errno != EINVAL) {
                r = -errno;
                return ttrpc_call_fail(call, grpc_code_from_errno(r),
                                       "cannot reseed the kernel CRNG: %s", strerror(-r));
        }
        return ttrpc_call_reply(call, NULL);
}
