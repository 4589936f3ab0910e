/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a session's accounting lines cost sg-control's event loop
 * (control-usage-lines; doc/benchmarking.md "Usage records and the access
 * log"): N sessions' usage record (SESSION_CLOSED) and their access-log
 * lines ("installed", "closed") through sg_ctl_usage_record /
 * sg_ctl_alog_* into real files in a temporary directory, held and
 * written as sg-control does (jlog.c), in this thread's CPU time; beside
 * them the record as it was made before (jansson object, json_dumpb, one
 * write(2) per line: usage_ref.c).
 *
 *   bench_usage [N]
 *
 * Exit 1 when a usage record costs 1 us or more (SGCTL_BENCH_ENFORCE=0:
 * report only) or a line is lost.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "usage.h"
#include "usage_ref.h"

static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A token user's session of app "desk" on vm-a, host-a, closed with its totals. */
static struct sg_ctl_app_cfg acfg = {.name = "desk"};
static struct sg_ctl_vm_cfg vcfg = {.name = "vm-a"};
static struct sg_ctl_host_cfg hcfg = {.name = "host-a"};
static struct sg_ctl_app app = {.cfg = &acfg};
static struct sg_ctl_host host = {.cfg = &hcfg};
static struct sg_ctl_vm vm = {.cfg = &vcfg, .host = &host};

static void
sess(struct sg_ctl_cs *cs, struct sg_msg_session_closed *c, uint64_t i)
{
	memset(cs, 0, sizeof(*cs));
	cs->session_id = 0xbe00000000ull + i;
	cs->user_id = 0x1000000000000000ull + i % 10000;
	snprintf(cs->user, sizeof(cs->user), "user%llu", (unsigned long long)(i % 10000));
	cs->app = &app;
	cs->vm = &vm;
	cs->created_ms = 1796560000000ull + i;
	cs->reason = SG_MSG_REASON_CLIENT_CLOSED;
	cs->flow.family = SG_WIRE_FAMILY_V4;
	cs->flow.proto = 6;
	cs->flow.sport = (uint16_t)(1024 + i % 60000);
	cs->flow.dport = 80;
	inet_pton(AF_INET, "198.18.0.1", cs->flow.saddr);
	inet_pton(AF_INET, "198.18.10.1", cs->flow.daddr);
	memset(c, 0, sizeof(*c));
	c->reason = SG_MSG_REASON_CLIENT_CLOSED;
	c->installed_ms = (uint32_t)(i % 100000);
	c->pkts_c2s = 8 + i % 7;
	c->pkts_s2c = 12 + i % 5;
	c->bytes_c2s = 600 + i;
	c->bytes_s2c = 123456 + i;
}

/* @return CPU ns per call of @p what (0: record, 1: access-log pair, 2: jansson record). */
#define SESS 1024 /* sessions made before the clock starts, used in turn */

static struct sg_ctl_cs css[SESS];
static struct sg_msg_session_closed cls[SESS];

static double
run(int what, uint64_t n, struct sg_ctl_usage *u, int fd)
{
	struct sg_ctl_cs *cs;
	struct sg_msg_session_closed *c;
	char line[SG_CTL_JLOG_LINE_MAX];
	uint64_t t0, i;
	size_t len;
	json_t *o;

	for (i = 0; i < SESS; i++)
		sess(&css[i], &cls[i], i);
	t0 = cpu_ns();
	for (i = 0; i < n; i++) {
		cs = &css[i % SESS];
		c = &cls[i % SESS];
		if (what == 0) {
			sg_ctl_usage_record(u, cs, c, false, mono_ns());
		} else if (what == 1) {
			sg_ctl_alog_installed(u, cs, 5000, mono_ns());
			sg_ctl_alog_closed(u, cs, cs->reason, c, mono_ns());
		} else {
			o = usage_ref_json(cs, c, false, sg_ctl_usage_wall_ms());
			len = json_dumpb(o, line, sizeof(line) - 1, JSON_COMPACT);
			line[len++] = '\n';
			if (write(fd, line, len) != (ssize_t)len)
				return -1;
			json_decref(o);
		}
	}
	sg_ctl_usage_flush(u, mono_ns());
	return (double)(cpu_ns() - t0) / (double)n;
}

int
main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 100000;
	const char *enforce = getenv("SGCTL_BENCH_ENFORCE");
	struct sg_ctl_usage_cfg cfg = {.max_mb = 1024, .keep = 1};
	struct sg_ctl_usage u;
	char dir[] = "/tmp/sg-bench-usage-XXXXXX", ref[96], cmd[96];
	double rec, alog, old;
	int fd;
	bool ok;

	if (n < 1000 || n > 10000000 || mkdtemp(dir) == NULL) {
		fprintf(stderr, "usage: bench_usage [N: 1000..10000000]\n");
		return 2;
	}
	snprintf(cfg.path, sizeof(cfg.path), "%s/usage.jsonl", dir);
	snprintf(cfg.access_log, sizeof(cfg.access_log), "%s/access.jsonl", dir);
	snprintf(ref, sizeof(ref), "%s/jansson.jsonl", dir);
	fd = open(ref, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	sg_ctl_usage_init(&u);
	sg_ctl_usage_config(&u, &cfg);
	rec = run(0, n, &u, fd);
	alog = run(1, n, &u, fd);
	old = run(2, n, &u, fd);
	ok = u.rec.lines == n && u.alog.lines == 2 * n && u.rec.errors == 0 && u.alog.errors == 0 &&
	     old > 0;
	printf("%-52s %6.3f us of CPU each (%llu lines, %llu written)\n",
	       "usage record (jline + 256 KiB buffer)", rec / 1e3, (unsigned long long)n,
	       (unsigned long long)u.rec.lines);
	printf("%-52s %6.3f us of CPU each (%llu lines)\n",
	       "access log: installed + closed (jline + buffer)", alog / 1e3,
	       (unsigned long long)u.alog.lines);
	printf("%-52s %6.3f us of CPU each\n", "usage record as before (jansson + write(2))",
	       old / 1e3);
	printf("a session's three lines: %.3f us of CPU (~%.3f as before: 3 x the jansson "
	       "record); at 100k sessions/s: %.0f%% of one CPU\n",
	       (rec + alog) / 1e3, (old * 3) / 1e3, (rec + alog) / 1e2);
	sg_ctl_usage_fini(&u);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	if (!ok) {
		fprintf(stderr, "lines lost: records %llu errors %llu, access %llu errors %llu\n",
			(unsigned long long)u.rec.lines, (unsigned long long)u.rec.errors,
			(unsigned long long)u.alog.lines, (unsigned long long)u.alog.errors);
		return 1;
	}
	ok = rec < 1000.0;
	printf("target < 1 us per usage record: %s\n", ok ? "met" : "NOT met");
	return !ok && (enforce == NULL || strcmp(enforce, "0") != 0) ? 1 : 0;
}
