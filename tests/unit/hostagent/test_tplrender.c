/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the domain XML templates: substitution (hostagent/tplrender.c)
 * and the templates section of the agent YAML (hostagent/ha_config_tpl.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ha_config.h"
#include "tplrender.h"

static char keyfile[] = "/tmp/sgha-tpl-key-XXXXXX";
static char tplfile[] = "/tmp/sgha-tpl-xml-XXXXXX";
static struct sg_ha_config cfg;

static int
setup(void **state)
{
	int fd = mkstemp(keyfile), fd2 = mkstemp(tplfile);

	(void)state;
	if (fd < 0 || fd2 < 0)
		return -1;
	if (write(fd, "0123456789abcdef-key\n", 21) != 21 || write(fd2, "<domain/>\n", 10) != 10)
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
	unlink(tplfile);
	return 0;
}

static struct sg_ha_template_cfg tvars = {
	.name = "guest",
	.vars = {{"KERNEL", "/srv/vmlinuz"}, {"BRIDGE", "br0"}, {"MEMORY_MB", "128"}},
	.n_vars = 3,
};

static long
render(const char *tpl, const struct sg_ha_tpl_subst *s, char *out, size_t cap, char *err)
{
	return sg_ha_tpl_render(tpl, strlen(tpl), s, out, cap, err, 160);
}

static void
test_every_variable(void **state)
{
	struct sg_ha_tpl_subst s = {.name = "vm-a",
				    .uuid = "5a7e0001-0000-4000-8000-000000000001",
				    .disk = "/d/a.qcow2",
				    .addr = "2001:2::10",
				    .t = &tvars};
	char out[1024], err[160] = "";
	long n;

	(void)state;
	sg_ha_tpl_mac("vm-a", s.mac);
	n = render("<n>@NAME@</n><u>@UUID@</u><d>@DISK@</d><a>@ADDR@</a><m>@MAC@</m>"
		   "<k>@KERNEL@</k><b>@BRIDGE@</b><r>@MEMORY_MB@</r> user@host @ @@ @lower@",
		   &s, out, sizeof(out), err);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(out));
	/* MAC: FNV-1a 32 of "vm-a" = 0x..b7a1f6 (computed independently) */
	assert_string_equal(out, "<n>vm-a</n><u>5a7e0001-0000-4000-8000-000000000001</u>"
				 "<d>/d/a.qcow2</d><a>2001:2::10</a><m>52:54:00:b7:a1:f6</m>"
				 "<k>/srv/vmlinuz</k><b>br0</b><r>128</r> user@host @ @@ @lower@");
}

static void
test_mac(void **state)
{
	char a[SG_HA_MAC_LEN], b[SG_HA_MAC_LEN], c[SG_HA_MAC_LEN];

	(void)state;
	sg_ha_tpl_mac("vm-a", a);
	sg_ha_tpl_mac("vm-a", b);
	sg_ha_tpl_mac("vm-b", c);
	assert_string_equal(a, b); /* stable */
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 17);
	assert_memory_equal(a, "52:54:00:", 9);
	for (const char *p = a; *p; p++) /* lower-case hex */
		assert_true(*p == ':' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
}

static void
test_refused(void **state)
{
	struct sg_ha_tpl_subst s = {
		.name = "vm-a", .uuid = "", .disk = "/d/a<b", .addr = "", .t = &tvars};
	char out[64], err[160] = "";

	(void)state;
	sg_ha_tpl_mac("vm-a", s.mac);
	assert_int_equal(render("<a>\n<b>@NOPE@</b>", &s, out, sizeof(out), err), -EINVAL);
	assert_non_null(strstr(err, "line 2: unknown variable @NOPE@"));
	assert_int_equal(render("<d>@DISK@</d>", &s, out, sizeof(out), err), -EINVAL);
	assert_non_null(strstr(err, "@DISK@"));
	assert_non_null(strstr(err, "XML"));
	assert_int_equal(render("<a>@ADDR@</a>", &s, out, sizeof(out), err), -EINVAL);
	assert_non_null(strstr(err, "no address for @ADDR@"));
	s.disk = "";
	assert_int_equal(render("0123456789@KERNEL@0123456789012345678901234567890123456789"
				"0123456789",
				&s, out, sizeof(out), err),
			 -E2BIG);
	s.t = NULL; /* a template's var is unknown without it */
	assert_int_equal(render("@KERNEL@", &s, out, sizeof(out), err), -EINVAL);
}

static void
test_value_checks(void **state)
{
	static const char *const bad[] = {"<", ">", "&", "'", "\"", "a\nb", "\x7f", "\xc3\xa9"};

	(void)state;
	assert_true(sg_ha_tpl_value_ok("/srv/a b-c_1.2:3"));
	assert_true(sg_ha_tpl_value_ok(""));
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(sg_ha_tpl_value_ok(bad[i]));
	assert_true(sg_ha_tpl_key_ok("A"));
	assert_true(sg_ha_tpl_key_ok("MEMORY_MB2"));
	assert_true(sg_ha_tpl_key_ok("A234567890123456789012345678901")); /* 31 */
	assert_false(sg_ha_tpl_key_ok("A2345678901234567890123456789012"));
	assert_false(sg_ha_tpl_key_ok(""));
	assert_false(sg_ha_tpl_key_ok("1A"));
	assert_false(sg_ha_tpl_key_ok("_A"));
	assert_false(sg_ha_tpl_key_ok("Ab"));
	assert_true(sg_ha_tpl_key_builtin("MAC"));
	assert_false(sg_ha_tpl_key_builtin("MACS"));
}

static int
parse(const char *yaml, struct sg_cfg_error *err)
{
	char buf[4096];

	snprintf(buf, sizeof(buf),
		 "host: h\nlibvirt: {uri: \"test:///default\"}\n"
		 "control: {address: 127.0.0.1, key_file: %s}\n%s",
		 keyfile, yaml);
	return sg_ha_config_parse(buf, strlen(buf), "t.yaml", &cfg, err);
}

static void
test_config(void **state)
{
	struct sg_cfg_error err = {0};
	char yaml[1024], msg[512];

	(void)state;
	snprintf(yaml, sizeof(yaml),
		 "templates:\n"
		 "  - name: guest\n"
		 "    path: %s\n"
		 "    vars: {KERNEL: /x/vmlinuz, BRIDGE: br0, PREFIX: \"24\"}\n"
		 "  - {name: bare, path: %s}\n"
		 "vms:\n"
		 "  - {name: a, template: guest, address: 198.18.5.2}\n"
		 "  - {name: b, template: %s}\n",
		 tplfile, tplfile, tplfile);
	assert_int_equal(parse(yaml, &err), 0);
	assert_int_equal(cfg.n_templates, 2);
	assert_string_equal(cfg.templates[0].path, tplfile);
	assert_int_equal(cfg.templates[0].n_vars, 3);
	assert_string_equal(cfg.templates[0].vars[2].key, "PREFIX");
	assert_string_equal(cfg.templates[0].vars[2].value, "24");
	assert_ptr_equal(sg_ha_config_template(&cfg, "bare"), &cfg.templates[1]);
	assert_null(sg_ha_config_template(&cfg, "nope"));
	assert_string_equal(cfg.vms[0].template_name, "guest");
	assert_string_equal(cfg.vms[0].template_path, "");
	assert_string_equal(cfg.vms[1].template_path, tplfile);
	assert_string_equal(cfg.vms[1].template_name, "");
	(void)msg;
}

static void
expect_error(const char *yaml, const char *want)
{
	struct sg_cfg_error err = {0};
	char msg[512];

	assert_int_equal(parse(yaml, &err), -EINVAL);
	sg_cfg_error_format(&err, msg, sizeof(msg));
	if (strstr(msg, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", msg, want);
}

static void
test_config_errors(void **state)
{
	char y[1024];

	(void)state;
	snprintf(y, sizeof(y), "templates:\n  - {name: g, path: %s, vars: {lower: x}}\n", tplfile);
	expect_error(y, "t.yaml:5:");
	expect_error(y, "templates[0].vars.lower");
	snprintf(y, sizeof(y), "templates:\n  - {name: g, path: %s, vars: {NAME: x}}\n", tplfile);
	expect_error(y, "not NAME");
	snprintf(y, sizeof(y), "templates:\n  - {name: g, path: %s, vars: {K: \"a<b\"}}\n",
		 tplfile);
	expect_error(y, "templates[0].vars.K: printable characters only");
	snprintf(y, sizeof(y), "templates:\n  - {name: g, path: %s, vars: {K: \"a&b\"}}\n",
		 tplfile);
	expect_error(y, "none of <>&'\"");
	expect_error("templates:\n  - {name: g, path: /nonexistent/t.xml}\n",
		     "templates[0].path: /nonexistent/t.xml: No such file");
	expect_error("templates:\n  - {name: g}\n", "templates[0].path: missing");
	expect_error("templates:\n  - {name: \"a b\", path: /etc/hostname}\n", "templates[0].name");
	snprintf(y, sizeof(y), "templates:\n  - {name: g, path: %s}\n  - {name: g, path: %s}\n",
		 tplfile, tplfile);
	expect_error(y, "listed twice");
	snprintf(y, sizeof(y), "templates:\n  - {name: g, path: %s, extra: 1}\n", tplfile);
	expect_error(y, "extra");
	expect_error("vms:\n  - {name: a, template: nope}\n", "no template named \"nope\"");
	y[0] = '\0';
	strcat(y, "templates:\n");
	for (int i = 0; i < 17; i++) {
		char line[128];

		snprintf(line, sizeof(line), "  - {name: t%d, path: %s}\n", i, tplfile);
		strcat(y, line);
	}
	expect_error(y, "templates");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_variable), cmocka_unit_test(test_mac),
		cmocka_unit_test(test_refused),	       cmocka_unit_test(test_value_checks),
		cmocka_unit_test(test_config),	       cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
