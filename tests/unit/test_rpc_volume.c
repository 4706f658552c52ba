/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GetVolumeStats against statfs of a directory, the refusals of both volume
 * RPCs, and the mountinfo line parser behind ResizeVolume (escapes, optional
 * fields, malformed lines, which mount holds a path).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "agent.h"
#include "agent.pb-c.h"
#include "csi.pb-c.h"
#include "server_fixture.h"
#include "volume_mount.h"

struct fixture {
        struct server_fixture *s;
        struct agent agent;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);
        f->s = server_fixture_new();
        f->agent.loop = f->s->loop;
        f->agent.server = f->s->server;
        f->agent.sysfs_root = "/sys";
        list_init(&f->agent.containers);
        assert_int_equal(agent_register_services(&f->agent), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        server_fixture_free(f->s);
        free(f);
        return 0;
}

static void stats(struct fixture *f, uint32_t stream, const char *path)
{
        Grpc__VolumeStatsRequest req = GRPC__VOLUME_STATS_REQUEST__INIT;
        req.volume_guest_path = (char *)path;
        fixture_send(f->s, stream, "grpc.AgentService", "GetVolumeStats", &req.base, 0);
}

static void test_volume_stats(void **state)
{
        struct fixture *f = *state;
        struct statfs st;
        assert_int_equal(statfs("/proc", &st), 0);
        stats(f, 1, "/proc");
        Grpc__VolumeStatsResponse *v =
                (Grpc__VolumeStatsResponse *)fixture_expect_ok(f->s, 1, &grpc__volume_stats_response__descriptor);
        assert_int_equal(v->n_usage, 2);
        assert_int_equal(v->usage[0]->unit, GRPC__VOLUME_USAGE__UNIT__BYTES);
        assert_int_equal(v->usage[1]->unit, GRPC__VOLUME_USAGE__UNIT__INODES);
        /* procfs: nothing changes between the two statfs calls. */
        uint64_t unit = st.f_frsize ? (uint64_t)st.f_frsize : (uint64_t)st.f_bsize;
        assert_int_equal(v->usage[0]->total, st.f_blocks * unit);
        assert_int_equal(v->usage[0]->available, st.f_bfree * unit);
        assert_int_equal(v->usage[0]->used, v->usage[0]->total - v->usage[0]->available);
        assert_int_equal(v->usage[1]->total, st.f_files);
        assert_int_equal(v->usage[1]->used, v->usage[1]->total - v->usage[1]->available);
        assert_non_null(v->volume_condition);
        assert_false(v->volume_condition->abnormal);
        assert_string_equal(v->volume_condition->message, "OK");
        protobuf_c_message_free_unpacked(&v->base, NULL);
}

static void test_volume_refusals(void **state)
{
        struct fixture *f = *state;
        struct ttrpc_reply r;
        static char long_path[VOLUME_PATH_MAX + 2];

        stats(f, 1, "relative/path");
        fixture_expect(f->s, 1, GRPC_INVALID_ARGUMENT, &r);
        assert_non_null(strstr(r.message, "absolute"));
        ttrpc_reply_clear(&r);
        stats(f, 3, "");
        fixture_expect(f->s, 3, GRPC_INVALID_ARGUMENT, NULL);
        stats(f, 5, "/nonexistent/kinglet-volume");
        fixture_expect(f->s, 5, GRPC_NOT_FOUND, &r);
        assert_non_null(strstr(r.message, "/nonexistent/kinglet-volume"));
        ttrpc_reply_clear(&r);
        memset(long_path, 'a', sizeof long_path - 1);
        long_path[0] = '/';
        stats(f, 7, long_path);
        fixture_expect(f->s, 7, GRPC_INVALID_ARGUMENT, NULL);

        Grpc__ResizeVolumeRequest rq = GRPC__RESIZE_VOLUME_REQUEST__INIT;
        rq.volume_guest_path = (char *)"volume";
        fixture_send(f->s, 9, "grpc.AgentService", "ResizeVolume", &rq.base, 0);
        fixture_expect(f->s, 9, GRPC_INVALID_ARGUMENT, NULL);
        rq.volume_guest_path = (char *)"/nonexistent/kinglet-volume";
        fixture_send(f->s, 11, "grpc.AgentService", "ResizeVolume", &rq.base, 0);
        fixture_expect(f->s, 11, GRPC_NOT_FOUND, NULL);
        /* procfs is no block-backed ext4 or xfs (/proc/sys: /proc/self is a link, refused as one). */
        rq.volume_guest_path = (char *)"/proc/sys";
        fixture_send(f->s, 13, "grpc.AgentService", "ResizeVolume", &rq.base, 0);
        fixture_expect(f->s, 13, GRPC_FAILED_PRECONDITION, &r);
        assert_non_null(strstr(r.message, "proc filesystem"));
        ttrpc_reply_clear(&r);
}

static void test_mountinfo_line(void **state)
{
        struct volume_mount m = { .major = 77 };
        (void)state;
        assert_int_equal(volume_mount_parse_line("36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 "
                                                 "shared:2 - ext3 /dev/root rw,errors=continue\n",
                                                 &m),
                         0);
        assert_int_equal(m.major, 98);
        assert_int_equal(m.minor, 0);
        assert_string_equal(m.mount_point, "/mnt/with space");
        assert_string_equal(m.fstype, "ext3");
        assert_string_equal(m.source, "/dev/root");
        assert_int_equal(volume_mount_parse_line("1 2 7:3 / /v rw - xfs /dev/loop3 rw", &m), 0);
        assert_int_equal(m.minor, 3);

        /* Malformed: *ret stays as it was. */
        const char *bad[] = {
                "", "36 35 98:0 /mnt1 /mnt rw", "36 35 98 /mnt1 /mnt rw - ext3 /dev/root rw",
                "36 35 x:0 /mnt1 /mnt rw - ext3 /dev/root rw", "36 35 98:0 /mnt1 /mnt rw - ext3",
                "36 35 98:0 /mnt1 /mnt rw master:1 -",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                assert_int_equal(volume_mount_parse_line(bad[i], &m), -EINVAL);
                assert_int_equal(m.minor, 3);
        }
        char *huge = malloc(2 * VOLUME_PATH_MAX);
        memset(huge, 'a', 2 * VOLUME_PATH_MAX - 1);
        huge[2 * VOLUME_PATH_MAX - 1] = '\0';
        memcpy(huge, "1 2 7:3 / /", 11);
        assert_int_equal(volume_mount_parse_line(huge, &m), -EINVAL);
        free(huge);

        assert_true(volume_mount_holds("/", "/a"));
        assert_true(volume_mount_holds("/mnt/a", "/mnt/a"));
        assert_true(volume_mount_holds("/mnt/a", "/mnt/a/b"));
        assert_false(volume_mount_holds("/mnt/a", "/mnt/ab"));
        assert_false(volume_mount_holds("/mnt/a/b", "/mnt/a"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_volume_stats, setup, teardown),
                cmocka_unit_test_setup_teardown(test_volume_refusals, setup, teardown),
                cmocka_unit_test(test_mountinfo_line),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
