/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SESSION_ABORT (dataplane/session/abort.c, doc/sessions.md) on the
 * brokered VS 198.18.10.3:80 (key: HTTP Host). A real session each time:
 * the client's SYN, its cookie ACK with the request (held, SESSION_NEW
 * read from the ring), sg-control's INSTALL (NAT to 198.18.1.11:8080), the
 * VM's SYN-ACK, its ACK of the replay. Checked:
 *  - RESET of an installed session: the VM's next segment and the client's
 *    next segment are answered with an exact RST (seq = their ack) and reset
 *    the other side too (seq = the segment's own, translated for the
 *    client), the flow is gone, SESSION_CLOSED carries the abort's reason;
 *  - RESET with no further segment: RSTs to the client (seq = its RCV.NXT,
 *    from the forwarded segments) and to the VM leave at once; a client
 *    segment while the flow lingers is reset, one after it is dropped:
 *    never forwarded to the VM;
 *  - DRAIN with a deadline: traffic is forwarded until the deadline, reset
 *    after it (reason DRAINED); DRAIN without one: the flow ends by itself
 *    and SESSION_CLOSED carries the reason;
 *  - a held session is answered as a reject (503) and closed with the reason;
 *  - an unknown session ID, another worker's, a session already gone:
 *    ctl_abort_unknown, nothing else moves.
 */
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "pktbuild.h"
#include "sessiongate/sg_msg.h"

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define RST RTE_TCP_RST_FLAG
#define PSH RTE_TCP_PSH_FLAG

#define VIP	"198.18.10.3"
#define VM	"198.18.1.11"
#define NATADDR "198.18.1.100"
#define VMPORT	8080
#define L4_OFF	34
#define REQUEST "GET /x HTTP/1.1\r\nHost: app.example\r\n\r\n"
#define REQ_LEN ((uint32_t)sizeof(REQUEST) - 1)
#define VM_ISN	0x7000000u
#define OUT_MAX 4

static struct rte_ring *to_ctl, *from_ctl;
static struct sg_dp_stats before, after;

/* What one input caused: the frames out (port and bytes). */
struct outs {
	unsigned int n;
	int port[OUT_MAX];
	uint8_t pkt[OUT_MAX][PKT_MAX];
};

/* A session as the test follows it. */
struct sess {
	uint16_t sport;
	uint32_t cisn, cookie;
	uint64_t sid;
	uint16_t nat_port;
};

static void
collect(struct sg_dp_txq *q, struct outs *o)
{
	unsigned int p, i;

	memset(o, 0, sizeof(*o));
	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		for (i = 0; i < q->n[p]; i++) {
			struct rte_mbuf *m = q->pkts[p][i];
			uint32_t len = rte_pktmbuf_pkt_len(m);

			assert_true(o->n < OUT_MAX && len <= PKT_MAX);
			const void *d = rte_pktmbuf_read(m, 0, len, o->pkt[o->n]);

			o->port[o->n] = (int)p;
			if (d != o->pkt[o->n])
				memcpy(o->pkt[o->n], d, len);
			o->n++;
			rte_pktmbuf_free(m);
		}
		q->n[p] = 0;
		sg_dp_worker_count_tx(env.w[0], (uint16_t)p, NULL, 0, 0);
	}
}

/* A frame in on @p port (NULL: a control poll only) at @p now. */
static void
input(uint16_t port, const uint8_t *b, size_t len, uint64_t now, struct outs *o)
{
	static struct sg_dp_txq q;
	struct rte_mbuf *m;

	memcpy(&before, sg_dp_worker_stats(env.w[0]), sizeof(before));
	if (b != NULL) {
		m = mbuf_from(b, len);
		sg_dp_worker_process(env.w[0], env.t, port, &m, 1, &q, now);
	} else {
		sg_dp_worker_poll_control(env.w[0], env.t, &q, now);
	}
	memcpy(&after, sg_dp_worker_stats(env.w[0]), sizeof(after));
	collect(&q, o);
}

static uint64_t
moved(enum sg_dp_cnt c)
{
	return after.cnt[c] - before.cnt[c];
}

static uint32_t
be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

/* One TCP segment in on its port: client -> VIP (port 0) or VM -> NAT address (port 1). */
static void
segment(const struct sess *s, bool from_vm, uint8_t flags, uint32_t seq, uint32_t ack,
	const char *data, uint64_t now, struct outs *o)
{
	uint8_t ip[PKT_MAX], b[PKT_MAX];
	size_t dlen = data != NULL ? strlen(data) : 0, len;
	uint32_t s32 = rte_cpu_to_be_32(seq), a32 = rte_cpu_to_be_32(ack);

	len = from_vm ? pb_ip_tcp(ip, VM, NATADDR, VMPORT, s->nat_port, flags, 64, data, dlen)
		      : pb_ip_tcp(ip, CLIENT4, VIP, s->sport, 80, flags, 64, data, dlen);
	memcpy(ip + 20 + 4, &s32, 4);
	memcpy(ip + 20 + 8, &a32, 4);
	pb_fix_l4_csum(ip);
	len = pb_frame_ip(b, from_vm ? L2_HOST1 : L2_GW, ip, len);
	input(from_vm ? 1 : 0, b, len, now, o);
}

/* A message from sg-control about session @p sid, then a poll. */
static void
ctl(uint16_t type, uint64_t sid, const void *body, size_t body_len, uint64_t now, struct outs *o)
{
	env_ctl_put(from_ctl, type, sid, body, body_len);
	input(0, NULL, 0, now, o);
}

static void
abort_msg(uint64_t sid, uint8_t action, uint16_t reason, uint32_t deadline_s, uint64_t now,
	  struct outs *o)
{
	struct sg_msg_session_abort a = {
		.action = action, .reason = reason, .deadline_s = deadline_s};

	ctl(SG_MSG_SESSION_ABORT, sid, &a, sizeof(a), now, o);
}

/* The next message to sg-control, of type @p type (checked). */
static struct sg_msg
from_dp(uint16_t type)
{
	struct sg_msg m = {0};

	/* NOLINTBEGIN(clang-analyzer-core.*): the analyzer takes the ring's elements as unwritten
	 */
	assert_int_equal(rte_ring_dequeue_elem(to_ctl, &m, SG_MSG_SIZE), 0);
	assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
	assert_int_equal(m.hdr.type, type);
	/* NOLINTEND(clang-analyzer-core.*) */
	return m;
}

/* The SESSION_CLOSED of session @p s, with @p reason: its flow is gone. */
static void
closed_with(const struct sess *s, uint16_t reason)
{
	struct sg_msg m = from_dp(SG_MSG_SESSION_CLOSED);

	assert_true(m.hdr.session_id == s->sid);
	assert_int_equal(m.closed.reason, reason);
	assert_int_equal(rte_ring_count(to_ctl), 0);
}

/* Client SYN, cookie ACK with the request: held, SESSION_NEW read. */
static void
open_held(struct sess *s, uint16_t sport, uint64_t now)
{
	struct outs o;

	memset(s, 0, sizeof(*s));
	s->sport = sport;
	s->cisn = 1000000u * sport;
	segment(s, false, SYN, s->cisn, 0, NULL, now, &o);
	assert_int_equal(o.n, 1);
	s->cookie = be32_at(o.pkt[0] + L4_OFF + 4);
	segment(s, false, ACK | PSH, s->cisn + 1, s->cookie + 1, REQUEST, now, &o);
	input(0, NULL, 0, now, &o);
	s->sid = from_dp(SG_MSG_SESSION_NEW).hdr.session_id;
}

/* open_held(), then the NAT hand-off to the VM until the VM acknowledged the replay. */
static void
open_installed(struct sess *s, uint16_t sport, uint64_t now)
{
	struct sg_msg_session_install in = {
		.mode = SG_MSG_INSTALL_NAT, .family = SG_WIRE_FAMILY_V4, .backend_port = VMPORT};
	uint8_t fam;
	struct outs o;

	open_held(s, sport, now);
	pb_ip_parse(VM, in.backend_addr, &fam);
	ctl(SG_MSG_SESSION_INSTALL, s->sid, &in, sizeof(in), now, &o);
	assert_int_equal(o.n, 1); /* the SYN to the VM */
	assert_int_equal(o.port[0], 1);
	memcpy(&s->nat_port, o.pkt[0] + L4_OFF, 2);
	s->nat_port = rte_be_to_cpu_16(s->nat_port);
	segment(s, true, SYN | ACK, VM_ISN, s->cisn + 1, NULL, now, &o);
	assert_int_equal(o.n, 2); /* our ACK, the replayed request */
	assert_int_equal(moved(SG_DP_EV_SESS_INSTALLED), 1);
	segment(s, true, ACK, VM_ISN + 1, s->cisn + 1 + REQ_LEN, NULL, now, &o);
	assert_int_equal(moved(SG_DP_EV_RELEASED), 1); /* the VM took the replay */
}

/* Frame @p i of @p o: a bare RST out on @p port from @p src:@p sport to @p dst:@p dport, seq @p
 * seq. */
static void
assert_rst_at(const struct outs *o, unsigned int i, int port, const char *src, uint16_t sport,
	      const char *dst, uint16_t dport, uint32_t seq)
{
	uint8_t a[16], fam;

	assert_true(i < o->n);
	assert_int_equal(o->port[i], port);
	pb_ip_parse(src, a, &fam);
	assert_memory_equal(o->pkt[i] + 14 + 12, a, 4);
	pb_ip_parse(dst, a, &fam);
	assert_memory_equal(o->pkt[i] + 14 + 16, a, 4);
	assert_int_equal(o->pkt[i][L4_OFF] << 8 | o->pkt[i][L4_OFF + 1], sport);
	assert_int_equal(o->pkt[i][L4_OFF + 2] << 8 | o->pkt[i][L4_OFF + 3], dport);
	assert_int_equal(o->pkt[i][L4_OFF + 13], RST);
	assert_int_equal(be32_at(o->pkt[i] + L4_OFF + 4), seq);
	assert_int_equal(pb_check_csums(o->pkt[i] + 14), 0);
}

/*
 * What one segment of a reset NAT session yields: a RST to the client (from
 * the VIP, seq @p client_seq, in the client's view of the VM's numbers) and
 * one to the VM (from the NAT address, seq @p vm_seq), whichever side sent it.
 */
static void
assert_rst_both(const struct outs *o, const struct sess *s, uint32_t client_seq, uint32_t vm_seq)
{
	assert_int_equal(o->n, 2);
	assert_rst_at(o, 0, 0, VIP, 80, CLIENT4, s->sport, client_seq);
	assert_rst_at(o, 1, 1, NATADDR, s->nat_port, VM, VMPORT, vm_seq);
	assert_int_equal(moved(SG_DP_EV_PEER_RST), 1);
}

static int
setup(void **state)
{
	struct cfg_store *cs;
	struct sg_cfg_brokered *br;

	(void)state;
	if (env_setup(1, 1024) != 0)
		return -1;
	cs = cfg_new();
	br = &cs->vs[VS_BROKERED].brokered;
	br->key = SG_CFG_L7_HTTP_HOST;
	br->hold_timeout_ms = 30000;
	br->hold_bytes = 16384;
	if (env_rebuild(cs) != 0)
		return -1;
	return env_broker_start((const uint8_t *)"sessiongate-ut-a", 8, &to_ctl, &from_ctl);
}

static int
teardown(void **state)
{
	(void)state;
	env_broker_stop(to_ctl, from_ctl);
	return 0;
}

static void
test_reset_installed(void **state)
{
	struct sess s;
	struct outs o;

	(void)state;
	open_installed(&s, 30001, now_s(1));
	/* installed: the client's data goes to the VM */
	segment(&s, false, ACK | PSH, s.cisn + 1 + REQ_LEN, s.cookie + 1, "more", now_s(2), &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 1);
	abort_msg(s.sid, SG_MSG_ABORT_RESET, SG_MSG_REASON_VM_DOWN, 0, now_s(2), &o);
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT), 1);
	assert_int_equal(rte_ring_count(to_ctl), 0); /* closed once the flow is gone */
	/*
	 * The VM's next segment (6 bytes at VM_ISN + 1): its RST at what it
	 * acknowledges (client seq space), and the client's at the segment's own
	 * seq translated as the client sees it (VM_ISN + 1 + seq_s2c = cookie + 1):
	 * a downloading client is not left waiting.
	 */
	segment(&s, true, ACK | PSH, VM_ISN + 1, s.cisn + 5 + REQ_LEN, "answer", now_s(2), &o);
	assert_rst_both(&o, &s, s.cookie + 1, s.cisn + 5 + REQ_LEN);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 1); /* lingers for late segments */
	/* the client's (a challenge ACK): its RST at what it acknowledges, the VM's at its seq */
	segment(&s, false, ACK, s.cisn + 5 + REQ_LEN, s.cookie + 1, NULL, now_s(2), &o);
	assert_rst_both(&o, &s, s.cookie + 1, s.cisn + 5 + REQ_LEN);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 0);
	closed_with(&s, SG_MSG_REASON_VM_DOWN);
	/* gone: a second abort is unknown */
	abort_msg(s.sid, SG_MSG_ABORT_RESET, SG_MSG_REASON_VM_DOWN, 0, now_s(3), &o);
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT_UNKNOWN), 1);
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT), 0);
}

/*
 * RESET of a NAT hand-off nobody talks on (a client waiting for data whose
 * VM died): the RSTs leave at once, at the sequence numbers the forwarded
 * segments left (the client's next expected, translated; the VM's), and a
 * client segment after the flow is gone is reset, never forwarded.
 */
static void
test_reset_unprompted(void **state)
{
	struct sess s;
	struct outs o;
	uint32_t cnxt, vnxt;

	(void)state;
	open_installed(&s, 30007, now_s(1));
	segment(&s, false, ACK | PSH, s.cisn + 1 + REQ_LEN, s.cookie + 1, "more", now_s(2), &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 1);
	vnxt = s.cisn + 5 + REQ_LEN;
	segment(&s, true, ACK | PSH, VM_ISN + 1, vnxt, "answer", now_s(2), &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 0);
	cnxt = s.cookie + 7; /* VM_ISN + 7 as the client sees it */
	assert_int_equal(be32_at(o.pkt[0] + L4_OFF + 4), s.cookie + 1);
	/* the client acknowledges only part of it: its last ACK does not lower what it expects */
	segment(&s, false, ACK, vnxt, s.cookie + 3, NULL, now_s(2), &o);
	assert_int_equal(o.n, 1);
	abort_msg(s.sid, SG_MSG_ABORT_RESET, SG_MSG_REASON_VM_DOWN, 0, now_s(2), &o);
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT), 1);
	assert_int_equal(o.n, 2); /* no segment asked for them */
	assert_rst_at(&o, 0, 0, VIP, 80, CLIENT4, s.sport, cnxt);
	assert_rst_at(&o, 1, 1, NATADDR, s.nat_port, VM, VMPORT, vnxt);
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT_RST_CLIENT), 1);
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT_RST_VM), 1);
	assert_int_equal(moved(SG_DP_EV_PEER_RST), 0);
	/* a late client segment (its RST lost): RSTs both ways again, nothing forwarded */
	segment(&s, false, ACK | PSH, vnxt, cnxt, "late", now_s(2.5), &o);
	assert_rst_both(&o, &s, cnxt, vnxt);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 0);
	closed_with(&s, SG_MSG_REASON_VM_DOWN);
	/* the flow gone: a later one is no cookie ACK, dropped, never forwarded to the VM */
	segment(&s, false, ACK | PSH, vnxt, cnxt, "late", now_s(4), &o);
	assert_int_equal(o.n, 0);
	assert_int_equal(moved(SG_DP_DROP_COOKIE_BAD), 1);
}

/* A reset session nobody talks on is removed after the linger, closed with the reason. */
static void
test_reset_idle_lingers(void **state)
{
	struct sess s;
	struct outs o;

	(void)state;
	open_installed(&s, 30002, now_s(1));
	abort_msg(s.sid, SG_MSG_ABORT_RESET, SG_MSG_REASON_ADMIN, 0, now_s(2), &o);
	sg_dp_worker_expire(env.w[0], env.t, now_s(2.5), 1024);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 1);
	sg_dp_worker_expire(env.w[0], env.t, now_s(3.1), 1024);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 0);
	closed_with(&s, SG_MSG_REASON_ADMIN);
}

static void
test_drain_deadline(void **state)
{
	struct sess s;
	struct outs o;

	(void)state;
	open_installed(&s, 30003, now_s(1));
	abort_msg(s.sid, SG_MSG_ABORT_DRAIN, SG_MSG_REASON_DRAINED, 5, now_s(2), &o);
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT), 1);
	input(0, NULL, 0, now_s(6.5), &o); /* before the deadline: traffic goes on */
	segment(&s, false, ACK | PSH, s.cisn + 1 + REQ_LEN, s.cookie + 1, "more", now_s(6.5), &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 1);
	segment(&s, true, ACK | PSH, VM_ISN + 1, s.cisn + 5 + REQ_LEN, "answer", now_s(6.6), &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 0);
	assert_int_equal(rte_ring_count(to_ctl), 0);
	input(0, NULL, 0, now_s(7.1), &o); /* the deadline passed: reset */
	segment(&s, false, ACK, s.cisn + 5 + REQ_LEN, s.cookie + 7, NULL, now_s(7.2), &o);
	assert_rst_both(&o, &s, s.cookie + 7, s.cisn + 5 + REQ_LEN);
	closed_with(&s, SG_MSG_REASON_DRAINED);
}

/* DRAIN without a deadline: never forced; its own end reports the reason. */
static void
test_drain_no_deadline(void **state)
{
	struct sess s;
	struct outs o;

	(void)state;
	open_installed(&s, 30004, now_s(1));
	abort_msg(s.sid, SG_MSG_ABORT_DRAIN, SG_MSG_REASON_DRAINED, 0, now_s(2), &o);
	input(0, NULL, 0, now_s(100), &o);
	segment(&s, false, ACK | PSH, s.cisn + 1 + REQ_LEN, s.cookie + 1, "more", now_s(100), &o);
	assert_int_equal(o.port[0], 1); /* still forwarded */
	segment(&s, false, RST | ACK, s.cisn + 5 + REQ_LEN, s.cookie + 1, NULL, now_s(100), &o);
	assert_int_equal(o.port[0], 1); /* the client's RST goes to the VM */
	sg_dp_worker_expire(env.w[0], env.t, now_s(200), 1024);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 0);
	closed_with(&s, SG_MSG_REASON_DRAINED);
}

/* A held session: answered as a reject (HTTP 503), closed with the abort's reason. */
static void
test_held_rejected(void **state)
{
	struct sess s;
	struct outs o;

	(void)state;
	open_held(&s, 30005, now_s(1));
	abort_msg(s.sid, SG_MSG_ABORT_RESET, SG_MSG_REASON_VM_DOWN, 0, now_s(1.5), &o);
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT), 1);
	assert_int_equal(moved(SG_DP_EV_SESS_REJECTED), 1);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 0);
	assert_memory_equal(o.pkt[0] + L4_OFF + 20, "HTTP/1.1 503", 12);
	segment(&s, false, RST, s.cisn + 1 + REQ_LEN, 0, NULL, now_s(1.6), &o);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 0);
	closed_with(&s, SG_MSG_REASON_VM_DOWN);
}

/* IDs of no session of this worker: counted, nothing else happens. */
static void
test_unknown(void **state)
{
	struct sess s;
	struct outs o;

	(void)state;
	open_installed(&s, 30006, now_s(1));
	abort_msg(s.sid + 1, SG_MSG_ABORT_RESET, SG_MSG_REASON_ADMIN, 0, now_s(2), &o);
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT_UNKNOWN), 1);
	abort_msg(s.sid ^ (UINT64_C(1) << 34), SG_MSG_ABORT_RESET, SG_MSG_REASON_ADMIN, 0, now_s(2),
		  &o); /* the same counter on another worker */
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT_UNKNOWN), 1);
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT), 0);
	abort_msg(0, SG_MSG_ABORT_DRAIN, SG_MSG_REASON_ADMIN, 1, now_s(2), &o);
	assert_int_equal(moved(SG_DP_EV_CTL_ABORT_UNKNOWN), 1);
	/* the session is untouched */
	segment(&s, false, ACK | PSH, s.cisn + 1 + REQ_LEN, s.cookie + 1, "more", now_s(3), &o);
	assert_int_equal(o.port[0], 1);
	assert_int_equal(rte_ring_count(to_ctl), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_installed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_idle_lingers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_unprompted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_no_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
