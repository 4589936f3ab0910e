/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Test-only stand-in for sg-dataplane's DSR encapsulation, attached to the
 * client namespace's egress: every IPv4 packet to a VIP in VIP_NET/24 gets
 * an outer IPv4 header (proto 4), or with -DSGHA_GUE an outer IPv4 + UDP
 * header to port SG_WIRE_GUE_PORT (GUE variant 1: the inner IP packet follows the UDP
 * header directly), addressed to the host's underlay address; every IPv6
 * packet to 2001:2::100:0/112 gets an outer IPv6 header (next header 41).
 * The inner packet is left unchanged, as the data plane does.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sessiongate/sg_wire.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* 198.18.100.0/24 -> encapsulate from 198.18.50.7 to 198.18.50.1 */
#define VIP_NET	  0xc6126400u
#define OUTER_SRC 0xc6123207u
#define OUTER_DST 0xc6123201u

/* IPv6-in-IPv6 from 2001:2::50:7 to 2001:2::50:1. */
static __always_inline int
encap6(struct __sk_buff *skb)
{
	struct ipv6hdr ip6, outer = {};

	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6)))
		return TC_ACT_OK;
	/* 2001:2::100:x: bytes 12..13 are 0x01 0x00 and 0..11 are 2001:0002:0... */
	if (ip6.daddr.s6_addr[0] != 0x20 || ip6.daddr.s6_addr[1] != 0x01 ||
	    ip6.daddr.s6_addr[3] != 0x02 || ip6.daddr.s6_addr[12] != 0x01 ||
	    ip6.daddr.s6_addr[13] != 0x00)
		return TC_ACT_OK;
	outer.version = 6;
	outer.payload_len = bpf_htons(bpf_ntohs(ip6.payload_len) + sizeof(ip6));
	outer.nexthdr = IPPROTO_IPV6;
	outer.hop_limit = 64;
	/* No global data (tc's loader): addresses built word by word. */
	outer.saddr.in6_u.u6_addr32[0] = bpf_htonl(0x20010002);
	outer.saddr.in6_u.u6_addr32[3] = bpf_htonl(0x00500007);
	outer.daddr.in6_u.u6_addr32[0] = bpf_htonl(0x20010002);
	outer.daddr.in6_u.u6_addr32[3] = bpf_htonl(0x00500001);
	if (bpf_skb_adjust_room(skb, sizeof(outer), BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV6))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &outer, sizeof(outer), 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc")
int
sgha_test_encap(struct __sk_buff *skb)
{
	struct iphdr ip, outer = {};
	struct ethhdr eth;
	__u32 room = sizeof(outer), csum;
	__u64 flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4;

	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return TC_ACT_OK;
	if (eth.h_proto == bpf_htons(ETH_P_IPV6))
		return encap6(skb);
	if (eth.h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)))
		return TC_ACT_OK;
	if ((bpf_ntohl(ip.daddr) & 0xffffff00u) != VIP_NET)
		return TC_ACT_OK;
#ifdef SGHA_GUE
	room += sizeof(struct udphdr);
	flags |= BPF_F_ADJ_ROOM_ENCAP_L4_UDP;
#endif
	outer.version = 4;
	outer.ihl = 5;
	outer.ttl = 64;
	outer.tot_len = bpf_htons(bpf_ntohs(ip.tot_len) + room);
	outer.saddr = bpf_htonl(OUTER_SRC);
	outer.daddr = bpf_htonl(OUTER_DST);
#ifdef SGHA_GUE
	outer.protocol = IPPROTO_UDP;
#else
	outer.protocol = IPPROTO_IPIP;
#endif
	csum = bpf_csum_diff(0, 0, (__be32 *)&outer, sizeof(outer), 0);
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	outer.check = (__u16)~csum;

	if (bpf_skb_adjust_room(skb, (__s32)room, BPF_ADJ_ROOM_MAC, flags))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &outer, sizeof(outer), 0))
		return TC_ACT_SHOT;
#ifdef SGHA_GUE
	{
		struct udphdr udp = {
			.source = bpf_htons(40000 + (skb->hash & 0x3ff)),
			.dest = bpf_htons(SG_WIRE_GUE_PORT),
			.len = bpf_htons(bpf_ntohs(ip.tot_len) + sizeof(udp)),
		};

		if (bpf_skb_store_bytes(skb, ETH_HLEN + sizeof(outer), &udp, sizeof(udp), 0))
			return TC_ACT_SHOT;
	}
#endif
	return TC_ACT_OK;
}
