/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP segments built by the data plane (sg_dp_tcpgen.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "core/csum.h"
#include "session/tcpgen.h"

#define LOCATION_MAX 2048

struct seg {
	uint8_t family;
	const uint8_t *src, *dst;
	uint16_t sport, dport; /* network order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opt;
	size_t opt_len; /* multiple of 4, <= 40 */
	const uint8_t *data;
	size_t data_len;
};

/* @p acc plus the @p n 32-bit words at @p p in memory order (one's complement sum, not folded) */
static inline uint64_t
sum32(const void *p, size_t n, uint64_t acc)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		uint32_t w;

		memcpy(&w, b + 4 * i, 4);
		acc += w;
	}
	return acc;
}

/* @p s folded to 16 bits: the same value as DPDK's reduce for the same words (s > 0) */
static inline uint16_t
fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return sg_dp_csum_fold((uint32_t)s);
}

/*
 * The IPv4 header's and the TCP checksum of a segment build() wrote (both
 * checksum fields 0), issue 17: the header's five words and the TCP
 * header's (l4 a multiple of 4) summed at once, as 32-bit words, instead of
 * rte_ipv4_cksum() and rte_ipv4_udptcp_cksum()'s byte-length loops; the
 * payload, at an even offset, through rte_raw_cksum(). One's complement
 * sums do not depend on the order or width of the words: the fields come
 * out byte for byte as DPDK's (test_dp_tcpgen compares both).
 */
static void
cksum4(struct rte_ipv4_hdr *ip, struct rte_tcp_hdr *th, size_t l4, size_t data_len)
{
	uint64_t acc;

	ip->hdr_checksum = (uint16_t)~fold64(sum32(ip, sizeof(*ip) / 4, 0));
	acc = sum32(th, l4 / 4, 0);
	acc += ip->src_addr;
	acc += ip->dst_addr;
	acc += rte_cpu_to_be_16(IPPROTO_TCP);
	acc += rte_cpu_to_be_16((uint16_t)(l4 + data_len));
	if (data_len > 0)
		acc += rte_raw_cksum((const uint8_t *)th + l4, data_len);
	th->cksum = (uint16_t)~fold64(acc);
}

/* Write IP + TCP (+ options, payload) at @p l2_len; set the mbuf's lengths. */
static int
build(struct rte_mbuf *m, uint16_t l2_len, const struct seg *s)
{
	size_t l3 =
		s->family == AF_INET ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	size_t l4 = sizeof(struct rte_tcp_hdr) + s->opt_len, total = l2_len + l3 + l4 + s->data_len;
	uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_tcp_hdr *th;

	if (s->family != AF_INET && s->family != AF_INET6)
		return -EINVAL;
	if (total > (size_t)m->buf_len - m->data_off || l3 + l4 + s->data_len > UINT16_MAX)
		return -ENOSPC;
	if (m->next != NULL) { /* keep only the first segment */
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	m->data_len = (uint16_t)total;
	m->pkt_len = (uint32_t)total;
	m->l2_len = l2_len;
	m->l3_len = l3;
	m->l4_len = l4;
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;

	th = (struct rte_tcp_hdr *)(b + l2_len + l3);
	th->src_port = s->sport;
	th->dst_port = s->dport;
	th->sent_seq = rte_cpu_to_be_32(s->seq);
	th->recv_ack = rte_cpu_to_be_32(s->ack);
	th->data_off = (uint8_t)((l4 / 4) << 4);
	th->tcp_flags = s->flags;
	th->rx_win = rte_cpu_to_be_16(s->win);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (s->opt_len > 0)
		memcpy(th + 1, s->opt, s->opt_len);
	if (s->data_len > 0)
		memcpy((uint8_t *)(th + 1) + s->opt_len, s->data, s->data_len);

	if (s->family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + l2_len);

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + s->data_len));
		ip->packet_id = 0;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = SG_DP_TCPGEN_TTL;
		ip->next_proto_id = IPPROTO_TCP;
		ip->hdr_checksum = 0;
		memcpy(&ip->src_addr, s->src, 4);
		memcpy(&ip->dst_addr, s->dst, 4);
		cksum4(ip, th, l4, s->data_len);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(b + l2_len);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + s->data_len));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = SG_DP_TCPGEN_TTL;
		memcpy(ip->src_addr, s->src, 16);
		memcpy(ip->dst_addr, s->dst, 16);
		th->cksum = rte_ipv6_udptcp_cksum(ip, th);
	}
	return 0;
}

/* Checks shared by the replies; swaps the MACs; fills the addressing of @p s. */
static int
reply_prepare(struct rte_mbuf *m, const struct sg_dp_pkt *p, struct seg *s,
	      const struct rte_tcp_hdr **rx)
{
	struct rte_ether_hdr *eh;
	struct rte_ether_addr tmp;

	if (p->key.proto != IPPROTO_TCP ||
	    (p->key.family != AF_INET && p->key.family != AF_INET6) ||
	    (uint32_t)p->l2_len + p->l3_len + sizeof(struct rte_tcp_hdr) >
		    rte_pktmbuf_data_len(m) ||
	    p->l2_len < sizeof(*eh))
		return -EINVAL;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	*rx = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, p->l2_len + p->l3_len);
	memset(s, 0, sizeof(*s));
	s->family = p->key.family;
	s->src = p->key.dst;
	s->dst = p->key.src;
	s->sport = p->key.dport;
	s->dport = p->key.sport;
	tmp = eh->src_addr;
	eh->src_addr = eh->dst_addr;
	eh->dst_addr = tmp;
	return 0;
}

/* reply_prepare(), then the sequence numbers, flags and window of @p s. */
static int
reply_start(struct rte_mbuf *m, const struct sg_dp_pkt *p, struct seg *s, uint32_t seq,
	    uint32_t ack, uint8_t flags, uint16_t win)
{
	const struct rte_tcp_hdr *rx;
	int rc = reply_prepare(m, p, s, &rx);

	if (rc != 0)
		return rc;
	s->seq = seq;
	s->ack = ack;
	s->flags = flags;
	s->win = win;
	return 0;
}

int
sg_dp_tcpgen_synack(struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t seq, uint32_t ack,
		    uint16_t win, const struct sg_dp_tcp_opts *o)
{
	uint8_t opt[SG_DP_TCPOPT_SYNACK_MAX];
	struct seg s;
	int rc = reply_start(m, p, &s, seq, ack, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, win);

	if (rc != 0)
		return rc;
	s.opt = opt;
	s.opt_len = o != NULL ? sg_dp_tcpopt_write_synack(opt, sizeof(opt), o) : 0;
	return build(m, p->l2_len, &s);
}

int
sg_dp_tcpgen_ack(struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t seq, uint32_t ack,
		 uint16_t win)
{
	return sg_dp_tcpgen_data(m, p, seq, ack, win, NULL, 0, false);
}

int
sg_dp_tcpgen_data(struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t seq, uint32_t ack,
		  uint16_t win, const uint8_t *data, uint16_t len, bool fin)
{
	uint8_t flags = (uint8_t)(RTE_TCP_ACK_FLAG | (len > 0 ? RTE_TCP_PSH_FLAG : 0) |
				  (fin ? RTE_TCP_FIN_FLAG : 0));
	struct seg s;
	int rc = reply_start(m, p, &s, seq, ack, flags, win);

	if (rc != 0)
		return rc;
	s.data = data;
	s.data_len = data != NULL ? len : 0;
	return build(m, p->l2_len, &s);
}

int
sg_dp_tcpgen_rst(struct rte_mbuf *m, const struct sg_dp_pkt *p)
{
	const struct rte_tcp_hdr *rx;
	struct seg s;
	int rc = reply_prepare(m, p, &s, &rx);
	uint8_t flags;
	uint32_t doff, seg_len;

	if (rc != 0)
		return rc;
	flags = rx->tcp_flags;
	doff = (rx->data_off >> 4) * 4u;
	seg_len = p->l4_len > doff ? p->l4_len - doff : 0;
	if (flags & RTE_TCP_SYN_FLAG)
		seg_len++;
	if (flags & RTE_TCP_FIN_FLAG)
		seg_len++;
	if (flags & RTE_TCP_ACK_FLAG) {
		s.seq = rte_be_to_cpu_32(rx->recv_ack);
		s.flags = RTE_TCP_RST_FLAG;
	} else {
		s.ack = rte_be_to_cpu_32(rx->sent_seq) + seg_len;
		s.flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	return build(m, p->l2_len, &s);
}

int
sg_dp_tcpgen_syn(struct rte_mbuf *m, const struct rte_ether_addr *smac,
		 const struct rte_ether_addr *dmac, const struct sg_dp_flow_key *k, uint32_t isn,
		 uint16_t win, const struct sg_dp_tcp_opts *o)
{
	return sg_dp_tcpgen_syn_data(m, smac, dmac, k, isn, win, o, NULL, 0);
}

/*
 * A segment built into the empty @p m: Ethernet from @p smac to @p dmac,
 * @p k's addressing, @p flags, sequence number @p seq, window @p win, the
 * SYN options of @p o (NULL: none) and @p len bytes of @p data.
 */
static int
empty_build(struct rte_mbuf *m, const struct rte_ether_addr *smac,
	    const struct rte_ether_addr *dmac, const struct sg_dp_flow_key *k, uint32_t seq,
	    uint8_t flags, uint16_t win, const struct sg_dp_tcp_opts *o, const uint8_t *data,
	    uint16_t len)
{
	uint8_t opt[SG_DP_TCPOPT_SYNACK_MAX];
	struct rte_ether_hdr *eh;
	struct seg s;

	if (k->family != AF_INET && k->family != AF_INET6)
		return -EINVAL;
	if (rte_pktmbuf_pkt_len(m) != 0)
		return -EINVAL;
	if (rte_pktmbuf_tailroom(m) < sizeof(*eh))
		return -ENOSPC;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eh->dst_addr = *dmac;
	eh->src_addr = *smac;
	eh->ether_type =
		rte_cpu_to_be_16(k->family == AF_INET ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	memset(&s, 0, sizeof(s));
	s.family = k->family;
	s.src = k->src;
	s.dst = k->dst;
	s.sport = k->sport;
	s.dport = k->dport;
	s.seq = seq;
	s.flags = flags;
	s.win = win;
	s.opt = opt;
	/* a SYN's options have the same layout as a SYN-ACK's (TSecr 0) */
	if (o != NULL) {
		struct sg_dp_tcp_opts so = *o;

		so.tsecr = 0;
		s.opt_len = sg_dp_tcpopt_write_synack(opt, sizeof(opt), &so);
	}
	s.data = data;
	s.data_len = data != NULL ? len : 0;
	return build(m, sizeof(*eh), &s);
}

int
sg_dp_tcpgen_syn_data(struct rte_mbuf *m, const struct rte_ether_addr *smac,
		      const struct rte_ether_addr *dmac, const struct sg_dp_flow_key *k,
		      uint32_t isn, uint16_t win, const struct sg_dp_tcp_opts *o,
		      const uint8_t *data, uint16_t len)
{
	return empty_build(m, smac, dmac, k, isn, RTE_TCP_SYN_FLAG, win, o, data, len);
}

int
sg_dp_tcpgen_rst_to(struct rte_mbuf *m, const struct rte_ether_addr *smac,
		    const struct rte_ether_addr *dmac, const struct sg_dp_flow_key *k, uint32_t seq)
{
	return empty_build(m, smac, dmac, k, seq, RTE_TCP_RST_FLAG, 0, NULL, NULL, 0);
}

size_t
sg_dp_http_503(char *buf, size_t cap, uint32_t retry_after_s)
{
	int n = snprintf(buf, cap,
			 "HTTP/1.1 503 Service Unavailable\r\nRetry-After: %u\r\n"
			 "Content-Length: 0\r\nConnection: close\r\n\r\n",
			 (unsigned int)retry_after_s);

	return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
}

size_t
sg_dp_http_307(char *buf, size_t cap, const char *location, size_t loc_len)
{
	size_t i;
	int n;

	if (loc_len == 0 || loc_len > LOCATION_MAX)
		return 0;
	for (i = 0; i < loc_len; i++)
		if ((uint8_t)location[i] < 0x21 || (uint8_t)location[i] > 0x7e)
			return 0;
	n = snprintf(buf, cap,
		     "HTTP/1.1 307 Temporary Redirect\r\nLocation: %.*s\r\n"
		     "Content-Length: 0\r\nConnection: close\r\n\r\n",
		     (int)loc_len, location);
	return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
}
