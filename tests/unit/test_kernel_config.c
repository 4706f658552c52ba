/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image-recipes/kernel/check-config.sh: every option a kernel config fragment
 * sets must survive `make olddefconfig`. Fake fragments and .config files in a
 * temporary directory; the script runs from the source tree (KINGLET_SRCDIR,
 * default the working directory, which `make unit` sets to the top).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUTPUT_MAX 8192

struct dir {
        char path[64];
};

struct result {
        int status; /* exit status, or -1 when killed */
        char out[OUTPUT_MAX]; /* stdout and stderr together */
};

/* Writes TEXT to NAME below D, making the directories on the way. */
static void write_file(const struct dir *d, const char *name, const char *text)
{
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", d->path, name);
        for (char *p = path + strlen(d->path) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                if (mkdir(path, 0755) != 0 && errno != EEXIST)
                        fail_msg("mkdir %s: %s", path, strerror(errno));
                *p = '/';
        }
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

/* The absolute path of check-config.sh (the test runs it from a temporary directory). */
static const char *script(void)
{
        static char path[PATH_MAX];
        char rel[PATH_MAX];
        const char *top = getenv("KINGLET_SRCDIR");
        snprintf(rel, sizeof rel, "%s/image-recipes/kernel/check-config.sh", top ? top : ".");
        if (!realpath(rel, path))
                fail_msg("%s: %s (run from the source tree or set KINGLET_SRCDIR)", rel, strerror(errno));
        return path;
}

/* Runs check-config.sh with ARGS (NULL-terminated, file names relative to D). */
static void run(const struct dir *d, struct result *r, ...)
{
        const char *argv[16] = {"sh", script()};
        size_t argc = 2;
        va_list ap;
        va_start(ap, r);
        for (const char *a; (a = va_arg(ap, const char *));) {
                assert_true(argc < 15);
                argv[argc++] = a;
        }
        va_end(ap);
        argv[argc] = NULL;

        int fds[2];
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0 || chdir(d->path) != 0)
                        _exit(127);
                execvp("sh", (char *const *)argv);
                _exit(127);
        }
        close(fds[1]);
        size_t n = 0;
        for (;;) {
                ssize_t k = read(fds[0], r->out + n, sizeof r->out - 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t)k;
        }
        r->out[n] = '\0';
        close(fds[0]);
        int ws;
        assert_int_equal(waitpid(pid, &ws, 0), pid);
        r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
        print_message("%s", r->out);
}

static void assert_contains(const struct result *r, const char *needle)
{
        if (!strstr(r->out, needle))
                fail_msg("expected \"%s\" in the output:\n%s", needle, r->out);
}

static void assert_lacks(const struct result *r, const char *needle)
{
        if (strstr(r->out, needle))
                fail_msg("did not expect \"%s\" in the output:\n%s", needle, r->out);
}

static int setup(void **state)
{
        struct dir *d = calloc(1, sizeof *d);
        if (!d)
                return -1;
        snprintf(d->path, sizeof d->path, "/tmp/kinglet-kconfig-XXXXXX");
        if (!mkdtemp(d->path)) {
                free(d);
                return -1;
        }
        *state = d;
        return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)type;
        (void)ftw;
        return remove(path);
}

static int teardown(void **state)
{
        struct dir *d = *state;
        int rc = nftw(d->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(d);
        return rc;
}

static const char fragment[] = "# comment lines and blank lines are ignored\n"
                               "\n"
                               "CONFIG_VIRTIO_CONSOLE=y\n"
                               "CONFIG_VIRTIO_FS=y\n"
                               "CONFIG_LOG_BUF_SHIFT=15\n"
                               "CONFIG_DEFAULT_HOSTNAME=\"kinglet\"\n"
                               "# CONFIG_KALLSYMS is not set\n"
                               "# CONFIG_VT is not set\n";

/* olddefconfig kept everything: "not set" may be a comment line or absent. */
static const char config_ok[] = "#\n# Automatically generated file; DO NOT EDIT.\n#\n"
                                "CONFIG_VIRTIO_CONSOLE=y\n"
                                "CONFIG_FUSE_FS=y\n"
                                "CONFIG_VIRTIO_FS=y\n"
                                "CONFIG_LOG_BUF_SHIFT=15\n"
                                "CONFIG_DEFAULT_HOSTNAME=\"kinglet\"\n"
                                "# CONFIG_KALLSYMS is not set\n"
                                "CONFIG_OTHER=y\n";

static void test_all_survived(void **state)
{
        struct dir *d = *state;
        struct result r;
        write_file(d, "base.config", fragment);
        write_file(d, "config", config_ok);
        run(d, &r, "base.config", "config", NULL);
        assert_int_equal(r.status, 0);
        assert_contains(&r, "all 6 options from 1 fragment(s) survived");
}

/* VIRTIO_FS dropped (FUSE_FS missing): an error that names it, and only it. */
static void test_dropped_option_named(void **state)
{
        struct dir *d = *state;
        struct result r;
        write_file(d, "base.config", fragment);
        write_file(d, "config",
                   "CONFIG_VIRTIO_CONSOLE=y\n"
                   "# CONFIG_VIRTIO_FS is not set\n"
                   "CONFIG_LOG_BUF_SHIFT=15\n"
                   "CONFIG_DEFAULT_HOSTNAME=\"kinglet\"\n");
        run(d, &r, "base.config", "config", NULL);
        assert_int_equal(r.status, 1);
        assert_contains(&r, "CONFIG_VIRTIO_FS: wanted y, got not set (set in base.config)");
        assert_contains(&r, "1 of 6 options from 1 fragment(s) did not survive");
        assert_lacks(&r, "CONFIG_VIRTIO_CONSOLE:");
}

/* An option missing from the .config altogether is as dropped as a "not set" one. */
static void test_absent_option_named(void **state)
{
        struct dir *d = *state;
        struct result r;
        write_file(d, "base.config", "CONFIG_VIRTIO_PMEM=y\nCONFIG_TTY=y\n");
        write_file(d, "config", "CONFIG_TTY=y\n");
        run(d, &r, "base.config", "config", NULL);
        assert_int_equal(r.status, 1);
        assert_contains(&r, "CONFIG_VIRTIO_PMEM: wanted y, got not set");
}

/* Changed values fail too: numbers, strings, and options that had to stay off. */
static void test_changed_values_named(void **state)
{
        struct dir *d = *state;
        struct result r;
        write_file(d, "base.config", fragment);
        write_file(d, "config",
                   "CONFIG_VIRTIO_CONSOLE=y\n"
                   "CONFIG_VIRTIO_FS=y\n"
                   "CONFIG_LOG_BUF_SHIFT=17\n"
                   "CONFIG_DEFAULT_HOSTNAME=\"(none)\"\n"
                   "CONFIG_KALLSYMS=y\n");
        run(d, &r, "base.config", "config", NULL);
        assert_int_equal(r.status, 1);
        assert_contains(&r, "CONFIG_LOG_BUF_SHIFT: wanted 15, got 17");
        assert_contains(&r, "CONFIG_DEFAULT_HOSTNAME: wanted \"kinglet\", got \"(none)\"");
        assert_contains(&r, "CONFIG_KALLSYMS: wanted not set, got y");
        assert_contains(&r, "3 of 6 options");
}

/* A later fragment overrides an earlier one, as merge_config.sh does. */
static void test_later_fragment_wins(void **state)
{
        struct dir *d = *state;
        struct result r;
        write_file(d, "base.config", "# CONFIG_KALLSYMS is not set\nCONFIG_TTY=y\n");
        write_file(d, "debug.config", "CONFIG_KALLSYMS=y\n");
        write_file(d, "config", "CONFIG_KALLSYMS=y\nCONFIG_TTY=y\n");
        run(d, &r, "base.config", "debug.config", "config", NULL);
        assert_int_equal(r.status, 0);
        assert_contains(&r, "all 2 options from 2 fragment(s) survived");

        write_file(d, "config", "# CONFIG_KALLSYMS is not set\nCONFIG_TTY=y\n");
        run(d, &r, "base.config", "debug.config", "config", NULL);
        assert_int_equal(r.status, 1);
        assert_contains(&r, "CONFIG_KALLSYMS: wanted y, got not set (set in debug.config)");
}

/*
 * With --srctree, the error quotes the option's "depends on" with the values of
 * its symbols, includes the `if` around the `source` line of its Kconfig file
 * when its own conditions look met, and says when no such option exists.
 */
static void test_unmet_dependency_named(void **state)
{
        struct dir *d = *state;
        struct result r;
        write_file(d, "src/Kconfig", "source \"fs/Kconfig\"\n");
        write_file(d, "src/fs/Kconfig",
                   "menuconfig MISC_FILESYSTEMS\n"
                   "\tbool \"Miscellaneous filesystems\"\n"
                   "\n"
                   "if MISC_FILESYSTEMS\n"
                   "source \"fs/erofs/Kconfig\"\n"
                   "endif # MISC_FILESYSTEMS\n"
                   "\n"
                   "config FS_DAX\n"
                   "\tbool \"DAX\"\n"
                   "\tdepends on MMU\n"
                   "\tdepends on ZONE_DEVICE || FS_DAX_LIMITED\n"
                   "\thelp\n"
                   "\t  if you say Y here, depends on nothing else\n");
        write_file(d, "src/fs/erofs/Kconfig",
                   "config EROFS_FS\n"
                   "\ttristate \"EROFS filesystem support\"\n"
                   "\tdepends on BLOCK\n");
        write_file(d, "src/arch/arm/Kconfig", "config FS_DAX\n\tdepends on ARM_ONLY\n");
        write_file(d, "base.config", "CONFIG_FS_DAX=y\nCONFIG_EROFS_FS=y\nCONFIG_NO_SUCH_THING=y\n");
        write_file(d, "config", "CONFIG_MMU=y\nCONFIG_BLOCK=y\n");
        run(d, &r, "--srctree", "src", "base.config", "config", NULL);
        assert_int_equal(r.status, 1);
        assert_contains(&r, "CONFIG_FS_DAX: wanted y, got not set (set in base.config); depends on: "
                            "MMU && (ZONE_DEVICE || FS_DAX_LIMITED) [MMU=y ZONE_DEVICE=n FS_DAX_LIMITED=n]");
        assert_lacks(&r, "ARM_ONLY");
        assert_contains(&r, "CONFIG_EROFS_FS: wanted y, got not set (set in base.config); depends on: "
                            "BLOCK && MISC_FILESYSTEMS [BLOCK=y MISC_FILESYSTEMS=n]");
        assert_contains(&r, "CONFIG_NO_SUCH_THING: wanted y, got not set (set in base.config); no such option");
        assert_contains(&r, "3 of 3 options");
}

static void test_usage_errors(void **state)
{
        struct dir *d = *state;
        struct result r;
        write_file(d, "config", config_ok);
        run(d, &r, "config", NULL); /* a .config but no fragment */
        assert_int_equal(r.status, 2);
        assert_contains(&r, "usage: check-config.sh");
        run(d, &r, "missing.config", "config", NULL);
        assert_int_equal(r.status, 2);
        assert_contains(&r, "cannot read missing.config");
        run(d, &r, "--bogus", "config", "config", NULL);
        assert_int_equal(r.status, 2);
        run(d, &r, "--help", NULL);
        assert_int_equal(r.status, 0);
        assert_contains(&r, "usage: check-config.sh");
}

/* The project's own fragments parse, and agree with themselves. */
static void test_recipe_fragments_parse(void **state)
{
        struct dir *d = *state;
        struct result r;
        char top[PATH_MAX], base[PATH_MAX + 64], debug[PATH_MAX + 64];
        const char *srcdir = getenv("KINGLET_SRCDIR");
        assert_non_null(realpath(srcdir ? srcdir : ".", top));
        snprintf(base, sizeof base, "%s/image-recipes/kernel/base.config", top);
        snprintf(debug, sizeof debug, "%s/image-recipes/kernel/debug.config", top);
        run(d, &r, base, base, NULL);
        assert_int_equal(r.status, 0);
        assert_lacks(&r, "all 0 options");
        run(d, &r, debug, debug, NULL);
        assert_int_equal(r.status, 0);
        assert_lacks(&r, "all 0 options");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_all_survived, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropped_option_named, setup, teardown),
                cmocka_unit_test_setup_teardown(test_absent_option_named, setup, teardown),
                cmocka_unit_test_setup_teardown(test_changed_values_named, setup, teardown),
                cmocka_unit_test_setup_teardown(test_later_fragment_wins, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unmet_dependency_named, setup, teardown),
                cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recipe_fragments_parse, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
