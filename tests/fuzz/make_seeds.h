/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the files of make-seeds: writing seeds, and the seed sets besides make_seeds.c's own. */
#ifndef KINGLET_MAKE_SEEDS_H
#define KINGLET_MAKE_SEEDS_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "buf.h"

/* Appends to a seed; exits when it grows past the bound on seeds. */
void put(struct buf *b, const void *p, size_t n);
/* m packed into a malloc'd buffer (NULL: empty). */
uint8_t *pack(const ProtobufCMessage *m, size_t *ret_len);
/* Writes b to OUTDIR/harness/seed-<name>.bin and empties it. */
void save(struct buf *b, const char *harness, const char *name);

/* fuzz_spec's seeds (make_seeds_spec.c). */
void spec_seeds(void);
/* fuzz_dax_header's seeds (make_seeds_dax.c). */
void dax_header_seeds(void);
/* fuzz_guest_text's, fuzz_proxy's and fuzz_uevent's, written out from C strings (make_seeds_text.c). */
void literal_seeds(void);
/* fuzz_netlink's: rtnetlink replies built with the agent's builders (make_seeds_net.c). */
void netlink_seeds(void);
/* fuzz_rpc's: one request per method, and sequences (make_seeds_rpc.c). */
void rpc_seeds(void);

#endif
