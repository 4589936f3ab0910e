/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Passive detection of failing pool members (passive.h): the verdict of
 * each watched flow on its member, the per-member count and the
 * MEMBER_SUSPECT message.
 */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "core/ctlmsg.h"
#include "core/passive.h"
#include "core/state.h"

/* The member answered: its count starts again; the flow has its verdict. */
static void
passive_ok(struct sg_dp_worker *w, struct sg_dp_flow *f)
{
	f->flags &= (uint8_t) ~(SG_DP_FLOW_WATCH | SG_DP_FLOW_SYNACK);
	if (f->member_slot < SG_DP_MEMBER_SLOT_BROKERED)
		w->passive.fails[f->member_slot] = 0;
}

static void
suspect_send(struct sg_dp_worker *w, const struct sg_dp_member *mb, uint8_t reason, uint32_t fails)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = SG_MSG_MEMBER_SUSPECT;
	m.hdr.len = (uint16_t)(sizeof(m.hdr) + sizeof(m.suspect));
	m.suspect.reason = reason;
	m.suspect.member_slot = mb->slot;
	m.suspect.failures = fails;
	(void)snprintf(m.suspect.pool, sizeof(m.suspect.pool), "%s", mb->pool);
	(void)snprintf(m.suspect.member, sizeof(m.suspect.member), "%s", mb->name);
	(void)sg_dp_ctl_send(w, &m); /* a full ring is counted there; the next failure retries */
}

void
sg_dp_passive_fail(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
		   uint8_t reason, uint64_t now)
{
	uint16_t slot = f->member_slot;
	const struct sg_dp_member *mb;
	uint64_t *last;
	uint32_t n;

	if (!(f->flags & SG_DP_FLOW_WATCH))
		return;
	f->flags &= (uint8_t) ~(SG_DP_FLOW_WATCH | SG_DP_FLOW_SYNACK);
	if (slot >= SG_DP_MEMBER_SLOT_BROKERED)
		return;
	w->stats.cnt[SG_DP_EV_PASSIVE_FAILURES]++;
	n = ++w->passive.fails[slot];
	mb = t->member_by_slot[slot];
	if (mb == NULL || mb->passive_fails == 0 || n < mb->passive_fails)
		return;
	last = &w->passive.last_sent[slot];
	if (*last != 0 && now - *last < w->tsc_hz)
		return; /* at most one a second per member and worker */
	*last = now != 0 ? now : 1;
	w->stats.cnt[SG_DP_EV_PASSIVE_SUSPECTS]++;
	suspect_send(w, mb, reason, n);
}

void
sg_dp_passive_return(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
		     const struct rte_mbuf *m, const struct sg_dp_pkt *p, uint64_t now)
{
	const struct rte_tcp_hdr *th =
		rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, p->l2_len + p->l3_len);
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq), ack = rte_be_to_cpu_32(th->recv_ack);
	uint32_t hl = (uint32_t)(th->data_off >> 4) * 4;
	uint8_t fl = p->tcp_flags;

	if (!(f->flags & SG_DP_FLOW_SYNACK)) {
		/* SYN-SENT (RFC 9293 3.10.7.3): only what acknowledges our SYN is the member's */
		bool acks_syn = (fl & RTE_TCP_ACK_FLAG) && ack == f->syn_isn + 1;

		if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG)) == RTE_TCP_SYN_FLAG && acks_syn) {
			f->flags |= SG_DP_FLOW_SYNACK;
			f->member_isn = seq;
		} else if (fl & RTE_TCP_RST_FLAG) {
			if (acks_syn)
				sg_dp_passive_fail(w, t, f, SG_MSG_SUSPECT_REFUSED, now);
			else
				w->stats.cnt[SG_DP_EV_PASSIVE_RST_UNVALIDATED]++;
		}
		return;
	}
	if (fl & RTE_TCP_RST_FLAG) {
		/* nothing sent by the member yet: its RST is at exactly ISN + 1 */
		if (seq == f->member_isn + 1)
			sg_dp_passive_fail(w, t, f, SG_MSG_SUSPECT_RESET_EARLY, now);
		else
			w->stats.cnt[SG_DP_EV_PASSIVE_RST_UNVALIDATED]++;
		return;
	}
	if (((fl & RTE_TCP_FIN_FLAG) || p->l4_len > hl) && !(fl & RTE_TCP_SYN_FLAG) &&
	    seq == f->member_isn + 1)
		passive_ok(w, f); /* its first byte (or a clean close): the member serves */
}

uint32_t
sg_dp_passive_count(const struct sg_dp_worker *w, uint16_t slot)
{
	return slot < SG_DP_MEMBER_SLOTS ? w->passive.fails[slot] : 0;
}
