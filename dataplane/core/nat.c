/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Full NAT: rewriting of addresses, ports and TTL with incremental
 * checksum updates, and the per-worker NAT source port allocator.
 *
 * Each worker owns the NAT ports p with p % n_workers == worker id, so the
 * destination port of a return packet names the worker that holds its
 * flow (sg_dp_nat_port_owner()). Free ports wait in a FIFO (a port is
 * reused as late as possible); the FIFO is rebuilt, without allocation,
 * when a reload changes the NAT port range.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "core/csum.h"
#include "core/nat.h"
#include "core/state.h"

#define NAT_PORTS 65536u

int
sg_dp_nat_alloc_init(struct sg_dp_nat_alloc *na, int socket)
{
	memset(na, 0, sizeof(*na));
	na->fifo = rte_malloc_socket("sgdp_nat_fifo", sizeof(uint16_t) * NAT_PORTS, 0, socket);
	na->used = rte_zmalloc_socket("sgdp_nat_used", NAT_PORTS, 0, socket);
	if (na->fifo == NULL || na->used == NULL) {
		sg_dp_nat_alloc_free(na);
		return -ENOMEM;
	}
	return 0;
}

void
sg_dp_nat_alloc_free(struct sg_dp_nat_alloc *na)
{
	rte_free(na->fifo);
	rte_free(na->used);
	memset(na, 0, sizeof(*na));
}

static void
nat_rebuild(struct sg_dp_worker *w, uint16_t min, uint16_t max)
{
	struct sg_dp_nat_alloc *na = &w->nat;
	uint32_t p;

	na->head = 0;
	na->n = 0;
	for (p = min; p <= max; p++)
		if (p != 0 && !na->used[p] &&
		    sg_dp_nat_port_owner((uint16_t)p, w->conf.n_workers) == w->conf.id)
			na->fifo[na->n++] = (uint16_t)p;
	na->min = min;
	na->max = max;
}

uint16_t
sg_dp_nat_port_get(struct sg_dp_worker *w, const struct sg_dp_tables *t)
{
	struct sg_dp_nat_alloc *na = &w->nat;
	uint16_t p;

	if (unlikely(na->min != t->nat_port_min || na->max != t->nat_port_max))
		nat_rebuild(w, t->nat_port_min, t->nat_port_max);
	if (na->n == 0)
		return 0;
	p = na->fifo[na->head];
	na->head = (na->head + 1) % NAT_PORTS;
	na->n--;
	na->used[p] = 1;
	return p;
}

void
sg_dp_nat_port_put(struct sg_dp_worker *w, uint16_t port)
{
	struct sg_dp_nat_alloc *na = &w->nat;

	if (!na->used[port])
		return;
	na->used[port] = 0;
	if (port >= na->min && port <= na->max && na->n < NAT_PORTS) {
		na->fifo[(na->head + na->n) % NAT_PORTS] = port;
		na->n++;
	}
}

/*
 * Rewrite the packet's source and destination (address + port, ports in
 * network order) and decrement its TTL / hop limit, updating the IPv4
 * header checksum and the TCP/UDP checksum (pseudo-header included)
 * incrementally. The packet was validated by the parser (TCP or UDP,
 * headers in the first segment).
 */
void
sg_dp_nat_rewrite(struct rte_mbuf *m, const struct sg_dp_pkt *p, const uint8_t *src, uint16_t sport,
		  const uint8_t *dst, uint16_t dport)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l2_len);
	uint8_t *l4 = l3 + p->l3_len;
	unsigned int alen = p->key.family == AF_INET ? 4 : 16;
	uint8_t *ip_src, *ip_dst;
	uint8_t *l4ck;
	uint16_t ck;
	bool udp = p->key.proto == IPPROTO_UDP;

	if (p->key.family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		uint8_t oldw[2] = {ip->time_to_live, ip->next_proto_id};
		uint8_t neww[2] = {(uint8_t)(ip->time_to_live - 1), ip->next_proto_id};

		ip_src = (uint8_t *)&ip->src_addr;
		ip_dst = (uint8_t *)&ip->dst_addr;
		ck = ip->hdr_checksum;
		ck = sg_dp_csum_replace(ck, oldw, neww, 2);
		ck = sg_dp_csum_replace(ck, ip_src, src, 4);
		ck = sg_dp_csum_replace(ck, ip_dst, dst, 4);
		ip->hdr_checksum = ck;
		ip->time_to_live--;
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		ip_src = ip->src_addr;
		ip_dst = ip->dst_addr;
		ip->hop_limits--;
	}

	l4ck = l4 + (udp ? offsetof(struct rte_udp_hdr, dgram_cksum)
			 : offsetof(struct rte_tcp_hdr, cksum));
	memcpy(&ck, l4ck, 2);
	if (!(udp && ck == 0 && p->key.family == AF_INET)) { /* IPv4 UDP 0: no checksum */
		uint16_t oldp[2], newp[2] = {sport, dport};

		memcpy(oldp, l4, 4); /* source and destination port */
		ck = sg_dp_csum_replace(ck, ip_src, src, alen);
		ck = sg_dp_csum_replace(ck, ip_dst, dst, alen);
		ck = sg_dp_csum_replace(ck, oldp, newp, 4);
		if (udp && ck == 0)
			ck = 0xffff;
		memcpy(l4ck, &ck, 2);
	}
	memcpy(ip_src, src, alen);
	memcpy(ip_dst, dst, alen);
	memcpy(l4, &sport, 2);
	memcpy(l4 + 2, &dport, 2);
}
