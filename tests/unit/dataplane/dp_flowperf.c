/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow-table cost driver (doc/benchmarking.md, "Profiles"): one worker, a
 * table of CAP entries filled with CAP flows, then N packets in bursts of
 * 32 through sg_dp_worker_process(), frames built outside the measured
 * call. Cases: `new` (SYNs of never-seen flows to a DSR VIP: each insert
 * finds the table full), `est` (ACKs cycling over the CAP flows), `nat_new`
 * and `nat_est` (the same to a NAT VIP with 16 NAT addresses), `syn` (SYNs
 * of never-seen flows to a brokered VIP, answered by cookie SYN-ACKs, in
 * bursts of 16, as before full bursts of a SYN flood were all answered),
 * `syn32` (the same in full bursts of 32: the flood nothing competes with,
 * every SYN answered, none shed), `nat_est_udp` and `nat_new_udp` (the NAT
 * cases with 64-byte UDP datagrams, as the bench's nat_est1m and nat_new
 * send; `nat_new_udp`'s table full of unconfirmed flows of one datagram,
 * a flood's, evicted first), `est6` (`est` from IPv6 clients to the IPv6 DSR VIP). It checks
 * the counters (every packet forwarded, flows made and evicted as due) and
 * prints ns per packet; under `valgrind --tool=callgrind
 * --toggle-collect=perf_measured` the instructions per packet are
 * Ir / N. As a test (no arguments) it runs each case on a small table.
 *
 * PER_CALL (default 32): packets a worker call takes, as the worker takes
 * up to 64 (SG_DP_RX_BURST) from a port at once (not for syn/syn32, whose
 * burst is the case's).
 *
 *   dp_flowperf [CASE CAP N [PER_CALL]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "dp_test.h"

#define BURST 32u

struct perf_case {
	const char *name;
	const char *vip;
	bool nat;
	bool est;
	bool syn;
	unsigned int syn_burst; /**< syn: packets per burst */
	uint16_t udp; /**< UDP datagrams to this port (the bench's nat_* cases), not TCP */
};

static const struct perf_case cases[] = {
	{"new", "198.18.10.1", false, false},
	{"est", "198.18.10.1", false, true},
	{"nat_new", "198.18.10.2", true, false},
	{"nat_est", "198.18.10.2", true, true},
	{"syn", "198.18.10.3", false, false, true, 16},
	{"syn32", "198.18.10.3", false, false, true, BURST},
	/* UDP to the NAT VIP, as scripts/bench-dataplane.sh's nat_est1m and nat_new */
	{"nat_est_udp", "198.18.10.2", true, true, false, 0, 53},
	{"nat_new_udp", "198.18.10.2", true, false, false, 0, 53},
	/* IPv6 clients to the IPv6 DSR VIP (IPv6-in-IPv6 to the member's host) */
	{"est6", "2001:2:0:10::1", false, true},
};

/* packets a worker call takes (PER_CALL: the worker's SG_DP_RX_BURST rx is 64) */
static unsigned int burst = BURST, per_call = BURST;
static uint16_t udp_dport; /* nonzero: frames are UDP datagrams to this port */
/* The worker calls' own CPU time (ns): robust to the other load of a shared box. */
static uint64_t cpu_ns;

static uint64_t
thread_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Flow @p i's frame: client 198.19.x.y (i / 50000), port 1024 + i % 50000. */
static size_t
frame(uint8_t *b, const char *vip, uint32_t i, uint8_t flags)
{
	char src[32];
	uint32_t a = i / 50000;

	if (strchr(vip, ':') != NULL) { /* an IPv6 VIP: IPv6 clients */
		(void)snprintf(src, sizeof(src), "2001:2:0:99::%x:%x", (a >> 16) & 0xffff,
			       a & 0xffff);
		return pb_frame_tcp6(b, L2_GW, src, vip, (uint16_t)(1024 + i % 50000), 80, flags,
				     64, 0);
	}
	(void)snprintf(src, sizeof(src), "198.19.%u.%u", (a >> 8) & 0xff, a & 0xff);
	if (udp_dport != 0) /* 64-byte frames, as sg-pktgen's */
		return pb_frame_udp4(b, L2_GW, src, vip, (uint16_t)(1024 + i % 50000), udp_dport,
				     18);
	return pb_frame_tcp4(b, L2_GW, src, vip, (uint16_t)(1024 + i % 50000), 80, flags, 64, 0);
}

/*
 * The time of the next burst: one TSC tick after the last, as the data
 * plane's clock moves between bursts (a constant time made every flow
 * equally old to eviction's least-recently-used scan).
 */
static uint64_t
burst_now(void)
{
	static uint64_t ticks;

	return now_s(1) + ++ticks;
}

/* The measured call (callgrind --toggle-collect=perf_measured): not the warm-up's. */
static __rte_noinline void
perf_measured(struct rte_mbuf **m, uint16_t n, struct sg_dp_txq *q)
{
	sg_dp_worker_process(env.w[0], env.t, 0, m, n, q, burst_now());
}

/* Free what the worker queued on every port of @p q and empty it; returns how many. */
static uint64_t
txq_free(struct sg_dp_txq *q)
{
	uint64_t n = 0;
	unsigned int p, k;

	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		for (k = 0; k < q->n[p]; k++)
			rte_pktmbuf_free(q->pkts[p][k]);
		n += q->n[p];
		q->n[p] = 0;
	}
	return n;
}

/*
 * Flows [first, first + n) (modulo @p modulo) through worker 0 with TCP
 * @p flags, @p measured or not; returns the TSC cycles spent in the worker.
 */
static uint64_t
run(const char *vip, uint32_t first, uint32_t n, uint32_t modulo, uint8_t flags, bool measured,
    uint64_t *out)
{
	static uint8_t b[SG_DP_RX_BURST][128];
	struct rte_mbuf *m[SG_DP_RX_BURST];
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	uint64_t cyc = 0;
	uint32_t i = 0;

	assert_non_null(q);
	while (i < n) {
		unsigned int k, nb = RTE_MIN(burst, n - i);
		uint64_t t0, c0;

		for (k = 0; k < nb; k++) {
			size_t len = frame(b[k], vip, (first + i + k) % modulo, flags);

			m[k] = mbuf_from(b[k], len);
		}
		c0 = thread_ns();
		t0 = rte_rdtsc();
		if (measured)
			perf_measured(m, (uint16_t)nb, q);
		else
			sg_dp_worker_process(env.w[0], env.t, 0, m, (uint16_t)nb, q, burst_now());
		cyc += rte_rdtsc() - t0;
		if (measured)
			cpu_ns += thread_ns() - c0;
		*out += txq_free(q);
		i += nb;
	}
	free(q);
	return cyc;
}

static void
nat16(void)
{
	struct cfg_store *cs = cfg_new();
	unsigned int i;

	for (i = 0; i < 16; i++) {
		char a[32];

		(void)snprintf(a, sizeof(a), "198.18.1.%u", 100 + i);
		cfg_addr(&cs->cfg.nat.addrs[i], a);
	}
	cs->cfg.nat.n_addrs = 16;
	cs->vs[VS_V6_NAT].mode = SG_CFG_MODE_DSR; /* the 16 NAT addresses are all IPv4 */
	assert_int_equal(env_rebuild(cs), 0);
}

/* Heap bytes a flow table of @p cap entries takes (entries, hash, free list), per entry. */
static double
table_bytes(uint32_t cap)
{
	struct rte_malloc_socket_stats a, b;
	struct sg_dp_flow_table ft;

	assert_int_equal(rte_malloc_get_socket_stats(0, &a), 0);
	assert_int_equal(sg_dp_flow_table_init(&ft, cap, 0, 0), 0);
	assert_int_equal(rte_malloc_get_socket_stats(0, &b), 0);
	sg_dp_flow_table_free(&ft);
	return (double)(b.heap_allocsz_bytes - a.heap_allocsz_bytes) / cap;
}

static void
report(const struct perf_case *c, uint32_t cap, uint32_t n, uint64_t cyc)
{
	(void)printf("%s: table %u, %u packets, %.1f ns/packet (%.2f Mpps), flow entry %zu bytes, "
		     "%.1f bytes per flow with the hash, %.1f ns/packet of thread CPU time\n",
		     c->name, cap, n, (double)cyc * 1e9 / (double)rte_get_tsc_hz() / n,
		     (double)n * rte_get_tsc_hz() / (double)cyc / 1e6, sizeof(struct sg_dp_flow),
		     table_bytes(cap), (double)cpu_ns / n);
	cpu_ns = 0;
}

static void
perf_run(const struct perf_case *c, uint32_t cap, uint32_t n)
{
	const struct sg_dp_stats *st;
	uint64_t out = 0, cyc, new0, ev0;

	static const uint8_t key[16] = "sg-flowperf-key";
	struct rte_ring *ring[2] = {NULL, NULL};

	assert_int_equal(env_setup(1, cap), 0);
	if (c->nat)
		nat16();
	udp_dport = c->udp;
	if (c->syn) {
		assert_int_equal(env_broker_start(key, 65536, &ring[0], &ring[1]), 0);
		burst = c->syn_burst;
		cyc = run(c->vip, 0, n, UINT32_MAX, RTE_TCP_SYN_FLAG, true, &out);
		st = sg_dp_worker_stats(env.w[0]);
		assert_int_equal(out, n); /* a SYN-ACK for every SYN */
		assert_int_equal(st->cnt[SG_DP_EV_SYNCOOKIE], n);
		assert_int_equal(st->cnt[SG_DP_DROP_SYN_SHED], 0);
		assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 0);
		burst = per_call;
		report(c, cap, n, cyc);
		env_broker_stop(ring[0], ring[1]);
		return;
	}
	burst = per_call;
	run(c->vip, 0, cap, UINT32_MAX, RTE_TCP_SYN_FLAG, false, &out);
	/* established: TCP's handshake completed, UDP's flows confirmed by a second datagram */
	if (c->est)
		run(c->vip, 0, cap, UINT32_MAX, RTE_TCP_ACK_FLAG, false, &out);
	st = sg_dp_worker_stats(env.w[0]);
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_NEW], cap);
	new0 = st->cnt[SG_DP_EV_FLOW_NEW];
	ev0 = st->cnt[SG_DP_EV_FLOW_EVICTED];
	out = 0;
	if (c->est)
		cyc = run(c->vip, 0, n, cap, RTE_TCP_ACK_FLAG, true, &out);
	else
		cyc = run(c->vip, cap, n, UINT32_MAX, RTE_TCP_SYN_FLAG, true, &out);
	assert_int_equal(out, n); /* every packet forwarded */
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_NEW] - new0, c->est ? 0 : n);
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_EVICTED] - ev0, c->est ? 0 : n);
	/* new flows evict the fill's embryonic or unconfirmed ones, then each other */
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_EVICTED_EST], 0);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), cap);
	report(c, cap, n, cyc);
	env_teardown();
}

static void
test_cases(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(cases); i++)
		perf_run(&cases[i], 4096, 20000);
}

/*
 * One burst: a client's SYN to the NAT VIP, its duplicate, and the member's
 * SYN-ACK to the NAT address and the first port of the pool (on the same
 * port, as a pcap replay delivers them). The burst's
 * bulk lookup missed all three; the duplicate finds the flow the first SYN
 * made and the SYN-ACK its return key (neither is a new flow nor a drop).
 */
static void
test_burst_misses(void **state)
{
	static uint8_t b[3][128];
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	const struct sg_dp_stats *st;
	struct rte_mbuf *m[3];
	size_t len[3];
	unsigned int k;

	(void)state;
	assert_non_null(q);
	assert_int_equal(env_setup(1, 64), 0);
	len[0] = pb_frame_tcp4(b[0], L2_GW, CLIENT4, "198.18.10.2", 40000, 80, RTE_TCP_SYN_FLAG, 64,
			       0);
	memcpy(b[1], b[0], len[0]);
	len[1] = len[0];
	len[2] = pb_frame_tcp4(b[2], L2_GW, "198.18.1.11", "198.18.1.100", 80, 1024,
			       RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 64, 0);
	for (k = 0; k < 3; k++)
		m[k] = mbuf_from(b[k], len[k]);
	sg_dp_worker_process(env.w[0], env.t, 0, m, 3, q, now_s(1)); /* one burst, as a pcap */
	st = sg_dp_worker_stats(env.w[0]);
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_NEW], 1);
	assert_int_equal(q->n[1], 2); /* both SYNs to the member */
	assert_int_equal(q->n[0], 1); /* the SYN-ACK to the client */
	(void)txq_free(q);
	free(q);
	env_teardown();
}

/*
 * One full burst of SYNs to the DSR VIP: 8 new flows, each 4 times
 * (k % 8), so most misses of the burst are duplicates of an earlier one
 * (worker.c's table by signature): 8 flows made, all 32 SYNs forwarded.
 */
static void
test_burst_dups(void **state)
{
	const struct sg_dp_stats *st;
	uint64_t out = 0;

	(void)state;
	assert_int_equal(env_setup(1, 64), 0);
	udp_dport = 0;
	burst = BURST;
	run("198.18.10.1", 0, BURST, 8, RTE_TCP_SYN_FLAG, false, &out);
	st = sg_dp_worker_stats(env.w[0]);
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_NEW], 8);
	assert_int_equal(out, BURST);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 8);
	env_teardown();
}

/*
 * One rx of 64 (the worker's SG_DP_RX_BURST), taken as two bursts: a
 * client's SYN to the NAT VIP in the first, its duplicate and the member's
 * SYN-ACK to the NAT address in the second, 61 SYNs of other flows to the
 * DSR VIP around them. The second burst must see what the first made: one
 * NAT flow (the duplicate and the SYN-ACK find it), 62 flows in all, every
 * frame forwarded.
 */
static void
test_rx_two_bursts(void **state)
{
	static uint8_t b[2 * BURST][128];
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	struct rte_mbuf *m[2 * BURST];
	const struct sg_dp_stats *st;
	unsigned int k;
	size_t len;

	(void)state;
	assert_non_null(q);
	assert_int_equal(env_setup(1, 256), 0);
	udp_dport = 0;
	for (k = 0; k < 2 * BURST; k++) {
		if (k == 0 || k == 40)
			len = pb_frame_tcp4(b[k], L2_GW, CLIENT4, "198.18.10.2", 40000, 80,
					    RTE_TCP_SYN_FLAG, 64, 0);
		else if (k == 50)
			len = pb_frame_tcp4(b[k], L2_GW, "198.18.1.11", "198.18.1.100", 80, 1024,
					    RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 64, 0);
		else
			len = frame(b[k], "198.18.10.1", k, RTE_TCP_SYN_FLAG);
		m[k] = mbuf_from(b[k], len);
	}
	sg_dp_worker_process(env.w[0], env.t, 0, m, 2 * BURST, q, now_s(1));
	st = sg_dp_worker_stats(env.w[0]);
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_NEW], 62);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 62);
	assert_int_equal(q->n[1], 63); /* both NAT SYNs to the member, the DSR ones to the host */
	assert_int_equal(q->n[0], 1);  /* the SYN-ACK to the client */
	(void)txq_free(q);
	free(q);
	env_teardown();
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases), cmocka_unit_test(test_burst_misses),
		cmocka_unit_test(test_burst_dups), cmocka_unit_test(test_rx_two_bursts)};
	bool profile = argc == 4 || argc == 5; /* else the test */
	unsigned int i;
	int rc = 0;

	if (argc == 5) {
		per_call = (unsigned int)strtoul(argv[4], NULL, 0);
		if (per_call == 0 || per_call > SG_DP_RX_BURST) {
			(void)fprintf(stderr, "dp_flowperf: PER_CALL is 1 to %u\n", SG_DP_RX_BURST);
			return 2;
		}
	}
	dp_eal_init_mem(argv[0], profile ? 2048 : 256);
	if (profile) {
		for (i = 0; i < RTE_DIM(cases); i++)
			if (strcmp(argv[1], cases[i].name) == 0)
				perf_run(&cases[i], (uint32_t)strtoul(argv[2], NULL, 0),
					 (uint32_t)strtoul(argv[3], NULL, 0));
	} else {
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	}
	dp_eal_fini();
	return rc;
}
