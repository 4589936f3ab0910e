/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of sg-control's (user, app) cache of idmgr's answers
 * (ucache.c, as access.c, auth.c and qos.c read through it): a real
 * identity store (LMDB) in a temporary directory, written by this process
 * and by another one (a forked child opening the store as sgid does), the
 * real core (sg_ctl_init) around it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "access.h"
#include "auth.h"
#include "bus.h"
#include "ctl.h"
#include "ids.h"
#include "qos.h"
#include "ucache.h"

#include "sg_idmgr.h"
#include "sg_token_lib.h"

struct fx {
	struct sg_ctl_cfg cfg;
	struct sg_ctl c;
	char dir[64];
	char idd[96];
	uint64_t alice;
	struct sg_id_store *store;
};

static const struct sg_token_key key1 = {
	.id = 1, .len = 32, .key = "0123456789abcdef0123456789abcdef"};

static int
nop_send(struct sg_ctl_provider *p, const struct sg_ctl_req *r)
{
	(void)p;
	(void)r;
	return 0;
}

/* One host, one pool of two VMs, one token application "desk" with the graph. */
static void
build_cfg(struct sg_ctl_cfg *cfg, const char *idmgr_dir)
{
	struct sg_ctl_app_cfg *a = &cfg->apps[0];
	unsigned int i;

	sg_ctl_cfg_defaults(cfg);
	snprintf(cfg->idmgr_dir, sizeof(cfg->idmgr_dir), "%s", idmgr_dir);
	cfg->n_hosts = 1;
	snprintf(cfg->hosts[0].name, SG_CTL_NAME_MAX, "h1");
	cfg->hosts[0].family = 4;
	cfg->n_pools = 1;
	snprintf(cfg->pools[0].name, SG_CTL_NAME_MAX, "p1");
	cfg->pools[0].session_cap = 4;
	cfg->n_vms = 2;
	for (i = 0; i < cfg->n_vms; i++) {
		snprintf(cfg->vms[i].name, SG_CTL_NAME_MAX, "vm%u", i + 1);
		cfg->vms[i].family = 4;
	}
	cfg->n_apps = 1;
	snprintf(a->name, SG_CTL_NAME_MAX, "desk");
	a->family = 4;
	a->proto = 6;
	a->port = 80;
	a->match = SG_CTL_MATCH_HTTP_COOKIE;
	snprintf(a->value, sizeof(a->value), "sgt");
	a->value_len = 3;
	a->exec_limit = 100;
	a->wait_limit = 10;
	a->auth.mode = SG_CTL_AUTH_TOKEN;
	a->auth.graph = true;
	a->auth.keys[0] = key1;
	a->auth.n_keys = 1;
	a->qos.user_sessions = 7;
	a->qos.rate_bps = 1000;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sg_id_reg r = {.type = SG_ID_T_USER, .name = "alice"};

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/sgctl-ucache-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->idd, sizeof(f->idd), "%s/idmgr", f->dir);
	build_cfg(&f->cfg, f->idd);
	assert_int_equal(sg_ctl_init(&f->c, &f->cfg, NULL), 0);
	assert_int_equal(sg_ctl_ids_open(f->c.ids), 0);
	f->store = sg_ctl_ids_store(f->c.ids);
	assert_non_null(f->store);
	assert_int_equal(sg_id_register(f->store, &r, &f->alice, NULL), 0);
	assert_int_equal(
		sg_id_relate(f->store, f->alice, SG_ID_REL_SUBSCRIBES, f->c.inv.apps[0].graph_id),
		0);
	assert_int_equal(sg_id_relate(f->store, f->alice, SG_ID_REL_ASSIGNED, f->c.inv.vms[0].id),
			 0);
	sg_ctl_bus_set_up(f->c.bus, f->c.inv.hosts[0].provider, true, nop_send, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	sg_ctl_fini(&f->c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The graph check of alice's session of desk: VMs found (their IDs in @p ids), or the error. */
static int
check(struct fx *f, uint64_t user, uint64_t *ids)
{
	struct sg_ctl_cs cs = {.app = &f->c.inv.apps[0], .user_id = user};
	struct sg_ctl_vm *out[SG_CTL_ACCESS_VMS_MAX];
	int rc, i;

	rc = sg_ctl_access_vms(f->c.uc, f->c.ids, f->c.bus, &f->c.inv, &cs, &f->c.st.auth, out,
			       SG_CTL_ACCESS_VMS_MAX);
	for (i = 0; i < rc && ids != NULL; i++)
		ids[i] = out[i]->id;
	return rc;
}

enum child_op { OP_MOVE_VM, OP_UNSUBSCRIBE, OP_SET_LIMIT };

/*
 * Write the store from another process, as sgid does: a forked child opens
 * it on its own and exits. @return the child's status (0: written).
 */
static int
other_process(struct fx *f, enum child_op op)
{
	pid_t pid = fork();
	int status = -1;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sg_id_store *s;
		uint64_t app = f->c.inv.apps[0].graph_id;
		int rc;

		if (sg_id_store_open(f->idd, NULL, &s) < 0)
			_exit(2);
		if (op == OP_MOVE_VM)
			rc = sg_id_unrelate(s, f->alice, SG_ID_REL_ASSIGNED, f->c.inv.vms[0].id) ||
			     sg_id_relate(s, f->alice, SG_ID_REL_ASSIGNED, f->c.inv.vms[1].id);
		else if (op == OP_UNSUBSCRIBE)
			rc = sg_id_unrelate(s, f->alice, SG_ID_REL_SUBSCRIBES, app);
		else
			rc = sg_id_attr_set(s, f->alice, "qos.user_sessions", "1");
		sg_id_store_close(s);
		_exit(rc != 0 ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A second session of the same (user, app) reads nothing; a write by
 * another process counts at the next session. */
static void
test_graph_cached_until_other_process_writes(void **state)
{
	struct fx *f = *state;
	const struct sg_ctl_auth_stats *st = &f->c.st.auth;
	uint64_t ids[SG_CTL_ACCESS_VMS_MAX] = {0}, g0 = sg_id_store_generation(f->store);

	assert_true(g0 > 0);
	assert_int_equal(check(f, f->alice, ids), 1);
	assert_int_equal(ids[0], f->c.inv.vms[0].id);
	assert_int_equal(st->cache_misses, 1);
	assert_int_equal(check(f, f->alice, ids), 1);
	assert_int_equal(ids[0], f->c.inv.vms[0].id);
	assert_int_equal(st->cache_hits, 1);
	assert_int_equal(st->cache_misses, 1);
	/* sgid unrelate/relate in another process: vm2 now, at once */
	assert_int_equal(other_process(f, OP_MOVE_VM), 0);
	assert_true(sg_id_store_generation(f->store) > g0);
	assert_int_equal(check(f, f->alice, ids), 1);
	assert_int_equal(ids[0], f->c.inv.vms[1].id);
	assert_int_equal(st->cache_misses, 2);
	assert_int_equal(st->cache_flushes, 2); /* the first lookup, the write */
	/* unsubscribed elsewhere: refused; the refusal is kept too */
	assert_int_equal(other_process(f, OP_UNSUBSCRIBE), 0);
	assert_int_equal(check(f, f->alice, NULL), -ENOLINK);
	assert_int_equal(check(f, f->alice, NULL), -ENOLINK);
	assert_int_equal(st->cache_misses, 3);
	assert_int_equal(st->cache_hits, 2);
	/* a user idmgr does not know: refused, whatever the cache holds */
	assert_int_equal(check(f, sg_id_make(SG_ID_T_USER, 999999), NULL), -ENOENT);
	assert_int_equal(st->graph_checks, 6);
}

/* Whether a host's agent is up is never cached: it is asked at every check. */
static void
test_host_state_not_cached(void **state)
{
	struct fx *f = *state;
	const struct sg_ctl_auth_stats *st = &f->c.st.auth;

	assert_int_equal(check(f, f->alice, NULL), 1);
	sg_ctl_bus_set_up(f->c.bus, f->c.inv.hosts[0].provider, false, NULL, NULL);
	assert_int_equal(check(f, f->alice, NULL), 0);
	sg_ctl_bus_set_up(f->c.bus, f->c.inv.hosts[0].provider, true, nop_send, NULL);
	assert_int_equal(check(f, f->alice, NULL), 1);
	assert_int_equal(st->cache_misses, 1);
	assert_int_equal(st->cache_hits, 2);
}

/* The token's user name and the user's QoS attributes: read once, kept until a write. */
static void
test_name_and_qos_cached(void **state)
{
	struct fx *f = *state;
	const struct sg_ctl_auth_stats *st = &f->c.st.auth;
	struct sg_ctl_cs a = {.app = &f->c.inv.apps[0], .key_type = SG_MSG_L7_HTTP_COOKIE};
	struct sg_ctl_cs b, c;
	struct sg_token t = {
		.user_id = f->alice, .app_id = a.app->id, .expires = (uint32_t)time(NULL) + 600};
	char text[SG_TOKEN_TEXT_LEN + 1];
	uint32_t rate, burst, every;

	assert_int_equal(sg_token_mint(&key1, &t, text, sizeof(text)), 0);
	a.key_len = (uint16_t)snprintf((char *)a.key, sizeof(a.key), "sgt=%s", text);
	b = a;
	c = a;
	assert_int_equal(
		sg_ctl_auth_token(f->c.uc, f->c.ids, &f->c.st.auth, &a, (uint64_t)time(NULL)), 0);
	assert_string_equal(a.user, "alice");
	assert_int_equal(
		sg_ctl_auth_token(f->c.uc, f->c.ids, &f->c.st.auth, &b, (uint64_t)time(NULL)), 0);
	assert_string_equal(b.user, "alice");
	assert_int_equal(st->cache_misses, 1);
	assert_int_equal(st->cache_hits, 1);
	/* no QoS attribute: the app's limits; read once for both sessions */
	assert_int_equal(sg_ctl_qos_admit(f->c.qos, &a), 0);
	assert_int_equal(sg_ctl_qos_admit(f->c.qos, &b), 0);
	assert_int_equal(st->cache_misses, 2);
	assert_int_equal(st->cache_hits, 2);
	assert_int_equal(sg_ctl_qos_held(f->c.qos, f->alice, a.app), 2);
	/* the rate of a's INSTALL is what its admission read */
	assert_int_equal(sg_id_attr_set(f->store, f->alice, "qos.rate_bps", "5000"), 0);
	sg_ctl_qos_install(f->c.qos, &a, &rate, &burst, &every);
	assert_int_equal(rate, 1000);
	/* sgid attr set in another process: a limit of 1, at the next admission */
	assert_int_equal(other_process(f, OP_SET_LIMIT), 0);
	assert_int_equal(
		sg_ctl_auth_token(f->c.uc, f->c.ids, &f->c.st.auth, &c, (uint64_t)time(NULL)), 0);
	assert_int_equal(sg_ctl_qos_admit(f->c.qos, &c), -EDQUOT);
	sg_ctl_qos_install(f->c.qos, &c, &rate, &burst, &every);
	assert_int_equal(rate, 5000);
	sg_ctl_qos_release(f->c.qos, &a);
	sg_ctl_qos_release(f->c.qos, &b);
	assert_int_equal(sg_ctl_qos_held(f->c.qos, f->alice, a.app), 0);
}

/* More pairs than slots: the table stays its size, answers stay right. */
static void
test_bounded(void **state)
{
	struct fx *f = *state;
	const struct sg_ctl_auth_stats *st = &f->c.st.auth;
	unsigned int i, n = SG_CTL_UCACHE_SLOTS + 4096;

	assert_int_equal(check(f, f->alice, NULL), 1);
	for (i = 1; i <= n; i++)
		assert_int_equal(check(f, sg_id_make(SG_ID_T_USER, 1000000 + i), NULL), -ENOENT);
	assert_int_equal(check(f, f->alice, NULL), 1);
	assert_int_equal(st->cache_hits + st->cache_misses, (uint64_t)n + 2);
	assert_true(st->cache_misses >= n);
	print_message("%u users through %u slots: %llu hits, %llu misses\n", n, SG_CTL_UCACHE_SLOTS,
		      (unsigned long long)st->cache_hits, (unsigned long long)st->cache_misses);
}

/* register mode: the session IDs sg-control writes to idmgr (sg_id_temp_alloc
 * and _release per session) leave the cache; a relationship it writes does not. */
static void
test_own_session_ids_keep_it(void **state)
{
	struct fx *f = *state;
	const struct sg_ctl_auth_stats *st = &f->c.st.auth;
	struct sg_ctl_cs cs = {0};
	struct sg_id_stats ids;
	uint64_t g;
	int i;

	assert_false(f->cfg.idmgr_lease);
	assert_int_equal(check(f, f->alice, NULL), 1);
	g = sg_id_store_generation(f->store);
	for (i = 0; i < 10; i++) {
		cs.ctl_id = sg_ctl_ids_new(f->c.ids, SG_CTL_ID_CONTROLLING);
		cs.user_session_id = sg_ctl_ids_new(f->c.ids, SG_CTL_ID_USER_SESSION);
		cs.service_session_id = sg_ctl_ids_new(f->c.ids, SG_CTL_ID_SERVICE_SESSION);
		assert_int_equal(sg_id_store_stats(f->store, &ids), 0);
		assert_int_equal(ids.temps, 3); /* written to idmgr: register mode */
		assert_int_equal(check(f, f->alice, NULL), 1);
		sg_ctl_ids_release(f->c.ids, &cs);
	}
	assert_int_equal(sg_id_store_generation(f->store), g);
	assert_int_equal(st->cache_misses, 1);
	assert_int_equal(st->cache_hits, 10);
	assert_int_equal(st->cache_flushes, 1);
	/* this process relates: that counts */
	assert_int_equal(sg_id_relate(f->store, f->alice, SG_ID_REL_ASSIGNED, f->c.inv.vms[1].id),
			 0);
	assert_int_equal(check(f, f->alice, NULL), 2);
	assert_int_equal(st->cache_flushes, 2);
}

/* Without a cache (NULL) every check reads idmgr, the same answers. */
static void
test_no_cache(void **state)
{
	struct fx *f = *state;
	struct sg_ctl_cs cs = {.app = &f->c.inv.apps[0], .user_id = f->alice};
	struct sg_ctl_vm *out[SG_CTL_ACCESS_VMS_MAX];

	assert_int_equal(sg_ctl_access_vms(NULL, f->c.ids, f->c.bus, &f->c.inv, &cs, &f->c.st.auth,
					   out, SG_CTL_ACCESS_VMS_MAX),
			 1);
	assert_ptr_equal(out[0], &f->c.inv.vms[0]);
	assert_int_equal(f->c.st.auth.cache_hits + f->c.st.auth.cache_misses, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_graph_cached_until_other_process_writes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_host_state_not_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_and_qos_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_session_ids_keep_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_cache, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
