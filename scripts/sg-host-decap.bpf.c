/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * sg-host-decap: the plain DSR decapsulator of the demo and test hosts.
 *
 * It stands in for the kernel's ipip / fou / ip6tnl devices, which the
 * kernels these tests run on do not have: on tc ingress it strips the
 * outer headers of sg-dataplane's DSR encapsulation (IPv4-in-IPv4,
 * IPv6-in-IPv6, GUE variant 1 to SG_HOST_DECAP_GUE_PORT, by default
 * SG_WIRE_GUE_PORT) with the host agent's own decapsulation
 * (hostagent/bpf/sg_ha_decap.h), and lets the inner packet, addressed to a
 * VIP on the host's loopback, go up the stack. Packets not encapsulated
 * pass untouched; malformed ones (bad lengths, fragments, inner family not
 * the outer's) are dropped and counted in its own sg_ha_ctrs map
 * (sg_ha_ctrs.h, enum sg_ha_ctr). The host agent's program (hostagent/) is the full version
 * with VIP -> VM rewriting and hand-offs.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_helpers.h>

#include "sessiongate/sg_wire.h"
#include "sg_ha_ctrs.h"
#include "sg_ha_decap.h"

#ifndef SG_HOST_DECAP_GUE_PORT
#define SG_HOST_DECAP_GUE_PORT SG_WIRE_GUE_PORT
#endif

/* Outer + inner headers: Ethernet, IPv6, IPv6. */
#define SG_PULL_LEN (14 + 40 + 40)

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tc")
int
sg_host_decap(struct __sk_buff *skb)
{
	const struct sg_ha_bpf_cfg cfg = {.gue_port = bpf_htons(SG_HOST_DECAP_GUE_PORT)};
	struct sg_ha_outer o;
	struct ethhdr eth;
	int rc;

	/*
	 * Frames sent through a packet socket's TX ring (DPDK net_af_packet)
	 * arrive with only the Ethernet header in the linear area: make the
	 * headers linear before they are moved.
	 */
	bpf_skb_pull_data(skb, skb->len < SG_PULL_LEN ? skb->len : SG_PULL_LEN);
	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return count(SG_HA_CTR_PASS, TC_ACT_OK);
	rc = sg_ha_decap_parse(skb, eth.h_proto, &cfg, &o);
	if (rc == SG_HA_DECAP_PASS)
		return count(SG_HA_CTR_PASS, TC_ACT_OK);
	if (rc)
		return count(rc, TC_ACT_SHOT);
	if (sg_ha_decap_strip(skb, &o))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
	return count(o.ctr, TC_ACT_OK);
}
