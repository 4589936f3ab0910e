// SPDX-License-Identifier: GPL-2.0
/*
 * A tc program for the adversarial tests (drop-filter.sh): drops the IPv4
 * packets from DROP_SRC (network-order constant given with -D) that are
 * TCP SYN-ACKs, or, with -DDROP_UDP_PORT=N, UDP datagrams to port N. It
 * holds a hand-off in its connecting window while an attack runs.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>

__attribute__((section("tc"), used)) int
drop_filter(struct __sk_buff *skb)
{
	void *d = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = d;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != __builtin_bswap16(ETH_P_IP) || ip->ihl != 5 ||
	    ip->saddr != DROP_SRC)
		return TC_ACT_OK;
#ifdef DROP_UDP_PORT
	struct udphdr *uh = (void *)(ip + 1);

	if (ip->protocol == IPPROTO_UDP && (void *)(uh + 1) <= end &&
	    uh->dest == __builtin_bswap16(DROP_UDP_PORT))
		return TC_ACT_SHOT;
#else
	struct tcphdr *th = (void *)(ip + 1);

	if (ip->protocol == IPPROTO_TCP && (void *)(th + 1) <= end && th->syn && th->ack)
		return TC_ACT_SHOT;
#endif
	return TC_ACT_OK;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
