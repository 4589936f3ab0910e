/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scale-out keys of the appliance schema: appliance.idle and
 * appliance.cluster (node, sync, bgp). Defaults when absent, the values of
 * config/examples/cluster.yaml, the accepted edges and count limits, the
 * round trip of the dump, and every validation error with its line and
 * key.
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
 * Five lines: NAT addresses, a VS, and an appliance map that a body goes
 * on with (its keys at two spaces). Body line N is file line 5 + N.
 */
static const char head[] =
	"nat: {addresses: [198.18.0.100, \"2001:2::100\"]}\n"
	"pools: [{name: web, members: [{name: a, address: 198.18.0.11}]}]\n"
	"virtual_services: [{name: v, vip: 198.18.10.1, port: 80, mode: nat, pool: web}]\n"
	"appliance:\n"
	"  ports: [{name: p0, device: net_null0, address: 198.18.0.1/24, "
	"address6: \"2001:2::1/64\"}]\n";

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

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example_values),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s EXAMPLES_DIR\n", argv[0]);
		return 2;
	}
	examples_dir = argv[1];
	return cmocka_run_group_tests_name("config_cluster", tests, NULL, NULL);
}
