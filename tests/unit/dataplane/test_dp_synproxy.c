/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syn_proxy: auto on a worker (session/synproxy.c, doc/sessions.md): the
 * nat TCP VS 198.18.10.2:80 with syn_proxy_rate 100 SYN/s (one worker: 10
 * SYNs per 100 ms window), syn_proxy_fill_pct 50 and syn_proxy_hold_s 1,
 * on a flow table of 64 entries. Each SYN comes from a new client at a time
 * the test sets; its answer tells the state: a SYN-ACK on port 0 from the
 * cookie (proxy on, no flow) or the SYN forwarded to the member on port 1
 * (proxy off, one flow more). Checked: off below the rate; on when a window
 * goes above it (synproxy_on once); held on while windows stay above half
 * the rate, however long; off (synproxy_off once) only after hold_s seconds
 * below half; on again when the flow table is half full at a calm rate.
 *
 * dsr (syn_proxy_dsr: handoff): "hosted" 198.18.10.1:443 (vm1 198.18.1.21
 * on the underlay host 198.18.1.200) with syn_proxy: on; the cookie ACK
 * opens the DSR hand-off (IPIP to the host, the SYN carrying the meta), a
 * forged ACK is dropped and makes no flow. "dsr-ipip" 198.18.10.1:80 with
 * syn_proxy: auto, off now: a bare ACK that is no cookie takes the plain
 * DSR path (Maglev maps it to a member), as without the proxy.
 *
 * SYN cookies of the brokered VS 198.18.10.3:80 in one rx burst: shedding
 * (doc/sessions.md, "Shedding": full bursts of new SYNs only, mixed full
 * bursts, short bursts, the wake grace) and the burst's answers made
 * together, each in its SYN's place and byte-identical to a lone answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "pktbuild.h"
#include "sessiongate/sg_handoff.h"
#include "sessiongate/sg_msg.h"
#include "session/synack.h"
#include "session/syncookie.h"

#define FLOWS	  64
#define RATE	  100 /* SYN/s: 10 per 100 ms window */
#define FILL_PCT  50
#define HOLD_S	  1
#define WINDOW_MS 100

static struct sg_dp_syncookie_secret cookies;
static struct rte_ring *ring[2]; /* to and from sg-control */
static const bool ctl_up = true;
static struct sg_dp_stats st_before, st_after;
static unsigned int client; /* the next SYN's client */

static uint64_t
at_ms(uint64_t ms)
{
	return 1000ull * rte_get_tsc_hz() + rte_get_tsc_hz() / 1000 * ms;
}

static uint64_t
moved(enum sg_dp_cnt c)
{
	return st_after.cnt[c] - st_before.cnt[c];
}

/*
 * A SYN of a new client at @p ms: true when the proxy answered it (cookie
 * SYN-ACK on port 0, no flow), false when it made a flow (SYN to the member
 * on port 1). Anything else fails the test.
 */
static bool
syn_at(uint64_t ms)
{
	struct run_result r = {.before = &st_before, .after = &st_after};
	uint32_t flows = sg_dp_worker_flow_count(env.w[0]);
	uint8_t b[PKT_MAX];
	char src[32];
	size_t len;

	(void)snprintf(src, sizeof(src), "198.19.%u.%u", client / 250, client % 250 + 1);
	len = pb_frame_tcp4(b, L2_GW, src, "198.18.10.2", (uint16_t)(20000 + client % 40000), 80,
			    RTE_TCP_SYN_FLAG, 64, 0);
	client++;
	run_pkt(0, 0, b, len, &r, at_ms(ms));
	if (r.out_port == 0) {
		assert_int_equal(moved(SG_DP_EV_SYNPROXY_SYNACK), 1);
		assert_int_equal(sg_dp_worker_flow_count(env.w[0]), flows);
		return true;
	}
	assert_int_equal(r.out_port, 1);
	assert_int_equal(moved(SG_DP_EV_SYNPROXY_SYNACK), 0);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), flows + 1);
	return false;
}

/* @p n SYNs spread over the window that starts at @p ms; how many the proxy answered. */
static unsigned int
window_of(uint64_t ms, unsigned int n)
{
	unsigned int i, proxied = 0;

	for (i = 0; i < n; i++)
		proxied += syn_at(ms + (uint64_t)i * (WINDOW_MS - 1) / n);
	return proxied;
}

static uint64_t
cnt(enum sg_dp_cnt c)
{
	return sg_dp_worker_stats(env.w[0])->cnt[c];
}

static int
setup(void **state)
{
	static const uint8_t key[16] = "sessiongate-ut-p";
	struct cfg_store *cs;
	struct sg_cfg_vs *vs;
	unsigned int i;

	(void)state;
	client = 0;
	if (env_setup(1, FLOWS) != 0)
		return -1;
	cs = cfg_new();
	vs = &cs->vs[VS_NAT_TCP];
	vs->syn_proxy = SG_CFG_SYN_PROXY_AUTO;
	vs->syn_proxy_rate = RATE;
	vs->syn_proxy_fill_pct = FILL_PCT;
	vs->syn_proxy_hold_s = HOLD_S;
	cs->vs[VS_HOSTED].syn_proxy = SG_CFG_SYN_PROXY_ON;
	cs->vs[VS_HOSTED].syn_proxy_handoff = true;
	vs = &cs->vs[VS_DSR_IPIP];
	vs->syn_proxy = SG_CFG_SYN_PROXY_AUTO;
	vs->syn_proxy_handoff = true;
	vs->syn_proxy_rate = RATE;
	vs->syn_proxy_fill_pct = FILL_PCT;
	vs->syn_proxy_hold_s = HOLD_S;
	if (env_rebuild(cs) != 0 || sg_dp_syncookie_init(&cookies) != 0)
		return -1;
	sg_dp_syncookie_rotate(&cookies, key);
	/* rings to and from sg-control: the proxy never uses them */
	for (i = 0; i < 2; i++) {
		ring[i] = rte_ring_create_elem(i == 0 ? "ut_sp_to_ctl" : "ut_sp_from_ctl",
					       SG_MSG_SIZE, 64, SOCKET_ID_ANY,
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ring[i] == NULL)
			return -1;
	}
	return env_enable_broker(0, ring[0], ring[1], &ctl_up, &cookies, 64);
}

static int
teardown(void **state)
{
	(void)state;
	env_teardown();
	rte_ring_free(ring[0]);
	rte_ring_free(ring[1]);
	ring[0] = ring[1] = NULL;
	return 0;
}

/* Off below the rate, on above it, held on above half the rate, off after hold_s below. */
static void
test_auto_rate(void **state)
{
	uint64_t t, last_busy;
	unsigned int k;

	(void)state;
	/* 10 SYNs a window (the rate, not above it): plain flows, never on */
	assert_int_equal(window_of(0, 1), 0); /* opens the first window */
	assert_int_equal(window_of(1, 10), 0);
	assert_int_equal(cnt(SG_DP_EV_SYNPROXY_ON), 0);
	/* the window's 11th SYN is above the rate: on at once, answered by the cookie */
	assert_true(syn_at(WINDOW_MS - 1));
	assert_int_equal(cnt(SG_DP_EV_SYNPROXY_ON), 1);
	/* 6 SYNs a window (above half the rate) for 2.5 s, over hold_s: stays on */
	for (t = WINDOW_MS; t < 2600; t += WINDOW_MS)
		assert_int_equal(window_of(t, 6), 6);
	last_busy = t - WINDOW_MS;
	assert_int_equal(cnt(SG_DP_EV_SYNPROXY_ON), 1);
	assert_int_equal(cnt(SG_DP_EV_SYNPROXY_OFF), 0);
	/* 2 SYNs a window (below half): on until hold_s after the last busy window */
	for (k = 0; t < last_busy + HOLD_S * 1000; t += WINDOW_MS, k++)
		assert_int_equal(window_of(t, 2), 2);
	assert_true(k >= 9);
	assert_int_equal(cnt(SG_DP_EV_SYNPROXY_OFF), 0);
	/* the next windows decide off: from then on plain flows again */
	for (k = 0; k < 3 && cnt(SG_DP_EV_SYNPROXY_OFF) == 0; k++, t += WINDOW_MS)
		(void)window_of(t, 2);
	assert_int_equal(cnt(SG_DP_EV_SYNPROXY_OFF), 1);
	assert_false(syn_at(t + WINDOW_MS));
	assert_int_equal(cnt(SG_DP_EV_SYNPROXY_ON), 1);
}

/* On when the flow table is half full, though the SYN rate is low. */
static void
test_auto_fill(void **state)
{
	uint64_t t = 0;
	uint32_t n;

	(void)state;
	/* one SYN a window: each makes a flow until half the table is used */
	while (!syn_at(t)) {
		t += WINDOW_MS;
		assert_true(sg_dp_worker_flow_count(env.w[0]) * 100 <= FLOWS * FILL_PCT);
	}
	n = sg_dp_worker_flow_count(env.w[0]);
	assert_int_equal(n * 100, FLOWS * FILL_PCT);
	assert_int_equal(cnt(SG_DP_EV_SYNPROXY_ON), 1);
	/* full enough: SYNs of the next windows make no flow */
	for (t += WINDOW_MS; t < 5000; t += WINDOW_MS)
		assert_true(syn_at(t));
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), n);
	assert_int_equal(cnt(SG_DP_EV_SYNPROXY_OFF), 0);
}

/*
 * @p n SYNs of new clients to the brokered VS (cookie answers), then @p others
 * bare ACKs of new clients to it (no cookie: dropped, nothing sent), in ONE
 * rx burst; returns the SYN-ACKs sent and checks the other SYNs were shed.
 */
static unsigned int
burst_of(unsigned int n, unsigned int others)
{
	struct rte_mbuf *m[SG_DP_BURST];
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	uint64_t shed = sg_dp_worker_stats(env.w[0])->cnt[SG_DP_DROP_SYN_SHED];
	uint8_t b[PKT_MAX];
	char src[32];
	unsigned int i, sent;
	size_t len;

	assert_non_null(q);
	assert_true(n + others <= SG_DP_BURST);
	for (i = 0; i < n + others; i++, client++) {
		(void)snprintf(src, sizeof(src), "198.19.%u.%u", client / 250, client % 250 + 1);
		len = pb_frame_tcp4(b, L2_GW, src, "198.18.10.3",
				    (uint16_t)(20000 + client % 40000), 80,
				    i < n ? RTE_TCP_SYN_FLAG : RTE_TCP_ACK_FLAG, 64, 0);
		m[i] = rte_pktmbuf_alloc(env.mp);
		assert_non_null(m[i]);
		memcpy(rte_pktmbuf_append(m[i], (uint16_t)len), b, len);
	}
	sg_dp_worker_process(env.w[0], env.t, 0, m, (uint16_t)(n + others), q, at_ms(0));
	sent = q->n[0];
	for (i = 0; i < sent; i++)
		rte_pktmbuf_free(q->pkts[0][i]);
	assert_int_equal(q->n[1], 0);
	sg_dp_worker_count_tx(env.w[0], 0, NULL, 0, 0);
	assert_true(sent <= n);
	assert_int_equal(sg_dp_worker_stats(env.w[0])->cnt[SG_DP_DROP_SYN_SHED] - shed, n - sent);
	free(q);
	return sent;
}

static unsigned int
burst_of_syns(unsigned int n)
{
	return burst_of(n, 0);
}

/*
 * A SYN flood nothing competes with: full rx bursts of nothing but SYNs of
 * new flows have every SYN answered (the worker is behind only on the
 * flood); short bursts too.
 */
static void
test_full_burst_syn_only(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(burst_of_syns(SG_DP_BURST), SG_DP_BURST);
	assert_int_equal(burst_of_syns(SG_DP_BURST - 1), SG_DP_BURST - 1);
	assert_int_equal(burst_of_syns(1), 1);
	assert_int_equal(burst_of_syns(SG_DP_BURST), SG_DP_BURST);
}

/*
 * A full rx burst that holds anything else besides the SYNs (the worker is
 * behind, other traffic competes) answers SG_DP_SYN_BUSY_BUDGET SYN cookies
 * and sheds the rest cheaply, and so do the next SG_DP_SYN_CONTEND_BURSTS
 * full bursts of SYNs only; then they are all answered again. Short bursts,
 * mixed or not, answer every SYN and leave that count as it is.
 */
static void
test_full_burst_mixed_sheds(void **state)
{
	unsigned int i;

	(void)state;
	assert_int_equal(burst_of(SG_DP_BURST - 1, 1), SG_DP_SYN_BUSY_BUDGET);
	assert_int_equal(burst_of(SG_DP_BURST / 2, SG_DP_BURST / 2), SG_DP_SYN_BUSY_BUDGET);
	assert_int_equal(burst_of(2, SG_DP_BURST - 2), 2); /* fewer SYNs than the budget */
	assert_int_equal(burst_of(SG_DP_BURST - 2, 1), SG_DP_BURST - 2); /* short */
	assert_int_equal(burst_of_syns(SG_DP_BURST - 1), SG_DP_BURST - 1);
	for (i = 0; i < SG_DP_SYN_CONTEND_BURSTS; i++)
		assert_int_equal(burst_of_syns(SG_DP_BURST), SG_DP_SYN_BUSY_BUDGET);
	assert_int_equal(burst_of_syns(SG_DP_BURST), SG_DP_BURST);
	assert_int_equal(burst_of_syns(SG_DP_BURST), SG_DP_BURST);
	/* one mixed burst again: shedding again */
	assert_int_equal(burst_of(SG_DP_BURST - 1, 1), SG_DP_SYN_BUSY_BUDGET);
	assert_int_equal(burst_of_syns(SG_DP_BURST), SG_DP_SYN_BUSY_BUDGET);
}

/*
 * After an idle sleep (sg_dp_worker_woke) full bursts are the sleep's
 * backlog: SG_DP_SYN_WAKE_GRACE of them answer every SYN though other
 * traffic competes, then a mixed full burst sheds again; a short burst
 * ends the grace at once.
 */
static void
test_wake_grace(void **state)
{
	unsigned int i;

	(void)state;
	sg_dp_worker_woke(env.w[0]);
	for (i = 0; i < SG_DP_SYN_WAKE_GRACE; i++)
		assert_int_equal(burst_of(SG_DP_BURST - 1, 1), SG_DP_BURST - 1);
	assert_int_equal(burst_of(SG_DP_BURST - 1, 1), SG_DP_SYN_BUSY_BUDGET);
	sg_dp_worker_woke(env.w[0]);
	assert_int_equal(burst_of(SG_DP_BURST - 1, 1), SG_DP_BURST - 1);
	assert_int_equal(burst_of_syns(SG_DP_BURST - 1), SG_DP_BURST - 1);
	assert_int_equal(burst_of(SG_DP_BURST - 1, 1), SG_DP_SYN_BUSY_BUDGET);
}

static uint32_t
be32_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A SYN from client @p i to the brokered VS; with a Linux client's options when @p opts. */
static size_t
syn_frame(uint8_t *b, unsigned int i, bool opts)
{
	/* MSS 1460, SACK permitted, timestamps (TSval 0x1234), NOP, window scale 7 */
	static const uint8_t o[20] = {2,    4,	  5, 0xb4, 4, 2, 8, 10, 0, 0,
				      0x12, 0x34, 0, 0,	   0, 0, 1, 3,	3, 7};
	char src[32];
	size_t len;

	(void)snprintf(src, sizeof(src), "198.19.200.%u", i + 1);
	len = pb_frame_tcp4(b, L2_GW, src, "198.18.10.3", (uint16_t)(30000 + i), 80,
			    RTE_TCP_SYN_FLAG, 64, opts ? sizeof(o) : 0);
	if (opts) {
		memcpy(b + 14 + 20 + 20, o, sizeof(o));
		b[14 + 20 + 12] = (20 + sizeof(o)) / 4 << 4;
		pb_fix_l4_csum(b + 14);
	}
	return len;
}

/*
 * A burst's SYN cookie answers are made together at its end (session/cookie.c):
 * each SYN-ACK leaves in its SYN's place among the burst's other answers (ICMP
 * echo replies here), byte for byte what sg_dp_syncookie_make() and
 * sg_dp_synack_build() make of that SYN alone.
 */
static void
test_burst_answers_in_place(void **state)
{
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	struct rte_mbuf *m[6];
	uint8_t b[6][PKT_MAX];
	size_t len[6];
	unsigned int i;

	(void)state;
	assert_non_null(q);
	for (i = 0; i < 6; i++) {
		len[i] = i % 2 ? pb_frame_icmp4_echo(b[i], L2_GW, "198.19.201.1", "198.18.10.3", 8,
						     8)
			       : syn_frame(b[i], i, i != 0);
		m[i] = mbuf_from(b[i], len[i]);
	}
	sg_dp_worker_process(env.w[0], env.t, 0, m, 6, q, at_ms(0));
	assert_int_equal(q->n[0], 6);
	for (i = 0; i < 6; i++) {
		const uint8_t *got = rte_pktmbuf_mtod(q->pkts[0][i], const uint8_t *);
		struct sg_dp_tcp_opts syn, ours = {.mss = 1500 - 60, .wscale = 7};
		struct rte_mbuf *x;
		struct sg_dp_pkt p;
		uint32_t isn, c, ts;
		uint16_t mss;

		assert_int_equal(got[14 + 9], i % 2 ? IPPROTO_ICMP : IPPROTO_TCP);
		if (i % 2)
			continue;
		x = mbuf_from(b[i], len[i]); /* the reference: this SYN answered alone */
		assert_int_equal(sg_dp_pkt_parse(x, &p), SG_DP_CNT_MAX);
		assert_int_equal(sg_dp_tcpopt_parse_mbuf(x, p.l2_len + p.l3_len, &syn), 0);
		assert_int_equal(syn.has_ts, i != 0);
		isn = be32_at(b[i] + 14 + 20 + 4);
		c = sg_dp_syncookie_make(&cookies, &p.key, isn, 1000, &syn, &mss, &ts);
		ours.has_ts = syn.has_ts;
		ours.sack_ok = syn.sack_ok && syn.has_ts;
		ours.has_wscale = syn.has_wscale && syn.has_ts;
		ours.tsval = ts;
		ours.tsecr = syn.tsval;
		assert_int_equal(sg_dp_synack_build(x, &p, c, isn + 1, 65535, &ours), 0);
		assert_int_equal(rte_pktmbuf_data_len(q->pkts[0][i]), rte_pktmbuf_data_len(x));
		assert_memory_equal(got, rte_pktmbuf_mtod(x, const uint8_t *),
				    rte_pktmbuf_data_len(x));
		rte_pktmbuf_free(x);
	}
	for (i = 0; i < 6; i++)
		rte_pktmbuf_free(q->pkts[0][i]);
	sg_dp_worker_count_tx(env.w[0], 0, NULL, 0, 0);
	free(q);
}

/* A bare ACK from @p src:20000 to @p vip:@p dport, sequence @p seq, acknowledgement @p ack. */
static size_t
ack_frame(uint8_t *b, const char *src, const char *vip, uint16_t dport, uint32_t seq, uint32_t ack)
{
	size_t len = pb_frame_tcp4(b, L2_GW, src, vip, 20000, dport, RTE_TCP_ACK_FLAG, 64, 0);
	unsigned int i;

	for (i = 0; i < 4; i++) {
		b[14 + 20 + 4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		b[14 + 20 + 8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	pb_fix_l4_csum(b + 14);
	return len;
}

/* syn_proxy: on, dsr: the cookie ACK opens the DSR hand-off to the member's host. */
static void
test_dsr_handoff(void **state)
{
	struct run_result r = {.before = &st_before, .after = &st_after};
	uint32_t flows = sg_dp_worker_flow_count(env.w[0]), isn, cookie;
	uint8_t b[PKT_MAX];
	size_t len;

	(void)state;
	len = pb_frame_tcp4(b, L2_GW, "198.19.1.1", "198.18.10.1", 20000, 443, RTE_TCP_SYN_FLAG, 64,
			    0);
	isn = be32_at(b + 14 + 20 + 4);
	run_pkt(0, 0, b, len, &r, at_ms(0));
	assert_int_equal(r.out_port, 0); /* the cookie SYN-ACK */
	assert_int_equal(moved(SG_DP_EV_SYNPROXY_SYNACK), 1);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), flows);
	cookie = be32_at(r.out + 14 + 20 + 4);
	assert_int_equal(be32_at(r.out + 14 + 20 + 8), isn + 1);

	/* a forged ACK: dropped, no flow */
	len = ack_frame(b, "198.19.1.2", "198.18.10.1", 443, isn + 1, cookie + 1);
	run_pkt(0, 0, b, len, &r, at_ms(1));
	assert_int_equal(r.out_port, -1);
	assert_int_equal(moved(SG_DP_DROP_COOKIE_BAD) + moved(SG_DP_DROP_COOKIE_OLD), 1);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), flows);

	/* the client's ACK: a flow, the hand-off SYN tunnelled to 198.18.1.200 */
	len = ack_frame(b, "198.19.1.1", "198.18.10.1", 443, isn + 1, cookie + 1);
	run_pkt(0, 0, b, len, &r, at_ms(2));
	assert_int_equal(moved(SG_DP_EV_SYNPROXY_OPEN), 1);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), flows + 1);
	assert_int_equal(r.out_port, 1);
	assert_int_equal(r.out[14 + 9], IPPROTO_IPIP);
	assert_int_equal(be32_at(r.out + 14 + 16), 0xc61201c8); /* 198.18.1.200 */
	assert_int_equal(r.out[14 + 20 + 20 + 13] & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG),
			 RTE_TCP_SYN_FLAG);
	assert_true(r.out_len > 14 + 20 + 20 + 20 + sizeof(struct sg_handoff_meta));
	assert_int_equal(be32_at(r.out + r.out_len - sizeof(struct sg_handoff_meta)),
			 SG_HANDOFF_META_MAGIC);
	assert_int_equal(be32_at(r.out + 14 + 20 + 20 + 4), isn); /* the client's ISN */
}

/* syn_proxy: auto and off now, dsr: a bare ACK that is no cookie goes the plain DSR way. */
static void
test_dsr_auto_off_ack(void **state)
{
	struct run_result r = {.before = &st_before, .after = &st_after};
	uint32_t flows = sg_dp_worker_flow_count(env.w[0]);
	uint8_t b[PKT_MAX];
	size_t len;

	(void)state;
	len = ack_frame(b, "198.19.2.1", "198.18.10.1", 80, 1000, 2000);
	run_pkt(0, 0, b, len, &r, at_ms(0));
	assert_int_equal(r.out_port, 1); /* tunnelled to host1 by Maglev */
	assert_int_equal(r.out[14 + 9], IPPROTO_IPIP);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), flows + 1);
	assert_int_equal(moved(SG_DP_DROP_COOKIE_BAD) + moved(SG_DP_DROP_COOKIE_OLD), 0);
	assert_int_equal(moved(SG_DP_EV_SYNPROXY_OPEN), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_auto_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_burst_syn_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_burst_mixed_sheds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wake_grace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst_answers_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsr_handoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsr_auto_off_ack, setup, teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
