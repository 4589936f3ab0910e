/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * routing/birdconf.c: the BIRD configuration of config/examples/cluster.yaml
 * and variants (iBGP, IPv6 VIPs, no BFD) is accepted by the real BIRD's
 * parser (`bird -p`) and says what doc/cluster.md promises; what BIRD could
 * not use is refused with a reason. Arguments: the example, the bird binary.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "birdconf.h"
#include "sg_cfg.h"

static const char *example, *bird;

static struct sg_cfg *
load(void)
{
	struct sg_cfg_error err;
	struct sg_cfg *cfg = NULL;
	char msg[512];

	if (sg_cfg_load_file(example, &cfg, &err) != 0)
		fail_msg("%s", sg_cfg_error_format(&err, msg, sizeof(msg)));
	return cfg;
}

/* The configuration's text; BIRD's parser must accept it. */
static char *
emit_checked(const struct sg_cfg *cfg, struct sg_rt_plan *plan)
{
	char why[256], path[] = "/tmp/sgbirdconf.XXXXXX", cmd[512];
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int fd;

	if (sg_rt_birdconf_plan(cfg, plan, why, sizeof(why)) != 0)
		fail_msg("plan: %s", why);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sg_rt_birdconf_write(cfg, plan, path), 0);
	snprintf(cmd, sizeof(cmd), "%s -p -c %s", bird, path);
	int st = system(cmd);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("bird -p rejected %s", path);
	f = open_memstream(&text, &len);
	assert_int_equal(sg_rt_birdconf_emit(cfg, plan, f), 0);
	fclose(f);
	unlink(path);
	return text;
}

/* Every string of @p yes is in @p t, none of @p no (NULL-terminated lists). */
static void
contains(const char *t, const char *const *yes, const char *const *no)
{
	for (; yes != NULL && *yes != NULL; yes++)
		if (strstr(t, *yes) == NULL)
			fail_msg("missing: %s\n---\n%s", *yes, t);
	for (; no != NULL && *no != NULL; no++)
		if (strstr(t, *no) != NULL)
			fail_msg("unexpected: %s\n---\n%s", *no, t);
}

static void
set_addr(struct sg_cfg_addr *a, const char *s, unsigned int prefixlen)
{
	a->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	a->prefixlen = (uint8_t)prefixlen;
	assert_int_equal(inet_pton(a->family, s, a->family == AF_INET ? (void *)&a->v4 : a->v6), 1);
}

static void
test_example(void **state)
{
	struct sg_cfg *cfg = load();
	struct sg_rt_plan plan;
	char *t;
	(void)state;

	t = emit_checked(cfg, &plan);
	/* groups: one IPv4 protocol each, in the plan and the text */
	assert_string_equal(plan.proto[SG_RT_VIPS][0], "sg_vips");
	assert_int_equal(plan.n_prefix[SG_RT_VIPS], 2);
	assert_string_equal(plan.proto[SG_RT_BROKERED][0], "sg_brokered");
	assert_string_equal(plan.proto[SG_RT_NAT][0], "sg_nat");
	assert_string_equal(plan.proto[SG_RT_BACKUP][0], "sg_backup");
	assert_int_equal(plan.n_bgp, 1);
	assert_string_equal(plan.bgp[0], "sg_bgp1");
	static const char brokered[] =
		"protocol static sg_brokered {\n\tdisabled;\n"
		"\tipv4 { import filter { bgp_local_pref = 200; accept; }; };\n"
		"\troute 198.18.10.3/32 blackhole;\n}";
	static const char bfd[] = "protocol bfd sg_bfd {\n\tinterface \"sgx*\" {\n"
				  "\t\tmin rx interval 100 ms;\n\t\tmin tx interval 100 ms;\n"
				  "\t\tmultiplier 3;";
	static const char *const yes[] = {
		"router id 198.18.2.2;",
		"protocol static sg_vips {\n\tdisabled;\n",
		"route 198.18.10.1/32 blackhole;\n\troute 198.18.10.2/32",
		brokered,
		"bgp_local_pref = 100; accept; }; };\n\troute 198.18.1.110/32 blackhole;",
		"route 198.18.1.100/32 blackhole;",
		/* the peer: on-link port address, eBGP filter, BFD */
		"local 198.18.2.2 as 65001;\n\tneighbor 198.18.2.1 as 65000;",
		"export filter sg_export_ebgp;",
		"\tbfd on;\n",
		"hold time 9;",
		bfd,
		"bgp_path.prepend(65001);",
		"import none;",
		NULL,
	};
	/* nothing ever reaches the appliance's kernel */
	static const char *const no[] = {"protocol kernel", NULL};

	contains(t, yes, no);
	free(t);
	sg_cfg_free(cfg);
}

static void
test_ibgp_ipv6(void **state)
{
	struct sg_cfg *cfg = load();
	struct sg_cfg_bgp *bgp = &cfg->appliance.cluster.bgp;
	struct sg_rt_plan plan;
	char *t;
	(void)state;

	/* iBGP to the router, a second peer over IPv6, an IPv6 VIP, no BFD */
	bgp->peers[0].asn = bgp->asn;
	bgp->peers[0].bfd = false;
	set_addr(&cfg->appliance.ports[0].addr6, "2001:2::2", 64);
	bgp->peers[1] = bgp->peers[0];
	snprintf(bgp->peers[1].name, sizeof(bgp->peers[1].name), "router6");
	set_addr(&bgp->peers[1].addr, "2001:2::1", 128);
	bgp->n_peers = 2;
	set_addr(&cfg->vs[0].vip, "2001:2:10::1", 128);
	t = emit_checked(cfg, &plan);
	assert_int_equal(plan.n_proto[SG_RT_VIPS], 2);
	assert_string_equal(plan.proto[SG_RT_VIPS][1], "sg_vips6");
	static const char *const yes[] = {
		"protocol static sg_vips6 {\n\tdisabled;\n\tipv6 {",
		"route 2001:2:10::1/128 blackhole;",
		"local 2001:2::2 as 65001;\n\tneighbor 2001:2::1 as 65001;",
		"export filter sg_export_ibgp;",
		NULL,
	};
	static const char *const no[] = {"export filter sg_export_ebgp;", "protocol bfd", "bfd on",
					 NULL};

	contains(t, yes, no);
	free(t);
	sg_cfg_free(cfg);
}

static void
refused(struct sg_cfg *cfg, const char *want)
{
	struct sg_rt_plan plan;
	char why[256];

	assert_int_equal(sg_rt_birdconf_plan(cfg, &plan, why, sizeof(why)), -EINVAL);
	if (strstr(why, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", why, want);
}

static void
test_refused(void **state)
{
	struct sg_cfg *cfg = load();
	struct sg_cfg_bgp *bgp = &cfg->appliance.cluster.bgp;
	(void)state;

	cfg->appliance.exception.enabled = false;
	refused(cfg, "appliance.exception.enabled");
	cfg->appliance.exception.enabled = true;
	set_addr(&bgp->peers[0].addr, "198.19.0.1", 32);
	refused(cfg, "peer router: no port address on-link");
	set_addr(&bgp->peers[0].addr, "198.18.1.77", 32); /* on-link with the second port */
	struct sg_rt_plan plan;
	char why[256];
	assert_int_equal(sg_rt_birdconf_plan(cfg, &plan, why, sizeof(why)), 0);
	bgp->n_peers = 0;
	refused(cfg, "needs 1..8 peers");
	bgp->enabled = false;
	refused(cfg, "enabled is false");
	/* an unwritable target: the error, nothing half-written */
	bgp->enabled = true;
	bgp->n_peers = 1;
	assert_int_equal(sg_rt_birdconf_plan(cfg, &plan, why, sizeof(why)), 0);
	assert_int_equal(sg_rt_birdconf_write(cfg, &plan, "/nonexistent/dir/bird.conf"), -ENOENT);
	sg_cfg_free(cfg);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_ibgp_ipv6),
		cmocka_unit_test(test_refused),
	};

	if (argc != 3) {
		fprintf(stderr, "usage: %s EXAMPLE.yaml BIRD\n", argv[0]);
		return 2;
	}
	example = argv[1];
	bird = argv[2];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
