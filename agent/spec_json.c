/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc.Spec -> OCI runtime-spec JSON. A generic writer walks the protobuf-c
 * descriptors of oci.proto; the JSON name of a field is its proto name with
 * the leading capitals lowered ("OOMScoreAdj" -> "oomScoreAdj", "UIDMappings"
 * -> "uidMappings", "BlockIO" -> "blockIO"), and a table below holds what the
 * runtime-spec names otherwise or treats specially. proto3 has no presence
 * for scalars: a zero, empty string or empty list is left out, except for the
 * members runtime-spec requires and those where zero means something (uid 0).
 * Messages are written when present, even empty ("capabilities": {} is not
 * the same as no capabilities). map<string, string> fields become objects.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"
#include "spec_json.h"
#include "util.h"

enum {
        F_ALWAYS = 1 << 0,     /* written even when zero, empty or absent (a required member) */
        F_SKIP = 1 << 1,       /* never written */
        F_ANY_IF_NEG = 1 << 2, /* a negative number means "any": left out, as runtime-spec spells it */
};

struct field_rule {
        const ProtobufCMessageDescriptor *msg;
        const char *fields; /* proto field names, separated by spaces */
        unsigned flags;
        const char *json;   /* the JSON name, when not the mechanical one (one field) */
};

static const struct field_rule rules[] = {
        { &grpc__spec__descriptor, "Version", F_ALWAYS, "ociVersion" },
        /* oci.proto's placeholders ({"dummy"}): not runtime-spec's solaris and windows objects. */
        { &grpc__spec__descriptor, "Solaris Windows", F_SKIP, NULL },
        /* runtime-spec's Process.User is a struct, not a pointer: Go always writes it. */
        { &grpc__process__descriptor, "User Args Cwd", F_ALWAYS, NULL },
        { &grpc__box__descriptor, "Height Width", F_ALWAYS, NULL },
        { &grpc__user__descriptor, "UID GID", F_ALWAYS, NULL },
        { &grpc__posixrlimit__descriptor, "Type Hard Soft", F_ALWAYS, NULL },
        { &grpc__mount__descriptor, "destination", F_ALWAYS, NULL },
        { &grpc__root__descriptor, "Path", F_ALWAYS, NULL },
        { &grpc__hook__descriptor, "Path", F_ALWAYS, NULL },
        { &grpc__linux_idmapping__descriptor, "HostID ContainerID Size", F_ALWAYS, NULL },
        { &grpc__linux_namespace__descriptor, "Type", F_ALWAYS, NULL },
        { &grpc__linux_device__descriptor, "Path Type Major Minor UID GID", F_ALWAYS, NULL },
        { &grpc__linux_device_cgroup__descriptor, "Allow", F_ALWAYS, NULL },
        /* Kata's protobuf spells runtime-spec's absent major/minor (any) as -1. */
        { &grpc__linux_device_cgroup__descriptor, "Major Minor", F_ALWAYS | F_ANY_IF_NEG, NULL },
        { &grpc__linux_weight_device__descriptor, "Major Minor", F_ALWAYS, NULL },
        { &grpc__linux_throttle_device__descriptor, "Major Minor Rate", F_ALWAYS, NULL },
        { &grpc__linux_pids__descriptor, "Limit", F_ALWAYS, NULL },
        { &grpc__linux_hugepage_limit__descriptor, "Pagesize", F_ALWAYS, "pageSize" },
        { &grpc__linux_hugepage_limit__descriptor, "Limit", F_ALWAYS, NULL },
        { &grpc__linux_interface_priority__descriptor, "Name Priority", F_ALWAYS, NULL },
        { &grpc__linux_seccomp__descriptor, "DefaultAction", F_ALWAYS, NULL },
        { &grpc__linux_syscall__descriptor, "Names Action", F_ALWAYS, NULL },
        /* A oneof: written whenever set, 0 included. */
        { &grpc__linux_syscall__descriptor, "errnoret", 0, "errnoRet" },
        { &grpc__linux_seccomp_arg__descriptor, "Index Value Op", F_ALWAYS, NULL },
};

static bool name_in_list(const char *list, const char *name)
{
        size_t n = strlen(name);
        for (const char *p = list; *p;) {
                const char *end = strchrnul(p, ' ');
                if ((size_t)(end - p) == n && memcmp(p, name, n) == 0)
                        return true;
                p = *end ? end + 1 : end;
        }
        return false;
}

static const struct field_rule *rule_find(const ProtobufCMessageDescriptor *d, const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
                if (rules[i].msg == d && name_in_list(rules[i].fields, name))
                        return &rules[i];
        return NULL;
}

/* The leading run of capitals lowered; the last one stays when a lower-case letter follows it. */
static int json_name(const char *proto, char *buf, size_t size)
{
        size_t n = strlen(proto), i = 0;
        if (n >= size)
                return -ENAMETOOLONG;
        for (; i < n && proto[i] >= 'A' && proto[i] <= 'Z'; i++) {
                if (i > 0 && proto[i + 1] >= 'a' && proto[i + 1] <= 'z')
                        break;
                buf[i] = (char)(proto[i] - 'A' + 'a');
        }
        memcpy(buf + i, proto + i, n - i + 1);
        return 0;
}

/* The scalar types oci.proto uses; any other is -EOPNOTSUPP. */
static size_t value_size(ProtobufCType t)
{
        switch (t) {
        case PROTOBUF_C_TYPE_UINT32: return sizeof(uint32_t);
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_UINT64: return sizeof(uint64_t);
        case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
        case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
        default: return 0;
        }
}

static bool value_is_zero(ProtobufCType t, const void *p)
{
        switch (t) {
        case PROTOBUF_C_TYPE_UINT32: return !*(const uint32_t *)p;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_UINT64: return !*(const uint64_t *)p;
        case PROTOBUF_C_TYPE_BOOL: return !*(const protobuf_c_boolean *)p;
        case PROTOBUF_C_TYPE_STRING: return !*(char *const *)p || !**(char *const *)p;
        case PROTOBUF_C_TYPE_MESSAGE: return !*(void *const *)p;
        default: return false;
        }
}

static int write_message(struct json *j, const ProtobufCMessage *m);

static int write_value(struct json *j, ProtobufCType t, const void *p)
{
        switch (t) {
        case PROTOBUF_C_TYPE_UINT32: json_uint(j, *(const uint32_t *)p); return 0;
        case PROTOBUF_C_TYPE_INT64: json_int(j, *(const int64_t *)p); return 0;
        case PROTOBUF_C_TYPE_UINT64: json_uint(j, *(const uint64_t *)p); return 0;
        case PROTOBUF_C_TYPE_BOOL: json_bool(j, *(const protobuf_c_boolean *)p); return 0;
        case PROTOBUF_C_TYPE_STRING: json_string(j, *(char *const *)p); return 0;
        case PROTOBUF_C_TYPE_MESSAGE: return write_message(j, *(ProtobufCMessage *const *)p);
        default: return -EOPNOTSUPP;
        }
}

/* Map entries (protoc's <Name>Entry with string key and value) as an object. */
static bool is_string_map(const ProtobufCMessageDescriptor *d)
{
        size_t n = strlen(d->short_name);
        return n > 5 && streq(d->short_name + n - 5, "Entry") && d->n_fields == 2 &&
               streq(d->fields[0].name, "key") && d->fields[0].type == PROTOBUF_C_TYPE_STRING &&
               streq(d->fields[1].name, "value") && d->fields[1].type == PROTOBUF_C_TYPE_STRING;
}

static const char *entry_string(const ProtobufCMessage *entry, const ProtobufCFieldDescriptor *f)
{
        const char *s = *(char *const *)(const void *)((const char *)entry + f->offset);
        return s ? s : "";
}

static int write_repeated(struct json *j, const ProtobufCFieldDescriptor *f, const void *array, size_t n)
{
        const ProtobufCMessageDescriptor *d = f->descriptor;
        size_t size = value_size(f->type);
        int r = 0;
        if (!size)
                return -EOPNOTSUPP;
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && is_string_map(d)) {
                json_object_begin(j);
                for (size_t i = 0; i < n; i++) {
                        const ProtobufCMessage *entry = ((ProtobufCMessage *const *)array)[i];
                        json_key(j, entry_string(entry, &d->fields[0]));
                        json_string(j, entry_string(entry, &d->fields[1]));
                }
                json_object_end(j);
                return 0;
        }
        json_array_begin(j);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = write_value(j, f->type, (const char *)array + i * size);
        json_array_end(j);
        return r;
}

/* A required message that is absent, as its defaults (process.user: uid 0, gid 0). */
static int write_default(struct json *j, const ProtobufCMessageDescriptor *d)
{
        _cleanup_free_ ProtobufCMessage *m = malloc(d->sizeof_message);
        if (!m)
                return -ENOMEM;
        protobuf_c_message_init(d, m);
        return write_message(j, m);
}

static int write_field(struct json *j, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
        const struct field_rule *rule = rule_find(m->descriptor, f->name);
        unsigned flags = rule ? rule->flags : 0;
        const void *p = (const char *)m + f->offset;
        const void *q = (const char *)m + f->quantifier_offset;
        char name[64];
        int r;

        if (flags & F_SKIP)
                return 0;
        if (rule && rule->json)
                snprintf(name, sizeof name, "%s", rule->json);
        else if ((r = json_name(f->name, name, sizeof name)) < 0)
                return r;

        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                size_t n = *(const size_t *)q;
                if (n == 0 && !(flags & F_ALWAYS))
                        return 0;
                json_key(j, name);
                return write_repeated(j, f, *(void *const *)p, n);
        }
        /* oci.proto is proto3: presence only for oneof members and messages. */
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                if (*(const uint32_t *)q != f->id)
                        return 0;
        } else if (!(flags & F_ALWAYS) && value_is_zero(f->type, p)) {
                return 0;
        }
        if ((flags & F_ANY_IF_NEG) && f->type == PROTOBUF_C_TYPE_INT64 && *(const int64_t *)p < 0)
                return 0;
        json_key(j, name);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && !*(void *const *)p)
                return write_default(j, f->descriptor);
        return write_value(j, f->type, p);
}

static int write_message(struct json *j, const ProtobufCMessage *m)
{
        const ProtobufCMessageDescriptor *d = m->descriptor;
        int r = 0;
        json_object_begin(j);
        for (unsigned i = 0; r == 0 && i < d->n_fields; i++)
                r = ferror(j->out) ? -EIO : write_field(j, m, &d->fields[i]);
        json_object_end(j);
        return r;
}

int spec_json_write(FILE *out, const Grpc__Spec *spec)
{
        struct json j;
        json_init(&j, out);
        int r = write_message(&j, &spec->base);
        if (r == 0)
                json_finish(&j);
        return r == 0 && ferror(out) ? -EIO : r;
}
