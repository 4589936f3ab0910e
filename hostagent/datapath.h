/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host datapath: loads sg_ha.bpf.c (libbpf skeleton), pins its maps under
 * a bpffs directory so that installed VIP entries survive an agent restart,
 * attaches the programs to the uplink's clsact qdisc (tc filters stay
 * attached after the agent exits; a restart replaces them in place), and
 * fills and reads the maps.
 */
#ifndef SG_HA_DATAPATH_H
#define SG_HA_DATAPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/sg_ha_structs.h"

struct sg_ha_dp;

/**
 * Load the program, reuse or create the maps pinned in @p pin_dir, write
 * @p bcfg into sg_ha_cfg and, when @p uplink is not NULL, attach ingress
 * and egress on it (replacing an older agent's filters).
 * @return 0 or -errno (logged).
 */
int sg_ha_dp_open(const char *pin_dir, const char *uplink, const struct sg_ha_bpf_cfg *bcfg,
		  struct sg_ha_dp **out);

/** Release the process's handles; pinned maps and tc filters stay. */
void sg_ha_dp_close(struct sg_ha_dp *dp);

/** Remove the tc filters and the pins (operator "detach"). */
int sg_ha_dp_detach(struct sg_ha_dp *dp);

/** Deliver @p vip to @p vm (and rewrite the VM's replies back). 0, -ENOSPC, -errno. */
int sg_ha_dp_vip_add(struct sg_ha_dp *dp, const struct sg_ha_ep *vip, const struct sg_ha_ep *vm,
		     uint32_t ifindex);
int sg_ha_dp_vip_del(struct sg_ha_dp *dp, const struct sg_ha_ep *vip);
/** Number of VIP entries in the (pinned) map. */
unsigned int sg_ha_dp_vip_count(struct sg_ha_dp *dp);

/** Sum over CPUs of sg_ha_ctrs. */
int sg_ha_dp_counters(struct sg_ha_dp *dp, uint64_t out[SG_HA_CTR_MAX]);
/** Sum over CPUs of sg_ha_vstats[@p vip]. */
int sg_ha_dp_vip_stats(struct sg_ha_dp *dp, const struct sg_ha_ep *vip, struct sg_ha_vstats *out);

/** Program fds (tests: bpf_prog_test_run_opts). */
int sg_ha_dp_prog_fd(struct sg_ha_dp *dp, bool ingress);

/** Name of a counter ("drop_no_vip"). */
const char *sg_ha_dp_ctr_name(unsigned int ctr);

#endif /* SG_HA_DATAPATH_H */
