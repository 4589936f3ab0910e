/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per virtual service counters from VS_STATS: each worker reports its own
 * cumulative counters; the last report of each worker is kept and the
 * workers are summed at read time, so a lost or repeated message never
 * counts twice.
 */
#include <errno.h>
#include <string.h>

#include "vsstats.h"

int
sg_ctl_vs_update(struct sg_ctl_vs_stats *vs, const struct sg_msg *m, uint64_t now_ms)
{
	const struct sg_msg_vs_stats *v = &m->vs_stats;
	struct sg_ctl_vs_stats *s;
	size_t i;

	if (v->vs_slot >= SG_CTL_VS_SLOTS || m->hdr.worker >= SG_CTL_VS_WORKERS)
		return -ERANGE;
	/* sg_msg_check() saw the name NUL-terminated; it goes into metrics labels and JSON */
	for (i = 0; v->vs_name[i] != '\0'; i++)
		if ((unsigned char)v->vs_name[i] < 0x21 || (unsigned char)v->vs_name[i] > 0x7e ||
		    v->vs_name[i] == '"' || v->vs_name[i] == '\\')
			return -EPROTO;
	if (i == 0)
		return -EPROTO;
	s = &vs[v->vs_slot];
	if (strncmp(s->name, v->vs_name, sizeof(s->name)) != 0) {
		memset(s, 0, sizeof(*s));
		memcpy(s->name, v->vs_name, sizeof(s->name));
	}
	s->w[m->hdr.worker][0] = v->held;
	s->w[m->hdr.worker][1] = v->installed;
	s->w[m->hdr.worker][2] = v->rejected;
	s->w[m->hdr.worker][3] = v->held_now;
	s->updated_ms = now_ms;
	return 0;
}

void
sg_ctl_vs_sum(const struct sg_ctl_vs_stats *vs, unsigned int slot, struct sg_ctl_vs_sum *out)
{
	const struct sg_ctl_vs_stats *s;
	unsigned int w;

	memset(out, 0, sizeof(*out));
	if (slot >= SG_CTL_VS_SLOTS || vs[slot].updated_ms == 0)
		return;
	s = &vs[slot];
	out->name = s->name;
	out->updated_ms = s->updated_ms;
	for (w = 0; w < SG_CTL_VS_WORKERS; w++) {
		out->held += s->w[w][0];
		out->installed += s->w[w][1];
		out->rejected += s->w[w][2];
		out->held_now += s->w[w][3];
	}
}
