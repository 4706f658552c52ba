/* SPDX-License-Identifier: Apache-2.0 */
/* grpc.Spec as OCI runtime-spec JSON (what config.json holds), driven by the protobuf-c descriptors. */
#ifndef KINGLET_SPEC_JSON_H
#define KINGLET_SPEC_JSON_H

#include <stdio.h>

#include "oci.pb-c.h"

/*
 * Writes spec to out as one line of JSON and a newline. Returns 0, -ENOMEM,
 * -EOPNOTSUPP for a field type oci.proto does not use, or -EIO once out has
 * an error (the caller's stream knows why).
 */
int spec_json_write(FILE *out, const Grpc__Spec *spec);

#endif
