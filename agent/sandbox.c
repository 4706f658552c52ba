/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sandbox: what CreateSandbox sets up for every container of the pod
 * (hostname, resolv.conf, storages, a shared PID namespace) and
 * DestroySandbox takes down again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "fds.h"
#include "hotplug.h"
#include "log.h"
#include "rpc.h"
#include "sandbox_files.h"
#include "storage.h"
#include "util.h"

#define DNS_MAX_ENTRIES 64
#define DNS_ENTRY_MAX 512
#define SANDBOX_MAX_STORAGES 64

struct sandbox {
        char id[CONTAINER_ID_MAX + 1];
        pid_t pidns_holder; /* 0 when the pod has no shared PID namespace */
        char guest_hook_path[256];
        struct list_head storages;
        struct sandbox_files files; /* resolv.conf, hosts, hostname (sandbox_files.h) */
};

/* PID 1 points the guest's own resolver at the sandbox's dns (as Kata's agent does). */
#define GUEST_RESOLV_CONF "/etc/resolv.conf"

const struct sandbox_files *sandbox_files(const struct agent *a)
{
        return a->sandbox ? &a->sandbox->files : NULL;
}

const char *sandbox_guest_hook_path(const struct agent *a)
{
        return a->sandbox && a->sandbox->guest_hook_path[0] ? a->sandbox->guest_hook_path : NULL;
}

const char *sandbox_id(const struct agent *a)
{
        return a->sandbox ? a->sandbox->id : "";
}

int sandbox_pidns_fd(struct agent *a)
{
        char path[64];
        if (!a->sandbox || a->sandbox->pidns_holder <= 0)
                return -1;
        snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)a->sandbox->pidns_holder);
        return open(path, O_RDONLY | O_CLOEXEC);
}

bool sandbox_child_exited(struct agent *a, pid_t pid)
{
        if (!a->sandbox || a->sandbox->pidns_holder != pid)
                return false;
        log_warn("the sandbox's PID namespace holder (pid %d) exited", (int)pid);
        a->sandbox->pidns_holder = 0;
        return true;
}

/*
 * PID 1 of the pod's shared PID namespace: it only reaps processes orphaned
 * inside it (their parents there died), and lives as long as the sandbox.
 */
static _Noreturn void pidns_holder_main(void)
{
        sigset_t chld;
        (void)fds_close_except(NULL, 0); /* it holds nothing of the agent's (see fds.h) */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        (void)prctl(PR_SET_NAME, "kinglet-pidns", 0, 0, 0);
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        for (;;) {
                (void)sigwaitinfo(&chld, NULL); /* SIGCHLD is blocked, inherited from the agent */
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
        }
}

static int start_pidns_holder(struct sandbox *sb, struct rpc_error *e)
{
        pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid == 0)
                pidns_holder_main();
        if (pid < 0)
                return rpc_error_set(e, GRPC_INTERNAL, -errno, "cannot create the shared PID namespace: %s",
                                     strerror(errno));
        sb->pidns_holder = pid;
        return 0;
}

/* Removes a tree without following links and without crossing into other mounts. */
static int remove_tree_at(int parent, const char *name, dev_t dev)
{
        struct stat st;
        if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (st.st_dev != dev)
                return -EBUSY; /* a mount point: leave it alone */
        if (!S_ISDIR(st.st_mode))
                return unlinkat(parent, name, 0) < 0 ? -errno : 0;
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = remove_tree_at(dirfd(d), de->d_name, dev) < 0 ? -EBUSY : r;
        closedir(d);
        if (r == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0)
                r = -errno;
        return r;
}

/* Kata's CreateSandbox starts from an empty /run/kata-containers (mounts under it are kept). */
static int reset_container_base(const char *base, struct rpc_error *e)
{
        struct stat st;
        if (stat(base, &st) == 0) {
                _cleanup_close_ int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
                struct dirent *de;
                if (d)
                        fd = -1;
                while (d && (de = readdir(d)))
                        if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                                (void)remove_tree_at(dirfd(d), de->d_name, st.st_dev);
        }
        if (mkdir(base, 0711) < 0 && errno != EEXIST)
                return rpc_error_set(e, GRPC_INTERNAL, -errno, "cannot create %s: %s", base, strerror(errno));
        return 0;
}

static int check_dns(char *const *dns, size_t n, struct rpc_error *e)
{
        if (n > DNS_MAX_ENTRIES)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "more than %d dns entries", DNS_MAX_ENTRIES);
        for (size_t i = 0; i < n; i++)
                if (strlen(dns[i]) > DNS_ENTRY_MAX || strpbrk(dns[i], "\n\r"))
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "dns entry `%.64s` is longer than %d bytes or spans lines", dns[i],
                                             DNS_ENTRY_MAX);
        return 0;
}

void sandbox_free(struct agent *a)
{
        struct sandbox *sb = a->sandbox;
        if (!sb)
                return;
        if (sb->pidns_holder > 0) {
                kill(sb->pidns_holder, SIGKILL);
                (void)waitpid(sb->pidns_holder, NULL, 0); /* SIGKILL: immediate */
        }
        sandbox_files_uncover_guest(&sb->files, GUEST_RESOLV_CONF);
        storage_unmount_all(&sb->storages);
        storage_release_shared(); /* shared=true storages lived as long as the sandbox */
        free(sb);
        a->sandbox = NULL;
}

RPC_HANDLER(rpc_create_sandbox)
{
        const Grpc__CreateSandboxRequest *req = (const Grpc__CreateSandboxRequest *)request;
        struct agent *a = userdata;
        struct rpc_error e = { 0 };
        int r = 0;

        if ((r = rpc_reject_nul_strings(call, request)) >= 0)
                return r;
        if (a->sandbox)
                return ttrpc_call_fail(call, GRPC_ALREADY_EXISTS, "sandbox `%s` already exists", a->sandbox->id);
        /* Everything is checked before anything changes: a refused request leaves the guest as it was. */
        if (req->n_storages > SANDBOX_MAX_STORAGES)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "%zu storages; at most %d", req->n_storages,
                                       SANDBOX_MAX_STORAGES);
        if ((r = check_dns(req->dns, req->n_dns, &e)) < 0)
                return ttrpc_call_fail_error(call, r, &e);
        if (req->sandbox_id && *req->sandbox_id && (r = container_id_check("sandbox_id", req->sandbox_id, &e)) < 0)
                return ttrpc_call_fail_error(call, r, &e);
        if (req->hostname && strlen(req->hostname) > 64)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "hostname `%.80s` is longer than 64 bytes",
                                       req->hostname);
        if ((r = sandbox_files_check_hostname(req->hostname, &e)) < 0)
                return ttrpc_call_fail_error(call, r, &e);
        if (req->guest_hook_path && strlen(req->guest_hook_path) >= 256)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "guest_hook_path is longer than 255 bytes");
        /* Block storages wait for their devices (hotplug.h): when they appear this handler runs again. */
        bool ready;
        r = hotplug_wait_request(a->hotplug, req->storages, req->n_storages, NULL, 0, call, request, userdata,
                                 rpc_create_sandbox, &ready);
        if (!ready)
                return r;

        struct sandbox *sb = calloc(1, sizeof *sb);
        if (!sb)
                return -ENOMEM;
        list_init(&sb->storages);
        snprintf(sb->id, sizeof sb->id, "%s", req->sandbox_id ? req->sandbox_id : "");
        snprintf(sb->guest_hook_path, sizeof sb->guest_hook_path, "%s", req->guest_hook_path ? req->guest_hook_path : "");
        a->sandbox = sb;

        r = reset_container_base(a->container_base, &e);
        if (r == 0 && req->hostname && *req->hostname && sethostname(req->hostname, strlen(req->hostname)) < 0)
                r = rpc_error_set(&e, grpc_code_from_errno(-errno), -errno, "cannot set hostname `%s`: %s",
                                  req->hostname, strerror(errno));
        if (r == 0)
                r = sandbox_files_write(&sb->files, a->container_base, req->dns, req->n_dns, req->hostname, &e);
        if (r == 0 && a->init_mode)
                r = sandbox_files_cover_guest(&sb->files, GUEST_RESOLV_CONF, &e);
        for (size_t i = 0; r == 0 && i < req->n_storages; i++)
                r = storage_mount(req->storages[i], &sb->storages, &e);
        if (r == 0 && req->sandbox_pidns)
                r = start_pidns_holder(sb, &e);
        if (r < 0) {
                sandbox_free(a);
                return ttrpc_call_fail_error(call, r, &e);
        }
        log_info("sandbox %s created", sb->id[0] ? sb->id : "(unnamed)");
        return ttrpc_call_reply(call, NULL);
}

static struct ttrpc_call *destroying; /* the DestroySandbox waiting for its containers */

bool sandbox_destroying(void)
{
        return destroying != NULL;
}

static void destroy_cancel(struct ttrpc_call *call, void *data, int reason)
{
        (void)call;
        (void)data;
        (void)reason;
        destroying = NULL;
}

/* After the containers: storages, the PID namespace, the OOM backlog. */
static void finish_destroy(struct agent *a)
{
        if (a->sandbox)
                log_info("sandbox %s destroyed", a->sandbox->id[0] ? a->sandbox->id : "(unnamed)");
        sandbox_free(a);
        a->oom_head = a->oom_count = 0;
        /* As PID 1 the VM ends with its sandbox: main.c powers off once the reply has left. */
        a->power_off_requested = a->init_mode;
}

void sandbox_containers_gone(struct agent *a)
{
        struct ttrpc_call *call = destroying;
        if (!call)
                return;
        destroying = NULL;
        finish_destroy(a);
        (void)ttrpc_call_reply(call, NULL);
}

RPC_HANDLER(rpc_destroy_sandbox)
{
        struct agent *a = userdata;
        struct list_head *pos, *tmp;
        (void)request;

        if (destroying)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION, "the sandbox is already being destroyed");
        if (list_empty(&a->containers)) {
                finish_destroy(a);
                return ttrpc_call_reply(call, NULL);
        }
        /* Everything goes, in reverse: containers (once their processes are gone), then the rest. */
        destroying = call;
        int r = ttrpc_call_park(call, destroy_cancel, NULL);
        if (r != TTRPC_PARKED)
                return r;
        list_for_each_safe(pos, tmp, &a->containers)
                container_destroy_async(list_entry(pos, struct container, link));
        return TTRPC_PARKED;
}
