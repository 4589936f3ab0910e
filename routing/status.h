/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sg-routed's status file (appliance.cluster.bgp.status_file), JSON
 * replaced atomically, read by `sgctl cluster` and operators
 * (doc/cluster.md, "BGP and liveness", lists its fields).
 */
#ifndef SG_RT_STATUS_H
#define SG_RT_STATUS_H

#include <stdint.h>

#include "announce.h"
#include "birdconf.h"
#include "birdctl.h"
#include "liveness.h"

/** Everything the status file shows. */
struct sg_rt_status {
	const char *node;
	const struct sg_cfg_bgp *bgp; /**< the peers, by the plan's protocol names */
	const struct sg_rt_liveness *live;
	const struct sg_rt_announce *ann;
	const struct sg_rt_birdctl *bird;
	const struct sg_rt_proto *protos; /**< from the last "show protocols all" */
	unsigned int n_protos;
	int64_t live_changed_ms; /**< wall-clock ms the liveness last changed */
	uint64_t bird_connects;	 /**< connections made to BIRD */
};

/**
 * Write @p st as JSON to @p path (atomically). @return 0, -ENOMEM, or the
 * -errno of the write.
 */
int sg_rt_status_write(const char *path, const struct sg_rt_status *st, int64_t wall_ms);

#endif /* SG_RT_STATUS_H */
