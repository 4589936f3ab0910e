/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker: one packet's journey, top to bottom.
 *
 *   parse -> flow table hit? -> forward as the flow says (DSR / NAT)
 *         -> ARP / ND / ICMP echo for our addresses -> answered in place
 *         -> ICMP error quoting a flow -> relayed along it (NAT, DSR)
 *         -> new flow to a VIP: schedule a member, install a flow, forward
 *         -> NAT return on another worker's port: hand off to that worker
 *
 * Every packet leaves through exactly one door: appended to an output
 * queue, enqueued on a hand-off ring, consumed (counted "consumed"), or
 * freed with exactly one drop counter.
 *
 * Why this file has a folder of its own (dataplane/worker/): it is the one
 * place that composes the core (dataplane/core/: parse, flows, tables,
 * scheduling, NAT, encap, neighbours) with brokered sessions
 * (dataplane/session/, through session/session.h). The core never calls
 * sessions and sessions never call the dispatch, so the calls run one way:
 * worker -> session -> core, worker -> core. The only way back, a flow with
 * a session ID being removed by the core, is the worker's flow_gone hook,
 * registered here at creation. Being a library folder (not the program),
 * the unit tests drive it exactly as sg-dataplane does.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

#include "sessiongate/sg_wire.h"
#include "core/arp.h"
#include "core/encap.h"
#include "core/exc.h"
#include "core/flow.h"
#include "core/icmp.h"
#include "core/icmprelay.h"
#include "core/nat.h"
#include "core/neigh.h"
#include "core/parse.h"
#include "core/passive.h"
#include "core/sched.h"
#include "core/state.h"
#include "core/sync.h"
#include "core/tables.h"
#include "core/tx.h"
#include "session/session.h"
#include "worker/burst.h"
#include "worker/forward.h"
#include "worker/memberhealth.h"
#include "worker/reuse.h"

#define PREFETCH_AHEAD 3

/* An ARP reply / NA from an on-link sender, well formed, learned from or not wanted. */
static bool
neigh_answer_ok(enum sg_dp_cnt rc)
{
	return rc == SG_DP_EV_CONSUMED || rc == SG_DP_DROP_NEIGH_UNSOLICITED;
}

/* The sequence number of TCP segment @p m (headers checked by the parser). */
static uint32_t
tcp_seq(const struct rte_mbuf *m, const struct sg_dp_pkt *p)
{
	return rte_be_to_cpu_32(
		rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, p->l2_len + p->l3_len)
			->sent_seq);
}

static bool
tcp_syn_only(const struct sg_dp_pkt *p)
{
	return (p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG;
}

/*
 * A new flow to member slot f->member_slot starts with the route the last
 * one to the same destination @p dst found (same tables generation; the
 * neighbour entry is validated when used), so route and neighbour are not
 * resolved again per new flow.
 */
static inline void
route_from_member(const struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
		  const struct sg_dp_ip *dst)
{
	const struct sg_dp_member_route *mr = &w->member_rt[f->member_slot];

	if (mr->rc.ne != NULL && mr->rc.tables_gen == t->generation &&
	    mr->dst.family == dst->family && memcmp(mr->dst.a, dst->a, sizeof(dst->a)) == 0)
		f->rt_to = mr->rc;
}

/* After forwarding @p f's first packet: keep the route it used for the next new flow. */
static inline void
route_to_member(struct sg_dp_worker *w, const struct sg_dp_flow *f, const struct sg_dp_ip *dst)
{
	struct sg_dp_member_route *mr = &w->member_rt[f->member_slot];

	if (f->rt_to.ne != NULL) {
		mr->rc = f->rt_to;
		mr->dst = *dst;
	}
}

/* A first packet to a DSR / NAT virtual service: schedule, install, forward. */
static void
flow_new(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t rx_port, struct rte_mbuf *m,
	 const struct sg_dp_pkt *p, const struct sg_dp_vs *vs, struct sg_dp_txq *out, uint64_t now)
{
	const struct sg_dp_member *mb;
	const struct sg_dp_ip *nat = NULL;
	struct sg_dp_flow_key rk; /* NAT: the return key */
	struct sg_dp_flow *f;
	enum sg_dp_cnt rc;
	uint32_t hash, rsig = 0;
	uint16_t idx, nat_port = 0;
	bool tcp = p->key.proto == IPPROTO_TCP;

	if (vs->mode != SG_CFG_MODE_DSR && vs->mode != SG_CFG_MODE_NAT) {
		sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_VS_MODE);
		return;
	}
	/* SYN proxy (nat, dsr handoff): SYN answered with a cookie, the ACK's opens the flow */
	if (tcp && vs->syn_proxy != SG_CFG_SYN_PROXY_OFF &&
	    sg_dp_synproxy_new(w, t, rx_port, m, p, vs, out, now))
		return;
	/*
	 * A TCP segment other than a SYN for an unknown flow: Maglev (DSR) maps it
	 * to the same member as its SYN did (the flow was lost or lives on another
	 * appliance); other schedulers and NAT cannot know the member.
	 */
	if (tcp && !tcp_syn_only(p) &&
	    (vs->mode == SG_CFG_MODE_NAT || vs->sched != SG_CFG_SCHED_MAGLEV)) {
		sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_NO_FLOW);
		return;
	}
	if (vs->mode == SG_CFG_MODE_NAT && p->ttl <= 1) {
		sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_IP_TTL);
		return;
	}
	if (vs->max_flows != 0 && w->vs_active[vs->slot] >= vs->max_flows) {
		sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_VS_LIMIT);
		return;
	}
	hash = w->ft.ins_key == &p->key ? w->ft.ins_fhash : sg_dp_flow_hash(&p->key);
	idx = sg_dp_sched_pick(w, vs, hash);
	if (idx == SG_DP_NO_MEMBER || idx >= vs->pool->n_members) {
		if (vs->n_cfg_active > 0) /* members configured, none live: no_live_member */
			sg_dp_worker_no_live(w, t, rx_port, m, p, vs, out, now);
		else
			sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_NO_MEMBER);
		return;
	}
	mb = &vs->pool->members[idx];
	if (vs->mode == SG_CFG_MODE_NAT) {
		const struct sg_dp_ip *na = p->key.family == AF_INET ? t->nat4 : t->nat6;
		unsigned int nn = p->key.family == AF_INET ? t->n_nat4 : t->n_nat6;

		nat = &na[hash % nn]; /* build checked nn > 0 for NAT VSs */
		/* may reclaim the port of an embryonic flow */
		nat_port = sg_dp_flow_nat_port(w, t, nat, &mb->addr,
					       rte_cpu_to_be_16(mb->port ? mb->port : vs->port));
		if (nat_port == 0) {
			sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_NAT_PORTS);
			return;
		}
		/*
		 * The return key's index bucket, a cache miss of its own, is fetched
		 * while the insert (and its eviction) runs
		 */
		sg_dp_flow_rkey_fill(&rk, &mb->addr,
				     rte_cpu_to_be_16(mb->port ? mb->port : vs->port), nat,
				     rte_cpu_to_be_16(nat_port), p->key.proto, p->key.family);
		rsig = sg_dp_flow_sig(&rk);
		sg_dp_fh_prefetch(&w->ft.fh, rsig);
	}
	f = sg_dp_flow_insert(w, &p->key, now, &rc);
	if (f == NULL) {
		if (nat_port)
			sg_dp_nat_port_put(w, nat, nat_port);
		sg_dp_pkt_drop(w, rx_port, m, rc);
		return;
	}
	f->hash = hash;
	f->mode = (uint8_t)vs->mode;
	f->encap = (uint8_t)vs->encap;
	f->gue_port = rte_cpu_to_be_16(vs->gue_port);
	f->vs_slot = vs->slot;
	f->member_slot = mb->slot;
	f->member = mb->addr;
	f->host = mb->host;
	f->mport = rte_cpu_to_be_16(mb->port ? mb->port : vs->port);
	if (tcp) {
		f->tmo_est = vs->tmo_tcp_est;
		f->tmo_trans = vs->tmo_tcp_trans;
		/* (flow_forward() keeps every plain NAT flow's syn_isn, watched or not) */
		if (nat != NULL && tcp_syn_only(p))
			sg_dp_passive_watch(f, mb, tcp_seq(m, p));
		/* embryonic (transitory timeout) until the client's ACK */
		sg_dp_flow_set_state(&w->ft, f, tcp_syn_only(p) ? SG_DP_FS_SYN : SG_DP_FS_EST);
	} else {
		f->tmo_est = f->tmo_trans = vs->tmo_udp;
	}
	if (nat != NULL) {
		f->nat = *nat;
		f->nat_port = rte_cpu_to_be_16(nat_port);
		f->rkey = rk;
		if (sg_dp_flow_add_rkey_sig(&w->ft, f, rsig) < 0) {
			sg_dp_flow_discard(&w->ft, f);
			sg_dp_nat_port_put(w, nat, nat_port);
			sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_FLOW_FULL);
			return;
		}
		f->flags |= SG_DP_FLOW_NAT;
	}
	w->vs_active[f->vs_slot]++;
	w->member_active[f->member_slot]++;
	w->stats.vs[f->vs_slot].active_flows++;
	w->stats.member[f->member_slot].active_flows++;
	w->stats.vs[f->vs_slot].flows++;
	w->stats.member[f->member_slot].flows++;
	w->stats.cnt[SG_DP_EV_FLOW_NEW]++;
	sg_dp_sync_flow_new(w, vs, f,
			    now); /* state sync: published now (UDP) or when established */
	route_from_member(w, t, f, nat != NULL ? &f->member : &f->host);
	flow_forward(w, t, rx_port, m, p, f, false, out, now);
	route_to_member(w, f, nat != NULL ? &f->member : &f->host);
	if (!tcp) /* after its first datagram's touch: a second one (or a reply) confirms it */
		sg_dp_flow_udp_unconf(&w->ft, f);
}

/* Whether w->last_dst holds @p p's destination address under tables @p t. */
static inline bool
last_dst_is(const struct sg_dp_worker *w, const struct sg_dp_tables *t, const struct sg_dp_pkt *p)
{
	return w->last_dst.ai != NULL && w->last_dst.gen == t->generation &&
	       w->last_dst.family == p->key.family &&
	       memcmp(w->last_dst.a, p->key.dst, sizeof(w->last_dst.a)) == 0;
}

/* sg_dp_tables_addr() of @p p's destination, through w->last_dst. */
static inline const struct sg_dp_addr_info *
dst_addr(struct sg_dp_worker *w, const struct sg_dp_tables *t, const struct sg_dp_pkt *p)
{
	const struct sg_dp_addr_info *ai;

	if (last_dst_is(w, t, p))
		return w->last_dst.ai;
	ai = sg_dp_tables_addr(t, p->key.family, p->key.dst);
	if (ai != NULL) {
		w->last_dst.gen = t->generation;
		w->last_dst.ai = ai;
		w->last_dst.vs = NULL;
		w->last_dst.family = p->key.family;
		memcpy(w->last_dst.a, p->key.dst, sizeof(w->last_dst.a));
	}
	return ai;
}

/*
 * sg_dp_tables_vs() of @p p's destination, through w->last_dst: only after
 * dst_addr() returned an address, which left w->last_dst holding @p p's
 * destination under @p t (so it is not compared again).
 */
static inline const struct sg_dp_vs *
dst_vs(struct sg_dp_worker *w, const struct sg_dp_tables *t, const struct sg_dp_pkt *p)
{
	const struct sg_dp_vs *vs;

	if (w->last_dst.vs != NULL && w->last_dst.port == p->key.dport &&
	    w->last_dst.proto == p->key.proto)
		return w->last_dst.vs;
	vs = sg_dp_tables_vs(t, p->key.family, p->key.dst, p->key.dport, p->key.proto);
	if (vs != NULL) {
		w->last_dst.vs = vs;
		w->last_dst.port = p->key.dport;
		w->last_dst.proto = p->key.proto;
	}
	return vs;
}

/*
 * A NAT return that missed this worker's table: the destination port names
 * the worker that holds its flow (sg_dp_nat_port_owner), own NAT addresses
 * and peers' alike (a synced copy sits on the worker of the sender's index).
 * A packet already handed once, or to this worker's own port: no flow.
 */
static void
nat_return_steer(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m,
		 const struct sg_dp_pkt *p, bool handed)
{
	unsigned int owner =
		sg_dp_nat_port_owner(rte_be_to_cpu_16(p->key.dport), w->conf.n_workers);

	if (owner == w->conf.id || handed) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_NO_FLOW);
		return;
	}
	if (w->conf.handoff[owner] == NULL || rte_ring_enqueue(w->conf.handoff[owner], m) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HANDOFF_FULL);
		return;
	}
	w->stats.cnt[SG_DP_EV_HANDOFF_OUT]++;
}

/*
 * One parsed packet (@p prc: the parser's verdict). @p hit: its flow when
 * the burst's bulk lookup found one that is still valid (p->hit_ret: by its
 * return key), else NULL: looked up again here unless @p missed (the bulk
 * lookup found none and no key was added since: an earlier packet of the
 * burst may have created it).
 * Inlined into the burst loop (and the hand-off's process_one()): its
 * eleven arguments stay in registers, 35 instructions a packet less on the
 * established path (doc/benchmarking.md, "Profiles").
 */
static __rte_always_inline void
process_parsed(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
	       struct rte_mbuf *m, const struct sg_dp_pkt *p, enum sg_dp_cnt prc,
	       struct sg_dp_flow *hit, bool missed, struct sg_dp_txq *out, uint64_t now,
	       bool handed)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct sg_dp_addr_info *ai, *sai;
	const struct sg_dp_vs *vs;
	struct sg_dp_flow *f;
	enum sg_dp_cnt rc;

	rc = prc;
	if (rc != SG_DP_CNT_MAX) {
		sg_dp_pkt_drop(w, port, m, rc);
		return;
	}
	if (rte_is_unicast_ether_addr(&eh->dst_addr) && t->ports[port].present &&
	    !rte_is_same_ether_addr(&eh->dst_addr, &t->ports[port].mac)) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_NOT_LOCAL); /* another station's frame */
		return;
	}
	if (p->ethertype == RTE_ETHER_TYPE_ARP) {
		rc = sg_dp_arp_input(w, t, m, p, port, now);
		if (neigh_answer_ok(rc) && sg_dp_exc_arp_wanted(w, t, m, p, port))
			rc = sg_dp_exc_pass(w, m, p, now); /* also the kernel's own ARP */
		goto local_done;
	}

	/* installed flows first: they outlive the tables that created them */
	if (p->key.proto == IPPROTO_TCP || p->key.proto == IPPROTO_UDP) {
		f = hit != NULL || missed ? hit : sg_dp_flow_lookup(&w->ft, &p->key);
		if (f != NULL && unlikely(f->flags & SG_DP_FLOW_RESET)) {
			enum sg_dp_reset_verdict v =
				sg_dp_worker_reset_segment(w, t, port, m, p, f, out, now);

			if (v == SG_DP_RESET_DONE)
				return;
			if (v == SG_DP_RESET_GONE)
				f = NULL;
		}
		/* a new connection on the tuple: not to a member that is not up (reuse.h) */
		if (f != NULL && unlikely(sg_dp_worker_reuse_maybe(t, f, p)) &&
		    sg_dp_worker_flow_reuse(w, t, f, p))
			f = NULL;
		if (f != NULL) {
			/* a NAT return: the bulk lookup says which key it met */
			bool ret = (f->flags & SG_DP_FLOW_NAT) &&
				   (f == hit ? p->hit_ret
					     : memcmp(&f->rkey, &p->key, sizeof(p->key)) == 0);

			if (unlikely(f->sync & SG_DP_SYNC_COPY)) { /* a peer's flow moved here */
				sg_dp_sync_takeover(w, f, now);
				sg_dp_broker_sync_adopt(w, f);
			}

			if (unlikely(f->sid != 0 && f->mode != SG_CFG_MODE_NAT &&
				     f->mode != SG_CFG_MODE_DSR))
				sg_dp_broker_flow(w, t, port, m, p, f, ret, out, now);
			else
				flow_forward(w, t, port, m, p, f, ret, out, now);
			return;
		}
	}

	ai = dst_addr(w, t, p);
	if (unlikely(ai != NULL && ai->kinds == SG_DP_ADDR_PEER_NAT)) {
		/* a peer's NAT address: only returns of its synced flows, never local */
		if (p->key.proto == IPPROTO_TCP || p->key.proto == IPPROTO_UDP)
			nat_return_steer(w, port, m, p, handed);
		else
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_NOT_LOCAL);
		return;
	}
	if (p->key.proto == IPPROTO_ICMPV6 && p->key.family == AF_INET6) { /* parse checked */
		const uint8_t type =
			*rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l2_len + p->l3_len);

		if ((type == 135 || type == 136) &&
		    (ai != NULL || p->key.dst[0] == 0xff || sg_dp_exc_nd_link_local(w, p))) {
			rc = sg_dp_nd_input(w, t, m, p, port, now);
			if (sg_dp_exc_nd_wanted(w, m, p, ai, port, rc))
				rc = sg_dp_exc_pass(w, m, p, now); /* also the kernel's own ND */
			goto local_done;
		}
	}
	if (ai == NULL) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_NOT_LOCAL);
		return;
	}
	sai = sg_dp_tables_addr(t, p->key.family, p->key.src);
	if (sai != NULL && sai->kinds != SG_DP_ADDR_PEER_NAT) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_IP_SRC); /* spoofed: one of our addresses */
		return;
	}
	/* TCP, the common case, tested first */
	switch (likely(p->key.proto == IPPROTO_TCP) ? IPPROTO_TCP : p->key.proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((p->key.proto == IPPROTO_ICMP) != (p->key.family == AF_INET)) {
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_L4_PROTO);
			return;
		}
		if ((ai->kinds & (SG_DP_ADDR_VIP | SG_DP_ADDR_NAT)) && sg_dp_icmp_is_error(m, p)) {
			uint16_t oport;

			rc = sg_dp_icmp_relay(w, t, m, p, now, &oport);
			if (rc != SG_DP_CNT_MAX) {
				sg_dp_pkt_drop(w, port, m, rc);
				return;
			}
			w->stats.cnt[SG_DP_EV_ICMP_RELAYED]++;
			sg_dp_pkt_tx(w, port, out, oport, m);
			return;
		}
		rc = sg_dp_icmp_input(w, t, m, p, port, ai);
		if (rc == SG_DP_DROP_ICMP_BAD && sg_dp_exc_icmp_wanted(w, m, p, ai))
			rc = sg_dp_exc_pass(w, m, p, now); /* echo replies, errors: the kernel's */
		goto local_done;
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		break;
	default:
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_L4_PROTO);
		return;
	}

	if (ai->kinds & SG_DP_ADDR_VIP) {
		vs = dst_vs(w, t, p);
		if (vs == NULL) {
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_NO_VS);
			return;
		}
		/* brokered / redirect: no flow yet; not through flow_new()'s frame (29 of
		 * a flooding SYN's 976 instructions, dp_flowperf syn32) */
		if (vs->mode == SG_CFG_MODE_BROKERED || vs->mode == SG_CFG_MODE_REDIRECT)
			sg_dp_broker_new(w, t, port, m, p, vs, out, now);
		else
			flow_new(w, t, port, m, p, vs, out, now);
		return;
	}
	if (ai->kinds & SG_DP_ADDR_NAT) {
		nat_return_steer(w, port, m, p, handed);
		return;
	}
	if ((ai->kinds & SG_DP_ADDR_OWN) && p->key.proto == IPPROTO_UDP &&
	    p->key.dport == RTE_BE16(SG_WIRE_HANDOFF_PORT)) {
		sg_dp_broker_bounce(w, t, port, m, p, out, now, handed);
		return;
	}
	/* TCP/UDP to an own address: the kernel's (drop_l4_proto without an exception path) */
	rc = sg_dp_exc_pass(w, m, p, now);

local_done:
	if (rc == SG_DP_CNT_MAX) {
		sg_dp_pkt_tx(w, port, out, port, m);
	} else if (rc == SG_DP_EV_CONSUMED) {
		w->stats.cnt[SG_DP_EV_CONSUMED]++;
		rte_pktmbuf_free(m);
	} else if (rc == SG_DP_EV_EXC_TO_KERNEL) {
		w->stats.cnt[SG_DP_EV_EXC_TO_KERNEL]++; /* the ring owns it */
	} else {
		sg_dp_pkt_drop(w, port, m, rc);
	}
}

static void
process_one(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port, struct rte_mbuf *m,
	    struct sg_dp_txq *out, uint64_t now, bool handed)
{
	struct sg_dp_pkt p;
	enum sg_dp_cnt rc = sg_dp_pkt_parse(m, &p);

	process_parsed(w, t, port, m, &p, rc, NULL, false, out, now, handed);
	if (w->syn_pend != 0) /* a cookie SYN-ACK queued: built while p is there */
		sg_dp_broker_cookie_flush(w);
}

/*
 * The last local destination's VS when a burst's miss to it is most likely
 * a new flow that flow_new() schedules by Maglev (DSR or NAT, no SYN
 * proxy), else NULL.
 */
static inline const struct sg_dp_vs *
miss_vs(const struct sg_dp_worker *w, const struct sg_dp_tables *t)
{
	const struct sg_dp_vs *vs = w->last_dst.vs;

	/* of tables @p t only: an older generation's VS may be freed */
	if (vs == NULL || w->last_dst.ai == NULL || w->last_dst.gen != t->generation ||
	    vs->sched != SG_CFG_SCHED_MAGLEV || vs->maglev_size == 0 ||
	    (vs->mode != SG_CFG_MODE_DSR && vs->mode != SG_CFG_MODE_NAT) ||
	    (w->last_dst.proto == IPPROTO_TCP && vs->syn_proxy != SG_CFG_SYN_PROXY_OFF))
		return NULL;
	return vs;
}

/*
 * Missed packet @p m of a burst to miss_vs() @p vs: its flow hash now, the
 * Maglev slot it will read and the headroom line an encapsulation writes
 * prefetched. Returns whether @p fh was set.
 */
static inline bool
miss_prefetch(const struct sg_dp_worker *w, const struct sg_dp_tables *t, const struct sg_dp_vs *vs,
	      const struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t sig, uint32_t *fh)
{
	if (w->last_dst.port != p->key.dport || w->last_dst.proto != p->key.proto ||
	    !last_dst_is(w, t, p))
		return false;
	rte_prefetch0(rte_pktmbuf_mtod(m, const char *) - RTE_CACHE_LINE_SIZE);
	*fh = sg_dp_flow_hash_sig(sig);
	rte_prefetch0(&vs->maglev[*fh % vs->maglev_size]);
	return true;
}

/*
 * A burst in two passes. First every packet is parsed (prefetching ahead)
 * and the flow keys of TCP/UDP packets are looked up together: the bulk
 * lookup overlaps the hash buckets' cache misses, and the flow entries it
 * finds are prefetched. Then each packet is acted on. A flow removed by an
 * earlier packet of the same burst (eviction, expiry) bumps the table's
 * generation, which voids the bulk results; a miss is looked up again only
 * when an earlier packet had the same key or added a NAT return key of the
 * same signature.
 */
static void
process_burst(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
	      struct rte_mbuf **pkts, uint16_t n, struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_flow_table *ft = &w->ft;
	struct sg_dp_pkt pk[SG_DP_BURST];
	enum sg_dp_cnt prc[SG_DP_BURST];
	const struct sg_dp_flow_key *keys[SG_DP_BURST];
	uint32_t data[SG_DP_BURST];
	uint8_t pos[SG_DP_BURST];
	struct sg_dp_flow *hit[SG_DP_BURST];
	uint32_t sig[SG_DP_BURST], psig[SG_DP_BURST];
	uint32_t fh[SG_DP_BURST];
	uint8_t dup[DUP_SLOTS];
	uint64_t fhm = 0; /* bit i: fh[i] holds packet i's flow hash */
	const struct sg_dp_vs *mvs = NULL;
	bool mvs_set = false, dup_set = false;
	uint64_t hits = 0, missm = 0; /* missm: bit i, packet i missed (and is no duplicate) */
	uint64_t rkm = 0;	      /* bit k: key k hit a flow by its return key */
	unsigned int nk = 0, i, k, nsyn = 0; /* nsyn: misses that are SYNs (no ACK) */
	uint32_t gen, rsig0;
	uint64_t rx_bytes = 0;

	for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		rx_bytes += rte_pktmbuf_pkt_len(m);
		m->port = port;
		hit[i] = NULL;
		prc[i] = sg_dp_pkt_parse(m, &pk[i]);
		if (prc[i] == SG_DP_CNT_MAX &&
		    (pk[i].key.proto == IPPROTO_TCP || pk[i].key.proto == IPPROTO_UDP)) {
			keys[nk] = &pk[i].key;
			sig[nk] = sg_dp_flow_sig(&pk[i].key);
			pos[nk++] = (uint8_t)i;
		}
	}
	w->stats.port[port].rx_pkts += n; /* once a burst: the counter's line written once */
	w->stats.port[port].rx_bytes += rx_bytes;
	if (nk > 0) {
		hits = sg_dp_fh_lookup_bulk(&ft->fh, keys, sig, nk, data, &rkm);
		for (k = 0; k < nk; k++) {
			if (hits & (1ull << k)) {
				struct sg_dp_flow *e = &ft->e[data[k]]; /* lines 0, 1 fetched */

				bool ret = (rkm >> k) & 1; /* its line 3 fetched too */

				hit[pos[k]] = e;
				pk[pos[k]].hit_ret = ret;
				/* IPv6 NAT forward: the addresses (IPv4's are in line 0) */
				if (!ret && (e->flags & SG_DP_FLOW_NAT) &&
				    pk[pos[k]].key.family != AF_INET)
					rte_prefetch0((const char *)e + 2 * RTE_CACHE_LINE_SIZE);
			} else {
				if (!dup_set) { /* the burst's first miss: hits cost nothing */
					memset(dup, 0, sizeof(dup));
					dup_set = true;
				}
				if (!burst_dup(dup, keys, sig, k)) {
					missm |= UINT64_C(1) << pos[k];
					if (!mvs_set) {
						mvs = miss_vs(w, t);
						mvs_set = true;
					}
					if (mvs != NULL &&
					    miss_prefetch(w, t, mvs, pkts[pos[k]], &pk[pos[k]],
							  sig[k], &fh[pos[k]]))
						fhm |= UINT64_C(1) << pos[k];
				}
				psig[pos[k]] = sig[k];
				nsyn += (pk[pos[k]].tcp_flags &
					 (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG;
			}
		}
	}
	syn_budget_set(w, n, nsyn);
	/* a full table: the victims of the burst's new flows, their buckets fetched together */
	if (missm != 0 && ft->n_free < (uint32_t)__builtin_popcountll(missm))
		sg_dp_flow_prefetch_victims(ft,
					    (unsigned int)__builtin_popcountll(missm) - ft->n_free);
	gen = ft->gen;
	rsig0 = ft->n_rsig;
	memset(ft->rsig_bits, 0, sizeof(ft->rsig_bits));
	for (i = 0; i < n; i++) {
		bool missed = false;

		if (hit[i] != NULL) {
			if (unlikely(ft->gen != gen))
				hit[i] = NULL; /* a removal happened: look it up again */
		} else if ((missm >> i) & 1) {
			/*
			 * a miss stays one unless an earlier packet had the same key
			 * (its flow may exist now) or added a return key of its
			 * signature
			 */
			missed = !rkey_added(ft, rsig0, psig[i]);
			if ((fhm >> i) & 1) { /* a likely new flow: its insert reuses them */
				ft->ins_key = &pk[i].key; /* by address: no other packet's */
				ft->ins_sig = psig[i];
				ft->ins_fhash = fh[i];
			}
		}
		process_parsed(w, t, port, pkts[i], &pk[i], prc[i], hit[i], missed, out, now,
			       false);
	}
	if (w->syn_pend != 0) /* the burst's cookie SYN-ACKs, together */
		sg_dp_broker_cookie_flush(w);
	if (fhm != 0)
		ft->ins_key = NULL; /* pk[] goes with this frame */
	/*
	 * victims the scan chose ahead are taken as such only within their
	 * burst: outside it a flow may be touched to another time (a synced
	 * copy's is its record's)
	 */
	ft->vic_lru = 0;
}

void
sg_dp_worker_process(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		     struct rte_mbuf **pkts, uint16_t n, struct sg_dp_txq *out, uint64_t now_tsc)
{
	uint16_t i;

	if (unlikely(port >= SG_DP_PORTS_MAX)) {
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(pkts[i]);
		return;
	}
	for (i = 0; i < n; i += SG_DP_BURST)
		process_burst(w, t, port, &pkts[i], RTE_MIN((uint16_t)(n - i), SG_DP_BURST), out,
			      now_tsc);
}

void
sg_dp_worker_handoff_drain(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			   struct sg_dp_txq *out, uint64_t now_tsc)
{
	struct rte_ring *r = w->conf.handoff[w->conf.id];
	struct rte_mbuf *pkts[SG_DP_BURST];
	unsigned int n, i;

	if (r == NULL || rte_ring_empty(r))
		return; /* every round: nothing before this (no clearing of pkts) */
	memset(pkts, 0, sizeof(pkts));
	n = rte_ring_dequeue_burst(r, (void **)pkts, SG_DP_BURST, NULL);
	for (i = 0; i < n && pkts[i] != NULL; i++) {
		uint16_t port = pkts[i]->port < SG_DP_PORTS_MAX ? pkts[i]->port : 0;

		w->stats.cnt[SG_DP_EV_HANDOFF_IN]++;
		process_one(w, t, port, pkts[i], out, now_tsc, true);
	}
}
