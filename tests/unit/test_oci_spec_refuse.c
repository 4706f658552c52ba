/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci_spec_test.h"
#include "util.h"

/* Refusals: numbers, types, JSON itself, sizes; and reading bundles. */

static void test_numbers_out_of_range(void **state)
{
        parse_err("{ 'ociVersion': '1', 'process': { 'user': { 'uid': 4294967296 } } }", -EINVAL,
                  "process.user.uid: 4294967296 is out of range (0..4294967295)");
        parse_err("{ 'ociVersion': '1', 'process': { 'user': { 'gid': -1 } } }", -EINVAL,
                  "process.user.gid: -1 is out of range (0..4294967295)");
        parse_err("{ 'ociVersion': '1', 'process': { 'user': { 'additionalGids': [1, -5] } } }", -EINVAL,
                  "process.user.additionalGids[1]: -5 is out of range");
        parse_err("{ 'ociVersion': '1', 'process': { 'rlimits': [ { 'type': 'RLIMIT_AS', 'hard': -1 } ] } }",
                  -EINVAL, "process.rlimits[0].hard: -1 is out of range (0..18446744073709551615)");
        parse_err("{ 'ociVersion': '1', 'linux': { 'resources': { 'memory': { 'limit': 9223372036854775808 } } } }",
                  -EINVAL, "linux.resources.memory.limit: 9223372036854775808 is out of range");
        parse_err("{ 'ociVersion': '1', 'linux': { 'resources': { 'blockIO': { 'weight': 65536 } } } }",
                  -EINVAL, "linux.resources.blockIO.weight: 65536 is out of range (0..65535)");
        parse_err("{ 'ociVersion': '1', 'linux': { 'resources': { 'blockIO': { 'weightDevice': "
                  "[ { 'major': 1, 'minor': 2, 'leafWeight': 70000 } ] } } } }",
                  -EINVAL, "linux.resources.blockIO.weightDevice[0].leafWeight: 70000 is out of range");
        parse_err("{ 'ociVersion': '1', 'process': { 'consoleSize': { 'height': 4294967296 } } }", -EINVAL,
                  "process.consoleSize.height: 4294967296 is out of range");
        parse_err("{ 'ociVersion': '1', 'linux': { 'seccomp': { 'defaultAction': 'a', 'syscalls': "
                  "[ { 'names': [], 'action': 'b', 'errnoRet': -1 } ] } } }",
                  -EINVAL, "linux.seccomp.syscalls[0].errnoRet: -1 is out of range");
        parse_err("{ 'ociVersion': '1', 'linux': { 'uidMappings': [ { 'size': 4294967296 } ] } }", -EINVAL,
                  "linux.uidMappings[0].size: 4294967296 is out of range");
        /* Beyond 64 bits json-c would saturate: refused on the text, with its place. */
        parse_err("{ 'ociVersion': '1',\n 'process': { 'rlimits': [ { 'type': 'x', 'hard': 18446744073709551616 } ] } }",
                  -ERANGE, "number at line 2, column 51 does not fit in 64 bits");
        parse_err("{ 'ociVersion': '1', 'linux': { 'resources': { 'memory': { 'swap': -9223372036854775809 } } } }",
                  -ERANGE, "does not fit in 64 bits");
        parse_err("{ 'ociVersion': '1', 'x': 123456789012345678901234567890 }", -ERANGE, "does not fit in 64 bits");
        /* Go refuses fractions for integer fields, even 1.0. */
        parse_err("{ 'ociVersion': '1', 'linux': { 'resources': { 'pids': { 'limit': 1.5 } } } }", -EINVAL,
                  "linux.resources.pids.limit: expected an integer");
        parse_err("{ 'ociVersion': '1', 'linux': { 'resources': { 'pids': { 'limit': 1e3 } } } }", -EINVAL,
                  "linux.resources.pids.limit: expected an integer");
        parse_err("{ 'ociVersion': '1', 'hooks': { 'poststop': [ { 'path': '/x', 'timeout': 0 } ] } }", -EINVAL,
                  "hooks.poststop[0].timeout: must be greater than zero");
}

static void test_wrong_types(void **state)
{
        parse_err("{ 'ociVersion': '1', 'linux': { 'resources': { 'memory': { 'limit': '1G' } } } }", -EINVAL,
                  "linux.resources.memory.limit: expected a number");
        parse_err("{ 'ociVersion': 1 }", -EINVAL, "ociVersion: expected a string");
        parse_err("{ 'ociVersion': '1', 'process': [] }", -EINVAL, "process: expected an object");
        parse_err("{ 'ociVersion': '1', 'process': { 'terminal': 'yes' } }", -EINVAL,
                  "process.terminal: expected a boolean");
        parse_err("{ 'ociVersion': '1', 'process': { 'terminal': 1 } }", -EINVAL,
                  "process.terminal: expected a boolean");
        parse_err("{ 'ociVersion': '1', 'process': { 'args': 'sh' } }", -EINVAL, "process.args: expected an array");
        parse_err("{ 'ociVersion': '1', 'process': { 'args': ['sh', 2] } }", -EINVAL,
                  "process.args[1]: expected a string");
        parse_err("{ 'ociVersion': '1', 'process': { 'env': ['A=1', null] } }", -EINVAL,
                  "process.env[1]: expected a string");
        parse_err("{ 'ociVersion': '1', 'mounts': [ { 'destination': '/a' }, 'x' ] }", -EINVAL,
                  "mounts[1]: expected an object");
        parse_err("{ 'ociVersion': '1', 'mounts': [ { 'destination': '/a', 'options': [ true ] } ] }", -EINVAL,
                  "mounts[0].options[0]: expected a string");
        parse_err("{ 'ociVersion': '1', 'annotations': { 'a': 'b', 'c': 1 } }", -EINVAL,
                  "annotations.`c`: expected a string");
        parse_err("{ 'ociVersion': '1', 'linux': { 'sysctl': [] } }", -EINVAL, "linux.sysctl: expected an object");
        parse_err("{ 'ociVersion': '1', 'linux': { 'seccomp': { 'defaultAction': 'a', 'syscalls': "
                  "[ { 'names': ['x'], 'action': 'b', 'args': [ { 'index': 0, 'value': 1, 'op': 7 } ] } ] } } }",
                  -EINVAL, "linux.seccomp.syscalls[0].args[0].op: expected a string");
        parse_err("{ 'ociVersion': '1', 'linux': { 'resources': { 'devices': [ { 'allow': true, 'major': 'x' } ] } } }",
                  -EINVAL, "linux.resources.devices[0].major: expected a number");
        parse_err("{ 'ociVersion': '1', 'linux': { 'namespaces': [ { 'type': 'pid' }, { 'path': '/x' } ] } }",
                  -EINVAL, "linux.namespaces[1].type: missing");
        parse_err("{ 'ociVersion': '1', 'root': { 'readonly': true } }", -EINVAL, "root.path: missing");
        parse_err("{ 'process': {} }", -EINVAL, "ociVersion: missing");
        parse_err("{ 'ociVersion': '1', 'hostname': 'a\\u0000b' }", -EINVAL, "hostname: contains a NUL character");
}

static void test_invalid_json(void **state)
{
        parse_err("", -EINVAL, "invalid JSON");
        parse_err("{ 'ociVersion': '1', }", -EINVAL, "invalid JSON at line 1, column 21");
        parse_err("{ 'ociVersion': '1' } x", -EINVAL, "invalid JSON");
        parse_err("{ 'ociVersion': '1' /* c */ }", -EINVAL, "invalid JSON");
        parse_err("{ 'ociVersion': '1'", -EINVAL, "the text ends inside a value");
        parse_err("{\n 'a': 01 }", -EINVAL, "invalid JSON at line 2");
        parse_err("{ 'a': NaN }", -EINVAL, "invalid JSON at line 1, column 8: NaN and Infinity are not JSON");
        parse_err("{ 'a': [-Infinity] }", -EINVAL, "NaN and Infinity are not JSON");
        parse_err("{ 'a': 'NaN', 'b': Infinity }", -EINVAL, "column 20: NaN and Infinity");
        parse_err("['ociVersion']", -EINVAL, "expected a JSON object at the top level");
        parse_err("\xef\xbb\xbf{}", -EINVAL, "invalid JSON");
        parse_err("{ 'a': '\xff' }", -EINVAL, "invalid JSON");

        /* A NUL byte would end the text for json-c: refused, not cut. */
        static const char with_nul[] = "{ \"ociVersion\": \"1\" }\0 junk";
        struct rpc_error e = {};
        Grpc__Spec *spec = NULL;
        assert_int_equal(oci_spec_from_json(with_nul, sizeof with_nul - 1, NULL, &spec, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "NUL byte"));
        assert_null(spec);
}

static char *nested(size_t depth)
{
        size_t n = strlen("{ 'ociVersion': '1', 'x': ") + 2 * depth + 3;
        char *s = malloc(n);
        size_t w;

        assert_non_null(s);
        w = (size_t)snprintf(s, n, "{ 'ociVersion': '1', 'x': ");
        for (size_t i = 0; i < depth; i++)
                s[w++] = '[';
        for (size_t i = 0; i < depth; i++)
                s[w++] = ']';
        s[w++] = '}';
        s[w] = '\0';
        return s;
}

static void test_deep_nesting(void **state)
{
        _cleanup_free_ char *ok = nested(60), *deep = nested(64), *junk = nested(100000);
        Grpc__Spec *s = parse_ok(ok, NULL);

        spec_free(s);
        parse_err(deep, -EINVAL, "nesting too deep");
        parse_err(junk, -EINVAL, "nesting too deep");
}

static void write_file(const char *path, const char *data, size_t len)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, data, len), 0);
}

static void test_load_bundle(void **state)
{
        char dir[] = "/tmp/test-oci-spec-XXXXXX", path[64], cwd[4096];
        static const char config[] =
                "{ 'ociVersion': '1.0.2', 'root': { 'path': 'rootfs' }, 'linux': { 'seccomp': {"
                "  'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                "    { 'names': ['clone3'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38 } ] } } }";
        _cleanup_free_ char *json = q(config);
        struct rpc_error e = {};
        Grpc__Spec *s = NULL;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/config.json", dir);

        /* Missing file: NOT_FOUND naming it, *ret untouched. */
        assert_int_equal(oci_spec_load_bundle(dir, &s, &e), -ENOENT);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        assert_non_null(strstr(e.msg, path));
        assert_null(s);

        write_file(path, json, strlen(json));
        memset(&e, 0, sizeof e);
        assert_int_equal(oci_spec_load_bundle(dir, &s, &e), 0);
        assert_int_equal(e.code, GRPC_OK);
        char want_root[96];
        snprintf(want_root, sizeof want_root, "%s/rootfs", dir);
        assert_string_equal(s->root->path, want_root);
        assert_string_equal(s->linux->seccomp->syscalls[0]->names[0], "clone3");
        spec_free(s);
        s = NULL;

        /* A relative bundle is taken from the current directory. */
        assert_non_null(getcwd(cwd, sizeof cwd));
        assert_int_equal(chdir("/tmp"), 0);
        assert_int_equal(oci_spec_load_bundle(dir + strlen("/tmp/"), &s, &e), 0);
        assert_int_equal(chdir(cwd), 0);
        assert_string_equal(s->root->path, want_root);
        spec_free(s);
        s = NULL;

        /* Errors in the file name it. */
        static const char bad[] = "{ \"ociVersion\": \"1\", \"process\": { \"cwd\": 5 } }";
        write_file(path, bad, strlen(bad));
        assert_int_equal(oci_spec_load_bundle(dir, &s, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        char want_msg[160];
        snprintf(want_msg, sizeof want_msg, "`%s`: process.cwd: expected a string", path);
        assert_string_equal(e.msg, want_msg);
        assert_null(s);

        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

/* A file of exactly OCI_CONFIG_MAX bytes is read; one byte more is refused. */
static void test_size_limit(void **state)
{
        char dir[] = "/tmp/test-oci-spec-XXXXXX", path[64];
        static const char head[] = "{ \"ociVersion\": \"1\" }";
        _cleanup_free_ char *buf = malloc(OCI_CONFIG_MAX + 1);
        struct rpc_error e = {};
        Grpc__Spec *s = NULL;

        assert_non_null(buf);
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/config.json", dir);
        memcpy(buf, head, strlen(head));
        memset(buf + strlen(head), ' ', OCI_CONFIG_MAX + 1 - strlen(head));

        write_file(path, buf, OCI_CONFIG_MAX);
        assert_int_equal(oci_spec_load_bundle(dir, &s, &e), 0);
        spec_free(s);
        s = NULL;

        write_file(path, buf, OCI_CONFIG_MAX + 1);
        assert_int_equal(oci_spec_load_bundle(dir, &s, &e), -EFBIG);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(e.msg, "larger than the limit of 1048576 bytes"));
        assert_null(s);

        /* The same limit for text handed over directly. */
        memset(&e, 0, sizeof e);
        assert_int_equal(oci_spec_from_json(buf, OCI_CONFIG_MAX + 1, NULL, &s, &e), -EFBIG);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_null(s);

        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_numbers_out_of_range),
                cmocka_unit_test(test_wrong_types),
                cmocka_unit_test(test_invalid_json),
                cmocka_unit_test(test_deep_nesting),
                cmocka_unit_test(test_load_bundle),
                cmocka_unit_test(test_size_limit),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
