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

static void
app(struct sg_ctl_app_cfg *a, uint16_t port, uint8_t match, const char *value)
{
	snprintf(a->name, SG_CTL_NAME_MAX, "app%u", port);
	a->family = 4;
	a->proto = 6;
	a->port = port;
	inet_pton(AF_INET, VIP, a->vip);
	a->match = match;
	snprintf(a->value, sizeof(a->value), "%s", value);
	a->value_len = (uint16_t)strlen(a->value);
	a->mode = SG_MSG_INSTALL_NAT;
}

static void
test_host_port(void **state)
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
	unsigned int i;

	(void)state;
	cfg.n_apps = 5;
	inv.cfg = &cfg;
	app(&cfg.apps[0], 80, SG_CTL_MATCH_HTTP_HOST, "app.example");
	app(&cfg.apps[1], 81, SG_CTL_MATCH_HTTP_HOST, "*.desk.example");
	app(&cfg.apps[2], 82, SG_CTL_MATCH_HTTP_HOST, "pinned.example:8080");
	app(&cfg.apps[3], 83, SG_CTL_MATCH_HTTP_HOST, "[2001:db8::1]");
	app(&cfg.apps[4], 84, SG_CTL_MATCH_TLS_SNI, "app.example");
	for (i = 0; i < cfg.n_apps; i++)
		inv.apps[i].cfg = &cfg.apps[i];
	inet_pton(AF_INET, VIP, fl.daddr);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const uint8_t *k = (const uint8_t *)cases[i].key;
		uint16_t kl = (uint16_t)strlen(cases[i].key);
		struct sg_ctl_app *a;

		fl.dport = cases[i].port;
		a = sg_ctl_broker_match(&br, &fl, cases[i].kt, k, kl);
		if (cases[i].app < 0) {
			if (a != NULL)
				fail_msg("%s on %u: matched %s", cases[i].key, cases[i].port,
					 a->cfg->name);
			continue;
		}
		if (a != &inv.apps[cases[i].app])
			fail_msg("%s on %u: no match", cases[i].key, cases[i].port);
		if (cases[i].user == NULL)
			continue;
		assert_int_equal(sg_ctl_broker_user(a->cfg, cases[i].kt, k, kl, u, sizeof(u)), 0);
		assert_string_equal(u, cases[i].user);
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
