/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Brokered sessions on a worker (doc/sessions.md), as tables of steps in the
 * style of test_dp_packets.c: each step gives one input (a frame on a port, a
 * message from sg-control, or the passing of time) and its EXACT results:
 * the output frames byte for byte on their ports, the message to sg-control,
 * the verdict, every counter that moves (all others stay), and the change of
 * the flow table. Expected frames are built with tests/lib/pktbuild; the
 * cookie is computed with sg_dp_syncookie_make() and the test's fixed keys.
 *
 * Paths: the cookie SYN-ACK, the held session and its SESSION_NEW, the NAT
 * hand-off across 2^32 (VM SYN, SYN-ACK, replay, translated both ways), the
 * DSR hand-off (meta, bounces, ACK + replay, late and foreign bounces,
 * translation), the 503 of a reject, the hold timeout, the resync, UDP held
 * then flushed, UDP reject, forged cookies and bad ring messages; the NAT
 * hand-off's SYN from its template against the general builder.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "sessiongate/sg_handoff.h"
#include "sessiongate/sg_id.h"
#include "sessiongate/sg_msg.h"
#include "session/syncookie.h"
#include "session/tcpgen.h"
#include "session/vmsyn.h"

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define PSH RTE_TCP_PSH_FLAG
#define FIN RTE_TCP_FIN_FLAG
#define RST RTE_TCP_RST_FLAG

#define VMPORT	8080
#define REQUEST "GET /x HTTP/1.1\r\nHost: app.example\r\n\r\n"
#define REQ_LEN ((uint32_t)sizeof(REQUEST) - 1)
#define HOLD	16384 /* the VS's hold_bytes */
/* the window of our ACK of the held request: the hold room left (no window scale) */
#define HOLD_WIN (HOLD - REQ_LEN)
#define ANSWER	 "HTTP/1.1 200 OK\r\n\r\n"
#define ANS_LEN	 ((uint32_t)sizeof(ANSWER) - 1)
#define MORE	 "more of the request"
#define BODY_503(s)                                                                       \
	"HTTP/1.1 503 Service Unavailable\r\nRetry-After: " s "\r\nContent-Length: 0\r\n" \
	"Connection: close\r\n\r\n"

/* ---- the scenario's endpoints and numbers ---- */

enum ep { EP_CLIENT, EP_VIP, EP_UDP_VIP, EP_VM, EP_NAT, EP_APPLIANCE, EP_HOST2 };
static const char *const ep_addr[] = {
	[EP_CLIENT] = CLIENT4,	    [EP_VIP] = "198.18.10.3",  [EP_UDP_VIP] = "198.18.10.2",
	[EP_VM] = "198.18.1.11",    [EP_NAT] = "198.18.1.100", [EP_APPLIANCE] = "198.18.1.2",
	[EP_HOST2] = "198.18.1.12",
};
#define P_NAT 0 /* a port: the NAT source port the data plane chose (learned) */

/* Ethernet: from the gateway to port 0, back, from host1 to port 1, back. */
enum l2 { L_NONE, L_GW_IN, L_GW_OUT, L_H1_IN, L_H1_OUT };
static const struct pb_eth l2_of[] = {
	[L_GW_IN] = {MAC_PORT0, MAC_GW, 0},
	[L_GW_OUT] = {MAC_GW, MAC_PORT0, 0},
	[L_H1_IN] = {MAC_PORT1, MAC_HOST1, 0},
	[L_H1_OUT] = {MAC_HOST1, MAC_PORT1, 0},
};

/* A sequence number: an offset from 0, the client's ISN, the cookie or the VM's ISN. */
enum base { N_ABS, N_CISN, N_COOKIE, N_VMISN };
struct num {
	uint8_t base;
	uint32_t off;
};
/* clang-format off */
#define ABS(o)    {N_ABS, (o)}
#define CISN(o)   {N_CISN, (o)}
#define COOKIE(o) {N_COOKIE, (o)}
#define VMISN(o)  {N_VMISN, (o)}
/* clang-format on */

enum opt { OPT_NONE, OPT_MSS_MTU, OPT_MSS_COOKIE };
enum tun { TUN_NONE, TUN_IPIP, TUN_BOUNCE };

/* One frame: an IPv4 TCP segment or UDP datagram, maybe tunnelled. */
struct pkt {
	uint8_t l2;	       /* enum l2 (outer, when tunnelled) */
	uint8_t proto;	       /* 0: TCP */
	uint8_t src, dst;      /* enum ep */
	uint16_t sport, dport; /* P_NAT: the NAT port */
	uint8_t flags;
	struct num seq, ack;
	const char *data;
	bool meta;	 /* the DSR hand-off meta as payload */
	bool gen;	 /* made by the data plane: DF, TTL SG_DP_TCPGEN_TTL, window win */
	bool fwd;	 /* rewritten by the data plane (NAT): TTL less one */
	uint16_t win;	 /* of a generated segment */
	uint8_t opt;	 /* enum opt */
	uint8_t tun;	 /* TUN_IPIP: appliance -> the VM's host; TUN_BOUNCE: host -> appliance */
	uint8_t bouncer; /* TUN_BOUNCE: the host that bounces (enum ep) */
	bool bad_token;	 /* TUN_BOUNCE: the session ID right, the token not */
};

/* The frames of the tables (each macro: one kind of frame, its variable fields). */
/* clang-format off */
/* client -> VIP:80, on port 0 */
#define C_SEG(sp, fl, sq, ak, d) {.l2 = L_GW_IN, .src = EP_CLIENT, .dst = EP_VIP, \
	.sport = (sp), .dport = 80, .flags = (fl), .seq = sq, .ack = ak, .data = (d)}
/* VIP:80 -> client, forwarded (NAT return, translated) */
#define TO_C(sp, fl, sq, ak, d) {.l2 = L_GW_OUT, .src = EP_VIP, .dst = EP_CLIENT, \
	.sport = 80, .dport = (sp), .flags = (fl), .seq = sq, .ack = ak, .data = (d), \
	.fwd = true}
/* VIP:80 -> client, generated: window w, options o */
#define GEN_TO_C(sp, fl, sq, ak, w, o, d) {.l2 = L_GW_OUT, .src = EP_VIP, .dst = EP_CLIENT, \
	.sport = 80, .dport = (sp), .flags = (fl), .seq = sq, .ack = ak, .data = (d), \
	.gen = true, .win = (w), .opt = (o)}
/* VM:8080 -> NAT address, on port 1 */
#define VM_SEG(fl, sq, ak, d) {.l2 = L_H1_IN, .src = EP_VM, .dst = EP_NAT, \
	.sport = VMPORT, .dport = P_NAT, .flags = (fl), .seq = sq, .ack = ak, .data = (d)}
/* NAT address -> VM:8080, forwarded (NAT, translated) */
#define TO_VM(fl, sq, ak, d) {.l2 = L_H1_OUT, .src = EP_NAT, .dst = EP_VM, \
	.sport = P_NAT, .dport = VMPORT, .flags = (fl), .seq = sq, .ack = ak, .data = (d), \
	.fwd = true}
/* NAT address -> VM:8080, generated: window 65535, options o */
#define GEN_TO_VM(fl, sq, ak, o) {.l2 = L_H1_OUT, .src = EP_NAT, .dst = EP_VM, \
	.sport = P_NAT, .dport = VMPORT, .flags = (fl), .seq = sq, .ack = ak, \
	.gen = true, .win = 65535, .opt = (o)}
/* client -> VIP:80 tunnelled (IPIP) to the VM's host: forwarded (DSR keeps the TTL) */
#define IPIP_C(sp, fl, sq, ak, d) {.l2 = L_H1_OUT, .src = EP_CLIENT, .dst = EP_VIP, \
	.sport = (sp), .dport = 80, .flags = (fl), .seq = sq, .ack = ak, .data = (d), \
	.tun = TUN_IPIP}
/* client -> VIP:80 tunnelled, generated (the hand-off SYN, meta as its payload) */
#define IPIP_GEN_C(sp, fl, sq, ak, o, m) {.l2 = L_H1_OUT, .src = EP_CLIENT, .dst = EP_VIP, \
	.sport = (sp), .dport = 80, .flags = (fl), .seq = sq, .ack = ak, \
	.gen = true, .win = 65535, .opt = (o), .meta = (m), .tun = TUN_IPIP}
/* our ACK made of the VM's bounced SYN-ACK, NAT-rewritten client -> VIP:80, tunnelled */
#define IPIP_ACK_C(sp, sq, ak) {.l2 = L_H1_OUT, .src = EP_CLIENT, .dst = EP_VIP, \
	.sport = (sp), .dport = 80, .flags = ACK, .seq = sq, .ack = ak, \
	.gen = true, .fwd = true, .win = 65535, .tun = TUN_IPIP}
/* VM:8080 -> client, bounced by host h to the appliance's hand-off port */
#define BOUNCE(h, sp, fl, sq, ak) {.l2 = L_H1_IN, .src = EP_VM, .dst = EP_CLIENT, \
	.sport = VMPORT, .dport = (sp), .flags = (fl), .seq = sq, .ack = ak, \
	.tun = TUN_BOUNCE, .bouncer = (h)}
/* the same with a guessed session ID: its token wrong */
#define BOUNCE_FORGED(sp, fl, sq, ak) {.l2 = L_H1_IN, .src = EP_VM, .dst = EP_CLIENT, \
	.sport = VMPORT, .dport = (sp), .flags = (fl), .seq = sq, .ack = ak, \
	.tun = TUN_BOUNCE, .bouncer = EP_VM, .bad_token = true}
/* UDP: client -> VIP:53, back; VM:5353 -> NAT address, back */
#define C_DGRAM(sp, d) {.l2 = L_GW_IN, .proto = IPPROTO_UDP, .src = EP_CLIENT, \
	.dst = EP_UDP_VIP, .sport = (sp), .dport = 53, .data = (d)}
#define DGRAM_TO_C(sp, d) {.l2 = L_GW_OUT, .proto = IPPROTO_UDP, .src = EP_UDP_VIP, \
	.dst = EP_CLIENT, .sport = 53, .dport = (sp), .data = (d), .fwd = true}
#define VM_DGRAM(d) {.l2 = L_H1_IN, .proto = IPPROTO_UDP, .src = EP_VM, .dst = EP_NAT, \
	.sport = 5353, .dport = P_NAT, .data = (d)}
#define DGRAM_TO_VM(d) {.l2 = L_H1_OUT, .proto = IPPROTO_UDP, .src = EP_NAT, .dst = EP_VM, \
	.sport = P_NAT, .dport = 5353, .data = (d), .fwd = true}
/* clang-format on */

/* A message from sg-control. */
enum sid { SID_SESSION, SID_NONE, SID_UNKNOWN, SID_GARBAGE };
struct ctl {
	uint16_t type;
	uint8_t sid;	 /* enum sid */
	uint8_t mode;	 /* install: SG_MSG_INSTALL_NAT / _DSR */
	uint16_t port;	 /* install: the VM's port */
	bool host;	 /* install: the VM's host (DSR) */
	uint16_t reason; /* reject */
	uint16_t retry_after;
};

/* The SESSION_NEW expected on the ring to sg-control. */
struct want_new {
	uint8_t proto; /* 0: none expected */
	uint16_t sport, dport;
	const char *key; /* HTTP Host, or NULL */
	uint32_t held_bytes;
};

enum in { IN_PKT, IN_CTL, IN_POLL, IN_POLL_UNTIL };
enum verdict { V_TX = 1, V_HELD = 2, V_DROP = 4, V_CTL = 8, V_NONE = 16 };
#define MAX_OUT 2
#define MAX_CNT 8

/* {what, in, t_ms, port, pkt, ...}: one input and everything it must cause */
struct step {
	const char *what;
	uint8_t in;	 /* enum in */
	uint32_t t_ms;	 /* after the scenario's start */
	uint16_t port;	 /* IN_PKT: the port it comes in on */
	struct pkt pkt;	 /* IN_PKT */
	struct ctl ctl;	 /* IN_CTL (then a poll) */
	uint8_t verdict; /* enum verdict, or'ed */
	unsigned int n_out;
	struct {
		uint16_t port;
		struct pkt pkt;
	} out[MAX_OUT];
	struct want_new new;
	unsigned int n_cnt;
	enum sg_dp_cnt cnt[MAX_CNT]; /* each moves by one per listing */
	int flows;		     /* flow-table entries added */
};

#define OUT1(p0, k0)	     .n_out = 1, .out = {{(p0), k0}}
#define OUT2(p0, k0, p1, k1) .n_out = 2, .out = {{(p0), k0}, {(p1), k1}}
#define CNT(...)                                                                   \
	.n_cnt = sizeof((enum sg_dp_cnt[]){__VA_ARGS__}) / sizeof(enum sg_dp_cnt), \
	.cnt = {__VA_ARGS__}

struct scenario {
	const char *name;
	uint32_t isn;	 /* the client's ISN */
	uint32_t vm_isn; /* the VM's ISN */
	double start_s;
	const struct step *steps;
	unsigned int n;
};

/* ---- the tables ---- */

/* SYN -> cookie SYN-ACK; ACK + request -> held, acknowledged, SESSION_NEW. */
/* clang-format off */
#define OPEN(sp) \
	{"client SYN: cookie SYN-ACK, no flow entry", IN_PKT, 0, 0, \
	 C_SEG(sp, SYN, CISN(0), ABS(0), NULL), .verdict = V_TX, \
	 OUT1(0, GEN_TO_C(sp, SYN | ACK, COOKIE(0), CISN(1), 65535, OPT_MSS_MTU, NULL)), \
	 CNT(SG_DP_EV_SYNCOOKIE)}, \
	{"ACK with the cookie + request: held, acknowledged, SESSION_NEW", IN_PKT, 0, 0, \
	 C_SEG(sp, ACK | PSH, CISN(1), COOKIE(1), REQUEST), .verdict = V_TX | V_HELD | V_CTL, \
	 OUT1(0, GEN_TO_C(sp, ACK, COOKIE(1), CISN(1 + REQ_LEN), HOLD_WIN, OPT_NONE, NULL)), \
	 .new = {IPPROTO_TCP, sp, 80, "app.example", REQ_LEN}, \
	 CNT(SG_DP_EV_FLOW_NEW, SG_DP_EV_SESS_NEW, SG_DP_EV_SESS_SENT, SG_DP_EV_HELD, \
	     SG_DP_EV_GENERATED), \
	 .flows = 1}
/* clang-format on */

static const struct step nat_steps[] = {
	OPEN(40001),
	{"install NAT: SYN to the VM from the NAT address, the client's ISN", IN_CTL, 0,
	 .ctl = {SG_MSG_SESSION_INSTALL, SID_SESSION, SG_MSG_INSTALL_NAT, VMPORT}, .verdict = V_TX,
	 OUT1(1, GEN_TO_VM(SYN, CISN(0), ABS(0), OPT_MSS_COOKIE)),
	 CNT(SG_DP_EV_CTL_MSG, SG_DP_EV_GENERATED)},
	{"VM SYN-ACK: our ACK, then the replay translated into the VM's numbers", IN_PKT, 0, 1,
	 VM_SEG(SYN | ACK, VMISN(0), CISN(1), NULL), .verdict = V_TX,
	 OUT2(1, GEN_TO_VM(ACK, CISN(1), VMISN(1), OPT_NONE), 1,
	      TO_VM(ACK | PSH, CISN(1), VMISN(1), REQUEST)),
	 CNT(SG_DP_EV_SESS_INSTALLED, SG_DP_EV_GENERATED)},
	{"replay not acknowledged: sent again", IN_POLL, 250, .verdict = V_TX,
	 OUT1(1, TO_VM(ACK | PSH, CISN(1), VMISN(1), REQUEST)), CNT(SG_DP_EV_GENERATED)},
	{"VM answer: to the client in the cookie's numbers", IN_PKT, 250, 1,
	 VM_SEG(ACK | PSH, VMISN(1), CISN(1 + REQ_LEN), ANSWER), .verdict = V_TX,
	 OUT1(0, TO_C(40001, ACK | PSH, COOKIE(1), CISN(1 + REQ_LEN), ANSWER)),
	 CNT(SG_DP_EV_RELEASED, SG_DP_EV_CONSUMED)},
	{"the answer acknowledged the replay: nothing sent again", IN_POLL, 1000,
	 .verdict = V_NONE},
	{"client ACK: into the VM's numbers", IN_PKT, 1000, 0,
	 C_SEG(40001, ACK, CISN(1 + REQ_LEN), COOKIE(1 + ANS_LEN), NULL), .verdict = V_TX,
	 OUT1(1, TO_VM(ACK, CISN(1 + REQ_LEN), VMISN(1 + ANS_LEN), NULL))},
};

static const struct step dsr_steps[] = {
	OPEN(40009),
	{"install DSR: the SYN with the meta, tunnelled to the VM's host", IN_CTL, 0,
	 .ctl = {SG_MSG_SESSION_INSTALL, SID_SESSION, SG_MSG_INSTALL_DSR, VMPORT, true},
	 .verdict = V_TX, OUT1(1, IPIP_GEN_C(40009, SYN, CISN(0), ABS(0), OPT_MSS_COOKIE, true)),
	 CNT(SG_DP_EV_CTL_MSG, SG_DP_EV_GENERATED)},
	{"new client bytes after the SYN: neither held nor acknowledged (the meta's held_end "
	 "is fixed)",
	 IN_PKT, 0, 0, C_SEG(40009, ACK | PSH, CISN(1 + REQ_LEN), COOKIE(1), MORE),
	 .verdict = V_DROP, CNT(SG_DP_DROP_HOLD_DSR)},
	{"the held request again: acknowledged as before", IN_PKT, 0, 0,
	 C_SEG(40009, ACK | PSH, CISN(1), COOKIE(1), REQUEST), .verdict = V_TX,
	 OUT1(0, GEN_TO_C(40009, ACK, COOKIE(1), CISN(1 + REQ_LEN), HOLD_WIN, OPT_NONE, NULL))},
	{"a bounce from another host: refused", IN_PKT, 0, 1,
	 BOUNCE(EP_HOST2, 40009, SYN | ACK, VMISN(0), CISN(1)), .verdict = V_DROP,
	 CNT(SG_DP_DROP_BOUNCE_BAD)},
	{"a forged bounced RST, the session ID guessed, not its token: refused", IN_PKT, 0, 1,
	 BOUNCE_FORGED(40009, RST | ACK, VMISN(0), CISN(1)), .verdict = V_DROP,
	 CNT(SG_DP_DROP_BOUNCE_TOKEN)},
	{"bounced SYN-ACK: our ACK and the replay, tunnelled, in the VM's numbers", IN_PKT, 0, 1,
	 BOUNCE(EP_VM, 40009, SYN | ACK, VMISN(0), CISN(1)), .verdict = V_TX,
	 OUT2(1, IPIP_ACK_C(40009, CISN(1), VMISN(1)), 1,
	      IPIP_C(40009, ACK | PSH, CISN(1), VMISN(1), REQUEST)),
	 CNT(SG_DP_EV_BOUNCE, SG_DP_EV_SESS_INSTALLED, SG_DP_EV_GENERATED)},
	{"replay not acknowledged: sent again", IN_POLL, 250, .verdict = V_TX,
	 OUT1(1, IPIP_C(40009, ACK | PSH, CISN(1), VMISN(1), REQUEST)), CNT(SG_DP_EV_GENERATED)},
	{"bounced ACK of the replay: used up, the session ends", IN_PKT, 250, 1,
	 BOUNCE(EP_VM, 40009, ACK, VMISN(1), CISN(1 + REQ_LEN)), .verdict = V_NONE,
	 CNT(SG_DP_EV_BOUNCE, SG_DP_EV_RELEASED, SG_DP_EV_CONSUMED, SG_DP_EV_CONSUMED)},
	{"nothing replayed any more", IN_POLL, 1000, .verdict = V_NONE},
	{"a late bounce finds no session", IN_PKT, 1000, 1,
	 BOUNCE(EP_VM, 40009, ACK, VMISN(1), CISN(1 + REQ_LEN)), .verdict = V_DROP,
	 CNT(SG_DP_DROP_BOUNCE_BAD)},
	{"client ACK of the VM's direct answer: translated, tunnelled", IN_PKT, 1000, 0,
	 C_SEG(40009, ACK, CISN(1 + REQ_LEN), COOKIE(1 + ANS_LEN), NULL), .verdict = V_TX,
	 OUT1(1, IPIP_C(40009, ACK, CISN(1 + REQ_LEN), VMISN(1 + ANS_LEN), NULL))},
};

static const struct step reject_steps[] = {
	OPEN(40002),
	{"reject: 503 with Retry-After and FIN from the held segment", IN_CTL, 0,
	 .ctl = {SG_MSG_SESSION_REJECT, SID_SESSION, .reason = SG_MSG_REASON_QUEUE_FULL,
		 .retry_after = 42},
	 .verdict = V_TX,
	 OUT1(0, GEN_TO_C(40002, ACK | PSH | FIN, COOKIE(1), CISN(1 + REQ_LEN), 0, OPT_NONE,
			  BODY_503("42"))),
	 CNT(SG_DP_EV_CTL_MSG, SG_DP_EV_SESS_REJECTED, SG_DP_EV_RELEASED)},
	{"the same reject again: the session is gone", IN_CTL, 0,
	 .ctl = {SG_MSG_SESSION_REJECT, SID_SESSION, .reason = SG_MSG_REASON_QUEUE_FULL,
		 .retry_after = 42},
	 .verdict = V_NONE, CNT(SG_DP_EV_CTL_MSG, SG_DP_EV_CTL_MSG_BAD)},
};

/* Issue 12, defect 11: in the connecting window only a RST that acknowledges our SYN counts. */
static const struct step vm_rst_steps[] = {
	OPEN(40005),
	{"install NAT: SYN to the VM", IN_CTL, 0,
	 .ctl = {SG_MSG_SESSION_INSTALL, SID_SESSION, SG_MSG_INSTALL_NAT, VMPORT}, .verdict = V_TX,
	 OUT1(1, GEN_TO_VM(SYN, CISN(0), ABS(0), OPT_MSS_COOKIE)),
	 CNT(SG_DP_EV_CTL_MSG, SG_DP_EV_GENERATED)},
	{"forged VM RST without ACK: dropped", IN_PKT, 0, 1, VM_SEG(RST, VMISN(0), ABS(0), NULL),
	 .verdict = V_DROP, CNT(SG_DP_DROP_VM_RST)},
	{"forged VM RST acknowledging another number: dropped", IN_PKT, 0, 1,
	 VM_SEG(RST | ACK, VMISN(0), CISN(2), NULL), .verdict = V_DROP, CNT(SG_DP_DROP_VM_RST)},
	{"the VM's RST, acknowledging our SYN: the client gets 503", IN_PKT, 0, 1,
	 VM_SEG(RST | ACK, ABS(0), CISN(1), NULL), .verdict = V_TX,
	 OUT1(0, GEN_TO_C(40005, ACK | PSH | FIN, COOKIE(1), CISN(1 + REQ_LEN), 0, OPT_NONE,
			  BODY_503("9"))),
	 CNT(SG_DP_EV_SESS_REJECTED, SG_DP_EV_RELEASED, SG_DP_EV_CONSUMED)},
};

static const struct step timeout_steps[] = {
	OPEN(40003),
	{"before the hold timeout: nothing", IN_POLL, 1, .verdict = V_NONE},
	{"past the hold timeout (30 s): 503 with the VS's Retry-After", IN_POLL_UNTIL, 31000,
	 .verdict = V_TX,
	 OUT1(0, GEN_TO_C(40003, ACK | PSH | FIN, COOKIE(1), CISN(1 + REQ_LEN), 0, OPT_NONE,
			  BODY_503("9"))),
	 CNT(SG_DP_EV_SESS_TIMEOUT, SG_DP_EV_SESS_TMO_HOLD, SG_DP_EV_RELEASED)},
};

static const struct step resync_steps[] = {
	OPEN(40004),
	{"SESSION_RESYNC: the waiting session is sent again", IN_CTL, 10,
	 .ctl = {SG_MSG_SESSION_RESYNC, SID_NONE}, .verdict = V_CTL,
	 .new = {IPPROTO_TCP, 40004, 80, "app.example", REQ_LEN},
	 CNT(SG_DP_EV_CTL_MSG, SG_DP_EV_SESS_SENT)},
	{"once", IN_POLL, 20, .verdict = V_NONE},
};

static const struct step udp_steps[] = {
	{"first datagram: held, SESSION_NEW", IN_PKT, 0, 0, C_DGRAM(5000, "first"),
	 .verdict = V_HELD | V_CTL, .new = {IPPROTO_UDP, 5000, 53, NULL, 5},
	 CNT(SG_DP_EV_FLOW_NEW, SG_DP_EV_SESS_NEW, SG_DP_EV_SESS_SENT, SG_DP_EV_HELD), .flows = 1},
	{"second datagram: held in order, no second session", IN_PKT, 0, 0, C_DGRAM(5000, "second"),
	 .verdict = V_HELD, CNT(SG_DP_EV_HELD)},
	{"install NAT: both flushed to the VM", IN_CTL, 0,
	 .ctl = {SG_MSG_SESSION_INSTALL, SID_SESSION, SG_MSG_INSTALL_NAT, 5353}, .verdict = V_TX,
	 OUT2(1, DGRAM_TO_VM("first"), 1, DGRAM_TO_VM("second")),
	 CNT(SG_DP_EV_CTL_MSG, SG_DP_EV_RELEASED, SG_DP_EV_RELEASED, SG_DP_EV_SESS_INSTALLED)},
	{"the VM's answer: NATed back to the client", IN_PKT, 0, 1, VM_DGRAM("answer"),
	 .verdict = V_TX, OUT1(0, DGRAM_TO_C(5000, "answer"))},
};

static const struct step udp_reject_steps[] = {
	{"datagram: held, SESSION_NEW", IN_PKT, 0, 0, C_DGRAM(5001, "q"), .verdict = V_HELD | V_CTL,
	 .new = {IPPROTO_UDP, 5001, 53, NULL, 1},
	 CNT(SG_DP_EV_FLOW_NEW, SG_DP_EV_SESS_NEW, SG_DP_EV_SESS_SENT, SG_DP_EV_HELD), .flows = 1},
	{"reject: the held datagram dropped", IN_CTL, 0,
	 .ctl = {SG_MSG_SESSION_REJECT, SID_SESSION, .reason = SG_MSG_REASON_NO_APP},
	 .verdict = V_DROP,
	 CNT(SG_DP_EV_CTL_MSG, SG_DP_EV_SESS_REJECTED, SG_DP_EV_RELEASED, SG_DP_DROP_BROKERED)},
	{"the next datagram: dropped too", IN_PKT, 0, 0, C_DGRAM(5001, "q2"), .verdict = V_DROP,
	 CNT(SG_DP_DROP_BROKERED)},
};

static const struct step bad_ring_steps[] = {
	{"garbage", IN_CTL, 0, .ctl = {0, SID_GARBAGE}, .verdict = V_NONE,
	 CNT(SG_DP_EV_CTL_MSG, SG_DP_EV_CTL_MSG_BAD)},
	{"an install for a session that never was", IN_CTL, 0,
	 .ctl = {SG_MSG_SESSION_INSTALL, SID_UNKNOWN, SG_MSG_INSTALL_NAT, 80}, .verdict = V_NONE,
	 CNT(SG_DP_EV_CTL_MSG, SG_DP_EV_CTL_MSG_BAD)},
};

#define SCENARIO(name, isn, vm, t, s)           \
	{                                       \
		name, isn, vm, t, s, RTE_DIM(s) \
	}
static const struct scenario nat_handoff =
	SCENARIO("NAT hand-off, ISNs below 2^32", 0xfffffff0u, 0xfffffffau, 10, nat_steps);
static const struct scenario dsr_handoff =
	SCENARIO("DSR hand-off", 0x7ffffff0u, 0xfffffff8u, 20, dsr_steps);
static const struct scenario reject_503 = SCENARIO("reject: 503", 1000, 0, 20, reject_steps);
static const struct scenario vm_rst =
	SCENARIO("VM RST while connecting", 3000, 0, 25, vm_rst_steps);
static const struct scenario hold_timeout = SCENARIO("hold timeout", 5000, 0, 30, timeout_steps);
static const struct scenario resync = SCENARIO("resync", 7000, 0, 70, resync_steps);
static const struct scenario udp_flushed = SCENARIO("UDP held then flushed", 0, 0, 80, udp_steps);
static const struct scenario udp_reject = SCENARIO("UDP reject", 0, 0, 90, udp_reject_steps);
static const struct scenario bad_ring = SCENARIO("bad ring messages", 0, 0, 50, bad_ring_steps);

/* ---- environment ---- */

static struct sg_dp_syncookie_secret cookies;
static struct rte_ring *to_ctl, *from_ctl;
static bool ctl_up = true;

static int
setup(void **state)
{
	static const uint8_t key1[16] = "sessiongate-ut-1", key2[16] = "sessiongate-ut-2";
	struct cfg_store *cs;

	(void)state;
	if (env_setup(1, 1024) != 0)
		return -1;
	cs = cfg_new();
	cs->vs[VS_BROKERED].brokered.key = SG_CFG_L7_HTTP_HOST;
	cs->vs[VS_BROKERED].brokered.hold_timeout_ms = 30000;
	cs->vs[VS_BROKERED].brokered.retry_after_s = 9;
	cs->vs[VS_BROKERED].brokered.hold_bytes = HOLD;
	cs->vs[VS_NAT_UDP].mode = SG_CFG_MODE_BROKERED; /* 198.18.10.2:53 udp */
	if (env_rebuild(cs) != 0)
		return -1;
	/* fixed test keys: the expected cookies are computed with them */
	if (sg_dp_syncookie_init(&cookies) != 0)
		return -1;
	sg_dp_syncookie_rotate(&cookies, key1);
	sg_dp_syncookie_rotate(&cookies, key2);
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

/* ---- the step runner ---- */

/* What a scenario learns on its way: the session ID, the NAT port, the cookie. */
struct ctx {
	const struct scenario *sc;
	uint64_t sid;
	uint64_t token; /* of the DSR hand-off: learned from its SYN's meta */
	uint16_t nat_port;
	uint32_t cookie;
	uint16_t cookie_mss;
};

struct outs {
	unsigned int n;
	int port[8];
	uint8_t pkt[8][PKT_MAX];
	size_t len[8];
};

static uint64_t
at(const struct ctx *c, uint32_t ms)
{
	return now_s(c->sc->start_s) + rte_get_tsc_hz() / 1000 * ms;
}

static uint32_t
num(const struct ctx *c, struct num n)
{
	switch (n.base) {
	case N_CISN:
		return c->sc->isn + n.off;
	case N_COOKIE:
		return c->cookie + n.off;
	case N_VMISN:
		return c->sc->vm_isn + n.off;
	default: /* N_ABS */
		return n.off;
	}
}

static void
put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static size_t
meta_bytes(uint8_t *b, const struct ctx *c)
{
	struct sg_handoff_meta m;

	memset(&m, 0, sizeof(m));
	m.magic = htonl(SG_HANDOFF_META_MAGIC);
	m.version = SG_HANDOFF_VERSION;
	m.lb_wscale = 7;
	m.family = 4;
	m.sid = c->sid;
	m.lb_isn = htonl(c->cookie);
	m.held_end = htonl(c->sc->isn + 1 + REQ_LEN);
	m.vm_port = htons(VMPORT);
	inet_pton(AF_INET, ep_addr[EP_VM], m.vm_addr);
	m.token = c->token;
	memcpy(b, &m, sizeof(m));
	return sizeof(m);
}

/* The IP packet of @p d at @p ip. */
static size_t
ip_of(uint8_t *ip, const struct pkt *d, const struct ctx *c)
{
	uint16_t sport = d->src == EP_NAT ? c->nat_port : d->sport;
	uint16_t dport = d->dst == EP_NAT ? c->nat_port : d->dport;
	uint8_t opt[4] = {2, 4, 0, 0}, payload[PKT_MAX];
	size_t ol = d->opt == OPT_NONE ? 0 : 4, l4, dl = 0;
	/* MTU less IP, TCP and the DSR hand-off's outer IPv4 header */
	uint16_t mss = d->opt == OPT_MSS_MTU ? 1440 : c->cookie_mss;

	if (d->meta)
		dl = meta_bytes(payload, c);
	else if (d->data)
		for (dl = 0; d->data[dl] != '\0'; dl++) /* the text without its NUL */
			payload[dl] = (uint8_t)d->data[dl];
	l4 = d->proto == IPPROTO_UDP ? 8 : 20 + ol;
	pb_put_ip4(ip, ep_addr[d->src], ep_addr[d->dst], d->proto ? d->proto : IPPROTO_TCP,
		   (uint8_t)((d->gen ? SG_DP_TCPGEN_TTL : 64) - d->fwd), (uint16_t)(l4 + dl));
	if (d->gen) {
		ip[6] = 0x40; /* DF */
		pb_fix_ip4_csum(ip);
	}
	if (d->proto == IPPROTO_UDP) {
		pb_put_udp(ip + 20, sport, dport, (uint16_t)(l4 + dl));
	} else {
		pb_put_tcp(ip + 20, sport, dport, d->flags);
		put32(ip + 24, num(c, d->seq));
		put32(ip + 28, num(c, d->ack));
		ip[32] = (uint8_t)((l4 / 4) << 4);
		if (d->gen) {
			ip[34] = (uint8_t)(d->win >> 8);
			ip[35] = (uint8_t)d->win;
		}
		opt[2] = (uint8_t)(mss >> 8);
		opt[3] = (uint8_t)mss;
		memcpy(ip + 40, opt, ol);
	}
	memcpy(ip + 20 + l4, payload, dl);
	pb_fix_l4_csum(ip);
	return 20 + l4 + dl;
}

/* The frame of @p d at @p b. */
static size_t
frame_of(uint8_t *b, const struct pkt *d, const struct ctx *c)
{
	uint8_t ip[PKT_MAX], bounce[PKT_MAX];
	size_t n = ip_of(ip, d, c), len;

	if (d->tun == TUN_IPIP) {
		const struct pb_tunnel t = {ep_addr[EP_APPLIANCE], ep_addr[EP_VM]};

		return pb_frame_tunnel(b, &l2_of[d->l2], &t, ip, n);
	}
	if (d->tun == TUN_BOUNCE) {
		/* UDP to the hand-off port, no checksum (as the host's eBPF program sends) */
		struct sg_handoff_bounce bh = {.magic = htonl(SG_HANDOFF_BOUNCE_MAGIC),
					       .version = SG_HANDOFF_VERSION,
					       .sid = c->sid,
					       .token = d->bad_token ? ~c->token : c->token};

		memcpy(bounce, &bh, sizeof(bh));
		memcpy(bounce + sizeof(bh), ip, n);
		len = pb_put_l2(b, &l2_of[d->l2], 0x0800);
		len += pb_ip_udp(b + len, ep_addr[d->bouncer], ep_addr[EP_APPLIANCE], 49152,
				 SG_HANDOFF_PORT, bounce, sizeof(bh) + n);
		memset(b + 14 + 20 + 6, 0, 2);
		return len;
	}
	return pb_frame_ip(b, &l2_of[d->l2], ip, n);
}

static void
ctl_msg_of(struct sg_msg *m, const struct ctl *d, const struct ctx *c)
{
	static const uint16_t body[] = {
		[SG_MSG_SESSION_INSTALL] = sizeof(m->install),
		[SG_MSG_SESSION_REJECT] = sizeof(m->reject),
	};

	memset(m, 0, sizeof(*m));
	if (d->sid == SID_GARBAGE) {
		memset(m, 0xff, sizeof(*m));
		return;
	}
	m->hdr.version = SG_MSG_VERSION;
	m->hdr.type = d->type;
	m->hdr.len = (uint16_t)(sizeof(m->hdr) + (d->type < RTE_DIM(body) ? body[d->type] : 0));
	m->hdr.session_id = d->sid == SID_SESSION   ? c->sid
			    : d->sid == SID_UNKNOWN ? 0x8100000000000001ull
						    : 0;
	if (d->type == SG_MSG_SESSION_INSTALL) {
		m->install.mode = d->mode;
		m->install.family = 4;
		m->install.backend_port = d->port;
		if (d->sid != SID_UNKNOWN)
			inet_pton(AF_INET, ep_addr[EP_VM], m->install.backend_addr);
		if (d->host)
			inet_pton(AF_INET, ep_addr[EP_VM], m->install.host_addr);
	} else if (d->type == SG_MSG_SESSION_REJECT) {
		m->reject.reason = d->reason;
		m->reject.retry_after = d->retry_after;
	}
}

static void
collect(struct sg_dp_txq *q, struct outs *o)
{
	unsigned int p, i;

	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		for (i = 0; i < q->n[p]; i++) {
			struct rte_mbuf *m = q->pkts[p][i];

			assert_true(o->n < RTE_DIM(o->port));
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

/* A client SYN: the cookie and MSS the data plane will use, with the same keys. */
static void
learn_cookie(struct ctx *c, const uint8_t *b, size_t len, uint64_t now)
{
	struct rte_mbuf *m = mbuf_from(b, len);
	struct sg_dp_tcp_opts none;
	struct sg_dp_pkt p;
	uint32_t tsval;

	assert_int_equal(sg_dp_pkt_parse(m, &p), SG_DP_CNT_MAX);
	memset(&none, 0, sizeof(none));
	c->cookie = sg_dp_syncookie_make(&cookies, &p.key, c->sc->isn,
					 (uint32_t)(now / rte_get_tsc_hz()), &none, &c->cookie_mss,
					 &tsval);
	rte_pktmbuf_free(m);
}

/* Run the input of @p s; the outputs go to @p o. */
static void
run_input(struct ctx *c, const struct step *s, struct outs *o)
{
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	uint64_t now = at(c, s->t_ms);
	uint8_t b[PKT_MAX];
	struct sg_msg m;
	unsigned int k;

	assert_non_null(q);
	memset(o, 0, sizeof(*o));
	switch (s->in) {
	case IN_PKT: {
		size_t len = frame_of(b, &s->pkt, c);
		struct rte_mbuf *mb;

		if (s->pkt.flags == SYN && s->pkt.dst == EP_VIP)
			learn_cookie(c, b, len, now);
		mb = mbuf_from(b, len);
		sg_dp_worker_process(env.w[0], env.t, s->port, &mb, 1, q, now);
		break;
	}
	case IN_CTL:
		ctl_msg_of(&m, &s->ctl, c);
		assert_int_equal(rte_ring_enqueue_elem(from_ctl, &m, SG_MSG_SIZE), 0);
		sg_dp_worker_poll_control(env.w[0], env.t, q, now);
		break;
	case IN_POLL:
		sg_dp_worker_poll_control(env.w[0], env.t, q, now);
		break;
	default: /* IN_POLL_UNTIL: the scan visits 64 slots per poll: a few polls */
		for (k = 0; k < 4 && o->n == 0; k++) {
			sg_dp_worker_poll_control(env.w[0], env.t, q,
						  now + k * rte_get_tsc_hz() / 500);
			collect(q, o);
		}
		break;
	}
	collect(q, o);
	free(q);
}

/* The SESSION_NEW on the ring, or none. */
static void
check_to_ctl(struct ctx *c, const struct want_new *w)
{
	struct sg_msg m;

	if (w->proto == 0) {
		assert_int_equal(rte_ring_count(to_ctl), 0);
		return;
	}
	assert_int_equal(rte_ring_dequeue_elem(to_ctl, &m, SG_MSG_SIZE), 0);
	assert_int_equal(rte_ring_count(to_ctl), 0); /* one message, one session */
	assert_int_equal(sg_msg_check(&m, SG_MSG_SIZE), 0);
	assert_int_equal(m.hdr.type, SG_MSG_SESSION_NEW);
	assert_int_equal(m.hdr.session_id >> SG_ID_TYPE_SHIFT, SG_ID_T_STREAMING);
	if (c->sid != 0)
		assert_true(m.hdr.session_id == c->sid); /* the same session again */
	c->sid = m.hdr.session_id;
	assert_int_equal(m.session_new.flow.proto, w->proto);
	assert_int_equal(m.session_new.flow.sport, w->sport);
	assert_int_equal(m.session_new.flow.dport, w->dport);
	assert_int_equal(m.session_new.held_bytes, w->held_bytes);
	if (w->key != NULL) {
		assert_int_equal(m.session_new.key_type, SG_MSG_L7_HTTP_HOST);
		assert_int_equal(m.session_new.key_len, strlen(w->key));
		assert_memory_equal(m.session_new.key, w->key, strlen(w->key));
	}
}

/* The verdict agrees with the rest of the step's expectations. */
static void
check_verdict(const struct step *s)
{
	bool drop = false, held = false;
	unsigned int i;

	for (i = 0; i < s->n_cnt; i++) {
		drop |= s->cnt[i] < SG_DP_DROP_END;
		held |= s->cnt[i] == SG_DP_EV_HELD;
	}
	assert_int_equal(!!(s->verdict & V_TX), s->n_out > 0);
	assert_int_equal(!!(s->verdict & V_HELD), held);
	assert_int_equal(!!(s->verdict & V_DROP), drop);
	assert_int_equal(!!(s->verdict & V_CTL), s->new.proto != 0);
	assert_int_equal(!!(s->verdict & V_NONE), s->verdict == V_NONE);
}

static void
run_step(struct ctx *c, const struct step *s)
{
	struct sg_dp_stats *before = calloc(1, sizeof(*before));
	uint32_t flows = sg_dp_worker_flow_count(env.w[0]);
	struct outs *o = calloc(1, sizeof(*o));
	uint8_t want[PKT_MAX];
	unsigned int i;

	assert_non_null(before);
	assert_non_null(o);
	print_message("  %s: %s\n", c->sc->name, s->what);
	check_verdict(s);
	memcpy(before, sg_dp_worker_stats(env.w[0]), sizeof(*before));
	run_input(c, s, o);
	if (o->n != s->n_out) {
		for (i = 0; i < o->n; i++) {
			print_error("output %u on port %d:", i, o->port[i]);
			pb_hexdump(stderr, "", o->pkt[i], o->len[i]);
		}
		fail_msg("%u frames out, expected %u", o->n, s->n_out);
	}
	for (i = 0; i < o->n; i++) {
		const struct pkt *d = &s->out[i].pkt;

		assert_int_equal(o->port[i], s->out[i].port);
		if (c->nat_port == 0 && (d->src == EP_NAT || d->dst == EP_NAT)) {
			/* the NAT port the data plane chose: at the source port's place */
			uint16_t np;

			memcpy(&np, o->pkt[i] + 14 + 20 + (d->src == EP_NAT ? 0 : 2), 2);
			c->nat_port = ntohs(np);
			assert_true(c->nat_port >= 1024);
		}
		if (d->meta && c->token == 0) {
			/* the token the data plane drew: the meta's last field */
			assert_true(o->len[i] > sizeof(struct sg_handoff_meta));
			memcpy(&c->token, o->pkt[i] + o->len[i] - sizeof(c->token),
			       sizeof(c->token));
			assert_true(c->token != 0);
		}
		assert_bytes(o->pkt[i], o->len[i], want, frame_of(want, d, c));
	}
	check_to_ctl(c, &s->new);
	assert_stats_delta(before, sg_dp_worker_stats(env.w[0]), s->cnt, s->n_cnt);
	assert_int_equal((int)(sg_dp_worker_flow_count(env.w[0]) - flows), s->flows);
	free(o);
	free(before);
}

static void
run_scenario(const struct scenario *sc)
{
	struct ctx c = {.sc = sc};
	unsigned int i;

	for (i = 0; i < sc->n; i++)
		run_step(&c, &sc->steps[i]);
}

static void
test_nat_handoff_wraps(void **state)
{
	(void)state;
	run_scenario(&nat_handoff);
}

static void
test_dsr_handoff(void **state)
{
	(void)state;
	run_scenario(&dsr_handoff);
}

static void
test_reject_503(void **state)
{
	(void)state;
	run_scenario(&reject_503);
}

static void
test_vm_rst(void **state)
{
	(void)state;
	run_scenario(&vm_rst);
}

static void
test_hold_timeout(void **state)
{
	(void)state;
	run_scenario(&hold_timeout);
}

static void
test_resync(void **state)
{
	(void)state;
	run_scenario(&resync);
}

static void
test_udp_held_then_flushed(void **state)
{
	(void)state;
	run_scenario(&udp_flushed);
}

static void
test_udp_reject_drops(void **state)
{
	(void)state;
	run_scenario(&udp_reject);
}

static void
test_bad_ring_messages(void **state)
{
	(void)state;
	run_scenario(&bad_ring);
}

/* ACKs whose cookie does not check open nothing: one step each, its drop computed. */
static void
test_forged_cookie(void **state)
{
	static const struct scenario sc = {"forged cookie", 0, 0, 40, NULL, 0};
	struct ctx c = {.sc = &sc};
	uint32_t k;

	(void)state;
	for (k = 0; k < 64; k++) {
		struct step s = {"ACK with a forged cookie: dropped",
				 IN_PKT,
				 0,
				 0,
				 C_SEG((uint16_t)(41000 + k), ACK, ABS(77 + k),
				       ABS(0x12345678u * (k + 1)), REQUEST),
				 .verdict = V_DROP,
				 .n_cnt = 1};
		struct sg_dp_tcp_opts o;
		uint8_t b[PKT_MAX];
		struct rte_mbuf *m;
		struct sg_dp_pkt p;

		/* a forged counter reads as expired, a forged MAC as bad */
		m = mbuf_from(b, frame_of(b, &s.pkt, &c));
		assert_int_equal(sg_dp_pkt_parse(m, &p), SG_DP_CNT_MAX);
		s.cnt[0] = sg_dp_syncookie_check(&cookies, &p.key, 0x12345678u * (k + 1), 77 + k,
						 (uint32_t)(at(&c, 0) / rte_get_tsc_hz()), false, 0,
						 &o) == -ETIMEDOUT
				   ? SG_DP_DROP_COOKIE_OLD
				   : SG_DP_DROP_COOKIE_BAD;
		rte_pktmbuf_free(m);
		run_step(&c, &s);
	}
}

/* A client -> VIP:80 frame with a timestamp option (NOP, NOP, TS) and @p data. */
static size_t
ts_frame(uint8_t *b, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t tsval, uint32_t tsecr,
	 const char *data)
{
	static const uint8_t ts_opt[4] = {1, 1, 8, 10};
	size_t dl = data != NULL ? strlen(data) : 0, n = pb_put_l2(b, &l2_of[L_GW_IN], 0x0800);
	uint8_t *ip = b + n;

	pb_put_ip4(ip, ep_addr[EP_CLIENT], ep_addr[EP_VIP], IPPROTO_TCP, 64, (uint16_t)(32 + dl));
	pb_put_tcp(ip + 20, 40077, 80, flags);
	put32(ip + 24, seq);
	put32(ip + 28, ack);
	ip[32] = 8 << 4; /* 32 bytes: 12 of options */
	memcpy(ip + 40, ts_opt, sizeof(ts_opt));
	put32(ip + 44, tsval);
	put32(ip + 48, tsecr);
	memcpy(ip + 52, data != NULL ? data : "", dl);
	pb_fix_l4_csum(ip);
	return n + 52 + dl;
}

/* Feed one frame on port 0 (or, @p b NULL, poll the ring from sg-control); the one output. */
static void
ts_step(const struct ctx *c, const uint8_t *b, size_t len, uint32_t ms, struct outs *o,
	struct sg_dp_tcp_opts *opts)
{
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	struct rte_mbuf *m;

	assert_non_null(q);
	memset(o, 0, sizeof(*o));
	if (b != NULL) {
		m = mbuf_from(b, len);
		sg_dp_worker_process(env.w[0], env.t, 0, &m, 1, q, at(c, ms));
	} else {
		sg_dp_worker_poll_control(env.w[0], env.t, q, at(c, ms));
	}
	collect(q, o);
	free(q);
	if (opts == NULL)
		return;
	assert_int_equal(o->n, 1);
	m = mbuf_from(o->pkt[0], o->len[0]);
	assert_int_equal(sg_dp_tcpopt_parse_mbuf(m, 14 + 20, opts), 0);
	rte_pktmbuf_free(m);
}

/*
 * The SYN to the VM carries the TSval of the client's cookie ACK, not a later
 * one: a client whose hold is full probes the zero window with newer TSvals
 * while its VM boots, and the held segments replayed after the SYN keep
 * their older ones (a VM's PAWS check drops segments older than its SYN).
 */
static void
test_syn_tsval_of_handshake(void **state)
{
	static const struct scenario sc = {"SYN TSval", 0x10000000, 0, 50, NULL, 0};
	struct ctx c = {.sc = &sc};
	struct sg_dp_tcp_opts o;
	struct outs *out = calloc(1, sizeof(*out));
	uint8_t b[PKT_MAX];
	uint32_t cookie, ours;
	struct sg_msg m;

	(void)state;
	assert_non_null(out);
	memset(&m, 0, sizeof(m));
	ts_step(&c, b, ts_frame(b, SYN, sc.isn, 0, 1000, 0, NULL), 0, out, &o);
	memcpy(&cookie, out->pkt[0] + 14 + 24, 4);
	cookie = ntohl(cookie);
	ours = o.tsval;
	assert_true(o.has_ts);
	ts_step(&c, b, ts_frame(b, ACK | PSH, sc.isn + 1, cookie + 1, 1001, ours, REQUEST), 1, out,
		NULL);
	assert_int_equal(rte_ring_dequeue_elem(to_ctl, &m, SG_MSG_SIZE), 0);
	assert_int_equal(m.hdr.type, SG_MSG_SESSION_NEW);
	c.sid = m.hdr.session_id;
	/* the VM boots; the client probes (or retransmits) with a later TSval */
	ts_step(&c, b, ts_frame(b, ACK, sc.isn + 1 + REQ_LEN, cookie + 1, 1500, ours, NULL), 500,
		out, NULL);
	ctl_msg_of(&m,
		   &(struct ctl){SG_MSG_SESSION_INSTALL, SID_SESSION, SG_MSG_INSTALL_NAT, VMPORT},
		   &c);
	assert_int_equal(rte_ring_enqueue_elem(from_ctl, &m, SG_MSG_SIZE), 0);
	ts_step(&c, NULL, 0, 600, out, &o);
	assert_int_equal(out->pkt[0][14 + 33] & 0x3f, SYN); /* the SYN to the VM */
	assert_true(o.has_ts);
	assert_int_equal(o.tsval, 1001);
	free(out);
}

/*
 * The NAT hand-off's SYN from its template (session/vmsyn.c) is the SYN the
 * general builder makes, byte for byte with its mbuf metadata, for 4 000
 * SYNs: IPv4 and IPv6, two VMs, two NAT addresses, two MAC pairs, every
 * option layout, random ports, ISNs, MSS, TSvals, window scales; most of
 * them in runs to the same VM with the same layout, so most are patched
 * from the template (counted: the template stays as it was).
 */
static uint32_t
lcg(uint32_t *x)
{
	*x = *x * 1664525u + 1013904223u;
	return *x >> 8;
}

static void
test_vmsyn_template(void **state)
{
	static const char *const v4[2][2] = {{"198.18.1.100", "198.18.1.11"},
					     {"198.18.1.101", "198.18.1.12"}};
	static const char *const v6[2][2] = {{"2001:2:0:1::100", "2001:2:0:1::11"},
					     {"2001:2:0:1::101", "2001:2:0:1::12"}};
	static struct sg_dp_vmsyn t;
	struct rte_ether_addr mac[2][2];
	struct sg_dp_flow_key k;
	struct sg_dp_tcp_opts o;
	unsigned int i, patched = 0, addr = 0, layout = 0, fam = 0, pair = 0;
	uint32_t x = 17;

	(void)state;
	memset(&t, 0, sizeof(t));
	pb_mac_parse(MAC_PORT1, mac[0][0].addr_bytes);
	pb_mac_parse(MAC_HOST1, mac[0][1].addr_bytes);
	pb_mac_parse(MAC_PORT0, mac[1][0].addr_bytes);
	pb_mac_parse(MAC_HOST2, mac[1][1].addr_bytes);
	for (i = 0; i < 4000; i++) {
		struct rte_mbuf *a = rte_pktmbuf_alloc(env.mp), *b = rte_pktmbuf_alloc(env.mp);
		uint8_t before[SG_DP_VMSYN_MAX], f;
		uint16_t win = lcg(&x) % 16 == 0 ? 1024 : 65535;

		assert_non_null(a);
		assert_non_null(b);
		if (lcg(&x) % 8 == 0) /* a new run: another VM, NAT address, MACs, layout */
			addr = lcg(&x) % 2, layout = lcg(&x) % 32, fam = lcg(&x) % 2,
			pair = lcg(&x) % 2;
		memset(&k, 0, sizeof(k));
		k.proto = IPPROTO_TCP;
		pb_ip_parse(fam ? v6[addr][0] : v4[addr][0], k.src, &f);
		pb_ip_parse(fam ? v6[addr][1] : v4[addr][1], k.dst, &f);
		k.family = f;
		k.sport = (uint16_t)lcg(&x);
		k.dport = htons(addr ? 8080 : 80);
		memset(&o, 0, sizeof(o));
		o.mss = (layout & 1) ? (uint16_t)(536 + lcg(&x) % 9000) : 0;
		o.has_ts = (layout & 2) != 0;
		o.sack_ok = (layout & 4) != 0;
		o.has_wscale = (layout & 8) != 0;
		o.wscale = (uint8_t)(lcg(&x) % 15);
		o.tsval = lcg(&x) << 8 | lcg(&x) % 256;
		o.tsecr = lcg(&x); /* a SYN carries TSecr 0 whatever is given */
		memcpy(before, t.frame, sizeof(before));
		assert_int_equal(sg_dp_vmsyn_build(&t, a, &mac[pair][0], &mac[pair][1], &k,
						   lcg(&x) << 8 | lcg(&x) % 256, win,
						   (layout & 16) ? NULL : &o),
				 0);
		if (i > 0 && memcmp(before, t.frame, sizeof(before)) == 0)
			patched++;
		assert_int_equal(sg_dp_tcpgen_syn(b, &mac[pair][0], &mac[pair][1], &k,
						  rte_be_to_cpu_32(rte_pktmbuf_mtod_offset(
									   a, struct rte_tcp_hdr *,
									   a->l2_len + a->l3_len)
									   ->sent_seq),
						  win, (layout & 16) ? NULL : &o),
				 0);
		assert_bytes(rte_pktmbuf_mtod(a, uint8_t *), rte_pktmbuf_data_len(a),
			     rte_pktmbuf_mtod(b, uint8_t *), rte_pktmbuf_data_len(b));
		assert_int_equal(a->pkt_len, b->pkt_len);
		assert_int_equal(a->l2_len, b->l2_len);
		assert_int_equal(a->l3_len, b->l3_len);
		assert_int_equal(a->l4_len, b->l4_len);
		assert_int_equal(a->ol_flags, b->ol_flags);
		assert_int_equal(pb_check_csums(rte_pktmbuf_mtod_offset(a, uint8_t *, 14)), 0);
		rte_pktmbuf_free(a);
		rte_pktmbuf_free(b);
	}
	assert_true(patched > 2800); /* about 7 in 8 */
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nat_handoff_wraps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsr_handoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_503, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_held_then_flushed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_reject_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_cookie, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ring_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_tsval_of_handshake, setup, teardown),
		cmocka_unit_test(test_vmsyn_template),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
