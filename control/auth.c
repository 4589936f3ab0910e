/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tokens of authenticated applications: sg-control verifies them without a
 * round trip (lib/token: HMAC-SHA256 with the application's keys), before
 * anything is chosen or started for the session. The token's user ID is
 * idmgr's persistent user ID; its name is looked up for the operator (kept
 * in the ucache with the graph's answers).
 */
#include <errno.h>
#include <string.h>

#include "auth.h"
#include "ids.h"
#include "ucache.h"

#include "sg_idmgr.h"
#include "sg_token_lib.h"

_Static_assert(SG_CTL_AUTH_R_APP - SG_CTL_AUTH_R_ABSENT == SG_TOKEN_E_APP - SG_TOKEN_E_ABSENT,
	       "token errors and refusals in the same order");

static const char *const refusal_names[SG_CTL_AUTH_R_MAX] = {
	"absent",	"format",	  "key",   "mac",	   "expired", "app",
	"unknown_user", "not_subscribed", "no_vm", "user_sessions"};

const char *
sg_ctl_auth_refusal_name(unsigned int r)
{
	return r < SG_CTL_AUTH_R_MAX ? refusal_names[r] : "?";
}

unsigned int
sg_ctl_auth_reason(const struct sg_ctl_app_cfg *app, unsigned int r)
{
	if (r == SG_CTL_AUTH_R_USER_SESSIONS)
		return SG_MSG_REASON_LIMIT;
	if (r <= SG_CTL_AUTH_R_APP && app->auth.on_fail == SG_CTL_AUTH_FAIL_LOGIN)
		return SG_MSG_REASON_LOGIN;
	return SG_MSG_REASON_FORBIDDEN;
}

/* cs->user: the name in idmgr of cs->user_id ("" when unknown or without idmgr), kept in @p uc. */
static void
user_name(struct sg_ctl_ucache *uc, struct sg_ctl_ids *ids, struct sg_ctl_cs *cs)
{
	struct sg_id_store *store = sg_ctl_ids_store(ids);
	struct sg_ctl_uent scratch, *e;
	struct sg_id_object o;

	_Static_assert(sizeof(e->name) == sizeof(cs->user), "a kept name is a session's");
	e = sg_ctl_ucache_get(uc, cs->user_id, cs->app, &scratch);
	if (!sg_ctl_ucache_has(uc, e, SG_CTL_UENT_NAME)) {
		int rc = store != NULL ? sg_id_get(store, cs->user_id, &o) : -ENOENT;

		e->name[0] = '\0';
		if (rc == 0 && o.type == SG_ID_T_USER && strlen(o.name) < sizeof(e->name))
			memcpy(e->name, o.name, strlen(o.name) + 1);
		if (rc == 0 || rc == -ENOENT || rc == -EINVAL) /* a failed read is not kept */
			e->have |= SG_CTL_UENT_NAME;
	}
	memcpy(cs->user, e->name, sizeof(cs->user));
}

int
sg_ctl_auth_token(struct sg_ctl_ucache *uc, struct sg_ctl_ids *ids, struct sg_ctl_auth_stats *st,
		  struct sg_ctl_cs *cs, uint64_t now_s)
{
	const struct sg_ctl_app_auth *au = &cs->app->cfg->auth;
	enum sg_token_err e = SG_TOKEN_E_ABSENT;
	struct sg_token t;
	const char *text;
	size_t len = 0;

	text = sg_token_find(cs->key_type, cs->key, cs->key_len, &len);
	if (text != NULL)
		e = sg_token_verify(text, len, au->keys, au->n_keys, cs->app->id, now_s, &t);
	if (e != SG_TOKEN_OK) {
		/* enum sg_token_err and the first refusals are in the same order */
		unsigned int r = (unsigned int)e - SG_TOKEN_E_ABSENT + SG_CTL_AUTH_R_ABSENT;

		st->refused[r]++;
		return (int)r + 1;
	}
	st->verified++;
	cs->user_id = t.user_id;
	user_name(uc, ids, cs);
	return 0;
}
