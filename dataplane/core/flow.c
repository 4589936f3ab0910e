/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker flow table. Each worker owns its table (one writer, one
 * reader, the same lcore), so a lookup costs no atomics and a delete frees
 * its slot at once. Entries live in a fixed array allocated at worker
 * creation; the index (core/flowhash.h) maps a 5-tuple to an entry. A NAT
 * flow has a second key (the return 5-tuple) naming the same entry.
 *
 * Flows in state SYN (embryonic: no client ACK yet) or CLOSING also sit on
 * a list in the order they entered it. When the table is full the oldest of
 * them is evicted before any established flow, and an empty NAT port pool
 * takes its port back from the oldest of them that uses its address: a SYN
 * flood then recycles its own entries and ports. The next victims' memory
 * is fetched ahead of their eviction (flowahead.c); who they are is
 * decided here (the least-recently-used scan itself lives in flowahead.c,
 * which runs it ahead for a burst's victims).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <stddef.h>

#include <rte_malloc.h>
#include <rte_tcp.h>

#include "core/flow.h"
#include "core/nat.h"
#include "core/state.h"
#include "core/sync.h"

#define RECLAIM_SCAN 64 /* embryonic flows examined to reclaim a NAT port */

int
sg_dp_flow_table_init(struct sg_dp_flow_table *ft, uint32_t cap, int socket, unsigned int worker_id)
{
	uint32_t i;
	int rc;

	RTE_SET_USED(worker_id);
	memset(ft, 0, sizeof(*ft));
	if (cap == 0 || cap > (1u << 26))
		return -EINVAL;
	ft->e = rte_zmalloc_socket("sgdp_flows", sizeof(*ft->e) * cap, RTE_CACHE_LINE_SIZE, socket);
	ft->free_idx = rte_malloc_socket("sgdp_flow_free", sizeof(uint32_t) * cap, 0, socket);
	if (ft->e == NULL || ft->free_idx == NULL) {
		sg_dp_flow_table_free(ft);
		return -ENOMEM;
	}
	/* forward + NAT return keys */
	rc = sg_dp_fh_init(&ft->fh, 2 * cap, ft->e, sizeof(*ft->e),
			   offsetof(struct sg_dp_flow, key), offsetof(struct sg_dp_flow, rkey),
			   socket);
	if (rc < 0) {
		sg_dp_flow_table_free(ft);
		return rc;
	}
	ft->cap = cap;
	ft->emb_head = ft->emb_tail = SG_DP_FLOW_NONE;
	for (i = 0; i < cap; i++)
		ft->free_idx[i] = cap - 1 - i;
	ft->n_free = cap;
	return 0;
}

void
sg_dp_flow_table_free(struct sg_dp_flow_table *ft)
{
	sg_dp_fh_free(&ft->fh);
	rte_free(ft->e);
	rte_free(ft->free_idx);
	memset(ft, 0, sizeof(*ft));
}

struct sg_dp_flow *
sg_dp_flow_lookup(struct sg_dp_flow_table *ft, const struct sg_dp_flow_key *key)
{
	uint32_t ref = sg_dp_fh_lookup(&ft->fh, key, sg_dp_flow_sig(key));

	return ref != 0 ? &ft->e[sg_dp_fh_idx(ref)] : NULL;
}

static bool
state_embryonic(uint8_t state)
{
	return state == SG_DP_FS_SYN || state == SG_DP_FS_CLOSING;
}

/* Whether @p f belongs on the embryonic list: TCP SYN or CLOSING, UDP of one datagram. */
static bool
flow_embryonic(const struct sg_dp_flow *f)
{
	return state_embryonic(f->state) || (f->unconf && f->state != SG_DP_FS_FREE);
}

static void
emb_link(struct sg_dp_flow_table *ft, struct sg_dp_flow *f)
{
	uint32_t idx = (uint32_t)(f - ft->e);

	if (f->emb != SG_DP_FLOW_EMB_OFF)
		return;
	f->emb = SG_DP_FLOW_EMB_ON;
	f->emb_prev = ft->emb_tail;
	f->emb_next = SG_DP_FLOW_NONE;
	if (ft->emb_tail != SG_DP_FLOW_NONE)
		ft->e[ft->emb_tail].emb_next = idx;
	else
		ft->emb_head = idx;
	ft->emb_tail = idx;
	ft->n_emb++;
}

static void
emb_unlink(struct sg_dp_flow_table *ft, struct sg_dp_flow *f)
{
	if (f->emb == SG_DP_FLOW_EMB_OFF)
		return;
	if (f->emb == SG_DP_FLOW_EMB_AHEAD) { /* the window is a prefix of the list */
		ft->n_ahead--;
		if (ft->ahead_last == (uint32_t)(f - ft->e))
			ft->ahead_last = f->emb_prev;
	}
	f->emb = SG_DP_FLOW_EMB_OFF;
	if (f->emb_prev != SG_DP_FLOW_NONE)
		ft->e[f->emb_prev].emb_next = f->emb_next;
	else
		ft->emb_head = f->emb_next;
	if (f->emb_next != SG_DP_FLOW_NONE)
		ft->e[f->emb_next].emb_prev = f->emb_prev;
	else
		ft->emb_tail = f->emb_prev;
	ft->n_emb--;
}

void
sg_dp_flow_set_state(struct sg_dp_flow_table *ft, struct sg_dp_flow *f, enum sg_dp_flow_state state)
{
	f->state = (uint8_t)state;
	f->unconf = false;
	if (state_embryonic(f->state))
		emb_link(ft, f);
	else
		emb_unlink(ft, f);
}

void
sg_dp_flow_udp_unconf(struct sg_dp_flow_table *ft, struct sg_dp_flow *f)
{
	f->unconf = true;
	emb_link(ft, f);
}

void
sg_dp_flow_confirm(struct sg_dp_flow_table *ft, struct sg_dp_flow *f)
{
	f->unconf = false;
	emb_unlink(ft, f);
}

/*
 * The oldest embryonic flow among at most @p scan from the list's head.
 * Flows moved out of SYN / CLOSING by another layer leave the list here.
 */
static struct sg_dp_flow *
emb_oldest(struct sg_dp_flow_table *ft, unsigned int scan)
{
	uint32_t idx = ft->emb_head;

	while (idx != SG_DP_FLOW_NONE && scan-- > 0) {
		struct sg_dp_flow *f = &ft->e[idx];

		idx = f->emb_next;
		if (flow_embryonic(f))
			return f;
		emb_unlink(ft, f);
	}
	return NULL;
}

static bool
ip_equal(const struct sg_dp_ip *a, const struct sg_dp_ip *b)
{
	return a->family == b->family && memcmp(a->a, b->a, sizeof(a->a)) == 0;
}

/*
 * The NAT flow (of no session) whose port of @p nat to reclaim, among the
 * first RECLAIM_SCAN of the embryonic list: the oldest whose member is not
 * @p member:@p mport, else the oldest. The member may still hold the old
 * connection's state (a SYN-RECV request whose SYN-ACKs nobody answers):
 * the same 4-tuple towards it would meet that state instead of a new
 * connection.
 */
static struct sg_dp_flow *
reclaim_victim(struct sg_dp_flow_table *ft, const struct sg_dp_ip *nat,
	       const struct sg_dp_ip *member, uint16_t mport)
{
	struct sg_dp_flow *same = NULL;
	uint32_t idx = ft->emb_head;
	unsigned int scan = RECLAIM_SCAN;

	while (idx != SG_DP_FLOW_NONE && scan-- > 0) {
		struct sg_dp_flow *f = &ft->e[idx];

		idx = f->emb_next;
		if (!flow_embryonic(f)) {
			emb_unlink(ft, f);
			continue;
		}
		if (!(f->flags & SG_DP_FLOW_NAT) || f->sid != 0 || !ip_equal(&f->nat, nat))
			continue;
		if (f->mport != mport || !ip_equal(&f->member, member))
			return f;
		if (same == NULL)
			same = f;
	}
	return same;
}

/*
 * Remove @p f; @p vic: its position among the burst's prefetched victims
 * (their keys' signatures), or -1.
 */
static void
flow_remove(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why, int vic)
{
	struct sg_dp_flow_table *ft = &w->ft;
	uint32_t idx;

	if (unlikely(f->sid != 0) && w->flow_gone != NULL)
		w->flow_gone(w, f, why); /* the session layer's hook (core/state.h) */
	if (unlikely(f->sync & SG_DP_SYNC_PUB))
		sg_dp_sync_gone(w, f, why); /* the peers drop their copy */
	idx = (uint32_t)(f - ft->e);
	(void)sg_dp_fh_del(&ft->fh, vic >= 0 ? ft->vic_sig[vic] : sg_dp_flow_sig(&f->key),
			   sg_dp_fh_ref(idx, false));
	if (f->flags & SG_DP_FLOW_NAT) {
		/* a victim that was not a NAT flow when looked up has no return signature kept */
		(void)sg_dp_fh_del(&ft->fh,
				   vic >= 0 && ((ft->vic_natm >> vic) & 1)
					   ? ft->vic_rsig[vic]
					   : sg_dp_flow_sig(&f->rkey),
				   sg_dp_fh_ref(idx, true));
		sg_dp_nat_port_put(w, &f->nat, rte_be_to_cpu_16(f->nat_port));
	}
	emb_unlink(ft, f);
	w->vs_active[f->vs_slot]--;
	w->member_active[f->member_slot]--;
	w->stats.vs[f->vs_slot].active_flows--;
	w->stats.member[f->member_slot].active_flows--;
	w->stats.cnt[why]++;
	f->state = SG_DP_FS_FREE;
	ft->free_idx[ft->n_free++] = idx;
	ft->count--;
	ft->gen++;
}

void
sg_dp_flow_remove(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why)
{
	/* the entry may be reused for another key: the victims' signatures go */
	w->ft.n_vic = 0;
	flow_remove(w, f, why, -1);
}

/*
 * Make room: the oldest embryonic or closing flow, else the least recently
 * used of a few entries after the scan cursor.
 */
static bool
evict_one(struct sg_dp_worker *w, uint64_t now)
{
	struct sg_dp_flow_table *ft = &w->ft;
	struct sg_dp_flow *victim = emb_oldest(ft, SG_DP_FLOW_EVICT_SCAN);
	uint32_t idx;

	if (victim != NULL) {
		w->stats.cnt[SG_DP_EV_FLOW_EVICTED_EMB]++;
		flow_remove(w, victim, SG_DP_EV_FLOW_EVICTED, sg_dp_flow_victim_pos(ft, victim));
		sg_dp_flow_ahead_step(ft); /* the next victims' entries, one eviction ahead */
		if (ft->n_ahead < SG_DP_FLOW_AHEAD)
			sg_dp_flow_ahead_step(ft);
		return true;
	}
	idx = sg_dp_flow_lru_taken(ft, now); /* chosen ahead, still the one */
	if (idx == SG_DP_FLOW_NONE)
		(void)sg_dp_flow_lru_scan(ft, &ft->cursor, &idx);
	if (idx == SG_DP_FLOW_NONE)
		return false;
	victim = &ft->e[idx];
	w->stats.cnt[flow_embryonic(victim) ? SG_DP_EV_FLOW_EVICTED_EMB
					    : SG_DP_EV_FLOW_EVICTED_EST]++;
	/* chosen ahead with the burst's victims (flowahead.c), unless touched since */
	flow_remove(w, victim, SG_DP_EV_FLOW_EVICTED, sg_dp_flow_victim_pos(ft, victim));
	return true;
}

struct sg_dp_flow *
sg_dp_flow_insert(struct sg_dp_worker *w, const struct sg_dp_flow_key *key, uint64_t now,
		  enum sg_dp_cnt *reason)
{
	struct sg_dp_flow_table *ft = &w->ft;
	struct sg_dp_flow *f;
	uint32_t sig, idx;
	int rc;

	if (ft->n_free == 0) {
		w->stats.cnt[SG_DP_EV_FLOW_TABLE_FULL]++;
		if (!evict_one(w, now)) {
			*reason = SG_DP_DROP_FLOW_FULL;
			return NULL;
		}
	}
	idx = ft->free_idx[--ft->n_free];
	/* the burst computed the signature of the key it inserts */
	sig = key == ft->ins_key ? ft->ins_sig : sg_dp_flow_sig(key);
	rc = sg_dp_fh_add(&ft->fh, key, sig, sg_dp_fh_ref(idx, false));
	if (unlikely(rc < 0)) {
		ft->free_idx[ft->n_free++] = idx;
		if (rc == -ENOSPC)
			w->stats.cnt[SG_DP_EV_FLOW_BUCKET_FULL]++;
		*reason = SG_DP_DROP_FLOW_FULL;
		return NULL;
	}
	f = &ft->e[idx];
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->last_tsc = now;
	f->state = SG_DP_FS_EST;
	ft->count++;
	return f;
}

void
sg_dp_flow_discard(struct sg_dp_flow_table *ft, struct sg_dp_flow *f)
{
	ft->n_vic = 0; /* as sg_dp_flow_remove() */
	(void)sg_dp_fh_del(&ft->fh, sg_dp_flow_sig(&f->key),
			   sg_dp_fh_ref((uint32_t)(f - ft->e), false));
	emb_unlink(ft, f);
	f->state = SG_DP_FS_FREE;
	ft->free_idx[ft->n_free++] = (uint32_t)(f - ft->e);
	ft->count--;
	ft->gen++;
}

int
sg_dp_flow_add_rkey_sig(struct sg_dp_flow_table *ft, struct sg_dp_flow *f, uint32_t sig)
{
	if (f->key.family == AF_INET) { /* the forward rewrite's addresses, in line 0 */
		uint16_t ck[SG_DP_NAT4_CK_N];

		_Static_assert(sizeof(f->n4.ck) == sizeof(ck), "n4.ck: one word per change");
		memcpy(f->n4.nat4, f->nat.a, 4);
		memcpy(f->n4.member4, f->member.a, 4);
		sg_dp_nat4_ck_make(ck, f->key.src, f->key.sport, f->key.dst, f->key.dport, f->nat.a,
				   f->nat_port, f->member.a, f->mport);
		memcpy(f->n4.ck, ck, sizeof(ck));
	}
	ft->rsig[ft->n_rsig++ % SG_DP_FLOW_RSIGS] = sig;
	ft->rsig_bits[(sig >> 6) & 3] |= UINT64_C(1) << (sig & 63);
	return sg_dp_fh_add(&ft->fh, &f->rkey, sig, sg_dp_fh_ref((uint32_t)(f - ft->e), true));
}

int
sg_dp_flow_add_rkey(struct sg_dp_flow_table *ft, struct sg_dp_flow *f)
{
	sg_dp_flow_rkey_fill(&f->rkey, &f->member, f->mport, &f->nat, f->nat_port, f->key.proto,
			     f->key.family);
	return sg_dp_flow_add_rkey_sig(ft, f, sg_dp_flow_sig(&f->rkey));
}

void
sg_dp_flow_track_tcp(struct sg_dp_worker *w, struct sg_dp_flow *f, uint8_t fl, bool from_client)
{
	struct sg_dp_flow_table *ft = &w->ft;

	if (fl & (RTE_TCP_RST_FLAG | RTE_TCP_FIN_FLAG)) {
		if (f->state != SG_DP_FS_CLOSING)
			sg_dp_flow_set_state(ft, f, SG_DP_FS_CLOSING);
	} else if ((fl & RTE_TCP_SYN_FLAG) && !(fl & RTE_TCP_ACK_FLAG)) {
		if (f->state == SG_DP_FS_CLOSING)
			f->state = SG_DP_FS_SYN; /* reopened: still embryonic */
	} else if (unlikely(f->state == SG_DP_FS_SYN) && from_client && (fl & RTE_TCP_ACK_FLAG) &&
		   !(fl & RTE_TCP_SYN_FLAG)) {
		sg_dp_flow_set_state(ft, f, SG_DP_FS_EST); /* the client completed the handshake */
		if (unlikely(f->sync & SG_DP_SYNC_WANT))
			sg_dp_sync_publish(w, f, f->last_tsc);
	}
}

uint16_t
sg_dp_flow_nat_port(struct sg_dp_worker *w, const struct sg_dp_tables *t,
		    const struct sg_dp_ip *nat, const struct sg_dp_ip *member, uint16_t mport)
{
	struct sg_dp_flow *victim;
	uint16_t port = sg_dp_nat_port_get(w, t, nat);

	if (likely(port != 0))
		return port;
	w->stats.cnt[SG_DP_EV_NAT_PORT_EXHAUSTED]++;
	victim = reclaim_victim(&w->ft, nat, member, mport);
	if (victim == NULL)
		return 0;
	sg_dp_flow_remove(w, victim, SG_DP_EV_NAT_PORT_RECLAIMED);
	return sg_dp_nat_port_get(w, t, nat);
}

void
sg_dp_worker_expire(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint64_t now_tsc,
		    unsigned int budget)
{
	struct sg_dp_flow_table *ft = &w->ft;
	uint32_t c = ft->cursor;

	sg_dp_nat_sync(w, t); /* pools follow a reload before the first new NAT flow */
	if (budget > ft->cap)
		budget = ft->cap;
	while (budget-- > 0 && ft->count > 0) {
		struct sg_dp_flow *f = &ft->e[c];

		c = c + 1 == ft->cap ? 0 : c + 1;
		if (f->state == SG_DP_FS_FREE)
			continue;
		if (now_tsc <= f->last_tsc ||
		    now_tsc - f->last_tsc <=
			    (f->state == SG_DP_FS_EST ? f->tmo_est : f->tmo_trans)) {
			/* sync off: the walk stays on each entry's first cache line */
			if (unlikely(w->conf.sync_out != NULL) && (f->sync & SG_DP_SYNC_PUB))
				sg_dp_sync_refresh(w, f, now_tsc); /* an active flow's peers */
			continue;
		}
		/* a watched NAT flow whose member never answered its SYN */
		if (unlikely(f->flags & SG_DP_FLOW_WATCH) && !(f->flags & SG_DP_FLOW_SYNACK) &&
		    f->state == SG_DP_FS_SYN)
			sg_dp_passive_fail(w, t, f, SG_MSG_SUSPECT_TIMEOUT, now_tsc);
		sg_dp_flow_remove(w, f,
				  f->state == SG_DP_FS_CLOSING ? SG_DP_EV_FLOW_CLOSED
							       : SG_DP_EV_FLOW_EXPIRED);
	}
	ft->cursor = c;
}

uint32_t
sg_dp_worker_flow_count(const struct sg_dp_worker *w)
{
	return w->ft.count;
}
