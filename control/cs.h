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

#define SG_CTL_CS_ENDED_MAX 256 /**< ended sessions remembered (sgctl sessions --state closed) */

/** A session that ended (closed or failed), kept for the operator. */
struct sg_ctl_cs_ended {
	uint64_t session_id;
	uint64_t ended_ns; /**< monotonic */
	const struct sg_ctl_app *app;
	const struct sg_ctl_vm *vm;
	uint8_t state;	/**< SG_CTL_CS_CLOSED or _FAILED */
	uint8_t reason; /**< SG_MSG_REASON_* */
};

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
	struct sg_ctl_cs_ended ended[SG_CTL_CS_ENDED_MAX]; /**< ring of the last ended sessions */
	uint64_t n_ended;				   /**< ever; ended[n % MAX] is next */
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
/**
 * The @p i-th most recently ended session (0 = the last), or NULL past the
 * SG_CTL_CS_ENDED_MAX kept.
 */
const struct sg_ctl_cs_ended *sg_ctl_cs_ended_get(const struct sg_ctl_cs_tab *t, uint32_t i);
/** Record that @p cs engaged provider @p provider_id (once). */
void sg_ctl_cs_engage(struct sg_ctl_cs *cs, uint64_t provider_id);
/** "negotiating", ... ("?" out of range). */
const char *sg_ctl_cs_state_name(unsigned int s);
/** "no_app", ... (an SG_MSG_REASON_*; "?" out of range). */
const char *sg_ctl_cs_reason_name(unsigned int r);

#endif /* SG_CTL_CS_H */
