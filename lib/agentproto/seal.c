/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tags of the messages after the handshake (protocol version 2,
 * include/sessiongate/sg_agent_proto.h): per message an HMAC-SHA256, under
 * the per-connection session key (auth.c), over the direction, an implicit
 * sequence number and the message itself, so that an injected, altered,
 * replayed, reordered or dropped message is refused.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sessiongate/sg_agent_proto.h"

bool
sg_agent_msg_tagged(const uint8_t *buf)
{
	return (buf[15] & SG_AGENT_FLAG_TAG) != 0; /* flags: big-endian u32 at offset 12 */
}

/* HMAC(ks, dir | seq64 | msg); msg is at most SG_AGENT_MSG_MAX bytes. */
static int
tag_of(const uint8_t ks[SG_AGENT_MAC_LEN], bool from_ctl, uint64_t seq, const uint8_t *msg,
       size_t len, uint8_t out[SG_AGENT_TAG_LEN])
{
	uint8_t in[9 + SG_AGENT_MSG_MAX];
	unsigned int n = 0;
	int i;

	if (len > SG_AGENT_MSG_MAX)
		return -EMSGSIZE;
	in[0] = from_ctl ? 'C' : 'A';
	for (i = 0; i < 8; i++)
		in[1 + i] = (uint8_t)(seq >> (56 - 8 * i));
	memcpy(in + 9, msg, len);
	if (!HMAC(EVP_sha256(), ks, SG_AGENT_MAC_LEN, in, 9 + len, out, &n) ||
	    n != SG_AGENT_TAG_LEN)
		return -EIO;
	return 0;
}

int
sg_agent_msg_seal(const uint8_t ks[SG_AGENT_MAC_LEN], bool from_ctl, uint64_t seq, uint8_t *buf,
		  size_t len, size_t cap)
{
	int rc;

	if (len < SG_AGENT_HDR_LEN || len > SG_AGENT_MSG_MAX || cap < len + SG_AGENT_TAG_LEN)
		return -EMSGSIZE;
	buf[15] |= SG_AGENT_FLAG_TAG;
	rc = tag_of(ks, from_ctl, seq, buf, len, buf + len);
	return rc < 0 ? rc : (int)(len + SG_AGENT_TAG_LEN);
}

int
sg_agent_msg_open(const uint8_t ks[SG_AGENT_MAC_LEN], bool from_ctl, uint64_t seq,
		  const uint8_t *buf, size_t len)
{
	uint8_t tag[SG_AGENT_TAG_LEN];

	if (len < SG_AGENT_HDR_LEN + SG_AGENT_TAG_LEN || !sg_agent_msg_tagged(buf) ||
	    tag_of(ks, from_ctl, seq, buf, len - SG_AGENT_TAG_LEN, tag) < 0)
		return -EBADMSG;
	return CRYPTO_memcmp(tag, buf + len - SG_AGENT_TAG_LEN, SG_AGENT_TAG_LEN) == 0 ? 0
										       : -EBADMSG;
}
