/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table's index (core/flowhash.h) against a model: random adds,
 * deletes and lookups (single and bulk) on a small index, forward and
 * return keys of the same entries; keys made to share a signature fill
 * their two buckets and are then refused (-ENOSPC) while every other key
 * is still found; a key added twice is refused (-EEXIST); deletes of what
 * is not there answer -ENOENT and change nothing.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dp_test.h"
#include "core/flowhash.h"

#define ENTRIES 4096u

/* Entries as the flow table lays them out: a key and a return key each, 128 bytes apart. */
struct entry {
	uint64_t pad0[2];
	struct sg_dp_flow_key key;
	uint8_t pad1[24];
	struct sg_dp_flow_key rkey; /* half an entry after the key, as the index wants */
	uint8_t pad2[8];
};

_Static_assert(sizeof(struct entry) == 128, "entries a power of two apart");
_Static_assert(offsetof(struct entry, rkey) == offsetof(struct entry, key) + 64,
	       "the return key half an entry after the key");

static struct entry ents[ENTRIES];
static bool in_fwd[ENTRIES], in_ret[ENTRIES];
static uint32_t sig_fwd[ENTRIES], sig_ret[ENTRIES];
static struct sg_dp_fh fh;

static void
rand_key(struct sg_dp_flow_key *k, unsigned int i, bool ret)
{
	memset(k, 0, sizeof(*k));
	k->family = (i & 1) ? AF_INET6 : AF_INET;
	k->proto = (i & 2) ? IPPROTO_UDP : IPPROTO_TCP;
	k->src[0] = ret ? 198 : 2;
	memcpy(&k->src[4], &i, sizeof(i));
	k->dst[3] = (uint8_t)rand();
	k->sport = (uint16_t)rand();
	k->dport = (uint16_t)rand();
}

static int
setup(void **state)
{
	(void)state;
	memset(ents, 0, sizeof(ents));
	memset(in_fwd, 0, sizeof(in_fwd));
	memset(in_ret, 0, sizeof(in_ret));
	return sg_dp_fh_init(&fh, 2 * ENTRIES, ents, sizeof(ents[0]), offsetof(struct entry, key),
			     offsetof(struct entry, rkey), SOCKET_ID_ANY);
}

static int
teardown(void **state)
{
	(void)state;
	sg_dp_fh_free(&fh);
	return 0;
}

/* Every key of the model is found as what it is, and a deleted one is not. */
static void
check_model(void)
{
	const struct sg_dp_flow_key *keys[32];
	uint32_t sig[32], idx[32], want[32];
	unsigned int i, n = 0, count = 0;

	for (i = 0; i < ENTRIES; i++) {
		uint32_t r = sg_dp_fh_lookup(&fh, &ents[i].key, sig_fwd[i]);

		assert_int_equal(r, in_fwd[i] ? sg_dp_fh_ref(i, false) : 0);
		r = sg_dp_fh_lookup(&fh, &ents[i].rkey, sig_ret[i]);
		assert_int_equal(r, in_ret[i] ? sg_dp_fh_ref(i, true) : 0);
		count += in_fwd[i] + in_ret[i];
		/* bulk: 32 at a time, forward and return keys by turns */
		keys[n] = i % 2 ? &ents[i].rkey : &ents[i].key;
		sig[n] = i % 2 ? sig_ret[i] : sig_fwd[i];
		want[n++] = i % 2 ? in_ret[i] : in_fwd[i];
		if (n == 32) {
			uint64_t hits, rk;
			unsigned int k;

			for (k = 0; k < n; k++)
				sg_dp_fh_prefetch(&fh, sig[k]);
			hits = sg_dp_fh_lookup_bulk(&fh, keys, sig, n, idx, &rk);
			for (k = 0; k < n; k++) {
				assert_int_equal((hits >> k) & 1, want[k]);
				if (!want[k])
					continue;
				assert_int_equal(idx[k], i + 1 - n + k);
				assert_int_equal((rk >> k) & 1, (i + 1 - n + k) % 2);
			}
			n = 0;
		}
	}
	assert_int_equal(fh.count, count);
}

static bool
bucket_full(const struct sg_dp_fh_bucket *b)
{
	unsigned int i;

	for (i = 0; i < SG_DP_FH_SLOTS; i++)
		if (b->ref[i] == 0)
			return false;
	return true;
}

static void
test_random(void **state)
{
	unsigned int step, n_full = 0;
	int rc;

	(void)state;
	srand(42);
	for (step = 0; step < 200000; step++) {
		unsigned int i = (unsigned int)rand() % ENTRIES;
		bool ret = rand() & 1;
		bool *in = ret ? in_ret : in_fwd;
		uint32_t *sg = ret ? sig_ret : sig_fwd;
		struct sg_dp_flow_key *k = ret ? &ents[i].rkey : &ents[i].key;

		if (!in[i]) {
			rand_key(k, i, ret);
			/* a narrow signature: many keys per bucket, overflows to the alternative */
			sg[i] = (uint32_t)rand() & ((step & 1) ? 0xffffffffu : 0x3fff3u);
			rc = sg_dp_fh_add(&fh, k, sg[i], sg_dp_fh_ref(i, ret));
			if (rc == -ENOSPC) { /* only when both buckets are full */
				assert_true(bucket_full(sg_dp_fh_primary(&fh, sg[i])));
				assert_true(bucket_full(sg_dp_fh_alt(&fh, sg[i])));
				n_full++;
				continue;
			}
			assert_int_equal(rc, 0);
			in[i] = true;
			/* the same key again, under another reference: refused */
			assert_int_equal(sg_dp_fh_add(&fh, k, sg[i], sg_dp_fh_ref(i, !ret)),
					 -EEXIST);
		} else {
			assert_int_equal(sg_dp_fh_del(&fh, sg[i], sg_dp_fh_ref(i, ret)), 0);
			in[i] = false;
			assert_int_equal(sg_dp_fh_del(&fh, sg[i], sg_dp_fh_ref(i, ret)), -ENOENT);
		}
		if (step % 20000 == 0)
			check_model();
	}
	check_model();
	/* the narrow signatures crowd a quarter of the buckets: a few refusals, no more */
	assert_true(n_full < 100);
}

/*
 * Keys aimed at one signature: two buckets' worth go in, the next is
 * refused, all of them are found, and one deleted from the primary bucket
 * makes room again.
 */
static void
test_collisions(void **state)
{
	const uint32_t sig = 0xdeadbee0u;
	unsigned int i, cap = 2 * SG_DP_FH_SLOTS;

	(void)state;
	srand(7);
	for (i = 0; i < cap + 4; i++) {
		rand_key(&ents[i].key, i, false);
		sig_fwd[i] = sig;
	}
	for (i = 0; i < cap; i++) {
		assert_int_equal(sg_dp_fh_add(&fh, &ents[i].key, sig, sg_dp_fh_ref(i, false)), 0);
		in_fwd[i] = true;
	}
	assert_int_equal(sg_dp_fh_primary(&fh, sig)->ovf, SG_DP_FH_SLOTS);
	for (i = cap; i < cap + 4; i++)
		assert_int_equal(sg_dp_fh_add(&fh, &ents[i].key, sig, sg_dp_fh_ref(i, false)),
				 -ENOSPC);
	/* other keys in the same buckets are still found; one from elsewhere too */
	rand_key(&ents[100].key, 100, false);
	sig_fwd[100] = 12345;
	assert_int_equal(sg_dp_fh_add(&fh, &ents[100].key, 12345, sg_dp_fh_ref(100, false)), 0);
	in_fwd[100] = true;
	check_model();
	/* one out of the primary bucket (the first added), one of the alternative's */
	assert_int_equal(sg_dp_fh_del(&fh, sig, sg_dp_fh_ref(0, false)), 0);
	in_fwd[0] = false;
	assert_int_equal(sg_dp_fh_del(&fh, sig, sg_dp_fh_ref(cap - 1, false)), 0);
	in_fwd[cap - 1] = false;
	assert_int_equal(sg_dp_fh_primary(&fh, sig)->ovf, SG_DP_FH_SLOTS - 1);
	assert_int_equal(sg_dp_fh_add(&fh, &ents[cap].key, sig, sg_dp_fh_ref(cap, false)), 0);
	in_fwd[cap] = true;
	check_model();
	/* emptied: nothing is left in either bucket, the overflow count is back to 0 */
	for (i = 0; i <= cap; i++)
		if (in_fwd[i]) {
			assert_int_equal(sg_dp_fh_del(&fh, sig, sg_dp_fh_ref(i, false)), 0);
			in_fwd[i] = false;
		}
	assert_int_equal(sg_dp_fh_primary(&fh, sig)->ovf, 0);
	assert_int_equal(sg_dp_fh_del(&fh, 12345, sg_dp_fh_ref(100, false)), 0);
	in_fwd[100] = false;
	assert_int_equal(fh.count, 0);
	check_model();
}

/* Sizing: at most half the slots for the keys asked for, a cache line a bucket. */
static void
test_sizing(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct sg_dp_fh_bucket), RTE_CACHE_LINE_SIZE);
	assert_true((uint64_t)(fh.mask + 1) * SG_DP_FH_SLOTS >= 2 * 2 * (uint64_t)ENTRIES);
	assert_true((uint64_t)(fh.mask + 1) * SG_DP_FH_SLOTS < 4 * 2 * (uint64_t)ENTRIES);
	assert_int_equal(sg_dp_fh_bytes(&fh), (size_t)(fh.mask + 1) * RTE_CACHE_LINE_SIZE);
}

/* Entries the index cannot address are refused: the return key not half an entry on. */
static void
test_layout_refused(void **state)
{
	struct sg_dp_fh x;

	(void)state;
	assert_int_equal(sg_dp_fh_init(&x, 16, ents, 128, 16, 72, SOCKET_ID_ANY), -EINVAL);
	assert_int_equal(sg_dp_fh_init(&x, 16, ents, 96, 16, 64, SOCKET_ID_ANY), -EINVAL);
	assert_int_equal(sg_dp_fh_init(&x, 16, ents, 128, 40, 104, SOCKET_ID_ANY), -EINVAL);
	assert_int_equal(sg_dp_fh_init(&x, 16, ents, 128, 16, 80, SOCKET_ID_ANY), 0);
	sg_dp_fh_free(&x);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collisions, setup, teardown),
		cmocka_unit_test(test_layout_refused),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
