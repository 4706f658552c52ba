/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc-load: closed-loop load for a unary ttrpc method (grpc.Health/Check).
 *
 *   ttrpc-load --addr unix:///path --clients N --seconds S [--warmup S]
 *              [--service grpc.Health --method Check] [--samples N] [--hold]
 *
 * N connections, one request in flight on each: the next request goes out as
 * soon as the previous reply has been checked. All connections are driven by
 * one epoll loop, so the load generator takes at most one core whatever the
 * server does, and the same binary drives kinglet and the Go peer.
 *
 * Every reply is verified (Response frame, the stream ID we are waiting for,
 * status OK, payload decoding as HealthCheckResponse{SERVING}); a server that
 * answers fast but wrong must not win. Any error makes the exit status 1.
 *
 * Prints one line of key=value pairs:
 *   clients= seconds= requests= errors= rps= p50_us= p99_us= max_us= samples=
 *   client_cpu_pct=
 * client_cpu_pct is this process's CPU time over the whole run (warm-up
 * included) as a share of one core: near 100 means the generator, not the
 * server, may be what limits the rate.
 *
 * --hold: after printing the line, keep every connection open, idle, until a
 * signal ends the process (bench/proxy_bench.sh reads a server's RSS with N
 * connected clients that have each completed at least one request).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "cleanup.h"
#include "frame.h"
#include "google/rpc/status.pb-c.h"
#include "health.pb-c.h"
#include "transport.h"
#include "ttrpc.pb-c.h"
#include "util.h"

#define MAX_CLIENTS 1024
#define CONNECT_TIMEOUT_NS (5 * NSEC_PER_SEC)
/* A reply later than this is lost, not slow: fail instead of hanging make. */
#define REPLY_TIMEOUT_NS (5 * NSEC_PER_SEC)
#define IN_MAX (TTRPC_HEADER_LEN + TTRPC_MESSAGE_MAX)
/* 2 Mi samples = 16 MiB: whole runs at the rates seen here, a fair sample beyond. */
#define DEFAULT_MAX_SAMPLES (2u << 20)
/* Enough to diagnose a broken server without flooding the make output. */
#define MAX_ERROR_MESSAGES 5

struct options {
        const char *addr;
        unsigned clients;
        double seconds;
        double warmup;
        const char *service;
        const char *method;
        uint32_t max_samples;
        bool hold;
};

struct conn {
        int fd;
        struct buf in;
        struct frame_decoder decoder;
        uint32_t next_stream_id;
        uint32_t inflight_id; /* 0 = nothing in flight */
        uint64_t sent_ns;
};

struct run {
        const struct options *opt;
        int epfd;
        struct conn *conns;
        unsigned n_open;
        uint8_t *request; /* header + Request, stream ID patched per send */
        size_t request_len;
        uint64_t window_start_ns; /* end of warm-up */
        uint64_t window_end_ns;
        uint64_t requests; /* verified replies that completed inside the window */
        uint64_t errors;
        uint64_t *samples; /* latencies in ns: a uniform reservoir sample */
        uint32_t n_samples;
        uint64_t max_ns;
        uint64_t rng;
};

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: ttrpc-load --addr ADDR [--clients N] [--seconds S] [--warmup S]\n"
                "                  [--service NAME] [--method NAME] [--samples N] [--hold]\n"
                "\n"
                "Closed-loop unary load: N connections, one request in flight on each.\n"
                "Replies must decode as grpc.HealthCheckResponse{status: SERVING}.\n"
                "\n"
                "  --addr ADDR      server address, e.g. unix:///run/kinglet.sock\n"
                "  --clients N      concurrent connections (default 1, at most %d)\n"
                "  --seconds S      measured time (default 5)\n"
                "  --warmup S       unmeasured time before it (default 1)\n"
                "  --service NAME   default grpc.Health\n"
                "  --method NAME    default Check\n"
                "  --samples N      latency samples kept (default %u)\n"
                "  --hold           after the result line, keep the connections open, idle,\n"
                "                   until a signal ends the process\n",
                MAX_CLIENTS, DEFAULT_MAX_SAMPLES);
}

static void run_error(struct run *run, const char *fmt, ...) _printf_(2, 3);
static void run_error(struct run *run, const char *fmt, ...)
{
        run->errors++;
        if (run->errors > MAX_ERROR_MESSAGES)
                return;
        va_list ap;
        va_start(ap, fmt);
        fputs("ttrpc-load: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        if (run->errors == MAX_ERROR_MESSAGES)
                fputs("ttrpc-load: (further errors are only counted)\n", stderr);
}

/* xorshift64*: reservoir sampling needs cheap, not good, randomness. */
static uint64_t next_random(struct run *run)
{
        run->rng ^= run->rng >> 12;
        run->rng ^= run->rng << 25;
        run->rng ^= run->rng >> 27;
        return run->rng * 0x2545F4914F6CDD1DULL;
}

/*
 * Keeps a uniform sample of all latencies in a fixed array (Algorithm R), so
 * a long or fast run cannot exhaust memory and percentiles still cover the
 * whole window instead of its first part.
 */
static void record_latency(struct run *run, uint64_t ns)
{
        if (ns > run->max_ns)
                run->max_ns = ns;
        /* run->requests already counts this one. */
        if (run->n_samples < run->opt->max_samples) {
                run->samples[run->n_samples++] = ns;
                return;
        }
        uint64_t j = next_random(run) % run->requests;
        if (j < run->opt->max_samples)
                run->samples[j] = ns;
}

static void conn_close(struct run *run, struct conn *c)
{
        if (c->fd < 0)
                return;
        (void)epoll_ctl(run->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close_and_reset(&c->fd);
        buf_free(&c->in);
        c->inflight_id = 0;
        run->n_open--;
}

/* Sends the next request; a failure is an error and ends the connection. */
static void conn_send(struct run *run, struct conn *c)
{
        struct ttrpc_header h = {
                .length = (uint32_t)(run->request_len - TTRPC_HEADER_LEN),
                .stream_id = c->next_stream_id,
                .type = TTRPC_TYPE_REQUEST,
        };
        ttrpc_header_pack(&h, run->request);
        c->sent_ns = now_ns();
        /*
         * One small frame and nothing else queued on the socket (closed loop),
         * so a short write means something is badly wrong; no write buffering.
         */
        ssize_t n;
        do
                n = send(c->fd, run->request, run->request_len, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)run->request_len) {
                run_error(run, "connection %td: send: %s", c - run->conns,
                          n < 0 ? strerror(errno) : "short write");
                conn_close(run, c);
                return;
        }
        c->inflight_id = c->next_stream_id;
        /* Client stream IDs are odd; wrapping is out of reach at these rates. */
        c->next_stream_id += 2;
}

/* Returns false when the reply cannot be trusted to belong to its request. */
static bool check_reply(struct run *run, struct conn *c, const struct frame *f)
{
        ptrdiff_t idx = c - run->conns;

        if (f->header.type != TTRPC_TYPE_RESPONSE) {
                run_error(run, "connection %td: frame type %u, expected a Response", idx,
                          f->header.type);
                return false;
        }
        if (c->inflight_id == 0 || f->header.stream_id != c->inflight_id) {
                run_error(run, "connection %td: reply on stream %" PRIu32 ", expected %" PRIu32,
                          idx, f->header.stream_id, c->inflight_id);
                return false;
        }
        /* From here on the stream is in sync: a bad reply is counted, the connection kept. */
        c->inflight_id = 0;

        Ttrpc__Response *resp = (Ttrpc__Response *)protobuf_c_message_unpack(
                &ttrpc__response__descriptor, NULL, f->header.length, f->payload);
        if (!resp) {
                run_error(run, "connection %td: Response does not decode", idx);
                return true;
        }
        bool ok = false;
        if (resp->status && resp->status->code != 0) {
                run_error(run, "connection %td: status %d: %s", idx, resp->status->code,
                          resp->status->message ? resp->status->message : "");
        } else {
                Grpc__HealthCheckResponse *hc = (Grpc__HealthCheckResponse *)
                        protobuf_c_message_unpack(&grpc__health_check_response__descriptor, NULL,
                                                  resp->payload.len, resp->payload.data);
                if (!hc)
                        run_error(run, "connection %td: payload is not a HealthCheckResponse",
                                  idx);
                else if (hc->status != GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
                        run_error(run, "connection %td: health status %d, expected SERVING",
                                  idx, hc->status);
                else
                        ok = true;
                if (hc)
                        protobuf_c_message_free_unpacked(&hc->base, NULL);
        }
        protobuf_c_message_free_unpacked(&resp->base, NULL);

        if (ok) {
                uint64_t now = now_ns();
                if (now >= run->window_start_ns && now < run->window_end_ns) {
                        run->requests++;
                        record_latency(run, now - c->sent_ns);
                }
        }
        return true;
}

static void conn_readable(struct run *run, struct conn *c)
{
        int r = buf_reserve(&c->in, 4096, IN_MAX);
        if (r < 0) {
                run_error(run, "connection %td: %s", c - run->conns, strerror(-r));
                conn_close(run, c);
                return;
        }
        ssize_t got = read(c->fd, buf_tail(&c->in), buf_room(&c->in));
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (got <= 0) {
                run_error(run, "connection %td: %s", c - run->conns,
                          got == 0 ? "closed by the server" : strerror(errno));
                conn_close(run, c);
                return;
        }
        buf_commit(&c->in, (size_t)got);

        for (;;) {
                struct frame f;
                size_t need = 0;
                enum frame_status st = frame_decode(&c->decoder, &c->in, &f, &need);
                if (st == FRAME_NEED_MORE)
                        break;
                if (st != FRAME_READY) {
                        run_error(run, "connection %td: broken frame from the server",
                                  c - run->conns);
                        conn_close(run, c);
                        return;
                }
                if (!check_reply(run, c, &f)) {
                        conn_close(run, c);
                        return;
                }
                if (now_ns() < run->window_end_ns)
                        conn_send(run, c);
                if (c->fd < 0)
                        return;
        }
}

/* Requests older than REPLY_TIMEOUT_NS count as errors: the server lost them. */
static void expire_stale(struct run *run, uint64_t now)
{
        for (unsigned i = 0; i < run->opt->clients; i++) {
                struct conn *c = &run->conns[i];
                if (c->fd >= 0 && c->inflight_id && now - c->sent_ns > REPLY_TIMEOUT_NS) {
                        run_error(run, "connection %u: no reply to stream %" PRIu32 " in %llu s",
                                  i, c->inflight_id, REPLY_TIMEOUT_NS / NSEC_PER_SEC);
                        conn_close(run, c);
                }
        }
}

static bool any_inflight(const struct run *run)
{
        for (unsigned i = 0; i < run->opt->clients; i++)
                if (run->conns[i].fd >= 0 && run->conns[i].inflight_id)
                        return true;
        return false;
}

static int drive(struct run *run)
{
        struct epoll_event events[64];
        uint64_t last_scan = now_ns();

        for (;;) {
                uint64_t now = now_ns();
                /* After the window, only replies to requests already sent are awaited. */
                if (run->n_open == 0 || (now >= run->window_end_ns && !any_inflight(run)))
                        return 0;
                if (now - last_scan >= 100 * NSEC_PER_MSEC) {
                        expire_stale(run, now);
                        last_scan = now;
                }
                int n = epoll_wait(run->epfd, events, (int)ARRAY_SIZE(events), 100);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        fprintf(stderr, "ttrpc-load: epoll_wait: %s\n", strerror(errno));
                        return -errno;
                }
                for (int i = 0; i < n; i++) {
                        struct conn *c = &run->conns[events[i].data.u32];
                        if (c->fd >= 0)
                                conn_readable(run, c);
                }
        }
}

static int build_request(struct run *run)
{
        Grpc__CheckRequest check = GRPC__CHECK_REQUEST__INIT;
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        uint8_t payload[64];

        /* The runtime's probe is an empty CheckRequest; encode it rather than assume that. */
        size_t plen = protobuf_c_message_get_packed_size(&check.base);
        if (plen > sizeof payload)
                return -EMSGSIZE;
        protobuf_c_message_pack(&check.base, payload);
        req.service = (char *)run->opt->service;
        req.method = (char *)run->opt->method;
        req.payload.data = payload;
        req.payload.len = plen;

        size_t len = protobuf_c_message_get_packed_size(&req.base);
        if (len > TTRPC_MESSAGE_MAX)
                return -EMSGSIZE;
        run->request = malloc(TTRPC_HEADER_LEN + len);
        if (!run->request)
                return -ENOMEM;
        protobuf_c_message_pack(&req.base, run->request + TTRPC_HEADER_LEN);
        run->request_len = TTRPC_HEADER_LEN + len;
        return 0;
}

/*
 * transport_connect() takes a unix socket's EAGAIN (the listener's backlog is
 * full) for a connection in progress and returns a socket that was never
 * connected. With hundreds of clients that happens: retry until the peer is
 * there (getpeername) or the connect timeout has passed.
 */
static int connect_one(const struct address *a, int *ret_fd, struct rpc_error *e)
{
        uint64_t deadline = now_ns() + CONNECT_TIMEOUT_NS;
        for (;;) {
                int fd = -1;
                int r = transport_connect(a, CONNECT_TIMEOUT_NS, &fd, e);
                if (r < 0)
                        return r;
                struct sockaddr_storage peer;
                socklen_t len = sizeof peer;
                if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0) {
                        *ret_fd = fd;
                        return 0;
                }
                r = -errno;
                close(fd);
                if (r != -ENOTCONN || now_ns() > deadline) {
                        snprintf(e->msg, sizeof e->msg, "not connected: %s", strerror(-r));
                        return r;
                }
                /* The server is accepting; give it a moment to drain its backlog. */
                (void)poll(NULL, 0, 1);
        }
}

/* Connects every client; says why on stderr when one fails. */
static int open_conns(struct run *run)
{
        for (unsigned i = 0; i < run->opt->clients; i++)
                run->conns[i] = (struct conn){ .fd = -1, .next_stream_id = 1 };

        struct address a;
        struct rpc_error e = { 0 };
        if (address_parse(run->opt->addr, &a, &e) < 0) {
                fprintf(stderr, "ttrpc-load: %s\n", e.msg);
                return -EINVAL;
        }
        for (unsigned i = 0; i < run->opt->clients; i++) {
                struct conn *c = &run->conns[i];
                int r = connect_one(&a, &c->fd, &e);
                if (r < 0) {
                        fprintf(stderr, "ttrpc-load: connection %u: %s\n", i, e.msg);
                        return r;
                }
                run->n_open++;
                r = fd_set_nonblock(c->fd, true);
                struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
                if (r == 0 && epoll_ctl(run->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
                        r = -errno;
                if (r < 0) {
                        fprintf(stderr, "ttrpc-load: connection %u: %s\n", i, strerror(-r));
                        return r;
                }
        }
        return 0;
}

static uint64_t cpu_time_ns(void)
{
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) < 0)
                return 0;
        return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * NSEC_PER_SEC +
               ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

/* Nearest-rank percentile (rank = ceil(pct * n / 100)) of sorted samples, in microseconds. */
static double percentile_us(const uint64_t *sorted, uint32_t n, unsigned pct)
{
        if (n == 0)
                return 0;
        uint64_t rank = ((uint64_t)pct * n + 99) / 100;
        if (rank < 1)
                rank = 1;
        return (double)sorted[rank - 1] / 1000.0;
}

static int parse_seconds(const char *s, double min, double *ret)
{
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *end || !(v >= min && v <= 3600))
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
        static const struct option longopts[] = {
                { "addr", required_argument, NULL, 'a' },
                { "clients", required_argument, NULL, 'c' },
                { "seconds", required_argument, NULL, 's' },
                { "warmup", required_argument, NULL, 'w' },
                { "service", required_argument, NULL, 'S' },
                { "method", required_argument, NULL, 'M' },
                { "samples", required_argument, NULL, 'n' },
                { "hold", no_argument, NULL, 'H' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        uint32_t u;
        int opt;

        *o = (struct options){
                .clients = 1, .seconds = 5, .warmup = 1, .service = "grpc.Health",
                .method = "Check", .max_samples = DEFAULT_MAX_SAMPLES,
        };
        while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (opt) {
                case 'a':
                        o->addr = optarg;
                        break;
                case 'c':
                        if (parse_u32(optarg, 10, &u) < 0 || u < 1 || u > MAX_CLIENTS) {
                                fprintf(stderr, "ttrpc-load: --clients: 1 to %d\n", MAX_CLIENTS);
                                return -EINVAL;
                        }
                        o->clients = u;
                        break;
                case 's':
                        /* Below a millisecond the rate would be mostly rounding. */
                        if (parse_seconds(optarg, 0.001, &o->seconds) < 0) {
                                fprintf(stderr, "ttrpc-load: --seconds: 0.001 to 3600\n");
                                return -EINVAL;
                        }
                        break;
                case 'w':
                        if (parse_seconds(optarg, 0, &o->warmup) < 0) {
                                fprintf(stderr, "ttrpc-load: --warmup: 0 to 3600\n");
                                return -EINVAL;
                        }
                        break;
                case 'S':
                        o->service = optarg;
                        break;
                case 'M':
                        o->method = optarg;
                        break;
                case 'n':
                        if (parse_u32(optarg, 10, &u) < 0 || u < 1 || u > (64u << 20)) {
                                fprintf(stderr, "ttrpc-load: --samples: 1 to %u\n", 64u << 20);
                                return -EINVAL;
                        }
                        o->max_samples = u;
                        break;
                case 'H':
                        o->hold = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 1;
                default:
                        usage(stderr);
                        return -EINVAL;
                }
        }
        if (optind < argc || !o->addr) {
                usage(stderr);
                return -EINVAL;
        }
        return 0;
}

int main(int argc, char **argv)
{
        struct options opt;
        int r = parse_args(argc, argv, &opt);
        if (r != 0)
                return r < 0 ? 2 : 0;

        struct run run = { .opt = &opt, .epfd = -1 };
        run.conns = calloc(opt.clients, sizeof *run.conns);
        run.samples = malloc((size_t)opt.max_samples * sizeof *run.samples);
        run.epfd = epoll_create1(EPOLL_CLOEXEC);
        if (!run.conns || !run.samples || run.epfd < 0) {
                fprintf(stderr, "ttrpc-load: out of memory or descriptors\n");
                return 1;
        }
        r = build_request(&run);
        if (r < 0) {
                fprintf(stderr, "ttrpc-load: building the request: %s\n", strerror(-r));
                return 1;
        }
        if (open_conns(&run) < 0)
                return 1;

        uint64_t start = now_ns();
        uint64_t cpu_start = cpu_time_ns();
        run.rng = start | 1;
        run.window_start_ns = start + (uint64_t)(opt.warmup * NSEC_PER_SEC);
        run.window_end_ns = run.window_start_ns + (uint64_t)(opt.seconds * NSEC_PER_SEC);
        for (unsigned i = 0; i < opt.clients; i++)
                if (run.conns[i].fd >= 0)
                        conn_send(&run, &run.conns[i]);
        r = drive(&run);
        if (r < 0)
                return 1;
        uint64_t wall = now_ns() - start;
        double client_cpu_pct = 100.0 * (double)(cpu_time_ns() - cpu_start) / (double)wall;

        qsort(run.samples, run.n_samples, sizeof *run.samples, cmp_u64);
        printf("clients=%u seconds=%.3f requests=%" PRIu64 " errors=%" PRIu64
               " rps=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f samples=%" PRIu32
               " client_cpu_pct=%.0f\n",
               opt.clients, opt.seconds, run.requests, run.errors,
               (double)run.requests / opt.seconds, percentile_us(run.samples, run.n_samples, 50),
               percentile_us(run.samples, run.n_samples, 99), (double)run.max_ns / 1000.0,
               run.n_samples, client_cpu_pct);
        fflush(stdout);
        if (opt.hold && !run.errors && run.requests > 0)
                for (;;)
                        pause();

        for (unsigned i = 0; i < opt.clients; i++)
                conn_close(&run, &run.conns[i]);
        close(run.epfd);
        free(run.request);
        free(run.samples);
        free(run.conns);
        if (run.errors || run.requests == 0) {
                if (!run.errors)
                        fprintf(stderr, "ttrpc-load: no request completed in the window\n");
                return 1;
        }
        return 0;
}
