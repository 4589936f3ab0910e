/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors quoting a flow, relayed to whom sent the quoted packet
 * (icmprelay.h). The quote is parsed within the first segment and bounded
 * by the ICMP message; the flow is looked up by the quoted tuple reversed:
 *
 *  - the quote is a packet the data plane (NAT) or a member (DSR) sent to a
 *    client, VIP -> client: the reversed tuple is the flow's key. NAT: the
 *    quote becomes member -> NAT address (what the member sent), the outer
 *    destination the member. DSR: the error is encapsulated to the member's
 *    host, as the client's data packets are.
 *  - the quote is a packet NAT sent to a member, NAT address -> member: the
 *    reversed tuple is the flow's return key. The quote becomes client ->
 *    VIP (what the client sent), the outer destination the client.
 *
 * Quoted IPv4 header and L4 checksums are updated (the L4 one when the
 * quote holds it), the ICMP checksum recomputed, the TTL decremented. The
 * outer source (the router that reported) is kept. Flows whose sequence
 * numbers the data plane translates (brokered hand-offs) are not relayed:
 * the quoted sequence numbers would not be the member's.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "core/csum.h"
#include "core/encap.h"
#include "core/flow.h"
#include "core/icmprelay.h"
#include "core/tx.h"

#define ICMP4_UNREACH  3
#define ICMP4_TIME_EXC 11
#define ICMP6_UNREACH  1
#define ICMP6_TOO_BIG  2
#define ICMP6_TIME_EXC 3
#define ICMP_HDR_LEN   8
#define QUOTE_L4_MIN   8 /* ports (and the UDP checksum) */
#define TCP_CSUM_OFF   16
#define UDP_CSUM_OFF   6

/* The quoted packet: its IP header, the start of its L4 header and tuple. */
struct quote {
	uint8_t *ip;
	uint8_t *l4;
	unsigned int l4_avail; /* quoted L4 bytes */
	struct sg_dp_flow_key k;
};

bool
sg_dp_icmp_is_error(const struct rte_mbuf *m, const struct sg_dp_pkt *p)
{
	uint8_t type = *rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l2_len + p->l3_len);

	if (p->key.proto == IPPROTO_ICMP)
		return type == ICMP4_UNREACH || type == ICMP4_TIME_EXC;
	return type == ICMP6_UNREACH || type == ICMP6_TOO_BIG || type == ICMP6_TIME_EXC;
}

/* Parse the quote of @p len bytes at @p q (family @p family); false if malformed. */
static bool
quote_parse(uint8_t *q, unsigned int len, uint8_t family, struct quote *o)
{
	unsigned int hl, al = family == AF_INET ? 4 : 16;
	uint8_t proto;

	memset(o, 0, sizeof(*o));
	if (family == AF_INET) {
		hl = sizeof(struct rte_ipv4_hdr);
		if (len < hl + QUOTE_L4_MIN || q[0] != 0x45) /* IPv4 without options */
			return false;
		proto = q[9];
		memcpy(o->k.src, q + 12, al);
		memcpy(o->k.dst, q + 16, al);
	} else {
		hl = sizeof(struct rte_ipv6_hdr);
		if (len < hl + QUOTE_L4_MIN || (q[0] >> 4) != 6) /* no extension headers */
			return false;
		proto = q[6];
		memcpy(o->k.src, q + 8, al);
		memcpy(o->k.dst, q + 24, al);
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return false;
	o->ip = q;
	o->l4 = q + hl;
	o->l4_avail = len - hl;
	memcpy(&o->k.sport, o->l4, 2);
	memcpy(&o->k.dport, o->l4 + 2, 2);
	o->k.proto = proto;
	o->k.family = family;
	return true;
}

/* Token bucket (GCRA): SG_DP_ICMP_RELAY_RATE a second, a burst of SG_DP_ICMP_RELAY_BURST. */
static bool
relay_allowed(struct sg_dp_worker *w, uint64_t now)
{
	return sg_dp_rate_allow(w, &w->icmp_relay_tat, now, SG_DP_ICMP_RELAY_RATE,
				SG_DP_ICMP_RELAY_BURST);
}

/* Rewrite the quote's addresses and ports to (@p src:@p sp -> @p dst:@p dp). */
static void
quote_rewrite(struct quote *q, const uint8_t *src, uint16_t sp, const uint8_t *dst, uint16_t dp)
{
	bool v4 = q->k.family == AF_INET;
	unsigned int al = v4 ? 4 : 16,
		     ck_off = q->k.proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF;
	uint8_t *s = q->ip + (v4 ? 12 : 8), *d = q->ip + (v4 ? 16 : 24);
	bool l4ck = q->l4_avail >= ck_off + 2u;
	uint16_t ck = 0;

	if (l4ck)
		memcpy(&ck, q->l4 + ck_off, 2);
	l4ck = l4ck && !(q->k.proto == IPPROTO_UDP && v4 && ck == 0); /* no UDP checksum */
	if (l4ck) {
		ck = sg_dp_csum_replace(ck, s, src, al);
		ck = sg_dp_csum_replace(ck, d, dst, al);
		ck = sg_dp_csum_replace(ck, q->l4, &sp, 2);
		ck = sg_dp_csum_replace(ck, q->l4 + 2, &dp, 2);
		memcpy(q->l4 + ck_off, &ck, 2);
	}
	memcpy(s, src, al);
	memcpy(d, dst, al);
	memcpy(q->l4, &sp, 2);
	memcpy(q->l4 + 2, &dp, 2);
	if (v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)q->ip;

		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
}

/* New outer destination @p dst, TTL - 1, ICMP checksum over the whole message. */
static void
outer_rewrite(struct rte_mbuf *m, const struct sg_dp_pkt *p, const uint8_t *dst)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l2_len);
	uint8_t *icmp = l3 + p->l3_len;
	uint16_t ck;

	icmp[2] = icmp[3] = 0;
	if (p->key.family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		memcpy(&ip->dst_addr, dst, 4);
		ip->time_to_live--;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		ck = (uint16_t)~rte_raw_cksum(icmp, p->l4_len);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		memcpy(ip->dst_addr, dst, 16);
		ip->hop_limits--;
		ck = rte_ipv6_udptcp_cksum(ip, icmp);
	}
	memcpy(icmp + 2, &ck, 2);
}

enum sg_dp_cnt
sg_dp_icmp_relay(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct rte_mbuf *m,
		 const struct sg_dp_pkt *p, uint64_t now, uint16_t *out_port)
{
	uint8_t *icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l2_len + p->l3_len);
	struct rte_ether_addr mac;
	struct sg_dp_flow_key r;
	struct sg_dp_flow *f;
	struct quote q;
	enum sg_dp_cnt rc;
	bool ret;

	if (m->nb_segs != 1 || rte_pktmbuf_data_len(m) < p->l2_len + p->ip_len ||
	    p->l4_len > SG_DP_ICMP_RELAY_MAX ||
	    !quote_parse(icmp + ICMP_HDR_LEN, p->l4_len - ICMP_HDR_LEN, p->key.family, &q))
		return SG_DP_DROP_ICMP_BAD;
	memset(&r, 0, sizeof(r));
	memcpy(r.src, q.k.dst, sizeof(r.src));
	memcpy(r.dst, q.k.src, sizeof(r.dst));
	r.sport = q.k.dport;
	r.dport = q.k.sport;
	r.proto = q.k.proto;
	r.family = q.k.family;
	f = sg_dp_flow_lookup(&w->ft, &r);
	if (f == NULL || (f->flags & SG_DP_FLOW_SEQ))
		return SG_DP_DROP_ICMP_NOFLOW;
	ret = (f->flags & SG_DP_FLOW_NAT) && memcmp(&f->rkey, &r, sizeof(r)) == 0;
	if (f->mode == SG_CFG_MODE_DSR && !ret) {
		if (!relay_allowed(w, now))
			return SG_DP_DROP_ICMP_RATELIMITED;
		rc = sg_dp_resolve_cached(w, t, &f->rt_to, f->host.family, f->host.a, now, out_port,
					  &mac);
		return rc == SG_DP_CNT_MAX ? sg_dp_encap(m, p, f, t, *out_port, &mac) : rc;
	}
	if (!(f->flags & SG_DP_FLOW_NAT))
		return SG_DP_DROP_ICMP_NOFLOW;
	if (p->ttl <= 1)
		return SG_DP_DROP_IP_TTL;
	if (!relay_allowed(w, now))
		return SG_DP_DROP_ICMP_RATELIMITED;
	if (ret) { /* about NAT -> member: back to the client, as client -> VIP */
		rc = sg_dp_resolve_cached(w, t, &f->rt_back, f->key.family, f->key.src, now,
					  out_port, &mac);
		if (rc != SG_DP_CNT_MAX)
			return rc;
		quote_rewrite(&q, f->key.src, f->key.sport, f->key.dst, f->key.dport);
		outer_rewrite(m, p, f->key.src);
	} else { /* about VIP -> client: to the member, as member -> NAT address */
		rc = sg_dp_resolve_cached(w, t, &f->rt_to, f->member.family, f->member.a, now,
					  out_port, &mac);
		if (rc != SG_DP_CNT_MAX)
			return rc;
		quote_rewrite(&q, f->member.a, f->mport, f->nat.a, f->nat_port);
		outer_rewrite(m, p, f->member.a);
	}
	sg_dp_l2_rewrite(m, p, &t->ports[*out_port].mac, &mac);
	return SG_DP_CNT_MAX;
}
