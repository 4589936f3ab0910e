/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the host agent protocol codec and handshake MACs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sessiongate/sg_agent_proto.h"

static const uint8_t key[] = "0123456789abcdef0123";

static void
full_msg(struct sg_agent_msg *m)
{
	sg_agent_msg_init(m, SG_AGENT_MSG_RESULT, 0xdeadbeef);
	sg_agent_msg_set_str(m, SG_AGENT_ATTR_HOST, "host-a");
	sg_agent_msg_set_str(m, SG_AGENT_ATTR_TEXT, "all fine");
	sg_agent_msg_set_str(m, SG_AGENT_ATTR_VM_NAME, "vm-web");
	memset(m->nonce, 0x11, sizeof(m->nonce));
	memset(m->mac, 0x22, sizeof(m->mac));
	memset(m->vm_uuid, 0x33, sizeof(m->vm_uuid));
	m->status = SG_AGENT_E_TIMEOUT;
	m->vm_state = SG_AGENT_VM_RUNNING;
	m->addr.family = SG_WIRE_FAMILY_V4;
	memcpy(m->addr.bytes, "\xc6\x12\x02\x0a", 4);
	m->port = 8080;
	m->deadline_ms = 123456;
	m->vip.family = SG_WIRE_FAMILY_V6;
	memset(m->vip.bytes, 0x20, 16);
	m->vip_port = 443;
	m->proto = 6;
	m->generation = 0x0102030405060708ull;
	m->count = 7;
	m->present |= 1u << SG_AGENT_ATTR_NONCE | 1u << SG_AGENT_ATTR_MAC |
		      1u << SG_AGENT_ATTR_VM_UUID | 1u << SG_AGENT_ATTR_STATUS |
		      1u << SG_AGENT_ATTR_VM_STATE | 1u << SG_AGENT_ATTR_ADDR |
		      1u << SG_AGENT_ATTR_PORT | 1u << SG_AGENT_ATTR_DEADLINE_MS |
		      1u << SG_AGENT_ATTR_VIP | 1u << SG_AGENT_ATTR_VIP_PORT |
		      1u << SG_AGENT_ATTR_PROTO | 1u << SG_AGENT_ATTR_GENERATION |
		      1u << SG_AGENT_ATTR_COUNT;
	strcpy(m->counters[0].name, "bpf_decap_ipip");
	m->counters[0].value = 99;
	strcpy(m->counters[1].name, "x");
	m->counters[1].value = UINT64_MAX;
	m->n_counters = 2;
}

static void
test_roundtrip(void **state)
{
	struct sg_agent_msg m, d;
	uint8_t buf[SG_AGENT_MSG_MAX];
	int n;

	(void)state;
	full_msg(&m);
	n = sg_agent_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > (int)SG_AGENT_HDR_LEN);
	assert_int_equal(sg_agent_msg_peek(buf, (size_t)n), n);
	assert_int_equal(sg_agent_msg_decode(buf, (size_t)n, &d), 0);
	/* The decoded family is the wire's (sg_wire.h), never AF_*. */
	assert_int_equal(d.addr.family, SG_WIRE_FAMILY_V4);
	assert_int_equal(d.vip.family, SG_WIRE_FAMILY_V6);
	/* decoded == original: it encodes to the same bytes (structs have padding) */
	{
		uint8_t buf2[SG_AGENT_MSG_MAX];

		assert_int_equal(sg_agent_msg_encode(&d, buf2, sizeof(buf2)), n);
		assert_memory_equal(buf, buf2, (size_t)n);
	}
	/* Header layout as documented: magic, version, type, length, seq, flags. */
	assert_int_equal(buf[0], 0x53);
	assert_int_equal(buf[1], 0x47);
	assert_int_equal(buf[2], SG_AGENT_VERSION);
	assert_int_equal(buf[3], SG_AGENT_MSG_RESULT);
	assert_int_equal((buf[4] << 24 | buf[5] << 16 | buf[6] << 8 | buf[7]), n - 16);
	assert_memory_equal(buf + 8, "\xde\xad\xbe\xef\0\0\0\0", 8);
}

static void
test_every_type(void **state)
{
	uint8_t buf[SG_AGENT_MSG_MAX];
	struct sg_agent_msg m, d;

	(void)state;
	for (unsigned int t = 1; t <= SG_AGENT_MSG_TYPE_MAX; t++) {
		int n;

		sg_agent_msg_init(&m, (uint8_t)t, t * 3);
		n = sg_agent_msg_encode(&m, buf, sizeof(buf));
		assert_int_equal(n, SG_AGENT_HDR_LEN);
		assert_int_equal(sg_agent_msg_decode(buf, (size_t)n, &d), 0);
		assert_int_equal(d.type, t);
		assert_int_equal(d.seq, t * 3);
		assert_string_not_equal(sg_agent_msg_type_name(t), "?");
	}
	assert_string_equal(sg_agent_msg_type_name(0), "?");
	assert_string_equal(sg_agent_vm_state_name(SG_AGENT_VM_BOOTING), "booting");
	assert_string_equal(sg_agent_vm_state_name(SG_AGENT_VM_APP_DOWN), "app_down");
	assert_string_equal(sg_agent_vm_state_name(SG_AGENT_VM_STATE_MAX + 1), "?");
	assert_string_equal(sg_agent_status_name(SG_AGENT_E_NO_SUCH_VM), "no such VM");
}

static void
test_encode_errors(void **state)
{
	uint8_t buf[SG_AGENT_MSG_MAX];
	struct sg_agent_msg m;

	(void)state;
	sg_agent_msg_init(&m, 0, 0);
	assert_int_equal(sg_agent_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	sg_agent_msg_init(&m, SG_AGENT_MSG_TYPE_MAX + 1, 0);
	assert_int_equal(sg_agent_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	sg_agent_msg_init(&m, SG_AGENT_MSG_STATUS, 0);
	sg_agent_msg_set_str(&m, SG_AGENT_ATTR_VM_NAME, "");
	assert_int_equal(sg_agent_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	full_msg(&m);
	assert_int_equal(sg_agent_msg_encode(&m, buf, 40), -EMSGSIZE);
	full_msg(&m);
	m.addr.family = 99;
	assert_int_equal(sg_agent_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	full_msg(&m);
	m.n_counters = SG_AGENT_COUNTERS_MAX + 1;
	assert_int_equal(sg_agent_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	/* Strings are truncated to their bound by the setter. */
	sg_agent_msg_init(&m, SG_AGENT_MSG_STATUS, 0);
	sg_agent_msg_set_str(
		&m, SG_AGENT_ATTR_VM_NAME,
		"a-very-long-name-a-very-long-name-a-very-long-name-a-very-long-name-x");
	assert_int_equal(strlen(m.vm_name), SG_AGENT_NAME_MAX - 1);
	assert_true(sg_agent_msg_encode(&m, buf, sizeof(buf)) > 0);
}

static size_t
hdr(uint8_t *b, uint8_t type, uint32_t len)
{
	memset(b, 0, 16);
	b[0] = 0x53;
	b[1] = 0x47;
	b[2] = SG_AGENT_VERSION;
	b[3] = type;
	b[4] = (uint8_t)(len >> 24);
	b[5] = (uint8_t)(len >> 16);
	b[6] = (uint8_t)(len >> 8);
	b[7] = (uint8_t)len;
	return 16;
}

static int
dec(const uint8_t *b, size_t n)
{
	struct sg_agent_msg m;

	return sg_agent_msg_decode(b, n, &m);
}

static void
test_peek_and_decode_errors(void **state)
{
	uint8_t b[SG_AGENT_MSG_MAX + 64] = {0};
	size_t n;

	(void)state;
	assert_int_equal(sg_agent_msg_peek(b, 0), 0);
	hdr(b, SG_AGENT_MSG_PING, 0);
	assert_int_equal(sg_agent_msg_peek(b, 15), 0);
	assert_int_equal(sg_agent_msg_peek(b, 16), 16);
	b[0] = 0;
	assert_int_equal(sg_agent_msg_peek(b, 16), -EPROTO);
	hdr(b, SG_AGENT_MSG_PING, 0);
	b[2] = 1; /* version 1 (untagged) is refused by version 4 */
	assert_int_equal(sg_agent_msg_peek(b, 16), -EPROTO);
	b[2] = 2; /* version 2 (no APP_DOWN state) too */
	assert_int_equal(sg_agent_msg_peek(b, 16), -EPROTO);
	b[2] = 3; /* version 3 (no pushed inventory, no SAVE) too */
	assert_int_equal(sg_agent_msg_peek(b, 16), -EPROTO);
	b[2] = 5;
	assert_int_equal(sg_agent_msg_peek(b, 16), -EPROTO);
	hdr(b, SG_AGENT_MSG_PING, 0);
	b[15] = 2; /* only SG_AGENT_FLAG_TAG is defined */
	assert_int_equal(sg_agent_msg_peek(b, 16), -EPROTO);
	b[12] = 0x80;
	b[15] = 1;
	assert_int_equal(sg_agent_msg_peek(b, 16), -EPROTO);
	b[12] = 0;
	assert_int_equal(sg_agent_msg_peek(b, 16), 16 + SG_AGENT_TAG_LEN);
	hdr(b, SG_AGENT_MSG_PING, SG_AGENT_MSG_MAX - 16 + 1);
	assert_int_equal(sg_agent_msg_peek(b, 16), -EMSGSIZE);
	hdr(b, SG_AGENT_MSG_PING, 0xffffffffu);
	assert_int_equal(sg_agent_msg_peek(b, 16), -EMSGSIZE);

	/* Unknown type. */
	hdr(b, 200, 0);
	assert_int_equal(dec(b, 16), -EPROTO);
	/* Length disagreeing with the buffer. */
	hdr(b, SG_AGENT_MSG_PING, 4);
	assert_int_equal(dec(b, 16), -EPROTO);
	/* Truncated attribute header. */
	n = hdr(b, SG_AGENT_MSG_STATUS, 3);
	memcpy(b + n, "\0\6\0", 3);
	assert_int_equal(dec(b, n + 3), -EPROTO);
	/* Attribute longer than the message. */
	n = hdr(b, SG_AGENT_MSG_STATUS, 6);
	memcpy(b + n, "\0\6\0\5ab", 6);
	assert_int_equal(dec(b, n + 6), -EPROTO);
	/* Wrong fixed size. */
	n = hdr(b, SG_AGENT_MSG_STOP, 6);
	memcpy(b + n, "\0\13\0\2\0\1", 6);
	assert_int_equal(dec(b, n + 6), -EINVAL);
	/* Empty VM name, control character, too long. */
	n = hdr(b, SG_AGENT_MSG_STATUS, 4);
	memcpy(b + n, "\0\6\0\0", 4);
	assert_int_equal(dec(b, n + 4), -EINVAL);
	n = hdr(b, SG_AGENT_MSG_STATUS, 6);
	memcpy(b + n, "\0\6\0\2a\n", 6);
	assert_int_equal(dec(b, n + 6), -EINVAL);
	n = hdr(b, SG_AGENT_MSG_STATUS, 4 + 64);
	memcpy(b + n, "\0\6\0\100", 4);
	memset(b + n + 4, 'a', 64);
	assert_int_equal(dec(b, n + 68), -EINVAL);
	/* Duplicate. */
	n = hdr(b, SG_AGENT_MSG_STATUS, 10);
	memcpy(b + n, "\0\6\0\1a\0\6\0\1b", 10);
	assert_int_equal(dec(b, n + 10), -EINVAL);
	/* Bad state value, bad address family. */
	n = hdr(b, SG_AGENT_MSG_VM_STATE, 5);
	memcpy(b + n, "\0\10\0\1\x0a", 5); /* SAVED (9) is the last state */
	assert_int_equal(dec(b, n + 5), -EINVAL);
	n = hdr(b, SG_AGENT_MSG_VM_STATE, 9);
	memcpy(b + n, "\0\11\0\5\6abcd", 9);
	assert_int_equal(dec(b, n + 9), -EINVAL);
	/* Unknown attributes are skipped. */
	n = hdr(b, SG_AGENT_MSG_STATUS, 13);
	memcpy(b + n, "\0\xc8\0\4wxyz\0\6\0\1a", 13);
	assert_int_equal(dec(b, n + 13), 0);
	/* Counter: too short (no name), and too many. */
	n = hdr(b, SG_AGENT_MSG_RESULT, 12);
	memcpy(b + n, "\0\21\0\10\0\0\0\0\0\0\0\1", 12);
	assert_int_equal(dec(b, n + 12), -EINVAL);
	n = hdr(b, SG_AGENT_MSG_RESULT, 13 * (SG_AGENT_COUNTERS_MAX + 1));
	for (unsigned int i = 0; i <= SG_AGENT_COUNTERS_MAX; i++)
		memcpy(b + n + 13 * i, "\0\21\0\11\0\0\0\0\0\0\0\1c", 13);
	assert_int_equal(dec(b, n + 13 * (SG_AGENT_COUNTERS_MAX + 1)), -EINVAL);
	assert_int_equal(dec(b, n + 13 * SG_AGENT_COUNTERS_MAX), -EPROTO);
}

/* The MACs over the documented byte layout, built independently here. */
static void
expected_mac(bool ctl, const uint8_t *na, const uint8_t *nc, const char *host, uint8_t *out)
{
	uint8_t in[256];
	size_t o = 0;
	unsigned int len = 0;
	const char *label = ctl ? "sg-ctl" : "sg-agent";

	memcpy(in, label, strlen(label) + 1);
	o = strlen(label) + 1;
	memcpy(in + o, ctl ? na : nc, 32);
	memcpy(in + o + 32, ctl ? nc : na, 32);
	o += 64;
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): MAC input, no NUL by design */
	memcpy(in + o, host, strlen(host));
	o += strlen(host);
	HMAC(EVP_sha256(), key, sizeof(key) - 1, in, o, out, &len);
}

static void
test_auth(void **state)
{
	uint8_t na[32], nc[32], m1[32], m2[32], want[32];

	(void)state;
	assert_int_equal(sg_agent_auth_nonce(na), 0);
	assert_int_equal(sg_agent_auth_nonce(nc), 0);
	assert_memory_not_equal(na, nc, 32);

	assert_int_equal(sg_agent_auth_mac(key, sizeof(key) - 1, true, na, nc, "host-a", m1), 0);
	expected_mac(true, na, nc, "host-a", want);
	assert_memory_equal(m1, want, 32);
	assert_int_equal(sg_agent_auth_mac(key, sizeof(key) - 1, false, na, nc, "host-a", m2), 0);
	expected_mac(false, na, nc, "host-a", want);
	assert_memory_equal(m2, want, 32);
	assert_false(sg_agent_auth_verify(m1, m2)); /* roles differ */
	assert_true(sg_agent_auth_verify(m1, m1));

	sg_agent_auth_mac(key, sizeof(key) - 1, true, na, nc, "host-b", m2);
	assert_false(sg_agent_auth_verify(m1, m2)); /* host bound */
	sg_agent_auth_mac(key, sizeof(key) - 1, true, nc, na, "host-a", m2);
	assert_false(sg_agent_auth_verify(m1, m2)); /* nonces bound in order */
	sg_agent_auth_mac((const uint8_t *)"0123456789abcdef0124", 20, true, na, nc, "host-a", m2);
	assert_false(sg_agent_auth_verify(m1, m2)); /* key bound */

	assert_int_equal(sg_agent_auth_mac(key, SG_AGENT_KEY_MIN - 1, true, na, nc, "h", m2),
			 -EINVAL);
	assert_int_equal(sg_agent_auth_mac(key, SG_AGENT_KEY_MAX + 1, true, na, nc, "h", m2),
			 -EINVAL);
}

/* Protocol version 2: the session key and the tags of the messages after AUTH_OK. */
static void
test_tags(void **state)
{
	uint8_t na[32], nc[32], ks[32], ks2[32], want[32], in[256], f[SG_AGENT_FRAME_MAX + 8];
	uint8_t copy[SG_AGENT_FRAME_MAX];
	struct sg_agent_msg m;
	unsigned int len = 0;
	int n, t;

	(void)state;
	memset(na, 1, sizeof(na));
	memset(nc, 2, sizeof(nc));
	assert_int_equal(sg_agent_session_key(key, sizeof(key) - 1, na, nc, "host-a", ks), 0);
	memcpy(in, "sg-session", 11);
	memcpy(in + 11, na, 32);
	memcpy(in + 43, nc, 32);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): MAC input, no NUL by design */
	memcpy(in + 75, "host-a", 6);
	HMAC(EVP_sha256(), key, sizeof(key) - 1, in, 81, want, &len);
	assert_memory_equal(ks, want, 32); /* as documented */
	sg_agent_session_key(key, sizeof(key) - 1, na, nc, "host-b", ks2);
	assert_memory_not_equal(ks, ks2, 32); /* host bound */
	assert_int_equal(sg_agent_session_key(key, 3, na, nc, "h", ks2), -EINVAL);

	sg_agent_msg_init(&m, SG_AGENT_MSG_STOP, 9);
	sg_agent_msg_set_str(&m, SG_AGENT_ATTR_VM_NAME, "vm-web");
	n = sg_agent_msg_encode(&m, f, SG_AGENT_MSG_MAX);
	assert_true(n > 16);
	assert_false(sg_agent_msg_tagged(f));
	assert_int_equal(sg_agent_msg_peek(f, (size_t)n), n);
	assert_int_equal(sg_agent_msg_seal(ks, true, 5, f, (size_t)n, (size_t)n + 31), -EMSGSIZE);
	t = sg_agent_msg_seal(ks, true, 5, f, (size_t)n, sizeof(f));
	assert_int_equal(t, n + SG_AGENT_TAG_LEN);
	assert_true(sg_agent_msg_tagged(f));
	assert_int_equal(f[15], SG_AGENT_FLAG_TAG);
	assert_int_equal(sg_agent_msg_peek(f, (size_t)t), t); /* the tag is framed */
	assert_int_equal(sg_agent_msg_peek(f, (size_t)n), t); /* ... and waited for */
	in[0] = 'C';
	memset(in + 1, 0, 7);
	in[8] = 5;
	memcpy(in + 9, f, (size_t)n);
	HMAC(EVP_sha256(), ks, 32, in, 9 + (size_t)n, want, &len);
	assert_memory_equal(f + n, want, 32);
	assert_int_equal(sg_agent_msg_open(ks, true, 5, f, (size_t)t), 0);
	assert_int_equal(dec(f, (size_t)t), 0);
	/* wrong sequence (replay, reorder, drop), direction, key: refused */
	assert_int_equal(sg_agent_msg_open(ks, true, 4, f, (size_t)t), -EBADMSG);
	assert_int_equal(sg_agent_msg_open(ks, true, 6, f, (size_t)t), -EBADMSG);
	assert_int_equal(sg_agent_msg_open(ks, false, 5, f, (size_t)t), -EBADMSG);
	assert_int_equal(sg_agent_msg_open(ks2, true, 5, f, (size_t)t), -EBADMSG);
	/* any byte changed: refused */
	for (int i = 0; i < t; i++) {
		memcpy(copy, f, (size_t)t);
		copy[i] ^= 0x40;
		assert_int_not_equal(sg_agent_msg_open(ks, true, 5, copy, (size_t)t), 0);
	}
	/* untagged: refused by open, never by decode alone */
	memcpy(copy, f, (size_t)n);
	copy[15] = 0;
	assert_int_equal(sg_agent_msg_open(ks, true, 5, copy, (size_t)n), -EBADMSG);
	/* unknown flags: garbled */
	f[15] = 0x3;
	assert_int_equal(sg_agent_msg_peek(f, (size_t)t), -EPROTO);
}

static void
test_sockaddr(void **state)
{
	static const uint8_t v4[4] = {198, 18, 2, 10};
	uint8_t v6[16];
	struct sockaddr_storage ss;
	struct sg_agent_addr a;

	(void)state;
	memset(v6, 0x20, sizeof(v6));
	assert_int_equal(sg_agent_addr_from_af(&a, AF_INET, v4), 0);
	assert_int_equal(a.family, SG_WIRE_FAMILY_V4);
	assert_memory_equal(a.bytes, v4, 4);
	assert_int_equal(sg_agent_addr_af(&a), AF_INET);
	assert_int_equal(sg_agent_addr_to_sockaddr(&a, 8080, &ss), sizeof(struct sockaddr_in));
	assert_int_equal(((struct sockaddr_in *)&ss)->sin_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
	assert_memory_equal(&((struct sockaddr_in *)&ss)->sin_addr, v4, 4);

	assert_int_equal(sg_agent_addr_from_af(&a, AF_INET6, v6), 0);
	assert_int_equal(a.family, SG_WIRE_FAMILY_V6);
	assert_int_equal(sg_agent_addr_af(&a), AF_INET6);
	assert_int_equal(sg_agent_addr_to_sockaddr(&a, 443, &ss), sizeof(struct sockaddr_in6));
	assert_int_equal(((struct sockaddr_in6 *)&ss)->sin6_family, AF_INET6);
	assert_memory_equal(&((struct sockaddr_in6 *)&ss)->sin6_addr, v6, 16);

	assert_int_equal(sg_agent_addr_from_af(&a, AF_UNIX, v6), -EAFNOSUPPORT);
	assert_int_equal(a.family, SG_WIRE_FAMILY_NONE);
	assert_int_equal(sg_agent_addr_af(&a), AF_UNSPEC);
	assert_int_equal(sg_agent_addr_to_sockaddr(&a, 1, &ss), -EAFNOSUPPORT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),     cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_encode_errors), cmocka_unit_test(test_peek_and_decode_errors),
		cmocka_unit_test(test_auth),	      cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_tags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
