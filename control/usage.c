/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Usage records: one JSON line per session that ended (kind "final": the
 * data plane's totals from SESSION_CLOSED; zeros for a session that was
 * never installed) and per SESSION_USAGE of a long session (kind
 * "interim": the totals so far). The line format is doc/control.md "Usage
 * records"; jlog.c writes and rotates the file.
 */
#include <string.h>
#include <time.h>

#include "cs.h"
#include "jline.h"
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
	sg_ctl_jlog_fini(&u->rec);
	sg_ctl_jlog_fini(&u->alog);
}

void
sg_ctl_usage_flush(struct sg_ctl_usage *u, uint64_t now_ns)
{
	sg_ctl_jlog_flush(&u->rec, now_ns);
	sg_ctl_jlog_flush(&u->alog, now_ns);
}

void
sg_ctl_usage_tick(struct sg_ctl_usage *u, uint64_t now_ns)
{
	sg_ctl_jlog_tick(&u->rec, now_ns);
	sg_ctl_jlog_tick(&u->alog, now_ns);
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

void
sg_ctl_usage_line_common(struct sg_ctl_jline *j, const struct sg_ctl_cs *cs)
{
	const struct sg_msg_flow *f = &cs->flow;
	char user[SG_CTL_NAME_MAX];

	/* the user's name came from a client's key: bounded (jline writes it escaped) */
	memcpy(user, cs->user, sizeof(user));
	user[sizeof(user) - 1] = '\0';
	sg_ctl_jline_hex(j, "session_id", cs->session_id);
	sg_ctl_jline_str(j, "user", user);
	sg_ctl_jline_hex(j, "user_id", cs->user_id);
	sg_ctl_jline_str(j, "app", cs->app != NULL ? cs->app->cfg->name : "");
	sg_ctl_jline_str(j, "vm", cs->vm != NULL ? cs->vm->cfg->name : "");
	sg_ctl_jline_str(j, "host",
			 cs->vm != NULL && cs->vm->host != NULL ? cs->vm->host->cfg->name : "");
	sg_ctl_jline_ip(j, "client", f->family, f->saddr);
	sg_ctl_jline_u64(j, "client_port", f->sport);
	sg_ctl_jline_ip(j, "vip", f->family, f->daddr);
	sg_ctl_jline_u64(j, "vip_port", f->dport);
	sg_ctl_jline_str(j, "proto", f->proto == 17 ? "udp" : "tcp");
	sg_ctl_jline_str(j, "family", f->family == SG_WIRE_FAMILY_V6 ? "ipv6" : "ipv4");
}

int
sg_ctl_usage_line(char *buf, size_t len, const struct sg_ctl_cs *cs,
		  const struct sg_msg_session_closed *c, bool interim, uint64_t end_ms)
{
	static const struct sg_msg_session_closed zero;
	struct sg_ctl_jline j;

	if (c == NULL)
		c = &zero;
	sg_ctl_jline_init(&j, buf, len);
	sg_ctl_jline_str(&j, "kind", interim ? "interim" : "final");
	sg_ctl_usage_line_common(&j, cs);
	sg_ctl_jline_u64(&j, "start_ms", cs->created_ms);
	sg_ctl_jline_u64(&j, "end_ms", end_ms);
	sg_ctl_jline_u64(&j, "installed_ms", c->installed_ms);
	sg_ctl_jline_u64(&j, "pkts_c2s", c->pkts_c2s);
	sg_ctl_jline_u64(&j, "pkts_s2c", c->pkts_s2c);
	sg_ctl_jline_u64(&j, "bytes_c2s", c->bytes_c2s);
	sg_ctl_jline_u64(&j, "bytes_s2c", c->bytes_s2c);
	sg_ctl_jline_bool(&j, "s2c_acked", c->flags & SG_MSG_USAGE_S2C_ACKED);
	sg_ctl_jline_bool(&j, "qos_drops", c->flags & SG_MSG_USAGE_QOS_DROPS);
	sg_ctl_jline_u64(&j, "qos_dropped", c->qos_dropped);
	sg_ctl_jline_str(&j, "reason", interim ? "" : sg_ctl_cs_reason_name(cs->reason));
	return sg_ctl_jline_end(&j);
}

void
sg_ctl_usage_record(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs,
		    const struct sg_msg_session_closed *c, bool interim, uint64_t now_ns)
{
	char line[SG_CTL_JLOG_LINE_MAX];
	int n;

	if (interim)
		u->interims++;
	else
		u->finals++;
	if (!interim && c != NULL && c->installed_ms != 0)
		sg_ctl_hist_add(sg_ctl_usage_hold_bounds, SG_CTL_HOLD_BUCKETS, u->hold_bucket,
				&u->hold_sum_s, c->installed_ms / 1000.0);
	if (u->rec.path[0] == '\0')
		return;
	n = sg_ctl_usage_line(line, sizeof(line), cs, c, interim, sg_ctl_usage_wall_ms());
	if (n < 0) {
		u->rec.errors++;
		return;
	}
	sg_ctl_jlog_put(&u->rec, line, (size_t)n, now_ns);
}
