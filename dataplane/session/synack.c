/* SPDX-License-Identifier: BSD-3-Clause */
/* Prebuilt SYN-ACK templates (synack.h). */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "session/synack.h"
#include "session/tcpgen.h"

#define TCP_HDR	 20u
#define OPT_TS	 1u /* layout bits (SG_DP_SYNACK_LAYOUT): timestamps, SACK, window scale */
#define OPT_SACK 2u
#define OPT_WS	 4u
#define LAYOUTS	 8u
#define HDR_MAX	 SG_DP_SYNACK_HDR_MAX(AF_INET6) /* IPv6 + TCP + the longest options */

/* One family's headers with one option layout, variable fields zero. */
struct tmpl {
	uint8_t hdr[HDR_MAX];
	uint16_t l3, l4;
	uint16_t ws_off;  /* offset of the window scale byte in the TCP header */
	uint32_t ip_sum;  /* IPv4 header bytes (no addresses) */
	uint32_t tcp_sum; /* TCP header and options + pseudo-header proto and length */
};

static struct tmpl tmpls[2][LAYOUTS];

/* Sum of the 16-bit words of @p len (even) bytes, as stored. */
static uint32_t
words_sum(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	uint32_t sum = 0;
	uint16_t v;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&v, b + i, 2);
		sum += v;
	}
	return sum;
}

static void
tmpl_make(struct tmpl *t, int family, unsigned int layout)
{
	struct sg_dp_tcp_opts o = {
		.mss = 1, /* any nonzero: the field is written as zero below */
		.has_ts = (layout & OPT_TS) != 0,
		.sack_ok = (layout & OPT_SACK) != 0,
		.has_wscale = (layout & OPT_WS) != 0,
	};
	struct rte_tcp_hdr *th;
	uint8_t *opt;
	size_t n;

	memset(t, 0, sizeof(*t));
	t->l3 = family == AF_INET ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	th = (struct rte_tcp_hdr *)(t->hdr + t->l3);
	opt = (uint8_t *)(th + 1);
	n = sg_dp_tcpopt_write_synack(opt, SG_DP_TCPOPT_SYNACK_MAX, &o);
	opt[2] = opt[3] = 0; /* MSS: patched */
	if (o.has_wscale)
		t->ws_off = (uint16_t)(TCP_HDR + n - 1);
	t->l4 = (uint16_t)(TCP_HDR + n);
	th->data_off = (uint8_t)((t->l4 / 4) << 4);
	th->tcp_flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
	if (family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)t->hdr;

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(t->l3 + t->l4));
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = SG_DP_TCPGEN_TTL;
		ip->next_proto_id = IPPROTO_TCP;
		t->ip_sum = words_sum(ip, t->l3);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)t->hdr;

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(t->l4);
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = SG_DP_TCPGEN_TTL;
	}
	t->tcp_sum = words_sum(th, t->l4) + rte_cpu_to_be_16(IPPROTO_TCP) + rte_cpu_to_be_16(t->l4);
}

RTE_INIT(synack_tmpls_init)
{
	unsigned int l;

	for (l = 0; l < LAYOUTS; l++) {
		tmpl_make(&tmpls[0][l], AF_INET, l);
		tmpl_make(&tmpls[1][l], AF_INET6, l);
	}
}

/* The complemented checksum of the word sum @p s. */
static inline uint16_t
csum_fin(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)~s;
}

static inline uint64_t
addr_sum(const uint8_t *a, unsigned int n32)
{
	uint64_t s = 0;
	uint32_t v;
	unsigned int i;

	for (i = 0; i < n32; i++) {
		memcpy(&v, a + 4 * i, 4);
		s += v;
	}
	return s;
}

/*
 * The headers of the SYN-ACK from template @p t at @p ip (room checked):
 * @p v6 a constant in each caller, so that every copy has a fixed size.
 */
static inline void
fill(uint8_t *ip, const struct tmpl *t, const struct sg_dp_pkt *p, uint32_t seq, uint32_t ack,
     uint16_t win, const struct sg_dp_tcp_opts *o, const bool v6, const bool room)
{
	const unsigned int alen = v6 ? 16 : 4, aoff = v6 ? 8 : 12;
	struct rte_tcp_hdr *th;
	uint8_t *opt;
	uint64_t sum;
	uint32_t v32;

	if (room) /* the whole template, a fixed size; bytes past the SYN-ACK do not count */
		memcpy(ip, t->hdr, v6 ? sizeof(t->hdr) : sizeof(t->hdr) - 40);
	else
		memcpy(ip, t->hdr, t->l3 + t->l4);
	/* addresses: ours is the SYN's destination; src and dst lie side by side */
	memcpy(ip + aoff, p->key.dst, alen);
	memcpy(ip + aoff + alen, p->key.src, alen);
	sum = addr_sum(ip + aoff, 2 * alen / 4);
	if (!v6)
		((struct rte_ipv4_hdr *)ip)->hdr_checksum = csum_fin(sum + t->ip_sum);

	th = (struct rte_tcp_hdr *)(ip + (v6 ? sizeof(struct rte_ipv6_hdr)
					     : sizeof(struct rte_ipv4_hdr)));
	opt = (uint8_t *)(th + 1);
	th->src_port = p->key.dport;
	th->dst_port = p->key.sport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->rx_win = rte_cpu_to_be_16(win);
	sum += t->tcp_sum + (uint64_t)th->src_port + th->dst_port + th->sent_seq + th->recv_ack +
	       th->rx_win;
	v32 = rte_cpu_to_be_16(o->mss);
	memcpy(opt + 2, &v32, 2);
	sum += (uint16_t)v32;
	if (o->has_ts) {
		v32 = rte_cpu_to_be_32(o->tsval);
		memcpy(opt + 8, &v32, 4);
		sum += v32;
		v32 = rte_cpu_to_be_32(o->tsecr);
		memcpy(opt + 12, &v32, 4);
		sum += v32;
	}
	if (o->has_wscale) {
		uint8_t ws = o->wscale > SG_DP_TCP_WSCALE_MAX ? SG_DP_TCP_WSCALE_MAX : o->wscale;

		((uint8_t *)th)[t->ws_off] = ws;
		sum += rte_cpu_to_be_16(ws); /* the low byte of its 16-bit word */
	}
	th->cksum = csum_fin(sum);
}

int
sg_dp_synack_check(const struct rte_mbuf *m, const struct sg_dp_pkt *p,
		   const struct sg_dp_tcp_opts *o)
{
	bool v6 = p->key.family == AF_INET6;
	const struct tmpl *t = &tmpls[v6][SG_DP_SYNACK_LAYOUT(o)];

	if (p->key.proto != IPPROTO_TCP || (!v6 && p->key.family != AF_INET) || o->mss == 0 ||
	    (uint32_t)p->l2_len + p->l3_len + TCP_HDR > rte_pktmbuf_data_len(m) ||
	    p->l2_len < sizeof(struct rte_ether_hdr))
		return -EINVAL;
	if ((uint32_t)p->l2_len + t->l3 + t->l4 > (uint32_t)m->buf_len - m->data_off)
		return -ENOSPC;
	return 0;
}

/*
 * sg_dp_synack_build() of a checked SYN (sg_dp_synack_check()) from the
 * template of option layout @p layout; @p room: the mbuf holds the longest
 * SYN-ACK of the family.
 */
static inline void
build(struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t seq, uint32_t ack, uint16_t win,
      const struct sg_dp_tcp_opts *o, unsigned int layout, bool room)
{
	bool v6 = p->key.family == AF_INET6;
	const struct tmpl *t = &tmpls[v6][layout];
	uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t total = (uint32_t)p->l2_len + t->l3 + t->l4;
	struct rte_ether_addr tmp;
	struct rte_ether_hdr *eh;

	eh = (struct rte_ether_hdr *)b;
	tmp = eh->src_addr;
	eh->src_addr = eh->dst_addr;
	eh->dst_addr = tmp;
	if (unlikely(m->next != NULL)) { /* keep only the first segment */
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	m->data_len = (uint16_t)total;
	m->pkt_len = total;
	m->l2_len = p->l2_len;
	m->l3_len = t->l3;
	m->l4_len = t->l4;
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	if (v6)
		fill(b + p->l2_len, t, p, seq, ack, win, o, true, room);
	else
		fill(b + p->l2_len, t, p, seq, ack, win, o, false, room);
}

int
sg_dp_synack_build(struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t seq, uint32_t ack,
		   uint16_t win, const struct sg_dp_tcp_opts *o)
{
	int rc = sg_dp_synack_check(m, p, o);

	if (rc != 0)
		return rc;
	build(m, p, seq, ack, win, o, SG_DP_SYNACK_LAYOUT(o),
	      (uint32_t)p->l2_len + SG_DP_SYNACK_HDR_MAX(p->key.family) <=
		      (uint32_t)m->buf_len - m->data_off);
	return 0;
}

void
sg_dp_synack_fill_burst(const struct sg_dp_synack_req *r, unsigned int n, uint16_t win)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		build(r[i].m, r[i].p, r[i].seq, r[i].ack, win, &r[i].o, r[i].layout, r[i].room);
}
