/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin socket (unix stream, one line per connection, answered then
 * closed): status, counters, resync, detach, and the test hooks (only with
 * test_hooks: true) that simulate libvirtd going away and lost events.
 * Reads and drives the modules it is given at init.
 */
#ifndef SG_HA_ADMIN_H
#define SG_HA_ADMIN_H

#include "flow.h"
#include "ha_config.h"
#include "link.h"
#include "vm.h"

struct sg_ha_admin {
	const struct sg_ha_config *cfg;
	struct sg_ha_vms *vms;
	struct sg_ha_link *link;
	struct sg_ha_flows *flows;
	int fd;
	int watch;
};

/** Listen on cfg->admin_socket (none when ""). @return 0 or -errno (logged). */
int sg_ha_admin_init(struct sg_ha_admin *ad, const struct sg_ha_config *cfg, struct sg_ha_vms *vms,
		     struct sg_ha_link *link, struct sg_ha_flows *flows);
void sg_ha_admin_fini(struct sg_ha_admin *ad);

#endif /* SG_HA_ADMIN_H */
