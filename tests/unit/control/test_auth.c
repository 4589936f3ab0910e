/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of sg-control's authenticated applications (auth.c, access.c,
 * qos.c, the v4 cookie/header rules of broker.c): the real
 * core through the shared-memory channel (dpsim plays the data plane), a
 * real identity store (idmgr, LMDB) in a temporary directory holding the
 * relationship graph, and tokens minted with lib/token.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "access.h"
#include "auth.h"
#include "broker.h"
#include "bus.h"
#include "cs.h"
#include "ctl.h"
#include "ids.h"
#include "qos.h"
#include "sessiondb.h"
#include "shm.h"

#include "dpsim.h"
#include "sg_idmgr.h"
#include "sg_token_lib.h"

#define VIP "198.18.10.1"

enum { APP_DESK, APP_WEB, APP_OPEN, N_APPS };

struct fx {
	struct sg_ctl_cfg cfg;
	struct sg_ctl c;
	struct dpsim d;
	char shm[64];
	char dir[64];
	unsigned int n_reqs; /**< VM starts and stops asked of the agent */
	uint64_t alice, bob;
	struct sg_id_store *store;
};

static struct fx *g_fx;

static const struct sg_token_key key1 = {
	.id = 1, .len = 32, .key = "0123456789abcdef0123456789abcdef"};
static const struct sg_token_key key2 = {
	.id = 2, .len = 32, .key = "fedcba9876543210fedcba9876543210"};

static int
agent_send(struct sg_ctl_provider *p, const struct sg_ctl_req *r)
{
	(void)p;
	(void)r;
	g_fx->n_reqs++;
	return 0;
}

static void
app(struct sg_ctl_app_cfg *a, const char *name, uint16_t port, uint8_t match, const char *value)
{
	snprintf(a->name, SG_CTL_NAME_MAX, "%s", name);
	a->family = 4;
	a->proto = 6;
	a->port = port;
	inet_pton(AF_INET, VIP, a->vip);
	a->match = match;
	snprintf(a->value, sizeof(a->value), "%s", value);
	a->value_len = (uint16_t)strlen(a->value);
	a->mode = SG_MSG_INSTALL_NAT;
	a->exec_limit = 100;
	a->wait_limit = 10;
}

/* One host, one pool of three VMs; desk: token in cookie "sgt", graph; web: token in
 * header X-Token, no graph, on_fail login; open: anonymous. */
static void
build_cfg(struct sg_ctl_cfg *cfg, const char *idmgr_dir)
{
	unsigned int i;

	sg_ctl_cfg_defaults(cfg);
	snprintf(cfg->idmgr_dir, sizeof(cfg->idmgr_dir), "%s", idmgr_dir);
	cfg->n_hosts = 1;
	snprintf(cfg->hosts[0].name, SG_CTL_NAME_MAX, "h1");
	cfg->hosts[0].family = 4;
	inet_pton(AF_INET, "198.18.2.1", cfg->hosts[0].addr);
	cfg->n_pools = 1;
	snprintf(cfg->pools[0].name, SG_CTL_NAME_MAX, "p1");
	cfg->pools[0].session_cap = 4;
	cfg->pools[0].starts_inflight = 4;
	cfg->n_vms = 3;
	for (i = 0; i < 3; i++) {
		snprintf(cfg->vms[i].name, SG_CTL_NAME_MAX, "vm%u", i + 1);
		cfg->vms[i].family = 4;
		cfg->vms[i].addr[0] = 198;
		cfg->vms[i].addr[1] = 18;
		cfg->vms[i].addr[2] = 1;
		cfg->vms[i].addr[3] = (uint8_t)(10 + i);
	}
	cfg->n_apps = N_APPS;
	app(&cfg->apps[APP_DESK], "desk", 80, SG_CTL_MATCH_HTTP_COOKIE, "sgt");
	cfg->apps[APP_DESK].auth.mode = SG_CTL_AUTH_TOKEN;
	cfg->apps[APP_DESK].auth.graph = true;
	cfg->apps[APP_DESK].auth.keys[0] = key1;
	cfg->apps[APP_DESK].auth.keys[1] = key2;
	cfg->apps[APP_DESK].auth.n_keys = 2;
	app(&cfg->apps[APP_WEB], "web", 8080, SG_CTL_MATCH_HTTP_HEADER, "X-Token");
	cfg->apps[APP_WEB].auth.mode = SG_CTL_AUTH_TOKEN;
	cfg->apps[APP_WEB].auth.on_fail = SG_CTL_AUTH_FAIL_LOGIN;
	snprintf(cfg->apps[APP_WEB].auth.login_url, SG_MSG_LOCATION_MAX,
		 "https://login.example/web?r=1");
	cfg->apps[APP_WEB].auth.keys[0] = key1;
	cfg->apps[APP_WEB].auth.n_keys = 1;
	app(&cfg->apps[APP_OPEN], "open", 81, SG_CTL_MATCH_ANY, "");
	cfg->queue_timeout_ms = 200;
	cfg->vm_start_timeout_ms = 200;
}

static uint64_t
user(struct fx *f, const char *name)
{
	struct sg_id_reg r = {.type = SG_ID_T_USER, .name = name};
	uint64_t id;

	assert_int_equal(sg_id_register(f->store, &r, &id, NULL), 0);
	return id;
}

static void
vm_report(struct fx *f, unsigned int vm, unsigned int state)
{
	struct sg_ctl_event ev = {
		.type = SG_CTL_EV_VM_STATE, .vm = &f->c.inv.vms[vm], .state = state};

	sg_ctl_clock_update(&f->c.clock);
	sg_ctl_bus_publish(f->c.bus, &ev);
	sg_ctl_commit(&f->c);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char idd[96];

	g_fx = f;
	snprintf(f->shm, sizeof(f->shm), "/sgctl-auth-%d", (int)getpid());
	snprintf(f->dir, sizeof(f->dir), "/tmp/sgctl-auth-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(idd, sizeof(idd), "%s/idmgr", f->dir);
	build_cfg(&f->cfg, idd);
	assert_int_equal(dpsim_create(&f->d, f->shm, 1, 1024, 0x2222), 0);
	assert_int_equal(sg_ctl_init(&f->c, &f->cfg, NULL), 0);
	assert_int_equal(sg_ctl_ids_open(f->c.ids), 0);
	f->store = sg_ctl_ids_store(f->c.ids);
	assert_non_null(f->store);
	/* alice subscribes to desk and is assigned vm1; bob is assigned vm2 only */
	f->alice = user(f, "alice");
	f->bob = user(f, "bob");
	assert_int_equal(sg_id_relate(f->store, f->alice, SG_ID_REL_SUBSCRIBES,
				      f->c.inv.apps[APP_DESK].graph_id),
			 0);
	assert_int_equal(sg_id_relate(f->store, f->alice, SG_ID_REL_ASSIGNED, f->c.inv.vms[0].id),
			 0);
	assert_int_equal(sg_id_relate(f->store, f->bob, SG_ID_REL_ASSIGNED, f->c.inv.vms[1].id), 0);
	assert_int_equal(sg_ctl_db_open(f->c.db, f->dir, 16), 0);
	assert_true(sg_ctl_db_load(f->c.db) >= 0);
	assert_int_equal(sg_ctl_shm_open(f->c.shm, f->shm), 0);
	sg_ctl_bus_set_up(f->c.bus, f->c.inv.hosts[0].provider, true, agent_send, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_true(sg_ctl_shm_attached(f->c.shm));
	vm_report(f, 0, SG_CTL_VM_RUNNING);
	vm_report(f, 1, SG_CTL_VM_STOPPED);
	vm_report(f, 2, SG_CTL_VM_RUNNING);
	f->n_reqs = 0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	sg_ctl_fini(&f->c);
	dpsim_destroy(&f->d, true);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* A token of @p user_id for application @p a, expiring @p ttl seconds from now. */
static void
mint(const struct sg_token_key *k, uint64_t user_id, const struct sg_ctl_app *a, int64_t ttl,
     char *out)
{
	struct sg_token t = {.user_id = user_id,
			     .app_id = a->id,
			     .expires = (uint32_t)((int64_t)time(NULL) + ttl)};

	assert_int_equal(sg_token_mint(k, &t, out, SG_TOKEN_TEXT_LEN + 1), 0);
}

/* Send a SESSION_NEW to @p port with @p key and return sg-control's one answer. */
static struct sg_msg
ask(struct fx *f, uint64_t sid, uint16_t port, uint8_t kt, const char *key)
{
	struct sg_msg m, out[2];
	unsigned int n = 0;

	dpsim_make_new(&m, sid, 0, VIP, port, kt, key);
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0);
	sg_ctl_poll(&f->c, 1024);
	memset(out, 0, sizeof(out));
	while (n < 2 && dpsim_recv(&f->d, 0, &m, 1) == 1) {
		assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
		if (m.hdr.type != SG_MSG_SESSION_RESYNC && m.hdr.type != SG_MSG_SESSION_AUDIT)
			out[n++] = m;
	}
	assert_true(n <= 1);
	return out[0]; /* type 0 when nothing came (waiting for a VM) */
}

static struct sg_msg
ask_cookie(struct fx *f, uint64_t sid, const char *token)
{
	char key[SG_MSG_KEY_MAX];

	snprintf(key, sizeof(key), "sgt=%s", token);
	return ask(f, sid, 80, SG_MSG_L7_HTTP_COOKIE, key);
}

static void
closed(struct fx *f, uint64_t sid)
{
	assert_int_equal(dpsim_send_closed(&f->d, 0, sid), 0);
	sg_ctl_poll(&f->c, 1024);
}

/* ------------------------------------------------------------------ rules */

/* v4 keys: http_cookie matches "NAME=value" of its cookie name (case-sensitive);
 * http_header "Name: value" of its header name (any case); the user is the value. */
static void
test_rules_v4_keys(void **state)
{
	static struct sg_ctl_cfg cfg;
	static struct sg_ctl_inv inv;
	struct sg_ctl_broker br = {.cfg = &cfg, .inv = &inv};
	struct sg_msg_flow fl = {.family = 4, .proto = 6, .sport = 1000};
	char u[SG_CTL_NAME_MAX];
	static const struct {
		uint16_t port;
		uint8_t kt;
		const char *key;
		int app; /* -1: none */
		const char *user;
	} cases[] = {
		{80, SG_MSG_L7_HTTP_COOKIE, "sid=alice", 0, "alice"},
		{80, SG_MSG_L7_HTTP_COOKIE, "sid=", 0, NULL},
		{80, SG_MSG_L7_HTTP_COOKIE, "Sid=alice", -1, NULL},   /* cookie names: exact */
		{80, SG_MSG_L7_HTTP_COOKIE, "sidx=alice", -1, NULL},  /* another cookie */
		{80, SG_MSG_L7_HTTP_COOKIE, "alice", -1, NULL},	      /* the v3 value-only key */
		{80, SG_MSG_L7_HTTP_HEADER, "sid: alice", -1, NULL},  /* type must match */
		{81, SG_MSG_L7_HTTP_HEADER, "X-User: bob", 1, "bob"}, /* header names: any case */
		{81, SG_MSG_L7_HTTP_HEADER, "x-user:carol", 1, "carol"},
		{81, SG_MSG_L7_HTTP_HEADER, "X-USER:   dave", 1, "dave"},
		{81, SG_MSG_L7_HTTP_HEADER, "X-Userx: bob", -1, NULL},
		{81, SG_MSG_L7_HTTP_HEADER, "X-User bob", -1, NULL},
		{81, SG_MSG_L7_HTTP_COOKIE, "X-User=bob", -1, NULL},
	};
	unsigned int i;

	(void)state;
	cfg.n_apps = 2;
	inv.cfg = &cfg;
	app(&cfg.apps[0], "c", 80, SG_CTL_MATCH_HTTP_COOKIE, "sid");
	app(&cfg.apps[1], "h", 81, SG_CTL_MATCH_HTTP_HEADER, "X-User");
	for (i = 0; i < 2; i++)
		inv.apps[i].cfg = &cfg.apps[i];
	inet_pton(AF_INET, VIP, fl.daddr);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const uint8_t *k = (const uint8_t *)cases[i].key;
		uint16_t kl = (uint16_t)strlen(cases[i].key);
		struct sg_ctl_app *a;

		fl.dport = cases[i].port;
		a = sg_ctl_broker_match(&br, &fl, cases[i].kt, k, kl);
		if (cases[i].app < 0) {
			assert_null(a);
			continue;
		}
		assert_ptr_equal(a, &inv.apps[cases[i].app]);
		if (cases[i].user == NULL) {
			assert_int_not_equal(
				sg_ctl_broker_user(a->cfg, cases[i].kt, k, kl, u, sizeof(u)), 0);
			continue;
		}
		assert_int_equal(sg_ctl_broker_user(a->cfg, cases[i].kt, k, kl, u, sizeof(u)), 0);
		assert_string_equal(u, cases[i].user);
	}
}

/* ----------------------------------------------------------------- tokens */

/* Every bad token is refused with the app's answer, counted by reason, and no VM is
 * chosen or started; a good one reaches the user's VM with the token's user. */
static void
test_token_refusals(void **state)
{
	struct fx *f = *state;
	struct sg_ctl_app *desk = &f->c.inv.apps[APP_DESK], *web = &f->c.inv.apps[APP_WEB];
	const struct sg_token_key other = {
		.id = 1, .len = 32, .key = "not-the-key-of-this-app-at-all!!"};
	const struct sg_token_key unknown = {
		.id = 9, .len = 32, .key = "0123456789abcdef0123456789abcdef"};
	char tok[SG_TOKEN_TEXT_LEN + 1], bad[SG_TOKEN_TEXT_LEN + 1];
	const struct sg_ctl_auth_stats *st = &f->c.st.auth;
	struct sg_ctl_cs *cs;
	struct sg_msg r;

	/* forged: signed with another key of the same id */
	mint(&other, f->alice, desk, 600, tok);
	r = ask_cookie(f, 1, tok);
	assert_int_equal(r.hdr.type, SG_MSG_SESSION_REJECT);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_FORBIDDEN);
	assert_string_equal(r.reject.location, "");
	assert_int_equal(st->refused[SG_CTL_AUTH_R_MAC], 1);
	/* altered: one character of a good token changed */
	mint(&key1, f->alice, desk, 600, tok);
	memcpy(bad, tok, sizeof(bad));
	bad[20] = bad[20] == 'a' ? 'b' : 'a';
	r = ask_cookie(f, 2, bad);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_FORBIDDEN);
	assert_int_equal(st->refused[SG_CTL_AUTH_R_MAC], 2);
	/* expired */
	mint(&key1, f->alice, desk, -5, bad);
	r = ask_cookie(f, 3, bad);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_FORBIDDEN);
	assert_int_equal(st->refused[SG_CTL_AUTH_R_EXPIRED], 1);
	/* for another application (web shares key1) */
	mint(&key1, f->alice, web, 600, bad);
	r = ask_cookie(f, 4, bad);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_FORBIDDEN);
	assert_int_equal(st->refused[SG_CTL_AUTH_R_APP], 1);
	/* a key id the app does not have */
	mint(&unknown, f->alice, desk, 600, bad);
	r = ask_cookie(f, 5, bad);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_FORBIDDEN);
	assert_int_equal(st->refused[SG_CTL_AUTH_R_KEY], 1);
	/* absent and not a token; web answers with its login redirect */
	r = ask(f, 6, 8080, SG_MSG_L7_HTTP_HEADER, "X-Token:");
	assert_int_equal(r.reject.reason, SG_MSG_REASON_LOGIN);
	assert_string_equal(r.reject.location, "https://login.example/web?r=1");
	assert_int_equal(st->refused[SG_CTL_AUTH_R_ABSENT], 1);
	r = ask(f, 7, 8080, SG_MSG_L7_HTTP_HEADER, "x-token: alice");
	assert_int_equal(r.reject.reason, SG_MSG_REASON_LOGIN);
	assert_int_equal(st->refused[SG_CTL_AUTH_R_FORMAT], 1);
	assert_int_equal(f->c.st.rejects[SG_MSG_REASON_LOGIN], 2);
	assert_int_equal(f->c.st.rejects[SG_MSG_REASON_FORBIDDEN], 5);
	/* nothing was placed or started for any of them */
	assert_int_equal(f->n_reqs, 0);
	assert_int_equal(f->c.inv.vms[0].n_sessions + f->c.inv.vms[2].n_sessions, 0);
	assert_int_equal(st->verified, 0);
	/* the good token (key 2 verifies too: rotation) reaches alice's VM */
	mint(&key2, f->alice, desk, 600, tok);
	r = ask_cookie(f, 8, tok);
	assert_int_equal(r.hdr.type, SG_MSG_SESSION_INSTALL);
	assert_int_equal(r.install.vm_id, f->c.inv.vms[0].id);
	cs = sg_ctl_cs_find(&f->c.tab, 8);
	assert_int_equal(cs->user_id, f->alice);
	assert_string_equal(cs->user, "alice");
	/* web (no graph): a good token from a header in any case, placed by pool */
	mint(&key1, f->bob, web, 600, tok);
	snprintf(bad, sizeof(bad), "%s", tok);
	{
		char key[96];

		snprintf(key, sizeof(key), "X-TOKEN: %s", tok);
		r = ask(f, 9, 8080, SG_MSG_L7_HTTP_HEADER, key);
	}
	assert_int_equal(r.hdr.type, SG_MSG_SESSION_INSTALL);
	assert_int_equal(sg_ctl_cs_find(&f->c.tab, 9)->user_id, f->bob);
	assert_int_equal(st->verified, 2);
	/* anonymous apps as before */
	r = ask(f, 10, 81, SG_MSG_L7_NONE, "");
	assert_int_equal(r.hdr.type, SG_MSG_SESSION_INSTALL);
}

/* ------------------------------------------------------------------ graph */

/* Subscription and serving VMs from the graph, read at each session: a change made
 * in idmgr (as sgid would) counts at once. */
static void
test_graph_access(void **state)
{
	struct fx *f = *state;
	struct sg_ctl_app *desk = &f->c.inv.apps[APP_DESK];
	const struct sg_ctl_auth_stats *st = &f->c.st.auth;
	char ta[SG_TOKEN_TEXT_LEN + 1], tb[SG_TOKEN_TEXT_LEN + 1];
	struct sg_msg r;

	mint(&key1, f->alice, desk, 600, ta);
	mint(&key1, f->bob, desk, 600, tb);
	/* bob does not subscribe: refused, nothing started */
	r = ask_cookie(f, 20, tb);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_FORBIDDEN);
	assert_int_equal(st->refused[SG_CTL_AUTH_R_NOT_SUBSCRIBED], 1);
	assert_int_equal(f->n_reqs, 0);
	/* bob subscribes (sgid relate): his stopped vm2 is started for him */
	assert_int_equal(sg_id_relate(f->store, f->bob, SG_ID_REL_SUBSCRIBES, desk->graph_id), 0);
	r = ask_cookie(f, 21, tb);
	assert_int_equal(r.hdr.type, 0); /* waiting for vm2 */
	assert_int_equal(f->n_reqs, 1);
	assert_ptr_equal(sg_ctl_cs_find(&f->c.tab, 21)->vm, &f->c.inv.vms[1]);
	vm_report(f, 1, SG_CTL_VM_RUNNING);
	{
		struct sg_msg m;

		assert_int_equal(dpsim_recv(&f->d, 0, &m, 1), 1);
		assert_int_equal(m.hdr.type, SG_MSG_SESSION_INSTALL);
		assert_int_equal(m.install.vm_id, f->c.inv.vms[1].id);
	}
	/* alice's token in a request that names someone else: the token decides */
	r = ask(f, 22, 80, SG_MSG_L7_HTTP_COOKIE, "sgt=bob");
	assert_int_equal(r.reject.reason, SG_MSG_REASON_FORBIDDEN);
	r = ask_cookie(f, 23, ta);
	assert_int_equal(r.install.vm_id, f->c.inv.vms[0].id);
	/* bob's token reaches bob's VM, never alice's */
	r = ask_cookie(f, 24, tb);
	assert_int_equal(r.install.vm_id, f->c.inv.vms[1].id);
	/* alice unassigned from vm1 (sgid unrelate): no VM serves her */
	assert_int_equal(sg_id_unrelate(f->store, f->alice, SG_ID_REL_ASSIGNED, f->c.inv.vms[0].id),
			 0);
	r = ask_cookie(f, 25, ta);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_FORBIDDEN);
	assert_int_equal(st->refused[SG_CTL_AUTH_R_NO_VM], 1);
	/* assigned to vm3 instead: served there */
	assert_int_equal(sg_id_relate(f->store, f->alice, SG_ID_REL_ASSIGNED, f->c.inv.vms[2].id),
			 0);
	r = ask_cookie(f, 26, ta);
	assert_int_equal(r.install.vm_id, f->c.inv.vms[2].id);
	/* unsubscribed: refused again */
	assert_int_equal(sg_id_unrelate(f->store, f->alice, SG_ID_REL_SUBSCRIBES, desk->graph_id),
			 0);
	r = ask_cookie(f, 27, ta);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_FORBIDDEN);
	assert_int_equal(st->refused[SG_CTL_AUTH_R_NOT_SUBSCRIBED], 2);
	/* the host's agent down: its VMs are no place for anyone */
	sg_ctl_bus_set_up(f->c.bus, f->c.inv.hosts[0].provider, false, NULL, NULL);
	r = ask_cookie(f, 28, tb);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_FORBIDDEN);
	assert_int_equal(st->refused[SG_CTL_AUTH_R_NO_VM], 2);
	/* a user idmgr does not know (a token minted for a deleted user) */
	mint(&key1, sg_id_make(SG_ID_T_USER, 999999), desk, 600, ta);
	sg_ctl_bus_set_up(f->c.bus, f->c.inv.hosts[0].provider, true, agent_send, NULL);
	r = ask_cookie(f, 29, ta);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_FORBIDDEN);
	assert_int_equal(st->refused[SG_CTL_AUTH_R_UNKNOWN_USER], 1);
	assert_true(st->graph_checks >= 9);
}

/* The registration writes the graph sg-control needs, idempotently (a restart). */
static void
test_graph_registration(void **state)
{
	struct fx *f = *state;
	struct sg_ctl_app *desk = &f->c.inv.apps[APP_DESK];
	uint64_t vms[4], first = desk->graph_id;
	size_t n = 0;

	assert_int_equal(sg_id_type_of(first), SG_ID_T_APP);
	assert_int_equal(sg_id_resolve_serving(f->store, f->alice, first, vms, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(vms[0], f->c.inv.vms[0].id);
	sg_ctl_ids_close(f->c.ids);
	assert_int_equal(sg_ctl_ids_open(f->c.ids), 0);
	f->store = sg_ctl_ids_store(f->c.ids);
	assert_int_equal(desk->graph_id, first);
	assert_int_equal(sg_id_resolve_serving(f->store, f->alice, first, vms, 4, &n), 0);
	assert_int_equal(n, 1);
}

/* The cost of one graph check (subscription + serving VMs + where-is of each). */
static void
test_graph_check_cost(void **state)
{
	struct fx *f = *state;
	struct sg_ctl_cs cs = {.app = &f->c.inv.apps[APP_DESK], .user_id = f->alice};
	struct sg_ctl_auth_stats st = {0};
	struct sg_ctl_vm *out[SG_CTL_ACCESS_VMS_MAX];
	unsigned int i, n = 20000;

	for (i = 0; i < n; i++)
		assert_int_equal(sg_ctl_access_vms(f->c.uc, f->c.ids, f->c.bus, &f->c.inv, &cs, &st,
						   out, SG_CTL_ACCESS_VMS_MAX),
				 1);
	assert_int_equal(st.graph_checks, n);
	print_message("graph check: %.2f us each (%u checks)\n", (double)st.graph_ns / n / 1000.0,
		      n);
}

/* -------------------------------------------------------------------- QoS */

/* qos.user_sessions per user and app; the user's idmgr attribute overrides it. */
static void
test_user_session_limit(void **state)
{
	struct fx *f = *state;
	struct sg_ctl_app *desk = &f->c.inv.apps[APP_DESK];
	char ta[SG_TOKEN_TEXT_LEN + 1];
	struct sg_msg r;

	f->cfg.apps[APP_DESK].qos.user_sessions = 1;
	mint(&key1, f->alice, desk, 600, ta);
	r = ask_cookie(f, 40, ta);
	assert_int_equal(r.hdr.type, SG_MSG_SESSION_INSTALL);
	assert_int_equal(sg_ctl_qos_held(f->c.qos, f->alice, desk), 1);
	r = ask_cookie(f, 41, ta);
	assert_int_equal(r.hdr.type, SG_MSG_SESSION_REJECT);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_LIMIT);
	assert_int_equal(f->c.st.auth.refused[SG_CTL_AUTH_R_USER_SESSIONS], 1);
	/* the first one ends: room again */
	closed(f, 40);
	assert_int_equal(sg_ctl_qos_held(f->c.qos, f->alice, desk), 0);
	r = ask_cookie(f, 42, ta);
	assert_int_equal(r.hdr.type, SG_MSG_SESSION_INSTALL);
	/* alice may hold two (sgid attr set alice qos.user_sessions 2) */
	assert_int_equal(sg_id_attr_set(f->store, f->alice, "qos.user_sessions", "2"), 0);
	r = ask_cookie(f, 43, ta);
	assert_int_equal(r.hdr.type, SG_MSG_SESSION_INSTALL);
	r = ask_cookie(f, 44, ta);
	assert_int_equal(r.reject.reason, SG_MSG_REASON_LIMIT);
	assert_int_equal(sg_ctl_qos_held(f->c.qos, f->alice, desk), 2);
	/* a refused session never counted; the admin close of one frees its place */
	assert_int_equal(sg_ctl_csm_close(&f->c.csm, 43), 0);
	sg_ctl_commit(&f->c);
	assert_int_equal(sg_ctl_qos_held(f->c.qos, f->alice, desk), 1);
}

/* SESSION_INSTALL carries the app's rate, burst and usage interval; the user's
 * attribute qos.rate_bps overrides the rate. */
static void
test_install_carries_qos(void **state)
{
	struct fx *f = *state;
	struct sg_ctl_app_qos *q = &f->cfg.apps[APP_DESK].qos;
	char ta[SG_TOKEN_TEXT_LEN + 1];
	struct sg_msg r;

	q->rate_bps = 1250000;
	q->burst_bytes = 131072;
	q->usage_interval_s = 30;
	mint(&key1, f->alice, &f->c.inv.apps[APP_DESK], 600, ta);
	r = ask_cookie(f, 50, ta);
	assert_int_equal(r.hdr.type, SG_MSG_SESSION_INSTALL);
	assert_int_equal(r.install.rate_bps, 1250000);
	assert_int_equal(r.install.burst_bytes, 131072);
	assert_int_equal(r.install.usage_interval_s, 30);
	assert_int_equal(sg_id_attr_set(f->store, f->alice, "qos.rate_bps", "5000"), 0);
	r = ask_cookie(f, 51, ta);
	assert_int_equal(r.install.rate_bps, 5000);
	assert_int_equal(r.install.burst_bytes, 131072);
	/* anonymous app without qos: unlimited */
	r = ask(f, 52, 81, SG_MSG_L7_NONE, "");
	assert_int_equal(r.install.rate_bps, 0);
	assert_int_equal(r.install.usage_interval_s, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_v4_keys),
		cmocka_unit_test_setup_teardown(test_token_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_graph_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_graph_registration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_graph_check_cost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_session_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_carries_qos, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
