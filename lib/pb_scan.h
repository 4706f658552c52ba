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

#include <protobuf-c/protobuf-c.h>

/*
 * The first top-level string field (per the message's descriptor) whose
 * encoded value contains a NUL byte, or NULL. Other field types — bytes,
 * sub-messages — may hold NULs legitimately and are not looked at.
 */
const ProtobufCFieldDescriptor *pb_string_with_nul(const uint8_t *buf, size_t len,
                                                   const ProtobufCMessageDescriptor *desc);

#endif
