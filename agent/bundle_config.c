/* SPDX-License-Identifier: Apache-2.0 */
/*
 * <bundle>/config.json: the spec as JSON (spec_json.c), written to a temporary
 * file with a size bound and renamed into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bundle_config.h"
#include "cleanup.h"
#include "spec_json.h"

#define CONFIG_NAME "config.json"
#define TMP_NAME ".config.json.tmp"

/* Where the JSON goes: the file, refusing to grow past BUNDLE_CONFIG_MAX. */
struct sink {
        int fd;
        size_t written;
        int error;
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
        struct sink *s = cookie;
        if (!s->error && n > BUNDLE_CONFIG_MAX - s->written)
                s->error = -EFBIG;
        for (size_t done = 0; !s->error && done < n;) {
                ssize_t w = write(s->fd, buf + done, n - done);
                if (w < 0 && errno != EINTR)
                        s->error = -errno;
                else if (w == 0)
                        s->error = -EIO;
                else if (w > 0)
                        done += (size_t)w;
        }
        if (s->error)
                return 0; /* fopencookie: 0 is the error */
        s->written += n;
        return (ssize_t)n;
}

static int write_json(struct sink *s, const Grpc__Spec *spec)
{
        cookie_io_functions_t io = { .write = sink_write };
        FILE *f = fopencookie(s, "w", io);
        if (!f)
                return -ENOMEM;
        int r = spec_json_write(f, spec);
        if (fclose(f) != 0 && r == 0)
                r = -EIO;
        return s->error ? s->error : r; /* the sink's reason before stdio's EIO */
}

int bundle_config_write(int dir_fd, const Grpc__Spec *spec)
{
        struct sink s = { .fd = -1 };
        int r;

        /*
         * 0600: env may hold secrets, and the readers, hooks, run as the agent's
         * user. No fsync: the bundle is on /run, a tmpfs gone at reboot anyway.
         */
        (void)unlinkat(dir_fd, TMP_NAME, 0);
        s.fd = openat(dir_fd, TMP_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (s.fd < 0)
                return -errno;
        r = write_json(&s, spec);
        if (close(s.fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dir_fd, TMP_NAME, dir_fd, CONFIG_NAME) < 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(dir_fd, TMP_NAME, 0);
        return r;
}

int bundle_config_write_at(const char *bundle, const Grpc__Spec *spec, struct rpc_error *e)
{
        _cleanup_close_ int fd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rpc_error_set(e, GRPC_INTERNAL, -errno, "cannot open the bundle %s: %s", bundle,
                                     strerror(errno));
        int r = bundle_config_write(fd, spec);
        if (r == -EFBIG)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, r,
                                     "the OCI spec is more than %u MiB as JSON, too big for %s/%s",
                                     BUNDLE_CONFIG_MAX >> 20, bundle, CONFIG_NAME);
        if (r < 0 && r != -ENOMEM)
                return rpc_error_set(e, grpc_code_from_errno(r), r, "cannot write %s/" CONFIG_NAME ": %s",
                                     bundle, strerror(-r));
        return r;
}

void bundle_config_remove(const char *bundle)
{
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/" CONFIG_NAME, bundle) < sizeof path)
                (void)unlink(path);
}
