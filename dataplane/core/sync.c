/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State sync, installing and dumping (core/sync.h). Every record from the
 * sync ring is hostile until checked field by field: a bad one is counted
 * (sync_rec_bad) and skipped, the rest of the batch goes on.
 *
 * ADD of an unknown flow: a synced copy (SG_DP_SYNC_COPY) on this worker,
 * with its VS's counter slot and timeouts when the tables have the VS, its
 * member's slot when the pool has the member, and for NAT its return key;
 * a NAT port of one of this appliance's own NAT addresses is reserved in
 * this worker's pool first (a port in local use: sync_conflict). ADD of a
 * copy: state and last activity follow. ADD or DEL of this worker's own
 * flow: ignored. DEL: the copy goes, a taken-over flow only on CLOSING (an
 * EST DEL is the old owner's idle expiry of a flow that moved here).
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ring.h>

#include "core/nat.h"
#include "core/state.h"
#include "core/sync.h"
#include "core/tables.h"

#define POLL_BURST    32
#define TIMEOUT_MAX_S (7 * 86400) /* a record's idle timeout at most */

static bool
zero(const uint8_t *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != 0)
			return false;
	return true;
}

/* An address of a record: not all zero, IPv4 ones zero past the fourth byte. */
static bool
addr_ok(const uint8_t a[16], uint8_t wire_family)
{
	return !zero(a, 16) && (wire_family == 6 || zero(a + 4, 12));
}

static bool
family_ok(uint8_t f)
{
	return f == 4 || f == 6;
}

/* The fields a DEL needs too: op, worker, key, state. */
static bool
rec_key_ok(const struct sg_dp_worker *w, const struct sg_sync_rec *r)
{
	return (r->op == SG_SYNC_OP_ADD || r->op == SG_SYNC_OP_DEL) && r->worker == w->conf.id &&
	       (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) && family_ok(r->family) &&
	       (r->state == SG_SYNC_ST_EST || r->state == SG_SYNC_ST_CLOSING) && r->cport != 0 &&
	       r->vport != 0 && addr_ok(r->client, r->family) && addr_ok(r->vip, r->family) &&
	       zero(r->pad, sizeof(r->pad)) && r->pad2 == 0;
}

/* Everything an ADD installs, on top of rec_key_ok(). */
static bool
rec_add_ok(const struct sg_dp_worker *w, const struct sg_sync_rec *r)
{
	bool dsr = r->mode == SG_SYNC_MODE_DSR;
	uint16_t np = rte_be_to_cpu_16(r->nat_port);

	if ((!dsr && r->mode != SG_SYNC_MODE_NAT) ||
	    (r->flags & ~(SG_SYNC_F_SEQ | SG_SYNC_F_TS | SG_SYNC_F_GUE)) != 0 ||
	    ((r->flags & SG_SYNC_F_SEQ) && r->proto != IPPROTO_TCP) ||
	    ((r->flags & SG_SYNC_F_TS) && !(r->flags & SG_SYNC_F_SEQ)) ||
	    !(r->flags & SG_SYNC_F_SEQ ? r->ws_shift >= -14 && r->ws_shift <= 14
				       : r->ws_shift == 0) ||
	    r->mport == 0 || !addr_ok(r->member, r->family) || r->timeout_s == 0 ||
	    rte_be_to_cpu_32(r->timeout_s) > TIMEOUT_MAX_S)
		return false;
	if (dsr) /* a host to tunnel to; no NAT; GUE with its port */
		return family_ok(r->host_family) && addr_ok(r->host, r->host_family) && np == 0 &&
		       zero(r->nat, 16) &&
		       ((r->flags & SG_SYNC_F_GUE) ? r->gue_port != 0 : r->gue_port == 0);
	/* NAT: the address and a port of this worker (the return's owner), no tunnel */
	return np != 0 && addr_ok(r->nat, r->family) &&
	       sg_dp_nat_port_owner(np, w->conf.n_workers) == w->conf.id && r->host_family == 0 &&
	       zero(r->host, 16) && !(r->flags & SG_SYNC_F_GUE) && r->gue_port == 0;
}

static void
rec_key(const struct sg_sync_rec *r, struct sg_dp_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, r->client, 16);
	memcpy(k->dst, r->vip, 16);
	k->sport = r->cport;
	k->dport = r->vport;
	k->proto = r->proto;
	k->family = r->family == 4 ? AF_INET : AF_INET6;
}

/* Last activity and state of a copy from @p r. */
static void
copy_touch(struct sg_dp_worker *w, struct sg_dp_flow *f, const struct sg_sync_rec *r, uint64_t now)
{
	uint64_t idle = (uint64_t)rte_be_to_cpu_32(r->idle_ms) * w->tsc_hz / 1000;

	f->last_tsc = now > idle ? now - idle : 0;
	if (r->proto == IPPROTO_TCP)
		sg_dp_flow_set_state(&w->ft, f,
				     r->state == SG_SYNC_ST_CLOSING ? SG_DP_FS_CLOSING
								    : SG_DP_FS_EST);
}

/* Counter slot of the member @p r names in @p vs's pool, else the brokered slot. */
static uint16_t
member_slot(const struct sg_dp_vs *vs, const struct sg_dp_flow *f)
{
	unsigned int i;

	for (i = 0; vs != NULL && vs->pool != NULL && i < vs->pool->n_members; i++) {
		const struct sg_dp_member *m = &vs->pool->members[i];

		if (m->addr.family == f->member.family &&
		    memcmp(m->addr.a, f->member.a, sizeof(m->addr.a)) == 0 &&
		    rte_cpu_to_be_16(m->port ? m->port : vs->port) == f->mport)
			return m->slot;
	}
	return SG_DP_MEMBER_SLOT_BROKERED;
}

/* Copy the record's forwarding fields into new entry @p f. */
static void
copy_fill(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
	  const struct sg_sync_rec *r)
{
	const struct sg_dp_vs *vs =
		sg_dp_tables_vs(t, f->key.family, f->key.dst, f->key.dport, f->key.proto);
	uint8_t fam = f->key.family;

	f->hash = sg_dp_flow_hash(&f->key);
	f->mode = r->mode == SG_SYNC_MODE_DSR ? SG_CFG_MODE_DSR : SG_CFG_MODE_NAT;
	sg_dp_ip_set(&f->member, fam, r->member);
	f->mport = r->mport;
	if (f->mode == SG_CFG_MODE_DSR) {
		sg_dp_ip_set(&f->host, r->host_family == 4 ? AF_INET : AF_INET6, r->host);
		f->encap = (r->flags & SG_SYNC_F_GUE) ? SG_CFG_ENCAP_GUE : SG_CFG_ENCAP_IPIP;
		f->gue_port = r->gue_port;
	} else {
		sg_dp_ip_set(&f->nat, fam, r->nat);
		f->nat_port = r->nat_port;
	}
	if (r->flags & SG_SYNC_F_SEQ) {
		f->flags |= SG_DP_FLOW_SEQ;
		f->seq_s2c = rte_be_to_cpu_32(r->seq_s2c);
		f->ts_s2c = rte_be_to_cpu_32(r->ts_s2c);
		f->ws_shift = r->ws_shift;
		f->ts = (r->flags & SG_SYNC_F_TS) != 0;
	}
	f->sid = rte_be_to_cpu_64(r->sid);
	if (vs != NULL && vs->slot < SG_DP_VS_SLOTS) {
		f->vs_slot = vs->slot;
		f->tmo_est = f->key.proto == IPPROTO_TCP ? vs->tmo_tcp_est : vs->tmo_udp;
		f->tmo_trans = f->key.proto == IPPROTO_TCP ? vs->tmo_tcp_trans : vs->tmo_udp;
	} else {
		f->vs_slot = SG_DP_SYNC_VS_SLOT;
		f->tmo_est = f->tmo_trans = (uint64_t)rte_be_to_cpu_32(r->timeout_s) * w->tsc_hz;
	}
	f->member_slot = member_slot(vs, f);
	f->sync = SG_DP_SYNC_COPY;
}

/* ADD of an unknown flow: a synced copy. */
static void
copy_install(struct sg_dp_worker *w, const struct sg_dp_tables *t, const struct sg_dp_flow_key *k,
	     const struct sg_sync_rec *r, uint64_t now)
{
	uint16_t np = rte_be_to_cpu_16(r->nat_port);
	bool nat = r->mode == SG_SYNC_MODE_NAT, reserved = false;
	struct sg_dp_flow *f;
	struct sg_dp_ip na;
	enum sg_dp_cnt why;

	if (nat) {
		int rc;

		sg_dp_ip_set(&na, k->family, r->nat);
		rc = sg_dp_nat_port_reserve(w, t, &na, np);
		if (rc == -EBUSY) { /* a local flow holds the port */
			w->stats.cnt[SG_DP_EV_SYNC_CONFLICT]++;
			return;
		}
		reserved = rc == 0;
	}
	f = sg_dp_flow_insert(w, k, now, &why);
	if (f == NULL)
		goto conflict;
	copy_fill(w, t, f, r);
	if (nat) {
		if (sg_dp_flow_add_rkey(&w->ft, f) < 0) { /* the return key is a local flow's */
			sg_dp_flow_discard(&w->ft, f);
			goto conflict;
		}
		f->flags |= SG_DP_FLOW_NAT;
	}
	copy_touch(w, f, r, now);
	w->vs_active[f->vs_slot]++;
	w->member_active[f->member_slot]++;
	w->stats.vs[f->vs_slot].active_flows++;
	w->stats.member[f->member_slot].active_flows++;
	w->stats.cnt[SG_DP_EV_SYNC_INSTALLED]++;
	return;
conflict:
	if (reserved)
		sg_dp_nat_port_put(w, &na, np);
	w->stats.cnt[SG_DP_EV_SYNC_CONFLICT]++;
}

/* DEL: the copy goes; a taken-over flow only when it ended (CLOSING). */
static void
copy_del(struct sg_dp_worker *w, struct sg_dp_flow *f, const struct sg_sync_rec *r)
{
	bool closing = r->state == SG_SYNC_ST_CLOSING;

	if (!(f->sync & (SG_DP_SYNC_COPY | SG_DP_SYNC_TAKEN)) ||
	    ((f->sync & SG_DP_SYNC_TAKEN) && !closing)) {
		w->stats.cnt[SG_DP_EV_SYNC_IGNORED_OWN]++;
		return;
	}
	f->sync &= (uint8_t)~SG_DP_SYNC_PUB; /* the peer knows: no DEL back */
	w->stats.cnt[SG_DP_EV_SYNC_REMOVED]++;
	sg_dp_flow_remove(w, f, closing ? SG_DP_EV_FLOW_CLOSED : SG_DP_EV_FLOW_EXPIRED);
}

/* Does copy @p f forward otherwise than @p r says (member, NAT port, mode)? */
static bool
copy_stale(const struct sg_dp_flow *f, const struct sg_sync_rec *r)
{
	uint8_t mode = r->mode == SG_SYNC_MODE_DSR ? SG_CFG_MODE_DSR : SG_CFG_MODE_NAT;

	return f->mode != mode || f->mport != r->mport || f->nat_port != r->nat_port ||
	       memcmp(f->member.a, r->member, 16) != 0 ||
	       (mode == SG_CFG_MODE_NAT && memcmp(f->nat.a, r->nat, 16) != 0) ||
	       f->sid != rte_be_to_cpu_64(r->sid);
}

static void
rec_install(struct sg_dp_worker *w, const struct sg_dp_tables *t, const struct sg_sync_rec *r,
	    uint64_t now)
{
	struct sg_dp_flow_key k;
	struct sg_dp_flow *f;

	if (r->op == SG_SYNC_OP_DUMP_END && r->worker == w->conf.id)
		return; /* the channel's business: nothing to install */
	if (!rec_key_ok(w, r) || (r->op == SG_SYNC_OP_ADD && !rec_add_ok(w, r))) {
		w->stats.cnt[SG_DP_EV_SYNC_REC_BAD]++;
		return;
	}
	rec_key(r, &k);
	f = sg_dp_flow_lookup(&w->ft, &k);
	if (r->op == SG_SYNC_OP_DEL) {
		if (f != NULL)
			copy_del(w, f, r);
		return;
	}
	if (f != NULL && (f->sync & SG_DP_SYNC_COPY) && copy_stale(f, r)) {
		/* the tuple's connection on the peer is another one now (its DEL was lost) */
		w->stats.cnt[SG_DP_EV_SYNC_REMOVED]++;
		sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_CLOSED);
		f = NULL;
	}
	if (f == NULL) {
		copy_install(w, t, &k, r, now);
	} else if (f->sync & SG_DP_SYNC_COPY) {
		copy_touch(w, f, r, now);
		w->stats.cnt[SG_DP_EV_SYNC_UPDATED]++;
	} else {
		w->stats.cnt[SG_DP_EV_SYNC_IGNORED_OWN]++;
	}
}

/* A flow a dump sends: one sync knows of, established or closing. */
static bool
dumpable(const struct sg_dp_flow *f)
{
	return (f->state == SG_DP_FS_EST || f->state == SG_DP_FS_CLOSING) &&
	       (f->sync & (SG_DP_SYNC_WANT | SG_DP_SYNC_PUB | SG_DP_SYNC_COPY | SG_DP_SYNC_TAKEN));
}

/*
 * One slice of the dump walk. sync_dump_cursor is the next entry + 1 (0:
 * no walk), cap + 1 once only the DUMP_END is left to send. A full ring
 * pauses the walk where it is. @return true when a walk is under way.
 */
static bool
dump_step(struct sg_dp_worker *w, uint64_t now)
{
	struct sg_dp_flow_table *ft = &w->ft;
	uint32_t id = __atomic_load_n(w->conf.sync_dump, __ATOMIC_ACQUIRE);
	unsigned int budget = SG_DP_SYNC_DUMP_SLICE;
	struct sg_sync_rec r;

	if (id != 0 && id != w->sync_dump_id) { /* a new dump: from the first entry */
		w->sync_dump_id = id;
		w->sync_dump_cursor = 1;
	}
	if (w->sync_dump_cursor == 0)
		return false;
	while (w->sync_dump_cursor <= ft->cap && budget-- > 0) {
		const struct sg_dp_flow *f = &ft->e[w->sync_dump_cursor - 1];

		if (dumpable(f) &&
		    sg_dp_sync_rec_fill(w, f, SG_SYNC_OP_ADD,
					f->state == SG_DP_FS_EST ? SG_SYNC_ST_EST
								 : SG_SYNC_ST_CLOSING,
					now, &r)) {
			if (!sg_dp_sync_enqueue(w, &r))
				return true; /* full: go on from here next time */
			w->stats.cnt[SG_DP_EV_SYNC_DUMP_RECS]++;
		}
		w->sync_dump_cursor++;
	}
	if (w->sync_dump_cursor <= ft->cap)
		return true;
	memset(&r, 0, sizeof(r));
	r.op = SG_SYNC_OP_DUMP_END;
	r.worker = (uint8_t)w->conf.id;
	r.sid = rte_cpu_to_be_64(w->sync_dump_id);
	if (!sg_dp_sync_enqueue(w, &r))
		return true;
	w->stats.cnt[SG_DP_EV_SYNC_DUMP_RECS]++;
	w->sync_dump_cursor = 0;
	return true;
}

bool
sg_dp_worker_sync_poll(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint64_t now_tsc)
{
	struct sg_sync_rec recs[POLL_BURST];
	unsigned int n = 0, i, got;
	bool work = false;

	if (w->conf.sync_out == NULL)
		return false;
	while (w->conf.sync_in != NULL && n < SG_DP_SYNC_POLL_MAX &&
	       !rte_ring_empty(w->conf.sync_in)) {
		memset(recs, 0,
		       sizeof(recs)); /* only when records wait (the analyzer sees no ring) */
		got = rte_ring_sc_dequeue_burst_elem(w->conf.sync_in, recs, sizeof(recs[0]),
						     POLL_BURST, NULL);
		for (i = 0; i < got; i++)
			rec_install(w, t, &recs[i], now_tsc);
		n += got;
		if (got < POLL_BURST)
			break;
	}
	work = n > 0;
	if (w->conf.sync_dump != NULL && dump_step(w, now_tsc))
		work = true;
	return work;
}
