/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scale-out keys of the appliance schema: appliance.idle and
 * appliance.cluster (node, sync, bgp). Defaults when absent, the values of
 * config/examples/cluster.yaml, the accepted edges and count limits, and
 * the round trip of the dump (the errors: test_cluster_errors.c).
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

#include "cfg_cluster.h"
#include "cfg_load.h"
#include "cfg_roundtrip.h"
#include "cfg_test.h"
#include "sg_cfg.h"

static const char *examples_dir;

static uint32_t
v4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void
test_defaults(void **state)
{
	struct sg_cfg *cfg = cfg_load_ok(head, "");
	const struct sg_cfg_idle *d = &cfg->appliance.idle;
	const struct sg_cfg_cluster *cl = &cfg->appliance.cluster;
	const struct sg_cfg_sync *s = &cl->sync;
	const struct sg_cfg_bgp *b = &cl->bgp;

	(void)state;
	assert_false(d->enabled);
	assert_int_equal(d->after_polls, 512);
	assert_int_equal(d->min_us, 5);
	assert_int_equal(d->max_us, 500);
	assert_int_equal(cl->node_id, 0);
	assert_string_equal(cl->name, "node0");
	assert_false(s->enabled);
	assert_int_equal(s->listen.family, 0);
	assert_int_equal(s->port, SG_CFG_SYNC_PORT);
	assert_string_equal(s->key_file, "");
	assert_int_equal(s->n_peers, 0);
	assert_int_equal(s->rate, 1000000);
	assert_int_equal(s->queue, 16384);
	assert_int_equal(s->refresh_s, 60);
	assert_int_equal(s->dump_wait_ms, 5000);
	assert_true(s->dsr);
	assert_false(b->enabled);
	assert_int_equal(b->asn, 0);
	assert_int_equal(b->router_id.family, AF_INET);
	assert_int_equal(b->router_id.prefixlen, 32);
	assert_int_equal(b->router_id.v4, v4("198.18.0.1"));
	assert_int_equal(b->n_peers, 0);
	assert_int_equal(b->local_pref_owned, 200);
	assert_int_equal(b->local_pref_backup, 100);
	assert_int_equal(b->n_backup, 0);
	assert_int_equal(b->hold_s, 9);
	assert_int_equal(b->bfd_interval_ms, 100);
	assert_int_equal(b->bfd_multiplier, 3);
	assert_int_equal(b->check_ms, 100);
	assert_int_equal(b->stale_ms, 500);
	assert_string_equal(b->bird_socket, "/run/bird/bird.ctl");
	assert_string_equal(b->bird_config, "/run/sessiongate/bird.conf");
	assert_string_equal(b->status_file, "/run/sessiongate/routed.json");
	sg_cfg_free(cfg);

	/* Empty maps and null values are the defaults too; the name follows node_id. */
	cfg = cfg_load_ok(head, "  idle:\n  cluster:\n    node_id: 7\n    sync: {}\n    bgp:\n");
	assert_int_equal(cfg->appliance.idle.max_us, 500);
	assert_int_equal(cfg->appliance.cluster.node_id, 7);
	assert_string_equal(cfg->appliance.cluster.name, "node7");
	assert_int_equal(cfg->appliance.cluster.sync.queue, 16384);
	assert_int_equal(cfg->appliance.cluster.bgp.stale_ms, 500);
	sg_cfg_free(cfg);
}

static void
test_example_values(void **state)
{
	char path[512];
	struct sg_cfg_error err;
	struct sg_cfg *cfg = NULL;
	const struct sg_cfg_cluster *cl;
	const struct sg_cfg_sync *s;
	const struct sg_cfg_bgp *b;

	(void)state;
	snprintf(path, sizeof(path), "%s/cluster.yaml", examples_dir);
	if (sg_cfg_load_file(path, &cfg, &err) != 0)
		fail_msg("%s", err_text(&err));
	check_round_trip(cfg);
	cl = &cfg->appliance.cluster;
	s = &cl->sync;
	b = &cl->bgp;
	assert_true(cfg->appliance.idle.enabled);
	assert_int_equal(cl->node_id, 1);
	assert_string_equal(cl->name, "sg-a");
	assert_true(s->enabled);
	assert_int_equal(s->listen.family, AF_INET);
	assert_int_equal(s->listen.v4, v4("198.18.3.1"));
	assert_string_equal(s->key_file, "/etc/sessiongate/sync.key");
	assert_int_equal(s->n_peers, 1);
	assert_string_equal(s->peers[0].name, "sg-b");
	assert_int_equal(s->peers[0].addr.v4, v4("198.18.3.2"));
	assert_int_equal(s->peers[0].port, 7450);
	assert_true(b->enabled);
	assert_int_equal(b->asn, 65001);
	assert_int_equal(b->router_id.v4, v4("198.18.2.2"));
	assert_int_equal(b->n_peers, 1);
	assert_string_equal(b->peers[0].name, "router");
	assert_int_equal(b->peers[0].addr.v4, v4("198.18.2.1"));
	assert_int_equal(b->peers[0].asn, 65000);
	assert_true(b->peers[0].bfd);
	assert_int_equal(b->n_backup, 1);
	assert_int_equal(b->backup[0].v4, v4("198.18.1.110"));
	assert_string_equal(b->bird_socket, "/run/sessiongate/sg-a/bird.ctl");
	assert_string_equal(b->status_file, "/run/sessiongate/sg-a/routed.json");
	sg_cfg_free(cfg);
}

/* The edges of every range are accepted; IPv6 sync; round trip of them all. */
static void
test_edges(void **state)
{
	struct sg_cfg *cfg = cfg_load_ok(
		head,
		"  idle: {enabled: true, after_polls: 1000000, min_us: 100000, max_us: 100000}\n"
		"  cluster:\n"
		"    node_id: 15\n"
		"    sync:\n"
		"      enabled: true\n"
		"      listen: \"2001:2:3::1\"\n"
		"      port: 65535\n"
		"      key_file: /etc/sessiongate/sync.key\n"
		"      peers: [{name: b, address: \"2001:2:3::2\", port: 1}]\n"
		"      rate: 4294967295\n"
		"      queue: 1048576\n"
		"      refresh_s: 3600\n"
		"      dump_wait_ms: 60000\n"
		"      dsr: false\n"
		"    bgp:\n"
		"      enabled: true\n"
		"      asn: 4294967295\n"
		"      router_id: 198.18.0.9\n"
		"      peers: [{name: r, address: \"2001:2::fe\", asn: 1, bfd: false}]\n"
		"      local_pref_owned: 4294967295\n"
		"      local_pref_backup: 4294967294\n"
		"      backup: [198.18.0.110, \"2001:2::110\"]\n"
		"      hold_s: 65535\n"
		"      bfd_interval_ms: 10000\n"
		"      bfd_multiplier: 255\n"
		"      check_ms: 10000\n"
		"      stale_ms: 60000\n");
	const struct sg_cfg_cluster *cl = &cfg->appliance.cluster;

	(void)state;
	assert_int_equal(cfg->appliance.idle.after_polls, 1000000);
	assert_int_equal(cfg->appliance.idle.min_us, 100000);
	assert_int_equal(cl->node_id, 15);
	assert_int_equal(cl->sync.listen.family, AF_INET6);
	assert_int_equal(cl->sync.peers[0].addr.family, AF_INET6);
	assert_int_equal(cl->sync.port, 65535);
	assert_int_equal(cl->sync.peers[0].port, 1);
	assert_int_equal(cl->sync.rate, UINT32_MAX);
	assert_int_equal(cl->sync.queue, 1048576);
	assert_false(cl->sync.dsr);
	assert_int_equal(cl->bgp.asn, UINT32_MAX);
	assert_int_equal(cl->bgp.router_id.v4, v4("198.18.0.9"));
	assert_false(cl->bgp.peers[0].bfd);
	assert_int_equal(cl->bgp.local_pref_backup, UINT32_MAX - 1);
	assert_int_equal(cl->bgp.n_backup, 2);
	assert_int_equal(cl->bgp.backup[1].family, AF_INET6);
	assert_int_equal(cl->bgp.stale_ms, 60000);
	sg_cfg_free(cfg);

	/* The bases of test_cluster_errors.c are valid. */
	sg_cfg_free(cfg_load_ok(head, SYNC_P));
	sg_cfg_free(cfg_load_ok(head, BGP_P));

	/* The low edges. */
	cfg = cfg_load_ok(
		head, "  idle: {after_polls: 1, min_us: 1, max_us: 1}\n"
		      "  cluster:\n"
		      "    sync: {queue: 256, refresh_s: 1, dump_wait_ms: 0, rate: 1}\n"
		      "    bgp: {asn: 1, local_pref_owned: 1, local_pref_backup: 0, hold_s: 3,\n"
		      "          bfd_interval_ms: 10, bfd_multiplier: 1, check_ms: 10,\n"
		      "          stale_ms: 11}\n");
	assert_int_equal(cfg->appliance.idle.max_us, 1);
	assert_int_equal(cfg->appliance.cluster.sync.queue, 256);
	assert_int_equal(cfg->appliance.cluster.bgp.local_pref_backup, 0);
	assert_int_equal(cfg->appliance.cluster.bgp.stale_ms, 11);
	sg_cfg_free(cfg);
}

enum gen_kind { GEN_SYNC_PEERS, GEN_BGP_PEERS, GEN_BACKUP };

/* @p n generated entries of a sync.peers, bgp.peers or bgp.backup list. */
static void
gen_list(struct tbuf *b, enum gen_kind kind, unsigned int n)
{
	unsigned int i;

	tbuf_printf(b, "  cluster:\n    %s:\n      %s:\n", kind == GEN_SYNC_PEERS ? "sync" : "bgp",
		    kind == GEN_BACKUP ? "backup" : "peers");
	for (i = 0; i < n; i++) {
		if (kind == GEN_SYNC_PEERS)
			tbuf_printf(b, "        - {name: p%u, address: \"2001:2:3::%x\"}\n", i,
				    i + 2);
		else if (kind == GEN_BGP_PEERS)
			tbuf_printf(b,
				    "        - {name: r%u, address: 198.18.0.2%02u, asn: 65000}\n",
				    i, i);
		else
			tbuf_printf(b, "        - 198.18.5.%u\n", i);
	}
}

/* The count limits of sg_cfg.h at their edge. */
static void
test_limits(void **state)
{
	struct tbuf b = {0};
	struct sg_cfg *cfg;
	unsigned int i;

	(void)state;
	gen_list(&b, GEN_SYNC_PEERS, SG_CFG_SYNC_PEERS_MAX);
	cfg = cfg_load_ok(head, b.p);
	assert_int_equal(cfg->appliance.cluster.sync.n_peers, SG_CFG_SYNC_PEERS_MAX);
	assert_string_equal(cfg->appliance.cluster.sync.peers[7].name, "p7");
	sg_cfg_free(cfg);
	tbuf_free(&b);
	gen_list(&b, GEN_BGP_PEERS, SG_CFG_BGP_PEERS_MAX);
	cfg = cfg_load_ok(head, b.p);
	assert_int_equal(cfg->appliance.cluster.bgp.n_peers, SG_CFG_BGP_PEERS_MAX);
	sg_cfg_free(cfg);
	tbuf_free(&b);
	gen_list(&b, GEN_BACKUP, SG_CFG_BGP_BACKUP_MAX);
	cfg = cfg_load_ok(head, b.p);
	assert_int_equal(cfg->appliance.cluster.bgp.n_backup, SG_CFG_BGP_BACKUP_MAX);
	for (i = 0; i < SG_CFG_BGP_BACKUP_MAX; i++)
		assert_int_equal(ntohl(cfg->appliance.cluster.bgp.backup[i].v4) & 0xff, i);
	sg_cfg_free(cfg);
	tbuf_free(&b);

	gen_list(&b, GEN_SYNC_PEERS, SG_CFG_SYNC_PEERS_MAX + 1);
	cfg_load_bad(head, b.p,
		     "h.yaml:17:11: appliance.cluster.sync.peers: 9 entries, over the limit of 8");
	tbuf_free(&b);
	gen_list(&b, GEN_BGP_PEERS, SG_CFG_BGP_PEERS_MAX + 1);
	cfg_load_bad(head, b.p,
		     "h.yaml:17:11: appliance.cluster.bgp.peers: 9 entries, over the limit of 8");
	tbuf_free(&b);
	gen_list(&b, GEN_BACKUP, SG_CFG_BGP_BACKUP_MAX + 1);
	cfg_load_bad(
		head, b.p,
		"h.yaml:73:11: appliance.cluster.bgp.backup: 65 entries, over the limit of 64");
	tbuf_free(&b);
}

/* With no IPv4 address on the first port, enabled BGP needs its router_id. */
static void
test_router_id_v6_port(void **state)
{
	static const char head6[] =
		"appliance:\n"
		"  ports: [{name: p0, device: net_null0, address6: \"2001:2::1/64\"},\n"
		"          {name: p1, device: net_null1, address: 198.18.0.1/24}]\n";
	static const char bgp[] = "  cluster:\n"
				  "    node_id: 2\n"
				  "    bgp:\n"
				  "      enabled: true\n"
				  "      asn: 65002\n"
				  "      peers: [{name: r, address: \"2001:2::fe\", asn: 65000}]\n";
	struct tbuf b = {0};
	struct sg_cfg *cfg;

	(void)state;
	cfg = cfg_load_ok(head6, "");
	assert_int_equal(cfg->appliance.cluster.bgp.router_id.family, 0);
	sg_cfg_free(cfg);
	cfg_load_bad(head6, bgp,
		     "h.yaml:7:7: appliance.cluster.bgp.router_id: required key is missing (the "
		     "first port has no IPv4 address to default to)");
	tbuf_printf(&b, "%s      router_id: 198.18.0.1\n", bgp);
	cfg = cfg_load_ok(head6, b.p);
	assert_int_equal(cfg->appliance.cluster.bgp.router_id.v4, v4("198.18.0.1"));
	sg_cfg_free(cfg);
	tbuf_free(&b);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example_values),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_router_id_v6_port),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s EXAMPLES_DIR\n", argv[0]);
		return 2;
	}
	examples_dir = argv[1];
	return cmocka_run_group_tests_name("config_cluster", tests, NULL, NULL);
}
