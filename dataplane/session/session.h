/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Brokered and redirect virtual services (doc/sessions.md): the one public
 * header of dataplane/session/, used by the worker dispatch
 * (dataplane/worker/). Everything else of the folder is internal to it.
 */
#ifndef SG_DP_SESSION_H
#define SG_DP_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "sg_dp.h"
#include "core/flow.h"
#include "core/parse.h"
#include "core/state.h"
#include "core/tables.h"
#include "session/dump.h"

/**
 * Create the worker's session state (w->br) from its configuration.
 * @return 0 (also when the worker serves no brokered sessions: w->br stays
 *   NULL), -ENOMEM.
 */
int sg_dp_broker_create(struct sg_dp_worker *w);
/** Free the worker's session state and every held packet. */
void sg_dp_broker_free(struct sg_dp_worker *w);
/** First packet of a flow to a brokered / redirect VS (no flow entry). */
void sg_dp_broker_new(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		      struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_vs *vs,
		      struct sg_dp_txq *out, uint64_t now);
/** A packet of a brokered flow that is not (yet) a plain NAT flow. @p ret: from the VM. */
void sg_dp_broker_flow(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		       struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
		       bool ret, struct sg_dp_txq *out, uint64_t now);
/**
 * Usage and QoS of a forwarded packet of a brokered flow (f->sid != 0;
 * session/acct.h), before any rewrite: counted in its direction (@p ret:
 * from the VM), a DSR client's ACK advance counted as delivered to it.
 * @return false when the session's QoS rate drops the packet (the caller
 *   drops it, counted drop_qos_rate).
 */
bool sg_dp_broker_acct(struct sg_dp_worker *w, struct sg_dp_flow *f, const struct rte_mbuf *m,
		       const struct sg_dp_pkt *p, bool ret, uint64_t now);
/** Spliced flow: translate a forwarded segment (after the NAT rewrite). */
void sg_dp_broker_xlate(struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_flow *f,
			bool ret);
/** A VM -> client segment of a flow still replaying held bytes: release them once acked. */
void sg_dp_broker_vm_ack(struct sg_dp_worker *w, struct sg_dp_flow *f, struct rte_mbuf *m,
			 const struct sg_dp_pkt *p);
/**
 * UDP to SG_WIRE_HANDOFF_PORT of an own address: a VM segment a host returns
 * during a DSR hand-off (handed to the session's worker when another got
 * it; @p handed: it came from another worker).
 */
void sg_dp_broker_bounce(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
			 struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_txq *out,
			 uint64_t now, bool handed);
/**
 * The flow is being removed: tell sg-control, free what the session holds.
 * Registered as the worker's flow_gone hook (core/state.h).
 */
void sg_dp_broker_flow_gone(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why);
/** Messages from sg-control, hold timeouts, re-sends. Worker loop, every round. */
void sg_dp_broker_poll(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_txq *out,
		       uint64_t now);
/**
 * SYN proxy (synproxy.c): a TCP packet for no flow to the nat VS @p vs.
 * With syn_proxy on (or auto and on now) a SYN is answered with a SYN
 * cookie; an ACK is taken as a cookie's (when valid: a flow to the
 * scheduled member, connected as the NAT hand-off does; else dropped,
 * counted).
 * @return true: the packet was taken (sent, held or dropped, counted);
 *   false: a plain new flow (syn_proxy off, auto and off now, other flags).
 */
bool sg_dp_synproxy_new(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
			struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_vs *vs,
			struct sg_dp_txq *out, uint64_t now);
/**
 * The worker's flow_gone hook when it serves sessions: a proxied flow
 * frees its session slot silently; any other goes to sg_dp_broker_flow_gone().
 */
void sg_dp_synproxy_flow_gone(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why);
/**
 * State sync: a peer's brokered flow @p f was taken over by this worker
 * (core/sync.h): its session ID names it from now on (SESSION_ABORT), and
 * its end is reported to this appliance's sg-control. No-op without
 * brokered sessions or a session ID.
 */
void sg_dp_broker_sync_adopt(struct sg_dp_worker *w, struct sg_dp_flow *f);

/**
 * Session dump (session/dump.h), safe from another thread: copy into @p out
 * up to @p max live brokered sessions of @p w, walking its flow table from
 * *@p cursor (0 to start); *@p cursor is left where the next call goes on
 * (the table's capacity once the walk is complete).
 * @return the number of sessions copied.
 */
unsigned int sg_dp_session_dump(const struct sg_dp_worker *w, uint32_t *cursor,
				struct sg_dp_session_info *out, unsigned int max);
/** Name of flow state @p state (enum sg_dp_flow_state) as the dump shows it. */
const char *sg_dp_session_state_name(uint8_t state);
/**
 * Build the SYN cookie SYN-ACKs the packets processed since the last call
 * queued (w->syn_pend of them, session/cookie.c): their MACs in one loop,
 * their SYN-ACKs from the templates in a second one, in the places they
 * hold in the tx queue. The worker calls it before the parsed packets of a
 * burst (or of a single packet) go out of scope; no-op when none is queued.
 */
void sg_dp_broker_cookie_flush(struct sg_dp_worker *w);

#endif /* SG_DP_SESSION_H */
