/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * sg-hostagent host datapath (tc clsact on the host's uplink).
 *
 * sg_ha_ingress: a packet encapsulated by sg-dataplane's DSR mode
 *   (IPv4-in-IPv4 proto 4, IPv6-in-IPv6 proto 41, or GUE variant 1: outer
 *   IP + UDP to the GUE port + inner IP packet) addressed to this host is
 *   parsed, its inner VIP:port:proto looked up in sg_ha_vips, the outer
 *   headers removed (bpf_skb_adjust_room), the inner destination rewritten
 *   to the VM's address:port with incremental checksum updates, and the
 *   packet handed to the kernel's routing (or bpf_redirect_neigh to a
 *   configured device).
 * sg_ha_egress: a reply leaving through the uplink whose source is a VM
 *   service address in sg_ha_rev is rewritten to come from the VIP:port,
 *   so the client sees the VIP and the guest needs no VIP configured.
 *
 * Every packet ends in exactly one counter of sg_ha_ctrs.
 */
#include <linux/bpf.h>
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

#include "sg_ha_maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_HA_VIPS_MAX);
	__type(key, struct sg_ha_ep);
	__type(value, struct sg_ha_vip_val);
} sg_ha_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_HA_VIPS_MAX);
	__type(key, struct sg_ha_ep);
	__type(value, struct sg_ha_rev_val);
} sg_ha_rev SEC(".maps");

/* Which VIP a client reached a VM through: replies go back from that VIP
 * even when several VIPs lead to the same VM service (sg_ha_rev is the
 * fallback for connections not seen, e.g. after an LRU eviction). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_HA_CONNS_MAX);
	__type(key, struct sg_ha_conn_key);
	__type(value, struct sg_ha_ep);
} sg_ha_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SG_HA_VIPS_MAX);
	__type(key, struct sg_ha_ep);
	__type(value, struct sg_ha_vstats);
} sg_ha_vstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_ha_bpf_cfg);
} sg_ha_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_HA_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sg_ha_ctrs SEC(".maps");

#define IP_MF	  0x2000
#define IP_OFFSET 0x1fff

static __always_inline int
count(__u32 ctr, int verdict)
{
	__u64 *v = bpf_map_lookup_elem(&sg_ha_ctrs, &ctr);

	if (v)
		*v += 1;
	return verdict;
}

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
	if (family == 4) {
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

	if (li->family == 4) {
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

SEC("tc")
int
sg_ha_ingress(struct __sk_buff *skb)
{
	__u32 zero = 0, outer_len, ctr;
	struct sg_ha_conn_key ck;
	struct sg_ha_ep *seen;
	struct sg_ha_vip_val *vip;
	struct sg_ha_vstats *st;
	struct sg_ha_bpf_cfg *cfg;
	struct sg_ha_ep key;
	struct l3info li;
	struct ethhdr eth;
	int family, drop;
	__u8 nibble;

	cfg = bpf_map_lookup_elem(&sg_ha_cfg, &zero);
	if (!cfg || bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return count(SG_HA_CTR_PASS, TC_ACT_OK);

	if (eth.h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;
		struct udphdr udp;
		__u32 ihl;

		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) || ip.version != 4)
			return count(SG_HA_CTR_PASS, TC_ACT_OK);
		if (cfg->host4 && ip.daddr != cfg->host4)
			return count(SG_HA_CTR_PASS, TC_ACT_OK);
		ihl = ip.ihl * 4;
		if (ip.protocol == IPPROTO_IPIP) {
			outer_len = ihl;
			ctr = SG_HA_CTR_DECAP_IPIP;
		} else if (ip.protocol == IPPROTO_UDP && cfg->gue_port) {
			if (ihl < sizeof(ip) ||
			    bpf_skb_load_bytes(skb, ETH_HLEN + ihl, &udp, sizeof(udp)) ||
			    udp.dest != cfg->gue_port)
				return count(SG_HA_CTR_PASS, TC_ACT_OK);
			outer_len = ihl + sizeof(udp);
			ctr = SG_HA_CTR_DECAP_GUE;
		} else {
			return count(SG_HA_CTR_PASS, TC_ACT_OK);
		}
		/* Ours from here: every exit is a delivery or a counted drop. */
		if (ihl < sizeof(ip) || bpf_ntohs(ip.tot_len) < outer_len ||
		    bpf_ntohs(ip.tot_len) > skb->len - ETH_HLEN)
			return count(SG_HA_CTR_DROP_MALFORMED, TC_ACT_SHOT);
		if (ip.frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return count(SG_HA_CTR_DROP_FRAGMENT, TC_ACT_SHOT);
		family = 4;
	} else if (eth.h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		struct udphdr udp;

		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6)) || ip6.version != 6)
			return count(SG_HA_CTR_PASS, TC_ACT_OK);
		if (!addr6_any(cfg->host6) && !addr6_eq(cfg->host6, ip6.daddr.s6_addr))
			return count(SG_HA_CTR_PASS, TC_ACT_OK);
		if (ip6.nexthdr == IPPROTO_IPV6) {
			outer_len = sizeof(ip6);
			ctr = SG_HA_CTR_DECAP_IP6IP6;
		} else if (ip6.nexthdr == IPPROTO_UDP && cfg->gue_port) {
			if (bpf_skb_load_bytes(skb, ETH_HLEN + sizeof(ip6), &udp, sizeof(udp)) ||
			    udp.dest != cfg->gue_port)
				return count(SG_HA_CTR_PASS, TC_ACT_OK);
			outer_len = sizeof(ip6) + sizeof(udp);
			ctr = SG_HA_CTR_DECAP_GUE;
		} else {
			return count(SG_HA_CTR_PASS, TC_ACT_OK);
		}
		if (bpf_ntohs(ip6.payload_len) + sizeof(ip6) > skb->len - ETH_HLEN ||
		    bpf_ntohs(ip6.payload_len) + sizeof(ip6) < outer_len)
			return count(SG_HA_CTR_DROP_MALFORMED, TC_ACT_SHOT);
		family = 6;
	} else {
		return count(SG_HA_CTR_PASS, TC_ACT_OK);
	}

	/* The inner packet must be of the outer's family (no protocol change). */
	if (bpf_skb_load_bytes(skb, ETH_HLEN + outer_len, &nibble, 1))
		return count(SG_HA_CTR_DROP_MALFORMED, TC_ACT_SHOT);
	if ((nibble >> 4) != family)
		return count((nibble >> 4) == 4 || (nibble >> 4) == 6 ? SG_HA_CTR_DROP_UNSUPPORTED
								      : SG_HA_CTR_DROP_MALFORMED,
			     TC_ACT_SHOT);
	drop = parse_ip(skb, ETH_HLEN + outer_len, family, 0, &key, &li);
	if (drop)
		return count(drop, TC_ACT_SHOT);
	vip = bpf_map_lookup_elem(&sg_ha_vips, &key);
	if (!vip || vip->vm.family != family)
		return count(SG_HA_CTR_DROP_NO_VIP, TC_ACT_SHOT);

	if (bpf_skb_adjust_room(skb, -(__s32)outer_len, BPF_ADJ_ROOM_MAC, 0))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
	li.l4_off -= outer_len;
	li.csum_off -= outer_len;
	if (rewrite(skb, &li, 0, &key, &vip->vm))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);

	conn_key(&ck, &vip->vm, &li);
	seen = bpf_map_lookup_elem(&sg_ha_conns, &ck);
	if (!seen || !ep_eq(seen, &key))
		bpf_map_update_elem(&sg_ha_conns, &ck, &key, BPF_ANY);

	st = bpf_map_lookup_elem(&sg_ha_vstats, &key);
	if (st) {
		st->rx_packets++;
		st->rx_bytes += skb->len;
	}
	if (vip->ifindex)
		return count(ctr, bpf_redirect_neigh(vip->ifindex, NULL, 0, 0));
	return count(ctr, TC_ACT_OK);
}

SEC("tc")
int
sg_ha_egress(struct __sk_buff *skb)
{
	struct sg_ha_conn_key ck;
	struct sg_ha_rev_val *rev;
	struct sg_ha_vstats *st;
	struct sg_ha_ep key, *vip;
	struct l3info li;
	struct ethhdr eth;
	int family, drop;

	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return count(SG_HA_CTR_PASS, TC_ACT_OK);
	if (eth.h_proto == bpf_htons(ETH_P_IP))
		family = 4;
	else if (eth.h_proto == bpf_htons(ETH_P_IPV6))
		family = 6;
	else
		return count(SG_HA_CTR_PASS, TC_ACT_OK);

	drop = parse_ip(skb, ETH_HLEN, family, 1, &key, &li);
	if (drop == SG_HA_CTR_DROP_FRAGMENT)
		return count(SG_HA_CTR_RETURN_FRAGMENT, TC_ACT_OK);
	if (drop)
		return count(SG_HA_CTR_PASS, TC_ACT_OK); /* not ours to judge: the kernel sent it */
	conn_key(&ck, &key, &li);
	vip = bpf_map_lookup_elem(&sg_ha_conns, &ck);
	if (!vip) {
		rev = bpf_map_lookup_elem(&sg_ha_rev, &key);
		if (!rev)
			return count(SG_HA_CTR_PASS, TC_ACT_OK);
		vip = &rev->vip;
	}
	if (rewrite(skb, &li, 1, &key, vip))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
	st = bpf_map_lookup_elem(&sg_ha_vstats, vip);
	if (st) {
		st->tx_packets++;
		st->tx_bytes += skb->len;
	}
	return count(SG_HA_CTR_RETURN_REWRITE, TC_ACT_OK);
}
