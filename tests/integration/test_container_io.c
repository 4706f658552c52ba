/* SPDX-License-Identifier: Apache-2.0 */
/* Container stdio, terminals, exec, signals and exit statuses on the real agent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container_run.h"
#include "kinglet.pb-c.h"
#include "ttrpc_client.h"
#include "util.h"

#define expect_in(out, needle)                                                           \
        do {                                                                             \
                if (!strstr((out), (needle)))                                            \
                        fail_msg("expected `%s` in the output:\n%s", (needle), (out));     \
        } while (0)

static void start_sh(struct ctr_env *env, const char *id, const char *cmd, bool tty, unsigned rows,
                     unsigned cols)
{
        struct test_spec ts;
        struct rpc_error e = { 0 };
        const char *argv[] = { "sh", "-c", cmd, NULL };
        test_spec_init(&ts, env->rootfs, argv);
        ts.process.terminal = tty;
        ts.console.height = rows;
        ts.console.width = cols;
        if (agent_create_container(&env->client, id, &ts.spec, NULL, &e) < 0 ||
            agent_start_container(&env->client, id, &e) < 0)
                fail_msg("cannot run `%s`: %s", cmd, e.msg);
}

/* Reads stdout until `needle` shows up (or EOF); returns everything read. */
static char *read_until(struct ctr_env *env, const char *id, const char *exec_id, const char *needle)
{
        struct rpc_error e = { 0 };
        size_t len = 0;
        char *all = calloc(1, 1);
        while (!strstr(all, needle)) {
                uint8_t *data;
                size_t n;
                if (agent_read_stream(&env->client, id, exec_id, false, 4096, &data, &n, &e) < 0)
                        fail_msg("read: %s", e.msg);
                if (n == 0) {
                        free(data);
                        break;
                }
                all = realloc(all, len + n + 1);
                memcpy(all + len, data, n);
                len += n;
                all[len] = '\0';
                free(data);
        }
        return all;
}

static void finish(struct ctr_env *env, const char *id, int want_status)
{
        struct rpc_error e = { 0 };
        int status;
        assert_int_equal(agent_wait_process(&env->client, id, id, &status, &e), 0);
        assert_int_equal(status, want_status);
        assert_int_equal(agent_remove_container(&env->client, id, 10, &e), 0);
}

static void test_tty_and_window_size(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        size_t written;
        start_sh(env, "tty", "tty; stty size; read line; stty size; echo got:$line", true, 40, 120);
        char *out = read_until(env, "tty", "tty", "40 120");
        expect_in(out, "/dev/pts/0");
        free(out);
        assert_int_equal(agent_resize(&env->client, "tty", "tty", 50, 100, &e), 0);
        assert_int_equal(agent_write_stdin(&env->client, "tty", "tty", "hi\n", 3, &written, &e), 0);
        assert_int_equal(written, 3);
        out = read_until(env, "tty", "tty", "got:hi");
        expect_in(out, "50 100");
        free(out);
        finish(env, "tty", 0);
}

static void test_stdin_through_cat(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        char line[64];
        size_t in_len = 0, out_len = 0, cap = 1 << 17;
        char *input = malloc(cap), *echoed = malloc(cap);
        start_sh(env, "cat", "cat", false, 0, 0);
        for (int i = 0; i < 2000; i++) {
                int n = snprintf(line, sizeof line, "line %d of the input\n", i);
                memcpy(input + in_len, line, (size_t)n);
                in_len += (size_t)n;
                size_t done = 0;
                while (done < (size_t)n) {
                        size_t w;
                        assert_int_equal(agent_write_stdin(&env->client, "cat", "cat", line + done, (size_t)n - done,
                                                           &w, &e), 0);
                        done += w;
                }
                /* Drain as we go so cat never blocks on a full stdout. */
                if (i % 200 == 199) {
                        char want[64];
                        snprintf(want, sizeof want, "line %d of", i);
                        char *part = read_until(env, "cat", "cat", want);
                        memcpy(echoed + out_len, part, strlen(part));
                        out_len += strlen(part);
                        free(part);
                }
        }
        assert_int_equal(agent_close_stdin(&env->client, "cat", "cat", &e), 0);
        char *rest = NULL;
        size_t rest_len;
        assert_int_equal(ctr_read_all(&env->client, "cat", "cat", false, &rest, &rest_len), 0);
        memcpy(echoed + out_len, rest, rest_len);
        out_len += rest_len;
        free(rest);
        assert_int_equal(out_len, in_len);
        assert_memory_equal(echoed, input, in_len);
        free(input);
        free(echoed);
        finish(env, "cat", 0);
}

/*
 * A container held between CreateContainer and StartContainer is a clone of
 * the agent: if it kept the agent's descriptors, it would hold the write end
 * of every other container's stdin, and CloseStdin would not end their `cat`.
 */
static void test_close_stdin_while_another_is_held(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        struct test_spec ts;
        const char *argv[] = { "true", NULL };
        int status = -1;
        start_sh(env, "reader", "cat", false, 0, 0);
        test_spec_init(&ts, env->rootfs, argv);
        assert_int_equal(agent_create_container(&env->client, "held", &ts.spec, NULL, &e), 0); /* not started */
        assert_int_equal(agent_close_stdin(&env->client, "reader", "reader", &e), 0);
        int64_t saved = env->client.timeout_ns;
        env->client.timeout_ns = 5 * NSEC_PER_SEC;
        int r = agent_wait_process(&env->client, "reader", "reader", &status, &e);
        env->client.timeout_ns = saved;
        if (r < 0)
                fail_msg("cat did not see EOF while another container was held: %s", e.msg);
        assert_int_equal(status, 0);
        assert_int_equal(agent_remove_container(&env->client, "reader", 10, &e), 0);
        assert_int_equal(agent_remove_container(&env->client, "held", 10, &e), 0);
}

static void test_large_output_in_order(void **state)
{
        struct ctr_env *env = *state;
        char *out = NULL;
        size_t len = 0;
        /* ~50 MB: 5,000,000 numbered lines, which must arrive complete and in order. */
        start_sh(env, "big", "seq 1 5000000", false, 0, 0);
        assert_int_equal(ctr_read_all(&env->client, "big", "big", false, &out, &len), 0);
        assert_true(len > 38000000);
        long expect = 1;
        for (char *p = out; *p; expect++) {
                char *nl = strchr(p, '\n');
                assert_non_null(nl);
                if (strtol(p, NULL, 10) != expect)
                        fail_msg("line %ld is `%.*s`", expect, (int)(nl - p), p);
                p = nl + 1;
        }
        assert_int_equal(expect - 1, 5000000);
        free(out);
        finish(env, "big", 0);
}

static void test_exec_env_cwd_and_status(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        int status;
        char *out = NULL, *err = NULL;
        start_sh(env, "ex", "sleep 1000", false, 0, 0);

        Grpc__Process p = GRPC__PROCESS__INIT;
        char *args[] = { (char *)"sh", (char *)"-c", (char *)"echo $FOO; pwd; echo oops >&2; exit 42" };
        char *envv[] = { (char *)"FOO=bar", (char *)"PATH=/bin" };
        p.args = args;
        p.n_args = 3;
        p.env = envv;
        p.n_env = 2;
        p.cwd = (char *)"/tmp";
        assert_int_equal(agent_exec_process(&env->client, "ex", "e1", &p, NULL, &e), 0);
        assert_int_equal(ctr_read_all(&env->client, "ex", "e1", false, &out, NULL), 0);
        assert_int_equal(ctr_read_all(&env->client, "ex", "e1", true, &err, NULL), 0);
        assert_int_equal(agent_wait_process(&env->client, "ex", "e1", &status, &e), 0);
        assert_string_equal(out, "bar\n/tmp\n");
        assert_string_equal(err, "oops\n");
        assert_int_equal(status, 42);
        free(out);
        free(err);

        /* The same exec id again is refused; a missing binary is an error that says so. */
        if (agent_exec_process(&env->client, "ex", "e2", &p, NULL, &e) < 0)
                fail_msg("exec e2: %s", e.msg);
        assert_int_equal(agent_exec_process(&env->client, "ex", "e2", &p, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_ALREADY_EXISTS);
        char *missing[] = { (char *)"no-such-binary" };
        p.args = missing;
        p.n_args = 1;
        assert_int_equal(agent_exec_process(&env->client, "ex", "e3", &p, NULL, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        expect_in(e.msg, "`no-such-binary` not found in $PATH");
        assert_int_equal(agent_wait_process(&env->client, "ex", "e3", &status, &e), 0);
        assert_int_equal(status, 127);

        assert_int_equal(agent_signal_process(&env->client, "ex", "", SIGKILL, &e), 0);
        finish(env, "ex", 128 + SIGKILL);
}

static int count_fds(const char *dir)
{
        DIR *d = opendir(dir);
        int n = 0;
        for (struct dirent *de; d && (de = readdir(d));)
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

/* The exec ids the agent still tracks for container `id` (kinglet.Containers/List). */
static size_t tracked_processes(struct ctr_env *env, const char *id, const char *exec_id, bool *has_exec)
{
        Kinglet__ListContainersRequest lreq = KINGLET__LIST_CONTAINERS_REQUEST__INIT;
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        ProtobufCMessage *m = NULL;
        size_t n = 0;
        *has_exec = false;
        assert_int_equal(ttrpc_client_call(env->client.ttrpc, "kinglet.Containers", "List", &lreq.base,
                                           &kinglet__list_containers_response__descriptor, 0, &st, &m, &e), 0);
        const Kinglet__ListContainersResponse *l = (const Kinglet__ListContainersResponse *)m;
        for (size_t i = 0; i < l->n_containers; i++) {
                if (strcmp(l->containers[i]->container_id, id) != 0)
                        continue;
                n = l->containers[i]->n_processes;
                for (size_t k = 0; k < n; k++)
                        *has_exec |= strcmp(l->containers[i]->processes[k]->exec_id, exec_id) == 0;
        }
        protobuf_c_message_free_unpacked(m, NULL);
        return n;
}

/*
 * A Kata runtime parks WaitProcess, ReadStdout and ReadStderr right after
 * ExecProcess. Once all three were answered — by the exit and the EOFs, not
 * by immediate replies — the agent must forget the exec: liveness probes exec
 * forever, and a container holds at most 1024 processes.
 */
static void test_exec_forgotten_after_parked_wait_and_reads(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        start_sh(env, "fg", "sleep 1000", false, 0, 0);
        Grpc__Process p = GRPC__PROCESS__INIT;
        char *args[] = { (char *)"sh", (char *)"-c", (char *)"sleep 0.3; echo hi; sleep 0.3" };
        char *envv[] = { (char *)"PATH=/bin" };
        p.args = args;
        p.n_args = 3;
        p.env = envv;
        p.n_env = 1;
        p.cwd = (char *)"/";
        for (int round = 0; round < 2; round++) {
                char exec_id[32];
                snprintf(exec_id, sizeof exec_id, "probe%d", round);
                assert_int_equal(agent_exec_process(&env->client, "fg", exec_id, &p, NULL, &e), 0);

                Grpc__WaitProcessRequest wreq = GRPC__WAIT_PROCESS_REQUEST__INIT;
                Grpc__ReadStreamRequest rreq = GRPC__READ_STREAM_REQUEST__INIT;
                wreq.container_id = rreq.container_id = (char *)"fg";
                wreq.exec_id = rreq.exec_id = exec_id;
                rreq.len = 4096;
                uint32_t wait_id, out_id, err_id;
                assert_int_equal(ttrpc_client_send(env->client.ttrpc, "grpc.AgentService", "WaitProcess",
                                                   &wreq.base, 0, &wait_id), 0);
                assert_int_equal(ttrpc_client_send(env->client.ttrpc, "grpc.AgentService", "ReadStdout",
                                                   &rreq.base, 0, &out_id), 0);
                assert_int_equal(ttrpc_client_send(env->client.ttrpc, "grpc.AgentService", "ReadStderr",
                                                   &rreq.base, 0, &err_id), 0);
                bool waited = false, out_eof = false, err_eof = false;
                char out[64] = "";
                while (!waited || !out_eof || !err_eof) {
                        struct ttrpc_reply r;
                        assert_int_equal(ttrpc_client_recv(env->client.ttrpc, 10000, &r), 0);
                        assert_int_equal(r.code, 0);
                        if (r.stream_id == wait_id) {
                                Grpc__WaitProcessResponse *w =
                                        (Grpc__WaitProcessResponse *)protobuf_c_message_unpack(
                                                &grpc__wait_process_response__descriptor, NULL, r.payload_len,
                                                r.payload);
                                assert_non_null(w);
                                assert_int_equal(w->status, 0);
                                protobuf_c_message_free_unpacked(&w->base, NULL);
                                waited = true;
                        } else {
                                Grpc__ReadStreamResponse *d =
                                        (Grpc__ReadStreamResponse *)protobuf_c_message_unpack(
                                                &grpc__read_stream_response__descriptor, NULL, r.payload_len,
                                                r.payload);
                                assert_non_null(d);
                                bool eof = d->data.len == 0;
                                if (r.stream_id == out_id && !eof) {
                                        strncat(out, (const char *)d->data.data,
                                                MIN(d->data.len, sizeof out - strlen(out) - 1));
                                        /* The next read parks until the exit's EOF. */
                                        assert_int_equal(ttrpc_client_send(env->client.ttrpc, "grpc.AgentService",
                                                                           "ReadStdout", &rreq.base, 0, &out_id), 0);
                                } else if (r.stream_id == out_id) {
                                        out_eof = true;
                                } else {
                                        assert_int_equal(r.stream_id, err_id);
                                        assert_true(eof);
                                        err_eof = true;
                                }
                                protobuf_c_message_free_unpacked(&d->base, NULL);
                        }
                        ttrpc_reply_clear(&r);
                }
                assert_string_equal(out, "hi\n");
                /* Forgotten on the loop iteration after the last answer. */
                bool has_exec = true;
                for (int i = 0; i < 100 && has_exec; i++) {
                        (void)tracked_processes(env, "fg", exec_id, &has_exec);
                        if (has_exec)
                                usleep(10000);
                }
                assert_false(has_exec);
                assert_int_equal(tracked_processes(env, "fg", exec_id, &has_exec), 1); /* the init only */
        }
        /*
         * An exec whose output nobody reads: once waited for, it holds no
         * descriptor (stdin closed, pipes at EOF); the record itself goes
         * 30 s later.
         */
        char fd_dir[64];
        snprintf(fd_dir, sizeof fd_dir, "/proc/%d/fd", (int)env->agent.pid);
        int before = count_fds(fd_dir);
        int status = -1;
        assert_int_equal(agent_exec_process(&env->client, "fg", "unread", &p, NULL, &e), 0);
        assert_int_equal(agent_wait_process(&env->client, "fg", "unread", &status, &e), 0);
        assert_int_equal(status, 0);
        int after = -1;
        for (int i = 0; i < 100 && after != before; i++) {
                after = count_fds(fd_dir);
                if (after != before)
                        usleep(10000);
        }
        assert_int_equal(after, before);
        bool has_exec = false;
        (void)tracked_processes(env, "fg", "unread", &has_exec);
        assert_true(has_exec); /* its output can still be read */
        char *left = NULL;
        assert_int_equal(ctr_read_all(&env->client, "fg", "unread", false, &left, NULL), 0);
        assert_string_equal(left, "hi\n");
        free(left);

        assert_int_equal(agent_signal_process(&env->client, "fg", "", SIGKILL, &e), 0);
        finish(env, "fg", 128 + SIGKILL);
}

static void test_signals(void **state)
{
        struct ctr_env *env = *state;
        struct rpc_error e = { 0 };
        /* PID 1 of a namespace only gets signals it handles: trap TERM. */
        start_sh(env, "sig", "trap 'echo term; exit 7' TERM; echo ready; while true; do sleep 0.05; done", false, 0, 0);
        free(read_until(env, "sig", "sig", "ready"));
        assert_int_equal(agent_signal_process(&env->client, "sig", "sig", SIGTERM, &e), 0);
        char *out = read_until(env, "sig", "sig", "term");
        expect_in(out, "term");
        free(out);
        finish(env, "sig", 7);
        /* Unknown process or signal number. */
        start_sh(env, "sig2", "sleep 1000", false, 0, 0);
        assert_int_equal(agent_signal_process(&env->client, "sig2", "nope", SIGTERM, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        assert_int_equal(agent_signal_process(&env->client, "sig2", "", 999, &e), -EPROTO);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_int_equal(agent_signal_process(&env->client, "sig2", "", SIGKILL, &e), 0);
        finish(env, "sig2", 137);

        /*
         * SIGTERM to the whole container ("" as exec id): an init that does not
         * handle it would ignore it (PID 1), so it becomes SIGKILL, as in Kata's
         * agent; one that handles it gets SIGTERM.
         */
        start_sh(env, "sig3", "exec sleep 1000", false, 0, 0);
        assert_int_equal(agent_signal_process(&env->client, "sig3", "", SIGTERM, &e), 0);
        int64_t saved = env->client.timeout_ns;
        env->client.timeout_ns = 5 * NSEC_PER_SEC; /* a SIGTERM left as it was would never end it */
        int status = 0;
        assert_int_equal(agent_wait_process(&env->client, "sig3", "sig3", &status, &e), 0);
        env->client.timeout_ns = saved;
        assert_int_equal(status, 128 + SIGKILL);
        assert_int_equal(agent_remove_container(&env->client, "sig3", 10, &e), 0);
        start_sh(env, "sig4", "trap 'echo term; exit 9' TERM; echo ready; while true; do sleep 0.05; done", false, 0,
                 0);
        free(read_until(env, "sig4", "sig4", "ready"));
        assert_int_equal(agent_signal_process(&env->client, "sig4", "", SIGTERM, &e), 0);
        free(read_until(env, "sig4", "sig4", "term"));
        finish(env, "sig4", 9);
}

static void test_missing_binary_at_start(void **state)
{
        struct ctr_env *env = *state;
        struct test_spec ts;
        struct rpc_error e = { 0 };
        int status;
        const char *argv[] = { "/bin/absent", NULL };
        test_spec_init(&ts, env->rootfs, argv);
        assert_int_equal(agent_create_container(&env->client, "nf", &ts.spec, NULL, &e), 0);
        assert_int_equal(agent_start_container(&env->client, "nf", &e), -EPROTO);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        expect_in(e.msg, "/bin/absent");
        assert_int_equal(agent_wait_process(&env->client, "nf", "nf", &status, &e), 0);
        assert_int_equal(status, 127);
        assert_int_equal(agent_remove_container(&env->client, "nf", 10, &e), 0);

        /* A file that is there but cannot be executed: PERMISSION_DENIED, and 126 as a shell says. */
        const char *not_exec[] = { "/etc/passwd", NULL };
        test_spec_init(&ts, env->rootfs, not_exec);
        assert_int_equal(agent_create_container(&env->client, "nx", &ts.spec, NULL, &e), 0);
        assert_int_equal(agent_start_container(&env->client, "nx", &e), -EPROTO);
        assert_int_equal(e.code, GRPC_PERMISSION_DENIED);
        expect_in(e.msg, "/etc/passwd");
        assert_int_equal(agent_wait_process(&env->client, "nx", "nx", &status, &e), 0);
        assert_int_equal(status, 126);
        assert_int_equal(agent_remove_container(&env->client, "nx", 10, &e), 0);
}

static long agent_rss_kib(const struct ctr_env *env)
{
        char path[128], line[256];
        long rss = -1;
        snprintf(path, sizeof path, "/proc/%d/status", (int)env->agent.pid);
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "VmRSS: %ld", &rss) == 1)
                        break;
        if (f)
                fclose(f);
        return rss;
}

static void test_output_back_pressure(void **state)
{
        struct ctr_env *env = *state;
        long before = agent_rss_kib(env);
        /* Nobody reads for a while: the writer must block on the pipe, not the agent grow. */
        start_sh(env, "bp", "yes | head -c 20000000; echo; echo done", false, 0, 0);
        usleep(500 * 1000);
        long during = agent_rss_kib(env);
        /* 20 MB were written; the agent holds at most the 64 KiB stdout buffer of them. */
        if (during - before > 1024)
                fail_msg("agent RSS grew from %ld to %ld KiB while output was not read", before, during);
        char *out = NULL;
        size_t len;
        assert_int_equal(ctr_read_all(&env->client, "bp", "bp", false, &out, &len), 0);
        assert_int_equal(len, 20000000 + 1 + 5);
        free(out);
        finish(env, "bp", 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ctr_setup, ctr_teardown)
                T(test_tty_and_window_size),
                T(test_stdin_through_cat),
                T(test_close_stdin_while_another_is_held),
                T(test_large_output_in_order),
                T(test_exec_env_cwd_and_status),
                T(test_exec_forgotten_after_parked_wait_and_reads),
                T(test_signals),
                T(test_missing_binary_at_start),
                T(test_output_back_pressure),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
