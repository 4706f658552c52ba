/* SPDX-License-Identifier: Apache-2.0 */
/* run, create, start, exec: making processes in the guest, with stdio relay. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_client.h"
#include "cleanup.h"
#include "ctl.h"
#include "oci_spec.h"
#include "relay.h"
#include "spec_edit.h"
#include "spec_storage.h"
#include "util.h"

/* run and exec exit with the process's status; their own failures use this (as docker does). */
#define CTL_EXIT_RUN_FAILED 125

struct launch {
        const char *bundle, *rootfs, *hostname, *exec_id;
        struct process_flags proc;
        struct resource_flags res;
        bool interactive, detach, keep, sandbox_pidns;
        char *const *args;
        size_t n_args;
        /* --storage and --device, parsed (freed by launch_free) */
        Grpc__Storage *storages[CTL_MAX_STORAGES];
        size_t n_storages;
        Grpc__Device *devices[CTL_MAX_DEVICES];
        size_t n_devices;
};

static void launch_free(struct launch *l)
{
        for (size_t i = 0; i < l->n_storages; i++)
                protobuf_c_message_free_unpacked(&l->storages[i]->base, NULL);
        for (size_t i = 0; i < l->n_devices; i++)
                protobuf_c_message_free_unpacked(&l->devices[i]->base, NULL);
        l->n_storages = l->n_devices = 0;
}

enum {
        OPT_BUNDLE = 0x100, OPT_ROOTFS, OPT_ENV, OPT_CWD, OPT_USER, OPT_HOSTNAME, OPT_MEMORY, OPT_CPUS,
        OPT_PIDS, OPT_KEEP, OPT_SANDBOX_PIDNS, OPT_EXEC_ID, OPT_STORAGE, OPT_DEVICE,
};

static const struct option launch_options[] = {
        { "bundle", required_argument, NULL, OPT_BUNDLE },
        { "rootfs", required_argument, NULL, OPT_ROOTFS },
        { "env", required_argument, NULL, 'e' },
        { "cwd", required_argument, NULL, 'w' },
        { "user", required_argument, NULL, 'u' },
        { "hostname", required_argument, NULL, OPT_HOSTNAME },
        { "memory", required_argument, NULL, OPT_MEMORY },
        { "cpus", required_argument, NULL, OPT_CPUS },
        { "pids", required_argument, NULL, OPT_PIDS },
        { "tty", no_argument, NULL, 't' },
        { "interactive", no_argument, NULL, 'i' },
        { "detach", no_argument, NULL, 'd' },
        { "keep", no_argument, NULL, OPT_KEEP },
        { "sandbox-pidns", no_argument, NULL, OPT_SANDBOX_PIDNS },
        { "exec-id", required_argument, NULL, OPT_EXEC_ID },
        { "storage", required_argument, NULL, OPT_STORAGE },
        { "device", required_argument, NULL, OPT_DEVICE },
        {},
};

static int parse_launch(const char *cmd, int argc, char **argv, struct launch *l)
{
        int opt, code;
        while ((opt = getopt_long(argc, argv, "+e:w:u:tid", launch_options, NULL)) != -1) {
                switch (opt) {
                case OPT_BUNDLE: l->bundle = optarg; break;
                case OPT_ROOTFS: l->rootfs = optarg; break;
                case OPT_HOSTNAME: l->hostname = optarg; break;
                case OPT_EXEC_ID: l->exec_id = optarg; break;
                case 'e':
                        if (l->proc.n_env == ARRAY_SIZE(l->proc.env))
                                return ctl_usage_error(cmd, "at most 64 --env");
                        l->proc.env[l->proc.n_env++] = optarg;
                        break;
                case 'w': l->proc.cwd = optarg; break;
                case 'u': l->proc.user = optarg; break;
                case 't': l->proc.tty = l->proc.tty_set = true; break;
                case 'i': l->interactive = true; break;
                case 'd': l->detach = true; break;
                case OPT_KEEP: l->keep = true; break;
                case OPT_SANDBOX_PIDNS: l->sandbox_pidns = true; break;
                case OPT_STORAGE:
                        if ((code = ctl_add_storage(cmd, optarg, l->storages, &l->n_storages)))
                                return code;
                        break;
                case OPT_DEVICE:
                        if ((code = ctl_add_device(cmd, optarg, l->devices, &l->n_devices)))
                                return code;
                        break;
                case OPT_MEMORY:
                        if (parse_size(optarg, &l->res.memory) < 0)
                                return ctl_usage_error(cmd, "--memory wants a size like 64m, got `%s`", optarg);
                        break;
                case OPT_CPUS:
                        l->res.cpus = strtod(optarg, NULL);
                        if (l->res.cpus <= 0 || l->res.cpus > 1024)
                                return ctl_usage_error(cmd, "--cpus wants a positive number, got `%s`", optarg);
                        break;
                case OPT_PIDS:
                        if (parse_i64(optarg, &l->res.pids) < 0 || l->res.pids <= 0)
                                return ctl_usage_error(cmd, "--pids wants a positive number, got `%s`", optarg);
                        break;
                default:
                        return ctl_usage_error(cmd, "unknown option");
                }
        }
        struct rpc_error e = { 0 };
        if (ctl_devices_check(l->devices, l->n_devices, &e) < 0)
                return ctl_usage_error(cmd, "--device: %s", e.msg);
        return 0;
}

static int build_spec(const char *cmd, const struct launch *l, Grpc__Spec **ret)
{
        struct rpc_error e = { 0 };
        Grpc__Spec *spec = NULL;
        int r;
        if (!!l->bundle == !!l->rootfs)
                return ctl_usage_error(cmd, "give exactly one of --bundle DIR and --rootfs DIR");
        if (l->bundle)
                r = oci_spec_load_bundle(l->bundle, &spec, &e);
        else {
                if (l->n_args == 0)
                        return ctl_usage_error(cmd, "--rootfs needs the command to run after the id");
                r = oci_spec_default(l->rootfs, l->args, l->n_args, l->proc.tty, &spec, &e);
        }
        if (r == 0 && l->bundle && l->n_args) {
                protobuf_c_message_free_unpacked(&spec->base, NULL);
                return ctl_usage_error(cmd, "with --bundle the command comes from config.json");
        }
        if (r == 0 && !spec->process)
                r = rpc_error_set(&e, GRPC_INVALID_ARGUMENT, -EINVAL, "the spec has no process to run");
        if (r == 0)
                r = spec_apply_process_flags(spec->process, &l->proc, &e);
        if (r == 0)
                r = spec_apply_resources(spec, &l->res, &e);
        if (r == 0 && l->hostname)
                r = spec_set_hostname(spec, l->hostname, &e);
        if (r == 0)
                r = ctl_spec_add_devices(spec, l->devices, l->n_devices, &e);
        if (r < 0) {
                if (spec)
                        protobuf_c_message_free_unpacked(&spec->base, NULL);
                fprintf(stderr, "kinglet-ctl: %s: %s\n", cmd, e.msg);
                return CTL_EXIT_NOINPUT;
        }
        *ret = spec;
        return 0;
}

static struct agent_client client_of(struct ctl *ctl)
{
        return (struct agent_client){ .ttrpc = ctl->client, .timeout_ns = (int64_t)ctl->timeout_ns };
}

static int fail(struct ctl *ctl, const struct rpc_error *e, int exit_code)
{
        ctl_report_error(ctl, e->code, e->msg);
        return exit_code ? exit_code : e->code;
}

static int create_from(struct ctl *ctl, const char *cmd, const char *id, struct launch *l, int fail_code)
{
        Grpc__Spec *spec = NULL;
        struct rpc_error e = { 0 };
        int code = build_spec(cmd, l, &spec);
        if (code)
                return code;
        code = ctl_connect(ctl);
        if (code) {
                protobuf_c_message_free_unpacked(&spec->base, NULL);
                return code;
        }
        struct agent_client ac = client_of(ctl);
        /* Built here rather than by agent_create_container, whose options carry no devices. */
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        req.container_id = req.exec_id = (char *)id;
        req.oci = spec;
        req.sandbox_pidns = l->sandbox_pidns;
        req.storages = l->storages;
        req.n_storages = l->n_storages;
        req.devices = l->devices;
        req.n_devices = l->n_devices;
        struct user_flag u;
        Grpc__StringUser names;
        if (l->proc.user && user_flag_parse(l->proc.user, &u) == 0 && user_flag_string_user(&u, &names))
                req.string_user = &names;
        int r = agent_call(&ac, "CreateContainer", &req.base, NULL, NULL, &e);
        protobuf_c_message_free_unpacked(&spec->base, NULL);
        return r < 0 ? fail(ctl, &e, fail_code) : 0;
}

static void print_id(struct ctl *ctl, const char *key, const char *id)
{
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, key);
                json_string(&ctl->out, id);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("%s\n", id);
}

static int cmd_create(struct ctl *ctl, int argc, char **argv)
{
        _cleanup_(launch_free) struct launch l = { 0 };
        int code = parse_launch("create", argc, argv, &l);
        if (code)
                return code;
        if (optind >= argc)
                return ctl_usage_error("create", "needs a container ID");
        const char *id = argv[optind];
        l.args = argv + optind + 1;
        l.n_args = (size_t)(argc - optind - 1);
        code = create_from(ctl, "create", id, &l, 0);
        if (code == 0)
                print_id(ctl, "container_id", id);
        return code;
}

static int simple_call(struct ctl *ctl, int argc, char **argv, const char *cmd,
                       int (*fn)(struct agent_client *, const char *, struct rpc_error *))
{
        struct rpc_error e = { 0 };
        if (argc != 2)
                return ctl_usage_error(cmd, "needs exactly one container ID");
        int code = ctl_connect(ctl);
        if (code)
                return code;
        struct agent_client ac = client_of(ctl);
        if (fn(&ac, argv[1], &e) < 0)
                return fail(ctl, &e, 0);
        print_id(ctl, "container_id", argv[1]);
        return 0;
}

static int cmd_start(struct ctl *ctl, int argc, char **argv)
{
        return simple_call(ctl, argc, argv, "start", agent_start_container);
}

/* Attach to a started process and relay; the exit status becomes ours. */
static int attach(struct ctl *ctl, const char *id, const char *exec_id, const struct launch *l)
{
        struct rpc_error e = { 0 };
        int status;
        struct relay_opts ro = { .forward_stdin = l->interactive, .tty = l->proc.tty };
        /* The relay holds long polls: no per-request deadline. */
        if (relay_run(ctl->client, id, exec_id, &ro, &status, &e) < 0)
                return fail(ctl, &e, CTL_EXIT_RUN_FAILED);
        return status;
}

static int cmd_run(struct ctl *ctl, int argc, char **argv)
{
        _cleanup_(launch_free) struct launch l = { 0 };
        char generated[64];
        int code = parse_launch("run", argc, argv, &l);
        if (code)
                return code;
        if (optind >= argc)
                return ctl_usage_error("run", "needs a container ID (or - to make one up)");
        const char *id = argv[optind];
        if (streq(id, "-")) {
                snprintf(generated, sizeof generated, "ctl-%ld-%d", (long)time(NULL), (int)getpid());
                id = generated;
        }
        l.args = argv + optind + 1;
        l.n_args = (size_t)(argc - optind - 1);
        code = create_from(ctl, "run", id, &l, CTL_EXIT_RUN_FAILED);
        if (code)
                return code;
        struct agent_client ac = client_of(ctl);
        struct rpc_error e = { 0 };
        if (agent_start_container(&ac, id, &e) < 0) {
                code = fail(ctl, &e, CTL_EXIT_RUN_FAILED);
                (void)agent_remove_container(&ac, id, 10, &e);
                return code;
        }
        if (l.detach) {
                print_id(ctl, "container_id", id);
                return 0;
        }
        code = attach(ctl, id, id, &l);
        if (!l.keep && agent_remove_container(&ac, id, 10, &e) < 0)
                fprintf(stderr, "kinglet-ctl: run: removing %s: %s\n", id, e.msg);
        return code;
}

static int cmd_exec(struct ctl *ctl, int argc, char **argv)
{
        _cleanup_(launch_free) struct launch l = { 0 };
        char generated[64];
        struct rpc_error e = { 0 };
        int code = parse_launch("exec", argc, argv, &l);
        if (code)
                return code;
        if (l.n_storages || l.n_devices)
                return ctl_usage_error("exec", "--storage and --device belong to run and create");
        if (argc - optind < 2)
                return ctl_usage_error("exec", "needs a container ID and a command");
        const char *id = argv[optind];
        const char *exec_id = l.exec_id;
        if (!exec_id) {
                snprintf(generated, sizeof generated, "exec-%ld-%d", (long)time(NULL), (int)getpid());
                exec_id = generated;
        }
        Grpc__Process proc = GRPC__PROCESS__INIT;
        Grpc__User user = GRPC__USER__INIT;
        static char *default_env[] = { (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
        proc.args = argv + optind + 1;
        proc.n_args = (size_t)(argc - optind - 1);
        proc.cwd = (char *)(l.proc.cwd ? l.proc.cwd : "/");
        proc.terminal = l.proc.tty;
        proc.user = &user;
        /* Environment: PATH plus --env (the process spec of an exec starts empty, as in OCI). */
        char *env[65];
        proc.env = env;
        env[proc.n_env++] = default_env[0];
        for (size_t i = 0; i < l.proc.n_env; i++)
                env[proc.n_env++] = (char *)l.proc.env[i];
        struct user_flag u;
        Grpc__StringUser names, *string_user = NULL;
        if (l.proc.user) {
                if (user_flag_parse(l.proc.user, &u) < 0)
                        return ctl_usage_error("exec", "--user wants USER[:GROUP] (names or numbers)");
                user.uid = u.uid;
                user.gid = u.gid;
                if (user_flag_string_user(&u, &names))
                        string_user = &names;
        }
        code = ctl_connect(ctl);
        if (code)
                return code;
        struct agent_client ac = client_of(ctl);
        if (agent_exec_process(&ac, id, exec_id, &proc, string_user, &e) < 0)
                return fail(ctl, &e, CTL_EXIT_RUN_FAILED);
        if (l.detach) {
                print_id(ctl, "exec_id", exec_id);
                return 0;
        }
        return attach(ctl, id, exec_id, &l);
}

#define LAUNCH_FLAGS                                                                                   \
        "  --rootfs DIR        root filesystem (a path in the guest); the command follows the ID\n"   \
        "  --bundle DIR        an OCI bundle (its config.json) instead\n"                              \
        "  -e, --env K=V       set an environment variable (repeatable)\n"                             \
        "  -w, --cwd DIR       working directory\n"                                                    \
        "  -u, --user U[:G]    user[:group], numbers or names in the container's /etc/passwd\n"        \
        "  -t, --tty           give the process a terminal\n"                                          \
        "  --hostname NAME     container hostname\n"                                                   \
        "  --memory SIZE       memory limit (e.g. 64m)\n"                                              \
        "  --cpus N            CPU quota in CPUs (e.g. 0.5)\n"                                         \
        "  --pids N            process limit\n"                                                        \
        "  --sandbox-pidns     join the sandbox's shared PID namespace\n"                            \
        "  --storage SPEC      mount a storage for this container first (repeatable, at most 64)\n"   \
        "  --device SPEC       give the container a guest device (repeatable, at most 64)"

const struct ctl_command ctl_container_commands[] = {
        { "run", "create and start a container, relay its stdio, wait, remove it",
          "[OPTIONS] ID|- [COMMAND...]\n\n" LAUNCH_FLAGS "\n"
          "  -i, --interactive   forward stdin\n"
          "  -d, --detach        start it and return\n"
          "  --keep              do not remove it when it exits\n\n"
          "Exits with the container's status (128+N when killed by signal N); 125 when the agent\n"
          "refuses to run it.\n\n" CTL_STORAGE_SPEC_HELP CTL_DEVICE_SPEC_HELP CTL_SPEC_SYNTAX_HELP,
          cmd_run },
        { "create", "create a container and hold its process before exec (like runc create)",
          "[OPTIONS] ID [COMMAND...]\n\n" LAUNCH_FLAGS "\n\n" CTL_STORAGE_SPEC_HELP CTL_DEVICE_SPEC_HELP
          CTL_SPEC_SYNTAX_HELP,
          cmd_create },
        { "start", "start a created container", "ID", cmd_start },
        { "exec", "run another process in a running container",
          "[-i] [-t] [-d] [-e K=V] [-w DIR] [-u USER[:GROUP]] [--exec-id ID] CONTAINER COMMAND...\n\n"
          "Exits with the process's status; 125 when the agent refuses.",
          cmd_exec },
        {},
};
