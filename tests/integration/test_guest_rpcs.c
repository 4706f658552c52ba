/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest RPCs against the real agent: GetVolumeStats on a tmpfs of known size,
 * ResizeVolume growing xfs and ext4 filesystems on loop devices after the
 * test grew their backing files (online ext4 growth needs CAP_SYS_RESOURCE,
 * which some container hosts drop: there the reply must quote resize2fs'
 * refusal), GetMetrics parsed line by line, Get/SetIPTables
 * through the real iptables tools, and a slow fake iptables-restore (found
 * through KINGLET_HELPER_PATH) proving the loop keeps answering meanwhile.
 *
 * The whole program runs in its own mount and network namespaces (made in
 * main), so the mounts and firewall rules it makes never reach the host;
 * rules use documentation addresses only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "agent_proc.h"
#include "csi.pb-c.h"
#include "health.pb-c.h"
#include "util.h"

#define TMPFS_SIZE (8u << 20)

static bool namespaces_ok;
static char work[64];  /* everything this program makes */
static char tmpfs_dir[128], fake_dir[128];

/* A filesystem image on a loop device, mounted before the agents start (they copy this namespace). */
struct disk {
        const char *fstype;
        unsigned size, grown; /* bytes; xfs wants at least 300 MiB (sparse files: no real space used) */
        char dir[128], image[128], loopdev[64];
};
static struct disk ext4 = { .fstype = "ext4", .size = 32u << 20, .grown = 64u << 20 };
static struct disk xfs = { .fstype = "xfs", .size = 320u << 20, .grown = 640u << 20 };

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

static void write_file(const char *path, const char *content, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
        close(fd);
}

/* A fake iptables-restore: copies its stdin beside itself, sleeps, and fails on input starting with FAIL. */
static const char fake_restore[] = "#!/bin/sh\n"
                                   "cat > \"${0%/*}/stdin.copy\"\n"
                                   "if [ \"$(head -c 4 \"${0%/*}/stdin.copy\")\" = FAIL ]; then\n"
                                   "  echo 'iptables-restore: line 2 failed' >&2; exit 1\n"
                                   "fi\n"
                                   "sleep 1\n"
                                   "echo restored\n";

/* The tool's path in the usual directories (exec does not search PATH here), or NULL. */
static const char *tool_path(const char *name)
{
        static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
        static char path[8][128];
        static unsigned next;
        char *p = path[next++ % 8];
        for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
                snprintf(p, sizeof path[0], "%s/%s", dirs[i], name);
                if (access(p, X_OK) == 0)
                        return p;
        }
        return NULL;
}

static bool have_tool(const char *name)
{
        return tool_path(name) != NULL;
}

static void make_disk(struct disk *d)
{
        char mkfs[32], out[256];
        snprintf(mkfs, sizeof mkfs, "mkfs.%s", d->fstype);
        if (!have_tool(mkfs))
                return;
        snprintf(d->dir, sizeof d->dir, "%s/%s", work, d->fstype);
        snprintf(d->image, sizeof d->image, "%s/%s.img", work, d->fstype);
        assert_int_equal(mkdir(d->dir, 0755), 0);
        int fd = open(d->image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, d->size), 0);
        close(fd);
        const char *mk[] = { tool_path(mkfs), "-q", streq(d->fstype, "xfs") ? "-f" : "-F", d->image, NULL };
        assert_int_equal(run_capture(mk, true, out, sizeof out), 0);
        const char *losetup[] = { tool_path("losetup"), "-f", "--show", d->image, NULL };
        assert_int_equal(run_capture(losetup, true, d->loopdev, sizeof d->loopdev), 0);
        strstrip_trailing(d->loopdev);
        assert_int_equal(mount(d->loopdev, d->dir, d->fstype, 0, NULL), 0);
}

static void remove_disk(struct disk *d)
{
        char out[128];
        if (!d->loopdev[0])
                return;
        umount2(d->dir, MNT_DETACH);
        const char *detach[] = { tool_path("losetup"), "-d", d->loopdev, NULL };
        (void)run_capture(detach, true, out, sizeof out);
}

/* CAP_SYS_RESOURCE, which online ext4 growth needs (some container hosts drop it; a guest's PID 1 has it). */
static bool have_cap_sys_resource(void)
{
        char line[128];
        unsigned long long eff = 0;
        FILE *f = fopen("/proc/self/status", "re");
        while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "CapEff: %llx", &eff) == 1)
                        break;
        if (f)
                fclose(f);
        return eff & (1ull << 24);
}

static int group_setup(void **state)
{
        char out[256];
        (void)state;
        if (!namespaces_ok || !agent_can_run() || !have_tool("mkfs.ext4") || !have_tool("losetup"))
                return 0;
        snprintf(work, sizeof work, "/tmp/kinglet-guest-rpcs-XXXXXX");
        assert_non_null(mkdtemp(work));
        snprintf(tmpfs_dir, sizeof tmpfs_dir, "%s/tmpfs", work);
        snprintf(fake_dir, sizeof fake_dir, "%s/fake-bin", work);
        assert_int_equal(mkdir(tmpfs_dir, 0755), 0);
        assert_int_equal(mkdir(fake_dir, 0755), 0);
        snprintf(out, sizeof out, "size=%u", TMPFS_SIZE);
        assert_int_equal(mount("tmpfs", tmpfs_dir, "tmpfs", 0, out), 0);

        make_disk(&ext4);
        make_disk(&xfs);

        snprintf(out, sizeof out, "%s/iptables-restore", fake_dir);
        write_file(out, fake_restore, 0755);
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        if (!work[0])
                return 0;
        umount2(tmpfs_dir, MNT_DETACH);
        remove_disk(&ext4);
        remove_disk(&xfs);
        nftw(work, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

static int setup(void **state)
{
        if (!work[0])
                skip();
        return agent_test_setup(state);
}

/* An agent whose helpers come from the fake directory only. */
static int setup_fake_helpers(void **state)
{
        static char env[160];
        static const char *envs[] = { env, NULL };
        struct agent_opts o = { .env = envs };
        if (!work[0])
                skip();
        snprintf(env, sizeof env, "KINGLET_HELPER_PATH=%s", fake_dir);
        struct agent_proc *a = calloc(1, sizeof *a);
        assert_non_null(a);
        if (agent_start(a, &o) < 0) {
                agent_dump_log(a);
                fail_msg("agent did not start");
        }
        *state = a;
        return 0;
}

static int call(struct agent_proc *a, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *type, ProtobufCMessage **ret, char *msg, size_t msg_size)
{
        struct ttrpc_client *c = agent_connect(a);
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        assert_non_null(c);
        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", method, req, type, 0, &st, ret, &e), 0);
        if (msg)
                snprintf(msg, msg_size, "%s", st.message);
        int code = st.code;
        ttrpc_reply_clear(&st);
        ttrpc_client_free(c);
        return code;
}

static Grpc__VolumeStatsResponse *volume_stats(struct agent_proc *a, const char *path)
{
        Grpc__VolumeStatsRequest req = GRPC__VOLUME_STATS_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        req.volume_guest_path = (char *)path;
        assert_int_equal(call(a, "GetVolumeStats", &req.base, &grpc__volume_stats_response__descriptor, &m, NULL, 0),
                         GRPC_OK);
        return (Grpc__VolumeStatsResponse *)m;
}

static void test_volume_stats_tmpfs(void **state)
{
        struct agent_proc *a = *state;
        char path[200];
        snprintf(path, sizeof path, "%s/used", tmpfs_dir);
        char *mib = calloc(1, 1 << 20);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_int_equal(write(fd, mib, 1 << 20), 1 << 20);
        close(fd);
        free(mib);

        Grpc__VolumeStatsResponse *v = volume_stats(a, tmpfs_dir);
        assert_int_equal(v->n_usage, 2);
        assert_int_equal(v->usage[0]->unit, GRPC__VOLUME_USAGE__UNIT__BYTES);
        assert_int_equal(v->usage[0]->total, TMPFS_SIZE);
        assert_int_equal(v->usage[0]->used, 1 << 20);
        assert_int_equal(v->usage[0]->available, TMPFS_SIZE - (1 << 20));
        assert_int_equal(v->usage[1]->unit, GRPC__VOLUME_USAGE__UNIT__INODES);
        assert_true(v->usage[1]->used >= 2); /* the root directory and the file */
        assert_false(v->volume_condition->abnormal);
        protobuf_c_message_free_unpacked(&v->base, NULL);
}

static int resize(struct agent_proc *a, const char *path, uint64_t size, char *msg, size_t msg_size)
{
        Grpc__ResizeVolumeRequest req = GRPC__RESIZE_VOLUME_REQUEST__INIT;
        req.volume_guest_path = (char *)path;
        req.size = size;
        return call(a, "ResizeVolume", &req.base, NULL, NULL, msg, msg_size);
}

/* Grows the disk under d: the backing file, then the loop device's idea of its size. */
static void grow_disk(struct disk *d)
{
        char out[128];
        assert_int_equal(truncate(d->image, d->grown), 0);
        const char *refresh[] = { tool_path("losetup"), "-c", d->loopdev, NULL };
        assert_int_equal(run_capture(refresh, true, out, sizeof out), 0);
}

static uint64_t fs_bytes(const char *dir)
{
        struct statfs st;
        assert_int_equal(statfs(dir, &st), 0);
        return (uint64_t)st.f_blocks * st.f_bsize;
}

static void test_resize_volume(void **state)
{
        struct agent_proc *a = *state;
        char msg[512];
        struct disk *disks[] = { &xfs, &ext4 };
        bool resized = false;

        for (size_t i = 0; i < 2; i++) {
                struct disk *d = disks[i];
                char tool[32];
                snprintf(tool, sizeof tool, "%s", streq(d->fstype, "xfs") ? "xfs_growfs" : "resize2fs");
                if (!d->loopdev[0] || !have_tool(tool))
                        continue;
                uint64_t before = fs_bytes(d->dir);
                grow_disk(d);
                /* More than the disk has: refused before anything runs. */
                assert_int_equal(resize(a, d->dir, (uint64_t)d->grown * 2, msg, sizeof msg), GRPC_FAILED_PRECONDITION);
                assert_non_null(strstr(msg, "grow the disk first"));
                int code = resize(a, d->dir, d->grown, msg, sizeof msg);
                if (streq(d->fstype, "ext4") && !have_cap_sys_resource()) {
                        /* The kernel refuses online ext4 growth here; the reply quotes resize2fs saying so. */
                        assert_int_equal(code, GRPC_INTERNAL);
                        assert_non_null(strstr(msg, "Permission denied to resize filesystem"));
                        continue;
                }
                if (code != GRPC_OK)
                        fail_msg("ResizeVolume %s: %s %s", d->fstype, grpc_code_name(code), msg);
                /* About twice the blocks now (less the new metadata's overhead), as the agent also reports. */
                uint64_t after = fs_bytes(d->dir);
                assert_true(after > before * 3 / 2);
                Grpc__VolumeStatsResponse *v = volume_stats(a, d->dir);
                assert_int_equal(v->usage[0]->total, after);
                protobuf_c_message_free_unpacked(&v->base, NULL);
                resized = true;
        }
        /* tmpfs is not block-backed. */
        assert_int_equal(resize(a, tmpfs_dir, 0, msg, sizeof msg), GRPC_FAILED_PRECONDITION);
        assert_non_null(strstr(msg, "tmpfs"));
        if (!resized)
                skip();
}

/* Every line is a comment or `name[{labels}] number`. */
static void test_metrics_parse(void **state)
{
        struct agent_proc *a = *state;
        Grpc__GetMetricsRequest req = GRPC__GET_METRICS_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        assert_int_equal(call(a, "GetMetrics", &req.base, &grpc__metrics__descriptor, &m, NULL, 0), GRPC_OK);
        const char *text = ((Grpc__Metrics *)m)->metrics;
        size_t samples = 0;
        bool rss = false;
        for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
                assert_non_null(strchr(line, '\n'));
                if (line[0] == '#')
                        continue;
                size_t name = strspn(line, "abcdefghijklmnopqrstuvwxyz_0123456789");
                const char *p = line + name;
                assert_true(name > 0);
                if (*p == '{')
                        p = strchr(p, '}') + 1;
                assert_true(*p == ' ');
                char *end;
                double v = strtod(p + 1, &end);
                assert_true(*end == '\n');
                if (startswith(line, "kata_agent_total_rss "))
                        rss = v > 0;
                samples++;
        }
        assert_true(rss);
        assert_true(samples > 10);
        protobuf_c_message_free_unpacked(m, NULL);
}

static int set_rules(struct agent_proc *a, bool v6, const char *rules, char *msg, size_t size)
{
        Grpc__SetIPTablesRequest req = GRPC__SET_IPTABLES_REQUEST__INIT;
        req.is_ipv6 = v6;
        req.data.data = (uint8_t *)rules;
        req.data.len = strlen(rules);
        return call(a, "SetIPTables", &req.base, &grpc__set_iptables_response__descriptor, NULL, msg, size);
}

static char *get_rules(struct agent_proc *a, bool v6)
{
        Grpc__GetIPTablesRequest req = GRPC__GET_IPTABLES_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        req.is_ipv6 = v6;
        assert_int_equal(call(a, "GetIPTables", &req.base, &grpc__get_iptables_response__descriptor, &m, NULL, 0),
                         GRPC_OK);
        Grpc__GetIPTablesResponse *r = (Grpc__GetIPTablesResponse *)m;
        /* A namespace without tables saves as nothing: an empty reply carries no data pointer. */
        char *text = r->data.len ? strndup((const char *)r->data.data, r->data.len) : strdup("");
        protobuf_c_message_free_unpacked(m, NULL);
        return text;
}

static void test_iptables_roundtrip(void **state)
{
        struct agent_proc *a = *state;
        char msg[512];
        static const char v4[] = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                                 "-A INPUT -s 192.0.2.7/32 -j DROP\n-A OUTPUT -d 198.51.100.0/24 -j REJECT\nCOMMIT\n";
        static const char v6[] = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                                 "-A INPUT -s 2001:db8::7/128 -j DROP\nCOMMIT\n";

        if (!have_tool("iptables-restore") || !have_tool("ip6tables-restore"))
                skip();
        char *before = get_rules(a, false);
        assert_null(strstr(before, "192.0.2.7"));
        free(before);
        int code = set_rules(a, false, v4, msg, sizeof msg);
        if (code != GRPC_OK)
                fail_msg("SetIPTables: %s %s", grpc_code_name(code), msg);
        char *after = get_rules(a, false);
        assert_non_null(strstr(after, "-A INPUT -s 192.0.2.7/32 -j DROP"));
        assert_non_null(strstr(after, "-A OUTPUT -d 198.51.100.0/24 -j REJECT"));
        free(after);

        assert_int_equal(set_rules(a, true, v6, msg, sizeof msg), GRPC_OK);
        char *six = get_rules(a, true);
        assert_non_null(strstr(six, "-A INPUT -s 2001:db8::7/128 -j DROP"));
        free(six);

        /* Rules the tool refuses: the error quotes what it said. */
        assert_int_equal(set_rules(a, false, "*filter\n-A NOSUCHCHAIN -j DROP\nCOMMIT\n", msg, sizeof msg),
                         GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(msg, "iptables-restore failed (exit status"));
        assert_non_null(strstr(msg, "line"));
}

static void test_fake_restore_does_not_block(void **state)
{
        struct agent_proc *a = *state;
        struct ttrpc_client *c = agent_connect(a);
        char msg[512], path[200];
        enum { SIZE = 256 * 1024 }; /* four pipe buffers: stdin must be fed as the script reads */
        char *rules = malloc(SIZE + 1);
        for (size_t i = 0; i < SIZE; i++)
                rules[i] = (char)('a' + i % 26);
        rules[SIZE - 1] = '\n';
        rules[SIZE] = '\0';

        Grpc__SetIPTablesRequest set = GRPC__SET_IPTABLES_REQUEST__INIT;
        set.data.data = (uint8_t *)rules;
        set.data.len = SIZE;
        Grpc__CheckRequest check = GRPC__CHECK_REQUEST__INIT;
        uint64_t t0 = now_ns();
        assert_int_equal(ttrpc_client_send(c, "grpc.AgentService", "SetIPTables", &set.base, 0, NULL), 0);
        assert_int_equal(ttrpc_client_send(c, "grpc.Health", "Check", &check.base, 0, NULL), 0);
        /* The Check comes back first, while the script still sleeps; then the SetIPTables. */
        struct ttrpc_reply r;
        assert_int_equal(ttrpc_client_recv(c, 5000, &r), 0);
        assert_int_equal(r.stream_id, 3);
        assert_int_equal(r.code, GRPC_OK);
        assert_true(now_ns() - t0 < 700 * NSEC_PER_MSEC);
        ttrpc_reply_clear(&r);
        assert_int_equal(ttrpc_client_recv(c, 10000, &r), 0);
        assert_int_equal(r.stream_id, 1);
        assert_int_equal(r.code, GRPC_OK);
        assert_true(now_ns() - t0 >= 1000 * NSEC_PER_MSEC);
        Grpc__SetIPTablesResponse *resp = (Grpc__SetIPTablesResponse *)protobuf_c_message_unpack(
                &grpc__set_iptables_response__descriptor, NULL, r.payload_len, r.payload);
        assert_non_null(resp);
        assert_int_equal(resp->data.len, strlen("restored\n"));
        assert_memory_equal(resp->data.data, "restored\n", resp->data.len);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        ttrpc_reply_clear(&r);
        ttrpc_client_free(c);

        /* Every byte went through stdin. */
        snprintf(path, sizeof path, "%s/stdin.copy", fake_dir);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, SIZE);

        /* A client deadline ends the wait: the script is killed, the agent keeps serving. */
        struct ttrpc_client *c2 = agent_connect(a);
        struct ttrpc_reply late;
        struct rpc_error e = { 0 };
        set.data.len = 10;
        assert_int_equal(ttrpc_client_call(c2, "grpc.AgentService", "SetIPTables", &set.base, NULL,
                                           200 * (int64_t)NSEC_PER_MSEC, &late, NULL, &e),
                         0);
        assert_int_equal(late.code, GRPC_DEADLINE_EXCEEDED);
        ttrpc_reply_clear(&late);
        assert_int_equal(agent_check(c2), GRPC_OK);
        ttrpc_client_free(c2);
        free(rules);

        assert_int_equal(set_rules(a, false, "FAIL\nCOMMIT\n", msg, sizeof msg), GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(msg, "exit status 1"));
        assert_non_null(strstr(msg, "iptables-restore: line 2 failed"));

        /* Not in the (fake) image: said plainly. */
        Grpc__GetIPTablesRequest get = GRPC__GET_IPTABLES_REQUEST__INIT;
        assert_int_equal(call(a, "GetIPTables", &get.base, NULL, NULL, msg, sizeof msg), GRPC_UNIMPLEMENTED);
        assert_non_null(strstr(msg, "iptables-save is not in this guest image"));
        if (xfs.loopdev[0]) {
                assert_int_equal(resize(a, xfs.dir, 0, msg, sizeof msg), GRPC_FAILED_PRECONDITION);
                assert_non_null(strstr(msg, "xfs_growfs is not in this guest image"));
        }
}

static void test_unsupported_say_why(void **state)
{
        struct agent_proc *a = *state;
        char msg[512];
        Grpc__MemAgentMemcgConfig memcg = GRPC__MEM_AGENT_MEMCG_CONFIG__INIT;
        assert_int_equal(call(a, "MemAgentMemcgSet", &memcg.base, NULL, NULL, msg, sizeof msg), GRPC_UNIMPLEMENTED);
        assert_non_null(strstr(msg, "no memory agent"));
        Grpc__GetDiagnosticDataRequest dd = GRPC__GET_DIAGNOSTIC_DATA_REQUEST__INIT;
        assert_int_equal(call(a, "GetDiagnosticData", &dd.base, NULL, NULL, msg, sizeof msg), GRPC_UNIMPLEMENTED);
        assert_non_null(strstr(msg, "no diagnostic data"));
}

int main(void)
{
        /* Our own mounts and firewall: nothing here reaches the host's. */
        namespaces_ok = geteuid() == 0 && unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 &&
                        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_volume_stats_tmpfs, setup, agent_test_teardown),
                cmocka_unit_test_setup_teardown(test_resize_volume, setup, agent_test_teardown),
                cmocka_unit_test_setup_teardown(test_metrics_parse, setup, agent_test_teardown),
                cmocka_unit_test_setup_teardown(test_iptables_roundtrip, setup, agent_test_teardown),
                cmocka_unit_test_setup_teardown(test_fake_restore_does_not_block, setup_fake_helpers,
                                                agent_test_teardown),
                cmocka_unit_test_setup_teardown(test_unsupported_say_why, setup, agent_test_teardown),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
