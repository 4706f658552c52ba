/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for the tests of ctl/oci_spec*.c (tests/unit/test_oci_spec*.c).
 * Header-only: the .c files of tests/support are linked into every test, this code
 * must only be in those that link kinglet-ctl's OCI objects. Include after
 * <cmocka.h>.
 */
#ifndef KINGLET_TEST_OCI_SPEC_H
#define KINGLET_TEST_OCI_SPEC_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../ctl/oci_spec.h"
#include "cleanup.h"

/*
 * JSON in these tests is written with ' for " so that it stays readable as C;
 * q() turns it into real JSON.
 */
static inline char *q(const char *s)
{
        char *out = strdup(s);

        assert_non_null(out);
        for (char *p = out; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return out;
}

/* Parses single-quoted JSON; asserts success. */
static inline Grpc__Spec *parse_ok(const char *qjson, const char *bundle)
{
        _cleanup_free_ char *json = q(qjson);
        struct rpc_error e = {};
        Grpc__Spec *spec = NULL;

        int r = oci_spec_from_json(json, strlen(json), bundle, &spec, &e);
        if (r < 0)
                fail_msg("oci_spec_from_json: %d %s", r, e.msg);
        assert_int_equal(e.code, GRPC_OK); /* nothing recorded on success */
        assert_non_null(spec);
        return spec;
}

/* Parses single-quoted JSON expecting failure with err and a message containing msg. */
static inline void parse_err(const char *qjson, int err, const char *msg)
{
        _cleanup_free_ char *json = q(qjson);
        struct rpc_error e = {};
        Grpc__Spec *sentinel = (Grpc__Spec *)(uintptr_t)0x5a5a, *spec = sentinel;

        int r = oci_spec_from_json(json, strlen(json), "/bundle", &spec, &e);
        if (r != err || !strstr(e.msg, msg))
                fail_msg("`%s`: got %d `%s`, want %d `%s`", json, r, e.msg, err, msg);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_ptr_equal(spec, sentinel); /* untouched */
}

static inline void spec_free(Grpc__Spec *spec)
{
        protobuf_c_message_free_unpacked(&spec->base, NULL);
}

static inline void assert_strv(char **v, size_t n, const char *const *want, size_t n_want)
{
        assert_int_equal(n, n_want);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(v[i], want[i]);
}
#define ASSERT_STRV(v, n, ...)                                                   \
        do {                                                                     \
                static const char *const _want[] = { __VA_ARGS__ };              \
                assert_strv((v), (n), _want, sizeof _want / sizeof _want[0]);    \
        } while (0)

#endif
