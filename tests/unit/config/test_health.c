/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failure-handling keys of the appliance schema: appliance.exception,
 * pools[].health_check and passive, members' check_port and check_source,
 * virtual_services[].no_live_member and fallback_pool. Defaults when
 * absent, the values of all-keys.yaml, the timeout clipped below a short
 * interval, the accepted edge values, the round trip of the dump, and the
 * errors the bad-file corpus does not already cover.
 *
 * argv[1]: the examples folder (config/examples).
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
#include <sys/socket.h>

#include <cmocka.h>

#include "cfg_load.h"
#include "cfg_roundtrip.h"
#include "cfg_test.h"
#include "sg_cfg.h"

static const char *examples_dir;

/*
 * NAT sources of both families, one port with both: every pool fits a nat
 * VS. The appliance map comes last, so a body may go on with its keys.
 */
static const char head[] =
	"nat: {addresses: [198.18.0.100, \"2001:2::100\"]}\n"
	"appliance:\n"
	"  ports:\n"
	"    - {name: p0, device: net_null0, address: 198.18.0.1/24, address6: \"2001:2::1/64\"}\n";

static struct sg_cfg *
load_ok(const char *body)
{
	return cfg_load_ok(head, body);
}

static void
load_bad(const char *body, const char *want)
{
	cfg_load_bad(head, body, want);
}

static void
test_defaults(void **state)
{
	struct sg_cfg *cfg =
		load_ok("pools:\n  - name: web\n    members: [{name: a, address: 198.18.0.11}]\n"
			"virtual_services:\n"
			"  - {name: v, vip: 198.18.10.1, port: 80, mode: nat, pool: web}\n");
	const struct sg_cfg_exception *x = &cfg->appliance.exception;
	const struct sg_cfg_pool *p = &cfg->pools[0];

	(void)state;
	assert_false(x->enabled);
	assert_string_equal(x->ifname_prefix, "sgx");
	assert_int_equal(x->rate_pps, 20000);
	assert_int_equal(x->burst, 512);
	assert_int_equal(x->queue, 1024);
	assert_true(x->routes);
	assert_int_equal(p->check.type, SG_CFG_CHECK_NONE);
	assert_int_equal(p->passive.consecutive_failures, 5);
	assert_int_equal(p->passive.ejection_s, 30);
	assert_int_equal(p->passive.max_ejected_pct, 50);
	assert_int_equal(p->members[0].check_port, 0);
	assert_int_equal(p->members[0].check_source.family, 0);
	assert_int_equal(cfg->vs[0].no_live_member, SG_CFG_NO_MEMBER_DROP);
	assert_string_equal(sg_cfg_no_member_name(cfg->vs[0].no_live_member), "drop");
	assert_string_equal(sg_cfg_check_type_name(p->check.type), "none");
	sg_cfg_free(cfg);
}

/* Null maps read as absent ones; the defaults of each check type. */
static void
test_null_maps_and_type_defaults(void **state)
{
	struct sg_cfg *cfg = load_ok("pools:\n"
				     "  - {name: a, health_check: ~, passive: ~, members: []}\n"
				     "  - {name: t, health_check: {type: tcp}, members: []}\n"
				     "  - {name: h, health_check: {type: http}, members: []}\n"
				     "  - {name: u, health_check: {type: udp}, members: []}\n");
	const struct sg_cfg_health_check *t = &cfg->pools[1].check, *h = &cfg->pools[2].check,
					 *u = &cfg->pools[3].check;

	(void)state;
	assert_int_equal(cfg->pools[0].check.type, SG_CFG_CHECK_NONE);
	assert_int_equal(cfg->pools[0].passive.consecutive_failures, 5);
	assert_int_equal(t->type, SG_CFG_CHECK_TCP);
	assert_int_equal(t->interval_ms, 2000);
	assert_int_equal(t->timeout_ms, 1000);
	assert_int_equal(t->rise, 2);
	assert_int_equal(t->fall, 3);
	assert_int_equal(t->port, 0);
	assert_int_equal(t->source.family, 0);
	assert_string_equal(t->path, ""); /* http keys stay empty on a tcp check */
	assert_int_equal(h->type, SG_CFG_CHECK_HTTP);
	assert_string_equal(h->method, "GET");
	assert_string_equal(h->path, "/");
	assert_string_equal(h->host, "");
	assert_int_equal(h->status_min, 200);
	assert_int_equal(h->status_max, 399);
	assert_string_equal(h->body_match, "");
	assert_string_equal(h->ca_file, "");
	assert_int_equal(u->type, SG_CFG_CHECK_UDP);
	assert_string_equal(u->send, "ping");
	assert_string_equal(u->expect, "");
	sg_cfg_free(cfg);
}

static void
test_all_keys_values(void **state)
{
	char path[512];
	struct sg_cfg_error err;
	struct sg_cfg *cfg = NULL;
	const struct sg_cfg_health_check *web, *app, *spare;
	const struct sg_cfg_exception *x;
	char text[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/all-keys.yaml", examples_dir);
	if (sg_cfg_load_file(path, &cfg, &err) != 0)
		fail_msg("%s", err_text(&err));
	x = &cfg->appliance.exception;
	assert_true(x->enabled);
	assert_string_equal(x->ifname_prefix, "sgx");
	assert_true(x->routes);
	web = &cfg->pools[0].check;
	assert_int_equal(web->type, SG_CFG_CHECK_HTTP);
	assert_int_equal(web->port, 8081);
	assert_string_equal(sg_cfg_addr_format(&web->source, text, sizeof(text)), "198.18.1.1");
	assert_string_equal(web->path, "/healthz");
	assert_string_equal(web->host, "www.example.test");
	assert_string_equal(web->body_match, "ok");
	assert_int_equal(cfg->pools[0].members[2].check_port, 8082);
	assert_string_equal(
		sg_cfg_addr_format(&cfg->pools[0].members[2].check_source, text, sizeof(text)),
		"198.18.1.100");
	app = &cfg->pools[1].check;
	assert_int_equal(app->type, SG_CFG_CHECK_HTTPS);
	assert_string_equal(app->method, "HEAD");
	assert_int_equal(app->status_min, 200);
	assert_int_equal(app->status_max, 200);
	assert_string_equal(app->ca_file, "/etc/sessiongate/app-ca.pem");
	assert_int_equal(cfg->pools[1].passive.consecutive_failures, 0);
	assert_int_equal(cfg->pools[1].members[1].check_source.family, AF_INET6);
	assert_int_equal(cfg->pools[2].check.type, SG_CFG_CHECK_TCP);
	assert_int_equal(cfg->pools[2].check.timeout_ms, 999); /* clipped below 1000 */
	spare = &cfg->pools[4].check;
	assert_string_equal(cfg->pools[4].name, "app-spare");
	assert_int_equal(spare->type, SG_CFG_CHECK_UDP);
	assert_string_equal(spare->send, "ping");
	assert_string_equal(spare->expect, "pong");
	assert_int_equal(cfg->pools[4].passive.max_ejected_pct, 25);
	assert_int_equal(cfg->vs[1].no_live_member, SG_CFG_NO_MEMBER_FALLBACK);
	assert_int_equal(cfg->vs[1].fallback_pool, 4);
	assert_int_equal(cfg->vs[2].no_live_member, SG_CFG_NO_MEMBER_RESET);
	check_round_trip(cfg);
	sg_cfg_free(cfg);
}

/* The timeout default stays below a short interval; the edges of each range load. */
static void
test_edges(void **state)
{
	struct sg_cfg *cfg = load_ok(
		"  exception: {enabled: true, ifname_prefix: a-b_9, rate_pps: 10000000, "
		"burst: 65535, queue: 65536, routes: false}\n"
		"pools:\n"
		"  - name: a\n"
		"    health_check: {type: tcp, interval_ms: 100, rise: 100, fall: 1, port: 65535}\n"
		"    passive: {consecutive_failures: 1000, ejection_s: 86400, max_ejected_pct: 0}\n"
		"    members: []\n"
		"  - name: b\n"
		"    health_check: {type: http, interval_ms: 3600000, timeout_ms: 10, "
		"status: 599, method: OPTIONS, path: \"/a?b=c&d\", body_match: \"a \\\"b\\\"\"}\n"
		"    members: []\n"
		"  - name: c\n"
		"    health_check: {type: https, status: \"100-100\", host: \"h.test:8443\"}\n"
		"    members: []\n");
	const struct sg_cfg_exception *x = &cfg->appliance.exception;

	(void)state;
	assert_string_equal(x->ifname_prefix, "a-b_9");
	assert_int_equal(x->rate_pps, 10000000);
	assert_int_equal(x->queue, 65536);
	assert_false(x->routes);
	assert_int_equal(cfg->pools[0].check.timeout_ms, 99);
	assert_int_equal(cfg->pools[0].check.rise, 100);
	assert_int_equal(cfg->pools[0].passive.max_ejected_pct, 0);
	assert_int_equal(cfg->pools[1].check.timeout_ms, 10);
	assert_int_equal(cfg->pools[1].check.status_min, 599);
	assert_int_equal(cfg->pools[1].check.status_max, 599);
	assert_string_equal(cfg->pools[1].check.path, "/a?b=c&d");
	assert_string_equal(cfg->pools[1].check.body_match, "a \"b\"");
	assert_int_equal(cfg->pools[2].check.status_min, 100);
	assert_string_equal(cfg->pools[2].check.host, "h.test:8443");
	sg_cfg_free(cfg);
}

/*
 * Members of both families under one check: the pool source only where it
 * fits, a member's own source otherwise. A brokered VS takes a pool of
 * both families (sg-control picks per session); a nat or dsr one falls
 * back only on a pool of the VIP's family (corpus).
 */
static void
test_families_and_fallback(void **state)
{
	struct sg_cfg *cfg = load_ok(
		"pools:\n"
		"  - name: web\n"
		"    health_check: {type: tcp, source: 198.18.0.1}\n"
		"    members:\n"
		"      - {name: a, address: 198.18.0.11, check_port: 1}\n"
		"      - {name: b, address: \"2001:2::12\", check_source: \"2001:2::1\"}\n"
		"  - name: six\n"
		"    members: [{name: c, address: \"2001:2::21\", port: 8080}]\n"
		"virtual_services:\n"
		"  - {name: v, vip: 198.18.10.1, port: 80, mode: brokered, pool: web,\n"
		"     no_live_member: fallback, fallback_pool: six}\n"
		"  - {name: u, vip: \"2001:2:0:10::1\", port: 53, protocol: udp, mode: nat,\n"
		"     pool: six, no_live_member: reset}\n");

	(void)state;
	assert_int_equal(cfg->pools[0].members[0].check_port, 1);
	assert_int_equal(cfg->pools[0].members[1].check_source.family, AF_INET6);
	assert_int_equal(cfg->vs[0].fallback_pool, 1);
	assert_int_equal(cfg->vs[1].no_live_member, SG_CFG_NO_MEMBER_RESET);
	assert_int_equal(cfg->vs[1].fallback_pool, 0);
	sg_cfg_free(cfg);
}

/* Errors beyond the corpus: hostile text, types, and the fallback's own rules. */
static void
test_errors(void **state)
{
	(void)state;
	load_bad("pools:\n  - {name: a, health_check: [tcp], members: []}\n",
		 "h.yaml:6:29: pools[0].health_check: expected a map of keys, found a sequence");
	load_bad("pools:\n  - {name: a, health_check: {type: none}, members: []}\n",
		 "h.yaml:6:36: pools[0].health_check.type: \"none\" is not one of tcp | http | "
		 "https | udp");
	load_bad("pools:\n  - {name: a, health_check: {type: https, send: x}, members: []}\n",
		 "h.yaml:6:49: pools[0].health_check.send: send is for udp checks (this one is "
		 "https)");
	load_bad("pools:\n  - {name: a, health_check: {type: udp, status: 200}, members: []}\n",
		 "h.yaml:6:49: pools[0].health_check.status: status is for http/https checks (this "
		 "one is udp)");
	load_bad("pools:\n  - {name: a, health_check: {type: udp, expect: \"\\x80\"}, "
		 "members: []}\n",
		 "h.yaml:6:49: pools[0].health_check.expect: must be printable ASCII (spaces "
		 "allowed) without control characters");
	load_bad("pools:\n  - {name: a, health_check: {type: http, path: \"/a\\0b\"}, "
		 "members: []}\n",
		 "h.yaml:6:48: pools[0].health_check.path: expected a string, found a NUL "
		 "character");
	load_bad("pools:\n  - {name: a, health_check: {type: http, status: 20}, members: []}\n",
		 "h.yaml:6:50: pools[0].health_check.status: expected a status like 200 or a range "
		 "like 200-399, found \"20\"");
	load_bad("pools:\n  - {name: a, health_check: {type: http, status: 200-3999}, "
		 "members: []}\n",
		 "h.yaml:6:50: pools[0].health_check.status: expected a status like 200 or a range "
		 "like 200-399, found \"200-3999\"");
	load_bad("pools:\n  - {name: a, health_check: {type: tcp, timeout_ms: 9}, members: []}\n",
		 "h.yaml:6:53: pools[0].health_check.timeout_ms: 9 is out of range 10..3600000");
	load_bad("  exception: {queue: 32}\n",
		 "h.yaml:5:22: appliance.exception.queue: 32 is out of range 64..65536");
	load_bad("  exception: {ifname_prefix: \"\"}\n",
		 "h.yaml:5:30: appliance.exception.ifname_prefix: an interface name prefix is 1 to "
		 "8 of [a-z0-9_-] (the port index follows it), not \"\"");
	load_bad("pools:\n  - {name: a, members: [{name: m, address: 198.18.0.9}]}\n"
		 "virtual_services:\n  - {name: v, vip: 198.18.10.1, port: 80, mode: nat, pool: a, "
		 "fallback_pool: a}\n",
		 "h.yaml:8:78: virtual_services[0].fallback_pool: only used with no_live_member: "
		 "fallback (this one is drop)");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_null_maps_and_type_defaults),
		cmocka_unit_test(test_all_keys_values),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_families_and_fallback),
		cmocka_unit_test(test_errors),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s EXAMPLES_DIR\n", argv[0]);
		return 2;
	}
	examples_dir = argv[1];
	return cmocka_run_group_tests_name("config_health", tests, NULL, NULL);
}
