/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table of controlling sessions: a hash by streaming session ID, one
 * count and one deadline-ordered list per state, and the change list the
 * next commit writes (sessiondb) or frees (ctl.c). Moving a session's
 * state is all it does: it calls no other module.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cs.h"

static const char *const cs_state_names[SG_CTL_CS_STATE_MAX] = {
	"new", "negotiating", "waiting", "ready", "installed", "closed", "failed"};
static const char *const reason_names[SG_MSG_REASON_MAX] = {
	"none",	    "no_app",  "queue_full", "vm_failed", "timeout",   "client_closed", "idle",
	"shutdown", "vm_down", "drained",    "admin",	  "forbidden", "login",		"limit"};

const char *
sg_ctl_cs_state_name(unsigned int s)
{
	return s < SG_CTL_CS_STATE_MAX ? cs_state_names[s] : "?";
}

const char *
sg_ctl_cs_reason_name(unsigned int r)
{
	return r < SG_MSG_REASON_MAX ? reason_names[r] : "?";
}

int
sg_ctl_cs_init(struct sg_ctl_cs_tab *t, const struct sg_ctl_cfg *cfg,
	       const struct sg_ctl_clock *clk)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	t->clk = clk;
	t->hmask = 1023;
	t->htab = calloc(t->hmask + 1, sizeof(struct sg_ctl_cs *));
	if (t->htab == NULL)
		return -ENOMEM;
	for (i = 0; i < SG_CTL_CS_STATE_MAX; i++)
		TAILQ_INIT(&t->tlist[i]);
	return 0;
}

void
sg_ctl_cs_fini(struct sg_ctl_cs_tab *t)
{
	struct sg_ctl_cs *cs, *next;
	unsigned int i;

	for (i = 0; t->htab != NULL && i <= t->hmask; i++) {
		for (cs = t->htab[i]; cs != NULL; cs = next) {
			next = cs->hnext;
			free(cs);
		}
	}
	free(t->htab);
	t->htab = NULL;
}

static uint32_t
cs_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint32_t)k;
}

struct sg_ctl_cs *
sg_ctl_cs_find(struct sg_ctl_cs_tab *t, uint64_t session_id)
{
	struct sg_ctl_cs *cs;

	for (cs = t->htab[cs_hash(session_id) & t->hmask]; cs != NULL; cs = cs->hnext)
		if (cs->session_id == session_id)
			return cs;
	return NULL;
}

static void
cs_hash_grow(struct sg_ctl_cs_tab *t)
{
	uint32_t nsize = (t->hmask + 1) * 2, i;
	struct sg_ctl_cs **nt, *cs, *next;

	nt = calloc(nsize, sizeof(struct sg_ctl_cs *));
	if (nt == NULL)
		return; /* longer chains, still correct */
	for (i = 0; i <= t->hmask; i++) {
		for (cs = t->htab[i]; cs != NULL; cs = next) {
			next = cs->hnext;
			cs->hnext = nt[cs_hash(cs->session_id) & (nsize - 1)];
			nt[cs_hash(cs->session_id) & (nsize - 1)] = cs;
		}
	}
	free(t->htab);
	t->htab = nt;
	t->hmask = nsize - 1;
}

static void
cs_hash_del(struct sg_ctl_cs_tab *t, struct sg_ctl_cs *cs)
{
	struct sg_ctl_cs **pp = &t->htab[cs_hash(cs->session_id) & t->hmask];

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == cs) {
			*pp = cs->hnext;
			t->n_cs--;
			return;
		}
	}
}

struct sg_ctl_cs *
sg_ctl_cs_alloc(struct sg_ctl_cs_tab *t, uint64_t session_id)
{
	struct sg_ctl_cs *cs;
	uint32_t b;

	if (t->n_cs >= SG_CTL_SESSIONS_MAX)
		return NULL;
	cs = calloc(1, sizeof(*cs));
	if (cs == NULL)
		return NULL;
	if (t->n_cs > t->hmask)
		cs_hash_grow(t);
	cs->session_id = session_id;
	b = cs_hash(session_id) & t->hmask;
	cs->hnext = t->htab[b];
	t->htab[b] = cs;
	t->n_cs++;
	cs->state = SG_CTL_CS_NEW;
	cs->audit_born = t->audit_seq;
	t->n_state[SG_CTL_CS_NEW]++;
	return cs;
}

static void
cs_mark(struct sg_ctl_cs_tab *t, struct sg_ctl_cs *cs)
{
	cs->dirty = true;
	if (!cs->queued) {
		cs->queued = true;
		cs->dnext = t->changed;
		t->changed = cs;
	}
}

static uint32_t
state_timeout_ms(const struct sg_ctl_cs_tab *t, unsigned int state)
{
	switch (state) {
	case SG_CTL_CS_NEGOTIATING:
		return t->cfg->queue_timeout_ms;
	case SG_CTL_CS_WAITING:
		return t->cfg->vm_start_timeout_ms;
	case SG_CTL_CS_READY:
		return t->cfg->install_timeout_ms;
	default:
		return 0;
	}
}

void
sg_ctl_cs_set_state(struct sg_ctl_cs_tab *t, struct sg_ctl_cs *cs, unsigned int state)
{
	uint32_t to;

	if (cs->in_tlist) {
		TAILQ_REMOVE(&t->tlist[cs->state], cs, t);
		cs->in_tlist = false;
	}
	t->n_state[cs->state]--;
	t->n_state[state]++;
	cs->state = (uint8_t)state;
	to = state_timeout_ms(t, state);
	if (to > 0) {
		/* One timeout per state: appending keeps each list in deadline order. */
		cs->deadline_ns = t->clk->now_ns + (uint64_t)to * 1000000;
		TAILQ_INSERT_TAIL(&t->tlist[state], cs, t);
		cs->in_tlist = true;
	}
	if (state == SG_CTL_CS_CLOSED || state == SG_CTL_CS_FAILED) {
		struct sg_ctl_cs_ended *e = &t->ended[t->n_ended++ % SG_CTL_CS_ENDED_MAX];

		*e = (struct sg_ctl_cs_ended){.session_id = cs->session_id,
					      .ended_ns = t->clk->now_ns,
					      .app = cs->app,
					      .vm = cs->vm,
					      .state = (uint8_t)state,
					      .reason = cs->reason};
		/* Rows go, then the object: removed from the index now, freed after commit. */
		cs_hash_del(t, cs);
		t->n_state[state]--;
		cs_mark(t, cs);
		cs->dirty = false;
		cs->doomed = true;
		return;
	}
	cs_mark(t, cs);
}

const struct sg_ctl_cs_ended *
sg_ctl_cs_ended_get(const struct sg_ctl_cs_tab *t, uint32_t i)
{
	if (i >= SG_CTL_CS_ENDED_MAX || i >= t->n_ended)
		return NULL;
	return &t->ended[(t->n_ended - 1 - i) % SG_CTL_CS_ENDED_MAX];
}

void
sg_ctl_cs_engage(struct sg_ctl_cs *cs, uint64_t provider_id)
{
	unsigned int i;

	for (i = 0; i < cs->n_providers; i++)
		if (cs->providers[i] == provider_id)
			return;
	if (cs->n_providers < SG_CTL_PROVIDERS_MAX)
		cs->providers[cs->n_providers++] = provider_id;
}
