/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flows of the host datapath as the agent manages them: the static
 * VIPs of the inventory installed at start, FLOW_ADD / FLOW_DEL of the
 * control path, detach. Owns the datapath handle (datapath.h).
 */
#ifndef SG_HA_FLOW_H
#define SG_HA_FLOW_H

#include <stddef.h>

#include "datapath.h"
#include "ha_config.h"
#include "sessiongate/sg_agent_proto.h"

struct sg_ha_flows {
	const struct sg_ha_config *cfg;
	struct sg_ha_dp *dp; /**< NULL: datapath off or detached */
};

/** No datapath yet (FLOW_ADD answers "not enabled" until sg_ha_flow_start()). */
void sg_ha_flow_init(struct sg_ha_flows *f, const struct sg_ha_config *cfg);

/** Load and attach the datapath and install the inventory's VIPs. @return 0 or -errno (logged). */
int sg_ha_flow_start(struct sg_ha_flows *f);

/**
 * FLOW_ADD: deliver VIP:VIP_PORT/PROTO to ADDR:PORT (of VM_NAME's device when given).
 * @return 0, -EOPNOTSUPP (datapath off), -EINVAL (attributes), -ENOENT (no
 *   such VM), -ENOSPC (table full) or -errno; @p err filled.
 */
int sg_ha_flow_add(struct sg_ha_flows *f, const struct sg_agent_msg *m, char *err, size_t errlen);

/** FLOW_DEL of VIP:VIP_PORT/PROTO. @return 0, -EINVAL or -ENOENT. */
int sg_ha_flow_del(struct sg_ha_flows *f, const struct sg_agent_msg *m);

/** Remove the tc filters and the pins, close the datapath (operator "detach"). */
void sg_ha_flow_detach(struct sg_ha_flows *f);

/** Release the handles; pinned maps and tc filters stay: flows survive a restart. */
void sg_ha_flow_close(struct sg_ha_flows *f);

#endif /* SG_HA_FLOW_H */
