/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for every request type the agent serves: grpc.Health,
 * every grpc.AgentService method, kinglet.Containers and kinglet.Debug,
 * through the real ttrpc server, the real dispatch tables (agent/services.c)
 * and the real handlers, on a `struct agent` whose container base is a
 * private temporary directory.
 *
 * The input is a sequence of records (fuzz_rpc.h): a method index, a length,
 * that method's request in protobuf. Each record becomes one Request frame
 * on one connection, so a sequence can create a sandbox, then a container,
 * then exec into it. As in fuzz_server, every "/run/kata-containers" in the
 * input is rewritten to the private base (the names are the same length).
 *
 * System effects are behind the seam in seam_rpc.c (see fuzz_rpc.h): the
 * handlers cannot mount, spawn, signal, or write outside the base. The
 * process also moves into its own network, UTS and IPC namespaces when it
 * can (root), so netlink requests change only a namespace of its own;
 * otherwise route netlink sockets are refused by the seam.
 *
 * Each input starts from a fresh agent runtime (no containers, no sandbox)
 * and ends with the connection gone, its parked calls cancelled, and the
 * runtime freed, so libFuzzer's leak check sees what one input leaked.
 * Every frame the server queues must be a whole Response carrying a status.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent.h"
#include "container.h"
#include "frame.h"
#include "fuzz_rpc.h"
#include "hotplug.h"
#include "log.h"
#include "spawn.h"
#include "storage.h"
#include "ttrpc.pb-c.h"
#include "ttrpc_internal.h"
#include "ttrpc_test.h"

/* Same length as KATA_CONTAINER_BASE, so the input rewrite keeps protobuf lengths valid. */
#define BASE_TEMPLATE "/tmp/kingfuzz-XXXXXX"
_Static_assert(sizeof(BASE_TEMPLATE) == sizeof(KATA_CONTAINER_BASE),
               "the base directory must be as long as the path it stands for");

/* Requests per input; more only repeat what a shorter input reaches. */
#define RECORDS_MAX 16
/* Device waits end on their own soon; the connection's end cancels them anyway. */
#define HOTPLUG_TIMEOUT_MS 20
/* Empty the base this often (a fork and an exec: not every input). */
#define CLEAN_EVERY 128

int __real_unshare(int flags);

static struct {
        struct loop *loop;
        struct ttrpc_server *server;
        struct agent agent;
        char base[sizeof BASE_TEMPLATE];
        struct ttrpc_conn *conn;
        size_t replies;
        unsigned long iterations;
} fz;

static void die(const char *what, int r)
{
        fprintf(stderr, "fuzz_rpc: %s: %s\n", what, strerror(r < 0 ? -r : r));
        abort();
}

/* One queued frame: a Response whose payload is a ttrpc.Response with a valid status. */
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
        /* Success carries no message; a failure carries no payload and says why. */
        if (code == GRPC_OK && resp->status->message && resp->status->message[0])
                __builtin_trap();
        if (code != GRPC_OK &&
            (resp->payload.len != 0 || !resp->status->message || !resp->status->message[0]))
                __builtin_trap();
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        fz.replies++;
}

static void drain_output(struct ttrpc_conn *c)
{
        struct frame_decoder d = {0};
        while (buf_len(&c->out) > 0) {
                struct frame f;
                size_t need = 0;
                if (frame_decode(&d, &c->out, &f, &need) != FRAME_READY)
                        __builtin_trap();
                check_response(&f);
        }
}

/* Before the server's own hook: sees a connection's last replies in the iteration that frees it. */
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

/* Removes the base and everything the handlers left in it (CopyFile plants any tree). */
static void remove_base(void)
{
        char cmd[64];
        seam_disarm();
        snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", fz.base);
        if (system(cmd) != 0)
                fprintf(stderr, "fuzz_rpc: cannot remove %s\n", fz.base);
}

/* An empty base again: what CopyFile built would otherwise slow every later input. */
static void clean_base(void)
{
        remove_base();
        if (mkdir(fz.base, 0700) < 0)
                die("mkdir", errno);
}

/* Own network, UTS and IPC namespaces: netlink and sethostname stay in here. */
static void enter_namespaces(void)
{
        if (__real_unshare(CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC) == 0) {
                seam_own_uts();
                return;
        }
        fprintf(stderr, "fuzz_rpc: no private namespaces (%s): route netlink sockets are refused\n",
                strerror(errno));
        seam_refuse_route_netlink();
}

static void setup(void)
{
        enum log_level level = LOG_LEVEL_ERROR;
        const char *env = getenv("KINGLET_FUZZ_LOG");
        if (env && log_parse_level(env, &level) < 0)
                level = LOG_LEVEL_DEBUG;
        log_setup("fuzz_rpc", level, LOG_SINK_STDERR);

        enter_namespaces();
        snprintf(fz.base, sizeof fz.base, "%s", BASE_TEMPLATE);
        if (!mkdtemp(fz.base))
                die("mkdtemp", errno);
        atexit(remove_base);

        int r = loop_new(&fz.loop);
        if (r < 0)
                die("loop_new", r);
        if ((r = loop_after_add(fz.loop, after_iteration, NULL)) < 0)
                die("loop_after_add", r);
        if ((r = ttrpc_server_new(fz.loop, &fz.server)) < 0)
                die("ttrpc_server_new", r);
        if ((r = spawn_init()) < 0)
                die("spawn_init", r);
        fz.agent = (struct agent){
                .loop = fz.loop,
                .server = fz.server,
                .container_base = fz.base,
                .sysfs_root = "/sys",
                .config = {.debug_service = true, .hotplug_timeout_ms = HOTPLUG_TIMEOUT_MS},
        };
        if ((r = agent_register_services(&fz.agent)) < 0)
                die("agent_register_services", r);
}

/*
 * What agent_runtime_init does, less what belongs to the machine: no cgroup
 * hierarchy (containers run without limits), no subreaper, no uevent socket
 * (device waits look again at their deadline only).
 */
static void runtime_start(struct agent *a)
{
        list_init(&a->containers);
        list_init(&a->oom_waiters);
        a->n_containers = 0;
        a->oom_head = a->oom_count = 0;
        a->oom_queue = calloc(OOM_QUEUE_MAX, sizeof *a->oom_queue);
        if (!a->oom_queue)
                die("calloc", -ENOMEM);
        a->stdio_cap = STDIO_BUFFER_DEFAULT;
        a->have_cgroups = false;
        storage_set_loop(a->loop);
        int r = hotplug_new(a->loop, a->config.hotplug_timeout_ms, &a->hotplug);
        if (r < 0)
                die("hotplug_new", r);
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

/* The input's records as Request frames, stream IDs 1, 3, 5, ... */
static void frames_of(const uint8_t *p, size_t n, struct buf *out)
{
        for (uint32_t id = 1; n > 0 && id < 2 * RECORDS_MAX; id += 2) {
                const ProtobufCServiceDescriptor *svc;
                const ProtobufCMethodDescriptor *m;
                rpc_fuzz_method(p[0], &svc, &m);
                size_t len = n >= RPC_RECORD_HEADER ? (size_t)(p[1] | p[2] << 8) : 0;
                size_t head = n >= RPC_RECORD_HEADER ? RPC_RECORD_HEADER : n;
                len = len < n - head ? len : n - head;
                test_frame_request_raw(out, id, svc->name, m->name, p + head, len, 0);
                p += head + len;
                n -= head + len;
        }
}

/* libFuzzer writes a crash's input to its artifact prefix ("./" unless told): let it, armed or not.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *prefix = "./";
        for (int i = 1; i < *argc; i++) {
                const char *arg = (*argv)[i];
                if (strncmp(arg, "-artifact_prefix=", 17) == 0)
                        prefix = arg + 17;
                else if (strncmp(arg, "-exact_artifact_path=", 21) == 0)
                        prefix = arg + 21;
        }
        seam_allow_artifacts(prefix);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!fz.loop)
                setup();
        if (size == 0)
                return 0;

        uint8_t *input = malloc(size);
        if (!input)
                return 0;
        memcpy(input, data, size);
        rewrite_base(input, size);
        struct buf frames = {0};
        frames_of(input, size, &frames);
        free(input);

        runtime_start(&fz.agent);
        seam_arm(fz.base);
        struct ttrpc_conn *c;
        if (conn_new(fz.server, -1, "fuzz", false, &c) < 0)
                die("conn_new", -ENOMEM);
        c->on_closed = on_conn_closed;
        fz.conn = c;
        conn_feed(c, buf_head(&frames), buf_len(&frames));
        buf_free(&frames);
        (void)loop_run_once(fz.loop, 0);
        /* Short sleeps and waits answer from a timer: a millisecond, only while calls are parked.
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

        /* Back to a fresh agent: what a DestroySandbox or a shutdown frees. */
        agent_runtime_free(&fz.agent);
        fz.agent.hotplug = hotplug_free(fz.agent.hotplug);
        seam_disarm();
        if (fz.agent.n_containers != 0)
                __builtin_trap();
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
