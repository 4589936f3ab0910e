/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Defensive parsing of a received frame into struct sg_dp_pkt.
 *
 * Accepted: Ethernet, at most one 802.1Q tag, then ARP, IPv4 without
 * options or IPv6 without extension headers, then TCP, UDP, ICMP or
 * ICMPv6 (other protocols parse fine and are refused later with
 * drop_l4_proto). Headers, TCP options included, must lie in the first
 * segment; ICMP must match its IP family (58 only over IPv6). Each refusal
 * names exactly one counter; the checks run from the outside in, so a
 * packet broken in several ways is counted at its outermost fault.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "core/parse.h"

static bool
v4_martian_src(const uint8_t *a)
{
	/* 0/8, 127/8, 224/4 multicast, 240/4 reserved and broadcast */
	return a[0] == 0 || a[0] == 127 || a[0] >= 224;
}

static bool
v6_martian_src(const uint8_t *a)
{
	static const uint8_t zero[16];

	if (a[0] == 0xff) /* multicast */
		return true;
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1)) /* :: and ::1 */
		return true;
	return false;
}

static bool
v6_ext_header(uint8_t nh)
{
	switch (nh) {
	case 0:	  /* hop-by-hop */
	case 43:  /* routing */
	case 50:  /* ESP */
	case 51:  /* AH */
	case 60:  /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
	case 253: /* experimental */
	case 254:
		return true;
	default:
		return false;
	}
}

/*
 * TCP flag combinations no conforming stack sends, over the flags' low five
 * bits (FIN, SYN, RST, PSH, ACK): no SYN, FIN, RST or ACK (null scan), SYN
 * with FIN or RST, FIN without ACK (xmas scans). TCP_BAD_MASK holds them
 * as bits, built at compile time, so the check is one shift.
 */
#define TCP_BAD(f)                                                                                 \
	(((f) & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG)) ==    \
		 0 ||                                                                              \
	 ((f) & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) == (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG) || \
	 ((f) & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG)) == (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG) || \
	 (((f)&RTE_TCP_FIN_FLAG) && !((f)&RTE_TCP_ACK_FLAG)))
#define TCP_BAD_B(f)  ((uint32_t)TCP_BAD(f) << (f))
#define TCP_BAD_B4(f) (TCP_BAD_B(f) | TCP_BAD_B((f) + 1) | TCP_BAD_B((f) + 2) | TCP_BAD_B((f) + 3))
#define TCP_BAD_B16(f) \
	(TCP_BAD_B4(f) | TCP_BAD_B4((f) + 4) | TCP_BAD_B4((f) + 8) | TCP_BAD_B4((f) + 12))
#define TCP_BAD_MASK (TCP_BAD_B16(0) | TCP_BAD_B16(16))

static inline bool
tcp_flags_bad(uint8_t f)
{
	return (TCP_BAD_MASK >> (f & 0x1f)) & 1;
}

/*
 * An IPv4 address and the 4 zero bytes after it in one 8-byte store: the
 * words sg_dp_flow_sig() reads (sg_dp_key_put_tail()).
 */
static inline void
key_put_v4(uint8_t *a, rte_be32_t addr)
{
	uint64_t w = 0;

	memcpy(&w, &addr, 4); /* the rest of the word zero, as the rest of the address */
	memcpy(a, &w, 8);
}

static enum sg_dp_cnt
parse_l4(const uint8_t *l4, uint32_t hdr_avail, struct sg_dp_pkt *p)
{
	uint16_t len = p->l4_len;

	if (likely(p->key.proto == IPPROTO_TCP)) {
		const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)l4;
		unsigned int doff;

		if (len < sizeof(*th) || hdr_avail < sizeof(*th))
			return SG_DP_DROP_TRUNC_L4;
		doff = (th->data_off >> 4) * 4u;
		if (doff < sizeof(*th))
			return SG_DP_DROP_TCP_FLAGS;
		/* options are read in place: the whole header lies in the first segment */
		if (doff > len || doff > hdr_avail)
			return SG_DP_DROP_TCP_DOFF;
		p->tcp_flags = th->tcp_flags;
		if (tcp_flags_bad(th->tcp_flags))
			return SG_DP_DROP_TCP_FLAGS;
		sg_dp_key_put_tail(&p->key, th->src_port, th->dst_port, p->key.proto,
				   p->key.family);
		return SG_DP_CNT_MAX;
	}
	switch (p->key.proto) {
	case IPPROTO_UDP: {
		const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)l4;
		uint16_t ulen;

		if (len < sizeof(*uh) || hdr_avail < sizeof(*uh))
			return SG_DP_DROP_TRUNC_L4;
		ulen = rte_be_to_cpu_16(uh->dgram_len);
		if (ulen < sizeof(*uh) || ulen > len)
			return SG_DP_DROP_IP_LEN;
		sg_dp_key_put_tail(&p->key, uh->src_port, uh->dst_port, p->key.proto,
				   p->key.family);
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* ND and ICMPv6 read IPv6 headers: only IPv6 may carry protocol 58 */
		if ((p->key.proto == IPPROTO_ICMPV6) != (p->key.family == AF_INET6))
			return SG_DP_DROP_ICMP_FAMILY;
		if (len < 8 || hdr_avail < 8)
			return SG_DP_DROP_TRUNC_L4;
		break;
	default:
		break;
	}
	return SG_DP_CNT_MAX;
}

/*
 * Whether IPv4 header @p ip of @p ihl bytes sums to 0xffff (its checksum
 * holds). The common 20-byte header: five 32-bit words summed and folded,
 * the same ones' complement sum as rte_raw_cksum() without its 16-bit loop
 * and folds.
 */
static inline bool
ipv4_csum_ok(const struct rte_ipv4_hdr *ip, unsigned int ihl)
{
	uint32_t w[5];
	uint64_t s;

	if (ihl != sizeof(*ip))
		return rte_raw_cksum(ip, ihl) == 0xffff;
	memcpy(w, ip, sizeof(w));
	s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	/* folded to 16 bits it is 0xffff: a nonzero multiple of 0xffff (2^16 = 1 mod 0xffff) */
	return s != 0 && s % 0xffff == 0;
}

static enum sg_dp_cnt
parse_ipv4(struct rte_mbuf *m, const uint8_t *l3, uint32_t hdr_avail, uint32_t frame_avail,
	   struct sg_dp_pkt *p)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;
	unsigned int ihl;
	uint16_t tot, frag;
	uint64_t ck;

	/* hdr_avail <= frame_avail: what fits the first checks the whole frame too */
	if (hdr_avail < sizeof(*ip))
		return SG_DP_DROP_TRUNC_L3;
	if (likely(ip->version_ihl == 0x45)) { /* version 4, 20 bytes: the checks below hold */
		ihl = sizeof(*ip);
	} else {
		if ((ip->version_ihl >> 4) != 4)
			return SG_DP_DROP_IP_VERSION;
		ihl = (ip->version_ihl & 0xf) * 4u;
		if (ihl < sizeof(*ip) || ihl > hdr_avail)
			return SG_DP_DROP_IP_IHL;
	}
	ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return SG_DP_DROP_IP_CSUM;
	if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !ipv4_csum_ok(ip, ihl))
		return SG_DP_DROP_IP_CSUM;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl || tot > frame_avail)
		return SG_DP_DROP_IP_LEN;
	frag = rte_be_to_cpu_16(ip->fragment_offset);
	if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return SG_DP_DROP_IP_FRAG;
	if (ihl > sizeof(*ip))
		return SG_DP_DROP_IP_OPTIONS;
	if (ip->time_to_live == 0)
		return SG_DP_DROP_IP_TTL;
	if (v4_martian_src((const uint8_t *)&ip->src_addr))
		return SG_DP_DROP_IP_SRC;

	p->l3_len = ihl;
	p->ip_len = tot;
	p->l4_len = tot - ihl;
	p->ttl = ip->time_to_live;
	p->key.proto = ip->next_proto_id;
	p->key.family = AF_INET;
	key_put_v4(p->key.src, ip->src_addr);
	key_put_v4(p->key.dst, ip->dst_addr);
	return parse_l4(l3 + ihl, hdr_avail - ihl, p);
}

static enum sg_dp_cnt
parse_ipv6(const uint8_t *l3, uint32_t hdr_avail, uint32_t frame_avail, struct sg_dp_pkt *p)
{
	const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)l3;
	uint16_t plen;

	if (hdr_avail < sizeof(*ip) || frame_avail < sizeof(*ip))
		return SG_DP_DROP_TRUNC_L3;
	if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6)
		return SG_DP_DROP_IP_VERSION;
	plen = rte_be_to_cpu_16(ip->payload_len);
	if (plen == 0 || plen > frame_avail - sizeof(*ip)) /* 0: jumbogram, not supported */
		return SG_DP_DROP_IP_LEN;
	if (ip->proto == 44)
		return SG_DP_DROP_IP_FRAG;
	if (v6_ext_header(ip->proto))
		return SG_DP_DROP_IP_OPTIONS;
	if (ip->hop_limits == 0)
		return SG_DP_DROP_IP_TTL;
	if (v6_martian_src(ip->src_addr))
		return SG_DP_DROP_IP_SRC;

	p->l3_len = sizeof(*ip);
	p->ip_len = sizeof(*ip) + plen;
	p->l4_len = plen;
	p->ttl = ip->hop_limits;
	p->key.proto = ip->proto;
	p->key.family = AF_INET6;
	memcpy(p->key.src, ip->src_addr, 16);
	memcpy(p->key.dst, ip->dst_addr, 16);
	return parse_l4(l3 + sizeof(*ip), hdr_avail - sizeof(*ip), p);
}

enum sg_dp_cnt
sg_dp_pkt_parse(struct rte_mbuf *m, struct sg_dp_pkt *p)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t hdr_avail = rte_pktmbuf_data_len(m);
	uint32_t frame = rte_pktmbuf_pkt_len(m);
	uint16_t et;

	memset(p, 0, sizeof(*p));
	if (hdr_avail > frame)
		hdr_avail = frame;
	if (hdr_avail < RTE_ETHER_HDR_LEN)
		return SG_DP_DROP_TRUNC_L2;
	p->l2_len = RTE_ETHER_HDR_LEN;
	et = (uint16_t)(d[12] << 8 | d[13]);
	if (likely(et == RTE_ETHER_TYPE_IPV4)) { /* the common case first: no tag */
		p->ethertype = et;
		return parse_ipv4(m, d + RTE_ETHER_HDR_LEN, hdr_avail - RTE_ETHER_HDR_LEN,
				  frame - RTE_ETHER_HDR_LEN, p);
	}
	if (et == RTE_ETHER_TYPE_IPV6) { /* untagged IPv6 next: no tag checks either */
		p->ethertype = et;
		return parse_ipv6(d + RTE_ETHER_HDR_LEN, hdr_avail - RTE_ETHER_HDR_LEN,
				  frame - RTE_ETHER_HDR_LEN, p);
	}
	if (et == RTE_ETHER_TYPE_VLAN) {
		if (hdr_avail < RTE_ETHER_HDR_LEN + 4)
			return SG_DP_DROP_TRUNC_L2;
		p->vlan = true;
		p->l2_len += 4;
		et = (uint16_t)(d[16] << 8 | d[17]);
		if (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ ||
		    et == RTE_ETHER_TYPE_QINQ1 || et == RTE_ETHER_TYPE_QINQ2)
			return SG_DP_DROP_VLAN;
	} else if (et == RTE_ETHER_TYPE_QINQ || et == RTE_ETHER_TYPE_QINQ1 ||
		   et == RTE_ETHER_TYPE_QINQ2) {
		return SG_DP_DROP_VLAN;
	}
	p->ethertype = et;
	switch (et) {
	case RTE_ETHER_TYPE_ARP:
		return SG_DP_CNT_MAX; /* validated by sg_dp_arp_input() */
	case RTE_ETHER_TYPE_IPV4:
		return parse_ipv4(m, d + p->l2_len, hdr_avail - p->l2_len, frame - p->l2_len, p);
	case RTE_ETHER_TYPE_IPV6:
		return parse_ipv6(d + p->l2_len, hdr_avail - p->l2_len, frame - p->l2_len, p);
	default:
		return SG_DP_DROP_ETHERTYPE;
	}
}
