/* SPDX-License-Identifier: Apache-2.0 */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

int test_rootfs_available(void)
{
        return access(BUSYBOX_PATH, X_OK) == 0;
}

static int write_file(const char *dir, const char *rel, const char *content, mode_t mode)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        size_t n = strlen(content);
        return write(fd, content, n) == (ssize_t)n ? 0 : -EIO;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        char buf[65536];
        ssize_t n;
        if (in < 0 || out < 0)
                return -errno;
        while ((n = read(in, buf, sizeof buf)) > 0)
                if (write(out, buf, (size_t)n) != n)
                        return -EIO;
        return n < 0 ? -errno : 0;
}

/* Applet names from `busybox --list`, one link each: relative, so they work in any root. */
static int link_applets(const char *dir)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid == 0) {
                dup2(p[1], STDOUT_FILENO);
                execl(BUSYBOX_PATH, "busybox", "--list", (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        _cleanup_fclose_ FILE *f = fdopen(p[0], "re");
        char name[64], link[512];
        int r = 0;
        while (f && fgets(name, sizeof name, f)) {
                name[strcspn(name, "\n")] = '\0';
                if (!*name || strcmp(name, "busybox") == 0)
                        continue;
                snprintf(link, sizeof link, "%s/bin/%s", dir, name);
                if (symlink("busybox", link) < 0 && errno != EEXIST)
                        r = -errno;
        }
        int status;
        waitpid(pid, &status, 0);
        return r;
}

int test_rootfs_busybox(const char *dir)
{
        static const char *const dirs[] = { "bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root",
                                            "home", "home/app", "usr", "usr/bin", "var", "run" };
        char path[512];
        int r;

        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
                snprintf(path, sizeof path, "%s/%s", dir, dirs[i]);
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }
        snprintf(path, sizeof path, "%s/tmp", dir);
        (void)chmod(path, 01777);
        snprintf(path, sizeof path, "%s/home/app", dir);
        (void)chown(path, 1000, 1000);
        snprintf(path, sizeof path, "%s/bin/busybox", dir);
        if ((r = copy_file(BUSYBOX_PATH, path, 0755)) < 0)
                return r;
        if ((r = link_applets(dir)) < 0)
                return r;
        if ((r = write_file(dir, "etc/passwd",
                            "root:x:0:0:root:/root:/bin/sh\n"
                            "app:x:1000:1000:app:/home/app:/bin/sh\n"
                            "nobody:x:65534:65534:nobody:/:/bin/false\n", 0644)) < 0)
                return r;
        return write_file(dir, "etc/group",
                          "root:x:0:\nwheel:x:10:app\naudio:x:29:app,root\napp:x:1000:\nnogroup:x:65534:\n", 0644);
}
