/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sync channel's sending side (doc/dataplane.md, "State sync: the
 * channel"): records taken from the workers' sync_out rings within the
 * configured rate (GCRA: a record costs 1/rate s, the tolerance is
 * SG_DP_SYNC_BURST_MS of records), packed SG_SYNC_REC_MAX to a datagram,
 * sent when full or SG_DP_SYNC_FLUSH_US after the first record, signed
 * and numbered per peer. Above the rate the thread stops draining: the
 * workers' rings fill and they count sync_out_full.
 *
 * DUMP_END records never leave: they tell this thread that a worker has
 * walked its table for the dump it serves; once every worker has, the
 * batch goes out and DUMP_DONE follows to each peer that asked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>

#include "core/log.h"
#include "sync.h"

/* Header of a datagram to @p p, its sequence taken. */
static void
hdr_fill(struct sg_dp_sync *s, struct sg_dp_sync_peer *p, struct sg_sync_hdr *h, uint8_t type,
	 unsigned int n_rec, uint32_t dump_id)
{
	memset(h, 0, sizeof(*h));
	h->magic = rte_cpu_to_be_32(SG_SYNC_MAGIC);
	h->version = SG_SYNC_VERSION;
	h->type = type;
	h->node = (uint8_t)s->node_id;
	h->n_rec = (uint8_t)n_rec;
	h->boot = rte_cpu_to_be_32(s->boot);
	h->n_workers = rte_cpu_to_be_16((uint16_t)s->n_workers);
	h->seq = rte_cpu_to_be_64(++p->tx_seq);
	h->dump_id = rte_cpu_to_be_32(dump_id);
}

/* Sign and send @p len bytes of @p buf (room for the MAC after them) to @p p. */
static int
send_to(struct sg_dp_sync *s, struct sg_dp_sync_peer *p, uint8_t *buf, size_t len)
{
	ssize_t n;

	if (sg_dp_sync_sign(s, buf, len) != 0) {
		p->st.tx_errors++;
		return -EIO;
	}
	n = sendto(s->fd, buf, len + SG_SYNC_MAC_LEN, MSG_DONTWAIT, (struct sockaddr *)&p->sa,
		   p->salen);
	if (n != (ssize_t)(len + SG_SYNC_MAC_LEN)) {
		int e = n < 0 ? errno : EMSGSIZE;

		p->st.tx_errors++;
		if (sg_dp_sync_log_ok(s, SG_DP_SYNC_LOG_TX))
			SG_DP_LOG(WARNING, "sync: cannot send to peer %s (%s): %s", p->name,
				  p->addr_str, strerror(e));
		return -e;
	}
	p->st.tx_datagrams++;
	return 0;
}

void
sg_dp_sync_send_ctl(struct sg_dp_sync *s, struct sg_dp_sync_peer *p, uint8_t type, uint32_t dump_id)
{
	uint8_t buf[sizeof(struct sg_sync_hdr) + SG_SYNC_MAC_LEN];

	hdr_fill(s, p, (struct sg_sync_hdr *)buf, type, 0, dump_id);
	send_to(s, p, buf, sizeof(struct sg_sync_hdr));
}

/* The batch to every peer, then empty. */
static void
batch_send(struct sg_dp_sync *s)
{
	uint8_t buf[SG_SYNC_DGRAM_MAX];
	size_t len = sizeof(struct sg_sync_hdr) + (size_t)s->n_batch * SG_SYNC_REC_SIZE;

	if (s->n_batch == 0)
		return;
	memcpy(buf + sizeof(struct sg_sync_hdr), s->batch, (size_t)s->n_batch * SG_SYNC_REC_SIZE);
	for (unsigned int i = 0; i < s->n_peers; i++) {
		struct sg_dp_sync_peer *p = &s->peer[i];

		hdr_fill(s, p, (struct sg_sync_hdr *)buf, SG_SYNC_T_RECORDS, s->n_batch, 0);
		if (send_to(s, p, buf, len) == 0)
			p->st.tx_records += s->n_batch;
	}
	s->n_batch = 0;
	s->batch_tsc = 0;
}

void
sg_dp_sync_flush(struct sg_dp_sync *s, uint64_t now_tsc, bool force)
{
	if (s->n_batch == 0)
		return;
	if (force || now_tsc - s->batch_tsc >= rte_get_tsc_hz() / 1000000 * SG_DP_SYNC_FLUSH_US)
		batch_send(s);
}

void
sg_dp_sync_serve_start(struct sg_dp_sync *s)
{
	uint32_t id = s->dump_id + 1;
	bool any = false;

	if (s->serve_id != 0)
		return;
	if (id == 0)
		id = 1;
	for (unsigned int i = 0; i < s->n_peers; i++) {
		struct sg_dp_sync_peer *p = &s->peer[i];

		if (!p->dump_pending)
			continue;
		p->dump_pending = false;
		p->dump_serving = id;
		p->dump_serving_req = p->dump_req;
		any = true;
	}
	if (!any)
		return;
	s->serve_id = id;
	s->serve_ends = 0;
	s->serve_records = 0;
	s->serve_ms = sg_dp_sync_now_ms();
	s->st.dumps_started++;
	__atomic_store_n(&s->dump_id, id, __ATOMIC_RELEASE);
	SG_DP_LOG(INFO, "sync: dump %u started for the peers that asked", id);
}

/* Every worker has walked its table for the dump served: DUMP_DONE to its peers. */
static void
serve_finish(struct sg_dp_sync *s)
{
	batch_send(s); /* the dump's last records before DUMP_DONE */
	for (unsigned int i = 0; i < s->n_peers; i++) {
		struct sg_dp_sync_peer *p = &s->peer[i];

		if (p->dump_serving != s->serve_id)
			continue;
		sg_dp_sync_send_ctl(s, p, SG_SYNC_T_DUMP_DONE, p->dump_serving_req);
		p->st.dumps_served++;
		p->dump_serving = 0;
		SG_DP_LOG(INFO,
			  "sync: dump %u (%" PRIu64 " records) done for peer %s (its dump %u)",
			  s->serve_id, s->serve_records, p->name, p->dump_serving_req);
	}
	s->serve_id = 0;
	sg_dp_sync_serve_start(s); /* peers that asked meanwhile */
}

/* A DUMP_END from worker @p w; true when it ends the dump served. */
static bool
dump_end(struct sg_dp_sync *s, const struct sg_sync_rec *r, unsigned int w)
{
	uint32_t id = (uint32_t)rte_be_to_cpu_64(r->sid);

	s->st.dump_ends++;
	if (s->serve_id == 0 || id != s->serve_id)
		return false; /* an abandoned dump's */
	s->serve_ends |= UINT64_C(1) << w;
	return s->serve_ends ==
	       (s->n_workers == 64 ? UINT64_MAX : (UINT64_C(1) << s->n_workers) - 1);
}

/*
 * Take the @p got records just placed at batch[n_batch..]: DUMP_END ones
 * are consumed, the others stay. @return records kept.
 */
static unsigned int
batch_take(struct sg_dp_sync *s, unsigned int got, unsigned int w, bool *dump_over)
{
	struct sg_sync_rec *r = &s->batch[s->n_batch];
	unsigned int kept = 0;

	for (unsigned int i = 0; i < got; i++) {
		if (r[i].op == SG_SYNC_OP_DUMP_END) {
			*dump_over |= dump_end(s, &r[i], w);
			continue;
		}
		if (kept != i)
			r[kept] = r[i];
		kept++;
	}
	if (s->serve_id != 0)
		s->serve_records += kept;
	return kept;
}

/* Records the rate allows now (GCRA). */
static unsigned int
rate_allow(struct sg_dp_sync *s, uint64_t now_tsc)
{
	uint64_t limit = now_tsc + s->burst_tsc;

	if (s->tat < now_tsc)
		s->tat = now_tsc;
	if (s->tat >= limit)
		return 0;
	return (unsigned int)RTE_MIN((limit - s->tat) / s->rec_cost, (uint64_t)UINT32_MAX);
}

/* Drain worker @p w: @return true when its ring is (was seen) empty. */
static bool
drain_worker(struct sg_dp_sync *s, unsigned int w, uint64_t now_tsc, bool *dump_over, bool *limited)
{
	unsigned int taken = 0;

	while (taken < SG_DP_SYNC_DRAIN_MAX) {
		unsigned int room = SG_SYNC_REC_MAX - s->n_batch;
		unsigned int allow = rate_allow(s, now_tsc);
		unsigned int want = RTE_MIN(room, SG_DP_SYNC_DRAIN_MAX - taken);
		unsigned int got, kept;

		if (allow == 0) {
			*limited = true;
			return rte_ring_empty(s->out[w]);
		}
		want = RTE_MIN(want, allow);
		got = rte_ring_dequeue_burst_elem(s->out[w], &s->batch[s->n_batch],
						  sizeof(struct sg_sync_rec), want, NULL);
		if (got == 0)
			return true;
		taken += got;
		s->st.out_records += got;
		kept = batch_take(s, got, w, dump_over);
		if (kept != 0 && s->n_batch == 0)
			s->batch_tsc = now_tsc;
		s->n_batch += kept;
		s->tat += (uint64_t)kept * s->rec_cost;
		if (s->n_batch == SG_SYNC_REC_MAX)
			batch_send(s);
		if (got < want)
			return true;
	}
	return rte_ring_empty(s->out[w]);
}

void
sg_dp_sync_drain(struct sg_dp_sync *s, uint64_t now_tsc)
{
	bool dump_over = false, limited = false, empty = true;

	for (unsigned int i = 0; i < s->n_workers; i++) {
		unsigned int w = (s->drain_first + i) % s->n_workers;

		empty &= drain_worker(s, w, now_tsc, &dump_over, &limited);
	}
	s->drain_first = (s->drain_first + 1) % s->n_workers;
	if (limited)
		s->st.rate_limited++;
	if (empty)
		s->backlog_tsc = 0;
	else if (s->backlog_tsc == 0)
		s->backlog_tsc = now_tsc;
	if (dump_over)
		serve_finish(s);
}
