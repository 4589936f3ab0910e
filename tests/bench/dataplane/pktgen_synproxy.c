/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-pktgen --mode synproxy: established traffic at a fixed rate while a
 * spoofed SYN flood and a paced client hit a SYN-proxied nat VIP.
 *
 * Port 0 (client side), every lcore, each loop:
 *   established  ACKs cycling over --flows flows to --vip (a dsr VS whose
 *                flows the warm-up pass made), --est-rate packets per second
 *                in all; a packet due that the port does not take is lost
 *                (est_fail: the data plane's input was full)
 *   flood        SYNs of flows never seen before, spoofed sources
 *                (src_net + 0x8000..), to --flood-vip: --flood-rate per
 *                second, or unpaced (the generator's remaining rate)
 *   paced client lcore 0 only: --paced-rate new connections per second
 *                (sources src_net + 0x4000..) to --flood-vip; on the VIP's
 *                SYN-ACK it sends ACK + a 12-byte request naming the
 *                connection ("SGPC" id "\r\n\r\n"); a SYN not answered in
 *                200 ms is sent again (8 tries). It opens connections from
 *                SIGUSR1 (the script has read the tables; else 0.5 s before
 *                it stops) until 1 s before the measurement window ends.
 * Port 1: established packets come back IPIP-encapsulated (est_rx); the
 * member (--host-ip) answers ARP, a SYN with a SYN-ACK, the replayed
 * request with a RST, and marks that paced connection completed.
 * Established loss is counted over the whole run (warm-up, window and a
 * 300 ms drain after the last packet sent); rates over the window. A lcore
 * more than 10 ms behind its schedule skips what it missed (est_late: the
 * generator's own CPU was short, not offered, not lost).
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_memcpy.h>

#include "pktgen.h"

#define PACED_MAX     65536
#define PACED_HOST    0x4000 /* paced client sources: src_net + 0x4000 + id / 50000 */
#define FLOOD_HOST    0x8000 /* flood sources: src_net + 0x8000 .. 0xfffe */
#define PACED_RTO     200    /* ms between two SYNs of a paced connection */
#define PACED_TRIES   8
#define PACED_SCAN    256 /* pending paced connections looked at per loop */
#define DRAIN_MS      300 /* receiving after the last packet sent */
#define PACED_REQ_LEN 12  /* "SGPC", id, "\r\n\r\n" */
/* the TCP flags of an established packet back on port 1: Ethernet, IPIP, IPv4, TCP */
#define EST_INNER_FLAGS                                                   \
	(sizeof(struct rte_ether_hdr) + 2 * sizeof(struct rte_ipv4_hdr) + \
	 offsetof(struct rte_tcp_hdr, tcp_flags))

static const char paced_magic[4] = {'S', 'G', 'P', 'C'};

static uint8_t tmpl_flood[FRAME_LEN]; /* tmpl_syn to the flood VIP */
static volatile bool paced_go;	      /* SIGUSR1: the script read the tables */
static uint64_t paced_sent_tsc[PACED_MAX];
static uint8_t paced_tries[PACED_MAX];
static uint8_t paced_done[PACED_MAX]; /* set by whichever lcore sees the request */
static uint32_t paced_next;	      /* connections opened (lcore 0) */

static void
on_usr1(int sig __rte_unused)
{
	paced_go = true;
}

int
mix_init(void)
{
	struct rte_ipv4_hdr *ip =
		(struct rte_ipv4_hdr *)(tmpl_flood + sizeof(struct rte_ether_hdr));

	if (opt.flood_vip == 0 || opt.est_rate <= 0) {
		fprintf(stderr, "sg-pktgen: --mode synproxy needs --flood-vip and --est-rate\n");
		return -1;
	}
	rte_memcpy(tmpl_flood, tmpl_syn, FRAME_LEN);
	ip->dst_addr = opt.flood_vip;
	signal(SIGUSR1, on_usr1);
	return 0;
}

/* A SYN of the flood VIP's template from host @p host (of src_net), @p sport, ISN @p seq. */
static inline void
fill_vip_syn(uint8_t *p, uint32_t host, uint16_t sport, uint32_t seq)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);

	rte_memcpy(p, tmpl_flood, FRAME_LEN);
	ip->src_addr = opt.src_net | rte_cpu_to_be_32(host & 0xffff);
	tcp->src_port = rte_cpu_to_be_16(sport);
	tcp->sent_seq = rte_cpu_to_be_32(seq);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
}

/* How many of @p k packets are due on a pacing clock of @p gap ticks; @p late counts skips. */
static unsigned int
due(uint64_t now, uint64_t *next, uint64_t gap, unsigned int k, uint64_t *late)
{
	uint64_t may;

	if (gap == 0)
		return k;
	if (*next + rte_get_timer_hz() / 100 < now) { /* > 10 ms behind: no catching up */
		if (late != NULL)
			*late += (now - *next) / gap;
		*next = now;
	}
	if (now < *next)
		return 0;
	may = (now - *next) / gap + 1;
	return may < k ? (unsigned int)may : k;
}

/* Established ACKs due now: sent, or lost when the port does not take them. */
static void
send_est(struct gen_lcore *g, uint16_t q, uint64_t now, uint64_t *next, uint64_t gap, uint64_t *f)
{
	struct rte_mbuf *tx[BURST];
	unsigned int k = due(now, next, gap, BURST, &g->est_late);
	uint16_t sent;

	if (k == 0 || rte_pktmbuf_alloc_bulk(pool, tx, k) != 0)
		return;
	for (unsigned int i = 0; i < k; i++) {
		uint8_t *p = rte_pktmbuf_mtod(tx[i], uint8_t *);

		rte_memcpy(p, tmpl, FRAME_LEN);
		fill_flow(p, *f % opt.flows, RTE_TCP_ACK_FLAG);
		tx[i]->data_len = tx[i]->pkt_len = FRAME_LEN;
		*f += n_gen;
	}
	sent = rte_eth_tx_burst(0, q, tx, (uint16_t)k);
	g->est_tx += sent;
	g->tx += sent;
	if (sent < k) {
		g->est_fail += k - sent;
		rte_pktmbuf_free_bulk(&tx[sent], k - sent);
	}
	*next += (uint64_t)k * gap;
}

/*
 * Flood SYNs of new spoofed flows. Those the port does not take wait in
 * @p held for the next try, so a full port costs no frame building.
 */
static void
send_flood(struct gen_lcore *g, uint16_t q, uint64_t now, uint64_t *next, uint64_t gap, uint64_t *f,
	   struct rte_mbuf **held, unsigned int *n_held)
{
	unsigned int k = due(now, next, gap, BURST, NULL), fresh;
	uint16_t sent;

	if (k < *n_held)
		k = *n_held;
	fresh = k - *n_held;
	if (k == 0 || (fresh > 0 && rte_pktmbuf_alloc_bulk(pool, &held[*n_held], fresh) != 0))
		return;
	for (unsigned int i = *n_held; i < k; i++) {
		uint64_t x = *f;

		fill_vip_syn(rte_pktmbuf_mtod(held[i], uint8_t *),
			     FLOOD_HOST + (uint32_t)(x / 50000 % 0x7fff),
			     (uint16_t)(1024 + x % 50000), (uint32_t)(x * 2654435761u));
		held[i]->data_len = held[i]->pkt_len = FRAME_LEN;
		*f += n_gen;
	}
	sent = rte_eth_tx_burst(0, q, held, (uint16_t)k);
	g->syn += sent;
	g->tx += sent;
	*n_held = k - sent;
	if (sent > 0 && sent < k)
		for (unsigned int i = 0; i < *n_held; i++)
			held[i] = held[sent + i];
	if (gap != 0)
		*next += (uint64_t)sent * gap;
}

/* One SYN of paced connection @p id; true when the port took it. */
static bool
paced_syn(uint32_t id, uint64_t now)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL)
		return false;
	fill_vip_syn(rte_pktmbuf_mtod(m, uint8_t *), PACED_HOST + id / 50000,
		     (uint16_t)(1024 + id % 50000), id * 2654435761u);
	m->data_len = m->pkt_len = FRAME_LEN;
	if (rte_eth_tx_burst(0, 0, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		return false;
	}
	paced_sent_tsc[id] = now;
	paced_tries[id]++;
	return true;
}

/* Lcore 0: open the paced connections due, re-send the SYNs of those not answered. */
static void
paced_client(struct gen_lcore *g, uint64_t now, uint64_t *next, uint64_t gap, uint64_t t_go,
	     uint64_t t_stop, uint32_t *first)
{
	uint64_t rto = rte_get_timer_hz() / 1000 * PACED_RTO;
	uint32_t i, n;

	if (now >= t_go && now < t_stop && paced_next < PACED_MAX &&
	    due(now, next, gap, 1, NULL) == 1 && paced_syn(paced_next, now)) {
		paced_next++;
		g->paced_syn++;
		*next += gap;
	}
	while (*first < paced_next && (__atomic_load_n(&paced_done[*first], __ATOMIC_RELAXED) ||
				       paced_tries[*first] >= PACED_TRIES))
		(*first)++;
	for (i = *first, n = 0; i < paced_next && n < PACED_SCAN; i++, n++)
		if (!__atomic_load_n(&paced_done[i], __ATOMIC_RELAXED) &&
		    paced_tries[i] < PACED_TRIES && now - paced_sent_tsc[i] >= rto &&
		    paced_syn(i, now))
			g->paced_retx++;
}

/* The paced client's request: "SGPC", the connection's id (big-endian), CRLF CRLF. */
static void
paced_request(uint8_t *req, uint32_t id)
{
	static const uint8_t tail[4] = {'\r', '\n', '\r', '\n'};

	for (unsigned int i = 0; i < 4; i++) {
		req[i] = (uint8_t)paced_magic[i];
		req[4 + i] = (uint8_t)(id >> (24 - 8 * i));
		req[8 + i] = tail[i];
	}
}

/* Port 0: the paced client's SYN-ACKs answered; the flood's counted and dropped. */
static void
mix_client_rx(struct gen_lcore *g, struct rte_mbuf **pkts, uint16_t n, uint16_t q)
{
	struct rte_mbuf *out[BURST];
	uint16_t no = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ipv4_hdr *ip;
		uint32_t plen, host;
		struct rte_tcp_hdr *tcp = rx_tcp(g, 0, m, q, &ip, &plen);
		uint8_t fl;

		if (tcp == NULL)
			continue;
		fl = tcp->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG);
		host = rte_be_to_cpu_32(ip->dst_addr) & 0xffff;
		if (fl == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) && host >= PACED_HOST &&
		    host < FLOOD_HOST) {
			uint32_t id = (host - PACED_HOST) * 50000 +
				      rte_be_to_cpu_16(tcp->dst_port) - 1024;
			uint8_t req[PACED_REQ_LEN];

			paced_request(req, id);
			tcp_answer(m, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
				   rte_be_to_cpu_32(tcp->recv_ack),
				   rte_be_to_cpu_32(tcp->sent_seq) + 1, 0, req, sizeof(req));
			out[no++] = m;
			g->paced_ack++;
			continue;
		}
		if (fl == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG))
			g->synack++;
		else if (fl & RTE_TCP_RST_FLAG)
			g->c_rst++;
		else
			g->c_other++;
		rte_pktmbuf_free(m);
	}
	tx_answers(g, 0, q, out, no);
}

/* The paced connection a replayed request names, or PACED_MAX. */
static uint32_t
request_id(const struct rte_tcp_hdr *tcp, uint32_t plen)
{
	const uint8_t *d = (const uint8_t *)tcp + (tcp->data_off >> 4) * 4;
	uint32_t id;

	if (plen < 8 || memcmp(d, paced_magic, 4) != 0)
		return PACED_MAX;
	id = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
	return id < PACED_MAX ? id : PACED_MAX;
}

/* Port 1: established packets (IPIP) counted; the member's side of the paced connections. */
static void
mix_member_rx(struct gen_lcore *g, struct rte_mbuf **pkts, uint16_t n, uint16_t q)
{
	struct rte_mbuf *out[BURST];
	uint16_t no = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
		struct rte_tcp_hdr *tcp;
		uint32_t plen, id;

		if (likely(eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
			   m->data_len >= EST_INNER_FLAGS + 1 &&
			   ip->next_proto_id == IPPROTO_IPIP)) {
			/* our ACKs; the warm-up pass's SYNs may still be arriving */
			if (rte_pktmbuf_mtod(m, const uint8_t *)[EST_INNER_FLAGS] ==
			    RTE_TCP_ACK_FLAG) {
				g->est_rx++;
				g->rx++;
			}
			rte_pktmbuf_free(m);
			continue;
		}
		tcp = rx_tcp(g, 1, m, q, &ip, &plen);
		if (tcp == NULL)
			continue;
		/* the replayed request names its paced connection (read before the answer) */
		id = (tcp->tcp_flags & RTE_TCP_RST_FLAG) ? PACED_MAX : request_id(tcp, plen);
		if (id < PACED_MAX)
			__atomic_store_n(&paced_done[id], 1, __ATOMIC_RELAXED);
		if (member_tcp(g, m, ip, tcp, plen))
			out[no++] = m;
		else
			rte_pktmbuf_free(m);
	}
	tx_answers(g, 1, q, out, no);
}

int
mix_main(struct gen_lcore *g)
{
	const uint16_t q = g->idx;
	const uint64_t hz = rte_get_timer_hz();
	const uint64_t est_gap = (uint64_t)((double)hz * n_gen / opt.est_rate);
	const uint64_t flood_gap =
		opt.flood_rate > 0 ? (uint64_t)((double)hz * n_gen / opt.flood_rate) : 0;
	const uint64_t paced_gap = opt.paced_rate > 0 ? (uint64_t)((double)hz / opt.paced_rate) : 0;
	uint64_t now = rte_get_timer_cycles(), est_next = now, flood_next = now, paced_nx = now;
	uint64_t est_f = g->idx, flood_f = g->idx, t_go = UINT64_MAX, t_stop = 0;
	uint32_t first = 0;
	struct rte_mbuf *rx[BURST], *flood_held[BURST];
	unsigned int n_flood_held = 0, loops = 0;

	while (!quit && phase < 2 && !links_lost(&loops)) {
		uint16_t n;

		now = rte_get_timer_cycles();
		send_est(g, q, now, &est_next, est_gap, &est_f);
		if (g->idx == 0 && paced_gap != 0) {
			if (t_stop == 0 && phase == 1) { /* the measurement window began */
				double open_s = opt.seconds > 2 ? opt.seconds - 1 : opt.seconds / 2;

				t_stop = now + (uint64_t)(open_s * (double)hz);
				t_go = t_stop - hz / 2; /* unless SIGUSR1 comes first */
			}
			if (paced_go && t_go > now && t_stop != 0) {
				t_go = now;
				paced_nx = now;
			}
			paced_client(g, now, &paced_nx, paced_gap, t_go, t_stop, &first);
		}
		send_flood(g, q, now, &flood_next, flood_gap, &flood_f, flood_held, &n_flood_held);
		n = rte_eth_rx_burst(0, q, rx, BURST);
		if (n)
			mix_client_rx(g, rx, n, q);
		n = rte_eth_rx_burst(1, q, rx, BURST);
		if (n)
			mix_member_rx(g, rx, n, q);
	}
	if (n_flood_held > 0)
		rte_pktmbuf_free_bulk(flood_held, n_flood_held);
	/* drain: what is still in the rings is received, not lost */
	for (uint64_t end = rte_get_timer_cycles() + hz / 1000 * DRAIN_MS;
	     rte_get_timer_cycles() < end;) {
		uint16_t n = rte_eth_rx_burst(0, q, rx, BURST);

		if (n)
			mix_client_rx(g, rx, n, q);
		n = rte_eth_rx_burst(1, q, rx, BURST);
		if (n)
			mix_member_rx(g, rx, n, q);
	}
	return 0;
}

void
mix_report(const struct gen_lcore *s0, const struct gen_lcore *s1, double secs)
{
	uint64_t est_tx = s1->est_tx - s0->est_tx, est_fail = s1->est_fail - s0->est_fail;
	uint64_t flood = s1->syn - s0->syn, completed = 0, all_tx = 0, all_fail = 0, all_rx = 0;

	/* loss over the whole run (warm-up, window, drain): no packet in flight at either end */
	for (unsigned int i = 0; i < n_gen; i++) {
		all_tx += lc[i].est_tx;
		all_fail += lc[i].est_fail;
		all_rx += lc[i].est_rx;
	}
	for (uint32_t i = 0; i < paced_next; i++)
		completed += paced_done[i] != 0;
	printf(", \"est_rate\": %.0f, \"est_offered\": %" PRIu64 ", \"est_sent\": %" PRIu64
	       ", \"est_rx\": %" PRIu64 ", \"est_late\": %" PRIu64
	       ", \"est_loss\": %.6f, \"est_loss_of_sent\": %.6f, \"est_offered_mpps\": %.4f"
	       ", \"flood_syn\": %" PRIu64 ", \"flood_mpps\": %.4f, \"flood_synacks\": %" PRIu64
	       ", \"paced_rate\": %.0f, \"paced_opened\": %u, \"paced_completed\": %" PRIu64
	       ", \"paced_syn_retx\": %" PRIu64 ", \"paced_acks\": %" PRIu64
	       ", \"paced_go_signal\": %s, \"vm_syns\": %" PRIu64 ", \"completed\": %" PRIu64
	       ", \"client_rst\": %" PRIu64 ", \"tx_fail\": %" PRIu64 ", \"bad\": %" PRIu64,
	       opt.est_rate, all_tx + all_fail, all_tx, all_rx, s1->est_late - s0->est_late,
	       all_tx + all_fail ? 1.0 - (double)all_rx / (double)(all_tx + all_fail) : 0.0,
	       all_tx ? 1.0 - (double)all_rx / (double)all_tx : 0.0,
	       (double)(est_tx + est_fail) / secs / 1e6, flood, (double)flood / secs / 1e6,
	       s1->synack - s0->synack, opt.paced_rate, paced_next, completed, s1->paced_retx,
	       s1->paced_ack, paced_go ? "true" : "false", s1->vm_syn - s0->vm_syn,
	       s1->done - s0->done, s1->c_rst - s0->c_rst, s1->tx_fail - s0->tx_fail,
	       s1->bad - s0->bad);
}
