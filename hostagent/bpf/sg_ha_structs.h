/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types shared by the host datapath BPF program (sg_ha.bpf.c, its maps in
 * sg_ha_maps.h) and the agent that fills the maps (datapath.c). Only
 * linux/types.h: this header is compiled both with clang -target bpf and
 * with the host compiler. doc/hostagent.md ("eBPF maps and counters") is
 * the reference.
 */
#ifndef SG_HA_STRUCTS_H
#define SG_HA_STRUCTS_H

#include <linux/types.h>

#define SG_HA_VIPS_MAX 16384 /**< entries in sg_ha_vips, sg_ha_rev, sg_ha_vstats */

/** An endpoint: address + port + protocol. Unused address bytes are 0. */
struct sg_ha_ep {
	__u8 addr[16]; /**< IPv4: first 4 bytes; network order */
	__u16 port;    /**< network order */
	__u8 proto;    /**< IPPROTO_TCP / IPPROTO_UDP */
	__u8 family;   /**< SG_WIRE_FAMILY_V4 / _V6 (4 or 6) */
};

/** sg_ha_vips value: where a VIP:port delivered to this host goes. */
struct sg_ha_vip_val {
	struct sg_ha_ep vm; /**< the VM's address:port (same family as the VIP) */
	__u32 ifindex;	    /**< 0: kernel routing after rewrite; else bpf_redirect_neigh() */
	__u32 pad;
};

/** sg_ha_rev value: the VIP a VM's service address answers as. */
struct sg_ha_rev_val {
	struct sg_ha_ep vip;
};

#define SG_HA_CONNS_MAX 65536 /**< LRU entries in sg_ha_conns */

/** sg_ha_conns key: one client connection to a VM service, seen from the VM. */
struct sg_ha_conn_key {
	__u8 vm_addr[16];
	__u8 client_addr[16];
	__u16 vm_port;	   /**< network order */
	__u16 client_port; /**< network order */
	__u8 proto;
	__u8 family;
	__u16 pad;
};

#define SG_HA_HANDS_MAX 65536 /**< LRU entries in sg_ha_hands */

/** sg_ha_hands key: a brokered DSR hand-off, as the client addresses it. */
struct sg_ha_hand_key {
	__u8 vip[16];
	__u8 client[16];
	__u16 vip_port;	   /**< network order */
	__u16 client_port; /**< network order */
	__u8 family;
	__u8 pad[3];
};

enum sg_ha_hand_state {
	SG_HA_HAND_PENDING = 1, /**< SYN delivered to the VM, its SYN-ACK not seen */
	SG_HA_HAND_REPLAY,	/**< VM segments bounced until the held bytes are acknowledged */
	SG_HA_HAND_DONE,	/**< VM segments translated and sent to the client directly */
};

/** sg_ha_hands value (include/sessiongate/sg_handoff.h has the wire side). */
struct sg_ha_hand {
	struct sg_ha_ep vm;
	__u64 sid;
	__u32 lb_isn;	 /**< host order */
	__u32 lb_tsval;	 /**< host order */
	__u32 held_end;	 /**< host order */
	__u32 seq_delta; /**< VM seq + seq_delta = the client's view */
	__u32 ts_delta;	 /**< VM TSval + ts_delta = the client's view */
	__u8 state;	 /**< enum sg_ha_hand_state */
	__u8 flags;	 /**< SG_HANDOFF_F_* */
	__u8 lb_wscale;
	__s8 ws_shift; /**< VM window << ws_shift (negative: >>) for the client */
	__u8 o_family; /**< underlay family: 4 or 6 */
	__u8 pad[3];
	__u8 dp_addr[16];   /**< outer source of the SYN: where bounces go */
	__u8 host_addr[16]; /**< outer destination of the SYN: bounces come from it */
	__u8 dp_mac[6];
	__u8 host_mac[6];
	__u64 token; /**< the meta's, echoed in every bounce (sg_handoff.h) */
};

/** sg_ha_cfg[0] (struct sg_ha_bpf_cfg). */
struct sg_ha_bpf_cfg {
	__u32 host4;	/**< outer destination that is ours (network order); 0 = any */
	__u8 host6[16]; /**< all-zero = any */
	__u16 gue_port; /**< network order; 0 = GUE off */
	__u16 flags;
};

/** sg_ha_vstats value (per CPU): traffic of one VIP entry. */
struct sg_ha_vstats {
	__u64 rx_packets; /**< decapsulated and delivered to the VM */
	__u64 rx_bytes;	  /**< after decapsulation */
	__u64 tx_packets; /**< replies rewritten to the VIP */
	__u64 tx_bytes;
};

/** sg_ha_ctrs index (per CPU u64). */
enum sg_ha_ctr {
	SG_HA_CTR_PASS = 0,	    /**< not encapsulated to us: left to the kernel */
	SG_HA_CTR_DECAP_IPIP,	    /**< IPv4-in-IPv4 delivered */
	SG_HA_CTR_DECAP_IP6IP6,	    /**< IPv6-in-IPv6 delivered */
	SG_HA_CTR_DECAP_GUE,	    /**< GUE (UDP) delivered */
	SG_HA_CTR_RETURN_REWRITE,   /**< VM reply rewritten to VIP */
	SG_HA_CTR_RETURN_FRAGMENT,  /**< VM fragment, not rewritable: passed */
	SG_HA_CTR_DROP_MALFORMED,   /**< truncated or inconsistent inner/outer headers */
	SG_HA_CTR_DROP_FRAGMENT,    /**< fragmented outer or inner packet */
	SG_HA_CTR_DROP_NO_VIP,	    /**< inner VIP:port:proto not local */
	SG_HA_CTR_DROP_UNSUPPORTED, /**< inner not TCP/UDP, or family differs from outer */
	SG_HA_CTR_DROP_ADJUST,	    /**< a packet helper failed (decap/rewrite) */
	SG_HA_CTR_HANDOFF_SYN,	  /**< brokered hand-off SYN: recorded, meta stripped, delivered */
	SG_HA_CTR_HANDOFF_BOUNCE, /**< VM segment of a hand-off returned to the data plane */
	SG_HA_CTR_RETURN_XLATE,	  /**< VM reply of a hand-off: translated and rewritten to VIP */
	SG_HA_CTR_DROP_HANDOFF,	  /**< hand-off SYN with a bad meta payload */
	SG_HA_CTR_MAX,
};

#define SG_HA_CTR_NAMES                                                                         \
	"pass", "decap_ipip", "decap_ip6ip6", "decap_gue", "return_rewrite", "return_fragment", \
		"drop_malformed", "drop_fragment", "drop_no_vip", "drop_unsupported",           \
		"drop_adjust", "handoff_syn", "handoff_bounce", "return_xlate", "drop_handoff"

#endif /* SG_HA_STRUCTS_H */
