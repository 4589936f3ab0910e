/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared-memory channel to sg-dataplane (DESIGN.md section 3).
 *
 * The data plane creates a POSIX shm object holding struct sg_shm_hdr and
 * the rte_rings (rte_ring_init() on the mapped memory). sg-control maps it
 * and uses only the inline rte_ring_*_elem calls: no EAL in this process.
 * A data-plane restart shows as a new shm object (other inode) or a new
 * epoch in the header; sg-control then re-attaches and sends
 * SESSION_RESYNC on every ctl->dp ring. Outgoing messages wait in a
 * bounded per-worker list when their ring is full; nothing ever blocks.
 *
 * Incoming messages are peeked, not dequeued (rte_ring_peek.h): a burst
 * stays on its ring until sg_ctl_shm_ack(), which the wiring calls once
 * the burst's effect is committed to the session DB. A sg-control killed
 * in between finds the burst again on its next start; a ring with a burst
 * not acknowledged (a failed commit) is not read further until it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek.h>

#include "shm.h"
#include "sessiongate/sg_shm.h"

#define SHM_SIZE_MAX (1ull << 30)
#define SHM_WORKERS  (SG_SHM_RINGS_MAX / 2)
#define SHM_BURST    64
#define SHM_CHECK_NS (100ull * 1000 * 1000)
#define SHM_PENDING  16384 /**< per worker: messages waiting for ring space */

struct shm_pending {
	struct sg_msg *q;
	uint32_t head;
	uint32_t n;
};

struct sg_ctl_shm {
	char name[SG_CTL_NAME_MAX];
	struct sg_shm_map map;
	struct sg_shm_hdr *hdr;
	uint64_t epoch;
	uint32_t n_workers;
	struct rte_ring *rx[SHM_WORKERS];
	struct rte_ring *tx[SHM_WORKERS];
	uint32_t rx_seq[SHM_WORKERS];
	bool rx_seq_valid[SHM_WORKERS];
	uint32_t peeked[SHM_WORKERS]; /**< messages handled, still on the ring until acked */
	uint32_t tx_seq[SHM_WORKERS];
	struct shm_pending out[SHM_WORKERS];
	uint64_t last_dp_hb;
	uint64_t hb_change_ns;
	uint64_t last_check_ns;
	bool dp_alive;
	bool missing_logged;
	/* Receive burst: 16 KiB, kept off the stack; zeroed once by calloc, so no element is
	 * ever read before the ring (or calloc) wrote it. */
	struct sg_msg burst[SHM_BURST];
	const struct sg_ctl_cfg *cfg;
	const struct sg_ctl_clock *clk;
	struct sg_ctl_stats *st;
	struct sg_ctl_shm_hooks hooks;
};

struct sg_ctl_shm *
sg_ctl_shm_create(const struct sg_ctl_cfg *cfg, const struct sg_ctl_clock *clk,
		  struct sg_ctl_stats *st, const struct sg_ctl_shm_hooks *hooks)
{
	struct sg_ctl_shm *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	s->clk = clk;
	s->st = st;
	s->hooks = *hooks;
	return s;
}

void
sg_ctl_shm_destroy(struct sg_ctl_shm *s)
{
	if (s == NULL)
		return;
	sg_ctl_shm_close(s);
	free(s);
}

static void
shm_detach(struct sg_ctl_shm *s)
{
	unsigned int w;

	sg_shm_map_close(&s->map);
	s->hdr = NULL;
	s->n_workers = 0;
	for (w = 0; w < SHM_WORKERS; w++) {
		s->rx[w] = s->tx[w] = NULL;
		s->rx_seq_valid[w] = false;
		s->peeked[w] = 0;
		s->out[w].n = s->out[w].head = 0;
	}
}

int
sg_ctl_shm_open(struct sg_ctl_shm *s, const char *name)
{
	if (name == NULL || name[0] != '/' || strlen(name) >= sizeof(s->name) ||
	    strchr(name + 1, '/') != NULL) {
		syslog(LOG_ERR, "shm: name '%s' must be /NAME without other slashes",
		       name ? name : "");
		return -EINVAL;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	return 0;
}

void
sg_ctl_shm_close(struct sg_ctl_shm *s)
{
	unsigned int w;

	if (s->name[0] == '\0')
		return;
	shm_detach(s);
	for (w = 0; w < SHM_WORKERS; w++) {
		free(s->out[w].q);
		s->out[w].q = NULL;
	}
	s->name[0] = '\0';
}

static int
shm_attach(struct sg_ctl_shm *s)
{
	char why[128];
	unsigned int w, n = 0;
	int rc;

	rc = sg_shm_map_open(&s->map, s->name, SHM_SIZE_MAX, why, sizeof(why));
	if (rc < 0)
		return rc;
	s->hdr = s->map.base;
	rc = sg_shm_attach_rings(s->map.base, s->map.size, s->rx, s->tx, &n, why, sizeof(why));
	if (rc < 0) {
		/* no magic yet counts as a malformed region here: attach is retried anyway */
		if (rc == -EAGAIN)
			rc = -EPROTO;
		if (!s->missing_logged)
			syslog(LOG_ERR, "shm %s: not attached: %s", s->name, why);
		s->missing_logged = true;
		shm_detach(s);
		return rc;
	}
	s->n_workers = n;
	s->missing_logged = false;
	/*
	 * This process is the only consumer of the rx rings and the only
	 * producer of the tx rings: a predecessor killed inside a peek (or an
	 * enqueue) left a head ahead of its tail; what lies between was never
	 * acknowledged (or never published), so the heads go back to the tails.
	 */
	for (w = 0; w < n; w++) {
		s->st->ring_replayed += s->rx[w]->cons.head - s->rx[w]->cons.tail;
		s->rx[w]->cons.head = s->rx[w]->cons.tail;
		s->tx[w]->prod.head = s->tx[w]->prod.tail;
	}
	s->epoch = s->hdr->epoch;
	s->last_dp_hb = s->hdr->dp_heartbeat;
	s->hb_change_ns = s->clk->now_ns;
	s->dp_alive = true;
	for (w = 0; w < s->n_workers; w++) {
		if (s->out[w].q == NULL) {
			s->out[w].q = calloc(SHM_PENDING, sizeof(struct sg_msg));
			if (s->out[w].q == NULL) {
				shm_detach(s);
				return -ENOMEM;
			}
		}
	}
	s->st->dp_attaches++;
	syslog(LOG_INFO, "shm %s: attached, epoch %#llx, %u workers, ring size %u", s->name,
	       (unsigned long long)s->epoch, s->n_workers, s->hdr->ring_size);
	return 0;
}

int
sg_ctl_shm_check(struct sg_ctl_shm *s)
{
	struct sg_msg m;
	unsigned int w;

	if (s->name[0] == '\0')
		return 0;
	if (s->last_check_ns != 0 && s->clk->now_ns - s->last_check_ns < SHM_CHECK_NS)
		return 0; /* attached or not: look at the name every 100 ms */
	s->last_check_ns = s->clk->now_ns;
	if (s->map.base != NULL) {
		if (!sg_shm_map_replaced(&s->map, s->name) && s->hdr->epoch == s->epoch) {
			s->hdr->ctl_heartbeat++;
			if (s->hdr->dp_heartbeat != s->last_dp_hb) {
				s->last_dp_hb = s->hdr->dp_heartbeat;
				s->hb_change_ns = s->clk->now_ns;
				s->dp_alive = true;
			} else if (s->dp_alive && s->clk->now_ns - s->hb_change_ns >
							  (uint64_t)s->cfg->dp_dead_ms * 1000000) {
				s->dp_alive = false;
				syslog(LOG_WARNING, "shm %s: data-plane heartbeat stalled",
				       s->name);
			}
			return 0;
		}
		syslog(LOG_NOTICE, "shm %s: data plane restarted or region removed", s->name);
		shm_detach(s);
		s->hooks.dp_link(s->hooks.ctx, false, 0);
	}
	if (shm_attach(s) < 0)
		return 0;
	s->hooks.dp_link(s->hooks.ctx, true, s->epoch);
	/* Ask for every held session again: the data plane re-sends SESSION_NEW. */
	for (w = 0; w < s->n_workers; w++) {
		memset(&m, 0, sizeof(m));
		m.hdr.type = SG_MSG_SESSION_RESYNC;
		sg_ctl_shm_send(s, (uint16_t)w, &m);
		s->st->resyncs_sent++;
	}
	return 1; /* sent by the commit that follows (sg_ctl_commit()) */
}

bool
sg_ctl_shm_attached(const struct sg_ctl_shm *s)
{
	return s->map.base != NULL;
}

uint64_t
sg_ctl_shm_epoch(const struct sg_ctl_shm *s)
{
	return sg_ctl_shm_attached(s) ? s->epoch : 0;
}

void
sg_ctl_shm_status(const struct sg_ctl_shm *s, uint64_t *epoch, uint32_t *workers, uint64_t *dp_hb,
		  bool *dp_alive, uint32_t *pending)
{
	unsigned int w;

	*epoch = 0;
	*workers = 0;
	*dp_hb = 0;
	*dp_alive = false;
	*pending = 0;
	if (!sg_ctl_shm_attached(s))
		return;
	*epoch = s->epoch;
	*workers = s->n_workers;
	*dp_hb = s->hdr->dp_heartbeat;
	*dp_alive = s->dp_alive;
	for (w = 0; w < s->n_workers; w++)
		*pending += s->out[w].n;
}

static void
shm_count_invalid(struct sg_ctl_shm *s, int rc)
{
	switch (rc) {
	case -EMSGSIZE:
		s->st->invalid[SG_CTL_INV_SIZE]++;
		break;
	case -EPROTONOSUPPORT:
		s->st->invalid[SG_CTL_INV_VERSION]++;
		break;
	case -EBADMSG:
		s->st->invalid[SG_CTL_INV_TYPE]++;
		break;
	default:
		s->st->invalid[SG_CTL_INV_FIELD]++;
		break;
	}
}

unsigned int
sg_ctl_shm_poll(struct sg_ctl_shm *s, unsigned int budget)
{
	unsigned int w, i, n, done = 0;
	int rc;

	if (!sg_ctl_shm_attached(s))
		return 0;
	/* One peeked burst per worker, until acked (sg_ctl_shm_ack()). */
	for (w = 0; w < s->n_workers && done < budget; w++) {
		/* Back-pressure: while this worker does not read our answers, stop reading
		 * its questions (its own ring fills and it counts), never drop answers. */
		if (s->peeked[w] > 0 || s->out[w].n > SHM_PENDING / 2)
			continue;
		n = rte_ring_dequeue_burst_elem_start(
			s->rx[w], s->burst, SG_MSG_SIZE,
			RTE_MIN((unsigned int)SHM_BURST, budget - done), NULL);
		if (n == 0) {
			rte_ring_dequeue_elem_finish(s->rx[w], 0);
			continue;
		}
		s->peeked[w] = n;
		for (i = 0; i < n; i++) {
			const struct sg_msg *m = &s->burst[i];

			rc = sg_msg_check(m, sizeof(*m));
			if (rc < 0) {
				shm_count_invalid(s, rc);
				continue;
			}
			if (m->hdr.type != SG_MSG_SESSION_NEW &&
			    m->hdr.type != SG_MSG_SESSION_CLOSED &&
			    m->hdr.type != SG_MSG_SESSION_USAGE &&
			    m->hdr.type != SG_MSG_SESSION_ALIVE && m->hdr.type != SG_MSG_VS_STATS &&
			    m->hdr.type != SG_MSG_MEMBER_SUSPECT) {
				s->st->invalid[SG_CTL_INV_DIRECTION]++;
				continue;
			}
			if (m->hdr.worker != w) {
				s->st->invalid[SG_CTL_INV_FIELD]++;
				continue;
			}
			if (s->rx_seq_valid[w] && m->hdr.seq != s->rx_seq[w])
				s->st->seq_gaps += (uint32_t)(m->hdr.seq - s->rx_seq[w]);
			s->rx_seq[w] = m->hdr.seq + 1;
			s->rx_seq_valid[w] = true;
			s->st->msgs_in[m->hdr.type]++;
			s->hooks.dp_msg(s->hooks.ctx, m);
		}
		done += n;
	}
	return done;
}

void
sg_ctl_shm_ack(struct sg_ctl_shm *s)
{
	unsigned int w;

	if (!sg_ctl_shm_attached(s))
		return;
	for (w = 0; w < s->n_workers; w++) {
		if (s->peeked[w] > 0) {
			rte_ring_dequeue_elem_finish(s->rx[w], s->peeked[w]);
			s->peeked[w] = 0;
		}
	}
}

void
sg_ctl_shm_send(struct sg_ctl_shm *s, uint16_t worker, struct sg_msg *m)
{
	struct shm_pending *p;

	if (!sg_ctl_shm_attached(s) || worker >= s->n_workers) {
		/* Nobody to tell: the data plane re-sends held sessions on attach. */
		s->st->out_dropped++;
		return;
	}
	p = &s->out[worker];
	if (p->n == SHM_PENDING) {
		s->st->out_dropped++;
		return;
	}
	m->hdr.version = SG_MSG_VERSION;
	m->hdr.len = (uint16_t)(sizeof(m->hdr) + sg_msg_body_size(m->hdr.type));
	m->hdr.worker = worker;
	p->q[(p->head + p->n) % SHM_PENDING] = *m;
	p->n++;
}

void
sg_ctl_shm_flush(struct sg_ctl_shm *s)
{
	struct shm_pending *p;
	unsigned int w, n, k, i;

	if (!sg_ctl_shm_attached(s))
		return;
	for (w = 0; w < s->n_workers; w++) {
		p = &s->out[w];
		while (p->n > 0) {
			/* contiguous run from head */
			k = RTE_MIN(p->n, SHM_PENDING - p->head);
			for (i = 0; i < k; i++)
				p->q[p->head + i].hdr.seq = s->tx_seq[w] + i;
			n = rte_ring_sp_enqueue_burst_elem(s->tx[w], &p->q[p->head], SG_MSG_SIZE, k,
							   NULL);
			for (i = 0; i < n; i++)
				s->st->msgs_out[p->q[p->head + i].hdr.type]++;
			s->tx_seq[w] += n;
			p->head = (p->head + n) % SHM_PENDING;
			p->n -= n;
			if (n < k) {
				s->st->ring_full++;
				break;
			}
		}
	}
}
