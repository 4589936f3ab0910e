/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Authenticated applications end to end through the real sg-control: its
 * YAML (apps[].auth / qos, a key file), tokens minted with the real
 * `sgctl token mint`, the relationship graph edited with the real `sgid`
 * while sg-control runs, sessions sent on the shm rings (this process
 * plays the data plane) and the in-process host agent.
 *
 *   test_ctl_auth BUILD_DIR
 *
 * Shows: a signed token reaches its user's VM; forged, expired and other
 * users' tokens are refused without starting a VM; a user who does not
 * subscribe is refused until `sgid relate` subscribes them (no restart);
 * the per-user session limit; the refusals counted in `sgctl status`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"
#include "sessiongate/sg_agent_proto.h"

#define VIP "198.18.10.1"

static struct it T;
static char root[256]; /* the build root: sgid, sgctl */

/* Run @p fmt (a shell command) and return its first output line in @p out; its exit status. */
static int __attribute__((format(printf, 3, 4))) sh(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024], line[256] = "";
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (p == NULL)
		IT_FAIL("popen %s", cmd);
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	line[strcspn(line, "\n")] = '\0';
	if (out != NULL)
		snprintf(out, len, "%s", line);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static void
sgid(const char *args)
{
	char out[256];

	if (sh(out, sizeof(out), "%s/idmgr/sgid -d %s/idmgr %s 2>&1", root, T.dir, args) != 0)
		IT_FAIL("sgid %s: %s", args, out);
}

static void
mint(const char *app, const char *user, unsigned int ttl, char *tok)
{
	int rc = sh(tok, 96, "%s/control/sgctl -s %s token mint %s %s --ttl %u 2>&1", root, T.sock,
		    app, user, ttl);

	IT_CHECK(rc == 0 && strlen(tok) == 55, "sgctl token mint %s %s: %d %s", app, user, rc, tok);
}

static bool
answered(struct it *t, void *arg)
{
	uint64_t sid = *(uint64_t *)arg;

	return t->s[sid].installs + t->s[sid].rejects > 0;
}

/* Send session @p sid to @p port with L7 key @p key and wait for its answer. */
static void
ask(uint64_t sid, uint16_t port, uint8_t kt, const char *key)
{
	it_send_new(&T, sid, 0, VIP, port, kt, key);
	if (!it_pump(&T, 5000, answered, &sid))
		IT_FAIL("session %llu not answered", (unsigned long long)sid);
}

static void
cookie(uint64_t sid, const char *tok)
{
	char key[128];

	snprintf(key, sizeof(key), "sgt=%s", tok);
	ask(sid, 80, SG_MSG_L7_HTTP_COOKIE, key);
}

static const char *
session_vm(uint64_t sid)
{
	static char vm[64];
	char req[96];
	json_t *o;

	snprintf(req, sizeof(req), "{\"cmd\":\"session\",\"id\":%llu}", (unsigned long long)sid);
	o = it_admin(&T, req);
	IT_CHECK(o != NULL, "session %llu", (unsigned long long)sid);
	snprintf(vm, sizeof(vm), "%s", it_jstr(o, "vm"));
	json_decref(o);
	return vm;
}

static void
refused(uint64_t sid, uint16_t reason)
{
	IT_CHECK(T.s[sid].rejects == 1 && T.s[sid].installs == 0 && T.s[sid].reason == reason,
		 "session %llu: installs %u rejects %u reason %u (want %u)",
		 (unsigned long long)sid, T.s[sid].installs, T.s[sid].rejects, T.s[sid].reason,
		 reason);
}

static long long
auth_counter(const char *what)
{
	json_t *st = it_admin(&T, "{\"cmd\":\"status\"}");
	char path[96];
	long long v;

	snprintf(path, sizeof(path), "stats.auth.%s", what);
	v = it_jint(st, path);
	json_decref(st);
	return v;
}

static void
setup(const char *bin)
{
	char body[2048], key[300];
	FILE *f;

	it_init(&T, bin, "auth");
	snprintf(key, sizeof(key), "%s/desk.key", T.dir);
	f = fopen(key, "w");
	IT_CHECK(f != NULL, "key file");
	fputs("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n", f);
	fclose(f);
	IT_CHECK(chmod(key, 0600) == 0, "chmod key");
	snprintf(
		body, sizeof(body),
		"hosts:\n"
		"  - { name: h1, address: 198.18.3.11, agent_address: 127.0.0.1 }\n"
		"pools:\n"
		"  - name: p1\n"
		"    session_cap: 10\n"
		"    vms:\n"
		"      - { name: vm1, host: h1, address: 198.18.4.10 }\n"
		"      - { name: vm2, host: h1, address: 198.18.4.11 }\n"
		"      - { name: vm3, host: h1, address: 198.18.4.12 }\n"
		"applications:\n"
		"  - name: desk\n"
		"    vip: " VIP "\n"
		"    port: 80\n"
		"    pool: p1\n"
		"    mode: nat\n"
		"    match: { http_cookie: sgt }\n"
		"    auth: { mode: token, keys: [{ id: 3, file: %s }] }\n"
		"  - name: web\n"
		"    vip: " VIP "\n"
		"    port: 8080\n"
		"    pool: p1\n"
		"    mode: nat\n"
		"    match: { http_header: X-Token }\n"
		"    auth: { mode: token, keys: [{ id: 3, file: %s }], graph: false, on_fail: login,\n"
		"            login_url: \"https://login.example/web\" }\n"
		"    qos: { user_sessions: 1, rate_bps: 125000 }\n",
		key, key);
	it_write_cfg(&T, body, NULL);
	snprintf(T.agent.vms[0].name, 64, "vm1");
	snprintf(T.agent.vms[1].name, 64, "vm2");
	snprintf(T.agent.vms[2].name, 64, "vm3");
	T.agent.n_vms = 3;
	T.agent.boot_ms = 200;
	T.agent.vms[0].state = SG_AGENT_VM_RUNNING;
	T.agent.vms[1].state = SG_AGENT_VM_SHUTOFF;
	T.agent.vms[2].state = SG_AGENT_VM_RUNNING;
	it_start_ctl(&T);
	it_agent_start(&T);
	it_wait_agent(&T, 10000);
	it_pump(&T, 300, NULL, NULL);
}

int
main(int argc, char **argv)
{
	char ta[96], tb[96], bad[96], out[256], kb[128];

	if (argc != 2) {
		fprintf(stderr, "usage: %s BUILD_DIR/control\n", argv[0]);
		return 2;
	}
	snprintf(root, sizeof(root), "%s/..", argv[1]);
	setup(argv[1]);
	/* the graph, as an operator writes it with sgid while sg-control runs */
	sgid("register user/user/alice");
	sgid("register user/user/bob");
	sgid("relate user/user/alice subscribes app/app/desk");
	sgid("relate user/user/alice assigned infra/vm/vm1");
	sgid("relate user/user/bob assigned infra/vm/vm2");
	mint("desk", "alice", 600, ta);
	mint("desk", "bob", 600, tb);
	IT_CHECK(sh(out, sizeof(out), "%s/control/sgctl -s %s token mint desk nobody 2>&1", root,
		    T.sock) == 1 &&
			 strstr(out, "no such user") != NULL,
		 "mint for an unknown user: %s", out);
	/* 1. alice's token reaches alice's VM */
	cookie(1, ta);
	IT_CHECK(T.s[1].installs == 1 && strcmp(session_vm(1), "vm1") == 0, "alice on %s",
		 session_vm(1));
	/* 2. forged (altered), expired, not a token: refused, nothing started */
	snprintf(bad, sizeof(bad), "%s", ta);
	bad[30] = bad[30] == 'a' ? 'b' : 'a';
	cookie(2, bad);
	refused(2, SG_MSG_REASON_FORBIDDEN);
	IT_CHECK(sh(out, sizeof(out), "%s/control/sgctl -s %s token check desk %s", root, T.sock,
		    bad) == 1,
		 "sgctl token check of a forged token: exit 0");
	IT_CHECK(sh(out, sizeof(out), "%s/control/sgctl -s %s token check desk %s | grep verdict",
		    root, T.sock, ta) == 0 &&
			 strstr(out, "ok") != NULL,
		 "sgctl token check: %s", out);
	mint("desk", "alice", 1, bad);
	sleep(2);
	cookie(3, bad);
	refused(3, SG_MSG_REASON_FORBIDDEN);
	cookie(4, "alice");
	refused(4, SG_MSG_REASON_FORBIDDEN);
	/* 3. bob does not subscribe: refused, his stopped vm2 not started */
	cookie(5, tb);
	refused(5, SG_MSG_REASON_FORBIDDEN);
	IT_CHECK(T.agent.vms[1].starts == 0, "vm2 started for a refused session");
	/* 4. sgid subscribes bob: the next session starts vm2 for him (no restart) */
	sgid("relate user/user/bob subscribes app/app/desk");
	cookie(6, tb);
	IT_CHECK(T.s[6].installs == 1 && strcmp(session_vm(6), "vm2") == 0, "bob on %s",
		 session_vm(6));
	IT_CHECK(T.agent.vms[1].starts == 1, "vm2 starts %u", T.agent.vms[1].starts);
	/* 5. sgid unassigns alice: no VM serves her any more */
	sgid("unrelate user/user/alice assigned infra/vm/vm1");
	cookie(7, ta);
	refused(7, SG_MSG_REASON_FORBIDDEN);
	IT_CHECK(T.agent.vms[0].starts + T.agent.vms[2].starts == 0, "a VM started");
	/* 6. web: header token (no graph), one session per user, login redirect without */
	mint("web", "alice", 600, ta);
	snprintf(out, sizeof(out), "X-Token: %s", ta);
	ask(8, 8080, SG_MSG_L7_HTTP_HEADER, out);
	IT_CHECK(T.s[8].installs == 1, "web: alice not installed");
	ask(9, 8080, SG_MSG_L7_HTTP_HEADER, out);
	refused(9, SG_MSG_REASON_LIMIT);
	ask(10, 8080, SG_MSG_L7_HTTP_HEADER, "X-Token: nope");
	refused(10, SG_MSG_REASON_LOGIN);
	/* desk's token is not web's */
	snprintf(out, sizeof(out), "X-Token: %s", tb);
	ask(11, 8080, SG_MSG_L7_HTTP_HEADER, out);
	refused(11, SG_MSG_REASON_LOGIN);
	/* 7. a burst of forged tokens (random signatures) beside a legitimate session: every one
	 * refused and counted, nothing started, the legitimate one served during and after */
	sgid("relate user/user/alice assigned infra/vm/vm3");
	mint("desk", "alice", 600, ta);
	for (uint64_t i = 100; i < 600; i++) {
		snprintf(kb, sizeof(kb), "sgt=%s", ta);
		for (unsigned int k = 40; k < 58; k++) /* the MAC (the last one: padding) */
			kb[k] = "abcdefghijklmnopqrstuvwxyz234567"[(i * 7 + k * 13) % 32];
		it_send_new(&T, i, (uint16_t)(i % 2), VIP, 80, SG_MSG_L7_HTTP_COOKIE, kb);
		if (i == 300)
			cookie(1000, ta);
	}
	{
		uint64_t last = 599;

		IT_CHECK(it_pump(&T, 10000, answered, &last), "forged burst not answered");
	}
	cookie(1001, ta);
	for (uint64_t i = 100; i < 600; i++)
		refused(i, SG_MSG_REASON_FORBIDDEN);
	IT_CHECK(T.s[1000].installs == 1 && T.s[1001].installs == 1 &&
			 strcmp(session_vm(1001), "vm3") == 0,
		 "alice not served beside the burst");
	IT_CHECK(auth_counter("refused.mac") == 501, "mac refusals %lld",
		 auth_counter("refused.mac"));
	/* the (user, app) cache: 1001 found what 1000 read; each sgid write above emptied it
	 * (the first lookup, steps 4, 5 and 7), sg-control's own session IDs (idmgr_temp:
	 * register, written per session) never did */
	IT_CHECK(!T.idmgr_lease && auth_counter("cache_hits") >= 3 &&
			 auth_counter("cache_flushes") == 4,
		 "cache hits %lld flushes %lld", auth_counter("cache_hits"),
		 auth_counter("cache_flushes"));
	IT_CHECK(T.agent.vms[0].starts + T.agent.vms[2].starts == 0, "a VM started");
	/* the counters */
	IT_CHECK(auth_counter("refused.expired") == 1 && auth_counter("refused.format") == 2 &&
			 auth_counter("refused.not_subscribed") == 1 &&
			 auth_counter("refused.no_vm") == 1 &&
			 auth_counter("refused.user_sessions") == 1 &&
			 auth_counter("refused.app") == 1 && auth_counter("verified") == 8,
		 "auth counters (mac %lld expired %lld format %lld not_subscribed %lld no_vm %lld "
		 "user_sessions %lld app %lld verified %lld)",
		 auth_counter("refused.mac"), auth_counter("refused.expired"),
		 auth_counter("refused.format"), auth_counter("refused.not_subscribed"),
		 auth_counter("refused.no_vm"), auth_counter("refused.user_sessions"),
		 auth_counter("refused.app"), auth_counter("verified"));
	it_stop_ctl(&T);
	it_cleanup();
	printf("control-auth-e2e: ok\n");
	return 0;
}
