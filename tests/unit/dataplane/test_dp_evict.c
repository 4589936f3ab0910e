/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Eviction of a full flow table with victims chosen ahead (core/flow.c:
 * the look-ahead window on the embryonic list, a burst's victims' keys
 * looked up together and their signatures reused by the deletes; a miss's
 * signature reused by its insert; the least recently used victims of an
 * all-established table chosen ahead the same way). Against a model of
 * the table: who is evicted (the oldest embryonic flow first, else the
 * least recently used after the cursor), the counters, and the hash
 * holding exactly the keys of the flows left (a delete with a wrong
 * signature would leave its key behind). And the inline signature against
 * the table's own hash.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_tcp.h>

#include "dp_test.h"

#define CAP	256u
#define PORTS	8192u /* client ports of the model: 1024 + i */
#define BURST	32u
#define ROUNDS	120u
#define VIP_DSR "198.18.10.1"
#define VIP_NAT "198.18.10.2"

enum { M_ABSENT, M_EMB, M_EST };

/* The table as it must be: each flow's state, embryonic flows in order. */
struct model {
	uint8_t st[PORTS];
	uint32_t fifo[PORTS * 2]; /* embryonic in the order they came; lazily skipped */
	uint32_t head, tail, count, n_emb, next_port;
	uint64_t evicted, dropped;
	bool maglev; /* an ACK of no flow makes one (Maglev DSR), else it is dropped (NAT) */
};

static struct model M;

static size_t
frame(uint8_t *b, const char *vip, uint32_t i, uint8_t flags)
{
	return pb_frame_tcp4(b, L2_GW, CLIENT4, vip, (uint16_t)(1024 + i), 80, flags, 64, 0);
}

/* UDP datagram of flow @p i to @p vip:@p dport (unconfirmed until its flow's second). */
static size_t
udp_frame(uint8_t *b, const char *vip, uint16_t dport, uint32_t i)
{
	return pb_frame_udp4(b, L2_GW, CLIENT4, vip, (uint16_t)(1024 + i), dport, 18);
}

/* The flow key of a frame @p b, as the worker's parser makes it. */
static struct sg_dp_flow_key
frame_key(const uint8_t *b, size_t len)
{
	struct rte_mbuf *m = mbuf_from(b, len);
	struct sg_dp_pkt p;

	assert_int_equal(sg_dp_pkt_parse(m, &p), SG_DP_CNT_MAX);
	rte_pktmbuf_free(m);
	return p.key;
}

/* The flow key of port @p i's TCP segments. */
static struct sg_dp_flow_key
key_of(const char *vip, uint32_t i)
{
	uint8_t b[128];

	return frame_key(b, frame(b, vip, i, RTE_TCP_ACK_FLAG));
}

/* The model takes flow @p i's packet (SYN: @p syn). */
static void
model_pkt(uint32_t i, bool syn)
{
	if (M.st[i] != M_ABSENT) {
		if (!syn && M.st[i] == M_EMB) {
			M.st[i] = M_EST; /* the client's ACK: off the embryonic list */
			M.n_emb--;
		}
		return;
	}
	if (!syn && !M.maglev) {
		M.dropped++; /* no_flow: NAT cannot know the member */
		return;
	}
	if (M.count == CAP) { /* full: the oldest embryonic flow goes */
		while (M.st[M.fifo[M.head]] != M_EMB)
			M.head++;
		M.st[M.fifo[M.head++]] = M_ABSENT;
		M.n_emb--;
		M.count--;
		M.evicted++;
	}
	M.st[i] = syn ? M_EMB : M_EST; /* Maglev DSR: an ACK of no flow makes one */
	if (syn) {
		M.fifo[M.tail++] = i;
		M.n_emb++;
	}
	M.count++;
}

/* @p n packets through worker 0 at @p t seconds, in one call; returns how many went out. */
static unsigned int
process(struct rte_mbuf **m, unsigned int n, double t)
{
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	unsigned int k, p, out = 0;

	assert_non_null(q);
	sg_dp_worker_process(env.w[0], env.t, 0, m, (uint16_t)n, q, now_s(t));
	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		for (k = 0; k < q->n[p]; k++)
			rte_pktmbuf_free(q->pkts[p][k]);
		out += q->n[p];
	}
	free(q);
	return out;
}

/* One burst of @p n packets (port, SYN or ACK) through worker 0 and the model. */
static void
burst(const char *vip, const uint32_t *port, const bool *syn, unsigned int n, double t)
{
	static uint8_t b[BURST][128];
	struct rte_mbuf *m[BURST];
	uint64_t dropped = M.dropped;
	unsigned int k;

	for (k = 0; k < n; k++) {
		m[k] = mbuf_from(b[k], frame(b[k], vip, port[k],
					     syn[k] ? RTE_TCP_SYN_FLAG : RTE_TCP_ACK_FLAG));
		model_pkt(port[k], syn[k]);
	}
	assert_int_equal(process(m, n, t) + M.dropped - dropped,
			 n); /* forwarded, or dropped as the model says */
}

/*
 * The table against the model: count, embryonic list, hash keys (@p keys_per
 * flow: 2 for NAT), every flow's state, and the look-ahead window (a prefix
 * of the embryonic list, its entries marked).
 */
static void
check(const char *vip, unsigned int keys_per_flow)
{
	const struct sg_dp_flow_table *ft = &env.w[0]->ft;
	const struct sg_dp_stats *st = sg_dp_worker_stats(env.w[0]);
	uint32_t i, idx, n = 0;

	assert_int_equal(ft->count, M.count);
	assert_int_equal(ft->n_emb, M.n_emb);
	assert_int_equal((int32_t)ft->fh.count, (int32_t)(M.count * keys_per_flow));
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_EVICTED], M.evicted);
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_EVICTED_EMB], M.evicted);
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_EVICTED_EST], 0);
	assert_int_equal(st->cnt[SG_DP_DROP_NO_FLOW], M.dropped);
	for (i = 0; i < M.next_port; i++) {
		struct sg_dp_flow_key k = key_of(vip, i);
		struct sg_dp_flow *f = sg_dp_flow_lookup(&env.w[0]->ft, &k);

		if (M.st[i] == M_ABSENT) {
			assert_null(f);
			continue;
		}
		assert_non_null(f);
		assert_memory_equal(&f->key, &k, sizeof(k));
		assert_int_equal(f->state, M.st[i] == M_EMB ? SG_DP_FS_SYN : SG_DP_FS_EST);
	}
	for (idx = ft->emb_head; idx != SG_DP_FLOW_NONE; idx = ft->e[idx].emb_next, n++) {
		assert_int_equal(ft->e[idx].emb,
				 n < ft->n_ahead ? SG_DP_FLOW_EMB_AHEAD : SG_DP_FLOW_EMB_ON);
		if (n + 1 == ft->n_ahead)
			assert_int_equal(ft->ahead_last, idx);
	}
	assert_int_equal(n, ft->n_emb);
	assert_true(ft->n_ahead <= SG_DP_FLOW_AHEAD);
}

/*
 * Full bursts into a full table: most packets SYNs of new flows, some the
 * ACK of a flow still embryonic (it leaves the list, often from inside the
 * look-ahead window), some the ACK of a flow evicted earlier (a new flow
 * again). Each burst is checked against the model.
 */
static void
evict_run(const char *vip, unsigned int keys_per_flow, bool maglev)
{
	uint32_t port[BURST];
	bool syn[BURST];
	unsigned int r, k;

	memset(&M, 0, sizeof(M));
	M.maglev = maglev;
	srand(17);
	for (r = 0; r < ROUNDS && M.next_port + BURST < PORTS; r++) {
		for (k = 0; k < BURST; k++) {
			/* the last 320 ports: evicted, in the window, at the list's tail */
			uint32_t back = RTE_MIN(M.next_port, 320u);
			uint32_t j = M.next_port - 1 - (back > 0 ? (uint32_t)rand() % back : 0);
			int dice = rand() % 8;
			bool est_room = M.count - M.n_emb < CAP / 2; /* embryonic flows to evict */

			if (dice < 2 && back > 0 && est_room && M.st[j] == M_EMB) {
				port[k] = j; /* its handshake completes */
				syn[k] = false;
			} else if (dice == 2 && maglev && back > 0 && est_room &&
				   M.st[j] == M_ABSENT) {
				port[k] = j; /* an evicted flow's next segment */
				syn[k] = false;
			} else {
				port[k] = M.next_port++;
				syn[k] = true;
			}
		}
		burst(vip, port, syn, BURST, 1 + r * 0.01);
		if (r % 10 == 9 || r + 1 == ROUNDS)
			check(vip, keys_per_flow);
	}
	assert_true(M.evicted > 2000);		    /* the window and batches did the work */
	assert_true(env.w[0]->ft.n_ahead >= BURST); /* grown, not reset each time */
}

static void
test_evict_dsr(void **state)
{
	(void)state;
	env_teardown();
	assert_int_equal(env_setup(1, CAP), 0);
	evict_run(VIP_DSR, 1, true);
}

static void
test_evict_nat(void **state)
{
	(void)state;
	env_teardown();
	assert_int_equal(env_setup(1, CAP), 0);
	evict_run(VIP_NAT, 2, false); /* the return keys go with their flows */
}

/*
 * A removal between a burst's victim lookup and its evictions voids the
 * signatures kept: the freed entry is reused by another key, which must
 * not be deleted with the old key's signature when its turn comes (here:
 * the victims after it established, so the reused entry comes next).
 */
static void
test_victims_voided(void **state)
{
	uint32_t port[BURST], vic[SG_DP_FLOW_VICTIMS], n, i;
	struct sg_dp_flow_table *ft;
	bool syn[BURST];
	enum sg_dp_cnt why;
	struct sg_dp_flow *f;

	(void)state;
	env_teardown();
	assert_int_equal(env_setup(1, 8), 0);
	memset(&M, 0, sizeof(M));
	for (i = 0; i < BURST; i++) { /* 8 flows, 24 evictions: the window grows */
		port[i] = M.next_port++;
		syn[i] = true;
	}
	burst(VIP_DSR, port, syn, BURST, 1);
	ft = &env.w[0]->ft;
	assert_true(ft->n_ahead >= 4);
	sg_dp_flow_prefetch_victims(ft, 8);
	n = ft->n_vic;
	assert_int_equal(n, ft->n_ahead);
	assert_int_equal(ft->vic_idx[0], ft->emb_head);
	memcpy(vic, ft->vic_idx, sizeof(vic));
	sg_dp_flow_remove(env.w[0], &ft->e[vic[1]], SG_DP_EV_FLOW_CLOSED);
	assert_int_equal(ft->n_vic, 0);
	for (i = 2; i < n; i++)
		sg_dp_flow_set_state(ft, &ft->e[vic[i]], SG_DP_FS_EST);
	for (i = 0; i < 9; i++) { /* the first takes victim 1's entry; then evictions */
		struct sg_dp_flow_key k = key_of(VIP_DSR, 1000 + i);

		f = sg_dp_flow_insert(env.w[0], &k, now_s(2), &why);
		assert_non_null(f);
		if (i == 0)
			assert_ptr_equal(f, &ft->e[vic[1]]);
		f->vs_slot = env.t->vs[VS_DSR_IPIP].slot;
		sg_dp_flow_set_state(ft, f, SG_DP_FS_SYN);
		assert_int_equal((int32_t)ft->fh.count, (int32_t)ft->count);
		assert_non_null(sg_dp_flow_lookup(ft, &k));
	}
	assert_int_equal(ft->count, 8);
	/* the reused entry's key went too (the oldest embryonic flow at its turn) */
	{
		struct sg_dp_flow_key k = key_of(VIP_DSR, 1000);

		assert_null(sg_dp_flow_lookup(ft, &k));
	}
}

/*
 * A victim that became a NAT flow after its burst's lookup (a brokered
 * NAT hand-off installs the return key later): its return key has no
 * signature kept and is deleted by hashing it.
 */
static void
test_victim_nat_later(void **state)
{
	uint32_t port[BURST], i;
	struct sg_dp_flow_table *ft;
	struct sg_dp_flow_key k = key_of(VIP_DSR, 2000);
	bool syn[BURST];
	enum sg_dp_cnt why;
	struct sg_dp_flow *f;
	uint16_t np;

	(void)state;
	env_teardown();
	assert_int_equal(env_setup(1, 8), 0);
	memset(&M, 0, sizeof(M));
	for (i = 0; i < BURST; i++) {
		port[i] = M.next_port++;
		syn[i] = true;
	}
	burst(VIP_DSR, port, syn, BURST, 1);
	ft = &env.w[0]->ft;
	sg_dp_flow_prefetch_victims(ft, 1);
	assert_int_equal(ft->n_vic, 1);
	f = &ft->e[ft->vic_idx[0]];
	np = sg_dp_flow_nat_port(env.w[0], env.t, &env.t->nat4[0], &f->member, f->mport);
	assert_int_not_equal(np, 0);
	f->nat = env.t->nat4[0];
	f->nat_port = rte_cpu_to_be_16(np);
	assert_int_equal(sg_dp_flow_add_rkey(ft, f), 0);
	f->flags |= SG_DP_FLOW_NAT;
	assert_int_equal((int32_t)ft->fh.count, (int32_t)ft->count + 1);
	assert_non_null(sg_dp_flow_insert(env.w[0], &k, now_s(2), &why)); /* evicts it */
	assert_int_equal(ft->n_vic, 1);
	assert_int_equal(ft->vic_next, 1); /* its key's signature was used */
	assert_int_equal((int32_t)ft->fh.count, (int32_t)ft->count);
}

/*
 * UDP flows: one of a single datagram so far is unconfirmed, on the
 * embryonic list, and evicted first (the oldest); one that had a second
 * datagram is established. With none unconfirmed, each eviction takes the
 * least recently used of the SG_DP_FLOW_EVICT_SCAN entries after the cursor,
 * the first of them on a tie; the burst chose those victims ahead
 * (flowahead.c). The model holds the table by entry: the flow each holds,
 * the burst it was last seen in, whether it is confirmed and when it came,
 * the free stack (the victim's entry takes the new flow) and the cursor.
 */
#define LRU_CAP	   1024u
#define LRU_NONE   UINT32_MAX
#define LRU_ROUNDS 300u

struct lru_model {
	uint32_t ent[LRU_CAP];	/* entry -> port, LRU_NONE: free */
	uint32_t last[LRU_CAP]; /* entry -> burst it was last seen in */
	uint32_t born[LRU_CAP]; /* entry -> when its flow came (order of creation) */
	bool unconf[LRU_CAP];	/* entry -> its flow had one datagram so far */
	uint32_t at[PORTS];	/* port -> entry, LRU_NONE: no flow */
	uint32_t free_idx[LRU_CAP];
	uint32_t n_free, cursor, count, next_port, n_unconf, n_born;
	uint64_t evicted, ev_emb, ev_lru;
};

static struct lru_model L;

static void
lru_model_init(void)
{
	uint32_t i;

	memset(&L, 0, sizeof(L));
	memset(L.ent, 0xff, sizeof(L.ent));
	memset(L.at, 0xff, sizeof(L.at));
	for (i = 0; i < LRU_CAP; i++)
		L.free_idx[i] = LRU_CAP - 1 - i;
	L.n_free = LRU_CAP;
}

/* The model's eviction scan from @p *cursor: the victim's entry. */
static uint32_t
lru_model_scan(uint32_t *cursor)
{
	uint32_t v = LRU_NONE, c = *cursor, i;

	for (i = 0; i < LRU_CAP && (i < SG_DP_FLOW_EVICT_SCAN || v == LRU_NONE); i++) {
		uint32_t e = c;

		c = (c + 1) % LRU_CAP;
		if (L.ent[e] != LRU_NONE && (v == LRU_NONE || L.last[e] < L.last[v]))
			v = e;
	}
	*cursor = c;
	return v;
}

/* The model's oldest unconfirmed flow's entry, LRU_NONE if none. */
static uint32_t
lru_model_oldest_unconf(void)
{
	uint32_t v = LRU_NONE, e;

	for (e = 0; e < LRU_CAP; e++)
		if (L.ent[e] != LRU_NONE && L.unconf[e] && (v == LRU_NONE || L.born[e] < L.born[v]))
			v = e;
	return v;
}

/* The model takes a datagram of flow @p port in burst @p now. */
static void
lru_model_pkt(uint32_t port, uint32_t now)
{
	uint32_t e = L.at[port];

	if (e == LRU_NONE) {
		if (L.count == LRU_CAP) {
			uint32_t v = lru_model_oldest_unconf();

			if (v != LRU_NONE) {
				L.unconf[v] = false;
				L.n_unconf--;
				L.ev_emb++;
			} else {
				v = lru_model_scan(&L.cursor);
				L.ev_lru++;
			}
			L.at[L.ent[v]] = LRU_NONE;
			L.ent[v] = LRU_NONE;
			L.free_idx[L.n_free++] = v;
			L.count--;
			L.evicted++;
		}
		e = L.free_idx[--L.n_free];
		L.ent[e] = port;
		L.at[port] = e;
		L.unconf[e] = true;
		L.born[e] = L.n_born++;
		L.n_unconf++;
		L.count++;
	} else if (L.unconf[e]) { /* its second datagram */
		L.unconf[e] = false;
		L.n_unconf--;
	}
	L.last[e] = now;
}

/*
 * The table against the model: count, cursor, the embryonic list, counters,
 * the hash holding exactly the flows' keys (and NAT return keys:
 * @p keys_per_flow 2), each flow in the entry the model says, confirmed or
 * not as it says, the VS's active flows.
 */
static void
lru_check(const char *vip, uint16_t dport, unsigned int vs, unsigned int keys_per_flow)
{
	const struct sg_dp_flow_table *ft = &env.w[0]->ft;
	const struct sg_dp_stats *st = sg_dp_worker_stats(env.w[0]);
	uint32_t i;

	assert_int_equal(ft->count, L.count);
	assert_int_equal(ft->cursor, L.cursor);
	assert_int_equal(ft->n_emb, L.n_unconf);
	assert_int_equal((int32_t)ft->fh.count, (int32_t)(L.count * keys_per_flow));
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_EVICTED], L.evicted);
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_EVICTED_EST], L.ev_lru);
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_EVICTED_EMB], L.ev_emb);
	assert_int_equal(st->cnt[SG_DP_EV_NAT_PORT_EXHAUSTED], 0);
	assert_int_equal(st->vs[env.t->vs[vs].slot].active_flows, L.count);
	if (L.n_unconf > 0) /* the list's head is the oldest unconfirmed flow */
		assert_int_equal(ft->emb_head, lru_model_oldest_unconf());
	for (i = 0; i < L.next_port; i++) {
		uint8_t b[128];
		struct sg_dp_flow_key k = frame_key(b, udp_frame(b, vip, dport, i));
		struct sg_dp_flow *f = sg_dp_flow_lookup(&env.w[0]->ft, &k);

		if (L.at[i] == LRU_NONE) {
			assert_null(f);
			continue;
		}
		assert_ptr_equal(f, &ft->e[L.at[i]]);
		assert_int_equal(f->unconf, L.unconf[L.at[i]]);
		assert_int_equal(f->emb != SG_DP_FLOW_EMB_OFF, L.unconf[L.at[i]]);
		if (keys_per_flow == 2) /* the return key, its port in use */
			assert_ptr_equal(sg_dp_flow_lookup(&env.w[0]->ft, &f->rkey), f);
	}
}

/* A random port of a flow the model holds (there is one). */
static uint32_t
lru_model_held(void)
{
	for (;;) {
		uint32_t j = (uint32_t)rand() % L.next_port;

		if (L.at[j] != LRU_NONE)
			return j;
	}
}

/*
 * Full bursts of datagrams into a full table: most of new flows, some of
 * held flows (they become recent, and confirmed), some of evicted flows
 * (new again). A new flow's datagram is followed by a second one at once
 * (confirmed in the same burst) @p confirm_pct % of the time; at 100 the
 * table holds no unconfirmed flow between bursts, and every other burst
 * starts with a datagram of its second victim chosen ahead, which then
 * must not be evicted (another flow of its window is). Checked against the
 * model every 10 bursts.
 */
static void
lru_run(const char *vip, uint16_t dport, unsigned int vs, unsigned int keys_per_flow,
	int confirm_pct)
{
	static uint8_t b[BURST][128];
	const struct sg_dp_flow_table *ft = &env.w[0]->ft;
	struct rte_mbuf *m[BURST];
	uint64_t used = 0, touched = 0;
	uint32_t r, k;

	lru_model_init();
	srand(17);
	for (r = 0; r < LRU_ROUNDS; r++) {
		uint32_t c = L.cursor, v = LRU_NONE, port, tp = LRU_NONE;
		bool again = false;

		if (L.count == LRU_CAP && L.n_unconf == 0 && r % 2 == 1) { /* the second victim */
			(void)lru_model_scan(&c);
			v = lru_model_scan(&c);
		}
		for (k = 0; k < BURST; k++) {
			uint32_t j = L.next_port > 0 ? (uint32_t)rand() % L.next_port : 0;
			int dice = rand() % 8;
			bool fresh = false;

			if (again) { /* the last datagram's flow again */
				again = false;
			} else if (k == 0 && v != LRU_NONE) {
				port = tp = L.ent[v];
			} else if (confirm_pct == 100 && k + 1 == BURST) {
				port = lru_model_held(); /* no room for a new flow's second datagram
							  */
			} else if (dice < 2 && L.next_port > 0 && L.at[j] != LRU_NONE) {
				port = j; /* a held flow's */
			} else if (dice == 2 && L.next_port > 0 && L.at[j] == LRU_NONE) {
				port = j; /* an evicted flow's: a new flow */
				fresh = true;
			} else {
				port = L.next_port++;
				fresh = true;
			}
			if (fresh && k + 1 < BURST && rand() % 100 < confirm_pct)
				again = true;
			m[k] = mbuf_from(b[k], udp_frame(b[k], vip, dport, port));
			lru_model_pkt(port, r + 1);
		}
		assert_int_equal(process(m, BURST, 1 + r * 0.01), BURST);
		used += ft->vic_next; /* victims whose kept signatures their deletes used */
		if (tp != LRU_NONE) { /* chosen ahead, touched, kept */
			assert_true(ft->n_vic >= 2);
			assert_int_equal(ft->vic_idx[1], v);
			assert_int_equal(L.at[tp], v);
			assert_int_equal(ft->e[v].state, SG_DP_FS_EST);
			touched++;
		}
		if (r % 10 == 9 || r + 1 == LRU_ROUNDS)
			lru_check(vip, dport, vs, keys_per_flow);
	}
	if (confirm_pct == 100) {
		assert_true(used > L.evicted / 2); /* most victims were fetched ahead */
		assert_int_equal(L.ev_emb, 0);
		assert_true(L.evicted > 1500);
		assert_true(touched > 30);
		/* and most evictions took theirs without scanning again, the model agreeing */
		assert_true(ft->n_lru_taken > L.evicted / 2);
	} else if (confirm_pct == 0) { /* a flood of new flows evicts its own, fetched ahead */
		assert_int_equal(L.ev_lru, 0);
		assert_true(L.evicted > 5000);
		assert_true(used > L.evicted * 9 / 10);
	} else { /* both kinds of victim, many of each */
		assert_true(L.ev_emb > 1000);
		assert_true(L.ev_lru > 1000);
	}
}

/* lru_run() on a fresh table of LRU_CAP entries. */
static void
lru_fresh(const char *vip, uint16_t dport, unsigned int vs, unsigned int keys_per_flow,
	  int confirm_pct)
{
	env_teardown();
	assert_int_equal(env_setup(1, LRU_CAP), 0);
	lru_run(vip, dport, vs, keys_per_flow, confirm_pct);
}

static void
test_lru_dsr_udp(void **state)
{
	(void)state;
	lru_fresh(VIP_DSR, 5353, VS_DSR_GUE, 1, 100);
}

static void
test_lru_nat_udp(void **state)
{
	(void)state;
	lru_fresh(VIP_NAT, 53, VS_NAT_UDP, 2, 100);
}

/*
 * Half the new flows confirmed at once: the unconfirmed ones go first, the
 * oldest first; the rest by least recent use.
 */
static void
test_unconf_dsr_udp(void **state)
{
	(void)state;
	lru_fresh(VIP_DSR, 5353, VS_DSR_GUE, 1, 50);
}

/* A flood of single datagrams (none confirmed but the held flows'): it evicts its own. */
static void
test_unconf_nat_udp(void **state)
{
	(void)state;
	lru_fresh(VIP_NAT, 53, VS_NAT_UDP, 2, 0);
}

/*
 * sg_dp_flow_sig(), the inline signature every insert, delete and lookup
 * passes the table, is the table's own hash (rte_hash_hash()): a key
 * inserted with one and looked up with the other must meet. Random keys,
 * both families and protocols.
 */
static void
test_flow_sig_is_the_tables(void **state)
{
	struct sg_dp_flow_key k;
	unsigned int i, j;

	(void)state;
	srand(17);
	for (i = 0; i < 100000; i++) {
		uint8_t *b = (uint8_t *)&k;

		for (j = 0; j < sizeof(k); j++)
			b[j] = (uint8_t)rand();
		assert_int_equal(sg_dp_flow_sig(&k), rte_hash_crc(&k, sizeof(k), 0));
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_evict_dsr, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_evict_nat, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_victims_voided, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_victim_nat_later, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_lru_dsr_udp, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_lru_nat_udp, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_unconf_dsr_udp, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_unconf_nat_udp, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_flow_sig_is_the_tables, dp_setup1,
						dp_teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
