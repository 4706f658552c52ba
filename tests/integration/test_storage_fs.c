/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Filesystem storages on the real agent (as root): ephemeral tmpfs and
 * UpdateEphemeralMounts, overlay, bind, local with mode and fs_group,
 * watchable-bind, and storages shared by containers. What the agent mounted
 * is read from its own /proc/<pid>/mountinfo and seen through
 * /proc/<pid>/root (it runs in a mount namespace of its own).
 * virtio-fs and 9p need a VMM: their mount calls are checked in
 * tests/unit/test_storage_registry.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container_run.h"
#include "util.h"

#define SB "/run/kata-containers/sandbox"

static Grpc__Storage *new_storage(const char *driver, const char *source, const char *fstype, const char *mp,
                                  const char *const *options)
{
        static Grpc__Storage pool[16];
        static size_t used;
        Grpc__Storage init = GRPC__STORAGE__INIT, *s = &pool[used++ % 16];
        *s = init;
        s->driver = (char *)driver;
        s->source = (char *)source;
        s->fstype = (char *)fstype;
        s->mount_point = (char *)mp;
        for (s->n_options = 0; options && options[s->n_options]; s->n_options++)
                ;
        s->options = (char **)options;
        return s;
}

static int create_sandbox(struct ctr_env *env, Grpc__Storage **storages, size_t n, struct rpc_error *e)
{
        Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        req.sandbox_id = (char *)"pod";
        req.storages = storages;
        req.n_storages = n;
        return agent_call(&env->client, "CreateSandbox", &req.base, NULL, NULL, e);
}

static void sandbox_ok(struct ctr_env *env, Grpc__Storage **storages, size_t n)
{
        struct rpc_error e = { 0 };
        if (create_sandbox(env, storages, n, &e) < 0) {
                agent_dump_log(&env->agent);
                fail_msg("CreateSandbox: %s", e.msg);
        }
}

/* The agent's mountinfo line for mount point `mp` (the last, i.e. topmost, one); false when none. */
static bool mount_line(struct ctr_env *env, const char *mp, char *out, size_t size)
{
        char path[64], line[1024], field[512];
        bool found = false;
        snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)env->agent.pid);
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        while (fgets(line, sizeof line, f))
                if (sscanf(line, "%*s %*s %*s %*s %511s", field) == 1 && streq(field, mp)) {
                        snprintf(out, size, "%s", line);
                        found = true;
                }
        fclose(f);
        return found;
}

static int mount_count(struct ctr_env *env, const char *mp)
{
        char path[64], line[1024], field[512];
        int n = 0;
        snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)env->agent.pid);
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        while (fgets(line, sizeof line, f))
                n += sscanf(line, "%*s %*s %*s %*s %511s", field) == 1 && streq(field, mp);
        fclose(f);
        return n;
}

/* A path in the agent's mount namespace. */
static const char *in_agent(struct ctr_env *env, const char *path)
{
        static char buf[4][512];
        static int i;
        char *b = buf[i++ % 4];
        snprintf(b, sizeof buf[0], "/proc/%d/root%s", (int)env->agent.pid, path);
        return b;
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");
        if (!f)
                fail_msg("cannot write %s: %s", path, strerror(errno));
        fputs(text, f);
        fclose(f);
}

static bool file_is(const char *path, const char *text)
{
        char buf[256];
        return read_small_file(path, buf, sizeof buf, NULL) == 0 && streq(buf, text);
}

#define expect_in(hay, needle)                                                  \
        do {                                                                    \
                if (!strstr((hay), (needle)))                                   \
                        fail_msg("expected `%s` in:\n%s", (needle), (hay));     \
        } while (0)

static void test_ephemeral_and_update(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        char line[1024];
        static const char *const opts[] = { "nosuid", "nodev", "mode=0770", "size=1m", NULL };
        Grpc__Storage *sts[] = { new_storage("ephemeral", "shm", "tmpfs", SB "/eph", opts),
                                 new_storage("local", "", "", SB "/loc", NULL) };
        sandbox_ok(env, sts, 2);
        assert_true(mount_line(env, SB "/eph", line, sizeof line));
        expect_in(line, " - tmpfs shm ");
        expect_in(line, "size=1024k");
        expect_in(line, "mode=770");
        expect_in(line, "nosuid,nodev");

        /* UpdateEphemeralMounts: a new size, seen in mountinfo. */
        Grpc__UpdateEphemeralMountsRequest req = GRPC__UPDATE_EPHEMERAL_MOUNTS_REQUEST__INIT;
        static const char *const bigger[] = { "nosuid", "nodev", "mode=0770", "size=2m", NULL };
        Grpc__Storage *upd[] = { new_storage("ephemeral", "shm", "tmpfs", SB "/eph", bigger) };
        req.storages = upd;
        req.n_storages = 1;
        if (agent_call(&env->client, "UpdateEphemeralMounts", &req.base, NULL, NULL, &e) < 0)
                fail_msg("UpdateEphemeralMounts: %s", e.msg);
        assert_true(mount_line(env, SB "/eph", line, sizeof line));
        expect_in(line, "size=2048k");

        /* An unknown mount point; a storage that is not ephemeral; a request naming another driver. */
        upd[0] = new_storage("ephemeral", "shm", "tmpfs", SB "/nosuch", bigger);
        assert_int_equal(agent_call(&env->client, "UpdateEphemeralMounts", &req.base, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        expect_in(e.msg, SB "/nosuch");
        upd[0] = new_storage("ephemeral", "", "tmpfs", SB "/loc", bigger);
        assert_int_equal(agent_call(&env->client, "UpdateEphemeralMounts", &req.base, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        expect_in(e.msg, "`local`");
        upd[0] = new_storage("bind", "/", "", SB "/eph", bigger);
        assert_int_equal(agent_call(&env->client, "UpdateEphemeralMounts", &req.base, NULL, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_true(mount_line(env, SB "/eph", line, sizeof line));
        expect_in(line, "size=2048k"); /* unchanged by the refusals */
}

static void test_overlay(void **state)
{
        struct ctr_env *env = *state;
        char lower[128], lowerdir[160], line[1024];
        snprintf(lower, sizeof lower, "%s/lower", env->agent.dir);
        assert_int_equal(mkdir(lower, 0755), 0);
        snprintf(line, sizeof line, "%s/from-lower", lower);
        write_file(line, "lower\n");
        snprintf(lowerdir, sizeof lowerdir, "lowerdir=%s", lower);
        const char *const ovl_opts[] = { lowerdir, "upperdir=" SB "/rw/upper", "workdir=" SB "/rw/work", NULL };
        const char *const kata_opts[] = { lowerdir, "io.katacontainers.fs-opt.overlay-rw", NULL };
        static const char *const rw_opts[] = { "size=4m", NULL };
        Grpc__Storage *sts[] = {
                new_storage("ephemeral", "tmpfs", "tmpfs", SB "/rw", rw_opts), /* upper and work on a tmpfs */
                new_storage("overlayfs", "overlay", "overlay", SB "/ovl", ovl_opts),
                new_storage("overlayfs", "overlay", "overlay", "/run/kata-containers/c1/rootfs", kata_opts),
        };
        sandbox_ok(env, sts, 3);
        assert_true(mount_line(env, SB "/ovl", line, sizeof line));
        expect_in(line, " - overlay overlay ");
        assert_true(file_is(in_agent(env, SB "/ovl/from-lower"), "lower\n"));

        /* Written through the mount: lands in upper, not in lower. */
        write_file(in_agent(env, SB "/ovl/new"), "upper\n");
        assert_true(file_is(in_agent(env, SB "/rw/upper/new"), "upper\n"));
        snprintf(line, sizeof line, "%s/new", lower);
        assert_int_equal(access(line, F_OK), -1);

        /* Kata's overlay-rw: upper and work made beside the mount point. */
        write_file(in_agent(env, "/run/kata-containers/c1/rootfs/new"), "c1\n");
        assert_true(file_is(in_agent(env, "/run/kata-containers/c1/upper/new"), "c1\n"));
        assert_int_equal(access(in_agent(env, "/run/kata-containers/c1/work"), F_OK), 0);
}

static void test_bind(void **state)
{
        struct ctr_env *env = *state;
        char src[128], path[256], line[1024];
        snprintf(src, sizeof src, "%s/bindsrc", env->agent.dir);
        assert_int_equal(mkdir(src, 0755), 0);
        snprintf(path, sizeof path, "%s/hello", src);
        write_file(path, "hi\n");
        static const char *const ro[] = { "ro", NULL };
        Grpc__Storage *sts[] = { new_storage("bind", src, "", SB "/bound", ro) };
        sandbox_ok(env, sts, 1);
        assert_true(mount_line(env, SB "/bound", line, sizeof line));
        expect_in(line, " ro,");
        assert_true(file_is(in_agent(env, SB "/bound/hello"), "hi\n"));
        int fd = open(in_agent(env, SB "/bound/new"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_int_equal(fd, -1);
        assert_int_equal(errno, EROFS);
}

static void make_volume(struct ctr_env *env, const char *dir, gid_t root_gid, mode_t root_mode)
{
        char path[256];
        assert_int_equal(mkdir(in_agent(env, dir), 0700), 0);
        snprintf(path, sizeof path, "%s/sub", dir);
        assert_int_equal(mkdir(in_agent(env, path), 0700), 0);
        snprintf(path, sizeof path, "%s/sub/file", dir);
        write_file(in_agent(env, path), "x");
        assert_int_equal(chmod(in_agent(env, path), 0600), 0);
        /* A link out of the volume: its target must not change. */
        snprintf(path, sizeof path, "%s/escape", dir);
        assert_int_equal(symlink(in_agent(env, "/run/outside"), in_agent(env, path)), 0);
        assert_int_equal(chown(in_agent(env, dir), 0, root_gid), 0);
        assert_int_equal(chmod(in_agent(env, dir), root_mode), 0);
}

static struct stat stat_of(struct ctr_env *env, const char *path)
{
        struct stat st;
        if (lstat(in_agent(env, path), &st) < 0)
                fail_msg("%s: %s", path, strerror(errno));
        return st;
}

static void test_local_mode_and_fs_group(void **state)
{
        struct ctr_env *env = *state;
        write_file(in_agent(env, "/run/outside"), "keep");
        assert_int_equal(chmod(in_agent(env, "/run/outside"), 0600), 0);
        make_volume(env, "/run/always", 0, 0700);
        make_volume(env, "/run/skip", 4242, 02770);    /* the root already matches */
        make_volume(env, "/run/mismatch", 7, 02770);   /* the root's group differs */
        static const char *const mode[] = { "mode=0750", NULL };
        Grpc__FSGroup always = GRPC__FSGROUP__INIT, on_root = GRPC__FSGROUP__INIT;
        always.group_id = on_root.group_id = 4242;
        always.group_change_policy = TYPES__FSGROUP_CHANGE_POLICY__Always;
        on_root.group_change_policy = TYPES__FSGROUP_CHANGE_POLICY__OnRootMismatch;
        Grpc__Storage *sts[] = { new_storage("local", "", "", "/run/plain", mode),
                                 new_storage("local", "", "", "/run/always", mode),
                                 new_storage("local", "", "", "/run/skip", NULL),
                                 new_storage("local", "", "", "/run/mismatch", NULL) };
        sts[1]->fs_group = &always;
        sts[2]->fs_group = &on_root;
        sts[3]->fs_group = &on_root;
        sandbox_ok(env, sts, 4);

        struct stat st = stat_of(env, "/run/plain");
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0750);

        /* Always: every file and directory gets the group, g+rw, directories g+x and setgid. */
        st = stat_of(env, "/run/always");
        assert_int_equal(st.st_gid, 4242);
        assert_int_equal(st.st_mode & 07777, 02770);
        st = stat_of(env, "/run/always/sub");
        assert_int_equal(st.st_gid, 4242);
        assert_int_equal(st.st_mode & 07777, 02770);
        st = stat_of(env, "/run/always/sub/file");
        assert_int_equal(st.st_gid, 4242);
        assert_int_equal(st.st_mode & 07777, 0660);
        st = stat_of(env, "/run/outside");
        assert_int_equal(st.st_gid, 0);
        assert_int_equal(st.st_mode & 07777, 0600);

        /* OnRootMismatch: nothing below a matching root changes; a mismatching root means everything. */
        st = stat_of(env, "/run/skip/sub/file");
        assert_int_equal(st.st_gid, 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        st = stat_of(env, "/run/mismatch/sub/file");
        assert_int_equal(st.st_gid, 4242);
        assert_int_equal(st.st_mode & 07777, 0660);
        st = stat_of(env, "/run/mismatch");
        assert_int_equal(st.st_gid, 4242);
}

static int count_dir(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *de;
        int n = 0;
        assert_non_null(d);
        while ((de = readdir(d)))
                n += !streq(de->d_name, ".") && !streq(de->d_name, "..");
        closedir(d);
        return n;
}

/*
 * Waits up to 5 s for `path` to hold `text` (NULL: to be gone), asking the
 * agent for Check all the while; returns the milliseconds it took.
 */
static int wait_for(struct ctr_env *env, const char *path, const char *text)
{
        uint64_t start = now_ns();
        for (int i = 0; i < 250; i++) {
                assert_int_equal(agent_check(env->client.ttrpc), GRPC_OK);
                if (text ? file_is(path, text) : access(path, F_OK) < 0)
                        return (int)((now_ns() - start) / 1000000);
                usleep(20 * 1000);
        }
        fail_msg("%s never became `%s`", path, text ? text : "(gone)");
        return -1;
}

static void test_watchable_bind(void **state)
{
        struct ctr_env *env = *state;
        char src[128], path[256], line[1024];
        const char *mp = "/run/kata-containers/watch/cm";
        snprintf(src, sizeof src, "%s/configmap", env->agent.dir);
        assert_int_equal(mkdir(src, 0755), 0);
        snprintf(path, sizeof path, "%s/key", src);
        write_file(path, "v1");
        Grpc__Storage *sts[] = { new_storage("watchable-bind", src, "bind", mp, NULL) };
        sandbox_ok(env, sts, 1);
        assert_true(mount_line(env, mp, line, sizeof line));
        expect_in(line, " - tmpfs "); /* a copy on a tmpfs of its own, not a bind mount */
        assert_true(file_is(in_agent(env, "/run/kata-containers/watch/cm/key"), "v1"));

        /* Changed, added, removed in the source: the copy follows. */
        write_file(path, "v2, longer");
        int ms = wait_for(env, in_agent(env, "/run/kata-containers/watch/cm/key"), "v2, longer");
        /* inotify, not the 2 s rescan, brought it (the rescan timer was armed at the mount, just now). */
        if (ms >= 1500)
                fail_msg("the copy took %d ms to follow the source", ms);
        print_message("watchable-bind: the copy followed in %d ms\n", ms);
        snprintf(path, sizeof path, "%s/added", src);
        write_file(path, "new");
        wait_for(env, in_agent(env, "/run/kata-containers/watch/cm/added"), "new");
        assert_int_equal(unlink(path), 0);
        wait_for(env, in_agent(env, "/run/kata-containers/watch/cm/added"), NULL);

        /* Past 16 entries: a plain bind mount of the source goes over the copy. */
        for (int i = 0; i < 20; i++) {
                snprintf(path, sizeof path, "%s/f%02d", src, i);
                write_file(path, "x");
        }
        for (int i = 0; i < 100 && mount_count(env, mp) < 2; i++) {
                assert_int_equal(agent_check(env->client.ttrpc), GRPC_OK);
                usleep(50 * 1000);
        }
        assert_int_equal(mount_count(env, mp), 2);
        assert_int_equal(count_dir(in_agent(env, mp)), 21);
        assert_true(agent_log_contains(&env->agent, "plain bind mount"));
        /* Now a bind: changes show at once. */
        snprintf(path, sizeof path, "%s/key", src);
        write_file(path, "v3");
        assert_true(file_is(in_agent(env, "/run/kata-containers/watch/cm/key"), "v3"));
        /* DestroySandbox takes both mounts down. */
        struct rpc_error e = { 0 };
        assert_int_equal(agent_call(&env->client, "DestroySandbox", NULL, NULL, NULL, &e), 0);
        assert_int_equal(mount_count(env, mp), 0);
}

static void run_and_wait(struct ctr_env *env, const char *id, Grpc__Storage **sts, size_t n)
{
        static const char *const argv[] = { "true", NULL };
        struct test_spec ts;
        struct rpc_error e = { 0 };
        int status;
        test_spec_init(&ts, env->rootfs, argv);
        struct create_opts o = { .storages = sts, .n_storages = n };
        if (agent_create_container(&env->client, id, &ts.spec, &o, &e) < 0 ||
            agent_start_container(&env->client, id, &e) < 0 ||
            agent_wait_process(&env->client, id, id, &status, &e) < 0)
                fail_msg("container %s: %s", id, e.msg);
}

static void remove_ctr(struct ctr_env *env, const char *id)
{
        struct rpc_error e = { 0 };
        if (agent_remove_container(&env->client, id, 10, &e) < 0)
                fail_msg("cannot remove %s: %s", id, e.msg);
}

static void test_shared_between_containers(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        char line[1024];
        static const char *const size[] = { "size=1m", NULL };
        sandbox_ok(env, NULL, 0);
        Grpc__Storage *vol = new_storage("ephemeral", "tmpfs", "tmpfs", "/run/kata-containers/shared/vol", size);
        Grpc__Storage *pinned = new_storage("ephemeral", "tmpfs", "tmpfs", "/run/kata-containers/shared/pin", size);
        pinned->shared = 1;
        Grpc__Storage *both[] = { vol, pinned };
        run_and_wait(env, "c1", both, 2);
        run_and_wait(env, "c2", both, 2);
        assert_int_equal(mount_count(env, "/run/kata-containers/shared/vol"), 1); /* mounted once */

        /* Another storage at the same mount point is refused, naming both. */
        Grpc__Storage *other[] = { new_storage("local", "", "", "/run/kata-containers/shared/vol", NULL) };
        struct test_spec ts;
        static const char *const argv[] = { "true", NULL };
        test_spec_init(&ts, env->rootfs, argv);
        struct create_opts o = { .storages = other, .n_storages = 1 };
        assert_int_equal(agent_create_container(&env->client, "c3", &ts.spec, &o, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_FAILED_PRECONDITION);
        expect_in(e.msg, "`ephemeral`");
        expect_in(e.msg, "`local`");

        remove_ctr(env, "c1");
        assert_true(mount_line(env, "/run/kata-containers/shared/vol", line, sizeof line)); /* c2 uses it */
        remove_ctr(env, "c2");
        assert_false(mount_line(env, "/run/kata-containers/shared/vol", line, sizeof line));
        /* shared=true: the sandbox holds it until DestroySandbox. */
        assert_true(mount_line(env, "/run/kata-containers/shared/pin", line, sizeof line));
        assert_int_equal(agent_call(&env->client, "DestroySandbox", NULL, NULL, NULL, &e), 0);
        assert_false(mount_line(env, "/run/kata-containers/shared/pin", line, sizeof line));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ctr_setup, ctr_teardown)
                T(test_ephemeral_and_update),
                T(test_overlay),
                T(test_bind),
                T(test_local_mode_and_fs_group),
                T(test_watchable_bind),
                T(test_shared_between_containers),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
