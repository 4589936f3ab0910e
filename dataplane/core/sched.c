/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Schedulers: weighted Maglev (lookup table built off the worker path),
 * weighted round robin (precomputed smooth sequence, per-worker position)
 * and weighted least connections (per-worker active flow counts).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_jhash.h>

#include "core/sched.h"
#include "core/state.h"

bool
sg_dp_is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; (uint64_t)d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

/*
 * Weighted Maglev (Eisenbud et al., NSDI'16, with weights as in Katran):
 * every backend walks its own permutation of the table (offset, skip from
 * its stable id); in each round a backend accumulates its weight and takes
 * the next free entry of its permutation each time the accumulator passes
 * the largest weight, so entries end up in proportion to the weights.
 */
struct maglev_state {
	uint64_t *next, *offset, *skip, *acc;
};

static int
maglev_state_init(struct maglev_state *st, const uint64_t *id, unsigned int n, uint32_t size)
{
	st->next = calloc(4 * (size_t)RTE_MAX(n, 1u), sizeof(uint64_t));
	if (st->next == NULL)
		return -ENOMEM;
	st->offset = st->next + n;
	st->skip = st->offset + n;
	st->acc = st->skip + n;
	for (unsigned int i = 0; i < n; i++) {
		st->offset[i] = (id[i] >> 32) % size;
		st->skip[i] = (id[i] & 0xffffffffu) % (size - 1) + 1;
	}
	return 0;
}

/* Fill the free entries of @p table (@p filled taken) by weighted rounds. */
static void
maglev_fill(struct maglev_state *st, const uint32_t *weight, unsigned int n, uint32_t size,
	    uint16_t *table, uint32_t filled)
{
	uint32_t max_w = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		max_w = RTE_MAX(max_w, weight[i]);
	if (max_w == 0 || filled >= size)
		return;
	for (;;) {
		for (i = 0; i < n; i++) {
			uint64_t c;

			if (weight[i] == 0)
				continue;
			st->acc[i] += weight[i];
			if (st->acc[i] < max_w)
				continue;
			st->acc[i] -= max_w;
			do {
				c = (st->offset[i] + st->next[i] * st->skip[i]) % size;
				st->next[i]++;
			} while (table[c] != SG_DP_NO_MEMBER);
			table[c] = (uint16_t)i;
			if (++filled == size)
				return;
		}
	}
}

int
sg_dp_maglev_build(const uint32_t *weight, const uint64_t *id, unsigned int n, uint32_t size,
		   uint16_t *table)
{
	return sg_dp_maglev_build_live(weight, id, NULL, n, size, table);
}

/*
 * Minimal disruption: the base table is built from every backend with a
 * weight (as if all were up), then only the entries of backends that are
 * not live are freed and given to the live ones, each continuing its own
 * permutation where the base build left it, in weighted rounds as the base
 * build does. The result depends only on the set of live backends; entries
 * of live backends never move; a backend back up takes back exactly its
 * base entries.
 */
int
sg_dp_maglev_build_live(const uint32_t *weight, const uint64_t *id, const bool *live,
			unsigned int n, uint32_t size, uint16_t *table)
{
	uint32_t lw[SG_CFG_MEMBERS_MAX];
	struct maglev_state st;
	uint32_t filled = 0, i;
	bool any_dead = false;
	int rc;

	if (size < 2 || !sg_dp_is_prime(size) || n > SG_DP_NO_MEMBER ||
	    (live != NULL && n > SG_CFG_MEMBERS_MAX))
		return -EINVAL;
	for (i = 0; i < size; i++)
		table[i] = SG_DP_NO_MEMBER;
	if (n == 0)
		return 0;
	rc = maglev_state_init(&st, id, n, size);
	if (rc < 0)
		return rc;
	maglev_fill(&st, weight, n, size, table, 0);
	for (i = 0; live != NULL && i < n; i++) {
		lw[i] = live[i] ? weight[i] : 0;
		any_dead |= !live[i] && weight[i] > 0;
	}
	if (any_dead) {
		for (i = 0; i < size; i++) {
			if (table[i] != SG_DP_NO_MEMBER && !live[table[i]])
				table[i] = SG_DP_NO_MEMBER;
			else if (table[i] != SG_DP_NO_MEMBER)
				filled++;
		}
		if (filled > 0)
			maglev_fill(&st, lw, n, size, table, filled);
	}
	free(st.next);
	return 0;
}

/* A member's stable Maglev seed: two 32-bit hashes of its name. */
static uint64_t
member_id(const char *name)
{
	uint64_t hi = rte_jhash(name, strlen(name), 0x6d61676c);
	uint64_t lo = rte_jhash(name, strlen(name), 0x65763031);

	return hi * 0x100000000ull + lo; /* hi < 2^32: the high half */
}

/* A virtual service's scheduler state from its pool (weights, live members). */
int
sg_dp_sched_build(struct sg_dp_vs *vs, char *err, size_t errlen)
{
	const struct sg_dp_pool *p = vs->pool;
	uint32_t w[SG_CFG_MEMBERS_MAX], ew[SG_CFG_MEMBERS_MAX];
	uint64_t id[SG_CFG_MEMBERS_MAX];
	bool live[SG_CFG_MEMBERS_MAX];
	unsigned int i;
	int rc;

	if (p->n_members > SG_CFG_MEMBERS_MAX) {
		(void)snprintf(err, errlen, "pool %s: %u members, at most %u", p->name,
			       p->n_members, SG_CFG_MEMBERS_MAX);
		return -EINVAL;
	}
	vs->n_active = 0;
	vs->n_cfg_active = 0;
	for (i = 0; i < p->n_members; i++) {
		const struct sg_dp_member *m = &p->members[i];

		w[i] = m->weight;
		live[i] = m->eff_weight > 0;
		ew[i] = m->eff_weight;
		vs->n_cfg_active += m->weight > 0;
		vs->n_active += live[i];
		/* the permutation follows the member's name, not its position */
		id[i] = member_id(m->name);
	}
	switch (vs->sched) {
	case SG_CFG_SCHED_MAGLEV:
		vs->maglev = malloc(sizeof(uint16_t) * vs->maglev_size);
		if (vs->maglev == NULL)
			return -ENOMEM;
		rc = sg_dp_maglev_build_live(w, id, live, p->n_members, vs->maglev_size,
					     vs->maglev);
		break;
	case SG_CFG_SCHED_WRR:
		rc = sg_dp_wrr_build(ew, p->n_members, &vs->wrr, &vs->wrr_len);
		break;
	case SG_CFG_SCHED_LC:
		rc = 0;
		break;
	default:
		(void)snprintf(err, errlen, "virtual service %s: unknown scheduler %d", vs->name,
			       (int)vs->sched);
		return -EINVAL;
	}
	if (rc < 0)
		(void)snprintf(err, errlen, "virtual service %s: scheduler tables: %s", vs->name,
			       strerror(-rc));
	return rc;
}

static uint32_t
gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/* Smooth weighted round robin (as nginx): picks spread out, not in runs. */
int
sg_dp_wrr_build(const uint32_t *weight, unsigned int n, uint16_t **seq, uint32_t *len)
{
	uint32_t w[SG_CFG_MEMBERS_MAX];
	int64_t cur[SG_CFG_MEMBERS_MAX] = {0};
	uint64_t sum = 0;
	uint32_t g = 0, i, k;
	uint16_t *s;

	*seq = NULL;
	*len = 0;
	if (n > SG_CFG_MEMBERS_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		w[i] = weight[i];
		g = w[i] ? gcd(g, w[i]) : g;
	}
	if (g == 0)
		return 0; /* no member with weight > 0 */
	for (i = 0; i < n; i++) {
		w[i] /= g;
		sum += w[i];
	}
	if (sum > SG_DP_WRR_SEQ_MAX) {
		uint64_t s2 = 0;

		for (i = 0; i < n; i++) {
			if (w[i] == 0)
				continue;
			w[i] = (uint32_t)RTE_MAX(1ull, (uint64_t)w[i] * SG_DP_WRR_SEQ_MAX / sum);
			s2 += w[i];
		}
		sum = s2;
	}
	s = malloc(sizeof(*s) * sum);
	if (s == NULL)
		return -ENOMEM;
	for (k = 0; k < sum; k++) {
		unsigned int best = 0;

		for (i = 0; i < n; i++) {
			cur[i] += w[i];
			if (w[i] && (w[best] == 0 || cur[i] > cur[best]))
				best = i;
		}
		cur[best] -= (int64_t)sum;
		s[k] = (uint16_t)best;
	}
	*seq = s;
	*len = (uint32_t)sum;
	return 0;
}

uint16_t
sg_dp_sched_pick(struct sg_dp_worker *w, const struct sg_dp_vs *vs, uint32_t hash)
{
	const struct sg_dp_pool *p = vs->pool;

	if (vs->n_active == 0)
		return SG_DP_NO_MEMBER;
	switch (vs->sched) {
	case SG_CFG_SCHED_MAGLEV:
		return vs->maglev[hash % vs->maglev_size];
	case SG_CFG_SCHED_WRR:
		return vs->wrr[w->wrr_pos[vs->slot]++ % vs->wrr_len];
	case SG_CFG_SCHED_LC: {
		/* weighted least connections on this worker's counts: min active / weight */
		unsigned int n = p->n_members, start = hash % n, i;
		uint16_t best = SG_DP_NO_MEMBER;
		uint64_t ba = 0, bw = 1;

		for (i = 0; i < n; i++) {
			unsigned int j = (start + i) % n;
			const struct sg_dp_member *m = &p->members[j];
			uint64_t a = w->member_active[m->slot];

			if (m->eff_weight == 0)
				continue;
			if (best == SG_DP_NO_MEMBER || a * bw < ba * m->eff_weight) {
				best = (uint16_t)j;
				ba = a;
				bw = m->eff_weight;
			}
		}
		return best;
	}
	default:
		return SG_DP_NO_MEMBER;
	}
}
