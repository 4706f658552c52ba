/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sandbox's name-resolution files — resolv.conf (CreateSandbox's dns),
 * hosts and hostname — written once into <container_base>/sandbox/ and
 * bind-mounted over /etc/... of every container that shares the sandbox's
 * network namespace, and (as PID 1) over the guest's own /etc/resolv.conf.
 */
#ifndef KINGLET_SANDBOX_FILES_H
#define KINGLET_SANDBOX_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"
#include "status.h"

#define SANDBOX_FILE_PATH_MAX 300

struct agent;

struct sandbox_files {
        bool has_resolv;         /* CreateSandbox gave dns entries: resolv.conf exists */
        bool has_hostname;       /* it gave a hostname: the hostname file exists */
        bool guest_resolv_bound; /* the guest's /etc/resolv.conf is covered (undone on destroy) */
        char resolv_path[SANDBOX_FILE_PATH_MAX];
        char hosts_path[SANDBOX_FILE_PATH_MAX];
        char hostname_path[SANDBOX_FILE_PATH_MAX];
};

/*
 * The files' text, snprintf-style: the length the whole text needs (written
 * only when it fits in size, NUL-terminated). Pure, for tests.
 * resolv.conf: one line per dns entry. hosts: localhost lines, plus
 * "127.0.1.1 <hostname>" when hostname is non-empty (Debian's convention).
 */
size_t sandbox_resolv_conf_text(char *buf, size_t size, char *const *dns, size_t n_dns);
size_t sandbox_hosts_text(char *buf, size_t size, const char *hostname);

/*
 * A hostname goes into hosts and hostname as text: whitespace or control
 * characters would add lines or names there (INVALID_ARGUMENT).
 */
int sandbox_files_check_hostname(const char *hostname, struct rpc_error *e);

/*
 * Writes resolv.conf (if n_dns), hosts (always) and hostname (if hostname is
 * non-empty) into <container_base>/sandbox/, each atomically. The caller has
 * bounded dns and hostname. Fills sf only on success.
 */
int sandbox_files_write(struct sandbox_files *sf, const char *container_base, char *const *dns, size_t n_dns,
                        const char *hostname, struct rpc_error *e);

/*
 * PID 1 only: binds the sandbox's resolv.conf over `guest_path` (the guest's
 * /etc/resolv.conf) as Kata's agent does; skipped (and logged) when there is
 * no dns or no such file.
 */
int sandbox_files_cover_guest(struct sandbox_files *sf, const char *guest_path, struct rpc_error *e);
void sandbox_files_uncover_guest(struct sandbox_files *sf, const char *guest_path);

/*
 * Adds bind mounts of the files at /etc/resolv.conf, /etc/hosts and
 * /etc/hostname to a container plan (after plan_container) when the container
 * shares the agent's network namespace (none in its spec, or a path to the
 * agent's own), skipping destinations the spec already mounts. sf NULL (no
 * sandbox): nothing.
 */
int sandbox_files_plan_mounts(const struct sandbox_files *sf, struct plan *p, struct rpc_error *e);

/* sandbox.c: the sandbox's files, NULL without a sandbox. */
const struct sandbox_files *sandbox_files(const struct agent *a);

#endif
