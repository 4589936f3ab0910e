/* SPDX-License-Identifier: BSD-3-Clause */
/* Counter names for telemetry: drops are "drop_<reason>", events name the event. */
#include "sg_dp.h"

static const char *const cnt_names[SG_DP_CNT_MAX] = {
	[SG_DP_DROP_TRUNC_L2] = "drop_trunc_l2",
	[SG_DP_DROP_VLAN] = "drop_vlan",
	[SG_DP_DROP_ETHERTYPE] = "drop_ethertype",
	[SG_DP_DROP_TRUNC_L3] = "drop_trunc_l3",
	[SG_DP_DROP_IP_VERSION] = "drop_ip_version",
	[SG_DP_DROP_IP_IHL] = "drop_ip_ihl",
	[SG_DP_DROP_IP_LEN] = "drop_ip_len",
	[SG_DP_DROP_IP_CSUM] = "drop_ip_csum",
	[SG_DP_DROP_IP_TTL] = "drop_ip_ttl",
	[SG_DP_DROP_IP_FRAG] = "drop_ip_frag",
	[SG_DP_DROP_IP_OPTIONS] = "drop_ip_options",
	[SG_DP_DROP_IP_SRC] = "drop_ip_src",
	[SG_DP_DROP_TRUNC_L4] = "drop_trunc_l4",
	[SG_DP_DROP_TCP_FLAGS] = "drop_tcp_flags",
	[SG_DP_DROP_L4_PROTO] = "drop_l4_proto",
	[SG_DP_DROP_ARP_BAD] = "drop_arp_bad",
	[SG_DP_DROP_ND_BAD] = "drop_nd_bad",
	[SG_DP_DROP_ICMP_BAD] = "drop_icmp_bad",
	[SG_DP_DROP_NOT_LOCAL] = "drop_not_local",
	[SG_DP_DROP_NO_VS] = "drop_no_vs",
	[SG_DP_DROP_NO_MEMBER] = "drop_no_member",
	[SG_DP_DROP_NO_FLOW] = "drop_no_flow",
	[SG_DP_DROP_FLOW_FULL] = "drop_flow_full",
	[SG_DP_DROP_VS_LIMIT] = "drop_vs_limit",
	[SG_DP_DROP_NAT_PORTS] = "drop_nat_ports",
	[SG_DP_DROP_NEIGH_MISS] = "drop_neigh_miss",
	[SG_DP_DROP_NO_ROUTE] = "drop_no_route",
	[SG_DP_DROP_MTU] = "drop_mtu",
	[SG_DP_DROP_HEADROOM] = "drop_headroom",
	[SG_DP_DROP_HANDOFF_FULL] = "drop_handoff_full",
	[SG_DP_DROP_TX_FULL] = "drop_tx_full",
	[SG_DP_DROP_VS_MODE] = "drop_vs_mode",
	[SG_DP_EV_FLOW_NEW] = "flow_new",
	[SG_DP_EV_FLOW_EXPIRED] = "flow_expired",
	[SG_DP_EV_FLOW_CLOSED] = "flow_closed",
	[SG_DP_EV_FLOW_EVICTED] = "flow_evicted",
	[SG_DP_EV_ARP_REPLY] = "arp_reply",
	[SG_DP_EV_ND_REPLY] = "nd_reply",
	[SG_DP_EV_ICMP_REPLY] = "icmp_reply",
	[SG_DP_EV_NEIGH_LEARN] = "neigh_learn",
	[SG_DP_EV_HANDOFF_OUT] = "handoff_out",
	[SG_DP_EV_HANDOFF_IN] = "handoff_in",
	[SG_DP_EV_CONSUMED] = "consumed",
	[SG_DP_EV_ICMP_TOOBIG] = "icmp_toobig",
};

const char *
sg_dp_cnt_name(enum sg_dp_cnt c)
{
	if ((unsigned int)c >= SG_DP_CNT_MAX || cnt_names[c] == NULL)
		return NULL;
	return cnt_names[c];
}
