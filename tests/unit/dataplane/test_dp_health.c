/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Member health in the data plane: Maglev with minimal disruption (1M
 * tuples), MEMBER_STATE through a worker's real ring from sg-control to the
 * main lcore's mailbox and the overlay, tables built with the overlay (no
 * new flow to a member not up, established flows keep theirs),
 * no_live_member (drop, reset, fallback), the reset walk, and a new
 * connection on the tuple of a flow whose member is not up (rescheduled).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_jhash.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "core/health.h"
#include "session/syncookie.h"
#include "sessiongate/sg_msg.h"

#define SYN	TCP_SYN
#define ACK	TCP_ACK
#define TCP_SYN RTE_TCP_SYN_FLAG
#define TCP_ACK RTE_TCP_ACK_FLAG

/* ---- Maglev with minimal disruption ---- */

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
member_ids(uint64_t *id, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		char name[16];

		uint32_t h[2];

		(void)snprintf(name, sizeof(name), "member-%u", i);
		h[0] = rte_jhash(name, strlen(name), 0x6d61676c);
		h[1] = rte_jhash(name, strlen(name), 0x65763031);
		memcpy(&id[i], h, sizeof(h)); /* 64-bit id from two 32-bit hashes */
	}
}

/* One case: @p n members, table @p size, members in @p dead down. */
static void
maglev_case(unsigned int n, uint32_t size, const unsigned int *dead, unsigned int n_dead)
{
	uint16_t *base = malloc(size * sizeof(uint16_t)), *cur = malloc(size * sizeof(uint16_t));
	uint16_t *again = malloc(size * sizeof(uint16_t));
	uint32_t w[16];
	uint64_t id[16], seed = 0x9e3779b97f4a7c15ull, live_tuples = 0, moved = 0;
	bool live[16];
	unsigned int i, got[16] = {0}, freed = 0;
	double sum_live = 0;

	assert_non_null(base);
	assert_non_null(cur);
	assert_non_null(again);
	member_ids(id, n);
	for (i = 0; i < n; i++) {
		w[i] = 1 + i % 4; /* weights 1..4 */
		live[i] = true;
	}
	for (i = 0; i < n_dead; i++)
		live[dead[i]] = false;
	for (i = 0; i < n; i++)
		sum_live += live[i] ? w[i] : 0;
	assert_int_equal(sg_dp_maglev_build_live(w, id, NULL, n, size, base), 0);
	assert_int_equal(sg_dp_maglev_build_live(w, id, live, n, size, cur), 0);
	/* 1M random tuples (their flow hashes) */
	for (i = 0; i < 1000000; i++) {
		uint32_t h = (uint32_t)xorshift(&seed);

		if (!live[base[h % size]])
			continue;
		live_tuples++;
		moved += cur[h % size] != base[h % size];
	}
	print_message("maglev %u members, size %u, %u down: %llu of %llu tuples on live "
		      "members changed member (%.4f%%)\n",
		      n, size, n_dead, (unsigned long long)moved, (unsigned long long)live_tuples,
		      100.0 * (double)moved / (double)live_tuples);
	assert_true(moved * 100 <= live_tuples); /* at most 1 % (expected: none) */
	assert_int_equal(moved, 0);
	for (i = 0; i < size; i++) {
		assert_true(cur[i] < n && live[cur[i]]); /* every entry to a live member */
		if (!live[base[i]]) {
			freed++;
			got[cur[i]]++;
		} else {
			assert_int_equal(cur[i], base[i]);
		}
	}
	/* the dead members' entries spread over the live ones by weight */
	for (i = 0; i < n && size > 10000; i++) {
		double want = freed * (live[i] ? w[i] : 0) / sum_live;

		assert_true(got[i] >= want * 0.9 - 3 && got[i] <= want * 1.1 + 3);
	}
	/* deterministic in the set of live members */
	assert_int_equal(sg_dp_maglev_build_live(w, id, live, n, size, again), 0);
	assert_memory_equal(again, cur, size * sizeof(uint16_t));
	/* all back up: the base table exactly */
	for (i = 0; i < n; i++)
		live[i] = true;
	assert_int_equal(sg_dp_maglev_build_live(w, id, live, n, size, again), 0);
	assert_memory_equal(again, base, size * sizeof(uint16_t));
	free(base);
	free(cur);
	free(again);
}

static void
test_maglev_minimal_disruption(void **state)
{
	static const unsigned int one[] = {1}, three_of_ten[] = {2, 5, 9}, two_of_three[] = {0, 2};
	static const uint32_t sizes[] = {65537, 1021};

	(void)state;
	for (unsigned int s = 0; s < RTE_DIM(sizes); s++) {
		maglev_case(3, sizes[s], one, 1);
		maglev_case(3, sizes[s], two_of_three, 2);
		maglev_case(10, sizes[s], one, 1);
		maglev_case(10, sizes[s], three_of_ten, 3);
	}
}

/* ---- MEMBER_STATE through the rings ---- */

static struct sg_dp_health *H;
static struct rte_ring *from_ctl, *to_ctl, *mbox;
static struct sg_dp_syncookie_secret cookies;
static bool ctl_up = true;

static int
setup(void **state)
{
	(void)state;
	H = sg_dp_health_create();
	from_ctl = rte_ring_create_elem("ut_h_from", SG_MSG_SIZE, 64, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	to_ctl = rte_ring_create_elem("ut_h_to", SG_MSG_SIZE, 64, SOCKET_ID_ANY,
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	mbox = rte_ring_create_elem("ut_h_mbox", sizeof(struct sg_msg_member_state),
				    SG_DP_HEALTH_MBOX, SOCKET_ID_ANY,
				    RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (H == NULL || from_ctl == NULL || to_ctl == NULL || mbox == NULL ||
	    sg_dp_syncookie_init(&cookies) != 0)
		return -1;
	env.member_mbox = mbox;
	return dp_setup1(state);
}

static int
teardown(void **state)
{
	dp_teardown(state);
	env.member_mbox = NULL;
	rte_ring_free(from_ctl);
	rte_ring_free(to_ctl);
	rte_ring_free(mbox);
	sg_dp_health_free(H);
	return 0;
}

static void
ctl_send(uint8_t st, uint8_t flags, const char *pool, const char *member, uint32_t gen)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.version = SG_MSG_VERSION;
	m.hdr.type = SG_MSG_MEMBER_STATE;
	m.hdr.len = sizeof(m.hdr) + sizeof(m.member_state);
	m.member_state.state = st;
	m.member_state.flags = flags;
	m.member_state.generation = gen;
	(void)snprintf(m.member_state.pool, sizeof(m.member_state.pool), "%s", pool);
	(void)snprintf(m.member_state.member, sizeof(m.member_state.member), "%s", member);
	assert_int_equal(rte_ring_enqueue_elem(from_ctl, &m, SG_MSG_SIZE), 0);
}

/*
 * The worker's round, the main lcore's pass (apply the mailbox, rebuild and
 * publish), the worker's next round (with the new tables).
 */
static int
poll_and_apply(void)
{
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	struct sg_msg_member_state ms;
	struct sg_dp_tables *nt;
	char err[256];
	int changed = 0, rc;

	assert_non_null(q);
	sg_dp_worker_poll_control(env.w[0], env.t, q, now_s(1));
	while (rte_ring_dequeue_elem(mbox, &ms, sizeof(ms)) == 0) {
		rc = sg_dp_health_apply(H, &env.cs->cfg, &ms, 1000);
		changed += rc > 0 ? rc : 0;
	}
	rc = sg_dp_tables_build_health(&env.cs->cfg, env.t, env.ports, H, &nt, err, sizeof(err));
	assert_int_equal(rc, 0);
	sg_dp_tables_free(env.t);
	env.t = nt;
	sg_dp_worker_poll_control(env.w[0], env.t, q, now_s(1)); /* its next round: the walk */
	free(q);
	return changed;
}

static const struct sg_dp_member *
weighted(unsigned int i)
{
	return &env.t->pools[5].members[i];
}

static uint64_t
cnt(enum sg_dp_cnt c)
{
	return sg_dp_worker_stats(env.w[0])->cnt[c];
}

/* MEMBER_STATE on worker 0's ring, with and without brokered sessions. */
static void
test_member_state_ring(void **state)
{
	struct sg_msg bad;
	struct sg_dp_health_member hm;

	(void)state;
	for (unsigned int broker = 0; broker < 2; broker++) {
		/* worker 0 again: with brokered sessions (ctl_in) or without (max_held 0) */
		assert_int_equal(
			env_enable_broker(0, to_ctl, from_ctl, &ctl_up, &cookies, broker ? 16 : 0),
			0);
		ctl_send(SG_MSG_MEMBER_DOWN, 0, "weighted", "w2", 7 + broker);
		ctl_send(SG_MSG_MEMBER_DOWN, 0, "weighted", "no-such-member", 1);
		/* hostile: a pool name without its NUL */
		memset(&bad, 0, sizeof(bad));
		bad.hdr.version = SG_MSG_VERSION;
		bad.hdr.type = SG_MSG_MEMBER_STATE;
		bad.hdr.len = sizeof(bad.hdr) + sizeof(bad.member_state);
		bad.member_state.state = SG_MSG_MEMBER_DOWN;
		memset(bad.member_state.pool, 'p', sizeof(bad.member_state.pool));
		bad.member_state.member[0] = 'x';
		assert_int_equal(rte_ring_enqueue_elem(from_ctl, &bad, SG_MSG_SIZE), 0);
		assert_int_equal(poll_and_apply(), broker ? 0 : 1); /* w2 down once */
		assert_int_equal(cnt(SG_DP_EV_MEMBER_STATE_MSG), 2);
		assert_int_equal(cnt(SG_DP_EV_CTL_MSG_BAD), 1);
		assert_int_equal(sg_dp_health_stats(H)->unknown, broker + 1);
		hm = sg_dp_health_get(H, "weighted", "w2");
		assert_int_equal(hm.state, SG_MSG_MEMBER_DOWN);
		assert_int_equal(hm.generation, 7 + broker);
		assert_int_equal(weighted(1)->state, SG_MSG_MEMBER_DOWN);
		assert_int_equal(weighted(1)->eff_weight, 0);
		assert_int_equal(weighted(1)->weight, 2);
		assert_int_equal(weighted(0)->eff_weight, 1);
		assert_int_equal(env.t->vs[VS_WEIGHTED].n_active, 3);
	}
	/* every member at once, then up again */
	ctl_send(SG_MSG_MEMBER_DRAIN, SG_MSG_MEMBER_ALL, "", "", 9);
	assert_true(poll_and_apply() > 10);
	assert_int_equal(env.t->vs[VS_WEIGHTED].n_active, 0);
	assert_int_equal(env.t->vs[VS_DSR_IPIP].n_active, 0);
	ctl_send(SG_MSG_MEMBER_UP, SG_MSG_MEMBER_ALL, "", "", 10);
	assert_true(poll_and_apply() > 10);
	assert_int_equal(env.t->vs[VS_WEIGHTED].n_active, 4);
	/* the overlay survives a rebuild from a new configuration; prune drops gone members */
	ctl_send(SG_MSG_MEMBER_DOWN, 0, "weighted", "w3", 11);
	poll_and_apply();
	(void)snprintf(env.cs->members[5][2].name, SG_CFG_NAME_MAX, "w3-renamed");
	sg_dp_health_prune(H, &env.cs->cfg);
	assert_int_equal(sg_dp_health_get(H, "weighted", "w3").state, SG_MSG_MEMBER_UP);
	/* a worker without the mailbox counts MEMBER_STATE as lost */
	env.member_mbox = NULL;
	assert_int_equal(env_enable_broker(0, to_ctl, from_ctl, &ctl_up, &cookies, 16), 0);
	env.member_mbox = mbox;
	ctl_send(SG_MSG_MEMBER_DOWN, 0, "weighted", "w1", 12);
	poll_and_apply();
	assert_int_equal(cnt(SG_DP_EV_MEMBER_STATE_LOST), 1);
	assert_int_equal(sg_dp_health_get(H, "weighted", "w1").state, SG_MSG_MEMBER_UP);
}

static void
set_state(const char *pool, const char *member, uint8_t st)
{
	ctl_send(st, 0, pool, member, 1);
	poll_and_apply();
}

/* A SYN from CLIENT4:@p sport to @p vip:@p dport on worker 0, port 0. */
static void
syn(const char *vip, uint16_t sport, uint16_t dport, uint8_t flags)
{
	uint8_t in[PKT_MAX];
	size_t n = pb_frame_tcp4(in, L2_GW, CLIENT4, vip, sport, dport, flags, 64, 0);

	run_pkt(0, 0, in, n, &R, now_s(1));
}

/* New flows avoid a member not up; established flows keep it. */
static void
test_overlay_new_and_established(void **state)
{
	uint16_t slot2;
	uint64_t pkts;
	unsigned int i;

	(void)state;
	assert_int_equal(env_enable_broker(0, to_ctl, from_ctl, &ctl_up, &cookies, 0), 0);
	slot2 = weighted(1)->slot;
	/* flows to w2 before it goes down: find one of them */
	for (i = 0; i < 200; i++)
		syn("198.18.10.5", (uint16_t)(20000 + i), 80, SYN);
	assert_true(sg_dp_worker_stats(env.w[0])->member[slot2].flows > 0);
	set_state("weighted", "w2", SG_MSG_MEMBER_DOWN);
	pkts = sg_dp_worker_stats(env.w[0])->member[slot2].pkts;
	for (i = 0; i < 200; i++) /* established segments of the same flows: members kept */
		syn("198.18.10.5", (uint16_t)(20000 + i), 80, ACK);
	assert_true(sg_dp_worker_stats(env.w[0])->member[slot2].pkts > pkts);
	pkts = sg_dp_worker_stats(env.w[0])->member[slot2].flows;
	for (i = 0; i < 300; i++) /* new flows: none to w2 */
		syn("198.18.10.5", (uint16_t)(30000 + i), 80, SYN);
	assert_int_equal(sg_dp_worker_stats(env.w[0])->member[slot2].flows, pkts);
	/* WRR and LC skip it too */
	env.cs->vs[VS_WEIGHTED].scheduler = SG_CFG_SCHED_WRR;
	env.cs->vs[VS_LIMITED].scheduler = SG_CFG_SCHED_LC;
	env.cs->vs[VS_LIMITED].max_flows = 0;
	set_state("weighted", "w2", SG_MSG_MEMBER_DRAIN);
	for (i = 0; i < 100; i++) {
		syn("198.18.10.5", (uint16_t)(40000 + i), 80, SYN);
		syn("198.18.10.5", (uint16_t)(40000 + i), 81, SYN);
	}
	assert_int_equal(sg_dp_worker_stats(env.w[0])->member[slot2].flows, pkts);
	set_state("weighted", "w2", SG_MSG_MEMBER_UP); /* back: gets new flows */
	for (i = 0; i < 100; i++)
		syn("198.18.10.5", (uint16_t)(41000 + i), 80, SYN);
	assert_true(sg_dp_worker_stats(env.w[0])->member[slot2].flows > pkts);
}

static uint8_t
out_tcp_flags(void)
{
	return R.out[14 + 20 + 13];
}

static void
test_no_live_member(void **state)
{
	uint8_t in[PKT_MAX];
	unsigned int i, answered;
	uint64_t before;
	size_t n;

	(void)state;
	assert_int_equal(env_enable_broker(0, to_ctl, from_ctl, &ctl_up, &cookies, 0), 0);
	/* drop (default) */
	set_state("one", "host1", SG_MSG_MEMBER_DOWN);
	syn("198.18.10.1", 1000, 80, SYN);
	assert_drop(&R, SG_DP_DROP_NO_LIVE_MEMBER, 0);
	/* weight 0 in the configuration stays drop_no_member */
	syn("198.18.10.3", 1000, 81, SYN);
	assert_drop(&R, SG_DP_DROP_NO_MEMBER, 0);
	/* reset: TCP answered with RST|ACK from the VIP */
	env.cs->vs[VS_DSR_IPIP].no_live_member = SG_CFG_NO_MEMBER_RESET;
	env.cs->vs[VS_NAT_UDP].no_live_member = SG_CFG_NO_MEMBER_RESET;
	set_state("one-5353", "host1", SG_MSG_MEMBER_DOWN);
	syn("198.18.10.1", 1001, 80, SYN);
	assert_int_equal(R.out_port, 0);
	assert_int_equal(out_tcp_flags(), RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(pb_check_csums(R.out + 14), 0);
	CNT_MOVED(SG_DP_EV_NO_LIVE_RST);
	/* a RST is never answered */
	syn("198.18.10.1", 1002, 80, RTE_TCP_RST_FLAG);
	assert_drop(&R, SG_DP_DROP_NO_LIVE_MEMBER, 0);
	/* UDP: ICMP port unreachable from the VIP quoting the datagram */
	n = pb_frame_udp4(in, L2_GW, CLIENT4, "198.18.10.2", 5000, 53, 20);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(R.out_port, 0);
	assert_int_equal(R.out[14 + 9], IPPROTO_ICMP);
	assert_int_equal(R.out[14 + 20], 3);
	assert_int_equal(R.out[14 + 20 + 1], 3);
	assert_int_equal(pb_check_csums(R.out + 14), 0);
	CNT_MOVED(SG_DP_EV_NO_LIVE_UNREACH);
	/* rate-bounded: a burst of SYNs at one instant, SG_DP_NO_LIVE_BURST answered */
	before = cnt(SG_DP_EV_NO_LIVE_RST);
	for (i = 0; i < 200; i++) {
		n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", (uint16_t)(2000 + i), 80, SYN,
				  64, 0);
		run_pkt(0, 0, in, n, &R, now_s(5));
	}
	answered = (unsigned int)(cnt(SG_DP_EV_NO_LIVE_RST) - before);
	print_message("200 SYNs at once: %u answered, %llu rate-limited\n", answered,
		      (unsigned long long)cnt(SG_DP_DROP_NO_LIVE_RATELIMITED));
	assert_true(answered >= 64 && answered <= 66);
	assert_int_equal(cnt(SG_DP_DROP_NO_LIVE_RATELIMITED), 200 - answered);
	/* fallback: scheduled on the fallback pool while the pool has no live member */
	env.cs->vs[VS_DSR_IPIP].no_live_member = SG_CFG_NO_MEMBER_FALLBACK;
	env.cs->vs[VS_DSR_IPIP].fallback_pool = 5; /* weighted */
	poll_and_apply();
	assert_ptr_equal(env.t->vs[VS_DSR_IPIP].pool, &env.t->pools[5]);
	syn("198.18.10.1", 3000, 80, SYN);
	assert_int_equal(R.out_port, 1);
	CNT_MOVED(SG_DP_EV_FLOW_NEW);
	set_state("one", "host1", SG_MSG_MEMBER_UP); /* the pool is back: its own members */
	assert_ptr_equal(env.t->vs[VS_DSR_IPIP].pool, &env.t->pools[0]);
	/* a fallback pool of another family for a nat VS is refused */
	env.cs->vs[VS_NAT_TCP].no_live_member = SG_CFG_NO_MEMBER_FALLBACK;
	env.cs->vs[VS_NAT_TCP].fallback_pool = 1; /* one6 */
	{
		struct sg_dp_tables *t = NULL;
		char err[256];

		assert_int_equal(sg_dp_tables_build_health(&env.cs->cfg, NULL, env.ports, H, &t,
							   err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "fallback pool one6"));
	}
	env.cs->vs[VS_NAT_TCP].no_live_member = SG_CFG_NO_MEMBER_DROP;
}

/*
 * Frame @p f (Ethernet + IPv4): a bare RST (no ACK) from @p src:@p sport to
 * @p dst:@p dport with sequence number @p seq, Ethernet @p smac -> @p dmac,
 * valid checksums.
 */
static void
assert_rst4(const uint8_t *f, const char *smac, const char *dmac, const char *src, uint16_t sport,
	    const char *dst, uint16_t dport, uint32_t seq)
{
	struct rte_ether_addr sm, dm;
	uint8_t a[16], fam;
	uint32_t v;
	uint16_t port;

	assert_int_equal(rte_ether_unformat_addr(smac, &sm), 0);
	assert_int_equal(rte_ether_unformat_addr(dmac, &dm), 0);
	assert_memory_equal(f, &dm, 6);
	assert_memory_equal(f + 6, &sm, 6);
	pb_ip_parse(src, a, &fam);
	assert_memory_equal(f + 14 + 12, a, 4);
	pb_ip_parse(dst, a, &fam);
	assert_memory_equal(f + 14 + 16, a, 4);
	memcpy(&port, f + 14 + 20, 2);
	assert_int_equal(rte_be_to_cpu_16(port), sport);
	memcpy(&port, f + 14 + 22, 2);
	assert_int_equal(rte_be_to_cpu_16(port), dport);
	memcpy(&v, f + 14 + 20 + 4, 4);
	assert_int_equal(rte_be_to_cpu_32(v), seq);
	assert_int_equal(f[14 + 20 + 13], RTE_TCP_RST_FLAG);
	assert_int_equal(pb_check_csums(f + 14), 0);
}

/* A TCP segment from @p src:@p sport to @p dst:@p dport with sequence number @p seq (ack pb's). */
static void
seg4(uint16_t port, const struct pb_eth *l2, const char *src, const char *dst, uint16_t sport,
     uint16_t dport, uint32_t seq, size_t payload)
{
	uint8_t in[PKT_MAX];
	size_t n = pb_frame_tcp4(in, l2, src, dst, sport, dport, ACK, 64, payload);
	uint32_t v = rte_cpu_to_be_32(seq);

	memcpy(in + 14 + 20 + 4, &v, 4);
	pb_fix_l4_csum(in + 14);
	run_pkt(0, port, in, n, &R, now_s(2));
}

/* RESET: the walk marks the member's flows; their segments are answered with RST. */
static void
test_reset_walk(void **state)
{
	uint8_t in[PKT_MAX];
	uint16_t nat_port;
	size_t n;

	(void)state;
	assert_int_equal(env_enable_broker(0, to_ctl, from_ctl, &ctl_up, &cookies, 0), 0);
	/* a NAT flow client -> VIP 198.18.10.2:80 -> host1, established */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.2", 40000, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(R.out_port, 1);
	nat_port = (uint16_t)(R.out[14 + 20] << 8 | R.out[14 + 21]);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.2", 40000, 80, ACK, 64, 10);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(R.out_port, 1);
	/* a DSR UDP flow of the same member (VS dsr-gue, pool one), a TCP flow of another */
	n = pb_frame_udp4(in, L2_GW, CLIENT4, "198.18.10.1", 5001, 5353, 10);
	run_pkt(0, 0, in, n, &R, now_s(1));
	syn("198.18.10.5", 40001, 80, SYN);
	syn("198.18.10.1", 40002, 80, SYN); /* a DSR TCP flow of host1 (VS dsr-ipip) */
	assert_int_equal(R.out_port, 1);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 4);

	set_state("one", "host1", SG_MSG_MEMBER_DRAIN); /* drain: flows go on */
	assert_int_equal(cnt(SG_DP_EV_FLOWS_RESET_MEMBER), 0);
	/* the walk runs in poll_and_apply's worker round: TCP marked, UDP removed */
	set_state("one", "host1", SG_MSG_MEMBER_RESET);
	assert_int_equal(cnt(SG_DP_EV_FLOWS_RESET_MEMBER), 3);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 3);
	set_state("one", "host1", SG_MSG_MEMBER_RESET); /* no new epoch: no second walk */
	assert_int_equal(cnt(SG_DP_EV_FLOWS_RESET_MEMBER), 3);

	/*
	 * The member's next segment (seq 0x55667788, ack 0x01020305, to the NAT
	 * address) comes first: RST to the member with seq = its ack, and RST to
	 * the client from the VIP with seq = the segment's own (what the client
	 * expects next): the client is not left waiting.
	 */
	R.max_out = 2;
	seg4(1, L2_HOST1, "198.18.1.11", "198.18.1.100", 80, nat_port, 0x55667788, 100);
	assert_int_equal(R.n_out, 2);
	assert_int_equal(R.first_port, 0);
	assert_rst4(R.first, MAC_PORT0, MAC_GW, "198.18.10.2", 80, CLIENT4, 40000, 0x55667788);
	assert_int_equal(R.out_port, 1);
	assert_rst4(R.out, MAC_PORT1, MAC_HOST1, "198.18.1.100", nat_port, "198.18.1.11", 80,
		    0x01020305);
	CNT_MOVED(SG_DP_EV_MEMBER_RESET_RST, SG_DP_EV_PEER_RST, SG_DP_EV_GENERATED);
	/* the flow stays marked: the client's next segment (seq 0x11223344): both RSTs again */
	seg4(0, L2_GW, CLIENT4, "198.18.10.2", 40000, 80, 0x11223344, 10);
	assert_int_equal(R.n_out, 2);
	assert_int_equal(R.first_port, 0);
	assert_rst4(R.first, MAC_PORT0, MAC_GW, "198.18.10.2", 80, CLIENT4, 40000, 0x01020305);
	assert_int_equal(R.out_port, 1);
	assert_rst4(R.out, MAC_PORT1, MAC_HOST1, "198.18.1.100", nat_port, "198.18.1.11", 80,
		    0x11223344);
	CNT_MOVED(SG_DP_EV_MEMBER_RESET_RST, SG_DP_EV_PEER_RST, SG_DP_EV_GENERATED);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 3); /* kept: late segments answered */
	/* DSR: only the client's RST (its kernel then resets the member through us) */
	seg4(0, L2_GW, CLIENT4, "198.18.10.1", 40002, 80, 0x11223344, 10);
	assert_int_equal(R.n_out, 1);
	assert_rst4(R.out, MAC_PORT0, MAC_GW, "198.18.10.1", 80, CLIENT4, 40002, 0x01020305);
	CNT_MOVED(SG_DP_EV_MEMBER_RESET_RST);
	/* a RST passes (the client's kernel resetting the member) */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.2", 40000, 80, RTE_TCP_RST_FLAG, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(2));
	assert_int_equal(R.out_port, 1);
	/* a new SYN on the tuple: the old flow goes, the new one is scheduled (drop: no live) */
	syn("198.18.10.2", 40000, 80, SYN);
	assert_int_equal(R.out_port, -1);
	CNT_MOVED(SG_DP_EV_FLOW_CLOSED, SG_DP_DROP_NO_LIVE_MEMBER);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 2);
}

/* ---- a new connection on the tuple of a flow whose member is not up ---- */

/* The weighted member (index) the last packet was counted to; -1: none. */
static int
which(void)
{
	for (unsigned int i = 0; i < 4; i++)
		if (R.after->member[weighted(i)->slot].pkts >
		    R.before->member[weighted(i)->slot].pkts)
			return (int)i;
	return -1;
}

/* One packet from CLIENT4:@p sport to @p vip:@p dport (UDP when @p flags is 0). */
static int
send_to(const char *vip, uint16_t sport, uint16_t dport, uint8_t flags)
{
	uint8_t in[PKT_MAX];
	size_t n = flags ? pb_frame_tcp4(in, L2_GW, CLIENT4, vip, sport, dport, flags, 64, 0)
			 : pb_frame_udp4(in, L2_GW, CLIENT4, vip, sport, dport, 20);

	run_pkt(0, 0, in, n, &R, now_s(1));
	return which();
}

/* A client port from @p base whose new flow to @p vip:@p dport reached weighted member @p idx. */
static uint16_t
flow_on(const char *vip, uint16_t base, uint16_t dport, uint8_t flags, int idx)
{
	for (uint16_t sport = base; sport < base + 200; sport++) {
		if (send_to(vip, sport, dport, flags) == idx) {
			if (flags)
				assert_int_equal(send_to(vip, sport, dport, ACK),
						 idx); /* established */
			return sport;
		}
	}
	fail_msg("no flow to %s:%u reached member %d in 200 ports", vip, dport, idx);
	return 0;
}

/* NAT source port of the last packet (its TCP/UDP source port, network order). */
static uint16_t
out_sport(void)
{
	uint16_t p;

	memcpy(&p, R.out + 14 + 20, 2);
	return p;
}

/* The four services on the weighted pool: DSR TCP / UDP, NAT TCP / UDP. */
static const struct {
	const char *vip;
	uint16_t dport;
	uint8_t flags; /* 0: UDP */
	bool nat;
} reuse_vs[] = {
	{"198.18.10.5", 80, SYN, false},
	{"198.18.10.2", 80, SYN, true},
	{"198.18.10.1", 5353, 0, false},
	{"198.18.10.2", 53, 0, true},
};

/*
 * A flow to w2, w2 DOWN: the established flow's segments stay on w2; a SYN
 * (TCP) or the next datagram (UDP) on the same tuple is scheduled again on
 * a live member, with a new NAT port; DRAIN: UDP stays, a SYN moves; a SYN
 * on a closing flow of a live member is scheduled again too.
 */
static void
test_reuse_member_down(void **state)
{
	static const char *const addrs[] = {"198.18.1.41", "198.18.1.42", "198.18.1.43",
					    "198.18.1.44"};
	uint16_t sport[RTE_DIM(reuse_vs)], nat_port = 0;
	unsigned int i;
	int moved;

	(void)state;
	assert_int_equal(env_enable_broker(0, to_ctl, from_ctl, &ctl_up, &cookies, 0), 0);
	for (i = 0; i < RTE_DIM(addrs); i++)
		env_learn(1, addrs[i], MAC_HOST2);
	env.cs->vs[VS_NAT_TCP].pool = 5; /* every service on the weighted pool */
	env.cs->vs[VS_NAT_UDP].pool = 5;
	env.cs->vs[VS_DSR_GUE].pool = 5;
	poll_and_apply();
	for (i = 0; i < RTE_DIM(reuse_vs); i++) {
		sport[i] = flow_on(reuse_vs[i].vip, (uint16_t)(20000 + 1000 * i), reuse_vs[i].dport,
				   reuse_vs[i].flags, 1);
		if (reuse_vs[i].nat && reuse_vs[i].flags)
			nat_port = out_sport();
	}
	set_state("weighted", "w2", SG_MSG_MEMBER_DOWN);
	for (i = 0; i < RTE_DIM(reuse_vs); i++) {
		const char *vip = reuse_vs[i].vip;
		uint16_t dport = reuse_vs[i].dport;

		if (reuse_vs[i].flags) {
			/* the established flow's segments keep w2 */
			assert_int_equal(send_to(vip, sport[i], dport, ACK), 1);
			CNT_MOVED(); /* nothing but the forwarding */
			/* a SYN on its tuple: a new connection, on a live member */
			moved = send_to(vip, sport[i], dport, SYN);
			assert_true(moved >= 0 && moved != 1);
			CNT_MOVED(SG_DP_EV_FLOW_RESCHED_MEMBER_DOWN, SG_DP_EV_FLOW_NEW);
			if (reuse_vs[i].nat) /* a new NAT port: the old one went back */
				assert_int_not_equal(out_sport(), nat_port);
			/* its SYN retransmitted and its ACK: the new flow, the same member */
			assert_int_equal(send_to(vip, sport[i], dport, SYN), moved);
			CNT_MOVED();
			assert_int_equal(send_to(vip, sport[i], dport, ACK), moved);
		} else {
			/* UDP to a DOWN member: the next datagram is scheduled again */
			moved = send_to(vip, sport[i], dport, 0);
			assert_true(moved >= 0 && moved != 1);
			CNT_MOVED(SG_DP_EV_FLOW_RESCHED_MEMBER_DOWN, SG_DP_EV_FLOW_NEW);
			assert_int_equal(send_to(vip, sport[i], dport, 0), moved);
			CNT_MOVED();
		}
	}
	/* the member's answer to the NAT port of the removed flow: no flow any more */
	{
		uint8_t in[PKT_MAX];
		size_t n = pb_frame_tcp4(in, L2_HOST1, "198.18.1.42", "198.18.1.100", 80,
					 rte_be_to_cpu_16(nat_port), ACK, 64, 10);

		run_pkt(0, 1, in, n, &R, now_s(1));
		assert_drop(&R, SG_DP_DROP_NO_FLOW, 1);
	}
	assert_int_equal(cnt(SG_DP_EV_FLOW_RESCHED_MEMBER_DOWN), RTE_DIM(reuse_vs));

	/* DRAIN: UDP flows stay until they idle out; a SYN still moves */
	set_state("weighted", "w2", SG_MSG_MEMBER_UP);
	for (i = 0; i < RTE_DIM(reuse_vs); i++)
		sport[i] = flow_on(reuse_vs[i].vip, (uint16_t)(30000 + 1000 * i), reuse_vs[i].dport,
				   reuse_vs[i].flags, 1);
	set_state("weighted", "w2", SG_MSG_MEMBER_DRAIN);
	for (i = 0; i < RTE_DIM(reuse_vs); i++) {
		const char *vip = reuse_vs[i].vip;
		uint16_t dport = reuse_vs[i].dport;

		if (reuse_vs[i].flags) {
			assert_int_equal(send_to(vip, sport[i], dport, ACK), 1);
			moved = send_to(vip, sport[i], dport, SYN);
			assert_true(moved >= 0 && moved != 1);
			CNT_MOVED(SG_DP_EV_FLOW_RESCHED_MEMBER_DOWN, SG_DP_EV_FLOW_NEW);
		} else {
			assert_int_equal(send_to(vip, sport[i], dport, 0), 1);
			CNT_MOVED();
		}
	}

	/* a live member's closing flow: a SYN on its tuple is a new flow (Maglev: same member) */
	set_state("weighted", "w2", SG_MSG_MEMBER_UP);
	sport[0] = flow_on("198.18.10.5", 40000, 80, SYN, 1);
	assert_int_equal(send_to("198.18.10.5", sport[0], 80, ACK | RTE_TCP_FIN_FLAG), 1);
	assert_int_equal(send_to("198.18.10.5", sport[0], 80, SYN), 1);
	CNT_MOVED(SG_DP_EV_FLOW_CLOSED, SG_DP_EV_FLOW_NEW);
	/* an established flow of a live member: a SYN follows it, as before */
	sport[1] = flow_on("198.18.10.2", 41000, 80, SYN, 1);
	nat_port = out_sport();
	assert_int_equal(send_to("198.18.10.2", sport[1], 80, SYN), 1);
	CNT_MOVED();
	assert_int_equal(out_sport(), nat_port);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maglev_minimal_disruption),
		cmocka_unit_test_setup_teardown(test_member_state_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlay_new_and_established, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_live_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse_member_down, setup, teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests_name("dataplane member health", tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
