/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for kinglet-ctl's --storage / --device SPEC parser and PCI
 * paths (ctl/spec_storage.c) and the OCI spec entries made for devices
 * (ctl/spec_device.c). The first byte picks what the rest is ('0' storage
 * SPEC, '1' device SPEC, '2' PCI path, '3' device SPECs one per line, added to
 * a spec; any byte, modulo 4); the rest is the text as the command line would
 * hand it over (up to the first NUL).
 *
 * A refusal leaves *ret alone and records INVALID_ARGUMENT and a message. A
 * storage or device that parses is a valid message within the bounds, and
 * writing it back as a SPEC (escaping ',' and '\') gives a SPEC that parses to
 * the same bytes. A PCI path that parses prints back ("%02x/...") to one that
 * parses the same. Devices added to a spec give one node and one rule per
 * container path.
 *
 * Set KINGLET_FUZZ_LOG to see each input's outcome.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ctl/spec_storage.h"

#define OUT_MAX (2 * CTL_SPEC_MAX_LEN + 64)

struct out {
        char buf[OUT_MAX];
        size_t len;
};

static void put(struct out *o, const char *s, bool escape)
{
        for (; *s; s++) {
                if (escape && (*s == ',' || *s == '\\'))
                        o->buf[o->len++] = '\\';
                o->buf[o->len++] = *s;
                if (o->len >= OUT_MAX - 2)
                        __builtin_trap();
        }
        o->buf[o->len] = '\0';
}

static void item(struct out *o, const char *key, const char *value)
{
        if (!value || !*value)
                return;
        if (o->len)
                put(o, ",", false);
        put(o, key, false);
        put(o, "=", false);
        put(o, value, true);
}

static void check_error(int r, const struct rpc_error *e)
{
        if (r >= 0 || e->code != GRPC_INVALID_ARGUMENT || !memchr(e->msg, '\0', sizeof e->msg) || !e->msg[0])
                __builtin_trap();
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *ret_len)
{
        if (!protobuf_c_message_check(m))
                __builtin_trap();
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *p = malloc(n ? n : 1);
        if (!p || protobuf_c_message_pack(m, p) != n)
                __builtin_trap();
        *ret_len = n;
        return p;
}

static void check_same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
        size_t na, nb;
        uint8_t *pa = pack(a, &na), *pb = pack(b, &nb);
        if (na != nb || memcmp(pa, pb, na) != 0)
                __builtin_trap();
        free(pa);
        free(pb);
}

static void storage_spec(const Grpc__Storage *s, struct out *o)
{
        char gid[32];
        item(o, "driver", s->driver);
        item(o, "source", s->source);
        item(o, "fstype", s->fstype);
        item(o, "mount", s->mount_point);
        for (size_t i = 0; i < s->n_options; i++)
                item(o, "option", s->options[i]);
        for (size_t i = 0; i < s->n_driver_options; i++)
                item(o, "driver-option", s->driver_options[i]);
        if (s->fs_group) {
                /* The shortest spellings: the text never grows past what was parsed. */
                snprintf(gid, sizeof gid, "%u%s", s->fs_group->group_id,
                         s->fs_group->group_change_policy == TYPES__FSGROUP_CHANGE_POLICY__Always ? ""
                                                                                               : ":onrootmismatch");
                item(o, "fs-group", gid);
        }
        if (s->shared)
                put(o, ",shared", false);
}

static void fuzz_storage(const char *text)
{
        struct rpc_error e = { 0 };
        Grpc__Storage *const untouched = (Grpc__Storage *)(uintptr_t)0x5a5a5a5a;
        Grpc__Storage *s = untouched, *again = NULL;
        int r = ctl_storage_parse(text, &s, &e);
        if (getenv("KINGLET_FUZZ_LOG"))
                fprintf(stderr, "storage: %s\n", r < 0 ? e.msg : "ok");
        if (r < 0) {
                check_error(r, &e);
                if (s != untouched)
                        __builtin_trap();
                return;
        }
        if (r != 0 || !*s->driver || !*s->mount_point || s->n_options > CTL_SPEC_MAX_REPEAT ||
            s->n_driver_options > CTL_SPEC_MAX_REPEAT)
                __builtin_trap();
        struct out o = { .len = 0 };
        storage_spec(s, &o);
        if (o.len > CTL_SPEC_MAX_LEN || ctl_storage_parse(o.buf, &again, &e) != 0)
                __builtin_trap();
        check_same(&s->base, &again->base);
        protobuf_c_message_free_unpacked(&s->base, NULL);
        protobuf_c_message_free_unpacked(&again->base, NULL);
}

static void device_spec(const Grpc__Device *d, struct out *o)
{
        item(o, "type", d->type);
        item(o, "id", d->id);
        item(o, "vm-path", d->vm_path);
        item(o, "container-path", d->container_path);
        for (size_t i = 0; i < d->n_options; i++)
                item(o, "option", d->options[i]);
}

static void fuzz_device(const char *text)
{
        struct rpc_error e = { 0 };
        Grpc__Device *const untouched = (Grpc__Device *)(uintptr_t)0x5a5a5a5a;
        Grpc__Device *d = untouched, *again = NULL;
        int r = ctl_device_parse(text, &d, &e);
        if (r < 0) {
                check_error(r, &e);
                if (d != untouched)
                        __builtin_trap();
                return;
        }
        if (!*d->type || (*d->container_path && d->container_path[0] != '/') || d->n_options > CTL_SPEC_MAX_REPEAT)
                __builtin_trap();
        struct out o = { .len = 0 };
        device_spec(d, &o);
        if (o.len > CTL_SPEC_MAX_LEN || ctl_device_parse(o.buf, &again, &e) != 0)
                __builtin_trap();
        check_same(&d->base, &again->base);
        protobuf_c_message_free_unpacked(&d->base, NULL);
        protobuf_c_message_free_unpacked(&again->base, NULL);
}

static void fuzz_pci_path(const char *text)
{
        uint32_t slots[CTL_PCI_PATH_MAX], again[CTL_PCI_PATH_MAX];
        size_t n = 999, n2 = 999;
        char printed[CTL_PCI_PATH_MAX * 3 + 1];
        if (ctl_pci_path_parse(text, slots, CTL_PCI_PATH_MAX, &n) < 0) {
                if (n != 999)
                        __builtin_trap();
                return;
        }
        if (n == 0 || n > CTL_PCI_PATH_MAX)
                __builtin_trap();
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
                if (slots[i] > 0x1f)
                        __builtin_trap();
                len += (size_t)snprintf(printed + len, sizeof printed - len, "%s%02x", i ? "/" : "", slots[i]);
        }
        if (ctl_pci_path_parse(printed, again, CTL_PCI_PATH_MAX, &n2) != 0 || n2 != n ||
            memcmp(slots, again, n * sizeof *slots) != 0)
                __builtin_trap();
}

static void fuzz_spec_devices(char *text)
{
        Grpc__Device *devs[8];
        size_t n = 0, with_path = 0;
        struct rpc_error e = { 0 };
        for (char *line = strtok(text, "\n"); line && n < 8; line = strtok(NULL, "\n"))
                if (ctl_device_parse(line, &devs[n], &e) == 0)
                        with_path += *devs[n++]->container_path != '\0';
        Grpc__Spec *spec = malloc(sizeof *spec);
        if (!spec)
                __builtin_trap();
        grpc__spec__init(spec);
        int checked = ctl_devices_check(devs, n, &e);
        int r = ctl_spec_add_devices(spec, devs, n, &e);
        if (r != checked)
                __builtin_trap();
        if (r < 0) {
                check_error(r, &e);
                if (spec->linux)
                        __builtin_trap();
        } else if (with_path ? !spec->linux || spec->linux->n_devices != with_path ||
                                       spec->linux->resources->n_devices != with_path
                             : spec->linux != NULL) {
                __builtin_trap();
        }
        size_t len;
        free(pack(&spec->base, &len));
        protobuf_c_message_free_unpacked(&spec->base, NULL);
        for (size_t i = 0; i < n; i++)
                protobuf_c_message_free_unpacked(&devs[i]->base, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        /* A command-line argument: a string that ends at its first NUL. */
        char *text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        switch (data[0] % 4) {
        case 0: fuzz_storage(text); break;
        case 1: fuzz_device(text); break;
        case 2: fuzz_pci_path(text); break;
        default: fuzz_spec_devices(text); break;
        }
        free(text);
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
