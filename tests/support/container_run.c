/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "container_run.h"
#include "rootfs.h"
#include "util.h"

int ctr_setup(void **state)
{
        if (!agent_can_run() || !test_rootfs_available())
                skip();
        struct ctr_env *env = calloc(1, sizeof *env);
        assert_non_null(env);
        if (agent_start(&env->agent, NULL) < 0) {
                agent_dump_log(&env->agent);
                fail_msg("agent did not start");
        }
        snprintf(env->rootfs, sizeof env->rootfs, "%s/rootfs", env->agent.dir);
        assert_int_equal(mkdir(env->rootfs, 0755), 0);
        assert_int_equal(test_rootfs_busybox(env->rootfs), 0);
        env->client.ttrpc = agent_connect(&env->agent);
        assert_non_null(env->client.ttrpc);
        env->client.timeout_ns = 0;
        *state = env;
        return 0;
}

int ctr_teardown(void **state)
{
        struct ctr_env *env = *state;
        ttrpc_client_free(env->client.ttrpc);
        int status = agent_stop(&env->agent);
        free(env);
        assert_int_equal(status, 0);
        return 0;
}

int ctr_read_all(struct agent_client *c, const char *id, const char *exec_id, bool err, char **ret,
                 size_t *ret_len)
{
        struct rpc_error e = { 0 };
        size_t len = 0, cap = 4096;
        char *all = malloc(cap + 1);
        for (;;) {
                uint8_t *data;
                size_t n;
                int r = agent_read_stream(c, id, exec_id, err, 65536, &data, &n, &e);
                if (r < 0) {
                        free(all);
                        fprintf(stderr, "read %s: %s\n", err ? "stderr" : "stdout", e.msg);
                        return r;
                }
                if (n == 0) {
                        free(data);
                        break;
                }
                while (len + n > cap)
                        all = realloc(all, (cap *= 2) + 1);
                memcpy(all + len, data, n);
                len += n;
                free(data);
        }
        all[len] = '\0';
        *ret = all;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int ctr_run(struct ctr_env *env, const char *id, const struct test_spec *ts, char **out, char **err_out,
            int *ret_status, struct rpc_error *e)
{
        struct agent_client *c = &env->client;
        int r = agent_create_container(c, id, &ts->spec, NULL, e);
        if (r < 0)
                return r;
        r = agent_start_container(c, id, e);
        char *o = NULL, *er = NULL;
        if (r == 0)
                r = ctr_read_all(c, id, id, false, &o, NULL);
        if (r == 0 && !ts->process.terminal)
                r = ctr_read_all(c, id, id, true, &er, NULL);
        if (r == 0)
                r = agent_wait_process(c, id, id, ret_status, e);
        struct rpc_error re = { 0 };
        (void)agent_remove_container(c, id, 10, &re);
        if (out)
                *out = o;
        else
                free(o);
        if (err_out)
                *err_out = er;
        else
                free(er);
        return r;
}

int ctr_sh(struct ctr_env *env, const char *id, struct test_spec *ts, const char *cmd, char **out, int *status)
{
        struct test_spec local;
        struct rpc_error e = { 0 };
        const char *argv[] = { "sh", "-c", cmd, NULL };
        if (!ts) {
                test_spec_init(&local, env->rootfs, argv);
                ts = &local;
        } else {
                ts->args[0] = (char *)"sh";
                ts->args[1] = (char *)"-c";
                ts->args[2] = (char *)cmd;
                ts->process.n_args = 3;
        }
        int r = ctr_run(env, id, ts, out, NULL, status, &e);
        if (r < 0)
                fprintf(stderr, "container %s: %s: %s\n", id, grpc_code_name(e.code), e.msg);
        return r;
}
