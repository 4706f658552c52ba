/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AddSwap (a virtio-blk disk the runtime formatted as swap, by PCI path,
 * waited for like any hotplugged disk) and AddSwapPath (a file or device
 * already in the guest). Both end in swapon(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

#include "cleanup.h"
#include "hotplug.h"
#include "path_confine.h"
#include "pci_path.h"
#include "rpc.h"
#include "util.h"

#define SWAP_PATH_MAX 512
#define SWAP_MAGIC "SWAPSPACE2"

/* mkswap's signature sits in the last 10 bytes of the first page. */
static int has_swap_signature(int fd)
{
        char magic[sizeof SWAP_MAGIC - 1];
        long page = sysconf(_SC_PAGESIZE);
        ssize_t n = pread(fd, magic, sizeof magic, (off_t)page - (off_t)sizeof magic);
        if (n < 0)
                return -errno;
        return n == (ssize_t)sizeof magic && memcmp(magic, SWAP_MAGIC, sizeof magic) == 0;
}

/*
 * Checks and enables the swap area open at fd. swapon(2) takes a name: the
 * fd's /proc/self/fd link, so it acts on the file that was checked, not on
 * whatever `path` names by then.
 */
static int swap_on(struct ttrpc_call *call, int fd, const char *path)
{
        struct stat st;
        char proc[64];
        if (fstat(fd, &st) < 0)
                return ttrpc_call_fail(call, GRPC_INTERNAL, "swap `%.200s`: %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "swap `%.200s` is neither a file nor a block device",
                                       path);
        int sig = has_swap_signature(fd);
        if (sig < 0)
                return ttrpc_call_fail(call, grpc_code_from_errno(sig), "cannot read swap `%.200s`: %s", path,
                                       strerror(-sig));
        if (sig == 0)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION,
                                       "`%.200s` has no swap signature (%s at byte %ld): run mkswap on it first", path,
                                       SWAP_MAGIC, sysconf(_SC_PAGESIZE) - 10);
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        if (swapon(proc, 0) < 0)
                return ttrpc_call_fail(call, errno == EBUSY ? GRPC_ALREADY_EXISTS : grpc_code_from_errno(-errno),
                                       "swapon `%.200s`: %s", path, strerror(errno));
        return ttrpc_call_reply(call, NULL);
}

RPC_HANDLER(rpc_add_swap)
{
        const Grpc__AddSwapRequest *req = (const Grpc__AddSwapRequest *)request;
        struct agent *a = userdata;
        char path[PCI_PATH_STRING_MAX + 1] = "", node[256];
        struct rpc_error e = { 0 };
        bool ready;

        if (req->n_pcipath == 0 || req->n_pcipath > PCI_PATH_MAX_DEPTH)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "PCIPath has %zu slots; 1 to %d expected",
                                       req->n_pcipath, PCI_PATH_MAX_DEPTH);
        for (size_t i = 0; i < req->n_pcipath; i++) {
                if (req->pcipath[i] > PCI_SLOT_MAX)
                        return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "PCIPath slot %u is above %#x",
                                               req->pcipath[i], PCI_SLOT_MAX);
                size_t len = strlen(path);
                snprintf(path + len, sizeof path - len, "%s%02x", i ? "/" : "", req->pcipath[i]);
        }
        _cleanup_free_ struct hotplug_needs *needs = calloc(1, sizeof *needs);
        if (!needs)
                return -ENOMEM;
        int r = hotplug_need_add(needs, HOTPLUG_BLK_PCI, "swap", path, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        r = hotplug_wait(a->hotplug, needs, call, request, userdata, rpc_add_swap, &ready);
        if (!ready)
                return r;
        r = hotplug_resolve(&needs->v[0], node, sizeof node, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        _cleanup_close_ int fd = open(node, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return ttrpc_call_fail(call, errno == ENOENT ? GRPC_NOT_FOUND : GRPC_INTERNAL, "swap `%.200s`: %s",
                                       node, strerror(errno));
        return swap_on(call, fd, node);
}

RPC_HANDLER(rpc_add_swap_path)
{
        const Grpc__AddSwapPathRequest *req = (const Grpc__AddSwapPathRequest *)request;
        struct rpc_error e = { 0 };
        (void)userdata;
        int r = rpc_reject_nul_strings(call, request);
        if (r >= 0)
                return r;
        /* No symbolic link on the way: a swap file in a directory a container writes must stay that file. */
        _cleanup_close_ int fd = confine_open_guest("swap path", req->path, SWAP_PATH_MAX, O_RDONLY | O_NOCTTY, &e);
        if (fd < 0)
                return ttrpc_call_fail_error(call, fd, &e);
        return swap_on(call, fd, req->path);
}
