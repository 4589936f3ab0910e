/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-user QoS of an application: the sessions each user holds at once
 * (a hash of (user, application) -> count, kept as sessions are admitted
 * and end) and the per-session rate handed to the data plane in
 * SESSION_INSTALL. A user's idmgr attributes override the application's
 * limits (read at each admission / install: an "sgid attr set" counts at
 * once).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "ids.h"
#include "qos.h"

#include "sg_idmgr.h"

#define QOS_BUCKETS (1u << 16)

struct qos_ent {
	uint64_t user;
	const struct sg_ctl_app *app;
	uint32_t n;
	struct qos_ent *next;
};

struct sg_ctl_qos {
	struct sg_ctl_ids *ids;
	struct qos_ent *b[QOS_BUCKETS];
};

struct sg_ctl_qos *
sg_ctl_qos_create(struct sg_ctl_ids *ids)
{
	struct sg_ctl_qos *q = calloc(1, sizeof(*q));

	if (q != NULL)
		q->ids = ids;
	return q;
}

void
sg_ctl_qos_destroy(struct sg_ctl_qos *q)
{
	struct qos_ent *e, *next;
	unsigned int i;

	if (q == NULL)
		return;
	for (i = 0; i < QOS_BUCKETS; i++)
		for (e = q->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(q);
}

static struct qos_ent **
slot(const struct sg_ctl_qos *q, uint64_t user, const struct sg_ctl_app *app)
{
	uint64_t h = (user ^ ((uint64_t)(uintptr_t)app << 20)) * 0x9e3779b97f4a7c15ull;
	struct qos_ent *const *pp = &q->b[h >> (64 - 16)];

	while (*pp != NULL && ((*pp)->user != user || (*pp)->app != app))
		pp = &(*pp)->next;
	return (struct qos_ent **)pp;
}

/* The user's idmgr attribute @p key as a number, or @p dflt. */
static uint32_t
user_attr(struct sg_ctl_qos *q, uint64_t user, const char *key, uint32_t dflt)
{
	struct sg_id_store *store = sg_ctl_ids_store(q->ids);
	char buf[24], *end;
	unsigned long v;

	if (store == NULL || sg_id_type_of(user) != SG_ID_T_USER ||
	    sg_id_attr_get(store, user, key, buf, sizeof(buf)) < 0)
		return dflt;
	v = strtoul(buf, &end, 10);
	return end != buf && *end == '\0' && v <= UINT32_MAX ? (uint32_t)v : dflt;
}

uint32_t
sg_ctl_qos_held(const struct sg_ctl_qos *q, uint64_t user, const struct sg_ctl_app *app)
{
	struct qos_ent **pp = slot(q, user, app);

	return *pp != NULL ? (*pp)->n : 0;
}

static int
qos_add(struct sg_ctl_qos *q, struct sg_ctl_cs *cs, uint32_t limit)
{
	struct qos_ent **pp = slot(q, cs->user_id, cs->app);

	if (*pp != NULL && limit != 0 && (*pp)->n >= limit)
		return -EDQUOT;
	if (*pp == NULL) {
		*pp = calloc(1, sizeof(**pp));
		if (*pp == NULL)
			return -ENOMEM;
		(*pp)->user = cs->user_id;
		(*pp)->app = cs->app;
	}
	(*pp)->n++;
	cs->user_counted = true;
	return 0;
}

int
sg_ctl_qos_admit(struct sg_ctl_qos *q, struct sg_ctl_cs *cs)
{
	if (cs->user_id == 0 || cs->user_counted)
		return 0;
	return qos_add(
		q, cs,
		user_attr(q, cs->user_id, "qos.user_sessions", cs->app->cfg->qos.user_sessions));
}

void
sg_ctl_qos_count(struct sg_ctl_qos *q, struct sg_ctl_cs *cs)
{
	if (cs->user_id != 0 && !cs->user_counted)
		(void)qos_add(q, cs, 0);
}

void
sg_ctl_qos_release(struct sg_ctl_qos *q, struct sg_ctl_cs *cs)
{
	struct qos_ent **pp, *e;

	if (!cs->user_counted)
		return;
	cs->user_counted = false;
	pp = slot(q, cs->user_id, cs->app);
	e = *pp;
	if (e == NULL)
		return;
	if (--e->n == 0) {
		*pp = e->next;
		free(e);
	}
}

void
sg_ctl_qos_install(struct sg_ctl_qos *q, const struct sg_ctl_cs *cs, uint32_t *rate_bps,
		   uint32_t *burst_bytes, uint32_t *usage_interval_s)
{
	const struct sg_ctl_app_qos *c = &cs->app->cfg->qos;

	*rate_bps = cs->user_id != 0 ? user_attr(q, cs->user_id, "qos.rate_bps", c->rate_bps)
				     : c->rate_bps;
	*burst_bytes = c->burst_bytes;
	*usage_interval_s = c->usage_interval_s;
}
