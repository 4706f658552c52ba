/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest RPCs through the real dispatch tables: Health, GetGuestDetails (with
 * a sysfs fixture), SetGuestDateTime (settimeofday is mocked with --wrap, so
 * the test never touches this machine's clock), ReseedRandomDev, CopyFile.
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
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent.h"
#include "agent.pb-c.h"
#include "health.pb-c.h"
#include "server_fixture.h"

int __wrap_settimeofday(const struct timeval *tv, const void *tz);
int __wrap_settimeofday(const struct timeval *tv, const void *tz)
{
        (void)tz;
        check_expected(tv->tv_sec);
        check_expected(tv->tv_usec);
        int r = mock_type(int);
        if (r < 0) {
                errno = -r;
                return -1;
        }
        return 0;
}

struct fixture {
        struct server_fixture *s;
        struct agent agent;
        char dir[64];
        char sysfs[96];
        char base[96];
};

static int write_file(const char *dir, const char *rel, const char *content)
{
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(content, f);
        return fclose(f) == 0 ? 0 : -errno;
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);
        char path[160];

        snprintf(f->dir, sizeof f->dir, "/tmp/kinglet-guest-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->sysfs, sizeof f->sysfs, "%s/sys", f->dir);
        snprintf(f->base, sizeof f->base, "%s/run-kata", f->dir);
        snprintf(path, sizeof path, "%s/devices/system/memory", f->sysfs);
        char *p = path + strlen(f->dir);
        for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                mkdir(path, 0755);
                *slash = '/';
        }
        assert_int_equal(mkdir(path, 0755), 0);

        f->s = server_fixture_new();
        f->agent.loop = f->s->loop;
        f->agent.server = f->s->server;
        f->agent.container_base = f->base;
        f->agent.sysfs_root = f->sysfs;
        f->agent.init_mode = false;
        assert_int_equal(agent_register_services(&f->agent), 0);
        *state = f;
        return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        server_fixture_free(f->s);
        nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static void test_health(void **state)
{
        struct fixture *f = *state;
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        fixture_send(f->s, 1, "grpc.Health", "Version", &req.base, 0);
        Grpc__VersionCheckResponse *v = (Grpc__VersionCheckResponse *)fixture_expect_ok(
                f->s, 1, &grpc__version_check_response__descriptor);
        assert_string_equal(v->agent_version, KINGLET_VERSION);
        assert_string_equal(v->grpc_version, "0.0.1");
        protobuf_c_message_free_unpacked(&v->base, NULL);
        fixture_send(f->s, 3, "grpc.Health", "Check", &req.base, 0);
        Grpc__HealthCheckResponse *h = (Grpc__HealthCheckResponse *)fixture_expect_ok(
                f->s, 3, &grpc__health_check_response__descriptor);
        assert_int_equal(h->status, GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        protobuf_c_message_free_unpacked(&h->base, NULL);
}

static Grpc__GuestDetailsResponse *guest_details(struct fixture *f, uint32_t stream, bool block,
                                                 bool probe)
{
        Grpc__GuestDetailsRequest req = GRPC__GUEST_DETAILS_REQUEST__INIT;
        req.mem_block_size = block;
        req.mem_hotplug_probe = probe;
        fixture_send(f->s, stream, "grpc.AgentService", "GetGuestDetails", &req.base, 0);
        return (Grpc__GuestDetailsResponse *)fixture_expect_ok(
                f->s, stream, &grpc__guest_details_response__descriptor);
}

static void test_guest_details(void **state)
{
        struct fixture *f = *state;
        Grpc__GuestDetailsResponse *d = guest_details(f, 1, false, false);
        assert_non_null(d->agent_details);
        assert_string_equal(d->agent_details->version, KINGLET_VERSION);
        assert_false(d->agent_details->init_daemon);
        /* This kernel has seccomp filters; a runtime keeps the spec's profile only when this is true. */
        assert_true(d->agent_details->supports_seccomp);
        assert_int_equal(d->mem_block_size_bytes, 0);
        protobuf_c_message_free_unpacked(&d->base, NULL);

        /* Not asked for, not read; asked for and absent: 0, not an error. */
        d = guest_details(f, 3, true, true);
        assert_int_equal(d->mem_block_size_bytes, 0);
        assert_false(d->support_mem_hotplug_probe);
        protobuf_c_message_free_unpacked(&d->base, NULL);

        assert_int_equal(write_file(f->sysfs, "devices/system/memory/block_size_bytes", "8000000\n"), 0);
        assert_int_equal(write_file(f->sysfs, "devices/system/memory/probe", ""), 0);
        d = guest_details(f, 5, true, true);
        assert_int_equal(d->mem_block_size_bytes, 128 << 20);
        assert_true(d->support_mem_hotplug_probe);
        protobuf_c_message_free_unpacked(&d->base, NULL);

        f->agent.init_mode = true;
        d = guest_details(f, 7, false, false);
        assert_true(d->agent_details->init_daemon);
        protobuf_c_message_free_unpacked(&d->base, NULL);
}

static void test_guest_details_bad_sysfs(void **state)
{
        struct fixture *f = *state;
        struct ttrpc_reply r;
        Grpc__GuestDetailsRequest req = GRPC__GUEST_DETAILS_REQUEST__INIT;
        req.mem_block_size = true;
        assert_int_equal(write_file(f->sysfs, "devices/system/memory/block_size_bytes", "zz\n"), 0);
        fixture_send(f->s, 1, "grpc.AgentService", "GetGuestDetails", &req.base, 0);
        fixture_expect(f->s, 1, GRPC_INTERNAL, &r);
        assert_non_null(strstr(r.message, "memory block size"));
        ttrpc_reply_clear(&r);
}

static void set_time(struct fixture *f, uint32_t stream, int64_t sec, int64_t usec)
{
        Grpc__SetGuestDateTimeRequest req = GRPC__SET_GUEST_DATE_TIME_REQUEST__INIT;
        req.sec = sec;
        req.usec = usec;
        fixture_send(f->s, stream, "grpc.AgentService", "SetGuestDateTime", &req.base, 0);
}

static void test_set_guest_date_time(void **state)
{
        struct fixture *f = *state;
        struct ttrpc_reply r;

        expect_value(__wrap_settimeofday, tv->tv_sec, 1764000000);
        expect_value(__wrap_settimeofday, tv->tv_usec, 123456);
        will_return(__wrap_settimeofday, 0);
        set_time(f, 1, 1764000000, 123456);
        fixture_expect(f->s, 1, GRPC_OK, NULL);

        expect_value(__wrap_settimeofday, tv->tv_sec, 5);
        expect_value(__wrap_settimeofday, tv->tv_usec, 0);
        will_return(__wrap_settimeofday, -EPERM);
        set_time(f, 3, 5, 0);
        fixture_expect(f->s, 3, GRPC_PERMISSION_DENIED, &r);
        assert_non_null(strstr(r.message, "cannot set the guest clock"));
        ttrpc_reply_clear(&r);

        /* Refused before the clock is touched (the mock would fail on an unexpected call). */
        set_time(f, 5, 1, 1000000);
        fixture_expect(f->s, 5, GRPC_INVALID_ARGUMENT, NULL);
        set_time(f, 7, -1, 0);
        fixture_expect(f->s, 7, GRPC_INVALID_ARGUMENT, NULL);
        set_time(f, 9, 1, -1);
        fixture_expect(f->s, 9, GRPC_INVALID_ARGUMENT, &r);
        assert_non_null(strstr(r.message, "usec"));
        ttrpc_reply_clear(&r);
}

static void test_reseed_random_dev(void **state)
{
        struct fixture *f = *state;
        Grpc__ReseedRandomDevRequest req = GRPC__RESEED_RANDOM_DEV_REQUEST__INIT;
        static uint8_t seed[70000];

        fixture_send(f->s, 1, "grpc.AgentService", "ReseedRandomDev", &req.base, 0);
        fixture_expect(f->s, 1, GRPC_INVALID_ARGUMENT, NULL);
        req.data.data = seed;
        req.data.len = sizeof seed;
        fixture_send(f->s, 3, "grpc.AgentService", "ReseedRandomDev", &req.base, 0);
        fixture_expect(f->s, 3, GRPC_INVALID_ARGUMENT, NULL);
        req.data.len = 512;
        fixture_send(f->s, 5, "grpc.AgentService", "ReseedRandomDev", &req.base, 0);
        /* Reseeding needs CAP_SYS_ADMIN: as root it works, otherwise it says why. */
        fixture_expect(f->s, 5, geteuid() == 0 ? GRPC_OK : GRPC_PERMISSION_DENIED, NULL);
}

static void test_copy_file_through_rpc(void **state)
{
        struct fixture *f = *state;
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
        char path[200], buf[16] = { 0 };
        struct ttrpc_reply r;

        /* The base directory is created on first use. */
        snprintf(path, sizeof path, "%s/sandbox/hosts", f->base);
        req.path = path;
        req.file_mode = S_IFREG | 0644;
        req.file_size = 5;
        req.uid = -1;
        req.gid = -1;
        req.data.data = (uint8_t *)"hosts";
        req.data.len = 5;
        fixture_send(f->s, 1, "grpc.AgentService", "CopyFile", &req.base, 0);
        fixture_expect(f->s, 1, GRPC_OK, NULL);
        FILE *fp = fopen(path, "re");
        assert_non_null(fp);
        assert_int_equal(fread(buf, 1, sizeof buf - 1, fp), 5);
        fclose(fp);
        assert_string_equal(buf, "hosts");

        req.path = (char *)"/etc/kinglet-should-not-exist";
        fixture_send(f->s, 3, "grpc.AgentService", "CopyFile", &req.base, 0);
        fixture_expect(f->s, 3, GRPC_PERMISSION_DENIED, &r);
        assert_non_null(strstr(r.message, "outside"));
        ttrpc_reply_clear(&r);
        assert_int_equal(access("/etc/kinglet-should-not-exist", F_OK), -1);
}

static void test_unimplemented_rpcs_say_so(void **state)
{
        struct fixture *f = *state;
        struct ttrpc_reply r;
        fixture_send(f->s, 1, "grpc.AgentService", "MemAgentMemcgSet", NULL, 0);
        fixture_expect(f->s, 1, GRPC_UNIMPLEMENTED, &r);
        assert_non_null(strstr(r.message, "no memory agent"));
        ttrpc_reply_clear(&r);
        /* The debug service is only there when asked for. */
        fixture_send(f->s, 3, "kinglet.Debug", "Sleep", NULL, 0);
        fixture_expect(f->s, 3, GRPC_UNIMPLEMENTED, &r);
        assert_non_null(strstr(r.message, "kinglet.Debug"));
        ttrpc_reply_clear(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(test_health),
                T(test_guest_details),
                T(test_guest_details_bad_sysfs),
                T(test_set_guest_date_time),
                T(test_reseed_random_dev),
                T(test_copy_file_through_rpc),
                T(test_unimplemented_rpcs_say_so),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
