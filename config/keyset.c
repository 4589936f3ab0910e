/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Duplicate mapping keys: one FNV-1a hash set per document over (map id,
 * key bytes), linear probing, grown at half load.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keyset.h"
#include "sg_cfg_doc.h"

static uint32_t
key_hash(uint32_t map_id, const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(map_id); i++) {
		h ^= (map_id >> (8 * i)) & 0xff;
		h *= 16777619u;
	}
	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static int
keyset_grow(struct sg_cfg_keyset *ks)
{
	size_t cap = ks->cap ? ks->cap * 2 : 64;
	struct sg_cfg_keyent *tab = calloc(cap, sizeof(*tab));
	size_t i;

	if (tab == NULL)
		return -ENOMEM;
	for (i = 0; i < ks->cap; i++) {
		size_t j;

		if (ks->tab[i].key == NULL)
			continue;
		for (j = ks->tab[i].hash & (cap - 1); tab[j].key != NULL; j = (j + 1) & (cap - 1))
			;
		tab[j] = ks->tab[i];
	}
	free(ks->tab);
	ks->tab = tab;
	ks->cap = cap;
	return 0;
}

int
sg_cfg_keyset_insert(struct sg_cfg_keyset *ks, uint32_t map_id, const struct sg_cfg_node *key,
		     const struct sg_cfg_node **first)
{
	uint32_t h = key_hash(map_id, key->value, key->len);
	size_t j;

	if ((ks->n + 1) * 2 > ks->cap && keyset_grow(ks) != 0)
		return -ENOMEM;
	for (j = h & (ks->cap - 1); ks->tab[j].key != NULL; j = (j + 1) & (ks->cap - 1)) {
		const struct sg_cfg_keyent *e = &ks->tab[j];

		if (e->hash == h && e->map_id == map_id && e->key->len == key->len &&
		    memcmp(e->key->value, key->value, key->len) == 0) {
			*first = e->key;
			return -EEXIST;
		}
	}
	ks->tab[j].key = key;
	ks->tab[j].map_id = map_id;
	ks->tab[j].hash = h;
	ks->n++;
	return 0;
}

void
sg_cfg_keyset_free(struct sg_cfg_keyset *ks)
{
	free(ks->tab);
	ks->tab = NULL;
	ks->cap = 0;
	ks->n = 0;
}
