/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every validation rule of appliance.idle and appliance.cluster (node,
 * sync, bgp): a generated configuration breaking it is rejected with the
 * exact line, column, key and message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg_cluster.h"
#include "cfg_load.h"
#include "sg_cfg.h"

/* Every rule: the exact line, column, key and message (body line N = file line 5 + N). */
static void
test_errors(void **state)
{
	static const struct {
		const char *body;
		const char *want;
	} bad[] = {
		{"  idle: {after_polls: 0}\n",
		 "h.yaml:6:23: appliance.idle.after_polls: 0 is out of range 1..1000000"},
		{"  idle: {max_us: 100001}\n",
		 "h.yaml:6:18: appliance.idle.max_us: 100001 is out of range 1..100000"},
		{"  idle: {min_us: 0}\n",
		 "h.yaml:6:18: appliance.idle.min_us: 0 is out of range 1..100000"},
		{"  idle: {enabled: true, min_us: 600}\n",
		 "h.yaml:6:33: appliance.idle.min_us: 600 is over max_us (500): the first sleep cannot be longer than the longest"},
		{"  idle: {max_us: 4}\n",
		 "h.yaml:6:18: appliance.idle.min_us: 5 is over max_us (4): the first sleep cannot be longer than the longest"},
		{"  idle: {sleep_us: 4}\n",
		 "h.yaml:6:10: appliance.idle.sleep_us: unknown key (known keys: enabled, after_polls, min_us, max_us)"},
		{"  cluster: {node_id: 16}\n",
		 "h.yaml:6:22: appliance.cluster.node_id: 16 is out of range 0..15"},
		{"  cluster: {sync: {enabled: true}}\n",
		 "h.yaml:6:19: appliance.cluster.sync.listen: required key is missing"},
		{"  cluster: {node_id: 0, bgp: {enabled: true}}\n",
		 "h.yaml:6:30: appliance.cluster.bgp.asn: required key is missing"},
		{"  cluster: {node_id: 1, name: \"a b\"}\n",
		 "h.yaml:6:31: appliance.cluster.name: invalid character at position 2 of name \"a b\" (use A-Z a-z 0-9 _ . -)"},
		{"  cluster:\n"
		 "    node_id: 1\n"
		 "    sync: {enabled: true, key_file: /k}\n",
		 "h.yaml:8:11: appliance.cluster.sync.listen: required key is missing"},
		{"  cluster:\n"
		 "    sync: {listen: 198.18.3.1/24}\n",
		 "h.yaml:7:20: appliance.cluster.sync.listen: \"198.18.3.1/24\" is not an IP address: a prefix length is not allowed here"},
		{"  cluster:\n"
		 "    node_id: 1\n"
		 "    sync: {enabled: true, listen: 198.18.3.1}\n",
		 "h.yaml:8:11: appliance.cluster.sync.key_file: required key is missing"},
		{"  cluster:\n"
		 "    sync: {key_file: etc/sync.key}\n",
		 "h.yaml:7:22: appliance.cluster.sync.key_file: must be an absolute path, not \"etc/sync.key\""},
		{SYNC,
		 "h.yaml:9:7: appliance.cluster.sync.peers: an enabled sync channel needs at least one peer"},
		{SYNC "      peers: []\n",
		 "h.yaml:12:14: appliance.cluster.sync.peers: an enabled sync channel needs at least one peer"},
		{SYNC
		 "      peers: [{name: b, address: 198.18.3.2}, {name: b, address: 198.18.3.3}]\n",
		 "h.yaml:12:54: appliance.cluster.sync.peers[1].name: duplicate peer name \"b\" (also appliance.cluster.sync.peers[0])"},
		{SYNC
		 "      peers: [{name: b, address: 198.18.3.2}, {name: c, address: 198.18.3.2}]\n",
		 "h.yaml:12:66: appliance.cluster.sync.peers[1].address: duplicate address 198.18.3.2 (also appliance.cluster.sync.peers[0])"},
		{SYNC "      peers: [{name: b, address: \"2001:2:3::2\"}]\n",
		 "h.yaml:12:34: appliance.cluster.sync.peers[0].address: an IPv6 peer of an IPv4 listen address"},
		{SYNC "      peers: [{name: b, address: 198.18.3.1}]\n",
		 "h.yaml:12:34: appliance.cluster.sync.peers[0].address: 198.18.3.1 is this appliance's own listen address, not a peer"},
		{SYNC "      peers: [{name: b}]\n",
		 "h.yaml:12:15: appliance.cluster.sync.peers[0].address: required key is missing"},
		{SYNC "      peers: [{address: 198.18.3.2}]\n",
		 "h.yaml:12:15: appliance.cluster.sync.peers[0].name: required key is missing"},
		{SYNC "      peers: [{name: b, address: 198.18.3.2, port: 65536}]\n",
		 "h.yaml:12:52: appliance.cluster.sync.peers[0].port: 65536 is out of range 1..65535"},
		{SYNC "      peers: [{name: b, address: 198.18.3.2, key: x}]\n",
		 "h.yaml:12:46: appliance.cluster.sync.peers[0].key: unknown key (known keys: name, address, port)"},
		{SYNC_P "      port: 0\n",
		 "h.yaml:13:13: appliance.cluster.sync.port: 0 is out of range 1..65535"},
		{SYNC_P "      rate: 0\n",
		 "h.yaml:13:13: appliance.cluster.sync.rate: 0 is out of range 1..4294967295"},
		{SYNC_P "      queue: 1000\n",
		 "h.yaml:13:14: appliance.cluster.sync.queue: 1000 is not a power of two"},
		{SYNC_P "      queue: 128\n",
		 "h.yaml:13:14: appliance.cluster.sync.queue: 128 is out of range 256..1048576"},
		{SYNC_P "      queue: 2097152\n",
		 "h.yaml:13:14: appliance.cluster.sync.queue: 2097152 is out of range 256..1048576"},
		{SYNC_P "      refresh_s: 0\n",
		 "h.yaml:13:18: appliance.cluster.sync.refresh_s: 0 is out of range 1..3600"},
		{SYNC_P "      refresh_s: 3601\n",
		 "h.yaml:13:18: appliance.cluster.sync.refresh_s: 3601 is out of range 1..3600"},
		{SYNC_P "      dump_wait_ms: 60001\n",
		 "h.yaml:13:21: appliance.cluster.sync.dump_wait_ms: 60001 is out of range 0..60000"},
		{SYNC_P "      dsr: maybe\n",
		 "h.yaml:13:12: appliance.cluster.sync.dsr: expected true or false, found \"maybe\""},
		{"  cluster:\n"
		 "    node_id: 1\n"
		 "    bgp: {enabled: true, peers: [{name: r, address: 198.18.0.254, asn: 65000}]}\n",
		 "h.yaml:8:10: appliance.cluster.bgp.asn: required key is missing"},
		{BGP,
		 "h.yaml:9:7: appliance.cluster.bgp.peers: enabled BGP needs at least one peer"},
		{"  cluster:\n"
		 "    bgp: {asn: 0}\n",
		 "h.yaml:7:16: appliance.cluster.bgp.asn: 0 is out of range 1..4294967295"},
		{"  cluster:\n"
		 "    bgp: {asn: 4294967296}\n",
		 "h.yaml:7:16: appliance.cluster.bgp.asn: 4294967296 is out of range 1..4294967295"},
		{"  cluster:\n"
		 "    bgp: {router_id: \"2001:2::1\"}\n",
		 "h.yaml:7:22: appliance.cluster.bgp.router_id: a BGP router ID is an IPv4 address, not 2001:2::1"},
		{"  cluster:\n"
		 "    bgp: {router_id: 0.0.0.0}\n",
		 "h.yaml:7:22: appliance.cluster.bgp.router_id: 0.0.0.0 is the unspecified address; a unicast host address is needed"},
		{BGP "      peers: [{name: r, asn: 65000}]\n",
		 "h.yaml:11:15: appliance.cluster.bgp.peers[0].address: required key is missing"},
		{BGP "      peers: [{name: r, address: 198.18.0.254}]\n",
		 "h.yaml:11:15: appliance.cluster.bgp.peers[0].asn: required key is missing"},
		{BGP "      peers: [{name: r, address: 198.18.0.254, asn: 0}]\n",
		 "h.yaml:11:53: appliance.cluster.bgp.peers[0].asn: 0 is out of range 1..4294967295"},
		{BGP
		 "      peers: [{name: r, address: 198.18.0.254, asn: 1}, {name: r, address: 198.18.0.253, asn: 1}]\n",
		 "h.yaml:11:64: appliance.cluster.bgp.peers[1].name: duplicate peer name \"r\" (also appliance.cluster.bgp.peers[0])"},
		{BGP
		 "      peers: [{name: r, address: 198.18.0.254, asn: 1}, {name: s, address: 198.18.0.254, asn: 1}]\n",
		 "h.yaml:11:76: appliance.cluster.bgp.peers[1].address: duplicate address 198.18.0.254 (also appliance.cluster.bgp.peers[0])"},
		{BGP "      peers: [{name: r, address: 198.18.0.254, asn: 1, bfd: 1}]\n",
		 "h.yaml:11:61: appliance.cluster.bgp.peers[0].bfd: expected true or false, found \"1\""},
		{BGP_P "      local_pref_owned: 100\n",
		 "h.yaml:12:25: appliance.cluster.bgp.local_pref_owned: 100 must be over local_pref_backup (100)"},
		{BGP_P "      local_pref_backup: 300\n",
		 "h.yaml:12:26: appliance.cluster.bgp.local_pref_owned: 200 must be over local_pref_backup (300)"},
		{BGP_P "      local_pref_owned: 4294967296\n",
		 "h.yaml:12:25: appliance.cluster.bgp.local_pref_owned: 4294967296 is out of range 0..4294967295"},
		{BGP_P "      backup: [198.18.0.100]\n",
		 "h.yaml:12:16: appliance.cluster.bgp.backup[0]: 198.18.0.100 is this appliance's own address (nat.addresses[0]); backup lists the peers' NAT addresses"},
		{BGP_P "      backup: [198.18.0.110, \"2001:2::100\"]\n",
		 "h.yaml:12:30: appliance.cluster.bgp.backup[1]: 2001:2::100 is this appliance's own address (nat.addresses[1]); backup lists the peers' NAT addresses"},
		{BGP_P "      backup: [198.18.10.1]\n",
		 "h.yaml:12:16: appliance.cluster.bgp.backup[0]: 198.18.10.1 is this appliance's own address (virtual_services[0]); backup lists the peers' NAT addresses"},
		{BGP_P "      backup: [198.18.0.110, 198.18.0.110]\n",
		 "h.yaml:12:30: appliance.cluster.bgp.backup[1]: duplicate address 198.18.0.110 (also appliance.cluster.bgp.backup[0])"},
		{BGP_P "      backup: [198.18.0.0/24]\n",
		 "h.yaml:12:16: appliance.cluster.bgp.backup[0]: \"198.18.0.0/24\" is not an IP address: a prefix length is not allowed here"},
		{BGP_P "      hold_s: 2\n",
		 "h.yaml:12:15: appliance.cluster.bgp.hold_s: 2 is out of range 3..65535"},
		{BGP_P "      hold_s: 65536\n",
		 "h.yaml:12:15: appliance.cluster.bgp.hold_s: 65536 is out of range 3..65535"},
		{BGP_P "      bfd_interval_ms: 9\n",
		 "h.yaml:12:24: appliance.cluster.bgp.bfd_interval_ms: 9 is out of range 10..10000"},
		{BGP_P "      bfd_interval_ms: 10001\n",
		 "h.yaml:12:24: appliance.cluster.bgp.bfd_interval_ms: 10001 is out of range 10..10000"},
		{BGP_P "      bfd_multiplier: 0\n",
		 "h.yaml:12:23: appliance.cluster.bgp.bfd_multiplier: 0 is out of range 1..255"},
		{BGP_P "      bfd_multiplier: 256\n",
		 "h.yaml:12:23: appliance.cluster.bgp.bfd_multiplier: 256 is out of range 1..255"},
		{BGP_P "      check_ms: 9\n",
		 "h.yaml:12:17: appliance.cluster.bgp.check_ms: 9 is out of range 10..10000"},
		{BGP_P "      check_ms: 10001\n",
		 "h.yaml:12:17: appliance.cluster.bgp.check_ms: 10001 is out of range 10..10000"},
		{BGP_P "      stale_ms: 100\n",
		 "h.yaml:12:17: appliance.cluster.bgp.stale_ms: 100 must be over check_ms (100): a liveness check needs time to see progress"},
		{BGP_P "      check_ms: 1000\n",
		 "h.yaml:12:17: appliance.cluster.bgp.stale_ms: 500 must be over check_ms (1000): a liveness check needs time to see progress"},
		{BGP_P "      stale_ms: 60001\n",
		 "h.yaml:12:17: appliance.cluster.bgp.stale_ms: 60001 is out of range 1..60000"},
		{BGP_P "      bird_socket: bird.ctl\n",
		 "h.yaml:12:20: appliance.cluster.bgp.bird_socket: must be an absolute path, not \"bird.ctl\""},
		{BGP_P "      bird_config: \"\"\n",
		 "h.yaml:12:20: appliance.cluster.bgp.bird_config: must be an absolute path, not \"\""},
		{BGP_P "      status_file: \"/run/a b.json\"\n",
		 "h.yaml:12:20: appliance.cluster.bgp.status_file: must be printable ASCII without spaces or control characters"},
		{BGP_P "      peer: []\n",
		 "h.yaml:12:7: appliance.cluster.bgp.peer: unknown key; did you mean \"peers\"?"},
		{"  cluster:\n"
		 "    sync:\n"
		 "      enabled: true\n"
		 "      listen: 198.18.3.1\n"
		 "      key_file: /k\n"
		 "      peers: [{name: b, address: 198.18.3.2}]\n",
		 "h.yaml:7:5: appliance.cluster.node_id: a node ID 1..15 is required when sync is enabled"},
		{"  cluster:\n"
		 "    node_id: 0\n"
		 "    bgp: {enabled: true, asn: 1, peers: [{name: r, address: 198.18.0.254, asn: 2}]}\n",
		 "h.yaml:7:14: appliance.cluster.node_id: a node ID 1..15 is required when bgp is enabled"},
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cfg_load_bad(head, bad[i].body, bad[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("config_cluster_errors", tests, NULL, NULL);
}
