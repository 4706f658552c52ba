/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resolv.conf, hosts and hostname of the sandbox (see sandbox_files.h). They
 * are written once per sandbox and bound into containers by inode, so each is
 * written to a temporary name and renamed: nobody ever sees half a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "sandbox_files.h"
#include "util.h"

/* Appends to buf as snprintf would, keeping the running length even past size. */
static void append(char *buf, size_t size, size_t *len, const char *s)
{
        size_t n = strlen(s);
        if (*len + n < size)
                memcpy(buf + *len, s, n + 1);
        *len += n;
}

size_t sandbox_resolv_conf_text(char *buf, size_t size, char *const *dns, size_t n_dns)
{
        size_t len = 0;
        if (size)
                buf[0] = '\0';
        for (size_t i = 0; i < n_dns; i++) {
                append(buf, size, &len, dns[i]);
                append(buf, size, &len, "\n");
        }
        return len;
}

size_t sandbox_hosts_text(char *buf, size_t size, const char *hostname)
{
        size_t len = 0;
        if (size)
                buf[0] = '\0';
        append(buf, size, &len, "127.0.0.1\tlocalhost\n");
        if (hostname && *hostname) {
                append(buf, size, &len, "127.0.1.1\t");
                append(buf, size, &len, hostname);
                append(buf, size, &len, "\n");
        }
        append(buf, size, &len, "::1\tlocalhost ip6-localhost ip6-loopback\n");
        return len;
}

int sandbox_files_check_hostname(const char *hostname, struct rpc_error *e)
{
        for (const char *c = hostname; c && *c; c++)
                if ((unsigned char)*c <= ' ' || *c == 0x7f)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "hostname `%.80s` contains whitespace or a control character",
                                             hostname);
        return 0;
}

/* path.tmp, written and renamed over path; readable by every container user. */
static int write_atomic(const char *path, const char *text, size_t len, struct rpc_error *e)
{
        char tmp[SANDBOX_FILE_PATH_MAX + 8];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        int r = fd < 0 ? -errno : 0;
        if (r == 0 && fchmod(fd, 0644) < 0) /* the agent's umask must not hide it from non-root users */
                r = -errno;
        if (r == 0)
                r = write_all(fd, text, len);
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlink(tmp);
                return rpc_error_set(e, GRPC_INTERNAL, r, "cannot write %s: %s", path, strerror(-r));
        }
        return 0;
}

int sandbox_files_write(struct sandbox_files *sf, const char *container_base, char *const *dns, size_t n_dns,
                        const char *hostname, struct rpc_error *e)
{
        struct sandbox_files new = { .has_resolv = n_dns > 0, .has_hostname = hostname && *hostname };
        char dir[SANDBOX_FILE_PATH_MAX - 16];
        int r;

        if (strlen(container_base) + sizeof "/sandbox" > sizeof dir)
                return rpc_error_set(e, GRPC_INTERNAL, -ENAMETOOLONG, "container base `%.200s` is too long",
                                     container_base);
        snprintf(dir, sizeof dir, "%s/sandbox", container_base);
        snprintf(new.resolv_path, sizeof new.resolv_path, "%s/resolv.conf", dir);
        snprintf(new.hosts_path, sizeof new.hosts_path, "%s/hosts", dir);
        snprintf(new.hostname_path, sizeof new.hostname_path, "%s/hostname", dir);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return rpc_error_set(e, GRPC_INTERNAL, -errno, "cannot create %s: %s", dir, strerror(errno));

        if (new.has_resolv) {
                /* dns is bounded by sandbox.c (64 entries of 512 bytes): at most ~33 KiB. */
                size_t len = sandbox_resolv_conf_text(NULL, 0, dns, n_dns);
                _cleanup_free_ char *text = malloc(len + 1);
                if (!text)
                        return -ENOMEM;
                sandbox_resolv_conf_text(text, len + 1, dns, n_dns);
                if ((r = write_atomic(new.resolv_path, text, len, e)) < 0)
                        return r;
        }
        char hosts[256], name[80];
        size_t len = sandbox_hosts_text(hosts, sizeof hosts, hostname);
        if (len >= sizeof hosts) /* the hostname is at most 64 bytes (checked by the caller) */
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "hostname `%.80s` is too long", hostname);
        if ((r = write_atomic(new.hosts_path, hosts, len, e)) < 0)
                return r;
        if (new.has_hostname) {
                len = (size_t)snprintf(name, sizeof name, "%s\n", hostname);
                if (len >= sizeof name)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "hostname `%.80s` is too long",
                                             hostname);
                if ((r = write_atomic(new.hostname_path, name, len, e)) < 0)
                        return r;
        }
        *sf = new;
        return 0;
}

int sandbox_files_cover_guest(struct sandbox_files *sf, const char *guest_path, struct rpc_error *e)
{
        struct stat st;
        if (!sf->has_resolv)
                return 0;
        if (stat(guest_path, &st) < 0) {
                log_info("%s does not exist (%s): the sandbox's dns reaches containers only", guest_path,
                         strerror(errno));
                return 0;
        }
        if (mount(sf->resolv_path, guest_path, NULL, MS_BIND, NULL) < 0)
                return rpc_error_set(e, GRPC_INTERNAL, -errno, "cannot bind %s over %s: %s", sf->resolv_path,
                                     guest_path, strerror(errno));
        sf->guest_resolv_bound = true;
        return 0;
}

void sandbox_files_uncover_guest(struct sandbox_files *sf, const char *guest_path)
{
        if (!sf->guest_resolv_bound)
                return;
        if (umount2(guest_path, MNT_DETACH) < 0)
                log_warn("cannot unmount the sandbox's resolv.conf from %s: %s", guest_path, strerror(errno));
        sf->guest_resolv_bound = false;
}

/* No network namespace in the spec, or a path naming the agent's own. */
static int shares_agent_netns(const struct plan *p, bool *ret)
{
        const struct ns_plan *ns = &p->ns[NS_NET];
        struct stat mine, theirs;
        if (!ns->present) {
                *ret = true;
                return 0;
        }
        if (!ns->join) {
                *ret = false;
                return 0;
        }
        if (stat("/proc/self/ns/net", &mine) < 0 || fstat(ns->fd, &theirs) < 0)
                return -errno;
        *ret = mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino;
        return 0;
}

/* Equal as paths: repeated and trailing slashes do not count ("//etc/hosts/" is "/etc/hosts"). */
static bool same_path(const char *a, const char *b)
{
        for (;;) {
                while (*a == '/' && (a[1] == '/' || a[1] == '\0'))
                        a++;
                while (*b == '/' && (b[1] == '/' || b[1] == '\0'))
                        b++;
                if (*a != *b)
                        return false;
                if (!*a)
                        return true;
                a++, b++;
        }
}

static bool spec_mounts(const struct plan *p, const char *target)
{
        for (size_t i = 0; i < p->n_mounts; i++)
                if (same_path(p->mounts[i].target, target))
                        return true;
        return false;
}

int sandbox_files_plan_mounts(const struct sandbox_files *sf, struct plan *p, struct rpc_error *e)
{
        static char *const options[] = { (char *)"bind", (char *)"nosuid", (char *)"nodev" };
        bool shares = false;
        if (!sf)
                return 0;
        int r = shares_agent_netns(p, &shares);
        if (r < 0)
                return rpc_error_set(e, GRPC_INTERNAL, r, "cannot compare network namespaces: %s", strerror(-r));
        if (!shares)
                return 0;
        const struct {
                bool wanted;
                const char *source, *target;
        } files[] = {
                { sf->has_resolv, sf->resolv_path, "/etc/resolv.conf" },
                { true, sf->hosts_path, "/etc/hosts" },
                { sf->has_hostname, sf->hostname_path, "/etc/hostname" },
        };
        struct mount_plan *grown = realloc(p->mounts, (p->n_mounts + ARRAY_SIZE(files)) * sizeof *grown);
        if (!grown)
                return -ENOMEM;
        p->mounts = grown;
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                if (!files[i].wanted || spec_mounts(p, files[i].target))
                        continue; /* the runtime's own mount there wins */
                struct mount_plan *m = &p->mounts[p->n_mounts];
                memset(m, 0, sizeof *m);
                m->source = files[i].source;
                m->target = files[i].target;
                m->fstype = "bind";
                if ((r = plan_mount_options(m, options, ARRAY_SIZE(options), e)) < 0)
                        return r;
                p->n_mounts++;
        }
        return 0;
}
