/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every RPC that takes a path, against the three ways out of where the path
 * belongs (docs/security.md, "Path handling"): a `..` component, an absolute
 * symbolic link and a relative one, the links planted the way a container
 * would plant them, inside a directory it shares with the agent. Each is
 * refused with PERMISSION_DENIED and the target outside is left untouched;
 * the same request on a plain path still works.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "agent_proc.h"
#include "csi.pb-c.h"
#include "util.h"

#define SHARED "/run/kata-containers/shared/containers/c1"

static int call(struct agent_proc *a, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *type, char *msg, size_t msg_size)
{
        struct ttrpc_client *c = agent_connect(a);
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        ProtobufCMessage *resp = NULL;
        assert_non_null(c);
        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", method, req, type, 0, &st, &resp, &e), 0);
        snprintf(msg, msg_size, "%s", st.message);
        int code = st.code;
        ttrpc_reply_clear(&st);
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        ttrpc_client_free(c);
        return code;
}

#define expect_code(got, want, msg)                                                             \
        do {                                                                                    \
                if ((got) != (want))                                                            \
                        fail_msg("%s:%d: code %d, expected %d: %s", __FILE__, __LINE__, (got), \
                                 (want), (msg));                                                \
        } while (0)

/* A guest path as seen from here: through the agent's root (its /run is private). */
static const char *guest(const struct agent_proc *a, const char *path)
{
        static char buf[PATH_MAX];
        snprintf(buf, sizeof buf, "/proc/%d/root%s", (int)a->pid, path);
        return buf;
}

static int copy_file(struct agent_proc *a, const char *path, uint32_t mode, const char *data, char *msg,
                     size_t msg_size)
{
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
        req.path = (char *)path;
        req.file_mode = mode;
        req.file_size = (int64_t)strlen(data);
        req.data.data = (uint8_t *)data;
        req.data.len = strlen(data);
        return call(a, "CopyFile", &req.base, NULL, msg, msg_size);
}

/* <dir>/outside: a directory (mode 0700, one file "keep") no request may reach. */
static void make_outside(const struct agent_proc *a, char *outside, size_t size)
{
        char keep[PATH_MAX];
        snprintf(outside, size, "%s/outside", a->dir);
        assert_int_equal(mkdir(outside, 0700), 0);
        snprintf(keep, sizeof keep, "%s/keep", outside);
        int fd = open(keep, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "keep", 4), 4);
        close(fd);
}

static void expect_outside_untouched(const char *outside)
{
        char keep[PATH_MAX], pwned[PATH_MAX], buf[8] = { 0 };
        struct stat st;
        assert_int_equal(lstat(outside, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_int_equal(st.st_uid, 0);
        snprintf(pwned, sizeof pwned, "%s/pwned", outside);
        assert_int_equal(access(pwned, F_OK), -1);
        snprintf(keep, sizeof keep, "%s/keep", outside);
        int fd = open(keep, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(read(fd, buf, sizeof buf), 4);
        close(fd);
        assert_string_equal(buf, "keep");
}

static void test_copy_file(void **state)
{
        struct agent_proc *a = *state;
        char outside[256], rel[512], msg[512], dotdot[PATH_MAX];
        make_outside(a, outside, sizeof outside);

        /* A plain path works and makes the shared directory. */
        expect_code(copy_file(a, SHARED "/ok", 0100644, "fine", msg, sizeof msg), GRPC_OK, msg);
        /* What a container writing in its shared directory could plant: links out of it. */
        assert_int_equal(symlink(outside, guest(a, SHARED "/abs")), 0);
        snprintf(rel, sizeof rel, "../../../../..%s", outside);
        assert_int_equal(symlink(rel, guest(a, SHARED "/rel")), 0);

        snprintf(dotdot, sizeof dotdot, SHARED "/../../../../..%s/pwned", outside);
        const char *const through[] = { SHARED "/abs/pwned", SHARED "/rel/pwned", dotdot };
        for (size_t i = 0; i < ARRAY_SIZE(through); i++) {
                const char *path = through[i];
                expect_code(copy_file(a, path, 0100644, "pwned", msg, sizeof msg), GRPC_PERMISSION_DENIED, msg);
                expect_code(copy_file(a, path, 040755, "", msg, sizeof msg), GRPC_PERMISSION_DENIED, msg);
        }
        /* A link as the last component: a directory there is refused, not chmodded through it. */
        expect_code(copy_file(a, SHARED "/abs", 040777, "", msg, sizeof msg), GRPC_ALREADY_EXISTS, msg);
        expect_code(copy_file(a, SHARED "/rel", 040777, "", msg, sizeof msg), GRPC_ALREADY_EXISTS, msg);
        expect_outside_untouched(outside);
        /* ... and a file there replaces the link itself. */
        expect_code(copy_file(a, SHARED "/abs", 0100600, "x", msg, sizeof msg), GRPC_OK, msg);
        struct stat st;
        assert_int_equal(lstat(guest(a, SHARED "/abs"), &st), 0);
        assert_true(S_ISREG(st.st_mode));
        expect_outside_untouched(outside);
}

/* The part file's name for a target called `name`, as agent/rpc_copy_file.c derives it (FNV-1a). */
static void part_name(const char *name, char *buf, size_t size)
{
        uint64_t h = 1469598103934665603ULL;
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                h = (h ^ *p) * 1099511628211ULL;
        snprintf(buf, size, ".kinglet-part-%016llx", (unsigned long long)h);
}

/*
 * What a container can plant at the part file's name in its shared
 * directory: a hard link to a file it may not write (the agent would
 * truncate, write and chown it), a fifo (opening it would block the agent).
 */
static void test_copy_file_part_planted(void **state)
{
        struct agent_proc *a = *state;
        char part[64], at[PATH_MAX], victim[PATH_MAX], msg[512], buf[16] = { 0 };
        struct stat st;

        expect_code(copy_file(a, SHARED "/victim", 0100600, "secret", msg, sizeof msg), GRPC_OK, msg);
        snprintf(victim, sizeof victim, "%s", guest(a, SHARED "/victim"));
        part_name("f", part, sizeof part);
        snprintf(at, sizeof at, "/proc/%d/root" SHARED "/%s", (int)a->pid, part);
        assert_int_equal(link(victim, at), 0);

        /* A first chunk starts from a part file of its own: the link is dropped, the victim kept. */
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
        req.path = (char *)SHARED "/f";
        req.file_mode = 0100644;
        req.uid = 1000;
        req.file_size = 10;
        req.data.data = (uint8_t *)"pwned";
        req.data.len = 5;
        expect_code(call(a, "CopyFile", &req.base, NULL, msg, sizeof msg), GRPC_OK, msg);
        /* A later chunk finds a link planted again: refused. */
        assert_int_equal(unlink(at), 0);
        assert_int_equal(link(victim, at), 0);
        req.offset = 5;
        req.data.data = (uint8_t *)"PWNED";
        expect_code(call(a, "CopyFile", &req.base, NULL, msg, sizeof msg), GRPC_PERMISSION_DENIED, msg);
        int fd = open(victim, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(read(fd, buf, sizeof buf), 6);
        assert_int_equal(fstat(fd, &st), 0);
        close(fd);
        assert_string_equal(buf, "secret");
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_mode & 07777, 0600);

        /* A fifo: refused at once (the agent answers at all: it did not block opening it). */
        assert_int_equal(unlink(at), 0);
        assert_int_equal(mkfifo(at, 0600), 0);
        expect_code(call(a, "CopyFile", &req.base, NULL, msg, sizeof msg), GRPC_PERMISSION_DENIED, msg);
        assert_non_null(strstr(msg, "not a plain file of its own"));
}

static int volume_stats(struct agent_proc *a, const char *path, char *msg, size_t msg_size)
{
        Grpc__VolumeStatsRequest req = GRPC__VOLUME_STATS_REQUEST__INIT;
        req.volume_guest_path = (char *)path;
        return call(a, "GetVolumeStats", &req.base, &grpc__volume_stats_response__descriptor, msg, msg_size);
}

static int resize_volume(struct agent_proc *a, const char *path, char *msg, size_t msg_size)
{
        Grpc__ResizeVolumeRequest req = GRPC__RESIZE_VOLUME_REQUEST__INIT;
        req.volume_guest_path = (char *)path;
        /* More than any disk: refused before a grower could run on a real filesystem of this host. */
        req.size = UINT64_MAX;
        return call(a, "ResizeVolume", &req.base, NULL, msg, msg_size);
}

static int add_swap_path(struct agent_proc *a, const char *path, char *msg, size_t msg_size)
{
        Grpc__AddSwapPathRequest req = GRPC__ADD_SWAP_PATH_REQUEST__INIT;
        req.path = (char *)path;
        return call(a, "AddSwapPath", &req.base, NULL, msg, msg_size);
}

/* <dir>/shared: where a container could write, with an absolute and a relative link to <dir>/outside. */
#define LINK_MAX_LEN 512

static void plant_links(const struct agent_proc *a, const char *outside, char abs[LINK_MAX_LEN],
                        char rel[LINK_MAX_LEN], char dotdot[LINK_MAX_LEN])
{
        char shared[256];
        snprintf(shared, sizeof shared, "%s/shared", a->dir);
        assert_int_equal(mkdir(shared, 0777), 0);
        snprintf(abs, LINK_MAX_LEN, "%s/abs", shared);
        assert_int_equal(symlink(outside, abs), 0);
        snprintf(rel, LINK_MAX_LEN, "%s/rel", shared);
        assert_int_equal(symlink("../outside", rel), 0);
        snprintf(dotdot, LINK_MAX_LEN, "%s/../outside", shared);
}

static void test_volume_paths(void **state)
{
        struct agent_proc *a = *state;
        char outside[256], abs[LINK_MAX_LEN], rel[LINK_MAX_LEN], dotdot[LINK_MAX_LEN], msg[512], path[PATH_MAX];
        make_outside(a, outside, sizeof outside);
        plant_links(a, outside, abs, rel, dotdot);

        const char *const bad[] = { abs, rel, dotdot };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                expect_code(volume_stats(a, bad[i], msg, sizeof msg), GRPC_PERMISSION_DENIED, msg);
                assert_non_null(strstr(msg, bad[i] == dotdot ? "a `..` component" : "symbolic link"));
                expect_code(resize_volume(a, bad[i], msg, sizeof msg), GRPC_PERMISSION_DENIED, msg);
                /* A link on the way, not only at the end. */
                snprintf(path, sizeof path, "%s/keep", bad[i]);
                expect_code(volume_stats(a, path, msg, sizeof msg), GRPC_PERMISSION_DENIED, msg);
        }
        expect_outside_untouched(outside);
        /* The real path works: statfs answers; a resize gets as far as the filesystem's type. */
        expect_code(volume_stats(a, outside, msg, sizeof msg), GRPC_OK, msg);
        expect_code(resize_volume(a, outside, msg, sizeof msg), GRPC_FAILED_PRECONDITION, msg);
}

static void test_swap_path(void **state)
{
        struct agent_proc *a = *state;
        char outside[256], abs[LINK_MAX_LEN], rel[LINK_MAX_LEN], dotdot[LINK_MAX_LEN], msg[512], path[PATH_MAX];
        make_outside(a, outside, sizeof outside);
        plant_links(a, outside, abs, rel, dotdot);

        const char *const bad[] = { abs, rel, dotdot };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                snprintf(path, sizeof path, "%s/keep", bad[i]);
                expect_code(add_swap_path(a, path, msg, sizeof msg), GRPC_PERMISSION_DENIED, msg);
        }
        expect_outside_untouched(outside);
        /* The real path is opened and read: it has no swap signature. */
        snprintf(path, sizeof path, "%s/keep", outside);
        expect_code(add_swap_path(a, path, msg, sizeof msg), GRPC_FAILED_PRECONDITION, msg);
        assert_non_null(strstr(msg, "no swap signature"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, agent_test_setup, agent_test_teardown)
                T(test_copy_file),
                T(test_copy_file_part_planted),
                T(test_volume_paths),
                T(test_swap_path),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
