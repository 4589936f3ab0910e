/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT source port pools and flow-table pressure (doc/dataplane.md, "NAT
 * source ports" and "Flow table"): a pool per (NAT address, worker), the
 * port owner mapping, the rebuild on reload, embryonic flows (SYN until the
 * client's ACK), port reclaim (oldest first, another member preferred) and
 * eviction order.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_tcp.h>

#include "dp_test.h"

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define RST RTE_TCP_RST_FLAG

#define NO_CNT() assert_cnt_delta(&R, NULL, 0)

/* Tables with NAT range [min, max] and these NAT addresses (NULL-terminated). */
static void
nat_config(uint16_t min, uint16_t max, const char *const *addrs)
{
	struct cfg_store *cs = cfg_new();
	unsigned int i;

	for (i = 0; addrs[i] != NULL; i++)
		cfg_addr(&cs->cfg.nat.addrs[i], addrs[i]);
	cs->cfg.nat.n_addrs = i;
	cs->cfg.nat.port_min = min;
	cs->cfg.nat.port_max = max;
	assert_int_equal(env_rebuild(cs), 0);
}

static struct sg_dp_ip
ip(const char *text)
{
	struct sg_cfg_addr a;
	struct sg_dp_ip r;

	cfg_addr(&a, text);
	sg_dp_ip_from_cfg(&r, &a);
	return r;
}

static uint16_t
get(unsigned int w, const char *nat)
{
	struct sg_dp_ip a = ip(nat);

	return sg_dp_nat_port_get(env.w[w], env.t, &a);
}

static void
put(unsigned int w, const char *nat, uint16_t port)
{
	struct sg_dp_ip a = ip(nat);

	sg_dp_nat_port_put(env.w[w], &a, port);
}

static const char *const three[] = {"198.18.1.100", "198.18.1.101", "2001:2:0:1::100", NULL};

static void
test_pools_per_address(void **state)
{
	struct sg_dp_ip a = ip("198.18.1.100");
	uint32_t n_free, n_used;
	unsigned int i, k;

	(void)state;
	nat_config(40000, 40003, three);
	/* every address has the whole range, handed out in order */
	for (k = 0; three[k] != NULL; k++) {
		for (i = 0; i < 4; i++)
			assert_int_equal(get(0, three[k]), 40000 + i);
		assert_int_equal(get(0, three[k]), 0);
	}
	assert_int_equal(sg_dp_nat_pool_ports(env.w[0], &a, &n_free, &n_used), 0);
	assert_int_equal(n_free, 0);
	assert_int_equal(n_used, 4);
	/* a port comes back to its own address's pool only */
	put(0, "198.18.1.100", 40001);
	put(0, "198.18.1.100", 40001); /* twice: ignored */
	assert_int_equal(get(0, "198.18.1.101"), 0);
	assert_int_equal(get(0, "198.18.1.100"), 40001);
	assert_int_equal(get(0, "198.18.1.100"), 0);
	/* not a NAT address of the tables: nothing */
	assert_int_equal(get(0, "198.18.1.102"), 0);
}

/*
 * The pool of an address is found through a hint slot (its bytes XOR-folded,
 * 64 slots): .100 and .36 share one (they differ in bit 6 of one byte);
 * each keeps its own ports, a removed one's pool is still found.
 */
static void
test_pools_hint_shared(void **state)
{
	static const char *const pair[] = {"198.18.1.100", "198.18.1.36", "2001:2:0:1::100", NULL};
	static const char *const one[] = {"198.18.1.36", "2001:2:0:1::100", NULL};
	uint32_t n_free, n_used;
	struct sg_dp_ip a = ip("198.18.1.100");
	unsigned int i, k;

	(void)state;
	nat_config(40000, 40003, pair);
	for (i = 0; i < 4; i++) /* alternately: each lookup displaces the other's hint */
		for (k = 0; k < 2; k++)
			assert_int_equal(get(0, pair[k]), 40000 + i);
	assert_int_equal(get(0, pair[0]), 0);
	assert_int_equal(get(0, pair[1]), 0);
	put(0, pair[1], 40002);
	assert_int_equal(get(0, pair[0]), 0); /* not .100's port */
	assert_int_equal(get(0, pair[1]), 40002);
	/* .100 removed: its pool (ports in use) is found, and hands out nothing */
	nat_config(40000, 40003, one);
	assert_int_equal(get(0, pair[0]), 0);
	assert_int_equal(sg_dp_nat_pool_ports(env.w[0], &a, &n_free, &n_used), -ENOENT);
	put(0, pair[0], 40003);
	assert_int_equal(get(0, pair[1]), 0); /* .36's pool is still full */
	put(0, pair[1], 40001);
	assert_int_equal(get(0, pair[1]), 40001);
}

static void
test_owner_mapping(void **state)
{
	unsigned int w, i, k;

	(void)state;
	nat_config(40000, 40009, three);
	for (k = 0; three[k] != NULL; k++) {
		for (w = 0; w < 2; w++) {
			for (i = 0; i < 5; i++) {
				uint16_t p = get(w, three[k]);

				assert_int_equal(p, 40000 + 2 * i + w);
				assert_int_equal(sg_dp_nat_port_owner(p, 2), w);
			}
			assert_int_equal(get(w, three[k]), 0);
		}
	}
}

static void
test_reload_rebuild(void **state)
{
	static const char *const moved[] = {"198.18.1.100", "198.18.1.102", "2001:2:0:1::100",
					    NULL};
	struct sg_dp_ip gone = ip("198.18.1.101");
	uint32_t n_free, n_used;
	unsigned int i;

	(void)state;
	nat_config(40000, 40003, three);
	assert_int_equal(get(0, "198.18.1.100"), 40000);
	assert_int_equal(get(0, "198.18.1.100"), 40001);
	assert_int_equal(get(0, "198.18.1.101"), 40000);
	/* a wider range, .101 replaced by .102: ports in use stay out of the pools */
	nat_config(40000, 40005, moved);
	for (i = 2; i < 6; i++)
		assert_int_equal(get(0, "198.18.1.100"), 40000 + i);
	assert_int_equal(get(0, "198.18.1.100"), 0);
	assert_int_equal(get(0, "198.18.1.101"), 0); /* removed: hands out nothing */
	assert_int_equal(get(0, "198.18.1.102"), 40000);
	assert_int_equal(sg_dp_nat_pool_ports(env.w[0], &gone, &n_free, &n_used), -ENOENT);
	/* .101 back while its port 40000 is still in use: that port is skipped */
	nat_config(40000, 40005, three);
	assert_int_equal(get(0, "198.18.1.101"), 40001);
	assert_int_equal(sg_dp_nat_pool_ports(env.w[0], &gone, &n_free, &n_used), 0);
	assert_int_equal(n_used, 2);
	assert_int_equal(n_free, 4);
	/* ports of the old range come back to the FIFO's tail */
	put(0, "198.18.1.100", 40000);
	assert_int_equal(get(0, "198.18.1.100"), 40000);
	/* a narrower range: a returned port outside it is not handed out again */
	nat_config(40000, 40001, three);
	put(0, "198.18.1.100", 40005);
	put(0, "198.18.1.100", 40001);
	assert_int_equal(get(0, "198.18.1.100"), 40001);
	assert_int_equal(get(0, "198.18.1.100"), 0);
}

/* A SYN from client port @p cport to the IPv4 NAT VIP; returns the NAT source port. */
static uint16_t
nat_syn(uint16_t cport, double t)
{
	uint8_t in[PKT_MAX];
	size_t n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.2", cport, 80, SYN, 64, 0);

	run_pkt(0, 0, in, n, &R, now_s(t));
	if (R.out_port != 1)
		return 0;
	return (uint16_t)(R.out[14 + 20] << 8 | R.out[14 + 21]);
}

static void
nat_client(uint16_t cport, uint8_t flags, double t)
{
	uint8_t in[PKT_MAX];
	size_t n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.2", cport, 80, flags, 64, 0);

	run_pkt(0, 0, in, n, &R, now_s(t));
}

/* host1's segment to the NAT address and port @p nport (the return path) */
static void
nat_member(uint16_t nport, uint8_t flags, double t)
{
	uint8_t in[PKT_MAX];
	size_t n = pb_frame_tcp4(in, L2_GW, "198.18.1.11", "198.18.1.100", 80, nport, flags, 64, 0);

	pb_put_eth(in, MAC_PORT1, MAC_HOST1, 0x0800);
	run_pkt(0, 1, in, n, &R, now_s(t));
}

static void
test_reclaim_order(void **state)
{
	static const char *const one[] = {"198.18.1.100", "2001:2:0:1::100", NULL};
	uint8_t in[PKT_MAX];
	size_t n;

	(void)state;
	nat_config(40000, 40003, one);
	/* A, B, C, D take the four ports; B gets its SYN-ACK, C completes */
	assert_int_equal(nat_syn(50001, 1), 40000);
	assert_int_equal(nat_syn(50002, 2), 40001);
	assert_int_equal(nat_syn(50003, 3), 40002);
	assert_int_equal(nat_syn(50004, 4), 40003);
	nat_member(40001, SYN | ACK, 5);
	assert_int_equal(R.out_port, 0);
	nat_member(40002, SYN | ACK, 5);
	nat_client(50003, ACK, 6);
	NO_CNT();
	/* the pool is empty: each new SYN takes the oldest embryonic flow's port */
	assert_int_equal(nat_syn(50005, 7), 40000); /* A's */
	CNT_MOVED(SG_DP_EV_FLOW_NEW, SG_DP_EV_NAT_PORT_EXHAUSTED, SG_DP_EV_NAT_PORT_RECLAIMED);
	assert_int_equal(nat_syn(50006, 7), 40001); /* B's: a SYN-ACK does not establish */
	assert_int_equal(nat_syn(50007, 7), 40003); /* D's: C is established */
	assert_int_equal(nat_syn(50008, 7), 40000); /* E's */
	/* C still forwards on its port; A is gone */
	nat_client(50003, ACK, 8);
	assert_int_equal(R.out_port, 1);
	assert_int_equal(R.out[14 + 20] << 8 | R.out[14 + 21], 40002);
	NO_CNT();
	nat_client(50001, ACK, 8);
	assert_drop(&R, SG_DP_DROP_NO_FLOW, 0);
	/* every flow established: nothing to reclaim, the SYN is dropped */
	nat_client(50006, ACK, 9);
	nat_client(50007, ACK, 9);
	nat_client(50008, ACK, 9);
	assert_int_equal(nat_syn(50009, 10), 0);
	CNT_MOVED(SG_DP_EV_NAT_PORT_EXHAUSTED, SG_DP_DROP_NAT_PORTS);
	/* the IPv6 NAT address has its own pool */
	n = pb_frame_tcp6(in, L2_GW, CLIENT6, "2001:2:0:10::2", 50001, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(10));
	assert_int_equal(R.out_port, 1);
	assert_int_equal(R.out[14 + 40] << 8 | R.out[14 + 41], 40000);
	CNT_MOVED(SG_DP_EV_FLOW_NEW);
}

static void
test_reclaim_other_member(void **state)
{
	struct cfg_store *cs = cfg_new();
	uint8_t in[PKT_MAX];
	size_t n;

	(void)state;
	/* 198.18.10.5:81 becomes a NAT VS to the pool "weighted" (members w1..w4, port 81) */
	cs->vs[VS_LIMITED].mode = SG_CFG_MODE_NAT;
	cs->vs[VS_LIMITED].max_flows = 0;
	cs->cfg.nat.port_min = 40000;
	cs->cfg.nat.port_max = 40001;
	assert_int_equal(env_rebuild(cs), 0);
	assert_int_equal(nat_syn(50001, 1), 40000); /* A: host1:80 */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.5", 50002, 81, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(2)); /* B: a member of "weighted", port 81 */
	assert_int_equal(R.out_port, 1);
	assert_int_equal(R.out[14 + 20] << 8 | R.out[14 + 21], 40001);
	/* C to host1:80: A is older, but host1 may still hold A's 4-tuple half-open */
	assert_int_equal(nat_syn(50003, 3), 40001);
	CNT_MOVED(SG_DP_EV_FLOW_NEW, SG_DP_EV_NAT_PORT_EXHAUSTED, SG_DP_EV_NAT_PORT_RECLAIMED);
	nat_client(50001, ACK, 4); /* A is still there */
	assert_int_equal(R.out_port, 1);
	assert_int_equal(R.out[14 + 20] << 8 | R.out[14 + 21], 40000);
	NO_CNT();
}

static void
test_embryonic_timeout(void **state)
{
	const struct sg_dp_stats *s = sg_dp_worker_stats(env.w[0]);

	(void)state;
	/* answered by the member, never by the client: the transitory 30 s */
	assert_int_equal(nat_syn(50001, 0), 1024);
	nat_member(1024, SYN | ACK, 0);
	/* completed by the client: established (300 s) */
	assert_int_equal(nat_syn(50002, 0), 1025);
	nat_member(1025, SYN | ACK, 0);
	nat_client(50002, ACK, 0);
	/* completed, then reset by the member: closing (30 s) */
	assert_int_equal(nat_syn(50003, 0), 1026);
	nat_member(1026, SYN | ACK, 0);
	nat_client(50003, ACK, 0);
	nat_member(1026, RST, 0);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 3);
	sg_dp_worker_expire(env.w[0], env.t, now_s(29), 1024);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 3);
	sg_dp_worker_expire(env.w[0], env.t, now_s(31), 1024);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 1);
	assert_int_equal(s->cnt[SG_DP_EV_FLOW_EXPIRED], 1);
	assert_int_equal(s->cnt[SG_DP_EV_FLOW_CLOSED], 1);
	nat_client(50002, ACK, 32);
	assert_int_equal(R.out_port, 1);
	NO_CNT();
}

/* A DSR SYN (and the client's ACK when @p est) to the Maglev DSR VIP. */
static void
dsr_flow(uint16_t cport, bool est, double t)
{
	uint8_t in[PKT_MAX];
	size_t n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", cport, 80, SYN, 64, 0);

	run_pkt(0, 0, in, n, &R, now_s(t));
	if (est) {
		n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", cport, 80, ACK, 64, 0);
		run_pkt(0, 0, in, n, &R, now_s(t));
	}
}

static void
test_eviction_order(void **state)
{
	uint8_t in[PKT_MAX];
	size_t n;

	(void)state;
	env_teardown();
	assert_int_equal(env_setup(1, 4), 0);
	dsr_flow(40000, true, 0); /* established, least recently used */
	dsr_flow(40001, true, 1);
	dsr_flow(40002, false, 2); /* embryonic */
	dsr_flow(40003, false, 3);
	dsr_flow(40002, false, 5); /* a retransmitted SYN: recent, still embryonic */
	/* full: the oldest embryonic flow goes, not the least recently used one */
	dsr_flow(50000, false, 10);
	CNT_MOVED(SG_DP_EV_FLOW_NEW, SG_DP_EV_FLOW_EVICTED, SG_DP_EV_FLOW_TABLE_FULL,
		  SG_DP_EV_FLOW_EVICTED_EMB);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, ACK, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(11));
	NO_CNT(); /* still there */
	dsr_flow(50001, false, 12);
	dsr_flow(50002, false, 13);
	/* 40002, 40003 and 50000 went in that order; the established ones stay */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40001, 80, ACK, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(14));
	NO_CNT();
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 50002, 80, ACK, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(14));
	NO_CNT(); /* 50002 established now: every flow is */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 50001, 80, ACK, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(14));
	NO_CNT();
	/* nothing embryonic left: the least recently used established flow goes */
	dsr_flow(60000, false, 15);
	CNT_MOVED(SG_DP_EV_FLOW_NEW, SG_DP_EV_FLOW_EVICTED, SG_DP_EV_FLOW_TABLE_FULL,
		  SG_DP_EV_FLOW_EVICTED_EST);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pools_per_address, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_owner_mapping, dp_setup2, dp_teardown),
		cmocka_unit_test_setup_teardown(test_pools_hint_shared, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_reload_rebuild, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_order, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_other_member, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_embryonic_timeout, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_eviction_order, dp_setup1, dp_teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests_name("dataplane NAT pools and flow pressure", tests, NULL,
					 NULL);
	dp_eal_fini();
	return rc;
}
