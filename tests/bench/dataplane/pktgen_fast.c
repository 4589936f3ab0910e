/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-pktgen's established / new / sink loops, built for speed: one frame
 * template per lcore, copied whole (64 or 128 bytes) and patched in three
 * places per packet (source address, source port, the checksums updated
 * from sums of the template computed once: no per-packet checksum pass),
 * mbufs taken from the pool in bulk without a per-mbuf reset, bursts of
 * --burst (default 64), an optional pace (--rate) and, with --latency, a
 * TSC timestamp in the last 16 bytes of each frame, read back on port 1
 * into a log-linear histogram. IPv6 (--v6): the same over IPv6, the member
 * addresses answered by neighbour discovery on port 1.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_memcpy.h>

#include "pktgen.h"

#define LAT_MAGIC 0x4d544753u /* "SGTM" */
#define LAT_TAIL  16	      /* magic, pad, TSC: the last 16 bytes of a frame */
#define ND_NS	  135
#define ND_NA	  136

/* One lcore's frame: the template and the sums of everything that does not vary. */
struct fast_tmpl {
	uint8_t frame[128] __rte_aligned(64);
	uint16_t len;
	uint16_t addr_off; /* the 32 bits of the source address that vary */
	uint16_t port_off; /* the source port */
	uint16_t ipck_off; /* IPv4 header checksum; 0 = none (IPv6) */
	uint16_t l4ck_off; /* TCP / UDP checksum */
	uint32_t ip_base;  /* IPv4 header sum without the source address */
	uint32_t l4_base;  /* pseudo-header + L4 sum without address and port */
	bool udp_zero_ok;  /* UDP: a computed 0 goes out as 0xffff */
	bool stamp;	   /* --latency: UDP checksum 0 (none), TSC in the tail */
};

/* The IPv6 frame: Ethernet, IPv6, TCP (74 bytes) or UDP (62 bytes) to --vip6. */
static uint16_t
build_v6(uint8_t *p, uint8_t flags)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	uint16_t l4len = opt.udp ? sizeof(struct rte_udp_hdr) : sizeof(struct rte_tcp_hdr);

	memcpy(p, tmpl, sizeof(*eth));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	memset(ip, 0, sizeof(*ip) + l4len);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(l4len);
	ip->proto = opt.udp ? IPPROTO_UDP : IPPROTO_TCP;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, opt.src6, 16);
	memcpy(ip->dst_addr, opt.vip6, 16);
	if (opt.udp) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

		u->dst_port = rte_cpu_to_be_16(opt.dport);
		u->dgram_len = rte_cpu_to_be_16(l4len);
	} else {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);

		t->dst_port = rte_cpu_to_be_16(opt.dport);
		t->sent_seq = rte_cpu_to_be_32(1);
		t->data_off = 5 << 4;
		t->tcp_flags = flags;
		t->rx_win = rte_cpu_to_be_16(65535);
	}
	return (uint16_t)(sizeof(*eth) + sizeof(*ip) + l4len);
}

/* Build @p t for TCP @p flags (SYN for new flows and the warm-up, else ACK). */
static void
fast_tmpl_init(struct fast_tmpl *t, uint8_t flags)
{
	const uint16_t l3 = sizeof(struct rte_ether_hdr);

	memset(t, 0, sizeof(*t));
	t->stamp = opt.latency;
	t->udp_zero_ok = !opt.udp;
	if (opt.v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(t->frame + l3);

		t->len = build_v6(t->frame, flags);
		t->addr_off = l3 + offsetof(struct rte_ipv6_hdr, src_addr) + 12;
		t->port_off = l3 + sizeof(*ip);
		t->l4ck_off = t->port_off + (opt.udp ? offsetof(struct rte_udp_hdr, dgram_cksum)
						     : offsetof(struct rte_tcp_hdr, cksum));
		memset(t->frame + t->addr_off, 0, 4);
		t->l4_base = rte_ipv6_phdr_cksum(ip, 0) +
			     rte_raw_cksum(ip + 1, rte_be_to_cpu_16(ip->payload_len));
		return;
	}
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(t->frame + l3);
	uint16_t l4len;

	memcpy(t->frame, tmpl, FRAME_LEN);
	t->len = FRAME_LEN;
	if (!opt.udp)
		((struct rte_tcp_hdr *)(ip + 1))->tcp_flags = flags;
	t->addr_off = l3 + offsetof(struct rte_ipv4_hdr, src_addr);
	t->port_off = l3 + sizeof(*ip);
	t->ipck_off = l3 + offsetof(struct rte_ipv4_hdr, hdr_checksum);
	t->l4ck_off = t->port_off + (opt.udp ? offsetof(struct rte_udp_hdr, dgram_cksum)
					     : offsetof(struct rte_tcp_hdr, cksum));
	ip->src_addr = 0;
	ip->hdr_checksum = 0;
	memset(t->frame + t->port_off, 0, 2);
	memset(t->frame + t->l4ck_off, 0, 2);
	t->ip_base = rte_raw_cksum(ip, sizeof(*ip));
	l4len = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - sizeof(*ip));
	t->l4_base = rte_ipv4_phdr_cksum(ip, 0) + rte_raw_cksum(ip + 1, l4len);
}

/* Flow f into @p p from @p t: the tuple of fill_tuple(), checksums updated. */
static inline void
fast_fill(const struct fast_tmpl *t, uint8_t *p, uint64_t f)
{
	uint32_t host = (uint32_t)(f / 50000) + 1;
	uint16_t port = rte_cpu_to_be_16((uint16_t)(1024 + f % 50000));
	uint32_t addr =
		opt.v6 ? rte_cpu_to_be_32(host) : opt.src_net | rte_cpu_to_be_32(host & 0xffff);
	uint16_t ck;

	rte_mov64(p, t->frame);
	if (t->len > 64)
		rte_mov64(p + 64, t->frame + 64);
	memcpy(p + t->addr_off, &addr, 4);
	memcpy(p + t->port_off, &port, 2);
	if (t->ipck_off != 0) {
		ck = (uint16_t)~__rte_raw_cksum_reduce(t->ip_base + word_sum(addr));
		memcpy(p + t->ipck_off, &ck, 2);
	}
	if (t->stamp) {
		uint32_t mg = LAT_MAGIC;
		uint64_t now = rte_rdtsc();

		memcpy(p + t->len - LAT_TAIL, &mg, 4);
		memcpy(p + t->len - 8, &now, 8);
		return; /* UDP over IPv4: checksum 0, none */
	}
	ck = (uint16_t)~__rte_raw_cksum_reduce(t->l4_base + word_sum(addr) + port);
	if (ck == 0 && !t->udp_zero_ok)
		ck = 0xffff;
	memcpy(p + t->l4ck_off, &ck, 2);
}

/* Log-linear latency buckets: 8 ns wide below 1024 ns, then 64 per power of two. */
static inline unsigned int
lat_bucket(uint64_t ns)
{
	unsigned int e;

	if (ns < 1024)
		return (unsigned int)(ns >> 3);
	e = 63u - (unsigned int)__builtin_clzll(ns);
	if (e > 40)
		return LAT_BUCKETS - 1;
	return 128 + (e - 10) * 64 + (unsigned int)((ns >> (e - 6)) & 63);
}

/* A bucket's middle, in ns. */
static double
lat_value(unsigned int b)
{
	unsigned int e;

	if (b < 128)
		return b * 8.0 + 4;
	e = (b - 128) / 64 + 10;
	return (double)(1ull << e) + ((b - 128) % 64 + 0.5) * (double)(1ull << (e - 6));
}

/* Port 1 frames with our timestamp: their latency into @p g's histogram. */
static inline void
lat_record(struct gen_lcore *g, struct rte_mbuf **pkts, uint16_t n, uint64_t tsc_per_us)
{
	uint64_t now = rte_rdtsc();

	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		uint32_t mg;
		uint64_t ts;

		if (pkts[i]->data_len < 60)
			continue;
		memcpy(&mg, p + pkts[i]->data_len - LAT_TAIL, 4);
		memcpy(&ts, p + pkts[i]->data_len - 8, 8);
		if (mg != LAT_MAGIC || ts > now)
			continue;
		g->lat[lat_bucket((now - ts) * 1000 / tsc_per_us)]++;
		g->lat_n++;
	}
}

/* The histogram of all lcores: p50, p99, p99.9 and the count as JSON fields. */
void
lat_report(void)
{
	static uint64_t all[LAT_BUCKETS];
	static const double qs[] = {0.5, 0.99, 0.999};
	static const char *const names[] = {"lat_p50_ns", "lat_p99_ns", "lat_p999_ns"};
	uint64_t n = 0, acc = 0;
	unsigned int q = 0;

	for (unsigned int i = 0; i < n_gen; i++) {
		if (lc[i].lat == NULL)
			continue;
		for (unsigned int b = 0; b < LAT_BUCKETS; b++)
			all[b] += lc[i].lat[b];
		n += lc[i].lat_n;
	}
	printf(", \"lat_n\": %" PRIu64, n);
	for (unsigned int b = 0; b < LAT_BUCKETS && q < RTE_DIM(qs) && n > 0; b++) {
		acc += all[b];
		while (q < RTE_DIM(qs) && (double)acc >= qs[q] * (double)n)
			printf(", \"%s\": %.0f", names[q++], lat_value(b));
	}
}

/* An IPv6 neighbour solicitation for a member address: answered on port 1. */
static bool
nd_answer(struct rte_mbuf *m, uint16_t q)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	uint8_t *icmp = (uint8_t *)(ip + 1), *tgt = icmp + 8, *opt_ll = icmp + 24;
	uint32_t low;
	uint16_t ck;

	if (m->data_len < sizeof(*eth) + sizeof(*ip) + 24 || ip->proto != IPPROTO_ICMPV6 ||
	    icmp[0] != ND_NS || memcmp(tgt, opt.host6, 12) != 0)
		return false;
	memcpy(&low, tgt + 12, 4);
	if (rte_be_to_cpu_32(low) - rte_be_to_cpu_32(opt.host6_low) >= opt.vms)
		return false;
	/* NA: to the solicitor, from the target, S and O flags, target's link-layer address */
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&mac1, &eth->src_addr);
	memcpy(ip->dst_addr, ip->src_addr, 16);
	memcpy(ip->src_addr, tgt, 16);
	ip->payload_len = rte_cpu_to_be_16(32);
	ip->hop_limits = 255;
	icmp[0] = ND_NA;
	icmp[1] = 0;
	memset(icmp + 2, 0, 6);
	icmp[4] = 0x60; /* solicited, override */
	opt_ll[0] = 2;	/* target link-layer address */
	opt_ll[1] = 1;
	memcpy(opt_ll + 2, &mac1, 6);
	ck = (uint16_t)~__rte_raw_cksum_reduce(rte_ipv6_phdr_cksum(ip, 0) +
					       rte_raw_cksum(icmp, 32));
	memcpy(icmp + 2, &ck, 2);
	m->data_len = m->pkt_len = sizeof(*eth) + sizeof(*ip) + 32;
	if (rte_eth_tx_burst(1, q, &m, 1) != 1)
		rte_pktmbuf_free(m);
	return true;
}

/*
 * Port 1 frames that are not ours to count: ARP and neighbour solicitations
 * for the member addresses are answered; true when @p m was consumed.
 */
bool
member_ctrl(struct rte_mbuf *m, uint16_t q)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		member_arp(m, q);
		rte_pktmbuf_free(m);
		return true;
	}
	if (opt.v6 && eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) && nd_answer(m, q))
		return true;
	return false;
}

/* Receive on port 1: count (latency with --latency), answer ARP / ND. */
static inline void
fast_rx1(struct gen_lcore *g, uint16_t q, uint64_t tsc_per_us)
{
	struct rte_mbuf *rx[MAX_BURST];
	uint16_t n = rte_eth_rx_burst(1, q, rx, opt.burst), k = 0;

	if (n == 0)
		return;
	if (opt.latency && phase == 1)
		lat_record(g, rx, n, tsc_per_us);
	for (uint16_t i = 0; i < n; i++) {
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(rx[i], struct rte_ether_hdr *);

		/* the data plane's frames are IPv4 (IPIP, GUE) or IPv6 beyond the ND answers */
		if (unlikely(
			    eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) ||
			    (opt.v6 && eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6))) &&
		    member_ctrl(rx[i], q))
			continue;
		rx[k++] = rx[i];
	}
	g->rx += k;
	rte_pktmbuf_free_bulk(rx, k);
}

/* Take @p n mbufs without the per-mbuf reset (tx frees reset them). */
static inline int
fast_alloc(struct rte_mbuf **m, unsigned int n, uint16_t len)
{
	if (rte_mempool_get_bulk(pool, (void **)m, n) != 0)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		m[i]->data_off = RTE_PKTMBUF_HEADROOM;
		m[i]->data_len = len;
		m[i]->pkt_len = len;
		m[i]->ol_flags = 0;
	}
	return 0;
}

/* One burst of flows @p f, @p f + n_gen, ... into @p tx; the next flow out. */
static inline uint64_t
fast_burst(const struct fast_tmpl *t, struct rte_mbuf **tx, unsigned int k, uint64_t f,
	   uint64_t span)
{
	for (unsigned int i = 0; i < k; i++) {
		fast_fill(t, rte_pktmbuf_mtod(tx[i], uint8_t *), f);
		f += n_gen;
		if (f >= span)
			f %= span;
	}
	return f;
}

/* Established / new: --burst frames per loop (paced with --rate), port 1 counted. */
int
fast_main(struct gen_lcore *g)
{
	static struct fast_tmpl tmpls[MAX_LCORES];
	struct fast_tmpl *t = &tmpls[g->idx];
	const uint16_t q = g->idx;
	const uint64_t hz = rte_get_timer_hz(), tsc_per_us = rte_get_tsc_hz() / 1000000;
	const uint64_t gap = opt.rate > 0 ? (uint64_t)((double)hz * n_gen / opt.rate) : 0;
	/* paced: how far behind its schedule the lcore may be before it skips
	 * (--catch-up: 10 ms, then bursts at full rate until it is on time) */
	const uint64_t slack = opt.catch_up ? hz / 100 : gap * opt.burst;
	/* new flows: the tuple space (2^24 tuples) without wrapping in a run */
	const uint64_t span = opt.new_flows ? UINT64_MAX : opt.flows;
	uint64_t f = g->idx % span, next = rte_get_timer_cycles();
	struct rte_mbuf *tx[MAX_BURST];
	unsigned int loops = 0;

	fast_tmpl_init(t, opt.new_flows ? RTE_TCP_SYN_FLAG : RTE_TCP_ACK_FLAG);
	if (opt.latency) {
		g->lat = calloc(LAT_BUCKETS, sizeof(*g->lat));
		if (g->lat == NULL)
			return -1;
	}
	while (!quit && phase < 2 && !links_lost(&loops)) {
		unsigned int k = opt.burst;
		uint16_t sent;

		if (gap > 0) {
			uint64_t now = rte_get_timer_cycles();

			/*
			 * Paced: what is due, never more than a burst. An lcore
			 * that fell further behind (descheduled on a shared CPU)
			 * skips what it missed (pace_late) instead of catching up
			 * with bursts at its full rate, which would measure the
			 * forwarder's ring at line rate, not the pace.
			 */
			if (now >= next + slack) {
				uint64_t to = opt.catch_up ? now : now - slack;

				g->est_late += (to - next) / gap;
				next = to;
			}
			k = now < next ? 0 : (unsigned int)RTE_MIN((now - next) / gap + 1, k);
		}
		if (k > 0 && fast_alloc(tx, k, t->len) == 0) {
			uint64_t nf = fast_burst(t, tx, k, f, span);

			sent = rte_eth_tx_burst(0, q, tx, (uint16_t)k);
			g->tx += sent;
			if (sent < k && gap > 0 && !opt.catch_up) {
				/* paced, as a wire: what the forwarder's ring refused is lost */
				g->est_fail += k - sent;
				rte_pktmbuf_free_bulk(&tx[sent], k - sent);
				sent = (uint16_t)k;
			} else if (sent < k) {
				g->est_fail += k - sent; /* --catch-up: retried */
				rte_pktmbuf_free_bulk(&tx[sent], k - sent);
				/* the flows not sent go first next time */
				nf = f + (uint64_t)sent * n_gen;
				nf = span == UINT64_MAX ? nf : nf % span;
			}
			f = nf;
			next += (uint64_t)sent * gap;
		}
		fast_rx1(g, q, tsc_per_us);
		{ /* port 0: the forwarder's ARP, nothing to answer */
			struct rte_mbuf *rx[MAX_BURST];
			uint16_t n = rte_eth_rx_burst(0, q, rx, MAX_BURST);

			if (n)
				rte_pktmbuf_free_bulk(rx, n);
		}
	}
	return 0;
}

/* --mode sink: count what arrives on both ports (a txonly generator's rate). */
int
sink_main(struct gen_lcore *g)
{
	const uint16_t q = g->idx;
	struct rte_mbuf *rx[MAX_BURST];
	unsigned int loops = 0;

	while (!quit && phase < 2 && !links_lost(&loops)) {
		for (uint16_t port = 0; port < 2; port++) {
			uint16_t n = rte_eth_rx_burst(port, q, rx, MAX_BURST);

			if (n) {
				g->rx += n;
				rte_pktmbuf_free_bulk(rx, n);
			}
		}
	}
	return 0;
}

/* The warm-up pass: one SYN (UDP: datagram) per flow, on queue 0. */
void
fast_warmup(void)
{
	static struct fast_tmpl t;
	struct rte_mbuf *tx[BURST];
	uint64_t f = 0;
	unsigned int loops = 0;

	fast_tmpl_init(&t, RTE_TCP_SYN_FLAG);
	t.stamp = false;
	while (f < opt.flows && !quit && !links_lost(&loops)) {
		unsigned int k = opt.flows - f < BURST ? (unsigned int)(opt.flows - f) : BURST;
		uint16_t sent;

		if (fast_alloc(tx, k, t.len) != 0)
			continue;
		for (unsigned int i = 0; i < k; i++)
			fast_fill(&t, rte_pktmbuf_mtod(tx[i], uint8_t *), f + i);
		sent = rte_eth_tx_burst(0, 0, tx, (uint16_t)k);
		if (sent < k)
			rte_pktmbuf_free_bulk(&tx[sent], k - sent);
		f += sent;
		fast_rx1(&lc[0], 0, 1);
	}
}
