/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The access log: one JSON line per session decision (doc/control.md
 * "Access log"): "installed" (where, for whom, setup time), "rejected"
 * (the reason and its detail), "closed" (the reason, bytes each way).
 */
#include <stdbool.h>

#include "cs.h"
#include "jline.h"
#include "usage.h"

/* The line's common part: time, event, the session's identity. */
static bool
alog_line(struct sg_ctl_jline *j, char *buf, const struct sg_ctl_usage *u,
	  const struct sg_ctl_cs *cs, const char *event)
{
	if (u->alog.path[0] == '\0')
		return false;
	sg_ctl_jline_init(j, buf, SG_CTL_JLOG_LINE_MAX);
	sg_ctl_jline_u64(j, "ts_ms", sg_ctl_usage_wall_ms());
	sg_ctl_jline_str(j, "event", event);
	sg_ctl_usage_line_common(j, cs);
	return true;
}

static void
alog_put(struct sg_ctl_usage *u, struct sg_ctl_jline *j, uint64_t now_ns)
{
	int n = sg_ctl_jline_end(j);

	if (n < 0)
		u->alog.errors++;
	else
		sg_ctl_jlog_put(&u->alog, j->buf, (size_t)n, now_ns);
}

void
sg_ctl_alog_installed(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs, uint64_t setup_ns,
		      uint64_t now_ns)
{
	char buf[SG_CTL_JLOG_LINE_MAX];
	struct sg_ctl_jline j;

	if (!alog_line(&j, buf, u, cs, "installed"))
		return;
	sg_ctl_jline_u64(&j, "setup_us", setup_ns / 1000);
	alog_put(u, &j, now_ns);
}

void
sg_ctl_alog_rejected(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs, unsigned int reason,
		     uint64_t now_ns)
{
	char buf[SG_CTL_JLOG_LINE_MAX];
	struct sg_ctl_jline j;

	if (!alog_line(&j, buf, u, cs, "rejected"))
		return;
	sg_ctl_jline_str(&j, "reason", sg_ctl_cs_reason_name(reason));
	sg_ctl_jline_str(&j, "why", cs->why != NULL ? cs->why : "");
	alog_put(u, &j, now_ns);
}

void
sg_ctl_alog_closed(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs, unsigned int reason,
		   const struct sg_msg_session_closed *c, uint64_t now_ns)
{
	char buf[SG_CTL_JLOG_LINE_MAX];
	struct sg_ctl_jline j;

	if (!alog_line(&j, buf, u, cs, "closed"))
		return;
	sg_ctl_jline_str(&j, "reason", sg_ctl_cs_reason_name(reason));
	sg_ctl_jline_u64(&j, "held_ms", c != NULL ? c->installed_ms : 0);
	sg_ctl_jline_u64(&j, "bytes_c2s", c != NULL ? c->bytes_c2s : 0);
	sg_ctl_jline_u64(&j, "bytes_s2c", c != NULL ? c->bytes_s2c : 0);
	alog_put(u, &j, now_ns);
}
