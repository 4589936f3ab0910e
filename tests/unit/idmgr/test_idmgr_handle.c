/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests: ID encoding, type/namespace names, name syntax, handle and
 * numeric text forms (no store). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sg_idmgr.h"

static void
test_encoding(void **state)
{
	uint64_t id = sg_id_make(SG_ID_T_VM, 42);

	(void)state;
	assert_int_equal(SG_ID_ENCODING_VERSION, 1);
	assert_int_equal(sg_id_type_of(id), SG_ID_T_VM);
	assert_int_equal(sg_id_serial_of(id), 42);
	assert_false(sg_id_is_temp(id));
	assert_true(sg_id_valid(id));
	assert_true(id == UINT64_C(0x040000000000002a));
	id = sg_id_make(SG_ID_T_STREAMING, SG_ID_SERIAL_MAX);
	assert_true(sg_id_is_temp(id));
	assert_int_equal(sg_id_type_of(id), SG_ID_T_STREAMING);
	assert_true(sg_id_serial_of(id) == SG_ID_SERIAL_MAX);
	assert_false(sg_id_valid(SG_ID_NONE));
	assert_false(sg_id_valid(sg_id_make(SG_ID_T_VM, 0)));
	assert_false(sg_id_valid(sg_id_make(0x55, 1)));
	assert_false(sg_id_type_valid(0));
	assert_false(sg_id_type_valid(SG_ID_T_PERSISTENT_LAST + 1));
	for (unsigned int t = 0; t < 256; t++) {
		if (!sg_id_type_valid(t))
			continue;
		assert_non_null(sg_id_type_name(t));
		assert_int_equal(sg_id_type_from_name(sg_id_type_name(t)), (int)t);
		assert_int_not_equal(sg_id_type_ns(t), SG_ID_NS_NONE);
		assert_int_equal(sg_id_type_is_temp(t), sg_id_type_ns(t) == SG_ID_NS_SESSION);
	}
	/* every type the issue names exists */
	static const char *const need[] = {"dc",      "group",	"host",	   "vm",       "vnic",
					   "vswitch", "nic",	"hba",	   "storage",  "lun",
					   "user",    "app",	"vapp",	   "domain",   "component",
					   "sp",      "stream", "ctlsess", "usersess", "svcsess"};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		assert_true(sg_id_type_from_name(need[i]) > 0);
	assert_int_equal(sg_id_type_from_name("vmx"), -EINVAL);
	assert_int_equal(sg_id_ns_from_name("infra"), SG_ID_NS_INFRA);
	assert_int_equal(sg_id_ns_from_name("nope"), -EINVAL);
	assert_null(sg_id_ns_name(0));
	assert_null(sg_id_ns_name(SG_ID_NS_LAST + 1));
	for (unsigned int r = 1; r <= SG_ID_REL_LAST; r++)
		assert_int_equal(sg_id_rel_from_name(sg_id_rel_name(r)), (int)r);
	assert_null(sg_id_rel_name(0));
	assert_int_equal(sg_id_rel_from_name("friend_of"), -EINVAL);
}

struct name_case {
	unsigned int ns, type;
	const char *name;
	int rc;
};

static void
test_name_rules(void **state)
{
	static const struct name_case cases[] = {
		{SG_ID_NS_INFRA, SG_ID_T_HOST, "host-01.rack-a", 0},
		{SG_ID_NS_INFRA, SG_ID_T_VM, "a", 0},
		{SG_ID_NS_INFRA, SG_ID_T_VM, "Web1", -EINVAL},
		{SG_ID_NS_INFRA, SG_ID_T_VM, "-web", -EINVAL},
		{SG_ID_NS_INFRA, SG_ID_T_VM, "web-", -EINVAL},
		{SG_ID_NS_INFRA, SG_ID_T_VM, "a..b", -EINVAL},
		{SG_ID_NS_INFRA, SG_ID_T_VM, "a.", -EINVAL},
		{SG_ID_NS_INFRA, SG_ID_T_VM, "a b", -EINVAL},
		{SG_ID_NS_INFRA, SG_ID_T_VM, "a/b", -EINVAL},
		{SG_ID_NS_INFRA, SG_ID_T_USER, "alice", -EINVAL}, /* wrong namespace */
		{SG_ID_NS_USER, SG_ID_T_USER, "alice", 0},
		{SG_ID_NS_USER, SG_ID_T_USER, "Alice.Smith+x@example.com", 0},
		{SG_ID_NS_USER, SG_ID_T_USER, "@example.com", -EINVAL},
		{SG_ID_NS_USER, SG_ID_T_USER, "a@@b", -EINVAL},
		{SG_ID_NS_USER, SG_ID_T_USER, ".alice", -EINVAL},
		{SG_ID_NS_USER, SG_ID_T_USER, "al ice", -EINVAL},
		{SG_ID_NS_APP, SG_ID_T_APP, "CRM:v2.prod_eu-1", 0},
		{SG_ID_NS_APP, SG_ID_T_COMPONENT, "_x", -EINVAL},
		{SG_ID_NS_APP, SG_ID_T_DOMAIN, "a/b", -EINVAL},
		{SG_ID_NS_SP, SG_ID_T_SP, "vm-manager", 0},
		{SG_ID_NS_SP, SG_ID_T_SP, "VM", -EINVAL},
		{SG_ID_NS_SP, SG_ID_T_SP, "1abc", -EINVAL},
		{SG_ID_NS_SESSION, SG_ID_T_STREAMING, "123", 0},
		{SG_ID_NS_SESSION, SG_ID_T_STREAMING, "0123", -EINVAL},
		{SG_ID_NS_SESSION, SG_ID_T_STREAMING, "0", -EINVAL},
		{SG_ID_NS_SESSION, SG_ID_T_STREAMING, "12a", -EINVAL},
		{SG_ID_NS_SESSION, SG_ID_T_STREAMING, "72057594037927936", -ERANGE}, /* 2^56 */
		{SG_ID_NS_SESSION, SG_ID_T_STREAMING, "72057594037927935", 0},
		{SG_ID_NS_INFRA, 0x55, "a", -EINVAL},
		{99, SG_ID_T_VM, "a", -EINVAL},
		{SG_ID_NS_INFRA, SG_ID_T_VM, "", -EINVAL},
	};
	char err[256], big[300];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = sg_id_name_check(cases[i].ns, cases[i].type, cases[i].name,
					  strlen(cases[i].name), err, sizeof(err));

		if (rc != cases[i].rc)
			fail_msg("case %zu '%s': got %d want %d (%s)", i, cases[i].name, rc,
				 cases[i].rc, err);
		if (rc < 0)
			assert_true(strlen(err) > 0);
	}
	/* length bounds: labels <= 63, names <= 253, app <= 128, sp <= 32 */
	memset(big, 'a', sizeof(big));
	assert_int_equal(sg_id_name_check(SG_ID_NS_INFRA, SG_ID_T_VM, big, 63, NULL, 0), 0);
	assert_int_equal(sg_id_name_check(SG_ID_NS_INFRA, SG_ID_T_VM, big, 64, NULL, 0),
			 -ENAMETOOLONG);
	for (int i = 63; i < 253; i += 64)
		big[i] = '.';
	assert_int_equal(sg_id_name_check(SG_ID_NS_INFRA, SG_ID_T_VM, big, 253, err, sizeof(err)),
			 0);
	assert_int_equal(sg_id_name_check(SG_ID_NS_INFRA, SG_ID_T_VM, big, 254, err, sizeof(err)),
			 -ENAMETOOLONG);
	memset(big, 'a', sizeof(big));
	assert_int_equal(sg_id_name_check(SG_ID_NS_APP, SG_ID_T_APP, big, 128, NULL, 0), 0);
	assert_int_equal(sg_id_name_check(SG_ID_NS_APP, SG_ID_T_APP, big, 129, NULL, 0),
			 -ENAMETOOLONG);
	assert_int_equal(sg_id_name_check(SG_ID_NS_SP, SG_ID_T_SP, big, 33, NULL, 0),
			 -ENAMETOOLONG);
	assert_int_equal(sg_id_name_check(SG_ID_NS_USER, SG_ID_T_USER, big, 65, NULL, 0),
			 -ENAMETOOLONG);
}

static void
test_handle_roundtrip(void **state)
{
	static const char *const good[] = {
		"infra/dc/dc1",		 "infra/vm/web-1.prod",
		"infra/vnic/web-1.eth0", "user/user/bob@corp.example",
		"app/app/crm",		 "app/component/crm.web:8080",
		"sp/sp/vm-manager",	 "session/stream/77",
		"session/ctlsess/1",
	};
	static const char *const bad[] = {
		"",
		"infra",
		"infra/vm",
		"infra/vm/",
		"/vm/a",
		"infra//a",
		"nope/vm/a",
		"infra/nope/a",
		"infra/user/a",
		"user/vm/a",
		"infra/vm/A",
		"infra/vm/a/b",
		"session/stream/0",
		"session/stream/x",
		"infra/vm/a\n",
		"infra/vm/a\0b",
	};
	struct sg_id_handle h;
	char buf[SG_ID_HANDLE_MAX + 1], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = sg_id_handle_parse(good[i], strlen(good[i]), &h, err, sizeof(err));

		if (rc != 0)
			fail_msg("'%s' rejected: %s", good[i], err);
		rc = sg_id_handle_format(&h, buf, sizeof(buf));
		assert_int_equal(rc, (int)strlen(good[i]));
		assert_string_equal(buf, good[i]);
	}
	assert_int_equal(sg_id_handle_parse("session/stream/77", 17, &h, NULL, 0), 0);
	assert_true(h.id == sg_id_make(SG_ID_T_STREAMING, 77));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);

		if (i == sizeof(bad) / sizeof(bad[0]) - 1)
			len = 13; /* embedded NUL */
		err[0] = '\0';
		if (sg_id_handle_parse(bad[i], len, &h, err, sizeof(err)) >= 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(strlen(err) > 0);
	}
	/* oversized handle */
	{
		char big[SG_ID_HANDLE_MAX + 20] = "infra/vm/";
		size_t pre = strlen(big);

		/* no NUL anywhere: the parser must go by the length it is given */
		memset(big + pre, 'a', sizeof(big) - pre);
		assert_int_equal(sg_id_handle_parse(big, sizeof(big), &h, err, sizeof(err)),
				 -ENAMETOOLONG);
	}
	/* formatting into a small buffer */
	assert_int_equal(sg_id_handle_parse("infra/dc/dc1", 12, &h, NULL, 0), 0);
	assert_int_equal(sg_id_handle_format(&h, buf, 12), -ENOSPC);
	assert_int_equal(sg_id_handle_format(&h, buf, 13), 12);
	h.type = 0x55;
	assert_int_equal(sg_id_handle_format(&h, buf, sizeof(buf)), -EINVAL);
}

static void
test_text_form(void **state)
{
	char buf[SG_ID_TEXT_MAX];
	uint64_t id;

	(void)state;
	assert_int_equal(sg_id_text_format(sg_id_make(SG_ID_T_VM, 42), buf, sizeof(buf)), 5);
	assert_string_equal(buf, "vm#42");
	assert_int_equal(sg_id_text_parse("vm#42", &id), 0);
	assert_true(id == sg_id_make(SG_ID_T_VM, 42));
	assert_int_equal(sg_id_text_parse("0x040000000000002a", &id), 0);
	assert_true(id == sg_id_make(SG_ID_T_VM, 42));
	assert_int_equal(sg_id_text_parse("stream#72057594037927935", &id), 0);
	assert_true(sg_id_is_temp(id));
	assert_int_equal(sg_id_text_format(id, buf, sizeof(buf)), 24);
	assert_int_equal(sg_id_text_parse("stream#72057594037927936", &id), -ERANGE);
	assert_int_equal(sg_id_text_parse("vm#0", &id), -EINVAL);
	assert_int_equal(sg_id_text_parse("vm#", &id), -EINVAL);
	assert_int_equal(sg_id_text_parse("vm#-1", &id), -EINVAL);
	assert_int_equal(sg_id_text_parse("xx#1", &id), -EINVAL);
	assert_int_equal(sg_id_text_parse("0x", &id), -EINVAL);
	assert_int_equal(sg_id_text_parse("0x040000000000000001", &id), -ERANGE);
	assert_int_equal(sg_id_text_parse("0x5500000000000001", &id), -EINVAL);
	assert_int_equal(sg_id_text_parse("0x04zz", &id), -EINVAL);
	assert_int_equal(sg_id_text_format(0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sg_id_text_format(sg_id_make(SG_ID_T_VM, 42), buf, 5), -ENOSPC);
	/* round trip over every type and a spread of serials */
	for (unsigned int t = 1; t < 256; t++) {
		if (!sg_id_type_valid(t))
			continue;
		for (uint64_t sr = 1; sr < SG_ID_SERIAL_MAX; sr = sr * 7 + 3) {
			uint64_t in = sg_id_make(t, sr), out;

			assert_true(sg_id_text_format(in, buf, sizeof(buf)) > 0);
			assert_int_equal(sg_id_text_parse(buf, &out), 0);
			assert_true(in == out);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_handle_roundtrip),
		cmocka_unit_test(test_text_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
