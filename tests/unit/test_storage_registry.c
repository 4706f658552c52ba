/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The storage registry and the drivers' mount calls, with mount(2) and
 * umount2(2) replaced by a recorder (storage_sys): no root needed. Mount
 * points are directories under a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage_internal.h"
#include "util.h"

#define MAX_CALLS 600

struct call {
        bool umount;
        char source[256], target[512], fstype[32], data[512];
        unsigned long flags;
};

static struct call calls[MAX_CALLS];
static size_t n_calls;
static int fail_mount; /* -errno the next mount returns, once */
static char base[64];

static void copy(char *dst, size_t size, const char *src)
{
        snprintf(dst, size, "%s", src ? src : "(null)");
}

static int fake_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
                      const char *data)
{
        if (fail_mount) {
                int r = fail_mount;
                fail_mount = 0;
                return r;
        }
        assert_true(n_calls < MAX_CALLS);
        struct call *c = &calls[n_calls++];
        copy(c->source, sizeof c->source, source);
        copy(c->target, sizeof c->target, target);
        copy(c->fstype, sizeof c->fstype, fstype);
        copy(c->data, sizeof c->data, data);
        c->flags = flags;
        c->umount = false;
        return 0;
}

static int fake_umount(const char *target, int flags)
{
        (void)flags;
        assert_true(n_calls < MAX_CALLS);
        struct call *c = &calls[n_calls++];
        memset(c, 0, sizeof *c);
        c->umount = true;
        copy(c->target, sizeof c->target, target);
        return 0;
}

static const struct storage_sys_ops fake = { fake_mount, fake_umount };

static size_t count(bool umount, const char *target)
{
        size_t n = 0;
        for (size_t i = 0; i < n_calls; i++)
                n += calls[i].umount == umount && streq(calls[i].target, target);
        return n;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static int setup(void **state)
{
        (void)state;
        snprintf(base, sizeof base, "/tmp/kinglet-stor-XXXXXX");
        assert_non_null(mkdtemp(base));
        storage_sys = &fake;
        n_calls = 0;
        fail_mount = 0;
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        assert_int_equal(storage_registry_count(), 0); /* every test gives back what it took */
        nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

/* A storage in static buffers (one per slot), its mount point under base. */
static Grpc__Storage *storage(int slot, const char *driver, const char *source, const char *mp)
{
        static Grpc__Storage st[4];
        static char path[4][512];
        Grpc__Storage init = GRPC__STORAGE__INIT;
        st[slot] = init;
        snprintf(path[slot], sizeof path[slot], "%s/%s", base, mp);
        st[slot].driver = (char *)driver;
        st[slot].source = (char *)source;
        st[slot].mount_point = path[slot];
        return &st[slot];
}

static void test_second_user_takes_a_reference(void **state)
{
        (void)state;
        struct list_head sandbox = LIST_HEAD_INIT(sandbox), ctr = LIST_HEAD_INIT(ctr);
        struct rpc_error e = { 0 };
        Grpc__Storage *s = storage(0, "ephemeral", "shm", "shm");
        assert_int_equal(storage_mount(s, &sandbox, &e), 0);
        assert_int_equal(storage_mount(s, &ctr, &e), 0);
        assert_int_equal(count(false, s->mount_point), 1); /* mounted once */
        assert_int_equal(storage_registry_count(), 1);
        assert_int_equal(storage_registry_find(s->mount_point)->refs, 2);
        storage_unmount_all(&sandbox);
        assert_int_equal(count(true, s->mount_point), 0); /* the container still uses it */
        assert_true(list_empty(&sandbox));
        storage_unmount_all(&ctr);
        assert_int_equal(count(true, s->mount_point), 1); /* with the last user */
        assert_null(storage_registry_find(s->mount_point));
}

static void test_different_storage_same_mount_point(void **state)
{
        (void)state;
        struct list_head a = LIST_HEAD_INIT(a), b = LIST_HEAD_INIT(b);
        struct rpc_error e = { 0 };
        Grpc__Storage *s = storage(0, "ephemeral", "shm", "vol");
        Grpc__Storage *t = storage(1, "bind", base, "vol");
        assert_int_equal(storage_mount(s, &a, &e), 0);
        assert_int_equal(storage_mount(t, &b, &e), -EBUSY);
        assert_int_equal(e.code, GRPC_FAILED_PRECONDITION);
        assert_non_null(strstr(e.msg, "`ephemeral` from `shm`"));
        assert_non_null(strstr(e.msg, "`bind` from"));
        assert_true(list_empty(&b));
        /* Same driver, another source or fstype: refused as well. */
        Grpc__Storage *u = storage(2, "ephemeral", "other", "vol");
        assert_int_equal(storage_mount(u, &b, &e), -EBUSY);
        u->source = (char *)"shm";
        u->fstype = (char *)"hugetlbfs";
        assert_int_equal(storage_mount(u, &b, &e), -EBUSY);
        storage_unmount_all(&a);
        assert_int_equal(count(true, s->mount_point), 1);
}

static void test_shared_lives_with_the_sandbox(void **state)
{
        (void)state;
        struct list_head ctr1 = LIST_HEAD_INIT(ctr1), ctr2 = LIST_HEAD_INIT(ctr2);
        struct rpc_error e = { 0 };
        Grpc__Storage *s = storage(0, "ephemeral", "tmpfs", "shared");
        s->shared = 1;
        assert_int_equal(storage_mount(s, &ctr1, &e), 0);
        assert_int_equal(storage_mount(s, &ctr2, &e), 0);
        assert_int_equal(storage_registry_find(s->mount_point)->refs, 3); /* two owners and the sandbox */
        storage_unmount_all(&ctr1);
        storage_unmount_all(&ctr2);
        assert_int_equal(count(true, s->mount_point), 0);
        assert_non_null(storage_registry_find(s->mount_point));
        storage_release_shared();
        assert_int_equal(count(true, s->mount_point), 1);
        storage_release_shared(); /* twice is harmless */
        assert_int_equal(count(true, s->mount_point), 1);
}

static void test_failures_register_nothing(void **state)
{
        (void)state;
        struct list_head l = LIST_HEAD_INIT(l);
        struct rpc_error e = { 0 };
        Grpc__Storage *s = storage(0, "ephemeral", "tmpfs", "fail");
        fail_mount = -EPERM;
        assert_int_equal(storage_mount(s, &l, &e), -EPERM);
        assert_int_equal(e.code, GRPC_PERMISSION_DENIED);
        assert_non_null(strstr(e.msg, "cannot mount tmpfs"));
        assert_true(list_empty(&l));
        assert_int_equal(storage_registry_count(), 0);

        s = storage(0, "nosuch", "x", "y");
        assert_int_equal(storage_mount(s, &l, &e), -EOPNOTSUPP);
        assert_int_equal(e.code, GRPC_UNIMPLEMENTED);
        s = storage(0, "ephemeral", "x", "y");
        s->mount_point = (char *)"relative";
        assert_int_equal(storage_mount(s, &l, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        s = storage(0, "ephemeral", "x", "a/../../etc");
        assert_int_equal(storage_mount(s, &l, &e), -EINVAL);
        assert_true(list_empty(&l));
        assert_int_equal(n_calls, 0);
}

static void test_registry_bound(void **state)
{
        (void)state;
        struct list_head l = LIST_HEAD_INIT(l);
        struct rpc_error e = { 0 };
        char name[32];
        for (int i = 0; i < STORAGE_REGISTRY_MAX; i++) {
                snprintf(name, sizeof name, "m%d", i);
                if (storage_mount(storage(0, "ephemeral", "tmpfs", name), &l, &e) < 0)
                        fail_msg("storage %d: %s", i, e.msg);
        }
        assert_int_equal(storage_registry_count(), STORAGE_REGISTRY_MAX);
        assert_int_equal(storage_mount(storage(0, "ephemeral", "tmpfs", "one-more"), &l, &e), -ENOSPC);
        assert_int_equal(e.code, GRPC_RESOURCE_EXHAUSTED);
        assert_non_null(strstr(e.msg, "256"));
        /* A reference on one already there is not a new storage. */
        assert_int_equal(storage_mount(storage(0, "ephemeral", "tmpfs", "m0"), &l, &e), 0);
        storage_unmount_all(&l);
        assert_int_equal(count(true, calls[0].target), 1);
}

static void test_every_advertised_driver_has_a_handler(void **state)
{
        (void)state;
        size_t n = 0;
        for (const char *const *d = storage_drivers; *d; d++, n++)
                if (!storage_handler_find(*d))
                        fail_msg("storage driver `%s` is advertised without a handler", *d);
        assert_true(n >= 7);
        assert_null(storage_handler_find("nosuch"));
        assert_null(storage_handler_find(NULL));
}

static void test_virtiofs_and_9p_mount_calls(void **state)
{
        (void)state;
        struct list_head l = LIST_HEAD_INIT(l);
        struct rpc_error e = { 0 };
        char *vopts[] = { (char *)"dax=always", (char *)"nodev" };
        Grpc__Storage *v = storage(0, "virtio-fs", "kataShared", "vfs");
        v->fstype = (char *)"virtiofs";
        v->options = vopts;
        v->n_options = 2;
        assert_int_equal(storage_mount(v, &l, &e), 0);
        assert_string_equal(calls[0].source, "kataShared");
        assert_string_equal(calls[0].fstype, "virtiofs");
        assert_string_equal(calls[0].data, "dax=always");
        assert_int_equal(calls[0].flags, MS_NODEV);

        char *popts[] = { (char *)"cache=mmap" };
        Grpc__Storage *p = storage(1, "9p", "kataShared", "9p");
        p->options = popts;
        p->n_options = 1;
        assert_int_equal(storage_mount(p, &l, &e), 0);
        assert_string_equal(calls[1].fstype, "9p");
        assert_string_equal(calls[1].data, "cache=mmap,trans=virtio,version=9p2000.L,msize=8192");

        /* The tag is required; a foreign fstype is refused. */
        Grpc__Storage *bad = storage(2, "9p", "", "9p-bad");
        assert_int_equal(storage_mount(bad, &l, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "tag"));
        bad = storage(2, "virtio-fs", "tag", "vfs-bad");
        bad->fstype = (char *)"ext4";
        assert_int_equal(storage_mount(bad, &l, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "virtiofs"));
        assert_int_equal(n_calls, 2);
        storage_unmount_all(&l);
        assert_int_equal(count(true, p->mount_point), 1);
        assert_int_equal(count(true, v->mount_point), 1);
}

static void test_overlay_rw_dirs(void **state)
{
        (void)state;
        struct list_head l = LIST_HEAD_INIT(l);
        struct rpc_error e = { 0 };
        char lower[128], want[512], path[512];
        snprintf(lower, sizeof lower, "lowerdir=%s", base);
        char *opts[] = { lower, (char *)"io.katacontainers.fs-opt.overlay-rw" };
        Grpc__Storage *o = storage(0, "overlayfs", "overlay", "cid/rootfs");
        o->fstype = (char *)"overlay";
        o->options = opts;
        o->n_options = 2;
        assert_int_equal(storage_mount(o, &l, &e), 0);
        snprintf(want, sizeof want, "%s,upperdir=%s/cid/upper,workdir=%s/cid/work", lower, base, base);
        assert_string_equal(calls[0].data, want);
        assert_string_equal(calls[0].fstype, "overlay");
        snprintf(path, sizeof path, "%s/cid/upper", base);
        assert_int_equal(access(path, F_OK), 0);
        snprintf(path, sizeof path, "%s/cid/work", base);
        assert_int_equal(access(path, F_OK), 0);
        storage_unmount_all(&l);

        /* upperdir without workdir, or no lowerdir: refused before any mount. */
        char upper[128];
        snprintf(upper, sizeof upper, "upperdir=%s/u", base);
        char *half[] = { lower, upper };
        o = storage(0, "overlayfs", "overlay", "half");
        o->options = half;
        o->n_options = 2;
        assert_int_equal(storage_mount(o, &l, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "both upperdir and workdir"));
        o->options = &half[1];
        o->n_options = 1;
        assert_int_equal(storage_mount(o, &l, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "lowerdir"));
        assert_int_equal(n_calls, 2);
}

static void test_bind_with_flags_and_remount(void **state)
{
        (void)state;
        struct list_head l = LIST_HEAD_INIT(l);
        struct rpc_error e = { 0 };
        char *opts[] = { (char *)"ro", (char *)"nosuid" };
        Grpc__Storage *b = storage(0, "bind", base, "bound");
        b->options = opts;
        b->n_options = 2;
        assert_int_equal(storage_mount(b, &l, &e), 0);
        assert_int_equal(n_calls, 2);
        assert_int_equal(calls[0].flags, MS_BIND | MS_REC);
        assert_int_equal(calls[1].flags, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID);

        /* UpdateEphemeralMounts' remount: MS_REMOUNT and the new data. */
        char *size[] = { (char *)"size=4m" };
        Grpc__Storage *t = storage(1, "ephemeral", "tmpfs", "eph");
        t->options = size;
        t->n_options = 1;
        assert_int_equal(storage_remount_ephemeral(t, &e), 0);
        assert_int_equal(calls[2].flags, MS_REMOUNT);
        assert_string_equal(calls[2].data, "size=4m");
        assert_string_equal(calls[2].fstype, "tmpfs");
        t->n_options = 0; /* nothing to change: no call (as Kata) */
        assert_int_equal(storage_remount_ephemeral(t, &e), 0);
        assert_int_equal(n_calls, 3);
        storage_unmount_all(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(test_second_user_takes_a_reference),
                T(test_different_storage_same_mount_point),
                T(test_shared_lives_with_the_sandbox),
                T(test_failures_register_nothing),
                T(test_registry_bound),
                T(test_every_advertised_driver_has_a_handler),
                T(test_virtiofs_and_9p_mount_calls),
                T(test_overlay_rw_dirs),
                T(test_bind_with_flags_and_remount),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
