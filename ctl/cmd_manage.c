/* SPDX-License-Identifier: Apache-2.0 */
/* kill, wait, rm, pause, resume, update, stats, ps, oom-events: managing what runs. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent_client.h"
#include "ctl.h"
#include "kinglet.pb-c.h"
#include "spec_edit.h"
#include "util.h"

static struct agent_client client_of(struct ctl *ctl, bool long_poll)
{
        return (struct agent_client){ .ttrpc = ctl->client, .timeout_ns = long_poll ? 0 : (int64_t)ctl->timeout_ns };
}

static int fail(struct ctl *ctl, const struct rpc_error *e)
{
        ctl_report_error(ctl, e->code, e->msg);
        return e->code;
}

static int ok_json(struct ctl *ctl, const char *id)
{
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "container_id");
                json_string(&ctl->out, id);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        }
        return 0;
}

static int parse_signal(const char *s, int *ret)
{
        static const struct {
                const char *name;
                int sig;
        } names[] = { { "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
                      { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "CONT", SIGCONT },
                      { "STOP", SIGSTOP }, { "WINCH", SIGWINCH } };
        int n;
        if (parse_int(s, &n) == 0 && n > 0 && n < NSIG) {
                *ret = n;
                return 0;
        }
        const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcasecmp(name, names[i].name) == 0) {
                        *ret = names[i].sig;
                        return 0;
                }
        return -EINVAL;
}

static int cmd_kill(struct ctl *ctl, int argc, char **argv)
{
        static const struct option options[] = { { "exec", required_argument, NULL, 'x' }, {} };
        const char *exec_id = "";
        int sig = SIGTERM, opt;
        struct rpc_error e = { 0 };
        while ((opt = getopt_long(argc, argv, "x:", options, NULL)) != -1)
                if (opt == 'x')
                        exec_id = optarg;
                else
                        return ctl_usage_error("kill", "unknown option");
        if (argc - optind < 1 || argc - optind > 2)
                return ctl_usage_error("kill", "needs a container ID and optionally a signal");
        if (argc - optind == 2 && parse_signal(argv[optind + 1], &sig) < 0)
                return ctl_usage_error("kill", "`%s` is not a signal name or number", argv[optind + 1]);
        int code = ctl_connect(ctl);
        if (code)
                return code;
        struct agent_client ac = client_of(ctl, false);
        if (agent_signal_process(&ac, argv[optind], exec_id, sig, &e) < 0)
                return fail(ctl, &e);
        return ok_json(ctl, argv[optind]);
}

static int cmd_wait(struct ctl *ctl, int argc, char **argv)
{
        static const struct option options[] = { { "exec", required_argument, NULL, 'x' }, {} };
        const char *exec_id = NULL;
        int status, opt;
        struct rpc_error e = { 0 };
        while ((opt = getopt_long(argc, argv, "x:", options, NULL)) != -1)
                if (opt == 'x')
                        exec_id = optarg;
                else
                        return ctl_usage_error("wait", "unknown option");
        if (argc - optind != 1)
                return ctl_usage_error("wait", "needs a container ID");
        int code = ctl_connect(ctl);
        if (code)
                return code;
        struct agent_client ac = client_of(ctl, true);
        if (agent_wait_process(&ac, argv[optind], exec_id ? exec_id : argv[optind], &status, &e) < 0)
                return fail(ctl, &e);
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "status");
                json_int(&ctl->out, status);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("%d\n", status);
        return 0;
}

static int cmd_rm(struct ctl *ctl, int argc, char **argv)
{
        static const struct option options[] = { { "timeout", required_argument, NULL, 'T' }, {} };
        uint32_t timeout = 0;
        int opt;
        struct rpc_error e = { 0 };
        while ((opt = getopt_long(argc, argv, "fT:", options, NULL)) != -1) {
                if (opt == 'T' && parse_u32(optarg, 10, &timeout) == 0)
                        continue;
                if (opt != 'f')
                        return ctl_usage_error("rm", "--timeout wants seconds");
        }
        if (argc - optind < 1)
                return ctl_usage_error("rm", "needs container IDs");
        int code = ctl_connect(ctl);
        if (code)
                return code;
        struct agent_client ac = client_of(ctl, timeout == 0);
        for (int i = optind; i < argc; i++) {
                if (agent_remove_container(&ac, argv[i], timeout, &e) < 0)
                        return fail(ctl, &e);
                if (!ctl->json)
                        printf("%s\n", argv[i]);
        }
        return ctl->json ? ok_json(ctl, argv[argc - 1]) : 0;
}

static int pause_resume(struct ctl *ctl, int argc, char **argv, const char *method)
{
        struct rpc_error e = { 0 };
        Grpc__PauseContainerRequest req = GRPC__PAUSE_CONTAINER_REQUEST__INIT; /* same shape as Resume's */
        if (argc != 2)
                return ctl_usage_error(argv[0], "needs a container ID");
        int code = ctl_connect(ctl);
        if (code)
                return code;
        struct agent_client ac = client_of(ctl, false);
        req.container_id = argv[1];
        if (agent_call(&ac, method, &req.base, NULL, NULL, &e) < 0)
                return fail(ctl, &e);
        return ok_json(ctl, argv[1]);
}

static int cmd_pause(struct ctl *ctl, int argc, char **argv)
{
        return pause_resume(ctl, argc, argv, "PauseContainer");
}

static int cmd_resume(struct ctl *ctl, int argc, char **argv)
{
        return pause_resume(ctl, argc, argv, "ResumeContainer");
}

static int cmd_update(struct ctl *ctl, int argc, char **argv)
{
        static const struct option options[] = {
                { "memory", required_argument, NULL, 'm' },
                { "cpus", required_argument, NULL, 'c' },
                { "pids", required_argument, NULL, 'p' },
                {},
        };
        struct resource_flags rf = { 0 };
        struct rpc_error e = { 0 };
        int opt;
        while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
                bool ok = (opt == 'm' && parse_size(optarg, &rf.memory) == 0) ||
                          (opt == 'c' && (rf.cpus = strtod(optarg, NULL)) > 0) ||
                          (opt == 'p' && parse_i64(optarg, &rf.pids) == 0 && rf.pids > 0);
                if (!ok)
                        return ctl_usage_error("update", "bad value for an option");
        }
        if (argc - optind != 1)
                return ctl_usage_error("update", "needs a container ID");
        if (!rf.memory && rf.cpus <= 0 && !rf.pids)
                return ctl_usage_error("update", "nothing to update: give --memory, --cpus or --pids");
        Grpc__LinuxResources *res = resources_from_flags(&rf);
        if (!res)
                return CTL_EXIT_NOINPUT;
        int code = ctl_connect(ctl);
        if (code == 0) {
                struct agent_client ac = client_of(ctl, false);
                Grpc__UpdateContainerRequest req = GRPC__UPDATE_CONTAINER_REQUEST__INIT;
                req.container_id = argv[optind];
                req.resources = res;
                code = agent_call(&ac, "UpdateContainer", &req.base, NULL, NULL, &e) < 0 ? fail(ctl, &e)
                                                                                         : ok_json(ctl, argv[optind]);
        }
        protobuf_c_message_free_unpacked(&res->base, NULL);
        return code;
}

static int cmd_stats(struct ctl *ctl, int argc, char **argv)
{
        struct rpc_error e = { 0 };
        ProtobufCMessage *m = NULL;
        if (argc != 2)
                return ctl_usage_error("stats", "needs a container ID");
        int code = ctl_connect(ctl);
        if (code)
                return code;
        struct agent_client ac = client_of(ctl, false);
        Grpc__StatsContainerRequest req = GRPC__STATS_CONTAINER_REQUEST__INIT;
        req.container_id = argv[1];
        if (agent_call(&ac, "StatsContainer", &req.base, &grpc__stats_container_response__descriptor, &m, &e) < 0)
                return fail(ctl, &e);
        const Grpc__StatsContainerResponse *s = (const Grpc__StatsContainerResponse *)m;
        const Grpc__CgroupStats *cg = s->cgroup_stats;
        uint64_t cpu = cg && cg->cpu_stats && cg->cpu_stats->cpu_usage ? cg->cpu_stats->cpu_usage->total_usage : 0;
        uint64_t mem = cg && cg->memory_stats && cg->memory_stats->usage ? cg->memory_stats->usage->usage : 0;
        uint64_t lim = cg && cg->memory_stats && cg->memory_stats->usage ? cg->memory_stats->usage->limit : 0;
        uint64_t pids = cg && cg->pids_stats ? cg->pids_stats->current : 0;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "cpu_usage_ns");
                json_uint(&ctl->out, cpu);
                json_key(&ctl->out, "memory_usage_bytes");
                json_uint(&ctl->out, mem);
                json_key(&ctl->out, "memory_limit_bytes");
                json_uint(&ctl->out, lim);
                json_key(&ctl->out, "pids");
                json_uint(&ctl->out, pids);
                json_key(&ctl->out, "networks");
                json_array_begin(&ctl->out);
                for (size_t i = 0; i < s->n_network_stats; i++) {
                        json_object_begin(&ctl->out);
                        json_key(&ctl->out, "name");
                        json_string(&ctl->out, s->network_stats[i]->name);
                        json_key(&ctl->out, "rx_bytes");
                        json_uint(&ctl->out, s->network_stats[i]->rx_bytes);
                        json_key(&ctl->out, "tx_bytes");
                        json_uint(&ctl->out, s->network_stats[i]->tx_bytes);
                        json_object_end(&ctl->out);
                }
                json_array_end(&ctl->out);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else {
                printf("cpu usage      %.3f s\n", (double)cpu / 1e9);
                printf("memory usage   %llu bytes", (unsigned long long)mem);
                if (lim && lim < (1ULL << 62))
                        printf(" of %llu", (unsigned long long)lim);
                printf("\npids           %llu\n", (unsigned long long)pids);
                for (size_t i = 0; i < s->n_network_stats; i++)
                        printf("net %-10s rx %llu bytes, tx %llu bytes\n", s->network_stats[i]->name,
                               (unsigned long long)s->network_stats[i]->rx_bytes,
                               (unsigned long long)s->network_stats[i]->tx_bytes);
        }
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
}

static int cmd_ps(struct ctl *ctl, int argc, char **argv)
{
        Kinglet__ListContainersRequest req = KINGLET__LIST_CONTAINERS_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        (void)argv;
        if (argc != 1)
                return ctl_usage_error("ps", "takes no arguments");
        int code = ctl_call(ctl, "kinglet.Containers", "List", &req.base,
                            &kinglet__list_containers_response__descriptor, &m);
        if (code)
                return code;
        const Kinglet__ListContainersResponse *l = (const Kinglet__ListContainersResponse *)m;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "sandbox_id");
                json_string(&ctl->out, l->sandbox_id);
                json_key(&ctl->out, "containers");
                json_array_begin(&ctl->out);
        } else
                printf("%-24s %-9s %-7s %s\n", "CONTAINER", "STATE", "PID", "RUNNING");
        for (size_t i = 0; i < l->n_containers; i++) {
                const Kinglet__ContainerInfo *c = l->containers[i];
                int pid = c->n_processes ? c->processes[0]->pid : 0;
                size_t running = 0;
                for (size_t p = 0; p < c->n_processes; p++)
                        running += !c->processes[p]->exited;
                if (!ctl->json) {
                        printf("%-24s %-9s %-7d %zu\n", c->container_id, c->state, pid, running);
                        continue;
                }
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "id");
                json_string(&ctl->out, c->container_id);
                json_key(&ctl->out, "state");
                json_string(&ctl->out, c->state);
                json_key(&ctl->out, "pid");
                json_int(&ctl->out, pid);
                json_key(&ctl->out, "running");
                json_uint(&ctl->out, running);
                json_key(&ctl->out, "processes");
                json_array_begin(&ctl->out);
                for (size_t p = 0; p < c->n_processes; p++) {
                        const Kinglet__ProcessInfo *pi = c->processes[p];
                        json_object_begin(&ctl->out);
                        json_key(&ctl->out, "exec_id");
                        json_string(&ctl->out, pi->exec_id);
                        json_key(&ctl->out, "pid");
                        json_int(&ctl->out, pi->pid);
                        json_key(&ctl->out, "exited");
                        json_bool(&ctl->out, pi->exited);
                        if (pi->exited) {
                                json_key(&ctl->out, "exit_status");
                                json_int(&ctl->out, pi->exit_status);
                        }
                        json_object_end(&ctl->out);
                }
                json_array_end(&ctl->out);
                json_object_end(&ctl->out);
        }
        if (ctl->json) {
                json_array_end(&ctl->out);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        }
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
}

static int cmd_oom_events(struct ctl *ctl, int argc, char **argv)
{
        static const struct option options[] = { { "count", required_argument, NULL, 'n' }, {} };
        uint32_t count = 0; /* 0: forever */
        int opt;
        struct rpc_error e = { 0 };
        while ((opt = getopt_long(argc, argv, "n:", options, NULL)) != -1)
                if (opt != 'n' || parse_u32(optarg, 10, &count) < 0)
                        return ctl_usage_error("oom-events", "--count wants a number");
        int code = ctl_connect(ctl);
        if (code)
                return code;
        struct agent_client ac = client_of(ctl, true);
        for (uint32_t seen = 0; count == 0 || seen < count; seen++) {
                Grpc__GetOOMEventRequest req = GRPC__GET_OOMEVENT_REQUEST__INIT;
                ProtobufCMessage *m = NULL;
                if (agent_call(&ac, "GetOOMEvent", &req.base, &grpc__oomevent__descriptor, &m, &e) < 0)
                        return fail(ctl, &e);
                const char *id = ((const Grpc__OOMEvent *)m)->container_id;
                if (ctl->json) {
                        json_init(&ctl->out, stdout);
                        json_object_begin(&ctl->out);
                        json_key(&ctl->out, "oom");
                        json_string(&ctl->out, id);
                        json_object_end(&ctl->out);
                        json_finish(&ctl->out);
                } else {
                        printf("%s\n", id);
                        fflush(stdout);
                }
                protobuf_c_message_free_unpacked(m, NULL);
        }
        return 0;
}

const struct ctl_command ctl_manage_commands[] = {
        { "kill", "send a signal (default TERM) to every process of a container, or one with --exec",
          "[--exec EXEC_ID] ID [SIGNAL]", cmd_kill },
        { "wait", "wait for a process to exit and print its status", "[--exec EXEC_ID] ID", cmd_wait },
        { "rm", "kill what is left of containers and remove them", "[--timeout SECONDS] ID...", cmd_rm },
        { "pause", "freeze every process of a container", "ID", cmd_pause },
        { "resume", "thaw a paused container", "ID", cmd_resume },
        { "update", "change a container's resource limits while it runs",
          "[--memory SIZE] [--cpus N] [--pids N] ID", cmd_update },
        { "stats", "cpu, memory, pids and network counters of a container", "ID", cmd_stats },
        { "ps", "list containers (kinglet.Containers/List)", "", cmd_ps },
        { "list", "the same as ps", "", cmd_ps },
        { "oom-events", "print containers that see OOM kills, as they happen (GetOOMEvent)", "[--count N]",
          cmd_oom_events },
        {},
};
