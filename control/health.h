/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * health.c: the health of the appliance's pool members as sg-control sees
 * it. The members come from the appliance YAML (control.appliance_config);
 * each has the verdict of its active checks (rise/fall), a passive ejection
 * (MEMBER_SUSPECT from the data plane, Envoy's outlier detection) and an
 * operator's drain. Every change of what a member should get is published
 * to the data plane as SG_MSG_MEMBER_STATE on worker 0's ring. No I/O here:
 * health_probe.c runs the checks and reports their results.
 */
#ifndef SG_CTL_HEALTH_H
#define SG_CTL_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "sg_cfg.h"
#include "sessiongate/sg_msg.h"

struct sg_ctl_shm;
struct sg_ctl_cs_tab;

/** Members sg-control checks at most (every pool full). */
#define SG_CTL_HEALTH_MEMBERS_MAX (SG_CFG_POOLS_MAX * SG_CFG_MEMBERS_MAX)
/** Longest drain deadline an operator may give, seconds (one week). */
#define SG_CTL_HEALTH_DEADLINE_MAX (7u * 86400u)
#define SG_CTL_HEALTH_TEXT	   96
/** A re-ejection doubles the ejection time up to this factor. */
#define SG_CTL_HEALTH_EJECT_MULT_MAX 64

/** Outcome of one active check. */
enum sg_ctl_check_result {
	SG_CTL_CHECK_OK = 0,
	SG_CTL_CHECK_FAIL,    /**< refused, wrong status, no body match, bad answer */
	SG_CTL_CHECK_TIMEOUT, /**< no verdict within timeout_ms */
	SG_CTL_CHECK_RESULT_MAX
};

/** An operator's drain of a member (or of all). */
enum sg_ctl_drain {
	SG_CTL_DRAIN_NONE = 0,
	SG_CTL_DRAIN_ON,    /**< no new flows, existing ones finish */
	SG_CTL_DRAIN_RESET, /**< the deadline passed: existing flows reset, stays down */
};

struct sg_ctl_member {
	char pool[SG_CFG_NAME_MAX];
	char name[SG_CFG_NAME_MAX];
	unsigned int pool_idx;	   /**< in sg_ctl_health.pools */
	struct sg_cfg_addr addr;   /**< checked address */
	uint16_t port;		   /**< checked port */
	struct sg_cfg_addr source; /**< family 0: the kernel picks */
	bool down;		   /**< verdict of the active checks (starts up) */
	uint32_t ok_run, fail_run; /**< consecutive results */
	uint8_t drain;		   /**< enum sg_ctl_drain */
	uint64_t drain_deadline_ns;
	uint64_t ejected_until_ns; /**< passive: ejected (DOWN) until then; 0 = not */
	uint64_t eject_end_ns;	   /**< end of the last ejection (re-ejection doubling) */
	uint32_t eject_mult;
	uint64_t ejections;
	uint8_t published; /**< enum sg_msg_member_st last sent (UP: nothing sent) */
	uint64_t since_ns; /**< last change of @c published (monotonic) */
	int64_t since_unix;
	char last[SG_CTL_HEALTH_TEXT];	 /**< last check result */
	char reason[SG_CTL_HEALTH_TEXT]; /**< why the state is what it is */
	uint64_t checks[SG_CTL_CHECK_RESULT_MAX];
	uint64_t next_ns; /**< next check due */
	bool inflight;	  /**< a check runs (at most one per member) */
};

struct sg_ctl_health_pool {
	char name[SG_CFG_NAME_MAX];
	struct sg_cfg_health_check check;
	struct sg_cfg_passive passive;
	unsigned int first, n; /**< its members in sg_ctl_health.m */
};

/** Counters (metrics and `sgctl health`). */
struct sg_ctl_health_stats {
	uint64_t checks[SG_CTL_CHECK_RESULT_MAX];
	uint64_t state_changes;	    /**< MEMBER_STATE changes published */
	uint64_t ejections;	    /**< passive ejections */
	uint64_t ejections_refused; /**< max_ejected_pct reached: not ejected */
	uint64_t suspects;	    /**< MEMBER_SUSPECT received */
	uint64_t suspects_unknown;  /**< naming no known pool/member: ignored */
	uint64_t suspects_ignored;  /**< passive off, below the threshold, or already out */
	uint64_t checks_now;	    /**< suspects answered with an immediate active check */
	uint64_t aborts_sent;	    /**< SESSION_ABORT at a drain-all deadline */
	uint64_t resyncs;	    /**< states re-sent to a (re)attached data plane */
};

struct sg_ctl_health {
	const struct sg_ctl_clock *clk;
	struct sg_ctl_shm *shm;	   /**< MEMBER_STATE, SESSION_ABORT out */
	struct sg_ctl_cs_tab *tab; /**< drain all: the installed sessions */
	struct sg_ctl_member *m;   /**< pool by pool, in YAML order */
	unsigned int n;
	struct sg_ctl_health_pool *pools;
	unsigned int n_pools;
	uint8_t all; /**< enum sg_ctl_drain of `drain all` */
	uint64_t all_deadline_ns;
	uint32_t generation; /**< MEMBER_STATE messages sent */
	uint64_t rnd;	     /**< check jitter */
	struct sg_ctl_health_stats st;
};

/** Empty table; messages through @p shm, sessions of @p tab (either may be NULL in tests). */
void sg_ctl_health_init(struct sg_ctl_health *h, const struct sg_ctl_clock *clk,
			struct sg_ctl_shm *shm, struct sg_ctl_cs_tab *tab);
void sg_ctl_health_fini(struct sg_ctl_health *h);

/**
 * Take the pools and members of @p cfg: members kept (by pool and name)
 * keep their state, new ones start up with a check due at once, removed
 * ones are forgotten (a removed member is not in the data plane's tables).
 * @return 0, -E2BIG (over SG_CTL_HEALTH_MEMBERS_MAX), -ENOMEM (table unchanged).
 */
int sg_ctl_health_set(struct sg_ctl_health *h, const struct sg_cfg *cfg);
/** sg_cfg_load_file(@p path) then sg_ctl_health_set(); @p err says why not. */
int sg_ctl_health_load(struct sg_ctl_health *h, const char *path, char *err, size_t errlen);

/** Index of member @p pool / @p member, or -ENOENT. */
int sg_ctl_health_find(const struct sg_ctl_health *h, const char *pool, const char *member);
/** Next member from @p from on whose check is due (marked in flight), or -1. */
int sg_ctl_health_due(struct sg_ctl_health *h, unsigned int from);
/** The check of member @p i ended with @p res (@p text: what was seen): rise/fall. */
void sg_ctl_health_result(struct sg_ctl_health *h, unsigned int i, enum sg_ctl_check_result res,
			  const char *text);
/** The check of member @p i was abandoned (reload): due again at once. */
void sg_ctl_health_cancelled(struct sg_ctl_health *h, unsigned int i);
/** A validated MEMBER_SUSPECT: check at once, or eject (no active check). */
void sg_ctl_health_on_suspect(struct sg_ctl_health *h, const struct sg_msg *m);
/** Ejections that ended. */
void sg_ctl_health_tick(struct sg_ctl_health *h);
/** Send member @p i's state when it differs from what the data plane was told. */
void sg_ctl_health_publish(struct sg_ctl_health *h, unsigned int i);
/** One message for every member (flags ALL) in @p st, then each member that differs. */
void sg_ctl_health_publish_all(struct sg_ctl_health *h, uint8_t st);
/** The data plane (re)attached: it starts with every member up; send what is not. */
void sg_ctl_health_dp_attached(struct sg_ctl_health *h);

/* health_drain.c */
/** Drain deadlines that passed: RESET, and for all the installed sessions aborted. */
void sg_ctl_health_drain_tick(struct sg_ctl_health *h);
/** Drain member @p i; reset its flows after @p deadline_s (0: never). */
void sg_ctl_health_drain(struct sg_ctl_health *h, unsigned int i, uint32_t deadline_s);
void sg_ctl_health_undrain(struct sg_ctl_health *h, unsigned int i);
/** Drain every member; at the deadline reset them and abort every installed session. */
void sg_ctl_health_drain_all(struct sg_ctl_health *h, uint32_t deadline_s);
void sg_ctl_health_undrain_all(struct sg_ctl_health *h);

/** What the data plane is told for member @p i now (enum sg_msg_member_st). */
uint8_t sg_ctl_health_state(const struct sg_ctl_health *h, unsigned int i);
/** "up", "down", "drain", "reset". */
const char *sg_ctl_health_state_name(uint8_t st);
/** "ok", "fail", "timeout". */
const char *sg_ctl_health_result_name(unsigned int res);

#endif /* SG_CTL_HEALTH_H */
