/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Decapsulation of sg-dataplane's DSR encapsulation, the one used by every
 * program that decapsulates (sg_ha.bpf.c, scripts/sg-host-decap.bpf.c):
 * IPv4-in-IPv4 (protocol 4), IPv6-in-IPv6 (next header 41) and GUE variant 1
 * (outer IP + UDP to the GUE port, the inner IP packet right after the UDP
 * header). The inner packet must be of the outer's family. IPv4 options are
 * accepted; fragments and inconsistent lengths are drops. No maps: the
 * caller counts what these return.
 */
#ifndef SG_HA_DECAP_H
#define SG_HA_DECAP_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sessiongate/sg_wire.h"
#include "sg_ha_consts.h"
#include "sg_ha_pckt_parsing.h"
#include "sg_ha_structs.h"

/** The outer headers of an encapsulated packet. */
struct sg_ha_outer {
	__u32 len;    /**< bytes after the Ethernet header to strip */
	__u32 ctr;    /**< SG_HA_CTR_DECAP_IPIP / _IP6IP6 / _GUE */
	int family;   /**< SG_WIRE_FAMILY_V4 / _V6, outer and inner */
	__u8 src[16]; /**< outer source (the data plane) */
	__u8 dst[16]; /**< outer destination (this host) */
};

static __always_inline int
decap_outer4(struct __sk_buff *skb, const struct sg_ha_bpf_cfg *cfg, struct sg_ha_outer *o)
{
	struct iphdr ip;
	struct udphdr udp;
	__u32 ihl;

	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) || ip.version != 4)
		return SG_HA_DECAP_PASS;
	if (cfg->host4 && ip.daddr != cfg->host4)
		return SG_HA_DECAP_PASS;
	ihl = ip.ihl * 4;
	if (ip.protocol == IPPROTO_IPIP) {
		o->len = ihl;
		o->ctr = SG_HA_CTR_DECAP_IPIP;
	} else if (ip.protocol == IPPROTO_UDP && cfg->gue_port) {
		if (ihl < sizeof(ip) ||
		    bpf_skb_load_bytes(skb, ETH_HLEN + ihl, &udp, sizeof(udp)) ||
		    udp.dest != cfg->gue_port)
			return SG_HA_DECAP_PASS;
		o->len = ihl + sizeof(udp);
		o->ctr = SG_HA_CTR_DECAP_GUE;
	} else {
		return SG_HA_DECAP_PASS;
	}
	/* Ours from here: every exit is a delivery or a counted drop. */
	if (ihl < sizeof(ip) || bpf_ntohs(ip.tot_len) < o->len ||
	    bpf_ntohs(ip.tot_len) > skb->len - ETH_HLEN)
		return SG_HA_CTR_DROP_MALFORMED;
	if (ip.frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return SG_HA_CTR_DROP_FRAGMENT;
	__builtin_memset(o->src, 0, 16);
	__builtin_memset(o->dst, 0, 16);
	__builtin_memcpy(o->src, &ip.saddr, 4);
	__builtin_memcpy(o->dst, &ip.daddr, 4);
	o->family = SG_WIRE_FAMILY_V4;
	return 0;
}

static __always_inline int
decap_outer6(struct __sk_buff *skb, const struct sg_ha_bpf_cfg *cfg, struct sg_ha_outer *o)
{
	struct ipv6hdr ip6;
	struct udphdr udp;

	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6)) || ip6.version != 6)
		return SG_HA_DECAP_PASS;
	if (!addr6_any(cfg->host6) && !addr6_eq(cfg->host6, ip6.daddr.s6_addr))
		return SG_HA_DECAP_PASS;
	if (ip6.nexthdr == IPPROTO_IPV6) {
		o->len = sizeof(ip6);
		o->ctr = SG_HA_CTR_DECAP_IP6IP6;
	} else if (ip6.nexthdr == IPPROTO_UDP && cfg->gue_port) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + sizeof(ip6), &udp, sizeof(udp)) ||
		    udp.dest != cfg->gue_port)
			return SG_HA_DECAP_PASS;
		o->len = sizeof(ip6) + sizeof(udp);
		o->ctr = SG_HA_CTR_DECAP_GUE;
	} else {
		return SG_HA_DECAP_PASS;
	}
	if (bpf_ntohs(ip6.payload_len) + sizeof(ip6) > skb->len - ETH_HLEN ||
	    bpf_ntohs(ip6.payload_len) + sizeof(ip6) < o->len)
		return SG_HA_CTR_DROP_MALFORMED;
	__builtin_memcpy(o->src, ip6.saddr.s6_addr, 16);
	__builtin_memcpy(o->dst, ip6.daddr.s6_addr, 16);
	o->family = SG_WIRE_FAMILY_V6;
	return 0;
}

/*
 * The outer headers of the frame whose Ethernet type is @p h_proto, as
 * @p cfg says what is ours (outer destination, GUE port).
 * @return 0 (encapsulated to us, @p o filled, the inner packet of the same
 *   family), SG_HA_DECAP_PASS (not encapsulated to us: the kernel's), or
 *   the SG_HA_CTR_DROP_* to count.
 */
static __always_inline int
sg_ha_decap_parse(struct __sk_buff *skb, __be16 h_proto, const struct sg_ha_bpf_cfg *cfg,
		  struct sg_ha_outer *o)
{
	__u8 nibble;
	int rc;

	if (h_proto == bpf_htons(ETH_P_IP))
		rc = decap_outer4(skb, cfg, o);
	else if (h_proto == bpf_htons(ETH_P_IPV6))
		rc = decap_outer6(skb, cfg, o);
	else
		return SG_HA_DECAP_PASS;
	if (rc)
		return rc;
	/* The inner packet must be of the outer's family (no protocol change). */
	if (bpf_skb_load_bytes(skb, ETH_HLEN + o->len, &nibble, 1))
		return SG_HA_CTR_DROP_MALFORMED;
	if ((nibble >> 4) != o->family)
		return (nibble >> 4) == SG_WIRE_FAMILY_V4 || (nibble >> 4) == SG_WIRE_FAMILY_V6
			       ? SG_HA_CTR_DROP_UNSUPPORTED
			       : SG_HA_CTR_DROP_MALFORMED;
	return 0;
}

/* Remove the outer headers @p o (the Ethernet header stays). @return 0 or -1. */
static __always_inline int
sg_ha_decap_strip(struct __sk_buff *skb, const struct sg_ha_outer *o)
{
	return bpf_skb_adjust_room(skb, -(__s32)o->len, BPF_ADJ_ROOM_MAC, 0) ? -1 : 0;
}

#endif /* SG_HA_DECAP_H */
