/* SPDX-License-Identifier: BSD-3-Clause */
/* Token key files: raw bytes or hex text, private to their owner. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sg_token_lib.h"

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* @p n bytes of hex text (a trailing newline already cut) into @p k; -1 if not hex. */
static int
from_hex(const uint8_t *buf, size_t n, struct sg_token_key *k)
{
	size_t i;

	if (n % 2 != 0 || n / 2 < SG_TOKEN_KEY_MIN || n / 2 > SG_TOKEN_KEY_MAX)
		return -1;
	for (i = 0; i < n; i += 2) {
		int hi = hexval(buf[i]), lo = hexval(buf[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		k->key[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	k->len = (uint8_t)(n / 2);
	return 0;
}

int
sg_token_key_load(const char *path, uint8_t id, struct sg_token_key *k, char *err, size_t errlen)
{
	uint8_t buf[2 * SG_TOKEN_KEY_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t len;
	int fd;

	if (id == 0) {
		snprintf(err, errlen, "%s: key id must be 1..255", path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file private to its owner (chmod 600)",
			 path);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	len = (size_t)n;
	memset(k, 0, sizeof(*k));
	k->id = id;
	if (len > 0 && buf[len - 1] == '\n' && from_hex(buf, len - 1, k) == 0)
		return 0;
	if (from_hex(buf, len, k) == 0)
		return 0;
	if (len < SG_TOKEN_KEY_MIN || len > SG_TOKEN_KEY_MAX) {
		snprintf(err, errlen, "%s: a key is %d..%d bytes (or twice as many hex digits)",
			 path, SG_TOKEN_KEY_MIN, SG_TOKEN_KEY_MAX);
		return -EINVAL;
	}
	memcpy(k->key, buf, len);
	k->len = (uint8_t)len;
	return 0;
}
