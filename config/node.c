/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lookups in the node tree of reader.c: a map's value or key node by key,
 * null scalars, and node type names for messages.
 */
#include <string.h>

#include "sg_cfg_doc.h"

const char *
sg_cfg_node_type_name(const struct sg_cfg_node *n)
{
	if (n == NULL)
		return "nothing";
	switch (n->type) {
	case SG_CFG_NODE_SCALAR:
		return "a scalar";
	case SG_CFG_NODE_MAP:
		return "a map";
	case SG_CFG_NODE_SEQ:
		return "a sequence";
	}
	return "an unknown node";
}

bool
sg_cfg_node_is_null(const struct sg_cfg_node *n)
{
	if (n == NULL || n->type != SG_CFG_NODE_SCALAR || n->quoted)
		return false;
	if (n->tag != NULL)
		return strcmp(n->tag, "tag:yaml.org,2002:null") == 0;
	return n->len == 0 || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
	       strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0;
}

static int
map_index(const struct sg_cfg_node *map, const char *key)
{
	size_t klen;
	unsigned int i;

	if (map == NULL || map->type != SG_CFG_NODE_MAP || key == NULL)
		return -1;
	klen = strlen(key);
	for (i = 0; i < map->n_items; i++) {
		const struct sg_cfg_node *k = map->key_nodes[i];

		if (k->len == klen && memcmp(k->value, key, klen) == 0)
			return (int)i;
	}
	return -1;
}

const struct sg_cfg_node *
sg_cfg_node_get(const struct sg_cfg_node *map, const char *key)
{
	int i = map_index(map, key);

	return i < 0 ? NULL : map->items[i];
}

const struct sg_cfg_node *
sg_cfg_node_get_key(const struct sg_cfg_node *map, const char *key)
{
	int i = map_index(map, key);

	return i < 0 ? NULL : map->key_nodes[i];
}
