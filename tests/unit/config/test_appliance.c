/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliance schema (config/load.c and its sections): every example loads, the
 * values and defaults land where sg_cfg.h says, the dump round-trips, and
 * the count limits of sg_cfg.h hold at their edge (generated configs).
 *
 * argv[1]: the examples folder (config/examples).
 */
#include <arpa/inet.h>
#include <dirent.h>
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

#include "cfg_roundtrip.h"
#include "cfg_test.h"
#include "sg_cfg.h"
#include "sg_cfg_doc.h"

static const char *examples_dir;

static struct sg_cfg *
load_example(const char *name)
{
	char path[512];
	struct sg_cfg_error err;
	struct sg_cfg *cfg = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", examples_dir, name);
	rc = sg_cfg_load_file(path, &cfg, &err);
	if (rc != 0)
		fail_msg("%s", err_text(&err));
	assert_non_null(cfg);
	return cfg;
}

static void
test_every_example_loads(void **state)
{
	DIR *d = opendir(examples_dir);
	struct dirent *de;
	unsigned int n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		struct sg_cfg *cfg;

		if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		cfg = load_example(de->d_name);
		check_round_trip(cfg);
		sg_cfg_free(cfg);
		n++;
	}
	closedir(d);
	assert_true(n >= 3);
}

static void
test_demo_values(void **state)
{
	struct sg_cfg *cfg = load_example("reference.yaml");
	const struct sg_cfg_appliance *ap = &cfg->appliance;
	const struct sg_cfg_port *p = &ap->ports[0];
	const struct sg_cfg_vs *dsr, *nat;
	char buf[64];

	(void)state;
	assert_non_null(strstr(cfg->path, "reference.yaml"));
	assert_int_equal(ap->workers, 1);
	assert_int_equal(ap->memory_mb, 512);
	assert_true(ap->no_huge);
	assert_string_equal(ap->file_prefix, "sessiongate");
	assert_int_equal(ap->n_eal_args, 1);
	assert_string_equal(ap->eal_args[0], "--log-level=lib.eal:notice");
	assert_int_equal(ap->n_ports, 1);
	assert_string_equal(p->name, "outside");
	assert_string_equal(p->device, "net_af_packet0,iface=sgdp-out");
	assert_int_equal(p->addr4.family, AF_INET);
	assert_int_equal(p->addr4.prefixlen, 24);
	assert_int_equal(p->addr4.v4, htonl(0xc6120202));
	assert_string_equal(sg_cfg_addr_format(&p->addr6, buf, sizeof(buf)), "2001:2:0:2::2/64");
	assert_string_equal(sg_cfg_addr_format(&p->gateway4, buf, sizeof(buf)), "198.18.2.1");
	assert_string_equal(sg_cfg_addr_format(&p->gateway6, buf, sizeof(buf)), "2001:2:0:2::1");
	assert_int_equal(p->mtu, 1500);
	assert_int_equal(cfg->nat.n_addrs, 2);
	assert_string_equal(sg_cfg_addr_format(&cfg->nat.addrs[1], buf, sizeof(buf)),
			    "198.18.1.101");
	assert_int_equal(cfg->nat.port_min, 1024);
	assert_int_equal(cfg->nat.port_max, 65535);
	assert_int_equal(cfg->n_pools, 2);
	assert_int_equal(cfg->pools[0].n_members, 2);
	assert_int_equal(cfg->pools[0].members[0].weight, 2);
	assert_int_equal(cfg->pools[0].members[0].port, 0);
	assert_int_equal(cfg->pools[0].members[1].weight, 1);
	assert_int_equal(cfg->pools[0].members[0].host.v4, htonl(0xc612010b));
	assert_int_equal(cfg->pools[1].members[0].port, 8080);
	assert_int_equal(cfg->pools[1].members[0].host.family, 0);
	assert_int_equal(cfg->n_vs, 2);
	dsr = &cfg->vs[0];
	nat = &cfg->vs[1];
	assert_string_equal(dsr->name, "web-dsr");
	assert_int_equal(dsr->mode, SG_CFG_MODE_DSR);
	assert_int_equal(dsr->proto, SG_CFG_PROTO_TCP);
	assert_int_equal(dsr->port, 80);
	assert_int_equal(dsr->vip.v4, htonl(0xc6120a01));
	assert_int_equal(dsr->scheduler, SG_CFG_SCHED_MAGLEV);
	assert_int_equal(dsr->encap, SG_CFG_ENCAP_IPIP);
	assert_int_equal(dsr->pool, 0);
	assert_int_equal(dsr->maglev_size, 65537);
	assert_int_equal(dsr->tcp_timeout_s, 300);
	assert_int_equal(nat->mode, SG_CFG_MODE_NAT);
	assert_int_equal(nat->pool, 1);
	assert_int_equal(nat->max_flows, 0);
	sg_cfg_free(cfg);
}

static void
test_minimal_defaults(void **state)
{
	struct sg_cfg *cfg = load_example("minimal.yaml");
	const struct sg_cfg_appliance *ap = &cfg->appliance;

	(void)state;
	assert_int_equal(ap->workers, 1);
	assert_int_equal(ap->memory_mb, 0);
	assert_false(ap->no_huge);
	assert_string_equal(ap->file_prefix, "sessiongate");
	assert_int_equal(ap->mbufs, 16383);
	assert_int_equal(ap->flow_table_size, 65536);
	assert_int_equal(ap->neighbours, 4096);
	assert_string_equal(ap->telemetry_dir, "");
	assert_int_equal(ap->n_eal_args, 0);
	assert_int_equal(ap->n_ports, 1);
	assert_int_equal(ap->ports[0].mtu, 1500);
	assert_int_equal(ap->ports[0].rx_desc, 1024);
	assert_int_equal(ap->ports[0].tx_desc, 1024);
	assert_int_equal(ap->ports[0].addr6.family, 0);
	assert_int_equal(ap->ports[0].gateway4.family, 0);
	assert_int_equal(cfg->nat.n_addrs, 0);
	assert_int_equal(cfg->nat.port_min, 1024);
	assert_int_equal(cfg->nat.port_max, 65535);
	assert_int_equal(cfg->n_pools, 0);
	assert_null(cfg->pools);
	assert_int_equal(cfg->n_vs, 0);
	assert_null(cfg->vs);
	sg_cfg_free(cfg);
}

static void
test_ipv6_and_vs_defaults(void **state)
{
	struct sg_cfg *cfg = load_example("ipv6.yaml");
	const struct sg_cfg_vs *dsr = &cfg->vs[0], *dns = &cfg->vs[1];

	(void)state;
	assert_int_equal(cfg->appliance.workers, 2);
	assert_int_equal(cfg->appliance.ports[0].addr4.family, 0);
	assert_int_equal(cfg->appliance.ports[0].addr6.family, AF_INET6);
	assert_int_equal(dsr->vip.family, AF_INET6);
	assert_int_equal(dsr->proto, SG_CFG_PROTO_TCP); /* default */
	assert_int_equal(dsr->scheduler, SG_CFG_SCHED_MAGLEV);
	assert_int_equal(dsr->encap, SG_CFG_ENCAP_GUE);
	assert_int_equal(dsr->gue_port, 6080);
	assert_int_equal(dsr->maglev_size, 4099);
	assert_int_equal(dsr->max_flows, 0);
	assert_int_equal(dsr->tcp_timeout_s, 300);
	assert_int_equal(dsr->tcp_transitory_s, 30);
	assert_int_equal(dsr->udp_timeout_s, 60);
	assert_int_equal(dns->proto, SG_CFG_PROTO_UDP);
	assert_int_equal(dns->scheduler, SG_CFG_SCHED_WRR);
	assert_int_equal(dns->udp_timeout_s, 30);
	assert_int_equal(dns->tcp_timeout_s, 300);
	assert_int_equal(cfg->pools[dns->pool].members[0].port, 5353);
	assert_int_equal(cfg->pools[dsr->pool].members[1].weight, 1);
	assert_int_equal(cfg->nat.port_min, 20000);
	assert_int_equal(cfg->nat.port_max, 29999);
	sg_cfg_free(cfg);
}

/* ---- generated configurations at the count limits ---------------------- */

static const char base[] = "appliance:\n"
			   "  ports:\n"
			   "    - {name: p0, device: net_null0, address: 198.18.0.1/24}\n";

static int
load_text(const struct tbuf *b, struct sg_cfg **cfg, struct sg_cfg_error *err)
{
	*cfg = (struct sg_cfg *)0x1;
	return sg_cfg_load_buffer(b->p, b->len, "gen.yaml", cfg, err);
}

static void
expect_ok(const struct tbuf *b)
{
	struct sg_cfg_error err;
	struct sg_cfg *cfg;

	if (load_text(b, &cfg, &err) != 0)
		fail_msg("%s", err_text(&err));
	check_round_trip(cfg);
	sg_cfg_free(cfg);
}

static void
expect_err(const struct tbuf *b, const char *want)
{
	struct sg_cfg_error err;
	struct sg_cfg *cfg;

	assert_int_equal(load_text(b, &cfg, &err), -EINVAL);
	assert_null(cfg);
	assert_string_equal(err_text(&err), want);
}

static void
gen_ports(struct tbuf *b, unsigned int n)
{
	unsigned int i;

	tbuf_printf(b, "appliance:\n  ports:\n");
	for (i = 0; i < n; i++)
		tbuf_printf(b, "    - {name: p%u, device: net_null%u, address: 198.18.%u.1/24}\n",
			    i, i, i);
}

static void
test_limit_ports(void **state)
{
	struct tbuf b = {0};

	(void)state;
	gen_ports(&b, SG_CFG_PORTS_MAX);
	expect_ok(&b);
	tbuf_free(&b);
	gen_ports(&b, SG_CFG_PORTS_MAX + 1);
	expect_err(&b, "gen.yaml:11:7: appliance.ports: 9 entries, over the limit of 8");
	tbuf_free(&b);
}

static void
gen_eal(struct tbuf *b, unsigned int n)
{
	unsigned int i;

	tbuf_printf(b, "appliance:\n  eal_args:\n");
	for (i = 0; i < n; i++)
		tbuf_printf(b, "    - --log-level=lib.x%u:debug\n", i);
	tbuf_printf(b, "  ports:\n    - {name: p0, device: net_null0, address: 198.18.0.1/24}\n");
}

static void
test_limit_eal_args(void **state)
{
	struct tbuf b = {0};

	(void)state;
	gen_eal(&b, SG_CFG_EAL_ARGS_MAX);
	expect_ok(&b);
	tbuf_free(&b);
	gen_eal(&b, SG_CFG_EAL_ARGS_MAX + 1);
	expect_err(&b, "gen.yaml:35:7: appliance.eal_args: 33 entries, over the limit of 32");
	tbuf_free(&b);
}

static void
gen_nat(struct tbuf *b, unsigned int n)
{
	unsigned int i;

	tbuf_add(b, base, strlen(base));
	tbuf_printf(b, "nat:\n  addresses:\n");
	for (i = 0; i < n; i++)
		tbuf_printf(b, "    - 198.18.1.%u\n", i + 1);
}

static void
test_limit_nat(void **state)
{
	struct tbuf b = {0};

	(void)state;
	gen_nat(&b, SG_CFG_NAT_ADDRS_MAX);
	expect_ok(&b);
	tbuf_free(&b);
	gen_nat(&b, SG_CFG_NAT_ADDRS_MAX + 1);
	expect_err(&b, "gen.yaml:22:7: nat.addresses: 17 entries, over the limit of 16");
	tbuf_free(&b);
}

/* n pools of one member, n virtual services (one per pool). */
static void
gen_vs(struct tbuf *b, unsigned int pools, unsigned int vss)
{
	unsigned int i;

	tbuf_add(b, base, strlen(base));
	tbuf_printf(b, "nat:\n  addresses: [198.18.1.1]\npools:\n");
	for (i = 0; i < pools; i++)
		tbuf_printf(b, "  - {name: pool%u, members: [{name: m, address: 198.18.%u.%u}]}\n",
			    i, 100 + i / 250, 1 + i % 250);
	tbuf_printf(b, "virtual_services:\n");
	for (i = 0; i < vss; i++)
		tbuf_printf(b,
			    "  - {name: vs%u, vip: 198.18.10.1, port: %u, mode: nat, pool: pool%u, "
			    "scheduler: wrr}\n",
			    i, i + 1, i % pools);
}

static void
test_limit_pools_and_vs(void **state)
{
	struct tbuf b = {0};

	(void)state;
	gen_vs(&b, SG_CFG_POOLS_MAX, SG_CFG_VS_MAX);
	expect_ok(&b);
	tbuf_free(&b);
	gen_vs(&b, SG_CFG_POOLS_MAX + 1, 1);
	expect_err(&b, "gen.yaml:263:5: pools: 257 entries, over the limit of 256");
	tbuf_free(&b);
	gen_vs(&b, 1, SG_CFG_VS_MAX + 1);
	expect_err(&b, "gen.yaml:265:5: virtual_services: 257 entries, over the limit of 256");
	tbuf_free(&b);
}

static void
gen_members(struct tbuf *b, unsigned int n)
{
	unsigned int i;

	tbuf_add(b, base, strlen(base));
	tbuf_printf(b, "pools:\n  - name: big\n    members:\n");
	for (i = 0; i < n; i++)
		tbuf_printf(b, "      - {name: m%u, address: 198.18.1.%u, port: %u}\n", i,
			    1 + i % 250, 1000 + i);
	tbuf_printf(b, "virtual_services:\n"
		       "  - {name: v, vip: 198.18.10.1, port: 80, mode: dsr, pool: big, "
		       "maglev_size: 521}\n");
}

static void
test_limit_members(void **state)
{
	struct tbuf b = {0};

	(void)state;
	gen_members(&b, SG_CFG_MEMBERS_MAX);
	/* dsr keeps the VS port: these members name their own ports. */
	expect_err(&b, "gen.yaml:264:60: virtual_services[0].pool: member \"m0\" listens on port "
		       "1000 but dsr keeps the VS port 80 (remove the member port)");
	tbuf_free(&b);
	gen_members(&b, SG_CFG_MEMBERS_MAX + 1);
	expect_err(&b, "gen.yaml:263:9: pools[0].members: 257 entries, over the limit of 256");
	tbuf_free(&b);
}

static void
test_maglev_size_vs_members(void **state)
{
	struct tbuf b = {0};
	unsigned int i;

	(void)state;
	tbuf_add(&b, base, strlen(base));
	tbuf_printf(&b, "pools:\n  - name: big\n    members:\n");
	for (i = 0; i < 11; i++)
		tbuf_printf(&b, "      - {name: m%u, address: 198.18.1.%u}\n", i, 1 + i);
	/* the data plane's smallest table is twice the largest pool: no pool outgrows it */
	tbuf_printf(&b, "virtual_services:\n"
			"  - {name: v, vip: 198.18.10.1, port: 80, mode: dsr, pool: big, "
			"maglev_size: 7}\n");
	expect_err(&b, "gen.yaml:19:78: virtual_services[0].maglev_size: 7 is out of range "
		       "512..1000003");
	tbuf_free(&b);
}

/* Found by fuzz_config: an IPv6 address ending in "::" must be quoted in the dump. */
static void
test_dump_quotes_ipv6(void **state)
{
	struct tbuf b = {0};

	(void)state;
	tbuf_printf(&b, "appliance:\n  ports:\n    - name: p\n      device: x\n"
			"      address6: \"2001:2:0:2::1/64\"\n      gateway6: \"2001:2:0:2::\"\n"
			"nat: {addresses: [\"2001:2:0:1::\"]}\n");
	expect_ok(&b);
	tbuf_free(&b);
}

/*
 * Found by fuzz_config: YAML reads NEL, LS and PS as line breaks, so the
 * dump must escape them or the string does not load back unchanged.
 */
static void
test_dump_escapes_unicode_breaks(void **state)
{
	struct tbuf b = {0};

	(void)state;
	tbuf_printf(&b, "appliance:\n  eal_args: [\"--a\\Nb\", \"--c\\Ld\\Pe\"]\n"
			"  ports:\n    - name: p\n      device: x\n"
			"      address: 198.18.2.2/24\n");
	expect_ok(&b);
	tbuf_free(&b);
}

/* A device string is handed to DPDK: printable ASCII only. */
static void
test_device_rejects_non_ascii(void **state)
{
	struct tbuf b = {0};

	(void)state;
	tbuf_printf(&b, "appliance:\n  ports:\n    - name: p\n      device: \"net_null0\\N\"\n");
	expect_err(&b, "gen.yaml:4:15: appliance.ports[0].device: must be printable ASCII without "
		       "spaces or control characters");
	tbuf_free(&b);
}

static void
test_nat_single_port(void **state)
{
	struct tbuf b = {0};
	struct sg_cfg_error err;
	struct sg_cfg *cfg;

	(void)state;
	tbuf_add(&b, base, strlen(base));
	tbuf_printf(&b, "nat: {addresses: [198.18.0.100], ports: 5000}\n");
	assert_int_equal(load_text(&b, &cfg, &err), 0);
	assert_int_equal(cfg->nat.port_min, 5000);
	assert_int_equal(cfg->nat.port_max, 5000);
	check_round_trip(cfg);
	sg_cfg_free(cfg);
	tbuf_free(&b);
}

/* Sections of other components in the same file (sg_cfg_load_*_ext). */
static void
test_extra_sections(void **state)
{
	static const char *const extra[] = {"applications", "hostagents", NULL};
	struct tbuf b = {0};
	struct sg_cfg_error err;
	struct sg_cfg *cfg = (struct sg_cfg *)0x1;
	struct sg_cfg_doc *doc = (struct sg_cfg_doc *)0x1;
	const struct sg_cfg_node *apps;
	uint64_t limit;

	(void)state;
	tbuf_add(&b, base, strlen(base));
	tbuf_printf(&b, "applications:\n  - {name: desk, limit: 7}\n");
	/* The plain loader knows nothing of them. */
	assert_int_equal(sg_cfg_load_buffer(b.p, b.len, "x.yaml", &cfg, &err), -EINVAL);
	assert_string_equal(err_text(&err), "x.yaml:4:1: applications: unknown key (known keys: "
					    "appliance, nat, pools, virtual_services)");
	assert_int_equal(sg_cfg_load_buffer_ext(b.p, b.len, "x.yaml", extra, &cfg, &doc, &err), 0);
	assert_int_equal(cfg->appliance.n_ports, 1);
	apps = sg_cfg_node_get(doc->root, "applications");
	assert_non_null(apps);
	assert_int_equal(sg_cfg_node_uint(doc, sg_cfg_node_get(apps->items[0], "limit"),
					  "applications[0].limit", 1, 5, &limit, &err),
			 -EINVAL);
	assert_string_equal(err_text(&err), "x.yaml:5:25: applications[0].limit: 7 is out of "
					    "range 1..5");
	sg_cfg_free(cfg);
	sg_cfg_doc_free(doc);
	/* Without doc_out, and a bad appliance section: nothing comes back. */
	assert_int_equal(sg_cfg_load_buffer_ext(b.p, b.len, "x.yaml", extra, &cfg, NULL, &err), 0);
	sg_cfg_free(cfg);
	tbuf_printf(&b, "hostagents: {}\npools: 3\n");
	assert_int_equal(sg_cfg_load_buffer_ext(b.p, b.len, "x.yaml", extra, &cfg, &doc, &err),
			 -EINVAL);
	assert_null(cfg);
	assert_null(doc);
	assert_string_equal(err_text(&err), "x.yaml:7:8: pools: expected a list, found a scalar");
	tbuf_free(&b);
}

static void
test_load_errors(void **state)
{
	struct sg_cfg_error err;
	struct sg_cfg *cfg = (struct sg_cfg *)0x1;
	struct tbuf b = {0};

	(void)state;
	assert_int_equal(sg_cfg_load_file("/nonexistent/sg.yaml", &cfg, &err), -ENOENT);
	assert_null(cfg);
	assert_string_equal(err_text(&err),
			    "/nonexistent/sg.yaml: cannot open: No such file or directory");
	tbuf_repeat(&b, "#23456789012345678901234567890\n", 2 * 1024 * 1024 / 31);
	assert_int_equal(sg_cfg_load_buffer(b.p, b.len, "big", &cfg, &err), -EFBIG);
	assert_null(cfg);
	tbuf_free(&b);
	/* No error struct: still a clean failure. */
	assert_int_equal(sg_cfg_load_buffer("appliance: 1", 12, "x", &cfg, NULL), -EINVAL);
	assert_null(cfg);
	assert_int_equal(sg_cfg_load_buffer("", 0, "empty.yaml", &cfg, &err), -EINVAL);
	assert_string_equal(err_text(&err), "empty.yaml: the configuration is empty; it needs at "
					    "least an appliance section (see "
					    "config/examples/minimal.yaml)");
	sg_cfg_free(NULL);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_example_loads),
		cmocka_unit_test(test_demo_values),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_ipv6_and_vs_defaults),
		cmocka_unit_test(test_limit_ports),
		cmocka_unit_test(test_limit_eal_args),
		cmocka_unit_test(test_limit_nat),
		cmocka_unit_test(test_limit_pools_and_vs),
		cmocka_unit_test(test_limit_members),
		cmocka_unit_test(test_maglev_size_vs_members),
		cmocka_unit_test(test_dump_quotes_ipv6),
		cmocka_unit_test(test_dump_escapes_unicode_breaks),
		cmocka_unit_test(test_device_rejects_non_ascii),
		cmocka_unit_test(test_nat_single_port),
		cmocka_unit_test(test_extra_sections),
		cmocka_unit_test(test_load_errors),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s EXAMPLES_DIR\n", argv[0]);
		return 2;
	}
	examples_dir = argv[1];
	return cmocka_run_group_tests_name("config_appliance", tests, NULL, NULL);
}
