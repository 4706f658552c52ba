/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "status.h"

static const char *const names[] = {
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
};

static void test_code_names(void **state)
{
        assert_int_equal(ARRAY_SIZE(names), 17);
        assert_int_equal(GRPC_CODE_MAX, 16);
        for (int c = 0; c <= GRPC_CODE_MAX; c++)
                assert_string_equal(grpc_code_name(c), names[c]);
}

static void test_code_name_out_of_range(void **state)
{
        assert_string_equal(grpc_code_name(17), "CODE_17");
        assert_string_equal(grpc_code_name(-1), "CODE_-1");
        assert_string_equal(grpc_code_name(1000), "CODE_1000");
        assert_string_equal(grpc_code_name(INT32_MAX), "CODE_2147483647");
        assert_string_equal(grpc_code_name(-999999999), "CODE_-999999999");
        assert_string_equal(grpc_code_name(INT32_MIN), "CODE_-2147483648");
}

static void test_code_from_name(void **state)
{
        for (int c = 0; c <= GRPC_CODE_MAX; c++)
                assert_int_equal(grpc_code_from_name(names[c]), c);
        assert_int_equal(grpc_code_from_name("not_found"), GRPC_NOT_FOUND);
        assert_int_equal(grpc_code_from_name("Invalid_Argument"), GRPC_INVALID_ARGUMENT);
        assert_int_equal(grpc_code_from_name("ok"), GRPC_OK);
        assert_int_equal(grpc_code_from_name("unauthenticated"), GRPC_UNAUTHENTICATED);
}

static void test_code_from_name_unknown(void **state)
{
        assert_int_equal(grpc_code_from_name(""), -EINVAL);
        assert_int_equal(grpc_code_from_name("NOTFOUND"), -EINVAL);
        assert_int_equal(grpc_code_from_name("NOT_FOUND "), -EINVAL);
        assert_int_equal(grpc_code_from_name("CODE_17"), -EINVAL);
        assert_int_equal(grpc_code_from_name("5"), -EINVAL);
}

static void test_code_from_errno(void **state)
{
        assert_int_equal(grpc_code_from_errno(0), GRPC_OK);
        assert_int_equal(grpc_code_from_errno(ENOENT), GRPC_NOT_FOUND);
        assert_int_equal(grpc_code_from_errno(-ENOENT), GRPC_NOT_FOUND);
        assert_int_equal(grpc_code_from_errno(-ESRCH), GRPC_NOT_FOUND);
        assert_int_equal(grpc_code_from_errno(-EEXIST), GRPC_ALREADY_EXISTS);
        assert_int_equal(grpc_code_from_errno(EPERM), GRPC_PERMISSION_DENIED);
        assert_int_equal(grpc_code_from_errno(-EACCES), GRPC_PERMISSION_DENIED);
        assert_int_equal(grpc_code_from_errno(-EROFS), GRPC_PERMISSION_DENIED);
        assert_int_equal(grpc_code_from_errno(-EINVAL), GRPC_INVALID_ARGUMENT);
        assert_int_equal(grpc_code_from_errno(EINVAL), GRPC_INVALID_ARGUMENT);
        assert_int_equal(grpc_code_from_errno(-EPROTO), GRPC_INVALID_ARGUMENT);
        assert_int_equal(grpc_code_from_errno(-ENOMEM), GRPC_RESOURCE_EXHAUSTED);
        assert_int_equal(grpc_code_from_errno(-EMSGSIZE), GRPC_RESOURCE_EXHAUSTED);
        assert_int_equal(grpc_code_from_errno(-ETIMEDOUT), GRPC_DEADLINE_EXCEEDED);
        assert_int_equal(grpc_code_from_errno(-ENOSYS), GRPC_UNIMPLEMENTED);
        assert_int_equal(grpc_code_from_errno(-EOPNOTSUPP), GRPC_UNIMPLEMENTED);
        assert_int_equal(grpc_code_from_errno(-EAGAIN), GRPC_UNAVAILABLE);
        assert_int_equal(grpc_code_from_errno(EPIPE), GRPC_UNAVAILABLE);
        assert_int_equal(grpc_code_from_errno(-ECANCELED), GRPC_CANCELLED);
        assert_int_equal(grpc_code_from_errno(-ERANGE), GRPC_OUT_OF_RANGE);
        assert_int_equal(grpc_code_from_errno(-EOVERFLOW), GRPC_OUT_OF_RANGE);
        assert_int_equal(grpc_code_from_errno(-ENOTEMPTY), GRPC_FAILED_PRECONDITION);
        assert_int_equal(grpc_code_from_errno(-EIO), GRPC_DATA_LOSS);
}

static void test_code_from_errno_unknown(void **state)
{
        assert_int_equal(grpc_code_from_errno(-EBADF), GRPC_INTERNAL);
        assert_int_equal(grpc_code_from_errno(EXDEV), GRPC_INTERNAL);
        assert_int_equal(grpc_code_from_errno(-ECHILD), GRPC_INTERNAL);
        assert_int_equal(grpc_code_from_errno(4095), GRPC_INTERNAL);
        assert_int_equal(grpc_code_from_errno(-4095), GRPC_INTERNAL);
        /* Negating INT_MIN would overflow: it must still map, without undefined behaviour. */
        assert_int_equal(grpc_code_from_errno(INT32_MIN), GRPC_INTERNAL);
}

static void test_error_set(void **state)
{
        struct rpc_error e = { 0 };

        assert_int_equal(rpc_error_set(&e, GRPC_NOT_FOUND, -ENOENT, "container `%s` not found",
                                       "abc"),
                         -ENOENT);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        assert_string_equal(e.msg, "container `abc` not found");

        assert_int_equal(rpc_error_set(&e, GRPC_INTERNAL, -EIO, "read %d bytes", 7), -EIO);
        assert_int_equal(e.code, GRPC_INTERNAL);
        assert_string_equal(e.msg, "read 7 bytes");
}

static void test_error_set_null(void **state)
{
        assert_int_equal(rpc_error_set(NULL, GRPC_INVALID_ARGUMENT, -EINVAL, "bad %s", "x"),
                         -EINVAL);
        rpc_error_prefix(NULL, "ctx");
}

static void test_error_set_long_message(void **state)
{
        struct rpc_error e = { 0 };
        char big[RPC_ERROR_MSG_MAX * 2];

        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        assert_int_equal(rpc_error_set(&e, GRPC_INTERNAL, -EIO, "%s", big), -EIO);
        assert_int_equal(strlen(e.msg), RPC_ERROR_MSG_MAX - 1);
        assert_memory_equal(e.msg, big, RPC_ERROR_MSG_MAX - 1);
}

static void test_error_prefix(void **state)
{
        struct rpc_error e = { 0 };

        rpc_error_set(&e, GRPC_NOT_FOUND, -ENOENT, "no such file");
        rpc_error_prefix(&e, "copy `%s`", "/a");
        assert_string_equal(e.msg, "copy `/a`: no such file");
        assert_int_equal(e.code, GRPC_NOT_FOUND);

        rpc_error_prefix(&e, "CopyFile");
        assert_string_equal(e.msg, "CopyFile: copy `/a`: no such file");
}

static void test_error_prefix_ok_untouched(void **state)
{
        struct rpc_error e = { .code = GRPC_OK };

        memcpy(e.msg, "stale", 6);
        rpc_error_prefix(&e, "ctx");
        assert_int_equal(e.code, GRPC_OK);
        assert_string_equal(e.msg, "stale");
}

static void test_error_prefix_cut(void **state)
{
        struct rpc_error e = { 0 };
        char tail[RPC_ERROR_MSG_MAX];
        char want[RPC_ERROR_MSG_MAX];

        memset(tail, 't', sizeof tail - 1);
        tail[sizeof tail - 1] = '\0';
        rpc_error_set(&e, GRPC_INTERNAL, -EIO, "%s", tail);
        assert_int_equal(strlen(e.msg), RPC_ERROR_MSG_MAX - 1);

        rpc_error_prefix(&e, "ctx");
        assert_int_equal(strlen(e.msg), RPC_ERROR_MSG_MAX - 1);
        memcpy(want, "ctx: ", 5);
        memset(want + 5, 't', sizeof want - 6);
        want[sizeof want - 1] = '\0';
        assert_string_equal(e.msg, want);
}

static void test_error_prefix_long_prefix(void **state)
{
        struct rpc_error e = { 0 };
        char prefix[RPC_ERROR_MSG_MAX + 100];

        memset(prefix, 'p', sizeof prefix - 1);
        prefix[sizeof prefix - 1] = '\0';
        rpc_error_set(&e, GRPC_ABORTED, -ECANCELED, "tail");
        rpc_error_prefix(&e, "%s", prefix);
        assert_int_equal(e.code, GRPC_ABORTED);
        assert_int_equal(strlen(e.msg), RPC_ERROR_MSG_MAX - 1);
        assert_memory_equal(e.msg, prefix, RPC_ERROR_MSG_MAX - 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_code_names),
                cmocka_unit_test(test_code_name_out_of_range),
                cmocka_unit_test(test_code_from_name),
                cmocka_unit_test(test_code_from_name_unknown),
                cmocka_unit_test(test_code_from_errno),
                cmocka_unit_test(test_code_from_errno_unknown),
                cmocka_unit_test(test_error_set),
                cmocka_unit_test(test_error_set_null),
                cmocka_unit_test(test_error_set_long_message),
                cmocka_unit_test(test_error_prefix),
                cmocka_unit_test(test_error_prefix_ok_untouched),
                cmocka_unit_test(test_error_prefix_cut),
                cmocka_unit_test(test_error_prefix_long_prefix),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
