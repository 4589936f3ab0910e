/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-pktgen: the data-plane benchmark's traffic generator.
 *
 * Two ports (memif, server role): it transmits 60-byte (64 with FCS) TCP
 * frames to VIP:port on port 0, varying source address and port over
 * --flows flows, and counts every frame that comes back on port 1. On
 * port 1 it also plays the backend host: it answers the forwarder's ARP
 * requests for --host-ip, and announces it at start so the forwarder
 * learns its MAC. One queue pair per lcore on each port.
 *
 * Modes:
 *   established  a warm-up pass sends one SYN per flow, then ACKs cycle
 *                over the flows (every packet hits an existing flow)
 *   new          every packet is a SYN of a flow never sent before
 *
 * The main lcore only keeps time; generator lcores (at least one) each own
 * a queue pair and every n-th flow. Output: one JSON line with tx/rx
 * packets, seconds and Mpps of the measurement window (after --warmup).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#define BURST	   32
#define FRAME_LEN  60
#define MAX_LCORES 64

struct gen_opts {
	uint32_t flows;
	double seconds;
	double warmup;
	bool new_flows;
	bool arp;
	uint32_t vip;	    /* network order */
	uint16_t dport;	    /* host order */
	uint32_t src_net;   /* network order, /16 base of client addresses */
	uint32_t host_ip;   /* network order, the backend host on port 1 */
	uint32_t fwd_ip;    /* network order, the forwarder's outside address */
	uint32_t fwd_in_ip; /* network order, the forwarder's inside address */
	struct rte_ether_addr dst_mac;
	bool dst_mac_set;
};

struct gen_lcore {
	unsigned int idx;
	uint64_t tx, rx;
} __rte_cache_aligned;

static struct gen_opts opt = {
	.flows = 1,
	.seconds = 5,
	.warmup = 2,
	.arp = true,
	.dport = 80,
};
static struct gen_lcore lc[MAX_LCORES];
static unsigned int n_gen;
static struct rte_mempool *pool;
static struct rte_ether_addr mac0, mac1;
static volatile bool quit;
static volatile int phase; /* 0 warm-up, 1 measuring, 2 done */
static uint8_t tmpl[FRAME_LEN];

static void
on_signal(int sig __rte_unused)
{
	quit = true;
}

static uint32_t
parse_ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "sg-pktgen: bad IPv4 address %s\n", s);
		exit(2);
	}
	return a.s_addr;
}

static double
parse_num(const char *opt_name, const char *s, double min, double max)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "sg-pktgen: --%s wants a number in %g..%g, not '%s'\n", opt_name,
			min, max, s);
		exit(2);
	}
	return v;
}

static void
build_template(void)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)tmpl;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);

	memset(tmpl, 0, sizeof(tmpl));
	rte_ether_addr_copy(&opt.dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&mac0, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(FRAME_LEN - sizeof(*eth));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = opt.src_net;
	ip->dst_addr = opt.vip;
	tcp->src_port = rte_cpu_to_be_16(1024);
	tcp->dst_port = rte_cpu_to_be_16(opt.dport);
	tcp->sent_seq = rte_cpu_to_be_32(1);
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = RTE_TCP_SYN_FLAG;
	tcp->rx_win = rte_cpu_to_be_16(65535);
}

/* Flow f: source address src_net + f / 50000 (+1), source port 1024 + f % 50000. */
static inline void
fill_flow(uint8_t *p, uint64_t f, uint8_t flags)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t host = (uint32_t)(f / 50000) + 1;

	ip->src_addr = opt.src_net | rte_cpu_to_be_32(host & 0xffff);
	tcp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + f % 50000));
	tcp->tcp_flags = flags;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tcp->cksum = 0;
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
}

static void
send_arp(uint16_t port, const struct rte_ether_addr *src, uint16_t op, uint32_t sip,
	 const struct rte_ether_addr *tha, uint32_t tip, uint16_t q)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	if (op == RTE_ARP_OP_REPLY)
		rte_ether_addr_copy(tha, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(src, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = sip;
	if (tha != NULL)
		rte_ether_addr_copy(tha, &arp->arp_data.arp_tha);
	else
		memset(&arp->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	arp->arp_data.arp_tip = tip;
	m->data_len = m->pkt_len = FRAME_LEN;
	if (rte_eth_tx_burst(port, q, &m, 1) != 1)
		rte_pktmbuf_free(m);
}

/* Port 1 traffic: answer ARP for the host address; count everything else. */
static unsigned int
handle_rx1(struct rte_mbuf **pkts, uint16_t n, uint16_t q)
{
	unsigned int counted = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);

		if (unlikely(eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))) {
			struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

			if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) &&
			    arp->arp_data.arp_tip == opt.host_ip)
				send_arp(1, &mac1, RTE_ARP_OP_REPLY, opt.host_ip,
					 &arp->arp_data.arp_sha, arp->arp_data.arp_sip, q);
			continue;
		}
		counted++;
	}
	rte_pktmbuf_free_bulk(pkts, n);
	return counted;
}

/* Port 0 traffic: learn the forwarder's MAC from its ARP reply; drop the rest. */
static void
handle_rx0(struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);

		if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
			struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

			if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY) &&
			    arp->arp_data.arp_sip == opt.fwd_ip && !opt.dst_mac_set) {
				rte_ether_addr_copy(&arp->arp_data.arp_sha, &opt.dst_mac);
				opt.dst_mac_set = true;
			}
		}
	}
	rte_pktmbuf_free_bulk(pkts, n);
}

static int
gen_main(void *arg)
{
	struct gen_lcore *g = arg;
	const uint16_t q = g->idx;
	struct rte_mbuf *tx[BURST], *rx[BURST];
	/* Each lcore owns every n_gen-th flow. */
	uint64_t f = g->idx;
	const uint64_t span = opt.flows;

	while (!quit && phase < 2) {
		uint16_t n, sent;

		if (rte_pktmbuf_alloc_bulk(pool, tx, BURST) == 0) {
			for (unsigned int i = 0; i < BURST; i++) {
				uint8_t *p = rte_pktmbuf_mtod(tx[i], uint8_t *);
				uint64_t flow = opt.new_flows ? f : f % span;

				rte_memcpy(p, tmpl, FRAME_LEN);
				fill_flow(p, flow,
					  opt.new_flows ? RTE_TCP_SYN_FLAG : RTE_TCP_ACK_FLAG);
				tx[i]->data_len = tx[i]->pkt_len = FRAME_LEN;
				f += n_gen;
			}
			sent = rte_eth_tx_burst(0, q, tx, BURST);
			g->tx += sent;
			if (sent < BURST)
				rte_pktmbuf_free_bulk(&tx[sent], BURST - sent);
		}
		n = rte_eth_rx_burst(1, q, rx, BURST);
		if (n)
			g->rx += handle_rx1(rx, n, q);
		n = rte_eth_rx_burst(0, q, rx, BURST);
		if (n)
			rte_pktmbuf_free_bulk(rx, n);
	}
	return 0;
}

static int
port_init(uint16_t port, uint16_t nq)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, nq, nq, &conf);
	if (rc != 0)
		return rc;
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, 1024, rte_socket_id(), NULL, pool);
		if (rc != 0)
			return rc;
		rc = rte_eth_tx_queue_setup(port, q, 1024, rte_socket_id(), NULL);
		if (rc != 0)
			return rc;
	}
	return rte_eth_dev_start(port);
}

static bool
links_up(void)
{
	struct rte_eth_link l0, l1;

	if (rte_eth_link_get_nowait(0, &l0) != 0 || rte_eth_link_get_nowait(1, &l1) != 0)
		return false;
	return l0.link_status && l1.link_status;
}

/* Prepare the forwarder: it learns the host from an ARP request, we learn it from its reply. */
static int
resolve(void)
{
	uint64_t deadline = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	struct rte_mbuf *rx[BURST];
	uint64_t next = 0;

	while (!quit && rte_get_timer_cycles() < deadline) {
		uint16_t n;

		if (rte_get_timer_cycles() > next) {
			send_arp(1, &mac1, RTE_ARP_OP_REQUEST, opt.host_ip, NULL, opt.fwd_in_ip, 0);
			if (!opt.dst_mac_set)
				send_arp(0, &mac0, RTE_ARP_OP_REQUEST,
					 opt.src_net | rte_cpu_to_be_32(1), NULL, opt.fwd_ip, 0);
			next = rte_get_timer_cycles() + rte_get_timer_hz() / 5;
		}
		n = rte_eth_rx_burst(0, 0, rx, BURST);
		if (n)
			handle_rx0(rx, n);
		n = rte_eth_rx_burst(1, 0, rx, BURST);
		if (n)
			handle_rx1(rx, n, 0);
		if (opt.dst_mac_set)
			return 0;
	}
	return -ETIMEDOUT;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: sg-pktgen EAL-ARGS -- [--flows N] [--seconds S] [--warmup S] [--new]\n"
		"         [--vip A] [--dport P] [--src-net A] [--host-ip A] [--fwd-ip A]\n"
		"         [--fwd-in-ip A] [--no-arp]\n");
}

static void
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{"flows", required_argument, NULL, 'f'},
		{"seconds", required_argument, NULL, 's'},
		{"warmup", required_argument, NULL, 'w'},
		{"new", no_argument, NULL, 'n'},
		{"vip", required_argument, NULL, 'v'},
		{"dport", required_argument, NULL, 'p'},
		{"src-net", required_argument, NULL, 'S'},
		{"host-ip", required_argument, NULL, 'H'},
		{"fwd-ip", required_argument, NULL, 'F'},
		{"fwd-in-ip", required_argument, NULL, 'I'},
		{"no-arp", no_argument, NULL, 'A'},
		{NULL, 0, NULL, 0},
	};
	int c;

	opt.vip = parse_ip("198.18.10.1");
	opt.src_net = parse_ip("198.19.0.0");
	opt.host_ip = parse_ip("198.18.1.11");
	opt.fwd_ip = parse_ip("198.18.2.2");
	opt.fwd_in_ip = parse_ip("198.18.1.2");
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			opt.flows = (uint32_t)parse_num("flows", optarg, 1, 1 << 24);
			break;
		case 's':
			opt.seconds = parse_num("seconds", optarg, 0.001, 600);
			break;
		case 'w':
			opt.warmup = parse_num("warmup", optarg, 0, 600);
			break;
		case 'n':
			opt.new_flows = true;
			break;
		case 'v':
			opt.vip = parse_ip(optarg);
			break;
		case 'p':
			opt.dport = (uint16_t)parse_num("dport", optarg, 1, 65535);
			break;
		case 'S':
			opt.src_net = parse_ip(optarg);
			break;
		case 'H':
			opt.host_ip = parse_ip(optarg);
			break;
		case 'F':
			opt.fwd_ip = parse_ip(optarg);
			break;
		case 'I':
			opt.fwd_in_ip = parse_ip(optarg);
			break;
		case 'A':
			opt.arp = false;
			break;
		default:
			usage();
			exit(2);
		}
	}
	if (opt.flows == 0 || opt.flows > (1u << 24) || opt.seconds <= 0 || opt.seconds > 600 ||
	    opt.warmup < 0 || opt.warmup > 600) {
		fprintf(stderr, "sg-pktgen: --flows 1..16M, --seconds 0..600, --warmup 0..600\n");
		exit(2);
	}
}

static void
sum(uint64_t *tx, uint64_t *rx)
{
	*tx = *rx = 0;
	for (unsigned int i = 0; i < n_gen; i++) {
		*tx += lc[i].tx;
		*rx += lc[i].rx;
	}
}

int
main(int argc, char **argv)
{
	uint64_t tx0, rx0, tx1, rx1, t0, t1, deadline;
	unsigned int lcore, i = 0;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "sg-pktgen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	parse_args(argc - n, argv + n);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rte_eth_dev_count_avail() != 2) {
		fprintf(stderr, "sg-pktgen: need exactly 2 ports, have %u\n",
			rte_eth_dev_count_avail());
		return 1;
	}
	if (rte_lcore_count() < 2) {
		fprintf(stderr, "sg-pktgen: needs a main lcore and at least one generator lcore "
				"(e.g. --lcores 0@0,1@0)\n");
		return 1;
	}
	n_gen = rte_lcore_count() - 1;
	if (n_gen > MAX_LCORES)
		n_gen = MAX_LCORES;
	pool = rte_pktmbuf_pool_create("gen", 65535, 512, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	if (pool == NULL || port_init(0, n_gen) != 0 || port_init(1, n_gen) != 0) {
		fprintf(stderr, "sg-pktgen: port set-up failed\n");
		return 1;
	}
	rte_eth_macaddr_get(0, &mac0);
	rte_eth_macaddr_get(1, &mac1);

	deadline = rte_get_timer_cycles() + 30 * rte_get_timer_hz();
	while (!links_up() && !quit && rte_get_timer_cycles() < deadline)
		rte_delay_ms(10);
	if (!links_up()) {
		fprintf(stderr, "sg-pktgen: memif links not up within 30 s\n");
		return 1;
	}
	if (opt.arp) {
		if (resolve() != 0) {
			fprintf(stderr,
				"sg-pktgen: forwarder did not answer ARP for its address\n");
			return 1;
		}
	} else {
		memset(&opt.dst_mac, 0xff, sizeof(opt.dst_mac));
	}
	build_template();

	if (!opt.new_flows && opt.flows > 1) {
		/* One SYN per flow so that the measurement sees established flows only. */
		struct rte_mbuf *tx[BURST];

		for (uint64_t f = 0; f < opt.flows && !quit;) {
			if (rte_pktmbuf_alloc_bulk(pool, tx, BURST) != 0)
				continue;
			for (unsigned int k = 0; k < BURST; k++, f++) {
				uint8_t *p = rte_pktmbuf_mtod(tx[k], uint8_t *);

				rte_memcpy(p, tmpl, FRAME_LEN);
				fill_flow(p, f % opt.flows, RTE_TCP_SYN_FLAG);
				tx[k]->data_len = tx[k]->pkt_len = FRAME_LEN;
			}
			uint16_t sent = rte_eth_tx_burst(0, 0, tx, BURST);

			if (sent < BURST) {
				rte_pktmbuf_free_bulk(&tx[sent], BURST - sent);
				f -= BURST - sent;
			}
			struct rte_mbuf *rx[BURST];
			uint16_t nr = rte_eth_rx_burst(1, 0, rx, BURST);

			if (nr)
				handle_rx1(rx, nr, 0);
		}
	}

	for (i = 0; i < n_gen; i++)
		lc[i].idx = i;
	i = 0;
	RTE_LCORE_FOREACH_WORKER (lcore) {
		if (i < n_gen)
			rte_eal_remote_launch(gen_main, &lc[i++], lcore);
	}
	rte_delay_us_sleep((unsigned int)(opt.warmup * 1e6));
	sum(&tx0, &rx0);
	t0 = rte_get_timer_cycles();
	phase = 1;
	rte_delay_us_sleep((unsigned int)(opt.seconds * 1e6));
	sum(&tx1, &rx1);
	t1 = rte_get_timer_cycles();
	phase = 2;
	rte_eal_mp_wait_lcore();

	{
		double secs = (double)(t1 - t0) / (double)rte_get_timer_hz();

		printf("{\"mode\": \"%s\", \"flows\": %u, \"lcores\": %u, \"seconds\": %.3f, "
		       "\"tx_pkts\": %" PRIu64 ", \"rx_pkts\": %" PRIu64 ", \"tx_mpps\": %.3f, "
		       "\"rx_mpps\": %.3f}\n",
		       opt.new_flows ? "new" : "established", opt.flows, n_gen, secs, tx1 - tx0,
		       rx1 - rx0, (double)(tx1 - tx0) / secs / 1e6,
		       (double)(rx1 - rx0) / secs / 1e6);
		fflush(stdout);
	}
	rte_eth_dev_stop(0);
	rte_eth_dev_stop(1);
	rte_eal_cleanup();
	return 0;
}
