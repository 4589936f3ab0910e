/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Packet parsing of the host datapath: address compares, the inner (or
 * return) IP + L4 header of a packet into an endpoint and a struct l3info.
 * No maps: every drop is returned as an SG_HA_CTR_DROP_* for the caller to
 * count.
 */
#ifndef SG_HA_PCKT_PARSING_H
#define SG_HA_PCKT_PARSING_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <stddef.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sessiongate/sg_wire.h"
#include "sg_ha_consts.h"
#include "sg_ha_structs.h"

static __always_inline int
addr6_any(const __u8 *a)
{
	__u64 w0, w1;

	__builtin_memcpy(&w0, a, 8);
	__builtin_memcpy(&w1, a + 8, 8);
	return (w0 | w1) == 0;
}

static __always_inline int
addr6_eq(const __u8 *a, const __u8 *b)
{
	__u64 a0, a1, b0, b1;

	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

static __always_inline int
ep_eq(const struct sg_ha_ep *a, const struct sg_ha_ep *b)
{
	return addr6_eq(a->addr, b->addr) && a->port == b->port && a->proto == b->proto &&
	       a->family == b->family;
}

/* Inner (or return) packet at offset @off: fill @ep with dst (dir 0) or src (dir 1). */
struct l3info {
	__u32 l4_off;	/**< offset of the L4 header */
	__u32 csum_off; /**< offset of the L4 checksum */
	__u32 ip_end;	/**< offset after the IP packet (before any link padding) */
	__u8 proto;
	__u8 family;
	__u16 other_port; /**< the port of the other end */
	__u8 other[16];	  /**< the address of the other end */
};

/* Parse an IP packet at @off of the skb. Returns an SG_HA_CTR_DROP_* or 0. */
static __always_inline int
parse_ip(struct __sk_buff *skb, __u32 off, int family, int want_src, struct sg_ha_ep *ep,
	 struct l3info *li)
{
	__u16 ports[2];
	__u32 l4min;

	__builtin_memset(ep, 0, sizeof(*ep));
	if (family == SG_WIRE_FAMILY_V4) {
		struct iphdr ip;
		__u32 ihl;

		if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
			return SG_HA_CTR_DROP_MALFORMED;
		if (ip.version != 4)
			return SG_HA_CTR_DROP_UNSUPPORTED;
		ihl = ip.ihl * 4;
		if (ihl < sizeof(ip) || bpf_ntohs(ip.tot_len) < ihl ||
		    bpf_ntohs(ip.tot_len) > skb->len - off)
			return SG_HA_CTR_DROP_MALFORMED;
		if (ip.frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return SG_HA_CTR_DROP_FRAGMENT;
		li->proto = ip.protocol;
		li->l4_off = off + ihl;
		li->ip_end = off + bpf_ntohs(ip.tot_len);
		__builtin_memcpy(ep->addr, want_src ? &ip.saddr : &ip.daddr, 4);
		__builtin_memset(li->other, 0, 16);
		__builtin_memcpy(li->other, want_src ? &ip.daddr : &ip.saddr, 4);
	} else {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)))
			return SG_HA_CTR_DROP_MALFORMED;
		if (ip6.version != 6)
			return SG_HA_CTR_DROP_UNSUPPORTED;
		if (bpf_ntohs(ip6.payload_len) + sizeof(ip6) > skb->len - off)
			return SG_HA_CTR_DROP_MALFORMED;
		li->proto = ip6.nexthdr;
		li->l4_off = off + sizeof(ip6);
		li->ip_end = off + sizeof(ip6) + bpf_ntohs(ip6.payload_len);
		__builtin_memcpy(ep->addr, want_src ? &ip6.saddr : &ip6.daddr, 16);
		__builtin_memcpy(li->other, want_src ? &ip6.daddr : &ip6.saddr, 16);
	}
	if (li->proto == IPPROTO_TCP) {
		l4min = sizeof(struct tcphdr);
		li->csum_off = li->l4_off + offsetof(struct tcphdr, check);
	} else if (li->proto == IPPROTO_UDP) {
		l4min = sizeof(struct udphdr);
		li->csum_off = li->l4_off + offsetof(struct udphdr, check);
	} else {
		return SG_HA_CTR_DROP_UNSUPPORTED;
	}
	if (li->l4_off + l4min > skb->len)
		return SG_HA_CTR_DROP_MALFORMED;
	if (bpf_skb_load_bytes(skb, li->l4_off, ports, sizeof(ports)))
		return SG_HA_CTR_DROP_MALFORMED;
	ep->port = want_src ? ports[0] : ports[1];
	li->other_port = want_src ? ports[1] : ports[0];
	ep->proto = li->proto;
	ep->family = family;
	li->family = family;
	return 0;
}

/* sg_ha_conns key of a connection to @p vm of the packet described by @p li. */
static __always_inline void
conn_key(struct sg_ha_conn_key *ck, const struct sg_ha_ep *vm, const struct l3info *li)
{
	__builtin_memset(ck, 0, sizeof(*ck));
	__builtin_memcpy(ck->vm_addr, vm->addr, 16);
	__builtin_memcpy(ck->client_addr, li->other, 16);
	ck->vm_port = vm->port;
	ck->client_port = li->other_port;
	ck->proto = vm->proto;
	ck->family = vm->family;
}

#endif /* SG_HA_PCKT_PARSING_H */
