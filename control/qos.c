/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-user QoS of an application: the sessions each user holds at once
 * (a hash of (user, application) -> count, kept as sessions are admitted
 * and end) and the per-session rate handed to the data plane in
 * SESSION_INSTALL. A user's idmgr attributes override the application's
 * limits (read once per admission, kept in the ucache while idmgr's store
 * is unchanged: an "sgid attr set" counts at the next session; the rate
 * stays on the session for its SESSION_INSTALL).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "qos.h"
#include "ucache.h"

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
	struct sg_ctl_ucache *uc; /**< the users' attributes (may be NULL) */
	struct qos_ent *b[QOS_BUCKETS];
};

struct sg_ctl_qos *
sg_ctl_qos_create(struct sg_ctl_ids *ids, struct sg_ctl_ucache *uc)
{
	struct sg_ctl_qos *q = calloc(1, sizeof(*q));

	if (q != NULL) {
		q->ids = ids;
		q->uc = uc;
	}
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

/* A QoS attribute's value as a number; false when it is none. */
static bool
attr_num(const char *value, uint32_t *out)
{
	unsigned long v;
	char *end;

	v = strtoul(value, &end, 10);
	if (end == value || *end != '\0' || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int
attr_cb(const char *key, const char *value, void *arg)
{
	struct sg_ctl_uent *e = arg;

	if (strcmp(key, "qos.user_sessions") == 0 && attr_num(value, &e->qos_sessions))
		e->qos_has |= SG_CTL_UENT_QOS_SESSIONS;
	else if (strcmp(key, "qos.rate_bps") == 0 && attr_num(value, &e->qos_rate))
		e->qos_has |= SG_CTL_UENT_QOS_RATE;
	return 0;
}

/*
 * The user's QoS attributes as @p q's cache keeps them: one walk of the
 * user's attributes in one read transaction when missing (an absent one
 * costs nothing more). A session without a user ID has none.
 */
static const struct sg_ctl_uent *
user_qos(struct sg_ctl_qos *q, const struct sg_ctl_cs *cs, struct sg_ctl_uent *scratch)
{
	struct sg_id_store *store = sg_ctl_ids_store(q->ids);
	struct sg_ctl_uent *e;

	int rc = 0;

	e = sg_ctl_ucache_get(q->uc, cs->user_id, cs->app, scratch);
	if (!sg_ctl_ucache_has(q->uc, e, SG_CTL_UENT_QOS)) {
		e->qos_has = 0;
		e->qos_sessions = 0;
		e->qos_rate = 0;
		if (store != NULL && sg_id_type_of(cs->user_id) == SG_ID_T_USER)
			rc = sg_id_attr_foreach(store, cs->user_id, attr_cb, e);
		if (rc < 0 && rc != -ENOENT)
			e->qos_has = 0; /* a half-read user has the app's limits, not kept */
		else
			e->have |= SG_CTL_UENT_QOS;
	}
	return e;
}

/* Read @p cs's user's QoS attributes once: the rate stays on @p cs for its INSTALL. */
static const struct sg_ctl_uent *
cs_qos(struct sg_ctl_qos *q, struct sg_ctl_cs *cs, struct sg_ctl_uent *scratch)
{
	const struct sg_ctl_uent *e = user_qos(q, cs, scratch);

	cs->qos_read = true;
	cs->qos_rate_set = (e->qos_has & SG_CTL_UENT_QOS_RATE) != 0;
	cs->qos_rate = e->qos_rate;
	return e;
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
	struct sg_ctl_uent scratch;
	const struct sg_ctl_uent *e;

	if (cs->user_id == 0 || cs->user_counted)
		return 0;
	e = cs_qos(q, cs, &scratch);
	return qos_add(q, cs,
		       e->qos_has & SG_CTL_UENT_QOS_SESSIONS ? e->qos_sessions
							     : cs->app->cfg->qos.user_sessions);
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
sg_ctl_qos_install(struct sg_ctl_qos *q, struct sg_ctl_cs *cs, uint32_t *rate_bps,
		   uint32_t *burst_bytes, uint32_t *usage_interval_s)
{
	const struct sg_ctl_app_qos *c = &cs->app->cfg->qos;
	struct sg_ctl_uent scratch;

	if (cs->user_id != 0 && !cs->qos_read)
		(void)cs_qos(q, cs, &scratch);
	*rate_bps = cs->user_id != 0 && cs->qos_rate_set ? cs->qos_rate : c->rate_bps;
	*burst_bytes = c->burst_bytes;
	*usage_interval_s = c->usage_interval_s;
}
