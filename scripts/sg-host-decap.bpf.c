/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-host-decap: the plain DSR decapsulator of the demo and test hosts.
 *
 * It stands in for the kernel's ipip / fou / ip6tnl devices, which the
 * kernels these tests run on do not have: on tc ingress it strips an outer
 * IPv4 header (protocol 4, IPIP), an outer IPv4 + UDP header to the GUE port
 * 6080 (GUE variant 1: the inner IP packet follows the UDP header directly),
 * or an outer IPv6 header (next header 41, IPv6-in-IPv6), and lets the
 * inner packet, addressed to a VIP on the host's loopback, go up the stack.
 * Only same-family encapsulation is decapsulated; everything else passes
 * untouched. The host agent's program (hostagent/) is the full version with
 * VIP -> VM rewriting and counters.
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

#define SG_GUE_PORT 6080
/* Outer + inner headers the checks below read: Ethernet, IPv6, IPv6. */
#define SG_PULL_LEN (14 + 40 + 40)

SEC("tc")
int
sg_host_decap(struct __sk_buff *skb)
{
	void *data, *data_end;
	struct ethhdr *eth;
	int strip = 0;

	/*
	 * Frames sent through a packet socket's TX ring (DPDK net_af_packet)
	 * arrive with only the Ethernet header in the linear area: make the
	 * headers directly readable first.
	 */
	bpf_skb_pull_data(skb, skb->len < SG_PULL_LEN ? skb->len : SG_PULL_LEN);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		struct iphdr *inner;

		if ((void *)(ip + 1) > data_end || ip->ihl != 5)
			return TC_ACT_OK;
		if (ip->frag_off & bpf_htons(0x3fff))
			return TC_ACT_OK;
		if (ip->protocol == IPPROTO_IPIP) {
			inner = (void *)(ip + 1);
			strip = sizeof(*ip);
		} else if (ip->protocol == IPPROTO_UDP) {
			struct udphdr *udp = (void *)(ip + 1);

			if ((void *)(udp + 1) > data_end || udp->dest != bpf_htons(SG_GUE_PORT))
				return TC_ACT_OK;
			inner = (void *)(udp + 1);
			strip = sizeof(*ip) + sizeof(*udp);
		} else {
			return TC_ACT_OK;
		}
		if ((void *)(inner + 1) > data_end || inner->version != 4)
			return TC_ACT_SHOT;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct ipv6hdr *inner6;

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_IPV6)
			return TC_ACT_OK;
		inner6 = (void *)(ip6 + 1);
		if ((void *)(inner6 + 1) > data_end || inner6->version != 6)
			return TC_ACT_SHOT;
		strip = sizeof(*ip6);
	} else {
		return TC_ACT_OK;
	}
	if (bpf_skb_adjust_room(skb, -strip, BPF_ADJ_ROOM_MAC, 0) != 0)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
