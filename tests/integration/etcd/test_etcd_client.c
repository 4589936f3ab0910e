/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/etcd against a real etcd (started here, on free 127.0.0.1 ports, killed
 * on exit): every call, create-if-absent, lease expiry, paged ranges, a watch
 * delivering puts and deletes in order and resuming across an etcd restart,
 * a compaction's resync, endpoint failover.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "etcd_int.h"
#include "etcd_proc.h"
#include "sg_etcd.h"

static struct etcd_proc etcd;
static struct sg_etcd *cli;

static int
setup(void **state)
{
	char err[256];
	struct sg_etcd_opts o = {.n_endpoints = 1, .timeout_ms = 2000};

	(void)state;
	if (etcd_proc_start(&etcd) < 0)
		return -1;
	o.endpoints[0] = etcd.url;
	cli = sg_etcd_new(&o, err, sizeof(err));
	if (cli == NULL)
		fprintf(stderr, "%s\n", err);
	return cli != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	sg_etcd_free(cli);
	etcd_proc_kill(&etcd);
	return 0;
}

static void
test_put_get_delete(void **state)
{
	static const char bin[] = {'a', 0, 'b', (char)0xff, '\n'};
	int64_t rev = 0;
	size_t len = 99;
	char *v;

	(void)state;
	assert_int_equal(sg_etcd_put(cli, "/t/kv/bin", bin, sizeof(bin), 0), 0);
	assert_int_equal(sg_etcd_get(cli, "/t/kv/bin", &v, &len, &rev), 0);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(v, bin, sizeof(bin));
	assert_true(rev > 0);
	free(v);
	assert_int_equal(sg_etcd_put(cli, "/t/kv/empty", "", 0, 0), 0);
	assert_int_equal(sg_etcd_get(cli, "/t/kv/empty", &v, &len, NULL), 0);
	assert_int_equal(len, 0);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(sg_etcd_get(cli, "/t/kv/absent", &v, &len, NULL), -ENOENT);
	assert_null(v);
	assert_int_equal(sg_etcd_delete(cli, "/t/kv/bin"), 0);
	assert_int_equal(sg_etcd_get(cli, "/t/kv/bin", &v, &len, NULL), -ENOENT);
	assert_int_equal(sg_etcd_delete(cli, "/t/kv/bin"), 0); /* absent is fine */
}

static void
test_create(void **state)
{
	size_t len;
	char *v;

	(void)state;
	assert_int_equal(sg_etcd_create(cli, "/t/create/a", "first", 5, 0), 0);
	assert_int_equal(sg_etcd_create(cli, "/t/create/a", "second", 6, 0), -EEXIST);
	assert_non_null(strstr(sg_etcd_error(cli), "exists"));
	assert_int_equal(sg_etcd_get(cli, "/t/create/a", &v, &len, NULL), 0);
	assert_string_equal(v, "first");
	free(v);
	assert_int_equal(sg_etcd_delete(cli, "/t/create/a"), 0);
	assert_int_equal(sg_etcd_create(cli, "/t/create/a", "third", 5, 0), 0);
}

static void
test_bounds(void **state)
{
	char key[SG_ETCD_KEY_MAX + 2], *big, *v;
	size_t len;

	(void)state;
	memset(key, 'k', sizeof(key) - 1);
	key[0] = '/';
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(sg_etcd_put(cli, key, "v", 1, 0), -ENAMETOOLONG);
	assert_int_equal(sg_etcd_get(cli, key, &v, &len, NULL), -ENAMETOOLONG);
	assert_int_equal(sg_etcd_put(cli, "", "v", 1, 0), -ENAMETOOLONG);
	big = calloc(1, SG_ETCD_VALUE_MAX + 1);
	assert_int_equal(sg_etcd_put(cli, "/t/big", big, SG_ETCD_VALUE_MAX + 1, 0), -EMSGSIZE);
	assert_int_equal(sg_etcd_create(cli, "/t/big", big, SG_ETCD_VALUE_MAX + 1, 0), -EMSGSIZE);
	assert_int_equal(sg_etcd_put(cli, "/t/big", big, SG_ETCD_VALUE_MAX, 0), 0);
	assert_int_equal(sg_etcd_get(cli, "/t/big", &v, &len, NULL), 0);
	assert_int_equal(len, SG_ETCD_VALUE_MAX);
	free(v);
	free(big);
}

struct seen {
	int n;
	int64_t last_rev;
	char keys[400][32];
	bool del[400];
	bool ordered;
};

static void
collect(const struct sg_etcd_kv *kv, void *arg)
{
	struct seen *s = arg;

	if (s->n < 400) {
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%.*s", (int)kv->key_len, kv->key);
		s->del[s->n] = kv->val == NULL;
	}
	if (kv->mod_rev < s->last_rev)
		s->ordered = false;
	s->last_rev = kv->mod_rev;
	s->n++;
}

static void
test_range(void **state)
{
	struct seen *s = calloc(1, sizeof(*s));
	char key[32];
	int64_t rev = 0;
	int i;

	(void)state;
	for (i = 0; i < 300; i++) { /* more than one page (SG_ETCD_PAGE_KEYS) */
		snprintf(key, sizeof(key), "/t/range/%03d", i);
		assert_int_equal(sg_etcd_put(cli, key, key, strlen(key), 0), 0);
	}
	assert_int_equal(sg_etcd_put(cli, "/t/rangf", "x", 1, 0), 0); /* next prefix */
	assert_int_equal(sg_etcd_put(cli, "/t/rang", "x", 1, 0), 0);
	assert_int_equal(sg_etcd_range(cli, "/t/range/", collect, s, &rev), 300);
	assert_int_equal(s->n, 300);
	assert_true(rev > 0);
	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "/t/range/%03d", i);
		assert_string_equal(s->keys[i], key);
	}
	memset(s, 0, sizeof(*s));
	assert_int_equal(sg_etcd_range(cli, "/t/nothing/", collect, s, &rev), 0);
	free(s);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void
test_lease(void **state)
{
	int64_t id = 0, id2 = 0, lease_of = 0;
	size_t len;
	char *v;
	int i;

	(void)state;
	assert_int_equal(sg_etcd_lease_grant(cli, 1, &id), 0);
	assert_true(id > 0);
	assert_int_equal(sg_etcd_put(cli, "/t/lease/a", "a", 1, id), 0);
	assert_int_equal(sg_etcd_create(cli, "/t/lease/b", "b", 1, id), 0);
	assert_int_equal(sg_etcd_lease_keepalive(cli, id), 0);
	assert_int_equal(sg_etcd_get(cli, "/t/lease/a", &v, &len, NULL), 0);
	free(v);
	/* expiry removes its keys: bounded wait (TTL 1 s; etcd may stretch it to 2) */
	for (i = 0; i < 100 && sg_etcd_get(cli, "/t/lease/a", &v, &len, NULL) == 0; i++) {
		free(v);
		sleep_ms(100);
	}
	assert_true(i < 100);
	assert_int_equal(sg_etcd_get(cli, "/t/lease/b", &v, &len, NULL), -ENOENT);
	assert_int_equal(sg_etcd_lease_keepalive(cli, id), -ENOENT);
	/* revoke removes its keys at once */
	assert_int_equal(sg_etcd_lease_grant(cli, 60, &id2), 0);
	assert_int_equal(sg_etcd_put(cli, "/t/lease/c", "c", 1, id2), 0);
	struct seen s = {0};
	assert_int_equal(sg_etcd_range(cli, "/t/lease/", collect, &s, NULL), 1);
	(void)lease_of;
	assert_int_equal(sg_etcd_lease_revoke(cli, id2), 0);
	assert_int_equal(sg_etcd_get(cli, "/t/lease/c", &v, &len, NULL), -ENOENT);
	assert_int_equal(sg_etcd_lease_revoke(cli, id2), -ENOENT);
	assert_int_equal(sg_etcd_lease_grant(cli, 0, &id), -EINVAL);
}

/* ------------------------------------------------------------- watch */

struct wstate {
	struct seen s;
	struct event_base *base;
	int want;
	int resyncs;
	struct sg_etcd_watch *self;
	bool stop_in_cb;
	const char *until_key; /**< break the loop when this key is seen */
};

static void
wcollect(const struct sg_etcd_kv *kv, void *arg)
{
	struct wstate *ws = arg;

	collect(kv, &ws->s);
	if (ws->stop_in_cb && ws->self != NULL) {
		sg_etcd_watch_stop(ws->self); /* from inside the callback: freed after it */
		ws->self = NULL;
	}
	if (ws->s.n >= ws->want || (ws->until_key != NULL && ws->s.n <= 400 &&
				    strcmp(ws->s.keys[ws->s.n - 1], ws->until_key) == 0))
		event_base_loopbreak(ws->base);
}

static void
wresync(void *arg)
{
	struct wstate *ws = arg;

	ws->resyncs++;
	event_base_loopbreak(ws->base);
}

/* Run the loop until ws->want events arrived (or the resync), at most @p ms. */
static void
run_until(struct wstate *ws, long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(ws->base, &tv);
	event_base_dispatch(ws->base);
	event_base_loopexit(ws->base, NULL); /* drop a pending exit timer */
	event_base_loop(ws->base, EVLOOP_NONBLOCK);
}

static void
test_watch_order_and_restart(void **state)
{
	struct wstate *ws = calloc(1, sizeof(*ws));
	struct sg_etcd_watch *w;
	int64_t rev = 0;

	(void)state;
	ws->s.ordered = true;
	ws->base = event_base_new();
	assert_int_equal(sg_etcd_put(cli, "/t/w/before", "0", 1, 0), 0);
	assert_true(sg_etcd_range(cli, "/t/w/", collect, &(struct seen){0}, &rev) == 1);
	w = sg_etcd_watch_start(cli, ws->base, "/t/w/", rev + 1, wcollect, wresync, ws);
	assert_non_null(w);
	assert_int_equal(sg_etcd_put(cli, "/t/w/a", "1", 1, 0), 0);
	assert_int_equal(sg_etcd_put(cli, "/t/w/b", "2", 1, 0), 0);
	assert_int_equal(sg_etcd_put(cli, "/t/x", "outside", 7, 0), 0);
	assert_int_equal(sg_etcd_delete(cli, "/t/w/a"), 0);
	assert_int_equal(sg_etcd_put(cli, "/t/w/b", "3", 1, 0), 0);
	ws->want = 4;
	run_until(ws, 5000);
	assert_int_equal(ws->s.n, 4);
	assert_string_equal(ws->s.keys[0], "/t/w/a");
	assert_false(ws->s.del[0]);
	assert_string_equal(ws->s.keys[1], "/t/w/b");
	assert_string_equal(ws->s.keys[2], "/t/w/a");
	assert_true(ws->s.del[2]);
	assert_string_equal(ws->s.keys[3], "/t/w/b");
	assert_false(ws->s.del[3]);

	/* kill -9 etcd, restart it: the watch resumes after the last revision it delivered */
	etcd_proc_kill(&etcd);
	run_until(ws, 300); /* the stream breaks, retries fail */
	assert_int_equal(etcd_proc_start(&etcd), 0);
	assert_int_equal(sg_etcd_put(cli, "/t/w/c", "4", 1, 0), 0);
	assert_int_equal(sg_etcd_delete(cli, "/t/w/b"), 0);
	ws->want = 6;
	run_until(ws, 8000);
	run_until(ws, 300); /* nothing more: no event delivered twice */
	assert_int_equal(ws->s.n, 6);
	assert_string_equal(ws->s.keys[4], "/t/w/c");
	assert_false(ws->s.del[4]);
	assert_string_equal(ws->s.keys[5], "/t/w/b");
	assert_true(ws->s.del[5]);
	assert_true(ws->s.ordered);
	assert_int_equal(ws->resyncs, 0);
	sg_etcd_watch_stop(w);
	event_base_free(ws->base);
	free(ws);
}

static void
test_watch_from_now_and_stop_in_cb(void **state)
{
	struct wstate *ws = calloc(1, sizeof(*ws));

	(void)state;
	ws->base = event_base_new();
	ws->self = sg_etcd_watch_start(cli, ws->base, "/t/now/", 0, wcollect, NULL, ws);
	assert_non_null(ws->self);
	run_until(ws, 300); /* the stream is created */
	ws->stop_in_cb = true;
	assert_int_equal(sg_etcd_put(cli, "/t/now/a", "1", 1, 0), 0);
	assert_int_equal(sg_etcd_put(cli, "/t/now/b", "1", 1, 0), 0);
	ws->want = 1;
	run_until(ws, 5000);
	run_until(ws, 300);
	assert_int_equal(ws->s.n, 1); /* stopped in the first callback: nothing after */
	assert_null(ws->self);
	event_base_free(ws->base);
	free(ws);
}

static void
test_watch_compacted(void **state)
{
	struct wstate *ws = calloc(1, sizeof(*ws));
	struct sg_etcd_watch *w;
	json_t *resp;
	int64_t rev = 0;
	char rv[24];

	(void)state;
	ws->base = event_base_new();
	assert_int_equal(sg_etcd_put(cli, "/t/c/a", "1", 1, 0), 0);
	assert_int_equal(sg_etcd_put(cli, "/t/c/a", "2", 1, 0), 0);
	assert_true(sg_etcd_range(cli, "/t/c/", collect, &(struct seen){0}, &rev) == 1);
	snprintf(rv, sizeof(rv), "%lld", (long long)rev);
	assert_int_equal(
		sg_etcd_call(cli, "/v3/kv/compaction", json_pack("{s:s}", "revision", rv), &resp),
		0);
	json_decref(resp);
	w = sg_etcd_watch_start(cli, ws->base, "/t/c/", 2, wcollect, wresync, ws);
	assert_non_null(w);
	ws->want = 1000;
	run_until(ws, 5000);
	assert_int_equal(ws->resyncs, 1);
	assert_int_equal(sg_etcd_put(cli, "/t/c/b", "3", 1, 0), 0);
	ws->until_key = "/t/c/b"; /* after a replay from the compaction revision */
	run_until(ws, 5000);
	assert_string_equal(ws->s.keys[ws->s.n - 1], "/t/c/b");
	sg_etcd_watch_stop(w);
	event_base_free(ws->base);
	free(ws);
}

static void
test_failover(void **state)
{
	char err[256], dead[64];
	struct sg_etcd_opts o = {.n_endpoints = 2, .timeout_ms = 1000};
	struct sg_etcd *c2;
	struct wstate *ws = calloc(1, sizeof(*ws));
	struct sg_etcd_watch *w;
	size_t len;
	char *v;

	(void)state;
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%u/", etcd_proc_free_port());
	o.endpoints[0] = dead;
	o.endpoints[1] = etcd.url;
	c2 = sg_etcd_new(&o, err, sizeof(err));
	assert_non_null(c2);
	/* a watch that starts on the dead endpoint moves on to the live one */
	ws->base = event_base_new();
	w = sg_etcd_watch_start(c2, ws->base, "/t/fo/", 1, wcollect, NULL, ws);
	assert_non_null(w);
	/* the sync calls fail over too */
	assert_int_equal(sg_etcd_put(c2, "/t/fo/a", "1", 1, 0), 0);
	assert_int_equal(sg_etcd_get(c2, "/t/fo/a", &v, &len, NULL), 0);
	free(v);
	ws->want = 1;
	run_until(ws, 5000);
	assert_int_equal(ws->s.n, 1);
	sg_etcd_watch_stop(w);
	event_base_free(ws->base);
	free(ws);
	sg_etcd_free(c2);
	/* no endpoint answers */
	o.endpoints[0] = dead;
	o.n_endpoints = 1;
	c2 = sg_etcd_new(&o, err, sizeof(err));
	assert_int_equal(sg_etcd_put(c2, "/t/fo/a", "1", 1, 0), -ECONNREFUSED);
	assert_non_null(strstr(sg_etcd_error(c2), "127.0.0.1"));
	sg_etcd_free(c2);
	o.endpoints[0] = "ftp://x";
	assert_null(sg_etcd_new(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "http"));
	o.n_endpoints = 0;
	assert_null(sg_etcd_new(&o, err, sizeof(err)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_delete),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_lease),
		cmocka_unit_test(test_watch_order_and_restart),
		cmocka_unit_test(test_watch_from_now_and_stop_in_cb),
		cmocka_unit_test(test_watch_compacted),
		cmocka_unit_test(test_failover),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
