/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * audit.c: the session audit, sg-control's safety net against a lost
 * SESSION_CLOSED (the data plane's retry queue overflowed, or any other
 * loss): SESSION_AUDIT to every worker at attach and every
 * SG_CTL_AUDIT_MS; each worker answers with the IDs of all its live
 * sessions (SESSION_ALIVE); a session of that worker, older than the
 * audit, that the worker did not list is closed and its VM slot and
 * execution slot freed (counter audit_closed).
 */
#ifndef SG_CTL_AUDIT_H
#define SG_CTL_AUDIT_H

#include "model.h"
#include "sessiongate/sg_msg.h"

#define SG_CTL_AUDIT_MS	     10000 /**< a periodic audit this often */
#define SG_CTL_AUDIT_WORKERS 64	   /**< ring pairs of the region (SG_SHM_RINGS_MAX / 2) */

struct sg_ctl_broker;
struct sg_ctl_cs_tab;
struct sg_ctl_shm;

/** The audit: filled by the wiring (ctl.c) at init. */
struct sg_ctl_audit {
	const struct sg_ctl_clock *clk;
	struct sg_ctl_stats *st;
	struct sg_ctl_cs_tab *tab;		/**< the sessions; tab->audit_seq stamps new ones */
	struct sg_ctl_broker *broker;		/**< frees a lost session's slots */
	struct sg_ctl_shm *shm;			/**< SESSION_AUDIT out */
	uint32_t pending[SG_CTL_AUDIT_WORKERS]; /**< token of each worker's audit; 0: none */
	uint64_t last_ns;			/**< last audit sent */
};

/** Send SESSION_AUDIT to every worker of the attached data plane. */
void sg_ctl_audit_start(struct sg_ctl_audit *a);
/** Start an audit when the last is SG_CTL_AUDIT_MS old. */
void sg_ctl_audit_tick(struct sg_ctl_audit *a);
/** One validated SESSION_ALIVE; the last of an audit closes the sessions it did not list. */
void sg_ctl_audit_on_alive(struct sg_ctl_audit *a, const struct sg_msg *m);

#endif /* SG_CTL_AUDIT_H */
