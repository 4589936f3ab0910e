/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Messages from sg-control: SESSION_INSTALL (NAT, DSR, redirect),
 * SESSION_REJECT, SESSION_RESYNC, SESSION_AUDIT (audit.c) and SESSION_ABORT
 * (abort.c).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "core/addr.h"
#include "core/health.h"
#include "core/tx.h"
#include "session/abort.h"
#include "session/answer.h"
#include "session/ctl.h"
#include "session/handoff.h"
#include "session/tcpgen.h"
#include "session/slots.h"

/* "HTTP/1.1 307" to http://VM:port/path (the path the client asked for when known). */
static int
redirect_body(char *body, size_t cap, const struct sg_msg_session_install *in,
	      const struct br_sess *s)
{
	char loc[SG_MSG_KEY_MAX + 80], host[INET6_ADDRSTRLEN];
	int n;

	uint8_t fam = sg_dp_family_from_wire(in->family); /* AF_* for inet_ntop() */

	if (inet_ntop(fam, in->backend_addr, host, sizeof(host)) == NULL)
		return -1;
	n = snprintf(loc, sizeof(loc), fam == AF_INET ? "http://%s:%u%.*s" : "http://[%s]:%u%.*s",
		     host, in->backend_port ? in->backend_port : 80,
		     s->key_type == SG_MSG_L7_HTTP_PATH ? (int)s->key_len : 1,
		     s->key_type == SG_MSG_L7_HTTP_PATH ? (const char *)s->key : "/");
	if (n <= 0 || (size_t)n >= sizeof(loc))
		return -1;
	return (int)sg_dp_http_307(body, cap, loc, (size_t)n);
}

void
sg_dp_broker_ctl_msg(struct sg_dp_worker *w, const struct sg_dp_tables *t, const struct sg_msg *m,
		     struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	struct sg_dp_flow *f = NULL;
	struct br_sess *s;
	uint32_t i;

	w->stats.cnt[SG_DP_EV_CTL_MSG]++;
	if (sg_msg_check(m, SG_MSG_SIZE) != 0) {
		w->stats.cnt[SG_DP_EV_CTL_MSG_BAD]++;
		return;
	}
	if (m->hdr.type == SG_MSG_MEMBER_STATE) { /* applied by the main lcore (core/health.h) */
		sg_dp_health_mbox_put(w, &m->member_state);
		return;
	}
	if (m->hdr.type == SG_MSG_SESSION_RESYNC) {
		for (i = 0; i < b->cap; i++) {
			if (b->s[i].state == BR_SENT) {
				b->s[i].state = BR_HELD; /* re-sent by the scan */
				b->s[i].next_try = 0;
			}
		}
		return;
	}
	if (m->hdr.type == SG_MSG_SESSION_AUDIT) {
		sg_dp_broker_audit_start(w, m->audit.token);
		return;
	}
	if (m->hdr.type == SG_MSG_SESSION_ABORT) {
		sg_dp_broker_abort(w, t, m, out, now);
		return;
	}
	s = sg_dp_broker_sess_by_id(w, m->hdr.session_id, &f);
	if (s == NULL || (s->state != BR_SENT && s->state != BR_HELD)) {
		w->stats.cnt[SG_DP_EV_CTL_MSG_BAD]++; /* gone meanwhile, or a duplicate */
		return;
	}
	if (m->hdr.type == SG_MSG_SESSION_REJECT) {
		sg_dp_broker_answer_refuse(w, f, s, out, &m->reject);
		w->stats.cnt[SG_DP_EV_SESS_REJECTED]++;
		sg_dp_broker_sess_release(w, f);
		return;
	}
	if (m->hdr.type != SG_MSG_SESSION_INSTALL) {
		w->stats.cnt[SG_DP_EV_CTL_MSG_BAD]++;
		return;
	}
	if (m->install.mode == SG_MSG_INSTALL_REDIRECT && f->key.proto == IPPROTO_TCP) {
		struct sg_dp_hold_seg seg;
		struct sg_dp_pkt p;
		char body[BR_ANSWER_MAX];
		int len;

		/* usage: the held request in, the 307 out */
		sg_dp_acct_start(w, f, &m->install, false, 0, now);
		sg_dp_acct_add(w, f, 0, s->hold.n, s->hold.bytes);
		if (sg_dp_hold_pop(&s->hold, &seg) != 0) {
			w->stats.cnt[SG_DP_EV_CTL_MSG_BAD]++;
			return;
		}
		w->stats.cnt[SG_DP_EV_RELEASED]++;
		len = redirect_body(body, sizeof(body), &m->install, s);
		if (len <= 0 || sg_dp_pkt_parse(seg.m, &p) != SG_DP_CNT_MAX) {
			sg_dp_pkt_drop(w, s->client_port, seg.m, SG_DP_DROP_BROKERED);
			return;
		}
		sg_dp_broker_answer(w, s->client_port, seg.m, &p, ANS_DATA_FIN, s->our_isn + 1,
				    s->hold.next_seq, 0, body, (uint16_t)len, out);
		sg_dp_acct_add(w, f, 1, 1, (uint32_t)len);
		f->state = SG_DP_FS_ANSWERED;
		f->seq_s2c = s->our_isn + 1 + (uint32_t)len + 1;
		w->stats.cnt[SG_DP_EV_SESS_REDIRECTED]++;
		b->vsc[s->vs_slot].installed++;
		sg_dp_broker_sess_release(w, f);
		return;
	}
	if (m->install.mode == SG_MSG_INSTALL_NAT || m->install.mode == SG_MSG_INSTALL_DSR) {
		bool nat = m->install.mode == SG_MSG_INSTALL_NAT;
		int rc;

		/* usage from the INSTALL on (DSR: s2c from the client's ACKs of our ISN on) */
		sg_dp_acct_start(w, f, &m->install, !nat, s->our_isn + 1, now);
		rc = nat ? sg_dp_broker_install_nat(w, t, f, s, &m->install, out, now)
			 : sg_dp_broker_install_dsr(w, t, f, s, &m->install, out, now);
		if (rc == 0) {
			b->vsc[s->vs_slot].installed++;
		} else {
			sg_dp_acct_end(w, f); /* never installed: its CLOSED carries zeros */
			/* no NAT port or address; no DSR for UDP, or no host address */
			w->stats.cnt[SG_DP_EV_INSTALL_FAILED]++;
			sg_dp_broker_answer_reject(w, f, s, out, s->retry_after);
			w->stats.cnt[SG_DP_EV_SESS_REJECTED]++;
			sg_dp_broker_sess_release(w, f);
		}
		return;
	}
	/* redirect of a UDP session: nothing to answer it with */
	w->stats.cnt[SG_DP_EV_INSTALL_FAILED]++;
	sg_dp_broker_answer_reject(w, f, s, out, s->retry_after);
	w->stats.cnt[SG_DP_EV_SESS_REJECTED]++;
	sg_dp_broker_sess_release(w, f);
}
