/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Brokered and redirect virtual services on the worker (doc/sessions.md).
 *
 *   SYN            -> SYN-ACK whose ISN is a SYN cookie; no state at all
 *   ACK (cookie ok)-> a session (slot + flow entry in state HELD), ID
 *   client data    -> held (bounded) and acknowledged; L7 key extracted
 *   key decided    -> SESSION_NEW to sg-control over this worker's ring
 *   SESSION_INSTALL nat      -> SYN to the VM from a NAT address with the
 *                               client's ISN; on its SYN-ACK: ACK, replay
 *                               the held bytes, then a NAT flow whose
 *                               server-side sequence numbers, timestamps
 *                               and window are translated for its life
 *   SESSION_INSTALL dsr      -> the same SYN, to the VIP, tunnelled to the
 *                               VM's host with a struct sg_handoff_meta
 *                               payload; the host's eBPF program returns
 *                               the VM's segments (bounces) until the held
 *                               bytes are acknowledged: ACK, replay, then a
 *                               DSR flow whose client segments are
 *                               translated here, the VM's by the host
 *   SESSION_INSTALL redirect -> HTTP 307 to the VM's endpoint, FIN
 *   SESSION_REJECT, timeout  -> HTTP 503 + Retry-After (HTTP keys) or RST
 *
 * One worker owns a session from its cookie to its end: its slot, hold
 * buffer and flow entry live in that worker, and sg-control answers on the
 * same worker's ring. Nothing here locks, allocates memory (mbufs from the
 * pool excepted, for packets the data plane originates) or logs.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "sessiongate/sg_handoff.h"
#include "sessiongate/sg_id.h"
#include "sessiongate/sg_msg.h"
#include "sg_dp_hold.h"
#include "sg_dp_internal.h"
#include "sg_dp_l7key.h"
#include "sg_dp_seq.h"
#include "sg_dp_syncookie.h"
#include "sg_dp_tcpgen.h"
#include "sg_dp_tcpopt.h"

#define BR_WSCALE	   7	/**< window scale we announce (Linux's usual choice) */
#define BR_PEEK_MAX	   2048 /**< client bytes looked at for the L7 key */
#define BR_RESEND_MS	   100	/**< SESSION_NEW re-sent this often while not delivered */
#define BR_SYN_RTO_MS	   500	/**< SYN to the VM re-sent this often ... */
#define BR_SYN_TRIES	   6	/**< ... this many times, then the session times out */
#define BR_UDP_RETRY_MS	   10	/**< UDP install waiting for the VM's MAC: flush retried */
#define BR_REPLAY_RTO_MS   200	/**< replayed bytes re-sent this often until acknowledged ... */
#define BR_REPLAY_TRIES	   8	/**< ... this many times; then the session is given up */
#define BR_SCAN_PER_POLL   64	/**< session slots looked at per poll */
#define BR_MSGS_PER_POLL   32	/**< messages taken from sg-control per poll */
#define BR_ANSWER_MAX	   512	/**< bytes of a 307 / 503 answer */
#define BR_HOLD_SEGS	   SG_DP_HOLD_SEGS_MAX
#define BR_CLOSED_Q	   4096 /**< SESSION_CLOSED waiting for ring space or sg-control */
#define BR_SID_CNT_BITS	   34
#define BR_SID_WORKER_BIT  34
#define BR_SID_WORKER_MASK 0x3f

enum br_state {
	BR_FREE = 0,
	BR_HELD,       /**< waiting for the key or for a ring slot */
	BR_SENT,       /**< SESSION_NEW delivered, waiting for sg-control */
	BR_CONNECTING, /**< NAT hand-off: SYN sent to the VM */
	BR_SPLICED,    /**< handed off; held bytes replayed until the VM acknowledges them */
};

struct br_sess {
	uint64_t sid;
	uint64_t deadline;     /**< hold / connect timeout (TSC) */
	uint64_t next_try;     /**< next SESSION_NEW or SYN re-send (TSC) */
	uint64_t tmo_trans;    /**< the VS's transitory timeout (TSC) */
	uint32_t flow;	       /**< flow entry index */
	uint32_t client_isn;   /**< client's ISN */
	uint32_t our_isn;      /**< our ISN (the cookie) */
	uint32_t our_tsval;    /**< our TSval as the client echoed it */
	uint32_t client_tsval; /**< the client's last TSval */
	uint32_t vm_isn;
	uint16_t vs_slot;
	uint8_t state;
	uint8_t tries;
	uint8_t key_type; /**< enum sg_msg_l7 */
	bool http;	  /**< answer rejects with HTTP 503 */
	bool key_done;	  /**< the key is decided: SESSION_NEW may be (re-)sent */
	bool dsr;	  /**< DSR hand-off (else NAT) once installed */
	uint16_t key_len;
	uint16_t retry_after;
	uint16_t client_port;	    /**< port the client's packets come in on */
	struct sg_dp_tcp_opts opts; /**< the client's, from the cookie */
	struct sg_dp_hold hold;
	uint8_t key[SG_MSG_KEY_MAX];
};

struct sg_dp_broker {
	struct br_sess *s;
	uint32_t *free_idx;
	uint32_t n_free;
	uint32_t cap;
	uint32_t scan;		 /**< timeout scan cursor */
	struct rte_hash *by_sid; /**< session ID -> slot */
	struct sg_dp_hold_budget budget;
	uint64_t sid_base; /**< type | epoch | worker */
	uint64_t sid_next;
	uint64_t last_scan;
	uint32_t seq; /**< ring message sequence */
	/* SESSION_CLOSED not delivered yet (ring full, sg-control away): re-sent */
	uint64_t closed_sid[BR_CLOSED_Q];
	uint16_t closed_reason[BR_CLOSED_Q];
	uint32_t closed_head, closed_n;
	/* receive burst, zeroed once by rte_zmalloc: no element is read before written */
	struct sg_msg rx[4];
	uint32_t held_by_vs[SG_DP_VS_SLOTS];
};

/* ---- helpers ------------------------------------------------------------ */

static inline uint64_t
ms_tsc(const struct sg_dp_worker *w, uint64_t ms)
{
	return w->tsc_hz / 1000 * ms;
}

static inline uint32_t
now_s(const struct sg_dp_worker *w, uint64_t now)
{
	if (unlikely(w->conf.cookie_clock_s != 0)) /* test mode (dataplane/testmode.h) */
		return w->conf.cookie_clock_s;
	return (uint32_t)(now / w->tsc_hz);
}

static inline struct rte_tcp_hdr *
tcp_hdr(struct rte_mbuf *m, const struct sg_dp_pkt *p)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, p->l2_len + p->l3_len);
}

static inline uint16_t
tcp_hlen(const struct rte_tcp_hdr *th)
{
	return (uint16_t)((th->data_off >> 4) * 4);
}

static bool
ctl_up(const struct sg_dp_worker *w)
{
	return w->conf.to_ctl != NULL && w->conf.ctl_up != NULL &&
	       __atomic_load_n(w->conf.ctl_up, __ATOMIC_ACQUIRE);
}

static struct br_sess *
sess_of(struct sg_dp_worker *w, const struct sg_dp_flow *f)
{
	if (w->br == NULL || f->sess == 0 || f->sess > w->br->cap)
		return NULL;
	return &w->br->s[f->sess - 1];
}

static int
msg_send(struct sg_dp_worker *w, struct sg_msg *m)
{
	if (!ctl_up(w))
		return -ENOTCONN;
	m->hdr.version = SG_MSG_VERSION;
	m->hdr.worker = (uint16_t)w->conf.id;
	m->hdr.seq = w->br->seq;
	if (rte_ring_enqueue_elem(w->conf.to_ctl, m, SG_MSG_SIZE) != 0) {
		w->stats.cnt[SG_DP_EV_CTL_RING_FULL]++;
		return -ENOBUFS;
	}
	w->br->seq++;
	return 0;
}

static void
flow_to_msg(const struct sg_dp_flow *f, const struct br_sess *s, struct sg_msg_flow *mf)
{
	memset(mf, 0, sizeof(*mf));
	mf->family = f->key.family == AF_INET ? 4 : 6;
	mf->proto = f->key.proto;
	mf->vs_slot = s->vs_slot;
	mf->sport = rte_be_to_cpu_16(f->key.sport);
	mf->dport = rte_be_to_cpu_16(f->key.dport);
	memcpy(mf->saddr, f->key.src, f->key.family == AF_INET ? 4 : 16);
	memcpy(mf->daddr, f->key.dst, f->key.family == AF_INET ? 4 : 16);
}

static int
send_new(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s)
{
	struct sg_msg m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.hdr.type = SG_MSG_SESSION_NEW;
	m.hdr.len = (uint16_t)(sizeof(m.hdr) + sizeof(m.session_new));
	m.hdr.session_id = s->sid;
	flow_to_msg(f, s, &m.session_new.flow);
	m.session_new.key_type = s->key_type;
	m.session_new.key_len = s->key_len;
	m.session_new.held_bytes = s->hold.bytes;
	memcpy(m.session_new.key, s->key, s->key_len);
	rc = msg_send(w, &m);
	if (rc == 0) {
		s->state = BR_SENT;
		w->stats.cnt[SG_DP_EV_SESS_SENT]++;
	}
	return rc;
}

static int
closed_msg(struct sg_dp_worker *w, uint64_t sid, uint16_t reason)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = SG_MSG_SESSION_CLOSED;
	m.hdr.len = (uint16_t)(sizeof(m.hdr) + sizeof(m.closed));
	m.hdr.session_id = sid;
	m.closed.reason = reason;
	return msg_send(w, &m);
}

/* SESSION_CLOSED now, or queued (bounded) until the ring or sg-control is back. */
static void
send_closed(struct sg_dp_worker *w, uint64_t sid, uint16_t reason)
{
	struct sg_dp_broker *b = w->br;
	uint32_t i;

	if (b->closed_n == 0 && closed_msg(w, sid, reason) == 0)
		return;
	if (b->closed_n == BR_CLOSED_Q) {
		w->stats.cnt[SG_DP_EV_CLOSED_LOST]++; /* sg-control never hears of it */
		return;
	}
	i = (b->closed_head + b->closed_n) % BR_CLOSED_Q;
	b->closed_sid[i] = sid;
	b->closed_reason[i] = reason;
	b->closed_n++;
}

static void
closed_flush(struct sg_dp_worker *w)
{
	struct sg_dp_broker *b = w->br;

	while (b->closed_n > 0 && closed_msg(w, b->closed_sid[b->closed_head],
					     b->closed_reason[b->closed_head]) == 0) {
		b->closed_head = (b->closed_head + 1) % BR_CLOSED_Q;
		b->closed_n--;
	}
}

/* ---- sessions ----------------------------------------------------------- */

static void
sess_release(struct sg_dp_worker *w, struct sg_dp_flow *f)
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
	rte_hash_del_key(b->by_sid, &s->sid);
	if (b->held_by_vs[s->vs_slot] > 0)
		b->held_by_vs[s->vs_slot]--;
	s->state = BR_FREE;
	b->free_idx[b->n_free++] = idx;
	f->sess = 0;
}

void
sg_dp_broker_flow_gone(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why)
{
	uint16_t reason = SG_MSG_REASON_CLIENT_CLOSED;

	if (f->sid == 0)
		return;
	if (why == SG_DP_EV_FLOW_EXPIRED || why == SG_DP_EV_FLOW_EVICTED)
		reason = SG_MSG_REASON_IDLE;
	sess_release(w, f);
	send_closed(w, f->sid, reason);
	w->stats.cnt[SG_DP_EV_SESS_CLOSED]++;
	f->sid = 0;
}

/* ---- packets we originate or answer with ------------------------------- */

enum answer_kind {
	ANS_ACK,      /**< bare ACK */
	ANS_RST,      /**< reset answering the segment (RFC 9293 3.10.7.1) */
	ANS_DATA_FIN, /**< data, then FIN */
};

/*
 * Turn @p m (a segment from the peer) into our answer to it, transmitted
 * on the port it came in on.
 */
static void
answer(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m, const struct sg_dp_pkt *p,
       enum answer_kind kind, uint32_t seq, uint32_t ack, uint16_t win, const void *data,
       uint16_t len, struct sg_dp_txq *out)
{
	int rc;

	switch (kind) {
	case ANS_ACK:
		rc = sg_dp_tcpgen_ack(m, p, seq, ack, win);
		break;
	case ANS_RST:
		rc = sg_dp_tcpgen_rst(m, p);
		break;
	default:
		rc = sg_dp_tcpgen_data(m, p, seq, ack, win, data, len, true);
		break;
	}
	if (rc != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return;
	}
	sg_dp_pkt_tx(w, port, out, port, m);
}

/* A copy of @p m's headers, to answer with while @p m itself is held. */
static struct rte_mbuf *
header_copy(struct sg_dp_worker *w, struct rte_mbuf *m, const struct sg_dp_pkt *p)
{
	uint32_t hl = p->l2_len + p->l3_len + tcp_hlen(tcp_hdr(m, p));
	struct rte_mbuf *c = rte_pktmbuf_copy(m, w->conf.pool, 0, hl);

	w->stats.cnt[SG_DP_EV_GENERATED]++;
	if (c == NULL)
		w->stats.cnt[SG_DP_DROP_NO_MBUF]++;
	return c;
}

static uint16_t
hold_window(const struct br_sess *s, const struct sg_dp_vs *vs)
{
	uint32_t room = vs != NULL && vs->br.hold_bytes > s->hold.bytes
				? vs->br.hold_bytes - s->hold.bytes
				: 0;

	if (s->opts.has_wscale)
		room >>= BR_WSCALE;
	return (uint16_t)RTE_MIN(room, 65535u);
}

/* The answer of a rejected or timed-out session: 503 (HTTP) or RST. */
static void
answer_reject(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s,
	      struct sg_dp_txq *out, uint16_t retry_after)
{
	struct sg_dp_hold_seg seg;
	struct sg_dp_pkt p;
	char body[BR_ANSWER_MAX];
	int len = 0;

	if (f->key.proto != IPPROTO_TCP) {
		/* UDP: nothing to answer with; held datagrams are dropped (drop_brokered) and
		 * the client's next ones too until the flow expires */
		f->state = SG_DP_FS_ANSWERED;
		f->tmo_est = f->tmo_trans = w->tsc_hz;
		return;
	}
	if (sg_dp_hold_pop(&s->hold, &seg) != 0) {
		/* nothing held to answer with: the client's next segment gets a RST */
		f->state = SG_DP_FS_ANSWERED;
		f->flags |= SG_DP_FLOW_RSTNEXT;
		f->seq_s2c = s->our_isn + 1;
		return;
	}
	w->stats.cnt[SG_DP_EV_RELEASED]++;
	if (sg_dp_pkt_parse(seg.m, &p) != SG_DP_CNT_MAX) {
		sg_dp_pkt_drop(w, s->client_port, seg.m, SG_DP_DROP_BROKERED);
		return;
	}
	if (s->http)
		len = (int)sg_dp_http_503(body, sizeof(body), retry_after);
	if (len > 0)
		answer(w, s->client_port, seg.m, &p, ANS_DATA_FIN, s->our_isn + 1, s->hold.next_seq,
		       0, body, (uint16_t)len, out);
	else
		answer(w, s->client_port, seg.m, &p, ANS_RST, 0, 0, 0, NULL, 0, out);
	f->state = SG_DP_FS_ANSWERED;
	f->tmo_trans = s->tmo_trans; /* closing: the VS's transitory timeout again */
	f->seq_s2c = s->our_isn + 1 + (uint32_t)(len > 0 ? len + 1 : 0); /* our next seq */
	f->ts_s2c = s->hold.next_seq;					 /* their next seq */
}

/* ---- new flows ---------------------------------------------------------- */

static void
on_syn(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port, struct rte_mbuf *m,
       const struct sg_dp_pkt *p, struct sg_dp_txq *out, uint64_t now)
{
	struct rte_tcp_hdr *th = tcp_hdr(m, p);
	struct sg_dp_tcp_opts syn, ours;
	uint32_t isn = rte_be_to_cpu_32(th->sent_seq), cookie, tsval = 0;
	uint16_t mss = 0, mtu = t->ports[port].mtu;
	uint16_t ovh = p->key.family == AF_INET ? 40 : 60;

	if (sg_dp_tcpopt_parse((const uint8_t *)(th + 1), tcp_hlen(th) - sizeof(*th), &syn) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_TCP_FLAGS);
		return;
	}
	cookie = sg_dp_syncookie_make(w->conf.cookies, &p->key, isn, now_s(w, now), &syn, &mss,
				      &tsval);
	memset(&ours, 0, sizeof(ours));
	ours.mss = mtu > ovh ? (uint16_t)(mtu - ovh) : 536;
	/* without timestamps the cookie cannot carry these: the connection goes without */
	ours.has_wscale = syn.has_wscale && syn.has_ts;
	ours.wscale = BR_WSCALE;
	ours.sack_ok = syn.sack_ok && syn.has_ts;
	ours.has_ts = syn.has_ts;
	ours.tsval = tsval;
	ours.tsecr = syn.tsval;
	if (sg_dp_tcpgen_synack(m, p, cookie, isn + 1, 65535, &ours) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return;
	}
	w->stats.cnt[SG_DP_EV_SYNCOOKIE]++;
	sg_dp_pkt_tx(w, port, out, port, m);
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
	return k == SG_CFG_L7_HTTP_HOST || k == SG_CFG_L7_HTTP_PATH || k == SG_CFG_L7_HTTP_COOKIE;
}

/*
 * A session slot, its ID and a flow entry in state HELD for @p p's flow.
 * NULL when there is no room (@p m dropped, counted).
 */
static struct br_sess *
sess_open(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m, const struct sg_dp_pkt *p,
	  const struct sg_dp_vs *vs, uint32_t first_seq, uint64_t now, struct sg_dp_flow **fp)
{
	struct sg_dp_broker *b = w->br;
	bool tcp = p->key.proto == IPPROTO_TCP;
	struct sg_dp_flow *f;
	struct br_sess *s;
	enum sg_dp_cnt rc;
	uint32_t idx;

	f = sg_dp_flow_insert(w, &p->key, now, &rc);
	if (f == NULL) {
		sg_dp_pkt_drop(w, port, m, rc);
		return NULL;
	}
	idx = b->free_idx[--b->n_free];
	s = &b->s[idx];
	memset(s, 0, offsetof(struct br_sess, key));
	s->sid = sid_make(b);
	if (rte_hash_add_key_data(b->by_sid, &s->sid, (void *)(uintptr_t)idx) < 0 ||
	    sg_dp_hold_init(&s->hold, &b->budget, first_seq, vs->br.hold_bytes, BR_HOLD_SEGS) !=
		    0) {
		rte_hash_del_key(b->by_sid, &s->sid);
		b->free_idx[b->n_free++] = idx;
		sg_dp_flow_discard(&w->ft, f);
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_SESS_FULL);
		return NULL;
	}
	s->state = BR_HELD;
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

/*
 * UDP: datagrams are held in order of arrival (a running byte count stands
 * in for sequence numbers) and flushed to the VM on install.
 */
static void udp_hold(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		     struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
		     struct br_sess *s, struct sg_dp_txq *out);

static void on_held_data(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
			 struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
			 struct br_sess *s, struct sg_dp_txq *out, uint64_t now);

static void
on_cookie_ack(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
	      struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_vs *vs,
	      struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	struct rte_tcp_hdr *th = tcp_hdr(m, p);
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq), ack = rte_be_to_cpu_32(th->recv_ack);
	struct sg_dp_tcp_opts o, cur;
	struct sg_dp_flow *f;
	struct br_sess *s;
	int crc;

	if (sg_dp_tcpopt_parse((const uint8_t *)(th + 1), tcp_hlen(th) - sizeof(*th), &cur) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_TCP_FLAGS);
		return;
	}
	crc = sg_dp_syncookie_check(w->conf.cookies, &p->key, ack, seq, now_s(w, now), cur.has_ts,
				    cur.tsecr, &o);
	if (crc != 0) {
		sg_dp_pkt_drop(w, port, m,
			       crc == -ETIMEDOUT ? SG_DP_DROP_COOKIE_OLD : SG_DP_DROP_COOKIE_BAD);
		return;
	}
	if (b->n_free == 0 || b->held_by_vs[vs->slot] >= vs->br.max_held) {
		answer(w, port, m, p, ANS_RST, 0, 0, 0, NULL, 0, out);
		w->stats.cnt[SG_DP_EV_SESS_REJECTED]++; /* no room: refused at once */
		return;
	}
	s = sess_open(w, port, m, p, vs, seq, now, &f);
	if (s == NULL)
		return;
	s->client_isn = seq - 1;
	s->our_isn = ack - 1;
	s->our_tsval = cur.tsecr;
	s->client_tsval = cur.tsval;
	s->opts = o;
	f->ts = o.has_ts;
	on_held_data(w, t, port, m, p, f, s, out, now);
}

void
sg_dp_broker_new(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		 struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_vs *vs,
		 struct sg_dp_txq *out, uint64_t now)
{
	uint8_t fl = p->tcp_flags;

	if (w->br == NULL || (p->key.proto != IPPROTO_TCP && p->key.proto != IPPROTO_UDP) ||
	    (p->key.proto == IPPROTO_UDP && vs->mode != SG_CFG_MODE_BROKERED)) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_VS_MODE);
		return;
	}
	if (p->key.proto == IPPROTO_UDP) {
		struct sg_dp_flow *f;
		struct br_sess *s;

		if (w->br->n_free == 0 || w->br->held_by_vs[vs->slot] >= vs->br.max_held) {
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_SESS_FULL);
			return;
		}
		s = sess_open(w, port, m, p, vs, 0, now, &f);
		if (s != NULL)
			udp_hold(w, t, port, m, p, f, s, out);
		return;
	}
	if (fl & RTE_TCP_RST_FLAG) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_NO_FLOW);
		return;
	}
	if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG) {
		on_syn(w, t, port, m, p, out, now);
		return;
	}
	if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_ACK_FLAG &&
	    !(fl & RTE_TCP_FIN_FLAG)) {
		on_cookie_ack(w, t, port, m, p, vs, out, now);
		return;
	}
	sg_dp_pkt_drop(w, port, m, SG_DP_DROP_NO_FLOW);
}

/* ---- held sessions ------------------------------------------------------ */

/* Decide the key when the bytes held allow it; then tell sg-control. */
static void
try_key(struct sg_dp_worker *w, const struct sg_dp_vs *vs, struct sg_dp_flow *f, struct br_sess *s,
	bool final, struct sg_dp_txq *out)
{
	uint8_t buf[BR_PEEK_MAX];
	size_t n;
	enum sg_dp_l7_result r;
	enum sg_msg_l7 type;
	const char *name = NULL;

	if (s->state != BR_HELD || s->key_done || vs == NULL)
		return;
	switch (vs->br.key) {
	case SG_CFG_L7_HTTP_HOST:
		type = SG_MSG_L7_HTTP_HOST;
		break;
	case SG_CFG_L7_HTTP_PATH:
		type = SG_MSG_L7_HTTP_PATH;
		break;
	case SG_CFG_L7_HTTP_COOKIE:
		type = SG_MSG_L7_HTTP_COOKIE;
		name = vs->br.key_name;
		break;
	case SG_CFG_L7_TLS_SNI:
		type = SG_MSG_L7_TLS_SNI;
		break;
	case SG_CFG_L7_RDP_COOKIE:
		type = SG_MSG_L7_RDP_COOKIE;
		break;
	case SG_CFG_L7_PREFIX:
		type = SG_MSG_L7_PREFIX;
		break;
	default:
		type = SG_MSG_L7_NONE;
		break;
	}
	if (type != SG_MSG_L7_NONE) {
		n = sg_dp_hold_peek(&s->hold, buf, sizeof(buf));
		if (n == sizeof(buf))
			final = true;
		if (type ==
		    SG_MSG_L7_PREFIX) /* its length straight, not spelt out for the dispatcher */
			r = sg_dp_l7_prefix(vs->br.prefix_len, buf, n, final, s->key, &s->key_len);
		else
			r = sg_dp_l7_extract(type, name, buf, n, final, s->key, &s->key_len);
		if (r == SG_DP_L7_NEED_MORE)
			return;
		if (r == SG_DP_L7_FOUND) {
			s->key_type = (uint8_t)type;
		} else {
			s->key_type = SG_MSG_L7_NONE;
			s->key_len = 0;
		}
	}
	s->key_done = true;
	if (!ctl_up(w) && vs->br.control_down == SG_CFG_CTL_DOWN_REJECT) {
		answer_reject(w, f, s, out, s->retry_after);
		w->stats.cnt[SG_DP_EV_SESS_REJECTED]++;
		sess_release(w, f);
		return;
	}
	if (send_new(w, f, s) != 0)
		s->next_try = rte_rdtsc() + ms_tsc(w, BR_RESEND_MS);
}

/* Acknowledge what is held with a copy of @p m's headers (@p m itself stays held). */
static void
ack_held(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m, const struct sg_dp_pkt *p,
	 const struct br_sess *s, const struct sg_dp_vs *vs, struct sg_dp_txq *out)
{
	uint16_t hl = tcp_hlen(tcp_hdr(m, p));
	struct rte_mbuf *ack = header_copy(w, m, p);
	struct sg_dp_pkt ap = *p;

	if (ack == NULL)
		return;
	ap.l4_len = hl;
	ap.ip_len = (uint16_t)(p->l3_len + hl);
	answer(w, port, ack, &ap, ANS_ACK, s->our_isn + 1, s->hold.next_seq, hold_window(s, vs),
	       NULL, 0, out);
}

static void
on_held_data(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
	     struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f, struct br_sess *s,
	     struct sg_dp_txq *out, uint64_t now)
{
	const struct sg_dp_vs *vs = t->vs_by_slot[s->vs_slot];
	struct rte_tcp_hdr *th = tcp_hdr(m, p);
	uint32_t hl = tcp_hlen(th), seq = rte_be_to_cpu_32(th->sent_seq);
	uint32_t off = p->l2_len + p->l3_len + hl;
	uint32_t plen = p->l4_len > hl ? p->l4_len - hl : 0;
	struct sg_dp_tcp_opts o;
	enum sg_dp_hold_result hr;
	bool full = false;

	RTE_SET_USED(now);
	if (sg_dp_tcpopt_parse((const uint8_t *)(th + 1), hl - sizeof(*th), &o) == 0 && o.has_ts)
		s->client_tsval = o.tsval;
	if (plen == 0) {
		if (s->key_type == SG_MSG_L7_NONE && s->state == BR_HELD &&
		    (vs == NULL || vs->br.key == SG_CFG_L7_NONE))
			try_key(w, vs, f, s, true, out);
		w->stats.cnt[SG_DP_EV_CONSUMED]++;
		rte_pktmbuf_free(m);
		return;
	}
	/* data racing a NAT hand-off is held like the rest, replayed on the SYN-ACK */
	hr = sg_dp_hold_append(&s->hold, m, off, plen, seq);
	switch (hr) {
	case SG_DP_HOLD_OK:
		w->stats.cnt[SG_DP_EV_HELD]++;
		ack_held(w, port, m, p, s, vs, out);
		break;
	case SG_DP_HOLD_DUP:
		/* a retransmission: acknowledge what we have */
		answer(w, port, m, p, ANS_ACK, s->our_isn + 1, s->hold.next_seq, hold_window(s, vs),
		       NULL, 0, out);
		break;
	case SG_DP_HOLD_OUT_OF_ORDER:
		/* a gap: duplicate ACK, the client resends in order */
		ack_held(w, port, m, p, s, vs, out);
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HOLD_OOO);
		break;
	case SG_DP_HOLD_FULL_BYTES:
	case SG_DP_HOLD_FULL_SEGS:
	case SG_DP_HOLD_FULL_BUDGET:
		full = true;
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HOLD_FULL);
		break;
	default:
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return;
	}
	if (s->state == BR_HELD)
		try_key(w, vs, f, s, full, out);
}

static void
udp_hold(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port, struct rte_mbuf *m,
	 const struct sg_dp_pkt *p, struct sg_dp_flow *f, struct br_sess *s, struct sg_dp_txq *out)
{
	const struct sg_dp_vs *vs = t->vs_by_slot[s->vs_slot];
	uint32_t off = p->l2_len + p->l3_len + sizeof(struct rte_udp_hdr);
	uint32_t len = p->l4_len > sizeof(struct rte_udp_hdr)
			       ? p->l4_len - (uint32_t)sizeof(struct rte_udp_hdr)
			       : 0;

	switch (sg_dp_hold_append(&s->hold, m, off, len, s->hold.next_seq)) {
	case SG_DP_HOLD_OK:
		w->stats.cnt[SG_DP_EV_HELD]++;
		break;
	case SG_DP_HOLD_EMPTY:
		w->stats.cnt[SG_DP_EV_CONSUMED]++; /* an empty datagram carries nothing to replay */
		rte_pktmbuf_free(m);
		break;
	case SG_DP_HOLD_FULL_BYTES:
	case SG_DP_HOLD_FULL_SEGS:
	case SG_DP_HOLD_FULL_BUDGET:
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HOLD_FULL);
		break;
	default:
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		break;
	}
	/* a datagram is whole: the first one decides a prefix key */
	try_key(w, vs, f, s, true, out);
}

/* Client packets after our 307 / 503: acknowledge a FIN, reset anything else. */
static void
on_answered(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m, const struct sg_dp_pkt *p,
	    struct sg_dp_flow *f, struct sg_dp_txq *out)
{
	struct rte_tcp_hdr *th = tcp_hdr(m, p);
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
	uint32_t hl = tcp_hlen(th), plen = p->l4_len > hl ? p->l4_len - hl : 0;

	if (p->tcp_flags & RTE_TCP_RST_FLAG) {
		sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_CLOSED);
		w->stats.cnt[SG_DP_EV_CONSUMED]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (f->flags & SG_DP_FLOW_RSTNEXT) {
		answer(w, port, m, p, ANS_RST, 0, 0, 0, NULL, 0, out);
		sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_CLOSED);
		return;
	}
	if (p->tcp_flags & RTE_TCP_FIN_FLAG) {
		answer(w, port, m, p, ANS_ACK, f->seq_s2c, seq + plen + 1, 0, NULL, 0, out);
		f->state = SG_DP_FS_CLOSING;
		return;
	}
	w->stats.cnt[SG_DP_EV_CONSUMED]++; /* the ACK of our answer */
	rte_pktmbuf_free(m);
}

/* ---- the NAT hand-off --------------------------------------------------- */

/*
 * An mbuf for a SYN to the VM (counted generated, or drop_no_mbuf) and the
 * options it carries: the client's, with its last TSval.
 */
static struct rte_mbuf *
syn_mbuf(struct sg_dp_worker *w, const struct br_sess *s, struct sg_dp_tcp_opts *o)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->conf.pool);

	w->stats.cnt[SG_DP_EV_GENERATED]++;
	if (m == NULL)
		w->stats.cnt[SG_DP_DROP_NO_MBUF]++;
	*o = s->opts;
	o->tsval = s->client_tsval;
	o->tsecr = 0;
	return m;
}

static int
send_syn(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
	 struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_tcp_opts o;
	struct sg_dp_flow_key k;
	struct rte_ether_addr mac;
	struct rte_mbuf *m;
	enum sg_dp_cnt rc;
	uint16_t port;

	rc = sg_dp_resolve_cached(w, t, &f->rt[0], f->member.family, f->member.a, now, &port, &mac);
	if (rc != SG_DP_CNT_MAX)
		return -EAGAIN; /* re-sent by the timer once the neighbour is known */
	m = syn_mbuf(w, s, &o);
	if (m == NULL)
		return -ENOMEM;
	memset(&k, 0, sizeof(k));
	k.family = f->key.family;
	k.proto = IPPROTO_TCP;
	memcpy(k.src, f->nat.a, 16);
	memcpy(k.dst, f->member.a, 16);
	k.sport = f->nat_port;
	k.dport = f->mport;
	if (sg_dp_tcpgen_syn(m, &t->ports[port].mac, &mac, &k, s->client_isn, 65535, &o) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return -EINVAL;
	}
	sg_dp_pkt_tx(w, port, out, port, m);
	return 0;
}

/*
 * Tunnel @p m (an Ethernet frame whose IP packet goes client -> VIP) to the
 * flow's host, as DSR forwarding does. Consumes @p m.
 */
static void
dsr_tx(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
       struct rte_mbuf *m, uint16_t rx_port, struct sg_dp_txq *out, uint64_t now)
{
	struct rte_ether_addr mac;
	struct sg_dp_pkt p;
	enum sg_dp_cnt rc;
	uint16_t port = rx_port;

	rc = sg_dp_pkt_parse(m, &p);
	if (rc == SG_DP_CNT_MAX)
		rc = sg_dp_resolve_cached(w, t, &f->rt[0], f->host.family, f->host.a, now, &port,
					  &mac);
	if (rc == SG_DP_CNT_MAX)
		rc = sg_dp_encap(m, &p, f, t, port, &mac);
	if (rc != SG_DP_CNT_MAX) {
		sg_dp_pkt_drop(w, rx_port, m, rc);
		return;
	}
	sg_dp_pkt_tx(w, rx_port, out, port, m);
}

/*
 * DSR hand-off: the client's SYN (its ISN and options) to the VIP, with the
 * meta the host's eBPF program needs, tunnelled to the VM's host.
 */
static int
send_syn_dsr(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
	     struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	static const struct rte_ether_addr none;
	struct sg_dp_tcp_opts o;
	struct sg_handoff_meta meta;
	struct rte_mbuf *m;

	memset(&meta, 0, sizeof(meta));
	meta.magic = rte_cpu_to_be_32(SG_HANDOFF_META_MAGIC);
	meta.version = SG_HANDOFF_VERSION;
	meta.flags = (uint8_t)((s->opts.has_ts ? SG_HANDOFF_F_TS : 0) |
			       (s->opts.has_wscale ? SG_HANDOFF_F_WSCALE : 0));
	meta.lb_wscale = BR_WSCALE;
	meta.family = f->key.family == AF_INET ? 4 : 6;
	meta.sid = s->sid;
	meta.lb_isn = rte_cpu_to_be_32(s->our_isn);
	meta.lb_tsval = rte_cpu_to_be_32(s->our_tsval);
	meta.held_end = rte_cpu_to_be_32(s->hold.next_seq);
	meta.vm_port = f->mport;
	memcpy(meta.vm_addr, f->member.a, sizeof(meta.vm_addr));
	m = syn_mbuf(w, s, &o);
	if (m == NULL)
		return -ENOMEM;
	if (sg_dp_tcpgen_syn_data(m, &none, &none, &f->key, s->client_isn, 65535, &o,
				  (const uint8_t *)&meta, sizeof(meta)) != 0) {
		sg_dp_pkt_drop(w, s->client_port, m, SG_DP_DROP_BROKERED);
		return -EINVAL;
	}
	dsr_tx(w, t, f, m, s->client_port, out, now);
	return 0;
}

/*
 * UDP install: the held datagrams go to the VM; from now on a NAT flow.
 * While the VM's MAC is not known yet the datagrams stay held and the
 * flush is retried by the timer (state CONNECTING) until the hold deadline.
 */
static void
udp_flush(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
	  struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_hold_seg seg;
	struct rte_ether_addr mac;
	uint16_t oport = 0;

	if (sg_dp_resolve_cached(w, t, &f->rt[0], f->member.family, f->member.a, now, &oport,
				 &mac) != SG_DP_CNT_MAX) {
		s->state = BR_CONNECTING;
		s->next_try = now + ms_tsc(w, BR_UDP_RETRY_MS);
		f->state = SG_DP_FS_CONNECTING;
		return;
	}
	while (sg_dp_hold_pop(&s->hold, &seg) == 0) {
		struct sg_dp_pkt hp;

		w->stats.cnt[SG_DP_EV_RELEASED]++;
		if (sg_dp_pkt_parse(seg.m, &hp) != SG_DP_CNT_MAX) {
			sg_dp_pkt_drop(w, s->client_port, seg.m, SG_DP_DROP_BROKERED);
			continue;
		}
		sg_dp_nat_rewrite(seg.m, &hp, f->nat.a, f->nat_port, f->member.a, f->mport);
		sg_dp_l2_rewrite(seg.m, &hp, &t->ports[oport].mac, &mac);
		sg_dp_pkt_tx(w, s->client_port, out, oport, seg.m);
	}
	f->mode = SG_CFG_MODE_NAT;
	f->state = SG_DP_FS_EST;
	f->tmo_est = f->tmo_trans = s->tmo_trans; /* the VS's UDP timeout */
	w->stats.cnt[SG_DP_EV_SESS_INSTALLED]++;
	sess_release(w, f);
}

/* The VM of @p in becomes the flow's member (family checked by the caller). */
static void
member_set(struct sg_dp_flow *f, const struct sg_msg_session_install *in, uint8_t fam)
{
	sg_dp_ip_set(&f->member, fam, in->backend_addr);
	f->mport = rte_cpu_to_be_16(in->backend_port);
	f->rt[0].ne = NULL;
}

/* The SYN to the VM: from a NAT address, or tunnelled to its host (DSR). */
static int
syn_send(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
	 struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	return s->dsr ? send_syn_dsr(w, t, f, s, out, now) : send_syn(w, t, f, s, out, now);
}

/* TCP install: SYN to the VM, re-sent by the scan until its SYN-ACK. */
static void
connect_start(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
	      struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	s->state = BR_CONNECTING;
	s->tries = 1;
	s->next_try = now + ms_tsc(w, BR_SYN_RTO_MS);
	f->state = SG_DP_FS_CONNECTING;
	(void)syn_send(w, t, f, s, out, now);
}

static int
install_nat(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
	    struct br_sess *s, const struct sg_msg_session_install *in, struct sg_dp_txq *out,
	    uint64_t now)
{
	uint8_t fam = in->family == 4 ? AF_INET : AF_INET6;
	const struct sg_dp_ip *na = fam == AF_INET ? t->nat4 : t->nat6;
	unsigned int nn = fam == AF_INET ? t->n_nat4 : t->n_nat6;
	uint16_t nat_port;

	if (fam != f->key.family || nn == 0)
		return -EAFNOSUPPORT; /* no NAT source of the VM's family */
	nat_port = sg_dp_nat_port_get(w, t);
	if (nat_port == 0)
		return -EADDRNOTAVAIL;
	member_set(f, in, fam);
	f->nat = na[f->hash % nn];
	f->nat_port = rte_cpu_to_be_16(nat_port);
	if (sg_dp_flow_add_rkey(&w->ft, f) < 0) {
		sg_dp_nat_port_put(w, nat_port);
		return -ENOSPC;
	}
	f->flags |= SG_DP_FLOW_NAT;
	if (f->key.proto == IPPROTO_UDP)
		udp_flush(w, t, f, s, out, now);
	else
		connect_start(w, t, f, s, out, now);
	return 0;
}

/* DSR install (TCP): the hand-off SYN to the VM through its host. */
static int
install_dsr(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
	    struct br_sess *s, const struct sg_msg_session_install *in, struct sg_dp_txq *out,
	    uint64_t now)
{
	const struct sg_dp_vs *vs = t->vs_by_slot[f->vs_slot];
	uint8_t fam = in->family == 4 ? AF_INET : AF_INET6;
	static const uint8_t zero[16];

	if (f->key.proto != IPPROTO_TCP || fam != f->key.family || vs == NULL)
		return -EAFNOSUPPORT; /* UDP has no DSR hand-off; no family change */
	if (memcmp(in->host_addr, zero, fam == AF_INET ? 4 : 16) == 0)
		return -EDESTADDRREQ;
	member_set(f, in, fam);
	sg_dp_ip_set(&f->host, fam, in->host_addr);
	f->encap = (uint8_t)vs->encap;
	f->gue_port = rte_cpu_to_be_16(vs->gue_port);
	s->dsr = true;
	connect_start(w, t, f, s, out, now);
	return 0;
}

/* Copies of the held segments to the VM, NAT-rewritten and translated. */
static void
replay(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
       struct br_sess *s, uint16_t rx_port, struct sg_dp_txq *out, uint64_t now)
{
	const struct sg_dp_hold_seg *seg;
	struct rte_ether_addr mac;
	unsigned int i;
	uint16_t oport = rx_port;

	if (!s->dsr && sg_dp_resolve_cached(w, t, &f->rt[0], f->member.family, f->member.a, now,
					    &oport, &mac) != SG_DP_CNT_MAX)
		return; /* re-sent by the timer once the neighbour is known */
	for (i = 0; (seg = sg_dp_hold_at(&s->hold, i)) != NULL; i++) {
		struct rte_mbuf *c = rte_pktmbuf_copy(seg->m, w->conf.pool, 0, UINT32_MAX);
		struct sg_dp_pkt hp;

		w->stats.cnt[SG_DP_EV_GENERATED]++;
		if (c == NULL) {
			w->stats.cnt[SG_DP_DROP_NO_MBUF]++;
			return;
		}
		if (sg_dp_pkt_parse(c, &hp) != SG_DP_CNT_MAX) {
			sg_dp_pkt_drop(w, rx_port, c, SG_DP_DROP_BROKERED);
			continue;
		}
		if (s->dsr) {
			sg_dp_broker_xlate(c, &hp, f, false);
			dsr_tx(w, t, f, c, rx_port, out, now);
			continue;
		}
		sg_dp_nat_rewrite(c, &hp, f->nat.a, f->nat_port, f->member.a, f->mport);
		sg_dp_broker_xlate(c, &hp, f, false);
		sg_dp_l2_rewrite(c, &hp, &t->ports[oport].mac, &mac);
		sg_dp_pkt_tx(w, rx_port, out, oport, c);
	}
}

void
sg_dp_broker_vm_ack(struct sg_dp_worker *w, struct sg_dp_flow *f, struct rte_mbuf *m,
		    const struct sg_dp_pkt *p)
{
	struct br_sess *s = sess_of(w, f);
	const struct rte_tcp_hdr *th;
	struct sg_dp_hold_seg seg;

	if (s == NULL || s->state != BR_SPLICED || p->key.proto != IPPROTO_TCP)
		return;
	if ((p->tcp_flags & (RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_RST_FLAG) {
		sess_release(w, f); /* the VM reset: nothing more to deliver (drop_brokered) */
		return;
	}
	if (!(p->tcp_flags & RTE_TCP_ACK_FLAG))
		return;
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, p->l2_len + p->l3_len);
	/* client sequence numbers are the same on both sides (the SYN carried the client's ISN) */
	if (!sg_dp_seq_ge(rte_be_to_cpu_32(th->recv_ack), s->hold.next_seq))
		return;
	while (sg_dp_hold_pop(&s->hold, &seg) == 0) {
		w->stats.cnt[SG_DP_EV_RELEASED]++;
		w->stats.cnt[SG_DP_EV_CONSUMED]++; /* delivered: the original is used up */
		rte_pktmbuf_free(seg.m);
	}
	sess_release(w, f);
}

/* The VM's SYN-ACK @p th (options @p vo): the deltas of a spliced flow. */
static void
splice_learn(const struct sg_dp_tables *t, struct sg_dp_flow *f, struct br_sess *s,
	     const struct rte_tcp_hdr *th, const struct sg_dp_tcp_opts *vo)
{
	s->vm_isn = rte_be_to_cpu_32(th->sent_seq);
	f->seq_s2c = s->our_isn - s->vm_isn;
	f->ts = s->opts.has_ts && vo->has_ts;
	f->ts_s2c = f->ts ? s->our_tsval - vo->tsval : 0;
	/* the client reads the VM's windows with the scale we announced */
	f->ws_shift =
		(int8_t)(s->opts.has_wscale && vo->has_wscale ? (int)vo->wscale - BR_WSCALE : 0);
	f->flags |= SG_DP_FLOW_SEQ;
	f->state = SG_DP_FS_EST;
	/* from now on a plain flow: its VS's timeouts (the hold's no longer) */
	if (t->vs_by_slot[f->vs_slot] != NULL)
		f->tmo_trans = t->vs_by_slot[f->vs_slot]->tmo_tcp_trans;
}

/* The VM's handshake is complete: replay the held bytes until acknowledged. */
static void
splice_start(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
	     struct br_sess *s, uint16_t port, struct sg_dp_txq *out, uint64_t now)
{
	w->stats.cnt[SG_DP_EV_SESS_INSTALLED]++;
	if (s->hold.n == 0) {
		sess_release(w, f); /* the flow keeps its session ID and deltas */
		return;
	}
	/*
	 * The held bytes were acknowledged to the client: the client will not
	 * send them again. They are replayed as copies and kept until the VM
	 * acknowledges them (sg_dp_broker_vm_ack()), re-sent meanwhile.
	 */
	s->state = BR_SPLICED;
	s->tries = 1;
	s->next_try = now + ms_tsc(w, BR_REPLAY_RTO_MS);
	replay(w, t, f, s, port, out, now);
}

/*
 * Is @p m the VM's SYN-ACK to our SYN? 1: yes (*vo filled); 0: the VM
 * refused (RST, the session was answered as a reject, @p m consumed);
 * -1: something else (@p m dropped).
 */
static int
vm_synack_check(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m,
		const struct sg_dp_pkt *p, struct sg_dp_flow *f, struct br_sess *s,
		struct sg_dp_txq *out, struct sg_dp_tcp_opts *vo)
{
	struct rte_tcp_hdr *th = tcp_hdr(m, p);
	uint32_t ack = rte_be_to_cpu_32(th->recv_ack);

	if ((p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
		    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) &&
	    ack == s->client_isn + 1 &&
	    sg_dp_tcpopt_parse((const uint8_t *)(th + 1), tcp_hlen(th) - sizeof(*th), vo) == 0)
		return 1;
	if (p->tcp_flags & RTE_TCP_RST_FLAG) {
		/* the VM refused: answer the client as a reject */
		answer_reject(w, f, s, out, s->retry_after);
		w->stats.cnt[SG_DP_EV_SESS_REJECTED]++;
		sess_release(w, f);
		w->stats.cnt[SG_DP_EV_CONSUMED]++;
		rte_pktmbuf_free(m);
		return 0;
	}
	sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
	return -1;
}

/* The VM's SYN-ACK (NAT): acknowledge it, replay the held bytes, splice. */
static void
on_vm_synack(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
	     struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f, struct br_sess *s,
	     struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_tcp_opts vo;

	if (vm_synack_check(w, port, m, p, f, s, out, &vo) != 1)
		return;
	splice_learn(t, f, s, tcp_hdr(m, p), &vo);
	f->mode = SG_CFG_MODE_NAT;
	/*
	 * Our ACK completes the VM's handshake (the SYN-ACK mbuf becomes it).
	 * It carries no timestamps; the replayed segments that follow do.
	 */
	answer(w, port, m, p, ANS_ACK, s->client_isn + 1, s->vm_isn + 1, 65535, NULL, 0, out);
	splice_start(w, t, f, s, port, out, now);
}

/*
 * The VM's SYN-ACK (DSR), bounced by its host: our ACK goes to the VM
 * through the tunnel (client -> VIP, VM numbers: the host translates only
 * the VM's direction), then the replay; the flow forwards as DSR.
 */
static void
on_dsr_synack(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
	      struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
	      struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_tcp_opts vo;
	struct sg_dp_pkt ap;

	if (vm_synack_check(w, port, m, p, f, s, out, &vo) != 1)
		return;
	splice_learn(t, f, s, tcp_hdr(m, p), &vo);
	f->mode = SG_CFG_MODE_DSR;
	/* the SYN-ACK mbuf becomes the ACK: client -> VM, then addressed to the VIP */
	if (sg_dp_tcpgen_ack(m, p, s->client_isn + 1, s->vm_isn + 1, 65535) != 0 ||
	    sg_dp_pkt_parse(m, &ap) != SG_DP_CNT_MAX) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
	} else {
		sg_dp_nat_rewrite(m, &ap, f->key.src, f->key.sport, f->key.dst, f->key.dport);
		dsr_tx(w, t, f, m, port, out, now);
	}
	splice_start(w, t, f, s, s->client_port, out, now);
}

/*
 * A bounced VM segment while the held bytes are replayed: note the VM's
 * acknowledgement; segments with data, FIN or RST go on to the client as a
 * NAT return would (from the VIP, translated), the others are used up.
 */
static void
on_dsr_bounced(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
	       struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
	       struct sg_dp_txq *out, uint64_t now)
{
	const struct rte_tcp_hdr *th = tcp_hdr(m, p);
	uint32_t hl = tcp_hlen(th);
	struct rte_ether_addr mac;
	enum sg_dp_cnt rc;
	uint16_t oport;

	sg_dp_broker_vm_ack(w, f, m, p);
	if (p->l4_len <= hl && !(p->tcp_flags & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG))) {
		w->stats.cnt[SG_DP_EV_CONSUMED]++;
		rte_pktmbuf_free(m);
		return;
	}
	rc = sg_dp_resolve_cached(w, t, &f->rt[1], f->key.family, f->key.src, now, &oport, &mac);
	if (rc != SG_DP_CNT_MAX) {
		sg_dp_pkt_drop(w, port, m, rc);
		return;
	}
	sg_dp_nat_rewrite(m, p, f->key.dst, f->key.dport, f->key.src, f->key.sport);
	sg_dp_broker_xlate(m, p, f, true);
	sg_dp_l2_rewrite(m, p, &t->ports[oport].mac, &mac);
	sg_dp_pkt_tx(w, port, out, oport, m);
}

/* Client packets while the SYN to the VM is out: hold data, drop the rest. */
void
sg_dp_broker_flow(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		  struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f, bool ret,
		  struct sg_dp_txq *out, uint64_t now)
{
	struct br_sess *s = sess_of(w, f);

	if (p->key.proto == IPPROTO_UDP) {
		if (ret || s == NULL || f->state == SG_DP_FS_ANSWERED)
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		else
			udp_hold(w, t, port, m, p, f, s, out);
		return;
	}
	if (p->key.proto != IPPROTO_TCP) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return;
	}
	if (f->state == SG_DP_FS_ANSWERED || (f->state == SG_DP_FS_CLOSING && s == NULL)) {
		if (ret) {
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
			return;
		}
		on_answered(w, port, m, p, f, out);
		return;
	}
	if (s == NULL) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return;
	}
	if (ret) {
		if (f->state == SG_DP_FS_CONNECTING) {
			on_vm_synack(w, t, port, m, p, f, s, out, now);
			return;
		}
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return;
	}
	if (p->tcp_flags & (RTE_TCP_RST_FLAG | RTE_TCP_FIN_FLAG)) {
		/* the client gave up before its VM was there */
		if (!(p->tcp_flags & RTE_TCP_RST_FLAG)) {
			answer(w, port, m, p, ANS_RST, 0, 0, 0, NULL, 0, out);
		} else {
			w->stats.cnt[SG_DP_EV_CONSUMED]++;
			rte_pktmbuf_free(m);
		}
		sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_CLOSED);
		return;
	}
	on_held_data(w, t, port, m, p, f, s, out, now);
}

/* ---- translation of a spliced flow ------------------------------------- */

/* Walk the TCP options for the timestamps option: offset of TSval or 0. */
static uint16_t
ts_offset(const uint8_t *opt, uint16_t len)
{
	uint16_t i = 0;

	while (i < len) {
		uint8_t kind = opt[i], ol;

		if (kind == 0)
			return 0;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return 0;
		ol = opt[i + 1];
		if (ol < 2 || i + ol > len)
			return 0;
		if (kind == 8 && ol == 10)
			return (uint16_t)(i + 2);
		i = (uint16_t)(i + ol);
	}
	return 0;
}

void
sg_dp_broker_xlate(struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_flow *f,
		   bool ret)
{
	uint16_t l4 = p->l2_len + p->l3_len;
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, l4);
	uint16_t hl = tcp_hlen(th), tso;

	if ((uint32_t)l4 + hl > rte_pktmbuf_data_len(m))
		return; /* header not in the first segment: never from these ports (no rewrite) */
	if (ret)
		(void)sg_dp_seq_rewrite(m, l4, f->seq_s2c, 0);
	else
		(void)sg_dp_seq_rewrite(m, l4, 0, f->seq_s2c);
	if (f->ts && hl > sizeof(*th)) {
		tso = ts_offset((const uint8_t *)(th + 1), (uint16_t)(hl - sizeof(*th)));
		if (tso != 0) {
			uint8_t *o = (uint8_t *)(th + 1) + tso;
			uint32_t v;

			if (ret) { /* TSval: VM clock -> the clock the client saw */
				memcpy(&v, o, 4);
				v = rte_cpu_to_be_32(rte_be_to_cpu_32(v) + f->ts_s2c);
				th->cksum = sg_dp_csum_patch(th->cksum, (uint8_t *)th,
							     sizeof(*th) + tso, &v, 4);
			} else { /* TSecr: back to the VM's clock */
				memcpy(&v, o + 4, 4);
				v = rte_cpu_to_be_32(rte_be_to_cpu_32(v) - f->ts_s2c);
				th->cksum = sg_dp_csum_patch(th->cksum, (uint8_t *)th,
							     sizeof(*th) + tso + 4, &v, 4);
			}
		}
	}
	if (ret && f->ws_shift != 0 && !(p->tcp_flags & RTE_TCP_SYN_FLAG)) {
		uint32_t win = rte_be_to_cpu_16(th->rx_win);
		uint16_t nw;

		win = f->ws_shift > 0 ? win << f->ws_shift : win >> -f->ws_shift;
		nw = rte_cpu_to_be_16((uint16_t)RTE_MIN(win, 65535u));
		th->cksum = sg_dp_csum_patch(th->cksum, (uint8_t *)th,
					     offsetof(struct rte_tcp_hdr, rx_win), &nw, 2);
	}
}

/* ---- messages from sg-control and timers -------------------------------- */

static struct br_sess *
sess_by_id(struct sg_dp_worker *w, uint64_t sid, struct sg_dp_flow **fp)
{
	struct sg_dp_broker *b = w->br;
	void *data;
	struct br_sess *s;

	if (rte_hash_lookup_data(b->by_sid, &sid, &data) < 0)
		return NULL;
	s = &b->s[(uintptr_t)data];
	if (s->state == BR_FREE || s->sid != sid || s->flow >= w->ft.cap)
		return NULL;
	*fp = &w->ft.e[s->flow];
	if ((*fp)->sid != sid)
		return NULL;
	return s;
}

void
sg_dp_broker_bounce(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		    struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_txq *out,
		    uint64_t now, bool handed)
{
	uint32_t off = (uint32_t)p->l2_len + p->l3_len + sizeof(struct rte_udp_hdr);
	struct sg_handoff_bounce bh;
	uint8_t l2[RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN], *d, ver;
	struct sg_dp_flow *f = NULL;
	struct br_sess *s;
	struct sg_dp_pkt ip;
	unsigned int owner;

	if (w->br == NULL || p->l2_len > sizeof(l2) ||
	    p->l4_len < sizeof(struct rte_udp_hdr) + sizeof(bh) + sizeof(struct rte_ipv4_hdr) ||
	    rte_pktmbuf_data_len(m) < off + sizeof(bh) + 1) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BOUNCE_BAD);
		return;
	}
	memcpy(&bh, rte_pktmbuf_mtod_offset(m, const void *, off), sizeof(bh));
	if (bh.magic != rte_cpu_to_be_32(SG_HANDOFF_BOUNCE_MAGIC) ||
	    bh.version != SG_HANDOFF_VERSION) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BOUNCE_BAD);
		return;
	}
	/* the session's worker is in its ID */
	owner = (unsigned int)(bh.sid >> BR_SID_WORKER_BIT) & BR_SID_WORKER_MASK;
	if (owner != w->conf.id) {
		if (handed || owner >= w->conf.n_workers || w->conf.handoff[owner] == NULL) {
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BOUNCE_BAD);
			return;
		}
		if (rte_ring_enqueue(w->conf.handoff[owner], m) != 0) {
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HANDOFF_FULL);
			return;
		}
		w->stats.cnt[SG_DP_EV_HANDOFF_OUT]++;
		return;
	}
	s = sess_by_id(w, bh.sid, &f);
	if (s == NULL || !s->dsr || (s->state != BR_CONNECTING && s->state != BR_SPLICED) ||
	    f->host.family != p->key.family ||
	    memcmp(f->host.a, p->key.src, sizeof(f->host.a)) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BOUNCE_BAD); /* late, forged or foreign */
		return;
	}
	/* the VM's packet with the outer Ethernet header in front of it */
	memcpy(l2, rte_pktmbuf_mtod(m, const void *), p->l2_len);
	ver = *rte_pktmbuf_mtod_offset(m, const uint8_t *, off + sizeof(bh)) >> 4;
	rte_pktmbuf_adj(m, (uint16_t)(off + sizeof(bh)));
	d = (uint8_t *)rte_pktmbuf_prepend(m, p->l2_len); /* cannot fail: less than removed */
	memcpy(d, l2, p->l2_len);
	d[p->l2_len - 2] = ver == 4 ? 0x08 : 0x86;
	d[p->l2_len - 1] = ver == 4 ? 0x00 : 0xdd;
	if (sg_dp_pkt_parse(m, &ip) != SG_DP_CNT_MAX || ip.key.proto != IPPROTO_TCP ||
	    ip.key.family != f->key.family || ip.key.sport != f->mport ||
	    ip.key.dport != f->key.sport || memcmp(ip.key.src, f->member.a, 16) != 0 ||
	    memcmp(ip.key.dst, f->key.src, 16) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BOUNCE_BAD);
		return;
	}
	w->stats.cnt[SG_DP_EV_BOUNCE]++;
	if (s->state == BR_CONNECTING)
		on_dsr_synack(w, t, port, m, &ip, f, s, out, now);
	else
		on_dsr_bounced(w, t, port, m, &ip, f, out, now);
}

/* "HTTP/1.1 307" to http://VM:port/path (the path the client asked for when known). */
static int
redirect_body(char *body, size_t cap, const struct sg_msg_session_install *in,
	      const struct br_sess *s)
{
	char loc[SG_MSG_KEY_MAX + 80], host[INET6_ADDRSTRLEN];
	int n;

	if (inet_ntop(in->family == 4 ? AF_INET : AF_INET6, in->backend_addr, host, sizeof(host)) ==
	    NULL)
		return -1;
	n = snprintf(loc, sizeof(loc), in->family == 4 ? "http://%s:%u%.*s" : "http://[%s]:%u%.*s",
		     host, in->backend_port ? in->backend_port : 80,
		     s->key_type == SG_MSG_L7_HTTP_PATH ? (int)s->key_len : 1,
		     s->key_type == SG_MSG_L7_HTTP_PATH ? (const char *)s->key : "/");
	if (n <= 0 || (size_t)n >= sizeof(loc))
		return -1;
	return (int)sg_dp_http_307(body, cap, loc, (size_t)n);
}

static void
on_msg(struct sg_dp_worker *w, const struct sg_dp_tables *t, const struct sg_msg *m,
       struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	struct sg_dp_flow *f = NULL;
	struct br_sess *s;
	uint32_t i;

	w->stats.cnt[SG_DP_EV_CTL_MSG]++;
	if (sg_msg_check(m, SG_MSG_SIZE) != 0) {
		w->stats.cnt[SG_DP_EV_CTL_MSG_BAD]++;
		return;
	}
	if (m->hdr.type == SG_MSG_SESSION_RESYNC) {
		for (i = 0; i < b->cap; i++) {
			if (b->s[i].state == BR_SENT) {
				b->s[i].state = BR_HELD; /* re-sent by the scan */
				b->s[i].next_try = 0;
			}
		}
		return;
	}
	s = sess_by_id(w, m->hdr.session_id, &f);
	if (s == NULL || (s->state != BR_SENT && s->state != BR_HELD)) {
		w->stats.cnt[SG_DP_EV_CTL_MSG_BAD]++; /* gone meanwhile, or a duplicate */
		return;
	}
	if (m->hdr.type == SG_MSG_SESSION_REJECT) {
		answer_reject(w, f, s, out,
			      m->reject.retry_after ? m->reject.retry_after : s->retry_after);
		w->stats.cnt[SG_DP_EV_SESS_REJECTED]++;
		sess_release(w, f);
		return;
	}
	if (m->hdr.type != SG_MSG_SESSION_INSTALL) {
		w->stats.cnt[SG_DP_EV_CTL_MSG_BAD]++;
		return;
	}
	if (m->install.mode == SG_MSG_INSTALL_REDIRECT && f->key.proto == IPPROTO_TCP) {
		struct sg_dp_hold_seg seg;
		struct sg_dp_pkt p;
		char body[BR_ANSWER_MAX];
		int len;

		if (sg_dp_hold_pop(&s->hold, &seg) != 0) {
			w->stats.cnt[SG_DP_EV_CTL_MSG_BAD]++;
			return;
		}
		w->stats.cnt[SG_DP_EV_RELEASED]++;
		len = redirect_body(body, sizeof(body), &m->install, s);
		if (len <= 0 || sg_dp_pkt_parse(seg.m, &p) != SG_DP_CNT_MAX) {
			sg_dp_pkt_drop(w, s->client_port, seg.m, SG_DP_DROP_BROKERED);
			return;
		}
		answer(w, s->client_port, seg.m, &p, ANS_DATA_FIN, s->our_isn + 1, s->hold.next_seq,
		       0, body, (uint16_t)len, out);
		f->state = SG_DP_FS_ANSWERED;
		f->seq_s2c = s->our_isn + 1 + (uint32_t)len + 1;
		w->stats.cnt[SG_DP_EV_SESS_REDIRECTED]++;
		sess_release(w, f);
		return;
	}
	if (m->install.mode == SG_MSG_INSTALL_NAT || m->install.mode == SG_MSG_INSTALL_DSR) {
		int rc = m->install.mode == SG_MSG_INSTALL_NAT
				 ? install_nat(w, t, f, s, &m->install, out, now)
				 : install_dsr(w, t, f, s, &m->install, out, now);

		if (rc != 0) {
			/* no NAT port or address; no DSR for UDP, or no host address */
			w->stats.cnt[SG_DP_EV_INSTALL_FAILED]++;
			answer_reject(w, f, s, out, s->retry_after);
			w->stats.cnt[SG_DP_EV_SESS_REJECTED]++;
			sess_release(w, f);
		}
		return;
	}
	/* redirect of a UDP session: nothing to answer it with */
	w->stats.cnt[SG_DP_EV_INSTALL_FAILED]++;
	answer_reject(w, f, s, out, s->retry_after);
	w->stats.cnt[SG_DP_EV_SESS_REJECTED]++;
	sess_release(w, f);
}

static void
scan(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	unsigned int k;

	for (k = 0; k < BR_SCAN_PER_POLL && k < b->cap; k++) {
		struct br_sess *s = &b->s[b->scan];
		struct sg_dp_flow *f;

		b->scan = b->scan + 1 == b->cap ? 0 : b->scan + 1;
		if (s->state == BR_FREE || s->flow >= w->ft.cap)
			continue;
		f = &w->ft.e[s->flow];
		if (f->sid != s->sid)
			continue;
		if (s->state == BR_SPLICED) {
			if (now < s->next_try)
				continue;
			if (s->tries >= BR_REPLAY_TRIES) {
				/* the VM never took the replayed bytes: give the session up */
				w->stats.cnt[SG_DP_EV_SESS_TIMEOUT]++;
				sess_release(w, f);
				continue;
			}
			s->tries++;
			s->next_try = now + ms_tsc(w, BR_REPLAY_RTO_MS);
			replay(w, t, f, s, s->client_port, out, now);
			continue;
		}
		if (now > s->deadline) {
			answer_reject(w, f, s, out, s->retry_after);
			w->stats.cnt[SG_DP_EV_SESS_TIMEOUT]++;
			sess_release(w, f);
			if (f->state != SG_DP_FS_ANSWERED)
				sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_EXPIRED);
			continue;
		}
		if (now < s->next_try)
			continue;
		if (s->state == BR_HELD && s->key_done) {
			if (send_new(w, f, s) != 0)
				s->next_try = now + ms_tsc(w, BR_RESEND_MS);
		} else if (s->state == BR_CONNECTING && f->key.proto == IPPROTO_UDP) {
			udp_flush(w, t, f, s, out, now);
		} else if (s->state == BR_CONNECTING) {
			if (s->tries >= BR_SYN_TRIES) {
				s->deadline = now; /* times out on the next pass */
				continue;
			}
			s->tries++;
			s->next_try = now + ms_tsc(w, BR_SYN_RTO_MS);
			(void)syn_send(w, t, f, s, out, now);
		}
	}
}

void
sg_dp_broker_poll(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_txq *out,
		  uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	unsigned int n, i, taken = 0;

	if (b == NULL)
		return;
	while (w->conf.from_ctl != NULL && taken < BR_MSGS_PER_POLL &&
	       (n = rte_ring_dequeue_burst_elem(w->conf.from_ctl, b->rx, SG_MSG_SIZE,
						RTE_DIM(b->rx), NULL)) > 0) {
		for (i = 0; i < n; i++)
			on_msg(w, t, &b->rx[i], out, now);
		taken += n;
	}
	if (now - b->last_scan >= ms_tsc(w, 1)) {
		b->last_scan = now;
		scan(w, t, out, now);
		if (b->closed_n > 0)
			closed_flush(w);
	}
}

/* ---- life cycle --------------------------------------------------------- */

int
sg_dp_broker_create(struct sg_dp_worker *w)
{
	const struct sg_dp_worker_conf *c = &w->conf;
	struct rte_hash_parameters hp = {0};
	struct sg_dp_broker *b;
	char name[RTE_HASH_NAMESIZE];
	uint32_t i;

	if (c->max_held == 0 || c->pool == NULL || c->cookies == NULL)
		return 0; /* no brokered sessions on this worker */
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
	hp.entries = RTE_MAX(b->cap, 8u);
	hp.key_len = sizeof(uint64_t);
	hp.hash_func = rte_jhash;
	hp.socket_id = c->socket;
	b->by_sid = rte_hash_create(&hp);
	if (b->s == NULL || b->free_idx == NULL || b->by_sid == NULL) {
		sg_dp_broker_free(w);
		return -ENOMEM;
	}
	for (i = 0; i < b->cap; i++)
		b->free_idx[i] = b->cap - 1 - i;
	b->n_free = b->cap;
	b->budget.limit = c->hold_budget;
	/*
	 * Session ID serial: 16 bits of this start's epoch, the worker (6 bits)
	 * and a 34-bit counter: unique per start without any coordination.
	 */
	b->sid_base = sg_id_make(SG_ID_T_STREAMING, ((c->dp_epoch & 0xffff) << 40) |
							    ((uint64_t)(c->id & BR_SID_WORKER_MASK)
							     << BR_SID_WORKER_BIT));
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
	rte_free(b->free_idx);
	rte_free(b->s);
	rte_free(b);
	w->br = NULL;
}
