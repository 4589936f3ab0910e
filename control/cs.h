/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * cs.c: the table of controlling sessions (by streaming session ID), their
 * state, deadline lists and change list. Below every module that moves a
 * session; it calls nobody.
 */
#ifndef SG_CTL_CS_H
#define SG_CTL_CS_H

#include "model.h"

/** The session table, owned by cs.c. */
struct sg_ctl_cs_tab {
	const struct sg_ctl_cfg *cfg;	/**< the state timeouts */
	const struct sg_ctl_clock *clk; /**< deadlines */
	struct sg_ctl_cs **htab;	/**< by streaming session ID */
	uint32_t hmask;
	uint32_t n_cs;
	uint32_t n_state[SG_CTL_CS_STATE_MAX];
	struct sg_ctl_cs_list tlist[SG_CTL_CS_STATE_MAX]; /**< per state, deadline order */
	struct sg_ctl_cs *changed; /**< sessions to write or delete at the next commit */
	uint32_t audit_seq;	   /**< last audit token (audit.c, serial); stamps new ones */
};

/** An empty table; @return 0 or -ENOMEM. */
int sg_ctl_cs_init(struct sg_ctl_cs_tab *t, const struct sg_ctl_cfg *cfg,
		   const struct sg_ctl_clock *clk);
/** Free every indexed session and the index (the change list is the caller's). */
void sg_ctl_cs_fini(struct sg_ctl_cs_tab *t);

/** The session with streaming session ID @p session_id, or NULL. */
struct sg_ctl_cs *sg_ctl_cs_find(struct sg_ctl_cs_tab *t, uint64_t session_id);
/** A new session in state NEW, indexed; NULL at the limit or out of memory. */
struct sg_ctl_cs *sg_ctl_cs_alloc(struct sg_ctl_cs_tab *t, uint64_t session_id);
/** Move @p cs to @p state (lists, counters, deadline, dirty). */
void sg_ctl_cs_set_state(struct sg_ctl_cs_tab *t, struct sg_ctl_cs *cs, unsigned int state);
/** Record that @p cs engaged provider @p provider_id (once). */
void sg_ctl_cs_engage(struct sg_ctl_cs *cs, uint64_t provider_id);
/** "negotiating", ... ("?" out of range). */
const char *sg_ctl_cs_state_name(unsigned int s);
/** "no_app", ... (an SG_MSG_REASON_*; "?" out of range). */
const char *sg_ctl_cs_reason_name(unsigned int r);

#endif /* SG_CTL_CS_H */
