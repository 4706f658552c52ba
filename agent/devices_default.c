/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device cgroup rules a container gets: the spec's own (or deny-all when
 * it has none), then allows for the devices every container is given (as runc
 * and Kata allow them), then allows for the spec's devices. Last match wins,
 * so a spec cannot take away /dev/null and friends by accident.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices_default.h"

#define RULE(t, ma, mi, acc) { PROTOBUF_C_MESSAGE_INIT(&grpc__linux_device_cgroup__descriptor), 1, (char *)(t), ma, mi, (char *)(acc) }

static Grpc__LinuxDeviceCgroup deny_all = {
        PROTOBUF_C_MESSAGE_INIT(&grpc__linux_device_cgroup__descriptor), 0, (char *)"a", -1, -1, (char *)"rwm"
};

static Grpc__LinuxDeviceCgroup default_allows[] = {
        RULE("c", -1, -1, "m"), RULE("b", -1, -1, "m"), /* mknod of anything; access is decided below */
        RULE("c", 1, 3, "rwm"),                         /* null */
        RULE("c", 1, 5, "rwm"),                         /* zero */
        RULE("c", 1, 7, "rwm"),                         /* full */
        RULE("c", 1, 8, "rwm"),                         /* random */
        RULE("c", 1, 9, "rwm"),                         /* urandom */
        RULE("c", 5, 0, "rwm"),                         /* tty */
        RULE("c", 5, 1, "rwm"),                         /* console */
        RULE("c", 5, 2, "rwm"),                         /* ptmx */
        RULE("c", 136, -1, "rwm"),                      /* pts */
        RULE("c", 10, 200, "rwm"),                      /* net/tun */
};

int devices_merge_rules(const Grpc__LinuxResources *spec_res, const Grpc__Linux *linux,
                        struct merged_resources *ret)
{
        size_t n_spec = spec_res ? spec_res->n_devices : 0;
        size_t n_dev = linux ? linux->n_devices : 0;
        size_t n = (n_spec ? n_spec : 1) + sizeof default_allows / sizeof *default_allows + n_dev;
        memset(ret, 0, sizeof *ret);
        if (spec_res)
                ret->res = *spec_res;
        else
                grpc__linux_resources__init(&ret->res);
        ret->rules = calloc(n, sizeof *ret->rules);
        ret->dev_rules = calloc(n_dev ? n_dev : 1, sizeof *ret->dev_rules);
        if (!ret->rules || !ret->dev_rules) {
                devices_merged_free(ret);
                return -ENOMEM;
        }
        size_t k = 0;
        if (n_spec)
                for (size_t i = 0; i < n_spec; i++)
                        ret->rules[k++] = spec_res->devices[i];
        else
                ret->rules[k++] = &deny_all;
        for (size_t i = 0; i < sizeof default_allows / sizeof *default_allows; i++)
                ret->rules[k++] = &default_allows[i];
        for (size_t i = 0; i < n_dev; i++) {
                const Grpc__LinuxDevice *d = linux->devices[i];
                Grpc__LinuxDeviceCgroup *r = &ret->dev_rules[i];
                grpc__linux_device_cgroup__init(r);
                r->allow = 1;
                r->type = (char *)(d->type && streq_b(d->type) ? "b" : "c");
                r->major = d->major;
                r->minor = d->minor;
                r->access = (char *)"rwm";
                ret->rules[k++] = r;
        }
        ret->res.devices = ret->rules;
        ret->res.n_devices = k;
        return 0;
}

void devices_merged_free(struct merged_resources *m)
{
        free(m->rules);
        free(m->dev_rules);
        m->rules = NULL;
        m->dev_rules = NULL;
}
