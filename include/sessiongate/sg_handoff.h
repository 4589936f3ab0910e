/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The brokered DSR hand-off between sg-dataplane and the host agent's eBPF
 * program (doc/sessions.md, "DSR hand-off"). Two wire formats, both in
 * network byte order, compiled by the data plane and by clang -target bpf
 * (hence only linux/types.h):
 *
 *  - struct sg_handoff_meta: the payload of the hand-off SYN the data plane
 *    tunnels (IPIP / GUE, like any DSR packet) to the VM's host. The host
 *    records the connection, strips the payload and hands the bare SYN to
 *    the VM.
 *  - struct sg_handoff_bounce: the header of a VM segment the host returns
 *    to the data plane (outer IP + UDP to SG_HANDOFF_PORT + this header +
 *    the VM's untouched IP packet) while the held bytes are not yet
 *    acknowledged: the VM's SYN-ACK and its first answers. It echoes the
 *    meta's session ID and token; the data plane accepts a bounce only
 *    with both.
 */
#ifndef SESSIONGATE_SG_HANDOFF_H
#define SESSIONGATE_SG_HANDOFF_H

#include <linux/types.h>

#include "sessiongate/sg_wire.h"

#define SG_HANDOFF_PORT                                                                        \
	SG_WIRE_HANDOFF_PORT		   /**< UDP port of bounced segments at the data plane \
					    */
#define SG_HANDOFF_META_MAGIC	0x53474831 /**< "SGH1" */
#define SG_HANDOFF_BOUNCE_MAGIC 0x53474842 /**< "SGHB" */
#define SG_HANDOFF_VERSION	2	   /**< 2: the bounce token (issue 12, defect 9) */

#define SG_HANDOFF_F_TS	    0x1 /**< the client negotiated timestamps */
#define SG_HANDOFF_F_WSCALE 0x2 /**< the client negotiated window scaling */

/** Payload of the hand-off SYN (56 bytes: a multiple of 4 for checksum arithmetic). */
struct sg_handoff_meta {
	__be32 magic;	 /**< SG_HANDOFF_META_MAGIC */
	__u8 version;	 /**< SG_HANDOFF_VERSION */
	__u8 flags;	 /**< SG_HANDOFF_F_* */
	__u8 lb_wscale;	 /**< window scale the data plane announced to the client */
	__u8 family;	 /**< of the VM address: SG_WIRE_FAMILY_V4/V6 (the client's too) */
	__u64 sid;	 /**< session ID, echoed in every bounce (opaque to the host) */
	__be32 lb_isn;	 /**< the data plane's ISN towards the client (the cookie) */
	__be32 lb_tsval; /**< the TSval the client saw in the cookie SYN-ACK */
	__be32 held_end; /**< client sequence number after the held bytes */
	__be16 vm_port;
	__u16 pad;
	__u8 vm_addr[16]; /**< IPv4: first 4 bytes */
	/**
	 * 64 bits no one off the tunnel can guess (a keyed hash of the session
	 * ID), echoed in every bounce: what authenticates a bounce, since its
	 * outer source can be spoofed and the session ID guessed. Opaque to the host.
	 */
	__u64 token;
};

/** Header of a bounced segment, right after the outer UDP header (24 bytes). */
struct sg_handoff_bounce {
	__be32 magic; /**< SG_HANDOFF_BOUNCE_MAGIC */
	__u8 version; /**< SG_HANDOFF_VERSION */
	__u8 pad[3];
	__u64 sid;   /**< as in the SYN's meta */
	__u64 token; /**< as in the SYN's meta */
};

#ifndef __bpf__
_Static_assert(sizeof(struct sg_handoff_meta) == 56, "sg_handoff_meta wire size");
_Static_assert(sizeof(struct sg_handoff_bounce) == 24, "sg_handoff_bounce wire size");
#endif

#endif /* SESSIONGATE_SG_HANDOFF_H */
