/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session audit (audit.h). Tokens come from the table's audit_seq: a
 * session allocated after an audit was sent carries a stamp (audit_born)
 * not older than its token and is never judged by it (its SESSION_NEW may
 * have crossed the audit). Every SESSION_ALIVE of the current token marks
 * the sessions it lists (audit_seen); the last one sweeps the worker's
 * sessions: born before the audit and not seen means the data plane no
 * longer has them. Messages of a superseded token are ignored. The first
 * token of a process is drawn from the clock (ctl.c), so an answer left on
 * a ring by a killed predecessor's audit does not match this one's.
 */
#include <string.h>
#include <syslog.h>

#include "audit.h"
#include "broker.h"
#include "cs.h"
#include "shm.h"

void
sg_ctl_audit_start(struct sg_ctl_audit *a)
{
	uint64_t epoch, hb;
	uint32_t workers, pending, w;
	bool alive;
	struct sg_msg m;

	a->last_ns = a->clk->now_ns;
	sg_ctl_shm_status(a->shm, &epoch, &workers, &hb, &alive, &pending);
	for (w = 0; w < workers && w < SG_CTL_AUDIT_WORKERS; w++) {
		memset(&m, 0, sizeof(m));
		m.hdr.type = SG_MSG_SESSION_AUDIT;
		if (++a->tab->audit_seq == 0)
			++a->tab->audit_seq; /* 0 means no audit pending */
		m.audit.token = a->tab->audit_seq;
		a->pending[w] = m.audit.token;
		sg_ctl_shm_send(a->shm, (uint16_t)w, &m);
		a->st->audits++;
	}
}

void
sg_ctl_audit_tick(struct sg_ctl_audit *a)
{
	if (sg_ctl_shm_attached(a->shm) &&
	    a->clk->now_ns - a->last_ns >= (uint64_t)SG_CTL_AUDIT_MS * 1000000)
		sg_ctl_audit_start(a);
}

/* The worker's sessions older than @p token that its audit did not list are gone. */
static void
audit_sweep(struct sg_ctl_audit *a, uint16_t worker, uint32_t token)
{
	struct sg_ctl_cs *cs, *next;
	uint32_t i;

	for (i = 0; i <= a->tab->hmask; i++) {
		for (cs = a->tab->htab[i]; cs != NULL; cs = next) {
			next = cs->hnext;
			/* serial arithmetic: tokens start anywhere and wrap */
			if (cs->worker != worker || (int32_t)(cs->audit_born - token) >= 0 ||
			    cs->audit_seen == token)
				continue;
			syslog(LOG_NOTICE,
			       "session %#llx: gone from the data plane (audit): closed",
			       (unsigned long long)cs->session_id);
			sg_ctl_broker_release(a->broker, cs);
			/* an aborted session keeps its SESSION_ABORT's reason (VM_DOWN, ...) */
			sg_ctl_cs_set_state(a->tab, cs, SG_CTL_CS_CLOSED);
			a->st->audit_closed++;
		}
	}
}

void
sg_ctl_audit_on_alive(struct sg_ctl_audit *a, const struct sg_msg *m)
{
	const struct sg_msg_alive *al = &m->alive;
	uint16_t w = m->hdr.worker;
	struct sg_ctl_cs *cs;
	unsigned int i;

	if (w >= SG_CTL_AUDIT_WORKERS || a->pending[w] == 0 || al->token != a->pending[w]) {
		a->st->audit_stale++;
		return;
	}
	for (i = 0; i < al->n; i++) {
		cs = sg_ctl_cs_find(a->tab, al->sid[i]);
		if (cs != NULL && cs->worker == w)
			cs->audit_seen = al->token;
		else
			a->st->audit_unknown++; /* held, not yet sent; or answered and closing */
	}
	if (al->last) {
		audit_sweep(a, w, al->token);
		a->pending[w] = 0;
	}
}
