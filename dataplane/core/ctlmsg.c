/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker's sends on its dp -> ctl ring (ctlmsg.h). */
#include <errno.h>

#include <rte_ring_elem.h>

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
