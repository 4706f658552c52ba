/* SPDX-License-Identifier: Apache-2.0 */
/* volume-stats, resize-volume: a mounted volume in the guest (GetVolumeStats / ResizeVolume). */
#include <stdio.h>
#include <string.h>

#include "agent.pb-c.h"
#include "csi.pb-c.h"
#include "ctl.h"
#include "spec_edit.h"

#define AGENT_SERVICE "grpc.AgentService"
#define VOLUME_PATH_MAX 4095

static const char *unit_name(Grpc__VolumeUsage__Unit unit)
{
        switch (unit) {
        case GRPC__VOLUME_USAGE__UNIT__BYTES: return "bytes";
        case GRPC__VOLUME_USAGE__UNIT__INODES: return "inodes";
        default: return "unknown";
        }
}

static int check_path(const char *cmd, const char *path)
{
        if (!*path || path[0] != '/')
                return ctl_usage_error(cmd, "the volume path must be absolute, got `%.200s`", path);
        if (strlen(path) > VOLUME_PATH_MAX)
                return ctl_usage_error(cmd, "the volume path is longer than %d bytes", VOLUME_PATH_MAX);
        return 0;
}

static void print_stats_json(struct ctl *ctl, const Grpc__VolumeStatsResponse *s)
{
        json_object_begin(&ctl->out);
        for (size_t i = 0; i < s->n_usage; i++) {
                const Grpc__VolumeUsage *u = s->usage[i];
                json_key(&ctl->out, unit_name(u->unit));
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "used");
                json_uint(&ctl->out, u->used);
                json_key(&ctl->out, "total");
                json_uint(&ctl->out, u->total);
                json_key(&ctl->out, "available");
                json_uint(&ctl->out, u->available);
                json_object_end(&ctl->out);
        }
        json_key(&ctl->out, "condition");
        json_object_begin(&ctl->out);
        json_key(&ctl->out, "abnormal");
        json_bool(&ctl->out, s->volume_condition && s->volume_condition->abnormal);
        json_key(&ctl->out, "message");
        json_string(&ctl->out, s->volume_condition ? s->volume_condition->message : "");
        json_object_end(&ctl->out);
        json_object_end(&ctl->out);
        json_finish(&ctl->out);
}

static int cmd_volume_stats(struct ctl *ctl, int argc, char **argv)
{
        Grpc__VolumeStatsRequest req = GRPC__VOLUME_STATS_REQUEST__INIT;
        ProtobufCMessage *m = NULL;

        if (argc != 2)
                return ctl_usage_error("volume-stats", "needs one volume path in the guest");
        int code = check_path("volume-stats", argv[1]);
        if (code)
                return code;
        req.volume_guest_path = argv[1];
        code = ctl_call(ctl, AGENT_SERVICE, "GetVolumeStats", &req.base, &grpc__volume_stats_response__descriptor,
                        &m);
        if (code)
                return code;
        const Grpc__VolumeStatsResponse *s = (const Grpc__VolumeStatsResponse *)m;
        if (ctl->json)
                print_stats_json(ctl, s);
        else {
                for (size_t i = 0; i < s->n_usage; i++) {
                        const Grpc__VolumeUsage *u = s->usage[i];
                        printf("%-9s used %llu total %llu available %llu\n", unit_name(u->unit),
                               (unsigned long long)u->used, (unsigned long long)u->total,
                               (unsigned long long)u->available);
                }
                const Grpc__VolumeCondition *c = s->volume_condition;
                if (c && c->abnormal)
                        printf("condition abnormal: %s\n", c->message);
                else
                        printf("condition normal%s%s\n", c && *c->message ? ": " : "", c ? c->message : "");
        }
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
}

static int cmd_resize_volume(struct ctl *ctl, int argc, char **argv)
{
        Grpc__ResizeVolumeRequest req = GRPC__RESIZE_VOLUME_REQUEST__INIT;
        int64_t size;

        if (argc != 3)
                return ctl_usage_error("resize-volume", "needs a volume path and a size");
        int code = check_path("resize-volume", argv[1]);
        if (code)
                return code;
        if (parse_size(argv[2], &size) < 0 || size <= 0)
                return ctl_usage_error("resize-volume", "`%.64s` is not a size like 10g, 512m or 1048576", argv[2]);
        req.volume_guest_path = argv[1];
        req.size = (uint64_t)size;
        code = ctl_call(ctl, AGENT_SERVICE, "ResizeVolume", &req.base, NULL, NULL);
        if (code)
                return code;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "path");
                json_string(&ctl->out, argv[1]);
                json_key(&ctl->out, "size");
                json_uint(&ctl->out, req.size);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("%s resized to %llu bytes\n", argv[1], (unsigned long long)req.size);
        return 0;
}

const struct ctl_command ctl_volume_commands[] = {
        { "volume-stats", "space and inodes of a volume mounted in the guest (GetVolumeStats)",
          "PATH\n\n"
          "Prints one line per unit, `bytes used U total T available A` and `inodes ...`, then\n"
          "`condition normal` or `condition abnormal: MESSAGE`. --json:\n"
          "{\"bytes\":{\"used\":U,\"total\":T,\"available\":A},\"inodes\":{...},"
          "\"condition\":{\"abnormal\":false,\"message\":\"\"}}.",
          cmd_volume_stats },
        { "resize-volume", "grow the filesystem of a volume in the guest to SIZE bytes (ResizeVolume)",
          "PATH SIZE\n\nSIZE in bytes, or with a k, m or g suffix (powers of 1024), e.g. 10g.", cmd_resize_volume },
        {},
};
