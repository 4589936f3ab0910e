/* SPDX-License-Identifier: BSD-3-Clause */
/* Hold buffer of a brokered session (sg_dp_hold.h). */
#include <errno.h>
#include <string.h>

#include "session/hold.h"
#include "session/seq.h"

int
sg_dp_hold_init(struct sg_dp_hold *h, struct sg_dp_hold_budget *budget, uint32_t first_seq,
		uint32_t max_bytes, uint16_t max_segs)
{
	memset(h, 0, sizeof(*h));
	if (budget == NULL || max_segs == 0 || max_segs > SG_DP_HOLD_SEGS_MAX || max_bytes == 0)
		return -EINVAL;
	h->budget = budget;
	h->next_seq = first_seq;
	h->max_bytes = max_bytes;
	h->max_segs = max_segs;
	return 0;
}

enum sg_dp_hold_result
sg_dp_hold_append(struct sg_dp_hold *h, struct rte_mbuf *m, uint32_t off, uint32_t len,
		  uint32_t seq)
{
	struct sg_dp_hold_seg *s;
	uint32_t end = seq + len;

	if (len == 0)
		return SG_DP_HOLD_EMPTY;
	if (off > rte_pktmbuf_pkt_len(m) || len > rte_pktmbuf_pkt_len(m) - off ||
	    len > UINT16_MAX || off > UINT16_MAX)
		return SG_DP_HOLD_BAD;
	if (sg_dp_seq_gt(seq, h->next_seq))
		return SG_DP_HOLD_OUT_OF_ORDER;
	if (sg_dp_seq_le(end, h->next_seq))
		return SG_DP_HOLD_DUP;
	/* overlap: keep only the bytes from next_seq on */
	off += h->next_seq - seq;
	len = end - h->next_seq;
	seq = h->next_seq;
	if (len > h->max_bytes - h->bytes)
		return SG_DP_HOLD_FULL_BYTES;
	if (h->n >= h->max_segs)
		return SG_DP_HOLD_FULL_SEGS;
	if (h->budget->used > h->budget->limit || len > h->budget->limit - h->budget->used)
		return SG_DP_HOLD_FULL_BUDGET;
	if (h->budget->mbufs > h->budget->mbuf_limit ||
	    m->nb_segs > h->budget->mbuf_limit - h->budget->mbufs)
		return SG_DP_HOLD_FULL_MBUFS;
	if (h->budget->pool != NULL &&
	    rte_mempool_avail_count(h->budget->pool) < h->budget->reserve)
		return SG_DP_HOLD_FULL_RESERVE;
	s = &h->seg[(h->head + h->n) % SG_DP_HOLD_SEGS_MAX];
	s->m = m;
	s->seq = seq;
	s->off = (uint16_t)off;
	s->len = (uint16_t)len;
	h->n++;
	h->bytes += len;
	h->budget->used += len;
	h->budget->mbufs += m->nb_segs;
	h->next_seq = end;
	return SG_DP_HOLD_OK;
}

size_t
sg_dp_hold_peek(const struct sg_dp_hold *h, uint8_t *buf, size_t cap)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < h->n && done < cap; i++) {
		const struct sg_dp_hold_seg *s = &h->seg[(h->head + i) % SG_DP_HOLD_SEGS_MAX];
		uint32_t want = s->len < cap - done ? s->len : (uint32_t)(cap - done);
		const void *p = rte_pktmbuf_read(s->m, s->off, want, buf + done);

		if (p == NULL) /* cannot happen: checked at append */
			break;
		if (p != buf + done)
			memcpy(buf + done, p, want);
		done += want;
	}
	return done;
}

const struct sg_dp_hold_seg *
sg_dp_hold_at(const struct sg_dp_hold *h, unsigned int i)
{
	if (i >= h->n)
		return NULL;
	return &h->seg[(h->head + i) % SG_DP_HOLD_SEGS_MAX];
}

int
sg_dp_hold_pop(struct sg_dp_hold *h, struct sg_dp_hold_seg *out)
{
	struct sg_dp_hold_seg *s;

	if (h->n == 0)
		return -ENOENT;
	s = &h->seg[h->head];
	*out = *s;
	memset(s, 0, sizeof(*s));
	h->head = (uint16_t)((h->head + 1) % SG_DP_HOLD_SEGS_MAX);
	h->n--;
	h->bytes -= out->len;
	h->budget->used -= out->len;
	h->budget->mbufs -= out->m->nb_segs;
	return 0;
}

void
sg_dp_hold_free(struct sg_dp_hold *h)
{
	struct sg_dp_hold_seg s;

	while (sg_dp_hold_pop(h, &s) == 0)
		rte_pktmbuf_free(s.m);
	h->head = 0;
}
