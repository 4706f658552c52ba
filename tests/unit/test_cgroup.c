/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup module against fake trees (tests/unit/cgroup_fixture.h): detection,
 * path resolution, create and destroy. The kernel's side is played by the test:
 * it creates the knob files a real cgroupfs would show and removes them before rmdir.
 */
#include "cgroup_fixture.h"

/* --- detection ----------------------------------------------------------------- */

static void test_detect_v1(void **state)
{
        (void)state;
        make_v1_tree(true);
        detect();
        assert_int_equal(env.version, CGROUP_V1);
        assert_string_equal(env.root, root);
        assert_int_equal(env.n_v1, 11);
        assert_string_equal(mount_of("memory"), at("memory"));
        assert_string_equal(mount_of("cpu"), at("cpu,cpuacct"));
        assert_string_equal(mount_of("cpuacct"), at("cpu,cpuacct"));
        assert_string_equal(mount_of("net_prio"), at("net_cls,net_prio"));
        assert_string_equal(mount_of("cpuset"), at("cpuset"));
        assert_string_equal(mount_of("freezer"), at("freezer"));
        assert_null(mount_of("systemd"));
        assert_null(mount_of("unified"));
        assert_null(mount_of("cpu,cpuacct"));
}

static void test_detect_v2(void **state)
{
        (void)state;
        make_v2_tree();
        detect();
        assert_int_equal(env.version, CGROUP_V2);
        assert_int_equal(env.n_v1, 0);
}

static void test_detect_none(void **state)
{
        struct rpc_error e = {0};
        struct cgroup_env untouched;
        (void)state;
        mkdirs("memory"); /* no cgroup.procs: not a hierarchy */
        memset(&untouched, 0x5a, sizeof untouched);
        assert_int_equal(cgroup_env_detect(root, &untouched, &e), -ENOENT);
        assert_int_equal(e.code, GRPC_NOT_FOUND);
        assert_int_equal(((unsigned char *)&untouched)[0], 0x5a);
        assert_int_equal(cgroup_env_detect(at("nonexistent"), &untouched, &e), -ENOENT);
}

/* --- path resolution ----------------------------------------------------------------- */

static void resolve_ok(const char *in, const char *id, const char *want)
{
        char out[CGROUP_PATH_MAX];
        struct rpc_error e = {0};
        int r = cgroup_resolve_path(in, id, out, sizeof out, &e);
        if (r < 0)
                fail_msg("resolve(%s, %s): %d %s", in ? in : "NULL", id ? id : "NULL", r, e.msg);
        assert_string_equal(out, want);
}

static void resolve_err(const char *in, const char *id)
{
        char out[CGROUP_PATH_MAX] = "sentinel";
        struct rpc_error e = {0};
        int r = cgroup_resolve_path(in, id, out, sizeof out, &e);
        if (r >= 0)
                fail_msg("resolve(%.60s) succeeded: %s", in ? in : "NULL", out);
        assert_true(r == -EINVAL || r == -ENAMETOOLONG);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_true(e.msg[0] != '\0');
        assert_string_equal(out, "sentinel");
}

static void test_resolve_path(void **state)
{
        char long_path[CGROUP_PATH_MAX + 8], comp[NAME_MAX + 3];
        (void)state;

        resolve_ok(NULL, "abc", "/kata/abc");
        resolve_ok("", "abc", "/kata/abc");
        resolve_ok("/foo/bar", "x", "/foo/bar");
        resolve_ok("//foo//bar/", "x", "/foo/bar");
        resolve_ok("/foo/./bar", "x", "/foo/bar");
        resolve_ok("rel/x", "x", "/kata/rel/x");
        resolve_ok("system.slice:docker:abc", "x", "/system.slice/docker-abc.scope");
        resolve_ok("kubepods-burstable-pod1.slice:cri-containerd:abc", "x",
                   "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-abc.scope");
        resolve_ok(":pfx:n", "x", "/system.slice/pfx-n.scope");
        resolve_ok("-.slice::n", "x", "/n.scope");
        resolve_ok("/a:b", "x", "/a:b"); /* absolute: a plain path even with ':' */

        resolve_err("/foo/../bar", "x");
        resolve_err("..", "x");
        resolve_err("../x", "x");
        resolve_err("/", "x");
        resolve_err("//.", "x");
        resolve_err("a:b", "x");
        resolve_err("a:b:c:d", "x");
        resolve_err("foo.slice:p:", "x");
        resolve_err("bad:p:n", "x");
        resolve_err("a--b.slice:p:n", "x");
        resolve_err("-a.slice:p:n", "x");
        resolve_err("a.slice:p:x/y", "x");
        resolve_err("x/y.slice:p:n", "x");
        resolve_err(NULL, "a/b");
        resolve_err(NULL, "..");
        resolve_err(NULL, "");
        resolve_err(NULL, NULL);
        resolve_err("/foo\nbar", "x");

        /* Length: the result, NUL included, fits CGROUP_PATH_MAX. */
        memset(long_path, 'a', sizeof long_path);
        for (size_t i = 0; i < CGROUP_PATH_MAX; i += 200)
                long_path[i] = '/';
        long_path[CGROUP_PATH_MAX - 1] = '\0';
        resolve_ok(long_path, "x", long_path);
        long_path[CGROUP_PATH_MAX - 1] = 'a';
        long_path[CGROUP_PATH_MAX] = '\0';
        resolve_err(long_path, "x");
        /* "/kata" + a relative path that alone fits does not. */
        long_path[CGROUP_PATH_MAX - 4] = '\0';
        resolve_err(long_path + 1, "x");
        memset(comp, 'b', sizeof comp);
        comp[0] = '/';
        comp[NAME_MAX + 2] = '\0';
        resolve_err(comp, "x");
        comp[NAME_MAX + 1] = '\0';
        resolve_ok(comp, "x", comp);

        /* A caller's buffer too small for the result. */
        char small[8] = "sentinel";
        struct rpc_error e = {0};
        assert_int_equal(cgroup_resolve_path("/kata/abcdef", "x", small, sizeof small, &e), -ENAMETOOLONG);
        assert_memory_equal(small, "sentinel", 8);
}

/* --- create ---------------------------------------------------------------------- */

static void test_create_v1(void **state)
{
        (void)state;
        make_v1_tree(true);
        mkdirs("memory/kata"); /* a shared parent someone made before */
        detect();
        struct cgroup *cg = create("/kata/c1");

        assert_string_equal(cg->path, "/kata/c1");
        assert_int_equal(cg->device_prog_fd, -1);
        assert_int_equal(cg->oom_fd, -1);
        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++) {
                char p[256];
                snprintf(p, sizeof p, "%s/kata/c1", v1_hiers[i]);
                assert_true(is_dir(p));
        }
        assert_false(is_dir("systemd/kata"));
        assert_false(is_dir("unified/kata"));
        for (size_t i = 0; i < env.n_v1; i++)
                if (streq(env.v1[i].name, "memory"))
                        assert_int_equal(cg->n_existed[i], 1);
                else if (streq(env.v1[i].name, "pids"))
                        assert_int_equal(cg->n_existed[i], 0);
        /* cpuset copied down level by level, or no task could join. */
        assert_string_equal(get("cpuset/kata/cpuset.cpus"), "0-3");
        assert_string_equal(get("cpuset/kata/cpuset.mems"), "0");
        assert_string_equal(get("cpuset/kata/c1/cpuset.cpus"), "0-3");
        assert_string_equal(get("cpuset/kata/c1/cpuset.mems"), "0");
        cgroup_free(cg);

        /* Existing is fine, and a set cpuset is left as it is. */
        put("cpuset/kata/c1/cpuset.cpus", "1\n");
        cg = create("/kata/c1");
        assert_string_equal(get("cpuset/kata/c1/cpuset.cpus"), "1\n");
        for (size_t i = 0; i < env.n_v1; i++)
                if (first_of_mount(i))
                        assert_int_equal(cg->n_existed[i], 2);
        assert_null(cgroup_free(cg));
        assert_null(cgroup_free(NULL));
}

static void test_create_v2(void **state)
{
        (void)state;
        make_v2_tree();
        mkdirs("kata");
        put("kata/cgroup.subtree_control", "");
        detect();
        struct cgroup *cg = create("/kata/c1");

        assert_true(is_dir("kata/c1"));
        assert_int_equal(cg->n_existed[0], 1);
        /* Every ancestor enables what the root offers; the leaf itself does not. */
        assert_string_equal(get("cgroup.subtree_control"), "+cpuset +cpu +io +memory +hugetlb +pids");
        assert_string_equal(get("kata/cgroup.subtree_control"), "+cpuset +cpu +io +memory +hugetlb +pids");
        assert_string_equal(get("kata/c1/cgroup.subtree_control"), "<missing>");
        cgroup_free(cg);

        /* A level that cannot take the set (no such file here) is not an error. */
        cg = create("/other/deep/c2");
        assert_true(is_dir("other/deep/c2"));
        cgroup_free(cg);
}

static void assert_no_kata(void)
{
        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++) {
                char p[256];
                snprintf(p, sizeof p, "%s/kata", v1_hiers[i]);
                if (streq(v1_hiers[i], "pids"))
                        continue;
                if (is_dir(p))
                        fail_msg("%s left behind", p);
        }
}

static void test_create_fails_cleanly(void **state)
{
        struct cgroup *cg = (struct cgroup *)0x1;
        struct rpc_error e = {0};
        (void)state;

        make_v1_tree(true);
        put("pids/kata", "a file where a directory must go");
        detect();
        assert_int_equal(cgroup_create(&env, "/kata/c1", &cg, &e), -ENOTDIR);
        assert_ptr_equal(cg, (struct cgroup *)0x1);
        assert_int_not_equal(e.code, GRPC_OK);
        assert_non_null(strstr(e.msg, "/kata/c1"));
        assert_no_kata();
        assert_string_equal(get("pids/kata"), "a file where a directory must go");

        /* Not the canonical form: refused before anything is made. */
        memset(&e, 0, sizeof e);
        assert_int_equal(cgroup_create(&env, "kata/c1", &cg, &e), -EINVAL);
        assert_int_equal(e.code, GRPC_INVALID_ARGUMENT);
        assert_int_equal(cgroup_create(&env, "/kata/../c1", &cg, &e), -EINVAL);
        assert_int_equal(cgroup_create(&env, "/kata//c1", &cg, &e), -EINVAL);
        assert_int_equal(cgroup_create(&env, "/", &cg, &e), -EINVAL);
        assert_ptr_equal(cg, (struct cgroup *)0x1);
        assert_no_kata();
}

static void test_create_v2_fails_cleanly(void **state)
{
        struct cgroup *cg = NULL;
        struct rpc_error e = {0};
        (void)state;

        make_v2_tree();
        mkdirs("a");
        put("a/b", "file");
        detect();
        assert_int_equal(cgroup_create(&env, "/a/b/c", &cg, &e), -ENOTDIR);
        assert_null(cg);
        assert_true(is_dir("a"));
        assert_int_equal(cgroup_create(&env, "/x/y/z", &cg, &e), 0);
        cgroup_free(cg);
}

/* --- destroy ------------------------------------------------------------------------- */

static void test_destroy(void **state)
{
        (void)state;
        struct rpc_error e = {0};

        make_v1_tree(true);
        mkdirs("memory/kata"); /* made by someone else before: stays */
        detect();
        struct cgroup *cg = create("/kata/c1");
        mkdirs("pids/kata/other"); /* made by us, then shared: stays */

        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++)
                knob(v1_hiers[i], "cgroup.procs", "");
        knob("freezer", "cgroup.procs", "1234\n");
        assert_int_equal(cgroup_destroy(cg, &e), -EBUSY);
        assert_int_equal(e.code, GRPC_FAILED_PRECONDITION);
        assert_non_null(strstr(e.msg, "freezer"));
        /* Checked everywhere first: nothing was removed. */
        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++) {
                char p[256];
                snprintf(p, sizeof p, "%s/kata/c1", v1_hiers[i]);
                assert_true(is_dir(p));
        }

        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++) {
                char p[256];
                snprintf(p, sizeof p, "%s/kata", v1_hiers[i]);
                strip_files(p);
        }
        assert_int_equal(cgroup_destroy(cg, &e), 0);
        for (size_t i = 0; i < sizeof v1_hiers / sizeof v1_hiers[0]; i++) {
                char p[256];
                snprintf(p, sizeof p, "%s/kata/c1", v1_hiers[i]);
                assert_false(is_dir(p));
                snprintf(p, sizeof p, "%s/kata", v1_hiers[i]);
                if (streq(v1_hiers[i], "memory") || streq(v1_hiers[i], "pids"))
                        assert_true(is_dir(p));
                else
                        assert_false(is_dir(p));
        }
        assert_true(is_dir("pids/kata/other"));
        /* Twice is fine; the hierarchy roots are untouched. */
        assert_int_equal(cgroup_destroy(cg, &e), 0);
        assert_true(is_dir("memory"));
        assert_true(is_dir("cpu,cpuacct"));
        cgroup_free(cg);
}

static void test_destroy_v2_leaf_existed(void **state)
{
        (void)state;
        struct rpc_error e = {0};

        make_v2_tree();
        mkdirs("kata/c1");
        detect();
        struct cgroup *cg = create("/kata/c1");
        /* It was there before: not ours to remove. */
        assert_int_equal(cgroup_destroy(cg, &e), 0);
        assert_true(is_dir("kata/c1"));
        cgroup_free(cg);

        cg = create("/kata/c2/d");
        strip_files("kata/c2");
        assert_int_equal(cgroup_destroy(cg, &e), 0);
        assert_false(is_dir("kata/c2"));
        assert_true(is_dir("kata"));
        cgroup_free(cg);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_detect_v1),
                T(test_detect_v2),
                T(test_detect_none),
                cmocka_unit_test(test_resolve_path),
                T(test_create_v1),
                T(test_create_v2),
                T(test_create_fails_cleanly),
                T(test_create_v2_fails_cleanly),
                T(test_destroy),
                T(test_destroy_v2_leaf_existed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
