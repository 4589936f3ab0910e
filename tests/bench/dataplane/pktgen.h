/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-pktgen's shared state and frame helpers: sg_pktgen.c (ports, modes
 * established / new / synflood / brokered, output) and pktgen_synproxy.c
 * (mode synproxy).
 */
#ifndef SG_PKTGEN_H
#define SG_PKTGEN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define BURST	    32
#define MAX_BURST   256	 /* --burst: established / new / sink */
#define LAT_BUCKETS 2112 /* --latency: log-linear buckets (pktgen_fast.c) */
#define FRAME_LEN   60
#define MAX_LCORES  64
#define STALL_MS    50 /* brokered: outstanding connections written off after this long */

enum gen_mode {
	MODE_ESTABLISHED,
	MODE_NEW,
	MODE_SYNFLOOD,
	MODE_BROKERED,
	MODE_SYNPROXY,
	MODE_SINK, /* count what arrives on both ports, send nothing */
};

struct gen_opts {
	uint32_t flows;
	double seconds;
	double warmup;
	enum gen_mode mode;
	bool new_flows;
	bool arp;
	bool udp;	    /* established / new: UDP datagrams instead of TCP segments */
	uint32_t vms;	    /* VM addresses: host_ip .. host_ip + vms - 1 */
	uint32_t gw_ip;	    /* network order, the forwarder's outside gateway */
	uint32_t window;    /* brokered: outstanding connections at most */
	double rate;	    /* SYNs per second, all lcores together; 0 = unpaced */
	uint32_t vip;	    /* network order */
	uint16_t dport;	    /* host order */
	uint32_t src_net;   /* network order, /16 base of client addresses */
	uint32_t host_ip;   /* network order, the backend host on port 1 */
	uint32_t fwd_ip;    /* network order, the forwarder's outside address */
	uint32_t fwd_in_ip; /* network order, the forwarder's inside address */
	struct rte_ether_addr dst_mac;
	bool dst_mac_set;
	/* synproxy: established flows to vip, SYN flood and paced client to flood_vip */
	uint32_t flood_vip; /* network order */
	double est_rate;    /* established packets per second, all lcores together */
	double flood_rate;  /* flood SYNs per second; 0 = whatever the generator has left */
	double paced_rate;  /* paced client: new connections per second (lcore 0) */
	unsigned int burst; /* established / new / sink: frames per burst */
	bool slow;	    /* --slow: the per-packet loop of before (comparison) */
	bool latency;	    /* --latency: TSC in each frame's tail, read back on port 1 */
	bool catch_up;	    /* --catch-up: --rate's pace before (bursts after a stall) */
	bool v6;	    /* established / new over IPv6 */
	uint8_t vip6[16];
	uint8_t src6[16];   /* client addresses: its low 32 bits = the host index */
	uint8_t host6[16];  /* the first member; --vms of them answer ND on port 1 */
	uint32_t host6_low; /* network order: host6's low 32 bits */
};

struct gen_lcore {
	unsigned int idx;
	uint64_t tx, rx;
	/* synflood / brokered */
	uint64_t syn;	   /* SYNs sent by the client (port 0) */
	uint64_t synack;   /* SYN-ACKs from the VIP (port 0) */
	uint64_t req;	   /* ACK + request sent (port 0) */
	uint64_t c_rst;	   /* RSTs reaching the client (port 0) */
	uint64_t c_other;  /* other TCP to the client (the data plane's ACKs) */
	uint64_t vm_syn;   /* SYNs reaching a VM (port 1) */
	uint64_t vm_ack;   /* bare ACKs reaching a VM */
	uint64_t done;	   /* data segments reaching a VM: connections completed */
	uint64_t vm_other; /* other frames on port 1 */
	uint64_t tx_fail;  /* answers the port did not take */
	uint64_t bad;	   /* frames we could not parse */
	/* synproxy */
	uint64_t est_tx;     /* established packets the port took */
	uint64_t est_fail;   /* established packets due that the port did not take */
	uint64_t est_rx;     /* established packets back on port 1 (IPIP) */
	uint64_t est_late;   /* established packets skipped: the lcore fell > 10 ms behind */
	uint64_t paced_syn;  /* paced client: first SYNs */
	uint64_t paced_retx; /* paced client: SYN retransmits */
	uint64_t paced_ack;  /* paced client: ACK + request sent on a SYN-ACK */
	uint64_t *lat;	     /* --latency: LAT_BUCKETS counts of the window */
	uint64_t lat_n;
	int tid; /* the lcore's thread: its CPU time (/proc/self/task/TID/schedstat) */
} __rte_cache_aligned;

extern struct gen_opts opt;
extern struct gen_lcore lc[MAX_LCORES];
extern unsigned int n_gen;
extern struct rte_mempool *pool;
extern struct rte_ether_addr mac0, mac1;
extern volatile bool quit;
extern volatile int phase;
extern uint8_t tmpl[FRAME_LEN];
extern uint8_t tmpl_syn[FRAME_LEN];
extern volatile bool link_lost; /* a memif link went down while the lcores ran */

/*
 * Every 1024th loop of a generator lcore: false while both links are up.
 * A link that went down is the forwarder gone (memif: its client
 * disconnected, the PMD unmaps the shared rings): the lcores stop touching
 * the ports (link_lost, quit) instead of polling rings being unmapped, and
 * main reports it (exit status 3) instead of a result.
 */
static inline bool
links_lost(unsigned int *loops)
{
	struct rte_eth_link l;

	if (likely((++*loops & 1023) != 0))
		return false;
	for (uint16_t port = 0; port < 2; port++)
		if (rte_eth_link_get_nowait(port, &l) != 0 || !l.link_status) {
			link_lost = true;
			quit = true;
			return true;
		}
	return false;
}

static inline bool
is_vm(uint32_t a)
{
	return rte_be_to_cpu_32(a) - rte_be_to_cpu_32(opt.host_ip) < opt.vms;
}

/* The VM's ISN for a connection: a hash of its 4-tuple (stateless). */
static inline uint32_t
vm_isn(const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *tcp)
{
	uint64_t h = ((uint64_t)ip->src_addr << 32 | ip->dst_addr) * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)tcp->src_port << 16 | tcp->dst_port) * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/*
 * A received IPv4/TCP frame (Ethernet, IHL 5) parsed in place; NULL when it
 * is not one we can answer.
 */
static inline struct rte_tcp_hdr *
tcp_of(struct rte_mbuf *m, struct rte_ipv4_hdr **ipp, uint32_t *plen)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t tl, hl;

	if (m->data_len != m->pkt_len || m->data_len < sizeof(*eth) + sizeof(*ip) + sizeof(*tcp) ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != IPPROTO_TCP)
		return NULL;
	tl = rte_be_to_cpu_16(ip->total_length);
	hl = (uint32_t)(tcp->data_off >> 4) * 4;
	if (tl > m->data_len - sizeof(*eth) || hl < sizeof(*tcp) || tl < sizeof(*ip) + hl)
		return NULL;
	*ipp = ip;
	*plen = tl - sizeof(*ip) - hl;
	return tcp;
}

/* A 32-bit word's two 16-bit halves summed: its share of a one's-complement sum. */
static inline uint32_t
word_sum(uint32_t w)
{
	return (w & 0xffff) + (w >> 16);
}

/*
 * Flow f's tuple in a frame copied from tmpl: source address src_net +
 * f / 50000 (+1), source port 1024 + f % 50000 (TCP and UDP alike), the
 * IPv4 checksum.
 */
static inline struct rte_ipv4_hdr *
fill_tuple(uint8_t *p, uint64_t f)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *l4 = (struct rte_udp_hdr *)(ip + 1);
	uint32_t host = (uint32_t)(f / 50000) + 1;

	ip->src_addr = opt.src_net | rte_cpu_to_be_32(host & 0xffff);
	l4->src_port = rte_cpu_to_be_16((uint16_t)(1024 + f % 50000));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return ip;
}

/* Flow f as a TCP segment with @p flags. */
static inline void
fill_flow(uint8_t *p, uint64_t f, uint8_t flags)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);

	tcp->tcp_flags = flags;
	fill_tuple(p, f);
	tcp->cksum = 0;
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
}

/* Flow f as a UDP datagram (--udp; tmpl is one): the tuple and the UDP checksum. */
static inline void
fill_udp(uint8_t *p, uint64_t f)
{
	struct rte_ipv4_hdr *ip = fill_tuple(p, f);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	udp->dgram_cksum = 0;
	/* DPDK sends a computed 0 as 0xffff for UDP */
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
}

/* Flow f of the established / new modes: a UDP datagram or a TCP segment. */
static inline void
fill_packet(uint8_t *p, uint64_t f, uint8_t flags)
{
	if (opt.udp)
		fill_udp(p, f);
	else
		fill_flow(p, f, flags);
}

/** Turn the received segment @p m into our answer in place (sg_pktgen.c). */
void tcp_answer(struct rte_mbuf *m, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t mss,
		const void *data, uint16_t dlen);
/** Send one ARP frame on @p port, queue @p q. */
void send_arp(uint16_t port, const struct rte_ether_addr *src, uint16_t op, uint32_t sip,
	      const struct rte_ether_addr *tha, uint32_t tip, uint16_t q);
/** ARP on the client side (port 0): answer for the gateway. */
void client_arp(struct rte_mbuf *m, uint16_t q);
/** ARP on the member side (port 1): answer for the VM addresses. */
void member_arp(struct rte_mbuf *m, uint16_t q);
/** Send answers built in place; what the port does not take is freed and counted. */
uint16_t tx_answers(struct gen_lcore *g, uint16_t port, uint16_t q, struct rte_mbuf **out,
		    uint16_t no);

/**
 * A frame received on @p port (0: the client side, 1: the members): ARP
 * answered, anything but TCP counted; its TCP header (@p ipp, payload
 * length @p plen), or NULL when @p m was consumed.
 */
struct rte_tcp_hdr *rx_tcp(struct gen_lcore *g, uint16_t port, struct rte_mbuf *m, uint16_t q,
			   struct rte_ipv4_hdr **ipp, uint32_t *plen);
/**
 * A member's TCP segment: a SYN gets a SYN-ACK, a data segment (the replayed
 * request) completes a connection (done) and gets a RST. True when @p m
 * became that answer; else it is counted and the caller frees it.
 */
bool member_tcp(struct gen_lcore *g, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		struct rte_tcp_hdr *tcp, uint32_t plen);
/** Established / new at speed (pktgen_fast.c): one generator lcore's loop. */
int fast_main(struct gen_lcore *g);
/** Mode sink: one lcore counting what arrives on both ports. */
int sink_main(struct gen_lcore *g);
/** The warm-up pass of the established mode: one SYN (datagram) per flow. */
void fast_warmup(void);
/** --latency: p50 / p99 / p99.9 of the window as JSON fields. */
void lat_report(void);
/** Port 1: ARP and IPv6 neighbour solicitations for the members; true when consumed. */
bool member_ctrl(struct rte_mbuf *m, uint16_t q);
/** Mode synproxy: one generator lcore's loop (pktgen_synproxy.c). */
int mix_main(struct gen_lcore *g);
/** Mode synproxy: set up after the options are parsed and the template built. */
int mix_init(void);
/** Mode synproxy: its JSON fields of the measurement window (@p secs long). */
void mix_report(const struct gen_lcore *s0, const struct gen_lcore *s1, double secs);

#endif /* SG_PKTGEN_H */
