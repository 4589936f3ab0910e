/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * usage.c: usage records (one JSON line per ended session, and interim
 * lines of long sessions, from SESSION_CLOSED / SESSION_USAGE) and the
 * session hold-time histogram; accesslog.c: the access log (one JSON line
 * per session decision). Both files are struct sg_ctl_jlog (jlog.h).
 * doc/control.md "Usage records", "Access log".
 */
#ifndef SG_CTL_USAGE_H
#define SG_CTL_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jlog.h"
#include "model.h"
#include "sessiongate/sg_msg.h"

struct sg_ctl_jline;

#define SG_CTL_HOLD_BUCKETS 10

/** Upper bounds (seconds) of the hold-time histogram (installed to closed). */
extern const double sg_ctl_usage_hold_bounds[SG_CTL_HOLD_BUCKETS];

/** Usage records and access log of one sg-control (the wiring owns it). */
struct sg_ctl_usage {
	struct sg_ctl_jlog rec;	 /**< usage records (cfg usage.path) */
	struct sg_ctl_jlog alog; /**< access log (cfg usage.access_log) */
	uint64_t finals;	 /**< final records made (written or not) */
	uint64_t interims;	 /**< interim records made */
	uint64_t unknown_usage;	 /**< SESSION_USAGE of no known session: ignored */
	uint64_t hold_bucket[SG_CTL_HOLD_BUCKETS + 1]; /**< +Inf last */
	double hold_sum_s;
};

/** Both files off, counters zero. */
void sg_ctl_usage_init(struct sg_ctl_usage *u);
/** Write what both files hold, close them (SIGTERM, exit: nothing is lost). */
void sg_ctl_usage_fini(struct sg_ctl_usage *u);
/** Write the held lines of both files now (sgctl usage, reload). @p now_ns: monotonic. */
void sg_ctl_usage_flush(struct sg_ctl_usage *u, uint64_t now_ns);
/** Write the held lines once the oldest is SG_CTL_JLOG_FLUSH_MS old (sg-control's tick). */
void sg_ctl_usage_tick(struct sg_ctl_usage *u, uint64_t now_ns);
/** Follow @p cfg's usage: section (paths, size, keep); called before each record. */
void sg_ctl_usage_config(struct sg_ctl_usage *u, const struct sg_ctl_usage_cfg *cfg);

/**
 * Add what every line says of @p cs to line @p j: session_id (text),
 * user, user_id ("" for anonymous), app, vm, host ("" when none), client
 * and client_port, vip and vip_port, proto, family.
 */
void sg_ctl_usage_line_common(struct sg_ctl_jline *j, const struct sg_ctl_cs *cs);
/**
 * The usage record of @p cs into @p buf (@p len bytes), newline included:
 * kind ("final", or "interim" when @p interim), its identity
 * (sg_ctl_usage_line_common), start_ms (created), end_ms (@p end_ms), the
 * usage @p c (NULL: zeros) and reason.
 * @return the line's length, or -EMSGSIZE.
 */
int sg_ctl_usage_line(char *buf, size_t len, const struct sg_ctl_cs *cs,
		      const struct sg_msg_session_closed *c, bool interim, uint64_t end_ms);
/**
 * Write the usage record of @p cs (@p c: NULL = never installed, zeros;
 * @p reason its close reason) and, for a final one of an installed
 * session, count its hold time. @p now_ns: monotonic.
 */
void sg_ctl_usage_record(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs,
			 const struct sg_msg_session_closed *c, bool interim, uint64_t now_ns);

/** Wall clock in milliseconds. */
uint64_t sg_ctl_usage_wall_ms(void);

/* accesslog.c: one line per decision ("event": installed, rejected, closed). */
/** @p cs was installed, @p setup_ns after its SESSION_NEW. */
void sg_ctl_alog_installed(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs, uint64_t setup_ns,
			   uint64_t now_ns);
/** @p cs was refused with @p reason (cs->why: the detail, e.g. the token's error). */
void sg_ctl_alog_rejected(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs, unsigned int reason,
			  uint64_t now_ns);
/** Installed @p cs ended with @p reason (@p c: the data plane's totals, NULL: unknown). */
void sg_ctl_alog_closed(struct sg_ctl_usage *u, const struct sg_ctl_cs *cs, unsigned int reason,
			const struct sg_msg_session_closed *c, uint64_t now_ns);

#endif /* SG_CTL_USAGE_H */
