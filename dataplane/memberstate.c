/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Member state from sg-control, applied by the main lcore: worker 0 passes
 * every MEMBER_STATE it receives through a small SP/SC mailbox; each
 * housekeeping pass applies all that arrived to the health overlay
 * (core/health.h) and, when a member's state changed, rebuilds the tables
 * from the configuration in service plus the overlay and publishes them as
 * a reload does (same lock, same RCU discipline): many messages, one
 * rebuild.
 */
#include <errno.h>
#include <time.h>

#include <rte_ring_elem.h>

#include "app.h"

int
sg_dp_member_state_init(struct sg_dp_app *app)
{
	app->health = sg_dp_health_create();
	app->member_mbox = rte_ring_create_elem(
		"sg_member_mbox", sizeof(struct sg_msg_member_state), SG_DP_HEALTH_MBOX,
		rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (app->health == NULL || app->member_mbox == NULL) {
		SG_DP_LOG(ERR, "cannot create the member state overlay or its mailbox");
		return -ENOMEM;
	}
	return 0;
}

void
sg_dp_member_state_destroy(struct sg_dp_app *app)
{
	rte_ring_free(app->member_mbox);
	sg_dp_health_free(app->health);
	app->member_mbox = NULL;
	app->health = NULL;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *const st_names[SG_MSG_MEMBER_STATE_MAX] = {
	[SG_MSG_MEMBER_UP] = "up",
	[SG_MSG_MEMBER_DOWN] = "down",
	[SG_MSG_MEMBER_DRAIN] = "drain",
	[SG_MSG_MEMBER_RESET] = "reset",
};

const char *
sg_dp_member_state_name(uint8_t state)
{
	return state < SG_MSG_MEMBER_STATE_MAX && st_names[state] ? st_names[state] : "?";
}

/* Apply one message (ctl_lock held); log one line per message that changed something. */
static int
apply_one(struct sg_dp_app *app, const struct sg_msg_member_state *ms, uint64_t now)
{
	int rc;

	/* worker 0 checked it (sg_msg_check) on its own copy: strings end in NUL */
	rc = sg_dp_health_apply(app->health, app->cfg, ms, now);
	if (rc == -ENOENT) {
		SG_DP_LOG(WARNING, "member state for unknown member %s/%s ignored", ms->pool,
			  ms->member);
		return 0;
	}
	if (rc > 0)
		SG_DP_LOG(NOTICE, "member %s/%s: %s (generation %u, %d member(s) changed)",
			  (ms->flags & SG_MSG_MEMBER_ALL) ? "*" : ms->pool,
			  (ms->flags & SG_MSG_MEMBER_ALL) ? "*" : ms->member,
			  sg_dp_member_state_name(ms->state), ms->generation, rc);
	return rc > 0 ? rc : 0;
}

void
sg_dp_member_state_poll(struct sg_dp_app *app)
{
	struct sg_msg_member_state ms[32] = {0};
	struct sg_dp_health_stats *hs;
	unsigned int n, i, taken = 0;
	struct sg_dp_tables *nt;
	char err[256] = "";
	int changed = 0, rc;

	if (app->member_mbox == NULL)
		return;
	hs = sg_dp_health_stats(app->health);
	pthread_mutex_lock(&app->ctl_lock);
	while (taken < SG_DP_HEALTH_MBOX &&
	       (n = rte_ring_dequeue_burst_elem(app->member_mbox, ms, sizeof(ms[0]), RTE_DIM(ms),
						NULL)) > 0) {
		for (i = 0; i < n; i++)
			changed += apply_one(app, &ms[i], mono_ns());
		taken += n;
	}
	if (changed == 0 && !app->health_dirty) {
		pthread_mutex_unlock(&app->ctl_lock);
		return;
	}
	rc = sg_dp_tables_build_health(app->cfg, app->tables, app->port_info, app->health, &nt, err,
				       sizeof(err));
	if (rc != 0) {
		hs->rebuild_failed++;
		app->health_dirty = true; /* tried again on the next pass */
		pthread_mutex_unlock(&app->ctl_lock);
		SG_DP_LOG(ERR, "member state: cannot rebuild the tables: %s", err);
		return;
	}
	sg_dp_tables_swap(app, nt);
	hs->rebuilds++;
	app->health_dirty = false;
	pthread_mutex_unlock(&app->ctl_lock);
}
