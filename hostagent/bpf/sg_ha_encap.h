/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Encapsulation towards the data plane: a VM segment of a hand-off
 * bounced back in outer IP + UDP to SG_WIRE_HANDOFF_PORT + struct
 * sg_handoff_bounce.
 */
#ifndef SG_HA_ENCAP_H
#define SG_HA_ENCAP_H

#include "sessiongate/sg_handoff.h"
#include "sg_ha_maps.h"
#include "sg_ha_pckt_parsing.h"

/*
 * Return a VM segment of hand-off @h to the data plane: outer IP (from the
 * host address the SYN came to, to the data plane's address it came from) +
 * UDP to SG_HANDOFF_PORT + struct sg_handoff_bounce, the VM's packet as is.
 */
static __always_inline int
bounce(struct __sk_buff *skb, const struct sg_ha_hand *h)
{
	struct sg_handoff_bounce b = {
		.magic = bpf_htonl(SG_HANDOFF_BOUNCE_MAGIC),
		.version = SG_HANDOFF_VERSION,
		.sid = h->sid,
		.token = h->token,
	};
	__u32 inner = skb->len - ETH_HLEN, iphl;
	struct udphdr udp;
	struct ethhdr eth;
	__u64 flags = BPF_F_ADJ_ROOM_ENCAP_L4_UDP;

	if (h->o_family == SG_WIRE_FAMILY_V4) {
		struct iphdr ip;
		__s64 c;

		iphl = sizeof(ip);
		__builtin_memset(&ip, 0, sizeof(ip));
		ip.version = 4;
		ip.ihl = 5;
		ip.ttl = 64;
		ip.protocol = IPPROTO_UDP;
		ip.tot_len = bpf_htons(inner + sizeof(ip) + sizeof(udp) + sizeof(b));
		__builtin_memcpy(&ip.saddr, h->host_addr, 4);
		__builtin_memcpy(&ip.daddr, h->dp_addr, 4);
		c = bpf_csum_diff(NULL, 0, (__be32 *)&ip, sizeof(ip), 0);
		if (c < 0)
			return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
		c = (c & 0xffff) + (c >> 16);
		c = (c & 0xffff) + (c >> 16);
		ip.check = (__u16)~c;
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV4;
		if (bpf_skb_adjust_room(skb, iphl + sizeof(udp) + sizeof(b), BPF_ADJ_ROOM_MAC,
					flags) ||
		    bpf_skb_store_bytes(skb, ETH_HLEN, &ip, sizeof(ip), 0))
			return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
		eth.h_proto = bpf_htons(ETH_P_IP);
	} else {
		struct ipv6hdr ip6;

		iphl = sizeof(ip6);
		__builtin_memset(&ip6, 0, sizeof(ip6));
		ip6.version = 6;
		ip6.nexthdr = IPPROTO_UDP;
		ip6.hop_limit = 64;
		ip6.payload_len = bpf_htons(inner + sizeof(udp) + sizeof(b));
		__builtin_memcpy(ip6.saddr.s6_addr, h->host_addr, 16);
		__builtin_memcpy(ip6.daddr.s6_addr, h->dp_addr, 16);
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
		if (bpf_skb_adjust_room(skb, iphl + sizeof(udp) + sizeof(b), BPF_ADJ_ROOM_MAC,
					flags) ||
		    bpf_skb_store_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6), 0))
			return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
		eth.h_proto = bpf_htons(ETH_P_IPV6);
	}
	/* UDP checksum 0: the data plane checks the session, the host and the inner packet */
	udp.source = bpf_htons(0xc000 | (__u16)(h->sid & 0x3fff));
	udp.dest = bpf_htons(SG_HANDOFF_PORT);
	udp.len = bpf_htons(inner + sizeof(udp) + sizeof(b));
	udp.check = 0;
	__builtin_memcpy(eth.h_dest, h->dp_mac, ETH_ALEN);
	__builtin_memcpy(eth.h_source, h->host_mac, ETH_ALEN);
	if (bpf_skb_store_bytes(skb, ETH_HLEN + iphl, &udp, sizeof(udp), 0) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN + iphl + sizeof(udp), &b, sizeof(b), 0) ||
	    bpf_skb_store_bytes(skb, 0, &eth, sizeof(eth), 0))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
	return count(SG_HA_CTR_HANDOFF_BOUNCE, TC_ACT_OK);
}

#endif /* SG_HA_ENCAP_H */
