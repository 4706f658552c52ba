/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OnlineCPUMem and MemHotplugByProbe: bringing hotplugged CPUs and memory
 * blocks online through sysfs (under a->sysfs_root, so tests use a fixture).
 *
 * After the VMM hotplugs vCPUs, their cpuN directories appear in sysfs a
 * little later. sysfs has no event for "cpuN appeared" that the agent
 * listens to here, so the request re-checks on a loop timer every
 * ONLINE_RETRY_NS until nb_cpus are online, for at most ONLINE_GIVE_UP_NS
 * (Kata's agent: 100 tries 50 ms apart), parked meanwhile: the loop keeps
 * serving everything else.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "cleanup.h"
#include "rpc.h"
#include "util.h"

#define ONLINE_RETRY_NS (50 * NSEC_PER_MSEC)
#define ONLINE_GIVE_UP_NS (5 * NSEC_PER_SEC)
/* Linux's largest NR_CPUS. */
#define ONLINE_NB_CPUS_MAX 8192u
#define PROBE_ADDRS_MAX 4096u

/* True for "<prefix><digits>". */
static bool numbered(const char *name, const char *prefix)
{
        const char *d = startswith(name, prefix);
        if (!d || !*d)
                return false;
        for (; *d; d++)
                if (!isdigit((unsigned char)*d))
                        return false;
        return true;
}

/*
 * One pass over <sysfs>/devices/system/<kind>/<prefix>N/<file>: every entry
 * reading `offline` gets `online` written. *ret_online counts the entries
 * online afterwards (an entry without the file, like cpu0, cannot go offline
 * and counts as online). Every entry is tried; the first failed write is
 * returned, naming the entry and the errno.
 */
static int online_pass(const char *sysfs, const char *kind, const char *prefix, const char *file,
                       const char *offline, const char *online, unsigned *ret_online, struct rpc_error *e)
{
        char dir[256];
        snprintf(dir, sizeof dir, "%s/devices/system/%s", sysfs, kind);
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (!d) {
                if (errno == ENOENT) { /* no such subsystem in this kernel: nothing to online */
                        *ret_online = 0;
                        return 0;
                }
                return rpc_error_set(e, GRPC_INTERNAL, -errno, "cannot list %s: %s", dir, strerror(errno));
        }
        unsigned n = 0;
        int first = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                char path[800], state[32];
                if (!numbered(de->d_name, prefix))
                        continue;
                snprintf(path, sizeof path, "%s/%s/%s", dir, de->d_name, file);
                int r = read_small_file(path, state, sizeof state, NULL);
                if (r == -ENOENT) {
                        n++;
                        continue;
                }
                if (r < 0 || !streq(strstrip_trailing(state), offline)) {
                        n += r == 0 && streq(state, online);
                        continue;
                }
                r = write_string_file(path, online);
                if (r == 0)
                        n++;
                else if (first == 0)
                        first = rpc_error_set(e, GRPC_INTERNAL, r, "cannot online %s (writing `%s` to %s): %s (errno %d)",
                                              de->d_name, online, path, strerror(-r), -r);
        }
        if (first < 0)
                return first;
        *ret_online = n;
        return 0;
}

static int online_cpus(const char *sysfs, unsigned *ret_online, struct rpc_error *e)
{
        return online_pass(sysfs, "cpu", "cpu", "online", "0", "1", ret_online, e);
}

static int online_memory(const char *sysfs, struct rpc_error *e)
{
        unsigned n;
        return online_pass(sysfs, "memory", "memory", "state", "offline", "online", &n, e);
}

struct onliner {
        struct ttrpc_call *call;
        struct loop *loop;
        struct loop_timer timer;
        const char *sysfs;
        unsigned want;
        uint64_t give_up_ns;
};

static void onliner_on_timer(struct loop_timer *t)
{
        struct onliner *o = t->data;
        struct rpc_error e = { 0 };
        unsigned online;
        int r = online_cpus(o->sysfs, &online, &e);
        if (r < 0)
                (void)ttrpc_call_fail_error(o->call, r, &e);
        else if (online >= o->want)
                (void)ttrpc_call_reply(o->call, NULL);
        else if (now_ns() >= o->give_up_ns)
                (void)ttrpc_call_fail(o->call, GRPC_DEADLINE_EXCEEDED,
                                      "only %u of the %u CPUs asked for are online after %llu s: the missing ones "
                                      "never appeared in %s/devices/system/cpu (did the VMM hotplug them?)",
                                      online, o->want, (unsigned long long)(ONLINE_GIVE_UP_NS / NSEC_PER_SEC),
                                      o->sysfs);
        else if ((r = loop_timer_arm(o->loop, &o->timer, now_ns() + ONLINE_RETRY_NS, onliner_on_timer, o)) < 0)
                (void)ttrpc_call_fail(o->call, GRPC_RESOURCE_EXHAUSTED, "cannot arm the CPU re-check timer");
        else
                return;
        free(o);
}

static void onliner_cancel(struct ttrpc_call *call, void *data, int reason)
{
        struct onliner *o = data;
        (void)call;
        (void)reason;
        loop_timer_disarm(o->loop, &o->timer);
        free(o);
}

RPC_HANDLER(rpc_online_cpu_mem)
{
        const Grpc__OnlineCPUMemRequest *req = (const Grpc__OnlineCPUMemRequest *)request;
        struct agent *a = userdata;
        struct rpc_error e = { 0 };
        unsigned online;

        if (req->nb_cpus > ONLINE_NB_CPUS_MAX)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "nb_cpus %u is over the limit of %u CPUs",
                                       req->nb_cpus, ONLINE_NB_CPUS_MAX);
        int r = online_cpus(a->sysfs_root, &online, &e);
        if (r == 0 && !req->cpu_only)
                r = online_memory(a->sysfs_root, &e);
        if (r < 0)
                return ttrpc_call_fail_error(call, r, &e);
        /* nb_cpus is the total wanted online; 0 skips the check (Kata). */
        if (online >= req->nb_cpus)
                return ttrpc_call_reply(call, NULL);

        /*
         * Hotplug still in progress. Like Kata's agent, the reply waits for the
         * CPUs whatever `wait` says: both Kata runtimes send wait=false and
         * expect the CPUs online when the reply comes.
         */
        struct onliner *o = calloc(1, sizeof *o);
        if (!o)
                return -ENOMEM;
        o->call = call;
        o->loop = ttrpc_call_loop(call);
        o->sysfs = a->sysfs_root;
        o->want = req->nb_cpus;
        o->give_up_ns = now_ns() + ONLINE_GIVE_UP_NS;
        r = loop_timer_arm(o->loop, &o->timer, now_ns() + ONLINE_RETRY_NS, onliner_on_timer, o);
        if (r < 0) {
                free(o);
                return r;
        }
        return ttrpc_call_park(call, onliner_cancel, o);
}

RPC_HANDLER(rpc_mem_hotplug_by_probe)
{
        const Grpc__MemHotplugByProbeRequest *req = (const Grpc__MemHotplugByProbeRequest *)request;
        struct agent *a = userdata;
        char path[256];

        if (req->n_memhotplugprobeaddr > PROBE_ADDRS_MAX)
                return ttrpc_call_fail(call, GRPC_INVALID_ARGUMENT, "%zu probe addresses is over the limit of %u",
                                       req->n_memhotplugprobeaddr, PROBE_ADDRS_MAX);
        snprintf(path, sizeof path, "%s/devices/system/memory/probe", a->sysfs_root);
        if (access(path, F_OK) < 0)
                return ttrpc_call_fail(call, GRPC_FAILED_PRECONDITION,
                                       "%s does not exist: this guest kernel has no memory probe interface "
                                       "(CONFIG_ARCH_MEMORY_PROBE); GetGuestDetails reports "
                                       "support_mem_hotplug_probe=false, so use ACPI memory hotplug",
                                       path);
        for (size_t i = 0; i < req->n_memhotplugprobeaddr; i++) {
                char addr[32];
                snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)req->memhotplugprobeaddr[i]);
                int r = write_string_file(path, addr);
                if (r < 0)
                        return ttrpc_call_fail(call, grpc_code_from_errno(r),
                                               "cannot probe memory at %s (address %zu of %zu; the ones before "
                                               "were added): %s (errno %d)",
                                               addr, i + 1, req->n_memhotplugprobeaddr, strerror(-r), -r);
        }
        return ttrpc_call_reply(call, NULL);
}
