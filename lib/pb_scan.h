/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A look at a message's raw protobuf encoding, for what the decoded C
 * structure hides: protobuf-c copies a string up to its first NUL, so an
 * identifier "a\0/../x" would arrive as "a".
 */
#ifndef KINGLET_PB_SCAN_H
#define KINGLET_PB_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when a top-level length-delimited field `field` of the encoding contains a NUL byte. */
bool pb_field_has_nul(const uint8_t *buf, size_t len, uint32_t field);

#endif
