/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker's sends on its dp -> ctl ring (ctlmsg.h). */
#include <errno.h>
#include <string.h>

#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>

#include "core/ctlmsg.h"
#include "core/state.h"

int
sg_dp_ctl_send(struct sg_dp_worker *w, struct sg_msg *m)
{
	if (w->conf.to_ctl == NULL || w->conf.ctl_up == NULL ||
	    !__atomic_load_n(w->conf.ctl_up, __ATOMIC_ACQUIRE))
		return -ENOTCONN;
	m->hdr.version = SG_MSG_VERSION;
	m->hdr.worker = (uint16_t)w->conf.id;
	m->hdr.seq = w->ctl_seq;
	if (rte_ring_enqueue_elem(w->conf.to_ctl, m, SG_MSG_SIZE) != 0) {
		w->stats.cnt[SG_DP_EV_CTL_RING_FULL]++;
		return -ENOBUFS;
	}
	w->ctl_seq++;
	return 0;
}

struct sg_msg *
sg_dp_ctl_reserve(struct sg_dp_worker *w, int *rc)
{
	struct rte_ring *r = w->conf.to_ctl;
	struct rte_ring_zc_data zcd;

	if (r == NULL || w->conf.ctl_up == NULL ||
	    !__atomic_load_n(w->conf.ctl_up, __ATOMIC_ACQUIRE)) {
		*rc = -ENOTCONN;
		return NULL;
	}
	if (r->prod.sync_type != RTE_RING_SYNC_ST) {
		*rc = -ENOTSUP;
		return NULL;
	}
	if (rte_ring_enqueue_zc_bulk_elem_start(r, SG_MSG_SIZE, 1, &zcd, NULL) == 0) {
		w->stats.cnt[SG_DP_EV_CTL_RING_FULL]++;
		*rc = -ENOBUFS;
		return NULL;
	}
	memset(zcd.ptr1, 0, SG_MSG_SIZE); /* one element: never split by the wrap-around */
	*rc = 0;
	return zcd.ptr1;
}

void
sg_dp_ctl_commit(struct sg_dp_worker *w, struct sg_msg *m)
{
	m->hdr.version = SG_MSG_VERSION;
	m->hdr.worker = (uint16_t)w->conf.id;
	m->hdr.seq = w->ctl_seq++;
	rte_ring_enqueue_zc_elem_finish(w->conf.to_ctl, 1);
}
