/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Usage and QoS of installed sessions (acct.h): the per-packet count and
 * rate of a forwarded segment, the totals of SESSION_CLOSED and the
 * interval walk that sends SESSION_USAGE.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "core/ctlmsg.h"
#include "session/acct.h"
#include "session/broker.h"
#include "session/seq.h"
#include "session/session.h"

int
sg_dp_acct_create(struct sg_dp_worker *w)
{
	struct sg_dp_broker *b = w->br;

	b->acct = rte_zmalloc_socket("sg_acct", (size_t)w->ft.cap * sizeof(*b->acct),
				     RTE_CACHE_LINE_SIZE, w->conf.socket);
	b->usage_idx = rte_malloc_socket("sg_usage", (size_t)w->ft.cap * sizeof(uint32_t), 0,
					 w->conf.socket);
	return b->acct == NULL || b->usage_idx == NULL ? -ENOMEM : 0;
}

void
sg_dp_acct_free(struct sg_dp_worker *w)
{
	rte_free(w->br->usage_idx);
	rte_free(w->br->acct);
	w->br->usage_idx = NULL;
	w->br->acct = NULL;
}

static struct br_acct *
acct_of(const struct sg_dp_worker *w, const struct sg_dp_flow *f)
{
	struct br_acct *a = &w->br->acct[f - w->ft.e];

	return (a->flags & BR_ACCT_ON) && a->sid == f->sid ? a : NULL;
}

/* QoS of @p in: TSC per byte (fixed point) and the burst in TSC; divisions here only. */
static void
rate_set(const struct sg_dp_worker *w, struct br_acct *a, const struct sg_msg_session_install *in)
{
	uint64_t rate = RTE_MAX(in->rate_bps, (uint32_t)BR_ACCT_RATE_MIN);
	uint64_t burst = in->burst_bytes != 0 ? in->burst_bytes
					      : RTE_MAX(rate / 10, (uint64_t)BR_ACCT_BURST_MIN);

	burst = RTE_MIN(burst, (uint64_t)BR_ACCT_BURST_MAX);
	a->tpb_fp = (w->tsc_hz << BR_ACCT_FP) / rate;
	a->tol = (uint64_t)(((unsigned __int128)burst * a->tpb_fp) >> BR_ACCT_FP);
	a->flags |= BR_ACCT_RATE;
}

static void
usage_unlist(struct sg_dp_broker *b, struct br_acct *a, uint32_t idx)
{
	uint32_t pos = a->usage_pos;

	if (a->next_usage == 0 || pos >= b->n_usage || b->usage_idx[pos] != idx)
		return;
	b->usage_idx[pos] = b->usage_idx[--b->n_usage];
	b->acct[b->usage_idx[pos]].usage_pos = pos;
	a->next_usage = 0;
}

void
sg_dp_acct_end(struct sg_dp_worker *w, const struct sg_dp_flow *f)
{
	uint32_t idx = (uint32_t)(f - w->ft.e);
	struct br_acct *a = &w->br->acct[idx];

	usage_unlist(w->br, a, idx);
	a->flags = 0;
	a->sid = 0;
}

void
sg_dp_acct_start(struct sg_dp_worker *w, const struct sg_dp_flow *f,
		 const struct sg_msg_session_install *in, bool dsr, uint32_t ack0, uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	uint32_t idx = (uint32_t)(f - w->ft.e);
	struct br_acct *a = &b->acct[idx];

	sg_dp_acct_end(w, f); /* a stale entry of the index's last flow */
	memset(a, 0, sizeof(*a));
	a->sid = f->sid;
	a->flags = BR_ACCT_ON;
	a->start_tsc = now;
	if (dsr)
		a->flags |= BR_ACCT_DSR;
	if (in == NULL)
		return; /* a DSR session's first ACK seen here is its base */
	if (dsr) {
		a->flags |= BR_ACCT_ACK;
		a->ack_last = ack0;
	}
	if (in->rate_bps != 0)
		rate_set(w, a, in);
	if (in->usage_interval_s != 0) {
		a->usage_iv = w->tsc_hz * RTE_MIN(in->usage_interval_s, (uint32_t)BR_USAGE_MAX_S);
		a->next_usage = now + a->usage_iv;
		a->usage_pos = b->n_usage;
		b->usage_idx[b->n_usage++] = idx; /* at most one per flow entry */
	}
}

void
sg_dp_acct_add(struct sg_dp_worker *w, const struct sg_dp_flow *f, unsigned int dir, uint32_t pkts,
	       uint32_t bytes)
{
	struct br_acct *a = acct_of(w, f);

	if (a == NULL)
		return;
	a->pkts[dir & 1] += pkts;
	a->bytes[dir & 1] += bytes;
}

void
sg_dp_acct_fill(const struct sg_dp_worker *w, const struct sg_dp_flow *f,
		struct sg_msg_session_closed *c, uint64_t now)
{
	const struct br_acct *a = acct_of(w, f);

	if (a == NULL)
		return;
	c->installed_ms = now > a->start_tsc
				  ? (uint32_t)RTE_MIN((now - a->start_tsc) / (w->tsc_hz / 1000),
						      (uint64_t)UINT32_MAX)
				  : 0;
	if (c->installed_ms == 0)
		c->installed_ms = 1; /* installed: never 0 (0 says it never was) */
	c->pkts_c2s = a->pkts[0];
	c->pkts_s2c = a->pkts[1];
	c->bytes_c2s = a->bytes[0];
	c->bytes_s2c = a->bytes[1];
	c->qos_dropped = a->qos_dropped;
	c->flags = (uint8_t)(((a->flags & BR_ACCT_DSR) ? SG_MSG_USAGE_S2C_ACKED : 0) |
			     ((a->flags & BR_ACCT_DROPS) ? SG_MSG_USAGE_QOS_DROPS : 0));
}

/* L4 payload bytes of @p m (headers checked by the parser). */
static uint32_t
payload_len(const struct rte_mbuf *m, const struct sg_dp_pkt *p)
{
	uint32_t hl;

	if (p->key.proto == IPPROTO_TCP)
		hl = tcp_hlen(rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *,
						      p->l2_len + p->l3_len));
	else
		hl = sizeof(struct rte_udp_hdr);
	return p->l4_len > hl ? p->l4_len - hl : 0;
}

/* GCRA on bytes: may @p len more bytes go in direction @p d at @p now? */
static bool
rate_ok(struct br_acct *a, unsigned int d, uint32_t len, uint64_t now)
{
	uint64_t t = a->tat[d] > now ? a->tat[d] : now;
	uint64_t cost = ((uint64_t)len * a->tpb_fp) >> BR_ACCT_FP;

	if (t + cost - now > a->tol)
		return false;
	a->tat[d] = t + cost;
	return true;
}

/* nxt[@p i] = @p v if beyond it (or the first one): flag @p k says it is known. */
static inline void
nxt_max(struct br_acct *a, unsigned int i, uint32_t v, uint8_t k)
{
	if (!(a->flags & k) || sg_dp_seq_gt(v, a->nxt[i])) {
		a->nxt[i] = v;
		a->flags |= k;
	}
}

/*
 * NAT segment @p th in direction @p d (its @p len payload bytes, not yet
 * translated): its end is what its receiver expects next (index d: 0 the
 * VM, 1 the client), its ACK what its sender expects (index 1 - d). The
 * VM's numbers become the client's with the splice delta; the client's
 * are not translated. The line the packet's counts are in: nothing more.
 */
static void
nxt_track(struct br_acct *a, const struct sg_dp_flow *f, const struct rte_tcp_hdr *th, uint8_t fl,
	  uint32_t len, unsigned int d)
{
	uint32_t end = rte_be_to_cpu_32(th->sent_seq) + len + ((fl & RTE_TCP_SYN_FLAG) ? 1 : 0) +
		       ((fl & RTE_TCP_FIN_FLAG) ? 1 : 0);

	if (d == 1 && (f->flags & SG_DP_FLOW_SEQ))
		end += f->seq_s2c;
	nxt_max(a, d, end, d == 1 ? BR_ACCT_NXT_CLI : BR_ACCT_NXT_VM);
	if (fl & RTE_TCP_ACK_FLAG)
		nxt_max(a, 1 - d, rte_be_to_cpu_32(th->recv_ack),
			d == 1 ? BR_ACCT_NXT_VM : BR_ACCT_NXT_CLI);
}

unsigned int
sg_dp_acct_nxt(const struct sg_dp_worker *w, const struct sg_dp_flow *f, uint32_t *vm,
	       uint32_t *cli)
{
	const struct br_acct *a = w->br != NULL ? acct_of(w, f) : NULL;

	if (a == NULL)
		return 0;
	if (a->flags & BR_ACCT_DSR) { /* the client's cumulative ACK: what reached it */
		*cli = a->ack_last;
		return (a->flags & BR_ACCT_ACK) ? BR_ACCT_NXT_CLI : 0;
	}
	*vm = a->nxt[0];
	*cli = a->nxt[1];
	return a->flags & (BR_ACCT_NXT_VM | BR_ACCT_NXT_CLI);
}

bool
sg_dp_broker_acct(struct sg_dp_worker *w, struct sg_dp_flow *f, const struct rte_mbuf *m,
		  const struct sg_dp_pkt *p, bool ret, uint64_t now)
{
	struct br_acct *a;
	unsigned int d = ret ? 1 : 0;
	uint32_t len;

	if (w->br == NULL || (f->flags & SG_DP_FLOW_PROXY) || (a = acct_of(w, f)) == NULL)
		return true; /* not installed here (a SYN-proxied flow, a peer's copy) */
	len = payload_len(m, p);
	if ((a->flags & BR_ACCT_RATE) && len > 0 && !rate_ok(a, d, len, now)) {
		a->qos_dropped++;
		a->flags |= BR_ACCT_DROPS;
		return false;
	}
	a->pkts[d]++;
	a->bytes[d] += len;
	if (!(a->flags & BR_ACCT_DSR) && p->key.proto == IPPROTO_TCP &&
	    !(p->tcp_flags & RTE_TCP_RST_FLAG))
		nxt_track(a, f,
			  rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *,
						  p->l2_len + p->l3_len),
			  p->tcp_flags, len, d);
	if ((a->flags & BR_ACCT_DSR) && p->key.proto == IPPROTO_TCP &&
	    (p->tcp_flags & RTE_TCP_ACK_FLAG)) {
		/* the client's cumulative ACK, its own sequence space: what reached it */
		uint32_t ack =
			rte_be_to_cpu_32(rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *,
								 p->l2_len + p->l3_len)
						 ->recv_ack);

		if (!(a->flags & BR_ACCT_ACK)) {
			a->ack_last = ack; /* a peer's session: counted from here */
			a->flags |= BR_ACCT_ACK;
		} else if (sg_dp_seq_gt(ack, a->ack_last)) {
			a->bytes[1] += ack - a->ack_last;
			a->ack_last = ack;
		}
	}
	return true;
}

static void
usage_send(struct sg_dp_worker *w, const struct sg_dp_flow *f, uint64_t now)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = SG_MSG_SESSION_USAGE;
	m.hdr.len = (uint16_t)(sizeof(m.hdr) + sizeof(m.closed));
	m.hdr.session_id = f->sid;
	sg_dp_acct_fill(w, f, &m.closed, now);
	if (sg_dp_ctl_send(w, &m) == 0)
		w->stats.cnt[SG_DP_EV_USAGE_SENT]++;
	else
		w->stats.cnt[SG_DP_EV_USAGE_DEFERRED]++; /* the next interval carries the totals */
}

void
sg_dp_acct_usage_step(struct sg_dp_worker *w, uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	unsigned int k;

	for (k = 0; k < BR_USAGE_PER_POLL && b->n_usage > 0; k++) {
		uint32_t idx, pos = b->usage_cursor < b->n_usage ? b->usage_cursor : 0;
		struct br_acct *a;
		const struct sg_dp_flow *f;

		b->usage_cursor = pos + 1;
		idx = b->usage_idx[pos];
		a = &b->acct[idx];
		f = &w->ft.e[idx];
		if (f->state == SG_DP_FS_FREE || acct_of(w, f) != a) {
			usage_unlist(b, a, idx); /* gone without its end (not expected) */
			continue;
		}
		if (now < a->next_usage)
			continue;
		/* the next one an interval on, not sooner after a late walk */
		a->next_usage = RTE_MAX(a->next_usage + a->usage_iv, now + a->usage_iv / 2);
		usage_send(w, f, now);
	}
}
