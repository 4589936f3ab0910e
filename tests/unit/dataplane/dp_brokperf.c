/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Brokered-connection cost driver (doc/benchmarking.md, "Brokered sessions:
 * instructions per connection"): one worker with brokered sessions, a NAT
 * VS keyed on the HTTP Host, and the two ends the bench's sg-pktgen plays
 * (a stateless client on port 0, a stateless VM on port 1) plus sg-ctlecho's
 * answer (every SESSION_NEW gets a SESSION_INSTALL), all in this process.
 * Each round takes B connections (16 unless given) the whole way, phase by phase, every phase
 * a burst through the worker:
 *
 *   syn      B client SYNs                 -> B cookie SYN-ACKs (port 0)
 *   ack      B ACK + "GET" (the cookie)    -> B ACKs of the held request,
 *                                             B SESSION_NEW (dp -> ctl ring)
 *   (the responder: B SESSION_INSTALL on the ctl -> dp ring, not measured)
 *   install  the worker's control poll     -> B SYNs to the VM (port 1)
 *   synack   B VM SYN-ACKs                 -> B ACKs + B replayed requests
 *   rst      B VM RSTs of the replay       -> B RSTs to the client (port 0)
 *
 * A warm-up pass (not measured) fills the flow table with CAP closed
 * connections; from then on every new session evicts a closed one, whose
 * SESSION_CLOSED goes out then (as in the bench, whose table is full).
 * Only the worker's calls are measured: under `valgrind --tool=callgrind
 * --toggle-collect=perf_measured` the instructions per connection are
 * Ir / N, and the phases' inclusive costs give the split. It asserts every
 * connection completed, each counter, each ring message. As a test (no
 * arguments) it runs 2048 connections on a 512-entry table.
 *
 *   dp_brokperf [CAP N [BURST]]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "sessiongate/sg_msg.h"
#include "session/syncookie.h"

#define B_MAX	32u
#define VIP	"198.18.10.3" /* VS_BROKERED: 198.18.10.3:80 */
#define VM	"198.18.1.11"
#define REQUEST "GET / HTTP/1.1\r\nHost: bench.example\r\n\r\n"

enum phase { PH_SYN, PH_ACK, PH_INSTALL, PH_SYNACK, PH_RST, PH_N };
static const char *const phase_name[PH_N] = {"syn", "ack", "install", "synack", "rst"};

/* What the two ends and the responder saw. */
struct tally {
	uint64_t synack, held_ack, client_rst, vm_syn, vm_ack, done, other;
	uint64_t news, installs, closed, ctl_other;
	uint64_t cyc[PH_N];
};

struct frames {
	uint8_t b[B_MAX][256];
	size_t len[B_MAX];
	unsigned int n;
};

static struct rte_ring *to_ctl, *from_ctl;
static struct sg_dp_txq *q;
/* a full burst (32) of SYNs would be shed to the busy budget (worker.c): 16, as dp_flowperf */
static unsigned int burst = 16;
static bool measured; /* the pass after the warm-up */

/* One IPv4 TCP segment, checksums computed; @p src / @p dst in network order. */
static size_t
seg(uint8_t *b, const char *dmac, const char *smac, uint32_t src, uint32_t dst, uint16_t sport,
    uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, const char *data)
{
	size_t off = pb_put_eth(b, dmac, smac, RTE_ETHER_TYPE_IPV4), dl = data ? strlen(data) : 0;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + off);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	size_t ol = (flags & RTE_TCP_SYN_FLAG) ? 4 : 0; /* SYN and SYN-ACK: MSS 1460 */
	static const uint8_t mss[4] = {2, 4, 0x05, 0xb4};

	memset(ip, 0, sizeof(*ip) + sizeof(*th));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = htons((uint16_t)(sizeof(*ip) + sizeof(*th) + ol + dl));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	th->src_port = htons(sport);
	th->dst_port = htons(dport);
	th->sent_seq = htonl(seq);
	th->recv_ack = htonl(ack);
	th->data_off = (uint8_t)(((sizeof(*th) + ol) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = htons(65535);
	memcpy(th + 1, mss, ol);
	if (dl > 0)
		memcpy((uint8_t *)(th + 1) + ol, data, dl);
	pb_fix_ip4_csum((uint8_t *)ip);
	pb_fix_l4_csum((uint8_t *)ip);
	return off + sizeof(*ip) + sizeof(*th) + ol + dl;
}

/* The answer of the client (port 0) or the VM (port 1) to the worker's frame @p m, if any. */
static void
answer(uint16_t port, struct rte_mbuf *m, struct frames *next, struct tally *t)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	const struct rte_tcp_hdr *th =
		(const struct rte_tcp_hdr *)((const uint8_t *)ip + rte_ipv4_hdr_len(ip));
	uint32_t plen = ntohs(ip->total_length) - rte_ipv4_hdr_len(ip) - (th->data_off >> 4) * 4u;
	uint32_t seq = ntohl(th->sent_seq), ack = ntohl(th->recv_ack);
	uint16_t sp = ntohs(th->src_port), dp = ntohs(th->dst_port);
	uint8_t fl = th->tcp_flags & 0x3f;
	unsigned int k = next->n;

	if (port == 0 && fl == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
		t->synack++; /* sg-pktgen's client: ACK + the request, from the SYN-ACK */
		next->len[k] = seg(next->b[k], MAC_PORT0, MAC_GW, ip->dst_addr, ip->src_addr, dp,
				   sp, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, ack, seq + 1, REQUEST);
		next->n++;
	} else if (port == 0 && (fl & RTE_TCP_RST_FLAG)) {
		t->client_rst++;
	} else if (port == 0 && fl == RTE_TCP_ACK_FLAG && plen == 0) {
		t->held_ack++;
	} else if (port == 1 && fl == RTE_TCP_SYN_FLAG) {
		t->vm_syn++; /* the VM: SYN-ACK, its ISN a function of the tuple */
		next->len[k] = seg(next->b[k], MAC_PORT1, MAC_HOST1, ip->dst_addr, ip->src_addr, dp,
				   sp, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
				   0x9e3779b9u * ((uint32_t)dp << 16 | sp), seq + 1, NULL);
		next->n++;
	} else if (port == 1 && (fl & RTE_TCP_ACK_FLAG) && plen > 0) {
		t->done++; /* the replayed request: one connection done, answered with RST */
		next->len[k] = seg(next->b[k], MAC_PORT1, MAC_HOST1, ip->dst_addr, ip->src_addr, dp,
				   sp, RTE_TCP_RST_FLAG, ack, 0, NULL);
		next->n++;
	} else if (port == 1 && fl == RTE_TCP_ACK_FLAG) {
		t->vm_ack++;
	} else {
		t->other++;
	}
}

/* Answer and free everything the worker sent. */
static void
drain(struct frames *next, struct tally *t)
{
	unsigned int p, k;

	next->n = 0;
	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		for (k = 0; k < q->n[p]; k++) {
			assert_true(next->n < B_MAX);
			answer((uint16_t)p, q->pkts[p][k], next, t);
			rte_pktmbuf_free(q->pkts[p][k]);
		}
		q->n[p] = 0;
	}
}

/* sg-ctlecho: SESSION_NEW -> SESSION_INSTALL (NAT, the VM's port 80); CLOSED counted. */
static void
responder(struct tally *t)
{
	struct sg_msg m[B_MAX], in;
	unsigned int n, i;

	while ((n = rte_ring_dequeue_burst_elem(to_ctl, m, SG_MSG_SIZE, B_MAX, NULL)) > 0) {
		for (i = 0; i < n; i++) {
			assert_int_equal(sg_msg_check(&m[i], SG_MSG_SIZE), 0);
			if (m[i].hdr.type == SG_MSG_SESSION_CLOSED) {
				t->closed++;
				continue;
			}
			if (m[i].hdr.type != SG_MSG_SESSION_NEW) {
				t->ctl_other++;
				continue;
			}
			t->news++;
			assert_int_equal(m[i].session_new.key_type, SG_MSG_L7_HTTP_HOST);
			memset(&in, 0, sizeof(in));
			in.hdr.version = SG_MSG_VERSION;
			in.hdr.type = SG_MSG_SESSION_INSTALL;
			in.hdr.len = (uint16_t)(sizeof(in.hdr) + sizeof(in.install));
			in.hdr.session_id = m[i].hdr.session_id;
			in.install.mode = SG_MSG_INSTALL_NAT;
			in.install.family = 4;
			in.install.backend_port = 80;
			inet_pton(AF_INET, VM, in.install.backend_addr);
			assert_int_equal(rte_ring_enqueue_elem(from_ctl, &in, SG_MSG_SIZE), 0);
			t->installs++;
		}
	}
}

/*
 * One phase each, so that callgrind's inclusive costs split a connection by
 * phase: GCC must neither inline nor fold them (noipa); clang has no noipa
 * and does not clone them.
 */
#ifdef __clang__
#define PHASE_ATTR __attribute__((noinline))
#else
#define PHASE_ATTR __attribute__((noipa))
#endif
#define PHASE_FN(name)                                                                            \
	static PHASE_ATTR void name(uint16_t port, struct rte_mbuf **m, uint16_t n, uint64_t now) \
	{                                                                                         \
		sg_dp_worker_process(env.w[0], env.t, port, m, n, q, now);                        \
	}
PHASE_FN(phase_syn)
PHASE_FN(phase_ack)
PHASE_FN(phase_synack)
PHASE_FN(phase_rst)

static __rte_noinline void
phase_install(uint64_t now)
{
	sg_dp_worker_poll_control(env.w[0], env.t, q, now);
}

/* The measured call (callgrind --toggle-collect=perf_measured): one phase of a round. */
static __rte_noinline void
perf_measured(enum phase ph, uint16_t port, struct rte_mbuf **m, uint16_t n, uint64_t now)
{
	switch (ph) {
	case PH_SYN:
		phase_syn(port, m, n, now);
		break;
	case PH_ACK:
		phase_ack(port, m, n, now);
		break;
	case PH_INSTALL:
		phase_install(now);
		break;
	case PH_SYNACK:
		phase_synack(port, m, n, now);
		break;
	default:
		phase_rst(port, m, n, now);
		break;
	}
}

static void
phase(enum phase ph, uint16_t port, const struct frames *in, struct frames *next, uint64_t now,
      struct tally *t)
{
	struct rte_mbuf *m[B_MAX];
	unsigned int k;
	uint64_t t0;

	for (k = 0; k < in->n; k++)
		m[k] = mbuf_from(in->b[k], in->len[k]);
	t0 = rte_rdtsc();
	if (measured)
		perf_measured(ph, port, m, (uint16_t)in->n, now);
	else if (ph == PH_INSTALL)
		sg_dp_worker_poll_control(env.w[0], env.t, q, now);
	else
		sg_dp_worker_process(env.w[0], env.t, port, m, (uint16_t)in->n, q, now);
	t->cyc[ph] += rte_rdtsc() - t0;
	drain(next, t);
}

/*
 * Connections [first, first + n), @p burst at a time, from client
 * 198.19.x.y (i / 50000), port 1024 + i % 50000; @p now advances 10 us a round.
 */
static void
run(uint32_t first, uint32_t n, uint64_t *now, struct tally *t)
{
	static struct frames a, b;
	uint64_t step = rte_get_tsc_hz() / 100000;
	uint32_t i = first;

	n += first;
	while (i < n) {
		unsigned int k, nb = RTE_MIN(burst, n - i);

		for (k = 0; k < nb; k++) {
			uint32_t c = i + k, src = htonl(0xc6130000u | (c / 50000));

			a.len[k] = seg(a.b[k], MAC_PORT0, MAC_GW, src, inet_addr(VIP),
				       (uint16_t)(1024 + c % 50000), 80, RTE_TCP_SYN_FLAG,
				       0x1000u * c, 0, NULL);
		}
		a.n = nb;
		phase(PH_SYN, 0, &a, &b, *now, t);
		assert_int_equal(b.n, nb);
		phase(PH_ACK, 0, &b, &a, *now, t);
		assert_int_equal(a.n, 0);
		responder(t);
		phase(PH_INSTALL, 0, &a, &b, *now, t);
		assert_int_equal(b.n, nb);
		phase(PH_SYNACK, 1, &b, &a, *now, t);
		assert_int_equal(a.n, nb);
		phase(PH_RST, 1, &a, &b, *now, t);
		assert_int_equal(b.n, 0);
		i += nb;
		*now += step;
	}
	responder(t);
}

#define D(c) (st->cnt[c] - st0.cnt[c]) /* a counter's move in the measured pass */

static void
perf_run(uint32_t cap, uint32_t n)
{
	static const uint8_t key[16] = "sg-brokperf-key";
	static struct sg_dp_syncookie_secret cookies;
	static const bool up = true;
	struct cfg_store *cs;
	const struct sg_dp_stats *st;
	static struct sg_dp_stats st0;
	struct tally t;
	uint64_t cyc = 0, now = now_s(1);
	unsigned int p;

	memset(&t, 0, sizeof(t));
	q = calloc(1, sizeof(*q));
	assert_non_null(q);
	assert_int_equal(env_setup(1, cap), 0);
	cs = cfg_new();
	cs->vs[VS_BROKERED].brokered.key = SG_CFG_L7_HTTP_HOST;
	cs->vs[VS_BROKERED].brokered.hold_timeout_ms = 2000;
	assert_int_equal(env_rebuild(cs), 0);
	assert_int_equal(sg_dp_syncookie_init(&cookies), 0);
	sg_dp_syncookie_rotate(&cookies, key);
	to_ctl = rte_ring_create_elem("bp_to_ctl", SG_MSG_SIZE, 1024, SOCKET_ID_ANY,
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	from_ctl = rte_ring_create_elem("bp_from_ctl", SG_MSG_SIZE, 1024, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(to_ctl);
	assert_non_null(from_ctl);
	assert_int_equal(env_enable_broker(0, to_ctl, from_ctl, &up, &cookies, 4096), 0);

	/* warm-up: the table filled with cap closed connections */
	run(0, cap, &now, &t);
	st = sg_dp_worker_stats(env.w[0]);
	assert_int_equal(st->cnt[SG_DP_EV_FLOW_EVICTED], 0);
	memset(&t, 0, sizeof(t));
	memcpy(&st0, st, sizeof(st0));
	measured = true;
	run(cap, n, &now, &t);
	measured = false;

	/* every connection the whole way, each message once */
	assert_int_equal(t.synack, n);
	assert_int_equal(t.held_ack, n);
	assert_int_equal(t.vm_syn, n);
	assert_int_equal(t.vm_ack, n);
	assert_int_equal(t.done, n);
	assert_int_equal(t.client_rst, n);
	assert_int_equal(t.other, 0);
	assert_int_equal(t.news, n);
	assert_int_equal(t.installs, n);
	assert_int_equal(t.ctl_other, 0);
	assert_int_equal(D(SG_DP_EV_SYNCOOKIE), n);
	assert_int_equal(D(SG_DP_EV_SESS_SENT), n);
	assert_int_equal(D(SG_DP_EV_SESS_INSTALLED), n);
	assert_int_equal(D(SG_DP_EV_CTL_MSG), n);
	assert_int_equal(D(SG_DP_EV_CTL_MSG_BAD), 0);
	assert_int_equal(D(SG_DP_EV_CTL_RING_FULL), 0);
	/* the table holds cap flows: every measured session evicted a closed one */
	assert_int_equal(D(SG_DP_EV_FLOW_EVICTED), n);
	assert_int_equal(D(SG_DP_EV_SESS_CLOSED), n);
	assert_int_equal(t.closed, n);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), cap);
	for (p = 0; p < PH_N; p++)
		cyc += t.cyc[p];
	(void)printf("brok: table %u, %u connections in bursts of %u, %.1f ns per connection "
		     "(%.0f k/s):",
		     cap, n, burst, (double)cyc * 1e9 / (double)rte_get_tsc_hz() / n,
		     (double)n * rte_get_tsc_hz() / (double)cyc / 1e3);
	for (p = 0; p < PH_N; p++)
		(void)printf(" %s %.1f", phase_name[p],
			     (double)t.cyc[p] * 1e9 / (double)rte_get_tsc_hz() / n);
	(void)printf(" ns\n");
	env_teardown();
	rte_ring_free(to_ctl);
	rte_ring_free(from_ctl);
	free(q);
}

static void
test_connections(void **state)
{
	(void)state;
	perf_run(512, 2048);
	burst = 7; /* bursts that do not divide the table */
	perf_run(512, 2048);
	burst = 16;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_connections)};
	int rc = 0;

	dp_eal_init_mem(argv[0], argc >= 3 ? 1024 : 256);
	if (argc >= 3) {
		if (argc >= 4)
			burst = (unsigned int)RTE_MIN(strtoul(argv[3], NULL, 0), B_MAX - 1);
		perf_run((uint32_t)strtoul(argv[1], NULL, 0), (uint32_t)strtoul(argv[2], NULL, 0));
	} else {
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	}
	dp_eal_fini();
	return rc;
}
