/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A spawn plan: everything the child needs to become a container process,
 * parsed and checked in the agent before the child exists. The child (a
 * copy-on-write image of the agent) only reads it: it never allocates, logs or
 * parses, and an invalid spec is an INVALID_ARGUMENT reply, not a dead child.
 */
#ifndef KINGLET_PLAN_H
#define KINGLET_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "oci.pb-c.h"
#include "security.h"
#include "status.h"

/* MOUNTS, ARGS and ENV are the defaults of agent.spec_max_* (agent_limits.h). */
#define PLAN_MAX_MOUNTS 256
#define PLAN_MAX_PATHS 256 /* masked, readonly */
#define PLAN_MAX_DEVICES 256
#define PLAN_MAX_SYSCTLS 256
#define PLAN_MAX_GROUPS 64
#define PLAN_MAX_ARGS 4096
#define PLAN_MAX_ENV 4096
#define PLAN_MAX_IDMAP 340 /* lines the kernel accepts in a uid_map (which must also be < 4096 bytes) */

enum ns_type {
        NS_USER, /* joined first: the others may belong to it */
        NS_MNT,
        NS_PID,
        NS_NET,
        NS_IPC,
        NS_UTS,
        NS_CGROUP,
        NS_COUNT,
};

struct ns_plan {
        bool present; /* the spec names this namespace */
        bool join;    /* ...with a path: join it; else create it */
        int fd;       /* opened in the agent when joining (-1 otherwise) */
};

struct mount_plan {
        const char *source;   /* points into the spec */
        const char *target;   /* absolute, inside the container root */
        const char *fstype;   /* "bind" for bind mounts */
        unsigned long flags;  /* MS_* for the mount itself */
        unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (+MS_REC), applied after */
        bool bind;
        bool remount_after_bind; /* bind with flags (ro, nosuid...): bind, then remount with them */
        char data[512];        /* filesystem options not turned into flags */
        bool is_cgroup;
};

struct device_plan {
        char path[256];
        mode_t mode; /* S_IFCHR/S_IFBLK/S_IFIFO | permission bits */
        dev_t dev;
        uid_t uid;
        gid_t gid;
};

struct sysctl_plan {
        char path[256]; /* /proc/sys/... */
        const char *value;
};

struct idmap_plan {
        char text[PLAN_MAX_IDMAP * 36]; /* "container host size\n" lines, ready to write */
        size_t len;
};

struct plan {
        /* namespaces */
        struct ns_plan ns[NS_COUNT];
        struct idmap_plan uid_map, gid_map;

        /* root filesystem (container init only) */
        bool setup_rootfs;
        const char *rootfs; /* absolute path in the agent's mount namespace */
        bool root_readonly;
        unsigned long rootfs_propagation; /* for the container's "/" (default MS_REC|MS_SLAVE) */
        struct mount_plan *mounts;
        size_t n_mounts;
        const char **masked;
        size_t n_masked;
        const char **readonly;
        size_t n_readonly;
        struct device_plan *devices;
        size_t n_devices;
        bool default_devices;
        struct sysctl_plan *sysctls;
        size_t n_sysctls;
        const char *hostname;
        bool cgroup_v2; /* how to mount "cgroup" type mounts */
        const struct cgroup_env *cgroup_env; /* v1: which hierarchies to show */
        const char *cgroup_rel;              /* the container's group, e.g. "/kata/<id>" */

        /* exec'd processes: enter an existing container */
        int root_fd; /* the container's root (from /proc/<init>/root), or -1 */

        /* process */
        char **argv;
        char **envp;
        const char *path_env; /* PATH from envp, or the default */
        const char *cwd;
        uid_t uid;
        gid_t gid;
        gid_t groups[PLAN_MAX_GROUPS];
        size_t n_groups;
        mode_t umask;
        struct caps caps;
        bool has_caps;
        struct rlimit_set rlimits[RLIMITS_MAX];
        size_t n_rlimits;
        bool no_new_privileges;
        bool set_oom_score_adj;
        char oom_score_adj[16];
        const struct seccomp_prog *seccomp; /* may be NULL */
        bool terminal;
        unsigned short console_rows, console_cols;

        /* stdio the child dup2()s onto 0, 1, 2 (-1: opened from the pty) */
        int stdin_fd, stdout_fd, stderr_fd;
};

/* Zeroes p and marks every descriptor in it closed: call before anything else. */
void plan_init(struct plan *p);

/*
 * Fills the namespace, rootfs, mount, device, sysctl and hostname parts from a
 * container spec. `rootfs` is where the root is bind-mounted for the agent.
 * Opens namespace paths to join (close them with plan_close_fds).
 */
int plan_container(struct plan *p, const Grpc__Spec *spec, const char *rootfs, bool cgroup_v2,
                   struct rpc_error *e);

/*
 * Fills the process part from OCI Process (args, env, cwd, user, caps,
 * rlimits, nnp, oom_score_adj, terminal). `user` overrides process->user when
 * non-NULL (resolved from a string user).
 */
int plan_process(struct plan *p, const Grpc__Process *proc, struct rpc_error *e);

/* Mount options ("ro", "nosuid", "rbind", "mode=755", ...) into m; unknown ones go to data. */
int plan_mount_options(struct mount_plan *m, char *const *options, size_t n, struct rpc_error *e);

void plan_close_fds(struct plan *p);
/* Frees what plan_* allocated (not the spec it points into). */
void plan_free(struct plan *p);

extern const char *const ns_type_names[NS_COUNT]; /* "user", "mount"(OCI name), ... */
extern const char *const ns_proc_names[NS_COUNT]; /* "user", "mnt", ... as in /proc/<pid>/ns */
extern const int ns_clone_flags[NS_COUNT];

#endif
