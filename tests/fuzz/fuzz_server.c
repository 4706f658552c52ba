/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the ttrpc server: the input is the byte stream a
 * peer sends on one connection. It goes through the frame decoder, the
 * dispatcher and the real handlers of the RPCs that have no effect on the
 * machine (grpc.Health, kinglet.Debug/Sleep, GetGuestDetails, and CopyFile
 * confined to a private temporary directory).
 *
 * Input conventions (the stream itself is never altered in meaning):
 *   - every "/run/kata-containers" in the input is rewritten, byte for byte,
 *     to this process's private base directory, whose name has the same
 *     length, so seeds and crash files can name CopyFile paths portably;
 *   - the last byte picks where the stream is cut in two (low 7 bits, to
 *     exercise partial frames across reads) and whether the connection runs
 *     with tight limits (high bit, to reach back-pressure and queue limits).
 *
 * Every frame the server queues must be a whole Response frame whose payload
 * is a ttrpc.Response carrying a status; anything else traps.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "agent.pb-c.h"
#include "health.pb-c.h"
#include "kinglet.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "log.h"
#include "rpc.h"
#include "ttrpc_internal.h"

/* Same length as KATA_CONTAINER_BASE, so the input rewrite keeps protobuf lengths valid. */
#define BASE_TEMPLATE "/tmp/kingfuzz-XXXXXX"
_Static_assert(sizeof(BASE_TEMPLATE) == sizeof(KATA_CONTAINER_BASE),
               "the base directory must be as long as the path it stands for");

/* CopyFile leaves files behind; empty the base this often. */
#define CLEAN_EVERY 256

static const struct ttrpc_method_handler health_handlers[] = {
        { "Check", rpc_health_check },
        { "Version", rpc_health_version },
};

/*
 * Only the AgentService RPCs that leave the machine alone. SetGuestDateTime
 * and ReseedRandomDev are deliberately absent: they answer UNIMPLEMENTED here.
 */
static const struct ttrpc_method_handler agent_handlers[] = {
        { "GetGuestDetails", rpc_get_guest_details },
        { "CopyFile", rpc_copy_file },
};

static const struct ttrpc_method_handler debug_handlers[] = {
        { "Sleep", rpc_debug_sleep },
};

/* The agent's own limits, so the fuzzer sees what production does... */
static const struct ttrpc_limits default_limits = {
        .max_connections = TTRPC_DEFAULT_MAX_CONNECTIONS,
        .max_calls_per_conn = TTRPC_DEFAULT_MAX_CALLS_PER_CONN,
        .out_high_water = TTRPC_DEFAULT_OUT_HIGH_WATER,
        .out_low_water = TTRPC_DEFAULT_OUT_LOW_WATER,
        .out_max = TTRPC_DEFAULT_OUT_MAX,
};

/* ...and limits a few kilobytes of input can reach (calls in flight, paused reads, full queue). */
static const struct ttrpc_limits tight_limits = {
        .max_connections = 4,
        .max_calls_per_conn = 4,
        .out_high_water = 512,
        .out_low_water = 256,
        .out_max = 1024,
};

static struct {
        struct loop *loop;
        struct ttrpc_server *server;
        struct agent agent;
        char base[sizeof BASE_TEMPLATE];
        /* This input's connection; NULL once the server has freed it. */
        struct ttrpc_conn *conn;
        unsigned long iterations;
} fz;

static void die(const char *what, int r)
{
        fprintf(stderr, "fuzz_server: %s: %s\n", what, strerror(r < 0 ? -r : r));
        abort();
}

/* One queued frame: a Response whose payload is a ttrpc.Response with a status. */
static void check_response(const struct frame *f)
{
        if (f->header.type != TTRPC_TYPE_RESPONSE || f->header.flags != 0)
                __builtin_trap();
        Ttrpc__Response *resp = (Ttrpc__Response *)protobuf_c_message_unpack(
                &ttrpc__response__descriptor, NULL, f->header.length, f->payload);
        if (!resp || !resp->status)
                __builtin_trap();
        int code = resp->status->code;
        if (code < GRPC_OK || code > GRPC_CODE_MAX)
                __builtin_trap();
        /* Success carries no message; a failure carries no payload. */
        if (code == GRPC_OK && resp->status->message && resp->status->message[0])
                __builtin_trap();
        if (code != GRPC_OK && resp->payload.len != 0)
                __builtin_trap();
        protobuf_c_message_free_unpacked(&resp->base, NULL);
}

/*
 * Takes every queued frame off the output buffer. A detached connection never
 * writes, so this is its peer: what is left must be whole frames only.
 */
static void drain_output(struct ttrpc_conn *c)
{
        struct frame_decoder d = { 0 };

        while (buf_len(&c->out) > 0) {
                struct frame f;
                size_t need = 0;
                if (frame_decode(&d, &c->out, &f, &need) != FRAME_READY)
                        __builtin_trap();
                check_response(&f);
        }
}

/*
 * Registered before the server's own hook, so it sees a connection's last
 * replies in the iteration that frees it.
 */
static void after_iteration(struct loop *l, void *data)
{
        (void)l;
        (void)data;
        if (fz.conn)
                drain_output(fz.conn);
}

static void on_conn_closed(void *data)
{
        (void)data;
        fz.conn = NULL;
}

/*
 * Lists `dirfd` once: unlinks everything that is not a directory and names
 * one subdirectory in `sub`. Returns 1 if a subdirectory is left, 0 if the
 * directory is empty now, -errno on failure.
 */
static int unlink_files(int dirfd, char sub[NAME_MAX + 1])
{
        int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        /* The duplicate shares the offset with dirfd, which an earlier pass left at the end. */
        rewinddir(d);
        int ret = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                struct stat st;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        ret = -errno;
                        break;
                }
                if (S_ISDIR(st.st_mode)) {
                        if (ret == 0) {
                                snprintf(sub, NAME_MAX + 1, "%s", de->d_name);
                                ret = 1;
                        }
                        continue;
                }
                if (unlinkat(dirfd, de->d_name, 0) < 0) {
                        ret = -errno;
                        break;
                }
        }
        closedir(d);
        return ret;
}

/*
 * Empties the base directory. Never follows a symlink (CopyFile plants them
 * with any target), and keeps one directory open at a time: CopyFile can
 * nest directories deeper than the descriptor limit. Directories are made
 * searchable first, since CopyFile may have created them with mode 0.
 */
static void clean_base(void)
{
        char **stack = NULL;
        size_t depth = 0, cap = 0;
        int fd = open(fz.base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        while (fd >= 0) {
                char sub[NAME_MAX + 1];
                int r = unlink_files(fd, sub);
                if (r < 0)
                        break;
                if (r > 0) {
                        if (depth == cap) {
                                size_t ncap = cap ? cap * 2 : 64;
                                char **n = realloc(stack, ncap * sizeof *n);
                                if (!n)
                                        break;
                                stack = n;
                                cap = ncap;
                        }
                        char *name = strdup(sub);
                        if (!name)
                                break;
                        (void)fchmodat(fd, sub, 0700, 0);
                        int child = openat(fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (child < 0) {
                                free(name);
                                break;
                        }
                        stack[depth++] = name;
                        close(fd);
                        fd = child;
                        continue;
                }
                if (depth == 0)
                        break; /* the base itself is empty */
                int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(fd);
                fd = parent;
                char *name = stack[--depth];
                r = fd >= 0 ? unlinkat(fd, name, AT_REMOVEDIR) : -1;
                free(name);
                if (r < 0)
                        break;
        }
        if (fd >= 0)
                close(fd);
        while (depth > 0)
                free(stack[--depth]);
        free(stack);
}

static void remove_base(void)
{
        clean_base();
        (void)rmdir(fz.base);
}

static void register_service(const ProtobufCServiceDescriptor *descriptor,
                             const struct ttrpc_method_handler *handlers, size_t n)
{
        struct ttrpc_service svc = {
                .descriptor = descriptor,
                .handlers = handlers,
                .n_handlers = n,
                .userdata = &fz.agent,
        };
        int r = ttrpc_server_register(fz.server, &svc);
        if (r < 0)
                die("ttrpc_server_register", r);
}

static void setup(void)
{
        enum log_level level = LOG_LEVEL_ERROR;
        const char *env = getenv("KINGLET_FUZZ_LOG");

        /* Quiet by default: a log line per input would dominate the run time. */
        if (env && log_parse_level(env, &level) < 0)
                level = LOG_LEVEL_DEBUG;
        log_setup("fuzz_server", level, LOG_SINK_STDERR);

        snprintf(fz.base, sizeof fz.base, "%s", BASE_TEMPLATE);
        if (!mkdtemp(fz.base))
                die("mkdtemp", errno);
        atexit(remove_base);

        int r = loop_new(&fz.loop);
        if (r < 0)
                die("loop_new", r);
        r = loop_after_add(fz.loop, after_iteration, NULL);
        if (r < 0)
                die("loop_after_add", r);
        r = ttrpc_server_new(fz.loop, &fz.server);
        if (r < 0)
                die("ttrpc_server_new", r);

        fz.agent = (struct agent){
                .loop = fz.loop,
                .server = fz.server,
                .container_base = fz.base,
                .sysfs_root = "/sys",
        };
        register_service(&grpc__health__descriptor, health_handlers, ARRAY_SIZE(health_handlers));
        register_service(&grpc__agent_service__descriptor, agent_handlers,
                         ARRAY_SIZE(agent_handlers));
        register_service(&kinglet__debug__descriptor, debug_handlers, ARRAY_SIZE(debug_handlers));
}

/* Points every "/run/kata-containers" of the input at the private base instead. */
static void rewrite_base(uint8_t *p, size_t n)
{
        const size_t len = sizeof KATA_CONTAINER_BASE - 1;
        uint8_t *end = p + n;

        while ((p = memmem(p, (size_t)(end - p), KATA_CONTAINER_BASE, len))) {
                memcpy(p, fz.base, len);
                p += len;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!fz.loop)
                setup();

        uint8_t *input = malloc(size ? size : 1);
        if (!input)
                return 0;
        if (size)
                memcpy(input, data, size);
        rewrite_base(input, size);

        uint8_t last = size ? data[size - 1] : 0;
        size_t split = size * (last & 0x7f) / 128;
        ttrpc_server_set_limits(fz.server, (last & 0x80) ? &tight_limits : &default_limits);

        struct ttrpc_conn *c;
        if (conn_new(fz.server, -1, "fuzz", false, &c) < 0) {
                free(input);
                return 0;
        }
        c->on_closed = on_conn_closed;
        fz.conn = c;

        /* The connection may be killed and freed by any loop iteration: re-check fz.conn. */
        conn_feed(c, input, split);
        (void)loop_run_once(fz.loop, 0);
        if (fz.conn)
                conn_feed(fz.conn, input + split, size - split);
        (void)loop_run_once(fz.loop, 0);
        /*
         * Short sleeps answer from a timer: give them a millisecond, but only
         * while calls are parked, so ordinary inputs never wait.
         */
        if (fz.conn && fz.conn->n_calls > 0)
                (void)loop_run_once(fz.loop, 1);
        (void)loop_run_once(fz.loop, 0);

        /* The peer goes away: parked calls are cancelled, the server frees the connection. */
        if (fz.conn) {
                conn_kill(fz.conn, "end of fuzz input");
                (void)loop_run_once(fz.loop, 0);
        }
        if (fz.conn || ttrpc_server_n_connections(fz.server) != 0)
                __builtin_trap();

        free(input);
        if (++fz.iterations % CLEAN_EVERY == 0)
                clean_base();
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
