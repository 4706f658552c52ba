/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The input layout of fuzz_spec, shared with make_seeds.c: a
 * CreateContainerRequest, then optionally the files of the container's root
 * that user_resolve reads, each after its marker.
 */
#ifndef KINGLET_FUZZ_SPEC_H
#define KINGLET_FUZZ_SPEC_H

#define FUZZ_SPEC_PASSWD_MARKER "\n--etc/passwd--\n"
#define FUZZ_SPEC_GROUP_MARKER "\n--etc/group--\n"

#endif
