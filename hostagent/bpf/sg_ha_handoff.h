/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Brokered DSR hand-off (doc/sessions.md): the hand-off SYN (meta payload
 * checked, recorded in sg_ha_hands, stripped), the VM's SYN-ACK (deltas
 * learnt), and the translation of its later segments (sequence number,
 * TSval, window) to what the client negotiated with the data plane.
 */
#ifndef SG_HA_HANDOFF_H
#define SG_HA_HANDOFF_H

#include "sessiongate/sg_handoff.h"
#include "sg_ha_maps.h"
#include "sg_ha_pckt_parsing.h"
#include "sg_ha_rewrite.h"

static __always_inline int
seq_ge(__u32 a, __u32 b)
{
	return (__s32)(a - b) >= 0;
}

static __always_inline void
hand_key(struct sg_ha_hand_key *hk, const struct sg_ha_ep *vip, const struct l3info *li)
{
	__builtin_memset(hk, 0, sizeof(*hk));
	__builtin_memcpy(hk->vip, vip->addr, 16);
	__builtin_memcpy(hk->client, li->other, 16);
	hk->vip_port = vip->port;
	hk->client_port = li->other_port;
	hk->family = vip->family;
}

/*
 * The TCP options of the segment whose header is at @l4_off with data
 * offset @doff: bits 0..15 the offset (from the skb start) of the
 * timestamps option's TSval, 0 when absent; bits 16..23 the window scale,
 * bit 24 set when it is present. A global function: verified once, alone.
 */
__noinline int
sg_ha_tcp_opts(struct __sk_buff *skb, __u32 l4_off, __u32 doff)
{
	__u8 opt[64]; /* indices masked with 63: the verifier sees every read in bounds */
	__u32 len = (doff * 4 - sizeof(struct tcphdr)) & 63, i = 0, ts = 0, ws = 0, n;

	if (!skb || doff * 4 <= sizeof(struct tcphdr) || len == 0 || len > TCP_OPT_SPACE ||
	    l4_off > 0xffff)
		return 0;
	__builtin_memset(opt, 0, sizeof(opt));
	if (bpf_skb_load_bytes(skb, l4_off + sizeof(struct tcphdr), opt, len))
		return 0;
	for (n = 0; n < TCP_OPT_WALK; n++) {
		__u8 kind, ol;

		if (i + 1 >= len)
			break;
		kind = opt[i & 63];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		ol = opt[(i + 1) & 63];
		if (ol < 2 || i + ol > len)
			break;
		if (kind == 8 && ol == 10)
			ts = (l4_off + sizeof(struct tcphdr) + i + 2) & 0xffff;
		else if (kind == 3 && ol == 3)
			ws = 0x100 | opt[(i + 2) & 63];
		i += ol;
	}
	return (int)(ts | ws << 16);
}

static __always_inline __u32
tcp_opts(struct __sk_buff *skb, __u32 l4_off, __u32 doff, __u8 *wscale)
{
	__u32 r = (__u32)sg_ha_tcp_opts(skb, l4_off, doff);

	*wscale = (r & (1u << 24)) ? (__u8)(r >> 16) : 0xff;
	return r & 0xffff;
}

/*
 * A hand-off SYN after decapsulation: strip its sg_handoff_meta payload
 * (@meta, at the end of the packet), fixing lengths and checksums.
 */
static __always_inline int
strip_meta(struct __sk_buff *skb, const struct l3info *li, const struct sg_handoff_meta *meta)
{
	__s64 diff = bpf_csum_diff((__be32 *)meta, sizeof(*meta), NULL, 0, 0);
	__u16 l4_old = li->ip_end - li->l4_off, l4_new = l4_old - sizeof(*meta);
	__be16 old, new;

	if (diff < 0)
		return -1;
	if (li->family == SG_WIRE_FAMILY_V4) {
		old = bpf_htons(li->ip_end - ETH_HLEN);
		new = bpf_htons(li->ip_end - ETH_HLEN - sizeof(*meta));
		if (bpf_l3_csum_replace(skb, ETH_HLEN + offsetof(struct iphdr, check), old, new,
					sizeof(new)) ||
		    bpf_skb_store_bytes(skb, ETH_HLEN + offsetof(struct iphdr, tot_len), &new,
					sizeof(new), 0))
			return -1;
	} else {
		new = bpf_htons(l4_new);
		if (bpf_skb_store_bytes(skb, ETH_HLEN + offsetof(struct ipv6hdr, payload_len), &new,
					sizeof(new), 0))
			return -1;
	}
	/* the pseudo header's length, then the payload's share of the sum */
	if (bpf_l4_csum_replace(skb, li->csum_off, bpf_htons(l4_old), bpf_htons(l4_new),
				BPF_F_PSEUDO_HDR | sizeof(__u16)) ||
	    bpf_l4_csum_replace(skb, li->csum_off, 0, (__u32)diff, 0))
		return -1;
	return bpf_skb_change_tail(skb, li->ip_end - sizeof(*meta), 0);
}

/* Could this packet be a hand-off SYN (a TCP header and a meta)? Lengths only, no read. */
static __always_inline int
handoff_len(const struct l3info *li)
{
	__u32 n = li->ip_end - li->l4_off;

	return li->proto == IPPROTO_TCP &&
	       n >= sizeof(struct tcphdr) + sizeof(struct sg_handoff_meta) &&
	       n <= 60 + sizeof(struct sg_handoff_meta);
}

/*
 * Is the decapsulated (still encapsulated: @li offsets include @outer_len)
 * packet a hand-off SYN? Fills @meta and returns 1; 0 when not; -1 when it
 * claims to be one but is malformed.
 */
static __always_inline int
handoff_syn(struct __sk_buff *skb, const struct l3info *li, struct sg_handoff_meta *meta)
{
	struct tcphdr th;
	__u32 hl;

	if (li->proto != IPPROTO_TCP || bpf_skb_load_bytes(skb, li->l4_off, &th, sizeof(th)))
		return 0;
	if (!th.syn || th.ack || th.rst)
		return 0;
	hl = th.doff * 4;
	if (hl < sizeof(th) || li->ip_end != li->l4_off + hl + sizeof(*meta))
		return 0;
	if (bpf_skb_load_bytes(skb, li->l4_off + hl, meta, sizeof(*meta)))
		return -1;
	if (meta->magic != bpf_htonl(SG_HANDOFF_META_MAGIC))
		return 0;
	if (meta->version != SG_HANDOFF_VERSION || meta->family != li->family || meta->vm_port == 0)
		return -1;
	return 1;
}

/* The VM's SYN-ACK: the deltas between its numbers and the client's view. */
static __always_inline void
hand_learn(struct __sk_buff *skb, const struct l3info *li, const struct tcphdr *th,
	   struct sg_ha_hand *h)
{
	__u32 tso;
	__u8 ws;

	tso = tcp_opts(skb, li->l4_off, th->doff, &ws);
	h->seq_delta = h->lb_isn - bpf_ntohl(th->seq);
	h->ts_delta = 0;
	if ((h->flags & SG_HANDOFF_F_TS) && tso) {
		__be32 v;

		if (bpf_skb_load_bytes(skb, tso, &v, sizeof(v)) == 0)
			h->ts_delta = h->lb_tsval - bpf_ntohl(v);
	} else {
		h->flags &= ~SG_HANDOFF_F_TS;
	}
	h->ws_shift = 0;
	if ((h->flags & SG_HANDOFF_F_WSCALE) && ws != 0xff)
		h->ws_shift = (__s8)((int)(ws > 14 ? 14 : ws) - (int)h->lb_wscale);
	h->state = SG_HA_HAND_REPLAY;
}

/* A VM segment after the hand-off: sequence number, TSval, window as the client knows them. */
static __always_inline int
hand_xlate(struct __sk_buff *skb, const struct l3info *li, const struct tcphdr *th,
	   const struct sg_ha_hand *h)
{
	__u32 tso = 0;
	__u8 ws;

	if (store32(skb, li, li->l4_off + offsetof(struct tcphdr, seq), th->seq,
		    bpf_htonl(bpf_ntohl(th->seq) + h->seq_delta)))
		return -1;
	if (h->flags & SG_HANDOFF_F_TS)
		tso = tcp_opts(skb, li->l4_off, th->doff, &ws);
	if (tso) {
		__be32 v;

		if (bpf_skb_load_bytes(skb, tso, &v, sizeof(v)) ||
		    store32(skb, li, tso, v, bpf_htonl(bpf_ntohl(v) + h->ts_delta)))
			return -1;
	}
	if (h->ws_shift != 0 && !th->syn) {
		__u32 win = bpf_ntohs(th->window);
		__be16 nw;

		if (h->ws_shift > 0)
			win <<= (h->ws_shift & 15);
		else
			win >>= ((-h->ws_shift) & 15);
		nw = bpf_htons(win > 65535 ? 65535 : win);
		if (nw != th->window &&
		    (bpf_l4_csum_replace(skb, li->csum_off, th->window, nw, sizeof(nw)) ||
		     bpf_skb_store_bytes(skb, li->l4_off + offsetof(struct tcphdr, window), &nw,
					 sizeof(nw), 0)))
			return -1;
	}
	return 0;
}

/* A hand-off SYN: record the connection (@vm: the VM it goes to). 0 or -1. */
static __always_inline int
hand_record(const struct sg_ha_hand_key *hk, const struct sg_handoff_meta *meta, int family,
	    const __u8 *o_src, const __u8 *o_dst, const struct ethhdr *eth, struct sg_ha_ep *vm)
{
	struct sg_ha_hand nh = {};

	nh.vm.family = family;
	nh.vm.proto = IPPROTO_TCP;
	nh.vm.port = meta->vm_port;
	__builtin_memcpy(nh.vm.addr, meta->vm_addr, 16);
	if (family == SG_WIRE_FAMILY_V4)
		__builtin_memset(nh.vm.addr + 4, 0, 12);
	nh.sid = meta->sid;
	nh.token = meta->token;
	nh.lb_isn = bpf_ntohl(meta->lb_isn);
	nh.lb_tsval = bpf_ntohl(meta->lb_tsval);
	nh.held_end = bpf_ntohl(meta->held_end);
	nh.state = SG_HA_HAND_PENDING;
	nh.flags = meta->flags & (SG_HANDOFF_F_TS | SG_HANDOFF_F_WSCALE);
	nh.lb_wscale = meta->lb_wscale > 14 ? 14 : meta->lb_wscale;
	nh.o_family = family;
	__builtin_memcpy(nh.dp_addr, o_src, 16);
	__builtin_memcpy(nh.host_addr, o_dst, 16);
	__builtin_memcpy(nh.dp_mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(nh.host_mac, eth->h_dest, ETH_ALEN);
	*vm = nh.vm;
	return bpf_map_update_elem(&sg_ha_hands, hk, &nh, BPF_ANY) ? -1 : 0;
}

#endif /* SG_HA_HANDOFF_H */
