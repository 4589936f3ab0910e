/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accounting through the real sg-control (doc/control.md "Usage records",
 * "Access log", "Prometheus: the data plane"): this process plays the
 * data plane on the rings (SESSION_NEW, SESSION_USAGE, SESSION_CLOSED with
 * totals, VS_STATS from two workers) and its telemetry socket (a python
 * SOCK_SEQPACKET server answering /sg/...); the checks read what an
 * operator reads: the usage and access-log files, `sgctl usage` (filters,
 * table, hostile arguments), `sgctl vs`, and a /metrics scrape. Then the
 * usage file becomes unwritable (reload to a path in no directory): the
 * loss is counted and sessions are still served. Last, SIGTERM right after
 * 20 sessions closed: their lines, held in memory for up to 100 ms
 * (jlog.c), are all in the files once sg-control has exited.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#define VIP "198.18.10.1"

static struct it T;
static pid_t tel_pid;
static char out[1 << 16];

#define CFG                                                                                 \
	"hosts:\n"                                                                          \
	"  - { name: h1, address: 198.18.3.11, agent_address: 127.0.0.1 }\n"                \
	"pools:\n"                                                                          \
	"  - name: p1\n"                                                                    \
	"    session_cap: 100\n"                                                            \
	"    vms:\n"                                                                        \
	"      - { name: vm1, host: h1, address: 198.18.4.10 }\n"                           \
	"applications:\n"                                                                   \
	"  - { name: web, vip: " VIP ", port: 80, pool: p1, mode: nat }\n"                  \
	"  - { name: desk, vip: " VIP ", port: 3389, pool: p1, mode: dsr, affinity: true, " \
	"match: { rdp_cookie: mstshash } }\n"                                               \
	"users:\n"                                                                          \
	"  - { name: alice, vm: vm1 }\n"                                                    \
	"usage: { path: %s/%s, max_mb: 1, keep: 2, access_log: %s/access.jsonl }\n"         \
	"dataplane_telemetry: %s/tel.sock\n"

/* The data plane's telemetry socket, as DPDK answers it (greeting, then one answer). */
static const char tel_py[] =
	"import json, socket, sys\n"
	"ans = {'/sg/stats': {'drop_bad_csum': 3, 'neigh_entries': 2},\n"
	"       '/sg/ports': {'lan': {'name': 'lan', 'rx_pkts': 100, 'tx_pkts': 90,\n"
	"                     'rx_bytes': 1, 'tx_bytes': 2, 'drops': 0}},\n"
	"       '/sg/flows': {'worker0': 1, 'worker1': 2, 'total': 3},\n"
	"       '/sg/vs': {'web': {'name': 'web', 'pkts': 7, 'bytes': 700, 'flows': 1,\n"
	"                  'active_flows': 1}},\n"
	"       '/sg/members': {}}\n"
	"s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
	"s.bind(sys.argv[1]); s.listen(8)\n"
	"while True:\n"
	"    c, _ = s.accept()\n"
	"    c.send(b'{\"version\": \"DPDK 22.11\", \"pid\": 1, \"max_output_len\": 16384}')\n"
	"    cmd = c.recv(256).decode()\n"
	"    c.send(json.dumps({cmd: ans.get(cmd, {})}).encode())\n"
	"    c.close()\n";

static void
tel_stop(void)
{
	if (tel_pid > 0) {
		kill(tel_pid, SIGKILL);
		waitpid(tel_pid, NULL, 0);
	}
	tel_pid = 0;
}

static void
tel_start(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/tel.sock", T.dir);
	tel_pid = fork();
	IT_CHECK(tel_pid >= 0, "fork");
	if (tel_pid == 0) {
		execlp("python3", "python3", "-c", tel_py, path, (char *)NULL);
		_exit(127);
	}
	atexit(tel_stop); /* runs before it_cleanup's */
	for (int i = 0; i < 100 && access(path, F_OK) != 0; i++)
		usleep(20000);
	IT_CHECK(access(path, F_OK) == 0, "the fake telemetry socket did not appear");
}

/* Run @p fmt (a shell command) into out[]; @return its exit status. */
static int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	IT_CHECK(p != NULL, "popen %s", cmd);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
send_totals(uint16_t type, uint64_t sid, uint16_t reason, uint64_t bytes_s2c)
{
	struct sg_msg m;

	dpsim_make(&m, type, T.s[sid].worker, sid);
	m.closed.reason = reason;
	m.closed.installed_ms = 1500;
	m.closed.pkts_c2s = 4;
	m.closed.pkts_s2c = 6;
	m.closed.bytes_c2s = 300;
	m.closed.bytes_s2c = bytes_s2c;
	IT_CHECK(dpsim_send(&T.dp, T.s[sid].worker, &m) == 0, "ring full");
	if (type == SG_MSG_SESSION_CLOSED) {
		T.s[sid].held = false;
		T.s[sid].closed = true;
	}
}

static void
send_vs_stats(uint16_t worker, uint64_t held)
{
	struct sg_msg m;

	dpsim_make(&m, SG_MSG_VS_STATS, worker, 0);
	m.vs_stats.vs_slot = 2;
	m.vs_stats.held = held;
	m.vs_stats.installed = held - 1;
	m.vs_stats.rejected = 1;
	m.vs_stats.held_now = worker;
	snprintf(m.vs_stats.vs_name, sizeof(m.vs_stats.vs_name), "web");
	IT_CHECK(dpsim_send(&T.dp, worker, &m) == 0, "ring full");
}

#define TERM_N 20 /* sessions closed just before the SIGTERM */

static bool
answered(struct it *t, void *arg)
{
	uint64_t last = *(uint64_t *)arg;

	for (uint64_t i = 1; i <= last; i++)
		if (t->s[i].installs + t->s[i].rejects == 0)
			return false;
	return true;
}

static long long
metric(const char *text, const char *series)
{
	const char *p = strstr(text, series);

	return p != NULL ? strtoll(p + strlen(series), NULL, 10) : -1;
}

/* sg-control's closed sessions (admin status) */
static long long
n_closed(void)
{
	json_t *st = it_admin(&T, "{\"cmd\":\"status\"}");
	long long n = it_jint(st, "stats.closed");

	json_decref(st);
	return n;
}

/* TERM_N sessions closed, then SIGTERM at once: no usage or access-log line lost. */
static void
term_flush(char *body, size_t len, const char *sgctl)
{
	long long closed0 = n_closed();
	uint64_t sid, last = 5 + TERM_N;
	int rc, i;

	snprintf(body, len, CFG, T.dir, "term.jsonl", T.dir, T.dir);
	it_write_cfg(&T, body, NULL);
	rc = sh("%s reload", sgctl);
	IT_CHECK(rc == 0, "reload rc %d: %s", rc, out);
	for (sid = 6; sid <= last; sid++)
		it_send_new(&T, sid, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	IT_CHECK(it_pump(&T, 5000, answered, &last), "sessions 6.. not answered");
	for (sid = 6; sid <= last; sid++)
		send_totals(SG_MSG_SESSION_CLOSED, sid, SG_MSG_REASON_CLIENT_CLOSED, 1000 + sid);
	for (i = 0; i < 500 && n_closed() < closed0 + TERM_N; i++)
		usleep(2000);
	IT_CHECK(n_closed() == closed0 + TERM_N, "closed %lld of %d", n_closed() - closed0, TERM_N);
	sh("cat %s/term.jsonl 2>/dev/null | wc -l", T.dir);
	printf("term.jsonl before SIGTERM: %ld of %d lines written\n", strtol(out, NULL, 10),
	       TERM_N);
	it_stop_ctl(&T); /* SIGTERM, exit status 0 */
	rc = sh("wc -l < %s/term.jsonl; grep -c '\"event\":\"closed\"' %s/access.jsonl", T.dir,
		T.dir);
	IT_CHECK(rc == 0 && strtol(out, NULL, 10) == TERM_N &&
			 strtol(strchr(out, '\n') + 1, NULL, 10) == 3 + TERM_N,
		 "lines lost at SIGTERM: %s", out);
}

int
main(int argc, char **argv)
{
	char body[4096], sgctl[512];
	uint64_t last = 4;
	json_t *j;
	int rc;

	if (argc < 2)
		IT_FAIL("usage: test_accounting BUILD/control");
	it_init(&T, argv[1], "acct");
	snprintf(body, sizeof(body), CFG, T.dir, "usage.jsonl", T.dir, T.dir);
	it_write_cfg(&T, body, NULL);
	snprintf(T.agent.vms[0].name, 64, "vm1");
	T.agent.vms[0].state = SG_AGENT_VM_RUNNING;
	T.agent.n_vms = 1;
	T.agent.boot_ms = 100;
	tel_start();
	it_start_ctl(&T);
	it_agent_start(&T);
	it_wait_agent(&T, 10000);
	it_pump(&T, 300, NULL, NULL);
	snprintf(sgctl, sizeof(sgctl), "%s/sgctl -s %s", T.bin, T.sock);

	/* 1, 2: alice's desktop (user from the RDP cookie); 3: web; 4: no application */
	it_send_new(&T, 1, 0, VIP, 3389, SG_MSG_L7_RDP_COOKIE, "Cookie: mstshash=alice\r\n");
	it_send_new(&T, 2, 1, VIP, 3389, SG_MSG_L7_RDP_COOKIE, "Cookie: mstshash=alice\r\n");
	it_send_new(&T, 3, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_send_new(&T, 4, 1, VIP, 81, SG_MSG_L7_NONE, NULL);
	IT_CHECK(it_pump(&T, 5000, answered, &last), "sessions not answered");
	IT_CHECK(T.s[1].installs == 1 && T.s[3].installs == 1 && T.s[4].rejects == 1, "answers");
	send_totals(SG_MSG_SESSION_USAGE, 1, 0, 5000);
	send_totals(SG_MSG_SESSION_CLOSED, 1, SG_MSG_REASON_CLIENT_CLOSED, 9000);
	send_totals(SG_MSG_SESSION_CLOSED, 3, SG_MSG_REASON_IDLE, 777);
	send_vs_stats(0, 10);
	send_vs_stats(1, 5);
	it_pump(&T, 400, NULL, NULL);

	/* sgctl usage: alice's records, newest first: final, then interim */
	rc = sh("%s --json usage --user alice", sgctl);
	j = json_loads(out, 0, NULL);
	IT_CHECK(rc == 0 && j != NULL, "usage --json rc %d: %s", rc, out);
	IT_CHECK(json_array_size(json_object_get(j, "records")) == 2, "alice: %s", out);
	IT_CHECK(strcmp(it_jstr(json_array_get(json_object_get(j, "records"), 0), "kind"),
			"final") == 0 &&
			 it_jint(json_array_get(json_object_get(j, "records"), 0), "bytes_s2c") ==
				 9000 &&
			 strcmp(it_jstr(json_array_get(json_object_get(j, "records"), 0), "app"),
				"desk") == 0 &&
			 strcmp(it_jstr(json_array_get(json_object_get(j, "records"), 1), "kind"),
				"interim") == 0,
		 "alice's records: %s", out);
	json_decref(j);
	rc = sh("%s usage", sgctl);
	IT_CHECK(rc == 0 && strstr(out, "end ") == out && strstr(out, "client_closed") &&
			 strstr(out, "no_app") && strstr(out, "idle") && strstr(out, "4 records"),
		 "usage table rc %d: %s", rc, out);
	rc = sh("%s --json usage --app web --since 2020-01-01T00:00:00Z --limit 1", sgctl);
	IT_CHECK(rc == 0 && strstr(out, "\"bytes_s2c\": 777"), "usage --app web rc %d: %s", rc,
		 out);
	rc = sh("%s --json usage --until 1000000", sgctl);
	IT_CHECK(rc == 0 && strstr(out, "\"records\": []"), "usage --until 1970: %s", out);
	/* hostile arguments: refused with a reason, sg-control still serves */
	rc = sh("%s usage --since tomorrow 2>&1", sgctl);
	IT_CHECK(rc == 1 && strstr(out, "since: expected"), "--since tomorrow rc %d: %s", rc, out);
	rc = sh("%s usage --user 'a\"b' 2>&1", sgctl);
	IT_CHECK(rc == 1 && strstr(out, "user:"), "--user a\"b rc %d: %s", rc, out);
	rc = sh("%s usage --limit 100001 2>&1", sgctl);
	IT_CHECK(rc == 1 && strstr(out, "limit:"), "--limit rc %d: %s", rc, out);

	/* the access log: installed x3, rejected (no_app), closed x2 */
	rc = sh("grep -c '\"event\":\"installed\"' %s/access.jsonl; "
		"grep -c '\"event\":\"rejected\".*\"reason\":\"no_app\"' %s/access.jsonl; "
		"grep -c '\"event\":\"closed\"' %s/access.jsonl",
		T.dir, T.dir, T.dir);
	IT_CHECK(rc == 0 && strcmp(out, "3\n1\n2\n") == 0, "access log: %s", out);

	/* sgctl vs: slot 2 summed over the two workers */
	rc = sh("%s --json vs", sgctl);
	IT_CHECK(rc == 0 && strstr(out, "\"name\": \"web\"") && strstr(out, "\"held\": 15") &&
			 strstr(out, "\"installed\": 13") && strstr(out, "\"held_now\": 1"),
		 "vs rc %d: %s", rc, out);
	rc = sh("%s vs", sgctl);
	IT_CHECK(rc == 0 && strstr(out, "held_now") && strstr(out, "web"), "vs table: %s", out);

	/* /metrics: sg-control's accounting and the data plane's telemetry */
	rc = sh("curl -s --max-time 5 http://127.0.0.1:%u/metrics", T.metrics_port);
	IT_CHECK(rc == 0, "curl rc %d", rc);
	IT_CHECK(metric(out, "\nsg_ctl_vs_held_total{vs=\"web\"} ") == 15 &&
			 metric(out, "\nsg_ctl_usage_records_total ") == 4 &&
			 metric(out, "\nsg_ctl_access_log_lines_total ") == 6 &&
			 metric(out, "\nsg_ctl_session_hold_seconds_bucket{le=\"10\"} ") == 2 &&
			 metric(out, "\nsg_dp_up ") == 1 &&
			 metric(out, "\nsg_dp_vs_bytes_total{vs=\"web\"} ") == 700 &&
			 metric(out, "\nsg_dp_worker_flows{worker=\"1\"} ") == 2 &&
			 metric(out, "\nsg_dp_events_total{counter=\"drop_bad_csum\"} ") == 3 &&
			 metric(out, "\nsg_ctl_dp_scrapes_total ") == 1,
		 "metrics: %s", out);

	/* the usage file unwritable (a reload to a path in no directory): counted, served */
	snprintf(body, sizeof(body), CFG, T.dir, "gone/usage.jsonl", T.dir, T.dir);
	it_write_cfg(&T, body, NULL);
	rc = sh("%s reload", sgctl);
	IT_CHECK(rc == 0, "reload rc %d: %s", rc, out);
	it_send_new(&T, 5, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	last = 5;
	IT_CHECK(it_pump(&T, 5000, answered, &last) && T.s[5].installs == 1, "session 5");
	send_totals(SG_MSG_SESSION_CLOSED, 5, SG_MSG_REASON_CLIENT_CLOSED, 1);
	it_pump(&T, 300, NULL, NULL);
	rc = sh("curl -s --max-time 5 http://127.0.0.1:%u/metrics", T.metrics_port);
	IT_CHECK(rc == 0 && metric(out, "\nsg_ctl_usage_write_errors_total ") == 1 &&
			 metric(out, "\nsg_ctl_setups_total ") == 4,
		 "write error not counted: %s", out);
	rc = sh("%s status", sgctl);
	IT_CHECK(rc == 0, "sgctl status after the write error");
	term_flush(body, sizeof(body), sgctl);
	tel_stop();
	printf("accounting: ok\n");
	return 0;
}
