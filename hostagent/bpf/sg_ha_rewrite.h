/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Rewrites in place with incremental checksum updates: VIP <-> VM address
 * and port, a 32-bit word of the TCP header.
 */
#ifndef SG_HA_REWRITE_H
#define SG_HA_REWRITE_H

#include "sg_ha_pckt_parsing.h"

/*
 * Rewrite address+port (dst when @is_src is 0, src otherwise) of the IP
 * packet at ETH_HLEN from @from to @to, fixing the checksums incrementally.
 */
static __always_inline int
rewrite(struct __sk_buff *skb, const struct l3info *li, int is_src, const struct sg_ha_ep *from,
	const struct sg_ha_ep *to)
{
	__u64 l4flags = li->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__u32 port_off = li->l4_off + (is_src ? 0 : 2);
	__u32 addr_off;

	if (li->family == SG_WIRE_FAMILY_V4) {
		__u32 old4, new4;

		__builtin_memcpy(&old4, from->addr, 4);
		__builtin_memcpy(&new4, to->addr, 4);
		addr_off = ETH_HLEN +
			   (is_src ? offsetof(struct iphdr, saddr) : offsetof(struct iphdr, daddr));
		if (bpf_l4_csum_replace(skb, li->csum_off, old4, new4,
					l4flags | BPF_F_PSEUDO_HDR | sizeof(new4)))
			return -1;
		if (bpf_l3_csum_replace(skb, ETH_HLEN + offsetof(struct iphdr, check), old4, new4,
					sizeof(new4)))
			return -1;
		if (bpf_skb_store_bytes(skb, addr_off, &new4, sizeof(new4), 0))
			return -1;
	} else {
		__s64 diff = bpf_csum_diff((__be32 *)from->addr, 16, (__be32 *)to->addr, 16, 0);

		addr_off = ETH_HLEN + (is_src ? offsetof(struct ipv6hdr, saddr)
					      : offsetof(struct ipv6hdr, daddr));
		if (diff < 0)
			return -1;
		if (bpf_l4_csum_replace(skb, li->csum_off, 0, (__u32)diff,
					l4flags | BPF_F_PSEUDO_HDR))
			return -1;
		if (bpf_skb_store_bytes(skb, addr_off, to->addr, 16, 0))
			return -1;
	}
	if (from->port != to->port) {
		if (bpf_l4_csum_replace(skb, li->csum_off, from->port, to->port,
					l4flags | sizeof(to->port)))
			return -1;
		if (bpf_skb_store_bytes(skb, port_off, &to->port, sizeof(to->port), 0))
			return -1;
	}
	return 0;
}

/* Replace 4 bytes at @off (inside the TCP header) by @val, fixing the checksum. */
static __always_inline int
store32(struct __sk_buff *skb, const struct l3info *li, __u32 off, __be32 old, __be32 val)
{
	if (old == val)
		return 0;
	if (bpf_l4_csum_replace(skb, li->csum_off, old, val, sizeof(val)))
		return -1;
	return bpf_skb_store_bytes(skb, off, &val, sizeof(val), 0);
}

#endif /* SG_HA_REWRITE_H */
