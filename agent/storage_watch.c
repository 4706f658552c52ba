/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watchable-bind: Kubernetes configmaps and secrets. The source is copied
 * into a small tmpfs of its own at the mount point and kept up to date:
 * inotify on the source tree wakes the event loop (a short settle timer
 * batches a burst of changes), and a rescan every WATCH_POLL_NS catches what
 * inotify cannot see (changes made by the host on a virtio-fs share). Files
 * are replaced atomically (written to a temporary name, then renamed), so a
 * reader in a container never sees half a file. A source larger than
 * WATCH_MAX_ENTRIES entries or WATCH_MAX_BYTES bytes is served as a plain
 * bind mount instead, as Kata does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "loop.h"
#include "storage_internal.h"
#include "storage_watch.h"
#include "util.h"

#define WATCH_SETTLE_NS (20ULL * 1000 * 1000)
#define WATCH_POLL_NS (2ULL * 1000 * 1000 * 1000)
#define WATCH_TMPFS_DATA "size=4m,nr_inodes=1024,mode=0755" /* two copies of the limit, and then some */

struct watch {
        struct mounted_storage *m;
        struct loop *loop;
        struct loop_watch io;
        struct loop_timer timer;
        int ifd;
        bool is_file;   /* one file, copied in place onto the mount point (a file too) */
        bool fell_back; /* a bind mount now covers the copy: unmounted first at release */
        int last_error; /* logged once, not every rescan */
        char source[1024];
};

static struct loop *watch_loop;

void storage_set_loop(struct loop *l)
{
        watch_loop = l;
}

struct loop *storage_loop(void)
{
        return watch_loop;
}

static void stop_watching(struct watch *w)
{
        if (w->ifd >= 0) {
                loop_watch_remove(w->loop, &w->io);
                close(w->ifd);
                w->ifd = -1;
        }
        loop_timer_disarm(w->loop, &w->timer);
}

static void watch_release(struct mounted_storage *m)
{
        struct watch *w = m->driver_data;
        if (!w)
                return;
        stop_watching(w);
        if (w->fell_back)
                (void)storage_sys_umount(m->mount_point, MNT_DETACH);
        free(w);
        m->driver_data = NULL;
        m->release = NULL;
}

/* Too big to copy: a bind mount of the source goes over the copy, and watching stops. */
static void fall_back(struct watch *w, const char *why)
{
        stop_watching(w);
        int r = storage_sys_mount(w->source, w->m->mount_point, NULL, MS_BIND | MS_REC, NULL);
        if (r < 0) {
                log_warn("watchable-bind `%s`: %s, and a bind mount instead failed (%s); its copy is no longer "
                         "updated", w->m->mount_point, why, strerror(-r));
                return;
        }
        if (w->m->mounted)
                w->fell_back = true;
        w->m->mounted = true;
        log_warn("watchable-bind `%s`: %s; serving `%s` as a plain bind mount", w->m->mount_point, why, w->source);
}

static void rearm(struct watch *w, uint64_t delay_ns)
{
        uint64_t when = now_ns() + delay_ns;
        if (!loop_timer_armed(&w->timer) || w->timer.deadline_ns > when)
                (void)loop_timer_arm(w->loop, &w->timer, when, w->timer.fn, w);
}

static void on_timer(struct loop_timer *t)
{
        struct watch *w = t->data;
        struct watch_tally tally = { 0 };
        int r = watch_sync(w->source, w->is_file, w->m->mount_point, w->ifd, &tally);
        if (r == -E2BIG || r == -EFBIG) {
                char why[128];
                snprintf(why, sizeof why, "the source grew past %d entries or %d bytes", WATCH_MAX_ENTRIES,
                         WATCH_MAX_BYTES);
                fall_back(w, why);
                return;
        }
        if (r < 0 && r != w->last_error)
                log_warn_errno(r, "watchable-bind `%s`: cannot update the copy of `%s`", w->m->mount_point, w->source);
        w->last_error = r;
        (void)loop_timer_arm(w->loop, &w->timer, now_ns() + WATCH_POLL_NS, t->fn, w);
}

static void on_inotify(struct loop_watch *lw, uint32_t events)
{
        struct watch *w = lw->data;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        (void)events;
        while (read(w->ifd, buf, sizeof buf) > 0)
                ; /* what changed does not matter: the settle timer rescans everything */
        rearm(w, WATCH_SETTLE_NS);
}

/* Kata's fallback, also when there is no loop to watch from (no sandbox yet). */
static int bind_instead(const Grpc__Storage *s, struct mounted_storage *m, const char *why, struct rpc_error *e)
{
        int r = storage_mount_bind(s, m, e);
        if (r == 0)
                log_warn("watchable-bind `%.200s`: %s; serving `%.200s` as a plain bind mount", s->mount_point, why,
                         s->source);
        return r;
}

static void undo(struct watch *w)
{
        if (w->ifd >= 0)
                close(w->ifd);
        if (w->m->mounted)
                (void)storage_sys_umount(w->m->mount_point, MNT_DETACH);
        w->m->mounted = false;
        free(w);
}

/* The copy's home: a tmpfs on a directory, or the file itself. */
static int make_home(struct watch *w, const char *mount_point)
{
        if (w->is_file)
                return storage_make_target(mount_point, false);
        int r = storage_mkdir_p(mount_point, 0755);
        if (r == 0)
                r = storage_sys_mount("tmpfs", mount_point, "tmpfs", MS_NOSUID | MS_NODEV, WATCH_TMPFS_DATA);
        if (r == 0)
                w->m->mounted = true;
        return r;
}

int storage_mount_watchable(const Grpc__Storage *s, struct mounted_storage *m, struct rpc_error *e)
{
        struct stat st;
        struct watch_tally tally = { 0 };
        if (!s->source || !*s->source || stat(s->source, &st) < 0)
                return rpc_error_set(e, GRPC_NOT_FOUND, -ENOENT, "watchable-bind source `%.200s` does not exist",
                                     s->source ? s->source : "");
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "watchable-bind source `%.200s` is neither a directory nor a file", s->source);
        if (strlen(s->source) >= sizeof((struct watch *)0)->source)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "watchable-bind source is longer than %zu bytes",
                                     sizeof((struct watch *)0)->source - 1);
        if (!watch_loop)
                return bind_instead(s, m, "no event loop to watch from", e);
        int r = watch_measure(s->source, &tally);
        if (r == -E2BIG)
                return bind_instead(s, m, "the source is larger than the watch limits (16 entries, 1 MiB)", e);

        struct watch *w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->m = m;
        w->loop = watch_loop;
        w->is_file = S_ISREG(st.st_mode);
        snprintf(w->source, sizeof w->source, "%s", s->source);
        w->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (w->ifd < 0)
                r = -errno;
        if (r == 0)
                r = make_home(w, s->mount_point);
        if (r == 0)
                r = watch_sync(w->source, w->is_file, s->mount_point, w->ifd, &tally);
        if (r == -E2BIG || r == -EFBIG) {
                undo(w);
                return bind_instead(s, m, "the source is larger than the watch limits (16 entries, 1 MiB)", e);
        }
        if (r == 0)
                r = loop_watch_add(w->loop, &w->io, w->ifd, EPOLLIN, on_inotify, w);
        if (r < 0) {
                undo(w);
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot copy watchable-bind `%.200s` to `%.200s`: %s",
                                     s->source, s->mount_point, strerror(-r));
        }
        w->timer.fn = on_timer;
        (void)loop_timer_arm(w->loop, &w->timer, now_ns() + WATCH_POLL_NS, on_timer, w);
        m->driver_data = w;
        m->release = watch_release;
        return 0;
}
