/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Passive detection (dataplane/core/passive.c, doc/dataplane.md): the nat
 * VS 198.18.10.2:80 -> pool "one" (host1 198.18.1.11), with
 * passive.consecutive_failures 3. Each connection is a real client SYN
 * through the worker (the NAT port learned from the SYN it forwards), then
 * the member's answers as frames on port 1. Checked: a RST acknowledging
 * the SYN counts (refused), so does a RST at the member's ISN + 1 after its
 * SYN-ACK (reset early) and a SYN that expires unanswered (timeout); a RST
 * with a wrong ack or seq, without ACK, a second RST on the same flow, and
 * a RST for no flow never count; the member's first byte resets the count;
 * MEMBER_SUSPECT goes out on the third failure, valid for sg_msg_check(),
 * naming pool, member and reason, at most once a second; a pool with
 * passive detection off is not watched; the SYN-proxied NAT hand-off
 * reports a refused connect too.
 */
#include <arpa/inet.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "pktbuild.h"
#include "sessiongate/sg_msg.h"
#include "core/passive.h"

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define RST RTE_TCP_RST_FLAG
#define PSH RTE_TCP_PSH_FLAG

#define THRESHOLD 3
#define MEMBER	  "198.18.1.11"
#define NATADDR	  "198.18.1.100"
#define VIP	  "198.18.10.2"
#define L4_OFF	  34 /* Ethernet + IPv4 without options */

static struct rte_ring *to_ctl, *from_ctl;
static uint16_t next_sport = 40000;

/* A TCP frame with these sequence numbers and @p payload bytes. */
static size_t
seg(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst, uint16_t sport,
    uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, size_t payload)
{
	size_t len = pb_frame_tcp4(b, l2, src, dst, sport, dport, flags, 64, payload);
	uint32_t s = rte_cpu_to_be_32(seq), a = rte_cpu_to_be_32(ack);

	memcpy(b + L4_OFF + 4, &s, 4);
	memcpy(b + L4_OFF + 8, (flags & ACK) ? &a : &(uint32_t){0}, 4);
	pb_fix_l4_csum(b + 14);
	return len;
}

/* A client SYN (ISN @p isn) at @p now: forwarded to the member; @return its NAT port. */
static uint16_t
connect_at(uint16_t sport, uint32_t isn, uint64_t now)
{
	uint8_t b[PKT_MAX];
	size_t len = seg(b, L2_GW, CLIENT4, VIP, sport, 80, SYN, isn, 0, 0);
	uint16_t nat_port;

	run_pkt(0, 0, b, len, &R, now);
	assert_int_equal(R.out_port, 1);
	memcpy(&nat_port, R.out + L4_OFF, 2);
	return rte_be_to_cpu_16(nat_port);
}

/* The member's segment to NAT port @p nat_port at @p now. */
static void
member_says(uint16_t nat_port, uint8_t flags, uint32_t seq, uint32_t ack, size_t payload,
	    uint64_t now)
{
	uint8_t b[PKT_MAX];
	size_t len = seg(b, L2_HOST1, MEMBER, NATADDR, 80, nat_port, flags, seq, ack, payload);

	run_pkt(0, 1, b, len, &R, now);
}

static uint64_t
moved(enum sg_dp_cnt c)
{
	return R.after->cnt[c] - R.before->cnt[c];
}

static uint32_t
host1_fails(void)
{
	const struct sg_dp_member *mb = &env.t->pools[0].members[0];

	return sg_dp_passive_count(env.w[0], mb->slot);
}

/* A connection the member refuses (RST|ACK acknowledging the SYN) at @p now. */
static void
refused_at(uint64_t now)
{
	uint32_t isn = 1000u * next_sport;
	uint16_t np = connect_at(next_sport++, isn, now);

	member_says(np, RST | ACK, 0, isn + 1, 0, now);
	assert_int_equal(moved(SG_DP_EV_PASSIVE_FAILURES), 1);
}

/* The MEMBER_SUSPECT messages on the ring: how many; *last: the last one. */
static unsigned int
suspects(struct sg_msg *last)
{
	struct sg_msg m = {0};
	unsigned int n = 0;

	while (rte_ring_dequeue_elem(to_ctl, &m, SG_MSG_SIZE) == 0) {
		assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
		assert_int_equal(m.hdr.type, SG_MSG_MEMBER_SUSPECT);
		*last = m;
		n++;
	}
	return n;
}

static int
setup_with(uint32_t threshold)
{
	struct cfg_store *cs;

	next_sport = 40000;
	if (env_setup(1, 1024) != 0)
		return -1;
	cs = cfg_new();
	cs->pools[0].passive.consecutive_failures = threshold; /* "one" */
	cs->vs[VS_NAT_TCP].syn_proxy = SG_CFG_SYN_PROXY_OFF;
	if (env_rebuild(cs) != 0)
		return -1;
	run_result_init(&R);
	return env_broker_start((const uint8_t *)"sessiongate-ut-q", 16, &to_ctl, &from_ctl);
}

static int
setup(void **state)
{
	(void)state;
	return setup_with(THRESHOLD);
}

static int
setup_off(void **state)
{
	(void)state;
	return setup_with(0);
}

static int
teardown(void **state)
{
	(void)state;
	run_result_fini(&R);
	env_broker_stop(to_ctl, from_ctl);
	return 0;
}

/* Three refused connects: one MEMBER_SUSPECT; more within the second: none; after it: one. */
static void
test_refused_suspect_once_a_second(void **state)
{
	struct sg_msg m = {0};
	int i;

	(void)state;
	refused_at(now_s(1));
	refused_at(now_s(1.1));
	assert_int_equal(host1_fails(), 2);
	assert_int_equal(suspects(&m), 0);
	refused_at(now_s(1.2));
	assert_int_equal(moved(SG_DP_EV_PASSIVE_SUSPECTS), 1);
	assert_int_equal(suspects(&m), 1);
	assert_int_equal(m.suspect.reason, SG_MSG_SUSPECT_REFUSED);
	assert_int_equal(m.suspect.failures, 3);
	assert_string_equal(m.suspect.pool, "one");
	assert_string_equal(m.suspect.member, "host1");
	assert_int_equal(m.suspect.member_slot, env.t->pools[0].members[0].slot);
	assert_int_equal(m.hdr.worker, 0);
	for (i = 0; i < 5; i++) /* within the second: counted, not reported again */
		refused_at(now_s(1.3 + i * 0.1));
	assert_int_equal(suspects(&m), 0);
	assert_int_equal(host1_fails(), 8);
	refused_at(now_s(2.3)); /* a second after the first report */
	assert_int_equal(suspects(&m), 1);
	assert_int_equal(m.suspect.failures, 9);
	assert_int_equal(sg_dp_worker_stats(env.w[0])->cnt[SG_DP_EV_PASSIVE_SUSPECTS], 2);
}

/* RSTs a spoofer can send: wrong ack, no ACK, a second one, no flow: none counts. */
static void
test_spoofed_rst_never_counts(void **state)
{
	uint32_t isn = 77777;
	uint16_t np = connect_at(41000, isn, now_s(1));
	struct sg_msg m = {0};

	(void)state;
	member_says(np, RST | ACK, 0, isn + 2, 0, now_s(1)); /* ack not our SYN's */
	assert_int_equal(moved(SG_DP_EV_PASSIVE_RST_UNVALIDATED), 1);
	assert_int_equal(moved(SG_DP_EV_PASSIVE_FAILURES), 0);
	member_says(np, RST, isn + 1, 0, 0, now_s(1)); /* no ACK: not acceptable in SYN-SENT */
	assert_int_equal(moved(SG_DP_EV_PASSIVE_RST_UNVALIDATED), 1);
	assert_int_equal(moved(SG_DP_EV_PASSIVE_FAILURES), 0);
	member_says(np, RST | ACK, 0, isn + 1, 0, now_s(1)); /* the real one counts ... */
	assert_int_equal(moved(SG_DP_EV_PASSIVE_FAILURES), 1);
	member_says(np, RST | ACK, 0, isn + 1, 0, now_s(1)); /* ... once per flow */
	assert_int_equal(moved(SG_DP_EV_PASSIVE_FAILURES), 0);
	assert_int_equal(moved(SG_DP_EV_PASSIVE_RST_UNVALIDATED), 0);
	member_says(np + 1, RST | ACK, 0, isn + 1, 0, now_s(1)); /* a port of no flow */
	assert_int_equal(moved(SG_DP_DROP_NO_FLOW), 1);
	assert_int_equal(moved(SG_DP_EV_PASSIVE_FAILURES), 0);
	assert_int_equal(host1_fails(), 1);
	assert_int_equal(suspects(&m), 0);
}

/*
 * Accepts, then resets: a RST at exactly ISN + 1 after the SYN-ACK counts,
 * another seq does not; the member's first byte (at ISN + 1) resets the count.
 */
static void
test_reset_early_and_success(void **state)
{
	const uint32_t misn = 0xfffffff0; /* across 2^32 */
	struct sg_msg m = {0};
	uint16_t np;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		uint32_t isn = 5000u + (uint32_t)i;

		np = connect_at((uint16_t)(42000 + i), isn, now_s(1));
		member_says(np, SYN | ACK, misn, isn + 1, 0, now_s(1));
		assert_int_equal(R.out_port, 0); /* forwarded to the client */
		member_says(np, RST | ACK, misn + 5, isn + 1, 0, now_s(1)); /* wrong seq */
		assert_int_equal(moved(SG_DP_EV_PASSIVE_RST_UNVALIDATED), 1);
		member_says(np, RST | ACK, misn + 1, isn + 1, 0, now_s(1));
		assert_int_equal(moved(SG_DP_EV_PASSIVE_FAILURES), 1);
	}
	assert_int_equal(host1_fails(), 2);
	/* a connection the member serves: SYN-ACK alone decides nothing, its first byte does */
	np = connect_at(42100, 9000, now_s(1));
	member_says(np, SYN | ACK, misn, 9001, 0, now_s(1));
	assert_int_equal(host1_fails(), 2);
	member_says(np, ACK | PSH, misn + 7, 9001, 10, now_s(1)); /* not at ISN + 1: not its */
	assert_int_equal(host1_fails(), 2);
	member_says(np, ACK | PSH, misn + 1, 9001, 10, now_s(1));
	assert_int_equal(host1_fails(), 0);
	member_says(np, RST | ACK, misn + 11, 9001, 0, now_s(1)); /* later: not watched */
	assert_int_equal(moved(SG_DP_EV_PASSIVE_FAILURES), 0);
	assert_int_equal(moved(SG_DP_EV_PASSIVE_RST_UNVALIDATED), 0);
	/* two more failures after the success: below the threshold again */
	for (i = 0; i < 2; i++)
		refused_at(now_s(1.5));
	assert_int_equal(suspects(&m), 0);
	refused_at(now_s(1.6));
	assert_int_equal(suspects(&m), 1);
	assert_int_equal(m.suspect.reason, SG_MSG_SUSPECT_REFUSED);
	/* served again (count 0), then three early resets in a row: reported as such */
	np = connect_at(42150, 9100, now_s(3));
	member_says(np, SYN | ACK, misn, 9101, 0, now_s(3));
	member_says(np, ACK | PSH, misn + 1, 9101, 1, now_s(3));
	assert_int_equal(host1_fails(), 0);
	for (i = 0; i < 3; i++) {
		uint32_t isn = 7000u + (uint32_t)i;

		np = connect_at((uint16_t)(42200 + i), isn, now_s(3));
		member_says(np, SYN | ACK, misn, isn + 1, 0, now_s(3));
		member_says(np, RST | ACK, misn + 1, isn + 1, 0, now_s(3));
	}
	assert_int_equal(suspects(&m), 1);
	assert_int_equal(m.suspect.reason, SG_MSG_SUSPECT_RESET_EARLY);
	assert_int_equal(m.suspect.failures, 3);
}

/* SYNs the member never answers: the expiry counts each as a timeout; a SYN-ACK'd one not. */
static void
test_timeout(void **state)
{
	struct sg_msg m = {0};
	uint16_t np;
	int i;

	(void)state;
	for (i = 0; i < THRESHOLD; i++)
		(void)connect_at((uint16_t)(43000 + i), 100u + (uint32_t)i, now_s(1));
	np = connect_at(43100, 500, now_s(1));
	member_says(np, SYN | ACK, 1234, 501, 0, now_s(1));    /* answered: no timeout */
	sg_dp_worker_expire(env.w[0], env.t, now_s(10), 1024); /* within 30 s: nothing */
	assert_int_equal(host1_fails(), 0);
	sg_dp_worker_expire(env.w[0], env.t, now_s(40), 1024);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 0);
	assert_int_equal(sg_dp_worker_stats(env.w[0])->cnt[SG_DP_EV_PASSIVE_FAILURES], THRESHOLD);
	assert_int_equal(suspects(&m), 1);
	assert_int_equal(m.suspect.reason, SG_MSG_SUSPECT_TIMEOUT);
	assert_int_equal(m.suspect.failures, THRESHOLD);
}

/* passive.consecutive_failures 0: the pool's flows are not watched at all. */
static void
test_off(void **state)
{
	uint16_t np = connect_at(44000, 10, now_s(1));
	struct sg_msg m = {0};

	(void)state;
	member_says(np, RST | ACK, 0, 11, 0, now_s(1));
	assert_int_equal(moved(SG_DP_EV_PASSIVE_FAILURES), 0);
	member_says(np, RST | ACK, 0, 99, 0, now_s(1));
	assert_int_equal(moved(SG_DP_EV_PASSIVE_RST_UNVALIDATED), 0);
	assert_int_equal(host1_fails(), 0);
	assert_int_equal(suspects(&m), 0);
}

/* SYN-proxied NAT hand-off: the member's RST acknowledging the hand-off's SYN counts. */
static void
test_synproxy_handoff_refused(void **state)
{
	struct cfg_store *cs = cfg_new();
	uint8_t b[PKT_MAX];
	uint32_t cookie, cisn = 31337;
	uint16_t np;
	size_t len;

	(void)state;
	cs->pools[0].passive.consecutive_failures = THRESHOLD;
	cs->vs[VS_NAT_TCP].syn_proxy = SG_CFG_SYN_PROXY_ON;
	assert_int_equal(env_rebuild(cs), 0);
	len = seg(b, L2_GW, CLIENT4, VIP, 45000, 80, SYN, cisn, 0, 0);
	run_pkt(0, 0, b, len, &R, now_s(1));
	assert_int_equal(R.out_port, 0); /* the cookie SYN-ACK */
	memcpy(&cookie, R.out + L4_OFF + 4, 4);
	cookie = rte_be_to_cpu_32(cookie);
	len = seg(b, L2_GW, CLIENT4, VIP, 45000, 80, ACK, cisn + 1, cookie + 1, 0);
	run_pkt(0, 0, b, len, &R, now_s(1));
	assert_int_equal(R.out_port, 1); /* the hand-off's SYN to the member */
	assert_int_equal(moved(SG_DP_EV_SYNPROXY_OPEN), 1);
	memcpy(&np, R.out + L4_OFF, 2);
	np = rte_be_to_cpu_16(np);
	member_says(np, RST | ACK, 0, cisn + 2, 0, now_s(1)); /* not our SYN's ack */
	assert_int_equal(moved(SG_DP_EV_PASSIVE_RST_UNVALIDATED), 1);
	assert_int_equal(moved(SG_DP_DROP_VM_RST), 1);
	member_says(np, RST | ACK, 0, cisn + 1, 0, now_s(1));
	assert_int_equal(moved(SG_DP_EV_PASSIVE_FAILURES), 1);
	assert_int_equal(host1_fails(), 1);
}

/*
 * A member answering from an earlier flow's half-open connection on the
 * reused NAT port (its SYN-ACK acknowledges another ISN): the SYN-ACK is
 * dropped and the member reset from the NAT address at that ack; the
 * client's SYN, retransmitted on the same flow, then gets the real answer.
 * A new connect on the flow (another ISN) is the one checked after it.
 * Passive detection on or off alike.
 */
static void
stale_synack(void)
{
	const uint32_t isn = 7000, stale = 4242;
	uint16_t np = connect_at(46000, isn, now_s(1)), p;
	uint8_t a[4], b[PKT_MAX];
	uint32_t v;

	member_says(np, SYN | ACK, 900, stale, 0, now_s(1));
	assert_int_equal(moved(SG_DP_DROP_NAT_STALE_SYNACK), 1);
	assert_int_equal(moved(SG_DP_EV_NAT_STALE_RST), 1);
	assert_int_equal(moved(SG_DP_EV_PASSIVE_FAILURES), 0);
	assert_int_equal(R.out_port, 1); /* only the RST, to the member */
	assert_int_equal(R.out[L4_OFF + 13], RST);
	memcpy(&v, R.out + L4_OFF + 4, 4);
	assert_int_equal(rte_be_to_cpu_32(v), stale); /* the member's RCV.NXT */
	memcpy(&p, R.out + L4_OFF, 2);
	assert_int_equal(rte_be_to_cpu_16(p), np);
	memcpy(&p, R.out + L4_OFF + 2, 2);
	assert_int_equal(rte_be_to_cpu_16(p), 80);
	assert_int_equal(inet_pton(AF_INET, NATADDR, a), 1);
	assert_memory_equal(R.out + 14 + 12, a, 4);
	assert_int_equal(inet_pton(AF_INET, MEMBER, a), 1);
	assert_memory_equal(R.out + 14 + 16, a, 4);
	/* the client's SYN again: the same flow, and the member's own answer goes through */
	assert_int_equal(connect_at(46000, isn, now_s(2)), np);
	member_says(np, SYN | ACK, 900, isn + 1, 0, now_s(2));
	assert_int_equal(R.out_port, 0);
	assert_int_equal(moved(SG_DP_DROP_NAT_STALE_SYNACK), 0);
	/* another connect on the flow: the first one's SYN-ACK is stale now */
	assert_int_equal(connect_at(46000, isn + 100000, now_s(3)), np);
	member_says(np, SYN | ACK, 900, isn + 1, 0, now_s(3));
	assert_int_equal(moved(SG_DP_DROP_NAT_STALE_SYNACK), 1);
	member_says(np, SYN | ACK, 901, isn + 100001, 0, now_s(3));
	assert_int_equal(R.out_port, 0);
	/* established: a SYN-ACK is no longer checked (the member's retransmission) */
	run_pkt(0, 0, b, seg(b, L2_GW, CLIENT4, VIP, 46000, 80, ACK, isn + 100001, 902, 0), &R,
		now_s(3));
	member_says(np, SYN | ACK, 901, 1, 0, now_s(3));
	assert_int_equal(moved(SG_DP_DROP_NAT_STALE_SYNACK), 0);
	assert_int_equal(R.out_port, 0);
}

static void
test_stale_synack(void **state)
{
	(void)state;
	stale_synack();
}

static void
test_stale_synack_off(void **state)
{
	(void)state;
	stale_synack();
}

static void
test_counter_names(void **state)
{
	(void)state;
	assert_string_equal(sg_dp_cnt_name(SG_DP_EV_PASSIVE_FAILURES), "passive_failures");
	assert_string_equal(sg_dp_cnt_name(SG_DP_EV_PASSIVE_SUSPECTS), "passive_suspects");
	assert_string_equal(sg_dp_cnt_name(SG_DP_EV_PASSIVE_RST_UNVALIDATED),
			    "passive_rst_unvalidated");
	assert_string_equal(sg_dp_cnt_name(SG_DP_EV_CTL_ABORT), "ctl_abort");
	assert_string_equal(sg_dp_cnt_name(SG_DP_EV_CTL_ABORT_UNKNOWN), "ctl_abort_unknown");
	assert_string_equal(sg_dp_cnt_name(SG_DP_EV_CTL_DRAIN_FULL), "ctl_abort_drain_full");
	assert_string_equal(sg_dp_cnt_name(SG_DP_DROP_NAT_STALE_SYNACK), "drop_nat_stale_synack");
	assert_string_equal(sg_dp_cnt_name(SG_DP_EV_NAT_STALE_RST), "nat_stale_rst");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused_suspect_once_a_second, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_spoofed_rst_never_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_early_and_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off, setup_off, teardown),
		cmocka_unit_test_setup_teardown(test_synproxy_handoff_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_synack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_synack_off, setup_off, teardown),
		cmocka_unit_test(test_counter_names),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
