/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What sg-config-check accepts, the data plane's table build accepts
 * (issue 16: config/ took a nat VIP and members of different families
 * that core/tables.c refuses). Every config/examples/ file that
 * sg_cfg_load() accepts builds; and over every mode, VIP family, member
 * family and fallback pool family: sg_cfg_load() accepting implies
 * sg_dp_tables_build() accepting, and for every mode but dsr the two
 * agree exactly (dsr: config/ is stricter, the hosts' eBPF cannot change
 * the family, which core/tables.c does not check). Run with argv[1] =
 * config/examples.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_test.h"
#include "../config/cfg_test.h" /* tbuf, err_text */

static const char *examples_dir;

/* 0 when the data plane builds tables from @p cfg; else its error in @p err. */
static int
dp_build(const struct sg_cfg *cfg, char *err, size_t errlen)
{
	struct sg_dp_tables *t = NULL;
	int rc = sg_dp_tables_build(cfg, NULL, NULL, &t, err, errlen);

	if (rc == 0)
		sg_dp_tables_free(t);
	return rc;
}

static void
test_examples_build(void **state)
{
	DIR *d = opendir(examples_dir);
	struct dirent *de;
	unsigned int n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char path[512], err[256];
		struct sg_cfg_error cerr;
		struct sg_cfg *cfg = NULL;

		if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", examples_dir, de->d_name);
		if (sg_cfg_load_file(path, &cfg, &cerr) != 0)
			continue; /* not for sg-config-check alone (a control-only file) */
		if (dp_build(cfg, err, sizeof(err)) != 0)
			fail_msg("%s: sg-config-check accepts it, the data plane does not: %s",
				 de->d_name, err);
		sg_cfg_free(cfg);
		n++;
	}
	closedir(d);
	assert_true(n >= 5);
}

static const char *const modes[] = {"dsr", "nat", "brokered", "redirect"};
static const char *const vips[] = {"198.18.10.1", "\"2001:2:0:10::1\""};
static const char *const pools[] = {"m4", "m6"};

/* A VS of @p mode on @p vip with pool @p pool, fallback pool @p fb (NULL: none). */
static void
gen(struct tbuf *b, const char *mode, const char *vip, const char *pool, const char *fb)
{
	tbuf_printf(b,
		    "appliance:\n"
		    "  ports:\n"
		    "    - {name: p0, device: net_null0, address: 198.18.0.1/24,"
		    " address6: \"2001:2::1/64\"}\n"
		    "nat: {addresses: [198.18.0.100, \"2001:2::100\"]}\n"
		    "pools:\n"
		    "  - {name: m4, members: [{name: a4, address: 198.18.0.11}]}\n"
		    "  - {name: m6, members: [{name: a6, address: \"2001:2::11\"}]}\n"
		    "  - {name: f4, members: [{name: b4, address: 198.18.0.21}]}\n"
		    "  - {name: f6, members: [{name: b6, address: \"2001:2::21\"}]}\n"
		    "virtual_services:\n"
		    "  - {name: v, vip: %s, port: 80, mode: %s, pool: %s",
		    vip, mode, pool);
	if (fb != NULL)
		tbuf_printf(b, ", no_live_member: fallback, fallback_pool: %s", fb);
	tbuf_printf(b, "}\n");
}

static void
test_family_matrix(void **state)
{
	static const char *const fbs[] = {NULL, "f4", "f6"};
	unsigned int mi, vi, pi, fi, n_ok = 0, n_refused = 0;

	(void)state;
	for (mi = 0; mi < RTE_DIM(modes); mi++)
		for (vi = 0; vi < RTE_DIM(vips); vi++)
			for (pi = 0; pi < RTE_DIM(pools); pi++)
				for (fi = 0; fi < RTE_DIM(fbs); fi++) {
					struct tbuf b = {0};
					struct sg_cfg_error cerr;
					struct sg_cfg *cfg = NULL;
					char err[256] = "";
					int crc, drc;

					gen(&b, modes[mi], vips[vi], pools[pi], fbs[fi]);
					crc = sg_cfg_load_buffer(b.p, b.len, "m.yaml", &cfg, &cerr);
					if (crc != 0) {
						n_refused++;
						tbuf_free(&b);
						continue;
					}
					drc = dp_build(cfg, err, sizeof(err));
					sg_cfg_free(cfg);
					if (drc != 0)
						fail_msg(
							"config accepts, the data plane refuses (%s):\n%s",
							err, b.p);
					n_ok++;
					tbuf_free(&b);
				}
	/* each mode accepts same-family members; nat and dsr refuse the others */
	assert_true(n_ok >= 12);
	assert_true(n_refused >= 8);
}

/* The rows core/tables.c refuses: config/ refuses them with the member's name. */
static void
test_nat_family_refused(void **state)
{
	static const struct {
		const char *vip, *pool, *fb, *want;
	} rows[] = {
		{"198.18.10.1", "m6", NULL,
		 "m.yaml:11:60: virtual_services[0].pool: member \"a6\" has an IPv6 address but "
		 "the VIP is IPv4; nat does not translate between families"},
		{"\"2001:2:0:10::1\"", "m4", NULL,
		 "m.yaml:11:65: virtual_services[0].pool: member \"a4\" has an IPv4 address but "
		 "the VIP is IPv6; nat does not translate between families"},
		{"198.18.10.1", "m4", "f6",
		 "m.yaml:11:105: virtual_services[0].fallback_pool: member \"b6\" has an IPv6 "
		 "address but the VIP is IPv4; nat does not translate between families"},
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(rows); i++) {
		struct tbuf b = {0};
		struct sg_cfg_error cerr;
		struct sg_cfg *cfg = NULL;

		gen(&b, "nat", rows[i].vip, rows[i].pool, rows[i].fb);
		memset(&cerr, 0, sizeof(cerr));
		assert_int_equal(sg_cfg_load_buffer(b.p, b.len, "m.yaml", &cfg, &cerr), -EINVAL);
		assert_null(cfg);
		assert_string_equal(err_text(&cerr), rows[i].want);
		tbuf_free(&b);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_build),
		cmocka_unit_test(test_family_matrix),
		cmocka_unit_test(test_nat_family_refused),
	};
	int rc;

	if (argc < 2) {
		(void)fprintf(stderr, "usage: %s CONFIG_EXAMPLES_DIR\n", argv[0]);
		return 2;
	}
	examples_dir = argv[1];
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
