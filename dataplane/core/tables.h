/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Forwarding tables built from a configuration (tables.c): ports, local
 * addresses, virtual services with their scheduler state, pools, members,
 * NAT addresses, routes. Read-only once published.
 */
#ifndef SG_DP_CORE_TABLES_H
#define SG_DP_CORE_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_hash.h>

#include "sg_dp.h"
#include "core/addr.h"

#define SG_DP_MAGLEV_DEFAULT 65537u
#define SG_DP_MAGLEV_MAX     1000003u /**< largest accepted lookup table size */
#define SG_DP_WRR_SEQ_MAX    65536u   /**< longest precomputed WRR sequence */
#define SG_DP_NO_MEMBER	     UINT16_MAX
/**
 * Bits of the tables' address filter (a power of two): 4096, 512 bytes, so
 * that with ~40 addresses (VIPs, NAT, own) about 1 % of clients' addresses
 * pass it and pay the hash lookup (256 bits let ~15 % through).
 */
#define SG_DP_ADDR_FILTER_SHIFT 12
#define SG_DP_ADDR_FILTER_BITS	(1u << SG_DP_ADDR_FILTER_SHIFT)

/** Kinds of local address (bit set). */
#define SG_DP_ADDR_VIP 0x1
#define SG_DP_ADDR_NAT 0x2
#define SG_DP_ADDR_OWN 0x4
/**
 * A peer appliance's NAT address (appliance.cluster.bgp.backup, with state
 * sync on): never answered or passed to the kernel; a NAT return to it that
 * misses a flow is handed to the worker its port names, where the synced
 * copy lives (doc/dataplane.md, "State sync: the workers' side").
 */
#define SG_DP_ADDR_PEER_NAT 0x8

struct sg_dp_addr_info {
	uint8_t kinds;	   /**< SG_DP_ADDR_* */
	uint8_t own_ports; /**< bit per port that owns it (SG_DP_ADDR_OWN) */
};

/** One member of a pool, as the tables hold it. */
struct sg_dp_member {
	char name[SG_CFG_NAME_MAX];
	const char *pool;    /**< name of its pool (in the tables) */
	uint16_t slot;	     /**< counter slot */
	uint32_t weight;     /**< configured */
	uint32_t eff_weight; /**< for new flows: weight when up, else 0 */
	uint8_t state;	     /**< enum sg_msg_member_st (core/health.h) */
	struct sg_dp_ip addr;
	uint16_t port;		/**< host order, 0 = VS port */
	struct sg_dp_ip host;	/**< DSR underlay address (addr when unset in config) */
	uint32_t passive_fails; /**< its pool's passive.consecutive_failures; 0 = not watched */
};

struct sg_dp_pool {
	char name[SG_CFG_NAME_MAX];
	struct sg_dp_member *members;
	unsigned int n_members;
};

struct sg_dp_vs {
	char name[SG_CFG_NAME_MAX];
	uint16_t slot; /**< counter slot */
	struct sg_dp_ip vip;
	uint16_t port; /**< host order */
	uint8_t proto;
	enum sg_cfg_mode mode;
	enum sg_cfg_sched sched;
	enum sg_cfg_encap encap;
	uint16_t gue_port; /**< host order */
	const struct sg_dp_pool *pool;
	uint32_t max_flows;
	uint64_t tmo_tcp_est; /**< idle timeouts in TSC cycles */
	uint64_t tmo_tcp_trans;
	uint64_t tmo_udp;
	/* scheduler state, read-only after build */
	uint16_t *maglev; /**< maglev_size entries: index in pool->members or SG_DP_NO_MEMBER */
	uint32_t maglev_size;
	uint16_t *wrr; /**< wrr_len member indices */
	uint32_t wrr_len;
	unsigned int n_active; /**< members of @c pool with effective weight > 0 */
	/* member health (core/health.h) */
	unsigned int n_cfg_active;	   /**< members of the configured pool with weight > 0 */
	enum sg_cfg_no_member no_live;	   /**< what a new flow gets when n_active is 0 */
	const struct sg_dp_pool *cfg_pool; /**< the configured pool (@c pool: its fallback) */
	/* brokered / redirect */
	struct sg_cfg_brokered br;
	uint64_t hold_tmo; /**< br.hold_timeout_ms in TSC cycles */
	/* SYN proxy (nat + tcp; dataplane/session/synproxy.c) */
	enum sg_cfg_syn_proxy syn_proxy;
	uint32_t syn_proxy_rate;     /**< auto: SYN/s to the VS (all workers) */
	uint32_t syn_proxy_fill_pct; /**< auto: flow-table / NAT-port fill, % */
	uint32_t syn_proxy_hold_s;   /**< auto: calm seconds before off */
};

struct sg_dp_port_tab {
	bool present;
	struct rte_ether_addr mac;
	uint16_t mtu;
	struct sg_cfg_addr addr4, addr6, gw4, gw6;
};

struct sg_dp_tables {
	struct sg_dp_port_tab ports[SG_DP_PORTS_MAX];
	struct sg_dp_vs *vs;
	unsigned int n_vs;
	struct sg_dp_pool *pools;
	unsigned int n_pools;
	struct sg_dp_member *members; /**< all members of all pools */
	unsigned int n_members;
	struct rte_hash *vs_hash;   /**< sg_dp_flow_key (dst, dport, proto, family) -> vs */
	struct rte_hash *addr_hash; /**< sg_dp_flow_key (dst, family) -> addr_info */
	/**
	 * A bit per hashed fold of each address of addr_hash (tables.c,
	 * addr_fold()): an address whose bit is clear is none of ours without a
	 * hash lookup (the source check of every new flow).
	 */
	uint64_t addr_filter[SG_DP_ADDR_FILTER_BITS / 64];
	struct sg_dp_addr_info *addr_info;
	unsigned int n_addrs;
	struct sg_dp_ip nat_addrs[SG_CFG_NAT_ADDRS_MAX];
	unsigned int n_nat4, n_nat6;
	struct sg_dp_ip nat4[SG_CFG_NAT_ADDRS_MAX], nat6[SG_CFG_NAT_ADDRS_MAX];
	uint16_t nat_port_min, nat_port_max;
	uint64_t generation; /**< unique per build */
	/* counter slot owners (names point into vs[] / members[]) */
	const struct sg_dp_vs *vs_by_slot[SG_DP_VS_SLOTS];
	const struct sg_dp_member *member_by_slot[SG_DP_MEMBER_SLOTS];
	/* member health: the reset walk's request to every worker */
	uint64_t reset_epoch; /**< bumped when a member enters RESET (core/health.h) */
	uint64_t reset_slots[SG_DP_MEMBER_SLOTS / 64]; /**< member slots in RESET */
	/** member slots DOWN or in RESET: their UDP flows are scheduled again (worker/reuse.h) */
	uint64_t down_slots[SG_DP_MEMBER_SLOTS / 64];
};

/** Whether counter slot @p slot belongs to a member in RESET in @p t. */
static inline bool
sg_dp_tables_slot_reset(const struct sg_dp_tables *t, uint16_t slot)
{
	return slot < SG_DP_MEMBER_SLOTS && (t->reset_slots[slot / 64] >> (slot % 64)) & 1;
}

/** Whether counter slot @p slot belongs to a member DOWN or in RESET in @p t. */
static inline bool
sg_dp_tables_slot_down(const struct sg_dp_tables *t, uint16_t slot)
{
	return slot < SG_DP_MEMBER_SLOTS && (t->down_slots[slot / 64] >> (slot % 64)) & 1;
}

const struct sg_dp_addr_info *sg_dp_tables_addr(const struct sg_dp_tables *t, uint8_t family,
						const uint8_t *a);
const struct sg_dp_vs *sg_dp_tables_vs(const struct sg_dp_tables *t, uint8_t family,
				       const uint8_t *vip, uint16_t port_be, uint8_t proto);
/**
 * Route @p dst: egress port and next hop (the destination when on-link,
 * else the port's gateway). Returns -1 when no present port reaches it.
 */
int sg_dp_route(const struct sg_dp_tables *t, uint8_t family, const uint8_t *dst,
		struct sg_dp_ip *nexthop);
bool sg_dp_prefix_match(const struct sg_cfg_addr *pfx, uint8_t family, const uint8_t *a);
void sg_dp_ip_from_cfg(struct sg_dp_ip *ip, const struct sg_cfg_addr *a);

#endif /* SG_DP_CORE_TABLES_H */
