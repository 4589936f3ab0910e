/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Metrics in the Prometheus text exposition format (version 0.0.4), served
 * by libevent's evhttp on GET /metrics at a configured local address
 * (127.0.0.1 or a test namespace address: checked in sg_ctl_cfg_check).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "view.h"
#include "metrics.h"
#include "admin.h"
#include "auth.h"
#include "bus.h"
#include "cs.h"
#include "csm.h"
#include "dpmetrics.h"
#include "health.h"
#include "inventory.h"
#include "sessiondb.h"
#include "shm.h"
#include "usage.h"
#include "vm.h"
#include "vsstats.h"

struct sg_ctl_metrics {
	struct evhttp *http;
	const struct sg_ctl_view *v;
	struct sg_ctl_dpm dpm; /**< the data plane's counters, read at scrape time */
};

struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void __attribute__((format(printf, 2, 3))) mb(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (b->oom)
			return;
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *np = realloc(b->p, b->cap * 2);

		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap *= 2;
	}
}

static void
counter(struct mbuf *b, const char *name, const char *help, uint64_t v)
{
	mb(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
	   (unsigned long long)v);
}

/* Authenticated applications (auth.c, access.c, qos.c). */
static void
auth_metrics(struct mbuf *b, const struct sg_ctl_auth_stats *a)
{
	unsigned int i;

	mb(b, "# HELP sg_ctl_auth_refused_total Sessions of authenticated applications refused, "
	      "by reason.\n# TYPE sg_ctl_auth_refused_total counter\n");
	for (i = 0; i < SG_CTL_AUTH_R_MAX; i++)
		mb(b, "sg_ctl_auth_refused_total{reason=\"%s\"} %llu\n",
		   sg_ctl_auth_refusal_name(i), (unsigned long long)a->refused[i]);
	counter(b, "sg_ctl_auth_verified_total", "Tokens that verified.", a->verified);
	counter(b, "sg_ctl_auth_graph_checks_total", "Relationship-graph checks of sessions.",
		a->graph_checks);
	mb(b,
	   "# HELP sg_ctl_auth_graph_seconds_total Time spent in relationship-graph checks.\n"
	   "# TYPE sg_ctl_auth_graph_seconds_total counter\nsg_ctl_auth_graph_seconds_total "
	   "%.9f\n",
	   (double)a->graph_ns / 1e9);
	counter(b, "sg_ctl_auth_cache_hits_total",
		"idmgr answers (graph, user name, QoS attributes) found in the (user, app) cache.",
		a->cache_hits);
	counter(b, "sg_ctl_auth_cache_misses_total",
		"idmgr answers read from the store (not cached, or stale).", a->cache_misses);
	counter(b, "sg_ctl_auth_cache_flushes_total",
		"Writes to idmgr's store seen by the cache: every cached answer stale.",
		a->cache_flushes);
}

/* The series of one histogram of @p n buckets (upper bounds @p le, +Inf in bucket[n]) and
 * its sum, with label @p lab ("" or 'kind="boot"'). */
static void
hist_series(struct mbuf *b, const char *name, const char *lab, const double *le, unsigned int n,
	    const uint64_t *bucket, double sum)
{
	const char *sep = lab[0] ? "," : "";
	uint64_t cum = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		cum += bucket[i];
		mb(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, lab, sep, le[i],
		   (unsigned long long)cum);
	}
	cum += bucket[n];
	mb(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, lab, sep, (unsigned long long)cum);
	if (lab[0])
		mb(b, "%s_sum{%s} %.9f\n%s_count{%s} %llu\n", name, lab, sum, name, lab,
		   (unsigned long long)cum);
	else
		mb(b, "%s_sum %.9f\n%s_count %llu\n", name, sum, name, (unsigned long long)cum);
}

/* A histogram without labels. */
static void
histogram(struct mbuf *b, const char *name, const char *help, const double *le, unsigned int n,
	  const uint64_t *bucket, double sum)
{
	mb(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	hist_series(b, name, "", le, n, bucket, sum);
}

/* Real guests: start time by kind (boot, resume), saves, resumes, pushes, verbs. */
static void
guests(struct mbuf *b, const struct sg_ctl_stats *st)
{
	static const char *const name = "sg_ctl_vm_start_seconds";

	mb(b,
	   "# HELP %s VM start time as sg-control measures it: start request (STARTING) to "
	   "RUNNING, by kind (boot: cold boot; resume: restored from a managed save).\n"
	   "# TYPE %s histogram\n",
	   name, name);
	hist_series(b, name, "kind=\"boot\"", sg_ctl_vm_start_bounds, SG_CTL_VMSTART_BUCKETS,
		    st->vm_start_bucket, st->vm_start_sum_s);
	hist_series(b, name, "kind=\"resume\"", sg_ctl_vm_start_bounds, SG_CTL_VMSTART_BUCKETS,
		    st->vm_resume_bucket, st->vm_resume_sum_s);
	counter(b, "sg_ctl_vm_saves_total", "VMs saved (managed save done: idle or sgctl vm save).",
		st->vm_saves);
	counter(b, "sg_ctl_vm_resumes_total", "VM starts that restored a saved image.",
		st->vm_resumes);
	counter(b, "sg_ctl_agent_pushed_total", "VM_DEFINE sent to host agents (pushed VMs).",
		st->agent.pushed);
	counter(b, "sg_ctl_agent_push_failures_total",
		"VM_DEFINE refused by a host agent: that VM failed.", st->agent.push_failures);
	counter(b, "sg_ctl_agent_forgotten_total", "VM_UNDEFINE sent to host agents.",
		st->agent.forgotten);
	counter(b, "sg_ctl_agent_out_full_total",
		"Messages to an agent not sent: 4 MiB already queued to it (it does not read).",
		st->agent.out_full);
	counter(b, "sg_ctl_agent_ignored_total",
		"Agent messages about nothing of their host (another host's VM, a RESULT to no "
		"pending request, a type only sg-control sends): ignored.",
		st->agent.ignored);
	counter(b, "sg_ctl_admin_vm_ops_total", "sgctl vm start|stop|save done.", st->admin_vm_ops);
	counter(b, "sg_ctl_admin_vm_refused_total", "sgctl vm start|stop|save refused.",
		st->admin_vm_refused);
	counter(b, "sg_ctl_admin_aborts_total", "Sessions ended by sgctl session abort.",
		st->admin_aborts);
	counter(b, "sg_ctl_admin_abort_refused_total",
		"sgctl session abort refused (unknown or ended session).", st->admin_abort_refused);
}

/* Usage records, access log, hold and VM start time; VS_STATS summed per VS. */
static void
accounting(struct mbuf *b, const struct sg_ctl_view *v)
{
	static const char *const vs_fam[4][3] = {
		{"sg_ctl_vs_held_total", "counter", "Sessions the data plane held (VS_STATS)."},
		{"sg_ctl_vs_installed_total", "counter", "INSTALLs the data plane applied."},
		{"sg_ctl_vs_rejected_total", "counter", "Sessions the data plane refused."},
		{"sg_ctl_vs_held_now", "gauge", "Sessions held at the last VS_STATS."}};
	const struct sg_ctl_usage *u = v->usage;
	struct sg_ctl_vs_sum s;
	unsigned int f, i;

	guests(b, v->st);
	for (f = 0; f < 4; f++) {
		mb(b, "# HELP %s %s\n# TYPE %s %s\n", vs_fam[f][0], vs_fam[f][2], vs_fam[f][0],
		   vs_fam[f][1]);
		for (i = 0; i < SG_CTL_VS_SLOTS; i++) {
			uint64_t val;

			sg_ctl_vs_sum(v->csm->vs, i, &s);
			if (s.name == NULL)
				continue;
			val = f == 0   ? s.held
			      : f == 1 ? s.installed
			      : f == 2 ? s.rejected
				       : s.held_now;
			/* VS names: the appliance YAML's, checked there (no quote, backslash) */
			mb(b, "%s{vs=\"%s\"} %llu\n", vs_fam[f][0], s.name,
			   (unsigned long long)val);
		}
	}
	counter(b, "sg_ctl_vs_stats_dropped_total",
		"VS_STATS ignored: slot, worker or VS name out of range.", v->st->vs_stats_dropped);
	if (u == NULL)
		return;
	histogram(b, "sg_ctl_session_hold_seconds", "Installed to closed (SESSION_CLOSED).",
		  sg_ctl_usage_hold_bounds, SG_CTL_HOLD_BUCKETS, u->hold_bucket, u->hold_sum_s);
	counter(b, "sg_ctl_usage_records_total", "Usage records written.", u->rec.lines);
	counter(b, "sg_ctl_usage_write_errors_total",
		"Usage records lost: file not writable, too long.", u->rec.errors);
	counter(b, "sg_ctl_usage_rotations_total", "Usage files rotated.", u->rec.rotations);
	counter(b, "sg_ctl_usage_interim_total", "Interim usage records (SESSION_USAGE).",
		u->interims);
	counter(b, "sg_ctl_usage_unknown_total", "SESSION_USAGE of no installed session.",
		u->unknown_usage);
	counter(b, "sg_ctl_access_log_lines_total", "Access log lines written.", u->alog.lines);
	counter(b, "sg_ctl_access_log_write_errors_total", "Access log lines lost.",
		u->alog.errors);
	counter(b, "sg_ctl_access_log_rotations_total", "Access log files rotated.",
		u->alog.rotations);
}

/* Counters of restart safety (ctl.c, audit.c) and of the admin socket (admin_srv.c). */
static const struct {
	const char *name, *help;
	size_t off; /**< of the uint64_t in struct sg_ctl_stats */
} hardening[] = {
	{"sg_ctl_commit_retries_total",
	 "Failed commits kept (messages unacked, answers held) and retried.",
	 offsetof(struct sg_ctl_stats, commit_retries)},
	{"sg_ctl_ring_replayed_total",
	 "Ring messages a killed sg-control had taken but not committed: read again.",
	 offsetof(struct sg_ctl_stats, ring_replayed)},
	{"sg_ctl_audits_total", "Session audits sent (one per data-plane worker).",
	 offsetof(struct sg_ctl_stats, audits)},
	{"sg_ctl_audit_closed_total", "Sessions the data plane no longer had, closed by an audit.",
	 offsetof(struct sg_ctl_stats, audit_closed)},
	{"sg_ctl_audit_unknown_total", "Session IDs an audit listed that sg-control did not know.",
	 offsetof(struct sg_ctl_stats, audit_unknown)},
	{"sg_ctl_admin_closed_total", "Sessions ended by the operator (sgctl close).",
	 offsetof(struct sg_ctl_stats, admin_closed)},
	{"sg_ctl_vm_downs_total", "VMs that left running (or booting) unasked.",
	 offsetof(struct sg_ctl_stats, vm_downs)},
	{"sg_ctl_vm_down_aborted_total", "Installed sessions aborted because their VM went down.",
	 offsetof(struct sg_ctl_stats, vm_down_aborted)},
	{"sg_ctl_vm_down_rebrokered_total",
	 "Held sessions of a VM that went down placed elsewhere.",
	 offsetof(struct sg_ctl_stats, vm_down_rebrokered)},
	{"sg_ctl_vm_down_rejected_total",
	 "Held sessions of a VM that went down rejected (vm_down).",
	 offsetof(struct sg_ctl_stats, vm_down_rejected)},
	{"sg_ctl_vm_replacements_total", "Stopped VMs started to replace one that went down.",
	 offsetof(struct sg_ctl_stats, vm_replacements)},
	{"sg_ctl_drain_reset_total", "Sessions reset at a VM drain's deadline.",
	 offsetof(struct sg_ctl_stats, drain_reset)},
	{"sg_ctl_aborts_sent_total", "SESSION_ABORT messages sent to the data plane.",
	 offsetof(struct sg_ctl_stats, aborts_sent)},
	{"sg_ctl_admin_evicted_total",
	 "Oldest admin connections closed to admit a new one (bound reached).",
	 offsetof(struct sg_ctl_stats, admin_evicted)},
	{"sg_ctl_admin_oversize_total", "Admin request lines too long: closed.",
	 offsetof(struct sg_ctl_stats, admin_oversize)},
	{"sg_ctl_admin_idle_closed_total", "Idle admin connections closed.",
	 offsetof(struct sg_ctl_stats, admin_idle_closed)},
	{"sg_ctl_admin_slow_dropped_total",
	 "Admin clients dropped for leaving their answers unread.",
	 offsetof(struct sg_ctl_stats, admin_slow_dropped)},
	{"sg_ctl_vm_restarts_total", "Failed VMs started again on demand after their backoff.",
	 offsetof(struct sg_ctl_stats, vm_restarts)},
	{"sg_ctl_vm_crash_loops_total",
	 "VMs quarantined after restart_max failures in 10 min (until sgctl vm start).",
	 offsetof(struct sg_ctl_stats, vm_crash_loops)},
};

/* Member health (health.c): per member up and ejections, checks by result, changes. */
static void
health(struct mbuf *b, const struct sg_ctl_health *h)
{
	const struct sg_ctl_health_stats *s = &h->st;
	unsigned int i, r;

	mb(b, "# HELP sg_member_up 1 while the member gets new flows (checks passed, not "
	      "ejected, not drained).\n# TYPE sg_member_up gauge\n");
	for (i = 0; i < h->n; i++)
		mb(b, "sg_member_up{pool=\"%s\",member=\"%s\"} %d\n", h->m[i].pool, h->m[i].name,
		   sg_ctl_health_state(h, i) == SG_MSG_MEMBER_UP);
	mb(b, "# HELP sg_member_ejections_total Passive ejections of the member.\n"
	      "# TYPE sg_member_ejections_total counter\n");
	for (i = 0; i < h->n; i++)
		mb(b, "sg_member_ejections_total{pool=\"%s\",member=\"%s\"} %llu\n", h->m[i].pool,
		   h->m[i].name, (unsigned long long)h->m[i].ejections);
	mb(b, "# HELP sg_member_check_total Active checks by result.\n"
	      "# TYPE sg_member_check_total counter\n");
	for (r = 0; r < SG_CTL_CHECK_RESULT_MAX; r++)
		mb(b, "sg_member_check_total{result=\"%s\"} %llu\n", sg_ctl_health_result_name(r),
		   (unsigned long long)s->checks[r]);
	counter(b, "sg_member_state_changes_total",
		"Member state changes told to the data plane (MEMBER_STATE).", s->state_changes);
	counter(b, "sg_ctl_health_ejections_refused_total",
		"Ejections refused: the pool's max_ejected_pct is out already.",
		s->ejections_refused);
	counter(b, "sg_ctl_health_suspects_total", "MEMBER_SUSPECT messages from the data plane.",
		s->suspects);
	counter(b, "sg_ctl_health_suspects_unknown_total",
		"MEMBER_SUSPECT naming no known pool member: ignored.", s->suspects_unknown);
	counter(b, "sg_ctl_health_drain_aborts_total",
		"SESSION_ABORT sent at a drain-all deadline.", s->aborts_sent);
}

char *
sg_ctl_metrics_render(const struct sg_ctl_view *v, size_t *len)
{
	static const char *const types[SG_MSG_TYPE_MAX] = {"",
							   "session_new",
							   "session_install",
							   "session_reject",
							   "session_closed",
							   "session_resync",
							   "vs_stats",
							   "session_audit",
							   "session_alive",
							   "member_state",
							   "member_suspect",
							   "session_abort",
							   "session_usage"};
	static const char *const inv[SG_CTL_INV_MAX] = {"size", "version", "type", "field",
							"direction"};
	struct mbuf b = {.cap = 16384};
	unsigned int i, s;

	b.p = malloc(b.cap);
	if (b.p == NULL)
		return NULL;
	b.p[0] = '\0';
	mb(&b, "# HELP sg_ctl_sessions Controlling sessions by state.\n"
	       "# TYPE sg_ctl_sessions gauge\n");
	for (s = SG_CTL_CS_NEW; s <= SG_CTL_CS_INSTALLED; s++)
		mb(&b, "sg_ctl_sessions{state=\"%s\"} %u\n", sg_ctl_cs_state_name(s),
		   v->tab->n_state[s]);
	mb(&b, "# HELP sg_ctl_queue_depth Sessions in each application's execution and "
	       "waiting queue.\n# TYPE sg_ctl_queue_depth gauge\n");
	for (i = 0; i < v->cfg->n_apps; i++) {
		if (SG_CTL_SLOT_FREE(&v->cfg->apps[i]))
			continue;
		mb(&b, "sg_ctl_queue_depth{app=\"%s\",queue=\"execution\"} %u\n",
		   v->cfg->apps[i].name, v->inv->apps[i].n_exec);
		mb(&b, "sg_ctl_queue_depth{app=\"%s\",queue=\"waiting\"} %u\n",
		   v->cfg->apps[i].name, v->inv->apps[i].n_wait);
	}
	histogram(&b, "sg_ctl_setup_latency_seconds", "SESSION_NEW seen to SESSION_INSTALL queued.",
		  sg_ctl_csm_lat_bounds, SG_CTL_LAT_BUCKETS, v->st->lat_bucket, v->st->lat_sum_s);
	mb(&b, "# HELP sg_ctl_rejects_total Sessions rejected, by reason.\n"
	       "# TYPE sg_ctl_rejects_total counter\n");
	for (i = 1; i < SG_MSG_REASON_MAX; i++)
		mb(&b, "sg_ctl_rejects_total{reason=\"%s\"} %llu\n", sg_ctl_cs_reason_name(i),
		   (unsigned long long)v->st->rejects[i]);
	counter(&b, "sg_ctl_vm_starts_total", "VM starts requested from host agents.",
		v->st->vm_starts);
	counter(&b, "sg_ctl_vm_stops_total", "Idle VMs stopped.", v->st->vm_stops);
	counter(&b, "sg_ctl_vm_start_failures_total", "VMs that failed to start.",
		v->st->vm_start_failures);
	counter(&b, "sg_ctl_setups_total", "Sessions installed.", v->st->setups);
	counter(&b, "sg_ctl_closed_total", "Sessions closed by the data plane.", v->st->closed);
	mb(&b, "# HELP sg_ctl_ring_messages_total Ring messages by direction and type.\n"
	       "# TYPE sg_ctl_ring_messages_total counter\n");
	for (i = 1; i < SG_MSG_TYPE_MAX; i++) {
		if (v->st->msgs_in[i] != 0 || i == SG_MSG_SESSION_NEW)
			mb(&b, "sg_ctl_ring_messages_total{dir=\"in\",type=\"%s\"} %llu\n",
			   types[i], (unsigned long long)v->st->msgs_in[i]);
		if (v->st->msgs_out[i] != 0 || i == SG_MSG_SESSION_INSTALL)
			mb(&b, "sg_ctl_ring_messages_total{dir=\"out\",type=\"%s\"} %llu\n",
			   types[i], (unsigned long long)v->st->msgs_out[i]);
	}
	mb(&b, "# HELP sg_ctl_ring_invalid_total Ring elements refused by sg_msg_check.\n"
	       "# TYPE sg_ctl_ring_invalid_total counter\n");
	for (i = 0; i < SG_CTL_INV_MAX; i++)
		mb(&b, "sg_ctl_ring_invalid_total{reason=\"%s\"} %llu\n", inv[i],
		   (unsigned long long)v->st->invalid[i]);
	counter(&b, "sg_ctl_ring_full_total", "Enqueues refused by a full ring (retried).",
		v->st->ring_full);
	counter(&b, "sg_ctl_ring_out_dropped_total",
		"Messages dropped: no ring or retry list full.", v->st->out_dropped);
	counter(&b, "sg_ctl_ring_seq_gaps_total", "Messages the data plane dropped (seq gaps).",
		v->st->seq_gaps);
	counter(&b, "sg_ctl_dataplane_restarts_total", "Data-plane restarts seen (epoch).",
		v->st->dp_restarts);
	counter(&b, "sg_ctl_db_commits_total", "Session DB transactions.", v->st->db_commits);
	counter(&b, "sg_ctl_db_errors_total", "Session DB transactions that failed.",
		v->st->db_errors);
	for (i = 0; i < sizeof(hardening) / sizeof(hardening[0]); i++)
		counter(&b, hardening[i].name, hardening[i].help,
			*(const uint64_t *)((const char *)v->st + hardening[i].off));
	mb(&b,
	   "# HELP sg_ctl_dataplane_attached 1 while the ring region is attached.\n"
	   "# TYPE sg_ctl_dataplane_attached gauge\nsg_ctl_dataplane_attached %d\n",
	   sg_ctl_shm_attached(v->shm) ? 1 : 0);
	mb(&b, "# HELP sg_ctl_vm_sessions Sessions placed on each VM.\n"
	       "# TYPE sg_ctl_vm_sessions gauge\n");
	for (i = 0; i < v->cfg->n_vms; i++)
		if (!SG_CTL_SLOT_FREE(&v->cfg->vms[i]))
			mb(&b, "sg_ctl_vm_sessions{vm=\"%s\",state=\"%s\"} %u\n",
			   v->cfg->vms[i].name, sg_ctl_vm_state_name(v->inv->vms[i].state),
			   v->inv->vms[i].n_sessions);
	mb(&b, "# HELP sg_ctl_vm_draining VMs drained by the operator (sgctl drain vm).\n"
	       "# TYPE sg_ctl_vm_draining gauge\n");
	for (i = 0; i < v->cfg->n_vms; i++)
		if (!SG_CTL_SLOT_FREE(&v->cfg->vms[i]))
			mb(&b, "sg_ctl_vm_draining{vm=\"%s\"} %d\n", v->cfg->vms[i].name,
			   v->inv->vms[i].draining ? 1 : 0);
	if (v->invm != NULL) {
		counter(&b, "sg_ctl_inventory_added_total", "Objects added after start-up.",
			v->invm->added);
		counter(&b, "sg_ctl_inventory_retired_total", "Objects removed (retiring).",
			v->invm->retired);
		counter(&b, "sg_ctl_inventory_freed_total", "Slots of removed objects freed.",
			v->invm->freed);
		counter(&b, "sg_ctl_inventory_refused_total",
			"Inventory changes refused (sgctl add/remove, reload).", v->invm->refused);
	}
	counter(&b, "sg_ctl_agent_refused_addr_total",
		"Agent connections from no configured host address.", v->st->agent.refused_addr);
	counter(&b, "sg_ctl_agent_unauth_full_total",
		"Agent connections refused: unauthenticated slots full.", v->st->agent.unauth_full);
	counter(&b, "sg_ctl_agent_handshake_timeout_total",
		"Agent handshakes not done by their deadline.", v->st->agent.handshake_timeout);
	counter(&b, "sg_ctl_agent_auth_failures_total",
		"Agent handshakes refused (key, host name, source).", v->st->agent.auth_failures);
	counter(&b, "sg_ctl_agent_bad_tag_total",
		"Agent links closed on a message with a missing or wrong tag.",
		v->st->agent.bad_tag);
	counter(&b, "sg_ctl_agent_replaced_total", "Agent links replaced by a newer one.",
		v->st->agent.replaced);
	for (i = 0; v->cluster != NULL && i < sg_ctl_cluster_n_counters; i++) {
		char name[96];

		snprintf(name, sizeof(name), "sg_ctl_cluster_%s_total",
			 sg_ctl_cluster_counters[i].name);
		counter(&b, name, sg_ctl_cluster_counters[i].help,
			*(const uint64_t *)((const char *)&v->st->cluster +
					    sg_ctl_cluster_counters[i].off));
	}
	mb(&b, "# HELP sg_ctl_bus_queued Requests queued per service provider.\n"
	       "# TYPE sg_ctl_bus_queued gauge\n");
	for (i = 0; i < sg_ctl_bus_count(v->bus); i++)
		mb(&b, "sg_ctl_bus_queued{provider=\"%s\"} %u\n",
		   sg_ctl_bus_provider(v->bus, i)->name, sg_ctl_bus_provider(v->bus, i)->queued);
	auth_metrics(&b, &v->st->auth);
	if (v->health != NULL)
		health(&b, v->health);
	accounting(&b, v);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static void
metrics_cb(struct evhttp_request *req, void *arg)
{
	struct sg_ctl_metrics *m = arg;
	const struct sg_ctl_view *v = m->v;
	struct evbuffer *out;
	const char *dp;
	size_t len, dplen = 0;
	char *txt;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, "only GET");
		return;
	}
	v->clk->now_ns = sg_ctl_clock_mono_ns();
	txt = sg_ctl_metrics_render(v, &len);
	if (txt == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	out = evbuffer_new();
	evbuffer_add(out, txt, len);
	free(txt);
	/* the data plane's own counters (cached 1 s, read within 200 ms) */
	dp = sg_ctl_dpm_get(&m->dpm, v->cfg->dp_telemetry, v->clk->now_ns, &dplen);
	if (dp != NULL)
		evbuffer_add(out, dp, dplen);
	evbuffer_add_printf(out,
			    "# HELP sg_ctl_dp_scrapes_total Readings of the data plane's "
			    "telemetry socket.\n# TYPE sg_ctl_dp_scrapes_total counter\n"
			    "sg_ctl_dp_scrapes_total %llu\n"
			    "# HELP sg_ctl_dp_scrape_errors_total Readings that failed.\n"
			    "# TYPE sg_ctl_dp_scrape_errors_total counter\n"
			    "sg_ctl_dp_scrape_errors_total %llu\n",
			    (unsigned long long)m->dpm.scrapes, (unsigned long long)m->dpm.errors);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

int
sg_ctl_metrics_listen(struct sg_ctl_metrics **out, const struct sg_ctl_view *v,
		      const char *hostport)
{
	struct sg_ctl_metrics *m;
	char host[SG_CTL_NAME_MAX];
	const char *colon = strrchr(hostport, ':');
	char *end;
	unsigned long port;

	if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host)) {
		syslog(LOG_ERR, "metrics: '%s' is not HOST:PORT", hostport);
		return -EINVAL;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535) {
		syslog(LOG_ERR, "metrics: '%s': bad port", hostport);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	*out = m;
	m->v = v;
	m->http = evhttp_new(v->base);
	if (m->http == NULL || evhttp_bind_socket(m->http, host, (uint16_t)port) != 0) {
		syslog(LOG_ERR, "metrics: cannot listen on %s", hostport);
		return -EADDRINUSE;
	}
	/* m->v is the wiring's, alive as long as the server */
	evhttp_set_cb(m->http, "/metrics", metrics_cb, m);
	evhttp_set_max_headers_size(m->http, 8192);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, 5);
	return 0;
}

void
sg_ctl_metrics_close(struct sg_ctl_metrics *m)
{
	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http);
	sg_ctl_dpm_fini(&m->dpm);
	free(m);
}
