/* SPDX-License-Identifier: BSD-3-Clause */
/* The announce decision and its commands to BIRD. */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "announce.h"

void
sg_rt_announce_init(struct sg_rt_announce *a, const struct sg_rt_plan *plan)
{
	memset(a, 0, sizeof(*a));
	a->plan = plan;
	sg_rt_announce_forget(a);
}

void
sg_rt_announce_forget(struct sg_rt_announce *a)
{
	for (unsigned int g = 0; g < SG_RT_GROUPS; g++)
		a->applied[g] = -1;
}

void
sg_rt_announce_want(struct sg_rt_announce *a, const struct sg_rt_liveness *lv)
{
	bool up = lv != NULL && lv->alive && lv->ready;

	a->want[SG_RT_VIPS] = up;
	a->want[SG_RT_NAT] = up;
	a->want[SG_RT_BACKUP] = up;
	a->want[SG_RT_BROKERED] = up && lv->ctl_up;
}

/* Enable or disable every protocol of group @p g: 0 or -errno. */
static int
set_group(struct sg_rt_announce *a, struct sg_rt_birdctl *b, unsigned int g, bool on)
{
	for (unsigned int k = 0; k < a->plan->n_proto[g]; k++) {
		int rc = sg_rt_birdctl_set(b, a->plan->proto[g][k], on);

		a->commands++;
		if (rc != 0) {
			a->command_errors++;
			syslog(LOG_ERR, "BIRD: %s %s: %s", on ? "enable" : "disable",
			       a->plan->proto[g][k], strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int
sg_rt_announce_apply(struct sg_rt_announce *a, struct sg_rt_birdctl *b, int64_t wall_ms,
		     bool *changed)
{
	int first = 0;

	*changed = false;
	for (unsigned int g = 0; g < SG_RT_GROUPS; g++) {
		int want = a->want[g] ? 1 : 0, rc;

		if (a->plan->n_proto[g] == 0 || a->applied[g] == want)
			continue;
		if (b->fd < 0)
			return -ENOTCONN;
		rc = set_group(a, b, g, a->want[g]);
		if (rc != 0) {
			a->applied[g] = -1;
			if (first == 0)
				first = rc;
			continue;
		}
		syslog(LOG_NOTICE, "%s %s (%u prefixes)", want ? "announce" : "withdraw",
		       sg_rt_group_name(g), a->plan->n_prefix[g]);
		a->applied[g] = want;
		a->changed_ms[g] = wall_ms;
		*changed = true;
	}
	return first;
}
