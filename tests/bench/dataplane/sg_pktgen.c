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
 * Modes (--mode, or --new for "new"):
 *   established  a warm-up pass sends one SYN per flow, then ACKs cycle
 *                over the flows (every packet hits an existing flow)
 *   new          every packet is a SYN of a flow never sent before
 *   (--udp: both send 60-byte UDP datagrams of the same tuples instead,
 *   the warm-up pass one datagram per flow)
 *   synflood     every packet is a SYN (MSS option only) of a flow never
 *                sent before, to a brokered VIP; SYN-ACKs coming back on
 *                port 0 are counted (rx_pkts): each is a SYN absorbed
 *   brokered     a stateless TCP client on port 0 and a stateless VM on
 *                port 1, speaking just enough TCP for a brokered session:
 *                client: SYN (MSS only, no timestamps) for a new flow; on
 *                  the VIP's SYN-ACK, ACK + "GET / ..." computed from it
 *                  (seq = its ack, ack = its seq + 1)
 *                VM (every address of --host-ip .. + --vms - 1): answers
 *                  ARP; a SYN gets a SYN-ACK (ISN = hash of the 4-tuple);
 *                  a data segment (the held request, replayed by the data
 *                  plane) counts one completed connection and gets a RST
 *                At most --window connections are outstanding (SYNs sent
 *                minus completions; written off after a 50 ms stall) and
 *                --rate caps SYNs per second. rx_pkts = completions.
 *
 * In synflood and brokered modes port 0 also answers ARP for --gw-ip (the
 * forwarder's outside gateway, the next hop of NAT return traffic) and
 * announces it and the VMs at start.
 *
 * The main lcore only keeps time; generator lcores (at least one) each own
 * a queue pair and every n-th flow. Output: one JSON line with tx/rx
 * packets, seconds and Mpps of the measurement window (after --warmup),
 * and the per-mode counters of the same window.
 */
#include <errno.h>
#include <execinfo.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "pktgen.h"

static const char *const mode_names[] = {"established", "new",	    "synflood",
					 "brokered",	"synproxy", "sink"};

static const char http_req[] = "GET / HTTP/1.1\r\nHost: bench.example\r\n\r\n";

struct gen_opts opt = {
	.flows = 1,
	.seconds = 5,
	.warmup = 2,
	.arp = true,
	.dport = 80,
	.burst = 64,
};
struct gen_lcore lc[MAX_LCORES];
unsigned int n_gen;
struct rte_mempool *pool;
struct rte_ether_addr mac0, mac1;
volatile bool quit;
volatile int phase; /* 0 warm-up, 1 measuring, 2 done */
volatile bool link_lost;
/* what main is doing: named by a fatal signal's report */
static const char *volatile stage = "EAL start-up";
static const int fatal_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
static struct sigaction fatal_old[RTE_DIM(fatal_sigs)];
uint8_t tmpl[FRAME_LEN];
uint8_t tmpl_syn[FRAME_LEN]; /* SYN with an MSS option: synflood, brokered */
static uint64_t written_off; /* brokered: connections given up (stalls) */
static uint64_t stall_resets;

static void
on_signal(int sig __rte_unused)
{
	quit = true;
}

/*
 * A fatal signal (a bench round once ended in 139): where the run was, the
 * faulting address and the stack on stderr (the script prints it), then
 * the handler there was before (ASan's, or the default: the core) takes
 * the same fault again (a signal sent by kill is raised again).
 */
static void
on_fatal(int sig, siginfo_t *si, void *uc __rte_unused)
{
	char line[256];
	void *bt[32];
	int n = snprintf(
		line, sizeof(line),
		"sg-pktgen: signal %d (%s) at address %p, lcore %u, during %s%s; stack:\n", sig,
		sig == SIGSEGV	? "SEGV"
		: sig == SIGBUS ? "BUS"
		: sig == SIGILL ? "ILL"
				: "FPE",
		si->si_addr, rte_lcore_id(), stage, link_lost ? " (a memif link went down)" : "");

	if (n > 0 && write(STDERR_FILENO, line, RTE_MIN((size_t)n, sizeof(line) - 1)) > 0) {
		n = backtrace(bt, RTE_DIM(bt));
		backtrace_symbols_fd(bt, n, STDERR_FILENO);
	}
	for (unsigned int i = 0; i < RTE_DIM(fatal_sigs); i++)
		if (fatal_sigs[i] == sig)
			sigaction(sig, &fatal_old[i], NULL);
	if (si->si_code <= 0) /* sent (kill), not a fault that comes back on return */
		raise(sig);
}

static void
fatal_report_on(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (unsigned int i = 0; i < RTE_DIM(fatal_sigs); i++)
		sigaction(fatal_sigs[i], &sa, &fatal_old[i]);
}

/* Sleep @p s seconds, less when quit (a signal, or a link went down). */
static void
nap(double s)
{
	uint64_t end = rte_get_timer_cycles() + (uint64_t)(s * (double)rte_get_timer_hz());

	while (!quit && rte_get_timer_cycles() < end)
		rte_delay_us_sleep(10000);
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

static void
parse_ip6(const char *s, uint8_t *a)
{
	if (inet_pton(AF_INET6, s, a) != 1) {
		fprintf(stderr, "sg-pktgen: bad IPv6 address %s\n", s);
		exit(2);
	}
}

/* Modes with a TCP client on port 0 (and ARP answers for the gateway there). */
static inline bool
client_mode(void)
{
	return opt.mode == MODE_SYNFLOOD || opt.mode == MODE_BROKERED || opt.mode == MODE_SYNPROXY;
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

/* --udp: tmpl becomes a UDP datagram to VIP:port (18 bytes of zeros). */
static void
build_udp_template(void)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(tmpl + sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(udp, 0, FRAME_LEN - sizeof(struct rte_ether_hdr) - sizeof(*ip));
	ip->next_proto_id = IPPROTO_UDP;
	udp->src_port = rte_cpu_to_be_16(1024);
	udp->dst_port = rte_cpu_to_be_16(opt.dport);
	udp->dgram_len = rte_cpu_to_be_16(FRAME_LEN - sizeof(struct rte_ether_hdr) - sizeof(*ip));
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

	/* The same SYN with MSS 1460 (no timestamps: the cookie then needs no echo). */
	memcpy(tmpl_syn, tmpl, sizeof(tmpl_syn));
	eth = (struct rte_ether_hdr *)tmpl_syn;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	tcp = (struct rte_tcp_hdr *)(ip + 1);
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*tcp) + 4);
	tcp->data_off = 6 << 4;
	{
		uint8_t *o = (uint8_t *)(tcp + 1);

		o[0] = 2;
		o[1] = 4;
		o[2] = 1460 >> 8;
		o[3] = 1460 & 0xff;
	}
	if (opt.udp)
		build_udp_template();
}

/*
 * tmpl_syn's checksum sums without what varies from one SYN to the next
 * (source address, source port, sequence number): computed once, so that
 * fill_syn() makes no checksum pass (a full TCP checksum a SYN and the IPv4
 * header's were about a fifth of the flood client's time: work it can
 * hoist, as the fast modes do; the `syn` rate did not move, the data plane
 * sets it, doc/benchmarking.md).
 */
static uint32_t syn_ip_base, syn_l4_base;

static void
syn_sums_init(void)
{
	uint8_t f[FRAME_LEN];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);

	memcpy(f, tmpl_syn, sizeof(f));
	ip->src_addr = 0;
	ip->hdr_checksum = 0;
	tcp->src_port = 0;
	tcp->sent_seq = 0;
	tcp->cksum = 0;
	syn_ip_base = rte_raw_cksum(ip, sizeof(*ip));
	syn_l4_base = rte_ipv4_phdr_cksum(ip, 0) +
		      rte_raw_cksum(tcp, rte_be_to_cpu_16(ip->total_length) - sizeof(*ip));
}

static inline void fill_syn(uint8_t *p, uint64_t f);

/* fill_syn()'s checksums against full ones, for a few flows: false when one differs. */
static bool
syn_sums_ok(void)
{
	static const uint64_t fs[] = {0, 1, 49999, 50000, 123456789, UINT32_MAX};
	uint8_t b[FRAME_LEN];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);

	for (unsigned int i = 0; i < RTE_DIM(fs); i++) {
		fill_syn(b, fs[i]);
		if (rte_ipv4_cksum(ip) != 0xffff && rte_ipv4_cksum(ip) != 0)
			return false;
		if (rte_ipv4_udptcp_cksum_verify(ip, tcp) != 0)
			return false;
	}
	return true;
}

/*
 * Flow f of the synflood / brokered client: tmpl_syn with the tuple of
 * fill_tuple() and a sequence number of its own, the checksums updated
 * from syn_sums_init()'s.
 */
static inline void
fill_syn(uint8_t *p, uint64_t f)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t host = (uint32_t)(f / 50000) + 1;
	uint32_t addr = opt.src_net | rte_cpu_to_be_32(host & 0xffff);
	uint16_t port = rte_cpu_to_be_16((uint16_t)(1024 + f % 50000));
	uint32_t seq = rte_cpu_to_be_32((uint32_t)(f * 2654435761u));

	rte_memcpy(p, tmpl_syn, FRAME_LEN);
	ip->src_addr = addr;
	tcp->src_port = port;
	tcp->sent_seq = seq;
	ip->hdr_checksum = (uint16_t)~__rte_raw_cksum_reduce(syn_ip_base + word_sum(addr));
	tcp->cksum = (uint16_t)~__rte_raw_cksum_reduce(syn_l4_base + word_sum(addr) + port +
						       word_sum(seq));
}

/*
 * Turn the received segment @p m into our answer in place: MACs, addresses
 * and ports swapped, fresh IPv4 and TCP headers (an MSS option with
 * @p mss != 0), @p data as payload, checksums in full.
 */
void
tcp_answer(struct rte_mbuf *m, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t mss,
	   const void *data, uint16_t dlen)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	struct rte_ether_addr ea;
	uint32_t a = ip->src_addr;
	uint16_t port = tcp->src_port, ol = mss != 0 ? 4 : 0, len;

	rte_ether_addr_copy(&eth->src_addr, &ea);
	rte_ether_addr_copy(&eth->dst_addr, &eth->src_addr);
	rte_ether_addr_copy(&ea, &eth->dst_addr);
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*tcp) + ol + dlen);
	ip->packet_id = 0;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	tcp->src_port = tcp->dst_port;
	tcp->dst_port = port;
	tcp->sent_seq = rte_cpu_to_be_32(seq);
	tcp->recv_ack = rte_cpu_to_be_32(ack);
	tcp->data_off = (uint8_t)(((sizeof(*tcp) + ol) / 4) << 4);
	tcp->tcp_flags = flags;
	tcp->rx_win = rte_cpu_to_be_16(65535);
	tcp->tcp_urp = 0;
	tcp->cksum = 0;
	if (ol != 0) {
		uint8_t *o = (uint8_t *)(tcp + 1);

		o[0] = 2;
		o[1] = 4;
		o[2] = (uint8_t)(mss >> 8);
		o[3] = (uint8_t)mss;
	}
	if (dlen != 0)
		memcpy((uint8_t *)(tcp + 1) + ol, data, dlen);
	len = (uint16_t)(sizeof(*eth) + sizeof(*ip) + sizeof(*tcp) + ol + dlen);
	m->data_len = m->pkt_len = len < FRAME_LEN ? FRAME_LEN : len;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
}

void
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

/* Port 1 traffic: answer ARP for the host addresses; count everything else. */
static unsigned int
handle_rx1(struct rte_mbuf **pkts, uint16_t n, uint16_t q)
{
	unsigned int counted = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);

		if (unlikely(eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))) {
			struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

			if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) &&
			    is_vm(arp->arp_data.arp_tip))
				send_arp(1, &mac1, RTE_ARP_OP_REPLY, arp->arp_data.arp_tip,
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
			if (client_mode())
				client_arp(pkts[i], 0);
		}
	}
	rte_pktmbuf_free_bulk(pkts, n);
}

/* ARP on the client side: answer for the gateway, learn the forwarder. */
void
client_arp(struct rte_mbuf *m, uint16_t q)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	if (m->data_len < sizeof(*eth) + sizeof(*arp))
		return;
	if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) &&
	    arp->arp_data.arp_tip == opt.gw_ip)
		send_arp(0, &mac0, RTE_ARP_OP_REPLY, opt.gw_ip, &arp->arp_data.arp_sha,
			 arp->arp_data.arp_sip, q);
}

/* ARP on the member side (port 1): answer for the VM addresses. */
void
member_arp(struct rte_mbuf *m, uint16_t q)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	if (m->data_len >= sizeof(*eth) + sizeof(*arp) &&
	    arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) && is_vm(arp->arp_data.arp_tip))
		send_arp(1, &mac1, RTE_ARP_OP_REPLY, arp->arp_data.arp_tip, &arp->arp_data.arp_sha,
			 arp->arp_data.arp_sip, q);
}

/* Send the answers built in place; what the port does not take is freed and counted. */
uint16_t
tx_answers(struct gen_lcore *g, uint16_t port, uint16_t q, struct rte_mbuf **out, uint16_t no)
{
	uint16_t sent;

	if (no == 0)
		return 0;
	sent = rte_eth_tx_burst(port, q, out, no);
	if (sent < no) {
		g->tx_fail += no - sent;
		rte_pktmbuf_free_bulk(&out[sent], no - sent);
	}
	return sent;
}

/*
 * Port 0 in synflood / brokered modes: count the VIP's SYN-ACKs; in
 * brokered mode answer each with ACK + the HTTP request, computed from it.
 */
static void
client_rx(struct gen_lcore *g, struct rte_mbuf **pkts, uint16_t n, uint16_t q)
{
	struct rte_mbuf *out[BURST], *done[BURST];
	uint16_t no = 0, nd = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ipv4_hdr *ip;
		uint32_t plen;
		struct rte_tcp_hdr *tcp = rx_tcp(g, 0, m, q, &ip, &plen);
		uint8_t fl;

		if (tcp == NULL)
			continue;
		fl = tcp->tcp_flags;
		if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) ==
		    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
			g->synack++;
			if (opt.mode == MODE_BROKERED) {
				tcp_answer(m, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
					   rte_be_to_cpu_32(tcp->recv_ack),
					   rte_be_to_cpu_32(tcp->sent_seq) + 1, 0, http_req,
					   sizeof(http_req) - 1);
				out[no++] = m;
				continue;
			}
			g->rx++;
		} else if (fl & RTE_TCP_RST_FLAG) {
			g->c_rst++;
		} else {
			g->c_other++;
		}
		done[nd++] = m; /* freed together */
	}
	rte_pktmbuf_free_bulk(done, nd);
	g->req += tx_answers(g, 0, q, out, no);
}

/*
 * A frame received on @p port (0: the client side, 1: the members): ARP
 * answered, anything but TCP (to a member, on port 1) counted; its TCP
 * header, or NULL when @p m was consumed.
 */
struct rte_tcp_hdr *
rx_tcp(struct gen_lcore *g, uint16_t port, struct rte_mbuf *m, uint16_t q,
       struct rte_ipv4_hdr **ipp, uint32_t *plen)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_tcp_hdr *tcp;

	if (unlikely(eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))) {
		if (port == 0)
			client_arp(m, q);
		else
			member_arp(m, q);
		rte_pktmbuf_free(m);
		return NULL;
	}
	tcp = tcp_of(m, ipp, plen);
	if (likely(tcp != NULL && (port == 0 || is_vm((*ipp)->dst_addr))))
		return tcp;
	if (port == 0)
		g->bad++;
	else
		g->vm_other++;
	rte_pktmbuf_free(m);
	return NULL;
}

bool
member_tcp(struct gen_lcore *g, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
	   struct rte_tcp_hdr *tcp, uint32_t plen)
{
	uint8_t fl = tcp->tcp_flags;

	if (fl & RTE_TCP_RST_FLAG) {
		g->vm_other++;
	} else if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG) {
		g->vm_syn++;
		tcp_answer(m, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, vm_isn(ip, tcp),
			   rte_be_to_cpu_32(tcp->sent_seq) + 1, 1460, NULL, 0);
		return true;
	} else if (plen > 0 && (fl & RTE_TCP_ACK_FLAG)) {
		g->done++;
		/* RFC 9293: the RST answering a segment with ACK has seq = its ack */
		tcp_answer(m, RTE_TCP_RST_FLAG, rte_be_to_cpu_32(tcp->recv_ack), 0, 0, NULL, 0);
		return true;
	} else if (fl & RTE_TCP_ACK_FLAG) {
		g->vm_ack++;
	} else {
		g->vm_other++;
	}
	return false;
}

/*
 * Port 1 in brokered mode: the VMs. ARP for their addresses; SYN ->
 * SYN-ACK; a data segment (the replayed request) completes a connection
 * and is answered with RST.
 */
static void
vm_rx(struct gen_lcore *g, struct rte_mbuf **pkts, uint16_t n, uint16_t q)
{
	struct rte_mbuf *out[BURST];
	uint64_t done = g->done;
	uint16_t no = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ipv4_hdr *ip;
		uint32_t plen;
		struct rte_tcp_hdr *tcp = rx_tcp(g, 1, m, q, &ip, &plen);

		if (tcp == NULL)
			continue;
		if (member_tcp(g, m, ip, tcp, plen))
			out[no++] = m;
		else
			rte_pktmbuf_free(m);
	}
	g->rx += g->done - done; /* brokered: rx_pkts = completions */
	tx_answers(g, 1, q, out, no);
}

static inline uint64_t
ld(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

/* Brokered: connections sent and neither completed nor written off. */
static int64_t
outstanding(uint64_t *done_total)
{
	uint64_t syn = 0, done = 0;

	for (unsigned int i = 0; i < n_gen; i++) {
		syn += ld(&lc[i].syn);
		done += ld(&lc[i].done);
	}
	*done_total = done;
	return (int64_t)(syn - done - ld(&written_off));
}

/* synflood and brokered: SYNs of new flows on port 0, answers on both ports. */
static int
client_main(struct gen_lcore *g)
{
	const uint16_t q = g->idx;
	const uint64_t hz = rte_get_timer_hz();
	/* TSC ticks between two SYNs of this lcore; 0 = unpaced */
	const uint64_t gap = opt.rate > 0 ? (uint64_t)((double)hz * n_gen / opt.rate) : 0;
	uint64_t f = g->idx, next = rte_get_timer_cycles(), last_done = 0, progress = next;
	struct rte_mbuf *tx[BURST], *rx[BURST];
	unsigned int loops = 0;

	while (!quit && phase < 2 && !links_lost(&loops)) {
		uint64_t now = rte_get_timer_cycles();
		unsigned int k = BURST;
		uint16_t n, sent;

		if (opt.mode == MODE_BROKERED && opt.window > 0) {
			uint64_t done;
			int64_t o = outstanding(&done);

			if (done != last_done) {
				last_done = done;
				progress = now;
			}
			if (o >= (int64_t)opt.window) {
				k = 0;
				/* nothing completes: the rest was lost (a ring or queue full) */
				if (g->idx == 0 && now - progress > hz / 1000 * STALL_MS) {
					__atomic_store_n(&written_off,
							 ld(&written_off) + (uint64_t)o,
							 __ATOMIC_RELAXED);
					stall_resets++;
					progress = now;
				}
			} else if ((int64_t)opt.window - o < (int64_t)k) {
				k = (unsigned int)((int64_t)opt.window - o);
			}
		}
		if (gap > 0 && k > 0) {
			if (now < next) {
				k = 0;
			} else {
				uint64_t may = (now - next) / gap + 1;

				if (may < k)
					k = (unsigned int)may;
			}
		}
		if (k > 0 && rte_pktmbuf_alloc_bulk(pool, tx, k) == 0) {
			for (unsigned int i = 0; i < k; i++) {
				fill_syn(rte_pktmbuf_mtod(tx[i], uint8_t *), f);
				tx[i]->data_len = tx[i]->pkt_len = FRAME_LEN;
				f += n_gen;
			}
			sent = rte_eth_tx_burst(0, q, tx, (uint16_t)k);
			g->tx += sent;
			g->syn += sent;
			if (sent < k) {
				rte_pktmbuf_free_bulk(&tx[sent], k - sent);
				f -= (uint64_t)(k - sent) * n_gen;
			}
			if (gap > 0) {
				next += (uint64_t)sent * gap;
				if (next + hz / 100 < now) /* no catching up after a pause */
					next = now;
			}
		}
		n = rte_eth_rx_burst(0, q, rx, BURST);
		if (n)
			client_rx(g, rx, n, q);
		n = rte_eth_rx_burst(1, q, rx, BURST);
		if (n) {
			if (opt.mode == MODE_BROKERED) {
				vm_rx(g, rx, n, q);
			} else {
				g->vm_other += n;
				rte_pktmbuf_free_bulk(rx, n);
			}
		}
	}
	return 0;
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
	unsigned int loops = 0;

	__atomic_store_n(&g->tid, rte_sys_gettid(), __ATOMIC_RELEASE);
	if (opt.mode == MODE_SYNPROXY)
		return mix_main(g);
	if (client_mode())
		return client_main(g);
	if (opt.mode == MODE_SINK)
		return sink_main(g);
	if (!opt.slow)
		return fast_main(g);
	while (!quit && phase < 2 && !links_lost(&loops)) {
		uint16_t n, sent;

		if (rte_pktmbuf_alloc_bulk(pool, tx, BURST) == 0) {
			for (unsigned int i = 0; i < BURST; i++) {
				uint8_t *p = rte_pktmbuf_mtod(tx[i], uint8_t *);
				uint64_t flow = opt.new_flows ? f : f % span;

				rte_memcpy(p, tmpl, FRAME_LEN);
				fill_packet(p, flow,
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
			if (client_mode()) {
				/* the other VMs, and the gateway of NAT return traffic */
				for (uint32_t v = 1; v < opt.vms && v < 256; v++)
					send_arp(
						1, &mac1, RTE_ARP_OP_REQUEST,
						rte_cpu_to_be_32(rte_be_to_cpu_32(opt.host_ip) + v),
						NULL, opt.fwd_in_ip, 0);
				send_arp(0, &mac0, RTE_ARP_OP_REQUEST, opt.gw_ip, NULL, opt.fwd_ip,
					 0);
			}
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
		"         [--mode established|new|synflood|brokered] [--vip A] [--dport P]\n"
		"         [--src-net A] [--host-ip A] [--vms N] [--fwd-ip A] [--fwd-in-ip A]\n"
		"         [--gw-ip A] [--window N] [--rate SYNS_PER_S] [--no-arp]\n"
		"         [--flood-vip A] [--est-rate PPS] [--flood-rate PPS] [--paced-rate CPS]\n"
		"         [--udp] [--burst N] [--latency] [--v6 [--vip6 A] [--src6 A] [--host6 A]]\n"
		"         [--slow] (established / new: the per-packet loop before templates)\n"
		"         [--catch-up] (--rate: after a stall, catch up 10 ms in full bursts and\n"
		"         retry what the port refused, as before pace_late / tx_refused)\n");
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
		{"mode", required_argument, NULL, 'm'},
		{"vms", required_argument, NULL, 'V'},
		{"gw-ip", required_argument, NULL, 'G'},
		{"window", required_argument, NULL, 'W'},
		{"rate", required_argument, NULL, 'R'},
		{"flood-vip", required_argument, NULL, 'X'},
		{"est-rate", required_argument, NULL, 'E'},
		{"flood-rate", required_argument, NULL, 'Y'},
		{"paced-rate", required_argument, NULL, 'P'},
		{"udp", no_argument, NULL, 'U'},
		{"burst", required_argument, NULL, 'B'},
		{"latency", no_argument, NULL, 'L'},
		{"v6", no_argument, NULL, '6'},
		{"vip6", required_argument, NULL, 'a'},
		{"src6", required_argument, NULL, 'b'},
		{"host6", required_argument, NULL, 'h'},
		{"slow", no_argument, NULL, 'O'},
		{"catch-up", no_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	int c;

	opt.vip = parse_ip("198.18.10.1");
	opt.src_net = parse_ip("198.19.0.0");
	opt.host_ip = parse_ip("198.18.1.11");
	opt.fwd_ip = parse_ip("198.18.2.2");
	opt.fwd_in_ip = parse_ip("198.18.1.2");
	opt.gw_ip = parse_ip("198.18.2.1");
	opt.vms = 1;
	opt.window = 4096;
	parse_ip6("2001:2:0:10::1", opt.vip6);
	parse_ip6("2001:2:1::", opt.src6);
	parse_ip6("2001:2:0:1::11", opt.host6);
	opt.paced_rate = 200;
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
			opt.mode = MODE_NEW;
			break;
		case 'm': {
			unsigned int k;

			for (k = 0; k < RTE_DIM(mode_names); k++)
				if (strcmp(optarg, mode_names[k]) == 0)
					break;
			if (k == RTE_DIM(mode_names)) {
				fprintf(stderr, "sg-pktgen: unknown --mode %s\n", optarg);
				exit(2);
			}
			opt.mode = (enum gen_mode)k;
			break;
		}
		case 'V':
			opt.vms = (uint32_t)parse_num("vms", optarg, 1, 65536);
			break;
		case 'G':
			opt.gw_ip = parse_ip(optarg);
			break;
		case 'W':
			opt.window = (uint32_t)parse_num("window", optarg, 0, 1 << 24);
			break;
		case 'R':
			opt.rate = parse_num("rate", optarg, 0, 1e9);
			break;
		case 'X':
			opt.flood_vip = parse_ip(optarg);
			break;
		case 'E':
			opt.est_rate = parse_num("est-rate", optarg, 1, 1e9);
			break;
		case 'Y':
			opt.flood_rate = parse_num("flood-rate", optarg, 0, 1e9);
			break;
		case 'P':
			opt.paced_rate = parse_num("paced-rate", optarg, 0, 100000);
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
		case 'U':
			opt.udp = true;
			break;
		case 'B':
			opt.burst = (unsigned int)parse_num("burst", optarg, 1, MAX_BURST);
			break;
		case 'L':
			opt.latency = true;
			break;
		case 'C':
			opt.catch_up = true;
			break;
		case '6':
			opt.v6 = true;
			break;
		case 'a':
			parse_ip6(optarg, opt.vip6);
			break;
		case 'b':
			parse_ip6(optarg, opt.src6);
			break;
		case 'h':
			parse_ip6(optarg, opt.host6);
			break;
		case 'O':
			opt.slow = true;
			break;
		default:
			usage();
			exit(2);
		}
	}
	opt.new_flows = opt.mode == MODE_NEW;
	if (opt.flows == 0 || opt.flows > (1u << 24) || opt.seconds <= 0 || opt.seconds > 600 ||
	    opt.warmup < 0 || opt.warmup > 600) {
		fprintf(stderr, "sg-pktgen: --flows 1..16M, --seconds 0..600, --warmup 0..600\n");
		exit(2);
	}
	memcpy(&opt.host6_low, opt.host6 + 12, 4);
	if ((opt.latency && (!opt.udp || opt.v6 || opt.slow)) ||
	    (opt.v6 && (opt.slow || (opt.mode != MODE_ESTABLISHED && opt.mode != MODE_NEW))) ||
	    (opt.rate > 0 && opt.mode != MODE_ESTABLISHED && opt.mode != MODE_NEW &&
	     !client_mode())) {
		fprintf(stderr, "sg-pktgen: --latency needs --udp (IPv4, not --slow); --v6 and "
				"--rate go with modes established and new (--v6 not --slow)\n");
		exit(2);
	}
	if (opt.udp && opt.mode != MODE_ESTABLISHED && opt.mode != MODE_NEW) {
		fprintf(stderr, "sg-pktgen: --udp goes with modes established and new only\n");
		exit(2);
	}
}

/* All lcores' counters together (read while they run: each one is a plain load). */
/*
 * Nanoseconds the lcores' threads have run on a CPU (schedstat's first field):
 * against the window's length, the share of a CPU the generator got (a
 * shared machine's other tasks take the rest).
 */
static uint64_t
lcores_run_ns(void)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < n_gen; i++) {
		int tid = __atomic_load_n(&lc[i].tid, __ATOMIC_ACQUIRE);
		char path[64], line[128];
		FILE *f;

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(line, sizeof(line), f) != NULL)
			total += strtoull(line, NULL, 10);
		fclose(f);
	}
	return total;
}

static void
sum(struct gen_lcore *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < n_gen; i++) {
		const struct gen_lcore *g = &lc[i];

		t->tx += ld(&g->tx);
		t->rx += ld(&g->rx);
		t->syn += ld(&g->syn);
		t->synack += ld(&g->synack);
		t->req += ld(&g->req);
		t->c_rst += ld(&g->c_rst);
		t->c_other += ld(&g->c_other);
		t->vm_syn += ld(&g->vm_syn);
		t->vm_ack += ld(&g->vm_ack);
		t->done += ld(&g->done);
		t->vm_other += ld(&g->vm_other);
		t->tx_fail += ld(&g->tx_fail);
		t->bad += ld(&g->bad);
		t->est_tx += ld(&g->est_tx);
		t->est_fail += ld(&g->est_fail);
		t->est_rx += ld(&g->est_rx);
		t->est_late += ld(&g->est_late);
		t->paced_syn += ld(&g->paced_syn);
		t->paced_retx += ld(&g->paced_retx);
		t->paced_ack += ld(&g->paced_ack);
	}
}

int
main(int argc, char **argv)
{
	struct gen_lcore s0, s1;
	uint64_t t0, t1, deadline, lost0, run0, run1;
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
	fatal_report_on();
	stage = "port set-up";
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

	stage = "waiting for the memif links";
	deadline = rte_get_timer_cycles() + 30 * rte_get_timer_hz();
	while (!links_up() && !quit && rte_get_timer_cycles() < deadline)
		rte_delay_ms(10);
	if (!links_up()) {
		fprintf(stderr, "sg-pktgen: memif links not up within 30 s\n");
		return 1;
	}
	stage = "ARP with the forwarder";
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
	syn_sums_init();
	if (!syn_sums_ok()) {
		fprintf(stderr,
			"sg-pktgen: a SYN's checksums from the template's sums are wrong\n");
		return 1;
	}
	if (opt.mode == MODE_SYNPROXY && mix_init() != 0)
		return 1;

	stage = "the warm-up pass";
	if (opt.mode == MODE_ESTABLISHED && !opt.slow) {
		fast_warmup();
	} else if ((opt.mode == MODE_ESTABLISHED || opt.mode == MODE_SYNPROXY) && opt.flows > 1) {
		/* One SYN per flow so that the measurement sees established flows only. */
		struct rte_mbuf *tx[BURST];
		unsigned int loops = 0;

		for (uint64_t f = 0; f < opt.flows && !quit && !links_lost(&loops);) {
			if (rte_pktmbuf_alloc_bulk(pool, tx, BURST) != 0)
				continue;
			for (unsigned int k = 0; k < BURST; k++, f++) {
				uint8_t *p = rte_pktmbuf_mtod(tx[k], uint8_t *);

				rte_memcpy(p, tmpl, FRAME_LEN);
				fill_packet(p, f % opt.flows, RTE_TCP_SYN_FLAG);
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
	stage = "the warm-up";
	nap(opt.warmup);
	sum(&s0);
	lost0 = ld(&written_off);
	run0 = lcores_run_ns();
	t0 = rte_get_timer_cycles();
	phase = 1;
	/* the script reads the tables (synproxy, then SIGUSR1), the forwarder's CPU time */
	fprintf(stderr, "sg-pktgen: measuring\n");
	fflush(stderr);
	stage = "the measurement";
	nap(opt.seconds);
	sum(&s1);
	t1 = rte_get_timer_cycles();
	run1 = lcores_run_ns();
	phase = 2;
	stage = "the lcores' end";
	rte_eal_mp_wait_lcore();
	if (link_lost) {
		/* the forwarder left: no result, and no teardown of ports whose rings are gone */
		fprintf(stderr, "sg-pktgen: a memif link went down during the run (the forwarder "
				"left or crashed): no result\n");
		return 3;
	}
	stage = "the report";

	{
		double secs = (double)(t1 - t0) / (double)rte_get_timer_hz();
		uint64_t tx = s1.tx - s0.tx, rx = s1.rx - s0.rx;

		printf("{\"mode\": \"%s\", \"proto\": \"%s\", \"flows\": %u, \"lcores\": %u, "
		       "\"seconds\": %.3f, \"tx_pkts\": %" PRIu64 ", \"rx_pkts\": %" PRIu64
		       ", \"tx_mpps\": %.3f, \"rx_mpps\": %.3f",
		       mode_names[opt.mode], opt.udp ? "udp" : "tcp", opt.flows, n_gen, secs, tx,
		       rx, (double)tx / secs / 1e6, (double)rx / secs / 1e6);
		if (opt.mode == MODE_SYNPROXY)
			mix_report(&s0, &s1, secs);
		if (opt.latency)
			lat_report();
		if (opt.rate > 0 && (opt.mode == MODE_ESTABLISHED || opt.mode == MODE_NEW))
			/*
			 * --rate: offered = taken + refused by the forwarder's ring
			 * (lost, as on a wire); pace_late: skipped while the lcore
			 * was behind its schedule (off its CPU), never offered
			 */
			printf(", \"rate\": %.0f, \"offered_mpps\": %.3f, \"tx_refused\": %" PRIu64
			       ", \"pace_late\": %" PRIu64,
			       opt.rate,
			       (double)(tx + (opt.catch_up ? 0 : s1.est_fail - s0.est_fail)) /
				       secs / 1e6,
			       s1.est_fail - s0.est_fail, s1.est_late - s0.est_late);
		/* the share of a CPU per lcore the generator ran in the window */
		printf(", \"gen_cpu\": %.3f", (double)(run1 - run0) / 1e9 / secs / n_gen);
		printf(", \"burst\": %u, \"ip\": %d, \"frame_len\": %u", opt.burst, opt.v6 ? 6 : 4,
		       opt.v6 ? (opt.udp ? 62u : 74u) : (unsigned int)FRAME_LEN);
		if (opt.mode == MODE_SYNFLOOD || opt.mode == MODE_BROKERED) {
			printf(", \"syn_sent\": %" PRIu64 ", \"synacks\": %" PRIu64
			       ", \"requests_sent\": %" PRIu64 ", \"client_rst\": %" PRIu64
			       ", \"client_other\": %" PRIu64 ", \"vm_syns\": %" PRIu64
			       ", \"vm_acks\": %" PRIu64 ", \"completed\": %" PRIu64
			       ", \"vm_other\": %" PRIu64 ", \"tx_fail\": %" PRIu64
			       ", \"bad\": %" PRIu64 ", \"synack_mpps\": %.4f",
			       s1.syn - s0.syn, s1.synack - s0.synack, s1.req - s0.req,
			       s1.c_rst - s0.c_rst, s1.c_other - s0.c_other, s1.vm_syn - s0.vm_syn,
			       s1.vm_ack - s0.vm_ack, s1.done - s0.done, s1.vm_other - s0.vm_other,
			       s1.tx_fail - s0.tx_fail, s1.bad - s0.bad,
			       (double)(s1.synack - s0.synack) / secs / 1e6);
			if (opt.mode == MODE_BROKERED)
				printf(", \"conn_per_s\": %.1f, \"window\": %u, \"rate\": %.0f, "
				       "\"lost\": %" PRIu64 ", \"stall_resets\": %" PRIu64
				       ", \"vms\": %u",
				       (double)(s1.done - s0.done) / secs, opt.window, opt.rate,
				       ld(&written_off) - lost0, stall_resets, opt.vms);
		}
		printf("}\n");
		fflush(stdout);
	}
	stage = "teardown";
	rte_eth_dev_stop(0);
	rte_eth_dev_stop(1);
	rte_eal_cleanup();
	return 0;
}
