/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * The per-CPU packet counters of the host's BPF programs (enum sg_ha_ctr,
 * sg_ha_structs.h) and the one way to bump them: the host agent's program
 * (sg_ha.bpf.c, through sg_ha_maps.h) and the test hosts' decapsulator
 * (scripts/sg-host-decap.bpf.c) each get their own map of this layout.
 */
#ifndef SG_HA_CTRS_H
#define SG_HA_CTRS_H

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include "sg_ha_structs.h"

/* Per CPU counters, enum sg_ha_ctr: every packet ends in exactly one. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_HA_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sg_ha_ctrs SEC(".maps");

/* Count the packet in @p ctr and return @p verdict. */
static __always_inline int
count(__u32 ctr, int verdict)
{
	__u64 *v = bpf_map_lookup_elem(&sg_ha_ctrs, &ctr);

	if (v)
		*v += 1;
	return verdict;
}

#endif /* SG_HA_CTRS_H */
