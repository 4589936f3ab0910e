/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the VM and pool keys of real guests (cfg_vm.c through the
 * daemon's reader): vms[].template, port, protocol, probe and
 * pools[].idle_action, their defaults, and hostile values answered with
 * file:line:col: key: what.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"

static char dir[64];

/* Load a configuration whose pool p1 has the keys @p pool_keys and whose VMs
 * are @p vms (flow maps); @return sg_ctl_cfg_load()'s. */
static int
load(const char *pool_keys, const char *vms, struct sg_ctl_cfg *cfg, char *err, size_t errlen)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp,
		"control: {}\n"
		"hosts: [{name: h1, address: 198.18.3.11}]\n"
		"pools:\n"
		"  - {name: p1%s%s, vms: [%s]}\n"
		"applications:\n"
		"  - {name: web, vip: 198.18.10.1, port: 80, pool: p1}\n",
		pool_keys[0] ? ", " : "", pool_keys, vms);
	assert_int_equal(fclose(fp), 0);
	err[0] = '\0';
	return sg_ctl_cfg_load(path, cfg, err, errlen);
}

static void
test_vm_keys_good(void **state)
{
	static struct sg_ctl_cfg cfg;
	char err[512];

	(void)state;
	/* defaults: no template, port 80, tcp, no probe; pool idle_action stop */
	assert_int_equal(
		load("", "{name: vm1, host: h1, address: 198.18.4.10}", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_vms, 1);
	assert_string_equal(cfg.vms[0].template_name, "");
	assert_int_equal(cfg.vms[0].port, 80);
	assert_int_equal(cfg.vms[0].proto, 6);
	assert_false(cfg.vms[0].probe);
	assert_int_equal(cfg.pools[0].idle_action, SG_CTL_IDLE_STOP);
	assert_int_equal(cfg.pools[0].restart_backoff_ms, 2000);
	assert_int_equal(cfg.pools[0].restart_max, 3);
	/* the crash policy: backoff 0 (never), restart_max */
	assert_int_equal(load("restart_backoff_ms: 0, restart_max: 5",
			      "{name: vm1, host: h1, address: 198.18.4.10}", &cfg, err,
			      sizeof(err)),
			 0);
	assert_int_equal(cfg.pools[0].restart_backoff_ms, 0);
	assert_int_equal(cfg.pools[0].restart_max, 5);

	/* a template: probe defaults to true */
	assert_int_equal(load("idle_action: save",
			      "{name: vm1, host: h1, address: 198.18.4.10, template: guest-1.x},"
			      "{name: vm2, host: h1, address: 198.18.4.11, template: guest, port: "
			      "7, protocol: udp, probe: false}",
			      &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(cfg.n_vms, 2);
	assert_int_equal(cfg.pools[0].idle_action, SG_CTL_IDLE_SAVE);
	assert_string_equal(cfg.vms[0].template_name, "guest-1.x");
	assert_true(cfg.vms[0].probe);
	assert_int_equal(cfg.vms[0].port, 80);
	assert_string_equal(cfg.vms[1].template_name, "guest");
	assert_false(cfg.vms[1].probe);
	assert_int_equal(cfg.vms[1].port, 7);
	assert_int_equal(cfg.vms[1].proto, 17);
	assert_int_equal(load("idle_action: stop", "{name: vm1, host: h1, address: 198.18.4.10}",
			      &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(cfg.pools[0].idle_action, SG_CTL_IDLE_STOP);
}

struct bad_case {
	const char *pool_keys;
	const char *vm_tail; /**< after "name: vm1, host: h1, address: 198.18.4.10, " */
	const char *err;     /**< a part of the message */
};

static const struct bad_case bad[] = {
	{"", "template: 'a b'", "pools[0].vms[0].template: invalid character at position 2"},
	{"", "template: ''", "pools[0].vms[0].template: a name has 1 to 63 characters"},
	{"",
	 "template: "
	 "x234567890123456789012345678901234567890123456789012345678901234",
	 "pools[0].vms[0].template: a name has 1 to 63 characters, not 64"},
	{"", "template: [a]", "pools[0].vms[0].template"},
	{"", "template: g, port: 0", "pools[0].vms[0].port"},
	{"", "template: g, port: 65536", "pools[0].vms[0].port"},
	{"", "template: g, port: http", "pools[0].vms[0].port"},
	{"", "template: g, protocol: sctp", "pools[0].vms[0].protocol"},
	{"", "template: g, probe: maybe", "pools[0].vms[0].probe"},
	{"", "probe: true", "pools[0].vms[0].probe: probe needs a template"},
	{"", "templates: g", "templates"},
	{"idle_action: hibernate", "template: g", "pools[0].idle_action"},
	{"idle_action: [save]", "template: g", "pools[0].idle_action"},
	{"restart_backoff_ms: 3600001", "template: g", "pools[0].restart_backoff_ms"},
	{"restart_backoff_ms: -1", "template: g", "pools[0].restart_backoff_ms"},
	{"restart_max: 0", "template: g", "pools[0].restart_max"},
	{"restart_max: many", "template: g", "pools[0].restart_max"},
};

static void
test_vm_keys_bad(void **state)
{
	static struct sg_ctl_cfg cfg;
	char err[512], vm[256];
	unsigned int i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(vm, sizeof(vm), "{name: vm1, host: h1, address: 198.18.4.10, %s}",
			 bad[i].vm_tail);
		rc = load(bad[i].pool_keys, vm, &cfg, err, sizeof(err));
		if (rc != -EINVAL || strstr(err, bad[i].err) == NULL ||
		    strstr(err, "c.yaml:") == NULL)
			fail_msg("case %u (%s / %s): rc %d, '%s' (want -EINVAL, '%s')", i,
				 bad[i].pool_keys, bad[i].vm_tail, rc, err, bad[i].err);
	}
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sgctl-vmcfg-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	unlink(path);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_keys_good),
		cmocka_unit_test(test_vm_keys_bad),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
