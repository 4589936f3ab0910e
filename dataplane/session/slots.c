/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session slots and the session layer's life cycle: a slot, an ID and a
 * flow entry in state HELD per session; release; creation and teardown of
 * the worker's session state.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "sessiongate/sg_id.h"
#include "session/ctl.h"
#include "session/session.h"
#include "session/slots.h"
#include "core/tx.h"

void
sg_dp_broker_sess_release(struct sg_dp_worker *w, struct sg_dp_flow *f)
{
	struct sg_dp_broker *b = w->br;
	struct br_sess *s = sess_of(w, f);
	uint32_t idx;

	if (s == NULL)
		return;
	idx = (uint32_t)(s - b->s);
	/* bytes of a session that ends before its hand-off are dropped, counted */
	w->stats.cnt[SG_DP_EV_RELEASED] += s->hold.n;
	w->stats.cnt[SG_DP_DROP_BROKERED] += s->hold.n;
	sg_dp_hold_free(&s->hold);
	sg_dp_pfx_release(&b->pfx, s->pfx);
	/* the ID names the flow (SESSION_ABORT of an installed session) until it goes */
	if (b->held_by_vs[s->vs_slot] > 0)
		b->held_by_vs[s->vs_slot]--;
	s->state = BR_FREE;
	b->free_idx[b->n_free++] = idx;
	f->sess = 0;
}

void
sg_dp_broker_sid_forget(struct sg_dp_worker *w, struct sg_dp_flow *f)
{
	sg_dp_broker_sess_release(w, f);
	sg_dp_acct_end(w, f);
	rte_hash_del_key(w->br->by_sid, &f->sid);
}

void
sg_dp_broker_flow_gone(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why)
{
	struct sg_msg_session_closed c;

	if (f->sid == 0)
		return;
	memset(&c, 0, sizeof(c));
	c.reason = SG_MSG_REASON_CLIENT_CLOSED;
	if (why == SG_DP_EV_FLOW_EXPIRED || why == SG_DP_EV_FLOW_EVICTED)
		c.reason = SG_MSG_REASON_IDLE;
	if (f->flags & SG_DP_FLOW_ABORT)
		c.reason = f->abort_reason; /* ended by SESSION_ABORT (abort.c) */
	/* its usage up to its last packet (zeros: never installed) */
	sg_dp_acct_fill(w, f, &c, f->last_tsc);
	sg_dp_broker_sid_forget(w, f);
	sg_dp_broker_send_closed(w, f->sid, &c);
	w->stats.cnt[SG_DP_EV_SESS_CLOSED]++;
	f->sid = 0;
}

void
sg_dp_broker_sync_adopt(struct sg_dp_worker *w, struct sg_dp_flow *f)
{
	uint64_t sid = f->sid;

	if (w->br == NULL || sid == 0)
		return;
	(void)rte_hash_add_key_data(w->br->by_sid, &sid,
				    (void *)(uintptr_t)(BR_SID_FLOW | (uintptr_t)(f - w->ft.e)));
	/* counted from here, without the install's QoS (a peer applied it) */
	sg_dp_acct_start(w, f, NULL, f->mode == SG_CFG_MODE_DSR, 0, f->last_tsc);
}

static uint64_t
sid_make(struct sg_dp_broker *b)
{
	uint64_t c = b->sid_next++ & ((UINT64_C(1) << BR_SID_CNT_BITS) - 1);

	return b->sid_base | (c == 0 ? 1 : c);
}

static bool
is_http_key(enum sg_cfg_l7 k)
{
	return k == SG_CFG_L7_HTTP_HOST || k == SG_CFG_L7_HTTP_PATH || k == SG_CFG_L7_HTTP_COOKIE ||
	       k == SG_CFG_L7_HTTP_HEADER;
}

/*
 * A session slot, its ID and a flow entry in state HELD for @p p's flow.
 * NULL when there is no room (@p m dropped, counted).
 */
struct br_sess *
sg_dp_broker_sess_open(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m,
		       const struct sg_dp_pkt *p, const struct sg_dp_vs *vs, uint32_t first_seq,
		       uint64_t now, struct sg_dp_flow **fp)
{
	struct sg_dp_broker *b = w->br;
	bool tcp = p->key.proto == IPPROTO_TCP;
	struct sg_dp_flow *f;
	struct br_sess *s;
	struct sg_dp_pfx_ref pfx = sg_dp_pfx_of(&b->pfx, &p->key);
	enum sg_dp_cnt rc;
	uint32_t idx;
	int arc;

	/*
	 * One source prefix cannot hold the worker's sessions nor start VMs at
	 * will; a SYN-proxied nat connection starts no VM: only the held limit.
	 */
	arc = vs->mode == SG_CFG_MODE_BROKERED ? sg_dp_pfx_admit(&b->pfx, pfx, now)
					       : sg_dp_pfx_admit_held(&b->pfx, pfx);
	if (arc != 0) {
		sg_dp_pkt_drop(w, port, m,
			       arc == -ENOSPC ? SG_DP_DROP_HOLD_PREFIX : SG_DP_DROP_NEW_RATE);
		return NULL;
	}
	f = sg_dp_flow_insert(w, &p->key, now, &rc);
	if (f == NULL) {
		sg_dp_pfx_release(&b->pfx, pfx);
		sg_dp_pkt_drop(w, port, m, rc);
		return NULL;
	}
	idx = b->free_idx[--b->n_free];
	s = &b->s[idx];
	memset(s, 0, offsetof(struct br_sess, key));
	s->sid = sid_make(b);
	/* the ID names the flow entry, held or installed: no update at the hand-off */
	if (rte_hash_add_key_data(b->by_sid, &s->sid,
				  (void *)(uintptr_t)(BR_SID_FLOW | (uintptr_t)(f - w->ft.e))) <
		    0 ||
	    sg_dp_hold_init(&s->hold, &b->budget, first_seq, vs->br.hold_bytes, BR_HOLD_SEGS) !=
		    0) {
		rte_hash_del_key(b->by_sid, &s->sid);
		b->free_idx[b->n_free++] = idx;
		sg_dp_pfx_release(&b->pfx, pfx);
		sg_dp_flow_discard(&w->ft, f);
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_SESS_FULL);
		return NULL;
	}
	s->state = BR_HELD;
	s->pfx = pfx;
	s->flow = (uint32_t)(f - w->ft.e);
	s->vs_slot = vs->slot;
	s->client_port = port;
	s->http = tcp && is_http_key(vs->br.key);
	s->retry_after = vs->br.retry_after_s;
	s->deadline = now + vs->hold_tmo;
	s->tmo_trans = tcp ? vs->tmo_tcp_trans : vs->tmo_udp;
	s->key_type = SG_MSG_L7_NONE;
	b->held_by_vs[vs->slot]++;

	f->state = SG_DP_FS_HELD;
	f->mode = (uint8_t)vs->mode;
	f->vs_slot = vs->slot;
	f->member_slot = SG_DP_MEMBER_SLOT_BROKERED;
	f->hash = sg_dp_flow_hash(&p->key);
	f->sid = s->sid;
	f->sess = idx + 1;
	f->tmo_est = tcp ? vs->tmo_tcp_est : vs->tmo_udp;
	/* the broker times held sessions out itself; expiry must not beat it */
	f->tmo_trans =
		vs->hold_tmo + ms_tsc(w, (uint64_t)BR_SYN_RTO_MS * BR_SYN_TRIES) + s->tmo_trans;
	if (!tcp)
		f->tmo_est = f->tmo_trans; /* UDP flows are "established" from the start */
	w->vs_active[vs->slot]++;
	w->member_active[SG_DP_MEMBER_SLOT_BROKERED]++;
	w->stats.vs[vs->slot].active_flows++;
	w->stats.vs[vs->slot].flows++;
	w->stats.cnt[SG_DP_EV_FLOW_NEW]++;
	w->stats.cnt[SG_DP_EV_SESS_NEW]++;
	*fp = f;
	return s;
}

struct sg_dp_flow *
sg_dp_broker_flow_by_id(struct sg_dp_worker *w, uint64_t sid)
{
	struct sg_dp_flow *f;
	uintptr_t idx;
	void *data;

	if (rte_hash_lookup_data(w->br->by_sid, &sid, &data) < 0)
		return NULL;
	idx = (uintptr_t)data & ~(uintptr_t)BR_SID_FLOW;
	if (!((uintptr_t)data & BR_SID_FLOW) || idx >= w->ft.cap)
		return NULL;
	f = &w->ft.e[idx];
	return f->state != SG_DP_FS_FREE && f->sid == sid ? f : NULL;
}

struct br_sess *
sg_dp_broker_sess_by_id(struct sg_dp_worker *w, uint64_t sid, struct sg_dp_flow **fp)
{
	struct sg_dp_flow *f = sg_dp_broker_flow_by_id(w, sid);
	struct br_sess *s = f != NULL ? sess_of(w, f) : NULL;

	/* installed (no session slot any more), or a slot taken by another session */
	if (s == NULL || s->state == BR_FREE || s->sid != sid)
		return NULL;
	*fp = f;
	return s;
}

int
sg_dp_broker_create(struct sg_dp_worker *w)
{
	const struct sg_dp_worker_conf *c = &w->conf;
	struct rte_hash_parameters hp = {0};
	struct sg_dp_broker *b;
	char name[RTE_HASH_NAMESIZE];
	uint8_t keys[32];
	uint64_t epoch;
	uint32_t i;

	if (c->max_held == 0 || c->pool == NULL || c->cookies == NULL)
		return 0; /* no brokered sessions on this worker */
	/* SESSION_NEW and CLOSED are built in their ring slot (sg_dp_ctl_reserve()) */
	if (c->to_ctl != NULL && c->to_ctl->prod.sync_type != RTE_RING_SYNC_ST)
		return -EINVAL;
	b = rte_zmalloc_socket("sg_broker", sizeof(*b), RTE_CACHE_LINE_SIZE, c->socket);
	if (b == NULL)
		return -ENOMEM;
	w->br = b;
	b->cap = c->max_held;
	b->s = rte_zmalloc_socket("sg_broker_sess", (size_t)b->cap * sizeof(*b->s),
				  RTE_CACHE_LINE_SIZE, c->socket);
	b->free_idx = rte_malloc_socket("sg_broker_free", (size_t)b->cap * sizeof(uint32_t), 0,
					c->socket);
	snprintf(name, sizeof(name), "sg_sid_%u_%p", c->id, (void *)b);
	hp.name = name;
	/* held sessions by slot, installed ones by flow entry (sg_dp_broker_flow_by_id()) */
	hp.entries = RTE_MAX(b->cap + w->ft.cap, 8u);
	hp.key_len = sizeof(uint64_t);
	/* IDs are made here (a counter) or by a peer's worker, never by a client: CRC32 will do */
	hp.hash_func = rte_hash_crc;
	hp.socket_id = c->socket;
	b->by_sid = rte_hash_create(&hp);
	if (b->s == NULL || b->free_idx == NULL || b->by_sid == NULL || sg_dp_acct_create(w) != 0) {
		sg_dp_broker_free(w);
		return -ENOMEM;
	}
	for (i = 0; i < b->cap; i++)
		b->free_idx[i] = b->cap - 1 - i;
	b->n_free = b->cap;
	b->budget.limit = c->hold_budget;
	/* a held segment pins a whole mbuf: the budget counts them (issue 12, defect 1) */
	b->budget.mbuf_limit = c->hold_mbufs != 0 ? c->hold_mbufs : c->pool->size / 2;
	b->budget.pool = c->pool;
	b->budget.reserve = c->hold_reserve;
	/* keys no client can learn: the prefix table's hash, the bounce tokens */
	if (getrandom(keys, sizeof(keys), 0) != (ssize_t)sizeof(keys)) {
		sg_dp_broker_free(w);
		return -EIO;
	}
	sg_dp_pfx_init(&b->pfx, c->pfx_max_held, c->pfx_new_rate, c->pfx_new_burst, w->tsc_hz,
		       keys);
	memcpy(b->token_key, keys + 16, sizeof(b->token_key));
	memset(keys, 0, sizeof(keys));
	/*
	 * Session ID serial: 16 bits of this start's epoch, the worker (6 bits)
	 * and a 34-bit counter: unique per start without any coordination. In
	 * a cluster (node_id 1..15) the node takes the epoch's top 4 bits, so
	 * two appliances never make the same ID.
	 */
	epoch = c->node_id != 0 ? ((uint64_t)(c->node_id & 0xf) << 12) | (c->dp_epoch & 0xfff)
				: c->dp_epoch & 0xffff;
	b->sid_base = sg_id_make(
		SG_ID_T_STREAMING,
		(epoch << 40) | ((uint64_t)(c->id & BR_SID_WORKER_MASK) << BR_SID_WORKER_BIT));
	b->sid_next = 1;
	return 0;
}

void
sg_dp_broker_free(struct sg_dp_worker *w)
{
	struct sg_dp_broker *b = w->br;
	uint32_t i;

	if (b == NULL)
		return;
	for (i = 0; b->s != NULL && i < b->cap; i++) {
		if (b->s[i].state != BR_FREE)
			sg_dp_hold_free(&b->s[i].hold);
	}
	rte_hash_free(b->by_sid);
	sg_dp_acct_free(w);
	rte_free(b->free_idx);
	rte_free(b->s);
	rte_free(b);
	w->br = NULL;
}
