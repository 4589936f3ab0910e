/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * NAT (nat.c): the source-port pools of a worker, one per NAT address, and
 * the address / port rewrite with incremental checksum updates.
 */
#ifndef SG_DP_CORE_NAT_H
#define SG_DP_CORE_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "core/addr.h"
#include "core/csum.h"
#include "core/parse.h"
#include "core/tables.h"

struct sg_dp_worker;

/** Port pools a worker can hold: every NAT address, and as many removed ones still in use. */
#define SG_DP_NAT_POOLS (2 * SG_CFG_NAT_ADDRS_MAX)

/**
 * The NAT source ports of one worker for one NAT address: a FIFO of free
 * ports (a port is reused as late as possible) and a bitmap of the ports in
 * use. A pool whose address left the tables hands out nothing and is freed
 * when its last port comes back.
 */
struct sg_dp_nat_pool {
	struct sg_dp_ip addr; /**< family 0: slot free */
	bool live;	      /**< address of the current tables: hands out ports */
	uint32_t head, n;     /**< FIFO position and free ports in it */
	uint32_t n_used;      /**< ports handed out and not yet returned */
	uint32_t n_stale;     /**< FIFO entries reserved meanwhile (skipped when met) */
	uint16_t *fifo;	      /**< sg_dp_nat_alloc.fifo_cap entries */
	uint64_t *used;	      /**< bitmap of 65536 ports */
};

/** Slots of the address -> pool hint (a power of two). */
#define SG_DP_NAT_HINTS 64

/** NAT port pools of one worker, one per (NAT address, worker); built without allocation. */
struct sg_dp_nat_alloc {
	struct sg_dp_nat_pool pool[SG_DP_NAT_POOLS];
	/** pool index last found for an address hashing here: checked, then the pools searched */
	uint8_t hint[SG_DP_NAT_HINTS];
	void *mem;	   /**< every pool's FIFO and bitmap */
	uint32_t fifo_cap; /**< ports one worker can own: ceil(65536 / workers) */
	uint64_t gen;	   /**< generation of the tables the pools follow */
	bool synced;	   /**< gen is valid */
	uint16_t min, max; /**< port range the FIFOs were built for */
};

/**
 * Allocate the pools of a worker of @p n_workers on @p socket.
 * @return 0, or -ENOMEM.
 */
int sg_dp_nat_alloc_init(struct sg_dp_nat_alloc *na, unsigned int n_workers, int socket);
/** Free what sg_dp_nat_alloc_init() allocated (safe on a zeroed or freed allocator). */
void sg_dp_nat_alloc_free(struct sg_dp_nat_alloc *na);
/**
 * Follow the tables @p t: a pool per NAT address of @p t, FIFOs rebuilt for
 * a new port range (no allocation). Cheap when @p t is the tables of the
 * last call; called by every allocation and by sg_dp_worker_expire().
 */
void sg_dp_nat_sync(struct sg_dp_worker *w, const struct sg_dp_tables *t);
/**
 * A free port (host order) of worker @p w for NAT address @p nat (one of
 * @p t's): 0 when its pool is empty. Takes no port from other flows: see
 * sg_dp_flow_nat_port() for the allocation that reclaims.
 */
uint16_t sg_dp_nat_port_get(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			    const struct sg_dp_ip *nat);
/**
 * Take NAT port @p port (host order) of address @p nat out of worker @p w's
 * pool for a flow synced from a peer (core/sync.h): no local flow gets it
 * until sg_dp_nat_port_put() gives it back.
 * @return 0, -ENOENT when @p nat is not one of @p t's NAT addresses (nothing
 *   to reserve), -EBUSY when a local flow uses the port.
 */
int sg_dp_nat_port_reserve(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			   const struct sg_dp_ip *nat, uint16_t port);
/** Give back @p port (host order) of NAT address @p nat; ignores a port not in use. */
void sg_dp_nat_port_put(struct sg_dp_worker *w, const struct sg_dp_ip *nat, uint16_t port);
/**
 * Free and used ports of worker @p w for NAT address @p nat (telemetry; a
 * racy read from another lcore is fine).
 * @return 0, or -ENOENT when the worker holds no pool for @p nat (yet).
 */
int sg_dp_nat_pool_ports(const struct sg_dp_worker *w, const struct sg_dp_ip *nat, uint32_t *n_free,
			 uint32_t *n_used);
/** Worker owning NAT port @p port (host order): the same for every NAT address. */
static inline unsigned int
sg_dp_nat_port_owner(uint16_t port, unsigned int n_workers)
{
	return n_workers > 1 ? port % n_workers : 0;
}
/*
 * Rewrite the packet's source and destination (address + port, ports in
 * network order) and decrement its TTL / hop limit, updating the IPv4
 * header checksum and the TCP/UDP checksum (pseudo-header included)
 * incrementally. The packet was validated by the parser (TCP or UDP,
 * headers in the first segment). The addresses' change is summed once for
 * both checksums, in 32-bit words, and each checksum folded once: the same
 * result as RFC 1624's update word by word (one's-complement sums do not
 * depend on the grouping; a sum is zero only when every term is). Inline,
 * for the established packet's path (worker.c); @p src and @p dst hold 16
 * bytes (an IPv4 address in the first four). sg_dp_nat_rewrite(): the same
 * out of line.
 */
static __rte_always_inline void
sg_dp_nat_rewrite_inl(struct rte_mbuf *m, const struct sg_dp_pkt *p, const uint8_t *src,
		      uint16_t sport, const uint8_t *dst, uint16_t dport)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l2_len);
	uint8_t *l4 = l3 + p->l3_len;
	bool v4 = p->key.family == AF_INET, udp = p->key.proto == IPPROTO_UDP;
	uint16_t ck, ports[2] = {sport, dport};
	uint8_t *l4ck;
	uint64_t d_addr;

	if (v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		uint8_t *ip_src = (uint8_t *)&ip->src_addr, *ip_dst = (uint8_t *)&ip->dst_addr;
		const uint8_t tp[2] = {(uint8_t)(ip->time_to_live - 1), ip->next_proto_id};
		uint16_t oldw, neww;

		d_addr = sg_dp_csum_delta32(ip_src, src, 1) + sg_dp_csum_delta32(ip_dst, dst, 1);
		memcpy(ip_src, src, 4);
		memcpy(ip_dst, dst, 4);
		/*
		 * TTL and protocol: one 16-bit word, the new one built in a
		 * register (read back after the TTL's 1-byte store, it waited
		 * for that store to reach the cache: ~9 % of the burst's samples)
		 */
		memcpy(&oldw, &ip->time_to_live, 2);
		memcpy(&neww, tp, 2);
		memcpy(&ip->time_to_live, &neww, 2);
		ip->hdr_checksum = sg_dp_csum_apply(ip->hdr_checksum,
						    d_addr + (uint16_t)~oldw + (uint64_t)neww);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		d_addr = sg_dp_csum_delta32(ip->src_addr, src, 4) +
			 sg_dp_csum_delta32(ip->dst_addr, dst, 4);
		memcpy(ip->src_addr, src, 16);
		memcpy(ip->dst_addr, dst, 16);
		ip->hop_limits--;
	}

	l4ck = l4 + (udp ? offsetof(struct rte_udp_hdr, dgram_cksum)
			 : offsetof(struct rte_tcp_hdr, cksum));
	memcpy(&ck, l4ck, 2);
	if (!(udp && ck == 0 && v4)) { /* IPv4 UDP 0: no checksum */
		/* source and destination port: one 32-bit word */
		ck = sg_dp_csum_apply(ck,
				      d_addr + sg_dp_csum_delta32(l4, (const uint8_t *)ports, 1));
		if (udp && ck == 0)
			ck = 0xffff;
		memcpy(l4ck, &ck, 2);
	}
	memcpy(l4, ports, 4);
}

/** The checksum changes sg_dp_nat4_ck_make() makes, in this order. */
enum sg_dp_nat4_ck {
	SG_DP_NAT4_CK_FWD_IP, /**< forward, IPv4 header */
	SG_DP_NAT4_CK_FWD_L4, /**< forward, TCP / UDP */
	SG_DP_NAT4_CK_RET_IP, /**< return, IPv4 header */
	SG_DP_NAT4_CK_RET_L4, /**< return, TCP / UDP */
	SG_DP_NAT4_CK_N
};

/**
 * The checksum changes of an IPv4 NAT flow's two rewrites, made once when
 * the flow gets its NAT address and port (struct sg_dp_flow n4.ck):
 * forward, client @p client : @p sport -> VIP @p vip : @p dport becomes
 * @p nat : @p nat_port -> @p member : @p mport; return, the other way.
 * Each the sum (RFC 1624: ~m + m') of the address words and the TTL's
 * decrement (IPv4 header) or of the address and port words (TCP / UDP,
 * pseudo-header), folded to 16 bits. Ports in network order; addresses 4
 * bytes.
 */
static inline void
sg_dp_nat4_ck_make(uint16_t ck[SG_DP_NAT4_CK_N], const uint8_t *client, uint16_t sport,
		   const uint8_t *vip, uint16_t dport, const uint8_t *nat, uint16_t nat_port,
		   const uint8_t *member, uint16_t mport)
{
	const uint16_t fwd_old[2] = {sport, dport}, fwd_new[2] = {nat_port, mport};
	const uint8_t one[2] = {1, 0}; /* the TTL's byte of its 16-bit word, as loaded */
	uint64_t fwd, ret, ttl;
	uint16_t v;

	memcpy(&v, one, 2);
	ttl = (uint16_t)~v; /* TTL - 1 (it is at least 2: the forward drops 1 and 0) */
	fwd = sg_dp_csum_delta32(client, nat, 1) + sg_dp_csum_delta32(vip, member, 1);
	ret = sg_dp_csum_delta32(member, vip, 1) + sg_dp_csum_delta32(nat, client, 1);
	ck[SG_DP_NAT4_CK_FWD_IP] = sg_dp_csum_fold64(fwd + ttl);
	ck[SG_DP_NAT4_CK_RET_IP] = sg_dp_csum_fold64(ret + ttl);
	ck[SG_DP_NAT4_CK_FWD_L4] = sg_dp_csum_fold64(
		fwd + sg_dp_csum_delta32((const uint8_t *)fwd_old, (const uint8_t *)fwd_new, 1));
	ck[SG_DP_NAT4_CK_RET_L4] = sg_dp_csum_fold64(
		ret + sg_dp_csum_delta32((const uint8_t *)fwd_new, (const uint8_t *)fwd_old, 1));
}

/**
 * sg_dp_nat_rewrite_inl() of an IPv4 packet of a flow whose checksum
 * changes @p d_ip, @p d_l4 were made by sg_dp_nat4_ck_make() (its key
 * matched the packet: the addresses and ports replaced are the ones they
 * were made from): no old word read back and summed, one fold a checksum
 * (41 instructions a packet less in dp_flowperf nat_est_udp, callgrind).
 * The packet's TTL (p->ttl) is at least 2: the forward drops the others.
 */
static __rte_always_inline void
sg_dp_nat_rewrite4_ck(struct rte_mbuf *m, const struct sg_dp_pkt *p, const uint8_t *src,
		      uint16_t sport, const uint8_t *dst, uint16_t dport, uint16_t d_ip,
		      uint16_t d_l4)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, p->l2_len);
	uint8_t *l4 = (uint8_t *)ip + p->l3_len;
	bool udp = p->key.proto == IPPROTO_UDP;
	uint8_t *l4ck = l4 + (udp ? offsetof(struct rte_udp_hdr, dgram_cksum)
				  : offsetof(struct rte_tcp_hdr, cksum));
	uint16_t ck, ports[2] = {sport, dport};

	memcpy(&ip->src_addr, src, 4);
	memcpy(&ip->dst_addr, dst, 4);
	ip->time_to_live = (uint8_t)(p->ttl - 1);
	ip->hdr_checksum = sg_dp_csum_apply16(ip->hdr_checksum, d_ip);
	memcpy(&ck, l4ck, 2);
	if (!(udp && ck == 0)) { /* IPv4 UDP 0: no checksum */
		ck = sg_dp_csum_apply16(ck, d_l4);
		if (udp && ck == 0)
			ck = 0xffff;
		memcpy(l4ck, &ck, 2);
	}
	memcpy(l4, ports, 4);
}

/** sg_dp_nat_rewrite_inl(), out of line: the session layer's and the tests' calls. */
void sg_dp_nat_rewrite(struct rte_mbuf *m, const struct sg_dp_pkt *p, const uint8_t *src,
		       uint16_t sport, const uint8_t *dst, uint16_t dport);

#endif /* SG_DP_CORE_NAT_H */
