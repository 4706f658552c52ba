/* SPDX-License-Identifier: Apache-2.0 */
#include "harden.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "fds.h"
#include "log.h"

int agent_harden_self(void)
{
        /*
         * 022, not 077: the directories the agent makes under
         * /run/kata-containers must stay traversable by containers' non-root
         * users; files that need other bits set them with fchmod.
         */
        umask(AGENT_UMASK);

        /*
         * Descriptors inherited from whatever started the agent (a test
         * harness, a shell) are no business of its children: close-on-exec.
         */
        int first = fds_cloexec_all();

        /* A core of the agent would hold its memory (requests, policy): none is written. */
        struct rlimit core;
        if (getrlimit(RLIMIT_CORE, &core) < 0 || (core.rlim_cur = 0, setrlimit(RLIMIT_CORE, &core) < 0)) {
                int r = -errno;
                log_warn_errno(r, "cannot turn off the agent's core dumps");
                return r;
        }
        if (first < 0)
                log_warn_errno(first, "cannot mark inherited descriptors close-on-exec");
        return first;
}
