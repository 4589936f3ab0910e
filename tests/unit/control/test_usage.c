/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Usage records and the access log (control/usage.c, accesslog.c,
 * jlog.c), "sgctl usage" (admin_usage.c, admin_req.c): the lines a real
 * sg-control core writes for SESSION_USAGE / SESSION_CLOSED / a refusal
 * sent through the shared-memory rings by dpsim (held until the 100 ms
 * flush), the detail of each token refusal in the access log (cs->why),
 * size rotation, an unwritable file, and the query's filters over rotated
 * files. The line format and the buffer alone: test_jlog.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "admin.h"
#include "auth.h"
#include "bus.h"
#include "ctl.h"
#include "jlog.h"
#include "sessiondb.h"
#include "shm.h"
#include "usage.h"

#include "dpsim.h"
#include "sg_token_lib.h"

static const struct sg_token_key key1 = {
	.id = 1, .len = 32, .key = "0123456789abcdef0123456789abcdef"};

struct ufx {
	struct sg_ctl_cfg cfg;
	struct sg_ctl c;
	struct dpsim d;
	char shm[64];
	char dir[64];
	char rec[128], alog[128];
};

static int
agent_ok(struct sg_ctl_provider *p, const struct sg_ctl_req *r)
{
	(void)p;
	(void)r;
	return 0;
}

/* One host, one pool, one VM; app "web" (L4, NAT) on 198.18.10.1:80; app "desk" on
 * port 82: a token in cookie "sgt" (key1, no graph), one session per user at a time. */
static void
ufx_cfg(struct ufx *f)
{
	struct sg_ctl_cfg *k = &f->cfg;
	struct sg_ctl_app_cfg *a = &k->apps[0];

	sg_ctl_cfg_defaults(k);
	k->n_hosts = k->n_pools = k->n_vms = 1;
	k->n_apps = 2;
	strcpy(k->hosts[0].name, "host-a");
	k->hosts[0].family = SG_WIRE_FAMILY_V4;
	strcpy(k->pools[0].name, "pool-a");
	k->pools[0].session_cap = 8;
	k->pools[0].starts_inflight = 2;
	strcpy(k->vms[0].name, "vm-a");
	k->vms[0].family = SG_WIRE_FAMILY_V4;
	inet_pton(AF_INET, "198.18.1.10", k->vms[0].addr);
	strcpy(a->name, "web");
	a->family = SG_WIRE_FAMILY_V4;
	a->proto = 6;
	a->port = 80;
	inet_pton(AF_INET, "198.18.10.1", a->vip);
	a->mode = SG_MSG_INSTALL_NAT;
	a->exec_limit = a->wait_limit = 16;
	k->apps[1] = *a;
	strcpy(k->apps[1].name, "desk");
	k->apps[1].port = 82;
	k->apps[1].match = SG_CTL_MATCH_HTTP_COOKIE;
	strcpy(k->apps[1].value, "sgt");
	k->apps[1].value_len = 3;
	k->apps[1].auth.mode = SG_CTL_AUTH_TOKEN;
	k->apps[1].auth.keys[0] = key1;
	k->apps[1].auth.n_keys = 1;
	k->apps[1].qos.user_sessions = 1;
	snprintf(k->usage.path, sizeof(k->usage.path), "%s", f->rec);
	snprintf(k->usage.access_log, sizeof(k->usage.access_log), "%s", f->alog);
}

static int
setup(void **state)
{
	struct ufx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->shm, sizeof(f->shm), "/sgctl-usage-%d", (int)getpid());
	strcpy(f->dir, "/tmp/sgctl-usage-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->rec, sizeof(f->rec), "%s/usage.jsonl", f->dir);
	snprintf(f->alog, sizeof(f->alog), "%s/access.jsonl", f->dir);
	ufx_cfg(f);
	assert_int_equal(dpsim_create(&f->d, f->shm, 1, 1024, 0x77), 0);
	assert_int_equal(sg_ctl_init(&f->c, &f->cfg, NULL), 0);
	assert_int_equal(sg_ctl_db_open(f->c.db, f->dir, 16), 0);
	assert_true(sg_ctl_db_load(f->c.db) >= 0);
	assert_int_equal(sg_ctl_shm_open(f->c.shm, f->shm), 0);
	sg_ctl_bus_set_up(f->c.bus, f->c.inv.hosts[0].provider, true, agent_ok, NULL);
	sg_ctl_poll(&f->c, 1024);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct ufx *f = *state;
	char cmd[128];

	sg_ctl_fini(&f->c);
	dpsim_destroy(&f->d, true);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Every line of @p path as a JSON array (each line must parse). */
static json_t *
read_lines(const char *path)
{
	json_t *a = json_array();
	char line[SG_CTL_JLOG_LINE_MAX + 2];
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return a;
	while (fgets(line, sizeof(line), fp) != NULL) {
		json_t *o = json_loads(line, 0, NULL);

		assert_non_null(o);
		assert_int_equal(line[strlen(line) - 1], '\n');
		json_array_append_new(a, o);
	}
	fclose(fp);
	return a;
}

static void
send_usage(struct ufx *f, uint16_t type, uint64_t sid, uint16_t reason, uint64_t base)
{
	struct sg_msg m;

	dpsim_make(&m, type, 0, sid);
	m.closed.reason = reason;
	m.closed.flags = SG_MSG_USAGE_QOS_DROPS;
	m.closed.installed_ms = (uint32_t)base;
	m.closed.pkts_c2s = base + 1;
	m.closed.pkts_s2c = base + 2;
	m.closed.bytes_c2s = base * 100 + 3;
	m.closed.bytes_s2c = base * 1000 + 4;
	m.closed.qos_dropped = 5;
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0);
	sg_ctl_poll(&f->c, 1024);
}

#define JI(o, k) json_integer_value(json_object_get((o), (k)))
#define JS(o, k) json_string_value(json_object_get((o), (k)))

/* SESSION_NEW -> INSTALL, SESSION_USAGE, SESSION_CLOSED; and a refusal (no app). */
static void
test_records_from_the_rings(void **state)
{
	struct ufx *f = *state;
	struct sg_ctl_event ev = {
		.type = SG_CTL_EV_VM_STATE, .vm = &f->c.inv.vms[0], .state = SG_CTL_VM_RUNNING};
	struct sg_msg m;
	json_t *recs, *al, *r;

	sg_ctl_bus_publish(f->c.bus, &ev);
	dpsim_make_new(&m, 0x1234, 0, "198.18.10.1", 80, SG_MSG_L7_NONE, NULL);
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->c.st.setups, 1);
	send_usage(f, SG_MSG_SESSION_USAGE, 0x1234, 0, 7);
	send_usage(f, SG_MSG_SESSION_USAGE, 0x9999, 0, 7); /* no such session */
	send_usage(f, SG_MSG_SESSION_CLOSED, 0x1234, SG_MSG_REASON_CLIENT_CLOSED, 9);
	dpsim_make_new(&m, 0x5678, 0, "198.18.10.1", 81, SG_MSG_L7_NONE, NULL);
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0);
	sg_ctl_poll(&f->c, 1024);

	/* held in memory: written by the tick once the oldest line is 100 ms old */
	assert_int_equal(f->c.usage.rec.held_lines, 3);
	assert_int_equal(f->c.usage.alog.held_lines, 3);
	sg_ctl_usage_tick(&f->c.usage, f->c.usage.rec.held_since_ns + 99000000ull);
	assert_int_equal(f->c.usage.rec.lines, 0);
	recs = read_lines(f->rec);
	assert_int_equal(json_array_size(recs), 0);
	json_decref(recs);
	sg_ctl_usage_tick(&f->c.usage, f->c.usage.rec.held_since_ns + 100000000ull);
	assert_int_equal(f->c.usage.rec.lines, 3);
	assert_int_equal(f->c.usage.alog.lines, 3);
	assert_int_equal(f->c.usage.rec.held, 0);

	recs = read_lines(f->rec);
	assert_int_equal(json_array_size(recs), 3);
	r = json_array_get(recs, 0);
	assert_string_equal(JS(r, "kind"), "interim");
	assert_string_equal(JS(r, "session_id"), "0x1234");
	assert_int_equal(JI(r, "bytes_s2c"), 7004);
	assert_string_equal(JS(r, "reason"), "");
	r = json_array_get(recs, 1);
	assert_string_equal(JS(r, "kind"), "final");
	assert_string_equal(JS(r, "app"), "web");
	assert_string_equal(JS(r, "vm"), "vm-a");
	assert_string_equal(JS(r, "host"), "host-a");
	assert_string_equal(JS(r, "user"), "");
	assert_string_equal(JS(r, "user_id"), "");
	assert_string_equal(JS(r, "client"), "198.18.0.1");
	assert_int_equal(JI(r, "client_port"), 1024 + 0x1234 % 60000);
	assert_string_equal(JS(r, "vip"), "198.18.10.1");
	assert_int_equal(JI(r, "vip_port"), 80);
	assert_string_equal(JS(r, "proto"), "tcp");
	assert_string_equal(JS(r, "family"), "ipv4");
	assert_int_equal(JI(r, "installed_ms"), 9);
	assert_int_equal(JI(r, "pkts_c2s"), 10);
	assert_int_equal(JI(r, "pkts_s2c"), 11);
	assert_int_equal(JI(r, "bytes_c2s"), 903);
	assert_int_equal(JI(r, "bytes_s2c"), 9004);
	assert_true(json_is_true(json_object_get(r, "qos_drops")));
	assert_true(json_is_false(json_object_get(r, "s2c_acked")));
	assert_int_equal(JI(r, "qos_dropped"), 5);
	assert_string_equal(JS(r, "reason"), "client_closed");
	assert_true(JI(r, "start_ms") > 1700000000000LL && JI(r, "end_ms") >= JI(r, "start_ms"));
	r = json_array_get(recs, 2); /* refused: never installed, zeros */
	assert_string_equal(JS(r, "session_id"), "0x5678");
	assert_string_equal(JS(r, "reason"), "no_app");
	assert_string_equal(JS(r, "app"), "");
	assert_int_equal(JI(r, "bytes_s2c"), 0);
	assert_int_equal(JI(r, "installed_ms"), 0);
	json_decref(recs);
	assert_int_equal(f->c.usage.unknown_usage, 1);
	assert_int_equal(f->c.usage.hold_bucket[0], 1); /* 9 ms */

	al = read_lines(f->alog);
	assert_int_equal(json_array_size(al), 3);
	assert_string_equal(JS(json_array_get(al, 0), "event"), "installed");
	assert_true(json_is_integer(json_object_get(json_array_get(al, 0), "setup_us")));
	assert_string_equal(JS(json_array_get(al, 1), "event"), "closed");
	assert_int_equal(JI(json_array_get(al, 1), "bytes_s2c"), 9004);
	assert_string_equal(JS(json_array_get(al, 2), "event"), "rejected");
	assert_string_equal(JS(json_array_get(al, 2), "reason"), "no_app");
	assert_string_equal(JS(json_array_get(al, 2), "why"), "");
	json_decref(al);
}

/* A SESSION_NEW to desk with cookie @p key; the type of sg-control's answer. */
static uint16_t
ask_desk(struct ufx *f, uint64_t sid, const char *key)
{
	struct sg_msg m;
	uint16_t type = 0;

	dpsim_make_new(&m, sid, 0, "198.18.10.1", 82, SG_MSG_L7_HTTP_COOKIE, key);
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0);
	sg_ctl_poll(&f->c, 1024);
	while (dpsim_recv(&f->d, 0, &m, 1) == 1)
		if (m.hdr.session_id == sid)
			type = m.hdr.type;
	return type;
}

/* Each refusal's access-log line says why (broker.c sets cs->why). */
static void
test_refusals_say_why(void **state)
{
	static const char *const why[] = {"absent", "format", "mac", "expired", "user_sessions"};
	struct ufx *f = *state;
	struct sg_ctl_event ev = {
		.type = SG_CTL_EV_VM_STATE, .vm = &f->c.inv.vms[0], .state = SG_CTL_VM_RUNNING};
	struct sg_token t = {.user_id = 0x42, .app_id = f->c.inv.apps[1].id};
	char tok[SG_TOKEN_TEXT_LEN + 1], key[6][SG_MSG_KEY_MAX];
	json_t *al, *r;
	unsigned int i;

	sg_ctl_bus_publish(f->c.bus, &ev);
	t.expires = (uint32_t)time(NULL) + 600;
	assert_int_equal(sg_token_mint(&key1, &t, tok, sizeof(tok)), 0);
	snprintf(key[0], sizeof(key[0]), "sgt=%s", tok); /* valid: installed */
	snprintf(key[1], sizeof(key[1]), "sgt=notatoken");
	snprintf(key[2], sizeof(key[2]), "sgt=%s", tok);
	key[2][10] =
		(key[2][10] | 0x20) == 'a' ? 'B' : 'A'; /* altered (either case is one value) */
	t.expires = (uint32_t)time(NULL) - 10;
	assert_int_equal(sg_token_mint(&key1, &t, tok, sizeof(tok)), 0);
	snprintf(key[3], sizeof(key[3]), "sgt=%s", tok);
	assert_int_equal(ask_desk(f, 0x100, key[0]), SG_MSG_SESSION_INSTALL);
	assert_int_equal(ask_desk(f, 0x101, "sgt="), SG_MSG_SESSION_REJECT); /* absent */
	for (i = 1; i <= 3; i++)
		assert_int_equal(ask_desk(f, 0x101 + i, key[i]), SG_MSG_SESSION_REJECT);
	/* the same user again while 0x100 holds its one session */
	assert_int_equal(ask_desk(f, 0x105, key[0]), SG_MSG_SESSION_REJECT);
	sg_ctl_usage_flush(&f->c.usage, f->c.clock.now_ns);

	al = read_lines(f->alog);
	assert_int_equal(json_array_size(al), 6);
	assert_string_equal(JS(json_array_get(al, 0), "event"), "installed");
	assert_string_equal(JS(json_array_get(al, 0), "user_id"), "0x42");
	for (i = 0; i < 5; i++) {
		r = json_array_get(al, i + 1);
		assert_string_equal(JS(r, "event"), "rejected");
		assert_string_equal(JS(r, "app"), "desk");
		assert_string_equal(JS(r, "reason"), i < 4 ? "forbidden" : "limit");
		assert_string_equal(JS(r, "why"), why[i]);
	}
	json_decref(al);
	assert_string_equal(sg_ctl_auth_refusal_name(SG_CTL_AUTH_R_NO_VM), "no_vm");
}

static void
put(struct sg_ctl_jlog *l, const char *user, const char *app, int64_t end_s, unsigned int pad)
{
	char fill[3000];
	json_t *o;

	memset(fill, 'x', pad);
	fill[pad] = '\0';
	char line[SG_CTL_JLOG_LINE_MAX];
	size_t n;

	o = json_pack("{s:s,s:s,s:s,s:I,s:s}", "kind", "final", "user", user, "app", app, "end_ms",
		      (json_int_t)end_s * 1000, "pad", fill);
	n = json_dumpb(o, line, sizeof(line) - 1, JSON_COMPACT);
	line[n++] = '\n';
	assert_int_equal(sg_ctl_jlog_put(l, line, n, 1), 0);
	json_decref(o);
}

static off_t
fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void
test_rotation(void **state)
{
	struct ufx *f = *state;
	struct sg_ctl_jlog l;
	char name[160];
	unsigned int i;

	sg_ctl_jlog_init(&l);
	sg_ctl_jlog_config(&l, f->rec, 1, 2);
	for (i = 0; i < 1200; i++) /* ~3.6 MB in lines of ~3 KB: three rotations */
		put(&l, "u", "a", 1000 + i, 2900);
	assert_int_equal(sg_ctl_jlog_flush(&l, 1), 0);
	assert_int_equal(l.lines, 1200);
	assert_int_equal(l.errors, 0);
	assert_int_equal(l.rotations, 3);
	for (i = 0; i <= 2; i++) {
		assert_int_equal(sg_ctl_jlog_name(name, sizeof(name), f->rec, i), 0);
		assert_true(fsize(name) > 0 && fsize(name) <= (1 << 20));
	}
	snprintf(name, sizeof(name), "%s.3", f->rec); /* the oldest went */
	assert_int_equal(fsize(name), -1);
	sg_ctl_jlog_fini(&l);
}

static void
test_unwritable(void **state)
{
	static const char one[] = "{\"kind\":\"final\"}\n";
	struct ufx *f = *state;
	struct sg_ctl_jlog l;
	char path[160];
	struct timespec t0, t1;
	char big[SG_CTL_JLOG_LINE_MAX + 1];

	sg_ctl_jlog_init(&l);
	snprintf(path, sizeof(path), "%s/no/such/dir/usage.jsonl", f->dir);
	sg_ctl_jlog_config(&l, path, 64, 8);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sg_ctl_jlog_put(&l, one, sizeof(one) - 1, 1000), -ENOENT);
	/* paused: no new try */
	assert_int_equal(sg_ctl_jlog_put(&l, one, sizeof(one) - 1, 2000), -EAGAIN);
	assert_int_equal(sg_ctl_jlog_put(&l, one, sizeof(one) - 1, 3000000000ull), -ENOENT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(l.errors, 3);
	assert_int_equal(l.lines, 0);
	assert_int_equal(l.held, 0);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	/* a line too long for one record is refused, not cut */
	sg_ctl_jlog_config(&l, f->rec, 64, 8);
	memset(big, 'y', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(sg_ctl_jlog_put(&l, big, sizeof(big), 1), -EMSGSIZE);
	assert_int_equal(fsize(f->rec), -1);
	sg_ctl_jlog_fini(&l);
}

/* Run "usage" through the request parser and the command, as the admin socket does. */
static json_t *
query(const struct sg_ctl_view *v, const char *req_txt)
{
	struct sg_ctl_admin_req req;
	char err[256] = "";
	json_t *res;

	assert_int_equal(sg_ctl_admin_parse(req_txt, strlen(req_txt), &req, err, sizeof(err)), 0);
	res = sg_ctl_admin_usage(v, &req, err, sizeof(err));
	assert_non_null(res);
	return res;
}

static void
test_query(void **state)
{
	struct ufx *f = *state;
	struct sg_ctl_view v = {.cfg = &f->cfg};
	struct sg_ctl_jlog l;
	json_t *res, *recs, *r;
	size_t i;
	FILE *fp;

	f->cfg.usage.keep = 3;
	sg_ctl_jlog_init(&l);
	sg_ctl_jlog_config(&l, f->rec, 1, 3);
	/* 600 records of ~2 KB (three files), end times 10000..10599; alice every 3rd */
	for (i = 0; i < 600; i++)
		put(&l, i % 3 == 0 ? "alice" : "bob", i % 2 ? "desk" : "web", 10000 + i, 2000);
	sg_ctl_jlog_fini(&l); /* writes what it holds */
	assert_true(l.rotations >= 1);
	fp = fopen(f->rec, "a"); /* a torn last line */
	fputs("{\"kind\":\"fin", fp);
	fclose(fp);

	res = query(&v, "{\"cmd\":\"usage\",\"limit\":5}");
	recs = json_object_get(res, "records");
	assert_int_equal(json_array_size(recs), 5);
	for (i = 0; i < 5; i++) /* newest first */
		assert_int_equal(JI(json_array_get(recs, i), "end_ms"),
				 (10599 - (int64_t)i) * 1000);
	assert_int_equal(JI(res, "bad_lines"), 1);
	json_decref(res);

	/* alice in app web: i % 6 == 0, i < 600, end >= 10300: i = 300, 306, ... 594 */
	res = query(&v, "{\"cmd\":\"usage\",\"user\":\"alice\",\"app\":\"web\","
			"\"since\":10300,\"limit\":1000}");
	recs = json_object_get(res, "records");
	assert_int_equal(json_array_size(recs), 50);
	json_array_foreach(recs, i, r)
	{
		assert_string_equal(JS(r, "user"), "alice");
		assert_string_equal(JS(r, "app"), "web");
	}
	assert_int_equal(JI(json_array_get(recs, 49), "end_ms"), 10300000);
	assert_true(json_is_false(json_object_get(res, "truncated")));
	assert_true(JI(res, "lines") < 600); /* stopped at the first record before since */
	json_decref(res);

	/* every file: the oldest records are in usage.jsonl.N */
	res = query(&v, "{\"cmd\":\"usage\",\"until\":\"1970-01-01T02:46:49+00:00\","
			"\"limit\":100000}");
	recs = json_object_get(res, "records");
	assert_int_equal(json_array_size(recs), 10); /* 10000..10009 */
	assert_int_equal(JI(json_array_get(recs, 9), "end_ms"), 10000000);
	assert_true(JI(res, "files") >= 2);
	json_decref(res);
}

static void
test_request_checks(void **state)
{
	static const char *const bad[] = {
		"{\"cmd\":\"usage\",\"since\":\"yesterday\"}",
		"{\"cmd\":\"usage\",\"since\":-1}",
		"{\"cmd\":\"usage\",\"since\":\"2026-01-31T12:00:00+25:00\"}",
		"{\"cmd\":\"usage\",\"since\":\"2026-13-01\"}",
		"{\"cmd\":\"usage\",\"since\":20,\"until\":10}",
		"{\"cmd\":\"usage\",\"limit\":0}",
		"{\"cmd\":\"usage\",\"user\":\"a\\\"b\"}",
		"{\"cmd\":\"usage\",\"vm\":\"x\"}",
		"{\"cmd\":\"usage\",\"since\":99999999999999}",
	};
	struct sg_ctl_admin_req req;
	char err[256];
	unsigned int i;
	const char *ok = "{\"cmd\":\"usage\",\"user\":\"alice\",\"since\":"
			 "\"2026-01-31T13:00:00+01:00\",\"until\":\"2026-02-01\",\"limit\":7}";

	(void)state;
	assert_int_equal(sg_ctl_admin_parse(ok, strlen(ok), &req, err, sizeof(err)), 0);
	assert_int_equal(req.cmd, SG_CTL_ADM_USAGE);
	assert_int_equal(req.since, 1769860800);
	assert_int_equal(req.until, 1769904000);
	assert_int_equal(req.limit, 7);
	assert_string_equal(req.user, "alice");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(sg_ctl_admin_parse(bad[i], strlen(bad[i]), &req, err, sizeof(err)),
				 -EINVAL);
		assert_true(strlen(err) > 5);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records_from_the_rings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_say_why, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query, setup, teardown),
		cmocka_unit_test(test_request_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
