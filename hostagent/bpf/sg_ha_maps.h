/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * The maps of the host datapath program (sg_ha.bpf.c), each with what it
 * holds and who writes it; their types are in sg_ha_structs.h.
 */
#ifndef SG_HA_MAPS_H
#define SG_HA_MAPS_H

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include "sg_ha_ctrs.h"
#include "sg_ha_structs.h"

/* VIP:port/proto delivered to this host -> the VM address:port it goes to
 * (and the device to redirect to). Filled by the agent (static VIPs of the
 * inventory, FLOW_ADD); pinned: survives an agent restart. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_HA_VIPS_MAX);
	__type(key, struct sg_ha_ep);
	__type(value, struct sg_ha_vip_val);
} sg_ha_vips SEC(".maps");

/* VM service address:port -> the VIP its replies leave as (egress rewrite);
 * written by the agent beside every sg_ha_vips entry. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_HA_VIPS_MAX);
	__type(key, struct sg_ha_ep);
	__type(value, struct sg_ha_rev_val);
} sg_ha_rev SEC(".maps");

/* Which VIP a client reached a VM through: replies go back from that VIP
 * even when several VIPs lead to the same VM service (sg_ha_rev is the
 * fallback for connections not seen, e.g. after an LRU eviction). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_HA_CONNS_MAX);
	__type(key, struct sg_ha_conn_key);
	__type(value, struct sg_ha_ep);
} sg_ha_conns SEC(".maps");

/* Brokered DSR hand-offs, keyed as the client addresses them: recorded by
 * the hand-off SYN (its sg_handoff_meta), read by both directions for the
 * VM to use and the sequence / TSval / window translation. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_HA_HANDS_MAX);
	__type(key, struct sg_ha_hand_key);
	__type(value, struct sg_ha_hand);
} sg_ha_hands SEC(".maps");

/* Per VIP entry, per CPU: packets and bytes delivered and replied. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SG_HA_VIPS_MAX);
	__type(key, struct sg_ha_ep);
	__type(value, struct sg_ha_vstats);
} sg_ha_vstats SEC(".maps");

/* [0]: this host's outer addresses and GUE port (struct sg_ha_bpf_cfg),
 * written by the agent at load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_ha_bpf_cfg);
} sg_ha_cfg SEC(".maps");

#endif /* SG_HA_MAPS_H */
