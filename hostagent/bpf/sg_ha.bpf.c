/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * sg-hostagent host datapath (tc clsact on the host's uplink).
 *
 * sg_ha_ingress: a packet encapsulated by sg-dataplane's DSR mode
 *   (IPv4-in-IPv4 proto 4, IPv6-in-IPv6 proto 41, or GUE variant 1: outer
 *   IP + UDP to the GUE port + inner IP packet) addressed to this host is
 *   parsed, its inner VIP:port:proto looked up in sg_ha_vips, the outer
 *   headers removed (bpf_skb_adjust_room), the inner destination rewritten
 *   to the VM's address:port with incremental checksum updates, and the
 *   packet handed to the kernel's routing (or bpf_redirect_neigh to a
 *   configured device).
 * sg_ha_egress: a reply leaving through the uplink whose source is a VM
 *   service address in sg_ha_rev is rewritten to come from the VIP:port,
 *   so the client sees the VIP and the guest needs no VIP configured.
 *
 * Brokered DSR hand-off (doc/sessions.md): a SYN carrying a struct
 *   sg_handoff_meta payload records the connection in sg_ha_hands (its VM
 *   comes from the payload, not from sg_ha_vips), loses the payload and
 *   goes to the VM. The VM's segments are returned to the data plane (outer
 *   IP + UDP to SG_HANDOFF_PORT + struct sg_handoff_bounce) until one
 *   acknowledges the bytes the data plane held; from then on they go to the
 *   client directly with sequence numbers, TSval and window translated to
 *   what the client negotiated with the data plane. The client's direction
 *   is translated by the data plane before encapsulation.
 *
 * Every packet ends in exactly one counter of sg_ha_ctrs.
 */
#include <linux/bpf.h>

#include "sg_ha_consts.h"
#include "sg_ha_structs.h"
#include "sg_ha_maps.h"
#include "sg_ha_pckt_parsing.h"
#include "sg_ha_decap.h"
#include "sg_ha_rewrite.h"
#include "sg_ha_encap.h"
#include "sg_ha_handoff.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tc")
int
sg_ha_ingress(struct __sk_buff *skb)
{
	__u32 zero = 0, outer_len, ctr, ifindex = 0;
	struct sg_ha_outer o;
	struct sg_handoff_meta meta;
	struct sg_ha_hand_key hk;
	struct sg_ha_hand *hand;
	struct sg_ha_conn_key ck;
	struct sg_ha_ep *seen;
	struct sg_ha_vip_val *vip;
	struct sg_ha_vstats *st;
	struct sg_ha_bpf_cfg *cfg;
	struct sg_ha_ep key, vm, hvm;
	struct l3info li;
	struct ethhdr eth;
	int family, drop, is_syn;

	/* 1. Encapsulated to this host? (sg_ha_decap.h) */
	cfg = bpf_map_lookup_elem(&sg_ha_cfg, &zero);
	if (!cfg || bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return count(SG_HA_CTR_PASS, TC_ACT_OK);
	drop = sg_ha_decap_parse(skb, eth.h_proto, cfg, &o);
	if (drop == SG_HA_DECAP_PASS)
		return count(SG_HA_CTR_PASS, TC_ACT_OK);
	if (drop)
		return count(drop, TC_ACT_SHOT);
	outer_len = o.len;
	ctr = o.ctr;
	family = o.family;

	/* 2. The inner packet's VIP:port (sg_ha_pckt_parsing.h). */
	drop = parse_ip(skb, ETH_HLEN + outer_len, family, 0, &key, &li);
	if (drop)
		return count(drop, TC_ACT_SHOT);
	/*
	 * 3. Where it goes. A static VIP first (the common DSR case: one lookup); a VIP:port
	 * without one may be a brokered hand-off (its SYN, or a connection
	 * recorded by one). A static VIP also takes hand-off SYNs (a SYN-proxied
	 * dsr service, doc/sessions.md): only a TCP packet of a hand-off SYN's
	 * length is read for one, the VM must be the static one, and the
	 * connection's later packets follow the static entry.
	 */
	is_syn = 0;
	vip = bpf_map_lookup_elem(&sg_ha_vips, &key);
	if (!vip || handoff_len(&li)) {
		is_syn = handoff_syn(skb, &li, &meta);
		if (is_syn < 0)
			return count(SG_HA_CTR_DROP_HANDOFF, TC_ACT_SHOT);
	}
	if (vip) {
		if (vip->vm.family != family)
			return count(SG_HA_CTR_DROP_NO_VIP, TC_ACT_SHOT);
		vm = vip->vm;
		ifindex = vip->ifindex;
	}
	if (is_syn || !vip) {
		hand_key(&hk, &key, &li);
		hand = bpf_map_lookup_elem(&sg_ha_hands, &hk);
		if (is_syn && (!hand || hand->state == SG_HA_HAND_PENDING)) {
			if (hand_record(&hk, &meta, family, o.src, o.dst, &eth, &hvm) ||
			    (vip && !ep_eq(&hvm, &vm)))
				return count(SG_HA_CTR_DROP_HANDOFF, TC_ACT_SHOT);
			vm = hvm;
		} else if (!vip && hand) {
			vm = hand->vm;
		} else if (!vip) {
			return count(SG_HA_CTR_DROP_NO_VIP, TC_ACT_SHOT);
		}
	}

	/* 4. Decapsulate, lose a hand-off SYN's meta, rewrite VIP -> VM (sg_ha_rewrite.h). */
	if (sg_ha_decap_strip(skb, &o))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
	li.l4_off -= outer_len;
	li.csum_off -= outer_len;
	li.ip_end -= outer_len;
	if (is_syn && strip_meta(skb, &li, &meta))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
	if (rewrite(skb, &li, 0, &key, &vm))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);

	/* 5. Remember the VIP of the connection for its replies, count, deliver. */
	conn_key(&ck, &vm, &li);
	seen = bpf_map_lookup_elem(&sg_ha_conns, &ck);
	if (!seen || !ep_eq(seen, &key))
		bpf_map_update_elem(&sg_ha_conns, &ck, &key, BPF_ANY);

	st = bpf_map_lookup_elem(&sg_ha_vstats, &key);
	if (st) {
		st->rx_packets++;
		st->rx_bytes += skb->len;
	}
	if (is_syn)
		ctr = SG_HA_CTR_HANDOFF_SYN;
	if (ifindex)
		return count(ctr, bpf_redirect_neigh(ifindex, NULL, 0, 0));
	return count(ctr, TC_ACT_OK);
}

SEC("tc")
int
sg_ha_egress(struct __sk_buff *skb)
{
	struct sg_ha_conn_key ck;
	struct sg_ha_rev_val *rev;
	struct sg_ha_vstats *st;
	struct sg_ha_ep key, *vip;
	struct l3info li;
	struct ethhdr eth;
	int family, drop;
	__u32 ctr;

	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return count(SG_HA_CTR_PASS, TC_ACT_OK);
	if (eth.h_proto == bpf_htons(ETH_P_IP))
		family = SG_WIRE_FAMILY_V4;
	else if (eth.h_proto == bpf_htons(ETH_P_IPV6))
		family = SG_WIRE_FAMILY_V6;
	else
		return count(SG_HA_CTR_PASS, TC_ACT_OK);

	/* 1. A reply from a VM service: its VIP (the connection's, else sg_ha_rev). */
	drop = parse_ip(skb, ETH_HLEN, family, 1, &key, &li);
	if (drop == SG_HA_CTR_DROP_FRAGMENT)
		return count(SG_HA_CTR_RETURN_FRAGMENT, TC_ACT_OK);
	if (drop)
		return count(SG_HA_CTR_PASS, TC_ACT_OK); /* not ours to judge: the kernel sent it */
	conn_key(&ck, &key, &li);
	vip = bpf_map_lookup_elem(&sg_ha_conns, &ck);
	if (!vip) {
		rev = bpf_map_lookup_elem(&sg_ha_rev, &key);
		if (!rev)
			return count(SG_HA_CTR_PASS, TC_ACT_OK);
		vip = &rev->vip;
	}
	/* 2. A hand-off's segment: bounced to the data plane (sg_ha_encap.h) until the
	 * held bytes are acknowledged, then translated (sg_ha_handoff.h). */
	ctr = SG_HA_CTR_RETURN_REWRITE;
	if (li.proto == IPPROTO_TCP) {
		struct sg_ha_hand_key hk;
		struct sg_ha_hand *h;
		struct tcphdr th;

		hand_key(&hk, vip, &li);
		h = bpf_map_lookup_elem(&sg_ha_hands, &hk);
		if (h && bpf_skb_load_bytes(skb, li.l4_off, &th, sizeof(th)) == 0) {
			if (h->state == SG_HA_HAND_PENDING) {
				/* its SYN-ACK; nothing held: done with it already */
				if (th.syn && th.ack) {
					hand_learn(skb, &li, &th, h);
					if (seq_ge(bpf_ntohl(th.ack_seq), h->held_end))
						h->state = SG_HA_HAND_DONE;
				}
				return bounce(skb, h);
			}
			if (h->state == SG_HA_HAND_REPLAY) {
				if (th.ack && seq_ge(bpf_ntohl(th.ack_seq), h->held_end))
					h->state = SG_HA_HAND_DONE;
				return bounce(skb, h);
			}
			if (hand_xlate(skb, &li, &th, h))
				return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
			ctr = SG_HA_CTR_RETURN_XLATE;
		}
	}
	/* 3. Rewrite VM -> VIP, count. */
	if (rewrite(skb, &li, 1, &key, vip))
		return count(SG_HA_CTR_DROP_ADJUST, TC_ACT_SHOT);
	st = bpf_map_lookup_elem(&sg_ha_vstats, vip);
	if (st) {
		st->tx_packets++;
		st->tx_bytes += skb->len;
	}
	return count(ctr, TC_ACT_OK);
}
