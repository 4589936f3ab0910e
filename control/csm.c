/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controlling-session manager: one controlling session per streaming
 * session, its state machine
 *
 *   NEW -> NEGOTIATING -> WAITING -> READY -> INSTALLED -> CLOSED
 *     \________\____________\_________\-> FAILED (rejected, with a reason)
 *
 * (NEGOTIATING: queued for the application's execution queue; WAITING: its
 * VM is starting; READY: placed, INSTALL not yet on the ring because the
 * data plane is detached), a deadline in every waiting state, and the
 * list of service providers it engaged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "broker.h"
#include "cs.h"
#include "csm.h"
#include "ids.h"
#include "qos.h"
#include "shm.h"
#include "vm.h"

const double sg_ctl_csm_lat_bounds[SG_CTL_LAT_BUCKETS] = {
	0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01,	  0.025,   0.05,   0.1,	    0.25,   0.5,   1.0,	   5.0};

void
sg_ctl_csm_drain(struct sg_ctl_csm *csm, bool on)
{
	csm->draining = on;
}

static void
cs_send_install(struct sg_ctl_csm *csm, struct sg_ctl_cs *cs)
{
	const struct sg_ctl_vm_cfg *vc = cs->vm->cfg;
	const struct sg_ctl_host_cfg *hc = cs->vm->host->cfg;
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = SG_MSG_SESSION_INSTALL;
	m.hdr.session_id = cs->session_id;
	m.install.mode = cs->app->cfg->mode;
	m.install.family = vc->family;
	m.install.backend_port =
		cs->app->cfg->backend_port != 0 ? cs->app->cfg->backend_port : cs->flow.dport;
	memcpy(m.install.backend_addr, vc->addr, sizeof(m.install.backend_addr));
	memcpy(m.install.host_addr, hc->addr, sizeof(m.install.host_addr));
	m.install.vm_id = cs->vm->id;
	m.install.controlling_id = cs->ctl_id;
	sg_ctl_qos_install(csm->broker->qos, cs, &m.install.rate_bps, &m.install.burst_bytes,
			   &m.install.usage_interval_s);
	sg_ctl_shm_send(csm->shm, cs->worker, &m);
}

static void
cs_latency(struct sg_ctl_csm *csm, uint64_t ns)
{
	double s = (double)ns / 1e9;
	unsigned int i;

	for (i = 0; i < SG_CTL_LAT_BUCKETS; i++)
		if (s <= sg_ctl_csm_lat_bounds[i])
			break;
	csm->st->lat_bucket[i]++;
	csm->st->lat_sum_s += s;
}

void
sg_ctl_csm_install(struct sg_ctl_csm *csm, struct sg_ctl_cs *cs)
{
	sg_ctl_cs_engage(cs, cs->vm->host->provider_id);
	if (!sg_ctl_shm_attached(csm->shm)) {
		/* Installed when the data plane is back (or failed at the deadline). */
		if (cs->state != SG_CTL_CS_READY)
			sg_ctl_cs_set_state(csm->tab, cs, SG_CTL_CS_READY);
		return;
	}
	sg_ctl_cs_engage(cs, csm->inv->net_provider_id);
	if (csm->inv->pools[cs->app->cfg->pool].storage_provider_id != 0)
		sg_ctl_cs_engage(cs, csm->inv->pools[cs->app->cfg->pool].storage_provider_id);
	sg_ctl_cs_set_state(csm->tab, cs, SG_CTL_CS_INSTALLED);
	cs_send_install(csm, cs);
	csm->st->setups++;
	cs->app->installs++;
	cs_latency(csm, csm->clk->now_ns - cs->t_new_ns);
}

void
sg_ctl_csm_reject(struct sg_ctl_csm *csm, struct sg_ctl_cs *cs, unsigned int reason)
{
	struct sg_msg m;

	sg_ctl_broker_release(csm->broker, cs);
	memset(&m, 0, sizeof(m));
	m.hdr.type = SG_MSG_SESSION_REJECT;
	m.hdr.session_id = cs->session_id;
	m.reject.reason = (uint16_t)reason;
	m.reject.retry_after = reason == SG_MSG_REASON_QUEUE_FULL ? 5 : 0;
	if (reason == SG_MSG_REASON_LOGIN && cs->app != NULL) /* checked printable at load */
		snprintf(m.reject.location, sizeof(m.reject.location), "%s",
			 cs->app->cfg->auth.login_url);
	sg_ctl_shm_send(csm->shm, cs->worker, &m);
	csm->st->rejects[reason]++;
	if (cs->app != NULL)
		cs->app->rejects[reason]++;
	cs->reason = (uint8_t)reason;
	syslog(LOG_INFO, "session %#llx: rejected: %s", (unsigned long long)cs->session_id,
	       sg_ctl_cs_reason_name(reason));
	sg_ctl_cs_set_state(csm->tab, cs, SG_CTL_CS_FAILED);
}

void
sg_ctl_csm_abort(struct sg_ctl_csm *csm, struct sg_ctl_cs *cs, unsigned int action,
		 unsigned int reason, uint32_t deadline_s)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = SG_MSG_SESSION_ABORT;
	m.hdr.session_id = cs->session_id;
	m.abort.action = (uint8_t)action;
	m.abort.reason = (uint16_t)reason;
	m.abort.deadline_s = action == SG_MSG_ABORT_DRAIN ? deadline_s : 0;
	sg_ctl_shm_send(csm->shm, cs->worker, &m);
	csm->st->aborts_sent++;
	cs->reason = (uint8_t)reason;
	sg_ctl_cs_set_state(csm->tab, cs, cs->state); /* its row records the reason */
	syslog(LOG_INFO, "session %#llx: %s (%s)", (unsigned long long)cs->session_id,
	       action == SG_MSG_ABORT_DRAIN ? "draining" : "reset", sg_ctl_cs_reason_name(reason));
}

void
sg_ctl_csm_rebroker(struct sg_ctl_csm *csm, struct sg_ctl_cs *cs)
{
	if (sg_ctl_broker_replace(csm->broker, cs) < 0)
		sg_ctl_csm_reject(csm, cs, SG_MSG_REASON_VM_DOWN);
}

/* A session that can never be admitted gets an answer without an object. */
static void
reject_now(struct sg_ctl_csm *csm, const struct sg_msg *in, unsigned int reason)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = SG_MSG_SESSION_REJECT;
	m.hdr.session_id = in->hdr.session_id;
	m.reject.reason = (uint16_t)reason;
	sg_ctl_shm_send(csm->shm, in->hdr.worker, &m);
	csm->st->rejects[reason]++;
}

static void
csm_on_new(struct sg_ctl_csm *csm, const struct sg_msg *m)
{
	const struct sg_msg_session_new *n = &m->session_new;
	struct sg_ctl_cs *cs;
	struct timespec ts;

	cs = sg_ctl_cs_find(csm->tab, m->hdr.session_id);
	if (cs != NULL) {
		/* Re-sent after SESSION_RESYNC, or a duplicate: never a second session. */
		csm->st->dup_new++;
		cs->worker = m->hdr.worker;
		if (cs->state == SG_CTL_CS_INSTALLED)
			cs_send_install(csm, cs);
		return;
	}
	if (csm->draining) {
		reject_now(csm, m, SG_MSG_REASON_SHUTDOWN);
		return;
	}
	cs = sg_ctl_cs_alloc(csm->tab, m->hdr.session_id);
	if (cs == NULL) {
		reject_now(csm, m, SG_MSG_REASON_QUEUE_FULL);
		return;
	}
	cs->worker = m->hdr.worker;
	cs->flow = n->flow;
	cs->key_type = n->key_type;
	cs->key_len = n->key_len;
	memcpy(cs->key, n->key, n->key_len);
	cs->t_new_ns = csm->clk->now_ns;
	clock_gettime(CLOCK_REALTIME, &ts);
	cs->created_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	cs->ctl_id = sg_ctl_ids_new(csm->ids, SG_CTL_ID_CONTROLLING);
	cs->user_session_id = sg_ctl_ids_new(csm->ids, SG_CTL_ID_USER_SESSION);
	cs->service_session_id = sg_ctl_ids_new(csm->ids, SG_CTL_ID_SERVICE_SESSION);
	if (csm->claim != NULL) {
		int rc = csm->claim(csm->cl_ctx, cs->session_id, cs->worker);

		if (rc < 0) { /* another node has it, or etcd says nothing: retry later */
			sg_ctl_csm_reject(csm, cs,
					  rc == -EEXIST ? SG_MSG_REASON_SHUTDOWN
							: SG_MSG_REASON_QUEUE_FULL);
			return;
		}
		cs->cl_pub = 1; /* its key goes when it ends */
	}
	sg_ctl_broker_admit(csm->broker, cs);
}

static void
csm_on_closed(struct sg_ctl_csm *csm, const struct sg_msg *m)
{
	struct sg_ctl_cs *cs = sg_ctl_cs_find(csm->tab, m->hdr.session_id);

	if (cs == NULL) {
		csm->st->unknown_closed++;
		if (csm->foreign_closed != NULL) /* a peer's session handed over after a failover */
			csm->foreign_closed(csm->cl_ctx, m->hdr.session_id);
		return;
	}
	sg_ctl_broker_release(csm->broker, cs);
	/* an aborted session keeps its SESSION_ABORT's reason unless the data plane gives one */
	if (m->closed.reason != SG_MSG_REASON_NONE || cs->reason == SG_MSG_REASON_NONE)
		cs->reason = (uint8_t)m->closed.reason;
	csm->st->closed++;
	sg_ctl_cs_set_state(csm->tab, cs, SG_CTL_CS_CLOSED);
}

int
sg_ctl_csm_close(struct sg_ctl_csm *csm, uint64_t session_id)
{
	struct sg_ctl_cs *cs = sg_ctl_cs_find(csm->tab, session_id);

	if (cs == NULL)
		return -ENOENT;
	csm->st->admin_closed++;
	if (cs->state != SG_CTL_CS_INSTALLED) {
		sg_ctl_csm_reject(csm, cs, SG_MSG_REASON_SHUTDOWN);
		return 0;
	}
	sg_ctl_broker_release(csm->broker, cs);
	cs->reason = SG_MSG_REASON_SHUTDOWN;
	sg_ctl_cs_set_state(csm->tab, cs, SG_CTL_CS_CLOSED);
	return 0;
}

void
sg_ctl_csm_on_msg(struct sg_ctl_csm *csm, const struct sg_msg *m)
{
	const struct sg_msg_vs_stats *v;
	struct timespec ts;

	switch (m->hdr.type) {
	case SG_MSG_SESSION_NEW:
		csm_on_new(csm, m);
		break;
	case SG_MSG_SESSION_CLOSED:
		csm_on_closed(csm, m);
		break;
	case SG_MSG_VS_STATS:
		v = &m->vs_stats;
		if (v->vs_slot < 256) {
			csm->vs[v->vs_slot].held = v->held;
			csm->vs[v->vs_slot].installed = v->installed;
			csm->vs[v->vs_slot].rejected = v->rejected;
			clock_gettime(CLOCK_REALTIME, &ts);
			csm->vs[v->vs_slot].updated_ms = (uint64_t)ts.tv_sec * 1000;
		}
		break;
	default:
		break;
	}
}

void
sg_ctl_csm_timeouts(struct sg_ctl_csm *csm)
{
	static const unsigned int states[] = {SG_CTL_CS_NEGOTIATING, SG_CTL_CS_WAITING,
					      SG_CTL_CS_READY};
	struct sg_ctl_cs *cs;
	unsigned int i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		while ((cs = TAILQ_FIRST(&csm->tab->tlist[states[i]])) != NULL &&
		       cs->deadline_ns <= csm->clk->now_ns) {
			csm->st->timeouts[states[i]]++;
			sg_ctl_csm_reject(csm, cs, SG_MSG_REASON_TIMEOUT);
		}
	}
}

int
sg_ctl_csm_restore(struct sg_ctl_csm *csm, const struct sg_ctl_cs *saved, const char *app,
		   const char *vm)
{
	struct sg_ctl_cs *cs;

	if (sg_ctl_cs_find(csm->tab, saved->session_id) != NULL)
		return -EEXIST;
	cs = sg_ctl_cs_alloc(csm->tab, saved->session_id);
	if (cs == NULL)
		return -ENOMEM;
	cs->ctl_id = saved->ctl_id;
	cs->user_session_id = saved->user_session_id;
	cs->service_session_id = saved->service_session_id;
	cs->user_id = saved->user_id;
	cs->worker = saved->worker;
	cs->flow = saved->flow;
	cs->key_type = saved->key_type;
	cs->key_len = saved->key_len;
	memcpy(cs->key, saved->key, saved->key_len);
	memcpy(cs->user, saved->user, sizeof(cs->user));
	cs->created_ms = saved->created_ms;
	cs->n_providers = saved->n_providers;
	memcpy(cs->providers, saved->providers, sizeof(cs->providers));
	cs->stored = true;
	/* cluster mode: it was claimed in etcd before it was first placed */
	cs->cl_pub = csm->claim == NULL ? 0 : saved->state == SG_CTL_CS_INSTALLED ? 2 : 1;
	cs->t_new_ns = csm->clk->now_ns;
	cs->app = sg_ctl_broker_app_by_name(csm->inv, app);
	if (cs->app == NULL) {
		syslog(LOG_WARNING, "session %#llx: application '%s' is gone; dropped",
		       (unsigned long long)cs->session_id, app);
		cs->reason = SG_MSG_REASON_NO_APP;
		sg_ctl_cs_set_state(csm->tab, cs, SG_CTL_CS_FAILED);
		return 0;
	}
	if (saved->state == SG_CTL_CS_INSTALLED) {
		cs->vm = sg_ctl_vm_by_name(csm->inv, vm);
		if (cs->vm == NULL) {
			syslog(LOG_WARNING, "session %#llx: VM '%s' is gone; dropped",
			       (unsigned long long)cs->session_id, vm);
			sg_ctl_cs_set_state(csm->tab, cs, SG_CTL_CS_FAILED);
			return 0;
		}
		cs->vm->n_sessions++;
		cs->app->n_exec++;
		sg_ctl_qos_count(csm->broker->qos, cs);
		cs->reason = saved->reason; /* being aborted (VM down, drained): still so */
		csm->tab->n_state[cs->state]--;
		cs->state = SG_CTL_CS_INSTALLED;
		csm->tab->n_state[cs->state]++;
		return 0;
	}
	/* Not installed yet: admitted again, from the start, with its IDs kept. */
	sg_ctl_broker_admit(csm->broker, cs);
	return 0;
}

void
sg_ctl_csm_dp_restarted(struct sg_ctl_csm *csm)
{
	struct sg_ctl_cs *cs, *next;
	uint32_t i, n = 0;

	csm->st->dp_restarts++;
	for (i = 0; i <= csm->tab->hmask; i++) {
		for (cs = csm->tab->htab[i]; cs != NULL; cs = next) {
			next = cs->hnext;
			sg_ctl_broker_release(csm->broker, cs);
			cs->reason = SG_MSG_REASON_SHUTDOWN;
			sg_ctl_cs_set_state(csm->tab, cs, SG_CTL_CS_CLOSED);
			n++;
		}
	}
	syslog(LOG_NOTICE, "data plane restarted: %u sessions of the old instance closed", n);
}
