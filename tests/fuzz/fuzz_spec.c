/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the checks CreateContainer runs on a request before
 * anything exists: the container and exec ids, the spawn plan
 * (plan_container, plan_process), the string user resolved against the
 * image's /etc/passwd and /etc/group (user_resolve), storage mount options,
 * hooks, the seccomp profile (compiled in memory), the cgroup path and the
 * merged device rules with the resource checks. Nothing is created, mounted,
 * written or spawned outside a private temporary directory.
 *
 * Input: a grpc.CreateContainerRequest in protobuf, optionally followed by
 *
 *     "\n--etc/passwd--\n" <the rootfs's etc/passwd>
 *     "\n--etc/group--\n"  <the rootfs's etc/group>
 *
 * in either order; a file without its marker does not exist. The rootfs is
 * /tmp/kingfuzz-spec-XXXXXX/rootfs, private to the process and removed at exit.
 *
 * plan_container opens the namespace paths it is given. Only
 * /proc/self/ns/<name> is opened as such; any other path is replaced, for
 * this call, by one that does not exist, so no device or FIFO is ever opened.
 *
 * Every step either succeeds with an output inside its documented bounds or
 * fails with a gRPC code and a message; a failing user_resolve leaves the plan
 * alone, and no descriptor outlives the input. Set KINGLET_FUZZ_LOG to see
 * each step's outcome.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "cgroup_internal.h"
#include "containers.h"
#include "devices_default.h"
#include "fuzz_spec.h"
#include "hooks.h"
#include "log.h"
#include "plan.h"
#include "security.h"
#include "user.h"

#define BASE_TEMPLATE "/tmp/kingfuzz-spec-XXXXXX"

static struct {
        bool ready;
        char base[sizeof BASE_TEMPLATE];
        char rootfs[sizeof BASE_TEMPLATE + 16];
        char missing_ns[sizeof BASE_TEMPLATE + 16];
        int root_fd;
        int etc_fd;
        bool verbose;
} fz;

static void die(const char *what)
{
        fprintf(stderr, "fuzz_spec: %s: %s\n", what, strerror(errno));
        abort();
}

static void remove_base(void)
{
        (void)unlinkat(fz.etc_fd, "passwd", 0);
        (void)unlinkat(fz.etc_fd, "group", 0);
        (void)unlinkat(fz.root_fd, "etc", AT_REMOVEDIR);
        (void)rmdir(fz.rootfs);
        (void)rmdir(fz.base);
}

static void setup(void)
{
        log_setup("fuzz_spec", LOG_LEVEL_ERROR, LOG_SINK_STDERR);
        fz.verbose = getenv("KINGLET_FUZZ_LOG") != NULL;
        snprintf(fz.base, sizeof fz.base, "%s", BASE_TEMPLATE);
        if (!mkdtemp(fz.base))
                die("mkdtemp");
        snprintf(fz.rootfs, sizeof fz.rootfs, "%s/rootfs", fz.base);
        snprintf(fz.missing_ns, sizeof fz.missing_ns, "%s/no-such-ns", fz.base);
        if (mkdir(fz.rootfs, 0755) < 0)
                die("mkdir rootfs");
        fz.root_fd = open(fz.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fz.root_fd < 0 || mkdirat(fz.root_fd, "etc", 0755) < 0)
                die("rootfs/etc");
        fz.etc_fd = openat(fz.root_fd, "etc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fz.etc_fd < 0)
                die("open rootfs/etc");
        atexit(remove_base);
        fz.ready = true;
}

/* The lowest free descriptor: the same before and after an input, or something leaked. */
static int lowest_free_fd(void)
{
        int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
                __builtin_trap();
        close(fd);
        return fd;
}

/* --- the input's parts --- */

struct part {
        const uint8_t *p;
        size_t len;
        bool present;
};

static const uint8_t *find(const uint8_t *data, size_t size, const char *marker)
{
        return memmem(data, size, marker, strlen(marker));
}

/* Cuts the input into the request and the two files. */
static void split_input(const uint8_t *data, size_t size, struct part *req, struct part *passwd,
                        struct part *group)
{
        const uint8_t *end = data + size, *pw = find(data, size, FUZZ_SPEC_PASSWD_MARKER);
        const uint8_t *gr = find(data, size, FUZZ_SPEC_GROUP_MARKER);
        const uint8_t *first = pw && (!gr || pw < gr) ? pw : gr;

        *req = (struct part){ data, first ? (size_t)(first - data) : size, true };
        *passwd = (struct part){ 0 };
        *group = (struct part){ 0 };
        if (pw) {
                const uint8_t *start = pw + strlen(FUZZ_SPEC_PASSWD_MARKER);
                const uint8_t *stop = gr && gr > pw ? gr : end;
                *passwd = (struct part){ start, stop > start ? (size_t)(stop - start) : 0, true };
        }
        if (gr) {
                const uint8_t *start = gr + strlen(FUZZ_SPEC_GROUP_MARKER);
                const uint8_t *stop = pw && pw > gr ? pw : end;
                *group = (struct part){ start, stop > start ? (size_t)(stop - start) : 0, true };
        }
}

static void put_file(const char *name, const struct part *f)
{
        (void)unlinkat(fz.etc_fd, name, 0);
        if (!f->present)
                return;
        int fd = openat(fz.etc_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                die("create an etc file");
        for (size_t done = 0; done < f->len;) {
                ssize_t n = write(fd, f->p + done, f->len - done);
                if (n <= 0)
                        die("write an etc file");
                done += (size_t)n;
        }
        close(fd);
}

/* --- checks --- */

static void check_error(int r, const struct rpc_error *e)
{
        if (r >= 0 || e->code <= GRPC_OK || e->code > GRPC_CODE_MAX || !memchr(e->msg, '\0', sizeof e->msg) ||
            !e->msg[0])
                __builtin_trap();
}

/* A step's outcome: checked when it failed, and shown with KINGLET_FUZZ_LOG set. */
static void outcome(const char *step, int r, const struct rpc_error *e)
{
        if (r < 0)
                check_error(r, e);
        if (fz.verbose)
                fprintf(stderr, "fuzz_spec: %s: %s%s%s\n", step, r < 0 ? grpc_code_name(e->code) : "ok",
                        r < 0 ? ": " : "", r < 0 ? e->msg : "");
}

static bool terminated(const char *s, size_t size)
{
        return memchr(s, '\0', size) != NULL;
}

/* Absolute, and no "." or ".." component: it is resolved inside the container's root. */
static void check_clean_absolute(const char *p)
{
        if (!p || p[0] != '/')
                __builtin_trap();
        for (const char *c = p; *c;) {
                while (*c == '/')
                        c++;
                size_t n = strcspn(c, "/");
                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        __builtin_trap();
                c += n;
        }
}

static void check_idmap(const struct idmap_plan *m)
{
        /* Written to uid_map/gid_map in one write, which the kernel takes only below a page. */
        if (m->len >= 4096 || m->len >= sizeof m->text || strlen(m->text) != m->len)
                __builtin_trap();
        size_t lines = 0;
        for (const char *p = m->text; (p = strchr(p, '\n')); p++)
                lines++;
        if (lines > PLAN_MAX_IDMAP || (m->len && m->text[m->len - 1] != '\n'))
                __builtin_trap();
}

static void check_mount(const struct mount_plan *m)
{
        if (!terminated(m->data, sizeof m->data))
                __builtin_trap();
        if (m->bind != !!(m->flags & MS_BIND) || (m->remount_after_bind && !m->bind))
                __builtin_trap();
        if (m->propagation & ~(unsigned long)(MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE | MS_REC))
                __builtin_trap();
}

static void check_container_plan(const struct plan *p, const Grpc__Spec *spec)
{
        for (int i = 0; i < NS_COUNT; i++) {
                const struct ns_plan *n = &p->ns[i];
                if ((n->fd >= 0) != n->join || (n->join && !n->present))
                        __builtin_trap();
        }
        if (!p->ns[NS_MNT].present || p->ns[NS_MNT].join || !p->setup_rootfs || p->rootfs != fz.rootfs)
                __builtin_trap();
        if (p->ns[NS_USER].present && !p->ns[NS_USER].join && (!p->uid_map.len || !p->gid_map.len))
                __builtin_trap();
        check_idmap(&p->uid_map);
        check_idmap(&p->gid_map);
        if (!p->rootfs_propagation)
                __builtin_trap();

        if (p->n_mounts > PLAN_MAX_MOUNTS || p->n_mounts != spec->n_mounts)
                __builtin_trap();
        for (size_t i = 0; i < p->n_mounts; i++) {
                const struct mount_plan *m = &p->mounts[i];
                check_clean_absolute(m->target);
                check_mount(m);
                if ((m->bind && !m->source) || (!m->bind && !m->fstype))
                        __builtin_trap();
        }
        if (p->n_masked > PLAN_MAX_PATHS || p->n_readonly > PLAN_MAX_PATHS)
                __builtin_trap();
        for (size_t i = 0; i < p->n_masked; i++)
                check_clean_absolute(p->masked[i]);
        for (size_t i = 0; i < p->n_readonly; i++)
                check_clean_absolute(p->readonly[i]);

        if (p->n_devices > PLAN_MAX_DEVICES || !p->default_devices)
                __builtin_trap();
        for (size_t i = 0; i < p->n_devices; i++) {
                const struct device_plan *d = &p->devices[i];
                if (!terminated(d->path, sizeof d->path))
                        __builtin_trap();
                check_clean_absolute(d->path);
                mode_t type = d->mode & S_IFMT;
                if ((type != S_IFCHR && type != S_IFBLK && type != S_IFIFO) || (d->mode & ~(S_IFMT | 07777)))
                        __builtin_trap();
        }

        if (p->n_sysctls > PLAN_MAX_SYSCTLS)
                __builtin_trap();
        for (size_t i = 0; i < p->n_sysctls; i++) {
                const struct sysctl_plan *s = &p->sysctls[i];
                if (!terminated(s->path, sizeof s->path) || strncmp(s->path, "/proc/sys/", 10) != 0 ||
                    !s->path[10] || !s->value)
                        __builtin_trap();
                check_clean_absolute(s->path);
        }
        if (p->hostname && (strlen(p->hostname) > 64 || !p->ns[NS_UTS].present))
                __builtin_trap();
}

static void check_process_plan(const struct plan *p, const Grpc__Process *proc)
{
        if (!p->argv || !p->envp || !p->argv[0] || !*p->argv[0] || !p->path_env)
                __builtin_trap();
        size_t n = 0;
        while (p->argv[n])
                n++;
        if (n != proc->n_args || n > PLAN_MAX_ARGS)
                __builtin_trap();
        for (n = 0; p->envp[n]; n++)
                if (!strchr(p->envp[n], '='))
                        __builtin_trap();
        if (n != proc->n_env || n > PLAN_MAX_ENV)
                __builtin_trap();
        if (!p->cwd || p->cwd[0] != '/' || p->n_groups > PLAN_MAX_GROUPS || p->n_rlimits > RLIMITS_MAX)
                __builtin_trap();
        for (size_t i = 0; i < p->n_rlimits; i++)
                if (p->rlimits[i].limit.rlim_cur > p->rlimits[i].limit.rlim_max)
                        __builtin_trap();
        if (p->has_caps && (p->caps.effective & ~p->caps.permitted))
                __builtin_trap();
        if (p->set_oom_score_adj) {
                if (!terminated(p->oom_score_adj, sizeof p->oom_score_adj))
                        __builtin_trap();
                long v = strtol(p->oom_score_adj, NULL, 10);
                if (v < -1000 || v > 1000 || v == 0)
                        __builtin_trap();
        }
}

static bool numeric(const char *s, uint32_t *ret)
{
        char *end;
        if (!s || *s < '0' || *s > '9')
                return false;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v > UINT32_MAX)
                return false;
        *ret = (uint32_t)v;
        return true;
}

static void fuzz_user(const Grpc__StringUser *su, struct plan *p)
{
        struct rpc_error e = { 0 };
        uid_t uid = p->uid;
        gid_t gid = p->gid;
        size_t n_groups = p->n_groups;
        gid_t groups[PLAN_MAX_GROUPS];
        memcpy(groups, p->groups, sizeof groups);

        int r = user_resolve(fz.root_fd, su, p, &e);
        outcome("user_resolve", r, &e);
        if (r < 0) {
                /* A failure leaves the plan as it was. */
                if (p->uid != uid || p->gid != gid || p->n_groups != n_groups ||
                    memcmp(p->groups, groups, sizeof groups) != 0)
                        __builtin_trap();
                return;
        }
        if (r != 0 || p->n_groups > PLAN_MAX_GROUPS)
                __builtin_trap();
        if (su->n_additionalgids && p->n_groups != su->n_additionalgids)
                __builtin_trap();
        uint32_t id;
        /* Numbers are ids as they stand, whatever the files say. */
        if (numeric(su->uid && *su->uid ? su->uid : "0", &id) && p->uid != id)
                __builtin_trap();
        if (su->gid && numeric(su->gid, &id) && p->gid != id)
                __builtin_trap();
        for (size_t i = 0; i < su->n_additionalgids; i++)
                if (numeric(su->additionalgids[i], &id) && p->groups[i] != id)
                        __builtin_trap();
}

/* Each component: not empty, not . or .., no control characters, NAME_MAX at most. */
static void check_cgroup_path(const char *path)
{
        size_t len = strnlen(path, CGROUP_PATH_MAX);
        if (len == 0 || len >= CGROUP_PATH_MAX || path[0] != '/' || len < 2)
                __builtin_trap();
        for (const char *c = path + 1;;) {
                size_t n = strcspn(c, "/");
                if (n == 0 || n > NAME_MAX || (n == 1 && c[0] == '.') ||
                    (n == 2 && c[0] == '.' && c[1] == '.'))
                        __builtin_trap();
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f)
                                __builtin_trap();
                if (!c[n])
                        break;
                c += n + 1;
        }
}

/* The rest of create_with_plan's checks: storages, hooks, seccomp, cgroup path, device rules. */
static void fuzz_other_checks(const Grpc__CreateContainerRequest *req, const Grpc__Spec *spec)
{
        const Grpc__Linux *linux = spec->linux;
        struct rpc_error e = { 0 };
        int r;

        for (size_t i = 0; i < req->n_storages; i++) {
                struct mount_plan mp;
                memset(&mp, 0, sizeof mp);
                mp.target = req->storages[i]->mount_point;
                e = (struct rpc_error){ 0 };
                r = plan_mount_options(&mp, req->storages[i]->options, req->storages[i]->n_options, &e);
                outcome("storage options", r, &e);
                if (r == 0)
                        check_mount(&mp);
        }

        for (int stage = 0; stage < HOOK_STAGES; stage++) {
                struct hook_list hooks;
                e = (struct rpc_error){ 0 };
                r = hooks_collect(spec->hooks, NULL, (enum hook_stage)stage, &hooks, &e);
                outcome("hooks_collect", r, &e);
                if (r < 0) {
                        if (hooks.h || hooks.n)
                                __builtin_trap();
                        continue;
                }
                for (size_t i = 0; i < hooks.n; i++)
                        if (!hooks.h[i].path || hooks.h[i].path[0] != '/' || !hooks.h[i].args ||
                            !hooks.h[i].args[0] || !hooks.h[i].env || hooks.h[i].timeout_s <= 0)
                                __builtin_trap();
                hooks_free(&hooks);
        }

        if (linux && linux->seccomp) {
                struct seccomp_prog prog = { 0 };
                e = (struct rpc_error){ 0 };
                r = seccomp_compile(linux->seccomp, &prog, &e);
                outcome("seccomp_compile", r, &e);
                if (r == 0 && (prog.len == 0) != (prog.filter == NULL))
                        __builtin_trap();
                seccomp_prog_free(&prog);
        }

        char path[CGROUP_PATH_MAX];
        e = (struct rpc_error){ 0 };
        r = cgroup_resolve_path(linux ? linux->cgroupspath : NULL, req->container_id, path, sizeof path, &e);
        outcome("cgroup_resolve_path", r, &e);
        if (r == 0)
                check_cgroup_path(path);

        struct merged_resources merged;
        if (devices_merge_rules(linux ? linux->resources : NULL, linux, &merged) != 0)
                __builtin_trap();
        e = (struct rpc_error){ 0 };
        r = cg_check_common(&merged.res, &e);
        outcome("cg_check_common", r, &e);
        devices_merged_free(&merged);
}

/* --- namespace paths --- */

/* /proc/self/ns/<name> of a namespace this agent knows: harmless to open. */
static bool harmless_ns_path(const char *path)
{
        static const char prefix[] = "/proc/self/ns/";
        if (strncmp(path, prefix, sizeof prefix - 1) != 0)
                return false;
        for (int i = 0; i < NS_COUNT; i++)
                if (strcmp(path + sizeof prefix - 1, ns_proc_names[i]) == 0)
                        return true;
        return false;
}

/* Points every other path at one that does not exist; returns the originals to put back. */
static char **confine_ns_paths(Grpc__Linux *linux)
{
        if (!linux || !linux->n_namespaces)
                return NULL;
        char **saved = calloc(linux->n_namespaces, sizeof *saved);
        if (!saved)
                __builtin_trap();
        for (size_t i = 0; i < linux->n_namespaces; i++) {
                Grpc__LinuxNamespace *n = linux->namespaces[i];
                saved[i] = n->path;
                if (n->path && *n->path && !harmless_ns_path(n->path))
                        n->path = fz.missing_ns;
        }
        return saved;
}

static void restore_ns_paths(Grpc__Linux *linux, char **saved)
{
        if (!saved)
                return;
        for (size_t i = 0; i < linux->n_namespaces; i++)
                linux->namespaces[i]->path = saved[i];
        free(saved);
}

static void fuzz_spec(const Grpc__CreateContainerRequest *req, Grpc__Spec *spec)
{
        struct plan *p = malloc(sizeof *p);
        if (!p)
                __builtin_trap();
        char **saved = confine_ns_paths(spec->linux);

        plan_init(p);
        struct rpc_error e = { 0 };
        int r = plan_container(p, spec, fz.rootfs, true, &e);
        outcome("plan_container", r, &e);
        if (r == 0) {
                check_container_plan(p, spec);
                e = (struct rpc_error){ 0 };
                r = plan_process(p, spec->process, &e);
                outcome("plan_process", r, &e);
                if (r == 0)
                        check_process_plan(p, spec->process);
        }
        if (req->string_user)
                fuzz_user(req->string_user, p);
        fuzz_other_checks(req, spec);

        plan_free(p);
        for (int i = 0; i < NS_COUNT; i++)
                if (p->ns[i].fd != -1)
                        __builtin_trap();
        if (p->root_fd != -1 || p->mounts || p->masked || p->readonly || p->devices || p->sysctls ||
            p->argv || p->envp)
                __builtin_trap();
        free(p);
        restore_ns_paths(spec->linux, saved);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!fz.ready)
                setup();

        struct part req_part, passwd, group;
        split_input(data, size, &req_part, &passwd, &group);
        /* The generated code has no per-message unpack: the agent goes through the descriptor too. */
        Grpc__CreateContainerRequest *req = (Grpc__CreateContainerRequest *)protobuf_c_message_unpack(
                &grpc__create_container_request__descriptor, NULL, req_part.len, req_part.p);
        if (!req)
                return 0;
        if (req->string_user) {
                put_file("passwd", &passwd);
                put_file("group", &group);
        }

        int fds = lowest_free_fd();
        struct rpc_error e = { 0 };
        int r = container_id_check("container_id", req->container_id, &e);
        outcome("container_id_check", r, &e);
        if (req->exec_id && *req->exec_id) {
                e = (struct rpc_error){ 0 };
                r = container_id_check("exec_id", req->exec_id, &e);
                outcome("container_id_check exec_id", r, &e);
        }
        if (req->oci)
                fuzz_spec(req, req->oci);
        if (lowest_free_fd() != fds)
                __builtin_trap();

        protobuf_c_message_free_unpacked(&req->base, NULL);
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
