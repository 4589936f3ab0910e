/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin "token" command (sgctl token): mint a user token of a token
 * application with its first key (the user named in idmgr: the token
 * carries the persistent user ID), or check one: its claims and the
 * verdict sg-control would give it now.
 *
 *   {"cmd": "token", "op": "mint", "app": "desk", "user": "alice", "ttl": 3600}
 *   {"cmd": "token", "op": "check", "app": "desk", "token": "..."}
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "admin.h"
#include "broker.h"
#include "ids.h"
#include "view.h"

#include "sg_idmgr.h"
#include "sg_token_lib.h"

static json_t *
id_text(uint64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%#" PRIx64, id);
	return json_string(buf);
}

/* The persistent ID of user @p name (or handle "user/..."). */
static int
user_id(const struct sg_ctl_view *v, const char *name, uint64_t *id, char *err, size_t errlen)
{
	struct sg_id_store *st = sg_ctl_ids_store(v->ids);
	int rc;

	if (st == NULL) {
		snprintf(
			err, errlen,
			"no identity store (control.idmgr_dir): a token carries idmgr's persistent "
			"user ID");
		return -ENODEV;
	}
	rc = strchr(name, '/') != NULL || strchr(name, '#') != NULL
		     ? sg_id_lookup_handle(st, name, id)
		     : sg_id_lookup_name(st, SG_ID_NS_USER, SG_ID_T_USER, name, id);
	if (rc == 0 && sg_id_type_of(*id) != SG_ID_T_USER)
		rc = -EINVAL;
	if (rc < 0)
		snprintf(err, errlen,
			 "user '%s': no such user in the identity store (sgid add user %s)", name,
			 name);
	return rc;
}

static json_t *
claims(const struct sg_ctl_view *v, const struct sg_token *t)
{
	struct sg_id_store *st = sg_ctl_ids_store(v->ids);
	struct sg_id_object o;
	json_t *c = json_object();

	json_object_set_new(c, "user_id", id_text(t->user_id));
	if (st != NULL && sg_id_get(st, t->user_id, &o) == 0 && o.type == SG_ID_T_USER)
		json_object_set_new(c, "user", json_string(o.name));
	json_object_set_new(c, "app_id", id_text(t->app_id));
	json_object_set_new(c, "key_id", json_integer(t->key_id));
	json_object_set_new(c, "expires", json_integer((json_int_t)t->expires));
	return c;
}

json_t *
sg_ctl_admin_token(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req, char *err,
		   size_t errlen)
{
	const struct sg_ctl_app *app = sg_ctl_broker_app_by_name(v->inv, req->app);
	char text[SG_TOKEN_TEXT_LEN + 1];
	uint64_t now = (uint64_t)time(NULL);
	struct sg_token t = {0};
	enum sg_token_err e;
	json_t *o;

	if (app == NULL || app->cfg->auth.n_keys == 0) {
		snprintf(err, errlen, "%s: %s", req->app,
			 app == NULL ? "no such application"
				     : "not a token application (auth.keys)");
		return NULL;
	}
	if (strcmp(req->op, "mint") == 0) {
		if (user_id(v, req->user, &t.user_id, err, errlen) < 0)
			return NULL;
		t.app_id = app->id;
		t.expires = (uint32_t)(now + req->ttl_s);
		if (sg_token_mint(&app->cfg->auth.keys[0], &t, text, sizeof(text)) < 0) {
			snprintf(err, errlen, "%s: its first key cannot sign", req->app);
			return NULL;
		}
		t.key_id = app->cfg->auth.keys[0].id;
		syslog(LOG_NOTICE, "admin: token minted for user %s of %s, key %u, for %u s",
		       req->user, req->app, t.key_id, req->ttl_s);
		o = claims(v, &t);
		json_object_set_new(o, "token", json_string(text));
		return o;
	}
	e = sg_token_verify(req->token, strlen(req->token), app->cfg->auth.keys,
			    app->cfg->auth.n_keys, app->id, now, &t);
	o = e == SG_TOKEN_OK || e == SG_TOKEN_E_EXPIRED || e == SG_TOKEN_E_APP ? claims(v, &t)
									       : json_object();
	json_object_set_new(o, "verdict", json_string(sg_token_err_name(e)));
	json_object_set_new(o, "valid", json_boolean(e == SG_TOKEN_OK));
	return o;
}
