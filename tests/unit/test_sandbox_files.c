/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox's resolv.conf, hosts and hostname: their text, the files, and the mounts a plan gets. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox_files.h"
#include "util.h"

static char *dns[] = { (char *)"nameserver 192.0.2.53", (char *)"search example.com", (char *)"options ndots:2" };

static void test_resolv_text(void **state)
{
        (void)state;
        char buf[128];
        const char *want = "nameserver 192.0.2.53\nsearch example.com\noptions ndots:2\n";
        assert_int_equal(sandbox_resolv_conf_text(buf, sizeof buf, dns, 3), strlen(want));
        assert_string_equal(buf, want);
        /* snprintf-style: the needed length without a buffer, nothing written past a short one. */
        assert_int_equal(sandbox_resolv_conf_text(NULL, 0, dns, 3), strlen(want));
        memset(buf, 'x', sizeof buf);
        assert_int_equal(sandbox_resolv_conf_text(buf, 10, dns, 3), strlen(want));
        assert_true(strlen(buf) < 10);
        assert_int_equal(sandbox_resolv_conf_text(buf, sizeof buf, dns, 0), 0);
        assert_string_equal(buf, "");
}

static void test_hosts_text(void **state)
{
        (void)state;
        char buf[256];
        const char *with = "127.0.0.1\tlocalhost\n127.0.1.1\tpod-a\n::1\tlocalhost ip6-localhost ip6-loopback\n";
        const char *without = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
        assert_int_equal(sandbox_hosts_text(buf, sizeof buf, "pod-a"), strlen(with));
        assert_string_equal(buf, with);
        assert_int_equal(sandbox_hosts_text(buf, sizeof buf, ""), strlen(without));
        assert_string_equal(buf, without);
        assert_int_equal(sandbox_hosts_text(buf, sizeof buf, NULL), strlen(without));
        assert_string_equal(buf, without);
}

static void test_check_hostname(void **state)
{
        (void)state;
        struct rpc_error e = { 0 };
        assert_int_equal(sandbox_files_check_hostname("pod-a.example.com", &e), 0);
        assert_int_equal(sandbox_files_check_hostname("", &e), 0);
        assert_int_equal(sandbox_files_check_hostname(NULL, &e), 0);
        static const char *const bad[] = { "pod\n127.0.0.1 evil", "pod a", "pod\t", "pod\x7f", "\x01" };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                assert_int_equal(sandbox_files_check_hostname(bad[i], &e), -EINVAL);
                assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
                assert_non_null(strstr(e.msg, "whitespace or a control character"));
        }
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

static void expect_file(const char *dir, const char *name, const char *content)
{
        char path[256], buf[512];
        struct stat st;
        snprintf(path, sizeof path, "%s/sandbox/%s", dir, name);
        assert_int_equal(read_small_file(path, buf, sizeof buf, NULL), 0);
        assert_string_equal(buf, content);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
}

static bool exists(const char *dir, const char *name)
{
        char path[256];
        snprintf(path, sizeof path, "%s/sandbox/%s", dir, name);
        return access(path, F_OK) == 0;
}

static void test_write_files(void **state)
{
        (void)state;
        char base[] = "/tmp/kinglet-sandbox-files-XXXXXX";
        struct sandbox_files sf = { 0 };
        struct rpc_error e = { 0 };
        assert_non_null(mkdtemp(base));
        mode_t old = umask(077); /* the files must still be readable by every container user */
        assert_int_equal(sandbox_files_write(&sf, base, dns, 2, "pod-a", &e), 0);
        umask(old);
        assert_true(sf.has_resolv && sf.has_hostname && !sf.guest_resolv_bound);
        expect_file(base, "resolv.conf", "nameserver 192.0.2.53\nsearch example.com\n");
        expect_file(base, "hosts", "127.0.0.1\tlocalhost\n127.0.1.1\tpod-a\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        expect_file(base, "hostname", "pod-a\n");
        assert_false(exists(base, "resolv.conf.tmp"));
        assert_false(exists(base, "hosts.tmp"));
        nftw(base, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

        /* No dns, no hostname: hosts only. */
        assert_non_null(mkdtemp(strcpy(base, "/tmp/kinglet-sandbox-files-XXXXXX")));
        memset(&sf, 0, sizeof sf);
        assert_int_equal(sandbox_files_write(&sf, base, NULL, 0, NULL, &e), 0);
        assert_false(sf.has_resolv || sf.has_hostname);
        assert_false(exists(base, "resolv.conf"));
        assert_false(exists(base, "hostname"));
        expect_file(base, "hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        nftw(base, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

        /* A base that cannot hold the directory: an error, sf untouched. */
        sf.has_hostname = true;
        assert_true(sandbox_files_write(&sf, "/nonexistent/kinglet", dns, 1, "x", &e) < 0);
        assert_int_equal(e.code, GRPC_INTERNAL);
        assert_non_null(strstr(e.msg, "/nonexistent/kinglet/sandbox"));
        assert_true(sf.has_hostname && !sf.has_resolv);
}

static struct sandbox_files files_for_plan(void)
{
        struct sandbox_files sf = { .has_resolv = true, .has_hostname = true };
        snprintf(sf.resolv_path, sizeof sf.resolv_path, "/run/kata-containers/sandbox/resolv.conf");
        snprintf(sf.hosts_path, sizeof sf.hosts_path, "/run/kata-containers/sandbox/hosts");
        snprintf(sf.hostname_path, sizeof sf.hostname_path, "/run/kata-containers/sandbox/hostname");
        return sf;
}

/* A plan holding `n` spec mounts at the given targets (as plan_container leaves it). */
static void plan_with(struct plan *p, const char *const *targets, size_t n)
{
        plan_init(p);
        p->mounts = calloc(n ? n : 1, sizeof *p->mounts);
        assert_non_null(p->mounts);
        for (size_t i = 0; i < n; i++) {
                p->mounts[i].target = targets[i];
                p->mounts[i].fstype = "tmpfs";
        }
        p->n_mounts = n;
}

static const struct mount_plan *find_target(const struct plan *p, const char *target)
{
        for (size_t i = 0; i < p->n_mounts; i++)
                if (streq(p->mounts[i].target, target))
                        return &p->mounts[i];
        return NULL;
}

static void test_plan_shared_network(void **state)
{
        (void)state;
        struct sandbox_files sf = files_for_plan();
        struct rpc_error e = { 0 };
        struct plan p;
        const char *proc[] = { "/proc" };
        plan_with(&p, proc, 1);
        assert_int_equal(sandbox_files_plan_mounts(&sf, &p, &e), 0);
        assert_int_equal(p.n_mounts, 4);
        const struct mount_plan *m = find_target(&p, "/etc/resolv.conf");
        assert_non_null(m);
        assert_string_equal(m->source, sf.resolv_path);
        assert_true(m->bind && m->remount_after_bind);
        assert_int_equal(m->flags, MS_BIND | MS_NOSUID | MS_NODEV); /* read-write */
        assert_string_equal(find_target(&p, "/etc/hosts")->source, sf.hosts_path);
        assert_string_equal(find_target(&p, "/etc/hostname")->source, sf.hostname_path);
        assert_ptr_equal(&p.mounts[0], find_target(&p, "/proc")); /* after the spec's, in order */
        plan_free(&p);

        /* No dns, no hostname: hosts only. No sandbox: nothing. */
        sf.has_resolv = sf.has_hostname = false;
        plan_with(&p, NULL, 0);
        assert_int_equal(sandbox_files_plan_mounts(&sf, &p, &e), 0);
        assert_int_equal(p.n_mounts, 1);
        assert_string_equal(p.mounts[0].target, "/etc/hosts");
        plan_free(&p);
        plan_with(&p, NULL, 0);
        assert_int_equal(sandbox_files_plan_mounts(NULL, &p, &e), 0);
        assert_int_equal(p.n_mounts, 0);
        plan_free(&p);
}

/* The spec's own mount at a destination wins, however the path is spelled. */
static void test_plan_spec_mount_wins(void **state)
{
        (void)state;
        struct sandbox_files sf = files_for_plan();
        struct rpc_error e = { 0 };
        struct plan p;
        const char *targets[] = { "//etc/resolv.conf/", "/etc/hosts" };
        plan_with(&p, targets, 2);
        assert_int_equal(sandbox_files_plan_mounts(&sf, &p, &e), 0);
        assert_int_equal(p.n_mounts, 3);
        assert_string_equal(p.mounts[2].target, "/etc/hostname");
        plan_free(&p);
}

static void test_plan_network_namespaces(void **state)
{
        (void)state;
        struct sandbox_files sf = files_for_plan();
        struct rpc_error e = { 0 };
        struct plan p;

        /* A new network namespace: nothing. */
        plan_with(&p, NULL, 0);
        p.ns[NS_NET].present = true;
        assert_int_equal(sandbox_files_plan_mounts(&sf, &p, &e), 0);
        assert_int_equal(p.n_mounts, 0);
        plan_free(&p);

        /* Joining ours by path: shared. */
        plan_with(&p, NULL, 0);
        p.ns[NS_NET].present = p.ns[NS_NET].join = true;
        p.ns[NS_NET].fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        assert_true(p.ns[NS_NET].fd >= 0);
        assert_int_equal(sandbox_files_plan_mounts(&sf, &p, &e), 0);
        assert_int_equal(p.n_mounts, 3);
        plan_free(&p);

        /* Joining another one (not ours: any other namespace file stands in): nothing. */
        plan_with(&p, NULL, 0);
        p.ns[NS_NET].present = p.ns[NS_NET].join = true;
        p.ns[NS_NET].fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        assert_true(p.ns[NS_NET].fd >= 0);
        assert_int_equal(sandbox_files_plan_mounts(&sf, &p, &e), 0);
        assert_int_equal(p.n_mounts, 0);
        plan_free(&p);
}

/* In a private mount namespace: the guest file is covered, then uncovered; a missing one is skipped. */
static int cover_in_child(const char *dir)
{
        char guest[256], missing[256], buf[128];
        struct sandbox_files sf = { 0 };
        struct rpc_error e = { 0 };
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 77;
        snprintf(guest, sizeof guest, "%s/guest-resolv.conf", dir);
        snprintf(missing, sizeof missing, "%s/missing", dir);
        int fd = open(guest, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return 1;
        close(fd);
        if (sandbox_files_write(&sf, dir, dns, 1, NULL, &e) < 0)
                return 2;
        if (sandbox_files_cover_guest(&sf, missing, &e) < 0 || sf.guest_resolv_bound)
                return 3;
        if (sandbox_files_cover_guest(&sf, guest, &e) < 0 || !sf.guest_resolv_bound)
                return 4;
        if (read_small_file(guest, buf, sizeof buf, NULL) < 0 || !streq(buf, "nameserver 192.0.2.53\n"))
                return 5;
        sandbox_files_uncover_guest(&sf, guest);
        if (sf.guest_resolv_bound || read_small_file(guest, buf, sizeof buf, NULL) < 0 || buf[0])
                return 6;
        return 0;
}

static void test_cover_guest(void **state)
{
        (void)state;
        char dir[] = "/tmp/kinglet-sandbox-cover-XXXXXX";
        int status;
        if (geteuid() != 0)
                skip();
        assert_non_null(mkdtemp(dir));
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(cover_in_child(dir));
        assert_int_equal(waitpid(pid, &status, 0), pid);
        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
                skip();
        assert_int_equal(status, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_resolv_text),
                cmocka_unit_test(test_hosts_text),
                cmocka_unit_test(test_check_hostname),
                cmocka_unit_test(test_write_files),
                cmocka_unit_test(test_plan_shared_network),
                cmocka_unit_test(test_plan_spec_mount_wins),
                cmocka_unit_test(test_plan_network_namespaces),
                cmocka_unit_test(test_cover_guest),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
