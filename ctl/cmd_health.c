/* SPDX-License-Identifier: Apache-2.0 */
/* check, version: grpc.Health. */
#include <stdio.h>

#include "ctl.h"
#include "health.pb-c.h"

static const char *serving_name(int status)
{
        switch (status) {
        case GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING: return "SERVING";
        case GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING: return "NOT_SERVING";
        default: return "UNKNOWN";
        }
}

static int cmd_check(struct ctl *ctl, int argc, char **argv)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        ProtobufCMessage *msg = NULL;

        if (argc > 2)
                return ctl_usage_error("check", "takes at most one argument (a service name)");
        if (argc == 2)
                req.service = argv[1];
        int code = ctl_call(ctl, "grpc.Health", "Check", &req.base,
                            &grpc__health_check_response__descriptor, &msg);
        if (code)
                return code;
        const Grpc__HealthCheckResponse *resp = (const Grpc__HealthCheckResponse *)msg;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "status");
                json_string(&ctl->out, serving_name(resp->status));
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("%s\n", serving_name(resp->status));
        int serving = resp->status == GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        protobuf_c_message_free_unpacked(msg, NULL);
        return serving ? 0 : GRPC_UNAVAILABLE;
}

static int cmd_version(struct ctl *ctl, int argc, char **argv)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        ProtobufCMessage *msg = NULL;
        (void)argv;

        if (argc > 1)
                return ctl_usage_error("version", "takes no arguments");
        int code = ctl_call(ctl, "grpc.Health", "Version", &req.base,
                            &grpc__version_check_response__descriptor, &msg);
        if (code)
                return code;
        const Grpc__VersionCheckResponse *resp = (const Grpc__VersionCheckResponse *)msg;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "agent_version");
                json_string(&ctl->out, resp->agent_version);
                json_key(&ctl->out, "grpc_version");
                json_string(&ctl->out, resp->grpc_version);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("agent version: %s\napi version:   %s\n", resp->agent_version,
                       resp->grpc_version);
        protobuf_c_message_free_unpacked(msg, NULL);
        return 0;
}

const struct ctl_command ctl_health_commands[] = {
        { "check", "ask whether the agent is serving (grpc.Health/Check)", "[SERVICE]", cmd_check },
        { "version", "show the agent and API versions (grpc.Health/Version)", "", cmd_version },
        {},
};
