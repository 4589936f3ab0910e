/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP: answer requests for VIPs, NAT addresses and the receiving port's own
 * address by turning the request into the reply in place. Replies,
 * gratuitous ARP and requests to us refresh only the neighbour entries the
 * data plane wants (next hops it resolves, sg_dp_neigh_update): an
 * arbitrary on-link sender creates nothing.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>

#include "core/arp.h"
#include "core/neigh.h"
#include "core/state.h"
#include "core/tables.h"

static bool
ours(const struct sg_dp_addr_info *ai, uint16_t port)
{
	if (ai == NULL)
		return false;
	if (ai->kinds & (SG_DP_ADDR_VIP | SG_DP_ADDR_NAT))
		return true;
	return (ai->kinds & SG_DP_ADDR_OWN) && (ai->own_ports & (1u << port));
}

enum sg_dp_cnt
sg_dp_arp_input(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct rte_mbuf *m,
		const struct sg_dp_pkt *p, uint16_t port, uint64_t now)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *ah;
	struct rte_arp_ipv4 *ad;
	const struct sg_dp_addr_info *ai;
	uint16_t op;
	uint32_t sip, tip;
	bool learnable;

	if (rte_pktmbuf_data_len(m) < p->l2_len + sizeof(*ah))
		return SG_DP_DROP_ARP_BAD;
	ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, p->l2_len);
	ad = &ah->arp_data;
	op = rte_be_to_cpu_16(ah->arp_opcode);
	if (ah->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4 ||
	    (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY))
		return SG_DP_DROP_ARP_BAD;
	if (!rte_is_unicast_ether_addr(&ad->arp_sha) || rte_is_zero_ether_addr(&ad->arp_sha))
		return SG_DP_DROP_ARP_BAD;
	sip = ad->arp_sip;
	tip = ad->arp_tip;
	learnable = sip != 0 && sg_dp_neigh_learnable(t, port, AF_INET, (const uint8_t *)&sip);
	ai = sg_dp_tables_addr(t, AF_INET, (const uint8_t *)&tip);

	if (op == RTE_ARP_OP_REQUEST && ours(ai, port)) {
		if (learnable && sg_dp_neigh_update(w->conf.neigh, port, AF_INET,
						    (const uint8_t *)&sip, &ad->arp_sha, now))
			w->stats.cnt[SG_DP_EV_NEIGH_LEARN]++;
		else if (learnable)
			w->stats.cnt[SG_DP_EV_NEIGH_REFUSED]++; /* answered, not a next hop of ours
								 */
		eh->dst_addr = eh->src_addr;
		eh->src_addr = t->ports[port].mac;
		ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
		ad->arp_tha = ad->arp_sha;
		ad->arp_sha = t->ports[port].mac;
		ad->arp_tip = sip;
		ad->arp_sip = tip;
		w->stats.cnt[SG_DP_EV_ARP_REPLY]++;
		return SG_DP_CNT_MAX;
	}
	/* replies and gratuitous announcements (sender = target) refresh the table */
	if (op == RTE_ARP_OP_REPLY || sip == tip) {
		if (!learnable)
			return SG_DP_DROP_NOT_LOCAL;
		if (!sg_dp_neigh_update(w->conf.neigh, port, AF_INET, (const uint8_t *)&sip,
					&ad->arp_sha, now))
			return SG_DP_DROP_NEIGH_UNSOLICITED;
		w->stats.cnt[SG_DP_EV_NEIGH_LEARN]++;
		return SG_DP_EV_CONSUMED;
	}
	return SG_DP_DROP_NOT_LOCAL; /* a request for someone else */
}
