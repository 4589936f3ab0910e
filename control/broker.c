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

#include "broker.h"
#include "cs.h"
#include "sessiongate/sg_wire.h"
#include "ids.h"
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
host_match(const char *pat, size_t plen, const uint8_t *key, uint16_t klen)
{
	if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
		size_t sl = plen - 1; /* ".example.net" */

		return klen > sl && strncasecmp((const char *)key + klen - sl, pat + 1, sl) == 0;
	}
	return klen == plen && strncasecmp((const char *)key, pat, plen) == 0;
}

static bool
prefix_match(const char *pat, size_t plen, const uint8_t *key, uint16_t klen)
{
	return klen >= plen && memcmp(key, pat, plen) == 0;
}

/* Position of "NAME=" in @p key (a Cookie header or an RDP routing token). */
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
		       cookie_find(a->value, a->value_len, key, klen, &vlen) != NULL;
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

		if (!vip_eq(a, f))
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
	case SG_CTL_MATCH_RDP_COOKIE:
		v = cookie_find(a->value, a->value_len, key, klen, &vlen);
		return v == NULL ? -ENOENT : copy_user(v, vlen, user, userlen);
	case SG_CTL_MATCH_HTTP_HOST:
	case SG_CTL_MATCH_TLS_SNI:
		/* "*.desk.example" matched "alice.desk.example": the user is "alice". */
		if (a->value_len < 2 || a->value[0] != '*' || key_type == SG_MSG_L7_NONE)
			return -ENOENT;
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

/* Try to give @p cs a resource. @return true when it left the waiting queue path. */
static bool
broker_place(struct sg_ctl_broker *br, struct sg_ctl_cs *cs)
{
	struct sg_ctl_app *app = cs->app;
	int rc;

	if (app->n_exec >= app->cfg->exec_limit)
		return false;
	rc = sg_ctl_vm_place(br->vmm, cs);
	if (rc < 0)
		return false;
	app->n_exec++;
	if (rc == 1)
		br->hooks.install(br->hooks.ctx, cs);
	return true;
}

void
sg_ctl_broker_admit(struct sg_ctl_broker *br, struct sg_ctl_cs *cs)
{
	struct sg_ctl_app *app;

	app = sg_ctl_broker_match(br, &cs->flow, cs->key_type, cs->key, cs->key_len);
	if (app == NULL) {
		br->hooks.reject(br->hooks.ctx, cs, SG_MSG_REASON_NO_APP);
		return;
	}
	cs->app = app;
	if (app->cfg->affinity && cs->user[0] == '\0' &&
	    sg_ctl_broker_user(app->cfg, cs->key_type, cs->key, cs->key_len, cs->user,
			       sizeof(cs->user)) == 0)
		cs->user_id = sg_ctl_ids_user_id(br->ids, cs->user);
	/* FIFO: nobody overtakes a session already waiting for this application. */
	if (TAILQ_EMPTY(&app->queue) && broker_place(br, cs))
		return;
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
		if (app->cfg->pool != pool)
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

void
sg_ctl_broker_release(struct sg_ctl_broker *br, struct sg_ctl_cs *cs)
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

int
sg_ctl_broker_replace(struct sg_ctl_broker *br, struct sg_ctl_cs *cs)
{
	sg_ctl_broker_release(br, cs);
	sg_ctl_cs_set_state(br->tab, cs, SG_CTL_CS_NEW);
	return broker_place(br, cs) ? 0 : -ENOSPC;
}

struct sg_ctl_app *
sg_ctl_broker_app_by_name(struct sg_ctl_inv *inv, const char *name)
{
	unsigned int i;

	for (i = 0; i < inv->cfg->n_apps; i++)
		if (strcmp(inv->cfg->apps[i].name, name) == 0)
			return &inv->apps[i];
	return NULL;
}
