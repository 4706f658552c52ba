/* SPDX-License-Identifier: Apache-2.0 */
#include "power.h"

#include <errno.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

static void hang_forever(void)
{
        for (;;)
                pause();
}

const struct power_ops power_default_ops = {
        .sync = sync,
        .reboot = reboot,
        .hang = hang_forever,
};

void power_off_with(const struct power_ops *ops, enum log_level level, const char *why)
{
        log_emit(level, LOG_FIELDS(LF_STR("reason", why)), "powering off");
        ops->sync();
        /* In a VM this does not return. In a PID namespace it ends the namespace (tests). */
        if (ops->reboot(RB_POWER_OFF) < 0)
                log_error_errno(-errno, "power-off failed, halting");
        if (ops->reboot(RB_HALT_SYSTEM) < 0)
                log_error_errno(-errno, "halt failed; waiting for the VMM to stop the VM");
        ops->hang();
}

_Noreturn void power_off(enum log_level level, const char *why)
{
        power_off_with(&power_default_ops, level, why);
        for (;;)
                pause();
}
