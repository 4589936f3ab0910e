/* SPDX-License-Identifier: BSD-3-Clause */
/* SYN cookies keyed with SipHash-2-4 (sg_dp_syncookie.h). */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <rte_branch_prediction.h>

#include "session/siphash.h"
#include "session/syncookie.h"

const uint16_t sg_dp_syncookie_mss[SG_DP_SYNCOOKIE_MSS_N] = {536,  1220, 1300, 1360,
							     1400, 1440, 1460, 8960};

#define TS_WSCALE_NONE SG_DP_SYNCOOKIE_TS_WSNONE
#define TS_SACK	       SG_DP_SYNCOOKIE_TS_SACK
#define TS_BITS	       0x1fu

/* The key words of @p slot as stored (the key schedule is SipHash's four xors). */
static void
load_key(const struct sg_dp_syncookie_secret *s, unsigned int slot, uint64_t key[2])
{
	key[0] = __atomic_load_n(&s->key[slot][0], __ATOMIC_RELAXED);
	key[1] = __atomic_load_n(&s->key[slot][1], __ATOMIC_RELAXED);
}

static uint64_t
le_addr(const uint8_t *a)
{
	return sg_dp_siphash_le64(a);
}

/*
 * The MAC's input, as few bytes as hold it (SipHash costs two rounds per
 * 8 bytes; up to 7 bytes ride in its final block): the addresses (IPv4: one
 * word, IPv6: four), ports and client ISN (one word), then counter, MSS
 * index, timestamp bits and family (7 tail bytes). 23 bytes for IPv4, 47
 * for IPv6: SipHash's length byte keeps the two apart as well. @p v is
 * SipHash's initial state under the key (sg_dp_siphash_init()).
 */
static inline uint32_t
mac24(const uint64_t v[4], const struct sg_dp_flow_key *k, uint32_t isn, uint32_t counter,
      unsigned int mss_idx, uint8_t ts_bits)
{
	uint64_t w[5], tail;
	unsigned int n;

	tail = (uint64_t)counter | (uint64_t)mss_idx << 32 | (uint64_t)ts_bits << 40 |
	       (uint64_t)k->family << 48;
	if (k->family == AF_INET) {
		w[0] = (uint64_t)(uint32_t)le_addr(k->src) | (uint64_t)(uint32_t)le_addr(k->dst)
								     << 32;
		n = 1;
	} else {
		w[0] = le_addr(k->src);
		w[1] = le_addr(k->src + 8);
		w[2] = le_addr(k->dst);
		w[3] = le_addr(k->dst + 8);
		n = 4;
	}
	w[n++] = (uint64_t)k->sport | (uint64_t)k->dport << 16 | (uint64_t)isn << 32;
	return (uint32_t)sg_dp_siphash24_words_from(v, w, n, tail, 7) & 0xffffffu;
}

/*
 * mac24() of an IPv4 flow, unrolled for its two words and inlined into the
 * burst: the generic one loops over a word count known only at run time
 * (this and the flush's byte count: 1008 -> 980 instructions a SYN,
 * callgrind, dp_flowperf syn32). The same tag: the check's mac24() accepts
 * it (dataplane-syncookie holds both to the reference SipHash).
 */
static inline uint32_t
mac24_v4(const uint64_t v[4], const struct sg_dp_flow_key *k, uint32_t isn, uint64_t tail)
{
	uint64_t v0 = v[0], v1 = v[1], v2 = v[2], v3 = v[3];
	uint64_t w0 = (uint64_t)(uint32_t)le_addr(k->src) | (uint64_t)(uint32_t)le_addr(k->dst)
								    << 32;
	uint64_t w1 = (uint64_t)k->sport | (uint64_t)k->dport << 16 | (uint64_t)isn << 32;

	SG_DP_SIPHASH_WORD(v0, v1, v2, v3, w0);
	SG_DP_SIPHASH_WORD(v0, v1, v2, v3, w1);
	return (uint32_t)sg_dp_siphash_finish(v0, v1, v2, v3, (uint64_t)(16 + 7) << 56 | tail) &
	       0xffffffu;
}

/* SipHash's initial state under the key of @p slot. */
static void
key_state(const struct sg_dp_syncookie_secret *s, unsigned int slot, uint64_t v[4])
{
	uint64_t key[2];

	load_key(s, slot, key);
	sg_dp_siphash_init(key[0], key[1], v);
}

int
sg_dp_syncookie_init(struct sg_dp_syncookie_secret *s)
{
	uint8_t rnd[32];
	size_t got = 0;
	unsigned int tries = 0;

	memset(s, 0, sizeof(*s));
	while (got < sizeof(rnd) && tries++ < 8) {
		ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);

		if (n > 0)
			got += (size_t)n;
		else if (n < 0 && errno != EINTR)
			break;
	}
	if (got < sizeof(rnd))
		return -EIO;
	memcpy(s->key, rnd, sizeof(rnd));
	memset(rnd, 0, sizeof(rnd));
	return 0;
}

void
sg_dp_syncookie_rotate(struct sg_dp_syncookie_secret *s, const uint8_t newkey[16])
{
	uint32_t gen = __atomic_load_n(&s->gen, __ATOMIC_RELAXED);
	unsigned int slot = (gen + 1) & 1; /* the previous key's slot: retired now */
	uint64_t w0, w1;

	memcpy(&w0, newkey, 8);
	memcpy(&w1, newkey + 8, 8);
	__atomic_store_n(&s->key[slot][0], w0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->key[slot][1], w1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->gen, gen + 1, __ATOMIC_RELEASE);
}

void
sg_dp_syncookie_make_burst(const struct sg_dp_syncookie_secret *s, uint32_t now_s,
			   struct sg_dp_syncookie_req *r, unsigned int n)
{
	uint32_t gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	uint32_t counter = now_s / SG_DP_SYNCOOKIE_PERIOD_S, hi = (counter & 31u) << 27;
	uint64_t v[4];
	unsigned int i;

	key_state(s, gen & 1, v);
	for (i = 0; i < n; i++) {
		const struct sg_dp_flow_key *k = r[i].k;
		uint32_t mac;

		if (likely(k->family == AF_INET))
			mac = mac24_v4(v, k, r[i].isn,
				       (uint64_t)counter | (uint64_t)r[i].idx << 32 |
					       (uint64_t)r[i].ts_bits << 40 |
					       (uint64_t)AF_INET << 48);
		else
			mac = mac24(v, k, r[i].isn, counter, r[i].idx, r[i].ts_bits);
		r[i].cookie = r[i].isn + (hi | (uint32_t)r[i].idx << 24 | mac);
	}
}

uint32_t
sg_dp_syncookie_make(const struct sg_dp_syncookie_secret *s, const struct sg_dp_flow_key *k,
		     uint32_t client_isn, uint32_t now_s, const struct sg_dp_tcp_opts *syn,
		     uint16_t *mss_out, uint32_t *tsval_out)
{
	struct sg_dp_syncookie_req r = {.k = k, .isn = client_isn};

	*mss_out = sg_dp_syncookie_prep(syn, &r.idx, &r.ts_bits);
	*tsval_out = r.ts_bits != 0 ? sg_dp_syncookie_tsval(now_s, r.ts_bits) : 0;
	sg_dp_syncookie_make_burst(s, now_s, &r, 1);
	return r.cookie;
}

int
sg_dp_syncookie_check(const struct sg_dp_syncookie_secret *s, const struct sg_dp_flow_key *k,
		      uint32_t ack_seq, uint32_t client_seq, uint32_t now_s, bool has_ts,
		      uint32_t tsecr, struct sg_dp_tcp_opts *out)
{
	uint32_t gen, isn = client_seq - 1, v = (ack_seq - 1) - isn;
	uint32_t now_c = now_s / SG_DP_SYNCOOKIE_PERIOD_S, t = v >> 27, counter, mac;
	unsigned int idx = (v >> 24) & 7u, slot;
	uint64_t vs[4];
	uint8_t ts_bits = 0;

	memset(out, 0, sizeof(*out));
	if (k->family != AF_INET && k->family != AF_INET6)
		return -EINVAL;
	/* the most recent counter with these 5 low bits, not after now */
	counter = now_c - ((now_c - t) & 31u);
	if (now_c - counter > 1)
		return -ETIMEDOUT;
	if (has_ts)
		ts_bits = (uint8_t)(0x80 | (tsecr & TS_BITS));
	gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	mac = v & 0xffffffu;
	for (slot = 0; slot < 2; slot++) { /* current, then previous */
		key_state(s, (gen + slot) & 1, vs);
		if (mac24(vs, k, isn, counter, idx, ts_bits) == mac)
			break;
	}
	if (slot == 2)
		return -EACCES;
	out->mss = sg_dp_syncookie_mss[idx];
	if (has_ts) {
		uint32_t ws = tsecr & TS_WSCALE_NONE;

		out->has_ts = true;
		out->sack_ok = (tsecr & TS_SACK) != 0;
		if (ws != TS_WSCALE_NONE) {
			if (ws > SG_DP_TCP_WSCALE_MAX)
				return -EINVAL;
			out->has_wscale = true;
			out->wscale = (uint8_t)ws;
		}
	}
	return 0;
}
