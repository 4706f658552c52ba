/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Devices passed to CreateContainer (grpc.Device): once the guest device is
 * there (container_create waited for it, hotplug.h), the spec is fixed up in
 * place: the linux.devices entry at the device's container_path gets the
 * guest node's type and major:minor, and resource rules naming the old
 * numbers follow. The container's node and its cgroup allow rule then come
 * from the usual spec handling (plan_devices, devices_merge_rules).
 */
#ifndef KINGLET_DEVICES_CONTAINER_H
#define KINGLET_DEVICES_CONTAINER_H

#include "agent.pb-c.h"
#include "status.h"

/* What can be checked before waiting: at most 64 devices, container paths, their spec entries. */
int devices_container_check(const Grpc__Spec *spec, Grpc__Device *const *devices, size_t n, struct rpc_error *e);
/* Checks again, then fixes up the spec. -errno with e (a node that is not a device node, ...). */
int devices_container_apply(Grpc__Spec *spec, Grpc__Device *const *devices, size_t n, struct rpc_error *e);

#endif
