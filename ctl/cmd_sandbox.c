/* SPDX-License-Identifier: Apache-2.0 */
/* create-sandbox, destroy-sandbox: the sandbox-wide setup (CreateSandbox / DestroySandbox). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "ctl.h"
#include "spec_storage.h"
#include "util.h"

#define AGENT_SERVICE "grpc.AgentService"
#define MAX_DNS 64 /* --dns lines taken; the agent applies its own bound */

struct sandbox_flags {
        Grpc__CreateSandboxRequest req;
        char *dns[MAX_DNS];
        Grpc__Storage *storages[CTL_MAX_STORAGES];
};

static void sandbox_flags_free(struct sandbox_flags *f)
{
        for (size_t i = 0; i < f->req.n_storages; i++)
                protobuf_c_message_free_unpacked(&f->storages[i]->base, NULL);
        f->req.n_storages = 0;
}

int ctl_add_storage(const char *cmd, const char *spec, Grpc__Storage **storages, size_t *n)
{
        struct rpc_error e = { 0 };
        if (*n >= CTL_MAX_STORAGES)
                return ctl_usage_error(cmd, "at most %d --storage", CTL_MAX_STORAGES);
        if (ctl_storage_parse(spec, &storages[*n], &e) < 0)
                return ctl_usage_error(cmd, "--storage `%.200s`: %s", spec, e.msg);
        (*n)++;
        return 0;
}

int ctl_add_device(const char *cmd, const char *spec, Grpc__Device **devices, size_t *n)
{
        struct rpc_error e = { 0 };
        if (*n >= CTL_MAX_DEVICES)
                return ctl_usage_error(cmd, "at most %d --device", CTL_MAX_DEVICES);
        if (ctl_device_parse(spec, &devices[*n], &e) < 0)
                return ctl_usage_error(cmd, "--device `%.200s`: %s", spec, e.msg);
        (*n)++;
        return 0;
}

enum { OPT_ID = 0x100, OPT_HOSTNAME, OPT_DNS, OPT_STORAGE, OPT_PIDNS, OPT_HOOKS };

static int parse_sandbox_flags(int argc, char **argv, struct sandbox_flags *f)
{
        static const struct option options[] = {
                { "id", required_argument, NULL, OPT_ID },
                { "hostname", required_argument, NULL, OPT_HOSTNAME },
                { "dns", required_argument, NULL, OPT_DNS },
                { "storage", required_argument, NULL, OPT_STORAGE },
                { "sandbox-pidns", no_argument, NULL, OPT_PIDNS },
                { "guest-hook-path", required_argument, NULL, OPT_HOOKS },
                {},
        };
        Grpc__CreateSandboxRequest *req = &f->req;
        int opt, code;

        req->dns = f->dns;
        req->storages = f->storages;
        while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
                switch (opt) {
                case OPT_ID: req->sandbox_id = optarg; break;
                case OPT_HOSTNAME: req->hostname = optarg; break;
                case OPT_HOOKS: req->guest_hook_path = optarg; break;
                case OPT_PIDNS: req->sandbox_pidns = true; break;
                case OPT_DNS:
                        if (req->n_dns == MAX_DNS)
                                return ctl_usage_error("create-sandbox", "at most %d --dns", MAX_DNS);
                        f->dns[req->n_dns++] = optarg;
                        break;
                case OPT_STORAGE:
                        code = ctl_add_storage("create-sandbox", optarg, f->storages, &req->n_storages);
                        if (code)
                                return code;
                        break;
                default:
                        return ctl_usage_error("create-sandbox", "unknown option");
                }
        }
        if (optind < argc)
                return ctl_usage_error("create-sandbox", "unexpected argument `%s`", argv[optind]);
        return 0;
}

static int cmd_create_sandbox(struct ctl *ctl, int argc, char **argv)
{
        struct sandbox_flags f = { .req = GRPC__CREATE_SANDBOX_REQUEST__INIT };
        int code = parse_sandbox_flags(argc, argv, &f);
        if (code == 0)
                code = ctl_call(ctl, AGENT_SERVICE, "CreateSandbox", &f.req.base, NULL, NULL);
        if (code == 0) {
                const char *id = f.req.sandbox_id;
                if (ctl->json) {
                        json_object_begin(&ctl->out);
                        json_key(&ctl->out, "sandbox_id");
                        json_string(&ctl->out, id);
                        json_key(&ctl->out, "storages");
                        json_uint(&ctl->out, f.req.n_storages);
                        json_object_end(&ctl->out);
                        json_finish(&ctl->out);
                } else
                        printf("sandbox %s created\n", *id ? id : "(unnamed)");
        }
        sandbox_flags_free(&f);
        return code;
}

static int cmd_destroy_sandbox(struct ctl *ctl, int argc, char **argv)
{
        Grpc__DestroySandboxRequest req = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
        (void)argv;
        if (argc > 1)
                return ctl_usage_error("destroy-sandbox", "takes no arguments");
        int code = ctl_call(ctl, AGENT_SERVICE, "DestroySandbox", &req.base, NULL, NULL);
        if (code)
                return code;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "destroyed");
                json_bool(&ctl->out, true);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("sandbox destroyed\n");
        return 0;
}

_Static_assert(CTL_SPEC_MAX_LEN == 4096 && CTL_SPEC_MAX_REPEAT == 64 && CTL_MAX_STORAGES == 64 &&
                       CTL_MAX_DEVICES == 64,
               "CTL_SPEC_SYNTAX_HELP states these bounds");

const struct ctl_command ctl_sandbox_commands[] = {
        { "create-sandbox", "set up the sandbox: hostname, DNS, shared storages (CreateSandbox)",
          "[--id ID] [--hostname NAME] [--dns LINE]... [--storage SPEC]... [--sandbox-pidns] "
          "[--guest-hook-path PATH]\n\n"
          "  --id ID                 sandbox id\n"
          "  --hostname NAME         guest hostname\n"
          "  --dns LINE              a resolv.conf line, e.g. 'nameserver 192.0.2.53' (repeatable, at most 64)\n"
          "  --storage SPEC          a storage to mount for the whole sandbox (repeatable, at most 64)\n"
          "  --sandbox-pidns         start a holder process whose PID namespace containers can share\n"
          "  --guest-hook-path PATH  directory in the guest searched for OCI hooks\n\n" CTL_STORAGE_SPEC_HELP
          CTL_SPEC_SYNTAX_HELP "\nPrints `sandbox ID created`; --json: {\"sandbox_id\":ID,\"storages\":N}.",
          cmd_create_sandbox },
        { "destroy-sandbox", "remove every container and sandbox storage (DestroySandbox; a VM guest powers off)",
          "", cmd_destroy_sandbox },
        {},
};
