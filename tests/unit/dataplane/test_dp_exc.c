/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path, worker side (core/exc.h): which packets to the
 * appliance's own addresses reach the kernel's ring (byte for byte, with
 * their port), which the data plane still answers or drops itself, the
 * token bucket (rate and burst) and a full ring, each with its counter;
 * the ND of the kernel's link-local address; the priority class of the
 * BGP peers (their own bucket and ring: they pass while the general bucket
 * is empty, a flood of them is bounded by their class's rate).
 */
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "core/exc.h"
#include "dp_test.h"

#define RATE  10 /* packets per second to the kernel */
#define BURST 3
#define RING  8 /* capacity 7 */

#define PRIO_RING 512	       /* capacity 511: over SG_DP_EXC_PRIO_BURST */
#define PEER4	  "198.18.2.1" /* the gateway, a BGP peer */
#define PEER6	  "2001:2:0:2::1"

static struct rte_ring *exc_ring, *prio_ring;

/* Worker 0 again, with the exception path on (rate RATE, burst BURST); with @p peers, the
 * priority class for PEER4 and PEER6. */
static int
setup_peers(void **state, bool peers)
{
	struct sg_dp_worker_conf wc;

	if (dp_setup1(state) != 0)
		return -1;
	exc_ring = rte_ring_create("test_exc", RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	prio_ring = rte_ring_create("test_exc_prio", PRIO_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (exc_ring == NULL || prio_ring == NULL)
		return -1;
	memcpy(&wc, &env.w[0]->conf, sizeof(wc));
	sg_dp_worker_free(env.w[0]);
	wc.exc_ring = exc_ring;
	wc.exc_rate_pps = RATE;
	wc.exc_burst = BURST;
	if (peers) {
		wc.exc_prio_ring = prio_ring;
		pb_ip_parse(PEER4, wc.exc_prio_peers[0].a, &wc.exc_prio_peers[0].family);
		pb_ip_parse(PEER6, wc.exc_prio_peers[1].a, &wc.exc_prio_peers[1].family);
		wc.n_exc_prio_peers = 2;
	}
	env.w[0] = sg_dp_worker_create(&wc);
	return env.w[0] == NULL ? -1 : 0;
}

static int
setup(void **state)
{
	return setup_peers(state, false);
}

static int
setup_prio(void **state)
{
	return setup_peers(state, true);
}

static void
ring_drain(void)
{
	struct rte_mbuf *m;

	while (rte_ring_dequeue(exc_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(prio_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
}

static int
teardown(void **state)
{
	ring_drain();
	rte_ring_free(exc_ring);
	rte_ring_free(prio_ring);
	return dp_teardown(state);
}

/* The ring's one packet is @p want (@p len bytes) received on @p port. */
static void
expect_kernel(uint16_t port, const uint8_t *want, size_t len)
{
	struct rte_mbuf *m = NULL;

	assert_int_equal(R.out_port, -1);
	assert_int_equal(rte_ring_count(exc_ring), 1);
	assert_int_equal(rte_ring_dequeue(exc_ring, (void **)&m), 0);
	assert_non_null(m);
	if (m == NULL)
		return;
	assert_int_equal(m->port, port);
	assert_bytes(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), want, len);
	rte_pktmbuf_free(m);
}

static void
test_exc_to_kernel(void **state)
{
	uint8_t in[PKT_MAX];
	size_t n;
	double t = 1;

	(void)state;
	/* TCP (BGP) and UDP to an own address: the kernel's */
	n = pb_frame_tcp4(in, L2_GW, "198.18.2.1", "198.18.2.2", 40000, 179, RTE_TCP_SYN_FLAG, 64,
			  0);
	run_pkt(0, 0, in, n, &R, now_s(t += 1));
	expect_kernel(0, in, n);
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL);
	n = pb_frame_udp4(in, L2_HOST1, "198.18.1.11", "198.18.1.2", 53, 40001, 20);
	run_pkt(0, 1, in, n, &R, now_s(t += 1));
	expect_kernel(1, in, n);
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL);
	/* IPv6 TCP to an own address */
	n = pb_frame_tcp6(in, L2_GW, "2001:2:0:2::1", "2001:2:0:2::2", 40000, 179,
			  RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(t += 1));
	expect_kernel(0, in, n);
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL);
	/* ICMP echo replies (the kernel's pings) go up; echo requests are answered here */
	n = pb_frame_icmp4_echo(in, L2_HOST1, "198.18.1.11", "198.18.1.2", 0, 8);
	run_pkt(0, 1, in, n, &R, now_s(t += 1));
	expect_kernel(1, in, n);
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL);
	n = pb_frame_icmp6_echo(in, L2_GW, "2001:2:0:2::1", "2001:2:0:2::2", 129, 8);
	run_pkt(0, 0, in, n, &R, now_s(t += 1));
	expect_kernel(0, in, n);
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL);
	n = pb_frame_icmp4_echo(in, L2_HOST1, "198.18.1.11", "198.18.1.2", 8, 8);
	run_pkt(0, 1, in, n, &R, now_s(t += 1));
	assert_int_equal(R.out_port, 1);
	assert_int_equal(rte_ring_count(exc_ring), 0);
	CNT_MOVED(SG_DP_EV_ICMP_REPLY);
	/* an ARP reply to the port's own address: learned (a pinned gateway) and the kernel's */
	n = pb_frame_arp(in, RTE_ARP_OP_REPLY, MAC_GW, "198.18.2.1", MAC_PORT0, "198.18.2.2",
			 MAC_PORT0);
	run_pkt(0, 0, in, n, &R, now_s(t += 1));
	expect_kernel(0, in, n);
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL, SG_DP_EV_NEIGH_LEARN);
	/* ... but not one to the other port's address, nor an ARP request */
	n = pb_frame_arp(in, RTE_ARP_OP_REPLY, MAC_GW, "198.18.2.1", MAC_PORT0, "198.18.1.2",
			 MAC_PORT0);
	run_pkt(0, 0, in, n, &R, now_s(t += 1));
	assert_int_equal(rte_ring_count(exc_ring), 0);
	CNT_MOVED(SG_DP_EV_CONSUMED, SG_DP_EV_NEIGH_LEARN);
	/* ... nor one from an off-link sender (dropped as before) */
	n = pb_frame_arp(in, RTE_ARP_OP_REPLY, "02:00:00:00:02:78", "198.18.77.1", MAC_PORT0,
			 "198.18.2.2", MAC_PORT0);
	run_pkt(0, 0, in, n, &R, now_s(t += 1));
	assert_drop(&R, SG_DP_DROP_NOT_LOCAL, 0);
	assert_int_equal(rte_ring_count(exc_ring), 0);
	/* ND of the kernel's link-local address: the NA answering its NUD probe, an NS for it */
	n = na_frame(in, MAC_PORT0, MAC_GW, PEER6, "fe80::1");
	run_pkt(0, 0, in, n, &R, now_s(t += 1));
	expect_kernel(0, in, n);
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL, SG_DP_EV_NEIGH_LEARN);
	n = pb_frame_ns(in, MAC_GW, PEER6, "fe80::1", MAC_GW);
	run_pkt(0, 0, in, n, &R, now_s(t += 1));
	expect_kernel(0, in, n);
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL);
	/* TCP to a VIP port no VS serves, to a NAT address: never the kernel's */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.2", 40000, 179, RTE_TCP_SYN_FLAG, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(t + 1));
	assert_drop(&R, SG_DP_DROP_NO_VS, 0);
	assert_int_equal(rte_ring_count(exc_ring), 0);
	n = pb_frame_tcp4(in, L2_HOST1, "198.18.1.11", "198.18.1.100", 80, 40000,
			  RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 64, 0);
	run_pkt(0, 1, in, n, &R, now_s(t + 2));
	assert_drop(&R, SG_DP_DROP_NO_FLOW, 1);
	assert_int_equal(rte_ring_count(exc_ring), 0);
}

static void
test_exc_rate_and_queue(void **state)
{
	uint8_t in[PKT_MAX];
	size_t n = pb_frame_udp4(in, L2_HOST1, "198.18.1.11", "198.18.1.2", 53, 40001, 20);
	unsigned int i;

	(void)state;
	/* a burst of BURST at one instant, then the rate's drop */
	for (i = 0; i < BURST; i++) {
		run_pkt(0, 1, in, n, &R, now_s(10));
		CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL);
	}
	run_pkt(0, 1, in, n, &R, now_s(10));
	assert_drop(&R, SG_DP_DROP_EXC_RATE, 1);
	/* a tenth of a second later: one more (RATE per second) */
	run_pkt(0, 1, in, n, &R, now_s(10.1));
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL);
	run_pkt(0, 1, in, n, &R, now_s(10.1));
	assert_drop(&R, SG_DP_DROP_EXC_RATE, 1);
	assert_int_equal(rte_ring_count(exc_ring), BURST + 1);
	/* the main lcore does not drain: once the ring is full, drop_exc_queue */
	for (i = 0; i < RING - 1 - (BURST + 1); i++) {
		run_pkt(0, 1, in, n, &R, now_s(20 + i));
		CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL);
	}
	run_pkt(0, 1, in, n, &R, now_s(30));
	assert_drop(&R, SG_DP_DROP_EXC_QUEUE, 1);
	ring_drain();
	run_pkt(0, 1, in, n, &R, now_s(31));
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL);
}

/* Without an exception path, the same packets are dropped as before it existed. */
static void
test_exc_off(void **state)
{
	uint8_t in[PKT_MAX];
	size_t n;

	(void)state;
	n = pb_frame_tcp4(in, L2_GW, "198.18.2.1", "198.18.2.2", 40000, 179, RTE_TCP_SYN_FLAG, 64,
			  0);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_drop(&R, SG_DP_DROP_L4_PROTO, 0);
	n = pb_frame_icmp4_echo(in, L2_HOST1, "198.18.1.11", "198.18.1.2", 0, 8);
	run_pkt(0, 1, in, n, &R, now_s(1));
	assert_drop(&R, SG_DP_DROP_ICMP_BAD, 1);
	n = na_frame(in, MAC_PORT0, MAC_GW, PEER6, "fe80::1");
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_drop(&R, SG_DP_DROP_NOT_LOCAL, 0);
}

/* The ring @p r holds @p k packets of which the last is @p want (@p len bytes); drained. */
static void
expect_ring(struct rte_ring *r, unsigned int k, const uint8_t *want, size_t len)
{
	struct rte_mbuf *m = NULL;

	assert_int_equal(R.out_port, -1);
	assert_int_equal(rte_ring_count(r), k);
	while (rte_ring_dequeue(r, (void **)&m) == 0 && --k > 0)
		rte_pktmbuf_free(m);
	assert_non_null(m);
	if (m == NULL)
		return;
	assert_bytes(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), want, len);
	rte_pktmbuf_free(m);
}

/* One packet of the priority class, at @p t: on its ring, both counters. */
static void
expect_prio(const uint8_t *in, size_t n, double t, bool learn)
{
	run_pkt(0, 0, in, n, &R, now_s(t));
	expect_ring(prio_ring, 1, in, n);
	if (learn)
		CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL, SG_DP_EV_EXC_PRIO_TO_KERNEL,
			  SG_DP_EV_NEIGH_LEARN);
	else
		CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL, SG_DP_EV_EXC_PRIO_TO_KERNEL);
}

/* The BGP peers' packets pass while the general bucket is empty; theirs is bounded too. */
static void
test_exc_prio(void **state)
{
	uint8_t in[PKT_MAX], gen[PKT_MAX];
	size_t n, ng = pb_frame_udp4(gen, L2_HOST1, "198.18.1.11", "198.18.1.2", 53, 40001, 20);
	unsigned int i;

	(void)state;
	/* the general bucket emptied by a flood */
	for (i = 0; i < BURST; i++)
		run_pkt(0, 1, gen, ng, &R, now_s(10));
	run_pkt(0, 1, gen, ng, &R, now_s(10));
	assert_drop(&R, SG_DP_DROP_EXC_RATE, 1);
	expect_ring(exc_ring, BURST, gen, ng);
	/* BGP from and to port 179, IPv4 and IPv6, BFD, ARP and ND of the peers: they pass */
	n = pb_frame_tcp4(in, L2_GW, PEER4, "198.18.2.2", 40000, 179, RTE_TCP_SYN_FLAG, 64, 0);
	expect_prio(in, n, 10, false);
	n = pb_frame_tcp4(in, L2_GW, PEER4, "198.18.2.2", 179, 40000, RTE_TCP_ACK_FLAG, 64, 19);
	expect_prio(in, n, 10, false);
	n = pb_frame_tcp6(in, L2_GW, PEER6, "2001:2:0:2::2", 179, 40000, RTE_TCP_ACK_FLAG, 64, 19);
	expect_prio(in, n, 10, false);
	for (i = 3784; i <= 4784; i += i == 3785 ? 999 : 1) {
		n = pb_frame_udp4(in, L2_GW, PEER4, "198.18.2.2", 49152, (uint16_t)i, 24);
		expect_prio(in, n, 10, false);
	}
	n = pb_frame_arp(in, RTE_ARP_OP_REPLY, MAC_GW, PEER4, MAC_PORT0, "198.18.2.2", MAC_PORT0);
	expect_prio(in, n, 10, true);
	n = na_frame(in, MAC_PORT0, MAC_GW, PEER6, "2001:2:0:2::2");
	expect_prio(in, n, 10, true);
	n = na_frame(in, MAC_PORT0, MAC_GW, PEER6, "fe80::1");
	expect_prio(in, n, 10, true);
	n = pb_frame_ns(in, MAC_GW, PEER6, "fe80::1", MAC_GW);
	expect_prio(in, n, 10, false);
	/* not the class: another port of the peer, BFD from another host, the general bucket's */
	n = pb_frame_tcp4(in, L2_GW, PEER4, "198.18.2.2", 40000, 22, RTE_TCP_SYN_FLAG, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(10));
	assert_drop(&R, SG_DP_DROP_EXC_RATE, 0);
	n = pb_frame_udp4(in, L2_HOST1, "198.18.1.11", "198.18.1.2", 49152, 3784, 24);
	run_pkt(0, 1, in, n, &R, now_s(10));
	assert_drop(&R, SG_DP_DROP_EXC_RATE, 1);
	assert_int_equal(rte_ring_count(exc_ring) + rte_ring_count(prio_ring), 0);

	/* a flood with the peer's address (spoofed or not): bounded by the class's burst ... */
	n = pb_frame_tcp4(in, L2_GW, PEER4, "198.18.2.2", 40000, 179, RTE_TCP_SYN_FLAG, 64, 0);
	for (i = 0; i < SG_DP_EXC_PRIO_BURST; i++) {
		run_pkt(0, 0, in, n, &R, now_s(100));
		CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL, SG_DP_EV_EXC_PRIO_TO_KERNEL);
	}
	run_pkt(0, 0, in, n, &R, now_s(100));
	assert_drop(&R, SG_DP_DROP_EXC_PRIO_RATE, 0);
	/* ... and rate (one per 1/SG_DP_EXC_PRIO_PPS s), the general bucket untouched by it */
	run_pkt(0, 0, in, n, &R, now_s(100 + 1.0 / SG_DP_EXC_PRIO_PPS));
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL, SG_DP_EV_EXC_PRIO_TO_KERNEL);
	run_pkt(0, 0, in, n, &R, now_s(100 + 1.0 / SG_DP_EXC_PRIO_PPS));
	assert_drop(&R, SG_DP_DROP_EXC_PRIO_RATE, 0);
	expect_ring(prio_ring, SG_DP_EXC_PRIO_BURST + 1, in, n);
	run_pkt(0, 1, gen, ng, &R, now_s(100));
	expect_ring(exc_ring, 1, gen, ng);
	CNT_MOVED(SG_DP_EV_EXC_TO_KERNEL);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exc_to_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exc_rate_and_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exc_off, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_exc_prio, setup_prio, teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests_name("dataplane exception path", tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
