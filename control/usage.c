/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Usage records: one JSON line per session that ended (kind "final": the
 * data plane's totals from SESSION_CLOSED; zeros for a session that was
 * never installed) and per SESSION_USAGE of a long session (kind
 * "interim": the totals so far). The line format is doc/control.md "Usage
 * records"; jlog.c writes and rotates the file.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>

#include "cs.h"
#include "usage.h"

const double sg_ctl_usage_hold_bounds[SG_CTL_HOLD_BUCKETS] = {1,    10,	  60,	 300,	900,
							      1800, 3600, 14400, 28800, 86400};

void
sg_ctl_usage_init(struct sg_ctl_usage *u)
{
	memset(u, 0, sizeof(*u));
	sg_ctl_jlog_init(&u->rec);
	sg_ctl_jlog_init(&u->alog);
}

void
sg_ctl_usage_fini(struct sg_ctl_usage *u)
{
	sg_ctl_jlog_close(&u->rec);
	sg_ctl_jlog_close(&u->alog);
}

void
sg_ctl_usage_config(struct sg_ctl_usage *u, const struct sg_ctl_usage_cfg *cfg)
{
	sg_ctl_jlog_config(&u->rec, cfg->path, cfg->max_mb, cfg->keep);
	sg_ctl_jlog_config(&u->alog, cfg->access_log, cfg->max_mb, cfg->keep);
}

uint64_t
sg_ctl_usage_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static json_t *
j_hex(uint64_t id)
{
	char buf[24];

	if (id == 0)
		return json_string("");
	snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)id);
	return json_string(buf);
}

static json_t *
j_ip(uint8_t family, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN] = "";

	inet_ntop(family == SG_WIRE_FAMILY_V6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
	return json_string(buf);
}

void
sg_ctl_usage_json_common(json_t *o, const struct sg_ctl_cs *cs)
{
	const struct sg_msg_flow *f = &cs->flow;
	char user[SG_CTL_NAME_MAX];

	/* the user's name came from a client's key: bounded, and stored as valid JSON text */
	memcpy(user, cs->user, sizeof(user));
	user[sizeof(user) - 1] = '\0';
	json_object_set_new(o, "session_id", j_hex(cs->session_id));
	json_object_set_new(o, "user", json_string(user) ?: json_string(""));
	json_object_set_new(o, "user_id", j_hex(cs->user_id));
	json_object_set_new(o, "app", json_string(cs->app != NULL ? cs->app->cfg->name : ""));
	json_object_set_new(o, "vm", json_string(cs->vm != NULL ? cs->vm->cfg->name : ""));
	json_object_set_new(
		o, "host",
		json_string(cs->vm != NULL && cs->vm->host != NULL ? cs->vm->host->cfg->name : ""));
	json_object_set_new(o, "client", j_ip(f->family, f->saddr));
	json_object_set_new(o, "client_port", json_integer(f->sport));
	json_object_set_new(o, "vip", j_ip(f->family, f->daddr));
	json_object_set_new(o, "vip_port", json_integer(f->dport));
	json_object_set_new(o, "proto", json_string(f->proto == 17 ? "udp" : "tcp"));
	json_object_set_new(o, "family",
			    json_string(f->family == SG_WIRE_FAMILY_V6 ? "ipv6" : "ipv4"));
}

json_t *
sg_ctl_usage_json(const struct sg_ctl_cs *cs, const struct sg_msg_session_closed *c, bool interim,
		  uint64_t end_ms)
{
	static const struct sg_msg_session_closed zero;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (c == NULL)
		c = &zero;
	json_object_set_new(o, "kind", json_string(interim ? "interim" : "final"));
	sg_ctl_usage_json_common(o, cs);
	json_object_set_new(o, "start_ms", json_integer((json_int_t)cs->created_ms));
	json_object_set_new(o, "end_ms", json_integer((json_int_t)end_ms));
	json_object_set_new(o, "installed_ms", json_integer(c->installed_ms));
	json_object_set_new(o, "pkts_c2s", json_integer((json_int_t)c->pkts_c2s));
	json_object_set_new(o, "pkts_s2c", json_integer((json_int_t)c->pkts_s2c));
	json_object_set_new(o, "bytes_c2s", json_integer((json_int_t)c->bytes_c2s));
	json_object_set_new(o, "bytes_s2c", json_integer((json_int_t)c->bytes_s2c));
	json_object_set_new(o, "s2c_acked", json_boolean(c->flags & SG_MSG_USAGE_S2C_ACKED));
	json_object_set_new(o, "qos_drops", json_boolean(c->flags & SG_MSG_USAGE_QOS_DROPS));
	json_object_set_new(o, "qos_dropped", json_integer((json_int_t)c->qos_dropped));
	json_object_set_new(o, "reason",
			    json_string(interim ? "" : sg_ctl_cs_reason_name(cs->reason)));
	return o;
}

void
sg_ctl_usage_record(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs,
		    const struct sg_msg_session_closed *c, bool interim, uint64_t now_ns)
{
	json_t *o;

	if (interim)
		u->interims++;
	else
		u->finals++;
	if (!interim && c != NULL && c->installed_ms != 0)
		sg_ctl_hist_add(sg_ctl_usage_hold_bounds, SG_CTL_HOLD_BUCKETS, u->hold_bucket,
				&u->hold_sum_s, c->installed_ms / 1000.0);
	if (u->rec.path[0] == '\0')
		return;
	o = sg_ctl_usage_json(cs, c, interim, sg_ctl_usage_wall_ms());
	if (o == NULL) {
		u->rec.errors++;
		return;
	}
	sg_ctl_jlog_write(&u->rec, o, now_ns);
	json_decref(o);
}
