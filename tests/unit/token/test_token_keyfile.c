/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/token's key files (sg_token_key_load): raw bytes, hex
 * text with or without a newline, lengths out of range, files others may
 * read, links and directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sg_token_lib.h"

static char dir[] = "/tmp/sg-token-keyfile-XXXXXX";
static char path[256];
static char err[512];

static const char *
put(const char *name, const void *data, size_t n, mode_t mode)
{
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* @p n bytes 0x00, 0x01, ... as hex digits (upper case with @p upper). */
static size_t
hexof(unsigned int n, bool upper, char *out)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, upper ? "%02X" : "%02x", i * 7 & 0xff);
	return 2 * n;
}

static void
expect_key(const struct sg_token_key *k, uint8_t id, unsigned int n, const uint8_t *bytes)
{
	assert_int_equal(k->id, id);
	assert_int_equal(k->len, n);
	assert_memory_equal(k->key, bytes, n);
}

static int
load(const char *p, uint8_t id, struct sg_token_key *k)
{
	err[0] = '\0';
	return sg_token_key_load(p, id, k, err, sizeof(err));
}

static void
test_raw(void **state)
{
	uint8_t raw[SG_TOKEN_KEY_MAX + 1];
	struct sg_token_key k;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(0x80 + i * 13); /* not all hex digits */
	assert_int_equal(load(put("raw32", raw, 32, 0600), 1, &k), 0);
	expect_key(&k, 1, 32, raw);
	assert_int_equal(load(put("raw64", raw, 64, 0400), 255, &k), 0);
	expect_key(&k, 255, 64, raw);
	/* a raw key ending in '\n' keeps it: raw is raw */
	raw[39] = '\n';
	assert_int_equal(load(put("raw40nl", raw, 40, 0600), 9, &k), 0);
	expect_key(&k, 9, 40, raw);
	assert_int_equal(load(put("raw31", raw, 31, 0600), 1, &k), -EINVAL);
	assert_non_null(strstr(err, "31 bytes"));
	assert_int_equal(k.len, 0); /* nothing half-loaded */
	assert_int_equal(load(put("raw65", raw, 65, 0600), 1, &k), -EINVAL);
	assert_int_equal(load(put("empty", raw, 0, 0600), 1, &k), -EINVAL);
	assert_non_null(strstr(err, path));
}

static void
test_hex(void **state)
{
	char hex[2 * SG_TOKEN_KEY_MAX + 8];
	uint8_t want[SG_TOKEN_KEY_MAX];
	struct sg_token_key k;
	unsigned int i;
	size_t n;

	(void)state;
	for (i = 0; i < SG_TOKEN_KEY_MAX; i++)
		want[i] = (uint8_t)(i * 7);
	n = hexof(32, false, hex);
	assert_int_equal(load(put("hex32", hex, n, 0600), 3, &k), 0);
	expect_key(&k, 3, 32, want);
	hex[n] = '\n';
	assert_int_equal(load(put("hex32nl", hex, n + 1, 0600), 3, &k), 0);
	expect_key(&k, 3, 32, want);
	n = hexof(64, true, hex);
	hex[n] = '\n';
	assert_int_equal(load(put("hex64nl", hex, n + 1, 0600), 4, &k), 0);
	expect_key(&k, 4, 64, want);
	n = hexof(48, true, hex);
	assert_int_equal(load(put("hex48", hex, n, 0600), 4, &k), 0);
	expect_key(&k, 4, 48, want);
}

static void
test_hex_bad_length(void **state)
{
	char hex[2 * SG_TOKEN_KEY_MAX + 8];
	struct sg_token_key k;
	size_t n;

	(void)state;
	/* "openssl rand -hex 16": 16 bytes, not 33 raw ones */
	n = hexof(16, false, hex);
	hex[n] = '\n';
	assert_int_equal(load(put("hex16nl", hex, n + 1, 0600), 1, &k), -EINVAL);
	assert_non_null(strstr(err, "32 hex digits"));
	n = hexof(31, false, hex);
	assert_int_equal(load(put("hex31", hex, n, 0600), 1, &k), -EINVAL);
	n = hexof(32, false, hex);
	assert_int_equal(load(put("hexodd", hex, n - 1, 0600), 1, &k), -EINVAL);
	n = hexof(65, false, hex);
	assert_int_equal(load(put("hex65", hex, n, 0600), 1, &k), -EINVAL);
	/* two newlines: not hex text, and too long for raw bytes */
	n = hexof(32, false, hex);
	hex[n] = hex[n + 1] = '\n';
	assert_int_equal(load(put("hex32nlnl", hex, n + 2, 0600), 1, &k), -EINVAL);
	/* longer than any key file */
	n = hexof(64, false, hex);
	hex[n] = '\n';
	hex[n + 1] = 'x';
	assert_int_equal(load(put("long", hex, n + 2, 0600), 1, &k), -EINVAL);
	assert_non_null(strstr(err, "longer than a key"));
}

static void
test_mode_and_kind(void **state)
{
	char hex[2 * SG_TOKEN_KEY_MAX + 8], link[300];
	struct sg_token_key k;
	size_t n = hexof(32, false, hex);
	static const mode_t bad[] = {0644, 0640, 0604, 0602, 0620, 0660, 0666, 0601};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(put("open", hex, n, bad[i]), 1, &k), -EPERM);
		assert_non_null(strstr(err, "chmod 600"));
	}
	/* a link to a private key file is still refused: no following */
	put("target", hex, n, 0600);
	snprintf(link, sizeof(link), "%s/link", dir);
	unlink(link);
	assert_int_equal(symlink(path, link), 0);
	assert_true(load(link, 1, &k) < 0);
	/* a directory, a missing file, key id 0 */
	assert_int_equal(load(dir, 1, &k), -EPERM);
	snprintf(link, sizeof(link), "%s/missing", dir);
	assert_int_equal(load(link, 1, &k), -ENOENT);
	assert_non_null(strstr(err, "missing"));
	assert_int_equal(load(put("id0", hex, n, 0600), 0, &k), -EINVAL);
	assert_non_null(strstr(err, "1..255"));
}

/* A loaded key signs, and a token verifies with the same file loaded again. */
static void
test_loaded_key_signs(void **state)
{
	char hex[2 * SG_TOKEN_KEY_MAX + 8], tok[SG_TOKEN_TEXT_LEN + 1];
	struct sg_token_key a, b;
	struct sg_token t = {.user_id = 0x0d00000000000001ull, .app_id = 2, .expires = 2000};
	size_t n = hexof(40, false, hex);

	(void)state;
	assert_int_equal(load(put("sign", hex, n, 0600), 5, &a), 0);
	assert_int_equal(sg_token_mint(&a, &t, tok, sizeof(tok)), 0);
	assert_int_equal(load(path, 5, &b), 0);
	assert_int_equal(sg_token_verify(tok, SG_TOKEN_TEXT_LEN, &b, 1, 2, 1000, NULL),
			 SG_TOKEN_OK);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_hex_bad_length),
		cmocka_unit_test(test_mode_and_kind),
		cmocka_unit_test(test_loaded_key_signs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
