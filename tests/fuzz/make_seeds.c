/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the binary seed corpora of fuzz_server, fuzz_client, fuzz_spec
 * (make_seeds_spec.c) and fuzz_dax_header (make_seeds_dax.c) with the real
 * encoders, so the seeds follow the protocol files instead of going stale as
 * committed blobs; and those of fuzz_guest_text, fuzz_proxy and fuzz_uevent
 * from C strings (make_seeds_text.c).
 *
 *   make-seeds OUTDIR     (OUTDIR/fuzz_server, fuzz_client, fuzz_spec,
 *                          fuzz_dax_header, fuzz_guest_text, fuzz_proxy and
 *                          fuzz_uevent exist)
 *
 * Server seeds name CopyFile paths under /run/kata-containers: the harness
 * rewrites that prefix to its private directory. The harness also reads the
 * last byte of every input (where to cut the stream, which limits to use);
 * the seeds leave it to whatever their last frame ends with.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent.pb-c.h"
#include "buf.h"
#include "frame.h"
#include "google/rpc/status.pb-c.h"
#include "health.pb-c.h"
#include "kinglet.pb-c.h"
#include "make_seeds.h"
#include "status.h"
#include "ttrpc.pb-c.h"
#include "ttrpc_test.h"

/* Seeds are small but one: a reply at the 4 MiB frame limit. The bound only catches mistakes. */
#define SEED_MAX (TTRPC_HEADER_LEN + TTRPC_MESSAGE_MAX + 64)
#define HOUR_MS (3600u * 1000u)

static const char *out_dir;

static void die(const char *what)
{
        fprintf(stderr, "make-seeds: %s\n", what);
        exit(1);
}

void put(struct buf *b, const void *p, size_t n)
{
        if (buf_append(b, p, n, SEED_MAX) < 0)
                die("seed too large");
}


uint8_t *pack(const ProtobufCMessage *m, size_t *ret_len)
{
        size_t n = m ? protobuf_c_message_get_packed_size(m) : 0;
        uint8_t *p = malloc(n ? n : 1);
        if (!p)
                die("out of memory");
        if (m)
                protobuf_c_message_pack(m, p);
        *ret_len = n;
        return p;
}

static void frame_message(struct buf *b, uint32_t stream_id, uint8_t type, uint8_t flags,
                          const ProtobufCMessage *m)
{
        size_t n;
        uint8_t *p = pack(m, &n);
        test_frame_raw(b, (uint32_t)n, stream_id, type, flags, p, n);
        free(p);
}

/* A Request frame whose envelope carries `payload` as the inner bytes. */
static void request_raw(struct buf *b, uint32_t stream_id, uint8_t flags, const char *service,
                        const char *method, const void *payload, size_t len, int64_t timeout_nano,
                        const Ttrpc__KeyValue *const *metadata, size_t n_metadata)
{
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        req.service = (char *)service;
        req.method = (char *)method;
        req.payload.data = (uint8_t *)payload;
        req.payload.len = len;
        req.timeout_nano = timeout_nano;
        req.metadata = (Ttrpc__KeyValue **)metadata;
        req.n_metadata = n_metadata;
        frame_message(b, stream_id, TTRPC_TYPE_REQUEST, flags, &req.base);
}

static void request(struct buf *b, uint32_t stream_id, const char *service, const char *method,
                    const ProtobufCMessage *m, int64_t timeout_nano)
{
        size_t n;
        uint8_t *p = pack(m, &n);
        request_raw(b, stream_id, 0, service, method, p, n, timeout_nano, NULL, 0);
        free(p);
}

static void response(struct buf *b, uint32_t stream_id, int code, const char *message,
                     const ProtobufCMessage *m)
{
        Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
        Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
        size_t n;
        uint8_t *p = pack(m, &n);

        status.code = code;
        status.message = (char *)message;
        resp.status = &status;
        resp.payload.data = p;
        resp.payload.len = n;
        frame_message(b, stream_id, TTRPC_TYPE_RESPONSE, 0, &resp.base);
        free(p);
}

void save(struct buf *b, const char *harness, const char *name)
{
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/seed-%s.bin", out_dir, harness, name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf_head(b), 1, buf_len(b), f) != buf_len(b) || fclose(f) != 0) {
                fprintf(stderr, "make-seeds: cannot write %s: %s\n", path, strerror(errno));
                exit(1);
        }
        buf_free(b);
}

/* --- server requests --- */

static void check(struct buf *b, uint32_t stream_id)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        request(b, stream_id, "grpc.Health", "Check", &req.base, 0);
}

static void version(struct buf *b, uint32_t stream_id)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        request(b, stream_id, "grpc.Health", "Version", &req.base, 0);
}

static void guest_details(struct buf *b, uint32_t stream_id, bool block_size, bool probe)
{
        Grpc__GuestDetailsRequest req = GRPC__GUEST_DETAILS_REQUEST__INIT;
        req.mem_block_size = block_size;
        req.mem_hotplug_probe = probe;
        request(b, stream_id, "grpc.AgentService", "GetGuestDetails", &req.base, 0);
}

static void copy_file(struct buf *b, uint32_t stream_id, const char *path, uint32_t mode,
                      int64_t file_size, int64_t offset, const char *data)
{
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
        req.path = (char *)path;
        req.file_size = file_size;
        req.file_mode = mode;
        req.dir_mode = 0750;
        /* -1 leaves the owner alone, so the seeds work without root too. */
        req.uid = -1;
        req.gid = -1;
        req.offset = offset;
        req.data.data = (uint8_t *)data;
        req.data.len = strlen(data);
        request(b, stream_id, "grpc.AgentService", "CopyFile", &req.base, 0);
}

static void sleep_ms(struct buf *b, uint32_t stream_id, uint64_t ms, const char *echo,
                     int64_t timeout_nano)
{
        Kinglet__SleepRequest req = KINGLET__SLEEP_REQUEST__INIT;
        req.milliseconds = ms;
        req.echo.data = (uint8_t *)echo;
        req.echo.len = strlen(echo);
        request(b, stream_id, "kinglet.Debug", "Sleep", &req.base, timeout_nano);
}

static void server_seeds(void)
{
        static const char *const h = "fuzz_server";
        static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x80, 0x01 };
        struct buf b = { 0 };

        check(&b, 1);
        save(&b, h, "check");
        version(&b, 1);
        save(&b, h, "version");
        guest_details(&b, 1, true, true);
        save(&b, h, "guest-details");
        guest_details(&b, 1, false, false);
        save(&b, h, "guest-details-none");

        copy_file(&b, 1, "/run/kata-containers/fuzz/dir/hello.txt", 0100644, 6, 0, "hello\n");
        save(&b, h, "copy-file");
        /* CopyFile chunks are large in practice; this also lets the fuzzer's inputs grow. */
        char chunk[6000];
        memset(chunk, 'x', sizeof chunk - 1);
        chunk[sizeof chunk - 1] = '\0';
        copy_file(&b, 1, "/run/kata-containers/fuzz/large", 0644, (int64_t)strlen(chunk), 0, chunk);
        save(&b, h, "copy-file-large");
        copy_file(&b, 1, "/run/kata-containers/fuzz/chunked", 0644, 6, 0, "hel");
        copy_file(&b, 3, "/run/kata-containers/fuzz/chunked", 0644, 6, 3, "lo\n");
        save(&b, h, "copy-file-chunks");
        copy_file(&b, 1, "/run/kata-containers/fuzz/a/b/c", 040755, 0, 0, "");
        save(&b, h, "copy-dir");
        copy_file(&b, 1, "/run/kata-containers/fuzz/link", 0120777, 0, 0, "../../etc/passwd");
        save(&b, h, "copy-symlink");
        copy_file(&b, 1, "/run/kata-containers/fuzz/../../etc/passwd", 0644, 6, 0, "hello\n");
        save(&b, h, "copy-dotdot");
        copy_file(&b, 1, "/etc/kinglet-fuzz", 0644, 6, 0, "hello\n");
        save(&b, h, "copy-outside");
        copy_file(&b, 1, "/run/kata-containers/fuzz/short", 0644, 2, 0, "hello\n");
        save(&b, h, "copy-past-size");

        sleep_ms(&b, 1, 1, "ping", 0);
        save(&b, h, "sleep");
        sleep_ms(&b, 1, 0, "now", 0);
        save(&b, h, "sleep-zero");
        sleep_ms(&b, 1, HOUR_MS, "parked", 0);
        save(&b, h, "sleep-parked");
        sleep_ms(&b, 1, HOUR_MS, "deadline", -1);
        save(&b, h, "sleep-deadline");
        sleep_ms(&b, 1, HOUR_MS + 1, "too long", 0);
        save(&b, h, "sleep-over-limit");
        for (uint32_t id = 1; id <= 11; id += 2)
                sleep_ms(&b, id, HOUR_MS, "many", 0);
        save(&b, h, "sleep-many");
        /* Parked calls whose deadlines all pass in the same loop iteration. */
        for (uint32_t id = 1; id <= 7; id += 2)
                sleep_ms(&b, id, HOUR_MS, "deadline", 1000);
        save(&b, h, "sleep-deadlines");

        check(&b, 1);
        version(&b, 3);
        guest_details(&b, 5, true, false);
        save(&b, h, "merged");
        check(&b, 2);
        save(&b, h, "even-stream");
        check(&b, 5);
        check(&b, 5);
        check(&b, 3);
        save(&b, h, "reused-stream");

        /* Over 4 MiB: refused and skipped, then the stream goes on. */
        test_frame_raw(&b, TTRPC_MESSAGE_MAX + 1, 1, TTRPC_TYPE_REQUEST, 0, garbage, sizeof garbage);
        save(&b, h, "oversized");
        /* 16 MiB or more: no conforming peer sends it, the stream is out of sync. */
        test_frame_raw(&b, TTRPC_LENGTH_SANE_MAX + 1, 1, TTRPC_TYPE_REQUEST, 0, garbage, sizeof garbage);
        save(&b, h, "insane");
        check(&b, 1);
        b.end -= 3; /* cut inside the envelope */
        save(&b, h, "truncated");

        request(&b, 1, "grpc.Nope", "Check", NULL, 0);
        save(&b, h, "unknown-service");
        request(&b, 1, "grpc.Health", "Nope", NULL, 0);
        save(&b, h, "unknown-method");
        request(&b, 1, "grpc.AgentService", "CreateContainer", NULL, 0);
        save(&b, h, "unimplemented");
        /*
         * Regressions: replies that overflow the output limit in the harness's
         * tight-limits mode (a last byte with the high bit set), once from a
         * handler and once from timers firing together. Both used to free the
         * call being answered.
         */
        static const uint8_t tight = 0xff;
        char big_echo[4200], echo[400];
        memset(big_echo, 'e', sizeof big_echo - 1);
        big_echo[sizeof big_echo - 1] = '\0';
        sleep_ms(&b, 1, 0, big_echo, 0);
        put(&b, &tight, 1);
        save(&b, h, "reply-over-out-max");
        memset(echo, 'e', sizeof echo - 1);
        echo[sizeof echo - 1] = '\0';
        for (uint32_t id = 1; id <= 7; id += 2)
                sleep_ms(&b, id, 1, echo, 0);
        put(&b, &tight, 1);
        save(&b, h, "timer-replies-over-out-max");

        /* Not registered by the harness: must answer UNIMPLEMENTED, never set the clock. */
        request(&b, 1, "grpc.AgentService", "SetGuestDateTime", NULL, 0);
        save(&b, h, "set-time");

        test_frame_raw(&b, sizeof garbage, 1, TTRPC_TYPE_REQUEST, 0, garbage, sizeof garbage);
        save(&b, h, "garbage-envelope");
        request_raw(&b, 1, 0, "grpc.Health", "Check", garbage, sizeof garbage, 0, NULL, 0);
        save(&b, h, "bad-payload");
        test_frame_raw(&b, 4, 1, TTRPC_TYPE_DATA, 0, "data", 4);
        save(&b, h, "data-frame");
        test_frame_raw(&b, 0, 1, TTRPC_TYPE_RESPONSE, 0, NULL, 0);
        test_frame_raw(&b, 0, 1, 0x7f, 0, NULL, 0);
        check(&b, 3);
        save(&b, h, "other-frames");
        request_raw(&b, 1, TTRPC_FLAG_REMOTE_OPEN, "grpc.Health", "Check", NULL, 0, 0, NULL, 0);
        save(&b, h, "streaming");

        Ttrpc__KeyValue kv1 = TTRPC__KEY_VALUE__INIT, kv2 = TTRPC__KEY_VALUE__INIT;
        kv1.key = (char *)"x-request-id";
        kv1.value = (char *)"42";
        kv2.key = (char *)"X-Request-Id";
        kv2.value = (char *)"43";
        const Ttrpc__KeyValue *const md[] = { &kv1, &kv2 };
        request_raw(&b, 1, 0, "grpc.Health", "Check", NULL, 0, 5000000000LL, md, 2);
        save(&b, h, "metadata");
}

/* --- client replies --- */

static void client_seeds(void)
{
        static const char *const h = "fuzz_client";
        static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x80, 0x01 };
        Grpc__HealthCheckResponse health = GRPC__HEALTH_CHECK_RESPONSE__INIT;
        Grpc__VersionCheckResponse ver = GRPC__VERSION_CHECK_RESPONSE__INIT;
        struct buf b = { 0 };

        health.status = GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        ver.grpc_version = (char *)"0.0.1";
        ver.agent_version = (char *)"0.1.0";

        response(&b, 1, GRPC_OK, "", &health.base);
        save(&b, h, "ok");
        response(&b, 1, GRPC_NOT_FOUND, "container `abc` not found", NULL);
        save(&b, h, "error");
        response(&b, 1, GRPC_OK, "", &health.base);
        response(&b, 3, GRPC_UNIMPLEMENTED, "grpc.AgentService/Nope is not implemented", NULL);
        test_frame_raw(&b, 4, 5, TTRPC_TYPE_DATA, 0, "data", 4);
        response(&b, 5, GRPC_OK, "", &ver.base);
        save(&b, h, "merged");
        response(&b, 1, GRPC_OK, "", &ver.base);
        b.end -= 2;
        save(&b, h, "truncated");

        Ttrpc__Response bare = TTRPC__RESPONSE__INIT;
        frame_message(&b, 1, TTRPC_TYPE_RESPONSE, 0, &bare.base);
        save(&b, h, "no-status");
        test_frame_raw(&b, sizeof garbage, 1, TTRPC_TYPE_RESPONSE, 0, garbage, sizeof garbage);
        save(&b, h, "garbage");
        test_frame_raw(&b, TTRPC_MESSAGE_MAX + 1, 1, TTRPC_TYPE_RESPONSE, 0, garbage, sizeof garbage);
        save(&b, h, "oversized");

        /* A long message: the reply keeps only what fits its buffer. */
        char msg[RPC_ERROR_MSG_MAX * 2];
        memset(msg, 'm', sizeof msg - 1);
        msg[sizeof msg - 1] = '\0';
        response(&b, 1, GRPC_INTERNAL, msg, NULL);
        save(&b, h, "long-message");

        /* Regression: a valid reply close to the 4 MiB limit must be received whole. */
        size_t big = TTRPC_MESSAGE_MAX - 100;
        uint8_t *payload = calloc(1, big);
        if (!payload)
                die("out of memory");
        Ttrpc__Response large = TTRPC__RESPONSE__INIT;
        Google__Rpc__Status ok = GOOGLE__RPC__STATUS__INIT;
        large.status = &ok;
        large.payload.data = payload;
        large.payload.len = big;
        frame_message(&b, 1, TTRPC_TYPE_RESPONSE, 0, &large.base);
        free(payload);
        save(&b, h, "near-limit-reply");
}

static void need_dir(const char *harness)
{
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", out_dir, harness);
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
                fprintf(stderr, "make-seeds: %s is not a directory\n", path);
                exit(1);
        }
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
                return 2;
        }
        out_dir = argv[1];
        need_dir("fuzz_server");
        need_dir("fuzz_client");
        need_dir("fuzz_spec");
        need_dir("fuzz_dax_header");
        need_dir("fuzz_guest_text");
        need_dir("fuzz_proxy");
        need_dir("fuzz_uevent");
        need_dir("fuzz_netlink");
        need_dir("fuzz_rpc");
        server_seeds();
        client_seeds();
        spec_seeds();
        dax_header_seeds();
        literal_seeds();
        netlink_seeds();
        rpc_seeds();
        return 0;
}
