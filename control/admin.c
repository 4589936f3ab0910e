/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin API commands: each request (admin_req.c parses it) runs over the
 * modules' functions and answers one JSON value; admin_srv.c carries it on
 * the socket. doc/control.md lists every command.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "admin.h"
#include "auth.h"
#include "broker.h"
#include "bus.h"
#include "inventory.h"
#include "cs.h"
#include "csm.h"
#include "view.h"
#include "ids.h"
#include "sessiondb.h"
#include "shm.h"
#include "sessiongate/sg_wire.h"
#include "vm.h"
#include "vm_drain.h"

#include "sg_idmgr.h"

static const char *const match_names[SG_CTL_MATCH_MAX] = {"any",	 "http_host",  "http_path",
							  "http_cookie", "tls_sni",    "rdp_cookie",
							  "prefix",	 "http_header"};
static const char *const mode_names[SG_MSG_INSTALL_MAX] = {"?", "nat", "dsr", "redirect"};

/* The one place a wire family (sg_wire.h) becomes a socket API's AF_*. */
static const char *
addr_text(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	buf[0] = '\0';
	inet_ntop(family == SG_WIRE_FAMILY_V4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len);
	return buf;
}

static json_t *
j_addr(uint8_t family, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	return json_string(addr_text(family, a, buf, sizeof(buf)));
}

static json_t *
j_id(uint64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)id);
	return json_string(buf);
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static json_t *
j_reasons(const uint64_t *r)
{
	json_t *o = json_object();
	unsigned int i;

	for (i = 1; i < SG_MSG_REASON_MAX; i++)
		json_object_set_new(o, sg_ctl_cs_reason_name(i), json_integer((json_int_t)r[i]));
	return o;
}

/* sgctl status: the authenticated applications' counters. */
static json_t *
adm_auth_stats(const struct sg_ctl_auth_stats *a)
{
	json_t *o = json_object(), *r = json_object();
	unsigned int i;

	for (i = 0; i < SG_CTL_AUTH_R_MAX; i++)
		json_object_set_new(r, sg_ctl_auth_refusal_name(i),
				    json_integer((json_int_t)a->refused[i]));
	json_object_set_new(o, "refused", r);
	json_object_set_new(o, "verified", json_integer((json_int_t)a->verified));
	json_object_set_new(o, "graph_checks", json_integer((json_int_t)a->graph_checks));
	json_object_set_new(o, "cache_hits", json_integer((json_int_t)a->cache_hits));
	json_object_set_new(o, "cache_misses", json_integer((json_int_t)a->cache_misses));
	json_object_set_new(o, "cache_flushes", json_integer((json_int_t)a->cache_flushes));
	json_object_set_new(o, "graph_us_avg",
			    json_real(a->graph_checks
					      ? (double)a->graph_ns / 1e3 / (double)a->graph_checks
					      : 0.0));
	return o;
}

static json_t *
adm_status(const struct sg_ctl_view *v)
{
	static const char *const inv[SG_CTL_INV_MAX] = {"size", "version", "type", "field",
							"direction"};
	json_t *o = json_object(), *dp = json_object(), *ss = json_object(), *st = json_object(),
	       *db = json_object(), *iv = json_object();
	uint64_t epoch, hb, counts[4] = {0};
	uint32_t workers, pending;
	unsigned int i, agents = 0, hosts = 0;
	bool alive;

	sg_ctl_shm_status(v->shm, &epoch, &workers, &hb, &alive, &pending);
	json_object_set_new(dp, "attached", json_boolean(sg_ctl_shm_attached(v->shm)));
	json_object_set_new(dp, "shm", json_string(v->cfg->shm_name));
	json_object_set_new(dp, "epoch", j_id(epoch));
	json_object_set_new(dp, "workers", json_integer(workers));
	json_object_set_new(dp, "heartbeat", json_integer((json_int_t)hb));
	json_object_set_new(dp, "alive", json_boolean(alive));
	json_object_set_new(dp, "pending_out", json_integer(pending));
	json_object_set_new(o, "dataplane", dp);
	for (i = SG_CTL_CS_NEW; i <= SG_CTL_CS_INSTALLED; i++)
		json_object_set_new(ss, sg_ctl_cs_state_name(i), json_integer(v->tab->n_state[i]));
	json_object_set_new(o, "sessions", ss);
	if (v->db != NULL && sg_ctl_db_counts(v->db, counts) == 0) {
		json_object_set_new(db, "streaming", json_integer((json_int_t)counts[0]));
		json_object_set_new(db, "controlling", json_integer((json_int_t)counts[1]));
		json_object_set_new(db, "user", json_integer((json_int_t)counts[2]));
		json_object_set_new(db, "relationship", json_integer((json_int_t)counts[3]));
	}
	json_object_set_new(o, "db", db);
	json_object_set_new(o, "draining", json_boolean(v->csm->draining));
	if (v->invm != NULL) /* the inventory at run time (doc/control.md) */
		json_object_set_new(o, "inventory",
				    json_pack("{s:I,s:I,s:I,s:I}", "added",
					      (json_int_t)v->invm->added, "retired",
					      (json_int_t)v->invm->retired, "freed",
					      (json_int_t)v->invm->freed, "refused",
					      (json_int_t)v->invm->refused));
	for (i = 0; i < v->cfg->n_hosts; i++) {
		agents += v->inv->hosts[i].agent != NULL;
		hosts += !SG_CTL_SLOT_FREE(&v->cfg->hosts[i]);
	}
	json_object_set_new(o, "agents_connected", json_integer(agents));
	json_object_set_new(o, "hosts", json_integer(hosts));
	json_object_set_new(st, "setups", json_integer((json_int_t)v->st->setups));
	json_object_set_new(st, "closed", json_integer((json_int_t)v->st->closed));
	json_object_set_new(st, "rejects", j_reasons(v->st->rejects));
	for (i = 0; i < SG_CTL_INV_MAX; i++)
		json_object_set_new(iv, inv[i], json_integer((json_int_t)v->st->invalid[i]));
	json_object_set_new(st, "invalid", iv);
	json_object_set_new(st, "seq_gaps", json_integer((json_int_t)v->st->seq_gaps));
	json_object_set_new(st, "ring_full", json_integer((json_int_t)v->st->ring_full));
	json_object_set_new(st, "out_dropped", json_integer((json_int_t)v->st->out_dropped));
	json_object_set_new(st, "dup_new", json_integer((json_int_t)v->st->dup_new));
	json_object_set_new(st, "vm_starts", json_integer((json_int_t)v->st->vm_starts));
	json_object_set_new(st, "vm_stops", json_integer((json_int_t)v->st->vm_stops));
	json_object_set_new(st, "dp_restarts", json_integer((json_int_t)v->st->dp_restarts));
	json_object_set_new(st, "db_errors", json_integer((json_int_t)v->st->db_errors));
	json_object_set_new(st, "commit_retries", json_integer((json_int_t)v->st->commit_retries));
	json_object_set_new(st, "ring_replayed", json_integer((json_int_t)v->st->ring_replayed));
	json_object_set_new(st, "audits", json_integer((json_int_t)v->st->audits));
	json_object_set_new(st, "audit_closed", json_integer((json_int_t)v->st->audit_closed));
	json_object_set_new(st, "audit_unknown", json_integer((json_int_t)v->st->audit_unknown));
	json_object_set_new(st, "admin_closed", json_integer((json_int_t)v->st->admin_closed));
	json_object_set_new(st, "vm_downs", json_integer((json_int_t)v->st->vm_downs));
	json_object_set_new(st, "vm_down_aborted",
			    json_integer((json_int_t)v->st->vm_down_aborted));
	json_object_set_new(st, "vm_down_rebrokered",
			    json_integer((json_int_t)v->st->vm_down_rebrokered));
	json_object_set_new(st, "vm_down_rejected",
			    json_integer((json_int_t)v->st->vm_down_rejected));
	json_object_set_new(st, "vm_replacements",
			    json_integer((json_int_t)v->st->vm_replacements));
	json_object_set_new(st, "drain_reset", json_integer((json_int_t)v->st->drain_reset));
	json_object_set_new(st, "aborts_sent", json_integer((json_int_t)v->st->aborts_sent));
	json_object_set_new(st, "admin_evicted", json_integer((json_int_t)v->st->admin_evicted));
	json_object_set_new(st, "admin_oversize", json_integer((json_int_t)v->st->admin_oversize));
	json_object_set_new(st, "admin_idle_closed",
			    json_integer((json_int_t)v->st->admin_idle_closed));
	json_object_set_new(st, "admin_slow_dropped",
			    json_integer((json_int_t)v->st->admin_slow_dropped));
	json_object_update_new(st, sg_ctl_admin_guest_counters(v->st));
	if (v->cluster != NULL)
		json_object_set_new(st, "cluster", sg_ctl_admin_cluster_counters(&v->st->cluster));
	json_object_set_new(st, "auth", adm_auth_stats(&v->st->auth));
	json_object_set_new(o, "stats", st);
	return o;
}

static json_t *
adm_apps(const struct sg_ctl_view *v)
{
	json_t *a = json_array(), *o;
	unsigned int i;

	for (i = 0; i < v->cfg->n_apps; i++) {
		const struct sg_ctl_app *app = &v->inv->apps[i];
		const struct sg_ctl_app_cfg *k = app->cfg;

		if (SG_CTL_SLOT_FREE(&v->cfg->apps[i]))
			continue;
		o = json_object();
		json_object_set_new(o, "name", json_string(k->name));
		json_object_set_new(o, "retiring", json_boolean(app->retiring));
		json_object_set_new(o, "id", j_id(app->id));
		json_object_set_new(o, "vip", j_addr(k->family, k->vip));
		json_object_set_new(o, "port", json_integer(k->port));
		json_object_set_new(o, "protocol", json_string(k->proto == 6 ? "tcp" : "udp"));
		json_object_set_new(o, "match", json_string(match_names[k->match]));
		json_object_set_new(o, "value", json_string(k->value));
		json_object_set_new(o, "mode", json_string(mode_names[k->mode]));
		json_object_set_new(o, "pool", json_string(v->cfg->pools[k->pool].name));
		json_object_set_new(o, "exec", json_integer(app->n_exec));
		json_object_set_new(o, "exec_limit", json_integer(k->exec_limit));
		json_object_set_new(o, "wait", json_integer(app->n_wait));
		json_object_set_new(o, "wait_limit", json_integer(k->wait_limit));
		json_object_set_new(o, "installs", json_integer((json_int_t)app->installs));
		json_object_set_new(o, "rejects", j_reasons(app->rejects));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
j_session_brief(const struct sg_ctl_view *v, const struct sg_ctl_cs *cs)
{
	json_t *o = json_object();
	char client[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];

	/* "[2001:db8::2]:40000": an IPv6 address and a port only read apart in brackets */
	addr_text(cs->flow.family, cs->flow.saddr, a, sizeof(a));
	snprintf(client, sizeof(client), cs->flow.family == SG_WIRE_FAMILY_V6 ? "[%s]:%u" : "%s:%u",
		 a, cs->flow.sport);
	json_object_set_new(o, "session_id", j_id(cs->session_id));
	json_object_set_new(o, "controlling_id", j_id(cs->ctl_id));
	json_object_set_new(o, "state", json_string(sg_ctl_cs_state_name(cs->state)));
	json_object_set_new(o, "app", json_string(cs->app ? cs->app->cfg->name : ""));
	json_object_set_new(o, "vm", json_string(cs->vm ? cs->vm->cfg->name : ""));
	json_object_set_new(o, "user", json_string(cs->user));
	json_object_set_new(o, "client", json_string(client));
	json_object_set_new(o, "worker", json_integer(cs->worker));
	json_object_set_new(o, "age_ms", json_integer((json_int_t)(wall_ms() - cs->created_ms)));
	/* installed with a reason: SESSION_ABORT sent (VM down, drained), ending */
	json_object_set_new(o, "reason",
			    json_string(cs->reason != SG_MSG_REASON_NONE
						? sg_ctl_cs_reason_name(cs->reason)
						: ""));
	(void)v;
	return o;
}

/* The ended sessions cs.c remembers, newest first: state closed or failed. */
static json_t *
adm_sessions_ended(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *r)
{
	const struct sg_ctl_cs_ended *e;
	json_t *a = json_array(), *o;
	uint32_t i, n = 0;

	for (i = 0; n < r->limit && (e = sg_ctl_cs_ended_get(v->tab, i)) != NULL; i++) {
		if (e->state != r->state ||
		    (r->app[0] && (e->app == NULL || strcmp(e->app->cfg->name, r->app) != 0)) ||
		    (r->vm[0] && (e->vm == NULL || strcmp(e->vm->cfg->name, r->vm) != 0)))
			continue;
		o = json_object();
		json_object_set_new(o, "session_id", j_id(e->session_id));
		json_object_set_new(o, "state", json_string(sg_ctl_cs_state_name(e->state)));
		json_object_set_new(o, "app", json_string(e->app ? e->app->cfg->name : ""));
		json_object_set_new(o, "vm", json_string(e->vm ? e->vm->cfg->name : ""));
		json_object_set_new(o, "reason", json_string(sg_ctl_cs_reason_name(e->reason)));
		json_object_set_new(
			o, "ended_ms_ago",
			json_integer((json_int_t)((v->clk->now_ns - e->ended_ns) / 1000000)));
		json_array_append_new(a, o);
		n++;
	}
	return a;
}

static json_t *
adm_sessions(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *r)
{
	json_t *a;
	const struct sg_ctl_cs *cs;
	uint32_t i, n = 0;

	if (r->state == SG_CTL_CS_CLOSED || r->state == SG_CTL_CS_FAILED)
		return adm_sessions_ended(v, r);
	a = json_array();
	for (i = 0; i <= v->tab->hmask && n < r->limit; i++) {
		for (cs = v->tab->htab[i]; cs != NULL && n < r->limit; cs = cs->hnext) {
			if (r->state >= 0 && cs->state != r->state)
				continue;
			if (r->app[0] &&
			    (cs->app == NULL || strcmp(cs->app->cfg->name, r->app) != 0))
				continue;
			if (r->vm[0] && (cs->vm == NULL || strcmp(cs->vm->cfg->name, r->vm) != 0))
				continue;
			if (r->user[0] && strcmp(cs->user, r->user) != 0)
				continue;
			json_array_append_new(a, j_session_brief(v, cs));
			n++;
		}
	}
	return a;
}

static json_t *
j_key(const struct sg_ctl_cs *cs)
{
	char buf[SG_MSG_KEY_MAX * 4 + 1];
	size_t i, o = 0;

	for (i = 0; i < cs->key_len; i++) {
		uint8_t ch = cs->key[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return json_string(buf);
}

static json_t *
adm_session(const struct sg_ctl_view *v, uint64_t id, char *err, size_t errlen)
{
	static const char *const l7[SG_MSG_L7_MAX] = {"none",	     "http_host",  "http_path",
						      "http_cookie", "tls_sni",	   "rdp_cookie",
						      "prefix",	     "http_header"};
	const struct sg_ctl_cs *cs = sg_ctl_cs_find(v->tab, id);
	json_t *o, *pv, *p;
	uint32_t i;

	for (i = 0; cs == NULL && i <= v->tab->hmask; i++)
		for (cs = v->tab->htab[i]; cs != NULL; cs = cs->hnext)
			if (cs->ctl_id == id || cs->user_session_id == id ||
			    cs->service_session_id == id)
				break;
	if (cs == NULL) {
		snprintf(err, errlen, "no session with ID %#llx", (unsigned long long)id);
		return NULL;
	}
	o = j_session_brief(v, cs);
	json_object_set_new(o, "user_session_id", j_id(cs->user_session_id));
	json_object_set_new(o, "service_session_id", j_id(cs->service_session_id));
	json_object_set_new(o, "user_id", j_id(cs->user_id));
	json_object_set_new(o, "app_id", j_id(cs->app ? cs->app->id : 0));
	json_object_set_new(o, "vm_id", j_id(cs->vm ? cs->vm->id : 0));
	json_object_set_new(o, "component_id", j_id(cs->vm ? cs->vm->component_id : 0));
	json_object_set_new(o, "domain_id", j_id(cs->app ? cs->app->domain_id : 0));
	json_object_set_new(o, "storage_id",
			    j_id(cs->app ? v->inv->pools[cs->app->cfg->pool].storage_id : 0));
	json_object_set_new(o, "server_id", j_id(cs->vm ? cs->vm->host->id : 0));
	json_object_set_new(o, "server", json_string(cs->vm ? cs->vm->host->cfg->name : ""));
	json_object_set_new(o, "network_id", j_id(sg_ctl_shm_epoch(v->shm)));
	json_object_set_new(o, "io_port", json_integer(cs->worker));
	json_object_set_new(o, "vs_slot", json_integer(cs->flow.vs_slot));
	json_object_set_new(o, "vip", j_addr(cs->flow.family, cs->flow.daddr));
	json_object_set_new(o, "vip_port", json_integer(cs->flow.dport));
	json_object_set_new(o, "protocol", json_string(cs->flow.proto == 6 ? "tcp" : "udp"));
	json_object_set_new(o, "key_type",
			    json_string(cs->key_type < SG_MSG_L7_MAX ? l7[cs->key_type] : "?"));
	json_object_set_new(o, "key", j_key(cs));
	json_object_set_new(o, "created_ms", json_integer((json_int_t)cs->created_ms));
	if (cs->state == SG_CTL_CS_NEGOTIATING || cs->state == SG_CTL_CS_WAITING ||
	    cs->state == SG_CTL_CS_READY)
		json_object_set_new(
			o, "deadline_in_ms",
			json_integer(
				(json_int_t)(cs->deadline_ns > v->clk->now_ns
						     ? (cs->deadline_ns - v->clk->now_ns) / 1000000
						     : 0)));
	pv = json_array();
	for (i = 0; i < cs->n_providers; i++) {
		const struct sg_ctl_provider *prov = NULL;
		unsigned int k;

		for (k = 0; k < sg_ctl_bus_count(v->bus); k++)
			if (sg_ctl_bus_provider(v->bus, k)->id == cs->providers[i])
				prov = sg_ctl_bus_provider(v->bus, k);
		p = json_object();
		json_object_set_new(p, "id", j_id(cs->providers[i]));
		json_object_set_new(p, "name", json_string(prov ? prov->name : "?"));
		json_object_set_new(p, "service",
				    json_string(prov ? sg_ctl_bus_svc_name(prov->svc) : "?"));
		json_array_append_new(pv, p);
	}
	json_object_set_new(o, "providers", pv);
	return o;
}

static json_t *
adm_vms(const struct sg_ctl_view *v)
{
	json_t *a = json_array(), *o;
	unsigned int i;

	for (i = 0; i < v->cfg->n_vms; i++) {
		const struct sg_ctl_vm *vm = &v->inv->vms[i];

		if (SG_CTL_SLOT_FREE(&v->cfg->vms[i]))
			continue;
		o = json_object();
		json_object_set_new(o, "name", json_string(vm->cfg->name));
		json_object_set_new(o, "retiring", json_boolean(vm->retiring));
		json_object_set_new(o, "id", j_id(vm->id));
		json_object_set_new(o, "host", json_string(vm->host->cfg->name));
		json_object_set_new(o, "pool", json_string(v->cfg->pools[vm->cfg->pool].name));
		json_object_set_new(o, "address", j_addr(vm->cfg->family, vm->cfg->addr));
		json_object_set_new(o, "state", json_string(sg_ctl_vm_state_name(vm->state)));
		json_object_set_new(o, "sessions", json_integer(vm->n_sessions));
		json_object_set_new(o, "waiting", json_integer(vm->n_reserved));
		json_object_set_new(o, "cap",
				    json_integer(v->cfg->pools[vm->cfg->pool].session_cap));
		json_object_set_new(o, "starts", json_integer((json_int_t)vm->starts));
		json_object_set_new(o, "stops", json_integer((json_int_t)vm->stops));
		json_object_set_new(o, "failures", json_integer((json_int_t)vm->failures));
		json_object_set_new(o, "why", json_string(vm->why));
		json_object_set_new(
			o, "changed_s_ago",
			json_integer(vm->changed_ms != 0
					     ? (json_int_t)(wall_ms() - vm->changed_ms) / 1000
					     : -1));
		json_object_set_new(o, "downs", json_integer((json_int_t)vm->downs));
		json_object_set_new(o, "down_aborted", json_integer((json_int_t)vm->down_aborted));
		json_object_set_new(o, "down_rebrokered",
				    json_integer((json_int_t)vm->down_rebrokered));
		json_object_set_new(o, "down_rejected",
				    json_integer((json_int_t)vm->down_rejected));
		json_object_set_new(o, "draining", json_boolean(vm->draining));
		json_object_set_new(o, "drain_reset", json_integer((json_int_t)vm->drain_reset));
		json_object_set_new(o, "crashes", json_integer(vm->crashes));
		json_object_set_new(o, "restarts", json_integer((json_int_t)vm->restarts));
		json_object_set_new(o, "crash_loop", json_boolean(vm->crash_loop));
		json_object_set_new(
			o, "restart_in_ms",
			json_integer(vm->restart_at_ns > v->clk->now_ns
					     ? (json_int_t)((vm->restart_at_ns - v->clk->now_ns) /
							    1000000)
					     : -1));
		json_object_update_new(o, sg_ctl_admin_vm_guest(vm));
		if (vm->draining && vm->drain_deadline_ns > v->clk->now_ns)
			json_object_set_new(
				o, "drain_deadline_in_s",
				json_integer((json_int_t)((vm->drain_deadline_ns - v->clk->now_ns) /
							  1000000000)));
		if (vm->state == SG_CTL_VM_RUNNING && vm->n_sessions == 0 && vm->n_reserved == 0)
			json_object_set_new(
				o, "idle_ms",
				json_integer((json_int_t)((v->clk->now_ns - vm->idle_since_ns) /
							  1000000)));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
adm_hosts(const struct sg_ctl_view *v)
{
	json_t *a = json_array(), *o;
	unsigned int i;

	for (i = 0; i < v->cfg->n_hosts; i++) {
		const struct sg_ctl_host *h = &v->inv->hosts[i];
		const struct sg_ctl_provider *p = sg_ctl_bus_provider(v->bus, h->provider);

		if (SG_CTL_SLOT_FREE(&v->cfg->hosts[i]))
			continue;
		o = json_object();
		json_object_set_new(o, "name", json_string(h->cfg->name));
		json_object_set_new(o, "id", j_id(h->id));
		json_object_set_new(o, "address", j_addr(h->cfg->family, h->cfg->addr));
		json_object_set_new(o, "agent", json_boolean(h->agent != NULL));
		json_object_set_new(o, "provider_id", j_id(h->provider_id));
		json_object_set_new(o, "requests_inflight", json_integer(p->n_inflight));
		json_object_set_new(o, "requests_queued", json_integer(p->queued));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
adm_providers(const struct sg_ctl_view *v)
{
	json_t *a = json_array(), *o;
	unsigned int i;

	for (i = 0; i < sg_ctl_bus_count(v->bus); i++) {
		const struct sg_ctl_provider *p = sg_ctl_bus_provider(v->bus, i);

		o = json_object();
		json_object_set_new(o, "name", json_string(p->name));
		json_object_set_new(o, "id", j_id(p->id));
		json_object_set_new(o, "service", json_string(sg_ctl_bus_svc_name(p->svc)));
		json_object_set_new(o, "up", json_boolean(p->up));
		json_object_set_new(o, "inflight", json_integer(p->n_inflight));
		json_object_set_new(o, "queued", json_integer(p->queued));
		json_object_set_new(o, "sent", json_integer((json_int_t)p->sent));
		json_object_set_new(o, "done", json_integer((json_int_t)p->done));
		json_object_set_new(o, "failed", json_integer((json_int_t)p->failed));
		json_array_append_new(a, o);
	}
	return a;
}

char *
sg_ctl_admin_exec(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req)
{
	char err[256] = "";
	json_t *res = NULL, *out;
	char *txt;
	int rc;

	v->clk->now_ns = sg_ctl_clock_mono_ns();
	switch (req->cmd) {
	case SG_CTL_ADM_STATUS:
		res = adm_status(v);
		break;
	case SG_CTL_ADM_VS:
		res = sg_ctl_admin_vs(v);
		break;
	case SG_CTL_ADM_APPS:
		res = adm_apps(v);
		break;
	case SG_CTL_ADM_SESSIONS:
		res = adm_sessions(v, req);
		break;
	case SG_CTL_ADM_SESSION:
		res = adm_session(v, req->id, err, sizeof(err));
		break;
	case SG_CTL_ADM_VMS:
		res = adm_vms(v);
		break;
	case SG_CTL_ADM_HOSTS:
		res = adm_hosts(v);
		break;
	case SG_CTL_ADM_PROVIDERS:
		res = adm_providers(v);
		break;
	case SG_CTL_ADM_DRAIN:
	case SG_CTL_ADM_UNDRAIN:
		res = sg_ctl_admin_drain(v, req, err, sizeof(err));
		break;
	case SG_CTL_ADM_HEALTH:
		res = sg_ctl_admin_health(v);
		break;
	case SG_CTL_ADM_CLUSTER:
		res = sg_ctl_admin_cluster(v);
		break;
	case SG_CTL_ADM_TOKEN:
		res = sg_ctl_admin_token(v, req, err, sizeof(err));
		break;
	case SG_CTL_ADM_USAGE:
		res = sg_ctl_admin_usage(v, req, err, sizeof(err));
		break;
	case SG_CTL_ADM_APP:
	case SG_CTL_ADM_HOST:
	case SG_CTL_ADM_POOL:
		res = sg_ctl_admin_inv(v, req, err, sizeof(err));
		break;
	case SG_CTL_ADM_VM:
		if (strcmp(req->op, "add") == 0 || strcmp(req->op, "remove") == 0)
			res = sg_ctl_admin_inv(v, req, err, sizeof(err));
		else
			res = sg_ctl_admin_vmop(v, req, err, sizeof(err));
		break;
	case SG_CTL_ADM_ABORT:
		res = sg_ctl_admin_abort(v, req, err, sizeof(err));
		break;
	case SG_CTL_ADM_CLOSE:
		rc = sg_ctl_csm_close(v->csm, req->id);
		if (rc == -ENOENT)
			snprintf(err, sizeof(err), "no session with streaming ID %#llx",
				 (unsigned long long)req->id);
		if (rc == 0) {
			syslog(LOG_NOTICE, "admin: session %#llx closed",
			       (unsigned long long)req->id);
			res = json_pack("{s:o}", "closed", j_id(req->id));
		}
		break;
	case SG_CTL_ADM_RELOAD:
		rc = v->reload != NULL ? v->reload(v->ctx, err, sizeof(err)) : -ENOTSUP;
		if (rc == -ENOTSUP)
			snprintf(err, sizeof(err), "no configuration file to reload");
		if (rc == 0)
			res = json_pack("{s:b}", "reloaded", 1);
		break;
	case SG_CTL_ADM_IDENTITIES:
		res = sg_ctl_admin_identities(v, req->name, err, sizeof(err));
		break;
	default:
		snprintf(err, sizeof(err), "unknown command");
		break;
	}
	if (res != NULL)
		out = json_pack("{s:b,s:o}", "ok", 1, "result", res);
	else
		out = json_pack("{s:b,s:s}", "ok", 0, "error", err[0] ? err : "failed");
	txt = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return txt;
}
