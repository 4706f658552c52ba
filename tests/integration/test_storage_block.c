/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block storages, container devices and hotplug waits on the real agent,
 * with loop devices standing in for hotplugged disks: an ext4 image mounted
 * through an mmioblk storage, a request that waits while the test creates or
 * fills the loop device (the uevent wakes it), one whose device never comes
 * (DEADLINE_EXCEEDED naming it), Check answered during a wait, a loop device
 * passed into a container with the guest's major:minor, and AddSwapPath.
 *
 * Loop numbers are claimed from LOOP_BASE upward (LOOP_CTL_ADD fails on a
 * taken one), far from the ones losetup hands out, and removed in every path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

#include "agent_client.h"
#include "agent_proc.h"
#include "container_run.h"
#include "health.pb-c.h"
#include "rootfs.h"
#include "test_spec.h"
#include "util.h"

#define LOOP_BASE 400
#define LOOP_SPAN 200
#define HOTPLUG_TIMEOUT "2"

struct env {
        struct agent_proc agent;
        struct agent_client client;
        char image[128], swap_image[128], files[128], cmdline[128], rootfs[160];
        int loops[4]; /* claimed numbers, -1 when free */
};

static int loop_ctl(unsigned long req, long n)
{
        int fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = ioctl(fd, req, n);
        r = r < 0 ? -errno : r;
        close(fd);
        return r;
}

/* A loop number nobody uses: neither a node nor a device of that number exists. */
static int loop_unused(void)
{
        char path[64];
        for (int i = 0; i < LOOP_SPAN; i++) {
                int n = LOOP_BASE + (getpid() + i) % LOOP_SPAN;
                snprintf(path, sizeof path, "/sys/block/loop%d", n);
                if (access(path, F_OK) == 0)
                        continue;
                snprintf(path, sizeof path, "/dev/loop%d", n);
                if (access(path, F_OK) == 0)
                        continue;
                return n;
        }
        fail_msg("no unused loop number in %d..%d", LOOP_BASE, LOOP_BASE + LOOP_SPAN - 1);
        return -1;
}

static void remember(struct env *env, int n)
{
        for (size_t i = 0; i < ARRAY_SIZE(env->loops); i++)
                if (env->loops[i] < 0) {
                        env->loops[i] = n;
                        return;
                }
        fail_msg("too many loop devices in one test");
}

/* Creates loop device n (no file behind it yet). */
static void loop_add(struct env *env, int n)
{
        int r = loop_ctl(LOOP_CTL_ADD, n);
        if (r < 0)
                fail_msg("LOOP_CTL_ADD %d: %s", n, strerror(-r));
        remember(env, n);
}

static void loop_set_file(int n, const char *file)
{
        char dev[64];
        snprintf(dev, sizeof dev, "/dev/loop%d", n);
        int fd = open(dev, O_RDWR | O_CLOEXEC), img = open(file, O_RDWR | O_CLOEXEC);
        assert_true(fd >= 0 && img >= 0);
        if (ioctl(fd, LOOP_SET_FD, img) < 0)
                fail_msg("LOOP_SET_FD %s: %s", dev, strerror(errno));
        close(img);
        close(fd);
}

static void loop_remove(int n)
{
        char dev[64];
        snprintf(dev, sizeof dev, "/dev/loop%d", n);
        int fd = open(dev, O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
                (void)ioctl(fd, LOOP_CLR_FD, 0);
                close(fd);
        }
        for (int i = 0; i < 100 && loop_ctl(LOOP_CTL_REMOVE, n) == -EBUSY; i++)
                usleep(10 * 1000); /* the detach finishes asynchronously */
}

/* argv[0] is looked up in the sbin and bin directories (run_capture wants a path). */
static void run_ok(const char *const *argv)
{
        static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
        char out[4096], tool[64];
        const char *args[8];
        size_t n = 0;
        for (size_t i = 0; i < ARRAY_SIZE(dirs) && !n; i++) {
                snprintf(tool, sizeof tool, "%s/%s", dirs[i], argv[0]);
                n = access(tool, X_OK) == 0;
        }
        if (!n)
                fail_msg("%s is not installed", argv[0]);
        args[0] = tool;
        while (argv[n] && n < ARRAY_SIZE(args) - 1)
                args[n] = argv[n], n++;
        args[n] = NULL;
        int r = run_capture(args, true, out, sizeof out);
        if (r != 0)
                fail_msg("%s exited with %d: %s", argv[0], r, out);
}

static void make_file(const char *path, off_t size)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, size), 0);
        close(fd);
}

static int setup(void **state)
{
        if (!agent_can_run() || access("/dev/loop-control", W_OK) < 0 || !test_rootfs_available())
                skip();
        struct env *env = calloc(1, sizeof *env);
        assert_non_null(env);
        for (size_t i = 0; i < ARRAY_SIZE(env->loops); i++)
                env->loops[i] = -1;
        /* The agent's hotplug timeout comes from a kernel command line file. */
        char dir[] = "/tmp/kinglet-blk-XXXXXX";
        assert_non_null(mkdtemp(dir));
        snprintf(env->cmdline, sizeof env->cmdline, "%s/cmdline", dir);
        snprintf(env->image, sizeof env->image, "%s/disk.ext4", dir);
        snprintf(env->swap_image, sizeof env->swap_image, "%s/swap.img", dir);
        snprintf(env->files, sizeof env->files, "%s/files", dir);
        FILE *f = fopen(env->cmdline, "we");
        assert_non_null(f);
        fputs("quiet agent.hotplug_timeout=" HOTPLUG_TIMEOUT "\n", f);
        fclose(f);
        /* An ext4 image holding one file, and a swap image. */
        assert_int_equal(mkdir(env->files, 0755), 0);
        char hello[192];
        snprintf(hello, sizeof hello, "%s/hello", env->files);
        f = fopen(hello, "we");
        assert_non_null(f);
        fputs("from the block device\n", f);
        fclose(f);
        make_file(env->image, 16 << 20);
        run_ok((const char *const[]){ "mkfs.ext4", "-q", "-F", "-d", env->files, env->image, NULL });
        make_file(env->swap_image, 8 << 20);
        run_ok((const char *const[]){ "mkswap", env->swap_image, NULL });

        const char *args[] = { "--kernel-cmdline", env->cmdline, NULL };
        struct agent_opts opts = { .args = args };
        if (agent_start(&env->agent, &opts) < 0) {
                agent_dump_log(&env->agent);
                fail_msg("agent did not start");
        }
        snprintf(env->rootfs, sizeof env->rootfs, "%s/rootfs", env->agent.dir);
        assert_int_equal(mkdir(env->rootfs, 0755), 0);
        assert_int_equal(test_rootfs_busybox(env->rootfs), 0);
        env->client.ttrpc = agent_connect(&env->agent);
        assert_non_null(env->client.ttrpc);
        env->client.timeout_ns = 20 * (int64_t)NSEC_PER_SEC;
        *state = env;
        return 0;
}

static int teardown(void **state)
{
        struct env *env = *state;
        if (!env)
                return 0;
        ttrpc_client_free(env->client.ttrpc);
        int status = agent_stop(&env->agent);
        for (size_t i = 0; i < ARRAY_SIZE(env->loops); i++)
                if (env->loops[i] >= 0)
                        loop_remove(env->loops[i]);
        char *dir = strdup(env->cmdline);
        *strrchr(dir, '/') = '\0';
        run_ok((const char *const[]){ "rm", "-rf", dir, NULL });
        free(dir);
        free(env);
        assert_int_equal(status, 0);
        return 0;
}

/* After each test: the sandbox goes (unmounting its storages), the loop devices too. */
static void reset(struct env *env)
{
        Grpc__DestroySandboxRequest req = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
        struct rpc_error e = { 0 };
        (void)agent_call(&env->client, "DestroySandbox", &req.base, NULL, NULL, &e);
        for (size_t i = 0; i < ARRAY_SIZE(env->loops); i++)
                if (env->loops[i] >= 0) {
                        loop_remove(env->loops[i]);
                        env->loops[i] = -1;
                }
}

static void mmioblk_storage(Grpc__Storage *s, char *source, const char *mount_point)
{
        grpc__storage__init(s);
        s->driver = (char *)"mmioblk";
        s->source = source;
        s->fstype = (char *)"ext4";
        s->mount_point = (char *)mount_point;
}

/* True when the agent's mount namespace has an ext4 mount at `target`. */
static bool agent_has_mount(struct env *env, const char *target)
{
        char path[64], line[1024], needle[300];
        snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)env->agent.pid);
        snprintf(needle, sizeof needle, " %s ", target);
        FILE *f = fopen(path, "re");
        bool found = false;
        while (f && !found && fgets(line, sizeof line, f))
                found = strstr(line, needle) && strstr(line, " - ext4 ");
        if (f)
                fclose(f);
        return found;
}

static uint32_t send_create_sandbox(struct env *env, Grpc__Storage *s, int64_t timeout_ns)
{
        Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        Grpc__Storage *list[] = { s };
        uint32_t stream;
        req.sandbox_id = (char *)"blk";
        req.storages = list;
        req.n_storages = 1;
        assert_int_equal(ttrpc_client_send(env->client.ttrpc, "grpc.AgentService", "CreateSandbox", &req.base,
                                           timeout_ns, &stream), 0);
        return stream;
}

/* The next reply, which must be for `stream`. */
static void recv_reply(struct env *env, uint32_t stream, int timeout_ms, struct ttrpc_reply *ret)
{
        int r = ttrpc_client_recv(env->client.ttrpc, timeout_ms, ret);
        if (r < 0)
                fail_msg("no reply within %d ms: %s", timeout_ms, strerror(-r));
        assert_int_equal(ret->stream_id, stream);
}

static void test_sandbox_mmioblk(void **state)
{
        struct env *env = *state;
        char dev[64];
        struct ttrpc_reply reply = { 0 };
        int n = loop_unused();
        loop_add(env, n);
        loop_set_file(n, env->image);
        snprintf(dev, sizeof dev, "/dev/loop%d", n);
        Grpc__Storage s;
        mmioblk_storage(&s, dev, "/run/kata-containers/sandbox/storage/disk");
        uint32_t stream = send_create_sandbox(env, &s, 10 * (int64_t)NSEC_PER_SEC);
        recv_reply(env, stream, 5000, &reply);
        if (reply.code != GRPC_OK)
                fail_msg("CreateSandbox: %s: %s", grpc_code_name(reply.code), reply.message);
        ttrpc_reply_clear(&reply);
        assert_true(agent_has_mount(env, "/run/kata-containers/sandbox/storage/disk"));
        reset(env);
        assert_false(agent_has_mount(env, "/run/kata-containers/sandbox/storage/disk"));
}

/* The device does not exist when the request arrives; the test creates and fills it meanwhile. */
static void test_waits_for_new_device(void **state)
{
        struct env *env = *state;
        char dev[64];
        struct ttrpc_reply reply = { 0 };
        int n = loop_unused();
        snprintf(dev, sizeof dev, "/dev/loop%d", n);
        Grpc__Storage s;
        mmioblk_storage(&s, dev, "/run/kata-containers/sandbox/storage/late");
        uint64_t t0 = now_ns();
        uint32_t stream = send_create_sandbox(env, &s, 10 * (int64_t)NSEC_PER_SEC);
        /* Still waiting: nothing comes back yet. */
        assert_int_equal(ttrpc_client_recv(env->client.ttrpc, 300, &reply), -ETIMEDOUT);
        loop_add(env, n);
        loop_set_file(n, env->image);
        recv_reply(env, stream, 5000, &reply);
        if (reply.code != GRPC_OK)
                fail_msg("CreateSandbox: %s: %s", grpc_code_name(reply.code), reply.message);
        ttrpc_reply_clear(&reply);
        /* Woken by the uevent, well before the 2 s timeout. */
        assert_true(now_ns() - t0 < 2 * NSEC_PER_SEC);
        assert_true(agent_has_mount(env, "/run/kata-containers/sandbox/storage/late"));
        reset(env);
}

/* The node exists with no file behind it (size 0); Check is answered while CreateSandbox waits. */
static void test_waits_for_medium_and_check_answers(void **state)
{
        struct env *env = *state;
        char dev[64];
        struct ttrpc_reply reply = { 0 };
        int n = loop_unused();
        loop_add(env, n);
        snprintf(dev, sizeof dev, "/dev/loop%d", n);
        Grpc__Storage s;
        mmioblk_storage(&s, dev, "/run/kata-containers/sandbox/storage/empty");
        uint32_t stream = send_create_sandbox(env, &s, 10 * (int64_t)NSEC_PER_SEC);

        Grpc__CheckRequest check = GRPC__CHECK_REQUEST__INIT;
        uint32_t check_stream;
        uint64_t t0 = now_ns();
        assert_int_equal(ttrpc_client_send(env->client.ttrpc, "grpc.Health", "Check", &check.base, 0, &check_stream),
                         0);
        recv_reply(env, check_stream, 1000, &reply);
        assert_int_equal(reply.code, GRPC_OK);
        ttrpc_reply_clear(&reply);
        assert_true(now_ns() - t0 < 500 * 1000 * 1000ull);

        assert_int_equal(ttrpc_client_recv(env->client.ttrpc, 200, &reply), -ETIMEDOUT);
        loop_set_file(n, env->image); /* the "change" uevent: now it has a size */
        recv_reply(env, stream, 5000, &reply);
        if (reply.code != GRPC_OK)
                fail_msg("CreateSandbox: %s: %s", grpc_code_name(reply.code), reply.message);
        ttrpc_reply_clear(&reply);
        assert_true(agent_has_mount(env, "/run/kata-containers/sandbox/storage/empty"));
        reset(env);
}

static void test_never_appears(void **state)
{
        struct env *env = *state;
        char dev[64], want[128];
        struct ttrpc_reply reply = { 0 };
        int n = loop_unused();
        snprintf(dev, sizeof dev, "/dev/loop%d", n);
        Grpc__Storage s;
        mmioblk_storage(&s, dev, "/run/kata-containers/sandbox/storage/never");
        uint64_t t0 = now_ns();
        uint32_t stream = send_create_sandbox(env, &s, 10 * (int64_t)NSEC_PER_SEC);
        recv_reply(env, stream, 6000, &reply);
        uint64_t took = now_ns() - t0;
        assert_int_equal(reply.code, GRPC_DEADLINE_EXCEEDED);
        snprintf(want, sizeof want, "mmioblk device `%s` did not appear within " HOTPLUG_TIMEOUT " s", dev);
        if (!strstr(reply.message, want))
                fail_msg("expected `%s` in `%s`", want, reply.message);
        ttrpc_reply_clear(&reply);
        assert_true(took >= 1900 * 1000 * 1000ull && took < 4 * NSEC_PER_SEC);
        /* Nothing was set up: a new CreateSandbox is not refused as a duplicate. */
        reset(env);

        /* The request's own, shorter timeout ends the wait too (and drops the waiter). */
        stream = send_create_sandbox(env, &s, 300 * 1000 * 1000);
        recv_reply(env, stream, 3000, &reply);
        assert_int_equal(reply.code, GRPC_DEADLINE_EXCEEDED);
        ttrpc_reply_clear(&reply);
        assert_int_equal(agent_check(env->client.ttrpc), GRPC_OK);
}

static void test_bad_sources(void **state)
{
        struct env *env = *state;
        struct ttrpc_reply reply = { 0 };
        static const struct {
                const char *driver, *source, *expect;
                int code;
        } cases[] = {
                { "blk", "2/00", "is not a PCI path", GRPC_INVALID_ARGUMENT },
                { "blk", "02/00/01/02/03/04/05/06/07", "is not a PCI path", GRPC_INVALID_ARGUMENT },
                { "mmioblk", "/etc/passwd", "is not a device path under /dev", GRPC_INVALID_ARGUMENT },
                { "scsi", "0:0:1", "is not a SCSI address", GRPC_INVALID_ARGUMENT },
                { "mmioblk", "/dev/null", "is not a block device", GRPC_INVALID_ARGUMENT },
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                Grpc__Storage s;
                mmioblk_storage(&s, (char *)cases[i].source, "/run/kata-containers/sandbox/storage/bad");
                s.driver = (char *)cases[i].driver;
                uint32_t stream = send_create_sandbox(env, &s, 10 * (int64_t)NSEC_PER_SEC);
                recv_reply(env, stream, 3000, &reply);
                assert_int_equal(reply.code, cases[i].code);
                if (!strstr(reply.message, cases[i].expect))
                        fail_msg("%s `%s`: expected `%s` in `%s`", cases[i].driver, cases[i].source, cases[i].expect,
                                 reply.message);
                ttrpc_reply_clear(&reply);
        }
}

/*
 * A loop device passed in as an mmioblk device appears in the container with
 * the guest's major:minor (the spec says 8:0, a host's sda), and the cgroup
 * lets the container read it; a second one is mounted by an mmioblk storage
 * and bind-mounted in. The devices arrive after CreateContainer.
 */
static void test_container_device(void **state)
{
        struct env *env = *state;
        char dev[64], dev2[64], cmd[256], mnt[128];
        int n = loop_unused();
        loop_add(env, n);
        loop_set_file(n, env->image);
        int n2 = loop_unused();
        snprintf(dev, sizeof dev, "/dev/loop%d", n);
        snprintf(dev2, sizeof dev2, "/dev/loop%d", n2);

        struct test_spec ts;
        snprintf(cmd, sizeof cmd, "stat -c '%%t:%%T %%F' /dev/xvda && head -c 4096 /dev/xvda | wc -c && cat /data/hello");
        const char *const argv[] = { "sh", "-c", cmd, NULL };
        test_spec_init(&ts, env->rootfs, argv);
        test_spec_add_device(&ts, "/dev/xvda", "b", 8, 0);
        snprintf(mnt, sizeof mnt, "/run/kata-containers/shared/containers/dev-c/disk");
        test_spec_add_mount(&ts, "/data", "bind", mnt, (const char *const[]){ "rbind", "ro", NULL });

        Grpc__Device d = GRPC__DEVICE__INIT, *devices[] = { &d };
        d.id = (char *)"disk0";
        d.type = (char *)"mmioblk";
        d.vm_path = dev;
        d.container_path = (char *)"/dev/xvda";
        Grpc__Storage s, *storages[] = { &s };
        mmioblk_storage(&s, dev2, mnt);
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        req.container_id = req.exec_id = (char *)"dev-c";
        req.oci = &ts.spec;
        req.devices = devices;
        req.n_devices = 1;
        req.storages = storages;
        req.n_storages = 1;
        uint32_t stream;
        struct ttrpc_reply reply = { 0 };
        assert_int_equal(ttrpc_client_send(env->client.ttrpc, "grpc.AgentService", "CreateContainer", &req.base,
                                           20 * (int64_t)NSEC_PER_SEC, &stream),
                         0);
        assert_int_equal(ttrpc_client_recv(env->client.ttrpc, 200, &reply), -ETIMEDOUT);
        loop_add(env, n2);
        loop_set_file(n2, env->image);
        recv_reply(env, stream, 10000, &reply);
        if (reply.code != GRPC_OK)
                fail_msg("CreateContainer: %s: %s", grpc_code_name(reply.code), reply.message);
        ttrpc_reply_clear(&reply);

        struct rpc_error e = { 0 };
        char *out = NULL;
        int status = -1;
        assert_int_equal(agent_start_container(&env->client, "dev-c", &e), 0);
        assert_int_equal(ctr_read_all(&env->client, "dev-c", "dev-c", false, &out, NULL), 0);
        char *err = NULL;
        assert_int_equal(ctr_read_all(&env->client, "dev-c", "dev-c", true, &err, NULL), 0);
        assert_int_equal(agent_wait_process(&env->client, "dev-c", "dev-c", &status, &e), 0);
        if (status != 0)
                fprintf(stderr, "container stderr: %s\n", err);
        free(err);
        char want[128];
        snprintf(want, sizeof want, "7:%x block special file\n4096\nfrom the block device\n", n);
        if (status != 0 || strcmp(out, want) != 0)
                fail_msg("status %d, output `%s`, expected `%s`", status, out, want);
        free(out);
        assert_int_equal(agent_remove_container(&env->client, "dev-c", 10, &e), 0);
        reset(env);
}

static void test_container_device_refused(void **state)
{
        struct env *env = *state;
        struct test_spec ts;
        static const char *const argv[] = { "true", NULL };
        test_spec_init(&ts, env->rootfs, argv);
        Grpc__Device d = GRPC__DEVICE__INIT, *devices[] = { &d };
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        req.container_id = req.exec_id = (char *)"dev-r";
        req.oci = &ts.spec;
        req.devices = devices;
        req.n_devices = 1;
        struct rpc_error e = { 0 };

        /* A device with no linux.devices entry at its container_path. */
        d.type = (char *)"mmioblk";
        d.vm_path = (char *)"/dev/loop-control-not-block";
        d.container_path = (char *)"/dev/xvdz";
        assert_int_not_equal(agent_call(&env->client, "CreateContainer", &req.base, NULL, NULL, &e), 0);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(e.msg, "no linux.devices entry at `/dev/xvdz`"));
        /* An unknown type. */
        test_spec_add_device(&ts, "/dev/xvdz", "c", 1, 3);
        d.type = (char *)"vfio-ap";
        memset(&e, 0, sizeof e);
        assert_int_not_equal(agent_call(&env->client, "CreateContainer", &req.base, NULL, NULL, &e), 0);
        assert_int_equal(e.code, GRPC_UNIMPLEMENTED);
        if (!strstr(e.msg, "`vfio-ap` is not supported"))
                fail_msg("unexpected message `%s`", e.msg);
}

static void test_add_swap_path(void **state)
{
        struct env *env = *state;
        Grpc__AddSwapPathRequest req = GRPC__ADD_SWAP_PATH_REQUEST__INIT;
        struct rpc_error e = { 0 };
        char dev[64];

        /* No swap signature: a clear refusal. */
        req.path = env->image;
        assert_int_not_equal(agent_call(&env->client, "AddSwapPath", &req.base, NULL, NULL, &e), 0);
        assert_int_equal(e.code, GRPC_FAILED_PRECONDITION);
        if (!strstr(e.msg, "has no swap signature"))
                fail_msg("unexpected message `%s`", e.msg);
        req.path = (char *)"relative/swap";
        memset(&e, 0, sizeof e);
        assert_int_not_equal(agent_call(&env->client, "AddSwapPath", &req.base, NULL, NULL, &e), 0);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);

        /* A loop device holding mkswap's signature (a block device: any filesystem can hold the image). */
        int n = loop_unused();
        loop_add(env, n);
        loop_set_file(n, env->swap_image);
        snprintf(dev, sizeof dev, "/dev/loop%d", n);
        req.path = dev;
        memset(&e, 0, sizeof e);
        int r = agent_call(&env->client, "AddSwapPath", &req.base, NULL, NULL, &e);
        bool on = false;
        char line[256];
        FILE *f = fopen("/proc/swaps", "re");
        while (f && fgets(line, sizeof line, f))
                on = on || startswith(line, dev);
        if (f)
                fclose(f);
        (void)swapoff(dev); /* the host's swap: off again before anything can fail */
        if (r != 0)
                fail_msg("AddSwapPath %s: %s", dev, e.msg);
        assert_true(on);
        reset(env);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sandbox_mmioblk),
                cmocka_unit_test(test_waits_for_new_device),
                cmocka_unit_test(test_waits_for_medium_and_check_answers),
                cmocka_unit_test(test_never_appears),
                cmocka_unit_test(test_bad_sources),
                cmocka_unit_test(test_container_device),
                cmocka_unit_test(test_container_device_refused),
                cmocka_unit_test(test_add_swap_path),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
