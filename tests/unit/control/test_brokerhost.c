/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http_host rules against the keys real clients send (issue 16, l7-keys):
 * the data plane keeps the Host header's port, and a client of a service on
 * another port than 80 sends it ("app.example:8080", "[2001:db8::1]:8080").
 * A rule without a port matches the key without it; a rule written with
 * the port still matches the whole key; the user of a "*." rule is the
 * label the star matched, without the port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "broker.h"

#define VIP "198.18.10.1"

static struct sg_ctl_cfg cfg;
static struct sg_ctl_inv inv;

static void
app(uint16_t port, uint8_t match, const char *value)
{
	struct sg_ctl_app_cfg *a = &cfg.apps[cfg.n_apps];

	*a = (struct sg_ctl_app_cfg){.family = 4,
				     .proto = 6,
				     .port = port,
				     .match = match,
				     .mode = SG_MSG_INSTALL_NAT,
				     .value_len = (uint16_t)strlen(value)};
	snprintf(a->name, sizeof(a->name), "app%u", port);
	snprintf(a->value, sizeof(a->value), "%s", value);
	inet_pton(AF_INET, VIP, a->vip);
	inv.apps[cfg.n_apps].cfg = a;
	cfg.n_apps++;
}

/* The index of the application a session to VIP:port with this key reaches, or -1. */
static int
match(uint16_t port, uint8_t kt, const char *key)
{
	struct sg_ctl_broker br = {.cfg = &cfg, .inv = &inv};
	struct sg_msg_flow fl = {.family = 4, .proto = 6, .sport = 1000, .dport = port};
	struct sg_ctl_app *a;

	inet_pton(AF_INET, VIP, fl.daddr);
	a = sg_ctl_broker_match(&br, &fl, kt, (const uint8_t *)key, (uint16_t)strlen(key));
	return a == NULL ? -1 : (int)(a - inv.apps);
}

struct host_case {
	uint16_t port;
	uint8_t kt;
	const char *key;
	int app;	  /**< -1: none */
	const char *user; /**< NULL: not checked */
};

static const struct host_case cases[] = {
	{80, SG_MSG_L7_HTTP_HOST, "app.example", 0, NULL},
	{80, SG_MSG_L7_HTTP_HOST, "app.example:8080", 0, NULL},
	{80, SG_MSG_L7_HTTP_HOST, "app.example:", -1, NULL},	/* no port: as is */
	{80, SG_MSG_L7_HTTP_HOST, "app.example:80x", -1, NULL}, /* not a port */
	{80, SG_MSG_L7_HTTP_HOST, "app.example.:80", -1, NULL}, /* another name */
	{80, SG_MSG_L7_HTTP_HOST, "xapp.example:80", -1, NULL},
	{81, SG_MSG_L7_HTTP_HOST, "alice.desk.example", 1, "alice"},
	{81, SG_MSG_L7_HTTP_HOST, "alice.desk.example:8443", 1, "alice"},
	{81, SG_MSG_L7_HTTP_HOST, "desk.example:8443", -1, NULL},
	{82, SG_MSG_L7_HTTP_HOST, "pinned.example:8080", 2, NULL}, /* the rule's port */
	{82, SG_MSG_L7_HTTP_HOST, "pinned.example", -1, NULL},
	{82, SG_MSG_L7_HTTP_HOST, "pinned.example:8081", -1, NULL},
	{83, SG_MSG_L7_HTTP_HOST, "[2001:db8::1]:8080", 3, NULL},
	{83, SG_MSG_L7_HTTP_HOST, "[2001:db8::1]", 3, NULL},
	{83, SG_MSG_L7_HTTP_HOST, "[2001:db8::11", -1, NULL}, /* no "]": no port taken */
	{84, SG_MSG_L7_TLS_SNI, "app.example", 4, NULL},
	{84, SG_MSG_L7_HTTP_HOST, "app.example", -1, NULL}, /* type must match */
};

static void
test_host_port(void **state)
{
	char u[SG_CTL_NAME_MAX];
	unsigned int i;
	int got;

	(void)state;
	inv.cfg = &cfg;
	app(80, SG_CTL_MATCH_HTTP_HOST, "app.example");
	app(81, SG_CTL_MATCH_HTTP_HOST, "*.desk.example");
	app(82, SG_CTL_MATCH_HTTP_HOST, "pinned.example:8080");
	app(83, SG_CTL_MATCH_HTTP_HOST, "[2001:db8::1]");
	app(84, SG_CTL_MATCH_TLS_SNI, "app.example");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct host_case *c = &cases[i];

		got = match(c->port, c->kt, c->key);
		if (got != c->app)
			fail_msg("%s on %u: application %d, want %d", c->key, c->port, got, c->app);
		if (c->user == NULL)
			continue;
		assert_int_equal(sg_ctl_broker_user(&cfg.apps[got], c->kt, (const uint8_t *)c->key,
						    (uint16_t)strlen(c->key), u, sizeof(u)),
				 0);
		assert_string_equal(u, c->user);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
