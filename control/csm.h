/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * csm.c: the controlling-session manager: ring messages in, the session
 * state machine, INSTALL / REJECT out, deadlines, restore after a restart.
 */
#ifndef SG_CTL_CSM_H
#define SG_CTL_CSM_H

#include "model.h"
#include "sessiongate/sg_msg.h"

struct sg_ctl_broker;
struct sg_ctl_ids;
struct sg_ctl_shm;
struct sg_ctl_cs_tab;
struct sg_ctl_usage;

/** The session manager: what csm.c works on and with, filled by the wiring (ctl.c) at init. */
struct sg_ctl_csm {
	const struct sg_ctl_cfg *cfg;
	const struct sg_ctl_clock *clk;
	struct sg_ctl_stats *st;
	struct sg_ctl_inv *inv;		/**< the applications, pools and VMs by name */
	struct sg_ctl_broker *broker;	/**< admission */
	struct sg_ctl_ids *ids;		/**< session IDs */
	struct sg_ctl_cs_tab *tab;	/**< the sessions */
	struct sg_ctl_shm *shm;		/**< INSTALL / REJECT out */
	struct sg_ctl_vs_stats vs[256]; /**< per VS and worker, from VS_STATS (SG_CTL_VS_SLOTS) */
	bool draining;			/**< new sessions are refused (shutdown) */
	/**
	 * Cluster mode (NULL: standalone): claim session @p sid cluster-wide
	 * before it is placed: 0 claimed, -EEXIST claimed already (refused:
	 * never brokered twice), other <0 not now (refused, retry later).
	 */
	int (*claim)(void *ctx, uint64_t sid, uint16_t worker);
	/** Cluster mode: SESSION_CLOSED for a session this node does not know. */
	void (*foreign_closed)(void *ctx, uint64_t sid);
	void *cl_ctx;
	/** Usage records and access log (usage.h); NULL: none (set by the wiring). */
	struct sg_ctl_usage *usage;
};

/** Upper bounds (seconds) of the setup latency histogram buckets. */
extern const double sg_ctl_csm_lat_bounds[SG_CTL_LAT_BUCKETS];

/** Refuse new sessions (shutdown) or admit them again. */
void sg_ctl_csm_drain(struct sg_ctl_csm *csm, bool on);
/**
 * The operator ends session @p session_id (admin "close"): one not yet
 * installed is rejected (SHUTDOWN), an installed one is closed; either way
 * its execution slot and VM place are freed and its rows deleted at the
 * next commit. The data plane keeps an installed flow until it ends.
 * @return 0, -ENOENT (no such session).
 */
int sg_ctl_csm_close(struct sg_ctl_csm *csm, uint64_t session_id);
/** Handle one validated dp->ctl message. */
void sg_ctl_csm_on_msg(struct sg_ctl_csm *csm, const struct sg_msg *m);
/** End a session that is not installed: send REJECT with @p reason. */
void sg_ctl_csm_reject(struct sg_ctl_csm *csm, struct sg_ctl_cs *cs, unsigned int reason);
/**
 * End installed session @p cs: SESSION_ABORT with @p action (enum
 * sg_msg_abort_action), @p reason and, for a drain, @p deadline_s. The
 * session stays installed, its reason recorded (and written to its row),
 * until the data plane's SESSION_CLOSED (or the audit) ends it.
 */
void sg_ctl_csm_abort(struct sg_ctl_csm *csm, struct sg_ctl_cs *cs, unsigned int action,
		      unsigned int reason, uint32_t deadline_s);
/** @p cs (WAITING or READY) lost its VM: placed again, or rejected VM_DOWN. */
void sg_ctl_csm_rebroker(struct sg_ctl_csm *csm, struct sg_ctl_cs *cs);
/** The session holds a running VM slot: send INSTALL. */
void sg_ctl_csm_install(struct sg_ctl_csm *csm, struct sg_ctl_cs *cs);
/** Expire sessions whose waiting state ran past its deadline. */
void sg_ctl_csm_timeouts(struct sg_ctl_csm *csm);
/** Re-create a session from the DB after a restart. */
int sg_ctl_csm_restore(struct sg_ctl_csm *csm, const struct sg_ctl_cs *saved, const char *app,
		       const char *vm);
/** The data plane restarted: every session it held or installed is gone. */
void sg_ctl_csm_dp_restarted(struct sg_ctl_csm *csm);

#endif /* SG_CTL_CSM_H */
