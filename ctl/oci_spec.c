/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI config.json -> grpc.Spec: the top level, process, root, mounts, hooks
 * and annotations (the "linux" object is in oci_spec_linux.c), and reading a
 * bundle. The default spec is in oci_spec_default.c.
 *
 * Members are read as Go's encoding/json reads them into runtime-spec's
 * structs (which is what runc and the Kata runtime do): unknown members are
 * ignored, null is the same as absent, integers must fit the Go type exactly.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json_object.h>

#include "cleanup.h"
#include "oci_spec.h"
#include "oci_spec_internal.h"
#include "util.h"

/* ------------------------------------------------------------------ process */

static int box_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__Box *b = msg;
        int r;

        /* Go's uint is 64 bits, the protobuf field 32: refuse what would not fit. */
        if ((r = oci_json_u32(j, o, "height", UINT32_MAX, &b->height)) < 0 ||
            (r = oci_json_u32(j, o, "width", UINT32_MAX, &b->width)) < 0)
                return r;
        return 0;
}

static int user_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__User *u = msg;
        int r;

        if ((r = oci_json_u32(j, o, "uid", UINT32_MAX, &u->uid)) < 0 ||
            (r = oci_json_u32(j, o, "gid", UINT32_MAX, &u->gid)) < 0 ||
            (r = oci_json_u32s(j, o, "additionalGids", &u->additionalgids, &u->n_additionalgids)) < 0 ||
            (r = oci_json_string(j, o, "username", false, &u->username)) < 0)
                return r;
        return 0;
}

static int capabilities_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxCapabilities *c = msg;
        int r;

        if ((r = oci_json_strings(j, o, "bounding", &c->bounding, &c->n_bounding)) < 0 ||
            (r = oci_json_strings(j, o, "effective", &c->effective, &c->n_effective)) < 0 ||
            (r = oci_json_strings(j, o, "inheritable", &c->inheritable, &c->n_inheritable)) < 0 ||
            (r = oci_json_strings(j, o, "permitted", &c->permitted, &c->n_permitted)) < 0 ||
            (r = oci_json_strings(j, o, "ambient", &c->ambient, &c->n_ambient)) < 0)
                return r;
        return 0;
}

static int rlimit_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__POSIXRlimit *l = msg;
        int r;

        /* RLIM_INFINITY is 2^64-1: the whole uint64 range is valid. */
        if ((r = oci_json_string(j, o, "type", true, &l->type)) < 0 ||
            (r = oci_json_u64(j, o, "hard", UINT64_MAX, &l->hard)) < 0 ||
            (r = oci_json_u64(j, o, "soft", UINT64_MAX, &l->soft)) < 0)
                return r;
        return 0;
}

static int process_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__Process *p = msg;
        int r;

        if ((r = oci_json_bool(j, o, "terminal", &p->terminal)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "consoleSize", Grpc__Box, box, box_from_json, p->consolesize)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "user", Grpc__User, user, user_from_json, p->user)) < 0 ||
            (r = oci_json_strings(j, o, "args", &p->args, &p->n_args)) < 0 ||
            (r = oci_json_strings(j, o, "env", &p->env, &p->n_env)) < 0 ||
            (r = oci_json_string(j, o, "cwd", false, &p->cwd)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "capabilities", Grpc__LinuxCapabilities, linux_capabilities,
                                  capabilities_from_json, p->capabilities)) < 0 ||
            (r = OCI_JSON_MESSAGES(j, o, "rlimits", Grpc__POSIXRlimit, posixrlimit, rlimit_from_json,
                                   p->rlimits, p->n_rlimits)) < 0 ||
            (r = oci_json_bool(j, o, "noNewPrivileges", &p->nonewprivileges)) < 0 ||
            (r = oci_json_string(j, o, "apparmorProfile", false, &p->apparmorprofile)) < 0 ||
            (r = oci_json_i64(j, o, "oomScoreAdj", &p->oomscoreadj)) < 0 ||
            (r = oci_json_string(j, o, "selinuxLabel", false, &p->selinuxlabel)) < 0)
                return r;

        /*
         * runtime-spec's Process.User is a struct, not a pointer, so the Kata
         * runtime always sends one: do the same when the member is absent.
         */
        if (!p->user) {
                p->user = malloc(sizeof *p->user);
                if (!p->user)
                        return -ENOMEM;
                grpc__user__init(p->user);
        }
        return 0;
}

/* -------------------------------------------------------- root, mounts, hooks */

static int root_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__Root *root = msg;
        int r;

        if ((r = oci_json_string(j, o, "path", true, &root->path)) < 0 ||
            (r = oci_json_bool(j, o, "readonly", &root->readonly)) < 0)
                return r;
        return 0;
}

static int mount_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__Mount *m = msg;
        int r;

        if ((r = oci_json_string(j, o, "destination", true, &m->destination)) < 0 ||
            (r = oci_json_string(j, o, "source", false, &m->source)) < 0 ||
            (r = oci_json_string(j, o, "type", false, &m->type)) < 0 ||
            (r = oci_json_strings(j, o, "options", &m->options, &m->n_options)) < 0)
                return r;
        return 0;
}

static int hook_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__Hook *h = msg;
        int64_t timeout = 0;
        int r;

        if ((r = oci_json_string(j, o, "path", true, &h->path)) < 0 ||
            (r = oci_json_strings(j, o, "args", &h->args, &h->n_args)) < 0 ||
            (r = oci_json_strings(j, o, "env", &h->env, &h->n_env)) < 0 ||
            (r = oci_json_i64(j, o, "timeout", &timeout)) < 0)
                return r;
        /* The spec requires > 0 when set; 0 would read as "no timeout" in protobuf. */
        if (r > 0 && timeout <= 0) {
                size_t old = oci_json_push_key(j, "timeout");
                r = oci_json_fail(j, "must be greater than zero");
                oci_json_pop(j, old);
                return r;
        }
        h->timeout = timeout;
        return 0;
}

static int hooks_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__Hooks *h = msg;
        int r;

#define HOOK_LIST(key, field) \
        OCI_JSON_MESSAGES(j, o, key, Grpc__Hook, hook, hook_from_json, h->field, h->n_##field)
        if ((r = HOOK_LIST("prestart", prestart)) < 0 ||
            (r = HOOK_LIST("createRuntime", createruntime)) < 0 ||
            (r = HOOK_LIST("createContainer", createcontainer)) < 0 ||
            (r = HOOK_LIST("startContainer", startcontainer)) < 0 ||
            (r = HOOK_LIST("poststart", poststart)) < 0 ||
            (r = HOOK_LIST("poststop", poststop)) < 0)
                return r;
#undef HOOK_LIST
        return 0;
}

/* ------------------------------------------------------------------ top level */

static int spec_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__Spec *s = msg;
        ProtobufCMessage **annotations = NULL;
        size_t n_annotations = 0;
        int r;

        if ((r = oci_json_string(j, o, "ociVersion", true, &s->version)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "process", Grpc__Process, process, process_from_json, s->process)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "root", Grpc__Root, root, root_from_json, s->root)) < 0 ||
            (r = oci_json_string(j, o, "hostname", false, &s->hostname)) < 0 ||
            (r = OCI_JSON_MESSAGES(j, o, "mounts", Grpc__Mount, mount, mount_from_json, s->mounts,
                                   s->n_mounts)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "hooks", Grpc__Hooks, hooks, hooks_from_json, s->hooks)) < 0 ||
            (r = oci_json_string_map(j, o, "annotations", &grpc__spec__annotations_entry__descriptor,
                                     &annotations, &n_annotations)) < 0)
                return r;
        s->annotations = (Grpc__Spec__AnnotationsEntry **)annotations;
        s->n_annotations = n_annotations;
        return OCI_JSON_MESSAGE(j, o, "linux", Grpc__Linux, linux, oci_linux_from_json, s->linux);
}

/*
 * Joins dir and rel and cleans the result lexically, as Go's filepath.Join
 * (which runc uses for a relative root.path): no "." or empty elements, ".."
 * taken back where it can be, no trailing slash.
 */
static char *path_join_clean(const char *dir, const char *rel)
{
        size_t n = strlen(dir) + 1 + strlen(rel);
        _cleanup_free_ char *in = malloc(n + 1);
        char *out = malloc(n + 2);

        if (!in || !out) {
                free(out);
                return NULL;
        }
        snprintf(in, n + 1, "%s/%s", dir, rel);

        bool rooted = in[0] == '/';
        size_t r = 0, w = 0, floor = 0; /* out[..floor] cannot be taken back by ".." */
        if (rooted) {
                out[w++] = '/';
                r = floor = 1;
        }
        while (in[r]) {
                if (in[r] == '/') {
                        r++;
                } else if (in[r] == '.' && (in[r + 1] == '/' || !in[r + 1])) {
                        r++;
                } else if (in[r] == '.' && in[r + 1] == '.' && (in[r + 2] == '/' || !in[r + 2])) {
                        r += 2;
                        if (w > floor) {
                                w--;
                                while (w > floor && out[w] != '/')
                                        w--;
                        } else if (!rooted) {
                                if (w > 0)
                                        out[w++] = '/';
                                out[w++] = '.';
                                out[w++] = '.';
                                floor = w;
                        }
                } else {
                        if ((rooted && w != 1) || (!rooted && w != 0))
                                out[w++] = '/';
                        while (in[r] && in[r] != '/')
                                out[w++] = in[r++];
                }
        }
        if (w == 0)
                out[w++] = '.';
        out[w] = '\0';
        return out;
}

int oci_spec_from_json(const char *json, size_t len, const char *bundle_dir, Grpc__Spec **ret,
                       struct rpc_error *e)
{
        struct json_object *root = NULL;
        struct oci_json j = { .e = e };
        Grpc__Spec *spec;
        int r;

        r = oci_json_parse(json, len, &root, e);
        if (r < 0)
                return r;

        spec = malloc(sizeof *spec);
        if (!spec) {
                json_object_put(root);
                return -ENOMEM;
        }
        grpc__spec__init(spec);
        r = spec_from_json(&j, root, spec);
        json_object_put(root);

        if (r >= 0 && spec->root && spec->root->path[0] != '/' && bundle_dir && bundle_dir[0]) {
                char *abs = path_join_clean(bundle_dir, spec->root->path);
                if (abs) {
                        free(spec->root->path);
                        spec->root->path = abs;
                } else {
                        r = -ENOMEM;
                }
        }
        if (r < 0) {
                protobuf_c_message_free_unpacked(&spec->base, NULL);
                return r;
        }
        *ret = spec;
        return 0;
}

/* ------------------------------------------------------------------ bundles */

/* Reads all of path into a malloc'ed buffer, refusing more than OCI_CONFIG_MAX bytes. */
static int read_config(const char *path, char **ret, size_t *ret_len, struct rpc_error *e)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;
                return rpc_error_set(e, r == -ENOENT ? GRPC_NOT_FOUND : grpc_code_from_errno(r), r,
                                     "cannot open `%.200s`: %s", path, strerror(-r));
        }
        /* One byte more than allowed, to tell "exactly the limit" from "too big". */
        buf = malloc(OCI_CONFIG_MAX + 1);
        if (!buf)
                return -ENOMEM;
        while (len <= OCI_CONFIG_MAX) {
                ssize_t n = read(fd, buf + len, OCI_CONFIG_MAX + 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot read `%.200s`: %s",
                                             path, strerror(-r));
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len > OCI_CONFIG_MAX)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EFBIG,
                                     "`%.200s` is larger than the limit of %u bytes", path,
                                     OCI_CONFIG_MAX);
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int oci_spec_load_bundle(const char *bundle_dir, Grpc__Spec **ret, struct rpc_error *e)
{
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
        char cwd[PATH_MAX];
        size_t len = 0;
        int r;

        if (!bundle_dir || !bundle_dir[0])
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "no bundle directory given");
        /* As runc: a relative bundle is taken from the current directory, so root.path comes out absolute. */
        if (bundle_dir[0] != '/') {
                if (!getcwd(cwd, sizeof cwd)) {
                        r = -errno;
                        return rpc_error_set(e, GRPC_INTERNAL, r, "cannot get the current directory: %s",
                                             strerror(-r));
                }
                dir = path_join_clean(cwd, bundle_dir);
        } else {
                dir = path_join_clean("/", bundle_dir);
        }
        if (!dir)
                return -ENOMEM;
        size_t n = strlen(dir) + sizeof "/config.json";
        path = malloc(n);
        if (!path)
                return -ENOMEM;
        snprintf(path, n, "%s/config.json", dir);

        r = read_config(path, &text, &len, e);
        if (r < 0)
                return r;
        r = oci_spec_from_json(text, len, dir, ret, e);
        if (r < 0)
                rpc_error_prefix(e, "`%.200s`", path);
        return r;
}
