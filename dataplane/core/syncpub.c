/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State sync, publishing (core/sync.h): a worker's flows as sg_sync_rec
 * records on its SP/SC ring to the sync thread. Never blocks: a full ring
 * loses the record (sync_out_full) and the next refresh or dump repairs it.
 *
 * Refresh: the expiry walk re-sends an established flow that saw traffic
 * in the current period (a quarter of conf.sync_refresh_s) once its last
 * ADD is old enough: four periods, or fewer for a flow whose idle timeout
 * is short (half its timeout, at least one period), so that a peer's copy
 * of an active flow never idles out. An idle flow is not re-sent. The
 * period of the last ADD lives in the flow's sync byte (4 bits, mod 16).
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ring.h>

#include "core/state.h"
#include "core/sync.h"
#include "core/tables.h"

#define REFRESH_DEFAULT_S 60

static uint64_t
period_len(struct sg_dp_worker *w)
{
	if (unlikely(w->sync_period == 0)) {
		uint32_t s = w->conf.sync_refresh_s ? w->conf.sync_refresh_s : REFRESH_DEFAULT_S;

		w->sync_period = RTE_MAX(w->tsc_hz * s / 4, UINT64_C(1));
	}
	return w->sync_period;
}

static uint8_t
period_of(struct sg_dp_worker *w, uint64_t tsc)
{
	return (uint8_t)((tsc / period_len(w)) & 0xf);
}

static uint8_t
wire_state(const struct sg_dp_flow *f)
{
	if (f->state == SG_DP_FS_EST)
		return SG_SYNC_ST_EST;
	return f->state == SG_DP_FS_CLOSING ? SG_SYNC_ST_CLOSING : 0;
}

bool
sg_dp_sync_rec_fill(const struct sg_dp_worker *w, const struct sg_dp_flow *f, uint8_t op,
		    uint8_t state, uint64_t now, struct sg_sync_rec *r)
{
	bool dsr = f->mode == SG_CFG_MODE_DSR;
	uint64_t idle, tmo;

	if (!dsr && f->mode != SG_CFG_MODE_NAT)
		return false;
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->worker = (uint8_t)w->conf.id;
	r->proto = f->key.proto;
	r->family = f->key.family == AF_INET ? 4 : 6;
	r->mode = dsr ? SG_SYNC_MODE_DSR : SG_SYNC_MODE_NAT;
	r->state = state;
	if (f->flags & SG_DP_FLOW_SEQ) {
		r->flags |= SG_SYNC_F_SEQ;
		r->seq_s2c = rte_cpu_to_be_32(f->seq_s2c);
		r->ts_s2c = rte_cpu_to_be_32(f->ts_s2c);
		r->ws_shift = f->ws_shift;
		if (f->ts)
			r->flags |= SG_SYNC_F_TS;
	}
	/* a SYN-proxied flow's ID is this worker's alone: sg-control never heard of it */
	if (!(f->flags & SG_DP_FLOW_PROXY))
		r->sid = rte_cpu_to_be_64(f->sid);
	idle = now > f->last_tsc ? (now - f->last_tsc) * 1000 / w->tsc_hz : 0;
	r->idle_ms = rte_cpu_to_be_32((uint32_t)RTE_MIN(idle, (uint64_t)UINT32_MAX));
	tmo = (f->state == SG_DP_FS_EST ? f->tmo_est : f->tmo_trans) / w->tsc_hz;
	r->timeout_s = rte_cpu_to_be_32((uint32_t)RTE_MIN(tmo, (uint64_t)UINT32_MAX));
	r->cport = f->key.sport; /* ports are kept in network order */
	r->vport = f->key.dport;
	r->mport = f->mport;
	memcpy(r->client, f->key.src, 16);
	memcpy(r->vip, f->key.dst, 16);
	memcpy(r->member, f->member.a, 16);
	if (f->flags & SG_DP_FLOW_NAT) {
		r->nat_port = f->nat_port;
		memcpy(r->nat, f->nat.a, 16);
	}
	if (dsr) {
		r->host_family = f->host.family == AF_INET ? 4 : 6;
		memcpy(r->host, f->host.a, 16);
		if (f->encap == SG_CFG_ENCAP_GUE) {
			r->flags |= SG_SYNC_F_GUE;
			r->gue_port = f->gue_port;
		}
	}
	return true;
}

bool
sg_dp_sync_enqueue(struct sg_dp_worker *w, struct sg_sync_rec *r)
{
	return rte_ring_sp_enqueue_elem(w->conf.sync_out, r, sizeof(*r)) == 0;
}

/* Enqueue @p r, counted @p ok or sync_out_full. */
static bool
send_counted(struct sg_dp_worker *w, struct sg_sync_rec *r, enum sg_dp_cnt ok)
{
	if (!sg_dp_sync_enqueue(w, r)) {
		w->stats.cnt[SG_DP_EV_SYNC_OUT_FULL]++;
		return false;
	}
	w->stats.cnt[ok]++;
	return true;
}

void
sg_dp_sync_publish(struct sg_dp_worker *w, struct sg_dp_flow *f, uint64_t now)
{
	struct sg_sync_rec r;
	uint8_t st = wire_state(f);

	if (w->conf.sync_out == NULL || st == 0 ||
	    !sg_dp_sync_rec_fill(w, f, SG_SYNC_OP_ADD, st, now, &r))
		return;
	/* published even when the ring was full: its removal still sends a DEL */
	f->sync = (uint8_t)((f->sync & 0xf) | SG_DP_SYNC_PUB |
			    (period_of(w, now) << SG_DP_SYNC_EPOCH_SHIFT));
	(void)send_counted(w, &r, SG_DP_EV_SYNC_PUB);
}

void
sg_dp_sync_flow_new(struct sg_dp_worker *w, const struct sg_dp_vs *vs, struct sg_dp_flow *f,
		    uint64_t now)
{
	if (w->conf.sync_out == NULL)
		return;
	if (vs->mode == SG_CFG_MODE_NAT ||
	    (vs->mode == SG_CFG_MODE_DSR && w->conf.sync_dsr && vs->sched != SG_CFG_SCHED_MAGLEV))
		f->sync |= SG_DP_SYNC_WANT;
	if ((f->sync & SG_DP_SYNC_WANT) && f->state == SG_DP_FS_EST)
		sg_dp_sync_publish(w, f, now);
}

void
sg_dp_sync_installed(struct sg_dp_worker *w, struct sg_dp_flow *f, uint64_t now)
{
	if (w->conf.sync_out == NULL)
		return;
	f->sync |= SG_DP_SYNC_WANT;
	sg_dp_sync_publish(w, f, now);
}

void
sg_dp_sync_gone(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why)
{
	bool idle = (why == SG_DP_EV_FLOW_EXPIRED || why == SG_DP_EV_FLOW_EVICTED) &&
		    f->state != SG_DP_FS_CLOSING;
	struct sg_sync_rec r;

	f->sync &= (uint8_t)~SG_DP_SYNC_PUB;
	if (w->conf.sync_out == NULL ||
	    !sg_dp_sync_rec_fill(w, f, SG_SYNC_OP_DEL, idle ? SG_SYNC_ST_EST : SG_SYNC_ST_CLOSING,
				 f->last_tsc, &r))
		return;
	(void)send_counted(w, &r, SG_DP_EV_SYNC_DEL);
}

void
sg_dp_sync_refresh(struct sg_dp_worker *w, struct sg_dp_flow *f, uint64_t now)
{
	uint64_t age;
	uint8_t cur, last;

	if (f->state != SG_DP_FS_EST || (f->sync & SG_DP_SYNC_COPY))
		return;
	cur = period_of(w, now);
	if (period_of(w, f->last_tsc) != cur)
		return; /* no traffic in this period */
	last = (uint8_t)(f->sync >> SG_DP_SYNC_EPOCH_SHIFT);
	age = f->tmo_est / 2 / period_len(w); /* periods in half the idle timeout */
	age = age < 1 ? 1 : RTE_MIN(age, UINT64_C(4));
	if (((cur - last) & 0xf) < age)
		return;
	w->stats.cnt[SG_DP_EV_SYNC_REFRESH]++;
	sg_dp_sync_publish(w, f, now);
}

void
sg_dp_sync_takeover(struct sg_dp_worker *w, struct sg_dp_flow *f, uint64_t now)
{
	f->sync = (uint8_t)((f->sync & ~SG_DP_SYNC_COPY) | SG_DP_SYNC_TAKEN | SG_DP_SYNC_WANT);
	w->stats.cnt[SG_DP_EV_SYNC_TAKEOVER]++;
	sg_dp_sync_publish(w, f, now); /* the other appliance learns it moved here */
}
