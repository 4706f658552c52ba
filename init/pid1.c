/* SPDX-License-Identifier: Apache-2.0 */
#include "pid1.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_mounts.h"
#include "cleanup.h"
#include "log.h"
#include "net.h"
#include "util.h"

static struct early_mount_failure proc_failure;
static size_t proc_failed;

void pid1_mount_proc(early_mount_fn do_mount)
{
        proc_failed = early_mounts_run(&early_mount_proc, 1, "", do_mount, &proc_failure, 1);
}

bool pid1_wants_cgroup_v1(const struct kernel_params *kp)
{
        return kp->has_unified_cgroup_hierarchy && !kp->unified_cgroup_hierarchy;
}

static void log_failures(const struct early_mount_failure *f, size_t n, size_t max)
{
        for (size_t i = 0; i < n && i < max; i++)
                log_error_errno(f[i].error, "cannot mount %s on %s", f[i].m->fstype, f[i].m->target);
        if (n > max)
                log_error("%zu more mounts failed", n - max);
}

static void mount_cgroups(const struct kernel_params *kp, early_mount_fn do_mount)
{
        struct early_mount_failure failed[8];
        size_t n;

        if (!pid1_wants_cgroup_v1(kp)) {
                n = early_mounts_run(&cgroup2_mount, 1, "", do_mount, failed, ARRAY_SIZE(failed));
                log_failures(failed, n, ARRAY_SIZE(failed));
                return;
        }
        char text[PROC_CGROUPS_MAX];
        size_t len = 0;
        int r = read_small_file("/proc/cgroups", text, sizeof text, &len);
        if (r < 0) {
                log_error_errno(r, "cgroup v1 asked for, but /proc/cgroups cannot be read: no cgroups");
                return;
        }
        struct cgroup_v1_plan plan;
        cgroup_v1_plan_parse(text, len, &plan);
        n = cgroup_v1_mount(&plan, "", do_mount, failed, ARRAY_SIZE(failed));
        log_failures(failed, n, ARRAY_SIZE(failed));
        log_info("cgroup v1: %zu hierarchies under %s", plan.n, CGROUP_MOUNT_ROOT);
}

int pid1_link_ptmx(const char *root)
{
        char ptmx[PATH_MAX_EARLY], pts_ptmx[PATH_MAX_EARLY];
        struct stat st, pst;

        snprintf(ptmx, sizeof ptmx, "%s/dev/ptmx", root);
        snprintf(pts_ptmx, sizeof pts_ptmx, "%s/dev/pts/ptmx", root);
        if (lstat(ptmx, &st) == 0) {
                if (!S_ISCHR(st.st_mode))
                        return 0; /* a link already, or something we did not make */
                if (stat(pts_ptmx, &pst) < 0 || (pst.st_mode & 0666) != 0666)
                        return 0; /* the node serves the default instance: keep it */
                if (unlink(ptmx) < 0)
                        return -errno;
        } else if (errno != ENOENT)
                return -errno;
        return symlink("pts/ptmx", ptmx) < 0 && errno != EEXIST ? -errno : 1;
}

int pid1_link_dev_fds(const char *root)
{
        static const char *const links[][2] = {
                { "fd", "/proc/self/fd" },
                { "stdin", "/proc/self/fd/0" },
                { "stdout", "/proc/self/fd/1" },
                { "stderr", "/proc/self/fd/2" },
        };
        int first = 0;
        for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
                char path[PATH_MAX_EARLY];
                snprintf(path, sizeof path, "%s/dev/%s", root, links[i][0]);
                if (symlink(links[i][1], path) < 0 && errno != EEXIST && first == 0)
                        first = -errno;
        }
        return first;
}

/* A session of our own with the console as its terminal, and 0-2 on it when the kernel left them closed. */
static void setup_console(void)
{
        if (getsid(0) != getpid() && setsid() < 0)
                log_warn_errno(-errno, "setsid failed");
        _cleanup_close_ int fd = open(PID1_CONSOLE, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
                log_warn_errno(-errno, "cannot open %s: no controlling terminal", PID1_CONSOLE);
                return;
        }
        if (ioctl(fd, TIOCSCTTY, 0) < 0)
                log_warn_errno(-errno, "cannot make %s the controlling terminal", PID1_CONSOLE);
        for (int i = STDIN_FILENO; i <= STDERR_FILENO; i++)
                if (fcntl(i, F_GETFD) < 0 && dup2(fd, i) < 0)
                        log_warn_errno(-errno, "cannot open fd %d on %s", i, PID1_CONSOLE);
}

static bool valid_hostname(const char *s, size_t len)
{
        if (len == 0 || len > 64 || s[0] == '-' || s[0] == '.')
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
                      s[i] == '-' || s[i] == '.'))
                        return false;
        return true;
}

const char *pid1_hostname_choice(const char *current, const char *etc_hostname, char *buf, size_t size)
{
        if (current && *current && !streq(current, "(none)"))
                return NULL;
        if (etc_hostname) {
                size_t skip = strspn(etc_hostname, " \t");
                size_t len = strcspn(etc_hostname + skip, " \t\r\n");
                if (valid_hostname(etc_hostname + skip, len) && len < size) {
                        memcpy(buf, etc_hostname + skip, len);
                        buf[len] = '\0';
                        return buf;
                }
        }
        snprintf(buf, size, "%s", PID1_DEFAULT_HOSTNAME);
        return buf;
}

/* CreateSandbox sets the pod's name later; until then the guest has a name, not "(none)". */
static void setup_hostname(void)
{
        char current[128] = "", file[256], buf[65];
        bool have_file = read_small_file("/etc/hostname", file, sizeof file, NULL) == 0;
        (void)gethostname(current, sizeof current - 1);
        const char *name = pid1_hostname_choice(current, have_file ? file : NULL, buf, sizeof buf);
        if (name && sethostname(name, strlen(name)) < 0)
                log_warn_errno(-errno, "cannot set the hostname to %s", name);
}

uint64_t pid1_nofile_limit(const char *nr_open_text)
{
        char num[32];
        uint64_t v;
        size_t len = nr_open_text ? strcspn(nr_open_text, " \t\n") : 0;
        if (len == 0 || len >= sizeof num)
                return PID1_NOFILE_FALLBACK;
        memcpy(num, nr_open_text, len);
        num[len] = '\0';
        return parse_u64(num, 10, &v) == 0 && v >= 1024 ? v : PID1_NOFILE_FALLBACK;
}

/* Containers inherit it: the kernel's 4096 hard limit is too low for a pod. */
static void raise_nofile(void)
{
        char text[32];
        struct rlimit cur;
        uint64_t want = pid1_nofile_limit(read_small_file("/proc/sys/fs/nr_open", text, sizeof text, NULL) == 0 ? text : NULL);
        struct rlimit rl = { .rlim_cur = want, .rlim_max = want };
        bool have_cur = getrlimit(RLIMIT_NOFILE, &cur) == 0;
        if (have_cur) {
                if (cur.rlim_cur != RLIM_INFINITY && cur.rlim_cur >= want)
                        return;
                if (cur.rlim_max == RLIM_INFINITY || cur.rlim_max > want)
                        rl.rlim_max = cur.rlim_max;
        }
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
                return;
        int r = -errno;
        /* Without CAP_SYS_RESOURCE (a container on a host, not a VM): the hard limit is the most we get. */
        if (have_cur && cur.rlim_cur < cur.rlim_max)
                (void)setrlimit(RLIMIT_NOFILE, &(struct rlimit){ .rlim_cur = cur.rlim_max, .rlim_max = cur.rlim_max });
        log_warn_errno(r, "cannot raise RLIMIT_NOFILE to %llu", (unsigned long long)want);
}

void pid1_setup(const struct kernel_params *kp, early_mount_fn do_mount)
{
        struct early_mount_failure failed[8];
        int r;

        log_failures(&proc_failure, proc_failed, 1);
        size_t n = early_mounts_run(early_mount_table, early_mount_count, "", do_mount, failed, ARRAY_SIZE(failed));
        log_failures(failed, n, ARRAY_SIZE(failed));
        mount_cgroups(kp, do_mount);
        if ((r = pid1_link_ptmx("")) < 0)
                log_warn_errno(r, "cannot link /dev/ptmx to pts/ptmx");
        if ((r = pid1_link_dev_fds("")) < 0)
                log_warn_errno(r, "cannot make the /dev/fd and /dev/std* links");
        setup_console();
        setup_hostname();
        if ((r = net_loopback_up()) < 0)
                log_warn_errno(r, "cannot bring the loopback link up");
        if (setenv("PATH", PID1_PATH, 1) < 0)
                log_warn_errno(-errno, "cannot set PATH");
        raise_nofile();
}
