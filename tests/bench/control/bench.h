/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control-path benchmarks (bench_control.c: control-setups,
 * bench_auth.c: control-setups-auth): the driver playing the data plane on
 * the rings, the no-work ceiling, the in-process core and the identity
 * store of the token benchmark.
 */
#ifndef SG_BENCH_CONTROL_H
#define SG_BENCH_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl.h"
#include "itest.h"

#define BENCH_VIP	  "198.18.10.1"
#define BENCH_WINDOW	  2048
#define BENCH_PORT	  80 /* the anonymous application */
#define BENCH_AUTH_PORT	  81 /* the token application (bench_auth.c) */
#define BENCH_COOKIE_PORT 82 /* in-process: an anonymous app keyed by the same cookie */

/** One measurement: sessions driven, their latencies, the sessions to close. */
struct bench_run {
	const char *name;
	uint64_t n;
	uint64_t *t_sent;
	uint32_t *lat_ns;
	uint64_t n_lat;
	uint64_t answered;
	uint64_t *to_close;
	uint64_t n_close;
	double secs;
};

/** The SESSION_NEW messages a run picks from (one per user, or one). */
struct bench_tmpl {
	const struct sg_msg *m;
	unsigned int n;
	const char *usage_dir; /**< in-process: usage records and access log there; NULL: off */
};

extern struct it bench_it;

/**
 * This thread's CPU time in ns: the in-process figures count it, not wall
 * time, so other processes on a shared box do not inflate them.
 */
uint64_t bench_cpu_ns(void);
/** Buffers for @p n sessions (shared by every run of a program). */
void bench_run_alloc(struct bench_run *r, const char *name, uint64_t n);
/** The ceiling: a thread answering every SESSION_NEW at once on @p d's rings. */
void bench_echo_start(struct dpsim *d);
void bench_echo_stop(void);
/**
 * Drive @p n sessions (IDs base+1..base+n) on worker 0, each a copy of one of
 * @p t's messages picked at random. @p rate 0: closed loop with BENCH_WINDOW
 * in flight; else open loop at @p rate per second. Every answer must be an
 * INSTALL (a refusal fails the program); unless @p echo, each installed
 * session is closed.
 */
void bench_drive(struct bench_run *r, uint64_t base, uint64_t n, uint64_t rate, bool echo,
		 const struct bench_tmpl *t);
/** Print setups/s, p50 and p99 (sorts the latencies). @return p99 in ms. */
double bench_report(struct bench_run *r, const char *what);

/**
 * Start sg-control on @p body (its YAML after the control: section, with
 * idmgr leasing IDs) on fresh rings, and the in-process agent with the VMs
 * bench_it.agent lists; wait for the agent's link.
 */
void bench_ctl_start(const char *body);
/** Let sg-control settle, and drop its RESYNC. */
void bench_ctl_settle(void);
/** Print sg-control's counters and stop it. @return its tokens verified. */
long long bench_ctl_stop(void);

/** In-process: which core answers. */
enum bench_core {
	BENCH_CORE_ECHO,  /**< a ring echo, no work (the ceiling) */
	BENCH_CORE_PLAIN, /**< sg-control's core, no idmgr, one anonymous app */
	BENCH_CORE_AUTH,  /**< the core with idmgr, a token app and its graph */
};

struct bench_pop;

/**
 * The control path's CPU cost alone: one thread alternates between playing
 * the data plane and running sg_ctl_poll() on the same rings. On one core,
 * for each of the @p n_t template sets @p t in turn, @p n sessions: their
 * setups (+ closes) per second in @p rates. BENCH_CORE_AUTH populates idmgr
 * with @p pop first (which fills its templates) and prints the per-query
 * costs after.
 */
void bench_inproc(uint64_t n, enum bench_core core, const char *dir, struct bench_pop *pop,
		  const struct bench_tmpl *t, unsigned int n_t, double *rates);

#endif /* SG_BENCH_CONTROL_H */
