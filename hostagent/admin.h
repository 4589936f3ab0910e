/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin socket (unix stream, one line per connection, answered then
 * closed; non-blocking on the libvirt event loop: at most
 * SG_HA_ADMIN_CONNS_MAX connections (a new one closes the oldest when all
 * are busy), a line of at most 255 bytes, an answer of at most 64 KiB, and
 * 2 s from accept to the answer's last byte, else closed): status,
 * counters, resync, detach, and the test hooks (only with test_hooks: true)
 * that simulate libvirtd going away and lost events. Reads and drives the
 * modules it is given at init.
 */
#ifndef SG_HA_ADMIN_H
#define SG_HA_ADMIN_H

#include "flow.h"
#include "ha_config.h"
#include "link.h"
#include "vm.h"

#define SG_HA_ADMIN_CONNS_MAX 8

struct sg_ha_admin_conn;

/** What the admin socket refused (in "counters"). */
struct sg_ha_admin_counters {
	uint64_t timeouts; /**< connections closed at their deadline (stalled clients) */
	uint64_t evicted;  /**< oldest connection closed: all SG_HA_ADMIN_CONNS_MAX busy */
	uint64_t too_long; /**< request lines over the bound */
};

struct sg_ha_admin {
	const struct sg_ha_config *cfg;
	struct sg_ha_vms *vms;
	struct sg_ha_link *link; /**< cfg->n_controls links (an array): status shows each */
	struct sg_ha_flows *flows;
	int fd;
	int watch;
	int timer; /**< closes connections past their deadline */
	struct sg_ha_admin_conn *conns[SG_HA_ADMIN_CONNS_MAX];
	struct sg_ha_admin_counters ctr;
};

/** Listen on cfg->admin_socket (none when ""). @return 0 or -errno (logged). */
int sg_ha_admin_init(struct sg_ha_admin *ad, const struct sg_ha_config *cfg, struct sg_ha_vms *vms,
		     struct sg_ha_link *link, struct sg_ha_flows *flows);
void sg_ha_admin_fini(struct sg_ha_admin *ad);

#endif /* SG_HA_ADMIN_H */
