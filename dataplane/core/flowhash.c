/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table's index (flowhash.h): sizing, insert and delete. One
 * worker owns each index (no concurrency, no atomics), as its flow table.
 */
#include <errno.h>

#include <rte_malloc.h>

#include "core/flowhash.h"

int
sg_dp_fh_init(struct sg_dp_fh *fh, uint32_t keys, const void *base, uint32_t stride,
	      uint16_t key_off, uint16_t rkey_off, int socket)
{
	uint64_t nb = 2;

	memset(fh, 0, sizeof(*fh));
	if (keys == 0 || keys > (1u << 28) || base == NULL || !rte_is_power_of_2(stride) ||
	    (uint32_t)rkey_off != key_off + stride / 2 ||
	    rkey_off + sizeof(struct sg_dp_flow_key) > stride)
		return -EINVAL;
	/* at most half the slots in use when every key is in: buckets for 2 * keys / 7 */
	while (nb * SG_DP_FH_SLOTS < 2 * (uint64_t)keys)
		nb <<= 1;
	fh->b = rte_zmalloc_socket("sgdp_flowhash", nb * sizeof(*fh->b), RTE_CACHE_LINE_SIZE,
				   socket);
	if (fh->b == NULL)
		return -ENOMEM;
	fh->mask = (uint32_t)(nb - 1);
	fh->base = base;
	fh->kbase = (const uint8_t *)base + key_off;
	fh->shift = (uint32_t)__builtin_ctz(stride);
	return 0;
}

void
sg_dp_fh_free(struct sg_dp_fh *fh)
{
	rte_free(fh->b);
	memset(fh, 0, sizeof(*fh));
}

static void
slot_set(struct sg_dp_fh_bucket *b, uint32_t empty, uint32_t sig, uint32_t ref)
{
	unsigned int i = (unsigned int)__builtin_ctz(empty);

	b->sig[i] = sig;
	b->ref[i] = ref;
}

int
sg_dp_fh_add(struct sg_dp_fh *fh, const struct sg_dp_flow_key *key, uint32_t sig, uint32_t ref)
{
	struct sg_dp_fh_bucket *b = sg_dp_fh_primary(fh, sig), *a;
	uint32_t empty;

	if (sg_dp_fh_lookup(fh, key, sig) != 0)
		return -EEXIST;
	empty = sg_dp_fh_empty(b);
	if (likely(empty != 0)) {
		slot_set(b, empty, sig, ref);
		fh->count++;
		return 0;
	}
	a = sg_dp_fh_alt(fh, sig);
	empty = sg_dp_fh_empty(a);
	if (empty == 0)
		return -ENOSPC;
	slot_set(a, empty, sig, ref);
	b->ovf++;
	fh->count++;
	return 0;
}

/* Clear the slot of @p b holding (@p sig, @p ref); whether there was one. */
static bool
slot_clear(struct sg_dp_fh_bucket *b, uint32_t sig, uint32_t ref)
{
	uint32_t m = sg_dp_fh_match(b, sig);

	while (m != 0) {
		unsigned int i = (unsigned int)__builtin_ctz(m);

		m &= m - 1;
		if (b->ref[i] == ref) {
			b->ref[i] = 0;
			b->sig[i] = 0;
			return true;
		}
	}
	return false;
}

int
sg_dp_fh_del(struct sg_dp_fh *fh, uint32_t sig, uint32_t ref)
{
	struct sg_dp_fh_bucket *b = sg_dp_fh_primary(fh, sig);

	if (!slot_clear(b, sig, ref)) {
		if (b->ovf == 0 || !slot_clear(sg_dp_fh_alt(fh, sig), sig, ref))
			return -ENOENT;
		b->ovf--;
	}
	fh->count--;
	return 0;
}

size_t
sg_dp_fh_bytes(const struct sg_dp_fh *fh)
{
	return ((size_t)fh->mask + 1) * sizeof(*fh->b);
}
