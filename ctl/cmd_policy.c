/* SPDX-License-Identifier: Apache-2.0 */
/* set-policy: replace the agent's policy (SetPolicy; the format is in docs/security.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "cleanup.h"
#include "ctl.h"
#include "util.h"

/*
 * What fits in one ttrpc message, with room for the envelope. kinglet takes
 * 64 KiB and says so; a Kata agent's Rego policies can be much bigger.
 */
#define POLICY_TEXT_MAX ((4u << 20) - 8192)

/* Reads all of fd into a NUL-terminated string (malloc'ed): -EFBIG past the bound, -EILSEQ for a NUL byte. */
static int read_policy(int fd, char **ret)
{
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len;
        int r = read_all_bounded(fd, POLICY_TEXT_MAX, &buf, &len);
        if (r < 0)
                return r;
        if (memchr(buf, '\0', len))
                return -EILSEQ; /* a protobuf string would end there */
        *ret = (char *)TAKE_PTR(buf);
        return 0;
}

static int cmd_set_policy(struct ctl *ctl, int argc, char **argv)
{
        Grpc__SetPolicyRequest req = GRPC__SET_POLICY_REQUEST__INIT;
        _cleanup_free_ char *text = NULL;

        if (argc != 2)
                return ctl_usage_error("set-policy", "needs one policy FILE (or - for stdin)");
        const char *path = argv[1];
        bool from_stdin = streq(path, "-");
        _cleanup_close_ int fd = from_stdin ? -1 : open(path, O_RDONLY | O_CLOEXEC);
        int r = from_stdin || fd >= 0 ? read_policy(from_stdin ? STDIN_FILENO : fd, &text) : -errno;
        if (r < 0) {
                fprintf(stderr, "kinglet-ctl: set-policy: cannot read %s: %s\n", from_stdin ? "stdin" : path,
                        r == -EFBIG    ? "more than 4 MiB"
                        : r == -EILSEQ ? "it holds a NUL byte"
                                       : strerror(-r));
                return CTL_EXIT_NOINPUT;
        }
        req.policy = text;
        int code = ctl_call(ctl, "grpc.AgentService", "SetPolicy", &req.base, NULL, NULL);
        if (code)
                return code;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "bytes");
                json_uint(&ctl->out, strlen(text));
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("policy set (%zu bytes)\n", strlen(text));
        return 0;
}

const struct ctl_command ctl_policy_commands[] = {
        { "set-policy", "replace the agent's policy (SetPolicy)",
          "FILE|-\n\n"
          "Sends the policy text in FILE, or stdin for -, as it is. kinglet's rules format is in\n"
          "docs/security.md (at most 64 KiB); an empty file allows everything again. A policy the\n"
          "agent refuses (exit 3, the line and why) leaves the current one in place; exit 7 when\n"
          "the current policy denies SetPolicy. --json: {\"bytes\":N}. Exits 66 when FILE cannot be\n"
          "read.",
          cmd_set_policy },
        {},
};
