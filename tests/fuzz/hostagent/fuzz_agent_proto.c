/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the host agent protocol decoder, used as sg-hostagent
 * and sg-control use it: a byte stream is cut into messages with
 * sg_agent_msg_peek(), each tag checked with sg_agent_msg_open() (key of
 * 0x5a bytes, sequence = index from control: the seed "tagged" passes) and
 * each decoded with sg_agent_msg_decode(). Every message that decodes must
 * encode again, and decode to the same fields (round trip property);
 * nothing may read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sessiongate/sg_agent_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sg_agent_msg m, again;
	static uint8_t buf[SG_AGENT_MSG_MAX];
	static const uint8_t ks[SG_AGENT_MAC_LEN] = {
		0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
		0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
		0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};
	size_t off = 0;

	for (int msgs = 0; msgs < 64 && off < size; msgs++) {
		int total = sg_agent_msg_peek(data + off, size - off), n;

		if (total <= 0 || (size_t)total > size - off)
			break;
		if (sg_agent_msg_tagged(data + off))
			(void)sg_agent_msg_open(ks, true, (uint64_t)msgs, data + off,
						(size_t)total);
		if (sg_agent_msg_decode(data + off, (size_t)total, &m) == 0) {
			n = sg_agent_msg_encode(&m, buf, sizeof(buf));
			if (n < 0)
				abort(); /* a decoded message must be encodable */
			if (n > total)
				abort(); /* unknown attributes are dropped: never longer */
			if (sg_agent_msg_decode(buf, (size_t)n, &again) != 0 ||
			    memcmp(&m, &again, sizeof(m)) != 0)
				abort();
		}
		off += (size_t)total;
	}
	return 0;
}
