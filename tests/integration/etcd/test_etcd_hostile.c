/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/etcd against a hostile gateway (fake_gateway.py): garbage, oversize
 * bodies, wrong JSON types, bad base64, keys outside the request, HTTP
 * errors, a gateway that never answers in time. Every call returns an
 * error, nothing crashes or leaks (ASan), a watch delivers nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "sg_etcd.h"

static const char *script;
static pid_t gw_pid;
static int gw_stdin = -1, gw_stdout = -1;
static unsigned int gw_port;

static int
setup(void **state)
{
	int in[2], out[2];
	char buf[16] = "";
	ssize_t n;

	(void)state;
	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	gw_pid = fork();
	if (gw_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execlp("python3", "python3", script, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	gw_stdin = in[1];
	n = read(out[0], buf, sizeof(buf) - 1);
	gw_stdout = out[0]; /* open until the gateway is gone: it may write its newline late */
	gw_port = n > 0 ? (unsigned int)strtoul(buf, NULL, 10) : 0;
	return gw_port != 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	close(gw_stdin); /* the gateway exits when its stdin closes */
	kill(gw_pid, SIGTERM);
	waitpid(gw_pid, NULL, 0);
	close(gw_stdout);
	return 0;
}

static struct sg_etcd *
client(const char *mode)
{
	static char url[96];
	char err[256];
	/* "big": 17 MB through python under ASan on a loaded machine: time to reach the bound */
	struct sg_etcd_opts o = {.n_endpoints = 1,
				 .timeout_ms = strcmp(mode, "big") == 0 ? 10000 : 1000};

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/%s", gw_port, mode);
	o.endpoints[0] = url;
	return sg_etcd_new(&o, err, sizeof(err));
}

static int kv_calls;

static void
count_kv(const struct sg_etcd_kv *kv, void *arg)
{
	(void)kv;
	(void)arg;
	kv_calls++;
}

/* Every call in @p mode fails with @p why (writes too when @p writes_too). */
static void
every_call_fails(const char *mode, const char *why, bool writes_too)
{
	struct sg_etcd *c = client(mode);
	int64_t id = 0, rev = 0;
	size_t len = 0;
	char *v = (char *)1;

	assert_non_null(c);
	kv_calls = 0;
	assert_true(sg_etcd_get(c, "/t/k", &v, &len, &rev) < 0);
	assert_null(v);
	print_message("  %-9s %s\n", mode, sg_etcd_error(c));
	assert_non_null(strstr(sg_etcd_error(c), why));
	assert_true(sg_etcd_range(c, "/t/", count_kv, NULL, &rev) < 0);
	assert_non_null(strstr(sg_etcd_error(c), why));
	assert_true(sg_etcd_create(c, "/t/k", "v", 1, 0) < 0);
	assert_true(sg_etcd_lease_grant(c, 5, &id) < 0);
	assert_true(sg_etcd_lease_keepalive(c, 5) < 0);
	if (writes_too) {
		assert_true(sg_etcd_put(c, "/t/k", "v", 1, 0) < 0);
		assert_true(sg_etcd_delete(c, "/t/k") < 0);
		assert_true(sg_etcd_lease_revoke(c, 5) < 0);
		assert_non_null(strstr(sg_etcd_error(c), why));
	}
	assert_int_equal(kv_calls, 0);
	sg_etcd_free(c);
}

static void
test_garbage(void **state)
{
	static const char *const modes[][2] = {
		{"garbage", "not JSON"},   {"empty", "not JSON"},   {"array", "no header"},
		{"deep", "not JSON"},	   {"big", "answer over"},  {"types", "no header"},
		{"noheader", "no header"}, {"http500", "HTTP 500"}, {"http404", "HTTP 404"},
		{"slow", "timed out"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		every_call_fails(modes[i][0], modes[i][1], true);
}

static void
test_bad_fields(void **state)
{
	(void)state;
	every_call_fails("badkv", "malformed", false);
	every_call_fails("otherkey", "another key", false);
	every_call_fails("longval", "malformed", false);
}

/* The control: the same harness, a well-formed stream, delivers (once per reconnect). */
static void
test_watch_control(void **state)
{
	struct timeval tv = {0, 100000};
	struct event_base *base = event_base_new();
	struct sg_etcd *c = client("good");
	struct sg_etcd_watch *w;

	(void)state;
	kv_calls = 0;
	w = sg_etcd_watch_start(c, base, "/t/", 0, count_kv, NULL, NULL);
	for (int t = 0; t < 100 && kv_calls == 0; t++) { /* the event, within 10 s */
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	for (int t = 0; t < 10; t++) { /* then 1 s more: several reconnects */
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	assert_int_equal(kv_calls, 1); /* revision 5 once, though the stream reconnects */
	sg_etcd_watch_stop(w);
	sg_etcd_free(c);
	event_base_free(base);
}

static void
test_watch_hostile(void **state)
{
	static const char *const modes[] = {"garbage", "types", "badkv", "order", "big"};
	struct timeval tv = {0, 100000};
	size_t i;
	int t;

	(void)state;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct event_base *base = event_base_new();
		struct sg_etcd *c = client(modes[i]);
		struct sg_etcd_watch *w;

		kv_calls = 0;
		w = sg_etcd_watch_start(c, base, "/t/", 0, count_kv, NULL, NULL);
		assert_non_null(w);
		/* until the watch has refused the liar (at least 1 s: several reconnects), 10 s */
		for (t = 0; t < 100 && (t < 10 || strstr(sg_etcd_error(c), "watch") == NULL); t++) {
			event_base_loopexit(base, &tv);
			event_base_dispatch(base);
		}
		print_message("  %-9s %s\n", modes[i], sg_etcd_error(c));
		/* "order": the first event of a message out of order is not delivered either */
		assert_int_equal(kv_calls, 0);
		assert_non_null(strstr(sg_etcd_error(c), "watch"));
		sg_etcd_watch_stop(w);
		sg_etcd_free(c);
		event_base_free(base);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_watch_control),
		cmocka_unit_test(test_watch_hostile),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s fake_gateway.py\n", argv[0]);
		return 2;
	}
	script = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
