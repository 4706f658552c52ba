/* SPDX-License-Identifier: Apache-2.0 */
/* copy-file: send a local file, directory entry or symlink with CopyFile chunks. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "cleanup.h"
#include "ctl.h"
#include "util.h"

#define DEFAULT_CHUNK (1u << 20)
/* Leaves room in the 4 MiB frame for the envelope and the other fields. */
#define MAX_CHUNK ((4u << 20) - 8192)

struct copy_opts {
        uint32_t mode;
        bool has_mode;
        uint32_t dir_mode;
        int32_t uid;
        int32_t gid;
        uint32_t chunk;
};

static int parse_opts(int argc, char **argv, struct copy_opts *o)
{
        static const struct option options[] = {
                { "mode", required_argument, NULL, 'm' },
                { "dir-mode", required_argument, NULL, 'd' },
                { "uid", required_argument, NULL, 'u' },
                { "gid", required_argument, NULL, 'g' },
                { "chunk-size", required_argument, NULL, 'c' },
                {},
        };
        int opt, v;

        while ((opt = getopt_long(argc, argv, "m:d:u:g:c:", options, NULL)) != -1) {
                switch (opt) {
                case 'm':
                        if (parse_u32(optarg, 8, &o->mode) < 0 || o->mode > 07777)
                                return ctl_usage_error("copy-file", "--mode wants octal permission bits, got `%s`", optarg);
                        o->has_mode = true;
                        break;
                case 'd':
                        if (parse_u32(optarg, 8, &o->dir_mode) < 0 || o->dir_mode > 07777)
                                return ctl_usage_error("copy-file", "--dir-mode wants octal permission bits, got `%s`", optarg);
                        break;
                case 'u':
                case 'g':
                        if (parse_int(optarg, &v) < 0 || v < -1)
                                return ctl_usage_error("copy-file", "--%s wants a number (-1 = leave as is)",
                                                       opt == 'u' ? "uid" : "gid");
                        *(opt == 'u' ? &o->uid : &o->gid) = v;
                        break;
                case 'c':
                        if (parse_u32(optarg, 10, &o->chunk) < 0 || o->chunk == 0 || o->chunk > MAX_CHUNK)
                                return ctl_usage_error("copy-file", "--chunk-size wants 1..%u bytes", MAX_CHUNK);
                        break;
                default:
                        return ctl_usage_error("copy-file", "unknown option");
                }
        }
        if (argc - optind != 2)
                return ctl_usage_error("copy-file", "needs LOCAL and REMOTE paths");
        return 0;
}

static int send_chunk(struct ctl *ctl, Grpc__CopyFileRequest *req)
{
        return ctl_call(ctl, "grpc.AgentService", "CopyFile", &req->base, NULL, NULL);
}

static int copy_regular(struct ctl *ctl, const char *local, Grpc__CopyFileRequest *req,
                        uint32_t chunk, unsigned *ret_chunks)
{
        _cleanup_close_ int fd = open(local, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint8_t *buf = malloc(chunk);
        unsigned chunks = 0;

        if (fd < 0 || !buf) {
                fprintf(stderr, "kinglet-ctl: copy-file: cannot read `%s`: %s\n", local, strerror(errno));
                return CTL_EXIT_NOINPUT;
        }
        /* An empty file is still one request, so the agent creates it. */
        do {
                ssize_t n = pread(fd, buf, chunk, req->offset);
                if (n < 0) {
                        fprintf(stderr, "kinglet-ctl: copy-file: reading `%s`: %s\n", local, strerror(errno));
                        return CTL_EXIT_NOINPUT;
                }
                if (n == 0 && req->offset < req->file_size) {
                        fprintf(stderr, "kinglet-ctl: copy-file: `%s` shrank while being copied\n", local);
                        return CTL_EXIT_NOINPUT;
                }
                req->data.data = buf;
                req->data.len = (size_t)n;
                int code = send_chunk(ctl, req);
                if (code)
                        return code;
                req->offset += n;
                chunks++;
        } while (req->offset < req->file_size);
        *ret_chunks = chunks;
        return 0;
}

static int cmd_copy_file(struct ctl *ctl, int argc, char **argv)
{
        struct copy_opts o = { .dir_mode = 0750, .uid = -1, .gid = -1, .chunk = DEFAULT_CHUNK };
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
        char target[PATH_MAX];
        struct stat st;
        unsigned chunks = 1;
        int code;

        code = parse_opts(argc, argv, &o);
        if (code)
                return code;
        const char *local = argv[optind], *remote = argv[optind + 1];
        if (lstat(local, &st) < 0) {
                fprintf(stderr, "kinglet-ctl: copy-file: `%s`: %s\n", local, strerror(errno));
                return CTL_EXIT_NOINPUT;
        }
        req.path = (char *)remote;
        req.file_mode = (st.st_mode & S_IFMT) | (o.has_mode ? o.mode : (st.st_mode & 07777));
        req.dir_mode = o.dir_mode;
        req.uid = o.uid;
        req.gid = o.gid;

        if (S_ISREG(st.st_mode)) {
                req.file_size = st.st_size;
                code = copy_regular(ctl, local, &req, o.chunk, &chunks);
        } else if (S_ISDIR(st.st_mode)) {
                code = send_chunk(ctl, &req);
        } else if (S_ISLNK(st.st_mode)) {
                ssize_t n = readlink(local, target, sizeof target);
                if (n < 0 || n == (ssize_t)sizeof target) {
                        fprintf(stderr, "kinglet-ctl: copy-file: cannot read link `%s`\n", local);
                        return CTL_EXIT_NOINPUT;
                }
                req.data.data = (uint8_t *)target;
                req.data.len = (size_t)n;
                req.file_size = n;
                code = send_chunk(ctl, &req);
        } else {
                fprintf(stderr, "kinglet-ctl: copy-file: `%s` is not a regular file, directory or symlink\n",
                        local);
                return CTL_EXIT_NOINPUT;
        }
        if (code)
                return code;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "path");
                json_string(&ctl->out, remote);
                json_key(&ctl->out, "bytes");
                json_int(&ctl->out, S_ISREG(st.st_mode) ? st.st_size : 0);
                json_key(&ctl->out, "requests");
                json_uint(&ctl->out, chunks);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else if (S_ISREG(st.st_mode))
                printf("copied %s to %s (%lld bytes in %u request%s)\n", local, remote,
                       (long long)st.st_size, chunks, chunks == 1 ? "" : "s");
        else
                printf("created %s %s\n", S_ISDIR(st.st_mode) ? "directory" : "symlink", remote);
        return 0;
}

const struct ctl_command ctl_copy_file_commands[] = {
        { "copy-file",
          "copy a local file, directory or symlink into the guest under /run/kata-containers "
          "(CopyFile)",
          "[--mode OCTAL] [--dir-mode OCTAL] [--uid N] [--gid N] [--chunk-size BYTES] LOCAL REMOTE\n"
          "\n"
          "  --mode         permission bits in the guest (default: the local file's)\n"
          "  --dir-mode     bits for directories created on the way (default 0750)\n"
          "  --uid, --gid   owner in the guest (default -1: leave as created, root)\n"
          "  --chunk-size   bytes per request (default 1 MiB, at most 4 MiB - 8 KiB)",
          cmd_copy_file },
        {},
};
