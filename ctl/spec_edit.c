/* SPDX-License-Identifier: Apache-2.0 */
#include "spec_edit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static int set_string(char **field, const char *value)
{
        char *copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        if (*field && *field != protobuf_c_empty_string)
                free(*field);
        *field = copy;
        return 0;
}

static int append_string(size_t *n, char ***arr, const char *value)
{
        char **grown = realloc(*arr, (*n + 1) * sizeof *grown);
        if (!grown)
                return -ENOMEM;
        *arr = grown;
        if (!(grown[*n] = strdup(value)))
                return -ENOMEM;
        (*n)++;
        return 0;
}

/* Replaces KEY=... if present, else appends. */
static int set_env(Grpc__Process *p, const char *kv)
{
        size_t klen = strcspn(kv, "=");
        for (size_t i = 0; i < p->n_env; i++)
                if (strncmp(p->env[i], kv, klen) == 0 && p->env[i][klen] == '=')
                        return set_string(&p->env[i], kv);
        return append_string(&p->n_env, &p->env, kv);
}

int user_flag_parse(const char *s, struct user_flag *ret)
{
        struct user_flag u = { 0 };
        const char *colon = strchr(s, ':');
        size_t ulen = colon ? (size_t)(colon - s) : strlen(s);
        if (ulen == 0 || ulen >= sizeof u.user || (colon && (!colon[1] || strlen(colon + 1) >= sizeof u.group)))
                return -EINVAL;
        memcpy(u.user, s, ulen);
        if (colon)
                snprintf(u.group, sizeof u.group, "%s", colon + 1);
        u.numeric = parse_u32(u.user, 10, &u.uid) == 0 && (!colon || parse_u32(u.group, 10, &u.gid) == 0);
        *ret = u;
        return 0;
}

bool user_flag_string_user(struct user_flag *u, Grpc__StringUser *su)
{
        if (u->numeric)
                return false;
        grpc__string_user__init(su);
        su->uid = u->user;
        if (u->group[0])
                su->gid = u->group;
        return true;
}

int spec_apply_process_flags(Grpc__Process *p, const struct process_flags *f, struct rpc_error *e)
{
        int r = 0;
        for (size_t i = 0; r == 0 && i < f->n_env; i++) {
                if (!strchr(f->env[i], '='))
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "--env `%s` is not KEY=VALUE", f->env[i]);
                r = set_env(p, f->env[i]);
        }
        if (r == 0 && f->cwd)
                r = set_string(&p->cwd, f->cwd);
        if (r == 0 && f->user) {
                struct user_flag u;
                if (user_flag_parse(f->user, &u) < 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "--user wants USER[:GROUP] (names or numbers), got `%s`", f->user);
                if (u.numeric) {
                        if (!p->user) {
                                p->user = malloc(sizeof *p->user);
                                if (!p->user)
                                        return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory");
                                grpc__user__init(p->user);
                        }
                        p->user->uid = u.uid;
                        p->user->gid = u.gid;
                }
        }
        if (f->tty_set)
                p->terminal = f->tty;
        return r < 0 ? rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, r, "out of memory") : 0;
}

#define ENSURE(ptr, type, init)                        \
        do {                                           \
                if (!(ptr)) {                          \
                        (ptr) = malloc(sizeof(type));  \
                        if (!(ptr))                    \
                                return NULL;           \
                        init(ptr);                     \
                }                                      \
        } while (0)

static Grpc__LinuxResources *fill_resources(Grpc__LinuxResources *res, const struct resource_flags *r)
{
        if (r->memory) {
                ENSURE(res->memory, Grpc__LinuxMemory, grpc__linux_memory__init);
                res->memory->limit = r->memory;
        }
        if (r->cpus > 0) {
                ENSURE(res->cpu, Grpc__LinuxCPU, grpc__linux_cpu__init);
                res->cpu->period = 100000;
                res->cpu->quota = (int64_t)(r->cpus * 100000);
        }
        if (r->pids) {
                ENSURE(res->pids, Grpc__LinuxPids, grpc__linux_pids__init);
                res->pids->limit = r->pids;
        }
        return res;
}

Grpc__LinuxResources *resources_from_flags(const struct resource_flags *r)
{
        Grpc__LinuxResources *res = malloc(sizeof *res);
        if (!res)
                return NULL;
        grpc__linux_resources__init(res);
        if (!fill_resources(res, r)) {
                protobuf_c_message_free_unpacked(&res->base, NULL);
                return NULL;
        }
        return res;
}

static Grpc__Linux *ensure_linux(Grpc__Spec *s)
{
        ENSURE(s->linux, Grpc__Linux, grpc__linux__init);
        ENSURE(s->linux->resources, Grpc__LinuxResources, grpc__linux_resources__init);
        return s->linux;
}

int spec_apply_resources(Grpc__Spec *s, const struct resource_flags *r, struct rpc_error *e)
{
        if (!r->memory && r->cpus <= 0 && !r->pids)
                return 0;
        if (!ensure_linux(s) || !fill_resources(s->linux->resources, r))
                return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory");
        return 0;
}

int spec_set_hostname(Grpc__Spec *s, const char *hostname, struct rpc_error *e)
{
        if (strlen(hostname) > 64)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "--hostname is longer than 64 bytes");
        return set_string(&s->hostname, hostname) < 0 ? rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory")
                                                      : 0;
}

int parse_size(const char *s, int64_t *ret)
{
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || v < 0)
                return -EINVAL;
        double mult = 1;
        if (*end) {
                switch (*end | 0x20) {
                case 'k': mult = 1024.0; break;
                case 'm': mult = 1024.0 * 1024; break;
                case 'g': mult = 1024.0 * 1024 * 1024; break;
                default: return -EINVAL;
                }
                end++;
                if (*end == 'b' || *end == 'B' || (*end == 'i' && (end[1] == 'B' || end[1] == 'b')))
                        end += *end == 'i' ? 2 : 1;
                if (*end)
                        return -EINVAL;
        }
        if (v * mult > 9.2e18)
                return -ERANGE;
        *ret = (int64_t)(v * mult);
        return 0;
}
