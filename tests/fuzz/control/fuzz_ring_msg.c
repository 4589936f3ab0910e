/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the ring message decoder (sg_msg_check). Any byte
 * string is offered as given (wrong sizes must be refused) and as one ring
 * element (truncated or zero-padded to SG_MSG_SIZE). An accepted element
 * has its body read according to its type, so reading out of range shows.
 */
#include <stdint.h>
#include <string.h>

#include "sessiongate/sg_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t sink;

static void
consume(const struct sg_msg *m)
{
	switch (m->hdr.type) {
	case SG_MSG_SESSION_NEW:
		for (unsigned int i = 0; i < m->session_new.key_len; i++)
			sink += m->session_new.key[i];
		sink += m->session_new.flow.saddr[m->session_new.flow.family == 4 ? 3 : 15];
		break;
	case SG_MSG_SESSION_INSTALL:
		sink += m->install.backend_addr[m->install.family == 4 ? 3 : 15];
		break;
	default:
		sink += m->hdr.len;
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_msg m;

	if (sg_msg_check(data, size) == 0)
		consume((const struct sg_msg *)data);
	memset(&m, 0, sizeof(m));
	memcpy(&m, data, size < sizeof(m) ? size : sizeof(m));
	if (sg_msg_check(&m, sizeof(m)) == 0)
		consume(&m);
	return 0;
}
