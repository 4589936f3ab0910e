/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 neighbour discovery (RFC 4861): answer neighbour solicitations for
 * VIPs, NAT addresses and the port's own address with an advertisement
 * built in place; refresh the entries of next hops the data plane wants from
 * solicitations (source link-layer option) and advertisements (target
 * link-layer option), never creating one. Validation as section 7.1.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "core/arp.h"
#include "core/neigh.h"
#include "core/state.h"
#include "core/tables.h"

#define ND_NS	    135
#define ND_NA	    136
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define ND_HDR_LEN  24 /* type, code, checksum, flags/reserved, target */
#define NA_LEN	    (ND_HDR_LEN + 8)

/* Walk the options; return false if malformed, else the link-layer address of @p want. */
static bool
nd_options(const uint8_t *opt, unsigned int len, uint8_t want, const uint8_t **lla)
{
	*lla = NULL;
	while (len > 0) {
		unsigned int ol;

		if (len < 2)
			return false;
		ol = opt[1] * 8u;
		if (ol == 0 || ol > len)
			return false;
		if (opt[0] == ND_OPT_SLLA || opt[0] == ND_OPT_TLLA) {
			if (ol != 8) /* Ethernet: exactly one 8-byte unit */
				return false;
			if (opt[0] == want)
				*lla = opt + 2;
		}
		opt += ol;
		len -= ol;
	}
	return true;
}

enum sg_dp_cnt
sg_dp_nd_input(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct rte_mbuf *m,
	       const struct sg_dp_pkt *p, uint16_t port, uint64_t now)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, p->l2_len);
	uint8_t *icmp = (uint8_t *)(ip + 1);
	const struct sg_dp_addr_info *ai;
	const uint8_t *target = icmp + 8, *lla;
	struct rte_ether_addr mac;
	uint8_t type = icmp[0];
	uint32_t want;
	uint16_t ck;

	/*
	 * Only an IPv6 packet whose payload length is the parsed one and lies
	 * in this segment: the checksum below reads ip->payload_len bytes.
	 */
	if (p->key.family != AF_INET6 || p->l3_len != sizeof(*ip) ||
	    rte_be_to_cpu_16(ip->payload_len) != p->l4_len)
		return SG_DP_DROP_ICMP_FAMILY;
	if (p->ttl != 255 || p->l4_len < ND_HDR_LEN || m->nb_segs != 1 ||
	    rte_pktmbuf_data_len(m) < p->l2_len + p->ip_len || icmp[1] != 0)
		return SG_DP_DROP_ND_BAD;
	if (rte_ipv6_udptcp_cksum_verify(ip, icmp) != 0)
		return SG_DP_DROP_ND_BAD;
	if (target[0] == 0xff)
		return SG_DP_DROP_ND_BAD;
	if (!nd_options(icmp + ND_HDR_LEN, p->l4_len - ND_HDR_LEN,
			type == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA, &lla))
		return SG_DP_DROP_ND_BAD;

	if (type == ND_NA) {
		if (lla == NULL)
			return SG_DP_EV_CONSUMED; /* nothing to learn */
		memcpy(&mac, lla, RTE_ETHER_ADDR_LEN);
		if (!sg_dp_neigh_learnable(t, port, AF_INET6, target))
			return SG_DP_DROP_NOT_LOCAL;
		if (!sg_dp_neigh_update(w->conf.neigh, port, AF_INET6, target, &mac, now))
			return SG_DP_DROP_NEIGH_UNSOLICITED; /* no next hop of ours */
		w->stats.cnt[SG_DP_EV_NEIGH_LEARN]++;
		return SG_DP_EV_CONSUMED;
	}

	/* solicitation */
	ai = sg_dp_tables_addr(t, AF_INET6, target);
	if (ai == NULL ||
	    !((ai->kinds & (SG_DP_ADDR_VIP | SG_DP_ADDR_NAT)) || (ai->own_ports & (1u << port))))
		return SG_DP_DROP_NOT_LOCAL;
	if (lla != NULL) {
		memcpy(&mac, lla, RTE_ETHER_ADDR_LEN);
		if (sg_dp_neigh_learnable(t, port, AF_INET6, ip->src_addr))
			w->stats.cnt[sg_dp_neigh_update(w->conf.neigh, port, AF_INET6, ip->src_addr,
							&mac, now)
					     ? SG_DP_EV_NEIGH_LEARN
					     : SG_DP_EV_NEIGH_REFUSED]++;
		eh->dst_addr = mac;
	} else {
		eh->dst_addr = eh->src_addr;
	}
	eh->src_addr = t->ports[port].mac;

	/* the advertisement: from the target to the solicitor, solicited + override */
	want = p->l2_len + sizeof(*ip) + NA_LEN;
	if (rte_pktmbuf_pkt_len(m) > want)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - want));
	else if (rte_pktmbuf_pkt_len(m) < want &&
		 rte_pktmbuf_append(m, (uint16_t)(want - rte_pktmbuf_pkt_len(m))) == NULL)
		return SG_DP_DROP_ND_BAD; /* no tailroom: cannot happen with PMD buffers */
	memcpy(ip->dst_addr, ip->src_addr, 16);
	memcpy(ip->src_addr, target, 16);
	ip->payload_len = rte_cpu_to_be_16(NA_LEN);
	ip->hop_limits = 255;
	icmp[0] = ND_NA;
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	icmp[4] = 0x60; /* solicited, override */
	icmp[5] = icmp[6] = icmp[7] = 0;
	icmp[24] = ND_OPT_TLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, &t->ports[port].mac, RTE_ETHER_ADDR_LEN);
	ck = rte_ipv6_udptcp_cksum(ip, icmp);
	memcpy(icmp + 2, &ck, 2);
	w->stats.cnt[SG_DP_EV_ND_REPLY]++;
	return SG_DP_CNT_MAX;
}
