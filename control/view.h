/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What the operator-facing adapters (admin.c, metrics.c) read and may
 * ask for, given by the wiring (ctl.c) at init: the modules through their
 * headers, and callbacks for what only the wiring does (reload, commit).
 */
#ifndef SG_CTL_VIEW_H
#define SG_CTL_VIEW_H

#include <stddef.h>

#include "model.h"

struct event_base;
struct sg_ctl_cs_tab;
struct sg_ctl_csm;
struct sg_ctl_bus;
struct sg_ctl_ids;
struct sg_ctl_shm;
struct sg_ctl_db;
struct sg_ctl_vmm;
struct sg_ctl_health;
struct sg_ctl_cluster;
struct sg_ctl_usage;
struct sg_ctl_invm;

struct sg_ctl_view {
	const struct sg_ctl_cfg *cfg;
	struct event_base *base;
	struct sg_ctl_clock *clk; /**< refreshed at the start of a request */
	const struct sg_ctl_stats *st;
	struct sg_ctl_inv *inv;
	struct sg_ctl_cs_tab *tab;
	struct sg_ctl_csm *csm; /**< per-virtual-service counters, drain */
	struct sg_ctl_bus *bus;
	struct sg_ctl_ids *ids;
	struct sg_ctl_shm *shm;
	struct sg_ctl_db *db;
	struct sg_ctl_vmm *vmm;		/**< VM drain */
	struct sg_ctl_health *health;	/**< pool members: checks, ejection, drain */
	struct sg_ctl_cluster *cluster; /**< cluster mode (admin "cluster"); NULL: standalone */
	struct sg_ctl_usage *usage;	/**< usage records, access log, hold time (usage.h) */
	struct sg_ctl_invm *invm;	/**< sgctl app|vm|host|pool add|remove (inventory.h) */
	/** Re-read the configuration file (SIGHUP, admin "reload"). */
	int (*reload)(void *ctx, char *err, size_t errlen);
	/** End of a step: commit (DB first, then the ring). */
	void (*step_end)(void *ctx);
	void *ctx;
};

#endif /* SG_CTL_VIEW_H */
