/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Hand-off of a held session to its VM: what NAT and DSR share
 * (handoff.c: the SYN, the tunnel, replay of held bytes, splice), the NAT
 * hand-off (nat_handoff.c) and the DSR hand-off (dsr_handoff.c).
 */
#ifndef SG_DP_SESSION_HANDOFF_H
#define SG_DP_SESSION_HANDOFF_H

#include "session/broker.h"

/**
 * An mbuf for a SYN to the VM (counted generated, or drop_no_mbuf) and the
 * options it carries: the client's, with its last TSval.
 */
struct rte_mbuf *sg_dp_broker_syn_mbuf(struct sg_dp_worker *w, const struct br_sess *s,
				       struct sg_dp_tcp_opts *o);

/**
 * Route and neighbour of @p f's hand-off towards @p dst (its VM, or the
 * VM's host for DSR) in f->rt_to, as sg_dp_resolve_cached(): a flow not
 * resolved yet starts from the route the worker's last hand-off to the
 * same address found (same tables; the neighbour entry is validated on
 * use), so a VM's sessions do not look route and neighbour up each.
 * @return SG_DP_CNT_MAX, or the drop counter of the failed resolution.
 */
enum sg_dp_cnt sg_dp_broker_vm_resolve(struct sg_dp_worker *w, const struct sg_dp_tables *t,
				       struct sg_dp_flow *f, const struct sg_dp_ip *dst,
				       uint64_t now, uint16_t *port, struct rte_ether_addr *mac);

/**
 * Tunnel @p m (an Ethernet frame whose IP packet goes client -> VIP) to the
 * flow's host, as DSR forwarding does. Consumes @p m.
 */
void sg_dp_broker_dsr_tx(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
			 struct rte_mbuf *m, uint16_t rx_port, struct sg_dp_txq *out, uint64_t now);

/** The VM of @p in becomes the flow's member (family checked by the caller). */
void sg_dp_broker_member_set(struct sg_dp_flow *f, const struct sg_msg_session_install *in,
			     uint8_t fam);

/** Copies of the held segments to the VM, NAT-rewritten and translated. */
void sg_dp_broker_replay(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
			 struct br_sess *s, uint16_t rx_port, struct sg_dp_txq *out, uint64_t now);

/** The VM's SYN-ACK @p th (options @p vo): the deltas of a spliced flow. */
void sg_dp_broker_splice_learn(const struct sg_dp_tables *t, struct sg_dp_flow *f,
			       struct br_sess *s, const struct rte_tcp_hdr *th,
			       const struct sg_dp_tcp_opts *vo);

/** The VM's handshake is complete: replay the held bytes until acknowledged. */
void sg_dp_broker_splice_start(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			       struct sg_dp_flow *f, struct br_sess *s, uint16_t port,
			       struct sg_dp_txq *out, uint64_t now);

/**
 * Is @p m the VM's SYN-ACK to our SYN? 1: yes (*vo filled); 0: the VM
 * refused (RST, the session was answered as a reject, @p m consumed);
 * -1: something else (@p m dropped).
 */
int sg_dp_broker_vm_synack_check(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m,
				 const struct sg_dp_pkt *p, struct sg_dp_flow *f, struct br_sess *s,
				 struct sg_dp_txq *out, struct sg_dp_tcp_opts *vo);

int sg_dp_broker_nat_syn(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
			 struct br_sess *s, struct sg_dp_txq *out, uint64_t now);

/**
 * UDP install: the held datagrams go to the VM; from now on a NAT flow.
 * While the VM's MAC is not known yet the datagrams stay held and the
 * flush is retried by the timer (state CONNECTING) until the hold deadline.
 */
void sg_dp_broker_udp_flush(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			    struct sg_dp_flow *f, struct br_sess *s, struct sg_dp_txq *out,
			    uint64_t now);

int sg_dp_broker_install_nat(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			     struct sg_dp_flow *f, struct br_sess *s,
			     const struct sg_msg_session_install *in, struct sg_dp_txq *out,
			     uint64_t now);

/** The VM's SYN-ACK (NAT): acknowledge it, replay the held bytes, splice. */
void sg_dp_broker_nat_synack(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
			     struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
			     struct br_sess *s, struct sg_dp_txq *out, uint64_t now);

/**
 * DSR hand-off: the client's SYN (its ISN and options) to the VIP, with the
 * meta the host's eBPF program needs, tunnelled to the VM's host.
 */
int sg_dp_broker_dsr_syn(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
			 struct br_sess *s, struct sg_dp_txq *out, uint64_t now);

/** DSR install (TCP): the hand-off SYN to the VM through its host. */
int sg_dp_broker_install_dsr(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			     struct sg_dp_flow *f, struct br_sess *s,
			     const struct sg_msg_session_install *in, struct sg_dp_txq *out,
			     uint64_t now);

#endif /* SG_DP_SESSION_HANDOFF_H */
