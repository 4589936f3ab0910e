/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Schema helpers of config/sg_cfg_doc.h (schema.c, node.c, addr.c): every
 * helper on good and bad nodes, with the exact message the operator sees.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "cfg_test.h"
#include "sg_cfg_doc.h"

static const char text[] =
	"u: 42\n"
	"zero: 0\n"
	"lead: 007\n"
	"neg: -1\n"
	"huge: 99999999999999999999999\n"
	"qnum: \"42\"\n"
	"empty:\n"
	"tilde: ~\n"
	"t: true\n"
	"T: True\n"
	"f: FALSE\n"
	"yes: yes\n"
	"qt: 'true'\n"
	"s: hello world\n"
	"nul: \"a\\0b\"\n"
	"name: web-1.a_B\n"
	"badname: web/1\n"
	"longname: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	"toolong: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	"v4: 198.18.0.1\n"
	"v4p: 198.18.0.0/15\n"
	"v6: 2001:2::1\n"
	"v6p: 2001:2::/48\n"
	"bad4: 198.18.0.256\n"
	"short4: 198.18\n"
	"badp: 198.18.0.1/33\n"
	"badp6: 2001:2::1/129\n"
	"p0: 198.18.0.1/01\n"
	"zone: fe80::1%eth0\n"
	"mode: nat\n"
	"map: {a: 1, b: 2}\n"
	"seq: [1, 2, 3]\n";

struct fixture {
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;
};

static int
setup(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	if (sg_cfg_doc_parse(text, sizeof(text) - 1, "s.yaml", &fx.doc, &fx.err) != 0) {
		fprintf(stderr, "%s\n", err_text(&fx.err));
		return -1;
	}
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	sg_cfg_doc_free(fx->doc);
	return 0;
}

static const struct sg_cfg_node *
node(struct fixture *fx, const char *key)
{
	const struct sg_cfg_node *n = sg_cfg_node_get(fx->doc->root, key);

	assert_non_null(n);
	return n;
}

static void
test_uint(void **state)
{
	struct fixture *fx = *state;
	uint64_t v = 0;

	assert_int_equal(sg_cfg_node_uint(fx->doc, node(fx, "u"), "u", 0, 100, &v, &fx->err), 0);
	assert_int_equal(v, 42);
	assert_int_equal(sg_cfg_node_uint(fx->doc, node(fx, "zero"), "zero", 0, 1, &v, &fx->err),
			 0);
	assert_int_equal(v, 0);
	assert_int_equal(sg_cfg_node_uint(fx->doc, node(fx, "u"), "x.u", 43, 100, &v, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err), "s.yaml:1:4: x.u: 42 is out of range 43..100");
	assert_int_equal(sg_cfg_node_uint(fx->doc, node(fx, "u"), "u", 0, 41, &v, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err), "s.yaml:1:4: u: 42 is out of range 0..41");
	assert_int_equal(sg_cfg_node_uint(fx->doc, node(fx, "lead"), "lead", 0, 100, &v, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err), "s.yaml:3:7: lead: \"007\": write the number in "
						"decimal without leading zeros");
	assert_int_equal(sg_cfg_node_uint(fx->doc, node(fx, "neg"), "neg", 0, 100, &v, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:4:6: neg: expected an integer 0..100, found \"-1\"");
	assert_int_equal(
		sg_cfg_node_uint(fx->doc, node(fx, "huge"), "huge", 0, UINT64_MAX, &v, &fx->err),
		-EINVAL);
	assert_string_equal(err_text(&fx->err), "s.yaml:5:7: huge: 99999999999999999999999 is out "
						"of range 0..18446744073709551615");
	assert_int_equal(sg_cfg_node_uint(fx->doc, node(fx, "qnum"), "qnum", 0, 100, &v, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err), "s.yaml:6:7: qnum: expected an integer 0..100, "
						"found a quoted string (remove the quotes)");
	assert_int_equal(
		sg_cfg_node_uint(fx->doc, node(fx, "empty"), "empty", 0, 100, &v, &fx->err),
		-EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:7:7: empty: expected an integer 0..100, found nothing");
	assert_int_equal(sg_cfg_node_uint(fx->doc, node(fx, "map"), "map", 0, 100, &v, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:31:6: map: expected an integer 0..100, found a map");
}

static void
test_bool(void **state)
{
	struct fixture *fx = *state;
	bool b = false;

	assert_int_equal(sg_cfg_node_bool(fx->doc, node(fx, "t"), "t", &b, &fx->err), 0);
	assert_true(b);
	assert_int_equal(sg_cfg_node_bool(fx->doc, node(fx, "T"), "T", &b, &fx->err), 0);
	assert_true(b);
	assert_int_equal(sg_cfg_node_bool(fx->doc, node(fx, "f"), "f", &b, &fx->err), 0);
	assert_false(b);
	assert_int_equal(sg_cfg_node_bool(fx->doc, node(fx, "yes"), "yes", &b, &fx->err), -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:12:6: yes: expected true or false, found \"yes\"");
	assert_int_equal(sg_cfg_node_bool(fx->doc, node(fx, "qt"), "qt", &b, &fx->err), -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:13:5: qt: expected true or false, found a quoted \"true\"");
	assert_int_equal(sg_cfg_node_bool(fx->doc, node(fx, "tilde"), "tilde", &b, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:8:8: tilde: expected true or false, found nothing");
	assert_int_equal(sg_cfg_node_bool(fx->doc, node(fx, "seq"), "seq", &b, &fx->err), -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:32:6: seq: expected true or false, found a sequence");
}

static void
test_string(void **state)
{
	struct fixture *fx = *state;
	char out[16];

	assert_int_equal(
		sg_cfg_node_string(fx->doc, node(fx, "s"), "s", out, sizeof(out), &fx->err), 0);
	assert_string_equal(out, "hello world");
	/* Numbers written plain are still usable as strings. */
	assert_int_equal(
		sg_cfg_node_string(fx->doc, node(fx, "u"), "u", out, sizeof(out), &fx->err), 0);
	assert_string_equal(out, "42");
	assert_int_equal(sg_cfg_node_string(fx->doc, node(fx, "s"), "s", out, 11, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:14:4: s: string of 11 bytes is too long (at most 10)");
	assert_int_equal(
		sg_cfg_node_string(fx->doc, node(fx, "nul"), "nul", out, sizeof(out), &fx->err),
		-EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:15:6: nul: expected a string, found a NUL character");
	assert_int_equal(
		sg_cfg_node_string(fx->doc, node(fx, "empty"), "empty", out, sizeof(out), &fx->err),
		-EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:7:7: empty: expected a string, found nothing (null)");
	assert_int_equal(
		sg_cfg_node_string(fx->doc, node(fx, "seq"), "seq", out, sizeof(out), &fx->err),
		-EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:32:6: seq: expected a string, found a sequence");
}

static void
test_name(void **state)
{
	struct fixture *fx = *state;
	char out[SG_CFG_NAME_MAX];

	assert_int_equal(sg_cfg_node_name(fx->doc, node(fx, "name"), "name", out, &fx->err), 0);
	assert_string_equal(out, "web-1.a_B");
	assert_int_equal(sg_cfg_node_name(fx->doc, node(fx, "longname"), "longname", out, &fx->err),
			 0);
	assert_int_equal(strlen(out), 63);
	assert_int_equal(sg_cfg_node_name(fx->doc, node(fx, "toolong"), "toolong", out, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:19:10: toolong: a name has 1 to 63 characters, not 64");
	assert_int_equal(sg_cfg_node_name(fx->doc, node(fx, "badname"), "badname", out, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:17:10: badname: invalid character at position 4 of name "
			    "\"web/1\" (use A-Z a-z 0-9 _ . -)");
	assert_int_equal(sg_cfg_node_name(fx->doc, node(fx, "s"), "s", out, &fx->err), -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:14:4: s: invalid character at position 6 of name \"hello "
			    "world\" (use A-Z a-z 0-9 _ . -)");
}

static void
test_addr(void **state)
{
	struct fixture *fx = *state;
	struct sg_cfg_addr a;
	char buf[64];

	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "v4"), "v4", false, &a, &fx->err), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.prefixlen, 32);
	assert_int_equal(a.v4, htonl(0xc6120001));
	assert_string_equal(sg_cfg_addr_format(&a, buf, sizeof(buf)), "198.18.0.1");
	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "v4p"), "v4p", true, &a, &fx->err), 0);
	assert_int_equal(a.prefixlen, 15);
	assert_string_equal(sg_cfg_addr_format(&a, buf, sizeof(buf)), "198.18.0.0/15");
	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "v6"), "v6", false, &a, &fx->err), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.prefixlen, 128);
	assert_int_equal(a.v6[0], 0x20);
	assert_int_equal(a.v6[15], 1);
	assert_string_equal(sg_cfg_addr_format(&a, buf, sizeof(buf)), "2001:2::1");
	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "v6p"), "v6p", true, &a, &fx->err), 0);
	assert_string_equal(sg_cfg_addr_format(&a, buf, sizeof(buf)), "2001:2::/48");

	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "v4p"), "v4p", false, &a, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:21:6: v4p: \"198.18.0.0/15\" is not an IP address: a prefix "
			    "length is not allowed here");
	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "bad4"), "bad4", true, &a, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:24:7: bad4: \"198.18.0.256\" is not an IP address with "
			    "optional /prefix: not a valid IPv4 address (a.b.c.d)");
	assert_int_equal(
		sg_cfg_node_addr(fx->doc, node(fx, "short4"), "short4", false, &a, &fx->err),
		-EINVAL);
	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "badp"), "badp", true, &a, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:26:7: badp: \"198.18.0.1/33\" is not an IP address with "
			    "optional /prefix: prefix length 33 is over 32");
	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "badp6"), "badp6", true, &a, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:27:8: badp6: \"2001:2::1/129\" is not an IP address with "
			    "optional /prefix: prefix length 129 is over 128");
	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "p0"), "p0", true, &a, &fx->err),
			 -EINVAL);
	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "zone"), "zone", false, &a, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err), "s.yaml:29:7: zone: \"fe80::1%eth0\" is not an IP "
						"address: not a valid IPv6 address");
	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "u"), "u", false, &a, &fx->err),
			 -EINVAL);
	assert_int_equal(sg_cfg_node_addr(fx->doc, node(fx, "empty"), "e", false, &a, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:7:7: e: expected an IP address, found nothing (null)");
	memset(&a, 0, sizeof(a));
	assert_string_equal(sg_cfg_addr_format(&a, buf, sizeof(buf)), "none");
}

static void
test_enum(void **state)
{
	static const char *const modes[] = {"dsr", "nat", "brokered", "redirect", NULL};
	struct fixture *fx = *state;
	unsigned int v = 99;

	assert_int_equal(sg_cfg_node_enum(fx->doc, node(fx, "mode"), "mode", modes, &v, &fx->err),
			 0);
	assert_int_equal(v, 1);
	assert_int_equal(sg_cfg_node_enum(fx->doc, node(fx, "s"), "s", modes, &v, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err), "s.yaml:14:4: s: \"hello world\" is not one of "
						"dsr | nat | brokered | redirect");
	assert_int_equal(sg_cfg_node_enum(fx->doc, node(fx, "map"), "m", modes, &v, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err), "s.yaml:31:6: m: expected one of dsr | nat | "
						"brokered | redirect, found a map");
}

static void
test_check_keys(void **state)
{
	static const char *const all[] = {
		"u",	   "zero", "lead", "neg", "huge", "qnum", "empty",  "tilde",   "t",
		"T",	   "f",	   "yes",  "qt",  "s",	  "nul",  "name",   "badname", "longname",
		"toolong", "v4",   "v4p",  "v6",  "v6p",  "bad4", "short4", "badp",    "badp6",
		"p0",	   "zone", "mode", "map", "seq",  NULL};
	static const char *const ab[] = {"a", "bee", NULL};
	static const char *const close[] = {"bee", "bb", NULL};
	struct fixture *fx = *state;
	const struct sg_cfg_node *map = node(fx, "map");

	assert_int_equal(sg_cfg_node_check_keys(fx->doc, fx->doc->root, "", all, &fx->err), 0);
	assert_int_equal(sg_cfg_node_check_keys(fx->doc, map, "top.map", ab, &fx->err), -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:31:13: top.map.b: unknown key; did you mean \"a\"?");
	assert_int_equal(sg_cfg_node_check_keys(fx->doc, map, "top.map", close, &fx->err), -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:31:7: top.map.a: unknown key; did you mean \"bb\"?");
	assert_int_equal(sg_cfg_node_check_keys(fx->doc, fx->doc->root, "", ab, &fx->err), -EINVAL);
	assert_string_equal(err_text(&fx->err), "s.yaml:1:1: u: unknown key; did you mean \"a\"?");
	assert_int_equal(sg_cfg_node_check_keys(fx->doc, node(fx, "seq"), "seq", ab, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:32:6: seq: expected a map, found a sequence");
}

static void
test_check_keys_listing(void **state)
{
	static const char *const keys[] = {"workers", "memory_mb", NULL};
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;

	(void)state;
	assert_int_equal(
		sg_cfg_doc_parse("appliance: {wrkers: 1, colour: red}\n", 36, "k.yaml", &doc, &err),
		0);
	assert_int_equal(sg_cfg_node_check_keys(doc, doc->root->items[0], "appliance", keys, &err),
			 -EINVAL);
	assert_string_equal(
		err_text(&err),
		"k.yaml:1:13: appliance.wrkers: unknown key; did you mean \"workers\"?");
	doc->root->items[0]->key_nodes[0]->value[0] = 'x';
	doc->root->items[0]->key_nodes[0]->value[1] = 'x';
	doc->root->items[0]->key_nodes[0]->value[2] = 'x';
	assert_int_equal(sg_cfg_node_check_keys(doc, doc->root->items[0], "appliance", keys, &err),
			 -EINVAL);
	assert_string_equal(err_text(&err), "k.yaml:1:13: appliance.xxxers: unknown key (known "
					    "keys: workers, memory_mb)");
	sg_cfg_doc_free(doc);
}

static void
test_map_seq(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(sg_cfg_node_map(fx->doc, node(fx, "map"), "map", false, &fx->err), 0);
	assert_int_equal(sg_cfg_node_map(fx->doc, node(fx, "empty"), "e", true, &fx->err), 0);
	assert_int_equal(sg_cfg_node_map(fx->doc, node(fx, "empty"), "e", false, &fx->err),
			 -EINVAL);
	assert_string_equal(err_text(&fx->err), "s.yaml:7:7: e: expected a map of keys, found "
						"nothing");
	assert_int_equal(sg_cfg_node_seq(fx->doc, node(fx, "seq"), "seq", 3, &fx->err), 0);
	assert_int_equal(sg_cfg_node_seq(fx->doc, node(fx, "seq"), "seq", 2, &fx->err), -EINVAL);
	assert_string_equal(err_text(&fx->err),
			    "s.yaml:32:13: seq: 3 entries, over the limit of 2");
	assert_int_equal(sg_cfg_node_seq(fx->doc, node(fx, "map"), "map", 2, &fx->err), -EINVAL);
	assert_string_equal(err_text(&fx->err), "s.yaml:31:6: map: expected a list, found a map");
	assert_string_equal(sg_cfg_node_type_name(node(fx, "u")), "a scalar");
	assert_string_equal(sg_cfg_node_type_name(NULL), "nothing");
}

static void
test_error_set_and_format(void **state)
{
	struct fixture *fx = *state;
	struct sg_cfg_error err;
	char small[12];

	sg_cfg_error_set(&err, fx->doc, node(fx, "u"), "a.b", "value %d is %s", 42, "bad");
	assert_string_equal(err.file, "s.yaml");
	assert_int_equal(err.line, 1);
	assert_int_equal(err.column, 4);
	assert_string_equal(err.key, "a.b");
	assert_string_equal(err_text(&err), "s.yaml:1:4: a.b: value 42 is bad");
	sg_cfg_error_set(&err, fx->doc, NULL, "", "no place");
	assert_string_equal(err_text(&err), "s.yaml: no place");
	sg_cfg_error_set(&err, fx->doc, NULL, "k", "no place");
	assert_string_equal(err_text(&err), "s.yaml: k: no place");
	assert_string_equal(sg_cfg_error_format(&err, small, sizeof(small)), "s.yaml: k: ");
	sg_cfg_error_set(NULL, fx->doc, NULL, "k", "ignored");
	assert_string_equal(sg_cfg_error_format(NULL, small, sizeof(small)), "no error");
}

static void
test_enum_names(void **state)
{
	(void)state;
	assert_string_equal(sg_cfg_mode_name(SG_CFG_MODE_DSR), "dsr");
	assert_string_equal(sg_cfg_mode_name(SG_CFG_MODE_REDIRECT), "redirect");
	assert_string_equal(sg_cfg_mode_name((enum sg_cfg_mode)9), "unknown");
	assert_string_equal(sg_cfg_sched_name(SG_CFG_SCHED_LC), "lc");
	assert_string_equal(sg_cfg_proto_name(SG_CFG_PROTO_UDP), "udp");
	assert_string_equal(sg_cfg_proto_name((enum sg_cfg_proto)1), "unknown");
	assert_string_equal(sg_cfg_encap_name(SG_CFG_ENCAP_GUE), "gue");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint),	   cmocka_unit_test(test_bool),
		cmocka_unit_test(test_string),	   cmocka_unit_test(test_name),
		cmocka_unit_test(test_addr),	   cmocka_unit_test(test_enum),
		cmocka_unit_test(test_check_keys), cmocka_unit_test(test_check_keys_listing),
		cmocka_unit_test(test_map_seq),	   cmocka_unit_test(test_error_set_and_format),
		cmocka_unit_test(test_enum_names),
	};

	return cmocka_run_group_tests_name("config_schema", tests, setup, teardown);
}
