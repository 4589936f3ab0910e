/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sg-control's wiring (ctl.c): struct sg_ctl holds every module's state and
 * the hooks through which lower modules reach back up; sg_ctl_init()
 * connects the modules, sg_ctl_poll() / sg_ctl_tick() run one step and
 * sg_ctl_commit() makes it durable (DB first, then the ring). Each module
 * has its own header (doc/control.md, section 2); calls run one way:
 *
 *   shm -> csm -> broker -> vm -> ids -> bus -> cs -> sessiondb
 *
 * and the way back (VM states, providers, data-plane attach, restore, a
 * session placed or refused) goes through bus events and struct
 * sg_ctl_hooks, registered here.
 */
#ifndef SG_CTL_H
#define SG_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "sessiongate/sg_msg.h"

struct event_base;
struct sg_ctl;

/** The way back up, set by sg_ctl_init(): lower modules call these, never a module above. */
struct sg_ctl_hooks {
	/** broker, vm: @p cs holds a running VM slot: install it (csm). */
	void (*install)(struct sg_ctl *c, struct sg_ctl_cs *cs);
	/** broker, vm: refuse @p cs with an SG_MSG_REASON_* (csm). */
	void (*reject)(struct sg_ctl *c, struct sg_ctl_cs *cs, unsigned int reason);
	/** shm: one validated dp->ctl message (csm). */
	void (*dp_msg)(struct sg_ctl *c, const struct sg_msg *m);
	/** shm: the data plane attached with @p epoch (@p up) or went away. */
	void (*dp_link)(struct sg_ctl *c, bool up, uint64_t epoch);
	/** sessiondb: re-create a stored session (csm). */
	int (*restore)(struct sg_ctl *c, const struct sg_ctl_cs *saved, const char *app,
		       const char *vm);
};

struct sg_ctl_shm;
struct sg_ctl_db;
struct sg_ctl_bus;
struct sg_ctl_agent_srv;
struct sg_ctl_ids;
struct sg_ctl_admin;
struct sg_ctl_metrics;

struct sg_ctl {
	struct sg_ctl_cfg *cfg;
	struct event_base *base;
	uint64_t now_ns; /**< monotonic, refreshed per event */
	struct sg_ctl_app apps[SG_CTL_APPS_MAX];
	struct sg_ctl_pool pools[SG_CTL_POOLS_MAX];
	struct sg_ctl_vm vms[SG_CTL_VMS_MAX];
	struct sg_ctl_host hosts[SG_CTL_HOSTS_MAX];
	/* controlling sessions by streaming session ID */
	struct sg_ctl_cs **htab;
	uint32_t hmask;
	uint32_t n_cs;
	uint32_t n_state[SG_CTL_CS_STATE_MAX];
	struct sg_ctl_cs_list tlist[SG_CTL_CS_STATE_MAX]; /**< per state, deadline order */
	struct sg_ctl_cs *changed; /**< sessions to write or delete at the next commit */
	uint64_t dispatch_pools;   /**< pools with a freed slot: place queued sessions */
	struct sg_ctl_vs_stats vs[256];
	bool draining;
	uint64_t next_local_id;
	uint64_t last_epoch;
	uint64_t net_provider_id;
	unsigned int net_provider;
	struct sg_ctl_shm *shm;
	struct sg_ctl_db *db;
	struct sg_ctl_bus *bus;
	struct sg_ctl_agent_srv *agents;
	struct sg_ctl_ids *ids;
	struct sg_ctl_admin *admin;
	struct sg_ctl_metrics *metrics;
	const char *cfg_path; /**< for reload */
	struct sg_ctl_stats st;
	struct sg_ctl_hooks hooks;
};

/** Attach check, ring poll (up to @p budget messages), dispatch, commit. */
unsigned int sg_ctl_poll(struct sg_ctl *c, unsigned int budget);
/** Timeouts, idle VMs, bus deadlines, commit. */
void sg_ctl_tick(struct sg_ctl *c);
/** Build the objects of @p cfg, register the providers, connect the modules. */
int sg_ctl_init(struct sg_ctl *c, struct sg_ctl_cfg *cfg, struct event_base *base);
void sg_ctl_fini(struct sg_ctl *c);
/** CLOCK_MONOTONIC in ns. */
uint64_t sg_ctl_now_ns(void);
/** Write dirty sessions to the DB, then flush outgoing ring messages. */
int sg_ctl_commit(struct sg_ctl *c);

#endif /* SG_CTL_H */
