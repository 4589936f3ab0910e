/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arena.c: the allocator of a parsed document (not installed). Every node,
 * string and item array of one struct sg_cfg_doc comes from one arena and
 * is freed with it.
 */
#ifndef SG_CFG_ARENA_H
#define SG_CFG_ARENA_H

#include <stddef.h>

struct sg_cfg_arena;

/** A new, empty arena, or NULL when out of memory. */
struct sg_cfg_arena *sg_cfg_arena_new(void);

/** @p size zeroed bytes, 16-byte aligned, or NULL when out of memory. */
void *sg_cfg_arena_alloc(struct sg_cfg_arena *a, size_t size);

/** Free the arena and everything allocated from it (NULL is fine). */
void sg_cfg_arena_free(struct sg_cfg_arena *a);

#endif /* SG_CFG_ARENA_H */
