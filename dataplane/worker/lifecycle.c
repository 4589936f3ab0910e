/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's life outside the packet path: creation and release of its
 * tables, its transmit accounting, its statistics, the wake-up after an
 * idle sleep and the control-plane poll of a loop round (worker.c has the
 * packets' journey).
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "core/exc.h"
#include "core/flow.h"
#include "core/nat.h"
#include "core/state.h"
#include "session/session.h"
#include "worker/memberhealth.h"
#include "worker/reuse.h"

void
sg_dp_worker_count_tx(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf **sent,
		      uint16_t n_sent, uint16_t n_dropped)
{
	uint64_t bytes;
	uint16_t i;

	if (port >= SG_DP_PORTS_MAX)
		return;
	bytes = w->pend_tx_bytes[port];
	/* sent[0..n_sent) may already be freed by the PMD; the rest is still ours */
	for (i = 0; sent != NULL && i < n_dropped; i++) {
		uint32_t l = rte_pktmbuf_pkt_len(sent[n_sent + i]);

		bytes = bytes > l ? bytes - l : 0; /* packets queued by the caller: not pending */
	}
	w->stats.port[port].tx_pkts += n_sent;
	w->stats.port[port].tx_bytes += bytes;
	w->stats.cnt[SG_DP_DROP_TX_FULL] += n_dropped;
	w->pend_tx_bytes[port] = 0;
}

void
sg_dp_worker_count_port_fault(struct sg_dp_worker *w, uint16_t port, uint16_t lost)
{
	w->stats.cnt[SG_DP_EV_PORT_FAULT_RECOVERED]++;
	w->stats.cnt[SG_DP_EV_PORT_FAULT_MBUFS_LOST] += lost;
	if (lost != 0 && port < SG_DP_PORTS_MAX) /* a tx burst: its bytes were never sent */
		w->pend_tx_bytes[port] = 0;
}

void
sg_dp_worker_woke(struct sg_dp_worker *w)
{
	w->syn_grace = SG_DP_SYN_WAKE_GRACE;
}

const struct sg_dp_stats *
sg_dp_worker_stats(const struct sg_dp_worker *w)
{
	return &w->stats;
}

struct sg_dp_worker *
sg_dp_worker_create(const struct sg_dp_worker_conf *conf)
{
	struct sg_dp_worker *w;

	if (conf == NULL || conf->n_workers == 0 || conf->n_workers > SG_DP_WORKERS_MAX ||
	    conf->id >= conf->n_workers || conf->neigh == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	w = rte_zmalloc_socket("sgdp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, conf->socket);
	if (w == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	w->conf = *conf;
	w->tsc_hz = rte_get_tsc_hz();
	w->syn_budget = UINT16_MAX;
	sg_dp_exc_init(w);
	w->reset_cursor = UINT32_MAX;
	if (sg_dp_flow_table_init(&w->ft, conf->flow_entries ? conf->flow_entries : 65536,
				  conf->socket, conf->id) < 0 ||
	    sg_dp_nat_alloc_init(&w->nat, conf->n_workers, conf->socket) < 0 ||
	    sg_dp_broker_create(w) < 0) {
		sg_dp_worker_free(w);
		rte_errno = ENOMEM;
		return NULL;
	}
	if (w->br != NULL)
		w->flow_gone = sg_dp_synproxy_flow_gone; /* the core's way back to sessions */
	return w;
}

void
sg_dp_worker_free(struct sg_dp_worker *w)
{
	if (w == NULL)
		return;
	sg_dp_broker_free(w);
	sg_dp_flow_table_free(&w->ft);
	sg_dp_nat_alloc_free(&w->nat);
	rte_free(w);
}

void
sg_dp_worker_poll_control(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			  struct sg_dp_txq *out, uint64_t now_tsc)
{
	if (w->br != NULL)
		sg_dp_broker_poll(w, t, out, now_tsc);
	else if (w->conf.member_mbox != NULL)
		sg_dp_worker_member_ctl_poll(w);
	sg_dp_worker_reset_walk(w, t);
}
