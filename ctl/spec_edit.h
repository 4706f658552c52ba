/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Edits of a malloc-built grpc.Spec (from oci_spec.h) from command-line
 * flags. Every string and array is allocated the way protobuf-c's
 * free_unpacked(NULL) expects, so the spec is freed as one.
 */
#ifndef KINGLET_SPEC_EDIT_H
#define KINGLET_SPEC_EDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.pb-c.h"
#include "status.h"

/* Settings common to run/create/exec. */
struct process_flags {
        const char *env[64];
        size_t n_env;
        const char *cwd;
        const char *user; /* "USER[:GROUP]", numbers or names (see user_flag_parse) */
        bool tty;
        bool tty_set;
};

struct resource_flags {
        int64_t memory;  /* bytes, 0 = unset */
        double cpus;     /* CPUs, 0 = unset */
        int64_t pids;    /* 0 = unset */
};

/* --user: numbers go into Process.User; names are resolved by the agent from the
 * container's own /etc/passwd and /etc/group, so they travel as a StringUser. */
struct user_flag {
        bool numeric;
        uint32_t uid, gid;
        char user[64], group[64]; /* group "" when not given */
};
int user_flag_parse(const char *s, struct user_flag *ret);
/* Fills *su (pointing into *u) when u holds names; returns whether it did. */
bool user_flag_string_user(struct user_flag *u, Grpc__StringUser *su);

int spec_apply_process_flags(Grpc__Process *p, const struct process_flags *f, struct rpc_error *e);
int spec_apply_resources(Grpc__Spec *s, const struct resource_flags *r, struct rpc_error *e);
int spec_set_hostname(Grpc__Spec *s, const char *hostname, struct rpc_error *e);
/* A LinuxResources for UpdateContainer (caller frees with free_unpacked(NULL)). */
Grpc__LinuxResources *resources_from_flags(const struct resource_flags *r);

/* "512m", "1G", "1048576" -> bytes. */
int parse_size(const char *s, int64_t *ret);

#endif
