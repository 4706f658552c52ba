/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's own process-wide hardening, applied first thing in main()
 * (docs/security.md, "The agent's own hardening").
 */
#ifndef KINGLET_HARDEN_H
#define KINGLET_HARDEN_H

/* The umask the agent runs with; containers get the spec's (plan.c's 022 by default). */
#define AGENT_UMASK 022

/*
 * umask AGENT_UMASK, every inherited descriptor from 3 up close-on-exec,
 * and no core dumps of the agent: RLIMIT_CORE's soft
 * limit 0, its hard limit left, so a container (which inherits both) may
 * still raise its own. The agent stays dumpable: see docs/security.md.
 * Failures are logged and ignored; 0 or -errno of the first failure.
 */
int agent_harden_self(void);

#endif
