/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one way PID 1 ends. The kernel panics when init exits, and a panicked
 * guest may hang its VMM (panic=-1 or not, the runtime only learns late).
 * Powering off makes the VMM exit, which the runtime sees as the sandbox
 * ending. Every path that would end PID 1 (a fatal error at start, an event
 * loop failure, the end of main, DestroySandbox) calls power_off().
 */
#ifndef KINGLET_POWER_H
#define KINGLET_POWER_H

#include <stdbool.h>

#include "log.h"
#include "macro.h"

/* The steps of a power-off, replaceable so a unit test can prove the sequence without rebooting. */
struct power_ops {
        void (*sync)(void);
        int (*reboot)(int cmd); /* reboot(2)'s glibc/musl wrapper: RB_POWER_OFF, RB_HALT_SYSTEM */
        void (*hang)(void);     /* after both failed; the real one never returns */
};

extern const struct power_ops power_default_ops;

/*
 * Logs `why` (at `level`, as msg="powering off" reason=WHY), syncs the file
 * systems, asks for a power-off, then a halt, then hangs. Returns only when
 * ops->hang returns (tests).
 */
void power_off_with(const struct power_ops *ops, enum log_level level, const char *why);

/* power_off_with(&power_default_ops, ...): never returns. */
_Noreturn void power_off(enum log_level level, const char *why);

#endif
