/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Wire constants that more than one format or program uses, defined once:
 * the address-family encoding of every cross-process format (ring messages,
 * agent protocol, hand-off meta), and the UDP ports of the tunnels. Compiled
 * by the C programs and by clang -target bpf (hence no libc headers).
 *
 * Owner: the data plane (changes here bump the version of every format that
 * carries the constant: SG_MSG_VERSION, SG_AGENT_VERSION, SG_HANDOFF_VERSION).
 */
#ifndef SESSIONGATE_SG_WIRE_H
#define SESSIONGATE_SG_WIRE_H

/**
 * Address family as every shared format encodes it: one byte, 4 or 6
 * (0 = no address where a format allows one to be absent). Never the host's
 * AF_INET / AF_INET6 values, which differ between systems.
 */
#define SG_WIRE_FAMILY_NONE 0
#define SG_WIRE_FAMILY_V4   4
#define SG_WIRE_FAMILY_V6   6

/** Bytes of an address of wire family @p f (4, 16, or 0 when not a family). */
#define SG_WIRE_FAMILY_LEN(f) ((f) == SG_WIRE_FAMILY_V4 ? 4 : (f) == SG_WIRE_FAMILY_V6 ? 16 : 0)

/** Default UDP destination port of GUE (variant 1) DSR encapsulation. */
#define SG_WIRE_GUE_PORT 6080

/** UDP port at the data plane of segments a host bounces back (sg_handoff.h). */
#define SG_WIRE_HANDOFF_PORT 6640

#endif /* SESSIONGATE_SG_WIRE_H */
