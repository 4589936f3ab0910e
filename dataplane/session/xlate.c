/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Translation of a spliced flow: sequence numbers, timestamps and window
 * of every forwarded segment, for the life of the flow.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "core/csum.h"
#include "session/seq.h"
#include "session/broker.h"
#include "session/session.h"

/* Walk the TCP options for the timestamps option: offset of TSval or 0. */
static uint16_t
ts_offset(const uint8_t *opt, uint16_t len)
{
	uint16_t i = 0;

	while (i < len) {
		uint8_t kind = opt[i], ol;

		if (kind == 0)
			return 0;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return 0;
		ol = opt[i + 1];
		if (ol < 2 || i + ol > len)
			return 0;
		if (kind == 8 && ol == 10)
			return (uint16_t)(i + 2);
		i = (uint16_t)(i + ol);
	}
	return 0;
}

void
sg_dp_broker_xlate(struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_flow *f,
		   bool ret)
{
	uint16_t l4 = p->l2_len + p->l3_len;
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, l4);
	uint16_t hl = tcp_hlen(th), tso;

	if ((uint32_t)l4 + hl > rte_pktmbuf_data_len(m))
		return; /* header not in the first segment: never from these ports (no rewrite) */
	if (ret)
		(void)sg_dp_seq_rewrite(m, l4, f->seq_s2c, 0);
	else
		(void)sg_dp_seq_rewrite(m, l4, 0, f->seq_s2c);
	if (f->ts && hl > sizeof(*th)) {
		tso = ts_offset((const uint8_t *)(th + 1), (uint16_t)(hl - sizeof(*th)));
		if (tso != 0) {
			uint8_t *o = (uint8_t *)(th + 1) + tso;
			uint32_t v;

			if (ret) { /* TSval: VM clock -> the clock the client saw */
				memcpy(&v, o, 4);
				v = rte_cpu_to_be_32(rte_be_to_cpu_32(v) + f->ts_s2c);
				th->cksum = sg_dp_csum_patch(th->cksum, (uint8_t *)th,
							     sizeof(*th) + tso, &v, 4);
			} else { /* TSecr: back to the VM's clock */
				memcpy(&v, o + 4, 4);
				v = rte_cpu_to_be_32(rte_be_to_cpu_32(v) - f->ts_s2c);
				th->cksum = sg_dp_csum_patch(th->cksum, (uint8_t *)th,
							     sizeof(*th) + tso + 4, &v, 4);
			}
		}
	}
	if (ret && f->ws_shift != 0 && !(p->tcp_flags & RTE_TCP_SYN_FLAG)) {
		uint32_t win = rte_be_to_cpu_16(th->rx_win);
		uint16_t nw;

		win = f->ws_shift > 0 ? win << f->ws_shift : win >> -f->ws_shift;
		nw = rte_cpu_to_be_16((uint16_t)RTE_MIN(win, 65535u));
		th->cksum = sg_dp_csum_patch(th->cksum, (uint8_t *)th,
					     offsetof(struct rte_tcp_hdr, rx_win), &nw, 2);
	}
}
