/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "linux" object of config.json -> grpc.Linux: ID mappings, sysctl,
 * cgroup resources, namespaces, devices, seccomp and the path lists.
 * Integer limits follow the Go types of runtime-spec's specs-go, which the
 * protobuf fields are sometimes wider than (uint16 weights in uint32).
 */
#include <errno.h>
#include <stdint.h>

#include <json-c/json_object.h>

#include "oci_spec_internal.h"

/* ------------------------------------------------------------------ resources */

static int device_cgroup_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxDeviceCgroup *d = msg;
        int r;

        /* Absent major/minor mean "any", which Kata's protobuf spells -1. */
        d->major = -1;
        d->minor = -1;
        if ((r = oci_json_bool(j, o, "allow", &d->allow)) < 0 ||
            (r = oci_json_string(j, o, "type", false, &d->type)) < 0 ||
            (r = oci_json_i64(j, o, "major", &d->major)) < 0 ||
            (r = oci_json_i64(j, o, "minor", &d->minor)) < 0 ||
            (r = oci_json_string(j, o, "access", false, &d->access)) < 0)
                return r;
        return 0;
}

static int memory_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxMemory *m = msg;
        int r;

        if ((r = oci_json_i64(j, o, "limit", &m->limit)) < 0 ||
            (r = oci_json_i64(j, o, "reservation", &m->reservation)) < 0 ||
            (r = oci_json_i64(j, o, "swap", &m->swap)) < 0 ||
            (r = oci_json_i64(j, o, "kernel", &m->kernel)) < 0 ||
            (r = oci_json_i64(j, o, "kernelTCP", &m->kerneltcp)) < 0 ||
            (r = oci_json_u64(j, o, "swappiness", UINT64_MAX, &m->swappiness)) < 0 ||
            (r = oci_json_bool(j, o, "disableOOMKiller", &m->disableoomkiller)) < 0)
                return r;
        return 0;
}

static int cpu_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxCPU *c = msg;
        int r;

        if ((r = oci_json_u64(j, o, "shares", UINT64_MAX, &c->shares)) < 0 ||
            (r = oci_json_i64(j, o, "quota", &c->quota)) < 0 ||
            (r = oci_json_u64(j, o, "period", UINT64_MAX, &c->period)) < 0 ||
            (r = oci_json_i64(j, o, "realtimeRuntime", &c->realtimeruntime)) < 0 ||
            (r = oci_json_u64(j, o, "realtimePeriod", UINT64_MAX, &c->realtimeperiod)) < 0 ||
            (r = oci_json_string(j, o, "cpus", false, &c->cpus)) < 0 ||
            (r = oci_json_string(j, o, "mems", false, &c->mems)) < 0)
                return r;
        return 0;
}

static int pids_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxPids *p = msg;
        int r = oci_json_i64(j, o, "limit", &p->limit);

        return r < 0 ? r : 0;
}

static int weight_device_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxWeightDevice *d = msg;
        int r;

        if ((r = oci_json_i64(j, o, "major", &d->major)) < 0 ||
            (r = oci_json_i64(j, o, "minor", &d->minor)) < 0 ||
            (r = oci_json_u32(j, o, "weight", UINT16_MAX, &d->weight)) < 0 ||
            (r = oci_json_u32(j, o, "leafWeight", UINT16_MAX, &d->leafweight)) < 0)
                return r;
        return 0;
}

static int throttle_device_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxThrottleDevice *d = msg;
        int r;

        if ((r = oci_json_i64(j, o, "major", &d->major)) < 0 ||
            (r = oci_json_i64(j, o, "minor", &d->minor)) < 0 ||
            (r = oci_json_u64(j, o, "rate", UINT64_MAX, &d->rate)) < 0)
                return r;
        return 0;
}

static int block_io_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxBlockIO *b = msg;
        int r;

#define THROTTLE(key, field)                                                                       \
        OCI_JSON_MESSAGES(j, o, key, Grpc__LinuxThrottleDevice, linux_throttle_device,             \
                          throttle_device_from_json, b->field, b->n_##field)
        if ((r = oci_json_u32(j, o, "weight", UINT16_MAX, &b->weight)) < 0 ||
            (r = oci_json_u32(j, o, "leafWeight", UINT16_MAX, &b->leafweight)) < 0 ||
            (r = OCI_JSON_MESSAGES(j, o, "weightDevice", Grpc__LinuxWeightDevice, linux_weight_device,
                                   weight_device_from_json, b->weightdevice, b->n_weightdevice)) < 0 ||
            (r = THROTTLE("throttleReadBpsDevice", throttlereadbpsdevice)) < 0 ||
            (r = THROTTLE("throttleWriteBpsDevice", throttlewritebpsdevice)) < 0 ||
            (r = THROTTLE("throttleReadIOPSDevice", throttlereadiopsdevice)) < 0 ||
            (r = THROTTLE("throttleWriteIOPSDevice", throttlewriteiopsdevice)) < 0)
                return r;
#undef THROTTLE
        return 0;
}

static int hugepage_limit_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxHugepageLimit *h = msg;
        int r;

        if ((r = oci_json_string(j, o, "pageSize", true, &h->pagesize)) < 0 ||
            (r = oci_json_u64(j, o, "limit", UINT64_MAX, &h->limit)) < 0)
                return r;
        return 0;
}

static int interface_priority_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxInterfacePriority *p = msg;
        int r;

        if ((r = oci_json_string(j, o, "name", true, &p->name)) < 0 ||
            (r = oci_json_u32(j, o, "priority", UINT32_MAX, &p->priority)) < 0)
                return r;
        return 0;
}

static int network_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxNetwork *n = msg;
        int r;

        if ((r = oci_json_u32(j, o, "classID", UINT32_MAX, &n->classid)) < 0 ||
            (r = OCI_JSON_MESSAGES(j, o, "priorities", Grpc__LinuxInterfacePriority,
                                   linux_interface_priority, interface_priority_from_json,
                                   n->priorities, n->n_priorities)) < 0)
                return r;
        return 0;
}

static int resources_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxResources *res = msg;
        int r;

        if ((r = OCI_JSON_MESSAGES(j, o, "devices", Grpc__LinuxDeviceCgroup, linux_device_cgroup,
                                   device_cgroup_from_json, res->devices, res->n_devices)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "memory", Grpc__LinuxMemory, linux_memory, memory_from_json,
                                  res->memory)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "cpu", Grpc__LinuxCPU, linux_cpu, cpu_from_json, res->cpu)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "pids", Grpc__LinuxPids, linux_pids, pids_from_json, res->pids)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "blockIO", Grpc__LinuxBlockIO, linux_block_io, block_io_from_json,
                                  res->blockio)) < 0 ||
            (r = OCI_JSON_MESSAGES(j, o, "hugepageLimits", Grpc__LinuxHugepageLimit, linux_hugepage_limit,
                                   hugepage_limit_from_json, res->hugepagelimits, res->n_hugepagelimits)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "network", Grpc__LinuxNetwork, linux_network, network_from_json,
                                  res->network)) < 0)
                return r;
        return 0;
}

/* ------------------------------------------------------------------ seccomp */

static int seccomp_arg_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxSeccompArg *a = msg;
        int r;

        if ((r = oci_json_u64(j, o, "index", UINT64_MAX, &a->index)) < 0 ||
            (r = oci_json_u64(j, o, "value", UINT64_MAX, &a->value)) < 0 ||
            (r = oci_json_u64(j, o, "valueTwo", UINT64_MAX, &a->valuetwo)) < 0 ||
            (r = oci_json_string(j, o, "op", true, &a->op)) < 0)
                return r;
        return 0;
}

static int syscall_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxSyscall *s = msg;
        int r;

        if ((r = oci_json_strings(j, o, "names", &s->names, &s->n_names)) < 0 ||
            (r = oci_json_string(j, o, "action", true, &s->action)) < 0 ||
            (r = OCI_JSON_MESSAGES(j, o, "args", Grpc__LinuxSeccompArg, linux_seccomp_arg,
                                   seccomp_arg_from_json, s->args, s->n_args)) < 0)
                return r;
        /* A oneof, so that an explicit errnoRet of 0 survives protobuf. */
        r = oci_json_u32(j, o, "errnoRet", UINT32_MAX, &s->errnoret);
        if (r < 0)
                return r;
        if (r > 0)
                s->errno_ret_case = GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET;
        return 0;
}

static int seccomp_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxSeccomp *s = msg;
        int r;

        if ((r = oci_json_string(j, o, "defaultAction", true, &s->defaultaction)) < 0 ||
            (r = oci_json_strings(j, o, "architectures", &s->architectures, &s->n_architectures)) < 0 ||
            (r = oci_json_strings(j, o, "flags", &s->flags, &s->n_flags)) < 0 ||
            (r = OCI_JSON_MESSAGES(j, o, "syscalls", Grpc__LinuxSyscall, linux_syscall, syscall_from_json,
                                   s->syscalls, s->n_syscalls)) < 0)
                return r;
        return 0;
}

/* ------------------------------------------------------------------ the rest */

static int id_mapping_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxIDMapping *m = msg;
        int r;

        if ((r = oci_json_u32(j, o, "containerID", UINT32_MAX, &m->containerid)) < 0 ||
            (r = oci_json_u32(j, o, "hostID", UINT32_MAX, &m->hostid)) < 0 ||
            (r = oci_json_u32(j, o, "size", UINT32_MAX, &m->size)) < 0)
                return r;
        return 0;
}

static int namespace_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxNamespace *ns = msg;
        int r;

        if ((r = oci_json_string(j, o, "type", true, &ns->type)) < 0 ||
            (r = oci_json_string(j, o, "path", false, &ns->path)) < 0)
                return r;
        return 0;
}

static int device_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxDevice *d = msg;
        int r;

        if ((r = oci_json_string(j, o, "path", true, &d->path)) < 0 ||
            (r = oci_json_string(j, o, "type", true, &d->type)) < 0 ||
            (r = oci_json_i64(j, o, "major", &d->major)) < 0 ||
            (r = oci_json_i64(j, o, "minor", &d->minor)) < 0 ||
            (r = oci_json_u32(j, o, "fileMode", UINT32_MAX, &d->filemode)) < 0 ||
            (r = oci_json_u32(j, o, "uid", UINT32_MAX, &d->uid)) < 0 ||
            (r = oci_json_u32(j, o, "gid", UINT32_MAX, &d->gid)) < 0)
                return r;
        return 0;
}

static int intel_rdt_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__LinuxIntelRdt *rdt = msg;
        int r = oci_json_string(j, o, "l3CacheSchema", false, &rdt->l3cacheschema);

        return r < 0 ? r : 0;
}

int oci_linux_from_json(struct oci_json *j, struct json_object *o, void *msg)
{
        Grpc__Linux *l = msg;
        ProtobufCMessage **sysctl = NULL;
        size_t n_sysctl = 0;
        int r;

        if ((r = OCI_JSON_MESSAGES(j, o, "uidMappings", Grpc__LinuxIDMapping, linux_idmapping,
                                   id_mapping_from_json, l->uidmappings, l->n_uidmappings)) < 0 ||
            (r = OCI_JSON_MESSAGES(j, o, "gidMappings", Grpc__LinuxIDMapping, linux_idmapping,
                                   id_mapping_from_json, l->gidmappings, l->n_gidmappings)) < 0 ||
            (r = oci_json_string_map(j, o, "sysctl", &grpc__linux__sysctl_entry__descriptor, &sysctl,
                                     &n_sysctl)) < 0)
                return r;
        l->sysctl = (Grpc__Linux__SysctlEntry **)sysctl;
        l->n_sysctl = n_sysctl;

        if ((r = OCI_JSON_MESSAGE(j, o, "resources", Grpc__LinuxResources, linux_resources,
                                  resources_from_json, l->resources)) < 0 ||
            (r = oci_json_string(j, o, "cgroupsPath", false, &l->cgroupspath)) < 0 ||
            (r = OCI_JSON_MESSAGES(j, o, "namespaces", Grpc__LinuxNamespace, linux_namespace,
                                   namespace_from_json, l->namespaces, l->n_namespaces)) < 0 ||
            (r = OCI_JSON_MESSAGES(j, o, "devices", Grpc__LinuxDevice, linux_device, device_from_json,
                                   l->devices, l->n_devices)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "seccomp", Grpc__LinuxSeccomp, linux_seccomp, seccomp_from_json,
                                  l->seccomp)) < 0 ||
            (r = oci_json_string(j, o, "rootfsPropagation", false, &l->rootfspropagation)) < 0 ||
            (r = oci_json_strings(j, o, "maskedPaths", &l->maskedpaths, &l->n_maskedpaths)) < 0 ||
            (r = oci_json_strings(j, o, "readonlyPaths", &l->readonlypaths, &l->n_readonlypaths)) < 0 ||
            (r = oci_json_string(j, o, "mountLabel", false, &l->mountlabel)) < 0 ||
            (r = OCI_JSON_MESSAGE(j, o, "intelRdt", Grpc__LinuxIntelRdt, linux_intel_rdt,
                                  intel_rdt_from_json, l->intelrdt)) < 0)
                return r;
        return 0;
}
