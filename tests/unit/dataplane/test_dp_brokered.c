/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Brokered sessions on a worker, packet by packet (doc/sessions.md): the
 * cookie SYN-ACK, the held session and its SESSION_NEW on the ring, the NAT
 * hand-off (SYN to the VM, its SYN-ACK, the replay) with sequence numbers
 * translated both ways across 2^32, the 503 answer of a reject, the hold
 * timeout, forged cookies, and malformed ring messages.
 */
#include <arpa/inet.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "sessiongate/sg_handoff.h"
#include "sessiongate/sg_id.h"
#include "sessiongate/sg_msg.h"
#include "session/syncookie.h"

#define VIP	"198.18.10.3"
#define VM	"198.18.1.11"
#define VMPORT	8080
#define REQUEST "GET /x HTTP/1.1\r\nHost: app.example\r\n\r\n"

static struct sg_dp_syncookie_secret cookies;
static struct rte_ring *to_ctl, *from_ctl;
static bool ctl_up = true;

struct outs {
	unsigned int n;
	int port[8];
	uint8_t pkt[8][2048];
	size_t len[8];
};

static void
collect(struct sg_dp_txq *q, struct outs *o)
{
	unsigned int p, i;

	memset(o, 0, sizeof(*o));
	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		for (i = 0; i < q->n[p]; i++) {
			struct rte_mbuf *m = q->pkts[p][i];

			assert_true(o->n < 8);
			o->port[o->n] = (int)p;
			o->len[o->n] = rte_pktmbuf_pkt_len(m);
			assert_true(o->len[o->n] <= sizeof(o->pkt[0]));
			memcpy(o->pkt[o->n],
			       rte_pktmbuf_read(m, 0, (uint32_t)o->len[o->n], o->pkt[o->n]),
			       o->len[o->n]);
			o->n++;
			rte_pktmbuf_free(m);
		}
		q->n[p] = 0;
	}
	sg_dp_worker_count_tx(env.w[0], 0, NULL, 0, 0);
	sg_dp_worker_count_tx(env.w[0], 1, NULL, 0, 0);
}

static void
run(uint16_t port, const uint8_t *b, size_t len, struct outs *o, uint64_t now)
{
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	struct rte_mbuf *m = mbuf_from(b, len);

	assert_non_null(q);
	sg_dp_worker_process(env.w[0], env.t, port, &m, 1, q, now);
	collect(q, o);
	free(q);
}

static void
poll_ctl(struct outs *o, uint64_t now)
{
	struct sg_dp_txq *q = calloc(1, sizeof(*q));

	assert_non_null(q);
	sg_dp_worker_poll_control(env.w[0], env.t, q, now);
	collect(q, o);
	free(q);
}

static uint64_t
cnt(enum sg_dp_cnt c)
{
	return sg_dp_worker_stats(env.w[0])->cnt[c];
}

static struct rte_tcp_hdr *
tcp_of(uint8_t *frame)
{
	return (struct rte_tcp_hdr *)(frame + 14 + 20);
}

/* A TCP segment client -> VIP (or VM -> NAT address) with seq/ack and payload. */
static size_t
seg(uint8_t *b, const char *src, const char *dst, uint16_t sport, uint16_t dport, uint8_t flags,
    uint32_t seq, uint32_t ack, const char *data, bool from_inside)
{
	size_t dl = data ? strlen(data) : 0;
	size_t len = pb_frame_tcp4(b, L2_GW, src, dst, sport, dport, flags, 64, dl);
	struct rte_tcp_hdr *th = tcp_of(b);

	if (from_inside) {
		/* frames from the inside port come from a host's MAC to port 1 */
		uint8_t m[6];

		pb_mac_parse(MAC_PORT1, m);
		memcpy(b, m, 6);
		pb_mac_parse(MAC_HOST1, m);
		memcpy(b + 6, m, 6);
	}
	th->sent_seq = htonl(seq);
	th->recv_ack = htonl(ack);
	for (size_t i = 0; i < dl; i++) /* the payload: the text without its NUL */
		((uint8_t *)(th + 1))[i] = (uint8_t)data[i];
	pb_fix_l4_csum(b + 14);
	return len;
}

static int
setup(void **state)
{
	struct cfg_store *cs;

	(void)state;
	if (env_setup(1, 1024) != 0)
		return -1;
	cs = cfg_new();
	cs->vs[VS_BROKERED].brokered.key = SG_CFG_L7_HTTP_HOST;
	cs->vs[VS_BROKERED].brokered.hold_timeout_ms = 30000;
	cs->vs[VS_BROKERED].brokered.retry_after_s = 9;
	cs->vs[VS_NAT_UDP].mode = SG_CFG_MODE_BROKERED; /* 198.18.10.2:53 udp */
	if (env_rebuild(cs) != 0)
		return -1;
	if (sg_dp_syncookie_init(&cookies) != 0)
		return -1;
	to_ctl = rte_ring_create_elem("ut_to_ctl", SG_MSG_SIZE, 64, SOCKET_ID_ANY,
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	from_ctl = rte_ring_create_elem("ut_from_ctl", SG_MSG_SIZE, 64, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (to_ctl == NULL || from_ctl == NULL)
		return -1;
	return env_enable_broker(0, to_ctl, from_ctl, &ctl_up, &cookies, 8);
}

static int
teardown(void **state)
{
	(void)state;
	env_teardown();
	rte_ring_free(to_ctl);
	rte_ring_free(from_ctl);
	return 0;
}

/* SYN -> cookie SYN-ACK; ACK + request -> held, ACKed, SESSION_NEW. Returns our ISN. */
static uint32_t
open_session(uint16_t sport, uint32_t isn, struct sg_msg *new_msg, uint64_t now)
{
	uint8_t b[PKT_MAX];
	struct outs o;
	struct rte_tcp_hdr *th;
	uint32_t flows = sg_dp_worker_flow_count(env.w[0]), cookie;
	uint64_t sc = cnt(SG_DP_EV_SYNCOOKIE);

	run(0, b, seg(b, CLIENT4, VIP, sport, 80, RTE_TCP_SYN_FLAG, isn, 0, NULL, false), &o, now);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 0);
	assert_int_equal(pb_check_csums(o.pkt[0] + 14), 0);
	th = tcp_of(o.pkt[0]);
	assert_int_equal(th->tcp_flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(ntohl(th->recv_ack), isn + 1);
	assert_int_equal(cnt(SG_DP_EV_SYNCOOKIE), sc + 1);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), flows); /* a SYN costs no entry */
	cookie = ntohl(th->sent_seq);

	run(0, b,
	    seg(b, CLIENT4, VIP, sport, 80, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, isn + 1,
		cookie + 1, REQUEST, false),
	    &o, now);
	assert_int_equal(o.n, 1); /* our ACK of the held request */
	th = tcp_of(o.pkt[0]);
	assert_int_equal(th->tcp_flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(ntohl(th->sent_seq), cookie + 1);
	assert_int_equal(ntohl(th->recv_ack), (uint32_t)(isn + 1 + strlen(REQUEST)));
	assert_int_equal(pb_check_csums(o.pkt[0] + 14), 0);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), flows + 1);

	assert_int_equal(rte_ring_dequeue_elem(to_ctl, new_msg, SG_MSG_SIZE), 0);
	assert_int_equal(sg_msg_check(new_msg, SG_MSG_SIZE), 0);
	assert_int_equal(new_msg->hdr.type, SG_MSG_SESSION_NEW);
	assert_int_equal(new_msg->hdr.session_id >> SG_ID_TYPE_SHIFT, SG_ID_T_STREAMING);
	assert_int_equal(new_msg->session_new.key_type, SG_MSG_L7_HTTP_HOST);
	assert_memory_equal(new_msg->session_new.key, "app.example", 11);
	assert_int_equal(new_msg->session_new.key_len, 11);
	assert_int_equal(new_msg->session_new.held_bytes, strlen(REQUEST));
	assert_int_equal(new_msg->session_new.flow.sport, sport);
	assert_int_equal(new_msg->session_new.flow.dport, 80);
	return cookie;
}

/* A message from sg-control: header filled, body zeroed. */
static void
ctl_msg(struct sg_msg *m, uint16_t type, uint64_t sid, size_t body)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = SG_MSG_VERSION;
	m->hdr.type = type;
	m->hdr.len = (uint16_t)(sizeof(m->hdr) + body);
	m->hdr.session_id = sid;
}

static void
send_ctl(struct sg_msg *m)
{
	assert_int_equal(rte_ring_enqueue_elem(from_ctl, m, SG_MSG_SIZE), 0);
}

/* The whole NAT hand-off with both sides' ISNs just below 2^32. */
static void
test_nat_handoff_wraps(void **state)
{
	const uint32_t isn = 0xfffffff0u, vm_isn = 0xfffffffau;
	uint8_t b[PKT_MAX];
	struct sg_msg nm = {0}, im = {0};
	struct outs o;
	struct rte_tcp_hdr *th;
	uint32_t cookie, nat_ip;
	uint16_t nat_port;
	uint64_t now = now_s(10);
	unsigned int i, data_i = 9;

	(void)state;
	cookie = open_session(40001, isn, &nm, now);

	ctl_msg(&im, SG_MSG_SESSION_INSTALL, nm.hdr.session_id, sizeof(im.install));
	im.install.mode = SG_MSG_INSTALL_NAT;
	im.install.family = 4;
	im.install.backend_port = VMPORT;
	inet_pton(AF_INET, VM, im.install.backend_addr);
	send_ctl(&im);
	poll_ctl(&o, now);
	assert_int_equal(o.n, 1); /* SYN to the VM */
	assert_int_equal(o.port[0], 1);
	assert_int_equal(pb_check_csums(o.pkt[0] + 14), 0);
	th = tcp_of(o.pkt[0]);
	assert_int_equal(th->tcp_flags, RTE_TCP_SYN_FLAG);
	assert_int_equal(ntohl(th->sent_seq), isn); /* the client's own ISN */
	assert_int_equal(ntohs(th->dst_port), VMPORT);
	memcpy(&nat_ip, o.pkt[0] + 14 + 12, 4);
	nat_port = ntohs(th->src_port);
	{
		char text[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &nat_ip, text, sizeof(text));
		assert_string_equal(text, "198.18.1.100");

		/* the VM's SYN-ACK: our ACK, then the replayed request */
		run(1, b,
		    seg(b, VM, text, VMPORT, nat_port, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, vm_isn,
			isn + 1, NULL, true),
		    &o, now);
	}
	assert_int_equal(o.n, 2);
	for (i = 0; i < o.n; i++) {
		assert_int_equal(o.port[i], 1);
		assert_int_equal(pb_check_csums(o.pkt[i] + 14), 0);
		if (o.len[i] > 14 + 20 + 20)
			data_i = i;
	}
	assert_true(data_i < 2);
	th = tcp_of(o.pkt[data_i]);
	assert_int_equal(ntohl(th->sent_seq), isn + 1);
	assert_int_equal(ntohl(th->recv_ack), vm_isn + 1); /* translated: cookie space -> VM */
	assert_memory_equal((uint8_t *)(th + 1), REQUEST, strlen(REQUEST));
	th = tcp_of(o.pkt[1 - data_i]);
	assert_int_equal(th->tcp_flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(ntohl(th->sent_seq), isn + 1);
	assert_int_equal(ntohl(th->recv_ack), vm_isn + 1);
	assert_int_equal(cnt(SG_DP_EV_SESS_INSTALLED), 1);

	/* not acknowledged by the VM yet: the replay is sent again */
	poll_ctl(&o, now + rte_get_tsc_hz() / 4);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 1);
	th = tcp_of(o.pkt[0]);
	assert_int_equal(ntohl(th->sent_seq), isn + 1);
	assert_memory_equal((uint8_t *)(th + 1), REQUEST, strlen(REQUEST));

	/* the VM's answer reaches the client in the cookie's sequence space */
	{
		char text[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &nat_ip, text, sizeof(text));
		run(1, b,
		    seg(b, VM, text, VMPORT, nat_port, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
			vm_isn + 1, isn + 1 + (uint32_t)strlen(REQUEST), "HTTP/1.1 200 OK\r\n\r\n",
			true),
		    &o, now);
	}
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 0);
	assert_int_equal(pb_check_csums(o.pkt[0] + 14), 0);
	th = tcp_of(o.pkt[0]);
	assert_int_equal(ntohl(th->sent_seq), cookie + 1);
	assert_int_equal(ntohs(th->src_port), 80);
	assert_int_equal(ntohs(th->dst_port), 40001);
	/* that answer acknowledged the replay: nothing is sent again */
	poll_ctl(&o, now + rte_get_tsc_hz());
	assert_int_equal(o.n, 0);

	/* and the client's acknowledgment of it goes back into the VM's space */
	run(0, b,
	    seg(b, CLIENT4, VIP, 40001, 80, RTE_TCP_ACK_FLAG, isn + 1 + (uint32_t)strlen(REQUEST),
		cookie + 1 + 19, NULL, false),
	    &o, now);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 1);
	assert_int_equal(pb_check_csums(o.pkt[0] + 14), 0);
	assert_int_equal(ntohl(tcp_of(o.pkt[0])->recv_ack), vm_isn + 1 + 19);
}

/* A VM segment bounced by host @p host during a DSR hand-off of session @p sid. */
static size_t
bounce(uint8_t *b, const char *host, uint64_t sid, uint8_t flags, uint32_t seq, uint32_t ack,
       const char *data)
{
	uint8_t inner[PKT_MAX], m[6];
	size_t il = seg(inner, VM, CLIENT4, VMPORT, 40009, flags, seq, ack, data, true) - 14;
	struct sg_handoff_bounce bh = {
		.magic = htonl(SG_HANDOFF_BOUNCE_MAGIC), .version = SG_HANDOFF_VERSION, .sid = sid};
	size_t len = pb_frame_udp4(b, L2_GW, host, "198.18.1.2", 49152, SG_HANDOFF_PORT,
				   sizeof(bh) + il);

	pb_mac_parse(MAC_PORT1, m);
	memcpy(b, m, 6);
	pb_mac_parse(MAC_HOST1, m);
	memcpy(b + 6, m, 6);
	memcpy(b + 14 + 20 + 8, &bh, sizeof(bh));
	memcpy(b + 14 + 20 + 8 + sizeof(bh), inner + 14, il);
	memset(b + 14 + 20 + 6, 0, 2); /* no UDP checksum, as the host's eBPF program sends */
	return len;
}

/* An IPIP packet to host1 on the inside port: its inner TCP header. */
static struct rte_tcp_hdr *
tunnelled(struct outs *o, unsigned int i)
{
	char dst[INET_ADDRSTRLEN];

	assert_int_equal(o->port[i], 1);
	assert_int_equal(o->pkt[i][14 + 9], IPPROTO_IPIP);
	inet_ntop(AF_INET, o->pkt[i] + 14 + 16, dst, sizeof(dst));
	assert_string_equal(dst, VM); /* the VM's host (host1 is its own VM here) */
	assert_int_equal(pb_check_csums(o->pkt[i] + 14 + 20), 0);
	return (struct rte_tcp_hdr *)(o->pkt[i] + 14 + 20 + 20);
}

/*
 * The DSR hand-off: the hand-off SYN (client's ISN, to the VIP, meta as its
 * payload) tunnelled to the VM's host; the bounced SYN-ACK answered with the
 * ACK and the replay, both tunnelled and in the VM's numbers; the bounced
 * ACK of the replay ends it; a forged bounce is refused; the client's
 * later segments are translated before the tunnel.
 */
static void
test_dsr_handoff(void **state)
{
	const uint32_t isn = 0x7ffffff0u, vm_isn = 0xfffffff8u;
	const uint32_t held_end = isn + 1 + (uint32_t)strlen(REQUEST);
	uint8_t b[PKT_MAX];
	struct sg_msg nm = {0}, im = {0};
	struct sg_handoff_meta meta;
	struct outs o;
	struct rte_tcp_hdr *th;
	uint32_t cookie;
	uint64_t now = now_s(20), inst = cnt(SG_DP_EV_SESS_INSTALLED), bad;
	unsigned int i, data_i = 9;

	(void)state;
	cookie = open_session(40009, isn, &nm, now);
	ctl_msg(&im, SG_MSG_SESSION_INSTALL, nm.hdr.session_id, sizeof(im.install));
	im.install.mode = SG_MSG_INSTALL_DSR;
	im.install.family = 4;
	im.install.backend_port = VMPORT;
	inet_pton(AF_INET, VM, im.install.backend_addr);
	inet_pton(AF_INET, VM, im.install.host_addr);
	send_ctl(&im);
	poll_ctl(&o, now);
	assert_int_equal(o.n, 1);
	th = tunnelled(&o, 0);
	assert_int_equal(th->tcp_flags, RTE_TCP_SYN_FLAG);
	assert_int_equal(ntohl(th->sent_seq), isn);
	assert_int_equal(ntohs(th->dst_port), 80); /* to the VIP: the host rewrites */
	assert_int_equal(o.len[0], 14 + 20 + 20 + ((th->data_off >> 4) * 4u) + sizeof(meta));
	memcpy(&meta, (uint8_t *)th + (th->data_off >> 4) * 4, sizeof(meta));
	assert_int_equal(ntohl(meta.magic), SG_HANDOFF_META_MAGIC);
	assert_int_equal(meta.version, SG_HANDOFF_VERSION);
	assert_int_equal(meta.family, 4);
	assert_true(meta.sid == nm.hdr.session_id);
	assert_int_equal(ntohl(meta.lb_isn), cookie);
	assert_int_equal(ntohl(meta.held_end), held_end);
	assert_int_equal(ntohs(meta.vm_port), VMPORT);
	assert_memory_equal(meta.vm_addr, im.install.backend_addr, 4);

	/* a bounce from another host is refused */
	bad = cnt(SG_DP_DROP_BOUNCE_BAD);
	run(1, b,
	    bounce(b, "198.18.1.12", nm.hdr.session_id, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, vm_isn,
		   isn + 1, NULL),
	    &o, now);
	assert_int_equal(o.n, 0);
	assert_int_equal(cnt(SG_DP_DROP_BOUNCE_BAD), bad + 1);

	/* the bounced SYN-ACK: our ACK and the replay, tunnelled, in the VM's numbers */
	run(1, b,
	    bounce(b, VM, nm.hdr.session_id, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, vm_isn, isn + 1,
		   NULL),
	    &o, now);
	assert_int_equal(o.n, 2);
	for (i = 0; i < o.n; i++) {
		th = tunnelled(&o, i);
		assert_int_equal(ntohs(th->dst_port), 80);
		assert_int_equal(ntohl(th->sent_seq), isn + 1);
		assert_int_equal(ntohl(th->recv_ack), vm_isn + 1);
		if (o.len[i] > 14 + 20 + 20 + (th->data_off >> 4) * 4u)
			data_i = i;
	}
	assert_true(data_i < 2);
	th = tunnelled(&o, data_i);
	assert_memory_equal((uint8_t *)th + (th->data_off >> 4) * 4, REQUEST, strlen(REQUEST));
	assert_int_equal(cnt(SG_DP_EV_SESS_INSTALLED), inst + 1);
	assert_int_equal(cnt(SG_DP_EV_BOUNCE), 1);

	/* no acknowledgment yet: replayed again; then the VM's ACK ends it */
	poll_ctl(&o, now + rte_get_tsc_hz() / 4);
	assert_int_equal(o.n, 1);
	tunnelled(&o, 0);
	run(1, b, bounce(b, VM, nm.hdr.session_id, RTE_TCP_ACK_FLAG, vm_isn + 1, held_end, NULL),
	    &o, now);
	assert_int_equal(o.n, 0); /* used up: the client needs no ACK of its own bytes */
	poll_ctl(&o, now + rte_get_tsc_hz());
	assert_int_equal(o.n, 0);
	/* late bounces find no session */
	run(1, b, bounce(b, VM, nm.hdr.session_id, RTE_TCP_ACK_FLAG, vm_isn + 1, held_end, NULL),
	    &o, now);
	assert_int_equal(o.n, 0);
	assert_int_equal(cnt(SG_DP_DROP_BOUNCE_BAD), bad + 2);

	/* the client's ACK of the VM's (direct) answer: translated, then tunnelled */
	run(0, b,
	    seg(b, CLIENT4, VIP, 40009, 80, RTE_TCP_ACK_FLAG, held_end, cookie + 1 + 19, NULL,
		false),
	    &o, now);
	assert_int_equal(o.n, 1);
	th = tunnelled(&o, 0);
	assert_int_equal(ntohl(th->recv_ack), vm_isn + 1 + 19);
}

/* SESSION_REJECT of an HTTP-keyed session: 503 with Retry-After and FIN. */
static void
test_reject_503(void **state)
{
	struct sg_msg nm = {0}, rm = {0};
	struct outs o;
	struct rte_tcp_hdr *th;
	uint32_t cookie;
	uint64_t now = now_s(20);
	const char *body;

	(void)state;
	cookie = open_session(40002, 1000, &nm, now);
	ctl_msg(&rm, SG_MSG_SESSION_REJECT, nm.hdr.session_id, sizeof(rm.reject));
	rm.reject.reason = SG_MSG_REASON_QUEUE_FULL;
	rm.reject.retry_after = 42;
	send_ctl(&rm);
	poll_ctl(&o, now);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 0);
	assert_int_equal(pb_check_csums(o.pkt[0] + 14), 0);
	th = tcp_of(o.pkt[0]);
	assert_true(th->tcp_flags & RTE_TCP_FIN_FLAG);
	assert_int_equal(ntohl(th->sent_seq), cookie + 1);
	body = (const char *)(th + 1);
	assert_memory_equal(body, "HTTP/1.1 503", 12);
	assert_non_null(strstr(body, "Retry-After: 42"));
	assert_int_equal(cnt(SG_DP_EV_SESS_REJECTED), 1);
	/* the same answer twice is refused: the session is gone */
	send_ctl(&rm);
	poll_ctl(&o, now);
	assert_int_equal(o.n, 0);
}

/* No answer from sg-control within the hold timeout: 503 with the VS's Retry-After. */
static void
test_hold_timeout(void **state)
{
	struct sg_msg nm = {0};
	struct outs o;
	uint64_t now = now_s(30), t;
	uint64_t before = cnt(SG_DP_EV_SESS_TIMEOUT);
	const char *body;
	unsigned int k;

	(void)state;
	open_session(40003, 5000, &nm, now);
	poll_ctl(&o, now + 1);
	assert_int_equal(o.n, 0);
	/* the scan visits 64 slots per millisecond: a few polls past the deadline */
	for (k = 0, t = now_s(61); k < 4 && cnt(SG_DP_EV_SESS_TIMEOUT) == before; k++) {
		t += rte_get_tsc_hz() / 500;
		poll_ctl(&o, t);
	}
	assert_int_equal(cnt(SG_DP_EV_SESS_TIMEOUT), before + 1);
	assert_int_equal(o.n, 1);
	body = (const char *)(tcp_of(o.pkt[0]) + 1);
	assert_memory_equal(body, "HTTP/1.1 503", 12);
	assert_non_null(strstr(body, "Retry-After: 9"));
}

/* SESSION_RESYNC (a restarted sg-control): every session still waiting is sent again. */
static void
test_resync(void **state)
{
	struct sg_msg nm = {0}, again = {0}, rs = {0};
	struct outs o;
	uint64_t now = now_s(70);

	(void)state;
	open_session(40004, 7000, &nm, now);
	assert_int_equal(rte_ring_count(to_ctl), 0);
	ctl_msg(&rs, SG_MSG_SESSION_RESYNC, 0, 0);
	send_ctl(&rs);
	poll_ctl(&o, now + rte_get_tsc_hz() / 100);
	poll_ctl(&o, now + rte_get_tsc_hz() / 50);
	assert_int_equal(rte_ring_dequeue_elem(to_ctl, &again, SG_MSG_SIZE), 0);
	assert_int_equal(again.hdr.type, SG_MSG_SESSION_NEW);
	assert_int_equal(again.hdr.session_id, nm.hdr.session_id);
	assert_memory_equal(again.session_new.key, "app.example", 11);
	assert_int_equal(rte_ring_count(to_ctl), 0); /* once */
}

/* A UDP datagram to the VIP (or from the VM with @p from_inside) with @p text. */
static size_t
dgram(uint8_t *b, const char *src, const char *dst, uint16_t sport, uint16_t dport,
      const char *text, bool from_inside)
{
	size_t len = pb_frame_udp4(b, L2_GW, src, dst, sport, dport, strlen(text));

	if (from_inside) {
		uint8_t mac[6];

		pb_mac_parse(MAC_PORT1, mac);
		memcpy(b, mac, 6);
		pb_mac_parse(MAC_HOST1, mac);
		memcpy(b + 6, mac, 6);
	}
	for (size_t i = 0; text[i] != '\0'; i++) /* the payload: the text without its NUL */
		b[14 + 20 + 8 + i] = (uint8_t)text[i];
	pb_fix_l4_csum(b + 14);
	return len;
}

/* UDP: datagrams held in order, flushed to the VM on install, answers NATed back. */
static void
test_udp_held_then_flushed(void **state)
{
	uint8_t b[PKT_MAX];
	struct sg_msg nm = {0}, im = {0};
	struct outs o;
	uint64_t now = now_s(80);
	char nat[INET_ADDRSTRLEN];
	uint16_t nat_port;

	(void)state;
	run(0, b, dgram(b, CLIENT4, "198.18.10.2", 5000, 53, "first", false), &o, now);
	assert_int_equal(o.n, 0); /* held */
	run(0, b, dgram(b, CLIENT4, "198.18.10.2", 5000, 53, "second", false), &o, now);
	assert_int_equal(o.n, 0);
	assert_int_equal(rte_ring_dequeue_elem(to_ctl, &nm, SG_MSG_SIZE), 0);
	assert_int_equal(nm.hdr.type, SG_MSG_SESSION_NEW);
	assert_int_equal(nm.session_new.flow.proto, IPPROTO_UDP);
	assert_int_equal(nm.session_new.flow.dport, 53);
	assert_int_equal(rte_ring_count(to_ctl), 0); /* one session, not two */

	ctl_msg(&im, SG_MSG_SESSION_INSTALL, nm.hdr.session_id, sizeof(im.install));
	im.install.mode = SG_MSG_INSTALL_NAT;
	im.install.family = 4;
	im.install.backend_port = 5353;
	inet_pton(AF_INET, VM, im.install.backend_addr);
	send_ctl(&im);
	poll_ctl(&o, now);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.port[0], 1);
	assert_int_equal(pb_check_csums(o.pkt[0] + 14), 0);
	assert_memory_equal(o.pkt[0] + 14 + 28, "first", 5);
	assert_memory_equal(o.pkt[1] + 14 + 28, "second", 6);
	assert_int_equal(ntohs(*(uint16_t *)(o.pkt[0] + 14 + 22)), 5353);
	nat_port = ntohs(*(uint16_t *)(o.pkt[0] + 14 + 20));
	inet_ntop(AF_INET, o.pkt[0] + 14 + 12, nat, sizeof(nat));

	run(1, b, dgram(b, VM, nat, 5353, nat_port, "answer", true), &o, now);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.port[0], 0);
	assert_int_equal(pb_check_csums(o.pkt[0] + 14), 0);
	assert_int_equal(ntohs(*(uint16_t *)(o.pkt[0] + 14 + 20)), 53);
	assert_int_equal(ntohs(*(uint16_t *)(o.pkt[0] + 14 + 22)), 5000);
	assert_memory_equal(o.pkt[0] + 14 + 28, "answer", 6);
}

/* UDP reject: the held datagrams are dropped, counted. */
static void
test_udp_reject_drops(void **state)
{
	uint8_t b[PKT_MAX];
	struct sg_msg nm = {0}, rm = {0};
	struct outs o;
	uint64_t now = now_s(90), drops = cnt(SG_DP_DROP_BROKERED);

	(void)state;
	run(0, b, dgram(b, CLIENT4, "198.18.10.2", 5001, 53, "q", false), &o, now);
	assert_int_equal(rte_ring_dequeue_elem(to_ctl, &nm, SG_MSG_SIZE), 0);
	ctl_msg(&rm, SG_MSG_SESSION_REJECT, nm.hdr.session_id, sizeof(rm.reject));
	rm.reject.reason = SG_MSG_REASON_NO_APP;
	send_ctl(&rm);
	poll_ctl(&o, now);
	assert_int_equal(o.n, 0);
	assert_int_equal(cnt(SG_DP_DROP_BROKERED), drops + 1);
	run(0, b, dgram(b, CLIENT4, "198.18.10.2", 5001, 53, "q2", false), &o, now);
	assert_int_equal(o.n, 0);
	assert_int_equal(cnt(SG_DP_DROP_BROKERED), drops + 2);
}

/* ACKs whose cookie does not check open nothing. */
static void
test_forged_cookie(void **state)
{
	uint8_t b[PKT_MAX];
	struct outs o;
	uint32_t flows = sg_dp_worker_flow_count(env.w[0]);
	uint64_t bad = cnt(SG_DP_DROP_COOKIE_BAD) + cnt(SG_DP_DROP_COOKIE_OLD);
	uint32_t k;

	(void)state;
	for (k = 0; k < 64; k++) {
		run(0, b,
		    seg(b, CLIENT4, VIP, (uint16_t)(41000 + k), 80, RTE_TCP_ACK_FLAG, 77 + k,
			0x12345678u * (k + 1), REQUEST, false),
		    &o, now_s(40));
		assert_int_equal(o.n, 0);
	}
	/* a forged counter reads as expired, a forged MAC as bad: either way dropped */
	assert_int_equal(cnt(SG_DP_DROP_COOKIE_BAD) + cnt(SG_DP_DROP_COOKIE_OLD), bad + 64);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), flows);
}

/* Hostile ring messages: counted and ignored. */
static void
test_bad_ring_messages(void **state)
{
	struct sg_msg m = {0};
	struct outs o;
	uint64_t bad = cnt(SG_DP_EV_CTL_MSG_BAD);

	(void)state;
	memset(&m, 0xff, sizeof(m)); /* garbage */
	send_ctl(&m);
	/* an install for a session that never was */
	ctl_msg(&m, SG_MSG_SESSION_INSTALL, 0x8100000000000001ull, sizeof(m.install));
	m.install.mode = SG_MSG_INSTALL_NAT;
	m.install.family = 4;
	m.install.backend_port = 80;
	send_ctl(&m);
	poll_ctl(&o, now_s(50));
	assert_int_equal(o.n, 0);
	assert_int_equal(cnt(SG_DP_EV_CTL_MSG_BAD), bad + 2);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat_handoff_wraps),
		cmocka_unit_test(test_dsr_handoff),
		cmocka_unit_test(test_reject_503),
		cmocka_unit_test(test_hold_timeout),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_udp_held_then_flushed),
		cmocka_unit_test(test_udp_reject_drops),
		cmocka_unit_test(test_forged_cookie),
		cmocka_unit_test(test_bad_ring_messages),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	dp_eal_fini();
	return rc;
}
