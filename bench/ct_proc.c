/* SPDX-License-Identifier: Apache-2.0 */
/* ct-bench: the agent's footprint, seen from /proc and the cgroup tree. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_client.h"
#include "rootfs.h"
#include "test_spec.h"
#include "ttrpc_client.h"
#include "util.h"

#include "ct_bench.h"

/* --- the agent's footprint, seen from /proc --- */


/* Subdirectories of path whose names start with prefix (all when prefix is NULL). */
int count_dirs(const char *path, const char *prefix)
{
        DIR *d = opendir(path);
        struct dirent *de;
        int n = 0;
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && de->d_type == DT_DIR && (!prefix || startswith(de->d_name, prefix)))
                        n++;
        closedir(d);
        return n;
}

int count_fds(pid_t pid)
{
        char path[64];
        DIR *d;
        struct dirent *de;
        int n = 0;
        snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
        if (!(d = opendir(path)))
                return -1;
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

int count_lines(const char *path)
{
        FILE *f = fopen(path, "re");
        int n = 0, c;
        if (!f)
                return -1;
        while ((c = fgetc(f)) != EOF)
                n += c == '\n';
        fclose(f);
        return n;
}

/*
 * Groups named <tag>-* in every cgroup hierarchy, v1 controllers and v2
 * alike (symlinks such as cpu,cpuacct are skipped: they would count twice).
 */
int count_cgroups(const char *tag)
{
        char prefix[ID_MAX], path[512];
        DIR *d = opendir(CGROUP_ROOT);
        struct dirent *de;
        int n = 0;
        snprintf(prefix, sizeof prefix, "%s-", tag);
        if (!d)
                return 0;
        if (access(CGROUP_ROOT "/cgroup.procs", F_OK) == 0) { /* pure v2 */
                closedir(d);
                return count_dirs(CGROUP_ROOT, prefix);
        }
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                snprintf(path, sizeof path, "%s/%s", CGROUP_ROOT, de->d_name);
                n += count_dirs(path, prefix);
        }
        closedir(d);
        return n;
}

long status_kib(pid_t pid, const char *field)
{
        char path[64], line[256];
        size_t flen = strlen(field);
        long v = -1;
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof line, f))
                if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
                        v = strtol(line + flen + 1, NULL, 10);
                        break;
                }
        if (f)
                fclose(f);
        return v;
}

/*
 * CPU time of the agent and of its reaped children (the container processes),
 * in ns: /proc/PID/stat fields 14-17, in clock ticks.
 */
uint64_t agent_cpu_ns(pid_t pid)
{
        char path[64], buf[1024];
        unsigned long long t[4];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        if (read_small_file(path, buf, sizeof buf, NULL) < 0)
                die("the agent (pid %d) is gone", (int)pid);
        /* comm may hold spaces: the fields after it start at the last ')'. */
        const char *p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &t[0], &t[1],
                         &t[2], &t[3]) != 4)
                die("cannot parse %s", path);
        long hz = sysconf(_SC_CLK_TCK);
        return (t[0] + t[1] + t[2] + t[3]) * (NSEC_PER_SEC / (uint64_t)(hz > 0 ? hz : 100));
}

/* CPU time of this process's reaped children (time-cmd's commands and all they reaped), in ns. */
uint64_t children_cpu_ns(void)
{
        struct rusage ru;
        if (getrusage(RUSAGE_CHILDREN, &ru) < 0)
                return 0;
        return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * NSEC_PER_SEC +
               ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000;
}

struct footprint footprint(pid_t pid, const char *tag)
{
        struct footprint fp = { 0 };
        char path[96];
        int c;
        if (kill(pid, 0) < 0)
                die("the agent (pid %d) is gone", (int)pid);
        fp.rss_kib = status_kib(pid, "VmRSS");
        fp.hwm_kib = status_kib(pid, "VmHWM");
        fp.threads = (int)status_kib(pid, "Threads");
        fp.fds = count_fds(pid);
        snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)pid);
        fp.mounts = count_lines(path);
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
        FILE *f = fopen(path, "re");
        while (f && (c = fgetc(f)) != EOF)
                fp.children += c == ' ';
        if (f)
                fclose(f);
        fp.cgroups = count_cgroups(tag);
        snprintf(path, sizeof path, "/proc/%d/root/run/kata-containers", (int)pid);
        fp.bundles = count_dirs(path, NULL);
        return fp;
}

void footprint_print(const char *suffix, const struct footprint *fp)
{
        printf(" rss_kib_%s=%ld hwm_kib_%s=%ld fds_%s=%d mounts_%s=%d children_%s=%d threads_%s=%d cgroups_%s=%d "
               "bundles_%s=%d",
               suffix, fp->rss_kib, suffix, fp->hwm_kib, suffix, fp->fds, suffix, fp->mounts, suffix, fp->children,
               suffix, fp->threads, suffix, fp->cgroups, suffix, fp->bundles);
}

static bool fs_is(const char *path, unsigned long magic)
{
        struct statfs sf;
        return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == magic;
}

/*
 * A private mount namespace for the agent and the peers alike, so neither
 * touches the host's /run, and both see the same mount table:
 *   - a tmpfs on /run (the agent's /run/kata-containers, crun's and runc's state);
 *   - on a hybrid cgroup host (tmpfs on /sys/fs/cgroup, cgroup2 on its
 *     unified/), a tmpfs over unified/: crun 1.8 refuses hybrid mode when
 *     cgroup2 has any controller ("cgroups in hybrid mode not supported"),
 *     and the agent ignores cgroup2 there anyway. What crun and runc then
 *     write into unified/ lands in that tmpfs and is gone with the namespace.
 * Mounts made outside after this do not propagate in (/ is private), so a
 * count of the agent's mounts is not disturbed by other work on the host.
 */
void enter_private_mount_ns(void)
{
        if (unshare(CLONE_NEWNS) < 0)
                die("unshare(CLONE_NEWNS): %s", strerror(errno));
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                die("making / private: %s", strerror(errno));
        if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                die("tmpfs on /run: %s", strerror(errno));
        if (fs_is(CGROUP_ROOT, TMPFS_MAGIC) && fs_is(CGROUP_ROOT "/unified", CGROUP2_SUPER_MAGIC) &&
            mount("tmpfs", CGROUP_ROOT "/unified", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0)
                die("tmpfs on %s/unified: %s", CGROUP_ROOT, strerror(errno));
}
