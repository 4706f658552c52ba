/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RPCs kinglet answers UNIMPLEMENTED on purpose, each with the reason
 * (docs/protocol.md, "Unsupported by design"). One handler serves them all;
 * the table says why per method.
 */
#include "rpc.h"
#include "util.h"

static const struct {
        const char *method;
        const char *why;
} unsupported[] = {
        { "MemAgentMemcgSet", "kinglet has no memory agent (Kata's mem-agent memcg aging and eviction)" },
        { "MemAgentCompactSet", "kinglet has no memory agent (Kata's mem-agent memory compaction)" },
        { "GetDiagnosticData", "kinglet keeps no diagnostic data (Kata's termination-log reader); read a "
                               "container's terminationMessagePath through its shared volume instead" },
        { "RemoveStaleVirtiofsShareMounts", "kinglet does not track virtio-fs share mounts left over from a "
                                            "previous runtime; the sandbox's mounts end with the VM" },
};

RPC_HANDLER(rpc_unsupported)
{
        const char *method = ttrpc_call_method(call);
        (void)request;
        (void)userdata;
        for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
                if (streq(unsupported[i].method, method))
                        return ttrpc_call_fail(call, GRPC_UNIMPLEMENTED, "%s is not supported: %s", method,
                                               unsupported[i].why);
        return ttrpc_call_fail(call, GRPC_UNIMPLEMENTED, "%s is not supported by kinglet", method);
}
