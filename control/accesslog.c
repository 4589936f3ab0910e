/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The access log: one JSON line per session decision (doc/control.md
 * "Access log"): "installed" (where, for whom, setup time), "rejected"
 * (the reason and its detail), "closed" (the reason, bytes each way).
 */
#include <string.h>

#include <jansson.h>

#include "cs.h"
#include "usage.h"

/* The line's common part: time, event, the session's identity. */
static json_t *
alog_line(const struct sg_ctl_usage *u, const struct sg_ctl_cs *cs, const char *event)
{
	json_t *o;

	if (u->alog.path[0] == '\0' || (o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "ts_ms", json_integer((json_int_t)sg_ctl_usage_wall_ms()));
	json_object_set_new(o, "event", json_string(event));
	sg_ctl_usage_json_common(o, cs);
	return o;
}

static void
alog_put(struct sg_ctl_usage *u, json_t *o, uint64_t now_ns)
{
	sg_ctl_jlog_write(&u->alog, o, now_ns);
	json_decref(o);
}

void
sg_ctl_alog_installed(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs, uint64_t setup_ns,
		      uint64_t now_ns)
{
	json_t *o = alog_line(u, cs, "installed");

	if (o == NULL)
		return;
	json_object_set_new(o, "setup_us", json_integer((json_int_t)(setup_ns / 1000)));
	alog_put(u, o, now_ns);
}

void
sg_ctl_alog_rejected(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs, unsigned int reason,
		     uint64_t now_ns)
{
	json_t *o = alog_line(u, cs, "rejected");

	if (o == NULL)
		return;
	json_object_set_new(o, "reason", json_string(sg_ctl_cs_reason_name(reason)));
	json_object_set_new(o, "why", json_string(cs->why != NULL ? cs->why : ""));
	alog_put(u, o, now_ns);
}

void
sg_ctl_alog_closed(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs, unsigned int reason,
		   const struct sg_msg_session_closed *c, uint64_t now_ns)
{
	json_t *o = alog_line(u, cs, "closed");

	if (o == NULL)
		return;
	json_object_set_new(o, "reason", json_string(sg_ctl_cs_reason_name(reason)));
	json_object_set_new(o, "held_ms", json_integer(c != NULL ? c->installed_ms : 0));
	json_object_set_new(o, "bytes_c2s", json_integer(c != NULL ? (json_int_t)c->bytes_c2s : 0));
	json_object_set_new(o, "bytes_s2c", json_integer(c != NULL ? (json_int_t)c->bytes_s2c : 0));
	alog_put(u, o, now_ns);
}
