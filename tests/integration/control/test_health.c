/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration test of sg-control's member health: the real daemon with
 * control.appliance_config, real servers (health_peer.py: http, https with
 * a self-signed certificate, udp, tcp) on addresses of this test's own
 * network namespace, this process playing the data plane on the rings.
 *
 *   test_health BUILD_DIR/control SOURCE_DIR/tests/integration/control
 *
 * Shows: checks of every type pass and fail for the right reason; a stopped
 * server is DOWN within fall x interval + timeout and UP again after rise x
 * interval (both measured and printed); passive ejection and re-admission;
 * drain member and drain all with deadlines (DRAIN, RESET, SESSION_ABORT);
 * sgctl health / drain; a data-plane restart gets the states again; a
 * reload keeps them; hostile admin input is refused with a clear error.
 * Needs root (network namespace): fails without it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#define NET "198.18.77."
#define VIP "198.18.10.1"

#define INTERVAL_MS 400
#define TIMEOUT_MS  300
#define RISE	    2
#define FALL	    3

static struct it T;
static char sgctl[400], peer_py[300], app_yaml[256], cert[256], key[256];

/* ----------------------------------------------------- messages seen */

struct seen {
	uint16_t type;
	uint8_t state, flags;
	uint16_t reason;
	char pool[64], member[64];
	uint64_t sid;
	uint64_t t_ns;
};

#define SEEN_MAX 4096
static struct seen seen[SEEN_MAX];
static unsigned int n_seen;

static void
on_msg(struct it *t, const struct sg_msg *m)
{
	struct seen *s;

	IT_CHECK(n_seen < SEEN_MAX, "too many member messages");
	s = &seen[n_seen++];
	memset(s, 0, sizeof(*s));
	s->type = m->hdr.type;
	s->t_ns = it_now_ns();
	if (m->hdr.type == SG_MSG_MEMBER_STATE) {
		IT_CHECK(m->hdr.worker == 0, "MEMBER_STATE on worker %u's ring", m->hdr.worker);
		s->state = m->member_state.state;
		s->flags = m->member_state.flags;
		snprintf(s->pool, sizeof(s->pool), "%s", m->member_state.pool);
		snprintf(s->member, sizeof(s->member), "%s", m->member_state.member);
		return;
	}
	s->sid = m->hdr.session_id;
	s->reason = m->abort.reason;
	s->state = m->abort.action;
	/* As the data plane does once the session's flows are gone. */
	it_send_closed(t, m->hdr.session_id);
}

/* Index of the first message from @p from on for @p pool/@p member ("" "": ALL) in @p st. */
static int
find_seen(unsigned int from, const char *pool, const char *member, uint8_t st)
{
	for (unsigned int i = from; i < n_seen; i++)
		if (seen[i].type == SG_MSG_MEMBER_STATE && seen[i].state == st &&
		    strcmp(seen[i].pool, pool) == 0 && strcmp(seen[i].member, member) == 0)
			return (int)i;
	return -1;
}

struct want {
	unsigned int from;
	const char *pool, *member;
	uint8_t st;
};

static bool
until_seen(struct it *t, void *arg)
{
	struct want *w = arg;

	(void)t;
	return find_seen(w->from, w->pool, w->member, w->st) >= 0;
}

/* Wait for @p pool/@p member to be told @p st (a message from @p from on); @return its time. */
static uint64_t
wait_state(unsigned int from, const char *pool, const char *member, uint8_t st, unsigned int ms)
{
	struct want w = {from, pool, member, st};

	if (!it_pump(&T, ms, until_seen, &w))
		IT_FAIL("%s/%s: no MEMBER_STATE %u within %u ms", pool, member, st, ms);
	return seen[find_seen(from, pool, member, st)].t_ns;
}

/* ------------------------------------------------------------ helpers */

static int
sh(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0, k;
	int st;

	IT_CHECK(f != NULL, "popen %s", cmd);
	while (out != NULL && n + 1 < len && (k = fread(out + n, 1, len - 1 - n, f)) > 0)
		n += k;
	if (out != NULL)
		out[n] = '\0';
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A server that dies with this process. */
static pid_t
peer(const char *kind, const char *addr, const char *port, const char *a4, const char *a5,
     const char *a6)
{
	pid_t pid = fork();

	IT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("python3", "python3", peer_py, kind, addr, port, a4, a5, a6, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Wait until @p addr:@p port accepts a TCP connection. */
static void
wait_listen(const char *addr, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};

	inet_pton(AF_INET, addr, &sa.sin_addr);
	for (int i = 0; i < 500; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));

		close(fd);
		if (rc == 0)
			return;
		usleep(10000);
	}
	IT_FAIL("%s:%u never listened", addr, port);
}

static json_t *
member(json_t *health, const char *pool, const char *name)
{
	json_t *a = json_object_get(health, "members");

	for (size_t i = 0; i < json_array_size(a); i++)
		if (strcmp(it_jstr(json_array_get(a, i), "pool"), pool) == 0 &&
		    strcmp(it_jstr(json_array_get(a, i), "member"), name) == 0)
			return json_array_get(a, i);
	IT_FAIL("sgctl health does not list %s/%s", pool, name);
}

/* Wait (3 s at most) until @p pool/@p name is in @p state with a last result containing @p last:
 * one slow answer of a loaded machine may stand in between. */
static void
expect_member(const char *pool, const char *name, const char *state, const char *last)
{
	uint64_t end = it_now_ns() + 3000000000ull;
	char got[256];

	for (;;) {
		json_t *h = it_admin(&T, "{\"cmd\":\"health\"}");
		json_t *m = member(h, pool, name);
		bool ok = strcmp(it_jstr(m, "state"), state) == 0 &&
			  strstr(it_jstr(m, "last"), last) != NULL;

		snprintf(got, sizeof(got), "%s, last '%s'", it_jstr(m, "state"),
			 it_jstr(m, "last"));
		json_decref(h);
		if (ok)
			return;
		IT_CHECK(it_now_ns() < end, "%s/%s is %s; wanted %s, last with '%s'", pool, name,
			 got, state, last);
		it_pump(&T, 50, NULL, NULL);
	}
}

static long long
counter(const char *name)
{
	json_t *h = it_admin(&T, "{\"cmd\":\"health\"}");
	char path[96];
	long long v;

	snprintf(path, sizeof(path), "counters.%s", name);
	v = it_jint(h, path);
	json_decref(h);
	return v;
}

static void
suspect(const char *pool, const char *name, uint32_t failures)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.version = SG_MSG_VERSION;
	m.hdr.type = SG_MSG_MEMBER_SUSPECT;
	m.hdr.len = sizeof(m.hdr) + sizeof(m.suspect);
	m.hdr.worker = 1;
	m.suspect.reason = SG_MSG_SUSPECT_RESET_EARLY;
	m.suspect.failures = failures;
	snprintf(m.suspect.pool, sizeof(m.suspect.pool), "%s", pool);
	snprintf(m.suspect.member, sizeof(m.suspect.member), "%s", name);
	IT_CHECK(dpsim_send(&T.dp, 1, &m) == 0, "suspect: ring full");
}

/* sgctl ARGS: @return its exit code, its output (stdout + stderr) in @p out. */
static int
sgctl_run(char *out, size_t len, const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", sgctl, args);
	return sh(cmd, out, len);
}

/* The appliance file up to the members of its first pool (web, http check). */
static FILE *
appliance_head(void)
{
	FILE *f = fopen(app_yaml, "w");

	IT_CHECK(f != NULL, "write %s", app_yaml);
	fprintf(f,
		"appliance:\n"
		"  ports:\n"
		"    - { name: outside, device: \"net_tap0,iface=sgh-out\", address: " NET
		"200/24 }\n"
		"pools:\n"
		"  - name: web\n"
		"    health_check: { type: http, interval_ms: %u, timeout_ms: %u, rise: %u, "
		"fall: %u, path: /index.html, body_match: healthy }\n"
		"    members:\n",
		INTERVAL_MS, TIMEOUT_MS, RISE, FALL);
	return f;
}

static void
write_appliance(bool extra)
{
	FILE *f = appliance_head();

	fprintf(f,
		"      - { name: a, address: " NET "1, port: 8080, check_source: " NET "100 }\n"
		"      - { name: b, address: " NET "2, port: 8080 }\n"
		"  - name: tls\n"
		"    health_check: { type: https, interval_ms: %u, timeout_ms: 350, host: "
		"health.test, ca_file: %s, body_match: secure-ok }\n"
		"    members:\n"
		"      - { name: s1, address: " NET "3, port: 8443 }\n"
		"  - name: dns\n"
		"    health_check: { type: udp, interval_ms: %u, timeout_ms: %u, send: hello, "
		"expect: pong }\n"
		"    members:\n"
		"      - { name: u1, address: " NET "4, port: 5353 }\n"
		"      - { name: u2, address: " NET "5, port: 5353 }\n"
		"  - name: tcp\n"
		"    health_check: { type: tcp, interval_ms: %u, timeout_ms: %u }\n"
		"    members:\n"
		"      - { name: t1, address: " NET "6, port: 9000 }\n"
		"      - { name: t2, address: " NET "7, port: 9000 }\n"
		"%s"
		"  - name: pas\n"
		"    passive: { consecutive_failures: 3, ejection_s: 1, max_ejected_pct: 50 }\n"
		"    members:\n"
		"      - { name: p1, address: " NET "8, port: 80 }\n"
		"      - { name: p2, address: " NET "9, port: 80 }\n"
		"      - { name: p3, address: " NET "10, port: 80 }\n",
		INTERVAL_MS, cert, INTERVAL_MS, TIMEOUT_MS, INTERVAL_MS, TIMEOUT_MS,
		extra ? "      - { name: t3, address: " NET "6, port: 9001, check_port: 9000 }\n"
		      : "");
	fclose(f);
}

static void
netns(void)
{
	char cmd[512];

	IT_CHECK(geteuid() == 0, "test_health needs root (a network namespace of its own)");
	IT_CHECK(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	IT_CHECK(sh("ip link set lo up", NULL, 0) == 0, "lo up");
	for (int i = 1; i <= 16; i++) {
		snprintf(cmd, sizeof(cmd), "ip addr add " NET "%d/32 dev lo", i);
		IT_CHECK(sh(cmd, NULL, 0) == 0, "%s", cmd);
	}
	IT_CHECK(sh("ip addr add " NET "100/32 dev lo", NULL, 0) == 0, "source address");
}

/* Hostile members beside legitimate ones (tests/adversarial/health-hostile-member.sh). */
static void
write_hostile(void)
{
	FILE *f = appliance_head();

	fprintf(f,
		"      - { name: a, address: " NET "1, port: 8080 }\n"
		"      - { name: flood, address: " NET "11, port: 8080 }\n"
		"      - { name: slow, address: " NET "12, port: 8080 }\n"
		"      - { name: bighdr, address: " NET "13, port: 8080 }\n"
		"      - { name: garbage, address: " NET "14, port: 8080 }\n"
		"  - name: tls\n"
		"    health_check: { type: https, interval_ms: %u, timeout_ms: 350, host: "
		"health.test, ca_file: %s, body_match: secure-ok }\n"
		"    members:\n"
		"      - { name: s1, address: " NET "3, port: 8443 }\n"
		"      - { name: garbage, address: " NET "15, port: 8443 }\n"
		"  - name: dns\n"
		"    health_check: { type: udp, interval_ms: %u, timeout_ms: %u, send: hello, "
		"expect: pong }\n"
		"    members:\n"
		"      - { name: u1, address: " NET "4, port: 5353 }\n"
		"      - { name: flood, address: " NET "16, port: 5353 }\n"
		"  - name: pas\n"
		"    passive: { consecutive_failures: 3, ejection_s: 30, max_ejected_pct: 50 }\n"
		"    members:\n"
		"      - { name: p1, address: " NET "8, port: 80 }\n"
		"      - { name: p2, address: " NET "9, port: 80 }\n"
		"      - { name: p3, address: " NET "10, port: 80 }\n",
		INTERVAL_MS, cert, INTERVAL_MS, TIMEOUT_MS);
	fclose(f);
}

static long long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	IT_CHECK(f != NULL, "sg-control is gone");
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = strtoll(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

static long long
member_int(const char *pool, const char *name, const char *what)
{
	json_t *h = it_admin(&T, "{\"cmd\":\"health\"}");
	long long v = it_jint(member(h, pool, name), what);

	json_decref(h);
	return v;
}

static void
suspects(const char *pool, const char *name, uint32_t failures, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		suspect(pool, name, failures);
		if (i % 256 == 255)
			it_pump(&T, 20, NULL, NULL); /* sg-control reads its ring */
	}
}

/*
 * Members that attack the checker: an endless body, a drip-fed answer, 1 MiB
 * of headers, garbage for HTTP and TLS, a UDP answer flood; a storm of
 * MEMBER_SUSPECT with unknown and healthy names; hostile admin requests.
 * Each hostile member is down for its own reason, the legitimate members
 * stay up and keep being checked during it and after, memory stays bounded.
 */
static void
sc_hostile(void)
{
	long long ok0, rss0, rss1;
	unsigned int from = n_seen;
	char req[256];

	peer("flood", NET "11", "8080", NULL, NULL, NULL);
	peer("slow", NET "12", "8080", NULL, NULL, NULL);
	peer("bighdr", NET "13", "8080", NULL, NULL, NULL);
	peer("garbage", NET "14", "8080", NULL, NULL, NULL);
	peer("garbage", NET "15", "8443", NULL, NULL, NULL);
	peer("udpflood", NET "16", "5353", NULL, NULL, NULL);
	wait_listen(NET "11", 8080);
	wait_listen(NET "15", 8443);
	it_pump(&T, 500, NULL, NULL);
	rss0 = rss_kb(T.ctl);
	ok0 = member_int("web", "a", "checks_ok");
	wait_state(from, "web", "flood", SG_MSG_MEMBER_DOWN, 5000);
	wait_state(from, "web", "slow", SG_MSG_MEMBER_DOWN, 5000);
	wait_state(from, "web", "bighdr", SG_MSG_MEMBER_DOWN, 5000);
	wait_state(from, "web", "garbage", SG_MSG_MEMBER_DOWN, 5000);
	wait_state(from, "tls", "garbage", SG_MSG_MEMBER_DOWN, 5000);
	wait_state(from, "dns", "flood", SG_MSG_MEMBER_DOWN, 5000);
	expect_member("web", "flood", "down", "body does not contain");
	expect_member("web", "slow", "down", "timeout");
	expect_member("web", "bighdr", "down", "fail:");
	expect_member("web", "garbage", "down", "fail:");
	expect_member("tls", "garbage", "down", "fail:");
	expect_member("dns", "flood", "down", "does not contain expect");
	/* A storm of suspects: unknown names counted, an actively checked member is only
	 * checked again (never ejected by a message), an ejected one ejected once. */
	suspects("nopool", "x", 9, 1000);
	suspects("web", "a", 9, 300);
	suspects("pas", "p1", 9, 300);
	it_pump(&T, 2000, NULL, NULL);
	IT_CHECK(counter("suspects_unknown") == 1000, "suspects_unknown %lld",
		 counter("suspects_unknown"));
	IT_CHECK(counter("checks_now") >= 1, "suspects of web/a did not trigger a check");
	IT_CHECK(member_int("pas", "p1", "ejections") == 1, "p1 ejected %lld times",
		 member_int("pas", "p1", "ejections"));
	/* Hostile admin requests: each refused, the socket keeps serving. */
	for (int i = 0; i < 200; i++) {
		snprintf(req, sizeof(req),
			 "{\"cmd\":\"drain\",\"target\":\"member\",\"name\":\"web/n%d\","
			 "\"deadline\":%d}",
			 i, i % 2 ? 5 : 1 << 30);
		IT_CHECK(it_admin(&T, req) == NULL, "hostile drain %d accepted", i);
	}
	/* The legitimate members: never down, still checked, during and after. */
	IT_CHECK(find_seen(0, "web", "a", SG_MSG_MEMBER_DOWN) < 0 &&
			 find_seen(0, "tls", "s1", SG_MSG_MEMBER_DOWN) < 0 &&
			 find_seen(0, "dns", "u1", SG_MSG_MEMBER_DOWN) < 0,
		 "a legitimate member was reported down");
	expect_member("web", "a", "up", "ok: status 200");
	expect_member("tls", "s1", "up", "ok: status 200");
	expect_member("dns", "u1", "up", "ok: answered");
	IT_CHECK(member_int("web", "a", "checks_ok") >= ok0 + 3,
		 "web/a checks stalled: %lld -> %lld", ok0, member_int("web", "a", "checks_ok"));
	rss1 = rss_kb(T.ctl);
	printf("sg-control RSS %lld -> %lld kB; checks: fail %lld, timeout %lld\n", rss0, rss1,
	       counter("checks_fail"), counter("checks_timeout"));
	IT_CHECK(rss1 - rss0 < 64 * 1024, "sg-control grew by %lld kB", rss1 - rss0);
	IT_CHECK(counter("checks_timeout") >= 3 && counter("checks_fail") >= 10,
		 "check counters did not move");
	IT_CHECK(kill(T.ctl, 0) == 0, "sg-control crashed");
}

/* Hostile admin commands and the error each must get (exit code 1). */
static const struct {
	const char *args, *error;
} hostile_admin[] = {
	{"drain member nope/x", "no member 'x' in pool 'nope'"},
	{"drain member web/a --deadline 99999999999", "deadline: expected seconds"},
	{"drain member web/a --deadline -3", "deadline: expected seconds"},
	{"drain member justaname", "is not POOL/MEMBER"},
	{"drain member 'web/a;rm'", "only letters"},
	{"drain sideways x", "not member, vm or all"},
	{"drain vm nosuch", "no VM named 'nosuch'"},
	{"undrain member web/zz", "no member 'zz' in pool 'web'"},
};

/* ------------------------------------------------------------ the test */

int
main(int argc, char **argv)
{
	char out[16384], cmd[1024], timeouts[512];
	bool hostile = argc == 4 && strcmp(argv[3], "hostile") == 0;
	pid_t pa;
	uint64_t t0, t_down, t_up;
	unsigned int from;
	int i, rc;

	if (argc != 3 && !hostile) {
		fprintf(stderr, "usage: test_health BUILD_DIR/control SOURCE_DIR [hostile]\n");
		return 2;
	}
	alarm(110);
	netns();
	it_init(&T, argv[1], "health");
	T.on_msg = on_msg;
	snprintf(peer_py, sizeof(peer_py), "%s/health_peer.py", argv[2]);
	snprintf(sgctl, sizeof(sgctl), "%s/sgctl -s %s", argv[1], T.sock);
	snprintf(app_yaml, sizeof(app_yaml), "%s/appliance.yaml", T.dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", T.dir);
	snprintf(key, sizeof(key), "%s/key.pem", T.dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=health.test "
		 "-addext subjectAltName=DNS:health.test -keyout %s -out %s 2>/dev/null",
		 key, cert);
	IT_CHECK(sh(cmd, NULL, 0) == 0, "openssl req");
	if (hostile)
		write_hostile();
	else
		write_appliance(false);
	snprintf(timeouts, sizeof(timeouts),
		 "{queue_ms: 20000, vm_start_ms: 20000, install_ms: 5000}\n"
		 "  appliance_config: %s",
		 app_yaml);
	it_write_cfg(&T,
		     "hosts:\n"
		     "  - { name: h1, address: 198.18.3.11, agent_address: 127.0.0.1 }\n"
		     "pools:\n"
		     "  - name: p1\n"
		     "    session_cap: 100\n"
		     "    vms:\n"
		     "      - { name: vm1, host: h1, address: 198.18.4.10 }\n"
		     "applications:\n"
		     "  - { name: app, vip: " VIP ", port: 80, pool: p1, mode: nat, exec_limit: "
		     "100, wait_limit: 10 }\n",
		     timeouts);
	snprintf(T.agent.vms[0].name, 64, "vm1");
	T.agent.vms[0].state = SG_AGENT_VM_RUNNING;
	T.agent.n_vms = 1;

	pa = peer("http", NET "1", "8080", "<p>healthy</p>", NULL, NULL);
	peer("http", NET "2", "8080", "<p>sick</p>", NULL, NULL);
	peer("https", NET "3", "8443", "secure-ok", cert, key);
	peer("udp", NET "4", "5353", "pong", NULL, NULL);
	peer("udp", NET "5", "5353", "nope", NULL, NULL);
	peer("tcp", NET "6", "9000", NULL, NULL, NULL);
	wait_listen(NET "1", 8080);
	wait_listen(NET "3", 8443);
	wait_listen(NET "6", 9000);

	it_start_ctl(&T);
	it_agent_start(&T);
	it_wait_agent(&T, 10000);
	it_pump(&T, 300, NULL, NULL);
	/* The attach: every member UP at once (ALL), nothing else yet. */
	IT_CHECK(n_seen >= 1 && seen[0].flags == SG_MSG_MEMBER_ALL &&
			 seen[0].state == SG_MSG_MEMBER_UP,
		 "no MEMBER_STATE UP ALL after the attach");
	if (hostile) {
		sc_hostile();
		printf("PASS health hostile members (%u member messages)\n", T.member_msgs);
		it_cleanup();
		return 0;
	}

	/* 1. Every type of check, passing and failing for its reason. */
	wait_state(0, "web", "b", SG_MSG_MEMBER_DOWN, 3000);
	wait_state(0, "dns", "u2", SG_MSG_MEMBER_DOWN, 3000);
	wait_state(0, "tcp", "t2", SG_MSG_MEMBER_DOWN, 3000);
	expect_member("web", "a", "up", "ok: status 200");
	expect_member("web", "b", "down", "body does not contain");
	expect_member("tls", "s1", "up", "ok: status 200");
	expect_member("dns", "u1", "up", "ok: answered");
	expect_member("dns", "u2", "down", "does not contain expect");
	expect_member("tcp", "t1", "up", "ok: connected");
	expect_member("tcp", "t2", "down", "refused");
	expect_member("pas", "p1", "up", "");
	IT_CHECK(find_seen(0, "web", "a", SG_MSG_MEMBER_DOWN) < 0 &&
			 find_seen(0, "tls", "s1", SG_MSG_MEMBER_DOWN) < 0 &&
			 find_seen(0, "dns", "u1", SG_MSG_MEMBER_DOWN) < 0 &&
			 find_seen(0, "tcp", "t1", SG_MSG_MEMBER_DOWN) < 0,
		 "a healthy member was reported down");
	rc = sgctl_run(out, sizeof(out), "health");
	IT_CHECK(rc == 0 && strstr(out, "pool") && strstr(out, "reason") &&
			 strstr(out, "checks_ok"),
		 "sgctl health: %d %s", rc, out);

	/* 2. Stop web/a's server: DOWN within fall x interval + timeout; back: UP after rise. */
	from = n_seen;
	it_pump(&T, 50, NULL, NULL);
	t0 = it_now_ns();
	stop(pa);
	t_down = wait_state(from, "web", "a", SG_MSG_MEMBER_DOWN, 3000);
	printf("down after %.0f ms (fall x interval + timeout = %u ms, interval +10%% jitter)\n",
	       (t_down - t0) / 1e6, FALL * INTERVAL_MS + TIMEOUT_MS);
	IT_CHECK(t_down - t0 <=
			 (uint64_t)(FALL * INTERVAL_MS * 11 / 10 + TIMEOUT_MS + 100) * 1000000,
		 "DOWN took %.0f ms", (t_down - t0) / 1e6);
	expect_member("web", "a", "down", "fail:");
	peer("http", NET "1", "8080", "<p>healthy</p>", NULL, NULL);
	wait_listen(NET "1", 8080);
	t0 = it_now_ns();
	t_up = wait_state(from, "web", "a", SG_MSG_MEMBER_UP, 3000);
	printf("up after %.0f ms (rise x interval = %u ms)\n", (t_up - t0) / 1e6,
	       RISE * INTERVAL_MS);
	IT_CHECK(t_up - t0 <= (uint64_t)(RISE * INTERVAL_MS * 11 / 10 + TIMEOUT_MS + 100) * 1000000,
		 "UP took %.0f ms", (t_up - t0) / 1e6);

	/* 3. Passive: a suspect below the threshold and unknown names are counted, ignored;
	 * at the threshold the member is ejected for ejection_s, then back; max_ejected_pct. */
	from = n_seen;
	suspect("pas", "p1", 2);
	suspect("nopool", "p1", 9);
	suspect("pas", "nobody", 9);
	it_pump(&T, 100, NULL, NULL);
	IT_CHECK(find_seen(from, "pas", "p1", SG_MSG_MEMBER_DOWN) < 0, "ejected below threshold");
	IT_CHECK(counter("suspects_unknown") == 2 && counter("suspects_ignored") == 1,
		 "suspect counters");
	t0 = it_now_ns();
	suspect("pas", "p1", 3);
	wait_state(from, "pas", "p1", SG_MSG_MEMBER_DOWN, 500);
	suspect("pas", "p2", 3); /* 2 of 3 would be out: over 50 % */
	it_pump(&T, 100, NULL, NULL);
	IT_CHECK(counter("ejections_refused") == 1, "max_ejected_pct");
	expect_member("pas", "p2", "up", "");
	t_up = wait_state(from, "pas", "p1", SG_MSG_MEMBER_UP, 2500);
	printf("ejected for %.0f ms (ejection_s 1)\n", (t_up - t0) / 1e6);
	IT_CHECK(t_up - t0 >= 950000000ull, "ejection ended early");

	/* 4. Drain a member with a deadline: DRAIN now, RESET at the deadline, undrain: UP. */
	from = n_seen;
	rc = sgctl_run(out, sizeof(out), "drain member web/a --deadline 1");
	IT_CHECK(rc == 0 && strstr(out, "members_draining"), "drain member: %d %s", rc, out);
	t0 = wait_state(from, "web", "a", SG_MSG_MEMBER_DRAIN, 500);
	rc = sgctl_run(out, sizeof(out), "--json drain");
	IT_CHECK(rc == 0 && strstr(out, "\"members_draining\": 1"), "sgctl drain: %s", out);
	t_up = wait_state(from, "web", "a", SG_MSG_MEMBER_RESET, 2500);
	IT_CHECK(t_up - t0 >= 900000000ull, "RESET before the deadline");
	IT_CHECK(sgctl_run(out, sizeof(out), "undrain member web/a") == 0, "undrain: %s", out);
	wait_state(from, "web", "a", SG_MSG_MEMBER_UP, 500);

	/* 5. Drain all with a deadline: new sessions refused, members DRAIN (ALL), at the
	 * deadline RESET (ALL) and SESSION_ABORT of every installed session. */
	it_send_new(&T, 1, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_pump(&T, 1000, NULL, NULL);
	IT_CHECK(T.s[1].installs == 1, "session 1 not installed");
	from = n_seen;
	rc = sgctl_run(out, sizeof(out), "drain all --deadline 1");
	IT_CHECK(rc == 0 && strstr(out, "sessions_installed") && strstr(out, "drain"),
		 "drain all: %s", out);
	wait_state(from, "", "", SG_MSG_MEMBER_DRAIN, 500);
	it_send_new(&T, 2, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_state(from, "", "", SG_MSG_MEMBER_RESET, 2500);
	it_pump(&T, 200, NULL, NULL);
	IT_CHECK(T.s[2].rejects == 1 && T.s[2].reason == SG_MSG_REASON_SHUTDOWN,
		 "new session while draining all");
	for (i = (int)from; i < (int)n_seen; i++)
		if (seen[i].type == SG_MSG_SESSION_ABORT)
			break;
	IT_CHECK(i < (int)n_seen && seen[i].sid == 1 && seen[i].reason == SG_MSG_REASON_DRAINED &&
			 seen[i].state == SG_MSG_ABORT_RESET,
		 "no SESSION_ABORT(RESET, DRAINED) of session 1");
	IT_CHECK(sgctl_run(out, sizeof(out), "drain off") == 0, "drain off (= undrain all)");
	wait_state(from, "", "", SG_MSG_MEMBER_UP, 500);
	/* Members down by their checks are told again after the UP (ALL). */
	wait_state(find_seen(from, "", "", SG_MSG_MEMBER_UP), "web", "b", SG_MSG_MEMBER_DOWN, 500);
	it_send_new(&T, 3, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_pump(&T, 500, NULL, NULL);
	IT_CHECK(T.s[3].installs == 1, "session after undrain");

	/* 6. Hostile admin input: refused with a clear error, sg-control keeps serving. */
	for (i = 0; i < (int)(sizeof(hostile_admin) / sizeof(hostile_admin[0])); i++) {
		rc = sgctl_run(out, sizeof(out), hostile_admin[i].args);
		IT_CHECK(rc == 1 && strstr(out, hostile_admin[i].error) != NULL,
			 "sgctl %s: exit %d, %s", hostile_admin[i].args, rc, out);
	}
	IT_CHECK(it_admin(&T, "{\"cmd\":\"drain\",\"target\":\"all\",\"deadline\":\"x\"}") == NULL,
		 "deadline as a string accepted");
	IT_CHECK(it_admin(&T, "{\"cmd\":\"drain\",\"on\":true,\"target\":\"all\"}") == NULL,
		 "on with a target accepted");
	expect_member("web", "a", "up", "ok:");

	/* 7. Metrics. */
	snprintf(cmd, sizeof(cmd), "curl -s --noproxy '*' http://127.0.0.1:%u/metrics",
		 T.metrics_port);
	IT_CHECK(sh(cmd, out, sizeof(out)) == 0, "metrics");
	IT_CHECK(strstr(out, "sg_member_up{pool=\"web\",member=\"a\"} 1") &&
			 strstr(out, "sg_member_up{pool=\"web\",member=\"b\"} 0") &&
			 strstr(out, "sg_member_ejections_total{pool=\"pas\",member=\"p1\"} 1") &&
			 strstr(out, "sg_member_check_total{result=\"fail\"}") &&
			 strstr(out, "sg_member_state_changes_total"),
		 "metrics lack member health");

	/* 8. The data plane restarts: it gets every state that is not UP again. */
	from = n_seen;
	dpsim_destroy(&T.dp, true);
	IT_CHECK(dpsim_create(&T.dp, T.shm, 2, 4096, 0xd1000000ull | (uint64_t)getpid()) == 0,
		 "dpsim_create");
	wait_state(from, "", "", SG_MSG_MEMBER_UP, 3000);
	wait_state(from, "web", "b", SG_MSG_MEMBER_DOWN, 500);
	wait_state(from, "dns", "u2", SG_MSG_MEMBER_DOWN, 500);
	wait_state(from, "tcp", "t2", SG_MSG_MEMBER_DOWN, 500);

	/* 9. Reload with a member added: it is checked, the others keep their state. */
	write_appliance(true);
	from = n_seen;
	IT_CHECK(sgctl_run(out, sizeof(out), "reload") == 0, "reload: %s", out);
	it_pump(&T, 600, NULL, NULL);
	expect_member("tcp", "t3", "up", "ok: connected");
	expect_member("web", "b", "down", "body does not contain");
	IT_CHECK(find_seen(from, "web", "b", SG_MSG_MEMBER_UP) < 0, "reload lost web/b's state");

	{
		json_t *st = it_admin(&T, "{\"cmd\":\"status\"}");

		IT_CHECK(st != NULL, "sg-control stopped answering");
		json_decref(st);
	}
	printf("PASS health (%u member messages)\n", T.member_msgs);
	it_cleanup();
	return 0;
}
