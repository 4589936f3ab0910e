/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the ring message format and its validator (sg_msg.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sessiongate/sg_msg.h"

static void
make(struct sg_msg *m, uint16_t type)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = SG_MSG_VERSION;
	m->hdr.type = type;
	m->hdr.len = (uint16_t)(sizeof(m->hdr) + sg_msg_body_size(type));
	m->hdr.session_id = 42;
}

static void
make_new(struct sg_msg *m)
{
	make(m, SG_MSG_SESSION_NEW);
	m->session_new.flow.family = 4;
	m->session_new.flow.proto = 6;
	m->session_new.flow.sport = 40000;
	m->session_new.flow.dport = 80;
	m->session_new.key_type = SG_MSG_L7_HTTP_HOST;
	m->session_new.key_len = 4;
	memcpy(m->session_new.key, "vm-1", 4);
}

static void
test_valid_each_type(void **state)
{
	struct sg_msg m;

	(void)state;
	make_new(&m);
	assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
	make(&m, SG_MSG_SESSION_INSTALL);
	m.install.mode = SG_MSG_INSTALL_NAT;
	m.install.family = 4;
	m.install.backend_port = 80;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
	make(&m, SG_MSG_SESSION_REJECT);
	m.reject.reason = SG_MSG_REASON_QUEUE_FULL;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
	make(&m, SG_MSG_SESSION_CLOSED);
	assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
	make(&m, SG_MSG_SESSION_RESYNC);
	assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
	make(&m, SG_MSG_VS_STATS);
	assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
	make(&m, SG_MSG_SESSION_AUDIT);
	assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
	make(&m, SG_MSG_SESSION_ALIVE);
	m.alive.n = SG_MSG_ALIVE_MAX;
	m.alive.last = 1;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
	m.alive.n = SG_MSG_ALIVE_MAX + 1; /* more IDs than the body holds */
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTO);
	m.alive.n = 0;
	m.alive.last = 2;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTO);
}

static void
test_sizes_and_version(void **state)
{
	struct sg_msg m;

	(void)state;
	make_new(&m);
	assert_int_equal(sg_msg_check(NULL, sizeof(m)), -EMSGSIZE);
	assert_int_equal(sg_msg_check(&m, sizeof(m) - 1), -EMSGSIZE);
	assert_int_equal(sg_msg_check(&m, 0), -EMSGSIZE);
	m.hdr.version = SG_MSG_VERSION + 1;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTONOSUPPORT);
	make_new(&m);
	m.hdr.type = 0;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EBADMSG);
	m.hdr.type = SG_MSG_TYPE_MAX;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EBADMSG);
	make_new(&m);
	m.hdr.len = SG_MSG_SIZE;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EBADMSG);
}

static void
test_fields_out_of_range(void **state)
{
	struct sg_msg m;

	(void)state;
	make_new(&m);
	m.session_new.key_len = SG_MSG_KEY_MAX + 1;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTO);
	make_new(&m);
	m.session_new.key_type = SG_MSG_L7_MAX;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTO);
	make_new(&m);
	m.session_new.key_type = SG_MSG_L7_NONE;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTO);
	make_new(&m);
	m.session_new.flow.family = 5;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTO);
	make_new(&m);
	m.session_new.flow.proto = 1;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTO);
	make_new(&m);
	m.session_new.flow.dport = 0;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTO);
	make(&m, SG_MSG_SESSION_INSTALL);
	m.install.mode = SG_MSG_INSTALL_MAX;
	m.install.family = 4;
	m.install.backend_port = 80;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTO);
	m.install.mode = SG_MSG_INSTALL_DSR;
	m.install.backend_port = 0;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTO);
	m.install.mode = SG_MSG_INSTALL_REDIRECT;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
	make(&m, SG_MSG_SESSION_REJECT);
	m.reject.reason = SG_MSG_REASON_MAX;
	assert_int_equal(sg_msg_check(&m, sizeof(m)), -EPROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_each_type),
		cmocka_unit_test(test_sizes_and_version),
		cmocka_unit_test(test_fields_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
