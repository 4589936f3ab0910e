/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The benchmarks' data plane: the driver sending SESSION_NEW at a fixed
 * rate or with a window in flight, timing each until its INSTALL and
 * closing it; and the ceiling, an echo thread answering at once.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "bench.h"
#include "sessiongate/sg_agent_proto.h"

struct it bench_it;

static volatile bool echo_stop;
static pthread_t echo_thr;

uint64_t
bench_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
bench_run_alloc(struct bench_run *r, const char *name, uint64_t n)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->t_sent = calloc(n, sizeof(uint64_t));
	r->lat_ns = calloc(n, sizeof(uint32_t));
	r->to_close = calloc(n, sizeof(uint64_t));
	if (r->t_sent == NULL || r->lat_ns == NULL || r->to_close == NULL)
		IT_FAIL("out of memory");
}

/* The ceiling: the other end of the same rings, doing nothing but answer. */
static void *
echo_main(void *arg)
{
	struct dpsim *d = arg;
	struct sg_msg in[64];
	unsigned int n, i, k;

	memset(in, 0, sizeof(in)); /* once: no element is read before something wrote it */
	while (!echo_stop) {
		n = rte_ring_sc_dequeue_burst_elem(d->tx[0], in, SG_MSG_SIZE, 64, NULL);
		for (i = 0; i < n; i++) {
			if (in[i].hdr.type != SG_MSG_SESSION_NEW) {
				in[i].hdr.type = 0; /* closed: nothing to answer */
				continue;
			}
			in[i].hdr.type = SG_MSG_SESSION_INSTALL;
			in[i].hdr.len = sizeof(in[i].hdr) + sizeof(in[i].install);
			memset(&in[i].install, 0, sizeof(in[i].install));
			in[i].install.mode = SG_MSG_INSTALL_NAT;
			in[i].install.family = 4;
			in[i].install.backend_port = 80;
		}
		if (n == 0) {
			sched_yield();
			continue;
		}
		for (i = 0, k = 0; i < n; i++)
			if (in[i].hdr.type != 0)
				in[k++] = in[i];
		for (i = 0; i < k;)
			i += rte_ring_sp_enqueue_burst_elem(d->rx[0], &in[i], SG_MSG_SIZE, k - i,
							    NULL);
	}
	return NULL;
}

void
bench_echo_start(struct dpsim *d)
{
	echo_stop = false;
	if (pthread_create(&echo_thr, NULL, echo_main, d) != 0)
		IT_FAIL("echo thread");
}

void
bench_echo_stop(void)
{
	echo_stop = true;
	pthread_join(echo_thr, NULL);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The answers waiting on the ring: timed, checked, queued for closing. @return how many. */
static unsigned int
drive_answers(struct bench_run *r, uint64_t base, uint64_t sent, bool echo)
{
	struct sg_msg m[64];
	unsigned int i, got = dpsim_recv(&bench_it.dp, 0, m, 64);
	uint64_t now = it_now_ns(), sid;

	for (i = 0; i < got; i++) {
		if (m[i].hdr.type == SG_MSG_SESSION_RESYNC || m[i].hdr.type == SG_MSG_SESSION_AUDIT)
			continue;
		sid = m[i].hdr.session_id;
		if (m[i].hdr.type != SG_MSG_SESSION_INSTALL || sid <= base || sid > base + sent)
			IT_FAIL("%s: unexpected answer type %u for %llu (reason %u)", r->name,
				m[i].hdr.type, (unsigned long long)sid, m[i].reject.reason);
		r->lat_ns[r->n_lat++] =
			(uint32_t)RTE_MIN(now - r->t_sent[sid - base - 1], (uint64_t)UINT32_MAX);
		r->answered++;
		if (!echo)
			r->to_close[r->n_close++] = sid;
	}
	bench_it.dp.hdr->dp_heartbeat++;
	return got;
}

void
bench_drive(struct bench_run *r, uint64_t base, uint64_t n, uint64_t rate, bool echo,
	    const struct bench_tmpl *t)
{
	struct sg_msg m, c;
	uint64_t sent = 0, t0, now, next_ns, gap_ns = rate ? 1000000000ull / rate : 0;
	uint64_t deadline, rnd = 0x9e3779b97f4a7c15ull ^ base;

	memset(&c, 0, sizeof(c));
	c.hdr.version = SG_MSG_VERSION;
	c.hdr.type = SG_MSG_SESSION_CLOSED;
	c.hdr.len = sizeof(c.hdr) + sizeof(c.closed);
	c.closed.reason = SG_MSG_REASON_CLIENT_CLOSED;
	r->n = n;
	r->answered = 0;
	r->n_lat = 0;
	r->n_close = 0;
	t0 = it_now_ns();
	next_ns = t0;
	deadline = t0 + 60000000000ull;
	while (r->answered < n || r->n_close > 0) {
		now = it_now_ns();
		if (now > deadline)
			IT_FAIL("%s: only %llu of %llu answered in 60 s", r->name,
				(unsigned long long)r->answered, (unsigned long long)n);
		/* Closes first (they free capacity), when there is room: never spin. */
		while (r->n_close > 0) {
			c.hdr.session_id = r->to_close[r->n_close - 1];
			if (dpsim_send(&bench_it.dp, 0, &c) < 0)
				break;
			r->n_close--;
		}
		/* new sessions, each from a template picked at random (xorshift) */
		while (sent < n && (rate ? now >= next_ns : sent - r->answered < BENCH_WINDOW)) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			memcpy(&m, &t->m[t->n > 1 ? rnd % t->n : 0], sizeof(m));
			m.hdr.session_id = base + sent + 1;
			m.session_new.flow.sport = (uint16_t)(1024 + sent % 60000);
			r->t_sent[sent] = it_now_ns();
			if (dpsim_send(&bench_it.dp, 0, &m) < 0)
				break;
			sent++;
			next_ns += gap_ns;
		}
		if (drive_answers(r, base, sent, echo) > 0)
			continue;
		if (rate != 0) {
			/*
			 * Open loop: sleep a little instead of spinning, so that on
			 * a box with fewer free cores than busy threads sg-control
			 * is not descheduled for whole time slices by this driver
			 * (which then measures the scheduler, not the control path).
			 */
			struct timespec ts = {0, 20000};

			nanosleep(&ts, NULL);
		} else {
			sched_yield(); /* 2 shared vCPUs: let the other end run */
		}
	}
	r->secs = (double)(it_now_ns() - t0) / 1e9;
}

double
bench_report(struct bench_run *r, const char *what)
{
	/* integral on purpose: ranks into the sorted samples */
	uint64_t i50 = r->n_lat / 2, i99 = r->n_lat * 99 / 100;

	qsort(r->lat_ns, r->n_lat, sizeof(r->lat_ns[0]), cmp_u32);
	printf("%-34s %-10s %9.0f setups/s  p50 %7.1f us  p99 %7.1f us  (%llu sessions)\n", r->name,
	       what, (double)r->n / r->secs, (double)r->lat_ns[i50] / 1e3,
	       (double)r->lat_ns[i99] / 1e3, (unsigned long long)r->n);
	fflush(stdout);
	return (double)r->lat_ns[i99] / 1e6;
}

void
bench_ctl_start(const char *body)
{
	dpsim_destroy(&bench_it.dp, true);
	if (dpsim_create(&bench_it.dp, bench_it.shm, 1, 4096,
			 0xbe00000000ull | (uint64_t)getpid()) < 0)
		IT_FAIL("shm");
	bench_it.idmgr_lease = true;
	it_write_cfg(&bench_it, body, NULL);
	it_start_ctl(&bench_it);
	it_agent_start(&bench_it);
	it_wait_agent(&bench_it, 5000);
}

void
bench_ctl_settle(void)
{
	struct sg_msg m[8];

	usleep(300000);
	while (dpsim_recv(&bench_it.dp, 0, m, 8) > 0) /* RESYNC */
		;
}

long long
bench_ctl_stop(void)
{
	json_t *st = it_admin(&bench_it, "{\"cmd\":\"status\"}");
	json_t *gus = json_object_get(json_object_get(json_object_get(st, "stats"), "auth"),
				      "graph_us_avg");
	long long verified = it_jint(st, "stats.auth.verified");

	printf("sg-control: setups %lld, ring_full %lld, invalid %lld, db_errors %lld; tokens "
	       "verified %lld, graph checks %lld (%.2f us each, wall)\n",
	       it_jint(st, "stats.setups"), it_jint(st, "stats.ring_full"),
	       it_jint(st, "stats.invalid.field"), it_jint(st, "stats.db_errors"), verified,
	       it_jint(st, "stats.auth.graph_checks"), gus != NULL ? json_number_value(gus) : 0.0);
	json_decref(st);
	it_stop_ctl(&bench_it);
	return verified;
}
