/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Schedulers and tables: weighted Maglev spread over 100k flows through a
 * worker, Maglev disruption when a member leaves, WRR and least-connection
 * spreads, counter slots across reloads, and the build's refusals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_jhash.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dp_test.h"

static int
setup_big(void **state)
{
	(void)state;
	return env_setup(1, 131072);
}

static int
setup_small(void **state)
{
	(void)state;
	return env_setup(1, 4096);
}

static int
teardown(void **state)
{
	(void)state;
	env_teardown();
	return 0;
}

/* Send @p n SYNs from distinct clients to 198.18.10.5:@p port through worker 0. */
static void
send_syns(unsigned int n, uint16_t port, uint32_t seed)
{
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	struct rte_mbuf *burst[SG_DP_BURST];
	uint8_t f[PKT_MAX];
	unsigned int i, k = 0;

	assert_non_null(q);
	for (i = 0; i < n; i++) {
		uint32_t r = rte_jhash_1word(i, seed);
		char src[32];
		size_t len;

		/* clients in 198.19.0.0/16, random source ports */
		(void)snprintf(src, sizeof(src), "198.19.%u.%u", (r >> 8) & 0xff, r & 0xff);
		len = pb_frame_tcp4(f, L2_GW, src, "198.18.10.5",
				    (uint16_t)(1024 + (r >> 16) % 60000), port, RTE_TCP_SYN_FLAG,
				    64, 0);
		burst[k++] = mbuf_from(f, len);
		if (k == SG_DP_BURST || i + 1 == n) {
			unsigned int p, j;

			sg_dp_worker_process(env.w[0], env.t, 0, burst, (uint16_t)k, q, now_s(1));
			for (p = 0; p < SG_DP_PORTS_MAX; p++) {
				for (j = 0; j < q->n[p]; j++)
					rte_pktmbuf_free(q->pkts[p][j]);
				sg_dp_worker_count_tx(env.w[0], (uint16_t)p, q->pkts[p], q->n[p],
						      0);
				q->n[p] = 0;
			}
			k = 0;
		}
	}
	free(q);
}

static void
member_flows(unsigned int vs, uint64_t *flows)
{
	const struct sg_dp_stats *s = sg_dp_worker_stats(env.w[0]);
	const struct sg_dp_pool *p = env.t->vs[vs].pool;
	unsigned int i;

	for (i = 0; i < p->n_members; i++)
		flows[i] = s->member[p->members[i].slot].flows;
}

static void
test_maglev_weights_100k(void **state)
{
	const struct sg_dp_stats *s = sg_dp_worker_stats(env.w[0]);
	const unsigned int n = 100000;
	uint64_t flows[4] = {0};
	unsigned int i, total = 0;

	(void)state;
	send_syns(n, 80, 1);
	member_flows(VS_WEIGHTED, flows);
	for (i = 0; i < 4; i++) {
		double want = n * (i + 1) / 10.0;

		print_message("member w%u (weight %u): %llu flows, %.0f expected\n", i + 1, i + 1,
			      (unsigned long long)flows[i], want);
		assert_true(flows[i] > want * 0.9 && flows[i] < want * 1.1);
		total += (unsigned int)flows[i];
	}
	/* a few random tuples may repeat: they are one flow */
	assert_int_equal(total, s->cnt[SG_DP_EV_FLOW_NEW]);
	assert_true(total > n * 0.99);
	assert_int_equal(s->port[0].rx_pkts, n);
	assert_int_equal(s->port[1].tx_pkts, n);
}

static void
ids(uint64_t *id, unsigned int n, unsigned int skip)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		char name[16];

		if (i == skip)
			continue;
		(void)snprintf(name, sizeof(name), "m%u", i);
		uint32_t h[2] = {rte_jhash(name, strlen(name), 1),
				 rte_jhash(name, strlen(name), 2)};

		memcpy(&id[k++], h, sizeof(h)); /* 64-bit id from two 32-bit hashes */
	}
}

static void
test_maglev_disruption(void **state)
{
	enum { N = 10, M = 65537, GONE = 3 };
	uint16_t *before = malloc(M * sizeof(uint16_t)), *after = malloc(M * sizeof(uint16_t));
	uint32_t w[N];
	uint64_t id[N];
	unsigned int i, moved_gone = 0, moved_other = 0, owned[N] = {0};

	(void)state;
	assert_non_null(before);
	assert_non_null(after);
	for (i = 0; i < N; i++)
		w[i] = 1;
	ids(id, N, N);
	assert_int_equal(sg_dp_maglev_build(w, id, N, M, before), 0);
	ids(id, N, GONE);
	assert_int_equal(sg_dp_maglev_build(w, id, N - 1, M, after), 0);
	for (i = 0; i < M; i++) {
		unsigned int b = before[i], a = after[i];

		assert_true(b < N && a < N - 1);
		owned[b]++;
		a = a >= GONE ? a + 1 : a; /* index in the old list */
		if (b == GONE)
			moved_gone++;
		else if (a != b)
			moved_other++;
	}
	for (i = 0; i < N; i++) /* equal weights: equal shares within 1% */
		assert_true(owned[i] > M / (double)N * 0.99 && owned[i] < M / (double)N * 1.01);
	print_message("member removed: its %u entries moved, %u others (%.2f%%) moved too\n",
		      moved_gone, moved_other, 100.0 * moved_other / M);
	assert_int_equal(moved_gone, owned[GONE]);
	/* Maglev's promise: little churn beyond the removed member's share */
	assert_true(moved_other < M / 50);
	free(before);
	free(after);
}

static void
test_maglev_table_weights(void **state)
{
	enum { M = 65537 };
	uint16_t *t = malloc(M * sizeof(uint16_t));
	uint32_t w[5] = {1, 0, 10, 100, 1000};
	uint64_t id[5];
	unsigned int i, c[5] = {0};
	double sum = 1111;

	(void)state;
	assert_non_null(t);
	ids(id, 5, 5);
	assert_int_equal(sg_dp_maglev_build(w, id, 5, M, t), 0);
	for (i = 0; i < M; i++)
		c[t[i]]++;
	assert_int_equal(c[1], 0); /* weight 0: drained */
	for (i = 0; i < 5; i++) {
		double want = M * w[i] / sum;

		assert_true(c[i] >= want * 0.95 - 2 && c[i] <= want * 1.05 + 2);
	}
	/* all weights 0: no member */
	memset(w, 0, sizeof(w));
	assert_int_equal(sg_dp_maglev_build(w, id, 5, M, t), 0);
	assert_int_equal(t[0], SG_DP_NO_MEMBER);
	assert_int_equal(t[M - 1], SG_DP_NO_MEMBER);
	assert_int_equal(sg_dp_maglev_build(w, id, 5, 65536, t), -EINVAL); /* not prime */
	free(t);
}

static void
test_wrr_and_lc(void **state)
{
	struct cfg_store *cs = cfg_new();
	uint64_t flows[4] = {0}, after[4] = {0};
	unsigned int i;

	(void)state;
	cs->vs[VS_WEIGHTED].scheduler = SG_CFG_SCHED_WRR;
	cs->vs[VS_LIMITED].scheduler = SG_CFG_SCHED_LC;
	cs->vs[VS_LIMITED].max_flows = 0;
	assert_int_equal(env_rebuild(cs), 0);

	/* smooth WRR: 1000 flows split exactly 1:2:3:4 */
	send_syns(1000, 80, 2);
	member_flows(VS_WEIGHTED, flows);
	for (i = 0; i < 4; i++)
		assert_int_equal(flows[i], 100 * (i + 1));

	/* weighted least connections on this worker's active flows (the members
	 * already hold the WRR flows above: 100, 200, 300, 400 active) */
	send_syns(1000, 81, 3);
	member_flows(VS_LIMITED, after);
	for (i = 0; i < 4; i++) {
		uint64_t d = after[i] - flows[i];

		print_message("lc member w%u: %llu new flows\n", i + 1, (unsigned long long)d);
		assert_true(d >= 100 * (i + 1) - 1 && d <= 100 * (i + 1) + 1);
	}
}

static void
test_slots_across_reloads(void **state)
{
	struct cfg_store *cs;
	unsigned int s_nat, s_w3, s_new;
	const char *pool;

	(void)state;
	s_nat = env.t->vs[VS_NAT_TCP].slot;
	s_w3 = env.t->pools[5].members[2].slot;
	/* remove VS nat-tcp and member w3, add a VS and a member */
	cs = cfg_new();
	(void)snprintf(cs->vs[VS_NAT_TCP].name, SG_CFG_NAME_MAX, "brand-new");
	(void)snprintf(cs->members[5][2].name, SG_CFG_NAME_MAX, "w3-replacement");
	assert_int_equal(env_rebuild(cs), 0);
	s_new = env.t->vs[VS_NAT_TCP].slot;
	assert_true(s_new != s_nat); /* a fresh slot, not the removed VS's counters */
	assert_null(sg_dp_tables_vs_name(env.t, s_nat));
	assert_string_equal(sg_dp_tables_vs_name(env.t, s_new), "brand-new");
	assert_true(env.t->pools[5].members[2].slot != s_w3);
	assert_string_equal(sg_dp_tables_member_name(env.t, env.t->pools[5].members[2].slot, &pool),
			    "w3-replacement");
	assert_string_equal(pool, "weighted");
	/* every other VS and member kept its slot */
	assert_string_equal(sg_dp_tables_vs_name(env.t, env.t->vs[VS_DSR_IPIP].slot), "dsr-ipip");
	assert_null(sg_dp_tables_vs_name(env.t, SG_DP_VS_SLOTS));
	assert_null(sg_dp_tables_member_name(env.t, SG_DP_MEMBER_SLOTS, NULL));
}

static void
test_build_refusals(void **state)
{
	struct cfg_store *cs = cfg_new();
	struct sg_dp_tables *t = NULL;
	struct sg_cfg_member *many;
	char err[256];
	unsigned int i;

	(void)state;
	/* NAT VS without a NAT address of its family */
	cs->cfg.nat.n_addrs = 1; /* IPv4 only: v6-nat has none */
	assert_int_equal(sg_dp_tables_build(&cs->cfg, NULL, env.ports, &t, err, sizeof(err)),
			 -EINVAL);
	assert_null(t);
	assert_non_null(strstr(err, "v6-nat"));
	cs->cfg.nat.n_addrs = 2;
	/* maglev size not prime */
	cs->vs[VS_DSR_IPIP].maglev_size = 65536;
	assert_int_equal(sg_dp_tables_build(&cs->cfg, NULL, env.ports, &t, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "dsr-ipip"));
	cs->vs[VS_DSR_IPIP].maglev_size = 0; /* 0 = default 65537 */
	/* same VIP, port and protocol twice */
	cs->vs[VS_DSR_GUE].proto = SG_CFG_PROTO_TCP;
	cs->vs[VS_DSR_GUE].port = 80;
	assert_int_equal(sg_dp_tables_build(&cs->cfg, NULL, env.ports, &t, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "already used"));
	cs->vs[VS_DSR_GUE].proto = SG_CFG_PROTO_UDP;
	cs->vs[VS_DSR_GUE].port = 5353;
	/* more members than counter slots */
	many = calloc(SG_DP_MEMBER_SLOTS + 1, sizeof(*many));
	assert_non_null(many);
	for (i = 0; i <= SG_DP_MEMBER_SLOTS; i++) {
		(void)snprintf(many[i].name, SG_CFG_NAME_MAX, "m%u", i);
		cfg_addr(&many[i].addr, "198.18.1.50");
		many[i].weight = 1;
	}
	cs->pools[4].members = many;
	cs->pools[4].n_members = SG_DP_MEMBER_SLOTS + 1;
	assert_int_equal(sg_dp_tables_build(&cs->cfg, NULL, env.ports, &t, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "counter slots"));
	/* a pool over SG_CFG_MEMBERS_MAX is refused too */
	cs->pools[4].n_members = SG_CFG_MEMBERS_MAX + 1;
	assert_int_equal(sg_dp_tables_build(&cs->cfg, NULL, env.ports, &t, err, sizeof(err)),
			 -EINVAL);
	cs->pools[4].n_members = 1;
	assert_int_equal(sg_dp_tables_build(&cs->cfg, NULL, env.ports, &t, err, sizeof(err)), 0);
	sg_dp_tables_free(t);
	free(many);
	free(cs);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_maglev_weights_100k, setup_big, teardown),
		cmocka_unit_test(test_maglev_disruption),
		cmocka_unit_test(test_maglev_table_weights),
		cmocka_unit_test_setup_teardown(test_wrr_and_lc, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_slots_across_reloads, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_build_refusals, setup_small, teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests_name("dataplane schedulers and tables", tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
