/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Member health: the appliance's pool members, the rise/fall state machine
 * of their active checks, passive ejection and the operator's drains, and
 * the MEMBER_STATE messages that tell the data plane.
 *
 * What a member gets (enum sg_msg_member_st), strongest first:
 *   RESET  a drain's deadline passed (member or all): flows reset, stays out
 *   DRAIN  drained by the operator: no new flows, existing ones finish
 *   DOWN   its active checks failed `fall` times, or passive ejection
 *   UP     otherwise. A member starts UP (as keepalived's checkers do): a
 *          sg-control (re)start never takes a serving member out of the
 *          data plane before its checks have spoken.
 * Only changes are sent; a data plane that (re)attaches starts with every
 * member UP and gets the rest again (sg_ctl_health_dp_attached()). The
 * operator's drains are health_drain.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "health.h"
#include "shm.h"

#define NS_PER_S  1000000000ull
#define NS_PER_MS 1000000ull

void
sg_ctl_health_init(struct sg_ctl_health *h, const struct sg_ctl_clock *clk, struct sg_ctl_shm *shm,
		   struct sg_ctl_cs_tab *tab)
{
	memset(h, 0, sizeof(*h));
	h->clk = clk;
	h->shm = shm;
	h->tab = tab;
	h->rnd = clk->now_ns | 1;
}

void
sg_ctl_health_fini(struct sg_ctl_health *h)
{
	free(h->m);
	free(h->pools);
	h->m = NULL;
	h->pools = NULL;
	h->n = h->n_pools = 0;
}

const char *
sg_ctl_health_state_name(uint8_t st)
{
	static const char *const names[SG_MSG_MEMBER_STATE_MAX] = {"?", "up", "down", "drain",
								   "reset"};

	return st < SG_MSG_MEMBER_STATE_MAX ? names[st] : "?";
}

const char *
sg_ctl_health_result_name(unsigned int res)
{
	static const char *const names[SG_CTL_CHECK_RESULT_MAX] = {"ok", "fail", "timeout"};

	return res < SG_CTL_CHECK_RESULT_MAX ? names[res] : "?";
}

uint8_t
sg_ctl_health_state(const struct sg_ctl_health *h, unsigned int i)
{
	const struct sg_ctl_member *m = &h->m[i];
	uint8_t drain = m->drain > h->all ? m->drain : h->all;

	if (drain == SG_CTL_DRAIN_RESET)
		return SG_MSG_MEMBER_RESET;
	if (drain == SG_CTL_DRAIN_ON)
		return SG_MSG_MEMBER_DRAIN;
	if (m->down || m->ejected_until_ns != 0)
		return SG_MSG_MEMBER_DOWN;
	return SG_MSG_MEMBER_UP;
}

static void
send_state(struct sg_ctl_health *h, const char *pool, const char *member, uint8_t st, uint8_t flags)
{
	struct sg_msg msg;

	/* No data plane: it is told everything when it attaches (sg_ctl_health_dp_attached()). */
	if (h->shm == NULL || !sg_ctl_shm_attached(h->shm))
		return;
	memset(&msg, 0, sizeof(msg));
	msg.hdr.type = SG_MSG_MEMBER_STATE;
	msg.member_state.state = st;
	msg.member_state.flags = flags;
	msg.member_state.generation = ++h->generation;
	snprintf(msg.member_state.pool, sizeof(msg.member_state.pool), "%s", pool);
	snprintf(msg.member_state.member, sizeof(msg.member_state.member), "%s", member);
	sg_ctl_shm_send(h->shm, 0, &msg);
}

static void
set_since(struct sg_ctl_member *m, uint64_t now_ns)
{
	m->since_ns = now_ns;
	m->since_unix = (int64_t)time(NULL);
}

void
sg_ctl_health_publish(struct sg_ctl_health *h, unsigned int i)
{
	struct sg_ctl_member *m = &h->m[i];
	uint8_t st = sg_ctl_health_state(h, i);

	if (st == m->published)
		return;
	syslog(LOG_NOTICE, "health: member %s/%s %s -> %s (%s)", m->pool, m->name,
	       sg_ctl_health_state_name(m->published), sg_ctl_health_state_name(st), m->reason);
	m->published = st;
	set_since(m, h->clk->now_ns);
	h->st.state_changes++;
	send_state(h, m->pool, m->name, st, 0);
}

void
sg_ctl_health_publish_all(struct sg_ctl_health *h, uint8_t st)
{
	unsigned int i;

	send_state(h, "", "", st, SG_MSG_MEMBER_ALL);
	for (i = 0; i < h->n; i++) {
		if (h->m[i].published != st)
			set_since(&h->m[i], h->clk->now_ns);
		h->m[i].published = st;
		sg_ctl_health_publish(h, i);
	}
}

int
sg_ctl_health_find(const struct sg_ctl_health *h, const char *pool, const char *member)
{
	unsigned int p, i;

	for (p = 0; p < h->n_pools; p++) {
		if (strcmp(h->pools[p].name, pool) != 0)
			continue;
		for (i = h->pools[p].first; i < h->pools[p].first + h->pools[p].n; i++)
			if (strcmp(h->m[i].name, member) == 0)
				return (int)i;
	}
	return -ENOENT;
}

/* The checked port: the member's check_port, the pool's check port, its service port, the VS's. */
static uint16_t
check_port(const struct sg_cfg *cfg, unsigned int p, const struct sg_cfg_member *mc)
{
	unsigned int v;

	if (mc->check_port != 0)
		return mc->check_port;
	if (cfg->pools[p].check.port != 0)
		return cfg->pools[p].check.port;
	if (mc->port != 0)
		return mc->port;
	for (v = 0; v < cfg->n_vs; v++)
		if (cfg->vs[v].pool == p)
			return cfg->vs[v].port;
	return 0;
}

static void
member_from_cfg(struct sg_ctl_member *m, const struct sg_cfg *cfg, unsigned int p,
		const struct sg_cfg_member *mc)
{
	snprintf(m->pool, sizeof(m->pool), "%s", cfg->pools[p].name);
	snprintf(m->name, sizeof(m->name), "%s", mc->name);
	m->pool_idx = p;
	m->addr = mc->addr;
	m->port = check_port(cfg, p, mc);
	m->source = mc->check_source.family != 0 ? mc->check_source : cfg->pools[p].check.source;
}

int
sg_ctl_health_set(struct sg_ctl_health *h, const struct sg_cfg *cfg)
{
	struct sg_ctl_health_pool *pools;
	struct sg_ctl_member *m;
	unsigned int p, j, n = 0;
	int old;

	for (p = 0; p < cfg->n_pools; p++)
		n += cfg->pools[p].n_members;
	if (n > SG_CTL_HEALTH_MEMBERS_MAX || cfg->n_pools > SG_CFG_POOLS_MAX)
		return -E2BIG;
	m = calloc(n + 1, sizeof(*m));
	pools = calloc(cfg->n_pools + 1, sizeof(*pools));
	if (m == NULL || pools == NULL) {
		free(m);
		free(pools);
		return -ENOMEM;
	}
	n = 0;
	for (p = 0; p < cfg->n_pools; p++) {
		snprintf(pools[p].name, sizeof(pools[p].name), "%s", cfg->pools[p].name);
		pools[p].check = cfg->pools[p].check;
		pools[p].passive = cfg->pools[p].passive;
		pools[p].first = n;
		pools[p].n = cfg->pools[p].n_members;
		for (j = 0; j < cfg->pools[p].n_members; j++, n++) {
			const struct sg_cfg_member *mc = &cfg->pools[p].members[j];

			old = sg_ctl_health_find(h, cfg->pools[p].name, mc->name);
			if (old >= 0) {
				m[n] = h->m[old]; /* its state, counters, drain */
				m[n].inflight = false;
			} else {
				m[n].published = SG_MSG_MEMBER_UP;
				m[n].next_ns = h->clk->now_ns;
				set_since(&m[n], h->clk->now_ns);
				snprintf(m[n].reason, sizeof(m[n].reason), "new");
			}
			member_from_cfg(&m[n], cfg, p, mc);
		}
	}
	free(h->m);
	free(h->pools);
	h->m = m;
	h->n = n;
	h->pools = pools;
	h->n_pools = cfg->n_pools;
	/* A pool whose check changed type or vanished: verdicts of the old check lapse. */
	for (j = 0; j < n; j++)
		if (pools[m[j].pool_idx].check.type == SG_CFG_CHECK_NONE && m[j].down) {
			m[j].down = false;
			snprintf(m[j].reason, sizeof(m[j].reason), "no active check");
			sg_ctl_health_publish(h, j);
		}
	return 0;
}

int
sg_ctl_health_load(struct sg_ctl_health *h, const char *path, char *err, size_t errlen)
{
	struct sg_cfg_error cerr;
	struct sg_cfg *cfg = NULL;
	int rc;

	memset(&cerr, 0, sizeof(cerr));
	rc = sg_cfg_load_file(path, &cfg, &cerr);
	if (rc < 0) {
		char buf[512];

		snprintf(err, errlen, "control.appliance_config: %s",
			 sg_cfg_error_format(&cerr, buf, sizeof(buf)));
		return rc;
	}
	rc = sg_ctl_health_set(h, cfg);
	if (rc < 0)
		snprintf(err, errlen, "control.appliance_config: %s: %s", path,
			 rc == -E2BIG ? "too many members" : "out of memory");
	sg_cfg_free(cfg);
	return rc;
}

/* Interval plus up to 10 % jitter, so that checks of a pool spread out. */
static uint64_t
next_check(struct sg_ctl_health *h, const struct sg_cfg_health_check *c)
{
	uint64_t iv = (uint64_t)c->interval_ms * NS_PER_MS;

	h->rnd ^= h->rnd << 13;
	h->rnd ^= h->rnd >> 7;
	h->rnd ^= h->rnd << 17;
	return h->clk->now_ns + iv + (iv / 10 != 0 ? h->rnd % (iv / 10) : 0);
}

int
sg_ctl_health_due(struct sg_ctl_health *h, unsigned int from)
{
	unsigned int i;

	for (i = from; i < h->n; i++) {
		struct sg_ctl_member *m = &h->m[i];

		if (m->inflight || m->next_ns > h->clk->now_ns ||
		    h->pools[m->pool_idx].check.type == SG_CFG_CHECK_NONE)
			continue;
		m->inflight = true;
		return (int)i;
	}
	return -1;
}

void
sg_ctl_health_cancelled(struct sg_ctl_health *h, unsigned int i)
{
	if (i < h->n) {
		h->m[i].inflight = false;
		h->m[i].next_ns = h->clk->now_ns;
	}
}

void
sg_ctl_health_result(struct sg_ctl_health *h, unsigned int i, enum sg_ctl_check_result res,
		     const char *text)
{
	struct sg_ctl_member *m;
	const struct sg_cfg_health_check *c;

	if (i >= h->n || res >= SG_CTL_CHECK_RESULT_MAX)
		return;
	m = &h->m[i];
	c = &h->pools[m->pool_idx].check;
	m->inflight = false;
	m->next_ns = next_check(h, c);
	m->checks[res]++;
	h->st.checks[res]++;
	snprintf(m->last, sizeof(m->last), "%s: %s", sg_ctl_health_result_name(res), text);
	if (res == SG_CTL_CHECK_OK) {
		m->fail_run = 0;
		m->ok_run++;
		if (m->down && m->ok_run >= c->rise) {
			m->down = false;
			snprintf(m->reason, sizeof(m->reason), "%u checks passed", m->ok_run);
		}
	} else {
		m->ok_run = 0;
		m->fail_run++;
		if (!m->down && m->fail_run >= c->fall) {
			m->down = true;
			snprintf(m->reason, sizeof(m->reason), "%u checks failed (%s)", m->fail_run,
				 text);
		}
	}
	sg_ctl_health_publish(h, i);
}

/* Members of pool @p p out now (ejected or down). */
static unsigned int
pool_out(const struct sg_ctl_health *h, unsigned int p)
{
	unsigned int i, n = 0;

	for (i = h->pools[p].first; i < h->pools[p].first + h->pools[p].n; i++)
		n += h->m[i].down || h->m[i].ejected_until_ns != 0;
	return n;
}

static void
eject(struct sg_ctl_health *h, unsigned int i, const char *why)
{
	struct sg_ctl_member *m = &h->m[i];
	const struct sg_ctl_health_pool *pl = &h->pools[m->pool_idx];
	uint64_t base = (uint64_t)pl->passive.ejection_s * NS_PER_S;

	if ((uint64_t)(pool_out(h, m->pool_idx) + 1) * 100 >
	    (uint64_t)pl->passive.max_ejected_pct * pl->n) {
		h->st.ejections_refused++;
		syslog(LOG_WARNING, "health: member %s/%s not ejected: max_ejected_pct %u%% of %s",
		       m->pool, m->name, pl->passive.max_ejected_pct, m->pool);
		return;
	}
	/* Envoy: a re-ejection soon after the last one doubles the time out. */
	if (m->eject_end_ns != 0 && h->clk->now_ns - m->eject_end_ns < 10 * base * m->eject_mult)
		m->eject_mult = m->eject_mult * 2 > SG_CTL_HEALTH_EJECT_MULT_MAX
					? SG_CTL_HEALTH_EJECT_MULT_MAX
					: m->eject_mult * 2;
	else
		m->eject_mult = 1;
	m->ejected_until_ns = h->clk->now_ns + base * m->eject_mult;
	m->ejections++;
	h->st.ejections++;
	snprintf(m->reason, sizeof(m->reason), "ejected for %u s: %s",
		 pl->passive.ejection_s * m->eject_mult, why);
	sg_ctl_health_publish(h, i);
}

void
sg_ctl_health_on_suspect(struct sg_ctl_health *h, const struct sg_msg *msg)
{
	static const char *const why[SG_MSG_SUSPECT_MAX] = {
		"?", "connect refused", "connect timeout", "reset early", "replay failed"};
	const struct sg_msg_member_suspect *s = &msg->suspect;
	const struct sg_ctl_health_pool *pl;
	struct sg_ctl_member *m;
	int i;

	h->st.suspects++;
	i = sg_ctl_health_find(h, s->pool, s->member);
	if (i < 0) {
		h->st.suspects_unknown++;
		return;
	}
	m = &h->m[i];
	pl = &h->pools[m->pool_idx];
	if (pl->check.type != SG_CFG_CHECK_NONE) {
		/* Confirm with the active check: it counts toward fall. */
		if (!m->inflight && m->next_ns > h->clk->now_ns) {
			m->next_ns = h->clk->now_ns;
			h->st.checks_now++;
		}
		return;
	}
	if (pl->passive.consecutive_failures == 0 ||
	    s->failures < pl->passive.consecutive_failures || m->ejected_until_ns != 0) {
		h->st.suspects_ignored++;
		return;
	}
	eject(h, (unsigned int)i, s->reason < SG_MSG_SUSPECT_MAX ? why[s->reason] : "?");
}

void
sg_ctl_health_tick(struct sg_ctl_health *h)
{
	uint64_t now = h->clk->now_ns;
	unsigned int i;

	for (i = 0; i < h->n; i++) {
		struct sg_ctl_member *m = &h->m[i];

		if (m->ejected_until_ns != 0 && now >= m->ejected_until_ns) {
			m->ejected_until_ns = 0;
			m->eject_end_ns = now;
			snprintf(m->reason, sizeof(m->reason), "ejection ended");
			sg_ctl_health_publish(h, i);
		}
	}
}

void
sg_ctl_health_dp_attached(struct sg_ctl_health *h)
{
	if (h->n == 0 && h->all == SG_CTL_DRAIN_NONE)
		return;
	h->st.resyncs++;
	/* Also a data plane that kept states from before (sg-control restarted) is told all. */
	sg_ctl_health_publish_all(h, h->all == SG_CTL_DRAIN_RESET ? SG_MSG_MEMBER_RESET
				     : h->all == SG_CTL_DRAIN_ON  ? SG_MSG_MEMBER_DRAIN
								  : SG_MSG_MEMBER_UP);
}
