/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the input is one received frame. It goes through
 * sg_dp_worker_process() on both workers of a two-worker test appliance
 * (tables of the unit tests, port 0 for worker 0, port 1 for worker 1),
 * hand-off rings are drained, idle flows expire as time advances, and the
 * door invariant is checked after every input on every worker:
 *   rx + handoff_in + generated + released ==
 *       transmitted + drops + handoff_out + consumed + held
 * Both workers serve brokered sessions (SYN cookies answered, ring to a
 * control path that never answers, so held sessions time out). Inputs that
 * start with STRUCT_MARK are fields of a frame the harness builds (every
 * ICMP type, protocol 58 over IPv4, ICMP errors quoting live flows).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "sessiongate/sg_msg.h"
#include "session/syncookie.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sg_dp_txq *txq;
static uint64_t fuzz_now;
static uint64_t tx_seen[2];
static struct sg_dp_syncookie_secret cookies;
static struct rte_ring *to_ctl[2], *from_ctl[2];
static bool ctl_up = true;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	dp_eal_init((*argv)[0]);
	if (env_setup(2, 4096) != 0) {
		(void)fprintf(stderr, "fuzz_packet: test appliance setup failed\n");
		exit(1);
	}
	if (sg_dp_syncookie_init(&cookies) != 0)
		exit(1);
	for (unsigned int w = 0; w < 2; w++) {
		char name[32];

		(void)snprintf(name, sizeof(name), "fz_to_ctl%u", w);
		to_ctl[w] = rte_ring_create_elem(name, SG_MSG_SIZE, 64, SOCKET_ID_ANY,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		(void)snprintf(name, sizeof(name), "fz_from_ctl%u", w);
		from_ctl[w] = rte_ring_create_elem(name, SG_MSG_SIZE, 64, SOCKET_ID_ANY,
						   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (to_ctl[w] == NULL || from_ctl[w] == NULL ||
		    env_enable_broker(w, to_ctl[w], from_ctl[w], &ctl_up, &cookies, 64) != 0) {
			(void)fprintf(stderr, "fuzz_packet: brokered sessions setup failed\n");
			exit(1);
		}
	}
	txq = calloc(1, sizeof(*txq));
	if (txq == NULL)
		exit(1);
	fuzz_now = now_s(0);
	return 0;
}

static void
flush(unsigned int w)
{
	unsigned int p, i;

	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		uint16_t n = txq->n[p];

		if (n == 0)
			continue;
		/* every frame we transmit must be a sane Ethernet frame */
		for (i = 0; i < n; i++) {
			struct rte_mbuf *m = txq->pkts[p][i];

			if (rte_pktmbuf_pkt_len(m) < RTE_ETHER_HDR_LEN ||
			    rte_pktmbuf_pkt_len(m) > RTE_MBUF_DEFAULT_DATAROOM + 100)
				abort();
		}
		tx_seen[w] += n;
		sg_dp_worker_count_tx(env.w[w], (uint16_t)p, txq->pkts[p], n, 0);
		rte_pktmbuf_free_bulk(txq->pkts[p], n);
		txq->n[p] = 0;
	}
}

static void
check_doors(unsigned int w)
{
	const struct sg_dp_stats *s = sg_dp_worker_stats(env.w[w]);
	uint64_t rx = 0, tx = 0, drops = 0;
	unsigned int c, p;

	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		rx += s->port[p].rx_pkts;
		tx += s->port[p].tx_pkts;
	}
	for (c = 0; c < SG_DP_DROP_END; c++)
		drops += s->cnt[c];
	if (tx != tx_seen[w] || rx + s->cnt[SG_DP_EV_HANDOFF_IN] + s->cnt[SG_DP_EV_GENERATED] +
						s->cnt[SG_DP_EV_RELEASED] !=
					tx + drops + s->cnt[SG_DP_EV_HANDOFF_OUT] +
						s->cnt[SG_DP_EV_CONSUMED] + s->cnt[SG_DP_EV_HELD]) {
		(void)fprintf(stderr,
			      "worker %u: rx %llu + handoff_in %llu != tx %llu + drops %llu + "
			      "handoff_out %llu + consumed %llu\n",
			      w, (unsigned long long)rx,
			      (unsigned long long)s->cnt[SG_DP_EV_HANDOFF_IN],
			      (unsigned long long)tx, (unsigned long long)drops,
			      (unsigned long long)s->cnt[SG_DP_EV_HANDOFF_OUT],
			      (unsigned long long)s->cnt[SG_DP_EV_CONSUMED]);
		abort();
	}
	if (sg_dp_worker_flow_count(env.w[w]) > 4096)
		abort();
}

/*
 * Structured inputs (first byte STRUCT_MARK): the harness builds a frame
 * with valid checksums around fuzzed fields, so that every ICMP / ICMPv6
 * type and code, protocol 58 over IPv4 and ICMP errors quoting live flows
 * are reached at once. Layout: mark, kind, type, code, port (2), rest.
 */
#define STRUCT_MARK 0xa5
#define STRUCT_HDR  6
enum {
	K_ND_OVER_V4, /* IPv4, proto 58, TTL 255, ID 0xFFFF: [type, code, rest] */
	K_ICMP4,      /* ICMP type/code + rest to a VIP */
	K_ICMP6,      /* ICMPv6 type/code + rest to a VIP (hop limit 255) */
	K_ERR4_VIP,   /* SYN client:port -> NAT/DSR VIP, then an error quoting VIP -> client */
	K_ERR6_VIP,   /* the same over IPv6 */
	K_ERR4_NAT,   /* an error from the LAN to the NAT address quoting NAT:port -> member */
	K_COUNT
};

static size_t
icmp_frame(uint8_t *f, bool v6, const char *src, const char *dst, uint8_t ttl, const uint8_t *icmp,
	   size_t len)
{
	size_t n = pb_put_l2(f, L2_GW, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	uint8_t *ip = f + n;

	n += v6 ? pb_put_ip6(ip, src, dst, IPPROTO_ICMPV6, ttl, (uint16_t)len)
		: pb_put_ip4(ip, src, dst, IPPROTO_ICMP, ttl, (uint16_t)len);
	memcpy(f + n, icmp, len);
	pb_fix_l4_csum(ip);
	return n + len;
}

/* Build the frame(s) of a structured input; returns how many (0..2) into f[] / len[]. */
static unsigned int
structured(const uint8_t *d, size_t size, uint8_t f[2][PKT_MAX], size_t len[2])
{
	static const char *const vip4[] = {"198.18.10.1", "198.18.10.2"};
	static const char *const vip6[] = {"2001:2:0:10::1", "2001:2:0:10::2"};
	uint8_t icmp[1400], q[128];
	size_t rest = size - STRUCT_HDR, n;
	uint16_t port = (uint16_t)(d[4] << 8 | d[5]);
	unsigned int kind = d[1] % K_COUNT, v = d[1] / K_COUNT & 1;

	if (rest > sizeof(icmp) - 8 - 68)
		rest = sizeof(icmp) - 8 - 68;
	memset(icmp, 0, 8);
	icmp[0] = d[2];
	icmp[1] = d[3];
	switch (kind) {
	case K_ND_OVER_V4:
		n = pb_put_l2(f[0], L2_HOST1, RTE_ETHER_TYPE_IPV4);
		n += pb_put_ip4(f[0] + n, "198.18.1.12", v ? "224.0.0.1" : "198.18.1.2", 58, 255,
				(uint16_t)(2 + rest));
		f[0][14 + 4] = f[0][14 + 5] = 0xff;
		pb_fix_ip4_csum(f[0] + 14);
		memcpy(f[0] + n, d + 2, 2 + rest);
		len[0] = n + 2 + rest;
		return 1;
	case K_ICMP4:
	case K_ICMP6:
		memcpy(icmp + 4, d + STRUCT_HDR, rest);
		len[0] = icmp_frame(f[0], kind == K_ICMP6, kind == K_ICMP6 ? CLIENT6 : CLIENT4,
				    kind == K_ICMP6 ? vip6[v] : vip4[v], 255, icmp, 4 + rest);
		return 1;
	case K_ERR4_VIP:
	case K_ERR6_VIP: {
		bool six = kind == K_ERR6_VIP;
		const char *vip = six ? vip6[v] : vip4[v], *cl = six ? CLIENT6 : CLIENT4;
		size_t ql = pb_ip_tcp(q, vip, cl, 80, port, RTE_TCP_ACK_FLAG, 64, NULL, 0);

		len[0] =
			six ? pb_frame_tcp6(f[0], L2_GW, cl, vip, port, 80, RTE_TCP_SYN_FLAG, 64, 0)
			    : pb_frame_tcp4(f[0], L2_GW, cl, vip, port, 80, RTE_TCP_SYN_FLAG, 64,
					    0);
		if (rest < ql)
			ql = rest; /* a cut quote */
		memcpy(icmp + 8, q, ql);
		len[1] = icmp_frame(f[1], six, six ? "2001:2:0:2::1" : "198.18.2.1", vip,
				    (uint8_t)(d[3] | 1), icmp, 8 + ql);
		return 2;
	}
	default: { /* K_ERR4_NAT */
		size_t ql = pb_ip_tcp(q, "198.18.1.100", "198.18.1.11", port, 80, RTE_TCP_SYN_FLAG,
				      64, NULL, 0);

		memcpy(icmp + 8, q, ql);
		len[0] = icmp_frame(f[0], false, "198.18.1.1", "198.18.1.100", 64, icmp, 8 + ql);
		memcpy(f[0], (const uint8_t[]){0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0x03, 0x11},
		       12);
		return 1;
	}
	}
}

static void
run_frame(const uint8_t *data, size_t size)
{
	for (unsigned int w = 0; w < 2; w++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(env.mp);

		if (m == NULL)
			abort(); /* an mbuf leaked somewhere */
		if (size > 0)
			memcpy(rte_pktmbuf_append(m, (uint16_t)size), data, size);
		sg_dp_worker_process(env.w[w], env.t, (uint16_t)w, &m, 1, txq, fuzz_now);
		flush(w);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t f[2][PKT_MAX];
	size_t len[2];
	unsigned int w, k, nf;

	if (size > RTE_MBUF_DEFAULT_DATAROOM)
		return -1;				/* one segment */
	fuzz_now += rte_get_tsc_hz() / 10 * (size % 8); /* time moves: flows expire */
	if (size >= SG_MSG_SIZE && (data[0] & 1)) {
		/* the same bytes as a message from sg-control */
		uint8_t msg[SG_MSG_SIZE];

		memcpy(msg, data, sizeof(msg));
		(void)rte_ring_enqueue_elem(from_ctl[0], msg, SG_MSG_SIZE);
	}
	if (size >= STRUCT_HDR && data[0] == STRUCT_MARK) {
		nf = structured(data, size, f, len);
		for (k = 0; k < nf; k++)
			run_frame(f[k], len[k]);
	} else {
		run_frame(data, size);
	}
	for (w = 0; w < 2; w++) {
		sg_dp_worker_handoff_drain(env.w[w], env.t, txq, fuzz_now);
		flush(w);
		sg_dp_worker_expire(env.w[w], env.t, fuzz_now, 64);
		sg_dp_worker_poll_control(env.w[w], env.t, txq, fuzz_now);
		flush(w);
		while (rte_ring_count(to_ctl[w]) > 32) { /* sg-control reads some */
			uint8_t msg[SG_MSG_SIZE];

			(void)rte_ring_dequeue_elem(to_ctl[w], msg, SG_MSG_SIZE);
		}
	}
	for (w = 0; w < 2; w++)
		check_doors(w);
	if (rte_mempool_in_use_count(env.mp) != 0)
		abort(); /* an mbuf did not leave through a door */
	return 0;
}
