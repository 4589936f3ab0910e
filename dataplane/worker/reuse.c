/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A new connection on the tuple of an installed flow whose member is not up
 * (or whose TCP connection closed): the entry goes, the packet takes the
 * new-flow path (worker.c) and is scheduled on a live member. Reached only
 * for a client's TCP SYN without ACK and for UDP to a DOWN / RESET member.
 */
#include <string.h>

#include "sessiongate/sg_msg.h"
#include "core/flow.h"
#include "worker/reuse.h"

/* Is @p f's member still in @p t, at the same address, and up? */
static bool
member_up(const struct sg_dp_tables *t, const struct sg_dp_flow *f)
{
	const struct sg_dp_member *mb = t->member_by_slot[f->member_slot];

	return mb != NULL && mb->state == SG_MSG_MEMBER_UP && mb->addr.family == f->member.family &&
	       memcmp(mb->addr.a, f->member.a, sizeof(mb->addr.a)) == 0;
}

bool
sg_dp_worker_flow_reuse(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
			const struct sg_dp_pkt *p)
{
	if (f->sid != 0 || f->member_slot >= SG_DP_MEMBER_SLOT_BROKERED ||
	    (f->mode != SG_CFG_MODE_NAT && f->mode != SG_CFG_MODE_DSR))
		return false; /* brokered, hand-off, proxied: no pool member's flow */
	if ((f->flags & SG_DP_FLOW_NAT) && memcmp(&f->rkey, &p->key, sizeof(p->key)) == 0)
		return false; /* the member's side: its answer, not a new connection */
	if (p->key.proto == IPPROTO_TCP && member_up(t, f)) {
		if (f->state != SG_DP_FS_CLOSING)
			return false; /* a retransmitted SYN: same flow, same member */
		sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_CLOSED);
		return true;
	}
	if (p->key.proto != IPPROTO_TCP && !sg_dp_tables_slot_down(t, f->member_slot))
		return false;
	sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_RESCHED_MEMBER_DOWN);
	return true;
}
