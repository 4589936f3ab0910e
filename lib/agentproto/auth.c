/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handshake of the host agent protocol: HMAC-SHA256 of the nonces and
 * the host name with the pre-shared key, constant-time compare, nonces
 * (include/sessiongate/sg_agent_proto.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sessiongate/sg_agent_proto.h"

int
sg_agent_auth_mac(const uint8_t *key, size_t keylen, bool role_ctl,
		  const uint8_t na[SG_AGENT_NONCE_LEN], const uint8_t nc[SG_AGENT_NONCE_LEN],
		  const char *host, uint8_t out[SG_AGENT_MAC_LEN])
{
	static const char ctl_label[] = "sg-ctl";     /* + NUL */
	static const char agent_label[] = "sg-agent"; /* + NUL */
	uint8_t in[sizeof(agent_label) + 2 * SG_AGENT_NONCE_LEN + SG_AGENT_NAME_MAX];
	size_t off, hlen = strnlen(host, SG_AGENT_NAME_MAX);
	unsigned int maclen = 0;

	if (keylen < SG_AGENT_KEY_MIN || keylen > SG_AGENT_KEY_MAX || hlen >= SG_AGENT_NAME_MAX)
		return -EINVAL;
	if (role_ctl) {
		memcpy(in, ctl_label, sizeof(ctl_label));
		off = sizeof(ctl_label);
		memcpy(in + off, na, SG_AGENT_NONCE_LEN);
		memcpy(in + off + SG_AGENT_NONCE_LEN, nc, SG_AGENT_NONCE_LEN);
	} else {
		memcpy(in, agent_label, sizeof(agent_label));
		off = sizeof(agent_label);
		memcpy(in + off, nc, SG_AGENT_NONCE_LEN);
		memcpy(in + off + SG_AGENT_NONCE_LEN, na, SG_AGENT_NONCE_LEN);
	}
	off += 2 * SG_AGENT_NONCE_LEN;
	memcpy(in + off, host, hlen);
	off += hlen;
	if (!HMAC(EVP_sha256(), key, (int)keylen, in, off, out, &maclen) ||
	    maclen != SG_AGENT_MAC_LEN)
		return -EIO;
	return 0;
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
