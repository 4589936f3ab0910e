/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin commands of member health and drains (admin.c dispatches):
 *
 *   {"cmd":"health"}
 *   {"cmd":"drain"}                                      what is draining
 *   {"cmd":"drain","target":"member","name":"web/a","deadline":30}
 *   {"cmd":"drain","target":"all","deadline":60}
 *   {"cmd":"drain","on":true}                            = target all (no deadline)
 *   {"cmd":"undrain","target":"member","name":"web/a"}
 *
 * Drain all also refuses new brokered sessions (csm draining, SHUTDOWN);
 * its deadline resets every member and aborts every installed session.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include "admin.h"
#include "cs.h"
#include "csm.h"
#include "health.h"
#include "view.h"
#include "vm_drain.h"

#define NS_PER_S 1000000000ull

static json_int_t
left_s(const struct sg_ctl_view *v, uint64_t deadline_ns)
{
	if (deadline_ns == 0)
		return -1;
	return deadline_ns > v->clk->now_ns
		       ? (json_int_t)((deadline_ns - v->clk->now_ns + NS_PER_S - 1) / NS_PER_S)
		       : 0;
}

static json_t *
j_member(const struct sg_ctl_view *v, unsigned int i)
{
	const struct sg_ctl_health *h = v->health;
	const struct sg_ctl_member *m = &h->m[i];
	char addr[64];

	sg_cfg_addr_format(&m->addr, addr, sizeof(addr));
	return json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:I,s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}",
			 "pool", m->pool, "member", m->name, "address", addr, "port", m->port,
			 "check", sg_cfg_check_type_name(h->pools[m->pool_idx].check.type), "state",
			 sg_ctl_health_state_name(sg_ctl_health_state(h, i)), "since",
			 (json_int_t)m->since_unix, "since_s",
			 (json_int_t)((v->clk->now_ns - m->since_ns) / NS_PER_S), "last",
			 m->last[0] ? m->last : "-", "reason", m->reason[0] ? m->reason : "-",
			 "ejections", (json_int_t)m->ejections, "ejected_left_s",
			 left_s(v, m->ejected_until_ns), "drain_left_s",
			 m->drain == SG_CTL_DRAIN_ON ? left_s(v, m->drain_deadline_ns) : -1,
			 "checks_ok", (json_int_t)m->checks[SG_CTL_CHECK_OK], "checks_fail",
			 (json_int_t)m->checks[SG_CTL_CHECK_FAIL], "checks_timeout",
			 (json_int_t)m->checks[SG_CTL_CHECK_TIMEOUT]);
}

json_t *
sg_ctl_admin_health(const struct sg_ctl_view *v)
{
	const struct sg_ctl_health *h = v->health;
	const struct sg_ctl_health_stats *s = &h->st;
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; i < h->n; i++)
		json_array_append_new(a, j_member(v, i));
	return json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "members", a,
			 "counters", "checks_ok", (json_int_t)s->checks[SG_CTL_CHECK_OK],
			 "checks_fail", (json_int_t)s->checks[SG_CTL_CHECK_FAIL], "checks_timeout",
			 (json_int_t)s->checks[SG_CTL_CHECK_TIMEOUT], "state_changes",
			 (json_int_t)s->state_changes, "ejections", (json_int_t)s->ejections,
			 "ejections_refused", (json_int_t)s->ejections_refused, "suspects",
			 (json_int_t)s->suspects, "suspects_unknown",
			 (json_int_t)s->suspects_unknown, "suspects_ignored",
			 (json_int_t)s->suspects_ignored, "checks_now", (json_int_t)s->checks_now,
			 "aborts_sent", (json_int_t)s->aborts_sent, "resyncs",
			 (json_int_t)s->resyncs);
}

/* What is draining: all, members, their deadlines, sessions left. */
static json_t *
drain_show(const struct sg_ctl_view *v)
{
	const struct sg_ctl_health *h = v->health;
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; i < h->n; i++) {
		const struct sg_ctl_member *m = &h->m[i];

		if (m->drain == SG_CTL_DRAIN_NONE)
			continue;
		json_array_append_new(
			a, json_pack("{s:s,s:s,s:s,s:I}", "pool", m->pool, "member", m->name,
				     "state", sg_ctl_health_state_name(sg_ctl_health_state(h, i)),
				     "deadline_left_s",
				     m->drain == SG_CTL_DRAIN_ON ? left_s(v, m->drain_deadline_ns)
								 : 0));
	}
	return json_pack(
		"{s:b,s:s,s:I,s:i,s:o,s:i,s:i}", "draining", v->csm->draining, "all",
		h->all == SG_CTL_DRAIN_RESET ? "reset"
		: h->all == SG_CTL_DRAIN_ON  ? "drain"
					     : "no",
		"all_deadline_left_s",
		h->all == SG_CTL_DRAIN_ON ? left_s(v, h->all_deadline_ns) : -1, "members_draining",
		(int)json_array_size(a), "members", a, "sessions_installed",
		(int)v->tab->n_state[SG_CTL_CS_INSTALLED], "sessions_held",
		(int)(v->tab->n_state[SG_CTL_CS_NEW] + v->tab->n_state[SG_CTL_CS_NEGOTIATING] +
		      v->tab->n_state[SG_CTL_CS_WAITING] + v->tab->n_state[SG_CTL_CS_READY]));
}

static int
find_member(const struct sg_ctl_view *v, const char *name, char *err, size_t errlen)
{
	char pool[2 * SG_CTL_NAME_MAX];
	char *member;
	int i;

	snprintf(pool, sizeof(pool), "%s", name);
	member = strchr(pool, '/');
	*member++ = '\0';
	if (v->health->n == 0) {
		snprintf(err, errlen,
			 "no pool members known: set control.appliance_config in sg-control's "
			 "YAML");
		return -ENOENT;
	}
	i = sg_ctl_health_find(v->health, pool, member);
	if (i < 0)
		snprintf(err, errlen, "no member '%s' in pool '%s' (sgctl health lists them)",
			 member, pool);
	return i;
}

json_t *
sg_ctl_admin_drain(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req, char *err,
		   size_t errlen)
{
	bool on = req->cmd == SG_CTL_ADM_DRAIN;
	int i;

	if (req->legacy) /* drain on|off: all, no deadline */
		on = req->on;
	else if (req->target[0] == '\0')
		return drain_show(v);
	if (strcmp(req->target, "vm") == 0) {
		if (sg_ctl_vm_drain(v->vmm, req->member, req->deadline_s, on, err, errlen) != 0)
			return NULL;
		return json_pack("{s:s,s:b,s:i}", "vm", req->member, "draining", on, "deadline_s",
				 (int)req->deadline_s);
	}
	if (strcmp(req->target, "member") == 0) {
		i = find_member(v, req->member, err, errlen);
		if (i < 0)
			return NULL;
		if (on)
			sg_ctl_health_drain(v->health, (unsigned int)i, req->deadline_s);
		else
			sg_ctl_health_undrain(v->health, (unsigned int)i);
		syslog(LOG_NOTICE, "admin: %s member %s (deadline %u s)", on ? "drain" : "undrain",
		       req->member, req->deadline_s);
		return drain_show(v);
	}
	sg_ctl_csm_drain(v->csm, on);
	if (on)
		sg_ctl_health_drain_all(v->health, req->deadline_s);
	else
		sg_ctl_health_undrain_all(v->health);
	syslog(LOG_NOTICE, "admin: %s all (deadline %u s)", on ? "drain" : "undrain",
	       req->deadline_s);
	return drain_show(v);
}
