/* SPDX-License-Identifier: BSD-3-Clause */
/* Sequence-number translation of spliced TCP connections (sg_dp_seq.h). */
#include <errno.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "session/seq.h"
#include "session/tcpopt.h"

#define SACK_BLOCKS_MAX 4

/* Offsets (from the TCP header) of the SACK option's data, or -EBADMSG. */
static int
find_sack(const uint8_t *th, unsigned int doff, unsigned int *sack_off, unsigned int *sack_n)
{
	unsigned int i = sizeof(struct rte_tcp_hdr);

	*sack_n = 0;
	while (i < doff) {
		uint8_t kind = th[i], olen;

		if (kind == SG_DP_TCPOPT_EOL)
			break;
		if (kind == SG_DP_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (doff - i < 2)
			return -EBADMSG;
		olen = th[i + 1];
		if (olen < 2 || olen > doff - i)
			return -EBADMSG;
		if (kind == SG_DP_TCPOPT_SACK) {
			if ((olen - 2) % 8 != 0 || (olen - 2) / 8 > SACK_BLOCKS_MAX || *sack_n != 0)
				return -EBADMSG;
			*sack_off = i + 2;
			*sack_n = (olen - 2) / 8u;
		}
		i += olen;
	}
	return 0;
}

static uint16_t
add32(uint16_t ck, uint8_t *th, unsigned int off, uint32_t delta, bool sub)
{
	uint32_t v;

	memcpy(&v, th + off, 4);
	v = rte_be_to_cpu_32(v);
	v = sub ? v - delta : v + delta;
	v = rte_cpu_to_be_32(v);
	return sg_dp_csum_patch(ck, th, off, &v, 4);
}

int
sg_dp_seq_rewrite(struct rte_mbuf *m, uint16_t l4_off, uint32_t seq_add, uint32_t ack_sub)
{
	struct rte_tcp_hdr *t;
	uint8_t *th;
	unsigned int doff, sack_off = 0, sack_n, i;
	uint16_t ck, ck0;
	bool offload;
	int rc;

	if ((uint32_t)l4_off + sizeof(*t) > rte_pktmbuf_data_len(m))
		return -EINVAL;
	th = rte_pktmbuf_mtod_offset(m, uint8_t *, l4_off);
	t = (struct rte_tcp_hdr *)th;
	doff = (t->data_off >> 4) * 4u;
	if (doff < sizeof(*t) || (uint32_t)l4_off + doff > rte_pktmbuf_data_len(m))
		return -EINVAL;
	rc = find_sack(th, doff, &sack_off, &sack_n);
	if (rc != 0)
		return rc;
	offload = (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM;
	memcpy(&ck0, &t->cksum, 2);
	ck = ck0;
	ck = add32(ck, th, offsetof(struct rte_tcp_hdr, sent_seq), seq_add, false);
	if (t->tcp_flags & RTE_TCP_ACK_FLAG) {
		ck = add32(ck, th, offsetof(struct rte_tcp_hdr, recv_ack), ack_sub, true);
		for (i = 0; i < sack_n * 2; i++)
			ck = add32(ck, th, sack_off + 4 * i, ack_sub, true);
	}
	if (!offload)
		memcpy(&t->cksum, &ck, 2);
	return 0;
}
