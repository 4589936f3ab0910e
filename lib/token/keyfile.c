/* SPDX-License-Identifier: BSD-3-Clause */
/* Token key files: raw bytes or hex text, private to their owner. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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

static bool
all_hex(const uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hexval(buf[i]) < 0)
			return false;
	return true;
}

/*
 * The @p n bytes at @p buf into @p k: hex text (only hex digits, one trailing
 * newline allowed) of SG_TOKEN_KEY_MIN..MAX bytes, else raw bytes. A file of
 * hex digits is never taken as raw bytes: "openssl rand -hex 16" (a 16-byte
 * key) is refused, not loaded as 33 weak raw bytes.
 */
static int
key_parse(const uint8_t *buf, size_t n, struct sg_token_key *k, const char *path, char *err,
	  size_t errlen)
{
	size_t h = n > 0 && buf[n - 1] == '\n' ? n - 1 : n, i;

	if (h > 0 && all_hex(buf, h)) {
		if (h % 2 != 0 || h / 2 < SG_TOKEN_KEY_MIN || h / 2 > SG_TOKEN_KEY_MAX) {
			snprintf(err, errlen, "%s: %zu hex digits: a key is %d..%d (even)", path, h,
				 2 * SG_TOKEN_KEY_MIN, 2 * SG_TOKEN_KEY_MAX);
			return -EINVAL;
		}
		for (i = 0; i < h; i += 2)
			k->key[i / 2] = (uint8_t)((unsigned int)hexval(buf[i]) << 4 |
						  (unsigned int)hexval(buf[i + 1]));
		k->len = (uint8_t)(h / 2);
		return 0;
	}
	if (n < SG_TOKEN_KEY_MIN || n > SG_TOKEN_KEY_MAX) {
		snprintf(err, errlen,
			 "%s: %zu bytes: a key is %d..%d bytes (or twice as many hex digits)", path,
			 n, SG_TOKEN_KEY_MIN, SG_TOKEN_KEY_MAX);
		return -EINVAL;
	}
	memcpy(k->key, buf, n);
	k->len = (uint8_t)n;
	return 0;
}

int
sg_token_key_load(const char *path, uint8_t id, struct sg_token_key *k, char *err, size_t errlen)
{
	uint8_t buf[2 * SG_TOKEN_KEY_MAX + 2]; /* one more than the longest file */
	struct stat st;
	ssize_t n;
	int fd, rc;

	if (id == 0) {
		snprintf(err, errlen, "%s: key id must be 1..255", path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file private to its owner (chmod 600)",
			 path);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf));
	rc = -errno;
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return -EIO;
	}
	if ((size_t)n == sizeof(buf)) {
		snprintf(err, errlen, "%s: longer than a key (%d bytes, %d hex digits)", path,
			 SG_TOKEN_KEY_MAX, 2 * SG_TOKEN_KEY_MAX);
		return -EINVAL;
	}
	memset(k, 0, sizeof(*k));
	k->id = id;
	rc = key_parse(buf, (size_t)n, k, path, err, errlen);
	if (rc < 0)
		memset(k, 0, sizeof(*k));
	return rc;
}
