/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg_ctl_cfg_check's address families (issue 16, IPv6 brokered sessions):
 * a nat or dsr application's VMs are of its VIP's family, a dsr one's hosts
 * of their VMs' family (the hand-off tunnel); redirect is free. Each case
 * is a hand-built configuration: one host, one pool, one VM, one app.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "sessiongate/sg_wire.h"

struct fam_case {
	const char *desc;
	uint8_t vip, vm, host, mode;
	const char *err; /**< NULL: accepted; else a part of the message */
};

static const struct fam_case cases[] = {
	{"nat v4/v4", 4, 4, 4, SG_MSG_INSTALL_NAT, NULL},
	{"nat v6/v6 on a v4 host", 6, 6, 4, SG_MSG_INSTALL_NAT, NULL},
	{"dsr v6/v6 on a v6 host", 6, 6, 6, SG_MSG_INSTALL_DSR, NULL},
	{"dsr v4/v4 on a v4 host", 4, 4, 4, SG_MSG_INSTALL_DSR, NULL},
	{"redirect v6 VIP, v4 VM", 6, 4, 4, SG_MSG_INSTALL_REDIRECT, NULL},
	{"nat v6 VIP, v4 VM", 6, 4, 4, SG_MSG_INSTALL_NAT,
	 "VM vm1 of its pool is IPv4, the VIP IPv6"},
	{"dsr v4 VIP, v6 VM", 4, 6, 6, SG_MSG_INSTALL_DSR, "is IPv6, the VIP IPv4"},
	{"dsr v6 VM on a v4 host", 6, 6, 4, SG_MSG_INSTALL_DSR,
	 "VM vm1 is IPv6 but its host h1's address is IPv4"},
	{"dsr v4 VM on a v6 host", 4, 4, 6, SG_MSG_INSTALL_DSR,
	 "VM vm1 is IPv4 but its host h1's address is IPv6"},
};

static void
test_families(void **state)
{
	static struct sg_ctl_cfg cfg; /* large: not on the stack */
	char err[512];
	unsigned int i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fam_case *c = &cases[i];

		memset(&cfg, 0, sizeof(cfg));
		sg_ctl_cfg_defaults(&cfg);
		cfg.n_hosts = cfg.n_pools = cfg.n_vms = cfg.n_apps = 1;
		snprintf(cfg.hosts[0].name, sizeof(cfg.hosts[0].name), "h1");
		cfg.hosts[0].family = c->host;
		snprintf(cfg.pools[0].name, sizeof(cfg.pools[0].name), "p1");
		snprintf(cfg.vms[0].name, sizeof(cfg.vms[0].name), "vm1");
		cfg.vms[0].family = c->vm;
		snprintf(cfg.apps[0].name, sizeof(cfg.apps[0].name), "app");
		cfg.apps[0].family = c->vip;
		cfg.apps[0].proto = 6;
		cfg.apps[0].port = 80;
		cfg.apps[0].mode = c->mode;
		err[0] = '\0';
		rc = sg_ctl_cfg_check(&cfg, err, sizeof(err));
		if (c->err == NULL && rc != 0)
			fail_msg("%s: refused: %s", c->desc, err);
		if (c->err != NULL && (rc != -EINVAL || strstr(err, c->err) == NULL))
			fail_msg("%s: rc %d, '%s' (want -EINVAL, '%s')", c->desc, rc, err, c->err);
	}
	/* the VM of another pool is not the application's business */
	cfg.n_pools = 2;
	cfg.vms[0].pool = 1;
	assert_int_equal(sg_ctl_cfg_check(&cfg, err, sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
