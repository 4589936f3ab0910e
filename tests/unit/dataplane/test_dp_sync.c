/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State sync, the workers' side (doc/dataplane.md, "State sync: the workers'
 * side"): two appliances' workers A and B (both worker 0, each with its own
 * tables and sync rings); what A publishes on its sync_out is moved to B's
 * sync_in as the sync channel would, and B forwards with what it installed.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "sessiongate/sg_id.h"
#include "sessiongate/sg_msg.h"
#include "sessiongate/sg_sync.h"
#include "core/sync.h"
/* the worker's session state (sid_base); its now_s() is not the harness's */
#define now_s br_now_s
#include "session/broker.h"
#undef now_s
#include "session/slots.h"
#include "session/syncookie.h"

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define FIN RTE_TCP_FIN_FLAG

#define VIP_NAT "198.18.10.2"
#define NAT_A	"198.18.1.100"
#define RECS	64

/* one appliance: its worker 0, tables, sync rings and dump request */
struct app {
	struct sg_dp_worker *w;
	struct sg_dp_tables *t;
	struct rte_ring *out, *in;
	uint32_t dump;
};

static struct app A, B;
static struct rte_ring *b_to_ctl, *b_from_ctl;
static struct sg_dp_syncookie_secret cookies;
static const bool b_ctl_up = true;
static struct sg_sync_rec got[RECS]; /* the records the last move() carried */

static struct rte_ring *
ring_new(const char *what, unsigned int count)
{
	static unsigned int n;
	char name[32];
	struct rte_ring *r;

	(void)snprintf(name, sizeof(name), "ut_sync_%s_%u", what, n++);
	r = rte_ring_create_elem(name, sizeof(struct sg_sync_rec), count, SOCKET_ID_ANY,
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(r);
	return r;
}

/* Worker 0 of appliance @p a on its rings; brokered sessions when @p br. */
static void
app_worker(struct app *a, unsigned int node, bool br)
{
	struct sg_dp_worker_conf wc;

	memset(&wc, 0, sizeof(wc));
	wc.n_workers = 1;
	wc.socket = SOCKET_ID_ANY;
	wc.flow_entries = 1024;
	wc.neigh = env.neigh;
	memcpy(wc.ports, env.ports, sizeof(wc.ports));
	wc.handoff[0] = env.ring[0];
	wc.sync_out = a->out;
	wc.sync_in = a->in;
	wc.sync_dump = &a->dump;
	wc.sync_refresh_s = 10;
	wc.sync_dsr = true;
	wc.node_id = node;
	if (br) {
		wc.to_ctl = b_to_ctl;
		wc.from_ctl = b_from_ctl;
		wc.ctl_up = &b_ctl_up;
		wc.dp_epoch = 0xabcd;
		wc.max_held = 16;
		wc.hold_budget = 1 << 20;
		wc.pool = env.mp;
		wc.cookies = &cookies;
	}
	sg_dp_worker_free(a->w);
	a->w = sg_dp_worker_create(&wc);
	assert_non_null(a->w);
}

/* The test configuration with NAT address @p nat and, when @p wrr, its DSR VSs on WRR. */
static struct cfg_store *
cfg_sync(const char *nat, bool wrr)
{
	struct cfg_store *cs = cfg_new();

	cfg_addr(&cs->cfg.nat.addrs[0], nat);
	if (wrr)
		cs->vs[VS_DSR_IPIP].scheduler = cs->vs[VS_DSR_GUE].scheduler = SG_CFG_SCHED_WRR;
	return cs;
}

/* B's tables: the test configuration, its NAT address @p nat (DSR VSs on WRR: @p wrr). */
static void
b_tables(const char *nat, bool wrr)
{
	struct cfg_store *cs = cfg_sync(nat, wrr);
	char err[256];

	sg_dp_tables_free(B.t);
	assert_int_equal(sg_dp_tables_build(&cs->cfg, NULL, env.ports, &B.t, err, sizeof(err)), 0);
	free(cs);
}

static int
sync_setup(void **state)
{
	uint8_t key[16] = {1, 2, 3};

	assert_int_equal(dp_setup1(state), 0);
	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	A.out = ring_new("aout", 256);
	A.in = ring_new("ain", 256);
	B.out = ring_new("bout", 256);
	B.in = ring_new("bin", 512);
	b_to_ctl = rte_ring_create_elem("ut_sync_toctl", SG_MSG_SIZE, 64, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	b_from_ctl = rte_ring_create_elem("ut_sync_fromctl", SG_MSG_SIZE, 64, SOCKET_ID_ANY,
					  RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_int_equal(sg_dp_syncookie_init(&cookies), 0);
	sg_dp_syncookie_rotate(&cookies, key);
	A.w = env.w[0];
	A.t = env.t;
	env.w[0] = NULL;
	app_worker(&A, 1, false);
	app_worker(&B, 2, false);
	b_tables(NAT_A, false); /* the same NAT address: B reserves A's ports */
	env.w[0] = A.w;
	return 0;
}

static int
sync_teardown(void **state)
{
	env.w[0] = A.w;
	env.t = A.t;
	sg_dp_worker_free(B.w);
	sg_dp_tables_free(B.t);
	rte_ring_free(A.out);
	rte_ring_free(A.in);
	rte_ring_free(B.out);
	rte_ring_free(B.in);
	rte_ring_free(b_to_ctl);
	rte_ring_free(b_from_ctl);
	return dp_teardown(state);
}

/* run_pkt() and friends act on this appliance from now on */
static void
use(const struct app *a)
{
	env.w[0] = a->w;
	env.t = a->t;
}

/* The sync channel: @p from's sync_out to @p to's sync_in (copies in got[]). */
static unsigned int
move(struct app *from, struct app *to)
{
	unsigned int n = rte_ring_sc_dequeue_burst_elem(from->out, got, sizeof(got[0]), RECS, NULL);

	if (to != NULL)
		assert_int_equal(
			rte_ring_sp_enqueue_bulk_elem(to->in, got, sizeof(got[0]), n, NULL), n);
	return n;
}

static uint64_t
cnt(const struct app *a, enum sg_dp_cnt c)
{
	return sg_dp_worker_stats(a->w)->cnt[c];
}

static void
expect_out(int port, const uint8_t *want, size_t len)
{
	assert_int_equal(R.out_port, port);
	assert_bytes(R.out, R.out_len, want, len);
	assert_int_equal(pb_check_csums(R.out + 14), 0);
}

static void
set_eth(uint8_t *b, const char *dst, const char *src)
{
	uint16_t type = (uint16_t)(b[12] << 8 | b[13]);

	pb_put_eth(b, dst, src, type);
}

/* A's NAT TCP flow from CLIENT4:@p cport, established at @p t (SYN, SYN-ACK, ACK). */
static void
a_nat_flow(uint16_t cport, uint16_t nat_port, double t)
{
	unsigned int queued = rte_ring_count(A.out);
	uint8_t in[PKT_MAX];
	size_t n;

	use(&A);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, VIP_NAT, cport, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(t));
	assert_int_equal(R.out_port, 1);
	n = pb_frame_tcp4(in, L2_GW, "198.18.1.11", NAT_A, 80, nat_port, SYN | ACK, 64, 0);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	run_pkt(0, 1, in, n, &R, now_s(t));
	assert_int_equal(R.out_port, 0);
	assert_int_equal(rte_ring_count(A.out), queued); /* not established: nothing published */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, VIP_NAT, cport, 80, ACK, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(t));
	assert_int_equal(R.out_port, 1);
}

/* host1's answer to NAT_A:@p nat_port on the current appliance, back to CLIENT4:@p cport. */
static void
member_answer(uint16_t cport, uint16_t nat_port, size_t payload, double t)
{
	uint8_t in[PKT_MAX], want[PKT_MAX];
	size_t n, m;

	n = pb_frame_tcp4(in, L2_GW, "198.18.1.11", NAT_A, 80, nat_port, ACK, 64, payload);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	m = pb_frame_tcp4(want, L2_GW, VIP_NAT, CLIENT4, 80, cport, ACK, 63, payload);
	set_eth(want, MAC_GW, MAC_PORT0);
	run_pkt(0, 1, in, n, &R, now_s(t));
	expect_out(0, want, m);
}

static struct sg_dp_flow *
flow_of(const struct app *a, const char *client, uint16_t cport, const char *vip, uint16_t vport,
	uint8_t proto)
{
	struct sg_dp_flow_key k;
	uint8_t fam;

	memset(&k, 0, sizeof(k));
	pb_ip_parse(client, k.src, &fam);
	pb_ip_parse(vip, k.dst, &fam);
	k.family = fam;
	k.sport = rte_cpu_to_be_16(cport);
	k.dport = rte_cpu_to_be_16(vport);
	k.proto = proto;
	return sg_dp_flow_lookup(&a->w->ft, &k);
}

static void
pool_use(const struct app *a, const char *nat, uint32_t want_used)
{
	struct sg_dp_ip ip;
	uint32_t n_free, n_used;
	uint8_t fam;
	uint8_t b[16];

	pb_ip_parse(nat, b, &fam);
	sg_dp_ip_set(&ip, fam, b);
	assert_int_equal(sg_dp_nat_pool_ports(a->w, &ip, &n_free, &n_used), 0);
	assert_int_equal(n_used, want_used);
}

static void
test_nat_publish_install(void **state)
{
	uint8_t in[PKT_MAX], want[PKT_MAX];
	struct sg_dp_ip nat;
	uint8_t a[16], fam;
	size_t n, m;

	(void)state;
	a_nat_flow(40000, 1024, 1);
	/* the client's ACK established it: one ADD with everything B needs */
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_PUB), 1);
	assert_int_equal(move(&A, &B), 1);
	assert_int_equal(got[0].op, SG_SYNC_OP_ADD);
	assert_int_equal(got[0].worker, 0);
	assert_int_equal(got[0].proto, IPPROTO_TCP);
	assert_int_equal(got[0].family, 4);
	assert_int_equal(got[0].mode, SG_SYNC_MODE_NAT);
	assert_int_equal(got[0].state, SG_SYNC_ST_EST);
	assert_int_equal(rte_be_to_cpu_16(got[0].nat_port), 1024);
	assert_int_equal(rte_be_to_cpu_16(got[0].cport), 40000);
	assert_int_equal(rte_be_to_cpu_16(got[0].mport), 80);
	assert_int_equal(rte_be_to_cpu_32(got[0].timeout_s), 300);
	assert_int_equal(got[0].sid, 0);

	/* B installs a synced copy and reserves the port in its own pool */
	assert_true(sg_dp_worker_sync_poll(B.w, B.t, now_s(1.5)));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_INSTALLED), 1);
	assert_int_equal(sg_dp_worker_flow_count(B.w), 1);
	pool_use(&B, NAT_A, 1);
	pb_ip_parse(NAT_A, a, &fam);
	sg_dp_ip_set(&nat, fam, a);
	assert_int_equal(sg_dp_nat_port_get(B.w, B.t, &nat), 1025); /* 1024 is the copy's */
	sg_dp_nat_port_put(B.w, &nat, 1025);
	/* nothing to do: poll says so (idle mode) */
	assert_false(sg_dp_worker_sync_poll(B.w, B.t, now_s(1.5)));

	/* ECMP moved the client to B: forwarded as A would, with A's NAT port */
	use(&B);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, VIP_NAT, 40000, 80, ACK, 64, 100);
	m = pb_frame_tcp4(want, L2_GW, NAT_A, "198.18.1.11", 1024, 80, ACK, 63, 100);
	set_eth(want, MAC_HOST1, MAC_PORT1);
	run_pkt(0, 0, in, n, &R, now_s(2));
	expect_out(1, want, m);
	CNT_MOVED(SG_DP_EV_SYNC_TAKEOVER, SG_DP_EV_SYNC_PUB);
	/* the member's answer goes back to the client */
	member_answer(40000, 1024, 50, 2);
	CNT_MOVED();

	/* the takeover went back to A, which owns the flow: ignored there */
	assert_int_equal(move(&B, &A), 1);
	assert_int_equal(got[0].op, SG_SYNC_OP_ADD);
	assert_true(sg_dp_worker_sync_poll(A.w, A.t, now_s(2)));
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_IGNORED_OWN), 1);
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_INSTALLED), 0);
}

/* B's NAT address is another: the copy installs without a reservation. */
static void
test_nat_other_address(void **state)
{
	(void)state;
	b_tables("198.18.1.101", false);
	a_nat_flow(40001, 1024, 1);
	assert_int_equal(move(&A, &B), 1);
	assert_true(sg_dp_worker_sync_poll(B.w, B.t, now_s(1)));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_INSTALLED), 1);
	pool_use(&B, "198.18.1.101", 0);
	use(&B);
	member_answer(40001, 1024, 5, 2);
}

static void
test_del(void **state)
{
	uint8_t in[PKT_MAX];
	size_t n;

	(void)state;
	/* closed on A by FIN: a CLOSING DEL, B's copy and its reservation go */
	a_nat_flow(40000, 1024, 1);
	assert_int_equal(move(&A, &B), 1);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(1));
	pool_use(&B, NAT_A, 1);
	use(&A);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, VIP_NAT, 40000, 80, FIN | ACK, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(2));
	sg_dp_worker_expire(A.w, A.t, now_s(40), 1024); /* past the transitory timeout */
	assert_int_equal(sg_dp_worker_flow_count(A.w), 0);
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_DEL), 1);
	assert_int_equal(move(&A, &B), 1);
	assert_int_equal(got[0].op, SG_SYNC_OP_DEL);
	assert_int_equal(got[0].state, SG_SYNC_ST_CLOSING);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(40));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_REMOVED), 1);
	assert_int_equal(sg_dp_worker_flow_count(B.w), 0);
	pool_use(&B, NAT_A, 0);
	assert_int_equal(move(&B, NULL), 0); /* a copy's removal sends nothing back */

	/* idle on A: an EST DEL removes a copy that was never taken over ... */
	a_nat_flow(40001, 1025, 50);
	a_nat_flow(40002, 1026, 50);
	assert_int_equal(move(&A, &B), 2);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(50));
	assert_int_equal(sg_dp_worker_flow_count(B.w), 2);
	/* ... but not one that moved to B (the old owner's expiry must not kill it) */
	use(&B);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, VIP_NAT, 40002, 80, ACK, 64, 10);
	run_pkt(0, 0, in, n, &R, now_s(340));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_TAKEOVER), 1);
	(void)move(&B, NULL);
	sg_dp_worker_expire(A.w, A.t, now_s(360), 1024);
	assert_int_equal(sg_dp_worker_flow_count(A.w), 0);
	assert_int_equal(move(&A, &B), 2);
	assert_int_equal(got[0].state, SG_SYNC_ST_EST);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(360));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_REMOVED), 2);
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_IGNORED_OWN), 1);
	assert_int_equal(sg_dp_worker_flow_count(B.w), 1);
	assert_non_null(flow_of(&B, CLIENT4, 40002, VIP_NAT, 80, IPPROTO_TCP));

	/* a lost DEL: the tuple's next connection on A replaces B's stale copy */
	a_nat_flow(40003, 1027, 400);
	assert_int_equal(move(&A, NULL), 1);
	got[0].nat_port = rte_cpu_to_be_16(1030); /* the old connection's port */
	assert_int_equal(rte_ring_sp_enqueue_elem(B.in, &got[0], sizeof(got[0])), 0);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(400));
	pool_use(&B, NAT_A, 2);
	got[0].nat_port = rte_cpu_to_be_16(1027);
	assert_int_equal(rte_ring_sp_enqueue_elem(B.in, &got[0], sizeof(got[0])), 0);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(400));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_REMOVED), 3);
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_INSTALLED), 5);
	pool_use(&B, NAT_A, 2); /* 1030 given back, 1027 reserved */
	use(&B);
	member_answer(40003, 1027, 7, 401);
}

static void
test_refresh(void **state)
{
	uint8_t in[PKT_MAX];
	struct sg_dp_flow *f;
	size_t n;

	(void)state;
	/* refresh_s 10: periods of 2.5 s; an active flow is re-sent once its last ADD is 4 old */
	a_nat_flow(40000, 1024, 1);
	assert_int_equal(move(&A, &B), 1);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(1));
	sg_dp_worker_expire(A.w, A.t, now_s(1), 1024);
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_REFRESH), 0);
	use(&A);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, VIP_NAT, 40000, 80, ACK, 64, 10);
	run_pkt(0, 0, in, n, &R, now_s(12));
	sg_dp_worker_expire(A.w, A.t, now_s(12), 1024);
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_REFRESH), 1);
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_PUB), 2);
	sg_dp_worker_expire(A.w, A.t, now_s(12), 1024); /* once per period */
	run_pkt(0, 0, in, n, &R, now_s(14));
	sg_dp_worker_expire(A.w, A.t, now_s(14), 1024); /* the last ADD is too young */
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_REFRESH), 1);
	sg_dp_worker_expire(A.w, A.t, now_s(100), 1024); /* idle since: nothing */
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_REFRESH), 1);
	/* B's copy follows: its last activity is A's */
	assert_int_equal(move(&A, &B), 1);
	assert_int_equal(got[0].op, SG_SYNC_OP_ADD);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(12));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_UPDATED), 1);
	f = flow_of(&B, CLIENT4, 40000, VIP_NAT, 80, IPPROTO_TCP);
	assert_non_null(f);
	assert_true(f->last_tsc == now_s(12));
	assert_int_equal(f->sync & SG_DP_SYNC_COPY, SG_DP_SYNC_COPY);
}

/* refresh_s 120 and UDP's 60 s timeout: re-sent after half the timeout, TCP after 120 s. */
static void
test_refresh_short_timeout(void **state)
{
	uint8_t in[PKT_MAX], udp[PKT_MAX];
	size_t n, nu;

	(void)state;
	A.w->conf.sync_refresh_s = 120;
	a_nat_flow(40000, 1024, 1);
	use(&A);
	nu = pb_frame_udp4(udp, L2_GW, CLIENT4, VIP_NAT, 5000, 53, 8);
	run_pkt(0, 0, udp, nu, &R, now_s(1));
	assert_int_equal(move(&A, NULL), 2);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, VIP_NAT, 40000, 80, ACK, 64, 10);
	run_pkt(0, 0, in, n, &R, now_s(40));
	run_pkt(0, 0, udp, nu, &R, now_s(40));
	sg_dp_worker_expire(A.w, A.t, now_s(40), 1024);
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_REFRESH), 1);
	assert_int_equal(move(&A, NULL), 1);
	assert_int_equal(got[0].proto, IPPROTO_UDP);
	assert_int_equal(rte_be_to_cpu_32(got[0].timeout_s), 60);
}

static void
test_dump(void **state)
{
	uint8_t in[PKT_MAX];
	struct sg_sync_rec all[16];
	unsigned int n_all = 0, i, k, polls = 0;
	size_t n;

	(void)state;
	/* five UDP NAT flows (published at creation), one copy from B, one Maglev DSR flow */
	b_tables("198.18.1.101", false);
	use(&A);
	for (i = 0; i < 5; i++) {
		n = pb_frame_udp4(in, L2_GW, CLIENT4, VIP_NAT, (uint16_t)(5000 + i), 53, 8);
		run_pkt(0, 0, in, n, &R, now_s(1));
		assert_int_equal(R.out_port, 1);
	}
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 41000, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_PUB), 5); /* Maglev DSR: not synced */
	assert_int_equal(move(&A, NULL), 5);
	use(&B);
	n = pb_frame_udp4(in, L2_GW, "198.18.0.77", VIP_NAT, 6000, 53, 8);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(move(&B, &A), 1);
	(void)sg_dp_worker_sync_poll(A.w, A.t, now_s(1));
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_INSTALLED), 1);

	/* a ring of 3: the walk pauses when it is full and loses nothing */
	rte_ring_free(A.out);
	A.out = ring_new("small", 4);
	A.w->conf.sync_out = A.out;
	__atomic_store_n(&A.dump, 7, __ATOMIC_RELEASE);
	do {
		assert_true(sg_dp_worker_sync_poll(A.w, A.t, now_s(2)));
		k = move(&A, NULL);
		assert_true(k <= 3 && n_all + k <= RTE_DIM(all));
		memcpy(&all[n_all], got, k * sizeof(got[0]));
		n_all += k;
	} while (++polls < 20 && (n_all == 0 || all[n_all - 1].op != SG_SYNC_OP_DUMP_END));
	assert_int_equal(n_all, 7);
	for (i = 0; i < 6; i++) {
		assert_int_equal(all[i].op, SG_SYNC_OP_ADD);
		assert_int_equal(all[i].mode, SG_SYNC_MODE_NAT);
		for (k = 0; k < i; k++)
			assert_true(all[k].cport != all[i].cport);
	}
	assert_int_equal(all[6].op, SG_SYNC_OP_DUMP_END);
	assert_int_equal(all[6].worker, 0);
	assert_int_equal(rte_be_to_cpu_64(all[6].sid), 7);
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_DUMP_RECS), 7);
	assert_int_equal(cnt(&A, SG_DP_EV_SYNC_OUT_FULL), 0);
	/* done: the same id asks for nothing more */
	assert_false(sg_dp_worker_sync_poll(A.w, A.t, now_s(3)));
	/* B installs the dump: its own flow back is ignored, A's five are new */
	assert_int_equal(rte_ring_sp_enqueue_bulk_elem(B.in, all, sizeof(all[0]), 7, NULL), 7);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(3));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_INSTALLED), 5);
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_IGNORED_OWN), 1);
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_REC_BAD), 0);
}

/* Run @p b (@p len bytes) on A, then on B: the same frame out of the same port. */
static void
same_on_b(const uint8_t *b, size_t len, double t, bool published)
{
	uint8_t want[PKT_MAX];
	size_t m;
	int port;

	use(&A);
	run_pkt(0, 0, b, len, &R, now_s(t));
	assert_true(R.out_port >= 0);
	port = R.out_port;
	m = R.out_len;
	memcpy(want, R.out, m);
	assert_int_equal(move(&A, &B), published ? 1 : 0);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(t));
	use(&B);
	run_pkt(0, 0, b, len, &R, now_s(t));
	assert_int_equal(R.out_port, port);
	assert_bytes(R.out, R.out_len, want, m);
}

/* DSR flows of non-Maglev VSs (sync_dsr): B tunnels them exactly as A does. */
static void
test_dsr(void **state)
{
	uint8_t in[PKT_MAX];
	size_t n;

	(void)state;
	assert_int_equal(env_rebuild(cfg_sync(NAT_A, true)), 0);
	A.t = env.t;
	b_tables(NAT_A, true);
	/* TCP, IP-in-IP: published on the client's ACK */
	use(&A);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 41000, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(move(&A, NULL), 0);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 41000, 80, ACK, 64, 30);
	same_on_b(in, n, 1, true);
	assert_int_equal(got[0].mode, SG_SYNC_MODE_DSR);
	assert_int_equal(got[0].host_family, 4);
	assert_int_equal(got[0].flags, 0);
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_TAKEOVER), 1);
	/* UDP, GUE: published at creation, the same GUE source port on B */
	n = pb_frame_udp4(in, L2_GW, CLIENT4, "198.18.10.1", 7000, 5353, 40);
	same_on_b(in, n, 2, true);
	assert_int_equal(got[0].flags, SG_SYNC_F_GUE);
	assert_int_equal(rte_be_to_cpu_16(got[0].gue_port), 6080);
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_TAKEOVER), 2);
	assert_int_equal(cnt(&B, SG_DP_EV_FLOW_NEW), 0);
	/* sync_dsr off: DSR flows stay local */
	A.w->conf.sync_dsr = false;
	use(&A);
	n = pb_frame_udp4(in, L2_GW, CLIENT4, "198.18.10.1", 7001, 5353, 40);
	run_pkt(0, 0, in, n, &R, now_s(3));
	assert_int_equal(move(&A, NULL), 0);
}

/* A brokered (spliced) flow: translated on B; SESSION_CLOSED only once taken over. */
static void
test_brokered_seq(void **state)
{
	uint8_t in[PKT_MAX], want[PKT_MAX];
	struct sg_dp_flow *f;
	size_t n, m;

	(void)state;
	app_worker(&B, 2, true);
	/* A's NAT flow made a spliced brokered one as the session layer does at install */
	a_nat_flow(40000, 1024, 1);
	(void)move(&A, NULL);
	f = flow_of(&A, CLIENT4, 40000, VIP_NAT, 80, IPPROTO_TCP);
	assert_non_null(f);
	f->sid = sg_id_make(SG_ID_T_STREAMING, 0x1234);
	f->flags |= SG_DP_FLOW_SEQ;
	f->seq_s2c = 0x10000000;
	f->ws_shift = -2;
	sg_dp_sync_installed(A.w, f, now_s(1));
	assert_int_equal(move(&A, &B), 1);
	assert_int_equal(got[0].flags, SG_SYNC_F_SEQ);
	assert_int_equal(rte_be_to_cpu_64(got[0].sid), sg_id_make(SG_ID_T_STREAMING, 0x1234));
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(1));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_INSTALLED), 1);
	assert_null(sg_dp_broker_flow_by_id(B.w, sg_id_make(SG_ID_T_STREAMING, 0x1234)));

	/* the VM's segment through B: seq + delta, window << 2 */
	use(&B);
	n = pb_frame_tcp4(in, L2_GW, "198.18.1.11", NAT_A, 80, 1024, ACK, 64, 20);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	m = pb_frame_tcp4(want, L2_GW, VIP_NAT, CLIENT4, 80, 40000, ACK, 63, 20);
	set_eth(want, MAC_GW, MAC_PORT0);
	want[14 + 20 + 4] += 0x10; /* seq 0x01020304 + 0x10000000 */
	want[14 + 20 + 14] = 0x3f; /* window 65535 >> 2 */
	pb_fix_l4_csum(want + 14);
	run_pkt(0, 1, in, n, &R, now_s(2));
	expect_out(0, want, m);
	CNT_MOVED(SG_DP_EV_SYNC_TAKEOVER, SG_DP_EV_SYNC_PUB);
	/* taken over: B's sg-control can abort it; its end is reported there */
	f = flow_of(&B, CLIENT4, 40000, VIP_NAT, 80, IPPROTO_TCP);
	assert_non_null(f);
	assert_ptr_equal(sg_dp_broker_flow_by_id(B.w, sg_id_make(SG_ID_T_STREAMING, 0x1234)), f);
	sg_dp_worker_expire(B.w, B.t, now_s(400), 1024);
	assert_int_equal(cnt(&B, SG_DP_EV_SESS_CLOSED), 1);

	/* a copy never taken over goes silently: the owner reports the end */
	f = flow_of(&A, CLIENT4, 40000, VIP_NAT, 80, IPPROTO_TCP);
	sg_dp_sync_installed(A.w, f, now_s(400));
	(void)move(&A, &B);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(400));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_INSTALLED), 2);
	sg_dp_worker_expire(B.w, B.t, now_s(800), 1024);
	assert_int_equal(sg_dp_worker_flow_count(B.w), 0);
	assert_int_equal(cnt(&B, SG_DP_EV_SESS_CLOSED), 1);
}

/* Every field out of range, one at a time: counted, ignored; a good one still installs. */
static void
test_hostile(void **state)
{
	struct sg_sync_rec good, bad[32];
	unsigned int nb = 0, i;

	(void)state;
	a_nat_flow(40000, 1024, 1);
	assert_int_equal(move(&A, NULL), 1);
	good = got[0];
	for (i = 0; i < RTE_DIM(bad); i++)
		bad[i] = good;
	bad[nb++].op = 0;
	bad[nb++].op = 9;
	bad[nb++].worker = 1; /* B has one worker */
	bad[nb++].proto = 1;
	bad[nb++].family = 5;
	bad[nb++].mode = 3;
	bad[nb++].state = 0;
	bad[nb++].state = 3;
	bad[nb++].flags = 0x80;
	bad[nb++].flags = SG_SYNC_F_TS; /* timestamps without a spliced flow */
	bad[nb++].flags = SG_SYNC_F_GUE;
	bad[nb++].ws_shift = 3; /* no SEQ */
	bad[nb++].host_family = 4;
	bad[nb++].cport = 0;
	bad[nb++].vport = 0;
	bad[nb++].mport = 0;
	bad[nb++].nat_port = 0;
	bad[nb++].timeout_s = 0;
	bad[nb++].timeout_s = rte_cpu_to_be_32(8 * 86400);
	bad[nb++].pad[1] = 1;
	bad[nb++].pad2 = 1;
	bad[nb++].gue_port = 1;
	memset(bad[nb++].client, 0, 16);
	memset(bad[nb++].vip, 0, 16);
	memset(bad[nb++].member, 0, 16);
	memset(bad[nb++].nat, 0, 16);
	bad[nb++].vip[9] = 1; /* IPv4 with bytes past the fourth */
	bad[nb++].host[0] = 1;
	bad[nb].flags = SG_SYNC_F_SEQ; /* SEQ on UDP */
	bad[nb++].proto = IPPROTO_UDP;
	bad[nb].op = SG_SYNC_OP_DEL;
	bad[nb++].family = 0;
	bad[nb].op = SG_SYNC_OP_DUMP_END;
	bad[nb++].worker = 3;
	assert_true(nb <= RTE_DIM(bad));
	assert_int_equal(rte_ring_sp_enqueue_bulk_elem(B.in, bad, sizeof(bad[0]), nb, NULL), nb);
	assert_int_equal(rte_ring_sp_enqueue_elem(B.in, &good, sizeof(good)), 0);
	assert_true(sg_dp_worker_sync_poll(B.w, B.t, now_s(1)));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_REC_BAD), nb);
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_INSTALLED), 1);
	assert_int_equal(sg_dp_worker_flow_count(B.w), 1);

	/* a port B's own flow holds: not installed (sync_conflict) */
	use(&B);
	{
		uint8_t in[PKT_MAX];
		size_t n = pb_frame_tcp4(in, L2_GW, "198.18.0.60", VIP_NAT, 1, 80, SYN, 64, 0);

		run_pkt(0, 0, in, n, &R, now_s(1)); /* B's own flow takes 1025 */
	}
	good.cport = rte_cpu_to_be_16(40009);
	good.nat_port = rte_cpu_to_be_16(1025);
	assert_int_equal(rte_ring_sp_enqueue_elem(B.in, &good, sizeof(good)), 0);
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(1));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_CONFLICT), 1);
	assert_int_equal(sg_dp_worker_flow_count(B.w), 2);
	/* a poll installs a bounded number */
	for (i = 0; i < 300; i++) {
		good.cport = rte_cpu_to_be_16((uint16_t)(50000 + i));
		good.nat_port = rte_cpu_to_be_16((uint16_t)(2000 + i));
		if (rte_ring_sp_enqueue_elem(B.in, &good, sizeof(good)) != 0)
			break;
	}
	(void)sg_dp_worker_sync_poll(B.w, B.t, now_s(1));
	assert_int_equal(cnt(&B, SG_DP_EV_SYNC_INSTALLED), 1 + SG_DP_SYNC_POLL_MAX);
}

/* Session IDs: the node in the epoch field's top 4 bits. */
/*
 * A peer's NAT address (bgp.backup, sync on) on a two-worker appliance:
 * the return of a synced flow that RSS put on the wrong worker is handed to
 * the worker its port names, where the copy was installed; anything else to
 * that address is not local. Without sync the address is not ours at all.
 */
static void
test_peer_nat_steer(void **state)
{
	struct cfg_store *cs = cfg_sync("198.18.1.101", false);
	struct sg_dp_worker_conf wc;
	struct sg_dp_worker *c;
	struct rte_ring *h0;
	uint8_t in[PKT_MAX];
	char err[256];
	size_t n;

	(void)state;
	cs->cfg.appliance.cluster.sync.enabled = true;
	cfg_addr(&cs->cfg.appliance.cluster.bgp.backup[0], NAT_A);
	cs->cfg.appliance.cluster.bgp.n_backup = 1;
	sg_dp_tables_free(B.t);
	assert_int_equal(sg_dp_tables_build(&cs->cfg, NULL, env.ports, &B.t, err, sizeof(err)), 0);
	h0 = rte_ring_create("ut_sync_h0", 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	assert_non_null(h0);
	memset(&wc, 0, sizeof(wc));
	wc.id = 1;
	wc.n_workers = 2;
	wc.socket = SOCKET_ID_ANY;
	wc.flow_entries = 1024;
	wc.neigh = env.neigh;
	memcpy(wc.ports, env.ports, sizeof(wc.ports));
	wc.handoff[0] = h0;
	c = sg_dp_worker_create(&wc);
	assert_non_null(c);
	env.w[0] = c;
	env.t = B.t;

	/* port 1024 belongs to worker 0 (1024 % 2): handed over */
	n = pb_frame_tcp4(in, L2_GW, "198.18.1.11", NAT_A, 80, 1024, ACK, 64, 10);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	run_pkt(0, 1, in, n, &R, now_s(1));
	CNT_MOVED(SG_DP_EV_HANDOFF_OUT);
	assert_int_equal(rte_ring_count(h0), 1);
	/* port 1025 is this worker's own: no flow here */
	n = pb_frame_tcp4(in, L2_GW, "198.18.1.11", NAT_A, 80, 1025, ACK, 64, 10);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	run_pkt(0, 1, in, n, &R, now_s(1));
	assert_drop(&R, SG_DP_DROP_NO_FLOW, 1);
	/* an echo to the peer's address is not ours to answer */
	n = pb_frame_icmp4_echo(in, L2_GW, "198.18.1.11", NAT_A, 8, 8);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	run_pkt(0, 1, in, n, &R, now_s(1));
	assert_drop(&R, SG_DP_DROP_NOT_LOCAL, 1);

	/* sync off: the backup address is not in the tables */
	cs->cfg.appliance.cluster.sync.enabled = false;
	sg_dp_tables_free(B.t);
	assert_int_equal(sg_dp_tables_build(&cs->cfg, NULL, env.ports, &B.t, err, sizeof(err)), 0);
	env.t = B.t;
	n = pb_frame_tcp4(in, L2_GW, "198.18.1.11", NAT_A, 80, 1024, ACK, 64, 10);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	run_pkt(0, 1, in, n, &R, now_s(1));
	assert_drop(&R, SG_DP_DROP_NOT_LOCAL, 1);

	{
		struct rte_mbuf *m;

		while (rte_ring_dequeue(h0, (void **)&m) == 0)
			rte_pktmbuf_free(m);
	}
	rte_ring_free(h0);
	env.w[0] = A.w;
	sg_dp_worker_free(c);
	free(cs);
}

static void
test_node_bits(void **state)
{
	uint64_t serial;

	(void)state;
	app_worker(&B, 5, true);
	serial = sg_id_serial_of(B.w->br->sid_base);
	assert_int_equal((serial >> 40) & 0xffff, (5u << 12) | (0xabcd & 0xfff));
	app_worker(&B, 0, true); /* standalone: the whole epoch */
	serial = sg_id_serial_of(B.w->br->sid_base);
	assert_int_equal((serial >> 40) & 0xffff, 0xabcd);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nat_publish_install, sync_setup,
						sync_teardown),
		cmocka_unit_test_setup_teardown(test_nat_other_address, sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_del, sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_refresh, sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_refresh_short_timeout, sync_setup,
						sync_teardown),
		cmocka_unit_test_setup_teardown(test_dump, sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_dsr, sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_brokered_seq, sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_hostile, sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_node_bits, sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_peer_nat_steer, sync_setup, sync_teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests_name("dataplane state sync (workers)", tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
