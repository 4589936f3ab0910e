/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the sg-hostagent configuration schema (hostagent/ha_config.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ha_config.h"

static char keyfile[] = "/tmp/sgha-unit-key-XXXXXX";
static char shortkey[] = "/tmp/sgha-unit-short-XXXXXX";
static struct sg_ha_config cfg;

static int
setup(void **state)
{
	int fd = mkstemp(keyfile), fd2 = mkstemp(shortkey);

	(void)state;
	if (fd < 0 || fd2 < 0)
		return -1;
	if (write(fd, "0123456789abcdef-key\n", 21) != 21 || write(fd2, "short\n", 6) != 6)
		return -1;
	close(fd);
	close(fd2);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(keyfile);
	unlink(shortkey);
	return 0;
}

/* @KEY@ / @SHORT@ in @p yaml become the good / short key file paths. */
static int
parse(const char *yaml, struct sg_cfg_error *err)
{
	char buf[4096];
	size_t n = 0;

	for (const char *p = yaml; *p && n < sizeof(buf) - 64;) {
		const char *sub = NULL;

		if (strncmp(p, "@KEY@", 5) == 0)
			sub = keyfile, p += 5;
		else if (strncmp(p, "@SHORT@", 7) == 0)
			sub = shortkey, p += 7;
		if (sub) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", sub);
		} else {
			buf[n++] = *p++;
		}
	}
	buf[n] = '\0';
	memset(err, 0, sizeof(*err));
	return sg_ha_config_parse(buf, n, "agent.yaml", &cfg, err);
}

#define BASE                              \
	"host: host-a\n"                  \
	"libvirt:\n"                      \
	"  uri: \"test:///x/node.xml\"\n" \
	"control:\n"                      \
	"  address: 198.18.0.1\n"         \
	"  key_file: \"@KEY@\"\n"

static void
test_full(void **state)
{
	struct sg_cfg_error err;

	(void)state;
	assert_int_equal(parse("host: host-a\n"
			       "admin_socket: /run/sg/agent.sock\n"
			       "test_hooks: true\n"
			       "libvirt:\n"
			       "  uri: \"qemu:///system\"\n"
			       "  resync_ms: 5000\n"
			       "  boot_delay_ms: 100\n"
			       "control:\n"
			       "  address: \"2001:2::1\"\n"
			       "  port: 7500\n"
			       "  key_file: \"@KEY@\"\n"
			       "  queue_max: 16\n"
			       "datapath:\n"
			       "  uplink: lo\n"
			       "  host_address: 198.18.1.2\n"
			       "  gue_port: 7000\n"
			       "vms:\n"
			       "  - name: vm-web\n"
			       "    uuid: 5a7e0001-0000-4000-8000-000000000001\n"
			       "    address: 198.18.2.10\n"
			       "    port: 8080\n"
			       "    probe: true\n"
			       "    vip: 198.18.100.1\n"
			       "    vip_port: 80\n"
			       "  - name: vm-dns\n"
			       "    address: 198.18.2.11\n"
			       "    port: 53\n"
			       "    protocol: udp\n"
			       "    template: /etc/sg/t.xml\n"
			       "    disk: /var/lib/d.qcow2\n",
			       &err),
			 0);
	assert_string_equal(cfg.host, "host-a");
	assert_string_equal(cfg.uri, "qemu:///system");
	assert_int_equal(cfg.resync_ms, 5000);
	assert_int_equal(cfg.boot_delay_ms, 100);
	assert_int_equal(cfg.reconnect_min_ms, 200); /* default */
	assert_int_equal(cfg.control_addr.family, AF_INET6);
	assert_int_equal(cfg.control_port, 7500);
	assert_int_equal(cfg.keylen, 20);
	assert_memory_equal(cfg.key, "0123456789abcdef-key", 20);
	assert_int_equal(cfg.queue_max, 16);
	assert_true(cfg.test_hooks);
	assert_true(cfg.dp_enabled);
	assert_string_equal(cfg.uplink, "lo");
	assert_int_equal(cfg.gue_port, 7000);
	assert_string_equal(cfg.pin_dir, "/sys/fs/bpf/sessiongate/host-a");
	assert_int_equal(cfg.n_vms, 2);
	assert_string_equal(cfg.vms[0].name, "vm-web");
	assert_true(cfg.vms[0].has_uuid);
	assert_int_equal(cfg.vms[0].uuid[0], 0x5a);
	assert_int_equal(cfg.vms[0].uuid[15], 0x01);
	assert_int_equal(cfg.vms[0].port, 8080);
	assert_int_equal(cfg.vms[0].vip_port, 80);
	assert_int_equal(cfg.vms[0].proto, 6);
	assert_true(cfg.vms[0].probe);
	assert_int_equal(cfg.vms[1].proto, 17);
	assert_int_equal(cfg.vms[1].vip_port, 53);
	assert_string_equal(cfg.vms[1].template_path, "/etc/sg/t.xml");
}

static void
test_defaults(void **state)
{
	struct sg_cfg_error err;

	(void)state;
	assert_int_equal(parse(BASE, &err), 0);
	assert_int_equal(cfg.control_port, 7400);
	assert_int_equal(cfg.resync_ms, 10000);
	assert_int_equal(cfg.queue_max, 256);
	assert_false(cfg.dp_enabled);
	assert_false(cfg.test_hooks);
	assert_int_equal(cfg.n_vms, 0);
	assert_int_equal(cfg.app_check_interval_ms, 2000);
	assert_int_equal(cfg.app_check_timeout_ms, 1000);
	assert_int_equal(cfg.app_check_fall, 3);
	assert_int_equal(cfg.app_check_rise, 2);
	assert_int_equal(parse(BASE "app_check:\n  interval_ms: 0\n", &err), 0);
	assert_int_equal(cfg.app_check_interval_ms, 0); /* off */
	assert_int_equal(parse(BASE "app_check:\n  interval_ms: 20\n  fall: 1\n", &err), 0);
	assert_int_equal(cfg.app_check_interval_ms, 100); /* the agent's tick at least */
	assert_int_equal(cfg.app_check_fall, 1);
}

static void
expect_error(const char *yaml, const char *key_part, const char *msg_part)
{
	struct sg_cfg_error err;
	char line[600];

	assert_true(parse(yaml, &err) < 0);
	sg_cfg_error_format(&err, line, sizeof(line));
	if ((key_part && !strstr(line, key_part)) || (msg_part && !strstr(line, msg_part)))
		fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", line, key_part ? key_part : "",
			 msg_part ? msg_part : "");
	assert_string_equal(err.file, "agent.yaml");
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("libvirt:\n  uri: x\n", "host", "missing");
	expect_error(BASE "bogus: 1\n", "bogus", NULL);
	expect_error("host: h\ncontrol:\n  address: 198.18.0.1\n  key_file: \"@KEY@\"\n", "libvirt",
		     "missing");
	expect_error("host: h\nlibvirt:\n  uri: x\ncontrol:\n  key_file: \"@KEY@\"\n",
		     "control.address", "missing");
	expect_error("host: h\nlibvirt:\n  uri: x\ncontrol:\n  address: 198.18.0.1\n"
		     "  key_file: \"@SHORT@\"\n",
		     "control.key_file", "key must be");
	expect_error("host: h\nlibvirt:\n  uri: x\ncontrol:\n  address: 198.18.0.1\n"
		     "  key_file: /nonexistent/key\n",
		     "control.key_file", "cannot open");
	expect_error(BASE "  port: 70000\n", "control.port", NULL);
	expect_error(BASE "vms:\n  - name: a\n    uuid: not-a-uuid\n", "vms[0]", "not a UUID");
	expect_error(BASE "vms:\n  - name: a\n    address: 198.18.2.1\n    vip: \"2001:2::1\"\n",
		     "vms[0]", "same family");
	expect_error(BASE "vms:\n  - name: a\n  - name: a\n", "vms[1]", "twice");
	expect_error(BASE "vms:\n  - name: a\n    device: sgha-no-such-dev\n", "vms[0]",
		     "no interface");
	expect_error(BASE "vms:\n  - name: a\n    protocol: sctp\n", "protocol", NULL);
	expect_error(BASE "vms:\n  - port: 80\n", "vms[0]", "name");
	expect_error(BASE "datapath:\n  uplink: lo\n  host_address: \"2001:2::1\"\n",
		     "datapath.host_address", "IPv4");
	expect_error(BASE "datapath:\n  enabled: true\n", "datapath.uplink", "missing");
	expect_error(BASE "app_check:\n  fall: 0\n", "app_check.fall", NULL);
	expect_error(BASE "app_check:\n  timeout_ms: 999999\n", "app_check.timeout_ms", NULL);
	expect_error(BASE "app_check:\n  every: 1\n", "every", NULL);
}

/* control: a list, one link per sg-control of a cluster (the first also as the legacy fields). */
static void
test_controls(void **state)
{
	static const char *const head = "host: h\nlibvirt:\n  uri: x\ncontrol:\n";
	struct sg_cfg_error err;
	char y[1024];

	(void)state;
	snprintf(
		y, sizeof(y),
		"%s  - { address: 198.18.0.1, port: 7401, key_file: \"@KEY@\" }\n"
		"  - { address: 198.18.0.2, key_file: \"@KEY@\", ping_ms: 1000, timeout_ms: 3000 }\n",
		head);
	assert_int_equal(parse(y, &err), 0);
	assert_int_equal(cfg.n_controls, 2);
	assert_int_equal(cfg.controls[0].port, 7401);
	assert_int_equal(cfg.controls[1].port, 7400);
	assert_int_equal(cfg.controls[1].ping_ms, 1000);
	assert_int_equal(cfg.controls[1].peer_timeout_ms, 3000);
	assert_int_equal(cfg.controls[1].keylen, 20);
	assert_int_equal(cfg.control_port, 7401);
	assert_int_equal(cfg.keylen, 20);
	assert_int_equal(parse(BASE, &err), 0);
	assert_int_equal(cfg.n_controls, 1);
	snprintf(y, sizeof(y),
		 "%s  - { address: 198.18.0.1, key_file: \"@KEY@\" }\n  - { port: 1 }\n", head);
	expect_error(y, "control[1].address", "missing");
	snprintf(y, sizeof(y),
		 "%s  - { address: 198.18.0.1, key_file: \"@KEY@\" }\n"
		 "  - { address: 198.18.0.2, key_file: \"@SHORT@\" }\n",
		 head);
	expect_error(y, "control[1].key_file", "key must be");
	snprintf(y, sizeof(y), "%s  - { address: 198.18.0.1, key_file: \"@KEY@\", bogus: 1 }\n",
		 head);
	expect_error(y, "bogus", NULL);
	snprintf(y, sizeof(y), "%s  - 198.18.0.1\n", head);
	expect_error(y, "control[0]", NULL);
	snprintf(y, sizeof(y), "%s  []\n", head);
	expect_error(y, "control", "at least one");
	snprintf(y, sizeof(y), "%s", head);
	for (int i = 0; i < 5; i++)
		snprintf(y + strlen(y), sizeof(y) - strlen(y),
			 "  - { address: 198.18.0.%d, key_file: \"@KEY@\" }\n", i + 1);
	expect_error(y, "control", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_controls),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
