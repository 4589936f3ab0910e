/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The flow table's index (flowhash.c): 5-tuple -> flow entry, in cache-line
 * buckets of seven (signature, reference) pairs. The keys are not copied:
 * a reference names a flow entry and which of its keys (the forward key or
 * a NAT flow's return key) it stands for, and a lookup compares that key in
 * the entry itself, which the packet reads next anyway. A lookup hit thus
 * reads one bucket and the entry (rte_hash read a bucket, a separate key
 * slot, then the entry), and a delete reads no key at all: it knows the
 * reference it removes.
 *
 * Each key has a primary bucket and an alternative one, both from its
 * signature. A key goes to its primary bucket unless that is full; the
 * primary bucket counts the keys it sent away (ovf), so a lookup reads the
 * alternative bucket only when that count is not zero. There is no cuckoo
 * displacement: sized for at most half the slots in use, a key finds both
 * its buckets full about never, and keys made to collide (the signature is
 * a CRC, which an attacker can aim) fill two buckets and no more: the
 * insert is refused and counted, and every lookup still reads at most two
 * lines.
 */
#ifndef SG_DP_CORE_FLOWHASH_H
#define SG_DP_CORE_FLOWHASH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <rte_common.h>
#include <rte_prefetch.h>

#include "core/addr.h"

#define SG_DP_FH_SLOTS 7

/** One cache line: seven slots and the count of keys sent to their alternative bucket. */
struct sg_dp_fh_bucket {
	uint32_t sig[SG_DP_FH_SLOTS];
	uint32_t ovf; /**< keys of this primary bucket stored in their alternative */
	uint32_t ref[SG_DP_FH_SLOTS]; /**< 0: empty; else sg_dp_fh_ref() */
	uint32_t pad;
} __rte_cache_aligned;

struct sg_dp_fh {
	struct sg_dp_fh_bucket *b;
	uint32_t mask; /**< buckets - 1 (a power of two) */
	uint32_t count;
	/* entry i at base + (i << shift); its key at kbase + (i << shift), the return key half
	 * an entry after it: reference r's key at kbase + ((r - 1) << (shift - 1)) */
	const uint8_t *base;
	const uint8_t *kbase;
	uint32_t shift;
};

/** The reference of entry @p idx's key (@p rkey: its return key). */
static inline uint32_t
sg_dp_fh_ref(uint32_t idx, bool rkey)
{
	return ((idx << 1) | (uint32_t)rkey) + 1;
}

/** The entry a reference names. */
static inline uint32_t
sg_dp_fh_idx(uint32_t ref)
{
	return (ref - 1) >> 1;
}

static inline const struct sg_dp_flow_key *
sg_dp_fh_key(const struct sg_dp_fh *fh, uint32_t ref)
{
	return (const struct sg_dp_flow_key *)(const void *)(fh->kbase + ((size_t)(ref - 1)
									  << (fh->shift - 1)));
}

static inline struct sg_dp_fh_bucket *
sg_dp_fh_primary(const struct sg_dp_fh *fh, uint32_t sig)
{
	return &fh->b[sig & fh->mask];
}

/* The alternative bucket: another bucket, from the signature's other bits. */
static inline struct sg_dp_fh_bucket *
sg_dp_fh_alt(const struct sg_dp_fh *fh, uint32_t sig)
{
	uint32_t x = sig * 0x9e3779b1u, a = ((x >> 16) ^ x) & fh->mask;

	if (a == (sig & fh->mask))
		a ^= 1; /* at least two buckets: still within the mask */
	return &fh->b[a];
}

/* Bit i: word i of @p row (one of a bucket's two rows of eight) is @p v, for the 7 slots. */
static inline uint32_t
sg_dp_fh_row_eq(const uint32_t *row, uint32_t v)
{
#ifdef __SSE2__
	/* words 0..3 and 4..7 against v, the eighth (ovf or pad) masked off */
	__m128i s = _mm_set1_epi32((int)v);
	__m128i lo = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(const void *)&row[0]), s);
	__m128i hi = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(const void *)&row[4]), s);

	return ((uint32_t)_mm_movemask_ps(_mm_castsi128_ps(lo)) |
		((uint32_t)_mm_movemask_ps(_mm_castsi128_ps(hi)) << 4)) &
	       ((1u << SG_DP_FH_SLOTS) - 1);
#else
	uint32_t m = 0, i;

	for (i = 0; i < SG_DP_FH_SLOTS; i++)
		m |= (uint32_t)(row[i] == v) << i;
	return m;
#endif
}

/** Bit i: slot i of @p b holds signature @p sig (maybe empty: check ref). */
static inline uint32_t
sg_dp_fh_match(const struct sg_dp_fh_bucket *b, uint32_t sig)
{
	return sg_dp_fh_row_eq(b->sig, sig);
}

/** Bit i: slot i of @p b is empty. */
static inline uint32_t
sg_dp_fh_empty(const struct sg_dp_fh_bucket *b)
{
	return sg_dp_fh_row_eq(b->ref, 0);
}

static inline bool
sg_dp_fh_key_eq(const struct sg_dp_flow_key *a, const struct sg_dp_flow_key *b)
{
	uint64_t x[5], y[5];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

/* The reference of @p key among the candidate slots @p m of @p b, or 0. */
static inline uint32_t
sg_dp_fh_find_in(const struct sg_dp_fh *fh, const struct sg_dp_fh_bucket *b, uint32_t m,
		 const struct sg_dp_flow_key *key)
{
	while (m != 0) {
		unsigned int i = (unsigned int)__builtin_ctz(m);
		uint32_t ref = b->ref[i];

		m &= m - 1;
		if (ref != 0 && sg_dp_fh_key_eq(sg_dp_fh_key(fh, ref), key))
			return ref;
	}
	return 0;
}

/** The reference of @p key (signature @p sig), or 0. */
static inline uint32_t
sg_dp_fh_lookup(const struct sg_dp_fh *fh, const struct sg_dp_flow_key *key, uint32_t sig)
{
	const struct sg_dp_fh_bucket *b = sg_dp_fh_primary(fh, sig);
	uint32_t ref = sg_dp_fh_find_in(fh, b, sg_dp_fh_match(b, sig), key);

	if (ref != 0 || likely(b->ovf == 0))
		return ref;
	b = sg_dp_fh_alt(fh, sig);
	return sg_dp_fh_find_in(fh, b, sg_dp_fh_match(b, sig), key);
}

/** Start fetching the bucket a lookup of signature @p sig reads first. */
static inline void
sg_dp_fh_prefetch(const struct sg_dp_fh *fh, uint32_t sig)
{
	rte_prefetch0(sg_dp_fh_primary(fh, sig));
}

/**
 * Look up @p n keys (at most 64) in three passes: the first starts fetching
 * every key's primary bucket, the second finds each key's candidate slots
 * and starts fetching the entry (its first two lines and its key's line)
 * of the first, the third compares the keys. Each pass's cache misses
 * overlap one another. (Fetching the buckets earlier, under the parse of
 * the burst, was slower: 106 against 73 ns a packet at 1M flows.) Bit k of
 * the result: key k was found, its entry in @p idx[k]; bit k of @p *rk: it
 * is that entry's return key.
 */
static inline uint64_t
sg_dp_fh_lookup_bulk(const struct sg_dp_fh *fh, const struct sg_dp_flow_key *const *keys,
		     const uint32_t *sig, unsigned int n, uint32_t *idx, uint64_t *rk)
{
	const struct sg_dp_fh_bucket *bk[64];
	uint32_t cand[64];
	uint64_t hits = 0, r = 0;
	unsigned int k;

	for (k = 0; k < n; k++) {
		bk[k] = sg_dp_fh_primary(fh, sig[k]);
		rte_prefetch0(bk[k]);
	}
	for (k = 0; k < n; k++) {
		uint32_t m = sg_dp_fh_match(bk[k], sig[k]);

		cand[k] = m;
		if (m != 0) {
			uint32_t ref = bk[k]->ref[__builtin_ctz(m)];

			if (ref != 0) {
				const uint8_t *e =
					fh->base + ((size_t)sg_dp_fh_idx(ref) << fh->shift);

				rte_prefetch0(e);
				rte_prefetch0(e + RTE_CACHE_LINE_SIZE);
				rte_prefetch0(sg_dp_fh_key(fh, ref));
			}
		}
	}
	for (k = 0; k < n; k++) {
		const struct sg_dp_fh_bucket *b = bk[k];
		uint32_t ref = cand[k] != 0 ? sg_dp_fh_find_in(fh, b, cand[k], keys[k]) : 0;

		if (ref == 0 && unlikely(b->ovf != 0)) {
			b = sg_dp_fh_alt(fh, sig[k]);
			ref = sg_dp_fh_find_in(fh, b, sg_dp_fh_match(b, sig[k]), keys[k]);
		}
		if (ref != 0) {
			ref--;
			hits |= UINT64_C(1) << k;
			r |= (uint64_t)(ref & 1) << k;
			idx[k] = ref >> 1;
		}
	}
	*rk = r;
	return hits;
}

/**
 * Make an index for at most @p keys keys of entries at @p base, @p stride
 * bytes apart (a power of two), each with its key at @p key_off and its
 * return key at @p rkey_off, half an entry after it (a reference's key is
 * then one shift and add away). @return 0 or -ENOMEM / -EINVAL.
 */
int sg_dp_fh_init(struct sg_dp_fh *fh, uint32_t keys, const void *base, uint32_t stride,
		  uint16_t key_off, uint16_t rkey_off, int socket);
void sg_dp_fh_free(struct sg_dp_fh *fh);
/**
 * Add @p ref for @p key (signature @p sig).
 * @return 0; -EEXIST when @p key is there already (under any reference);
 * -ENOSPC when both its buckets are full.
 */
int sg_dp_fh_add(struct sg_dp_fh *fh, const struct sg_dp_flow_key *key, uint32_t sig, uint32_t ref);
/** Remove @p ref, added with signature @p sig; -ENOENT if it is not there. */
int sg_dp_fh_del(struct sg_dp_fh *fh, uint32_t sig, uint32_t ref);
/** Bytes of the index. */
size_t sg_dp_fh_bytes(const struct sg_dp_fh *fh);

#endif /* SG_DP_CORE_FLOWHASH_H */
