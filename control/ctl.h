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
 * session placed or refused) goes through bus events and the hooks
 * (struct sg_ctl_place_hooks, struct sg_ctl_shm_hooks, the restore
 * function of the session DB), registered here. Each module owns its
 * state struct and receives the modules below it at init.
 */
#ifndef SG_CTL_H
#define SG_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "sessiongate/sg_msg.h"

#include "audit.h"
#include "broker.h"
#include "cs.h"
#include "csm.h"
#include "health.h"
#include "inventory.h"
#include "usage.h"
#include "view.h"
#include "vm.h"

struct event_base;
struct sg_ctl_shm;
struct sg_ctl_db;
struct sg_ctl_bus;
struct sg_ctl_agent_srv;
struct sg_ctl_ids;
struct sg_ctl_qos;
struct sg_ctl_ucache;
struct sg_ctl_admin;
struct sg_ctl_metrics;

/** The whole: every module's state, seen only by the wiring (ctl.c, main.c) and whole-core tests.
 */
struct sg_ctl {
	struct sg_ctl_cfg *cfg;
	struct event_base *base;
	struct sg_ctl_clock clock; /**< refreshed per event */
	struct sg_ctl_stats st;
	struct sg_ctl_inv inv;
	struct sg_ctl_invm invm; /**< the inventory changed at run time (inventory.c) */
	struct sg_ctl_cs_tab tab;
	struct sg_ctl_vmm vmm;
	struct sg_ctl_broker broker;
	struct sg_ctl_csm csm;
	struct sg_ctl_audit audit;   /**< closes sessions the data plane no longer has */
	struct sg_ctl_health health; /**< pool members: checks, ejection, drain */
	struct sg_ctl_usage usage;   /**< usage records and access log */
	struct sg_ctl_bus *bus;
	struct sg_ctl_ids *ids;
	struct sg_ctl_qos *qos;	  /**< sessions per user and app (qos.c) */
	struct sg_ctl_ucache *uc; /**< idmgr's answers per (user, app) (ucache.c) */
	struct sg_ctl_shm *shm;
	struct sg_ctl_db *db;
	struct sg_ctl_agent_srv *agents;
	struct sg_ctl_admin *admin;
	struct sg_ctl_metrics *metrics;
	struct sg_ctl_view view;  /**< what admin and metrics read */
	uint64_t last_epoch;	  /**< of the data plane, without a session DB */
	uint64_t commit_retry_ns; /**< a commit failed: the next try not before this */
	const char *cfg_path;	  /**< for reload */
	/** Cluster mode: each session of a successful commit (ended ones still in memory). */
	void (*committed)(void *ctx, struct sg_ctl_cs *cs);
	void *committed_ctx;
};

/** Attach check, ring poll (up to @p budget messages), dispatch, commit. */
unsigned int sg_ctl_poll(struct sg_ctl *c, unsigned int budget);
/** Timeouts, idle VMs, bus deadlines, commit. */
void sg_ctl_tick(struct sg_ctl *c);
/** Build the objects of @p cfg, register the providers, connect the modules. */
int sg_ctl_init(struct sg_ctl *c, struct sg_ctl_cfg *cfg, struct event_base *base);
void sg_ctl_fini(struct sg_ctl *c);
/**
 * Write dirty sessions to the DB; once that is done, take the ring
 * messages handled since the last commit off their rings and flush the
 * outgoing ones. A failed commit keeps all three (changes, unacked
 * messages, unsent messages) and is retried by the next call after
 * SG_CTL_COMMIT_RETRY_MS: nothing is half applied.
 * @return 0, -EIO (DB commit failed), -EAGAIN (waiting to retry).
 */
int sg_ctl_commit(struct sg_ctl *c);

/** A failed session-DB commit is retried after this long. */
#define SG_CTL_COMMIT_RETRY_MS 100

#endif /* SG_CTL_H */
