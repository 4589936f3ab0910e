/* SPDX-License-Identifier: BSD-3-Clause */
/* The hand-off SYN to a VM from the last one as a template (vmsyn.h). */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "session/tcpgen.h"
#include "session/vmsyn.h"

#define L_V6   1u /* layout bits: family, then which SYN options are there */
#define L_MSS  2u
#define L_TS   4u
#define L_SACK 8u
#define L_WS   16u

static uint8_t
layout_of(const struct sg_dp_flow_key *k, const struct sg_dp_tcp_opts *o)
{
	uint8_t l = k->family == AF_INET6 ? L_V6 : 0;

	if (o == NULL)
		return l;
	return (uint8_t)(l | (o->mss != 0 ? L_MSS : 0) | (o->has_ts ? L_TS : 0) |
			 (o->sack_ok ? L_SACK : 0) | (o->has_wscale ? L_WS : 0));
}

/* Does the last SYN differ from this one only in the fields patched? */
static bool
fits(const struct sg_dp_vmsyn *t, const struct rte_ether_addr *smac,
     const struct rte_ether_addr *dmac, const struct sg_dp_flow_key *k, uint16_t win,
     uint8_t layout)
{
	/* the addresses: at 12 in an IPv4 header, at 8 in an IPv6 one (sizes fixed: inlined) */
	const uint8_t *ip = t->frame + RTE_ETHER_HDR_LEN;
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(ip + t->l3_len);

	if (t->len == 0 || t->layout != layout || t->win != win || th->dst_port != k->dport ||
	    !rte_is_same_ether_addr((const struct rte_ether_addr *)t->frame, dmac) ||
	    !rte_is_same_ether_addr((const struct rte_ether_addr *)(t->frame + 6), smac))
		return false;
	if (k->family == AF_INET)
		return memcmp(ip + 12, k->src, 4) == 0 && memcmp(ip + 16, k->dst, 4) == 0;
	return memcmp(ip + 8, k->src, 16) == 0 && memcmp(ip + 24, k->dst, 16) == 0;
}

/*
 * Write the @p n bytes of @p v at @p off in the TCP header @p th and add
 * the change of the 16-bit words they touch to @p acc, the one's
 * complement sum of the old checksum's complement (RFC 1624, eqn. 3).
 */
static void
patch(uint8_t *th, uint32_t *acc, uint16_t off, const void *v, uint16_t n)
{
	uint16_t a = (uint16_t)(off & ~1u), e = (uint16_t)((off + n + 1u) & ~1u), i, w;

	for (i = a; i < e; i += 2) {
		memcpy(&w, th + i, 2);
		*acc += (uint16_t)~w;
	}
	memcpy(th + off, v, n);
	for (i = a; i < e; i += 2) {
		memcpy(&w, th + i, 2);
		*acc += w;
	}
}

/* After a full build: @p m's frame becomes the template, its option offsets found. */
static void
keep(struct sg_dp_vmsyn *t, const struct rte_mbuf *m, uint16_t win, uint8_t layout)
{
	const uint8_t *th;
	uint16_t i;

	if (rte_pktmbuf_data_len(m) > sizeof(t->frame)) {
		t->len = 0;
		return;
	}
	memcpy(t->frame, rte_pktmbuf_mtod(m, const void *), rte_pktmbuf_data_len(m));
	t->len = rte_pktmbuf_data_len(m);
	t->l3_len = (uint16_t)m->l3_len;
	t->l4_len = (uint16_t)m->l4_len;
	t->win = win;
	t->layout = layout;
	t->mss_off = t->ts_off = t->ws_off = 0;
	th = t->frame + RTE_ETHER_HDR_LEN + t->l3_len;
	for (i = sizeof(struct rte_tcp_hdr); i < t->l4_len;) {
		if (th[i] == SG_DP_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (th[i] == SG_DP_TCPOPT_MSS)
			t->mss_off = (uint16_t)(i + 2);
		else if (th[i] == SG_DP_TCPOPT_TS)
			t->ts_off = (uint16_t)(i + 2);
		else if (th[i] == SG_DP_TCPOPT_WSCALE)
			t->ws_off = (uint16_t)(i + 2);
		if (i + 1 >= t->l4_len || th[i + 1] < 2)
			break; /* cannot happen: the options were written by tcpopt.c */
		i = (uint16_t)(i + th[i + 1]);
	}
}

int
sg_dp_vmsyn_build(struct sg_dp_vmsyn *t, struct rte_mbuf *m, const struct rte_ether_addr *smac,
		  const struct rte_ether_addr *dmac, const struct sg_dp_flow_key *k, uint32_t isn,
		  uint16_t win, const struct sg_dp_tcp_opts *o)
{
	uint8_t layout = layout_of(k, o);
	struct rte_tcp_hdr *th;
	uint32_t acc, v32;
	uint16_t v16;
	uint8_t *b;
	int rc;

	if (!fits(t, smac, dmac, k, win, layout) || rte_pktmbuf_pkt_len(m) != 0 ||
	    rte_pktmbuf_tailroom(m) < t->len) {
		rc = sg_dp_tcpgen_syn(m, smac, dmac, k, isn, win, o);
		if (rc == 0)
			keep(t, m, win, layout);
		return rc;
	}
	b = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(b, t->frame, t->len);
	th = (struct rte_tcp_hdr *)(b + RTE_ETHER_HDR_LEN + t->l3_len);
	acc = (uint16_t)~th->cksum;
	patch((uint8_t *)th, &acc, offsetof(struct rte_tcp_hdr, src_port), &k->sport, 2);
	v32 = rte_cpu_to_be_32(isn);
	patch((uint8_t *)th, &acc, offsetof(struct rte_tcp_hdr, sent_seq), &v32, 4);
	if (t->mss_off != 0) {
		v16 = rte_cpu_to_be_16(o->mss);
		patch((uint8_t *)th, &acc, t->mss_off, &v16, 2);
	}
	if (t->ts_off != 0) {
		v32 = rte_cpu_to_be_32(o->tsval);
		patch((uint8_t *)th, &acc, t->ts_off, &v32, 4);
	}
	if (t->ws_off != 0)
		patch((uint8_t *)th, &acc, t->ws_off, &o->wscale, 1);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	th->cksum = (uint16_t)~acc;
	m->data_len = t->len;
	m->pkt_len = t->len;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = t->l3_len;
	m->l4_len = t->l4_len;
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	return 0;
}
