/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The broker and its application container: a new session is matched to a
 * virtual application (VIP, port, protocol, then the L7 key), then
 * admitted like a job in a grid resource manager:
 *
 *  - execution queue: sessions given a resource (WAITING for their VM,
 *    READY, INSTALLED), at most exec_limit per application;
 *  - waiting queue: sessions waiting for a place in the execution queue or
 *    for VM capacity (NEGOTIATING), FIFO, at most wait_limit;
 *  - a session that would wait while the waiting queue is full is rejected
 *    at once with SG_MSG_REASON_QUEUE_FULL.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "broker.h"
#include "cs.h"
#include "sessiongate/sg_wire.h"
#include "ids.h"
#include "qos.h"
#include "vm.h"

static bool
vip_eq(const struct sg_ctl_app_cfg *a, const struct sg_msg_flow *f)
{
	size_t len = SG_WIRE_FAMILY_LEN(a->family);

	return a->family == f->family && a->proto == f->proto && a->port == f->dport &&
	       memcmp(a->vip, f->daddr, len) == 0;
}

/* Host names compare case-insensitively; "*.example.net" matches any sub-domain. */
static bool
host_match_name(const char *pat, size_t plen, const uint8_t *key, uint16_t klen)
{
	if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
		size_t sl = plen - 1; /* ".example.net" */

		return klen > sl && strncasecmp((const char *)key + klen - sl, pat + 1, sl) == 0;
	}
	return klen == plen && strncasecmp((const char *)key, pat, plen) == 0;
}

/*
 * Length of an HTTP_HOST key without its ":port" (the data plane keeps the
 * port: a client of a service on another port than 80 sends "app.example:8080",
 * "[2001:db8::1]:8080"); @p klen when it has none.
 */
static uint16_t
host_len(const uint8_t *key, uint16_t klen)
{
	uint16_t i = klen;

	while (i > 0 && key[i - 1] >= '0' && key[i - 1] <= '9')
		i--;
	if (i == klen || i < 2 || key[i - 1] != ':')
		return klen;
	if (key[0] == '[' && key[i - 2] != ']')
		return klen; /* a colon inside an IPv6 literal */
	return i - 1;
}

/* The key as a whole ("app.example:8080" written in the rule), else without its port. */
static bool
host_match(const char *pat, size_t plen, const uint8_t *key, uint16_t klen)
{
	uint16_t hl = host_len(key, klen);

	return host_match_name(pat, plen, key, klen) ||
	       (hl != klen && host_match_name(pat, plen, key, hl));
}

static bool
prefix_match(const char *pat, size_t plen, const uint8_t *key, uint16_t klen)
{
	return klen >= plen && memcmp(key, pat, plen) == 0;
}

/* Position of "NAME=" in @p key (an RDP routing token "mstshash=NAME", or a Cookie header). */
static const uint8_t *
cookie_find(const char *name, size_t nlen, const uint8_t *key, uint16_t klen, uint16_t *vlen)
{
	size_t i, j;

	for (i = 0; i + nlen < klen; i++) {
		if (i > 0 && key[i - 1] != ' ' && key[i - 1] != ';' && key[i - 1] != ':')
			continue;
		if (memcmp(key + i, name, nlen) != 0 || key[i + nlen] != '=')
			continue;
		i += nlen + 1;
		for (j = i;
		     j < klen && key[j] != ';' && key[j] != '\r' && key[j] != '\n' && key[j] != ' ';
		     j++)
			;
		*vlen = (uint16_t)(j - i);
		return key + i;
	}
	return NULL;
}

/*
 * The value of a v4 HTTP_COOKIE key "NAME=value" whose NAME is @p name
 * (case-sensitive, as cookies are), or of an HTTP_HEADER key "Name: value"
 * whose Name is @p name (case-insensitive, as header names are). The data
 * plane sends exactly one pair; anything else does not match.
 */
static const uint8_t *
pair_value(const char *name, size_t nlen, bool header, const uint8_t *key, uint16_t klen,
	   uint16_t *vlen)
{
	size_t i;

	if (nlen == 0 || klen <= nlen || key[nlen] != (header ? ':' : '='))
		return NULL;
	if (header ? strncasecmp((const char *)key, name, nlen) != 0 : memcmp(key, name, nlen) != 0)
		return NULL;
	i = nlen + 1;
	while (header && i < klen && (key[i] == ' ' || key[i] == '\t'))
		i++;
	*vlen = (uint16_t)(klen - i);
	return key + i;
}

static bool
rule_match(const struct sg_ctl_app_cfg *a, uint8_t key_type, const uint8_t *key, uint16_t klen)
{
	uint16_t vlen;

	switch (a->match) {
	case SG_CTL_MATCH_HTTP_HOST:
		return key_type == SG_MSG_L7_HTTP_HOST &&
		       host_match(a->value, a->value_len, key, klen);
	case SG_CTL_MATCH_TLS_SNI:
		return key_type == SG_MSG_L7_TLS_SNI &&
		       host_match(a->value, a->value_len, key, klen);
	case SG_CTL_MATCH_HTTP_PATH:
		return key_type == SG_MSG_L7_HTTP_PATH &&
		       prefix_match(a->value, a->value_len, key, klen);
	case SG_CTL_MATCH_HTTP_COOKIE:
		return key_type == SG_MSG_L7_HTTP_COOKIE &&
		       pair_value(a->value, a->value_len, false, key, klen, &vlen) != NULL;
	case SG_CTL_MATCH_HTTP_HEADER:
		return key_type == SG_MSG_L7_HTTP_HEADER &&
		       pair_value(a->value, a->value_len, true, key, klen, &vlen) != NULL;
	case SG_CTL_MATCH_RDP_COOKIE:
		return key_type == SG_MSG_L7_RDP_COOKIE &&
		       cookie_find(a->value, a->value_len, key, klen, &vlen) != NULL;
	case SG_CTL_MATCH_PREFIX:
		return key_type == SG_MSG_L7_PREFIX &&
		       prefix_match(a->value, a->value_len, key, klen);
	default:
		return false;
	}
}

struct sg_ctl_app *
sg_ctl_broker_match(struct sg_ctl_broker *br, const struct sg_msg_flow *f, uint8_t key_type,
		    const uint8_t *key, uint16_t key_len)
{
	struct sg_ctl_app *fallback = NULL;
	unsigned int i;

	for (i = 0; i < br->cfg->n_apps; i++) {
		const struct sg_ctl_app_cfg *a = &br->cfg->apps[i];

		/* a removed app takes no new session: NO_APP (doc/control.md) */
		if (SG_CTL_SLOT_FREE(a) || a->retiring || !vip_eq(a, f))
			continue;
		if (a->match == SG_CTL_MATCH_ANY) {
			if (fallback == NULL)
				fallback = &br->inv->apps[i];
		} else if (rule_match(a, key_type, key, key_len)) {
			return &br->inv->apps[i];
		}
	}
	return fallback;
}

static int
copy_user(const uint8_t *v, size_t len, char *user, size_t userlen)
{
	size_t i;

	if (len == 0 || len >= userlen)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '-' || v[i] == '_' || v[i] == '.' ||
		      v[i] == '@'))
			return -EINVAL;
	memcpy(user, v, len);
	user[len] = '\0';
	return 0;
}

int
sg_ctl_broker_user(const struct sg_ctl_app_cfg *a, uint8_t key_type, const uint8_t *key,
		   uint16_t klen, char *user, size_t userlen)
{
	const uint8_t *v;
	uint16_t vlen;

	switch (a->match) {
	case SG_CTL_MATCH_HTTP_COOKIE:
	case SG_CTL_MATCH_HTTP_HEADER:
		v = pair_value(a->value, a->value_len, a->match == SG_CTL_MATCH_HTTP_HEADER, key,
			       klen, &vlen);
		return v == NULL ? -ENOENT : copy_user(v, vlen, user, userlen);
	case SG_CTL_MATCH_RDP_COOKIE:
		v = cookie_find(a->value, a->value_len, key, klen, &vlen);
		return v == NULL ? -ENOENT : copy_user(v, vlen, user, userlen);
	case SG_CTL_MATCH_HTTP_HOST:
	case SG_CTL_MATCH_TLS_SNI:
		/* "*.desk.example" matched "alice.desk.example": the user is "alice". */
		if (a->value_len < 2 || a->value[0] != '*' || key_type == SG_MSG_L7_NONE)
			return -ENOENT;
		if (!host_match_name(a->value, a->value_len, key, klen))
			klen = host_len(key, klen); /* "alice.desk.example:8080" */
		if (klen <= a->value_len - 1)
			return -ENOENT;
		return copy_user(key, klen - (a->value_len - 1), user, userlen);
	default:
		return -ENOENT;
	}
}

static void
broker_queue(struct sg_ctl_broker *br, struct sg_ctl_cs *cs)
{
	struct sg_ctl_app *app = cs->app;

	if (app->n_wait >= app->cfg->wait_limit) {
		br->hooks.reject(br->hooks.ctx, cs, SG_MSG_REASON_QUEUE_FULL);
		return;
	}
	TAILQ_INSERT_TAIL(&app->queue, cs, q);
	app->n_wait++;
	sg_ctl_cs_set_state(br->tab, cs, SG_CTL_CS_NEGOTIATING);
}

static bool
graph_app(const struct sg_ctl_broker *br, const struct sg_ctl_app *app)
{
	return app->cfg->auth.mode == SG_CTL_AUTH_TOKEN && app->cfg->auth.graph &&
	       sg_ctl_ids_store(br->ids) != NULL;
}

/* Try to give @p cs a resource. @return true when it left the waiting queue path. */
static bool
broker_place(struct sg_ctl_broker *br, struct sg_ctl_cs *cs)
{
	struct sg_ctl_app *app = cs->app;
	int rc;

	if (app->n_exec >= app->cfg->exec_limit)
		return false;
	if (graph_app(br, app)) {
		/* the graph as it is now (a session placed later asks again) */
		if (br->cand_cs != cs) {
			rc = sg_ctl_access_vms(br->uc, br->ids, br->bus, br->inv, cs, br->st,
					       br->cand, SG_CTL_ACCESS_VMS_MAX);
			br->n_cand = rc > 0 ? (unsigned int)rc : 0;
		}
		br->cand_cs = NULL;
		rc = sg_ctl_vm_place_among(br->vmm, cs, br->cand, br->n_cand);
	} else {
		rc = sg_ctl_vm_place(br->vmm, cs);
	}
	if (rc < 0)
		return false;
	app->n_exec++;
	if (rc == 1)
		br->hooks.install(br->hooks.ctx, cs);
	return true;
}

/*
 * Who may use @p cs's app: its token, then the graph (subscription, a VM
 * serving the user), then the user's session limit; all before any VM is
 * chosen or started. @return 0 or the enum sg_ctl_auth_refusal + 1.
 */
static int
broker_access(struct sg_ctl_broker *br, struct sg_ctl_cs *cs)
{
	int rc;

	if (cs->app->cfg->auth.mode == SG_CTL_AUTH_TOKEN) {
		rc = sg_ctl_auth_token(br->uc, br->ids, br->st, cs, (uint64_t)time(NULL));
		if (rc != 0)
			return rc;
		if (graph_app(br, cs->app)) {
			rc = sg_ctl_access_vms(br->uc, br->ids, br->bus, br->inv, cs, br->st,
					       br->cand, SG_CTL_ACCESS_VMS_MAX);
			br->n_cand = rc > 0 ? (unsigned int)rc : 0;
			rc = sg_ctl_access_refusal(rc);
			if (rc >= 0) {
				br->st->refused[rc]++;
				return rc + 1;
			}
			br->cand_cs = cs;
		}
	}
	rc = sg_ctl_qos_admit(br->qos, cs);
	if (rc == -EDQUOT) {
		br->st->refused[SG_CTL_AUTH_R_USER_SESSIONS]++;
		return SG_CTL_AUTH_R_USER_SESSIONS + 1;
	}
	return 0;
}

void
sg_ctl_broker_admit(struct sg_ctl_broker *br, struct sg_ctl_cs *cs)
{
	struct sg_ctl_app *app;
	bool placed;
	int refusal;

	app = sg_ctl_broker_match(br, &cs->flow, cs->key_type, cs->key, cs->key_len);
	if (app == NULL) {
		br->hooks.reject(br->hooks.ctx, cs, SG_MSG_REASON_NO_APP);
		return;
	}
	cs->app = app;
	if (app->cfg->auth.mode == SG_CTL_AUTH_ANONYMOUS && app->cfg->affinity &&
	    cs->user[0] == '\0' &&
	    sg_ctl_broker_user(app->cfg, cs->key_type, cs->key, cs->key_len, cs->user,
			       sizeof(cs->user)) == 0)
		cs->user_id = sg_ctl_ids_user_id(br->ids, cs->user);
	refusal = broker_access(br, cs);
	if (refusal != 0) {
		br->cand_cs = NULL;
		cs->why = sg_ctl_auth_refusal_name((unsigned int)refusal - 1); /* the access log */
		br->hooks.reject(br->hooks.ctx, cs, sg_ctl_auth_reason(app->cfg, refusal - 1));
		return;
	}
	/* FIFO: nobody overtakes a session already waiting for this application. */
	placed = TAILQ_EMPTY(&app->queue) && broker_place(br, cs);
	br->cand_cs = NULL;
	if (!placed)
		broker_queue(br, cs);
}

void
sg_ctl_broker_dispatch(struct sg_ctl_broker *br, unsigned int pool)
{
	struct sg_ctl_app *app;
	struct sg_ctl_cs *cs;
	unsigned int i;

	for (i = 0; i < br->cfg->n_apps; i++) {
		app = &br->inv->apps[i];
		if (SG_CTL_SLOT_FREE(&br->cfg->apps[i]) || app->cfg->pool != pool)
			continue;
		while ((cs = TAILQ_FIRST(&app->queue)) != NULL) {
			TAILQ_REMOVE(&app->queue, cs, q);
			app->n_wait--;
			if (!broker_place(br, cs)) {
				TAILQ_INSERT_HEAD(&app->queue, cs, q);
				app->n_wait++;
				break;
			}
		}
	}
}

/* Give back the slot @p cs holds (its user's count stays). */
static void
broker_unplace(struct sg_ctl_broker *br, struct sg_ctl_cs *cs)
{
	struct sg_ctl_app *app = cs->app;
	struct sg_ctl_vm *vm = cs->vm;

	if (app == NULL)
		return;
	switch (cs->state) {
	case SG_CTL_CS_NEGOTIATING:
		TAILQ_REMOVE(&app->queue, cs, q);
		app->n_wait--;
		return;
	case SG_CTL_CS_WAITING:
		TAILQ_REMOVE(&vm->waiters, cs, q);
		vm->n_reserved--;
		app->n_exec--;
		break;
	case SG_CTL_CS_READY:
	case SG_CTL_CS_INSTALLED:
		vm->n_sessions--;
		app->n_exec--;
		break;
	default:
		return;
	}
	if (vm->n_sessions == 0 && vm->n_reserved == 0)
		vm->idle_since_ns = br->clk->now_ns;
	br->inv->dispatch_pools |= 1ull << app->cfg->pool;
}

void
sg_ctl_broker_release(struct sg_ctl_broker *br, struct sg_ctl_cs *cs)
{
	broker_unplace(br, cs);
	sg_ctl_qos_release(br->qos, cs);
}

int
sg_ctl_broker_replace(struct sg_ctl_broker *br, struct sg_ctl_cs *cs)
{
	broker_unplace(br, cs);
	sg_ctl_cs_set_state(br->tab, cs, SG_CTL_CS_NEW);
	return broker_place(br, cs) ? 0 : -ENOSPC;
}

struct sg_ctl_app *
sg_ctl_broker_app_by_name(struct sg_ctl_inv *inv, const char *name)
{
	unsigned int i;

	for (i = 0; i < inv->cfg->n_apps; i++)
		if (!SG_CTL_SLOT_FREE(&inv->cfg->apps[i]) &&
		    strcmp(inv->cfg->apps[i].name, name) == 0)
			return &inv->apps[i];
	return NULL;
}
