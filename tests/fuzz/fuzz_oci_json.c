/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for kinglet-ctl's config.json reader: the input is the
 * text of an OCI bundle's config.json, converted to a grpc.Spec by
 * oci_spec_from_json (ctl/oci_spec*.c over json-c). The text is handed over
 * in a buffer of exactly its length, without a terminating NUL.
 *
 * Each input is read twice: with a bundle directory, and without one (root.path
 * kept as written). Both must agree on everything but a relative root.path,
 * which the first must have made absolute and clean. A failure leaves *ret
 * alone and records a gRPC code and a message; a success is a Spec that
 * protobuf_c_message_check accepts and that packs, unpacks and packs again to
 * the same bytes (the ctl sends it in CreateContainerRequest.OCI), with a
 * process.user whenever it has a process.
 *
 * Set KINGLET_FUZZ_LOG to see each input's outcome.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ctl/oci_spec.h"

#define BUNDLE "/fuzz/bundle"

static void check_error(int r, const struct rpc_error *e)
{
        if (r >= 0 || e->code <= GRPC_OK || e->code > GRPC_CODE_MAX || !memchr(e->msg, '\0', sizeof e->msg) ||
            !e->msg[0])
                __builtin_trap();
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *ret_len)
{
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *p = malloc(n ? n : 1);
        if (!p || protobuf_c_message_pack(m, p) != n)
                __builtin_trap();
        *ret_len = n;
        return p;
}

/* Packs, unpacks and packs again: the same bytes both times. Returns the first packing. */
static uint8_t *check_roundtrip(const Grpc__Spec *spec, size_t *ret_len)
{
        if (!protobuf_c_message_check(&spec->base))
                __builtin_trap();
        size_t n, n2;
        uint8_t *a = pack(&spec->base, &n);
        ProtobufCMessage *back = protobuf_c_message_unpack(&grpc__spec__descriptor, NULL, n, a);
        if (!back)
                __builtin_trap();
        uint8_t *b = pack(back, &n2);
        if (n2 != n || memcmp(a, b, n) != 0)
                __builtin_trap();
        protobuf_c_message_free_unpacked(back, NULL);
        free(b);
        *ret_len = n;
        return a;
}

/* Absolute, and lexically clean as Go's filepath.Join leaves it. */
static void check_clean_absolute(const char *p)
{
        size_t n = strlen(p);
        if (p[0] != '/' || (n > 1 && p[n - 1] == '/') || strstr(p, "//") || strstr(p, "/./") ||
            strstr(p, "/../"))
                __builtin_trap();
        if ((n >= 2 && strcmp(p + n - 2, "/.") == 0) || (n >= 3 && strcmp(p + n - 3, "/..") == 0))
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* Exactly the input: a read past its end is ASan's to report. */
        char *json = malloc(size ? size : 1);
        if (!json)
                return 0;
        memcpy(json, data, size);

        Grpc__Spec *const untouched = (Grpc__Spec *)(uintptr_t)0x5a5a5a5a;
        Grpc__Spec *spec = untouched, *raw = untouched;
        struct rpc_error e = { 0 }, e_raw = { 0 };
        int r = oci_spec_from_json(json, size, BUNDLE, &spec, &e);
        int r_raw = oci_spec_from_json(json, size, NULL, &raw, &e_raw);
        free(json);
        if (getenv("KINGLET_FUZZ_LOG"))
                fprintf(stderr, "fuzz_oci_json: %s%s%s\n", r < 0 ? grpc_code_name(e.code) : "ok",
                        r < 0 ? ": " : "", r < 0 ? e.msg : "");

        if ((r < 0) != (r_raw < 0))
                __builtin_trap();
        if (r < 0) {
                check_error(r, &e);
                check_error(r_raw, &e_raw);
                if (spec != untouched || raw != untouched || r != r_raw || e.code != e_raw.code ||
                    strcmp(e.msg, e_raw.msg) != 0)
                        __builtin_trap();
                return 0;
        }
        if (r != 0 || r_raw != 0 || !spec || spec == untouched || !raw || raw == untouched)
                __builtin_trap();

        /* Go's runtime-spec always has a process.user: so does the converted spec. */
        if (spec->process && !spec->process->user)
                __builtin_trap();
        size_t n, n_raw;
        uint8_t *packed = check_roundtrip(spec, &n);
        if ((spec->root != NULL) != (raw->root != NULL))
                __builtin_trap();
        char *raw_path = NULL;
        if (spec->root) {
                if (!spec->root->path || !raw->root->path)
                        __builtin_trap();
                if (raw->root->path[0] != '/') {
                        check_clean_absolute(spec->root->path);
                } else if (strcmp(spec->root->path, raw->root->path) != 0) {
                        /* An absolute root.path is kept as written. */
                        __builtin_trap();
                }
                /* Apart from root.path, both readings are the same message. */
                raw_path = raw->root->path;
                raw->root->path = spec->root->path;
        }
        uint8_t *packed_raw = check_roundtrip(raw, &n_raw);
        if (n_raw != n || memcmp(packed, packed_raw, n) != 0)
                __builtin_trap();
        if (spec->root)
                raw->root->path = raw_path;

        free(packed);
        free(packed_raw);
        protobuf_c_message_free_unpacked(&spec->base, NULL);
        protobuf_c_message_free_unpacked(&raw->base, NULL);
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
