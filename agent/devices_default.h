/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KINGLET_DEVICES_DEFAULT_H
#define KINGLET_DEVICES_DEFAULT_H

#include <string.h>

#include "oci.pb-c.h"

/* A copy of the spec's resources whose device rules include the defaults (see the .c). */
struct merged_resources {
        Grpc__LinuxResources res;
        Grpc__LinuxDeviceCgroup **rules;
        Grpc__LinuxDeviceCgroup *dev_rules;
};

static inline int streq_b(const char *t)
{
        return strcmp(t, "b") == 0;
}

/* Fills *ret (pointing into the spec); free with devices_merged_free. -ENOMEM. */
int devices_merge_rules(const Grpc__LinuxResources *spec_res, const Grpc__Linux *linux,
                        struct merged_resources *ret);
void devices_merged_free(struct merged_resources *m);

#endif
