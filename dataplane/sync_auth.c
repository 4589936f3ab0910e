/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sync channel's authentication (doc/dataplane.md, "State sync: the
 * channel"): the cluster's shared key, read once at start from
 * appliance.cluster.sync.key_file, and the HMAC-SHA256 (OpenSSL),
 * truncated to SG_SYNC_MAC_LEN bytes, that ends every datagram. The check
 * compares in constant time (CRYPTO_memcmp).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/log.h"
#include "sync.h"

int
sg_dp_sync_key_load(struct sg_dp_sync *s, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd;

	if (path[0] == '\0') {
		SG_DP_LOG(ERR, "appliance.cluster.sync.key_file is required when sync is enabled");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;

		SG_DP_LOG(ERR, "appliance.cluster.sync.key_file %s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		SG_DP_LOG(ERR, "appliance.cluster.sync.key_file %s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		SG_DP_LOG(ERR,
			  "appliance.cluster.sync.key_file %s: mode %04o lets group or others "
			  "in; the key must be private (chmod 600 %s)",
			  path, (unsigned int)(st.st_mode & 07777), path);
		close(fd);
		return -EPERM;
	}
	if (st.st_size < SG_DP_SYNC_KEY_MIN || st.st_size > SG_DP_SYNC_KEY_MAX) {
		SG_DP_LOG(ERR,
			  "appliance.cluster.sync.key_file %s: %lld bytes; the key must be %d to "
			  "%d bytes (e.g. head -c 32 /dev/urandom >%s)",
			  path, (long long)st.st_size, SG_DP_SYNC_KEY_MIN, SG_DP_SYNC_KEY_MAX,
			  path);
		close(fd);
		return -EINVAL;
	}
	n = read(fd, s->key, sizeof(s->key));
	close(fd);
	if (n != st.st_size) {
		SG_DP_LOG(ERR, "appliance.cluster.sync.key_file %s: short read", path);
		return -EIO;
	}
	s->key_len = (size_t)n;
	return 0;
}

int
sg_dp_sync_sign(const struct sg_dp_sync *s, uint8_t *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha256(), s->key, (int)s->key_len, buf, len, md, &mdlen) == NULL ||
	    mdlen < SG_SYNC_MAC_LEN)
		return -EIO;
	memcpy(buf + len, md, SG_SYNC_MAC_LEN);
	return 0;
}

bool
sg_dp_sync_verify(const struct sg_dp_sync *s, const uint8_t *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha256(), s->key, (int)s->key_len, buf, len, md, &mdlen) == NULL ||
	    mdlen < SG_SYNC_MAC_LEN)
		return false;
	return CRYPTO_memcmp(md, buf + len, SG_SYNC_MAC_LEN) == 0;
}
