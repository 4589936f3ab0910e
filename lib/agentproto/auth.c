/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handshake of the host agent protocol: HMAC-SHA256 of the nonces and
 * the host name with the host's key (the MACs both sides prove, and the
 * session key of the message tags), constant-time compare, nonces
 * (include/sessiongate/sg_agent_proto.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sessiongate/sg_agent_proto.h"

/* HMAC-SHA256(key, label NUL | n1 | n2 | host): the handshake's MACs and the session key. */
static int
labelled_mac(const uint8_t *key, size_t keylen, const char *label, const uint8_t *n1,
	     const uint8_t *n2, const char *host, uint8_t out[SG_AGENT_MAC_LEN])
{
	uint8_t in[16 + 2 * SG_AGENT_NONCE_LEN + SG_AGENT_NAME_MAX];
	size_t llen = strlen(label) + 1, hlen = strnlen(host, SG_AGENT_NAME_MAX);
	unsigned int maclen = 0;

	if (keylen < SG_AGENT_KEY_MIN || keylen > SG_AGENT_KEY_MAX || hlen >= SG_AGENT_NAME_MAX ||
	    llen > 16)
		return -EINVAL;
	memcpy(in, label, llen);
	memcpy(in + llen, n1, SG_AGENT_NONCE_LEN);
	memcpy(in + llen + SG_AGENT_NONCE_LEN, n2, SG_AGENT_NONCE_LEN);
	memcpy(in + llen + 2 * SG_AGENT_NONCE_LEN, host, hlen);
	if (!HMAC(EVP_sha256(), key, (int)keylen, in, llen + 2 * SG_AGENT_NONCE_LEN + hlen, out,
		  &maclen) ||
	    maclen != SG_AGENT_MAC_LEN)
		return -EIO;
	return 0;
}

int
sg_agent_auth_mac(const uint8_t *key, size_t keylen, bool role_ctl,
		  const uint8_t na[SG_AGENT_NONCE_LEN], const uint8_t nc[SG_AGENT_NONCE_LEN],
		  const char *host, uint8_t out[SG_AGENT_MAC_LEN])
{
	return role_ctl ? labelled_mac(key, keylen, "sg-ctl", na, nc, host, out)
			: labelled_mac(key, keylen, "sg-agent", nc, na, host, out);
}

int
sg_agent_session_key(const uint8_t *key, size_t keylen, const uint8_t na[SG_AGENT_NONCE_LEN],
		     const uint8_t nc[SG_AGENT_NONCE_LEN], const char *host,
		     uint8_t ks[SG_AGENT_MAC_LEN])
{
	return labelled_mac(key, keylen, "sg-session", na, nc, host, ks);
}

bool
sg_agent_auth_verify(const uint8_t a[SG_AGENT_MAC_LEN], const uint8_t b[SG_AGENT_MAC_LEN])
{
	return CRYPTO_memcmp(a, b, SG_AGENT_MAC_LEN) == 0;
}

int
sg_agent_auth_nonce(uint8_t nonce[SG_AGENT_NONCE_LEN])
{
	ssize_t n = getrandom(nonce, SG_AGENT_NONCE_LEN, 0);

	return n == (ssize_t)SG_AGENT_NONCE_LEN ? 0 : -EIO;
}
