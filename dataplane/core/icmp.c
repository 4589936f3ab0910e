/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP and ICMPv6 echo: requests to VIPs and own addresses are answered in
 * place (addresses swapped, TTL 64, type changed, checksums updated) and
 * sent back out of the receiving port to the sender's MAC. Every other
 * ICMP message to us is counted as icmp_bad (unanswered).
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "core/csum.h"
#include "core/icmp.h"
#include "core/tx.h"

#define ICMP_ECHO_REPLY	   0
#define ICMP_ECHO_REQUEST  8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY   129
#define ECHO_TTL	   64

enum sg_dp_cnt
sg_dp_icmp_input(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct rte_mbuf *m,
		 const struct sg_dp_pkt *p, uint16_t port, const struct sg_dp_addr_info *ai)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l2_len);
	uint8_t *icmp = l3 + p->l3_len;
	uint8_t oldw[2], neww[2];
	uint16_t ck;

	if (!(ai->kinds & (SG_DP_ADDR_VIP | SG_DP_ADDR_OWN)))
		return SG_DP_DROP_ICMP_BAD; /* NAT-only address: not answered */
	if (m->nb_segs != 1 || rte_pktmbuf_data_len(m) < p->l2_len + p->ip_len)
		return SG_DP_DROP_ICMP_BAD;
	memcpy(oldw, icmp, 2);
	if (p->key.family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		if (icmp[0] != ICMP_ECHO_REQUEST || icmp[1] != 0)
			return SG_DP_DROP_ICMP_BAD;
		if (rte_raw_cksum(icmp, p->l4_len) != 0xffff)
			return SG_DP_DROP_ICMP_BAD;
		ip->dst_addr = ip->src_addr;
		memcpy(&ip->src_addr, p->key.dst, 4);
		ip->time_to_live = ECHO_TTL;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		icmp[0] = ICMP_ECHO_REPLY;
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		if (icmp[0] != ICMP6_ECHO_REQUEST || icmp[1] != 0)
			return SG_DP_DROP_ICMP_BAD;
		if (rte_ipv6_udptcp_cksum_verify(ip, icmp) != 0)
			return SG_DP_DROP_ICMP_BAD;
		/* swapping the addresses leaves the pseudo-header sum unchanged */
		memcpy(ip->dst_addr, p->key.src, 16);
		memcpy(ip->src_addr, p->key.dst, 16);
		ip->hop_limits = ECHO_TTL;
		icmp[0] = ICMP6_ECHO_REPLY;
	}
	memcpy(neww, icmp, 2);
	memcpy(&ck, icmp + 2, 2);
	ck = sg_dp_csum_replace(ck, oldw, neww, 2);
	memcpy(icmp + 2, &ck, 2);
	eh->dst_addr = eh->src_addr;
	eh->src_addr = t->ports[port].mac;
	w->stats.cnt[SG_DP_EV_ICMP_REPLY]++;
	return SG_DP_CNT_MAX;
}

#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED  4
#define ICMP6_PKT_TOO_BIG 2
#define ICMP6_MIN_MTU	  1280

#define ICMP_PORT_UNREACH  3
#define ICMP6_DST_UNREACH  1
#define ICMP6_PORT_UNREACH 4

/*
 * Turn @p m into an ICMP / ICMPv6 error from its destination to its source
 * quoting @p quote bytes of it: type/code @p t4/@p c4 (IPv4) or @p t6/@p c6,
 * the 32-bit field after the checksum @p info (IPv4: its low 16 bits).
 */
static enum sg_dp_cnt
icmp_error(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct rte_mbuf *m,
	   const struct sg_dp_pkt *p, uint8_t t4, uint8_t c4, uint8_t t6, uint8_t c6, uint32_t info,
	   unsigned int quote, uint64_t now, uint16_t *out_port)
{
	bool v4 = p->key.family == AF_INET;
	unsigned int ih = v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	unsigned int hdr = RTE_ETHER_HDR_LEN + ih + 8;
	struct rte_ether_addr mac;
	struct rte_ether_hdr *eh;
	uint8_t *icmp;
	enum sg_dp_cnt rc;
	uint16_t ck;

	rc = sg_dp_resolve(w, t, p->key.family, p->key.src, now, out_port, &mac);
	if (rc != SG_DP_CNT_MAX)
		return rc;
	if (rte_pktmbuf_headroom(m) + p->l2_len < hdr)
		return SG_DP_DROP_HEADROOM;

	/* [l2][original IP ...] -> [eth][ip][icmp][first `quote` bytes of the original] */
	rte_pktmbuf_adj(m, p->l2_len);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - quote));
	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, (uint16_t)hdr);
	icmp = (uint8_t *)eh + RTE_ETHER_HDR_LEN + ih;
	eh->dst_addr = mac;
	eh->src_addr = t->ports[*out_port].mac;
	memset(icmp, 0, 8);
	icmp[4] = (uint8_t)(info >> 24);
	icmp[5] = (uint8_t)(info >> 16);
	icmp[6] = (uint8_t)(info >> 8);
	icmp[7] = (uint8_t)info;
	if (v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(ih + 8 + quote));
		ip->time_to_live = ECHO_TTL;
		ip->next_proto_id = IPPROTO_ICMP;
		memcpy(&ip->src_addr, p->key.dst, 4); /* from the VIP the client talks to */
		memcpy(&ip->dst_addr, p->key.src, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		icmp[0] = t4;
		icmp[1] = c4;
		ck = (uint16_t)~rte_raw_cksum(icmp, 8 + quote);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eh + 1);

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(8 + quote));
		ip->proto = IPPROTO_ICMPV6;
		ip->hop_limits = ECHO_TTL;
		memcpy(ip->src_addr, p->key.dst, 16);
		memcpy(ip->dst_addr, p->key.src, 16);
		icmp[0] = t6;
		icmp[1] = c6;
		ck = rte_ipv6_udptcp_cksum(ip, icmp);
	}
	memcpy(icmp + 2, &ck, 2);
	return SG_DP_CNT_MAX;
}

/* RFC 792: the header and 64 bits of data; RFC 4443 2.4: as much as fits 1280 bytes. */
static unsigned int
icmp_quote(const struct sg_dp_pkt *p)
{
	return p->key.family == AF_INET ? p->l3_len + 8u
					: RTE_MIN((unsigned int)p->ip_len, ICMP6_MIN_MTU - 48u);
}

enum sg_dp_cnt
sg_dp_icmp_toobig(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct rte_mbuf *m,
		  const struct sg_dp_pkt *p, uint32_t mtu, uint64_t now, uint16_t *out_port)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l2_len);

	if (m->nb_segs != 1)
		return SG_DP_DROP_MTU;
	if (p->key.family == AF_INET) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

		if (!(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)))
			return SG_DP_DROP_MTU; /* may be fragmented: not our job, dropped */
		mtu &= 0xffff;
	}
	return icmp_error(w, t, m, p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, ICMP6_PKT_TOO_BIG, 0,
			  mtu, icmp_quote(p), now, out_port);
}

enum sg_dp_cnt
sg_dp_icmp_port_unreach(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct rte_mbuf *m,
			const struct sg_dp_pkt *p, uint64_t now, uint16_t *out_port)
{
	if (m->nb_segs != 1)
		return SG_DP_DROP_NO_LIVE_MEMBER;
	return icmp_error(w, t, m, p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, ICMP6_DST_UNREACH,
			  ICMP6_PORT_UNREACH, 0, icmp_quote(p), now, out_port);
}
