/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The session layer's state on one worker (struct sg_dp_broker, one struct
 * br_sess per session slot), its limits and the small helpers every file of
 * dataplane/session/ uses. Internal to the folder; the worker dispatch sees
 * only session/session.h.
 */
#ifndef SG_DP_SESSION_BROKER_H
#define SG_DP_SESSION_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "sg_dp.h"
#include "core/flow.h"
#include "core/parse.h"
#include "core/state.h"
#include "core/tables.h"
#include "session/acct.h"
#include "session/audit.h"
#include "session/hold.h"
#include "session/prefix.h"
#include "session/siphash.h"
#include "session/tcpopt.h"
#include "session/vmsyn.h"
#include "sessiongate/sg_msg.h"

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
#define BR_ANSWER_MAX	   512	/**< bytes of a 307 / 503 / 403 / 302 / 429 answer */
#define BR_HOLD_SEGS	   SG_DP_HOLD_SEGS_MAX
#define BR_CLOSED_Q	   4096 /**< SESSION_CLOSED waiting for ring space or sg-control */
#define BR_SID_CNT_BITS	   34
#define BR_SID_WORKER_BIT  34
#define BR_SID_WORKER_MASK 0x3f
#define BR_SID_FLOW	   (UINT64_C(1) << 62) /**< by_sid data: a flow index (tagged) */
#define BR_DRAIN_MAX	   4096 /**< sessions draining towards a deadline (abort.c) */
#define BR_ABORT_LINGER_MS 1000 /**< an aborted flow answers segments with RST this long */

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
	uint32_t client_tsval; /**< the client's TSval of its cookie ACK, never a later one:
				    the SYN to the VM carries it, and the held segments
				    replayed after it keep their own, older TSvals (a VM's
				    PAWS check, RFC 7323 5, drops those older than the SYN) */
	uint32_t vm_isn;
	uint16_t vs_slot;
	uint8_t state;
	uint8_t tries;
	uint8_t key_type; /**< enum sg_msg_l7 */
	bool http;	  /**< answer rejects with HTTP 503 */
	bool key_done;	  /**< the key is decided: SESSION_NEW may be (re-)sent */
	bool dsr;	  /**< DSR hand-off (else NAT) once installed */
	bool new_sent;	  /**< a SESSION_NEW went out (counted once in VS_STATS' held) */
	uint16_t key_len;
	uint16_t retry_after;
	uint16_t client_port;	    /**< port the client's packets come in on */
	struct sg_dp_tcp_opts opts; /**< the client's, from the cookie */
	struct sg_dp_hold hold;
	struct sg_dp_pfx_ref pfx; /**< the client's source prefix (prefix.h) */
	uint8_t key[SG_MSG_KEY_MAX];
};

/** One session draining towards its deadline. */
struct br_drain {
	uint64_t sid;
	uint64_t deadline; /**< TSC */
	uint32_t flow;	   /**< flow entry index */
};

/** The sessions of a worker draining towards a deadline (in struct sg_dp_broker). */
struct br_drain_tab {
	struct br_drain e[BR_DRAIN_MAX];
	uint32_t n;
};

/** SESSION_CLOSED waiting for ring space or sg-control. */
struct br_closed {
	uint64_t sid;
	struct sg_msg_session_closed body;
};

/** One brokered VS's VS_STATS on this worker (vsstats.c). */
struct br_vs_cnt {
	uint64_t held, installed, rejected;	  /**< cumulative */
	uint64_t s_held, s_installed, s_rejected; /**< as last sent */
	uint32_t s_now;				  /**< held_now as last sent */
	bool force;				  /**< send even if unchanged (after a reload) */
};

/** syn_proxy: auto state of one VS on this worker (synproxy.c). */
struct br_synproxy {
	uint64_t win_end; /**< end of the current SYN-rate window (TSC) */
	uint64_t busy;	  /**< last time a window was above the off thresholds (TSC) */
	uint32_t syns;	  /**< SYNs in the current window */
	bool on;
};

struct sg_dp_broker {
	struct br_sess *s;
	uint32_t *free_idx;
	uint32_t n_free;
	uint32_t cap;
	uint32_t scan;		 /**< timeout scan cursor */
	struct rte_hash *by_sid; /**< session ID -> flow entry (its f->sess: the slot) */
	struct sg_dp_hold_budget budget;
	uint64_t sid_base; /**< type | epoch | worker */
	uint64_t sid_next;
	uint64_t last_scan;
	/* SESSION_CLOSED not delivered yet (ring full, sg-control away): re-sent */
	struct br_closed closed_q[BR_CLOSED_Q];
	uint32_t closed_head, closed_n;
	/* receive burst, zeroed once by rte_zmalloc: no element is read before written */
	struct sg_msg rx[4];
	uint32_t held_by_vs[SG_DP_VS_SLOTS];
	struct sg_dp_audit audit; /**< sg-control's session audit in progress (audit.c) */
	struct sg_dp_pfx_tab pfx; /**< per-source-prefix limits */
	uint8_t token_key[16];	  /**< DSR hand-off bounce tokens (random per worker) */
	struct br_synproxy sp[SG_DP_VS_SLOTS];
	struct br_drain_tab drain; /**< SESSION_ABORT drains with a deadline (abort.c) */
	/* usage and QoS of installed sessions (acct.c): per flow entry */
	struct br_acct *acct;
	uint32_t *usage_idx; /**< flow entries whose session sends SESSION_USAGE */
	uint32_t n_usage, usage_cursor;
	/* VS_STATS (vsstats.c) */
	struct br_vs_cnt vsc[SG_DP_VS_SLOTS];
	uint64_t vs_next; /**< next VS_STATS round (TSC) */
	uint64_t vs_gen;  /**< generation of the tables of the last round */
	/* the route of the last hand-off (handoff.c: sg_dp_broker_vm_resolve()) */
	struct sg_dp_member_route vm_rt;
	struct sg_dp_vmsyn vmsyn; /**< the NAT hand-off's SYN template (vmsyn.c) */
};

static inline uint64_t
ms_tsc(const struct sg_dp_worker *w, uint64_t ms)
{
	return w->tsc_hz / 1000 * ms;
}

static inline uint32_t
now_s(const struct sg_dp_worker *w, uint64_t now)
{
	if (unlikely(w->conf.cookie_clock_s != 0)) /* test mode (testmode.h) */
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

/*
 * Is the TCP checksum of @p m right? Checked before a segment is
 * acknowledged, held or keyed on (issue 12, defect 10): the port's verdict
 * when it gives one, else computed (only on the session path, never for an
 * established flow) and the verdict kept in @p m's flags, so the cookie ACK
 * that opens a session is summed once, not again when its data is held.
 */
static inline bool
tcp_csum_ok(struct rte_mbuf *m, const struct sg_dp_pkt *p)
{
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	const void *ip = rte_pktmbuf_mtod_offset(m, const void *, p->l2_len);
	bool ok;

	if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD || f == RTE_MBUF_F_RX_L4_CKSUM_NONE)
		return true;
	if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	if (p->key.family == AF_INET)
		ok = rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, p->l2_len + p->l3_len) == 0;
	else
		ok = rte_ipv6_udptcp_cksum_mbuf_verify(m, ip, p->l2_len + p->l3_len) == 0;
	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_L4_CKSUM_MASK) |
		      (ok ? RTE_MBUF_F_RX_L4_CKSUM_GOOD : RTE_MBUF_F_RX_L4_CKSUM_BAD);
	return ok;
}

/* The DSR hand-off token of session @p sid: what a bounce must echo (sg_handoff.h). */
static inline uint64_t
bounce_token(const struct sg_dp_broker *b, uint64_t sid)
{
	return sg_dp_siphash24(b->token_key, &sid, sizeof(sid));
}

static inline bool
ctl_up(const struct sg_dp_worker *w)
{
	return w->conf.to_ctl != NULL && w->conf.ctl_up != NULL &&
	       __atomic_load_n(w->conf.ctl_up, __ATOMIC_ACQUIRE);
}

static inline struct br_sess *
sess_of(struct sg_dp_worker *w, const struct sg_dp_flow *f)
{
	if (w->br == NULL || f->sess == 0 || f->sess > w->br->cap)
		return NULL;
	return &w->br->s[f->sess - 1];
}

/* TCP install: the session waits for the VM's SYN-ACK; the SYN is re-sent by the scan. */
static inline void
sg_dp_broker_connect_start(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s,
			   uint64_t now)
{
	s->state = BR_CONNECTING;
	s->tries = 1;
	s->next_try = now + ms_tsc(w, BR_SYN_RTO_MS);
	f->state = SG_DP_FS_CONNECTING;
}

#endif /* SG_DP_SESSION_BROKER_H */
