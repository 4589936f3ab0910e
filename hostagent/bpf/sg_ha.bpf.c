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
 * Brokered DSR hand-off (doc/sessions.md): a SYN carrying a struct
 *   sg_handoff_meta payload records the connection in sg_ha_hands (its VM
 *   comes from the payload, not from sg_ha_vips), loses the payload and
 *   goes to the VM. The VM's segments are returned to the data plane (outer
 *   IP + UDP to SG_HANDOFF_PORT + struct sg_handoff_bounce) until one
 *   acknowledges the bytes the data plane held; from then on they go to the
 *   client directly with sequence numbers, TSval and window translated to
 *   what the client negotiated with the data plane. The client's direction
 *   is translated by the data plane before encapsulation.
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

#include "sessiongate/sg_handoff.h"
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
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_HA_HANDS_MAX);
	__type(key, struct sg_ha_hand_key);
	__type(value, struct sg_ha_hand);
} sg_ha_hands SEC(".maps");

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

/* ---- brokered DSR hand-off ------------------------------------------------ */

#define TCP_OPT_SPACE 40

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

#define TCP_OPT_WALK 16 /**< options looked at (Linux sends at most 8 with NOPs) */

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
	if (li->family == 4) {
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
	};
	__u32 inner = skb->len - ETH_HLEN, iphl;
	struct udphdr udp;
	struct ethhdr eth;
	__u64 flags = BPF_F_ADJ_ROOM_ENCAP_L4_UDP;

	if (h->o_family == 4) {
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
	if (family == 4)
		__builtin_memset(nh.vm.addr + 4, 0, 12);
	nh.sid = meta->sid;
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

SEC("tc")
int
sg_ha_ingress(struct __sk_buff *skb)
{
	__u32 zero = 0, outer_len, ctr, ifindex = 0;
	__u8 o_src[16] = {}, o_dst[16] = {};
	struct sg_handoff_meta meta;
	struct sg_ha_hand_key hk;
	struct sg_ha_hand *hand;
	struct sg_ha_conn_key ck;
	struct sg_ha_ep *seen;
	struct sg_ha_vip_val *vip;
	struct sg_ha_vstats *st;
	struct sg_ha_bpf_cfg *cfg;
	struct sg_ha_ep key, vm;
	struct l3info li;
	struct ethhdr eth;
	int family, drop, is_syn;
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
		__builtin_memcpy(o_src, &ip.saddr, 4);
		__builtin_memcpy(o_dst, &ip.daddr, 4);
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
		__builtin_memcpy(o_src, ip6.saddr.s6_addr, 16);
		__builtin_memcpy(o_dst, ip6.daddr.s6_addr, 16);
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
	/*
	 * A static VIP first (the common DSR case: one lookup); a VIP:port
	 * without one may be a brokered hand-off (its SYN, or a connection
	 * recorded by one): the data plane never has both for one VIP:port.
	 */
	is_syn = 0;
	vip = bpf_map_lookup_elem(&sg_ha_vips, &key);
	if (vip) {
		if (vip->vm.family != family)
			return count(SG_HA_CTR_DROP_NO_VIP, TC_ACT_SHOT);
		vm = vip->vm;
		ifindex = vip->ifindex;
	} else {
		is_syn = handoff_syn(skb, &li, &meta);
		if (is_syn < 0)
			return count(SG_HA_CTR_DROP_HANDOFF, TC_ACT_SHOT);
		hand_key(&hk, &key, &li);
		hand = bpf_map_lookup_elem(&sg_ha_hands, &hk);
		if (is_syn && (!hand || hand->state == SG_HA_HAND_PENDING)) {
			if (hand_record(&hk, &meta, family, o_src, o_dst, &eth, &vm))
				return count(SG_HA_CTR_DROP_HANDOFF, TC_ACT_SHOT);
		} else if (hand) {
			vm = hand->vm;
		} else {
			return count(SG_HA_CTR_DROP_NO_VIP, TC_ACT_SHOT);
		}
	}

	if (bpf_skb_adjust_room(skb, -(__s32)outer_len, BPF_ADJ_ROOM_MAC, 0))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
	li.l4_off -= outer_len;
	li.csum_off -= outer_len;
	li.ip_end -= outer_len;
	if (is_syn && strip_meta(skb, &li, &meta))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
	if (rewrite(skb, &li, 0, &key, &vm))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);

	conn_key(&ck, &vm, &li);
	seen = bpf_map_lookup_elem(&sg_ha_conns, &ck);
	if (!seen || !ep_eq(seen, &key))
		bpf_map_update_elem(&sg_ha_conns, &ck, &key, BPF_ANY);

	st = bpf_map_lookup_elem(&sg_ha_vstats, &key);
	if (st) {
		st->rx_packets++;
		st->rx_bytes += skb->len;
	}
	if (is_syn)
		ctr = SG_HA_CTR_HANDOFF_SYN;
	if (ifindex)
		return count(ctr, bpf_redirect_neigh(ifindex, NULL, 0, 0));
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
	__u32 ctr;

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
	ctr = SG_HA_CTR_RETURN_REWRITE;
	if (li.proto == IPPROTO_TCP) {
		struct sg_ha_hand_key hk;
		struct sg_ha_hand *h;
		struct tcphdr th;

		hand_key(&hk, vip, &li);
		h = bpf_map_lookup_elem(&sg_ha_hands, &hk);
		if (h && bpf_skb_load_bytes(skb, li.l4_off, &th, sizeof(th)) == 0) {
			if (h->state == SG_HA_HAND_PENDING) {
				/* its SYN-ACK; nothing held: done with it already */
				if (th.syn && th.ack) {
					hand_learn(skb, &li, &th, h);
					if (seq_ge(bpf_ntohl(th.ack_seq), h->held_end))
						h->state = SG_HA_HAND_DONE;
				}
				return bounce(skb, h);
			}
			if (h->state == SG_HA_HAND_REPLAY) {
				if (th.ack && seq_ge(bpf_ntohl(th.ack_seq), h->held_end))
					h->state = SG_HA_HAND_DONE;
				return bounce(skb, h);
			}
			if (hand_xlate(skb, &li, &th, h))
				return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
			ctr = SG_HA_CTR_RETURN_XLATE;
		}
	}
	if (rewrite(skb, &li, 1, &key, vip))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
	st = bpf_map_lookup_elem(&sg_ha_vstats, vip);
	if (st) {
		st->tx_packets++;
		st->tx_bytes += skb->len;
	}
	return count(ctr, TC_ACT_OK);
}
