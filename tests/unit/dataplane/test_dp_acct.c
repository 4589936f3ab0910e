/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Usage, QoS, VS_STATS and the refusal answers of brokered sessions
 * (dataplane/session/acct.c, vsstats.c, answer.c; doc/sessions.md "Usage
 * and QoS") on the brokered VS 198.18.10.3:80 (key: HTTP Host), each
 * session a real one: SYN, cookie ACK with the request (held, SESSION_NEW),
 * sg-control's INSTALL, the VM's handshake (NAT: from the VM; DSR: bounced
 * by its host with the session's token). Checked:
 *  - NAT: packets and L4 payload bytes each way as forwarded (the held
 *    request once replayed), SESSION_CLOSED's totals and installed_ms;
 *  - DSR: s2c bytes as the advance of the client's cumulative ACK across
 *    the 2^32 wrap (flag S2C_ACKED, no s2c packets), an old ACK not counted;
 *  - CLOSED on every path: a rejected held session, a hold timeout (zeros),
 *    an abort of an installed session, a redirect (the request in, the 307
 *    out);
 *  - SESSION_USAGE every usage_interval_s, a full ring counted
 *    (usage_deferred) and the totals carried by the next interval;
 *  - the QoS rate: a burst, then drop_qos_rate, refill, per direction,
 *    pure ACKs never dropped; CLOSED's qos_dropped and flag;
 *  - VS_STATS: content, once per change, all after a reload, ring full;
 *  - REJECT FORBIDDEN / LOGIN / LIMIT: the exact 403 / 302 / 429 answers;
 *    RST for a key that is not HTTP; hostile Locations refused whole.
 */
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "pktbuild.h"
#include "core/state.h"
#include "sessiongate/sg_handoff.h"
#include "sessiongate/sg_msg.h"

#define F_SYN RTE_TCP_SYN_FLAG
#define F_ACK RTE_TCP_ACK_FLAG
#define F_RST RTE_TCP_RST_FLAG
#define F_PSH RTE_TCP_PSH_FLAG

#define VIP	"198.18.10.3"
#define VM	"198.18.1.11" /* also its own host (DSR) */
#define NATADDR "198.18.1.100"
#define APPL	"198.18.1.2"
#define VMPORT	8080
#define REQUEST "GET /x HTTP/1.1\r\nHost: app.example\r\n\r\n"
#define REQ_LEN ((uint32_t)sizeof(REQUEST) - 1)
#define VM_ISN	0x5000000u
#define TCP_AT	34 /* Ethernet + IPv4 */
#define NOUT	4

static struct rte_ring *to_ctl, *from_ctl;
static struct sg_dp_stats st_before, st_after;

struct frames {
	unsigned int n;
	int port[NOUT];
	uint32_t len[NOUT];
	uint8_t b[NOUT][PKT_MAX];
};

struct conn {
	uint16_t sport;
	uint32_t cisn, cookie;
	uint64_t sid;
	uint16_t vs_slot;
	uint16_t nat_port;
	uint64_t token; /* DSR: from the hand-off SYN's meta */
};

/* One frame in on @p port at @p now (@p b NULL: a control poll), what went out in @p fr. */
static void
feed(uint16_t port, const uint8_t *b, size_t len, uint64_t now, struct frames *fr)
{
	static struct sg_dp_txq q;
	struct rte_mbuf *m;
	unsigned int p, i;

	st_before = *sg_dp_worker_stats(env.w[0]);
	if (b == NULL) {
		sg_dp_worker_poll_control(env.w[0], env.t, &q, now);
	} else {
		m = mbuf_from(b, len);
		sg_dp_worker_process(env.w[0], env.t, port, &m, 1, &q, now);
	}
	st_after = *sg_dp_worker_stats(env.w[0]);
	fr->n = 0;
	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		for (i = 0; i < q.n[p]; i++) {
			struct rte_mbuf *o = q.pkts[p][i];
			uint32_t l = rte_pktmbuf_pkt_len(o);

			assert_true(fr->n < NOUT && l <= PKT_MAX);
			fr->port[fr->n] = (int)p;
			fr->len[fr->n] = l;
			const void *d = rte_pktmbuf_read(o, 0, l, fr->b[fr->n]);

			if (d != fr->b[fr->n]) /* contiguous: not copied yet */
				memcpy(fr->b[fr->n], d, l);
			fr->n++;
			rte_pktmbuf_free(o);
		}
		q.n[p] = 0;
		sg_dp_worker_count_tx(env.w[0], (uint16_t)p, NULL, 0, 0);
	}
}

static uint64_t
delta(enum sg_dp_cnt c)
{
	return st_after.cnt[c] - st_before.cnt[c];
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The IPv4 TCP packet of @p c: client -> VIP:80, or VM -> NAT address (@p vm). */
static size_t
tcp_ip(uint8_t *ip, const struct conn *c, bool vm, uint8_t flags, uint32_t seq, uint32_t ack,
       const void *data, size_t dlen)
{
	size_t n = vm ? pb_ip_tcp(ip, VM, NATADDR, VMPORT, c->nat_port, flags, 64, data, dlen)
		      : pb_ip_tcp(ip, CLIENT4, VIP, c->sport, 80, flags, 64, data, dlen);

	put32(ip + 24, seq);
	put32(ip + 28, ack);
	pb_fix_l4_csum(ip);
	return n;
}

/* A segment of @p c in: the client's on port 0, the VM's (NAT) on port 1. */
static void
seg(const struct conn *c, bool vm, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
    size_t dlen, uint64_t now, struct frames *fr)
{
	uint8_t ip[PKT_MAX], b[PKT_MAX];
	size_t n = tcp_ip(ip, c, vm, flags, seq, ack, data, dlen);

	n = pb_frame_ip(b, vm ? L2_HOST1 : L2_GW, ip, n);
	feed(vm ? 1 : 0, b, n, now, fr);
}

/* The VM's segment (VM:8080 -> client) bounced by its host during a DSR hand-off. */
static void
bounced(const struct conn *c, uint8_t flags, uint32_t seq, uint32_t ack, uint64_t now,
	struct frames *fr)
{
	uint8_t ip[PKT_MAX], payload[PKT_MAX], b[PKT_MAX];
	struct sg_handoff_bounce bh = {.magic = rte_cpu_to_be_32(SG_HANDOFF_BOUNCE_MAGIC),
				       .version = SG_HANDOFF_VERSION,
				       .sid = c->sid,
				       .token = c->token};
	size_t n = pb_ip_tcp(ip, VM, CLIENT4, VMPORT, c->sport, flags, 64, NULL, 0), len;

	put32(ip + 24, seq);
	put32(ip + 28, ack);
	pb_fix_l4_csum(ip);
	memcpy(payload, &bh, sizeof(bh));
	memcpy(payload + sizeof(bh), ip, n);
	len = pb_put_l2(b, L2_HOST1, 0x0800);
	len += pb_ip_udp(b + len, VM, APPL, 49152, SG_HANDOFF_PORT, payload, sizeof(bh) + n);
	memset(b + 14 + 20 + 6, 0, 2); /* no UDP checksum, as the host's program sends */
	feed(1, b, len, now, fr);
}

/* A message from sg-control about @p sid, then a poll at @p now. */
static void
from_ctl_msg(uint16_t type, uint64_t sid, const void *body, size_t blen, uint64_t now,
	     struct frames *fr)
{
	env_ctl_put(from_ctl, type, sid, body, blen);
	feed(0, NULL, 0, now, fr);
}

/* The next message to sg-control: of type @p type, valid. */
static struct sg_msg
to_ctl_msg(uint16_t type)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	assert_int_equal(rte_ring_dequeue_elem(to_ctl, &m, SG_MSG_SIZE), 0);
	assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
	assert_int_equal(m.hdr.type, type);
	return m;
}

/* SESSION_CLOSED of @p c: its reason checked, its body returned; nothing else queued. */
static struct sg_msg_session_closed
closed_of(const struct conn *c, uint16_t reason)
{
	struct sg_msg m = to_ctl_msg(SG_MSG_SESSION_CLOSED);

	assert_true(m.hdr.session_id == c->sid);
	assert_int_equal(m.closed.reason, reason);
	assert_int_equal(rte_ring_count(to_ctl), 0);
	return m.closed;
}

static void
assert_zero_usage(const struct sg_msg_session_closed *u)
{
	assert_int_equal(u->installed_ms, 0);
	assert_int_equal(u->flags, 0);
	assert_true(u->pkts_c2s == 0 && u->pkts_s2c == 0 && u->bytes_c2s == 0 &&
		    u->bytes_s2c == 0 && u->qos_dropped == 0);
}

/* SYN, cookie ACK with the request: held; SESSION_NEW read. */
static void
held(struct conn *c, uint16_t sport, uint64_t now)
{
	struct frames fr;
	struct sg_msg m;

	memset(c, 0, sizeof(*c));
	c->sport = sport;
	c->cisn = 0x10000u * sport;
	seg(c, false, F_SYN, c->cisn, 0, NULL, 0, now, &fr);
	assert_int_equal(fr.n, 1);
	c->cookie = get32(fr.b[0] + TCP_AT + 4);
	seg(c, false, F_ACK | F_PSH, c->cisn + 1, c->cookie + 1, REQUEST, REQ_LEN, now, &fr);
	feed(0, NULL, 0, now, &fr);
	m = to_ctl_msg(SG_MSG_SESSION_NEW);
	c->sid = m.hdr.session_id;
	c->vs_slot = m.session_new.flow.vs_slot;
}

/* sg-control's INSTALL of @p c (@p mode) with its QoS and usage interval. */
static void
install(struct conn *c, uint8_t mode, uint32_t rate, uint32_t burst, uint32_t interval_s,
	uint64_t now, struct frames *fr)
{
	struct sg_msg_session_install in = {.mode = mode,
					    .family = SG_WIRE_FAMILY_V4,
					    .backend_port = VMPORT,
					    .rate_bps = rate,
					    .burst_bytes = burst,
					    .usage_interval_s = interval_s};
	uint8_t fam;

	pb_ip_parse(VM, in.backend_addr, &fam);
	if (mode == SG_MSG_INSTALL_DSR)
		pb_ip_parse(VM, in.host_addr, &fam);
	from_ctl_msg(SG_MSG_SESSION_INSTALL, c->sid, &in, sizeof(in), now, fr);
}

/* A NAT session up: installed, the VM's handshake, its ACK of the replayed request. */
static void
nat_up(struct conn *c, uint16_t sport, uint32_t rate, uint32_t interval_s, uint64_t now)
{
	struct frames fr;

	held(c, sport, now);
	install(c, SG_MSG_INSTALL_NAT, rate, 0, interval_s, now, &fr);
	assert_int_equal(fr.n, 1); /* the SYN to the VM */
	c->nat_port = (uint16_t)(fr.b[0][TCP_AT] << 8 | fr.b[0][TCP_AT + 1]);
	seg(c, true, F_SYN | F_ACK, VM_ISN, c->cisn + 1, NULL, 0, now, &fr);
	assert_int_equal(fr.n, 2); /* our ACK, the replay */
	seg(c, true, F_ACK, VM_ISN + 1, c->cisn + 1 + REQ_LEN, NULL, 0, now, &fr);
	assert_int_equal(delta(SG_DP_EV_RELEASED), 1);
}

/* A DSR session up: the hand-off SYN (its token), the bounced SYN-ACK and ACK of the replay. */
static void
dsr_up(struct conn *c, uint16_t sport, uint64_t now)
{
	struct frames fr;

	held(c, sport, now);
	install(c, SG_MSG_INSTALL_DSR, 0, 0, 0, now, &fr);
	assert_int_equal(fr.n, 1); /* the SYN with the meta, tunnelled */
	memcpy(&c->token, fr.b[0] + fr.len[0] - sizeof(c->token), sizeof(c->token));
	bounced(c, F_SYN | F_ACK, VM_ISN, c->cisn + 1, now, &fr);
	assert_int_equal(delta(SG_DP_EV_SESS_INSTALLED), 1);
	bounced(c, F_ACK, VM_ISN + 1, c->cisn + 1 + REQ_LEN, now, &fr);
	assert_int_equal(delta(SG_DP_EV_RELEASED), 1);
}

/* New tables: the test configuration, the brokered VS keyed on @p key. */
static int
tables_with(enum sg_cfg_l7 key)
{
	struct cfg_store *cs = cfg_new();

	cs->vs[VS_BROKERED].brokered.key = key;
	cs->vs[VS_BROKERED].brokered.hold_timeout_ms = 30000;
	cs->vs[VS_BROKERED].brokered.hold_bytes = 16384;
	return env_rebuild(cs);
}

static int
setup_key(enum sg_cfg_l7 key)
{
	if (env_setup(1, 1024) != 0 || tables_with(key) != 0)
		return -1;
	return env_broker_start((const uint8_t *)"sessiongate-ut-u", 8, &to_ctl, &from_ctl);
}

static int
setup(void **state)
{
	(void)state;
	return setup_key(SG_CFG_L7_HTTP_HOST);
}

static int
setup_nokey(void **state)
{
	(void)state;
	return setup_key(SG_CFG_L7_NONE);
}

static int
teardown(void **state)
{
	(void)state;
	env_broker_stop(to_ctl, from_ctl);
	return 0;
}

/* NAT: each way as forwarded; CLOSED at the flow's expiry with the totals. */
static void
test_nat_usage(void **state)
{
	struct sg_msg_session_closed u;
	struct conn c;
	struct frames fr;
	uint32_t cs = 0, vs = VM_ISN + 1;

	(void)state;
	nat_up(&c, 31001, 0, 0, now_s(1));
	cs = c.cisn + 1 + REQ_LEN;
	seg(&c, false, F_ACK | F_PSH, cs, c.cookie + 1, "more", 4, now_s(1.5), &fr);
	assert_int_equal(fr.port[0], 1);
	seg(&c, true, F_ACK | F_PSH, vs, cs + 4, "answer", 6, now_s(2), &fr);
	assert_int_equal(fr.port[0], 0);
	seg(&c, true, F_ACK | F_PSH, vs + 6, cs + 4, "xyz", 3, now_s(2.5), &fr);
	seg(&c, false, F_RST | F_ACK, cs + 4, c.cookie + 10, NULL, 0, now_s(3), &fr);
	assert_int_equal(fr.port[0], 1); /* the client's RST goes to the VM */
	assert_int_equal(rte_ring_count(to_ctl), 0);
	sg_dp_worker_expire(env.w[0], env.t, now_s(400), 1024);
	u = closed_of(&c, SG_MSG_REASON_CLIENT_CLOSED);
	assert_int_equal(u.flags, 0);
	assert_int_equal(u.installed_ms, 2000); /* the INSTALL at 1 s to the last packet at 3 s */
	assert_int_equal(u.pkts_c2s, 3);	/* the replayed request, "more", the RST */
	assert_int_equal(u.bytes_c2s, REQ_LEN + 4);
	assert_int_equal(u.pkts_s2c, 3); /* the VM's ACK of the replay, "answer", "xyz" */
	assert_int_equal(u.bytes_s2c, 9);
	assert_int_equal(u.qos_dropped, 0);
}

/* DSR: s2c from the client's cumulative ACKs, across the wrap; c2s as forwarded. */
static void
test_dsr_acked(void **state)
{
	struct sg_msg_session_closed u;
	struct conn c;
	struct frames fr;
	uint32_t cs, ack;
	int i;

	(void)state;
	dsr_up(&c, 31002, now_s(1));
	cs = c.cisn + 1 + REQ_LEN;
	ack = c.cookie + 1; /* nothing of the VM's received yet */
	seg(&c, false, F_ACK | F_PSH, cs, ack, "more", 4, now_s(1.1), &fr);
	assert_int_equal(fr.n, 1);
	assert_int_equal(fr.port[0], 1); /* tunnelled to the host */
	/* 4 x 2^30 + 1000 bytes acknowledged: the ACK crosses 2^32 whatever the cookie */
	for (i = 0; i < 4; i++) {
		ack += 1u << 30;
		seg(&c, false, F_ACK, cs + 4, ack, NULL, 0, now_s(1.2 + 0.1 * i), &fr);
		assert_int_equal(fr.port[0], 1);
	}
	ack += 1000;
	seg(&c, false, F_ACK, cs + 4, ack, NULL, 0, now_s(2), &fr);
	seg(&c, false, F_ACK, cs + 4, ack - 500, NULL, 0, now_s(2.1), &fr); /* old: not counted */
	seg(&c, false, F_RST | F_ACK, cs + 4, ack, NULL, 0, now_s(2.5), &fr);
	sg_dp_worker_expire(env.w[0], env.t, now_s(400), 1024);
	u = closed_of(&c, SG_MSG_REASON_CLIENT_CLOSED);
	assert_int_equal(u.flags, SG_MSG_USAGE_S2C_ACKED);
	assert_int_equal(u.installed_ms, 1500);
	assert_int_equal(u.pkts_c2s, 9); /* request, "more", 4 + 2 ACKs, the RST */
	assert_int_equal(u.bytes_c2s, REQ_LEN + 4);
	assert_int_equal(u.pkts_s2c, 0);
	assert_true(u.bytes_s2c == (UINT64_C(4) << 30) + 1000);
}

/*
 * SESSION_ABORT reset of a DSR hand-off: the client's RST leaves at once,
 * from the VIP, seq = its highest cumulative ACK (an older one does not
 * lower it); nothing to the VM (its segments do not pass here).
 */
static void
test_dsr_abort_rst(void **state)
{
	struct sg_msg_session_abort ab = {.action = SG_MSG_ABORT_RESET,
					  .reason = SG_MSG_REASON_VM_DOWN};
	struct conn c;
	struct frames fr;
	uint32_t cs, ack;

	(void)state;
	dsr_up(&c, 31009, now_s(1));
	cs = c.cisn + 1 + REQ_LEN;
	ack = c.cookie + 1 + 3000;
	seg(&c, false, F_ACK, cs, ack, NULL, 0, now_s(1.1), &fr);
	seg(&c, false, F_ACK, cs, ack - 1000, NULL, 0, now_s(1.2), &fr);
	from_ctl_msg(SG_MSG_SESSION_ABORT, c.sid, &ab, sizeof(ab), now_s(2), &fr);
	assert_int_equal(delta(SG_DP_EV_CTL_ABORT_RST_CLIENT), 1);
	assert_int_equal(delta(SG_DP_EV_CTL_ABORT_RST_VM), 0);
	assert_int_equal(fr.n, 1);
	assert_int_equal(fr.port[0], 0);
	assert_int_equal(fr.b[0][TCP_AT] << 8 | fr.b[0][TCP_AT + 1], 80);
	assert_int_equal(fr.b[0][TCP_AT + 2] << 8 | fr.b[0][TCP_AT + 3], c.sport);
	assert_int_equal(fr.b[0][TCP_AT + 13], F_RST);
	assert_int_equal(get32(fr.b[0] + TCP_AT + 4), ack);
	assert_int_equal(pb_check_csums(fr.b[0] + 14), 0);
}

/* Sessions never installed close with zeros: a REJECT, a hold timeout. */
static void
test_closed_never_installed(void **state)
{
	struct sg_msg_session_reject rj = {.reason = SG_MSG_REASON_NO_APP};
	struct sg_msg_session_closed u;
	struct conn c;
	struct frames fr;

	(void)state;
	held(&c, 31003, now_s(1));
	from_ctl_msg(SG_MSG_SESSION_REJECT, c.sid, &rj, sizeof(rj), now_s(1), &fr);
	assert_int_equal(fr.n, 1); /* 503 */
	seg(&c, false, F_RST, c.cisn + 1 + REQ_LEN, 0, NULL, 0, now_s(1.1), &fr);
	u = closed_of(&c, SG_MSG_REASON_CLIENT_CLOSED);
	assert_zero_usage(&u);

	held(&c, 31004, now_s(2));
	feed(0, NULL, 0, now_s(40), &fr); /* the hold timeout (30 s): 503 */
	assert_int_equal(delta(SG_DP_EV_SESS_TIMEOUT), 1);
	seg(&c, false, F_RST, c.cisn + 1 + REQ_LEN, 0, NULL, 0, now_s(40.1), &fr);
	u = closed_of(&c, SG_MSG_REASON_CLIENT_CLOSED);
	assert_zero_usage(&u);
}

/* An abort of an installed session carries its totals; a redirect its request and 307. */
static void
test_closed_abort_redirect(void **state)
{
	struct sg_msg_session_abort ab = {.action = SG_MSG_ABORT_RESET,
					  .reason = SG_MSG_REASON_ADMIN};
	struct sg_msg_session_closed u;
	struct conn c;
	struct frames fr;
	uint32_t len307;

	(void)state;
	nat_up(&c, 31005, 0, 0, now_s(1));
	seg(&c, true, F_ACK | F_PSH, VM_ISN + 1, c.cisn + 1 + REQ_LEN, "answer", 6, now_s(1.25),
	    &fr);
	from_ctl_msg(SG_MSG_SESSION_ABORT, c.sid, &ab, sizeof(ab), now_s(1.5), &fr);
	sg_dp_worker_expire(env.w[0], env.t, now_s(5), 1024); /* after the abort's linger */
	u = closed_of(&c, SG_MSG_REASON_ADMIN);
	assert_int_equal(u.installed_ms, 500); /* the abort's reset counts as its last packet */
	assert_int_equal(u.pkts_c2s, 1);
	assert_int_equal(u.bytes_c2s, REQ_LEN);
	assert_int_equal(u.pkts_s2c, 2);
	assert_int_equal(u.bytes_s2c, 6);

	held(&c, 31006, now_s(10));
	install(&c, SG_MSG_INSTALL_REDIRECT, 0, 0, 0, now_s(10), &fr);
	assert_int_equal(fr.n, 1);
	assert_memory_equal(fr.b[0] + TCP_AT + 20, "HTTP/1.1 307", 12);
	len307 = fr.len[0] - TCP_AT - 20;
	seg(&c, false, F_RST, c.cisn + 1 + REQ_LEN, 0, NULL, 0, now_s(10.2), &fr);
	u = closed_of(&c, SG_MSG_REASON_CLIENT_CLOSED);
	assert_int_equal(u.pkts_c2s, 1);
	assert_int_equal(u.bytes_c2s, REQ_LEN);
	assert_int_equal(u.pkts_s2c, 1);
	assert_int_equal(u.bytes_s2c, len307);
	assert_true(u.installed_ms >= 1);
}

/* SESSION_USAGE every interval; a full ring: counted, the next interval carries the totals. */
static void
test_usage_interval(void **state)
{
	struct sg_msg fill, m;
	struct conn c;
	struct frames fr;
	unsigned int n = 0;

	(void)state;
	nat_up(&c, 31007, 0, 2, now_s(1));
	feed(0, NULL, 0, now_s(2.5), &fr);
	assert_int_equal(rte_ring_count(to_ctl), 0);
	feed(0, NULL, 0, now_s(3.01), &fr);
	assert_int_equal(delta(SG_DP_EV_USAGE_SENT), 1);
	m = to_ctl_msg(SG_MSG_SESSION_USAGE);
	assert_true(m.hdr.session_id == c.sid);
	assert_int_equal(m.closed.reason, 0);
	assert_in_range(m.closed.installed_ms, 2009, 2010); /* TSC of 2.01 s, rounded */
	assert_int_equal(m.closed.pkts_c2s, 1);
	assert_int_equal(m.closed.bytes_c2s, REQ_LEN);
	assert_int_equal(m.closed.pkts_s2c, 1);
	/* the ring full at the next interval */
	memset(&fill, 0, sizeof(fill));
	while (rte_ring_enqueue_elem(to_ctl, &fill, SG_MSG_SIZE) == 0)
		n++;
	seg(&c, false, F_ACK | F_PSH, c.cisn + 1 + REQ_LEN, c.cookie + 1, "12345", 5, now_s(4),
	    &fr);
	assert_int_equal(delta(SG_DP_DROP_TX_FULL), 0);
	feed(0, NULL, 0, now_s(5.02), &fr);
	assert_int_equal(delta(SG_DP_EV_USAGE_DEFERRED), 1);
	assert_int_equal(delta(SG_DP_EV_USAGE_SENT), 0);
	while (n-- > 0)
		assert_int_equal(rte_ring_dequeue_elem(to_ctl, &fill, SG_MSG_SIZE), 0);
	feed(0, NULL, 0, now_s(6), &fr); /* not before the next interval */
	assert_int_equal(rte_ring_count(to_ctl), 0);
	feed(0, NULL, 0, now_s(7.03), &fr);
	m = to_ctl_msg(SG_MSG_SESSION_USAGE);
	assert_int_equal(m.closed.pkts_c2s, 2);
	assert_int_equal(m.closed.bytes_c2s, REQ_LEN + 5);
	assert_int_equal(rte_ring_count(to_ctl), 0);
}

/* The QoS rate: 64 KiB of burst at 1000 bytes/s, then drops; refill; each way its own. */
static void
test_qos_rate(void **state)
{
	static uint8_t data[1400];
	struct sg_msg_session_closed u;
	struct conn c;
	struct frames fr;
	uint32_t cs;
	int i;

	(void)state;
	nat_up(&c, 31008, 1000, 0, now_s(1));
	cs = c.cisn + 1 + REQ_LEN;
	/* the replayed request took REQ_LEN of nothing: held bytes are not rated */
	for (i = 0; i < 46; i++) { /* 46 x 1400 = 64400 <= 65536 */
		seg(&c, false, F_ACK, cs, c.cookie + 1, data, sizeof(data), now_s(2), &fr);
		assert_int_equal(fr.n, 1);
		cs += sizeof(data);
	}
	seg(&c, false, F_ACK, cs, c.cookie + 1, data, sizeof(data), now_s(2), &fr);
	assert_int_equal(fr.n, 0);
	assert_int_equal(delta(SG_DP_DROP_QOS_RATE), 1);
	seg(&c, false, F_ACK, cs, c.cookie + 1, NULL, 0, now_s(2), &fr); /* a pure ACK */
	assert_int_equal(fr.n, 1);
	seg(&c, true, F_ACK | F_PSH, VM_ISN + 1, cs, data, sizeof(data), now_s(2), &fr);
	assert_int_equal(fr.n, 1); /* the other way has its own bucket */
	assert_int_equal(fr.port[0], 0);
	seg(&c, false, F_ACK, cs, c.cookie + 1, data, sizeof(data), now_s(2.1), &fr);
	assert_int_equal(fr.n, 0); /* 0.1 s: 100 bytes back, 1136 were left: not 1400 */
	assert_int_equal(delta(SG_DP_DROP_QOS_RATE), 1);
	seg(&c, false, F_ACK, cs, c.cookie + 1, data, sizeof(data), now_s(3), &fr);
	assert_int_equal(fr.n, 1); /* 1 s: 1000 bytes back */
	assert_int_equal(delta(SG_DP_DROP_QOS_RATE), 0);
	seg(&c, false, F_RST, cs + sizeof(data), 0, NULL, 0, now_s(4), &fr);
	sg_dp_worker_expire(env.w[0], env.t, now_s(400), 1024);
	u = closed_of(&c, SG_MSG_REASON_CLIENT_CLOSED);
	assert_int_equal(u.flags, SG_MSG_USAGE_QOS_DROPS);
	assert_int_equal(u.qos_dropped, 2);
	assert_int_equal(u.pkts_c2s, 1 + 46 + 1 + 1 + 1); /* request, burst, ACK, after, RST */
	assert_int_equal(u.bytes_c2s, REQ_LEN + 47 * sizeof(data));
	assert_int_equal(u.bytes_s2c, sizeof(data));
}

/* The VS_STATS of the brokered VS, from the round after @p now's poll. */
static struct sg_msg_vs_stats
vs_round(uint64_t now)
{
	struct frames fr;
	struct sg_msg m;

	feed(0, NULL, 0, now, &fr);
	assert_int_equal(delta(SG_DP_EV_VS_STATS_SENT), 1);
	m = to_ctl_msg(SG_MSG_VS_STATS);
	assert_int_equal(m.hdr.worker, 0);
	assert_string_equal(m.vs_stats.vs_name, "brokered");
	return m.vs_stats;
}

static void
test_vs_stats(void **state)
{
	struct sg_msg_session_reject rj = {.reason = SG_MSG_REASON_NO_APP};
	struct sg_msg_vs_stats v;
	struct sg_msg fill;
	struct conn c;
	struct frames fr;
	unsigned int n = 0;

	(void)state;
	env.w[0]->conf.vs_stats = true;
	v = vs_round(now_s(1)); /* the first tables: every brokered VS once, zeros */
	assert_true(v.held == 0 && v.installed == 0 && v.rejected == 0 && v.held_now == 0);
	feed(0, NULL, 0, now_s(2.1), &fr); /* nothing changed: nothing sent */
	assert_int_equal(rte_ring_count(to_ctl), 0);
	held(&c, 31009, now_s(2.5));
	v = vs_round(now_s(3.2));
	assert_int_equal(v.vs_slot, c.vs_slot);
	assert_true(v.held == 1 && v.held_now == 1 && v.installed == 0 && v.rejected == 0);
	from_ctl_msg(SG_MSG_SESSION_REJECT, c.sid, &rj, sizeof(rj), now_s(3.5), &fr);
	nat_up(&c, 31010, 0, 0, now_s(3.6));
	v = vs_round(now_s(4.3));
	assert_true(v.held == 2 && v.held_now == 0 && v.installed == 1 && v.rejected == 1);
	/* a reload: sent again though unchanged */
	assert_int_equal(tables_with(SG_CFG_L7_HTTP_HOST), 0);
	v = vs_round(now_s(4.4));
	assert_true(v.held == 2 && v.installed == 1 && v.rejected == 1);
	/* the ring full: counted, sent a second later */
	held(&c, 31011, now_s(4.5));
	memset(&fill, 0, sizeof(fill));
	while (rte_ring_enqueue_elem(to_ctl, &fill, SG_MSG_SIZE) == 0)
		n++;
	feed(0, NULL, 0, now_s(5.5), &fr);
	assert_int_equal(delta(SG_DP_EV_VS_STATS_DEFERRED), 1);
	while (n-- > 0)
		assert_int_equal(rte_ring_dequeue_elem(to_ctl, &fill, SG_MSG_SIZE), 0);
	feed(0, NULL, 0, now_s(6), &fr);
	assert_int_equal(rte_ring_count(to_ctl), 0);
	v = vs_round(now_s(6.6));
	assert_true(v.held == 3 && v.held_now == 1);
}

/* REJECT @p rj of a new held session: the payload of the answer (NUL-terminated). */
static void
refused(uint16_t sport, const struct sg_msg_session_reject *rj, char *txt, size_t cap,
	struct frames *fr)
{
	struct conn c;
	size_t n;

	held(&c, sport, now_s(1));
	from_ctl_msg(SG_MSG_SESSION_REJECT, c.sid, rj, sizeof(*rj), now_s(1), fr);
	assert_int_equal(fr->n, 1);
	assert_int_equal(delta(SG_DP_EV_SESS_REJECTED), 1);
	n = fr->len[0] - TCP_AT - 20;
	assert_true(n < cap);
	memcpy(txt, fr->b[0] + TCP_AT + 20, n);
	txt[n] = 0;
	assert_int_equal(pb_check_csums(fr->b[0] + 14), 0);
}

static void
test_answers_http(void **state)
{
	struct sg_msg_session_reject rj = {.reason = SG_MSG_REASON_FORBIDDEN};
	struct frames fr;
	char t[600];

	(void)state;
	refused(31012, &rj, t, sizeof(t), &fr);
	assert_string_equal(t, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n"
			       "Content-Length: 10\r\nConnection: close\r\n\r\nforbidden\n");
	rj.reason = SG_MSG_REASON_LOGIN;
	snprintf(rj.location, sizeof(rj.location), "https://login.example/?app=a&r=%%2Fx");
	refused(31013, &rj, t, sizeof(t), &fr);
	assert_string_equal(t, "HTTP/1.1 302 Found\r\nLocation: https://login.example/?app=a&r=%2Fx"
			       "\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n"
			       "Connection: close\r\n\r\nlogin required\n");
	memset(rj.location, 'a', sizeof(rj.location) - 1); /* the longest: 191 bytes */
	refused(31014, &rj, t, sizeof(t), &fr);
	assert_non_null(strstr(t, "\r\nLocation: aaaa"));
	assert_int_equal(strstr(t, "\r\nContent-Type") - strstr(t, "Location: ") - 10, 191);
	memset(rj.location, 0, sizeof(rj.location));
	rj.reason = SG_MSG_REASON_LIMIT;
	rj.retry_after = 7;
	refused(31015, &rj, t, sizeof(t), &fr);
	assert_string_equal(t, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
			       "Content-Type: text/plain\r\nContent-Length: 18\r\n"
			       "Connection: close\r\n\r\ntoo many sessions\n");
	rj.retry_after = 0;
	refused(31016, &rj, t, sizeof(t), &fr);
	assert_memory_equal(t, "HTTP/1.1 429 Too Many Requests\r\nContent-Type", 44);
}

/*
 * Hostile REJECTs: a Location with CR LF (header injection), one without its
 * NUL, a LOGIN without one, a Location on another reason: refused whole
 * (ctl_msg_bad), the session untouched and answered by a valid one after.
 */
static void
test_answers_hostile(void **state)
{
	struct sg_msg_session_reject rj;
	struct frames fr;
	struct conn c;
	unsigned int i;

	(void)state;
	held(&c, 31030, now_s(1));
	for (i = 0; i < 4; i++) {
		memset(&rj, 0, sizeof(rj));
		rj.reason = i == 3 ? SG_MSG_REASON_FORBIDDEN : SG_MSG_REASON_LOGIN;
		if (i == 0)
			snprintf(rj.location, sizeof(rj.location), "/a\r\nSet-Cookie: x=1");
		if (i == 1)
			memset(rj.location, 'a', sizeof(rj.location));
		if (i == 3)
			snprintf(rj.location, sizeof(rj.location), "/elsewhere");
		from_ctl_msg(SG_MSG_SESSION_REJECT, c.sid, &rj, sizeof(rj), now_s(1), &fr);
		assert_int_equal(delta(SG_DP_EV_CTL_MSG_BAD), 1);
		assert_int_equal(fr.n, 0);
	}
	memset(&rj, 0, sizeof(rj));
	rj.reason = SG_MSG_REASON_FORBIDDEN;
	from_ctl_msg(SG_MSG_SESSION_REJECT, c.sid, &rj, sizeof(rj), now_s(1), &fr);
	assert_int_equal(fr.n, 1);
	assert_memory_equal(fr.b[0] + TCP_AT + 20, "HTTP/1.1 403 Forbidden\r\n", 24);
}

/* A key that is not HTTP: each of the three is a RST. */
static void
test_answers_rst(void **state)
{
	static const uint16_t reasons[] = {SG_MSG_REASON_FORBIDDEN, SG_MSG_REASON_LOGIN,
					   SG_MSG_REASON_LIMIT};
	struct sg_msg_session_reject rj;
	struct frames fr;
	char t[600];
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(reasons); i++) {
		memset(&rj, 0, sizeof(rj));
		rj.reason = reasons[i];
		if (rj.reason == SG_MSG_REASON_LOGIN)
			snprintf(rj.location, sizeof(rj.location), "https://login.example/");
		refused((uint16_t)(31020 + i), &rj, t, sizeof(t), &fr);
		assert_int_equal(fr.b[0][TCP_AT + 13] & F_RST, F_RST);
		assert_int_equal(t[0], 0); /* no payload */
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nat_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsr_acked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsr_abort_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_never_installed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_abort_redirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qos_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vs_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_rst, setup_nokey, teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
