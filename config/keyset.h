/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keyset.c: the set of mapping keys of one document, to find a duplicate
 * key in linear time however large a map is (not installed).
 */
#ifndef SG_CFG_KEYSET_H
#define SG_CFG_KEYSET_H

#include <stddef.h>
#include <stdint.h>

struct sg_cfg_node;

struct sg_cfg_keyent {
	const struct sg_cfg_node *key; /**< NULL: free slot */
	uint32_t map_id;
	uint32_t hash;
};

/** Open-addressing hash set of (map, key); zero-initialised = empty. */
struct sg_cfg_keyset {
	struct sg_cfg_keyent *tab;
	size_t cap; /**< power of two */
	size_t n;
};

/**
 * Insert scalar @p key of the map numbered @p map_id.
 * @return 0, -EEXIST with *first set to the same key written before, or
 *   -ENOMEM.
 */
int sg_cfg_keyset_insert(struct sg_cfg_keyset *ks, uint32_t map_id, const struct sg_cfg_node *key,
			 const struct sg_cfg_node **first);

/** Free the table (the set is empty again). */
void sg_cfg_keyset_free(struct sg_cfg_keyset *ks);

#endif /* SG_CFG_KEYSET_H */
